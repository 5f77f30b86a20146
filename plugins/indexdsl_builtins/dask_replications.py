"""Replications of an uncertainty or sensitivity analysis on Dask workers.

``indexdsl uncertainty FILE --engine dask`` (and ``sensitivity``) draws every
replication's inputs in this process, once, from the seed, exactly as the in-process
engine does; only their evaluation moves.  The compiled graph and the data are sent to
each worker once (scattered, ``broadcast``); each task then evaluates one chunk of
sampled inputs (a :class:`~indexdsl.evaluate.Variation` of up to 2,000 replications)
with the numpy engine on that worker, and sends back only what the analysis reads: the
index's rank of every unit in each replication, and the replications that could not
be evaluated (with why).  The chunks are the in-process engine's, evaluated by the same
code, so the ranks, and every statistic computed from them, are identical for the
same seed; a failed replication is left out and counted exactly as in-process.

A few chunks are in flight at a time (twice the workers' threads), so the sampled
inputs waiting to be sent and the ranks waiting to be read stay bounded, and the
results are read in the order of the chunks.
"""

from __future__ import annotations

import collections
import threading

import attrs

from indexdsl.diagnostics import DiagnosticError, IndexdslError, PluginError, UsageError

#: per worker thread: the evaluator built from the last graph and data received
_local = threading.local()

#: what a chunk of replications draws from (the same for every chunk of an analysis)
ALTERNATIVES = ("normalisers", "aggregators", "imputers", "treatments", "leaves")


@attrs.frozen(eq=False)
class _Shipment:
    """What every worker receives once per analysis (one object: Dask would scatter the
    items of a tuple one by one, and hand each task a new tuple of them)."""

    kind: type  # the evaluator's class
    graph: object
    data: object
    alternatives: dict


def _same_alternatives(a: dict, b: dict) -> bool:
    return all(
        len(a[name]) == len(b[name]) and all(x is y for x, y in zip(a[name], b[name], strict=True))
        for name in ALTERNATIVES
    )


def replicate_on_cluster(evaluator, chunks, ranked: str, scheduler: str | None, workers: int):
    """The ranks of ``ranked`` for each chunk, in order, evaluated on the cluster at
    ``scheduler`` or on a local cluster of ``workers`` single-threaded processes
    started for this analysis and stopped after it."""
    with _client(scheduler, workers) as client:
        yield from replicate(client, evaluator, chunks, ranked)


def replicate(client, evaluator, chunks, ranked: str):
    """The ranks of ``ranked`` for each chunk, in order, evaluated by ``client``'s
    workers; each chunk's ``failures`` receives the replications that failed there."""
    limit = 2 * max(sum(client.nthreads().values()), 1)
    waiting: collections.deque = collections.deque()
    shipped, alternatives = None, None
    for chunk in chunks:
        drawn_from = {name: getattr(chunk, name) for name in ALTERNATIVES}
        if alternatives is None or not _same_alternatives(drawn_from, alternatives):
            # the graph, the data and the alternatives drawn from, once per worker and
            # together: every chunk there reads the same components, as every chunk here
            # does (the engine keeps what it prepared for each alternative by identity)
            alternatives = drawn_from
            shipment = _Shipment(type(evaluator), evaluator.graph, evaluator.data, alternatives)
            shipped = client.scatter(shipment, broadcast=True, hash=False)
        # only the choices travel with each chunk; the failures so far stay here, and
        # the task sends back only its own
        sent = attrs.evolve(chunk, failures={}, **{name: () for name in ALTERNATIVES})
        waiting.append((chunk, client.submit(_evaluate_chunk, shipped, sent, ranked, pure=False)))
        if len(waiting) >= limit:
            yield _received(*waiting.popleft())
    while waiting:
        yield _received(*waiting.popleft())


def _received(chunk, future):
    outcome = future.result()
    future.release()
    if outcome[0] == "raised":  # a diagnostic raised on the worker, raised again here
        _, kind, payload = outcome
        raise kind(payload)
    _, ranks, failures = outcome
    for reason, rows in failures.items():
        chunk.failures.setdefault(reason, set()).update(rows)
    return ranks


def _evaluate_chunk(shipped, chunk, ranked: str):
    """On a worker: the ranks of ``ranked`` over one chunk of replications, and the
    replications that failed, numbered as in the whole analysis."""
    if getattr(_local, "shipped", None) is not shipped:
        _local.shipped, _local.evaluator = shipped, shipped.kind(shipped.graph, shipped.data)
    chunk = attrs.evolve(chunk, **shipped.alternatives)
    try:
        ranks = _local.evaluator.level("unit", chunk, ranked=(ranked,)).ranks[ranked]
    except IndexdslError as exc:
        # sent back as its parts: indexdsl's exceptions are rebuilt from them
        if isinstance(exc, DiagnosticError):
            return "raised", type(exc), exc.diagnostics
        if isinstance(exc, PluginError):
            return "raised", type(exc), exc.diagnostic
        raise
    return "done", ranks, chunk.failures


class _client:
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers``
    processes (one thread each) started here; closed, with the cluster, on exit."""

    def __init__(self, scheduler: str | None, workers: int):
        self.scheduler = scheduler
        self.workers = max(int(workers), 1)
        self._stack = None

    def __enter__(self):
        import contextlib

        from distributed import Client

        self._stack = contextlib.ExitStack()
        if self.scheduler:
            try:
                client = Client(self.scheduler, timeout="10s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise UsageError(
                    f"`--scheduler {self.scheduler}`: no Dask scheduler answered there "
                    f"({exc}); start one with `dask scheduler` and its workers with `dask "
                    "worker ADDRESS`, or leave out `--scheduler` for a local cluster"
                ) from None
            return self._stack.enter_context(client)
        from indexdsl_builtins.dask_engine import local_cluster

        cluster = self._stack.enter_context(local_cluster(self.workers, trim=False))
        return self._stack.enter_context(Client(cluster, set_as_default=False))

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)
