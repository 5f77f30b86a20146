"""Normalisers.  Each receives values oriented so that higher is better (the engine
flips reverse indicators once) and works on the last axis, broadcasting over the rest.
Formulas and references: docs/explanation/methodology.md."""

from __future__ import annotations

import numpy as np

from indexdsl.components import CappedNote, ComponentValueError, Context, Normaliser, Param
from indexdsl.diagnostics import suggest
from indexdsl.hookspecs import hookimpl
from indexdsl_builtins._support import affected, as_flag


def _all_missing(x: np.ndarray) -> bool:
    return bool(np.isnan(x).all())


class MinMaxNormaliser(Normaliser):
    name = "minmax"
    summary = "rescale linearly so the lowest unit gets `low` and the highest `high`"
    role_default = True  # what an index without `normalise` uses
    params = (
        Param("low", float, 0.0, "score of the worst unit"),
        Param("high", float, 100.0, "score of the best unit"),
    )

    def validate(self) -> None:
        low, high = float(self.low), float(self.high)
        if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
            raise ComponentValueError(
                f"`high` ({high:g}) must be above `low` ({low:g})",
                help="the best unit gets `high`: to rank lowest first, write `lower is "
                "better` on the indicator instead of reversing the range",
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

    def validate(self) -> None:
        if not (np.isfinite(float(self.mean)) and np.isfinite(float(self.sd))) or self.sd <= 0:
            raise ComponentValueError(
                f"`sd` ({float(self.sd):g}) must be above 0",
                help="the scores' standard deviation: `zscore(100, 10)` gives a mean of 100 "
                "and a standard deviation of 10",
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


class IdentityNormaliser(Normaliser):
    """``normalise none``: the values as they are, for an indicator already on the
    index's scale (a dimension index published as a share, a ratio the method
    aggregates unchanged)."""

    name = "none"
    summary = "keep the values as they are (an indicator already on the index's scale)"
    raw_units = True  # the values reach it as written, not negated

    def normalise(self, x, context=None):
        if context is not None and not context.higher_is_better:
            raise ComponentValueError(
                "`normalise none` keeps the values as they are, so lower values cannot "
                "score better",
                help="give the indicator a normaliser that reverses it (`minmax`, "
                "`goalposts` with the best value second), or write it as higher is better",
            )
        return np.array(x, dtype=float, copy=True), {}


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
        Param("truncate", bool, True, "cap scores to [0, scale] (true) or let them run beyond"),
    )

    def normalise(self, x, context=None):
        if not self.high > self.low:
            raise ComponentValueError(
                "the goalposts must satisfy low < high",
                help="give the lower goalpost first; for an indicator where lower is better, "
                "say `lower is better` and keep low < high",
            )
        higher_is_better = context.higher_is_better if context is not None else True
        worst, best = (self.low, self.high) if higher_is_better else (self.high, self.low)
        y = (x - worst) / (best - worst)
        if not as_flag(self.truncate, "truncate", self.name):
            return y * self.scale, {}
        state = {"capped_low": np.sum(y < 0, axis=-1), "capped_high": np.sum(y > 1, axis=-1)}
        if np.ndim(y) == 1:  # which units, so that a run can say whom the goalposts cap
            state["capped_low_units"] = np.asarray(np.flatnonzero(y < 0)).tolist()
            state["capped_high_units"] = np.asarray(np.flatnonzero(y > 1)).tolist()
        return np.clip(y, 0.0, 1.0) * self.scale, state

    def warnings(self, state):
        return tuple(
            CappedNote(tuple(state[key]), bound, "goalposts chosen here")
            for key, bound in (
                ("capped_low_units", "lower goalpost"),
                ("capped_high_units", "upper goalpost"),
            )
            if state.get(key)
        )


def _count_lower(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each present value, how many present values of its row are strictly lower
    (NaN where missing), and how many values each row has.  Works on the last axis."""
    flat = np.asarray(x, dtype=float).reshape(-1, x.shape[-1])
    out = np.full(flat.shape, np.nan)
    for r, row in enumerate(flat):
        present = ~np.isnan(row)
        out[r, present] = np.searchsorted(np.sort(row[present]), row[present], side="left")
    return out.reshape(x.shape), (~np.isnan(x)).sum(axis=-1)


def _higher_is_better(context: Context | None) -> bool:
    return True if context is None else context.higher_is_better


class PercentileNormaliser(Normaliser):
    """COINr's ``n_prank`` on a 0-100 scale: ties share the lowest percentile."""

    name = "percentile"
    summary = "percentile rank in [0, 100]: share of the other units with a lower value"

    def normalise(self, x, context=None):
        lower, n = _count_lower(x)
        if np.any(n < 2):
            raise ComponentValueError(
                "a percentile rank needs at least two units with a value",
                help="normalise this indicator with `minmax` or `goalposts` instead",
            )
        return 100.0 * lower / (n[..., None] - 1), {"count": n}


class BordaNormaliser(Normaliser):
    """COINr's ``n_borda``: rank with ties at the lowest rank, minus one."""

    name = "borda"
    summary = "Borda count: the number of units with a strictly lower value"

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        lower, n = _count_lower(x)
        return lower, {"count": n}


def _unit_index(component: str, unit: str, context: Context | None, size: int) -> int:
    keys = () if context is None else tuple(context.keys)
    if len(keys) != size:
        raise ComponentValueError(
            f"`{component}` needs the keys of the units, but none were given",
            help=f"use it as an indicator's normaliser: `normalise {component}(unit = KEY)`",
        )
    if unit not in keys:
        where = "pathways" if context is not None and context.level == "pair" else "units"
        hints = suggest(unit, keys)
        raise ComponentValueError(
            f"the reference `{unit}` is not one of the {where}",
            help=f"did you mean `{hints[0]}`?"
            if hints
            else f"give the key of one of the {where}, e.g. `unit = {keys[0]}`",
        )
    return keys.index(unit)


class DistanceToReferenceNormaliser(Normaliser):
    """COINr's ``n_dist2ref``: the reference unit scores 1, the worst unit 0."""

    name = "distance_to_reference"
    summary = "1 - (x_ref - x) / (x_ref - x_min): 1 at the reference unit, 0 at the worst"
    params = (
        Param("unit", str, doc="key of the reference unit"),
        Param("cap", bool, False, "score units better than the reference 1 (true/false)"),
    )

    def normalise(self, x, context=None):
        cap = as_flag(self.cap, "cap", self.name)
        i = _unit_index(self.name, self.unit, context, x.shape[-1])
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        ref = x[..., i : i + 1]
        if np.any(np.isnan(ref)):
            raise ComponentValueError(
                f"the reference unit `{self.unit}` has no value",
                help="choose a reference unit with data for this indicator",
                units=(i,),
            )
        lo = np.nanmin(x, axis=-1, keepdims=True)
        if np.any(ref == lo):
            raise ComponentValueError(
                f"the reference unit `{self.unit}` has the worst value, so x_ref - x_min is zero",
                help="choose a reference unit that is not the worst on this indicator",
                units=(i,),
            )
        y = 1.0 - (ref - x) / (ref - lo)
        state = {"reference": ref[..., 0], "min": lo[..., 0]}
        if cap:
            state["capped"] = (y > 1).sum(axis=-1)
            y = np.minimum(y, 1.0)  # np.minimum keeps NaN
        return y, state


class DistanceToMaxNormaliser(Normaliser):
    """COINr's ``n_dist2max``; algebraically min-max onto [0, 1]."""

    name = "distance_to_max"
    summary = "1 - (x_max - x) / (x_max - x_min): 1 for the best unit, 0 for the worst"

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        lo = np.nanmin(x, axis=-1, keepdims=True)
        hi = np.nanmax(x, axis=-1, keepdims=True)
        if np.any(hi == lo):
            raise ComponentValueError(
                "all units have the same value (min = max), so the distance to the "
                "maximum is undefined",
                help="drop this indicator, or normalise it with `rank` or `percentile`",
            )
        return 1.0 - (hi - x) / (hi - lo), {"min": lo[..., 0], "max": hi[..., 0]}


class DistanceToTargetNormaliser(Normaliser):
    """COINr's ``n_dist2targ``: the worst unit scores 0 and a unit at the target 1."""

    name = "distance_to_target"
    summary = "progress from the worst unit to a target in the indicator's units (1 = target)"
    raw_units = True
    params = (
        Param("target", float, doc="the target, in the indicator's units"),
        Param("cap", bool, False, "score units beyond the target 1 (true/false)"),
    )

    def normalise(self, x, context=None):
        cap = as_flag(self.cap, "cap", self.name)
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        target = float(self.target)
        if _higher_is_better(context):
            worst = np.nanmin(x, axis=-1, keepdims=True)
            if np.any(target <= worst):
                raise ComponentValueError(
                    f"the target {target:g} is not above the lowest value {np.min(worst):g}, "
                    "so every unit already meets it",
                    help="for an indicator where higher is better the target must exceed the "
                    "worst value; check the target, or declare `lower is better`",
                )
            y = (x - worst) / (target - worst)
            state = {"min": worst[..., 0], "target": target}
        else:
            worst = np.nanmax(x, axis=-1, keepdims=True)
            if np.any(target >= worst):
                raise ComponentValueError(
                    f"the target {target:g} is not below the highest value {np.max(worst):g}, "
                    "so every unit already meets it",
                    help="for an indicator where lower is better the target must be below the "
                    "worst value; check the target, or the indicator's direction",
                )
            y = (worst - x) / (worst - target)
            state = {"max": worst[..., 0], "target": target}
        beyond = y > 1
        if cap:
            y = np.minimum(y, 1.0)
            state["capped"] = beyond.sum(axis=-1)
        else:
            state["beyond_target"] = beyond.sum(axis=-1)
        return y, state


def _check_ratio_scale(component: str, x: np.ndarray, higher_is_better: bool) -> None:
    """A ratio needs a true zero: no negative value, and no zero under a reciprocal."""
    bad = x < 0 if higher_is_better else x <= 0
    if np.any(bad):
        raise ComponentValueError(
            f"`{component}` divides values and needs them "
            + (
                "non-negative, but some are negative"
                if higher_is_better
                else "positive, but some are zero or negative"
            ),
            help="normalise values that can be negative with `minmax`, `zscore` or "
            "`distance_to_max`",
            units=affected(bad),
        )


class FractionOfMaxNormaliser(Normaliser):
    """COINr's ``n_fracmax`` (``x / max``), in raw units so that a lower-is-better
    indicator is scored ``min / x`` rather than reversed (see the method's page)."""

    name = "fraction_of_max"
    summary = "x / x_max (lower is better: x_min / x); the best unit scores 1"
    raw_units = True

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        hib = _higher_is_better(context)
        _check_ratio_scale(self.name, x, hib)
        if hib:
            hi = np.nanmax(x, axis=-1, keepdims=True)
            if np.any(hi == 0):
                raise ComponentValueError(
                    "every value is zero, so the fraction of the maximum is undefined",
                    help="drop this indicator",
                )
            return x / hi, {"max": hi[..., 0]}
        lo = np.nanmin(x, axis=-1, keepdims=True)
        return lo / x, {"min": lo[..., 0]}


class RatioToMeanNormaliser(Normaliser):
    """The OECD/JRC Handbook's distance to a reference, with the mean as reference."""

    name = "ratio_to_mean"
    summary = "100 * x / mean (lower is better: 100 * mean / x); the average scores 100"
    raw_units = True

    def normalise(self, x, context=None):
        if _all_missing(x):
            raise ComponentValueError("every value is missing")
        hib = _higher_is_better(context)
        _check_ratio_scale(self.name, x, hib)
        mu = np.nanmean(x, axis=-1, keepdims=True)
        if np.any(mu == 0):
            raise ComponentValueError(
                "every value is zero, so the ratio to the mean is undefined",
                help="drop this indicator",
            )
        y = 100.0 * x / mu if hib else 100.0 * mu / x
        return y, {"mean": mu[..., 0]}


@hookimpl
def indexdsl_register_normalisers():
    return [
        IdentityNormaliser,
        MinMaxNormaliser,
        ZScoreNormaliser,
        RankNormaliser,
        GoalpostsNormaliser,
        PercentileNormaliser,
        BordaNormaliser,
        DistanceToReferenceNormaliser,
        DistanceToMaxNormaliser,
        DistanceToTargetNormaliser,
        FractionOfMaxNormaliser,
        RatioToMeanNormaliser,
    ]
