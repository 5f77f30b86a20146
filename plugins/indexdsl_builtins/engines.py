"""The engines ``indexdsl run --engine NAME`` chooses from: ``numpy`` (embedded, the
default) and ``dask`` (a local cluster, or the workers of a scheduler given by address).

Both implement :class:`indexdsl.components.Engine`: ``evaluate(graph, data) -> Result``.
This module imports neither dask nor distributed: the Dask engine's code
(:mod:`indexdsl_builtins.dask_engine`) is imported when that engine evaluates.
"""

from __future__ import annotations

from typing import ClassVar

from indexdsl.components import Engine, Param
from indexdsl.hookspecs import hookimpl


class NumpyEngine(Engine):
    name = "numpy"
    summary = "numpy in this process, every array in memory (the default)"
    role_default: ClassVar[bool] = True

    def evaluate(self, graph, data):
        from indexdsl.evaluate import evaluate

        return evaluate(graph, data)


class DaskEngine(Engine):
    name = "dask"
    summary = (
        "Dask: pathways scored in partitions on a local cluster, or on the workers of "
        "`--scheduler ADDRESS`; partner aggregations as group-bys, normalisers fitted by "
        "global reductions"
    )
    requires: ClassVar = (("dask", "distributed"), "dask")
    params = (
        Param("scheduler", str, "", "address of a running scheduler; empty: a local cluster"),
        Param("workers", int, 2, "workers of the local cluster"),
        Param("partition", int, 1_000_000, "pathways per partition"),
        Param(
            "pathways",
            str,
            "",
            "folder the workers write the pathways' results into (partitioned Parquet); "
            "empty: $INDEXDSL_DASK_PATHWAYS, else a temporary folder",
        ),
    )

    def evaluate(self, graph, data):
        from indexdsl_builtins.dask_engine import evaluate_on_cluster

        return evaluate_on_cluster(
            graph,
            data,
            self.scheduler or None,
            int(self.workers),
            int(self.partition),
            self.pathways or None,
        )

    def evaluate_replications(self, evaluator, chunks, ranked):
        # uncertainty and sensitivity: each chunk of replications evaluated by a worker
        from indexdsl_builtins.dask_replications import replicate_on_cluster

        return replicate_on_cluster(
            evaluator, chunks, ranked, self.scheduler or None, int(self.workers)
        )


@hookimpl
def indexdsl_register_engines():
    return [NumpyEngine, DaskEngine]
