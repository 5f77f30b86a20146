"""Checked model → immutable computation graph, topologically ordered.

The graph is a tuple of steps: compute each indicator from columns and other
indicators, normalise each leaf, aggregate each inner node from its children (children
before parents).  It holds the instantiated components and final weights, so the same
graph can be evaluated on units, on pairs (pathway scores) and on a batch of variants.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Protocol

import attrs
import numpy as np

from indexdsl import model as m
from indexdsl.binding import DataBoundNormaliser, build
from indexdsl.components import Aggregator, ComponentValueError, Context, Normaliser
from indexdsl.model import IndexModel, Node

_OPERATIONS = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
    "^": np.power,
}


class Engine(Protocol):
    """What a compiled expression asks of the engine that runs it."""

    def column(self, table: str, column: str) -> np.ndarray: ...

    def partner_aggregate(
        self, how: str, values: np.ndarray, table: str | None, flow: str
    ) -> np.ndarray: ...

    def context(self, level: str) -> Context: ...

    def guard(self, fn: Callable[[], Any], span, what: str, plugin: str) -> Any: ...

    def note_left_out(self, level: str, span, what: str, values: np.ndarray) -> None:
        """A reduction over units left out the missing ``values``: say so."""


#: a compiled expression: (engine, level "unit" or "pair", raw values so far) -> values
Compiled = Callable[[Engine, str, dict], np.ndarray]


def compile_expression(expr: m.Expression) -> Compiled:
    """An expression as a closure with its components bound, so that evaluating it is
    calling functions: no tree is interpreted, nothing is looked up by name."""
    if isinstance(expr, m.Constant):
        value = np.float64(expr.value)
        return lambda engine, level, raw: value
    if isinstance(expr, m.IndicatorValue | m.NodeScore):
        name = expr.name  # a formula node is given the node scores with the raw values
        return lambda engine, level, raw: raw[name]
    if isinstance(expr, m.ColumnValue):
        table, column = expr.column.table, expr.column.column
        return lambda engine, level, raw: engine.column(table, column)
    if isinstance(expr, m.Negation):
        operand = compile_expression(expr.operand)
        return lambda engine, level, raw: -operand(engine, level, raw)
    if isinstance(expr, m.Operation):
        return _operation(
            _OPERATIONS[expr.op], compile_expression(expr.left), compile_expression(expr.right)
        )
    if isinstance(expr, m.PartnerAggregation):
        return _partner(expr, compile_expression(expr.inner))
    if isinstance(expr, m.TransformCall):
        return _transform(expr)
    if isinstance(expr, m.NormaliserCall):
        return _normaliser(expr)
    if isinstance(expr, m.EditionReduction):
        return _editions(expr)
    raise TypeError(f"unexpected expression {expr!r}")  # pragma: no cover


def _operation(ufunc, left: Compiled, right: Compiled) -> Compiled:
    def run(engine, level, raw):
        a, b = left(engine, level, raw), right(engine, level, raw)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = ufunc(a, b)
        # a division by zero or an overflow gives a missing value, not infinity
        return np.where(np.isfinite(out), out, np.nan)

    return run


def _partner(expr: m.PartnerAggregation, inner: Compiled) -> Compiled:
    how, table, flow = expr.how, expr.table, expr.flow

    def run(engine, level, raw):
        values = inner(engine, "pair", raw)
        if level == "pair":
            if how == "count":  # a pathway has the link (1) or not (0): the count of one pair
                return np.where(np.isnan(values), np.nan, (values != 0).astype(float))
            return values  # a pathway's own value
        return engine.partner_aggregate(how, values, table, flow)

    return run


def _transform(expr: m.TransformCall) -> Compiled:
    transform, plugin, span = expr.transform, expr.plugin, expr.span
    what = f"`{transform.name}`"
    args = [compile_expression(a) for a in expr.args]
    kwargs = [(k, compile_expression(v)) for k, v in expr.kwargs]

    def run(engine, level, raw):
        a = [f(engine, level, raw) for f in args]
        k = {key: f(engine, level, raw) for key, f in kwargs}
        if transform.one_value and a:  # a reduction over units: missing values left out
            engine.note_left_out(level, span, what, a[0])
        return engine.guard(lambda: transform.apply(*a, **k), span, what, plugin)

    return run


#: how the editions of a panel are reduced, unit by unit, missing values left out
_EDITION_REDUCERS = {"max": np.nanmax, "min": np.nanmin, "mean": np.nanmean}


def _editions(expr: m.EditionReduction) -> Compiled:
    parts = [compile_expression(e) for e in expr.editions]
    reduce = _EDITION_REDUCERS[expr.how]

    def run(engine, level, raw):
        values = [np.asarray(f(engine, level, raw), dtype=float) for f in parts]
        stacked = np.stack(np.broadcast_arrays(*values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a unit missing every edition
            out = reduce(stacked, axis=0)
        return np.where(np.isnan(stacked).all(axis=0), np.nan, out)

    return run


def _normaliser(expr: m.NormaliserCall) -> Compiled:
    normaliser, plugin, span = expr.normaliser, expr.plugin, expr.span
    values_of = compile_expression(expr.values)
    if expr.arguments:
        return _normaliser_from_data(expr, values_of)
    what = f"`{normaliser.name}`"

    def run(engine, level, raw):
        values = values_of(engine, level, raw)
        context = engine.context(level)
        return engine.guard(lambda: normaliser.normalise(values, context)[0], span, what, plugin)

    return run


def _normaliser_from_data(expr: m.NormaliserCall, values_of: Compiled) -> Compiled:
    """A normaliser whose parameters are partly computed from the data: built at each
    evaluation, once its arguments' values are known (the same for every unit)."""
    cls, plugin, span = expr.cls, expr.plugin, expr.span
    what = f"`{cls.name}`"
    arguments = [(name, compile_expression(e)) for name, e in expr.arguments]

    def run(engine, level, raw):
        values = values_of(engine, level, raw)
        computed = {name: f(engine, level, raw) for name, f in arguments}

        def normalise():
            normaliser = bind_computed(cls, dict(expr.constants), computed)
            return normaliser.normalise(values, engine.context(level))[0]

        return engine.guard(normalise, span, what, plugin)

    return run


def _one_values(computed: dict[str, Any]) -> dict[str, float]:
    """Each parameter's one value from what its expression gave (the same for every
    unit, or missing where every value it reduces is missing: then it is refused,
    never invented)."""
    out = {}
    for name, value in computed.items():
        # the same everywhere, by construction (the checker's rule): the first value
        # is the value, and an engine keeping its arrays elsewhere reads only that one
        first = value.ravel()[:1] if hasattr(value, "ravel") else np.ravel(value)[:1]
        first = np.asarray(first, dtype=float)
        if first.size == 0 or np.isnan(first[0]):
            raise ComponentValueError(
                f"parameter `{name}` has no value: every value it is computed from is missing",
                help="check the data it is computed from, or write a number",
            )
        out[name] = float(first[0])
    return out


def bind_computed(cls: type, constants: dict, computed: dict[str, Any]) -> Normaliser:
    """The normaliser ``cls`` with its ``constants`` and the one value of each
    parameter ``computed`` from the data; a refusal of its own validation says which
    values were computed and what they came to."""
    settings = {**constants, **_one_values(computed)}
    try:
        return build(cls, kwargs=settings)
    except ComponentValueError as exc:
        shown = ", ".join(f"{k} = {settings[k]:.6g}" for k in computed)
        raise ComponentValueError(
            f"{exc.message} (computed from the data: {shown})", exc.help, exc.units
        ) from None


@attrs.frozen
class ComputeIndicator:
    name: str
    compute: Compiled = attrs.field(eq=False)


@attrs.frozen
class NormaliseLeaf:
    node: str
    indicator: str
    normaliser: Normaliser
    higher_is_better: bool
    #: parameters computed from the data (a :class:`DataBoundNormaliser`): the engine
    #: computes these and binds the normaliser before it scores
    arguments: tuple[tuple[str, Compiled], ...] = attrs.field(default=(), eq=False)


@attrs.frozen
class AggregateNode:
    node: str
    children: tuple[str, ...]
    weights: np.ndarray = attrs.field(eq=False)
    aggregator: Aggregator


@attrs.frozen
class FormulaNode:
    """A node whose score is an expression of other nodes' scores (``hdi_f / hdi_m``)."""

    node: str
    compute: Compiled = attrs.field(eq=False)


Step = ComputeIndicator | NormaliseLeaf | AggregateNode | FormulaNode


@attrs.frozen
class Graph:
    model: IndexModel
    steps: tuple[Step, ...]
    node_order: tuple[str, ...]  # parents before children, as in the file
    nodes: dict[str, Node]
    illustrative: frozenset[str]  # indicators that read illustrative columns
    #: indicators that read illustrative columns generated to reproduce published ranks
    tuned: frozenset[str] = frozenset()
    #: references written as expressions: (setting, node) -> the compiled expression
    references: dict = attrs.field(factory=dict, eq=False)

    @property
    def root(self) -> str:
        return self.model.root.name


def _illustrative_indicators(model: IndexModel, tuned: bool = False) -> frozenset[str]:
    """The indicators that read illustrative columns (``tuned``: columns generated to
    reproduce the published ranks), directly or through other indicators."""

    def columns(spec) -> set[str]:
        return set(spec.tuned if tuned else spec.illustrative)

    flagged: dict[str, set[str]] = {model.units.name: columns(model.units)}
    for name, spec in [*model.pairs.items(), *model.tables.items()]:
        flagged[name] = columns(spec)
    out: set[str] = set()
    # model.indicators is in dependency order, so a dependency is decided before its user
    for name, indicator in model.indicators.items():
        reads = any(ref.column in flagged.get(ref.table, ()) for ref in indicator.columns)
        if reads or any(dep in out for dep in indicator.depends):
            out.add(name)
    return frozenset(out)


def compile_model(model: IndexModel) -> Graph:
    steps: list[Step] = [
        ComputeIndicator(name, compile_expression(ind.expression))
        for name, ind in model.indicators.items()
    ]

    nodes = {node.name: node for node in model.root.walk()}
    done: set[str] = set()

    def visit(node: Node) -> None:
        # a node after every node its score needs: its children, the nodes written
        # inside it, and those its formula reads (the checker has refused cycles)
        if node.name in done:
            return
        done.add(node.name)
        for other in (*node.children, *node.inputs):
            if not other.auxiliary:
                visit(other)
        for name in node.formula_reads:
            visit(nodes[name])
        if node.formula is not None:
            steps.append(FormulaNode(node.name, compile_expression(node.formula)))
            return
        if node.is_leaf:
            steps.append(
                NormaliseLeaf(
                    node.name,
                    node.indicator,
                    node.normaliser,
                    model.indicators[node.indicator].higher_is_better,
                    tuple(
                        (name, compile_expression(e))
                        for name, e in getattr(node.normaliser, "arguments", {}).items()
                    )
                    if isinstance(node.normaliser, DataBoundNormaliser)
                    else (),
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
    for node in nodes.values():  # auxiliary nodes, after the index
        visit(node)
    references = {
        (kind, node.name): compile_expression(getattr(node, kind).expression)
        for node in nodes.values()
        for kind in ("reference", "reference_scores", "previous")
        if isinstance(getattr(node, kind), m.ReferenceExpression)
    }
    return Graph(
        model,
        tuple(steps),
        tuple(nodes),
        nodes,
        _illustrative_indicators(model),
        _illustrative_indicators(model, tuned=True),
        references,
    )
