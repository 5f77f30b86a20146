"""Aggregators.  ``values`` is (..., units, children) with NaN for missing scores;
missing children are skipped and the remaining weights rescaled to sum to one (the
convention COINr uses by default).  Formulas: docs/explanation/methodology.md."""

from __future__ import annotations

import numpy as np

from indexdsl.components import Aggregator, ComponentValueError, Param
from indexdsl.hookspecs import hookimpl


def _available_weights(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(…, units, children) weights: 0 for a missing child, the others rescaled to sum
    to one (NaN for a unit without any child).  For weights of one row (children,);
    weights that vary per replication go through :func:`_weighted_mean` instead."""
    w = np.broadcast_to(np.expand_dims(weights, -2), values.shape)
    w = np.where(np.isnan(values), 0.0, w)
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / total


def _batched(values, weights) -> bool:
    """Scores of replications (replications, units, children), or weights of one row
    per replication (replications, children): :func:`_weighted_mean` takes them.  One
    evaluation's (units, children) scores keep the sums of :func:`_available_weights`."""
    return np.ndim(values) >= 3 or np.ndim(weights) >= 2


def _weighted_mean(terms: np.ndarray, weights) -> np.ndarray:
    """Σ w·t / Σ w over each unit's children present (``terms`` is NaN where a child is
    missing), NaN for a unit without any: the weighted mean that skips a missing child
    and rescales the others' weights.  One contraction over the children (``einsum``,
    or a matrix-vector product for one row of weights), so weights of (replications,
    children) never grow into (replications, units, children) arrays; a missing child
    makes its unit's sum NaN, and only those units are summed again without it.  The
    sums run in another order than :func:`_available_weights`' (the last bits can
    differ; ``tests/test_batched_weights.py`` compares both to 1e-12)."""
    weights = np.asarray(weights, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if weights.ndim == 1:
            out = (terms @ weights) / weights.sum()
        else:
            out = np.einsum("...uc,...c->...u", terms, weights) / weights.sum(axis=-1)[..., None]
        gaps = np.isnan(out)
        if gaps.any():
            children = terms.shape[-1]
            rows = np.broadcast_to(terms, out.shape + (children,))[gaps]
            w = np.broadcast_to(weights[..., None, :], out.shape + (children,))[gaps]
            w = np.where(np.isnan(rows), 0.0, w)
            present = w.sum(axis=-1)
            total = np.sum(np.where(np.isnan(rows), 0.0, rows) * w, axis=-1)
            out[gaps] = np.where(present == 0, np.nan, total / present)
    return out


class ArithmeticMeanAggregator(Aggregator):
    additive = True
    name = "arithmetic"
    summary = "weighted arithmetic mean (full compensation between children)"
    role_default = True  # what an index without `aggregate` uses
    additive = True

    def aggregate(self, values, weights):
        weights = np.asarray(weights)
        if _batched(values, weights):
            return _weighted_mean(values, weights)
        if not np.isnan(values).any():
            # nothing missing: the same sums as below, without the (units, children)
            # temporaries (a pathway index has millions of rows)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (values * (weights / weights.sum())).sum(axis=-1)
        w = _available_weights(values, weights)
        return np.nansum(np.where(np.isnan(values), 0.0, values) * w, axis=-1) / np.where(
            np.isnan(w).all(axis=-1), np.nan, 1.0
        )


class GeometricMeanAggregator(Aggregator):
    name = "geometric"
    summary = "weighted geometric mean (partial compensation); needs positive scores"
    params = (
        Param(
            "nonpositive",
            str,
            "error",
            'a zero or negative child score: "error" stops the run, "missing" leaves that '
            "unit without a score (UNDP publishes no HDI where a dimension index is 0)",
        ),
    )

    def aggregate(self, values, weights):
        if self.nonpositive not in ("error", "missing"):
            raise ComponentValueError(
                f'`nonpositive` must be "error" or "missing", not "{self.nonpositive}"'
            )
        # a child weighted 0 takes no part: its zero or missing score changes nothing
        values = np.where(_aligned(weights, values) == 0, 1.0, values)
        bad = values <= 0
        if self.nonpositive == "missing":
            values = np.where(bad.any(axis=-1, keepdims=True), np.nan, values)
            out = self._mean(values, weights)
            return np.where(bad.any(axis=-1), np.nan, out)
        if np.any(bad):
            units = tuple(int(u) for u in np.unique(np.nonzero(bad)[-2]))
            raise ComponentValueError(
                "a geometric mean needs positive scores, but some are zero or negative",
                help="normalise to a range above zero, e.g. `normalise minmax(1, 100)`, "
                "or use `aggregate arithmetic`",
                units=units,
            )
        return self._mean(values, weights)

    @staticmethod
    def _mean(values, weights):
        if _batched(values, weights):
            return np.exp(_weighted_mean(np.log(values), weights))  # log(NaN) is NaN
        w = _available_weights(values, weights)
        logs = np.where(np.isnan(values), 0.0, np.log(np.where(np.isnan(values), 1.0, values)))
        out = np.exp(np.sum(logs * np.nan_to_num(w), axis=-1))
        return np.where(np.isnan(w).all(axis=-1), np.nan, out)


def _aligned(weights, values) -> np.ndarray:
    """Weights shaped to broadcast against ``values``: (replications, children) weights
    against (replications, units, children) values gain a units axis."""
    w = np.asarray(weights, dtype=float)
    if w.ndim == 2 and values.ndim == 3:
        return w[:, None, :]
    return w


def _no_children(w: np.ndarray) -> np.ndarray:
    """Units with no present child (their rescaled weights are NaN)."""
    return np.isnan(w).all(axis=-1)


def _require(bad: np.ndarray, message: str, help: str) -> None:
    if np.any(bad):
        units = tuple(int(u) for u in np.unique(np.nonzero(bad)[-2]))
        raise ComponentValueError(message, help=help, units=units)


class HarmonicMeanAggregator(Aggregator):
    name = "harmonic"
    summary = "weighted harmonic mean (less compensation than geometric); needs positive scores"

    def aggregate(self, values, weights):
        _require(
            values <= 0,
            "a harmonic mean needs positive scores, but some are zero or negative",
            "normalise to a range above zero, e.g. `normalise minmax(1, 100)`, "
            "or use `aggregate arithmetic`",
        )
        if _batched(values, weights):
            return 1.0 / _weighted_mean(1.0 / values, weights)  # scores > 0 or NaN
        w = _available_weights(values, weights)
        inverse = np.where(
            np.isnan(values), 0.0, np.nan_to_num(w) / np.where(np.isnan(values), 1.0, values)
        )
        with np.errstate(divide="ignore"):  # a unit with no child: replaced by NaN below
            out = 1.0 / inverse.sum(axis=-1)
        return np.where(_no_children(w), np.nan, out)


class PowerMeanAggregator(Aggregator):
    name = "power_mean"
    summary = "weighted generalised mean of order p (1 arithmetic, 0 geometric, -1 harmonic)"
    params = (Param("p", float, doc="order: 1 arithmetic, 0 geometric, -1 harmonic"),)

    def aggregate(self, values, weights):
        p = float(self.p)
        if p <= 0:
            _require(
                values <= 0,
                f"a power mean of order {p:g} needs positive scores, but some are zero or negative",
                "normalise to a range above zero, e.g. `normalise minmax(1, 100)`",
            )
        elif p != 1:
            _require(
                values < 0,
                f"a power mean of order {p:g} needs scores that are not negative",
                "normalise to a range without negative scores, e.g. `normalise minmax`",
            )
        if _batched(values, weights):
            return self._batched_mean(values, weights, p)
        w = _available_weights(values, weights)
        wz = np.nan_to_num(w)
        missing = np.isnan(values)
        if p == 0:
            logs = np.log(np.where(missing, 1.0, values))
            out = np.exp(np.sum(logs * wz, axis=-1))
        else:
            # factor out the largest (p > 0) or smallest (p < 0) score against overflow
            if p > 0:
                ref = np.fmax.reduce(values, axis=-1, keepdims=True)
            else:
                ref = np.fmin.reduce(values, axis=-1, keepdims=True)
            ref = np.where(np.isnan(ref) | (ref == 0), 1.0, ref)
            with np.errstate(divide="ignore", over="ignore"):
                terms = np.where(missing, 0.0, (np.where(missing, 1.0, values) / ref) ** p)
                out = ref[..., 0] * np.sum(terms * wz, axis=-1) ** (1.0 / p)
        return np.where(_no_children(w), np.nan, out)

    @staticmethod
    def _batched_mean(values, weights, p: float) -> np.ndarray:
        if p == 0:
            return np.exp(_weighted_mean(np.log(values), weights))
        if p > 0:
            ref = np.fmax.reduce(values, axis=-1, keepdims=True)
        else:
            ref = np.fmin.reduce(values, axis=-1, keepdims=True)
        ref = np.where(np.isnan(ref) | (ref == 0), 1.0, ref)
        with np.errstate(divide="ignore", over="ignore"):
            return ref[..., 0] * _weighted_mean((values / ref) ** p, weights) ** (1.0 / p)


class MinimumAggregator(Aggregator):
    name = "minimum"
    summary = "the lowest child score (no compensation; weights are ignored)"

    def aggregate(self, values, weights):
        return np.fmin.reduce(values, axis=-1)  # skips NaN; NaN only if all are missing


class MazziottaParetoAggregator(Aggregator):
    name = "mazziotta_pareto"
    summary = (
        "Mazziotta-Pareto index: mean minus a penalty for unbalance, M (1 - cv^2); "
        "use with `zscore(100, 10)`"
    )
    #: raising a child that is already far above the others can lower the index
    monotone = False

    def aggregate(self, values, weights):
        if _batched(values, weights):
            mean = _weighted_mean(values, weights)
            var = _weighted_mean((values - mean[..., None]) ** 2, weights)
            none = np.isnan(mean)
            mean, var = np.nan_to_num(mean), np.nan_to_num(var)
        else:
            missing = np.isnan(values)
            filled = np.where(missing, 0.0, values)
            w = _available_weights(values, weights)
            wz = np.nan_to_num(w)
            mean = np.sum(filled * wz, axis=-1)
            var = np.sum(wz * (filled - mean[..., None]) ** 2 * ~missing, axis=-1)
            none = _no_children(w)
        bad = (mean <= 0) & ~none
        if np.any(bad):
            units = tuple(int(u) for u in np.unique(np.nonzero(bad)[-1]))
            raise ComponentValueError(
                "the Mazziotta-Pareto index needs a positive mean score, but some units "
                "have a mean of zero or less (the coefficient of variation is undefined)",
                help="standardise the indicators as the MPI does: `normalise zscore(100, 10)`",
                units=units,
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            out = mean - var / mean  # M - S * cv, with cv = S / M
        return np.where(none, np.nan, out)


class CopelandAggregator(Aggregator):
    name = "copeland"
    summary = (
        "Copeland: pairwise weighted majority between units; score = wins - losses "
        "(depends on the other units)"
    )
    #: a unit's score cannot fall when one of its own child scores rises
    monotone = True
    #: weighted votes closer than this to a tie count as a tie (weights such as 1/3)
    TOLERANCE = 1e-12

    #: elements of the (block, units, units, children) comparison array made at once
    BLOCK_ELEMENTS = 4_000_000

    def aggregate(self, values, weights):
        values = np.asarray(values, dtype=float)
        *lead, units, children = values.shape
        flat = values.reshape(-1, units, children)
        w = np.broadcast_to(np.asarray(weights, dtype=float), (*lead, children))
        w = w.reshape(-1, children)
        score = np.empty(flat.shape[:2])
        # batches of replications (uncertainty analysis) in blocks: the comparison of
        # every pair of units costs units^2 * children per replication
        step = max(1, self.BLOCK_ELEMENTS // max(1, units * units * children))
        for start in range(0, flat.shape[0], step):
            block = flat[start : start + step]
            score[start : start + step] = self._scores(block, w[start : start + step])
        score = score.reshape(*lead, units)
        return np.where(np.isnan(values).all(axis=-1), np.nan, score)

    def _scores(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        # wins[b, i, j] = weight of the children on which unit i beats unit j (a
        # comparison with a missing value is false, so it counts for neither)
        n, units, children = values.shape
        above = values[:, :, None, :] > values[:, None, :, :]
        wins = np.einsum("bkc,bc->bk", above.reshape(n, units * units, children), weights)
        wins = wins.reshape(n, units, units)
        margin = wins - wins.transpose(0, 2, 1)
        outcome = np.where(np.abs(margin) <= self.TOLERANCE, 0.0, np.sign(margin))
        return outcome.sum(axis=-1)


@hookimpl
def indexdsl_register_aggregators():
    return [
        ArithmeticMeanAggregator,
        GeometricMeanAggregator,
        HarmonicMeanAggregator,
        PowerMeanAggregator,
        MinimumAggregator,
        MazziottaParetoAggregator,
        CopelandAggregator,
    ]
