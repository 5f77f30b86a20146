"""Uncertainty analysis: how far the ranks move when uncertain inputs vary.

The declared inputs (``uncertainty { … }`` in the index file) are sampled with numpy's
random generator from a seed, and every replication is evaluated in one vectorised pass
of the engine (a leading batch axis), in chunks so that memory stays bounded and the
terminal can show progress.  Per unit the result is the nominal rank, the median rank
and the 5–95 % interval of ranks over the replications (the OECD/JRC Handbook's
uncertainty analysis; COINr's ``get_sensitivity(SA_type = "UA")``).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from indexdsl.evaluate import Evaluator, Variation
from indexdsl.model import IndexModel, UncertaintySpec

CHUNK = 2000  # replications evaluated per vectorised pass


@attrs.frozen
class UncertaintyResult:
    nominal: np.ndarray  # rank of each unit in the nominal index
    ranks: np.ndarray  # (replications, units) ranks of the index
    failures: dict[str, int]  # reason -> replications an alternative could not evaluate
    inputs: tuple[str, ...]  # what varied, in words

    @property
    def median(self) -> np.ndarray:
        return np.median(self._valid(), axis=0)

    def interval(self, low: float = 5, high: float = 95) -> tuple[np.ndarray, np.ndarray]:
        valid = self._valid()
        return np.percentile(valid, low, axis=0), np.percentile(valid, high, axis=0)

    def _valid(self) -> np.ndarray:
        ranks = self.ranks.astype(float)
        ranks[ranks == 0] = np.nan
        return np.where(np.isnan(ranks), np.nanmax(ranks), ranks)


def describe(spec: UncertaintySpec) -> tuple[str, ...]:
    out = []
    if spec.weight_noise:
        depths = ", ".join(map(str, spec.weight_depths))
        out.append(f"weights ±{spec.weight_noise:.0%} (children of nodes at depth {depths})")
    if spec.normalisers:
        out.append("normaliser: " + " or ".join(n.describe() for n in spec.normalisers))
    if spec.aggregators:
        out.append("aggregator: " + " or ".join(a.describe() for a in spec.aggregators))
    if spec.imputers:
        out.append("imputation: " + " or ".join(i.describe() for i in spec.imputers))
    if spec.treatments:
        out.append(
            "outlier treatment: "
            + " or ".join(t.describe() if t is not None else "none" for t in spec.treatments)
        )
    if spec.exclude_one:
        out.append("one indicator left out (or none)")
    return tuple(out)


def sample(model: IndexModel, spec: UncertaintySpec, size: int, rng: np.random.Generator):
    """Draw ``size`` replications of the uncertain inputs."""
    nodes = list(model.root.walk())
    leaves = tuple(n.name for n in nodes if n.is_leaf)
    variation = Variation(size=size, leaves=leaves)
    if spec.weight_noise:
        for node in nodes:
            if node.depth in spec.weight_depths and len(node.children) > 1:
                nominal = np.array([c.weight for c in node.children])
                noise = rng.uniform(-spec.weight_noise, spec.weight_noise, (size, nominal.size))
                weights = nominal * (1 + noise)
                variation.weights[node.name] = weights / weights.sum(axis=1, keepdims=True)
    if spec.normalisers:
        variation.normalisers = spec.normalisers
        variation.normaliser_choice = rng.integers(0, len(spec.normalisers), size)
    if spec.aggregators:
        variation.aggregators = spec.aggregators
        variation.aggregator_choice = rng.integers(0, len(spec.aggregators), size)
    if spec.exclude_one:
        variation.excluded = rng.integers(-1, len(leaves), size)  # -1: nothing left out
    if spec.imputers:
        variation.imputers = spec.imputers
        variation.imputer_choice = rng.integers(0, len(spec.imputers), size)
    if spec.treatments:
        variation.treatments = spec.treatments
        variation.treatment_choice = rng.integers(0, len(spec.treatments), size)
    return variation


def chunk_of(variation: Variation, start: int, stop: int) -> Variation:
    """Replications ``start:stop`` of a variation, as a variation of their own."""

    def part(array):
        return None if array is None else array[start:stop]

    return Variation(
        size=stop - start,
        weights={k: v[start:stop] for k, v in variation.weights.items()},
        normalisers=variation.normalisers,
        normaliser_choice=part(variation.normaliser_choice),
        aggregators=variation.aggregators,
        aggregator_choice=part(variation.aggregator_choice),
        excluded=part(variation.excluded),
        imputers=variation.imputers,
        imputer_choice=part(variation.imputer_choice),
        treatments=variation.treatments,
        treatment_choice=part(variation.treatment_choice),
        leaves=variation.leaves,
        failures=variation.failures,
        offset=start,
    )


def run_uncertainty(
    evaluator: Evaluator,
    spec: UncertaintySpec,
    size: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> UncertaintyResult:
    model = evaluator.model
    root = model.root.name
    nominal = evaluator.level("unit").ranks[root]
    variation = sample(model, spec, size, np.random.default_rng(seed))
    ranks = np.empty((size, len(nominal)), dtype=np.int64)
    for start in range(0, size, CHUNK):
        stop = min(start + CHUNK, size)
        result = evaluator.level("unit", chunk_of(variation, start, stop), ranked=(root,))
        ranks[start:stop] = result.ranks[root]
        if progress is not None:
            progress(stop - start)
    failures = {reason: len(rows) for reason, rows in variation.failures.items()}
    return UncertaintyResult(nominal, ranks, failures, describe(spec))
