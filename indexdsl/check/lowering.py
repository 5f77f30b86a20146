"""Lowering: an indicator's AST expression to the model's, names resolved and components
bound.

After this step nothing downstream needs the parse tree or the plugin registry: a
reference to another indicator or to a parameter is told apart here, a partner
aggregation knows its pairs table, and a transform or normaliser called in an
expression is an instance with the plugin that provides it.  The checker has already
reported what is wrong; a part it rejected lowers to a missing value, and the model is
not used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import attrs

from indexdsl import model
from indexdsl.binding import build
from indexdsl.front.templates import EDITION_REDUCTIONS
from indexdsl.plugins import Registry
from indexdsl.syntax import ast

#: the language's own functions over a unit's partners (not plugins)
PARTNER_AGGREGATIONS = ("sum", "mean", "count", "max", "min")

_REJECTED = model.Constant(math.nan)


@attrs.frozen
class DeferredCall:
    """A normaliser called in an expression with parameters computed from the data
    (``max_over_units(x)``): the checker has bound its constant parameters; the others
    are lowered here and computed when the index is evaluated."""

    cls: type
    constants: dict
    arguments: dict  # parameter name -> its expression (the parse tree's)


def column(ref: ast.ColumnRef) -> model.Column:
    return model.Column(ref.table.text, ref.column.text, ref.column.span)


class Lowering:
    """Lowers expressions of one index; ``pair_table`` names the pairs table a partner
    aggregation's argument reads (the checker's own rule)."""

    def __init__(
        self,
        indicators: Iterable[str],
        parameters: dict,
        registry: Registry,
        pair_table: Callable[[ast.Expr], str | None],
        bound: dict | None = None,
    ):
        self.indicators = set(indicators)
        self.parameters = parameters
        self.registry = registry
        self.pair_table = pair_table
        #: the normalisers the checker built for calls in expressions, by call
        self.bound = bound or {}
        #: framework nodes, in a formula node's expression: a name read there is a node's
        #: score before it is an indicator's value
        self.nodes: set[str] = set()

    def lower(self, expr: ast.Expr) -> model.Expression:
        if isinstance(expr, ast.Number):
            return model.Constant(float(expr.value))
        if isinstance(expr, ast.NameRef):
            name = expr.name.text
            if name in self.nodes:
                return model.NodeScore(name)
            if name in self.indicators:
                return model.IndicatorValue(name)
            value = self.parameters.get(name)
            return model.Constant(float(value)) if isinstance(value, int | float) else _REJECTED
        if isinstance(expr, ast.ColumnRef):
            return model.ColumnValue(column(expr))
        if isinstance(expr, ast.Negate):
            return model.Negation(self.lower(expr.operand))
        if isinstance(expr, ast.Binary):
            return model.Operation(expr.op, self.lower(expr.left), self.lower(expr.right))
        if isinstance(expr, ast.Call):
            return self.call(expr)
        return _REJECTED

    def call(self, node: ast.Call) -> model.Expression:
        name = node.func.text
        if name in EDITION_REDUCTIONS:  # expanded to one argument per edition
            return model.EditionReduction(
                EDITION_REDUCTIONS[name], tuple(self.lower(a) for a in node.args), node.span
            )
        if name in PARTNER_AGGREGATIONS and len(node.args) == 1:
            flow = "both"
            for key, value in node.kwargs:
                if key.text == "flow" and isinstance(value, ast.NameRef):
                    flow = value.name.text
            return model.PartnerAggregation(
                name, self.lower(node.args[0]), self.pair_table(node.args[0]), flow
            )
        provided = self.registry.get("transform", name)
        if provided is not None:
            return model.TransformCall(
                build(provided.cls),
                tuple(self.lower(a) for a in node.args),
                tuple((k.text, self.lower(v)) for k, v in node.kwargs),
                provided.plugin,
                node.span,
            )
        provided = self.registry.get("normaliser", name)
        if provided is None or not node.args:
            return _REJECTED
        normaliser = self.bound.get(id(node))
        if isinstance(normaliser, DeferredCall):
            return model.NormaliserCall(
                None,
                self.lower(node.args[0]),
                provided.plugin,
                node.span,
                cls=normaliser.cls,
                constants=tuple(normaliser.constants.items()),
                arguments=tuple((k, self.lower(v)) for k, v in normaliser.arguments.items()),
            )
        if normaliser is None:
            # a call the checker did not see (panel history fills templates anew): built
            # the same way, from the literals the checker accepted there
            try:
                normaliser = build(
                    provided.cls,
                    [getattr(a, "value", None) for a in node.args[1:]],
                    {k.text: getattr(v, "value", None) for k, v in node.kwargs},
                )
            except Exception:  # reported by the checker (E215 …)
                return _REJECTED
        return model.NormaliserCall(
            normaliser, self.lower(node.args[0]), provided.plugin, node.span
        )


def providers(registry: Registry) -> dict[str, str]:
    """Module of each component class, and each plugin's own name -> the plugin."""
    out = {name: name for name in registry.infos}
    for _, _, provided in registry.all():
        out.setdefault(provided.cls.__module__, provided.plugin)
        out.setdefault(provided.plugin, provided.plugin)
    return out
