"""A framework read from a metadata table, expanded into the declarations the text
would have had.

COINr users keep an index's structure in a table (``iMeta``): one row per indicator
and per aggregate, with its code, name, parent, weight and direction.  ``framework {
from csv("iMeta.csv") }`` reads such a table; this module turns its rows into
:class:`~indexdsl.syntax.ast.NodeDecl` and :class:`~indexdsl.syntax.ast.IndicatorDecl`
values whose spans point at the table's cells, so everything after it (checks,
diagnostics, evaluation) treats the table exactly like text.

Conventions (COINr's): weights in a table are *relative*: each node's children are
rescaled to sum to one, so ``1, 1, 1`` means thirds.  Direction is ``1`` (higher is
better) or ``-1`` (lower is better).  Rows whose type is neither indicator nor
aggregate (groups, denominators) are skipped.  An indicator already declared in the
text keeps its text definition (to denominate it, say); the others read the column of
the units table with the same code.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import attrs

from indexdsl.binding import build
from indexdsl.components import DataError, Table, cell_span
from indexdsl.diagnostics import Diagnostic, PluginError, SourceMap, Span, suggest
from indexdsl.errors import data as data_errors
from indexdsl.errors import front as errors
from indexdsl.errors import plugins as plugin_errors
from indexdsl.plugins import Registry
from indexdsl.syntax import ast

#: role -> column name in COINr's iMeta format (the defaults of `columns`)
DEFAULT_COLUMNS = {
    "code": "iCode",
    "title": "iName",
    "parent": "Parent",
    "weight": "Weight",
    "direction": "Direction",
    "type": "Type",
    "denominator": "Denominator",
}
REQUIRED = ("code", "parent")
LEAF_TYPES = {"indicator"}
NODE_TYPES = {"aggregate"}
MISSING = {"", "na", "n/a", "null", "none"}


#: levels of a framework read from a table (the index included); as deep as a
#: framework written in an index file may be (see MAX_DEPTH of the parser)
MAX_LEVELS = 45


class _Expander:
    def __init__(
        self,
        framework: ast.FrameworkDecl,
        table: Table,
        units: str | None,
        denominate: bool = False,
    ):
        self.denominate = denominate
        self.framework = framework
        self.table = table
        self.units = units
        self.diagnostics: list[Diagnostic] = []

    def err(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def columns(self) -> dict[str, int | None]:
        mapping = dict(DEFAULT_COLUMNS)
        spans: dict[str, Span | None] = {}
        for role, column in self.framework.columns:
            if role.text not in DEFAULT_COLUMNS:
                hints = suggest(role.text, DEFAULT_COLUMNS)
                self.err(
                    errors.unknown_column_role(
                        role.text, hints[0] if hints else None, DEFAULT_COLUMNS, role.span
                    )
                )
                continue
            mapping[role.text] = column.text
            spans[role.text] = column.span
        found: dict[str, int | None] = {}
        for role, column in mapping.items():
            if column in self.table.columns:
                found[role] = self.table.columns.index(column)
            elif role in REQUIRED or role in spans:
                hints = suggest(column, self.table.columns)
                self.err(
                    errors.metadata_column_missing(
                        column,
                        role,
                        hints[0] if hints else None,
                        self.table.path,
                        self.table.columns,
                        spans.get(role)
                        or (self.framework.source.span if self.framework.source else None),
                    )
                )
                found[role] = None
            else:
                found[role] = None
        return found

    def cell(self, row: int, index: int | None) -> str:
        return "" if index is None else self.table.rows[row][index]

    def span(self, row: int, index: int | None) -> Span:
        if index is None:
            line = self.table.line_numbers[row]
            return Span.point(self.table.path, line, 1)
        return cell_span(self.table, row, index)

    def expand(
        self, declared: set[str]
    ) -> tuple[tuple[ast.NodeDecl, ...], list[ast.IndicatorDecl]]:
        cols = self.columns()
        self.columns_found = cols
        if cols["code"] is None or cols["parent"] is None:
            return (), []
        rows: dict[str, int] = {}
        self.rows = rows
        children: dict[str, list[str]] = {}
        roots: list[str] = []
        for r in range(len(self.table.rows)):
            kind = self.cell(r, cols["type"]).strip().lower()
            if cols["type"] is not None and kind not in LEAF_TYPES | NODE_TYPES:
                continue  # groups, denominators …
            code = self.cell(r, cols["code"])
            if not code:
                self.err(errors.metadata_row_without_code(self.span(r, None)))
                continue
            if code in rows:
                self.err(
                    errors.metadata_code_twice(
                        code, self.span(r, cols["code"]), self.span(rows[code], cols["code"])
                    )
                )
                continue
            rows[code] = r
            parent = self.cell(r, cols["parent"])
            if parent.lower() in MISSING:
                roots.append(code)
            else:
                children.setdefault(parent, []).append(code)
        for parent, kids in children.items():
            if parent not in rows:
                r = rows[kids[0]]
                hints = suggest(parent, rows)
                self.err(
                    errors.metadata_unknown_parent(
                        parent, kids[0], hints[0] if hints else None, self.span(r, cols["parent"])
                    )
                )
        if len(roots) != 1:
            spans = [self.span(rows[c], cols["parent"]) for c in roots]
            self.err(
                errors.metadata_roots(
                    len(roots),
                    spans[0]
                    if spans
                    else (self.framework.source.span if self.framework.source else None),
                    spans[1:],
                )
            )
            return (), []
        # the hierarchy is built recursively: its depth is measured first, without
        depth = {roots[0]: 1}
        waiting = [roots[0]]
        while waiting:
            code = waiting.pop()
            for kid in children.get(code, []):
                if kid in depth:
                    continue  # a cycle, or a code twice: reported while building
                depth[kid] = depth[code] + 1
                if depth[kid] > MAX_LEVELS:
                    span = self.span(rows[kid], cols["parent"])
                    self.err(errors.metadata_too_deep(MAX_LEVELS, span))
                    return (), []
                waiting.append(kid)
        indicators: list[ast.IndicatorDecl] = []
        on_path: set[str] = set()

        def node(code: str) -> ast.NodeDecl | None:
            r = rows[code]
            if code in on_path:
                self.err(
                    errors.metadata_not_connected(code, self.span(r, cols["parent"]), cycle=True)
                )
                return None
            kind = self.cell(r, cols["type"]).strip().lower()
            kids = children.get(code, [])
            is_leaf = kind in LEAF_TYPES if cols["type"] is not None else not kids
            title = self.cell(r, cols["title"]) or None
            if is_leaf:
                if kids:
                    self.err(
                        errors.metadata_indicator_with_children(code, self.span(r, cols["code"]))
                    )
                if code not in declared:
                    indicators.append(self.indicator(code, r, title, cols))
                return ast.NodeDecl(
                    ast.Name(code, span=self.span(r, cols["code"])),
                    None,
                    None,
                    span=self.span(r, cols["code"]),
                )
            if not kids:
                self.err(errors.metadata_empty_aggregate(code, self.span(r, cols["code"])))
                return None
            on_path.add(code)
            built = [node(k) for k in kids]
            on_path.discard(code)
            if any(b is None for b in built):
                return None
            weighted = self.weights(kids, cols)
            built = [attrs.evolve(b, weight=w) for b, w in zip(built, weighted, strict=True)]
            return ast.NodeDecl(
                ast.Name(code, span=self.span(r, cols["code"])),
                title,
                None,
                children=tuple(built),
                has_body=True,
                span=self.span(r, cols["code"]),
            )

        root = node(roots[0])
        if root is None:
            return (), indicators
        # rows cut off by an unknown parent (E505, reported above) are not reported again
        orphaned = any(parent not in rows for parent in children)
        unreachable = set() if orphaned else set(rows) - set(_codes(root))
        for code in sorted(unreachable, key=lambda c: rows[c])[:5]:
            self.err(
                errors.metadata_not_connected(
                    code, self.span(rows[code], cols["parent"]), cycle=False
                )
            )
        return root.children, indicators

    def weights(self, kids: list[str], cols) -> list[ast.Weight]:
        values: list[Fraction] = []
        for code in kids:
            r = self.rows[code]
            text = self.cell(r, cols["weight"]) if cols["weight"] is not None else "1"
            try:
                value = Fraction(text) if text.lower() not in MISSING else Fraction(1)
            except ValueError:
                self.err(errors.metadata_bad_weight(code, text, self.span(r, cols["weight"])))
                value = Fraction(1)
            if value < 0:
                self.err(errors.metadata_bad_weight(code, None, self.span(r, cols["weight"])))
                value = Fraction(0)
            values.append(value)
        total = sum(values) or Fraction(1)
        return [
            ast.Weight(v / total, f"{v}/{total}" if total != 1 else str(v), Fraction(0))
            for v in values
        ]

    def indicator(self, code: str, r: int, title: str | None, cols) -> ast.IndicatorDecl:
        span = self.span(r, cols["code"])
        text = self.cell(r, cols["direction"]).strip().lower()
        direction = None
        if text in ("-1", "-1.0", "lower"):
            direction = "lower"
        elif text not in ("", "1", "1.0", "higher", "na"):
            self.err(errors.metadata_bad_direction(code, text, self.span(r, cols["direction"])))
        expr = ast.ColumnRef(
            ast.Name(self.units or "", span=span), ast.Name(code, span=span), span=span
        )
        denominator = self.cell(r, cols.get("denominator")).strip()
        if self.denominate and denominator.lower() not in MISSING:
            # COINr's Denominate: the indicator divided by the units' column it names
            where = self.span(r, cols["denominator"])
            expr = ast.Binary(
                "/",
                expr,
                ast.ColumnRef(
                    ast.Name(self.units or "", span=where),
                    ast.Name(denominator, span=where),
                    span=where,
                ),
                span=span,
            )
        return ast.IndicatorDecl(
            ast.Name(code, span=span), title, expr, direction=direction, span=span
        )


def _codes(node: ast.NodeDecl):
    yield node.name.text
    for child in node.children:
        yield from _codes(child)


def expand_framework_table(
    tree: ast.IndexFile, base: Path, registry: Registry, sources: SourceMap
) -> tuple[ast.IndexFile, list[Diagnostic]]:
    """Replace a table-backed framework by the declarations it stands for."""
    frameworks = [d for d in tree.declarations if isinstance(d, ast.FrameworkDecl)]
    if not frameworks or frameworks[0].source is None:
        return tree, []
    framework = frameworks[0]
    diagnostics: list[Diagnostic] = []
    if framework.children:
        diagnostics.append(
            errors.table_framework_with_children(
                framework.children[0].name.span, framework.source.span
            )
        )
        return tree, diagnostics
    provided = registry.get("loader", framework.source.name.text)
    if provided is None:
        return tree, []  # the checker reports the unknown loader
    given = len(framework.source.args) + len(framework.source.kwargs)
    named = {k.text for k, _ in framework.source.kwargs}
    missing = [
        p.name
        for p in provided.cls.params[len(framework.source.args) :]
        if p.required and p.name not in named
    ]
    if missing or given > len(provided.cls.params):
        detail = (
            f"`{provided.cls.name}` needs {', '.join(f'`{m}`' for m in missing)}"
            if missing
            else f"`{provided.cls.name}` takes {len(provided.cls.params)} arguments, not {given}"
        )
        return tree, [errors.metadata_loader_arguments(detail, framework.source.span)]
    try:
        loader = build(
            provided.cls,
            [a.value for a in framework.source.args],
            {k.text: v.value for k, v in framework.source.kwargs},
        )
        table = loader.load(base)
    except DataError as exc:
        if exc.text:
            sources.add(exc.file, exc.text)
        where = Span.point(exc.file, exc.line, exc.col) if exc.line else framework.source.span
        return tree, [data_errors.table_unreadable(exc.message, where, exc.help, None)]
    except TypeError as exc:
        return tree, [errors.metadata_loader_arguments(str(exc), framework.source.span)]
    except Exception as exc:
        raise PluginError(
            plugin_errors.plugin_raised(
                f"loader `{provided.cls.name}`",
                provided.plugin,
                exc,
                framework.source.span,
                name_in_help=False,
            )
        ) from None
    sources.add(table.path, table.text)
    units = next((d.name.text for d in tree.declarations if isinstance(d, ast.UnitsDecl)), None)
    declared = {d.name.text for d in tree.declarations if isinstance(d, ast.IndicatorDecl)}
    denominate = any(s.kind == "denominate" for s in framework.settings)
    expander = _Expander(framework, table, units, denominate)
    children, indicators = expander.expand(declared)
    if denominate and expander.columns_found.get("denominator") is None:
        setting = next(s for s in framework.settings if s.kind == "denominate")
        mapped = {role.text: column.text for role, column in framework.columns}
        wanted = mapped.get("denominator", DEFAULT_COLUMNS["denominator"])
        diagnostics.append(errors.denominators_missing(table.path, wanted, setting.span))
    settings = tuple(s for s in framework.settings if s.kind != "denominate")
    expanded = attrs.evolve(
        framework, children=children, source=None, columns=(), settings=settings
    )
    declarations = [expanded if d is framework else d for d in tree.declarations]
    declarations[declarations.index(expanded) : declarations.index(expanded)] = indicators
    return attrs.evolve(tree, declarations=tuple(declarations)), expander.diagnostics + diagnostics
