"""Sensitivity analysis: which uncertain input moves the ranking most (Sobol indices).

Each input declared in the `uncertainty` block is one factor: the weights (a pool of
weight sets drawn with the declared noise, as COINr does), the normaliser, the
aggregator, the indicator left out.  The output is the mean absolute shift of the
units' ranks from the nominal ranking.  Sampling and estimators are scipy's
(``scipy.stats.sobol_indices``, Saltelli 2010 with bootstrap confidence intervals);
the n·(d + 2) evaluations run through the batched engine in one pass per chunk.
scipy is an optional dependency (``pip install "indexdsl[stats]"``).
"""

from __future__ import annotations

import attrs
import numpy as np

from indexdsl.analyses.uncertainty import CHUNK, chunk_of, sample
from indexdsl.evaluate import Evaluator, Variation
from indexdsl.model import UncertaintySpec

WEIGHT_SETS = 100  # size of the pool the weights factor picks from


@attrs.frozen
class SensitivityResult:
    factors: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray  # (2, factors): low, high
    total_interval: np.ndarray
    evaluations: int
    failures: dict[str, int]


def factors(spec: UncertaintySpec) -> list[str]:
    out = []
    if spec.weight_noise:
        out.append("weights")
    if spec.normalisers:
        out.append("normaliser")
    if spec.aggregators:
        out.append("aggregator")
    if spec.imputers:
        out.append("imputation")
    if spec.treatments:
        out.append("outlier treatment")
    if spec.exclude_one:
        out.append("indicator left out")
    return out


def _choose(u: np.ndarray, options: int) -> np.ndarray:
    return np.minimum((u * options).astype(np.int64), options - 1)


def run_sensitivity(
    evaluator: Evaluator,
    spec: UncertaintySpec,
    n: int,
    seed: int,
    bootstrap: int = 1000,
    progress=None,
) -> SensitivityResult:
    """Sobol indices of each uncertain input on the mean absolute rank shift;
    ``progress(k)`` is called as each chunk of k index evaluations is done."""
    try:
        from scipy import stats
    except ImportError:  # pragma: no cover - scipy is a dev dependency
        raise ImportError(
            'sensitivity analysis needs scipy: pip install "indexdsl[stats]"'
        ) from None
    model = evaluator.model
    root = model.root.name
    names = factors(spec)
    if len(names) < 2:
        raise ValueError("a sensitivity analysis needs two uncertain inputs or more")
    rng = np.random.default_rng(seed)
    pool = (
        sample(
            model,
            attrs.evolve(
                spec, normalisers=(), aggregators=(), exclude_one=False, imputers=(), treatments=()
            ),
            WEIGHT_SETS,
            rng,
        )
        if spec.weight_noise
        else None
    )
    nominal = evaluator.level("unit", ranked=(root,)).ranks[root].astype(float)
    leaves = tuple(node.name for node in model.root.walk() if node.is_leaf)
    failures: dict[str, set[int]] = {}
    done = [0]

    def func(x: np.ndarray) -> np.ndarray:
        size = x.shape[1]
        rows = dict(zip(names, x, strict=True))
        variation = Variation(size=size, leaves=leaves, failures=failures)
        if pool is not None:
            picks = _choose(rows["weights"], WEIGHT_SETS)
            variation.weights = {node: w[picks] for node, w in pool.weights.items()}
        if spec.normalisers:
            variation.normalisers = spec.normalisers
            variation.normaliser_choice = _choose(rows["normaliser"], len(spec.normalisers))
        if spec.aggregators:
            variation.aggregators = spec.aggregators
            variation.aggregator_choice = _choose(rows["aggregator"], len(spec.aggregators))
        if spec.exclude_one:
            variation.excluded = _choose(rows["indicator left out"], len(leaves) + 1) - 1
        if spec.imputers:
            variation.imputers = spec.imputers
            variation.imputer_choice = _choose(rows["imputation"], len(spec.imputers))
        if spec.treatments:
            variation.treatments = spec.treatments
            variation.treatment_choice = _choose(rows["outlier treatment"], len(spec.treatments))
        shift = np.empty(size)
        for start in range(0, size, CHUNK):
            stop = min(start + CHUNK, size)
            part = chunk_of(variation, start, stop)
            part.offset = done[0] + start
            ranks = evaluator.level("unit", part, ranked=(root,)).ranks[root].astype(float)
            ranks[ranks == 0] = np.nan
            shift[start:stop] = np.nanmean(np.abs(ranks - nominal), axis=1)
            if progress is not None:
                progress(stop - start)
        done[0] += size
        # a replication that could not be evaluated counts as no shift: reported apart
        return np.nan_to_num(shift, nan=0.0)[None, :]

    uniform = [stats.uniform() for _ in names]
    result = stats.sobol_indices(func=func, n=n, dists=uniform, rng=rng)
    ci = result.bootstrap(confidence_level=0.95, n_resamples=bootstrap)
    return SensitivityResult(
        factors=tuple(names),
        first=np.asarray(result.first_order).ravel(),
        total=np.asarray(result.total_order).ravel(),
        first_interval=np.array(
            [ci.first_order.confidence_interval.low, ci.first_order.confidence_interval.high]
        ).reshape(2, -1),
        total_interval=np.array(
            [ci.total_order.confidence_interval.low, ci.total_order.confidence_interval.high]
        ).reshape(2, -1),
        evaluations=done[0],
        failures={reason: len(rows) for reason, rows in failures.items()},
    )
