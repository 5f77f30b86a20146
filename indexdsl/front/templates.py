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
