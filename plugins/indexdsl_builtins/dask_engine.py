"""The Dask engine: the numpy engine's steps, with every per-pathway array a Dask array.

The units of an index are few (thousands at most) and stay numpy arrays; what grows
with the square of the units is the pairs table, so its columns become Dask arrays cut
into partitions of pathways.  The compiled expressions and the components are the
numpy engine's own (numpy functions dispatch to Dask on Dask arrays), so that:

- a partner aggregation (``sum(route.flights)``: a unit's value over its partners) is
  a group-by done as map-reduce: per partition, sums, counts, minima or maxima per
  unit (``bincount`` over the unit codes of each end), then those partial results
  reduced across partitions into one value per unit;
- a normaliser fitted on the pathways (min-max, z-score …) computes its statistics as
  global reductions (``nanmin``, ``nanmean``, ``nanstd`` over every partition), then
  scores each partition with them;
- aggregating children, rescaling and `missing propagate` run partition by partition.

Everything the pathway level needs is then computed in one pass on the cluster, and
the result is the numpy engine's :class:`~indexdsl.evaluate.Result`, equal to it up to
the order of floating-point sums (1e-12 relative; identical ranks).

A method that needs every pathway at once in memory (a rank normaliser, which sorts)
is refused with ``E404`` at the index's line that chose it, rather than materialised
on one machine behind the user's back.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from indexdsl.diagnostics import DiagnosticError, UsageError
from indexdsl.errors import evaluate as evaluate_errors
from indexdsl.evaluate import Evaluator, LevelResult

#: dask's warning when a numpy function has no Dask implementation (it would compute
#: the whole array into memory to call numpy on it)
_NOT_IMPLEMENTED = r".*is not implemented by Dask array"


def _is_lazy(value) -> bool:
    import dask.array as da

    return isinstance(value, da.Array)


class DaskEvaluator(Evaluator):
    """The numpy engine with the pairs tables' columns as Dask arrays."""

    def __init__(self, graph, data, partition: int = 1_000_000, folder: str | None = None):
        super().__init__(graph, data)
        self.partition = max(int(partition), 1)
        self.folder = folder  # where the workers write the pathways' results
        self._lazy: dict[tuple[str, str], object] = {}
        self._ends: dict[str, tuple] = {}
        self._checks: list[tuple] = []  # output checks made once the values are computed
        self._out_of_core: bool | None = None  # the pathways read from Parquet by the workers
        self._reduced: dict = {}  # global reductions' results by Dask layer (out of core)

    # ---- what compiled expressions ask of the engine -------------------------------
    def column(self, table: str, column: str):
        if table not in self.data.pairs:
            return super().column(table, column)
        key = (table, column)
        if key not in self._lazy:
            import dask.array as da

            values = self.data.columns[key]
            if hasattr(values, "to_dask"):
                # a partitioned Parquet column: each partition read by a worker where
                # it is used, never by this process, and not kept (hundreds of millions
                # of pathways do not fit in the workers' memory)
                array = values.to_dask().rechunk(self._chunks(table))
            else:
                # sent to the workers once, then read there by every computation
                array = _persist(da.from_array(values, chunks=self._chunks(table), name=False))
            self._lazy[key] = array
        return self._lazy[key]

    def _chunks(self, table: str) -> tuple[int, ...]:
        """The partitions of a pairs table: its Parquet partitions (row groups) when
        its numeric columns are read from them, otherwise ``partition`` pathways each."""
        for values in self.data.pairs[table].table.numbers.values():
            if hasattr(values, "to_dask") and len(values) == len(self.data.pairs[table].a):
                return values.chunks
        n = len(self.data.pairs[table].a)
        return (self.partition,) * (n // self.partition) + (
            (n % self.partition,) if n % self.partition or n == 0 else ()
        )

    def _unit_codes(self, table: str):
        """The unit numbers of each pair's two ends, partitioned like its columns."""
        if table not in self._ends:
            import dask.array as da

            pairs = self.data.pairs[table]
            chunks = self._chunks(table)

            def lazy(codes):
                if hasattr(codes, "to_dask"):  # read by the workers where used, a partition each
                    return codes.to_dask().rechunk(chunks)
                return _persist(da.from_array(codes, chunks=chunks, name=False))

            self._ends[table] = (lazy(pairs.a), lazy(pairs.b))
        return self._ends[table]

    def partner_aggregate(self, how: str, values, table: str | None, flow: str):
        """A group-by of pair values by unit, as map-reduce over the partitions: each
        partition's per-unit partial sums and counts (or minima, maxima), reduced across
        partitions; the numpy engine's rules for direction and missing values."""
        import dask.array as da

        pairs = self.data.pairs[table]
        n = self.data.n_units
        a, b = self._unit_codes(table)
        chunks = a.chunks
        values = da.broadcast_to(da.asarray(values, dtype=float), pairs.a.shape).rechunk(chunks)
        ends = []
        if flow in ("both", "out") or not pairs.spec.directed:
            ends.append(a)
        if flow in ("both", "in") or not pairs.spec.directed:
            ends.append(b)
        parts = da.map_blocks(
            _partial_group_by,
            values,
            *ends,
            how=how,
            n=n,
            new_axis=[1, 2],
            chunks=(tuple(1 for _ in chunks[0]), (2,), (n,)),
            dtype=float,
            meta=np.empty((0, 2, 0)),
        )
        if how in ("sum", "mean", "count"):
            total, count = parts.sum(axis=0).compute()
            if how == "mean":
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
            return total
        reducer = np.fmax if how == "max" else np.fmin
        partial = parts[:, 0, :].compute()
        return reducer.reduce(partial, axis=0) if len(partial) else np.full(n, np.nan)

    def _array(self, value):
        if _is_lazy(value):
            # an indicator's pair values are computed once, kept on the workers, and
            # read by what follows (or computed again where used: out of core)
            return self._keep(value.astype(float))
        return super()._array(value)

    def _keep(self, value):
        """``value`` kept on the workers once computed, when the pathways' values were
        held by this process (and so fit in the workers' memory); as it is when they
        are read from partitioned Parquet by the workers: then they may not fit on the
        cluster at all, and each computation reads them again, a partition at a time."""
        if self._out_of_core is None:
            pairs = self.data.pairs.get(self.model.pathways) if self.model.pathways else None
            numbers = pairs.table.numbers.values() if pairs is not None else ()
            self._out_of_core = any(hasattr(v, "to_dask") for v in numbers)
        if not self._out_of_core:
            return _persist(value)
        return self._reductions_computed(value)

    def _constants(self, value):
        """``value`` (an array, or a tuple, list or dict of them) with its global
        reductions written in as constants, out of core (see :meth:`_reductions_computed`)."""
        if not self._out_of_core:
            return value
        if isinstance(value, dict):
            return {k: self._constants(v) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            return type(value)(self._constants(v) for v in value)
        return self._reductions_computed(value) if _is_lazy(value) else value

    def _reductions_computed(self, value):
        """``value`` with the global reductions its partitions are computed from (a
        normaliser's minimum and maximum over every pathway …: one value each) computed
        now and written into its graph as constants.  A later computation that reads
        ``value`` then does not wait for them: otherwise each partition of its input
        would be held in memory (or spilled to disk) until the reduction over all of
        them finished."""
        import dask
        import dask.array as da
        from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

        graph = value.__dask_graph__()
        if not isinstance(graph, HighLevelGraph):
            return value
        reductions = [
            name
            for name, layer in graph.layers.items()
            if "-aggregate-" in name  # the last step of a Dask reduction …
            and len(layer) == 1  # … to one value, not one per partition
            and not (isinstance(layer, MaterializedLayer) and name in self._reduced)
        ]
        if not reductions:
            return value
        keys = {name: next(iter(graph.layers[name].get_output_keys())) for name in reductions}
        missing = [name for name in reductions if name not in self._reduced]
        if missing:
            # computed as arrays, optimised as every later computation of the arrays
            # is: a key computed by two graphs optimised differently is what Dask warns
            # can fail or deadlock (dask issue 9888)
            wanted = [
                da.Array(
                    graph,
                    name,
                    chunks=tuple((np.nan,) for _ in keys[name][1:]),
                    meta=np.empty((0,) * len(keys[name][1:])),
                )
                for name in missing
            ]
            computed = dask.compute(*wanted)
            self._reduced.update(zip(missing, computed, strict=True))
            _forgotten([keys[name] for name in missing])
        layers = dict(graph.layers)
        dependencies = {name: set(found) for name, found in graph.dependencies.items()}
        for name in reductions:
            layers[name] = MaterializedLayer({keys[name]: self._reduced[name]})
            dependencies[name] = set()
        return type(value)(
            HighLevelGraph(layers, dependencies), value.name, value.chunks, meta=value._meta
        )

    # ---- guarded component calls ---------------------------------------------------------
    def _guard(self, fn, span, what, plugin, secondary=(), unit_names=None, expect=None):
        def call():
            try:
                return fn()
            except (FutureWarning, TypeError) as exc:
                # a numpy function that Dask cannot run on partitions of pathways
                text = str(exc)
                if isinstance(exc, TypeError) and "__array_ufunc__" not in text:
                    raise
                found = re.search(r"`([\w.]+)`|<ufunc '(\w+)'>", text)
                function = "a numpy function"
                if found:
                    function = f"`{found.group(1) or 'numpy.' + found.group(2)}`"
                reason = (
                    f"it calls {function}, which Dask cannot run on pathways held in "
                    "partitions (it needs them all at once, in one process)"
                )
                raise DiagnosticError(
                    [evaluate_errors.engine_cannot_compute("dask", what, reason, span, secondary)]
                ) from None

        out = super()._guard(call, span, what, plugin, secondary, unit_names, expect)
        # a leaf's or a node's scores kept on the workers: the checks and the nodes
        # above read them there instead of computing them again from the indicators
        if isinstance(out, tuple) and out and _is_lazy(out[0]):
            return (self._keep(out[0]), *self._constants(out[1:]))
        return self._keep(out) if _is_lazy(out) else out

    def _check_output(self, out, expect, span, what, plugin) -> None:
        values = out[0] if isinstance(out, tuple) else out
        if _is_lazy(values) or (expect[1] is not None and _is_lazy(expect[1])):
            # checked on the computed values, in the same pass as the scores
            self._checks.append((out, expect, span, what, plugin))
            return
        super()._check_output(out, expect, span, what, plugin)

    # ---- one level -------------------------------------------------------------------------
    def level(self, level, variation=None, ranked=None) -> LevelResult:
        if variation is not None:
            raise DiagnosticError(
                [
                    evaluate_errors.engine_cannot_compute(
                        "dask",
                        "replications of an uncertainty or sensitivity analysis",
                        "the Dask engine evaluates one index at a time",
                        self.model.root.span,
                        (),
                    )
                ]
            )
        import dask

        # no fusing of tasks: a normaliser computes its statistics (a graph) and then
        # its scores (a larger graph with the same keys), and a key fused in one but
        # not in the other would differ between the two (dask issue 9888)
        with warnings.catch_warnings(), dask.config.set({"optimization.fuse.active": False}):
            warnings.filterwarnings("error", _NOT_IMPLEMENTED, FutureWarning)
            result = super().level(level, variation, ranked)
            return self._computed(result) if level == "pair" else result

    def _computed(self, result: LevelResult) -> LevelResult:
        """The pathway level computed on the cluster: the checks of the components'
        values as counts, the fitted states and weights collected (small), and every
        pathway's raw values, scores and ranks written by the workers as partitioned
        Parquet (:mod:`indexdsl_builtins.dask_pathways`), read back only when used."""
        import dask

        from indexdsl_builtins import dask_pathways

        checks = self._checks
        self._checks = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fitted, weights, counts = dask.compute(
                self._constants(result.fitted),
                self._constants(result.weights),
                [
                    dask_pathways.check_counts(self._constants(out), self._constants(missing))
                    for out, (_, missing), *_ in checks
                ],
            )
        for found, (out, (shape, _), span, what, plugin) in zip(counts, checks, strict=True):
            dask_pathways.raise_bad_values(self, out, shape, found, span, what, plugin)
        names = list(result.ranks)
        pairs = self._pathway_data()
        table = next(t for t, p in self.data.pairs.items() if p is pairs)
        a, b = self._unit_codes(table)
        stored = dask_pathways.write(
            self.folder,
            self.data.keys,
            a,
            b,
            result.raw,
            result.scores,
            {name: self._higher_is_better(name) for name in names},
            {name: self._rank_decimals(name) for name in names},
        )
        return LevelResult(
            stored.raw,
            stored.scores,
            stored.ranks,
            fitted,
            result.prepared,
            result.preparation,
            result.screened,
            weights,
        )


def _known(keys, dask_scheduler=None) -> bool:
    return any(key in dask_scheduler.tasks for key in keys)


def _forgotten(keys: list, wait: float = 5.0) -> None:
    """Return once the scheduler has forgotten ``keys`` (computed and released, which
    the client tells it a moment later), so that a graph giving them as constants is
    not a second definition of keys it still knows (dask issue 9888)."""
    import time

    from distributed import default_client

    try:
        client = default_client()
    except ValueError:
        return
    end = time.monotonic() + wait
    while client.run_on_scheduler(_known, keys) and time.monotonic() < end:
        time.sleep(0.01)


def _persist(array):
    """The array computed on the cluster and kept there (as it is, without one)."""
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:
        return array
    return client.persist(array)


def _partial_group_by(values, *ends, how: str, n: int):
    """One partition's per-unit partial results: (1, 2, n) of sums and counts (``sum``,
    ``mean``, ``count``), or of minima or maxima (row 0) for ``min`` and ``max``."""
    present = ~np.isnan(values)
    out = np.zeros((1, 2, n))
    if how in ("sum", "mean", "count"):
        for end in ends:
            if how == "count":
                weights = (present & (values != 0)).astype(float)
            else:
                weights = np.where(present, values, 0.0)
            out[0, 0] += np.bincount(end, weights=weights, minlength=n)
            out[0, 1] += np.bincount(end, weights=present.astype(float), minlength=n)
        return out
    out[0, 0] = np.nan
    reducer = np.fmax if how == "max" else np.fmin
    for end in ends:
        reducer.at(out[0, 0], end[present], values[present])
    return out


def local_cluster(workers: int, memory: str | None = None, trim: bool = True):
    """A local cluster of ``workers`` single-threaded worker processes, each with
    ``memory`` before it spills to its disk.

    ``trim=False`` leaves the memory allocator as it is.  Dask's default
    ``MALLOC_TRIM_THRESHOLD_`` for worker processes gives freed memory back to the
    system at once, which keeps a worker that reads and spills pathways for an hour
    under its budget (``run``); but it also turns off glibc's adaptive threshold for
    ``mmap``, so that every array of a chunk of replications (hundreds of kB) is mapped
    and unmapped page by page, and an evaluation takes 3–4 times as long
    (replications: see docs/performance.md)."""
    import contextlib

    import dask
    from distributed import LocalCluster

    unset = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(unset) if not trim else contextlib.nullcontext():
        return LocalCluster(
            n_workers=max(int(workers), 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # no dashboard: nothing listens on a fixed port
            memory_limit=memory or "auto",
        )


def evaluate_on_cluster(
    graph,
    data,
    scheduler: str | None,
    workers: int,
    partition: int,
    folder: str | None = None,
    memory: str = "auto",
):
    """Evaluate on the cluster at ``scheduler``, or on a local cluster of ``workers``
    single-threaded worker processes started for this run and stopped after it (each
    with ``memory`` before it spills to its disk).  The pathways' results are written
    to ``folder`` (default: a new temporary folder, removed when the process ends)."""
    from distributed import Client

    from indexdsl_builtins.dask_pathways import results_folder

    folder = results_folder(folder)

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s", set_as_default=True)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(
                f"`--scheduler {scheduler}`: no Dask scheduler answered there ({exc}); start "
                "one with `dask scheduler` and its workers with `dask worker ADDRESS`, or "
                "leave out `--scheduler` for a local cluster"
            ) from None
        with client:
            return DaskEvaluator(graph, data, partition, folder).run()
    with (
        local_cluster(workers, memory) as cluster,
        Client(cluster, set_as_default=True),
    ):
        return DaskEvaluator(graph, data, partition, folder).run()
