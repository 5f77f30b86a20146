"""The checked index definition: names resolved, components instantiated, weights final.

:mod:`indexdsl.check` builds these from the AST; nothing here refers back to lark, and
nothing here has seen the data yet.
"""

from __future__ import annotations

import attrs

from indexdsl.components import Aggregator, Component, Normaliser
from indexdsl.diagnostics import Span
from indexdsl.syntax import ast


@attrs.frozen
class IndexMeta:
    name: str
    title: str
    edition: str | None = None
    description: str | None = None
    sources: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    #: plugin distributions the index needs (``requires "indexdsl-example >= 0.2"``)
    requires: tuple[str, ...] = ()


@attrs.frozen
class TableSpec:
    """A units or pairs table: its loader, and the columns flagged illustrative."""

    name: str
    title: str
    loader: Component
    span: Span | None
    illustrative: dict[str, str] = attrs.field(factory=dict)  # column -> reason
    illustrative_spans: dict[str, Span] = attrs.field(factory=dict)


@attrs.frozen
class UnitsSpec(TableSpec):
    key: str = ""
    key_span: Span | None = None
    label: str | None = None
    label_span: Span | None = None
    groups: tuple[tuple[str, Span | None], ...] = ()
    exclude: tuple[tuple[str, str, Span | None], ...] = ()  # column, glob pattern, span


@attrs.frozen
class DataTableSpec(TableSpec):
    """A table of more values per unit, joined on ``key``."""

    key: str = ""
    key_span: Span | None = None


@attrs.frozen
class PairsSpec(TableSpec):
    between: tuple[str, str] = ("", "")
    between_spans: tuple[Span | None, Span | None] = (None, None)
    directed: bool = False


@attrs.frozen
class Indicator:
    name: str
    title: str
    decl: ast.IndicatorDecl
    higher_is_better: bool
    level: str  # "unit" | "pair" | "constant"
    depends: tuple[str, ...]  # other indicators used in the expression
    columns: tuple[ast.ColumnRef, ...]  # every column the expression reads
    pair_tables: tuple[str, ...]  # pairs tables its partner aggregations read
    has_pair_form: bool  # can be evaluated per pair (for pathway scores)


@attrs.frozen
class Node:
    """A node of the hierarchy; a leaf carries an indicator, an inner node children."""

    name: str
    title: str
    weight: float  # final weight within its parent (siblings sum to 1)
    weight_text: str
    span: Span | None
    children: tuple[Node, ...] = ()
    indicator: str | None = None
    aggregator: Aggregator | None = None
    aggregator_span: Span | None = None
    normaliser: Normaliser | None = None
    normaliser_span: Span | None = None
    reference: ast.ColumnRef | None = None
    reference_scores: ast.ColumnRef | None = None
    previous: ast.ColumnRef | None = None  # ranks in the previous edition
    top: float | None = None  # share of units marked as the top tier (0.1 for `top 10%`)
    rescaler: Normaliser | None = None  # applied to the node's aggregated scores
    rescaler_span: Span | None = None
    missing: str = "skip"  # or "propagate": no score when a child has none
    depth: int = 0

    @property
    def is_leaf(self) -> bool:
        return self.indicator is not None

    def walk(self):
        """Every node below and including this one, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()


@attrs.frozen
class UncertaintySpec:
    """The uncertain inputs declared in an `uncertainty` block, checked."""

    weight_noise: float | None = None  # relative, 0.25 for `weights vary 25%`
    weight_depths: tuple[int, ...] = ()  # depths of the nodes whose children's weights vary
    normalisers: tuple[Normaliser, ...] = ()
    aggregators: tuple[Aggregator, ...] = ()
    exclude_one: bool = False
    span: Span | None = None


@attrs.frozen
class IndexModel:
    meta: IndexMeta
    units: UnitsSpec
    pairs: dict[str, PairsSpec]
    tables: dict[str, DataTableSpec]
    indicators: dict[str, Indicator]
    root: Node
    pathways: str | None = None
    pathways_span: Span | None = None
    file: str = ""
    parameters: dict[str, float | str] = attrs.field(factory=dict)
    uncertainty: UncertaintySpec | None = None

    def nodes(self) -> list[Node]:
        return list(self.root.walk())
