"""What the checker's passes share: the language's fixed names and small helpers."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from indexdsl import model
from indexdsl.check import lowering
from indexdsl.diagnostics import UsageError, suggest
from indexdsl.syntax import ast

#: functions that aggregate a pair-level value over each unit's partners
PARTNER_AGGREGATIONS = {
    "sum": "sum over partners",
    "mean": "mean over partners",
    "count": "number of partners with a non-zero value",
    "max": "highest value over partners",
    "min": "lowest value over partners",
}


FLOWS = ("both", "out", "in")


META_KEYS = (
    "title",
    "edition",
    "year",
    "description",
    "source",
    "publisher",
    "licence",
    "license",
    "url",
    "version",
    "contact",
    "requires",
)


#: what a node does when some children have no score (docs/reference/language.md)
MISSING_POLICIES = ("skip", "propagate")


#: however coarse the written weights, rounding never excuses more than this
MAX_ROUNDING = Fraction(2, 100)


def _column(ref: ast.ColumnRef | None) -> model.Column | None:
    return None if ref is None else lowering.column(ref)


def pair_tables_read(
    expr: ast.Expr, decls: dict[str, ast.IndicatorDecl], pairs: Iterable[str]
) -> set[str]:
    """The pairs tables an expression reads, following references to other indicators.

    A partner aggregation lines up values row by row, so everything inside it must come
    from one pairs table; the checker and the evaluator both ask this question.
    """
    pairs = set(pairs)
    found: set[str] = set()
    seen: set[str] = set()
    pending = [expr]
    while pending:
        for node in ast.walk(pending.pop()):
            if isinstance(node, ast.ColumnRef) and node.table.text in pairs:
                found.add(node.table.text)
            elif isinstance(node, ast.NameRef):
                name = node.name.text
                if name in decls and name not in seen:
                    seen.add(name)
                    pending.append(decls[name].expr)
    return found


def _fmt_percent(value: Fraction | float) -> str:
    text = f"{float(value) * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def parameter_values(
    tree: ast.IndexFile, overrides: dict[str, str] | None = None
) -> dict[str, float | str]:
    """The value of every declared parameter, with command-line overrides applied.

    Raises :class:`UsageError` for an override that names no parameter or does not fit
    the parameter's type: that is a mistake on the command line, not in the file.
    """
    declared = {d.name.text: d for d in tree.declarations if isinstance(d, ast.ParameterDecl)}
    values: dict[str, float | str] = {}
    for name, decl in declared.items():
        value = decl.value.value
        values[name] = float(value) if decl.value.kind in ("number", "percent") else str(value)
    for name, text in (overrides or {}).items():
        if name not in declared:
            hints = suggest(name, declared)
            known = ", ".join(f"`{n}`" for n in declared) or "none"
            raise UsageError(
                f"`--set {name}=…`: the index has no parameter `{name}`"
                + (f"; did you mean `{hints[0]}`?" if hints else f" (parameters: {known})")
            )
        if isinstance(values[name], float):
            try:
                values[name] = float(text)
            except ValueError:
                raise UsageError(f"`--set {name}={text}`: `{name}` takes a number") from None
        else:
            values[name] = text
    return values


def _shown_value(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: `treat none`: no outlier treatment (switches off an inherited one)
NO_TREATMENT = object()
