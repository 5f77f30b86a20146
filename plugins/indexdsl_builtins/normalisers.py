"""Normalisers.  Each receives values oriented so that higher is better (the engine
flips reverse indicators once) and works on the last axis, broadcasting over the rest.
Formulas and references: docs/explanation/methodology.md."""

from __future__ import annotations

import numpy as np

from indexdsl.components import ComponentValueError, Normaliser, Param
from indexdsl.hookspecs import hookimpl


def _all_missing(x: np.ndarray) -> bool:
    return bool(np.isnan(x).all())


class MinMaxNormaliser(Normaliser):
    name = "minmax"
    summary = "rescale linearly so the lowest unit gets `low` and the highest `high`"
    params = (
        Param("low", float, 0.0, "score of the worst unit"),
        Param("high", float, 100.0, "score of the best unit"),
    )

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        lo = np.nanmin(x, axis=-1, keepdims=True)
        hi = np.nanmax(x, axis=-1, keepdims=True)
        spread = hi - lo
        if np.any(spread == 0):
            raise ComponentValueError(
                "all units have the same value (min = max), so min-max is undefined",
                help="drop this indicator, or normalise it with `rank` or `zscore`",
            )
        y = self.low + (x - lo) / spread * (self.high - self.low)
        return y, {"min": lo[..., 0], "max": hi[..., 0]}


class ZScoreNormaliser(Normaliser):
    name = "zscore"
    summary = "standardise to the given mean and standard deviation (sample sd, n-1)"
    params = (
        Param("mean", float, 0.0, "mean of the scores"),
        Param("sd", float, 1.0, "standard deviation of the scores"),
    )

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        mu = np.nanmean(x, axis=-1, keepdims=True)
        sd = np.nanstd(x, axis=-1, ddof=1, keepdims=True)
        if np.any(~(sd > 0)):
            raise ComponentValueError(
                "the standard deviation is zero (all units have the same value)",
                help="drop this indicator, or normalise it with `rank`",
            )
        return self.mean + (x - mu) / sd * self.sd, {"mean": mu[..., 0], "sd": sd[..., 0]}


class RankNormaliser(Normaliser):
    name = "rank"
    summary = "replace values by their rank, 1 for the lowest (ties share the average rank)"

    def normalise(self, x, context=None):
        missing = np.isnan(x)
        filled = np.where(missing, np.inf, x)
        order = np.argsort(filled, axis=-1, kind="stable")
        ranks = np.empty_like(filled)
        np.put_along_axis(
            ranks, order, np.arange(1, x.shape[-1] + 1, dtype=float) * np.ones_like(filled), axis=-1
        )
        # average the ranks of tied values
        flat_x = filled.reshape(-1, x.shape[-1])
        flat_r = ranks.reshape(-1, x.shape[-1])
        for row in range(flat_x.shape[0]):
            values, inverse = np.unique(flat_x[row], return_inverse=True)
            if len(values) < flat_x.shape[1]:
                sums = np.bincount(inverse, weights=flat_r[row])
                counts = np.bincount(inverse)
                flat_r[row] = (sums / counts)[inverse]
        ranks = flat_r.reshape(x.shape)
        return np.where(missing, np.nan, ranks), {}


class GoalpostsNormaliser(Normaliser):
    """Fixed goalposts in the indicator's own units (UNDP's HDI, for instance), so that
    scores are comparable across editions.  Values beyond the goalposts are capped
    (``truncate = 1``, the default) and the fitted state says how many were."""

    name = "goalposts"
    summary = "rescale between fixed goalposts in the indicator's units; cap values beyond them"
    raw_units = True
    params = (
        Param("low", float, doc="the worst value (scores 0)"),
        Param("high", float, doc="the best value (scores `scale`)"),
        Param("scale", float, 1.0, "score of a unit at the best goalpost"),
        Param("truncate", float, 1.0, "1: cap scores to [0, scale]; 0: let them run beyond"),
    )

    def normalise(self, x, context=None):
        if self.high == self.low:
            raise ComponentValueError(
                "the goalposts are equal", help="give two different goalposts: low and high"
            )
        higher_is_better = context.higher_is_better if context is not None else True
        worst, best = (self.low, self.high) if higher_is_better else (self.high, self.low)
        y = (x - worst) / (best - worst)
        below = np.sum(y < 0, axis=-1)
        above = np.sum(y > 1, axis=-1)
        if self.truncate:
            y = np.clip(y, 0.0, 1.0)
        return y * self.scale, {"capped_low": below, "capped_high": above}


@hookimpl
def indexdsl_register_normalisers():
    return [MinMaxNormaliser, ZScoreNormaliser, RankNormaliser, GoalpostsNormaliser]
