"""Column templates: ``{name}`` in a column's name replaced by a parameter's value, in
the AST, before checking (``country.le_{year}`` with ``year = 2022`` reads
``country.le_2022``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from indexdsl.diagnostics import Diagnostic, Span, suggest
from indexdsl.errors import front as errors
from indexdsl.syntax import ast

_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: the language's reductions across the editions of a panel, by the word written:
#: `max_over_editions(country.gnipc_{year}, 1990, 2022)` is the largest of the
#: expression's values in 1990, 1991 … 2022, unit by unit
EDITION_REDUCTIONS = {
    "max_over_editions": "max",
    "min_over_editions": "min",
    "mean_over_editions": "mean",
}

#: the most editions one reduction may read
MAX_EDITIONS = 500


def shown_value(value: float | str) -> str:
    """A parameter's value as it reads inside a column name (2022, not 2022.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fill_templates(node, parameters: dict, report: Callable[[Diagnostic], None]):
    """``node`` (any AST value) with every column template filled from ``parameters``;
    a name that is no parameter is reported (E151) and left as written."""
    if isinstance(node, ast.ColumnRef) and "{" in node.column.text:
        text = node.column.text

        def value(match) -> str:
            name = match.group(1)
            if name in parameters:
                return shown_value(parameters[name])
            hints = suggest(name, parameters)
            report(errors.unknown_template_parameter(name, text, hints, node.column.span))
            return match.group(0)

        filled = _TEMPLATE.sub(value, text)
        return attrs.evolve(node, column=attrs.evolve(node.column, text=filled))
    if isinstance(node, ast.Call) and node.func.text in EDITION_REDUCTIONS:
        return _over_editions(node, parameters, report)
    if isinstance(node, tuple):
        return tuple(fill_templates(item, parameters, report) for item in node)
    if attrs.has(type(node)) and not isinstance(node, ast.Name | Span):
        changes = {}
        for field in attrs.fields(type(node)):
            if field.name == "span":
                continue
            old = getattr(node, field.name)
            new = fill_templates(old, parameters, report)
            if new is not old:
                changes[field.name] = new
        return attrs.evolve(node, **changes) if changes else node
    return node


def _edition_bound(expr, parameters: dict) -> float | None:
    if isinstance(expr, ast.Number):
        return float(expr.value)
    if isinstance(expr, ast.NameRef) and isinstance(parameters.get(expr.name.text), float):
        return parameters[expr.name.text]
    return None


def _over_editions(node: ast.Call, parameters: dict, report) -> ast.Call:
    """`max_over_editions(EXPR, FIRST, LAST)` with EXPR written once per edition, its
    column templates filled with FIRST, FIRST + 1 … LAST: the call keeps its name and
    gets one argument per edition (the checker and lowering read it so)."""
    name = node.func.text
    if len(node.args) != 3 or node.kwargs:
        report(errors.edition_reduction_arguments(name, node.span))
        return node
    expr, first_expr, last_expr = node.args
    first, last = _edition_bound(first_expr, parameters), _edition_bound(last_expr, parameters)
    if (
        first is None
        or last is None
        or not (first.is_integer() and last.is_integer())
        or not 0 <= last - first < MAX_EDITIONS
    ):
        report(errors.edition_reduction_range(name, MAX_EDITIONS, node.span))
        return node
    used = {
        match
        for ref in ast.walk(expr)
        if isinstance(ref, ast.ColumnRef)
        for match in _TEMPLATE.findall(ref.column.text)
    }
    numeric = sorted(p for p in used if isinstance(parameters.get(p), float))
    if len(numeric) != 1:
        report(errors.edition_reduction_template(name, numeric, expr.span))
        return node
    editions = tuple(
        fill_templates(expr, {**parameters, numeric[0]: float(year)}, report)
        for year in range(int(first), int(last) + 1)
    )
    return attrs.evolve(node, args=editions)
