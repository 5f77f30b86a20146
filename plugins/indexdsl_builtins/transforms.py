"""Functions for indicator expressions.  Each argument arrives as an array."""

from __future__ import annotations

import warnings

import numpy as np

from indexdsl.components import ComponentValueError, Param, Transform
from indexdsl.hookspecs import hookimpl
from indexdsl_builtins._support import affected, require_scipy, scalar


class LogTransform(Transform):
    name = "log"
    summary = "natural logarithm; values must be positive"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        if np.any(x <= 0):
            raise ComponentValueError(
                "log of a zero or negative value",
                help="shift the values first, e.g. `log(x + 1)`",
                units=tuple(int(i) for i in np.nonzero(x <= 0)[-1]),
            )
        return np.log(x)


class Log10Transform(LogTransform):
    name = "log10"
    summary = "base-10 logarithm; values must be positive"

    def apply(self, x):
        return super().apply(x) / np.log(10.0)


class SqrtTransform(Transform):
    name = "sqrt"
    summary = "square root; values must not be negative"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        if np.any(x < 0):
            raise ComponentValueError("square root of a negative value")
        return np.sqrt(x)


class AbsTransform(Transform):
    name = "abs"
    summary = "absolute value"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        return np.abs(x)


class CapTransform(Transform):
    name = "cap"
    summary = "clip values to [low, high] (goalposts, caps and floors)"
    params = (
        Param("x", float, doc="values"),
        Param("low", float, doc="floor"),
        Param("high", float, doc="ceiling"),
    )

    def apply(self, x, low, high):
        return np.clip(x, low, high)


_SKIP = Param(
    "skip_missing",
    float,
    0.0,
    "1: a missing value is passed over (the other value is the result); 0, the default: "
    "the result is missing, as a missing value is not known to be smaller or larger",
)


class MinTransform(Transform):
    name = "min"
    summary = (
        "smaller of two values, unit by unit; missing if either is "
        "(with one pair column: lowest over partners)"
    )
    params = (Param("a", float, doc="first"), Param("b", float, doc="second"), _SKIP)

    def apply(self, a, b, skip_missing=0.0):
        return np.fmin(a, b) if np.any(skip_missing) else np.minimum(a, b)


class MaxTransform(Transform):
    name = "max"
    summary = (
        "larger of two values, unit by unit; missing if either is "
        "(with one pair column: highest over partners)"
    )
    params = (Param("a", float, doc="first"), Param("b", float, doc="second"), _SKIP)

    def apply(self, a, b, skip_missing=0.0):
        return np.fmax(a, b) if np.any(skip_missing) else np.maximum(a, b)


class LogShiftTransform(Transform):
    name = "log_shift"
    summary = "natural logarithm of x + shift (default 1); x + shift must be positive"
    params = (
        Param("x", float, doc="values"),
        Param("shift", float, 1.0, "added before taking the logarithm"),
    )

    def apply(self, x, shift=1.0):
        shifted = np.asarray(x, dtype=float) + shift
        bad = shifted <= 0
        if np.any(bad):
            raise ComponentValueError(
                "log of a zero or negative value: x + shift must be positive",
                help="use a larger shift, e.g. `log_shift(x, shift = 1 - lowest value)`",
                units=affected(bad),
            )
        return np.log(shifted)


class BoxCoxTransform(Transform):
    name = "boxcox"
    summary = "Box-Cox power transform (x^lmbda - 1) / lmbda, log x at 0; needs scipy"
    params = (
        Param("x", float, doc="values (must be positive)"),
        Param("lmbda", float, doc="the power; 0 gives the natural logarithm"),
    )

    def apply(self, x, lmbda):
        special = require_scipy("scipy.special", "`boxcox`")
        x = np.asarray(x, dtype=float)
        bad = x <= 0
        if np.any(bad):
            raise ComponentValueError(
                "the Box-Cox transform needs positive values, but some are zero or negative",
                help="shift the values first, e.g. `boxcox(x + 1, 0.5)`",
                units=affected(bad),
            )
        return special.boxcox(x, lmbda)


def sample_skewness(v: np.ndarray) -> float:
    """Adjusted Fisher-Pearson skewness G1 (scipy ``skew(bias=False)``, Excel SKEW,
    e1071 type 2, COINr ``skew``) of the values in ``v`` (no NaN); NaN when n < 3 or
    the values are constant."""
    n = v.size
    if n < 3:
        return np.nan
    d = v - v.mean()
    m2, m3 = np.mean(d**2), np.mean(d**3)
    if m2 == 0:
        return np.nan
    return float(m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))


def sample_kurtosis(v: np.ndarray) -> float:
    """Adjusted excess kurtosis G2 (scipy ``kurtosis(bias=False, fisher=True)``, Excel
    KURT, e1071 type 2, COINr ``kurt``); NaN when n < 4 or the values are constant."""
    n = v.size
    if n < 4:
        return np.nan
    d = v - v.mean()
    m2, m4 = np.mean(d**2), np.mean(d**4)
    if m2 == 0:
        return np.nan
    g2 = m4 / m2**2 - 3.0
    return float(((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3)))


def _outliers(v: np.ndarray, skew: float, kurtosis: float) -> bool:
    """COINr's ``check_SkewKurt`` failing: |skewness| >= skew and kurtosis >= kurtosis."""
    return abs(sample_skewness(v)) >= skew and sample_kurtosis(v) >= kurtosis


def winsorise_values(
    v: np.ndarray, skew: float, kurtosis: float, max_points: int
) -> tuple[np.ndarray, str, int]:
    """COINr's outlier treatment of one indicator (present values only).

    Returns the treated values, what was done (``"none"``, ``"winsorised"`` or
    ``"log"``) and how many points were winsorised (before any log fallback)."""
    if not _outliers(v, skew, kurtosis):
        return v, "none", 0
    w = v.copy()
    treated: set[int] = set()
    while _outliers(w, skew, kurtosis) and len(treated) < max_points:
        high = sample_skewness(w) >= 0  # positive skewness: the outliers are high
        extreme = w.max() if high else w.min()
        at = np.flatnonzero(w == extreme)  # tied extremes move together, as in COINr
        rest = w[w != extreme]
        w[at] = rest.max() if high else rest.min()
        treated.update(int(i) for i in at)
    if not _outliers(w, skew, kurtosis):
        return w, "winsorised", len(treated)
    # COINr's fallback (log_CT), applied to the original values, not the winsorised ones
    lo, hi = v.min(), v.max()
    return np.log(v - lo + 0.01 * (hi - lo)), "log", len(treated)


class WinsoriseTransform(Transform):
    name = "winsorise"
    summary = (
        "COINr's outlier rule: winsorise up to max_points while |skewness| >= skew and "
        "kurtosis >= kurtosis, else log"
    )
    params = (
        Param("x", float, doc="values (one per unit)"),
        Param("skew", float, 2.0, "threshold for the absolute sample skewness"),
        Param("kurtosis", float, 3.5, "threshold for the sample excess kurtosis"),
        Param("max_points", int, 5, "most points to winsorise before falling back to log"),
    )

    def _limits(self, skew, kurtosis, max_points) -> tuple[float, float, int]:
        skew = scalar(skew, "skew", self.name)
        kurtosis = scalar(kurtosis, "kurtosis", self.name)
        limit = scalar(max_points, "max_points", self.name)
        if limit < 0 or limit != int(limit):
            raise ComponentValueError(
                f"`max_points` of `winsorise` must be a whole number, not {limit:g}",
                help="write e.g. `winsorise(x, max_points = 5)`",
            )
        return float(skew), float(kurtosis), int(limit)

    def apply(self, x, skew=2.0, kurtosis=3.5, max_points=5):
        skew, kurtosis, limit = self._limits(skew, kurtosis, max_points)
        x = np.asarray(x, dtype=float)
        if x.ndim == 0:
            raise ComponentValueError(
                "`winsorise` needs one value per unit, but was given a single number",
                help="apply it to an indicator or a column, e.g. `winsorise(c.gdp)`",
            )
        out = x.copy()
        flat = out.reshape(-1, x.shape[-1])
        for row in flat:
            present = ~np.isnan(row)
            if present.sum() < 4:
                raise ComponentValueError(
                    "`winsorise` needs at least 4 units with a value (the sample kurtosis "
                    f"is undefined below 4), but has {int(present.sum())}",
                    help="drop `winsorise` from this indicator",
                )
            row[present] = winsorise_values(row[present], skew, kurtosis, int(limit))[0]
        return out

    def apply_with_state(self, x, skew=2.0, kurtosis=3.5, max_points=5):
        """The treated values and, for one indicator, the treatment log: what was done,
        how many points were winsorised, which units, and the skewness and kurtosis
        before and after."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 1:
            return self.apply(x, skew=skew, kurtosis=kurtosis, max_points=max_points), {}
        present = ~np.isnan(x)
        before = x[present]
        if before.size < 4:  # apply says why this cannot be done
            return self.apply(x, skew=skew, kurtosis=kurtosis, max_points=max_points), {}
        after, method, points = winsorise_values(before, *self._limits(skew, kurtosis, max_points))
        out = x.copy()
        out[present] = after
        changed = np.flatnonzero(present & (out != x)) if method == "winsorised" else []
        return out, {
            "method": method,
            "points": points if method != "none" else 0,
            "units": [int(i) for i in changed],
            "skewness": [sample_skewness(before), sample_skewness(after)],
            "kurtosis": [sample_kurtosis(before), sample_kurtosis(after)],
        }


class FloorTransform(Transform):
    name = "floor"
    summary = "raise values below `low` to `low` (a floor; not rounding)"
    params = (Param("x", float, doc="values"), Param("low", float, doc="floor"))

    def apply(self, x, low):
        return np.maximum(x, low)  # np.maximum keeps missing values missing


class RoundTransform(Transform):
    name = "round"
    summary = "round to `digits` decimals, halves away from zero (as publishers round)"
    params = (
        Param("x", float, doc="values"),
        Param("digits", float, 0.0, "decimals kept: a whole number, 0 to 12"),
    )

    def apply(self, x, digits=0.0):
        digits = np.asarray(digits, dtype=float)
        if digits.size != 1 or not float(digits).is_integer() or not 0 <= digits <= 12:
            raise ComponentValueError(
                f"`digits` is a whole number from 0 to 12, not {np.ravel(digits)[0]:g}",
                help="write the decimals as a number: `round(x, 3)`",
            )
        scale = 10.0 ** int(digits)
        x = np.asarray(x, dtype=float)
        return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale

    def decimals(self, digits=0.0):
        ok = float(digits).is_integer() and 0 <= digits <= 12
        return int(digits) if ok else None


class AboveTransform(Transform):
    name = "above"
    summary = "1 where a value is above `threshold`, else 0 (thresholds into classes)"
    params = (
        Param("x", float, doc="values"),
        Param("threshold", float, doc="values above it give 1; at it or below, 0"),
    )

    def apply(self, x, threshold):
        x = np.asarray(x, dtype=float)
        return np.where(np.isnan(x), np.nan, (x > threshold).astype(float))


class CeilingTransform(Transform):
    name = "ceiling"
    summary = "lower values above `high` to `high` (a cap; not rounding)"
    params = (Param("x", float, doc="values"), Param("high", float, doc="ceiling"))

    def apply(self, x, high):
        return np.minimum(x, high)


class _OverUnits(Transform):
    """One value over all units (the last axis), given to every unit: missing values
    are left out; where every value is missing, the result is missing.  Scoring
    pathways, the values are the pathways'."""

    params = (Param("x", float, doc="values, one per unit"),)
    one_value = True

    @staticmethod
    def reduce(x: np.ndarray) -> np.ndarray:  # pragma: no cover - each subclass has one
        raise NotImplementedError

    def apply(self, x):
        x = np.asarray(x, dtype=float)
        if x.ndim == 0:  # a constant is its own reduction
            return x
        present = ~np.isnan(x)
        any_present = present.any(axis=-1, keepdims=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing row
            out = self.reduce(x)
        return np.broadcast_to(np.where(any_present, out, np.nan), x.shape).copy()


class MaxOverUnitsTransform(_OverUnits):
    name = "max_over_units"
    summary = "the largest value over all units, given to every unit (missing values left out)"

    @staticmethod
    def reduce(x):
        return np.nanmax(x, axis=-1, keepdims=True)


class MinOverUnitsTransform(_OverUnits):
    name = "min_over_units"
    summary = "the smallest value over all units, given to every unit (missing values left out)"

    @staticmethod
    def reduce(x):
        return np.nanmin(x, axis=-1, keepdims=True)


class MeanOverUnitsTransform(_OverUnits):
    name = "mean_over_units"
    summary = "the mean over all units, given to every unit (missing values left out)"

    @staticmethod
    def reduce(x):
        return np.nanmean(x, axis=-1, keepdims=True)


@hookimpl
def indexdsl_register_transforms():
    return [
        LogTransform,
        Log10Transform,
        SqrtTransform,
        AbsTransform,
        CapTransform,
        MinTransform,
        MaxTransform,
        AboveTransform,
        LogShiftTransform,
        BoxCoxTransform,
        WinsoriseTransform,
        FloorTransform,
        CeilingTransform,
        RoundTransform,
        MaxOverUnitsTransform,
        MinOverUnitsTransform,
        MeanOverUnitsTransform,
    ]
