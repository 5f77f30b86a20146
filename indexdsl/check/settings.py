"""The settings of a framework node (``aggregate``, ``top 10%``, ``reference ranks`` …),
one handler each.

A node's settings are read in the order written into a :class:`NodeSettings`; the
framework pass then builds the node from it.  Adding a node setting to the language
means adding its handler here (and the model field and engine step that use it), not
another branch in the framework pass.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from indexdsl import model
from indexdsl.check.lowering import PARTNER_AGGREGATIONS
from indexdsl.diagnostics import suggest
from indexdsl.errors import check as errors
from indexdsl.syntax import ast
from indexdsl.syntax.formatter import format_expr

#: decimals a node may be ranked at (scores are floats: 15 is their precision)
MAX_RANK_DECIMALS = 12


@attrs.define
class NodeSettings:
    """What a node's settings chose: ``settings`` holds the inherited methods by role
    (``aggregate``, ``normalise``, ``rescale``, ``weighting``, ``impute``, ``treat``,
    ``missing``) as (value, span), the others what applies to this node only."""

    settings: dict
    #: a column as written, or an expression already lowered (`model.ReferenceExpression`)
    reference: ast.ColumnRef | model.ReferenceExpression | None = None
    reference_scores: ast.ColumnRef | model.ReferenceExpression | None = None
    reference_pathways: ast.ColumnRef | None = None
    reference_tolerance: float | None = None
    previous: ast.ColumnRef | model.ReferenceExpression | None = None
    top: float | None = None
    rank_decimals: int | None = None
    higher_is_better: bool = True
    best_at: float | None = None
    direction_span: object = None  # where `lower is better` or `best at` was written
    equal_weights: ast.Setting | None = None
    own_weighting: ast.Setting | None = None
    screen: tuple | None = None


#: the settings that take a per-unit column or expression, as written
_REFERENCE_WORDS = {
    "reference": "reference ranks",
    "reference_scores": "reference scores",
    "previous": "previous ranks",
}


class NodeSettingsPass:
    """Mixin of the checker: one method per kind of node setting."""

    def node_setting(self, setting: ast.Setting, chosen: NodeSettings, units) -> None:
        handler: Callable = getattr(self, f"_setting_{setting.kind}")
        handler(setting, chosen, units)

    def _method(self, role: str, key: str, setting: ast.Setting, chosen: NodeSettings) -> None:
        comp = self.component(role, setting.component, from_data=key == "normalise")
        if comp is not None:
            chosen.settings[key] = (comp, setting.span)

    def _setting_aggregate(self, setting, chosen, units) -> None:
        self._method("aggregator", "aggregate", setting, chosen)

    def _setting_normalise(self, setting, chosen, units) -> None:
        self._method("normaliser", "normalise", setting, chosen)

    def _setting_rescale(self, setting, chosen, units) -> None:
        self._method("normaliser", "rescale", setting, chosen)

    def _setting_weights(self, setting, chosen, units) -> None:
        chosen.equal_weights = setting

    def _prepared(self, setting, chosen) -> None:
        value = self.preparation(setting)
        if value is not None:
            chosen.settings[setting.kind] = (value, setting.span)
            if setting.kind == "weighting":
                chosen.own_weighting = setting

    def _setting_weighting(self, setting, chosen, units) -> None:
        self._prepared(setting, chosen)

    def _setting_impute(self, setting, chosen, units) -> None:
        self._prepared(setting, chosen)

    def _setting_treat(self, setting, chosen, units) -> None:
        self._prepared(setting, chosen)

    def _setting_screen(self, setting, chosen, units) -> None:
        value = self.preparation(setting)
        if value is not None:
            chosen.screen = (value, setting.span)

    def _setting_denominate(self, setting, chosen, units) -> None:
        self.diagnostics.append(errors.denominate_written_out(setting.span))

    def _setting_top(self, setting, chosen, units) -> None:
        if not 0 < setting.percent <= 100:
            self.diagnostics.append(errors.top_out_of_range(setting.span))
        else:
            chosen.top = setting.percent / 100

    def _setting_rank_decimals(self, setting, chosen, units) -> None:
        decimals = setting.number
        if not (float(decimals).is_integer() and 0 <= decimals <= MAX_RANK_DECIMALS):
            self.diagnostics.append(
                errors.rank_decimals_out_of_range(decimals, MAX_RANK_DECIMALS, setting.span)
            )
        else:
            chosen.rank_decimals = int(decimals)

    def _setting_node_direction(self, setting, chosen, units) -> None:
        if chosen.best_at is not None:
            self.diagnostics.append(errors.direction_and_target(setting.span))
        chosen.higher_is_better = setting.target.text == "higher"
        chosen.direction_span = setting.span

    def _setting_best_at(self, setting, chosen, units) -> None:
        if chosen.direction_span is not None:
            self.diagnostics.append(errors.direction_and_target(setting.span))
        chosen.best_at = float(setting.number)
        chosen.direction_span = setting.span

    def _column_setting(self, setting, units):
        if setting.expression is not None:
            return self._reference_expression(setting, units)
        column = setting.column
        what = "scores" if setting.kind == "reference_scores" else "ranks"
        unit_tables = {units.name if units else "", *self.tables}
        if column.table.text not in unit_tables:
            self.diagnostics.append(
                errors.reference_not_per_unit(
                    what, units.name if units else "units", column.table.span
                )
            )
            return None
        return column

    def _reference_expression(self, setting, units) -> model.ReferenceExpression | None:
        """`reference scores round(country.hdi_{year} * 100, 1)`: an expression of
        per-unit columns, numbers and parameters, with transforms and normalisers;
        lowered here, evaluated once the data are loaded."""
        expr = setting.expression
        words = _REFERENCE_WORDS[setting.kind]
        before = len(self.diagnostics)
        unit_tables = [units.name] if units else []
        unit_tables += list(self.tables)
        pairs = sorted(getattr(self, "pair_tables", {}) or {})
        indicators = getattr(self, "_decls", {}) or {}
        nodes = getattr(self, "dimension_names", ())
        for node in ast.walk(expr):
            if isinstance(node, ast.NameRef):
                name = node.name.text
                if isinstance(self.parameters.get(name), float):
                    continue
                if name in indicators or name in nodes:
                    kind = "an indicator" if name in indicators else "a node"
                    self.diagnostics.append(
                        errors.reference_reads_score(words, name, kind, unit_tables, node.span)
                    )
                else:
                    hints = suggest(
                        name, [p for p, v in self.parameters.items() if isinstance(v, float)]
                    )
                    self.diagnostics.append(
                        errors.reference_unknown_name(
                            words, name, hints[0] if hints else None, unit_tables, node.span
                        )
                    )
            elif isinstance(node, ast.ColumnRef) and node.table.text in pairs:
                self.diagnostics.append(
                    errors.reference_reads_pairs(words, node.table.text, unit_tables, node.span)
                )
            elif (
                isinstance(node, ast.Call)
                and node.func.text in PARTNER_AGGREGATIONS
                and (len(node.args) == 1 or node.func.text in ("sum", "mean", "count"))
            ):
                self.diagnostics.append(
                    errors.reference_reads_pairs(words, None, unit_tables, node.span)
                )
        if len(self.diagnostics) > before:
            return None
        self._scan_expr(expr, {}, units, {})  # tables, columns and functions
        if len(self.diagnostics) > before:
            return None
        lowered = self.lowering.lower(expr)
        return model.ReferenceExpression(
            lowered, format_expr(expr), self._published_decimals(expr, lowered), expr.span
        )

    def _published_decimals(self, expr, lowered) -> int | None:
        """The decimals a transform rounds to when it is the expression's outermost call
        and its other arguments are numbers (`round(x, 1)`: 1); None otherwise."""
        if not (isinstance(expr, ast.Call) and isinstance(lowered, model.TransformCall)):
            return None
        args = [self.constant(a) for a in expr.args[1:]]
        kwargs = {k.text: self.constant(v) for k, v in expr.kwargs}
        if None in args or None in kwargs.values():
            return None
        try:
            decimals = lowered.transform.decimals(*args, **kwargs)
        except Exception:  # a plugin's fact that does not fit its arguments: no precision
            return None
        return decimals if isinstance(decimals, int) and decimals >= 0 else None

    def _setting_reference(self, setting, chosen, units) -> None:
        column = self._column_setting(setting, units)
        if column is not None:
            chosen.reference = column

    def _setting_reference_scores(self, setting, chosen, units) -> None:
        column = self._column_setting(setting, units)
        if column is not None:
            chosen.reference_scores = column

    def _setting_reference_tolerance(self, setting, chosen, units) -> None:
        chosen.reference_tolerance = float(setting.number)

    def _setting_reference_pathways(self, setting, chosen, units) -> None:
        column = setting.column
        pair_tables = getattr(self, "pair_tables", {})
        if column.table.text not in pair_tables:
            self.diagnostics.append(
                errors.pathway_reference_not_per_pair(
                    column.table.text, sorted(pair_tables), column.table.span
                )
            )
            return
        chosen.reference_pathways = column

    def _setting_previous(self, setting, chosen, units) -> None:
        column = self._column_setting(setting, units)
        if column is not None:
            chosen.previous = column

    def _setting_missing(self, setting, chosen, units) -> None:
        policy = self.missing_policy(setting)
        if policy:
            chosen.settings["missing"] = (policy, setting.span)

    def _setting_pathways(self, setting, chosen, units) -> None:
        self.diagnostics.append(errors.pathways_misplaced(setting.span))

    def _setting_misplaced(self, setting, chosen, units) -> None:
        self.diagnostics.append(errors.table_settings_misplaced(setting.span))
