"""The pathways' results of the Dask engine, computed and written by the workers.

A pathway index over tens of thousands of units has hundreds of millions of pathways:
their scores and ranks do not fit in the process that runs ``indexdsl``.  So:

- the checks of a component's values (finite, NaN only where the input is missing)
  are counts made per partition on the workers;
- each node's pathway ranks are computed exactly as the numpy engine ranks them
  (competition ranks of the scores rounded at the node's decimals, ties sharing the
  best rank), in stages of tasks that each hold one partition or one group of scores,
  with files between them (:func:`write`): the workers' memory holds no pathway from
  one stage to the next, whatever the number of pathways;
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

from indexdsl.evaluate import competition_ranks

#: scores per group of the distributed rank (each group is ranked in one task, which
#: holds about 50 bytes a score)
GROUP_SIZE = 10_000_000
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


# ---- the workers score, rank and write, a partition (or a group of scores) a task --------
def _sample(values: np.ndarray, every: int) -> np.ndarray:
    present = np.sort(values[~np.isnan(values)])
    return present[::every]


def _ranked_on(table, name: str, plan) -> np.ndarray:
    """A node's scores as it is ranked on (negated where lower is better), rounded at
    its decimals."""
    sign, decimals = plan[:2]
    scores = table.column(f"{name}_score").to_numpy(zero_copy_only=False)
    return np.round(sign * np.asarray(scores, dtype=float), decimals)


def _dictionary_keys(keys: list[str], codes):
    import pyarrow as pa

    dictionary = pa.array(keys, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), dictionary)


def _draft_part(path: str, keys: list[str], a, b, columns: dict, plans: dict, every: int):
    """Stage 1, a partition: its pathways' keys, scores and raw values written to a
    draft file; for each ranked node a sample of its (rounded, signed) scores."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = {"unit_a": _dictionary_keys(keys, a), "unit_b": _dictionary_keys(keys, b)}
    for name, values in columns.items():
        table[name] = pa.array(np.asarray(values, dtype=float))
    table = pa.table(table)
    pq.write_table(table, path)
    return {name: _sample(_ranked_on(table, name, plan), every) for name, plan in plans.items()}


def _groups(values: np.ndarray, edges: np.ndarray):
    """The present scores of a partition ordered by group (stable), their order, and
    how many fall in each group.  Groups go up by score: 2i holds the scores strictly
    between edges i - 1 and i, 2i + 1 those equal to edge i, whose ranks are all the
    same (a large tie, most pathways without flights …, is an edge of the sample's
    quantiles, and needs no sorting)."""
    valid = ~np.isnan(values)
    present = values[valid]
    at = np.searchsorted(edges, present, side="left")
    equal = np.zeros(len(present), dtype=bool)
    inside = at < len(edges)
    equal[inside] = edges[at[inside]] == present[inside]
    group = 2 * at + equal
    order = np.argsort(group, kind="stable")
    return valid, order, present[order], np.bincount(group, minlength=2 * len(edges) + 1)


def _split_part(path: str, spill: str, part: int, plans: dict) -> dict:
    """Stage 2, a partition: each ranked node's present scores, ordered by group, saved
    for the groups' tasks; how many fall in each group."""
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=[f"{name}_score" for name in plans])
    counts = {}
    for j, (name, plan) in enumerate(plans.items()):
        _, _, ordered, counts[name] = _groups(_ranked_on(table, name, plan), plan[2])
        np.save(Path(spill) / f"{j}-{part:05d}.npy", ordered)
    return counts


def _rank_group(
    spill: str, j: int, group: int, pieces: list, above_group: int, decimals: int, kind
) -> int:
    """Stage 3, a group of one node's scores (``pieces``: (partition, start, stop) of
    each partition's scores in the group): each score's competition rank, 1 + the
    scores in the groups above + those above it in its group, saved for the partitions'
    tasks in the order of the pieces."""
    folder = Path(spill)
    values = np.concatenate(
        [np.load(folder / f"{j}-{part:05d}.npy", mmap_mode="r")[lo:hi] for part, lo, hi in pieces]
        or [np.empty(0)]
    )
    # the values are rounded already (rounding them again changes none)
    ranks = (competition_ranks(values, decimals) + above_group).astype(kind)
    np.save(folder / f"{j}-g{group:05d}.npy", ranks)
    return len(values)


def _finish_part(draft: str, path: str, spill: str, part: int, plans: dict, starts: dict, kind):
    """Stage 4, a partition: its ranks gathered from the groups' tasks, and its final
    file written (keys, then each node's score and rank, then the raw values)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(draft)
    folder = Path(spill)
    ranks = {}
    for j, (name, plan) in enumerate(plans.items()):
        valid, order, _, counts = _groups(_ranked_on(table, name, plan), plan[2])
        begin, higher = starts[name]
        gathered = np.concatenate(
            [
                np.full(n, higher[g] + 1, dtype=kind)  # a tie: one rank
                if g % 2
                else np.load(folder / f"{j}-g{g:05d}.npy", mmap_mode="r")[lo : lo + n]
                for g, (lo, n) in enumerate(zip(begin, counts, strict=True))
                if n
            ]
            or [np.empty(0, kind)]
        )
        present = np.empty(len(order), dtype=kind)
        present[order] = gathered
        ranks[name] = np.zeros(len(valid), dtype=kind)
        ranks[name][valid] = present
    columns = {"unit_a": table.column("unit_a"), "unit_b": table.column("unit_b")}
    for name in table.column_names:
        if name.endswith("_score"):
            columns[name] = table.column(name)
            node = name[: -len("_score")]
            if node in ranks:
                columns[f"{node}_rank"] = pa.array(ranks[node])
    for name in table.column_names:
        if name.endswith("_raw"):
            columns[name] = table.column(name)
    pq.write_table(pa.table(columns), path)
    Path(draft).unlink()
    return table.num_rows


def write(folder: Path, keys, a, b, raw: dict, scores: dict, ranked: dict, decimals: dict):
    """Every pathway's scores, ranks and raw values, written by the workers into
    ``folder`` (a Parquet file per partition); the :class:`Stored` result reading it.

    ``ranked``: for each node ranked, whether a higher score is better.  Its ranks are
    exactly :func:`indexdsl.evaluate.competition_ranks` at its ``decimals`` over every
    pathway, computed in four stages of tasks, each holding one partition or one group
    of scores, with files in ``folder`` between them (the workers' memory holds no
    pathway from one stage to the next):

    1. each partition's keys, scores and raw values computed and written to a draft
       file, with a sample of each node's scores;
    2. the scores cut into groups of about :data:`GROUP_SIZE` at quantiles of the
       samples, each quantile a group of its own (a tie, however large, is one rank);
       each partition's scores saved ordered by group, their counts returned;
    3. each group's ranks (a node at a time, the ties' without a task): the scores in
       the groups above (from the counts) plus those above in the group;
    4. each partition's ranks gathered from its groups and its final file written.
    """
    import dask
    import dask.array as da

    chunks = a.chunks
    size = a.shape[0]
    kind = np.int32 if size < 2**31 - 1 else np.int64
    plans = {name: (1.0 if ranked[name] else -1.0, decimals[name]) for name in ranked}
    columns = {f"{name}_score": scores[name] for name in scores}
    columns |= {f"{name}_raw": raw[name] for name in raw}
    blocks = {
        name: da.asarray(values, dtype=float).rechunk(chunks).to_delayed().ravel()
        for name, values in columns.items()
    }
    a_blocks, b_blocks = a.to_delayed().ravel(), b.to_delayed().ravel()
    parts = len(a_blocks)
    work = Path(tempfile.mkdtemp(prefix=".ranking-", dir=folder))
    drafts = [str(work / f"draft-{i:05d}.parquet") for i in range(parts)]
    files = [str(folder / f"part-{i:05d}.parquet") for i in range(parts)]
    groups = max(1, -(-size // GROUP_SIZE))
    every = max(1, size // max(1, 200 * groups) // max(1, parts))
    key_list = dask.delayed(list(keys), pure=True)
    samples = dask.compute(
        [
            dask.delayed(_draft_part)(
                drafts[i],
                key_list,
                a_blocks[i],
                b_blocks[i],
                {name: blocks[name][i] for name in blocks},
                plans,
                every,
            )
            for i in range(parts)
        ]
    )[0]
    for name, (sign, places) in list(plans.items()):
        found = [s[name] for s in samples]
        sample = np.sort(np.concatenate(found)) if found else np.empty(0)
        edges = np.empty(0)
        if groups > 1 and sample.size:
            edges = np.unique(np.quantile(sample, np.linspace(0, 1, groups + 1)[1:-1]))
        plans[name] = (sign, places, edges)
    spill = str(work)
    counts = dask.compute(
        [dask.delayed(_split_part)(drafts[i], spill, i, plans) for i in range(parts)]
    )[0]
    starts = {}
    for j, name in enumerate(plans):  # a node at a time: its saved scores removed after
        matrix = np.array([c[name] for c in counts], dtype=np.int64).reshape(parts, -1)
        sizes = matrix.sum(axis=0)
        higher = np.zeros(len(sizes), dtype=np.int64)  # scores in the groups above each
        higher[:-1] = np.cumsum(sizes[::-1])[::-1][1:]
        starts[name] = (np.cumsum(matrix, axis=0) - matrix, higher)  # a partition's start
        within = np.cumsum(matrix, axis=1) - matrix  # a group's start in a partition's
        ranking = [
            dask.delayed(_rank_group)(
                spill,
                j,
                g,
                [(i, int(within[i, g]), int(within[i, g] + matrix[i, g])) for i in range(parts)],
                int(higher[g]),
                plans[name][1],
                kind,
            )
            for g in range(0, matrix.shape[1], 2)  # the odd groups are ties
            if sizes[g]
        ]
        dask.compute(ranking)
        for i in range(parts):
            (work / f"{j}-{i:05d}.npy").unlink(missing_ok=True)
    dask.compute(
        [
            dask.delayed(_finish_part)(
                drafts[i],
                files[i],
                spill,
                i,
                plans,
                {name: (starts[name][0][i], starts[name][1]) for name in plans},
                kind,
            )
            for i in range(parts)
        ]
    )
    shutil.rmtree(work, ignore_errors=True)
    return Stored(folder, files, list(scores), list(ranked), list(raw), chunks[0])


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
