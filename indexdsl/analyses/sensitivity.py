"""Sensitivity analysis: which uncertain input moves the ranking most (Sobol indices).

Each input declared in the `uncertainty` block is one factor: the weights, the
normaliser, the aggregator, the imputation, the outlier treatment, the indicator left
out.  The output is the mean absolute shift of the units' ranks from the nominal
ranking.  The design is Saltelli's (2010): two matrices A and B of N points of a
scrambled Sobol' sequence (scipy's ``qmc.Sobol``, computed by ``sobol.py``) and, for
each factor, A with that factor's columns taken from B; first-order indices by
Saltelli's 2010 estimator, total indices by Jansen's, as scipy's ``sobol_indices``
computes them.  The n·(d + 2)
evaluations run through the batched engine, one pass per chunk.

The weights are drawn per evaluation exactly as ``indexdsl uncertainty`` draws them
(each weight times a factor uniform in [1 − noise, 1 + noise], rescaled): the weights
factor is a *group* of columns, one per weight that varies, swapped together.  So every
source of randomness is in the design, and the bootstrap intervals cover it (a fixed
pool of weight sets, drawn once from the seed, would add noise the intervals miss).

An evaluation that fails (an alternative that cannot be evaluated on these data) is
left out: a base sample j enters the estimators only when all d + 2 of its evaluations
succeeded (every estimator is a mean over j).  Intervals are percentile-bootstrap
intervals over the base samples, computed in chunks: time and memory grow linearly
with N.  Nothing here needs scipy (beyond 1024 Sobol' dimensions, ``sobol.py`` asks it).
"""

from __future__ import annotations

import attrs
import numpy as np

from indexdsl.analyses.sobol import sobol
from indexdsl.analyses.uncertainty import (
    CHUNK,
    failed_rows,
    noisy_weights,
    varied_weights,
)
from indexdsl.batched import Variation
from indexdsl.components import Engine
from indexdsl.evaluate import Evaluator
from indexdsl.model import UncertaintySpec

#: bootstrap resamples drawn at once (memory: this many × N indices)
BOOTSTRAP_CHUNK = 50


@attrs.frozen
class SensitivityResult:
    factors: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_interval: np.ndarray  # (2, factors): low, high
    total_interval: np.ndarray
    evaluations: int  # index evaluations run: N·(d + 2)
    failures: dict[str, int]  # reason -> evaluations that failed for it
    base_samples: int = 0  # N
    #: base samples left out because one of their evaluations failed
    incomplete: int = 0

    @property
    def used(self) -> int:
        return self.base_samples - self.incomplete

    @property
    def failed_share(self) -> float:
        return self.incomplete / self.base_samples if self.base_samples else 0.0

    def reliable(self, max_failed: float) -> bool:
        return self.failed_share <= max_failed and self.used >= 2


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


def estimate(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices from the outputs on
    A and B (n) and on each A_B^(i) (d, n)."""
    variance = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)
    variance = np.where(variance > 0, variance, np.nan)
    first = np.mean(f_b[..., None, :] * (f_ab - f_a[..., None, :]), axis=-1) / variance[..., None]
    total = 0.5 * np.mean((f_a[..., None, :] - f_ab) ** 2, axis=-1) / variance[..., None]
    return first, total


def bootstrap_intervals(
    f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, resamples: int,
    rng: np.random.Generator, confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Percentile-bootstrap intervals of the first and total indices: the base samples
    drawn with replacement ``resamples`` times, in chunks (memory linear in N).

    Every estimator of :func:`estimate` is a mean over the base samples (the variance
    too: the mean of the squares less the square of the mean), so a resample's
    estimates are sums of per-sample terms weighted by how often the resample drew each
    sample: one (resamples × N) matrix of counts times one (N × terms) matrix, rather
    than the terms gathered per resample.  The draws are those of gathering
    (``rng.integers`` in the same chunks); the sums differ from it in their last bits."""
    n = f_a.size
    d = f_ab.shape[0]
    centre = (f_a.mean() + f_b.mean()) / 2  # the variance does not depend on it
    a, b = f_a - centre, f_b - centre
    terms = np.column_stack(
        [a, b, a * a, b * b, (f_b * (f_ab - f_a)).T, ((f_a - f_ab) ** 2).T]
    )  # (n, 4 + 2d)
    firsts, totals = [], []
    for start in range(0, resamples, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, resamples - start)
        picks = rng.integers(0, n, (size, n))
        picks += np.arange(size)[:, None] * n
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n)
        sums = (counts @ terms) / n  # (size, 4 + 2d): means over each resample
        mean = (sums[:, 0] + sums[:, 1]) / 2
        variance = (sums[:, 2] + sums[:, 3]) / 2 - mean * mean
        variance = np.where(variance > 0, variance, np.nan)[:, None]
        firsts.append(sums[:, 4 : 4 + d] / variance)
        totals.append(0.5 * sums[:, 4 + d :] / variance)
    tail = (1 - confidence) / 2 * 100
    first, total = np.concatenate(firsts), np.concatenate(totals)
    return (
        np.nanpercentile(first, [tail, 100 - tail], axis=0),
        np.nanpercentile(total, [tail, 100 - tail], axis=0),
    )


def run_sensitivity(
    evaluator: Evaluator,
    spec: UncertaintySpec,
    n: int,
    seed: int,
    bootstrap: int = 1000,
    progress=None,
    engine: Engine | None = None,
) -> SensitivityResult:
    """Sobol indices of each uncertain input on the mean absolute rank shift;
    ``progress(k)`` is called as each chunk of k index evaluations is done; ``engine``
    evaluates the chunks (None: in this process) of the design drawn here."""
    model = evaluator.model
    root = model.root.name
    names = factors(spec)
    if len(names) < 2:
        raise ValueError("a sensitivity analysis needs two uncertain inputs or more")
    weighted = varied_weights(model, spec)
    # the columns of each factor: one per varied weight for the weights, else one
    widths = [sum(w.size for _, w in weighted) if f == "weights" else 1 for f in names]
    edges = np.concatenate([[0], np.cumsum(widths)])
    columns = int(edges[-1])
    rng = np.random.default_rng(seed)
    base = sobol(2 * columns, n, rng)
    a, b = base[:, :columns], base[:, columns:]
    design = [a, b]
    for i in range(len(names)):
        ab = a.copy()
        ab[:, edges[i] : edges[i + 1]] = b[:, edges[i] : edges[i + 1]]
        design.append(ab)
    x = np.concatenate(design)  # ((d + 2)·n, columns)
    nominal = evaluator.level("unit", ranked=(root,)).ranks[root].astype(float)
    leaves = tuple(node.name for node in model.root.walk() if node.is_leaf)
    failures: dict[str, set[int]] = {}
    shift = np.empty(x.shape[0])

    def chunks():
        for start in range(0, x.shape[0], CHUNK):
            rows = x[start : start + CHUNK]
            variation = _variation(rows, names, edges, weighted, spec, leaves, failures)
            variation.offset = start
            yield variation

    start = 0
    for ranks in (engine or Engine()).evaluate_replications(evaluator, chunks(), root):
        ranks = ranks.astype(float)
        ranks[ranks == 0] = np.nan
        with np.errstate(all="ignore"):
            shift[start : start + len(ranks)] = _mean_shift(ranks, nominal)
        start += len(ranks)
        if progress is not None:
            progress(len(ranks))
    shift[failed_rows(failures, x.shape[0])] = np.nan
    outputs = shift.reshape(len(names) + 2, n)
    complete = np.all(np.isfinite(outputs), axis=0)
    f_a, f_b, f_ab = outputs[0, complete], outputs[1, complete], outputs[2:, complete]
    nan = np.full(len(names), np.nan)
    if complete.sum() >= 2:
        first, total = estimate(f_a, f_b, f_ab)
        first_interval, total_interval = bootstrap_intervals(f_a, f_b, f_ab, bootstrap, rng)
    else:
        first, total = nan, nan
        first_interval = total_interval = np.vstack([nan, nan])
    return SensitivityResult(
        factors=tuple(names),
        first=first,
        total=total,
        first_interval=first_interval,
        total_interval=total_interval,
        evaluations=int(x.shape[0]),
        failures={reason: len(rows) for reason, rows in failures.items()},
        base_samples=n,
        incomplete=int(n - complete.sum()),
    )


def _mean_shift(ranks: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Mean absolute rank shift of the units ranked in both; NaN without any."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.abs(ranks - nominal), axis=1)


def _variation(rows, names, edges, weighted, spec, leaves, failures) -> Variation:
    """The evaluations of some rows of the design: each factor's columns read as its
    choice (an alternative, or the uniform draws of the weights)."""
    variation = Variation(size=len(rows), leaves=leaves, failures=failures)
    column = {name: rows[:, edges[i] : edges[i + 1]] for i, name in enumerate(names)}
    if weighted:
        at = 0
        for node, nominal in weighted:
            u = column["weights"][:, at : at + nominal.size]
            variation.weights[node] = noisy_weights(nominal, spec.weight_noise, u)
            at += nominal.size
    if spec.normalisers:
        variation.normalisers = spec.normalisers
        variation.normaliser_choice = _choose(column["normaliser"][:, 0], len(spec.normalisers))
    if spec.aggregators:
        variation.aggregators = spec.aggregators
        variation.aggregator_choice = _choose(column["aggregator"][:, 0], len(spec.aggregators))
    if spec.exclude_one:
        chosen = _choose(column["indicator left out"][:, 0], len(leaves) + 1)
        variation.excluded = chosen - 1
    if spec.imputers:
        variation.imputers = spec.imputers
        variation.imputer_choice = _choose(column["imputation"][:, 0], len(spec.imputers))
    if spec.treatments:
        variation.treatments = spec.treatments
        variation.treatment_choice = _choose(
            column["outlier treatment"][:, 0], len(spec.treatments)
        )
    return variation
