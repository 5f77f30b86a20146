"""The checked index definition: names resolved, components instantiated, weights final.

:mod:`indexdsl.check` builds these from the AST; nothing here refers back to lark, and
nothing here has seen the data yet.
"""

from __future__ import annotations

from typing import Any

import attrs

from indexdsl.components import (
    Aggregator,
    Component,
    Imputer,
    Normaliser,
    Transform,
    WeightingScheme,
)
from indexdsl.diagnostics import Span


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
    #: illustrative columns generated to reproduce the published ranks
    tuned: frozenset[str] = frozenset()


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
    # `exclude same country`: pairs whose two units share the value of a units column
    exclude_same: tuple[tuple[str, Span | None], ...] = ()


@attrs.frozen
class Column:
    """``table.column`` as the checked model knows it: names, and where it was written."""

    table: str
    column: str
    span: Span | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


# ---- expressions, with names resolved and components bound ------------------------------
# The checker lowers each indicator's expression to these; :mod:`indexdsl.compile` turns
# them into closures.  Nothing downstream needs the parse tree or the plugin registry.


@attrs.frozen
class Constant:
    """A number, or a numeric parameter's value."""

    value: float


@attrs.frozen
class IndicatorValue:
    """Another indicator's raw values."""

    name: str


@attrs.frozen
class ColumnValue:
    column: Column


@attrs.frozen
class Negation:
    operand: Expression


@attrs.frozen
class Operation:
    op: str  # + - * / ^
    left: Expression
    right: Expression


@attrs.frozen
class PartnerAggregation:
    """``sum(route.flights)``: each unit's values over the pairs it belongs to (the pair's
    own value when scoring pathways).  ``table`` is the pairs table read (None only in a
    model the checker rejected)."""

    how: str  # sum | mean | count | max | min
    inner: Expression
    table: str | None
    flow: str  # both | out | in


@attrs.frozen
class NodeScore:
    """A framework node's score, read by a formula node (``hdi_f / hdi_m``)."""

    name: str


@attrs.frozen
class TransformCall:
    """A transform (``log(x)``), bound: the instance and the plugin that provides it."""

    transform: Transform
    args: tuple[Expression, ...]
    kwargs: tuple[tuple[str, Expression], ...]
    plugin: str
    span: Span | None = attrs.field(default=None, eq=False)


@attrs.frozen
class NormaliserCall:
    """A normaliser used inside an expression (``minmax(x, 0, 1)``), bound.

    Where some of its parameters are computed from the data (``goalposts(x, 0,
    max_over_units(x))``), ``normaliser`` is None: it is built when the index is
    evaluated, from ``cls``, the ``constants`` the checker accepted and the values of
    ``arguments``, one per parameter, each the same for every unit."""

    normaliser: Normaliser | None
    values: Expression
    plugin: str
    span: Span | None = attrs.field(default=None, eq=False)
    cls: type | None = None
    constants: tuple[tuple[str, Any], ...] = ()
    arguments: tuple[tuple[str, Expression], ...] = ()


@attrs.frozen
class EditionReduction:
    """``max_over_editions(country.gnipc_{year}, 1990, 2022)``: the largest (``how``:
    max, min or mean) of one expression over several editions, unit by unit; one
    expression per edition, its column templates filled."""

    how: str
    editions: tuple[Expression, ...]
    span: Span | None = attrs.field(default=None, eq=False)


Expression = (
    Constant
    | IndicatorValue
    | NodeScore
    | ColumnValue
    | Negation
    | Operation
    | PartnerAggregation
    | TransformCall
    | NormaliserCall
    | EditionReduction
)


def walk(expr: Expression):
    """Every sub-expression of ``expr``, itself first, in the order they were written."""
    yield expr
    if isinstance(expr, TransformCall):
        for arg in expr.args:
            yield from walk(arg)
        for _, value in expr.kwargs:
            yield from walk(value)
    elif isinstance(expr, NormaliserCall):
        yield from walk(expr.values)
        for _, value in expr.arguments:
            yield from walk(value)
    elif isinstance(expr, EditionReduction):
        for edition in expr.editions:
            yield from walk(edition)
    elif isinstance(expr, PartnerAggregation):
        yield from walk(expr.inner)
    elif isinstance(expr, Operation):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, Negation):
        yield from walk(expr.operand)


def columns_read(expr: Expression) -> list[Column]:
    """Every column an expression reads, in the order written (repeats kept)."""
    return [node.column for node in walk(expr) if isinstance(node, ColumnValue)]


@attrs.frozen
class ReferenceExpression:
    """``reference ranks 44 - country.rank_from_bottom``: published ranks or scores (or
    the previous edition's ranks) computed per unit from columns of per-unit tables,
    numbers and parameters.  ``decimals``: the published precision when the expression's
    outermost call is ``round(x, d)`` (None: the most decimals of the columns read)."""

    expression: Expression
    text: str  # as written (formatted), for messages and explanations
    decimals: int | None = None
    span: Span | None = attrs.field(default=None, eq=False)

    def __str__(self) -> str:
        return self.text

    @property
    def columns(self) -> list[Column]:
        return columns_read(self.expression)


@attrs.frozen
class Indicator:
    name: str
    title: str
    expression: Expression
    higher_is_better: bool
    level: str  # "unit" | "pair" | "constant"
    depends: tuple[str, ...]  # other indicators used in the expression
    columns: tuple[Column, ...]  # every column the expression reads
    pair_tables: tuple[str, ...]  # pairs tables its partner aggregations read
    has_pair_form: bool  # can be evaluated per pair (for pathway scores)
    unit: str | None = None  # of measurement (``unit "USD"``)
    span: Span | None = attrs.field(default=None, eq=False)  # its name where declared


@attrs.frozen
class Treatment:
    """An outlier treatment (``treat winsorise(max_points = 5)``): a transform applied to
    an indicator's values after imputation and before normalisation, with the
    arguments written in the file (the values themselves are the first argument)."""

    transform: Transform
    arguments: dict = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return self.transform.name

    def describe(self) -> str:
        if not self.arguments:
            return self.name
        inner = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"{self.name}({inner})"


@attrs.frozen
class Chosen:
    """What a node chose for one role (a component, or the screen's threshold) and
    where it was chosen; the span is kept also when the choice was left unset there."""

    value: Any
    span: Span | None = None


#: the roles a node chooses a method for, as written in ``Node.chosen``
ROLES = ("aggregator", "normaliser", "rescaler", "imputer", "treatment", "weighting", "screen")


def choices(**chosen: tuple[Any, Span | None]) -> dict[str, Chosen]:
    """``Node.chosen`` from (value, span) pairs by role, leaving out those neither
    chosen nor written (``choices(normaliser=(minmax, span), imputer=(None, None))``)."""
    unknown = set(chosen) - set(ROLES)
    if unknown:
        raise TypeError(f"not a role of a node: {', '.join(sorted(unknown))}")
    return {
        role: Chosen(value, span)
        for role, (value, span) in chosen.items()
        if value is not None or span is not None
    }


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
    #: the methods chosen here, by role (see :data:`ROLES`), with where each was chosen
    chosen: dict[str, Chosen] = attrs.field(factory=dict)
    #: a column, or an expression of per-unit columns (``ReferenceExpression``)
    reference: Column | ReferenceExpression | None = None
    reference_scores: Column | ReferenceExpression | None = None
    #: published ranks of the node's pathway scores: a column of a pairs table, matched
    #: to the pathways by their two units (`reference pathway ranks published.overall`)
    reference_pathways: Column | None = None
    #: `reference tolerance 0.001`: a computed score agrees with the published one when
    #: they differ by at most this much (else: when it rounds to the published value)
    reference_tolerance: float | None = None
    previous: Column | ReferenceExpression | None = None  # ranks in the previous edition
    top: float | None = None  # share of units marked as the top tier (0.1 for `top 10%`)
    #: ranks taken on scores rounded to this many decimals (`rank at 3 decimals`): equal
    #: rounded scores share a rank, as publishers rank; None: full precision
    rank_decimals: int | None = None
    #: `lower is better` on a node: its lowest score ranks first (a gap, a risk)
    higher_is_better: bool = True
    #: `best at 1` on a node: the score nearest this target ranks first (parity = 1)
    best_at: float | None = None
    missing: str = "skip"  # or "propagate": no score when a child has none
    depth: int = 0
    #: panel imputation: (edition, expression) of the indicator in earlier editions
    history: tuple = ()
    #: a formula node's score: an expression of other nodes' scores (``NodeScore``),
    #: indicators and parameters, instead of an aggregation of children
    formula: Expression | None = None
    formula_text: str = ""  # the formula as written (formatted), for explanations
    #: nodes computed here but not aggregated into this node's score: the nodes written
    #: inside a formula node, and auxiliary nodes (``auxiliary hdi { … }``)
    inputs: tuple[Node, ...] = ()
    #: computed, ranked and written, but not part of its parent's score
    auxiliary: bool = False

    def _value(self, role: str) -> Any:
        chosen = self.chosen.get(role)
        return chosen.value if chosen is not None else None

    def span_of(self, role: str) -> Span | None:
        """Where the method of ``role`` was chosen (None if nowhere)."""
        chosen = self.chosen.get(role)
        return chosen.span if chosen is not None else None

    @property
    def aggregator(self) -> Aggregator | None:
        return self._value("aggregator")

    @property
    def normaliser(self) -> Normaliser | None:
        return self._value("normaliser")

    @property
    def rescaler(self) -> Normaliser | None:
        """Applied to the node's aggregated scores."""
        return self._value("rescaler")

    @property
    def imputer(self) -> Imputer | None:
        """Leaves: how missing values are filled."""
        return self._value("imputer")

    @property
    def treatment(self) -> Treatment | None:
        """Leaves: the outlier treatment."""
        return self._value("treatment")

    @property
    def weighting(self) -> WeightingScheme | None:
        """Inner nodes: weights chosen by a scheme from the data (``weights entropy``)."""
        return self._value("weighting")

    @property
    def screen(self) -> float | None:
        """Least share of the indicators below this node a unit needs (``screen 90%``);
        at the index, units below it are left out of the index altogether."""
        return self._value("screen")

    @property
    def is_leaf(self) -> bool:
        return self.indicator is not None

    @property
    def formula_reads(self) -> tuple[str, ...]:
        """The nodes a formula node's expression reads, in the order written."""
        if self.formula is None:
            return ()
        return tuple(dict.fromkeys(e.name for e in walk(self.formula) if isinstance(e, NodeScore)))

    def walk(self):
        """Every node below and including this one, parents before children (the
        inputs and auxiliary nodes after the aggregated children)."""
        yield self
        for child in (*self.children, *self.inputs):
            yield from child.walk()

    def walk_index(self):
        """The nodes whose data make this node's score: auxiliary nodes left out."""
        yield self
        for child in (*self.children, *self.inputs):
            if not child.auxiliary:
                yield from child.walk_index()


@attrs.frozen
class UncertaintySpec:
    """The uncertain inputs declared in an `uncertainty` block, checked."""

    weight_noise: float | None = None  # relative, 0.25 for `weights vary 25%`
    weight_depths: tuple[int, ...] = ()  # depths of the nodes whose children's weights vary
    normalisers: tuple[Normaliser, ...] = ()
    aggregators: tuple[Aggregator, ...] = ()
    exclude_one: bool = False
    imputers: tuple[Imputer, ...] = ()
    treatments: tuple[Treatment | None, ...] = ()
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
    #: module of a component class, or plugin name -> the plugin that provides it, so
    #: that a failing component is reported with its plugin's name without the registry
    providers: dict[str, str] = attrs.field(factory=dict)

    def nodes(self) -> list[Node]:
        return list(self.root.walk())
