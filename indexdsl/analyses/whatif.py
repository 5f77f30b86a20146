"""What-if analysis: the index recomputed without some nodes of its hierarchy.

The BRI report publishes how ranks change when a category is added ("impact of
information connection on the overall ranking"); here the same question is asked the
other way round: leave nodes out, keep their siblings' relative weights (rescaled to
sum to one), and compare the ranks.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from indexdsl.diagnostics import DiagnosticError, suggest
from indexdsl.errors import commands as errors
from indexdsl.evaluate import Result
from indexdsl.model import IndexModel, Node


def _without(node: Node, dropped: set[str]) -> Node:
    kept = [c for c in node.children if c.name not in dropped]
    if not kept:
        raise DiagnosticError([errors.node_left_empty(node.name, node.span)])
    total = sum(c.weight for c in kept)
    children = tuple(
        attrs.evolve(_without(c, dropped), weight=c.weight / total)
        if not c.is_leaf
        else attrs.evolve(c, weight=c.weight / total)
        for c in kept
    )
    return attrs.evolve(node, children=children)


def published_changes(result: Result, column: str) -> list[int | None]:
    """The published rank change of each unit, from a column of the units table
    (`+2`, `-1`, `0`; an empty or `—` cell: not published).  Read here, not from the
    index file, because the change belongs to one what-if question."""
    table = result.data.units
    if column not in table.columns:
        hints = suggest(column, table.columns)
        raise DiagnosticError(
            [errors.unknown_units_column(column, table.path, hints[0] if hints else None)]
        )
    out: list[int | None] = []
    for cell in table.cells(column):
        text = cell.strip().replace("\u2212", "-")
        if not text:
            out.append(None)
            continue
        if text in ("—", "–"):  # as reports print "unchanged"
            out.append(0)
            continue
        try:
            out.append(int(float(text)))
        except ValueError:
            raise DiagnosticError(
                [errors.published_change_not_a_number(cell, column, table.path)]
            ) from None
    return out


def drop_nodes(
    result: Result, names: list[str], evaluate: Callable[[IndexModel, object], Result]
) -> Result:
    """The index evaluated without the nodes ``names``; ``evaluate(model, data)`` is the
    pipeline's (an analysis does not wire the stages itself)."""
    model = result.graph.model
    known = {n.name for n in model.root.walk()} - {model.root.name}
    for name in names:
        if name not in known:
            hints = suggest(name, known)
            raise DiagnosticError([errors.unknown_node(name, hints[0] if hints else None)])
    root = _without(model.root, set(names))
    return evaluate(attrs.evolve(model, root=root, pathways=None), result.data)
