"""Normalisers: the logistic curve of the robust z-score."""

from __future__ import annotations

import numpy as np

from indexdsl.components import ComponentValueError, Normaliser, Param

#: the median absolute deviation times this estimates the standard deviation of a normal
MAD_TO_SD = 1.482602218505602


class LogisticNormaliser(Normaliser):
    """``low + (high - low) / (1 + exp(-z / spread))`` with the robust z-score
    ``z = (x - median) / (1.4826 · MAD)``.

    Bounded, strictly increasing, and insensitive to outliers: one extreme unit neither
    squeezes the others together (as under min-max) nor moves the median.  The median
    unit scores halfway between ``low`` and ``high``.  When more than half of the units
    share one value (MAD = 0), the mean absolute deviation from the median is used.
    """

    name = "logistic"
    summary = "logistic curve of the robust z-score (median, MAD): bounded, outlier-resistant"
    params = (
        Param("low", float, 0.0, "lower bound of the scores"),
        Param("high", float, 100.0, "upper bound of the scores"),
        Param("spread", float, 1.0, "robust standard deviations per unit of the logistic curve"),
    )

    def validate(self) -> None:
        if not self.high > self.low:
            raise ComponentValueError(
                f"`high` of `logistic` must be above `low` ({self.high:g} <= {self.low:g})",
                help="write e.g. `logistic(0, 100)`",
            )
        if not self.spread > 0:
            raise ComponentValueError(
                f"`spread` of `logistic` must be above 0, not {self.spread:g}",
                help="1 maps one robust standard deviation to about 73 % of the range",
            )

    def normalise(self, x, context=None):
        x = np.asarray(x, dtype=float)
        present = ~np.isnan(x)
        if not present.any(axis=-1).all():
            raise ComponentValueError("every value is missing")
        median = np.nanmedian(x, axis=-1, keepdims=True)
        deviation = np.abs(x - median)
        scale = MAD_TO_SD * np.nanmedian(deviation, axis=-1, keepdims=True)
        fallback = np.sqrt(np.pi / 2) * np.nanmean(deviation, axis=-1, keepdims=True)
        scale = np.where(scale > 0, scale, fallback)
        if (scale <= 0).any():
            raise ComponentValueError(
                "all units have the same value, so the logistic curve is undefined",
                help="drop the indicator, or normalise it with `rank`",
            )
        z = (x - median) / (scale * self.spread)
        with np.errstate(over="ignore"):
            out = self.low + (self.high - self.low) / (1.0 + np.exp(-z))
        return out, {"median": median[..., 0], "scale": scale[..., 0]}
