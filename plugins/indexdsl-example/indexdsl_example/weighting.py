"""Weighting schemes: rank-order centroid weights."""

from __future__ import annotations

import numpy as np

from indexdsl.components import ComponentValueError, Param, WeightingScheme


class RankOrderWeighting(WeightingScheme):
    """Rank-order centroid weights (Barron and Barrett 1996).

    When experts can agree on the order of importance of a node's children but not on
    numbers, the centroid of all weight vectors compatible with that order is
    ``w_i = (1/n) Σ_{k=i..n} 1/k`` for the child ranked ``i`` (for three children:
    61 %, 28 %, 11 %).  ``order`` lists the children, most important first, separated
    by commas; empty means the order in which the framework lists them.
    """

    name = "rank_order"
    summary = "rank-order centroid weights from the children ranked by importance"
    params = (
        Param("order", str, "", "children by importance, most important first, comma-separated"),
    )
    data_driven = False

    def ranked(self) -> list[str]:
        return [n.strip() for n in self.order.split(",") if n.strip()]

    def validate(self) -> None:
        names = self.ranked()
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ComponentValueError(
                f"`order` of `rank_order` names {', '.join(f'`{n}`' for n in repeated)} twice",
                help="list each child once, most important first",
            )
        if self.order.strip() and len(names) != len(self.order.split(",")):
            raise ComponentValueError(
                "`order` of `rank_order` has an empty name",
                help='separate the children by single commas: `rank_order("a, b, c")`',
            )

    def weights(self, scores, context):
        children = list(context.children) or [f"#{i + 1}" for i in range(scores.shape[-1])]
        n = scores.shape[-1]
        if len(children) != n:
            raise ComponentValueError(
                f"{n} children have scores but {len(children)} are named",
            )
        order = self.ranked() or children
        unknown = [c for c in order if c not in children]
        unranked = [c for c in children if c not in order]
        if unknown or unranked:
            raise ComponentValueError(
                "`order` of `rank_order` must list every child of the node once"
                + (f"; not children: {', '.join(unknown)}" if unknown else "")
                + (f"; missing: {', '.join(unranked)}" if unranked else ""),
                help=f"the children are {', '.join(children)}",
            )
        centroid = np.array([np.sum(1.0 / np.arange(i, n + 1)) / n for i in range(1, n + 1)])
        weights = np.empty(n)
        for rank, child in enumerate(order):
            weights[children.index(child)] = centroid[rank]
        batch = np.shape(scores)[:-2]
        return np.broadcast_to(weights, (*batch, n)).copy(), {"order": order}
