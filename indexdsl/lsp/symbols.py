"""Where each name of an index file is declared and used, read from its syntax tree.

The language server answers "go to definition", "find references", "rename" and part of
"hover" from this index.  It works on the tree as written (not on the checked model),
so it still answers while the file has errors, as long as it parses.  Names live in
three kinds of places: values (indicators, nodes of the framework and parameters share
one namespace, as the checker resolves them), tables (units, pairs and data tables),
and columns (each table's own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from indexdsl.diagnostics import Span
from indexdsl.syntax import ast

#: `{name}` in a column or file name: a parameter filled in before checking
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@attrs.frozen
class Symbol:
    """One occurrence of a name: what it names, where, and whether it declares it."""

    name: str
    kind: str  # "indicator" | "node" | "parameter" | "table" | "column"
    span: Span
    declares: bool = False
    table: str = ""  # for a column: the table it belongs to

    @property
    def namespace(self) -> tuple[str, str]:
        """Occurrences in one namespace with one name are the same thing."""
        if self.kind == "table":
            return ("table", "")
        if self.kind == "column":
            return ("column", self.table)
        return ("value", "")

    def contains(self, line: int, col: int) -> bool:
        span = self.span
        return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


class Symbols:
    """Every name of one index file, with what it names and where."""

    def __init__(self, tree: ast.IndexFile):
        self.parameters = {
            d.name.text for d in tree.declarations if isinstance(d, ast.ParameterDecl)
        }
        self.units_table = next(
            (d.name.text for d in tree.declarations if isinstance(d, ast.UnitsDecl)), ""
        )
        self.occurrences: list[Symbol] = [s for s in self._collect(tree) if s.span is not None]

    # ---- queries ------------------------------------------------------------------------

    def at(self, line: int, col: int) -> Symbol | None:
        """The name at a 1-based position, the innermost when names nest."""
        found = [s for s in self.occurrences if s.contains(line, col)]
        return min(found, key=lambda s: s.span.end_col - s.span.col, default=None)

    def same(self, symbol: Symbol) -> list[Symbol]:
        """Every occurrence of the thing ``symbol`` names, declarations first."""
        matches = [
            s for s in self.occurrences if s.name == symbol.name and s.namespace == symbol.namespace
        ]
        return sorted(matches, key=lambda s: (not s.declares, s.span.line, s.span.col))

    def declaration(self, symbol: Symbol) -> Symbol | None:
        return next((s for s in self.same(symbol) if s.declares), None)

    def declared(self, *kinds: str) -> list[Symbol]:
        """The declarations of the given kinds, in the file's order."""
        return [s for s in self.occurrences if s.declares and s.kind in kinds]

    # ---- reading the tree --------------------------------------------------------------

    def _value(self, name: ast.Name) -> Symbol:
        kind = "parameter" if name.text in self.parameters else "indicator"
        return Symbol(name.text, kind, name.span)

    def _column(self, table: str, name: ast.Name) -> Iterator[Symbol]:
        yield Symbol(name.text, "column", name.span, table=table)
        yield from self._placeholders(name.text, name.span)

    def _placeholders(self, text: str, span: Span | None) -> Iterator[Symbol]:
        """Parameters written as `{name}` inside a name or a string on one line."""
        if span is None or span.line != span.end_line:
            return
        start = span.col + (span.end_col - span.col - len(text)) // 2  # skip a quote
        for match in _PLACEHOLDER.finditer(text):
            col = start + match.start(1)
            where = Span(span.file, span.line, col, span.line, col + len(match.group(1)))
            yield Symbol(match.group(1), "parameter", where)

    def _expr(self, expr: ast.Expr) -> Iterator[Symbol]:
        for node in ast.walk(expr):
            if isinstance(node, ast.NameRef):
                yield self._value(node.name)
            elif isinstance(node, ast.ColumnRef):
                yield Symbol(node.table.text, "table", node.table.span)
                yield from self._column(node.table.text, node.column)

    def _component(self, component: ast.Component | None) -> Iterator[Symbol]:
        if component is None:
            return
        for literal in (*component.args, *(v for _, v in component.kwargs)):
            if literal.kind == "string" and isinstance(literal.value, str):
                yield from self._placeholders(literal.value, literal.span)

    def _setting(self, setting: ast.Setting | None) -> Iterator[Symbol]:
        if setting is None:
            return
        if setting.column is not None:
            yield Symbol(setting.column.table.text, "table", setting.column.table.span)
            yield from self._column(setting.column.table.text, setting.column.column)
        if setting.expression is not None:  # `reference ranks 44 - country.rank`
            yield from self._expr(setting.expression)
        yield from self._component(setting.component)

    def _node(self, node: ast.NodeDecl) -> Iterator[Symbol]:
        if node.has_body:
            yield Symbol(node.name.text, "node", node.name.span, declares=True)
        else:
            yield self._value(node.name)
        for setting in node.settings:
            yield from self._setting(setting)
        for child in node.children:
            yield from self._node(child)

    def _table(self, decl, table: str) -> Iterator[Symbol]:
        yield Symbol(table, "table", decl.name.span, declares=True)
        yield from self._component(decl.source)
        for group in decl.illustrative:
            for column in group.columns:
                yield from self._column(table, column)
        for name in (getattr(decl, "key", None), getattr(decl, "label", None)):
            if name is not None:
                yield from self._column(table, name)
        for name in (*getattr(decl, "groups", ()), *(getattr(decl, "between", None) or ())):
            yield from self._column(table, name)

    def _collect(self, tree: ast.IndexFile) -> Iterator[Symbol]:
        for decl in tree.declarations:
            if isinstance(decl, ast.ParameterDecl):
                yield Symbol(decl.name.text, "parameter", decl.name.span, declares=True)
            elif isinstance(decl, ast.UnitsDecl | ast.TableDecl | ast.PairsDecl):
                yield from self._table(decl, decl.name.text)
            elif isinstance(decl, ast.IndicatorDecl):
                yield Symbol(decl.name.text, "indicator", decl.name.span, declares=True)
                yield from self._expr(decl.expr)
                yield from self._setting(decl.normalise)
                yield from self._setting(decl.impute)
                yield from self._setting(decl.treat)
            elif isinstance(decl, ast.FrameworkDecl):
                for setting in decl.settings:
                    yield from self._setting(setting)
                for child in decl.children:
                    yield from self._node(child)
                yield from self._component(decl.source)
            elif isinstance(decl, ast.DefaultsDecl):
                for setting in decl.settings:
                    yield from self._setting(setting)
