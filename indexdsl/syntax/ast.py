"""The abstract syntax tree of an index file.

Frozen attrs classes; every node carries the :class:`Span` it came from, but spans are
excluded from equality and hashing, so that ``parse(format(tree)) == tree`` holds and
can be tested as a property.  The AST is shape only: names are not resolved here.
"""

from __future__ import annotations

from fractions import Fraction

import attrs

from indexdsl.diagnostics import Span

_span = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Name:
    """An identifier with its own span, so diagnostics can underline exactly it."""

    text: str
    span: Span | None = _span


# ---- literals and component calls -------------------------------------------


@attrs.frozen
class Literal:
    """A parameter value: str, float, a percentage (stored as a fraction of 1), a symbol,
    or a call on constants such as ``log(100)`` (kind "call", value a :class:`Call`)."""

    value: str | float | Call
    kind: str  # "string" | "number" | "percent" | "symbol" | "call"
    span: Span | None = _span


@attrs.frozen
class Component:
    """A plugin component named in the file, with literal parameters: ``minmax(0, 100)``."""

    name: Name
    args: tuple[Literal, ...] = ()
    kwargs: tuple[tuple[Name, Literal], ...] = ()
    has_parens: bool = False
    span: Span | None = _span


# ---- expressions ---------------------------------------------------------------


@attrs.frozen
class Number:
    value: float
    span: Span | None = _span


@attrs.frozen
class NameRef:
    """A reference to another indicator by name."""

    name: Name
    span: Span | None = _span


@attrs.frozen
class ColumnRef:
    """``table.column``: a column of the units table or of a pairs table."""

    table: Name
    column: Name
    span: Span | None = _span


@attrs.frozen
class Call:
    """A function in an expression: partner aggregation, transform or normaliser."""

    func: Name
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[Name, Expr], ...] = ()
    span: Span | None = _span


@attrs.frozen
class Binary:
    op: str  # + - * / ^
    left: Expr
    right: Expr
    span: Span | None = _span


@attrs.frozen
class Negate:
    operand: Expr
    span: Span | None = _span


Expr = Number | NameRef | ColumnRef | Call | Binary | Negate


def walk(expr: Expr):
    """Every sub-expression of ``expr``, itself first (one traversal for every pass
    that looks for columns, indicators or functions)."""
    yield expr
    if isinstance(expr, Call):
        for arg in expr.args:
            yield from walk(arg)
        for _, value in expr.kwargs:
            yield from walk(value)
    elif isinstance(expr, Binary):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, Negate):
        yield from walk(expr.operand)


# ---- declarations ------------------------------------------------------------------


@attrs.frozen
class MetaItem:
    key: Name
    value: Literal
    span: Span | None = _span


@attrs.frozen
class IndexDecl:
    name: Name
    title: str | None
    meta: tuple[MetaItem, ...] = ()
    span: Span | None = _span


@attrs.frozen
class Setting:
    """A node or defaults setting: ``aggregate geometric``, ``weights equal``, …"""

    # aggregate normalise rescale weights pathways reference reference_scores previous
    # missing top weighting impute treat screen denominate
    kind: str
    component: Component | None = None
    target: Name | None = None
    column: ColumnRef | None = None
    #: `reference scores round(t.x * 100, 1)`: an expression where a column may stand
    #: (a plain column is kept in ``column``)
    expression: Expr | None = None
    percent: float | None = None  # `top 10%` stores 10.0
    number: float | None = None  # `rank at 3 decimals` stores 3.0
    span: Span | None = _span


@attrs.frozen
class DefaultsDecl:
    settings: tuple[Setting, ...] = ()
    span: Span | None = _span


@attrs.frozen
class Illustrative:
    """Columns whose values are illustrative, not measured; reported in every run."""

    columns: tuple[Name, ...]
    reason: str | None = None
    span: Span | None = _span
    #: `tuned to reference`: the values were generated to reproduce the published
    #: (reference) ranks, so agreement with them is reached by construction
    tuned: bool = False


@attrs.frozen
class UnitsDecl:
    name: Name
    title: str | None
    source: Component | None = None
    key: Name | None = None
    label: Name | None = None
    groups: tuple[Name, ...] = ()
    illustrative: tuple[Illustrative, ...] = ()
    exclude: tuple[tuple[Name, str], ...] = ()
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False)
    span: Span | None = _span


@attrs.frozen
class TableDecl:
    """Another table of values per unit, joined to the units on its key column."""

    name: Name
    title: str | None
    source: Component | None = None
    key: Name | None = None
    illustrative: tuple[Illustrative, ...] = ()
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False)
    span: Span | None = _span


@attrs.frozen
class PairsDecl:
    name: Name
    title: str | None
    source: Component | None = None
    between: tuple[Name, Name] | None = None
    directed: bool | None = None
    directed_span: Span | None = attrs.field(default=None, eq=False)
    illustrative: tuple[Illustrative, ...] = ()
    exclude_same: tuple[Name, ...] = ()  # `exclude same country`: unit columns
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False)
    span: Span | None = _span


@attrs.frozen
class IndicatorDecl:
    name: Name
    title: str | None
    expr: Expr
    direction: str | None = None  # "higher" | "lower" | None (higher)
    normalise: Setting | None = None
    unit: str | None = None
    impute: Setting | None = None
    treat: Setting | None = None
    repeated: tuple[tuple[str, Span | None], ...] = attrs.field(default=(), eq=False)
    span: Span | None = _span
    #: the module it was imported from (`import "…"`), None when declared in the file
    module: str | None = attrs.field(default=None, eq=False)


@attrs.frozen
class Weight:
    """A weight as written; ``resolution`` is the rounding step its notation implies."""

    value: Fraction
    text: str
    resolution: Fraction
    span: Span | None = _span


@attrs.frozen
class NodeDecl:
    """A child in the framework: a leaf (an indicator's name) or an inner node with a body."""

    name: Name
    title: str | None
    weight: Weight | None
    settings: tuple[Setting, ...] = ()
    children: tuple[NodeDecl, ...] = ()
    has_body: bool = False
    #: `name = expr`: the node's score is this expression of other nodes (a formula node)
    formula: Expr | None = None
    #: `auxiliary name …`: computed, ranked and written, but not part of its parent
    auxiliary: bool = False
    span: Span | None = _span


@attrs.frozen
class FrameworkDecl:
    """The hierarchy; written out in the file, or read from a metadata table (``from``)
    whose ``columns`` say which column holds the code, parent, weight …"""

    settings: tuple[Setting, ...] = ()
    children: tuple[NodeDecl, ...] = ()
    source: Component | None = None
    columns: tuple[tuple[Name, Name], ...] = ()
    #: `framework = expr { … }`: the index's score is a formula of its nodes
    formula: Expr | None = None
    span: Span | None = _span


@attrs.frozen
class UncertainInput:
    """One uncertain input: weights varying by a relative noise at some depths,
    alternative normalisers or aggregators, or leaving out one indicator."""

    kind: str  # "weights" | "normalise" | "aggregate" | "exclude"
    percent: float | None = None
    depths: tuple[int, ...] = ()
    #: `of nodes at depth N`: the depths of the nodes whose weights vary; without it
    #: (`at depth N`, kept for old files) the depths of their parents
    weighted: bool = False
    components: tuple[Component, ...] = ()
    span: Span | None = _span


@attrs.frozen
class UncertaintyDecl:
    inputs: tuple[UncertainInput, ...] = ()
    span: Span | None = _span


@attrs.frozen
class ExtendsDecl:
    """``extends "base.idx"``: the base file's declarations, some replaced by this file's."""

    path: str
    span: Span | None = _span


@attrs.frozen
class ImportDecl:
    """``import "hdi_method.idx"``: the module's parameters, templates and indicators,
    which this file uses as if it declared them (its own declarations win)."""

    path: str
    span: Span | None = _span


@attrs.frozen
class ParameterDecl:
    """A value the user may change from the command line (``--set year=2015``)."""

    name: Name
    title: str | None
    value: Literal
    span: Span | None = _span


@attrs.frozen
class TemplateDecl:
    """A subtree written once (``template hdi(le, low, high) { … }``): its indicators,
    settings and nodes, instantiated in the framework as ``hdi_f = hdi(…)``."""

    name: Name
    params: tuple[Name, ...]
    title: str | None
    indicators: tuple[IndicatorDecl, ...] = ()
    settings: tuple[Setting, ...] = ()
    children: tuple[NodeDecl, ...] = ()
    span: Span | None = _span


def framework_nodes(framework: FrameworkDecl):
    """Every node written in a framework block, parents before children."""
    stack = list(reversed(framework.children))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


Declaration = (
    TemplateDecl
    | UncertaintyDecl
    | ExtendsDecl
    | ImportDecl
    | ParameterDecl
    | TableDecl
    | IndexDecl
    | DefaultsDecl
    | UnitsDecl
    | PairsDecl
    | IndicatorDecl
    | FrameworkDecl
)


@attrs.frozen
class IndexFile:
    declarations: tuple[Declaration, ...]
    path: str = attrs.field(default="<string>", eq=False)
