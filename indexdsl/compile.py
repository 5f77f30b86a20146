"""Checked model → immutable computation graph, topologically ordered.

The graph is a tuple of steps: compute each indicator from columns and other
indicators, normalise each leaf, aggregate each inner node from its children (children
before parents).  It holds the instantiated components and final weights, so the same
graph can be evaluated on units, on pairs (pathway scores) and on a batch of variants.
"""

from __future__ import annotations

import attrs
import numpy as np

from indexdsl.components import Aggregator, Normaliser
from indexdsl.model import IndexModel, Node
from indexdsl.syntax import ast


@attrs.frozen
class ComputeIndicator:
    name: str
    expr: ast.Expr


@attrs.frozen
class NormaliseLeaf:
    node: str
    indicator: str
    normaliser: Normaliser
    higher_is_better: bool


@attrs.frozen
class AggregateNode:
    node: str
    children: tuple[str, ...]
    weights: np.ndarray = attrs.field(eq=False)
    aggregator: Aggregator


Step = ComputeIndicator | NormaliseLeaf | AggregateNode


@attrs.frozen
class Graph:
    model: IndexModel
    steps: tuple[Step, ...]
    node_order: tuple[str, ...]  # parents before children, as in the file
    nodes: dict[str, Node]
    illustrative: frozenset[str]  # indicators that read illustrative columns

    @property
    def root(self) -> str:
        return self.model.root.name


def _illustrative_indicators(model: IndexModel) -> frozenset[str]:
    flagged: dict[str, set[str]] = {model.units.name: set(model.units.illustrative)}
    for name, spec in [*model.pairs.items(), *model.tables.items()]:
        flagged[name] = set(spec.illustrative)
    out: set[str] = set()
    # model.indicators is in dependency order, so a dependency is decided before its user
    for name, indicator in model.indicators.items():
        reads = any(ref.column.text in flagged.get(ref.table.text, ()) for ref in indicator.columns)
        if reads or any(dep in out for dep in indicator.depends):
            out.add(name)
    return frozenset(out)


def compile_model(model: IndexModel) -> Graph:
    steps: list[Step] = [
        ComputeIndicator(name, ind.decl.expr) for name, ind in model.indicators.items()
    ]

    def visit(node: Node) -> None:
        if node.is_leaf:
            steps.append(
                NormaliseLeaf(
                    node.name,
                    node.indicator,
                    node.normaliser,
                    model.indicators[node.indicator].higher_is_better,
                )
            )
            return
        for child in node.children:
            visit(child)
        weights = np.array([c.weight for c in node.children], dtype=float)
        weights.setflags(write=False)
        steps.append(
            AggregateNode(node.name, tuple(c.name for c in node.children), weights, node.aggregator)
        )

    visit(model.root)
    nodes = {node.name: node for node in model.root.walk()}
    return Graph(model, tuple(steps), tuple(nodes), nodes, _illustrative_indicators(model))
