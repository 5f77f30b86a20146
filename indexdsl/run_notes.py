"""What a run says about the data besides its scores: the warnings the evaluator
gathers while it computes, each a diagnostic located in the index file.

- W403: an indicator's arithmetic lost values whose data are present;
- W405: fixed goalposts capped observed values;
- W406: `missing skip` scored units from the children they have;
- W407: a tier filled beyond its share by ties;
- W408: a reduction over units left out units with no value.

A mixin of :class:`indexdsl.evaluate.Evaluator`, kept apart from the computing.
"""

from __future__ import annotations

import math

import numpy as np

from indexdsl import model as m
from indexdsl.compile import AggregateNode
from indexdsl.diagnostics import Span
from indexdsl.errors import evaluate as evaluate_errors


class RunNotes:
    """Mixin of :class:`~indexdsl.evaluate.Evaluator`: the warnings of a run.  The
    ``units`` its methods take are the evaluator's :class:`~indexdsl.evaluate.LevelResult`
    of the units (not imported here: the evaluator imports this module)."""

    def note_left_out(self, level: str, span: Span | None, what: str, values) -> None:
        if np.ndim(values) != 1 or span is None or (span, level) in self._left_out:
            return  # a constant; a batch of replications is not the data
        # positions only (an engine keeping its arrays elsewhere sends back just these)
        missing = np.asarray(np.flatnonzero(np.isnan(values)))
        if missing.size:
            names = self._names(level)
            self._left_out[(span, level)] = evaluate_errors.reduction_left_out_missing(
                what, [names[i] for i in missing], values.size, level, span
            )

    def _lost_values(self, indicator, value: np.ndarray, raw: dict) -> None:
        """Note the units whose data are all present but whose value the arithmetic
        lost (a division by zero, an overflow such as `x ^ 1000`, a power of a negative
        number such as `x ^ 0.5`): the value is missing, and a warning names them."""
        if indicator.pair_tables or any(
            isinstance(e, m.TransformCall | m.NormaliserCall) for e in m.walk(indicator.expression)
        ):
            return  # functions say what they refuse themselves
        present = np.ones(self.data.n_units, dtype=bool)
        for column in indicator.columns:
            present &= ~np.isnan(self.column(column.table, column.column))
        for other in indicator.depends:
            present &= ~np.isnan(raw[other])
        lost = present & np.isnan(np.broadcast_to(value, present.shape))
        if lost.any():
            units = [self.data.keys[i] for i in np.nonzero(lost)[0]]
            self._lost[indicator.name] = evaluate_errors.arithmetic_lost_values(
                indicator.name, units, indicator.span
            )

    def skipped(self, units) -> tuple:
        """One warning naming, per node, the units it scored although a child had no
        score (`missing skip`, the default): a missing value is never passed over
        without a word."""
        keys = self.data.keys
        per_node = []
        for step in self.graph.steps:
            if not isinstance(step, AggregateNode):
                continue
            node = self.graph.nodes[step.node]
            if node.missing != "skip":
                continue
            stacked = np.stack([units.scores[c] for c in step.children], axis=-1)
            weights = np.asarray(units.weights.get(step.node, step.weights), dtype=float)
            counted = np.isnan(stacked) & (weights != 0)  # a child weighted 0 takes no part
            partial = counted.any(axis=-1) & ~np.isnan(units.scores[step.node])
            if partial.any():
                per_node.append((step.node, [keys[i] for i in np.flatnonzero(partial)]))
        if not per_node:
            return ()
        return (evaluate_errors.scored_with_missing_children(per_node, self.model.root.span),)

    def overfull_tiers(self, units) -> tuple:
        """A warning for each `top N%` tier that holds more units than its share: the
        tier is the units ranked within ceil(share × units scored), so units tied at
        the cut-off are all in (national values standing in for city values tie whole
        countries)."""
        out = []
        for name, node in self.graph.nodes.items():
            if not node.top or name not in units.ranks:
                continue
            ranks = units.ranks[name]
            scored = int((ranks > 0).sum())
            share = math.ceil(node.top * scored - 1e-9)
            inside = (ranks > 0) & (ranks <= share)
            held = int(inside.sum())
            if held > share:
                last = int(ranks[inside].max())
                tied = int((ranks == last).sum())
                out.append(
                    evaluate_errors.tier_overfull(
                        name, node.top, held, share, scored, tied, last, node.span
                    )
                )
        return tuple(out)

    def capped(self, units) -> tuple:
        """A warning for each indicator whose fixed goalposts exclude observed values,
        naming the units whose scores were capped (UNDP caps income at its upper
        goalpost by design; elsewhere a cap can hide a data error)."""
        out = []
        keys = self.data.keys
        for leaf, state in units.fitted.items():
            node = self.graph.nodes[leaf]
            if not node.is_leaf:
                continue
            if node.normaliser is None:
                continue
            normaliser = self._data_bound.get((leaf, "unit"), node.normaliser)
            for note in normaliser.warnings(state):
                out.append(
                    evaluate_errors.scores_capped(
                        leaf,
                        [keys[i] for i in note.units],
                        note.bound,
                        note.chosen,
                        node.normaliser.describe(),
                        self.model.indicators[node.indicator].span,
                        node.span_of("normaliser"),
                    )
                )
        return tuple(out)
