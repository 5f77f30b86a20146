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

from indexdsl.batched import Variation
from indexdsl.components import Engine
from indexdsl.evaluate import Evaluator
from indexdsl.model import IndexModel, UncertaintySpec

CHUNK = 2000  # replications evaluated per vectorised pass


#: share of failed replications (or evaluations) above which an analysis is not reliable
MAX_FAILED = 0.05


@attrs.frozen
class UncertaintyResult:
    """Ranks over the replications.  A replication that could not be evaluated (an
    alternative that fails on these data, such as a geometric mean over a zero) is left
    out of every statistic, as COINr leaves NA out: ``failed`` marks it, ``failures``
    says why, ``levels`` how often each alternative failed when drawn.  A unit without a
    rank in a replication that was evaluated (no score: missing data) is left out of
    that unit's statistics only; ``left_out`` is the share left out per unit."""

    nominal: np.ndarray  # rank of each unit in the nominal index (0: not ranked)
    ranks: np.ndarray  # (replications, units) ranks of the index (0: no rank)
    failed: np.ndarray  # (replications,) True where the replication could not be evaluated
    failures: dict[str, int]  # reason -> replications that failed for it
    inputs: tuple[str, ...]  # what varied, in words
    #: "aggregator: geometric" -> (replications that failed, replications that drew it)
    levels: dict[str, tuple[int, int]] = attrs.field(factory=dict)

    @property
    def replications(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def evaluated(self) -> int:
        return int(self.replications - self.failed.sum())

    @property
    def failed_share(self) -> float:
        return float(self.failed.mean()) if self.replications else 0.0

    def reliable(self, max_failed: float = MAX_FAILED) -> bool:
        """At most ``max_failed`` of the replications failed."""
        return self.failed_share <= max_failed

    @property
    def left_out(self) -> np.ndarray:
        """Per unit, the share of the evaluated replications that give it no rank (no
        score: its data are missing under the alternative drawn); the failed
        replications are left out of every unit alike, and counted apart."""
        ranks = self._ranks()
        return np.isnan(ranks).mean(axis=0) if ranks.shape[0] else np.zeros(ranks.shape[1])

    @property
    def median(self) -> np.ndarray:
        return _quiet(np.nanmedian, self._ranks(), axis=0)

    def interval(self, low: float = 5, high: float = 95) -> tuple[np.ndarray, np.ndarray]:
        ranks = self._ranks()
        return (
            _quiet(np.nanpercentile, ranks, low, axis=0),
            _quiet(np.nanpercentile, ranks, high, axis=0),
        )

    def _ranks(self) -> np.ndarray:
        """Ranks of the evaluated replications as floats, NaN for no rank."""
        ranks = self.ranks[~self.failed].astype(float)
        ranks[ranks == 0] = np.nan
        return ranks


def _quiet(function, *args, **kwargs) -> np.ndarray:
    """A nan-statistic without numpy's warning for a unit with no rank at all (NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if args[0].shape[0] == 0:
            return np.full(args[0].shape[1], np.nan)
        return function(*args, **kwargs)


def failed_rows(failures: dict[str, set[int]], size: int) -> np.ndarray:
    """The replications (or evaluations) named in an evaluation's failures, as a mask."""
    mask = np.zeros(size, dtype=bool)
    for rows in failures.values():
        mask[np.fromiter(rows, dtype=np.int64, count=len(rows))] = True
    return mask


def level_failures(variation: Variation, failed: np.ndarray) -> dict[str, tuple[int, int]]:
    """For each alternative of each uncertain input: how many replications drew it, and
    how many of those failed."""
    out: dict[str, tuple[int, int]] = {}
    for what, options, choice in (
        ("normaliser", variation.normalisers, variation.normaliser_choice),
        ("aggregator", variation.aggregators, variation.aggregator_choice),
        ("imputation", variation.imputers, variation.imputer_choice),
        ("outlier treatment", variation.treatments, variation.treatment_choice),
    ):
        for k, option in enumerate(options):
            drew = choice == k
            name = "none" if option is None else option.describe()
            out[f"{what}: {name}"] = (int((failed & drew).sum()), int(drew.sum()))
    return out


def describe(spec: UncertaintySpec) -> tuple[str, ...]:
    out = []
    if spec.weight_noise:
        depths = ", ".join(str(d + 1) for d in spec.weight_depths)
        out.append(f"weights ±{spec.weight_noise:.0%} (of the nodes at depth {depths})")
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


def varied_weights(model: IndexModel, spec: UncertaintySpec) -> list[tuple[str, np.ndarray]]:
    """The nodes whose children's weights vary, with those weights as written."""
    if not spec.weight_noise:
        return []
    return [
        (node.name, np.array([c.weight for c in node.children]))
        for node in model.root.walk()
        if node.depth in spec.weight_depths and len(node.children) > 1
    ]


def noisy_weights(nominal: np.ndarray, noise: float, u: np.ndarray) -> np.ndarray:
    """Weights perturbed as both analyses perturb them: each multiplied by a factor
    uniform in [1 − noise, 1 + noise] (``u`` uniform in [0, 1), one column per weight),
    then rescaled to sum to 1 (COINr's ``get_noisy_weights``)."""
    weights = nominal * (1 + (-noise + 2 * noise * u))
    return weights / weights.sum(axis=1, keepdims=True)


def sample(model: IndexModel, spec: UncertaintySpec, size: int, rng: np.random.Generator):
    """Draw ``size`` replications of the uncertain inputs."""
    nodes = list(model.root.walk())
    leaves = tuple(n.name for n in nodes if n.is_leaf)
    variation = Variation(size=size, leaves=leaves)
    for name, nominal in varied_weights(model, spec):
        variation.weights[name] = noisy_weights(
            nominal, spec.weight_noise, rng.random((size, nominal.size))
        )
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
    engine: Engine | None = None,
) -> UncertaintyResult:
    """``engine`` evaluates the chunks of replications (``--engine``); None: in this
    process.  The inputs are drawn here, once, whatever evaluates them."""
    model = evaluator.model
    root = model.root.name
    nominal = evaluator.level("unit").ranks[root]
    variation = sample(model, spec, size, np.random.default_rng(seed))
    ranks = np.empty((size, len(nominal)), dtype=np.int64)
    chunks = (chunk_of(variation, at, min(at + CHUNK, size)) for at in range(0, size, CHUNK))
    start = 0
    for chunk in (engine or Engine()).evaluate_replications(evaluator, chunks, root):
        ranks[start : start + len(chunk)] = chunk
        start += len(chunk)
        if progress is not None:
            progress(len(chunk))
    failures = {reason: len(rows) for reason, rows in variation.failures.items()}
    failed = failed_rows(variation.failures, size)
    levels = level_failures(variation, failed)
    return UncertaintyResult(nominal, ranks, failed, failures, describe(spec), levels)
