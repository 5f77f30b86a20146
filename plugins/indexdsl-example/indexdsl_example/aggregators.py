"""Aggregators: the weighted median, and benefit of the doubt (data envelopment)."""

from __future__ import annotations

import numpy as np

from indexdsl.components import Aggregator, ComponentValueError, Param


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


class BenefitOfTheDoubtAggregator(Aggregator):
    """Benefit of the doubt (Cherchye, Moesen, Rogge and Van Puyenbroeck 2007).

    Each unit gets the weights that show it in the best light: its score is
    ``max_w w·y_u`` subject to ``w·y_k <= 1`` for every unit ``k`` and ``w >= 0``,
    scaled by ``scale`` (so the units on the frontier score ``scale``).  The weights
    written in the index act as an assurance region: every child keeps at least
    ``min_share`` of its nominal share of the weights, ``w_j >= min_share · v_j · Σ w``
    (0: pure benefit of the doubt; 1: the nominal weights, i.e. the weighted mean
    relative to the best unit).  The restriction does not depend on the unit's scores,
    so raising a unit's score never lowers it.  Missing children are left out of the
    unit's own programme, and the nominal weights of the others rescaled.
    """

    name = "bod"
    summary = (
        "benefit of the doubt: each unit's most favourable weights (linear programme), "
        "nominal weights as a floor"
    )
    params = (
        Param("min_share", float, 0.0, "floor on each child's weight, as a share of its nominal"),
        Param("scale", float, 100.0, "score of the units on the frontier"),
    )

    def validate(self) -> None:
        if not 0.0 <= self.min_share <= 1.0:
            raise ComponentValueError(
                f"`min_share` of `bod` must be between 0 and 1, not {self.min_share:g}",
                help="0 lets each unit choose its weights freely; 1 keeps the nominal weights",
            )
        if not self.scale > 0:
            raise ComponentValueError(
                f"`scale` of `bod` must be above 0, not {self.scale:g}",
                help="the frontier scores `scale`: write e.g. `bod(scale = 100)`",
            )

    def aggregate(self, values, weights):
        from scipy.optimize import linprog

        values = np.asarray(values, dtype=float)
        negative = np.nan_to_num(values, nan=0.0) < 0
        if negative.any():
            units = tuple(int(u) for u in np.unique(np.nonzero(negative)[-2]))
            raise ComponentValueError(
                "benefit of the doubt needs scores of zero or more, but some are negative",
                help="normalise to a positive scale, e.g. `normalise minmax(0, 100)` or "
                "`normalise logistic`",
                units=units,
            )
        *batch, n_units, n_children = values.shape
        flat = values.reshape(-1, n_units, n_children)
        w_flat = np.broadcast_to(weights, (*batch, n_children)).reshape(-1, n_children)
        out = np.full(flat.shape[:2], np.nan)
        for b, (y_all, nominal) in enumerate(zip(flat, w_flat, strict=True)):
            filled = np.nan_to_num(y_all, nan=0.0)
            for u, y in enumerate(y_all):
                present = ~np.isnan(y)
                if not present.any():
                    continue
                k = int(present.sum())
                share = nominal[present] / nominal[present].sum()
                # w_j >= min_share * v_j * sum(w)  <=>  min_share * v_j * 1·w - w_j <= 0
                floor = self.min_share * share[:, None] * np.ones((k, k)) - np.eye(k)
                result = linprog(
                    -y[present],
                    A_ub=np.vstack([filled[:, present], floor]),
                    b_ub=np.concatenate([np.ones(n_units), np.zeros(k)]),
                    bounds=(0, None),
                    method="highs",
                )
                if result.status != 0:
                    raise ComponentValueError(
                        f"the benefit-of-the-doubt programme has no solution ({result.message})",
                        units=(u,),
                    )
                out[b, u] = -result.fun * self.scale
        return out.reshape(*batch, n_units)
