"""Tables: the units, data and pairs blocks and their loaders."""

from __future__ import annotations

from collections.abc import Iterable

from indexdsl.components import Component
from indexdsl.diagnostics import Span
from indexdsl.errors import check as errors
from indexdsl.model import (
    DataTableSpec,
    PairsSpec,
    UnitsSpec,
)
from indexdsl.syntax import ast


class TablesPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    # ---- data tables ------------------------------------------------------------------------
    def _illustrative(self, items: Iterable[ast.Illustrative]) -> tuple[dict, dict]:
        reasons, spans = {}, {}
        for item in items:
            for column in item.columns:
                reasons[column.text] = item.reason or "illustrative values, not measured"
                spans[column.text] = column.span
        return reasons, spans

    @staticmethod
    def _tuned(items: Iterable[ast.Illustrative]) -> frozenset[str]:
        """The illustrative columns generated to reproduce the published ranks."""
        return frozenset(c.text for item in items if item.tuned for c in item.columns)

    def _loader(self, decl, what: str) -> Component | None:
        if decl.source is None:
            self.diagnostics.append(
                errors.table_without_source(decl.name.text, what, decl.name.span)
            )
            return None
        return self.component("loader", decl.source)

    def check_units(self, decls: list[ast.UnitsDecl]) -> UnitsSpec | None:
        if not decls:
            self.diagnostics.append(errors.no_units(Span.point(self.tree.path, 1, 1)))
            return None
        for extra in decls[1:]:
            self.diagnostics.append(errors.units_twice(extra.span, decls[0].span))
        decl = decls[0]
        common = self._keyed_table(decl, "units set", "units")
        if common is None:
            return None
        return UnitsSpec(
            **common,
            label=decl.label.text if decl.label else None,
            label_span=decl.label.span if decl.label else None,
            groups=tuple((g.text, g.span) for g in decl.groups),
            exclude=tuple((column.text, pattern, column.span) for column, pattern in decl.exclude),
        )

    def check_table(self, decl: ast.TableDecl) -> DataTableSpec | None:
        common = self._keyed_table(decl, "data table", "table")
        return None if common is None else DataTableSpec(**common)

    def _keyed_table(self, decl, kind: str, block: str):
        """What a `units` block and a `table` block share: a name, a loader, a key
        column and illustrative columns.  None when something is missing (reported)."""
        self.declare(decl.name, kind)
        self.repeats(decl)
        loader = self._loader(decl, block)
        if decl.key is None:
            self.diagnostics.append(errors.no_key(block, decl.name.text, decl.name.span))
        reasons, spans = self._illustrative(decl.illustrative)
        if loader is None or decl.key is None:
            return None
        return {
            "name": decl.name.text,
            "title": decl.title or decl.name.text,
            "loader": loader,
            "span": decl.name.span,
            "illustrative": reasons,
            "illustrative_spans": spans,
            "tuned": self._tuned(decl.illustrative),
            "key": decl.key.text,
            "key_span": decl.key.span,
        }

    def check_pairs(self, decl: ast.PairsDecl) -> PairsSpec | None:
        self.declare(decl.name, "pairs table")
        self.repeats(decl)
        loader = self._loader(decl, "pairs")
        if decl.between is None:
            self.diagnostics.append(errors.pairs_without_between(decl.name.text, decl.name.span))
        reasons, spans = self._illustrative(decl.illustrative)
        if loader is None or decl.between is None:
            return None
        return PairsSpec(
            name=decl.name.text,
            title=decl.title or decl.name.text,
            loader=loader,
            span=decl.name.span,
            illustrative=reasons,
            illustrative_spans=spans,
            tuned=self._tuned(decl.illustrative),
            between=(decl.between[0].text, decl.between[1].text),
            between_spans=(decl.between[0].span, decl.between[1].span),
            directed=bool(decl.directed),
            exclude_same=tuple((c.text, c.span) for c in decl.exclude_same),
        )
