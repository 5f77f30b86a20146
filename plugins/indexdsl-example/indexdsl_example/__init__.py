"""An example third-party plugin: the weighted median aggregator.

It registers through the same hook as indexdsl's built-in aggregators, found by the
``indexdsl`` entry-point group declared in this distribution's pyproject.toml.
"""

from __future__ import annotations

import numpy as np

from indexdsl.components import Aggregator
from indexdsl.hookspecs import hookimpl


class WeightedMedianAggregator(Aggregator):
    name = "median"
    summary = "weighted median of the children (no compensation between them)"

    def aggregate(self, values, weights):
        w = np.broadcast_to(np.expand_dims(weights, -2), values.shape)
        w = np.where(np.isnan(values), 0.0, w)
        order = np.argsort(np.where(np.isnan(values), np.inf, values), axis=-1)
        v_sorted = np.take_along_axis(values, order, axis=-1)
        w_sorted = np.take_along_axis(w, order, axis=-1)
        total = w_sorted.sum(axis=-1, keepdims=True)
        cumulative = np.cumsum(w_sorted, axis=-1) / np.where(total > 0, total, 1.0)
        first = np.argmax(cumulative >= 0.5 - 1e-12, axis=-1)[..., None]
        out = np.take_along_axis(v_sorted, first, axis=-1)[..., 0]
        return np.where(total[..., 0] > 0, out, np.nan)


@hookimpl
def indexdsl_register_aggregators():
    return [WeightedMedianAggregator]
