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

from indexdsl.errors import check as errors
from indexdsl.syntax import ast

#: decimals a node may be ranked at (scores are floats: 15 is their precision)
MAX_RANK_DECIMALS = 12


@attrs.define
class NodeSettings:
    """What a node's settings chose: ``settings`` holds the inherited methods by role
    (``aggregate``, ``normalise``, ``rescale``, ``weighting``, ``impute``, ``treat``,
    ``missing``) as (value, span), the others what applies to this node only."""

    settings: dict
    reference: ast.ColumnRef | None = None
    reference_scores: ast.ColumnRef | None = None
    reference_pathways: ast.ColumnRef | None = None
    reference_tolerance: float | None = None
    previous: ast.ColumnRef | None = None
    top: float | None = None
    rank_decimals: int | None = None
    higher_is_better: bool = True
    best_at: float | None = None
    direction_span: object = None  # where `lower is better` or `best at` was written
    equal_weights: ast.Setting | None = None
    own_weighting: ast.Setting | None = None
    screen: tuple | None = None


class NodeSettingsPass:
    """Mixin of the checker: one method per kind of node setting."""

    def node_setting(self, setting: ast.Setting, chosen: NodeSettings, units) -> None:
        handler: Callable = getattr(self, f"_setting_{setting.kind}")
        handler(setting, chosen, units)

    def _method(self, role: str, key: str, setting: ast.Setting, chosen: NodeSettings) -> None:
        comp = self.component(role, setting.component)
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

    def _column_setting(self, setting, units) -> ast.ColumnRef | None:
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
