"""Aggregators.  ``values`` is (..., units, children) with NaN for missing scores;
missing children are skipped and the remaining weights rescaled to sum to one (the
convention COINr uses by default).  Formulas: docs/explanation/methodology.md."""

from __future__ import annotations

import numpy as np

from indexdsl.components import Aggregator, ComponentValueError, Param
from indexdsl.hookspecs import hookimpl


def _available_weights(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = np.broadcast_to(np.expand_dims(weights, -2), values.shape)
    w = np.where(np.isnan(values), 0.0, w)
    total = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / total


class ArithmeticMeanAggregator(Aggregator):
    name = "arithmetic"
    summary = "weighted arithmetic mean (full compensation between children)"

    def aggregate(self, values, weights):
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
        w = _available_weights(values, weights)
        logs = np.where(np.isnan(values), 0.0, np.log(np.where(np.isnan(values), 1.0, values)))
        out = np.exp(np.sum(logs * np.nan_to_num(w), axis=-1))
        return np.where(np.isnan(w).all(axis=-1), np.nan, out)


@hookimpl
def indexdsl_register_aggregators():
    return [ArithmeticMeanAggregator, GeometricMeanAggregator]
