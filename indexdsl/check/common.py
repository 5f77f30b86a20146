"""What the checker's passes share: the language's fixed names and small helpers."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from indexdsl.check import lowering
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


def _column(ref):
    """A setting's column as the model knows it; a reference expression was lowered when
    its setting was read, and is kept as it is."""
    if isinstance(ref, ast.ColumnRef):
        return lowering.column(ref)
    return ref


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


#: `treat none`: no outlier treatment (switches off an inherited one)
NO_TREATMENT = object()
