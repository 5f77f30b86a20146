"""AST → canonical index-file text (``indexdsl fmt``).

One layout for every file: two-space indentation, one item per line, blocks in the
order the language reference lists their items, expressions with the fewest
parentheses that keep their meaning.  Comments are kept: a comment on a line of its
own stays before the item that follows it, a comment after code stays at the end of
that item's line.  Formatting is meaning-preserving (``parse(format(tree)) == tree``)
and idempotent; both are property tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from indexdsl.diagnostics import DiagnosticError, split_lines
from indexdsl.errors import check as check_errors
from indexdsl.syntax import ast
from indexdsl.syntax.settings import setting_rules

if TYPE_CHECKING:  # the parser (and lark) is imported by `format_text` alone: start-up
    from indexdsl.syntax.parser import Comment

INDENT = "  "
# binding strength of each expression form; higher binds tighter
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "negate": 3, "^": 4, "atom": 5}


@attrs.define
class _Line:
    text: str
    source_line: int | None  # the line of the file this output line came from


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "1e999" if value > 0 else "-1e999"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _line_of(node) -> int | None:
    span = getattr(node, "span", None)
    return span.line if span is not None else None


def format_literal(literal: ast.Literal) -> str:
    if literal.kind == "string":
        return _string(str(literal.value))
    if literal.kind == "percent":
        return f"{_number(float(literal.value) * 100)}%"
    if literal.kind == "symbol":
        return str(literal.value)
    if literal.kind == "call":
        return format_expr(literal.value)
    return _number(float(literal.value))


def format_component(component: ast.Component) -> str:
    if not component.has_parens and not component.args and not component.kwargs:
        return component.name.text
    args = [format_literal(a) for a in component.args]
    args += [f"{key.text} = {format_literal(value)}" for key, value in component.kwargs]
    return f"{component.name.text}({', '.join(args)})"


def _precedence(expr) -> int:
    if isinstance(expr, ast.Binary):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, ast.Negate):
        return _PRECEDENCE["negate"]
    return _PRECEDENCE["atom"]


def _wrap(expr, minimum: int) -> str:
    text = format_expr(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def format_expr(expr) -> str:
    if isinstance(expr, ast.Number):
        return _number(expr.value)
    if isinstance(expr, ast.NameRef):
        return expr.name.text
    if isinstance(expr, ast.ColumnRef):
        return f"{expr.table.text}.{expr.column.text}"
    if isinstance(expr, ast.Call):
        args = [format_expr(a) for a in expr.args]
        args += [f"{key.text} = {format_expr(value)}" for key, value in expr.kwargs]
        return f"{expr.func.text}({', '.join(args)})"
    if isinstance(expr, ast.Negate):
        return f"-{_wrap(expr.operand, _PRECEDENCE['negate'])}"
    if isinstance(expr, ast.Binary):
        if expr.op == "^":  # `atom ^ factor`: right-associative, left side an atom
            return (
                f"{_wrap(expr.left, _PRECEDENCE['atom'])} ^ "
                f"{_wrap(expr.right, _PRECEDENCE['negate'])}"
            )
        p = _PRECEDENCE[expr.op]
        return f"{_wrap(expr.left, p)} {expr.op} {_wrap(expr.right, p + 1)}"
    raise TypeError(f"not an expression: {expr!r}")  # pragma: no cover


def format_setting(setting: ast.Setting) -> str:
    """A setting as written: its keywords from the grammar, then its argument."""
    if setting.kind == "misplaced":
        if setting.component is not None:
            return f"from {format_component(setting.component)}"
        return f"columns {setting.target.text} = {setting.target.text}"  # pragma: no cover
    rule = setting_rules().get(setting.kind)
    if rule is not None:
        if rule.shape is None:
            return rule.keywords
        if rule.shape == "component":
            argument = format_component(setting.component)
        elif rule.shape == "percent":
            argument = f"{_number(setting.percent)}%"
        elif rule.shape == "target":
            argument = setting.target.text
        elif rule.shape == "number":
            argument = _number(setting.number)
        else:
            argument = format_expr(setting.column or setting.expression)
        return " ".join(part for part in (rule.keywords, argument, rule.after) if part)
    raise ValueError(setting.kind)  # pragma: no cover


def format_uncertain(item: ast.UncertainInput) -> str:
    if item.kind == "weights":
        where = " of nodes at depth " if item.weighted else " at depth "
        depths = f"{where}{', '.join(str(d) for d in item.depths)}" if item.depths else ""
        return f"weights vary {_number(item.percent)}%{depths}"
    if item.kind == "exclude":
        return "exclude one indicator"
    return f"{item.kind} " + " or ".join(format_component(c) for c in item.components)


def _names(names: Iterable[ast.Name]) -> str:
    return ", ".join(n.text for n in names)


def _header(keyword: str, name: ast.Name, title: str | None) -> str:
    return f"{keyword} {name.text}" + (f" {_string(title)}" if title is not None else "")


def _illustrative(item: ast.Illustrative) -> str:
    reason = f" {_string(item.reason)}" if item.reason is not None else ""
    tuned = " tuned to reference" if item.tuned else ""
    return f"illustrative {_names(item.columns)}{reason}{tuned}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[_Line] = []

    def add(self, depth: int, text: str, source_line: int | None) -> None:
        self.lines.append(_Line(INDENT * depth + text, source_line))

    def blank(self) -> None:
        if self.lines and self.lines[-1].text:
            self.lines.append(_Line("", None))

    def declaration(self, decl) -> None:
        if isinstance(decl, ast.IndexDecl):
            self.add(0, _header("index", decl.name, decl.title) + " {", _line_of(decl))
            for item in decl.meta:
                self.add(1, f"{item.key.text} {format_literal(item.value)}", _line_of(item))
            self.add(0, "}", None)
        elif isinstance(decl, ast.UncertaintyDecl):
            self.add(0, "uncertainty {", _line_of(decl))
            for item in decl.inputs:
                self.add(1, format_uncertain(item), _line_of(item))
            self.add(0, "}", None)
        elif isinstance(decl, ast.ExtendsDecl):
            self.add(0, f"extends {_string(decl.path)}", _line_of(decl))
        elif isinstance(decl, ast.ImportDecl):
            self.add(0, f"import {_string(decl.path)}", _line_of(decl))
        elif isinstance(decl, ast.ParameterDecl):
            head = _header("parameter", decl.name, decl.title)
            self.add(0, f"{head} = {format_literal(decl.value)}", _line_of(decl))
        elif isinstance(decl, ast.DefaultsDecl):
            self.add(0, "defaults {", _line_of(decl))
            for setting in decl.settings:
                self.add(1, format_setting(setting), _line_of(setting))
            self.add(0, "}", None)
        elif isinstance(decl, ast.UnitsDecl | ast.TableDecl | ast.PairsDecl):
            self.table(decl)
        elif isinstance(decl, ast.IndicatorDecl):
            self.indicator(decl, 0)
        elif isinstance(decl, ast.TemplateDecl):
            params = ", ".join(p.text for p in decl.params)
            head = f"template {decl.name.text}({params})"
            if decl.title is not None:
                head += f" {_string(decl.title)}"
            self.add(0, head + " {", _line_of(decl))
            for indicator in decl.indicators:
                self.indicator(indicator, 1)
            for setting in decl.settings:
                self.add(1, format_setting(setting), _line_of(setting))
            for child in decl.children:
                self.node(child, 1)
            self.add(0, "}", None)
        elif isinstance(decl, ast.FrameworkDecl):
            formula = f" = {format_expr(decl.formula)}" if decl.formula is not None else ""
            self.add(0, f"framework{formula} {{", _line_of(decl))
            for setting in decl.settings:
                self.add(1, format_setting(setting), _line_of(setting))
            if decl.source is not None:
                self.add(1, f"from {format_component(decl.source)}", _line_of(decl.source))
            if decl.columns:
                pairs = ", ".join(f"{role.text} = {column.text}" for role, column in decl.columns)
                self.add(1, f"columns {pairs}", _line_of(decl.columns[0][0]))
            for child in decl.children:
                self.node(child, 1)
            self.add(0, "}", None)
        else:  # pragma: no cover - every declaration kind is handled above
            raise TypeError(decl)

    def indicator(self, decl: ast.IndicatorDecl, depth: int) -> None:
        head = _header("indicator", decl.name, decl.title)
        self.add(depth, f"{head} = {format_expr(decl.expr)}", _line_of(decl))
        if decl.direction is not None:
            self.add(depth + 1, f"{decl.direction} is better", None)
        if decl.normalise is not None:
            self.add(depth + 1, format_setting(decl.normalise), _line_of(decl.normalise))
        if decl.unit is not None:
            self.add(depth + 1, f"unit {_string(decl.unit)}", None)
        for option in (decl.impute, decl.treat):
            if option is not None:
                self.add(depth + 1, format_setting(option), _line_of(option))

    def table(self, decl) -> None:
        keyword = {ast.UnitsDecl: "units", ast.TableDecl: "table", ast.PairsDecl: "pairs"}[
            type(decl)
        ]
        self.add(0, _header(keyword, decl.name, decl.title) + " {", _line_of(decl))
        if decl.source is not None:
            self.add(1, f"from {format_component(decl.source)}", _line_of(decl.source))
        if isinstance(decl, ast.UnitsDecl | ast.TableDecl) and decl.key is not None:
            self.add(1, f"key {decl.key.text}", _line_of(decl.key))
        if isinstance(decl, ast.UnitsDecl):
            if decl.label is not None:
                self.add(1, f"label {decl.label.text}", _line_of(decl.label))
            if decl.groups:
                self.add(1, f"groups {_names(decl.groups)}", _line_of(decl.groups[0]))
            for column, pattern in decl.exclude:
                self.add(1, f"exclude {column.text} matching {_string(pattern)}", _line_of(column))
        if isinstance(decl, ast.PairsDecl):
            if decl.between is not None:
                a, b = decl.between
                self.add(1, f"between {a.text} and {b.text}", _line_of(a))
            if decl.directed is not None:
                line = decl.directed_span.line if decl.directed_span else None
                self.add(1, "directed" if decl.directed else "undirected", line)
            for column in decl.exclude_same:
                self.add(1, f"exclude same {column.text}", _line_of(column))
        for item in decl.illustrative:
            self.add(1, _illustrative(item), _line_of(item))
        self.add(0, "}", None)

    def node(self, node: ast.NodeDecl, depth: int) -> None:
        text = ("auxiliary " if node.auxiliary else "") + node.name.text
        if node.title is not None:
            text += f" {_string(node.title)}"
        if node.weight is not None:
            text += f" {node.weight.text}"
        if node.formula is not None:
            text += f" = {format_expr(node.formula)}"
        if not node.has_body:
            self.add(depth, text, _line_of(node))
            return
        if not node.settings and not node.children:
            self.add(depth, text + " {}", _line_of(node))
            return
        self.add(depth, text + " {", _line_of(node))
        for setting in node.settings:
            self.add(depth + 1, format_setting(setting), _line_of(setting))
        for child in node.children:
            self.node(child, depth + 1)
        self.add(depth, "}", None)


def _place_comments(
    lines: list[_Line], comments: list[Comment], source_lines: list[str]
) -> list[str]:
    """Put each comment back.  A comment on a line of its own goes before the first
    output line that comes from later in the file; a comment after code goes at the end
    of the last output line that comes from its line or before it.  An empty line that
    preceded an item (or the comments above it) in the source is kept, once."""
    texts = [line.text for line in lines]
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    tail: list[str] = []
    sources = [(i, line.source_line) for i, line in enumerate(lines) if line.source_line]
    for comment in sorted(comments, key=lambda c: (c.line, c.column)):
        if comment.own_line:
            target = next((i for i, s in sources if s > comment.line), None)
            if target is None:
                tail.append(comment.text)
            else:
                before.setdefault(target, []).append(comment.text)
        else:
            # the output line that comes from the comment's own line; else the last one
            # that comes from before it
            target = next((i for i, s in sources if s == comment.line), None)
            for i, s in sources if target is None else ():
                if s <= comment.line:
                    target = i
            if target is None:
                before.setdefault(sources[0][0] if sources else 0, []).append(comment.text)
            else:
                after.setdefault(target, []).append(comment.text)
    first_line = {i: s for i, s in sources}
    sources_of = dict(sources)
    for comment in comments:
        if comment.own_line:
            target = next((i for i, s in sources if s > comment.line), None)
            if target is not None:
                first_line[target] = min(first_line[target], comment.line)
    out: list[str] = []
    for i, text in enumerate(texts):
        start = first_line.get(i)
        if (
            start is not None
            and 2 <= start <= len(source_lines) + 1
            and not source_lines[start - 2].strip()
            and out
            and out[-1].strip()
            and not out[-1].rstrip().endswith("{")
        ):
            out.append("")
        indent = text[: len(text) - len(text.lstrip())]
        out.extend(indent + c for c in before.get(i, []))
        own = sources_of.get(i)
        if before.get(i) and own and own >= 2 and not source_lines[own - 2].strip():
            out.append("")  # the comments were separated from the item by an empty line
        if i in after:
            text = text + "  " + " ".join(after[i])
        out.append(text)
    if tail:
        out.append("")
        out.extend(tail)
    return out


def _blank_between(previous, decl, source_lines: list[str]) -> bool:
    """Whether the source separated two declarations by an empty line."""
    if previous.span is None or decl.span is None:
        return False
    between = source_lines[previous.span.end_line : decl.span.line - 1]
    return any(not line.strip() for line in between)


def format_tree(
    tree: ast.IndexFile, comments: list[Comment] | None = None, source: str = ""
) -> str:
    """Format a tree; with the ``source`` text, empty lines that separated consecutive
    indicators (or parameters) are kept, so that groups stay visible."""
    writer = _Writer()
    previous = None
    source_lines = split_lines(source)
    for decl in tree.declarations:
        single = isinstance(decl, ast.IndicatorDecl | ast.ParameterDecl)
        grouped = single and type(previous) is type(decl)
        if previous is not None and (not grouped or _blank_between(previous, decl, source_lines)):
            writer.blank()
        writer.declaration(decl)
        previous = decl
    lines = _place_comments(writer.lines, comments or [], source_lines)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def format_text(text: str, file: str = "<string>") -> str:
    """Canonical formatting of index-file text; raises DiagnosticError if it does not
    parse, or if formatting would change what it says: an item given twice in one block
    (`E102`; the checker uses the first, and the formatted text would keep only one,
    hiding the mistake)."""
    from indexdsl.syntax.parser import parse_with_comments

    tree, comments = parse_with_comments(text, file)
    repeats = [
        check_errors.given_twice(
            "direction" if what == "direction" else f"`{what}`", decl.name.text, span
        )
        for decl in tree.declarations
        for what, span in getattr(decl, "repeated", ())
    ]
    if repeats:
        raise DiagnosticError(repeats)
    return format_tree(tree, comments, text)
