"""The pathways' results of the Dask engine, computed and written by the workers.

A pathway index over tens of thousands of units has hundreds of millions of pathways:
their scores and ranks do not fit in the process that runs ``indexdsl``.  So:

- the checks of a component's values (finite, NaN only where the input is missing)
  are counts made per partition on the workers;
- each node's pathway ranks are computed exactly as the numpy engine ranks them
  (competition ranks of the scores rounded at the node's decimals, ties sharing the
  best rank), by counting for each score the scores above it: the scores are cut into
  groups at quantiles of a sample, each partition's distinct scores of a group (with
  their counts) are merged per group on the cluster, and each partition's ranks are
  then the scores in the groups above plus those above it in its own group;
- the workers write one Parquet file per partition (``part-00000.parquet`` …) into a
  folder: the two units' keys (``unit_a``, ``unit_b``), then ``{node}_score`` and
  ``{node}_rank`` for every node, then ``{indicator}_raw`` for every indicator;
- the result hands the outputs columns that read that folder when they are used
  (:class:`StoredColumns`): a run that writes nothing about the pathways reads none.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

#: scores per group of the distributed rank (each group's distinct scores are merged
#: in one task)
GROUP_SIZE = 20_000_000
#: the folder of the pathways' results when the engine is given none
FOLDER_VARIABLE = "INDEXDSL_DASK_PATHWAYS"


def results_folder(folder: str | None) -> Path:
    """The folder the workers write the pathways' results into: ``folder``, else
    ``$INDEXDSL_DASK_PATHWAYS``, else a new temporary folder removed at exit.  The
    workers of a real cluster must see it at the same path (shared storage)."""
    chosen = folder or os.environ.get(FOLDER_VARIABLE)
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="pathways-", dir=path))
    path = Path(tempfile.mkdtemp(prefix="indexdsl-pathways-"))
    atexit.register(shutil.rmtree, path, True)
    return path


# ---- checks of a component's values ------------------------------------------------------
def check_counts(out, missing):
    """(infinite values, NaN values whose input is present) of a component's output,
    counted on the workers."""
    import dask.array as da

    values = out[0] if isinstance(out, tuple) else out
    if not isinstance(values, da.Array) or not np.issubdtype(values.dtype, np.number):
        return (0, 0)
    infinite = da.isinf(values).sum()
    if missing is None:
        return (infinite, 0)
    return (infinite, (da.isnan(values) & ~da.asarray(missing)).sum())


def raise_bad_values(evaluator, out, shape, counts, span, what, plugin) -> None:
    """The numpy engine's E902 for a component whose values break the rules, from the
    counts (the shape and type are known without computing)."""
    from indexdsl.diagnostics import PluginError
    from indexdsl.errors import evaluate as evaluate_errors

    values = out[0] if isinstance(out, tuple) else out
    infinite, lost = (int(c) for c in counts)
    problem = None
    if values.shape != shape:
        problem = f"returned shape {values.shape}, expected {shape}"
    elif not np.issubdtype(values.dtype, np.number):
        problem = f"returned values of type {values.dtype}, expected numbers"
    elif infinite:
        problem = f"returned infinite values for {infinite} entries"
    elif lost:
        problem = f"returned NaN for {lost} entries whose input is present"
    if problem is not None:
        name = evaluator.model.providers.get(plugin, plugin)
        raise PluginError(evaluate_errors.plugin_returned_bad_values(what, name, problem, span))


# ---- exact ranks across partitions --------------------------------------------------------
def _rounded(values: np.ndarray, decimals: int) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float), decimals)


def _sample(values: np.ndarray, decimals: int, every: int) -> np.ndarray:
    present = _rounded(values, decimals)
    present = np.sort(present[~np.isnan(present)])
    return present[::every]


def _split(values: np.ndarray, decimals: int, edges: np.ndarray) -> list:
    """One partition's distinct scores and their counts, per group."""
    present = _rounded(values, decimals)
    present = present[~np.isnan(present)]
    group = np.searchsorted(edges, present, side="right")
    out = []
    for g in range(len(edges) + 1):
        distinct, count = np.unique(present[group == g], return_counts=True)
        out.append((distinct, count))
    return out


def _merge(*parts) -> tuple[np.ndarray, np.ndarray]:
    """A group's distinct scores over every partition, and for each the number of the
    group's scores above it."""
    if not parts:
        return np.empty(0), np.zeros(1, dtype=np.int64)
    values = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    distinct, inverse = np.unique(values, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(distinct)).astype(np.int64)
    # above[i]: the scores greater than distinct[i-1] (above[len] = 0)
    above = np.zeros(len(distinct) + 1, dtype=np.int64)
    above[:-1] = np.cumsum(total[::-1])[::-1]
    return distinct, above


def _group_size(merged) -> int:
    return int(merged[1][0])


def _within(values: np.ndarray, decimals: int, edges: np.ndarray, g: int, merged) -> np.ndarray:
    """For a partition's scores in group ``g``: the group's scores above each."""
    present = _rounded(values, decimals)
    valid = ~np.isnan(present)
    group = np.searchsorted(edges, present[valid], side="right")
    mine = present[valid][group == g]
    distinct, above = merged
    return above[np.searchsorted(distinct, mine, side="right")].astype(np.int64)


def _ranks(values: np.ndarray, decimals: int, edges: np.ndarray, higher, kind, *within):
    """A partition's competition ranks: 1 + the scores in the groups above + those
    above in its own group; 0 where the score is missing."""
    present = _rounded(values, decimals)
    valid = ~np.isnan(present)
    group = np.searchsorted(edges, present[valid], side="right")
    found = np.asarray(higher, dtype=np.int64)[group]
    for g, counts in enumerate(within):
        found[group == g] += counts
    ranks = np.zeros(len(present), dtype=kind)
    ranks[valid] = found + 1
    return ranks


def distributed_ranks(columns: dict, decimals: dict) -> dict:
    """The competition ranks of Dask arrays of scores (higher first), exactly those of
    :func:`indexdsl.evaluate.competition_ranks` at each one's decimals, computed on the
    cluster in two round trips whatever their number: a Dask array of the same
    partitions for each (int32, or int64 beyond 2^31 pathways)."""
    import dask
    import dask.array as da

    if not columns:
        return {}
    first = next(iter(columns.values()))
    size, chunks = first.shape[0], first.chunks[0]
    groups = max(1, -(-size // GROUP_SIZE))
    blocks = {name: values.to_delayed().ravel() for name, values in columns.items()}
    every = max(1, size // max(1, 200 * groups) // max(1, len(chunks)))
    samples = dask.compute(
        {
            name: [dask.delayed(_sample)(b, decimals[name], every) for b in parts]
            for name, parts in blocks.items()
        }
    )[0]
    plans, sized = {}, {}
    for name, parts in blocks.items():
        sample = np.sort(np.concatenate(samples[name])) if samples[name] else np.empty(0)
        edges = np.empty(0)
        if groups > 1 and sample.size:
            edges = np.unique(np.quantile(sample, np.linspace(0, 1, groups + 1)[1:-1]))
        n = len(edges) + 1
        split = [dask.delayed(_split, nout=n)(b, decimals[name], edges) for b in parts]
        merged = [dask.delayed(_merge)(*[s[g] for s in split]) for g in range(n)]
        plans[name] = (edges, merged)
    flat = _persist([m for _, ms in plans.values() for m in ms])
    merged, at = {}, 0
    for name, (_, ms) in plans.items():
        merged[name], at = flat[at : at + len(ms)], at + len(ms)
    counted = dask.compute([dask.delayed(_group_size)(m) for m in flat])[0]
    sized, at = {}, 0
    for name, ms in merged.items():
        sized[name], at = counted[at : at + len(ms)], at + len(ms)
    kind = np.int32 if size < 2**31 - 1 else np.int64
    out = {}
    for name, parts in blocks.items():
        edges = plans[name][0]
        sizes = np.asarray(sized[name], dtype=np.int64)
        higher = np.zeros(len(sizes), dtype=np.int64)  # scores in the groups above each
        higher[:-1] = np.cumsum(sizes[::-1])[::-1][1:]
        ranked = []
        for b, n in zip(parts, chunks, strict=True):
            within = [
                dask.delayed(_within)(b, decimals[name], edges, g, m)
                for g, m in enumerate(merged[name])
            ]
            ranks = dask.delayed(_ranks)(b, decimals[name], edges, higher, kind, *within)
            ranked.append(da.from_delayed(ranks, (n,), dtype=kind))
        out[name] = da.concatenate(ranked)
    names = list(out)
    return dict(zip(names, _persist([out[n] for n in names]), strict=True))


def _persist(values: list) -> list:
    """The values computed on the cluster and kept there (as they are, without one)."""
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:
        return values
    return client.persist(values)


# ---- the workers write the results --------------------------------------------------------
def _write_part(path: str, keys: list[str], a, b, columns: dict) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    dictionary = pa.array(keys, pa.string())
    table = {
        name: pa.DictionaryArray.from_arrays(pa.array(np.asarray(c, dtype=np.int32)), dictionary)
        for name, c in (("unit_a", a), ("unit_b", b))
    }
    for name, values in columns.items():
        values = np.asarray(values)
        if values.dtype == np.int32:  # ranks, kept small on the workers
            values = values.astype(np.int64)
        table[name] = pa.array(values)
    pq.write_table(pa.table(table), path)
    return len(a)


def write(folder: Path, keys, a, b, raw: dict, scores: dict, ranked_on: dict, decimals: dict):
    """Every pathway's scores, ranks and raw values, written by the workers into
    ``folder`` (a Parquet file per partition); the :class:`Stored` result reading it."""
    import dask
    import dask.array as da

    chunks = a.chunks
    lazy = {name: da.asarray(v).rechunk(chunks) for name, v in ranked_on.items()}
    ranks = distributed_ranks(lazy, decimals)
    columns = {}
    for name in scores:
        columns[f"{name}_score"] = da.asarray(scores[name], dtype=float).rechunk(chunks)
        if name in ranks:
            columns[f"{name}_rank"] = ranks[name]
    for name in raw:
        columns[f"{name}_raw"] = da.asarray(raw[name], dtype=float).rechunk(chunks)
    names = list(columns)
    blocks = {name: columns[name].to_delayed().ravel() for name in names}
    a_blocks, b_blocks = a.to_delayed().ravel(), b.to_delayed().ravel()
    key_list = dask.delayed(list(keys), pure=True)
    files = [str(folder / f"part-{i:05d}.parquet") for i in range(len(a_blocks))]
    writes = [
        dask.delayed(_write_part)(
            files[i], key_list, a_blocks[i], b_blocks[i], {n: blocks[n][i] for n in names}
        )
        for i in range(len(a_blocks))
    ]
    dask.compute(*writes)
    return Stored(folder, files, list(scores), list(ranks), list(raw), chunks[0])


class StoredColumn:
    """One column of the pathways' results folder, read (all its partitions) when used
    as an array."""

    ndim = 1

    def __init__(self, files: list[str], name: str, dtype, chunks: tuple[int, ...]):
        self.files, self.name, self.dtype = files, name, np.dtype(dtype)
        self.chunks = chunks
        self.shape = (sum(chunks),)
        self._values: np.ndarray | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if self._values is None:
            import pyarrow.parquet as pq

            parts = [pq.read_table(f, columns=[self.name]).column(0).to_numpy() for f in self.files]
            self._values = (
                np.concatenate(parts).astype(self.dtype) if parts else np.empty(0, self.dtype)
            )
        return self._values if dtype is None else self._values.astype(dtype)

    def __getitem__(self, key):
        return np.asarray(self)[key]

    def __iter__(self):
        return iter(np.asarray(self))

    def astype(self, dtype):
        return np.asarray(self).astype(dtype)

    def tolist(self) -> list:
        return np.asarray(self).tolist()

    def __neg__(self):
        return -np.asarray(self)


class StoredColumns(Mapping):
    """Columns of the pathways' results folder by node (or indicator)."""

    def __init__(self, folder: Path, columns: dict[str, StoredColumn]):
        self.folder = folder
        self._columns = columns

    def __getitem__(self, name: str) -> StoredColumn:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


class Stored:
    """The pathways' raw values, scores and ranks in a results folder."""

    def __init__(self, folder, files, scored, ranked, raw, chunks):
        def columns(names, suffix, dtype):
            return StoredColumns(
                folder, {n: StoredColumn(files, f"{n}{suffix}", dtype, chunks) for n in names}
            )

        self.folder = folder
        self.scores = columns(scored, "_score", float)
        self.ranks = columns(ranked, "_rank", np.int64)
        self.raw = columns(raw, "_raw", float)
