"""Indicators and expressions: names, calls, levels (unit, pair, constant), order."""

from __future__ import annotations

import math

from indexdsl.check import lowering
from indexdsl.check.common import (
    FLOWS,
    PARTNER_AGGREGATIONS,
    pair_tables_read,
)
from indexdsl.diagnostics import Label, suggest
from indexdsl.errors import check as errors
from indexdsl.errors import expressions as expression_errors
from indexdsl.front.templates import EDITION_REDUCTIONS
from indexdsl.model import (
    Indicator,
)
from indexdsl.syntax import ast
from indexdsl.syntax.formatter import format_expr


class IndicatorsPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    # ---- indicators ------------------------------------------------------------------------------
    def check_indicators(self, decls: dict[str, ast.IndicatorDecl], units, pairs) -> dict:
        self._decls, self._pairs = decls, set(pairs)
        info: dict[str, dict] = {}
        for name, decl in decls.items():
            info[name] = self._scan_expr(decl.expr, decls, units, pairs)
        order = self._order(decls, info)
        levels: dict[str, str] = {}
        pair_form: dict[str, bool] = {}
        indicators: dict[str, Indicator] = {}
        for name in order:
            decl = decls[name]
            level, has_pair_form = self._level(decl.expr, levels, pair_form, pairs)
            levels[name] = level or "constant"
            pair_form[name] = has_pair_form
            if decl.normalise is not None:
                self.component("normaliser", decl.normalise.component, from_data=True)
            # the pairs tables read here or by the indicators this one is built from
            for dep in info[name]["depends"]:
                for table in indicators[dep].pair_tables if dep in indicators else ():
                    if table not in info[name]["pair_tables"]:
                        info[name]["pair_tables"].append(table)
            indicators[name] = Indicator(
                name=name,
                title=decl.title or name,
                expression=self.lowering.lower(decl.expr),
                higher_is_better=decl.direction != "lower",
                level=levels[name],
                depends=tuple(info[name]["depends"]),
                columns=tuple(lowering.column(ref) for ref in info[name]["columns"]),
                pair_tables=tuple(info[name]["pair_tables"]),
                has_pair_form=has_pair_form,
                unit=decl.unit,
                span=decl.name.span,
            )
        return indicators

    @property
    def lowering(self) -> lowering.Lowering:
        """Lowers expressions to the model's (indicators known, templates filled)."""

        def pair_table(expr: ast.Expr) -> str | None:
            tables = pair_tables_read(expr, self._decls, self._pairs)
            return next(iter(tables)) if len(tables) == 1 else None

        return lowering.Lowering(
            self._decls, self.parameters, self.registry, pair_table, self._bound_calls
        )

    def _scan_expr(self, expr, decls, units, pairs, formula: bool = False) -> dict:
        """Resolve names in an expression; collect dependencies and columns.  In a
        formula node's expression (``formula``) the framework's nodes are names too."""
        found = {"depends": [], "columns": [], "pair_tables": []}
        tables = ([units.name] if units else []) + list(self.tables) + list(pairs)

        def visit(node, inside_partner: bool):
            if isinstance(node, ast.NameRef):
                name = node.name.text
                if name in decls:
                    found["depends"].append(name)
                elif isinstance(self.parameters.get(name), float):
                    pass  # a numeric parameter: a constant
                else:
                    hints = suggest(name, decls)
                    secondary = tuple(
                        Label(decls[h].name.span, "similar name declared here") for h in hints[:1]
                    )
                    if name in getattr(self, "dimension_names", ()) and not formula:
                        help_text = (
                            f"`{name}` is a node of the framework: an indicator is computed "
                            "before any node has a score, so it cannot read one; write a "
                            f"formula node in the framework instead (`ratio = {name} / …`)"
                        )
                    elif name in self.names:
                        kind = self.names[name][0]
                        help_text = (
                            f"`{name}` is a {kind}; an expression can use indicators "
                            "and columns (`table.column`)"
                        )
                    elif hints:
                        help_text = f"did you mean `{hints[0]}`?"
                    else:
                        help_text = (
                            "declare it with `indicator " + name + " = …`, or write a "
                            "column as `table.column`"
                            + (f" (e.g. `{tables[0]}.{name}`)" if tables else "")
                        )
                    self.diagnostics.append(
                        errors.unknown_indicator(name, node.name.span, secondary, help_text)
                    )
            elif isinstance(node, ast.ColumnRef):
                table = node.table.text
                if table not in tables:
                    hints = suggest(table, tables)
                    listed = ", ".join(f"`{t}`" for t in tables) or "none"
                    self.diagnostics.append(
                        expression_errors.unknown_table(
                            table, hints[0] if hints else None, listed, node.table.span
                        )
                    )
                else:
                    found["columns"].append(node)
                    if table in pairs and table not in found["pair_tables"]:
                        found["pair_tables"].append(table)
            elif isinstance(node, ast.Call):
                self._check_call(node, found, visit, inside_partner)
            elif isinstance(node, ast.Binary):
                visit(node.left, inside_partner)
                visit(node.right, inside_partner)
            elif isinstance(node, ast.Negate):
                visit(node.operand, inside_partner)

        visit(expr, False)
        return found

    def _check_call(self, node: ast.Call, found, visit, inside_partner: bool) -> None:
        name = node.func.text
        nargs = len(node.args)
        if name in EDITION_REDUCTIONS:  # one argument per edition (front/templates.py)
            for arg in node.args:
                visit(arg, inside_partner)
            return
        if name in PARTNER_AGGREGATIONS and (nargs == 1 or name in ("sum", "mean", "count")):
            if nargs != 1:
                self.diagnostics.append(expression_errors.partner_arguments(name, nargs, node.span))
                return
            for key, value in node.kwargs:
                if key.text != "flow":
                    self.diagnostics.append(expression_errors.bad_flow(name, key.text, key.span))
                elif not (isinstance(value, ast.NameRef) and value.name.text in FLOWS):
                    self.diagnostics.append(expression_errors.bad_flow(name, None, value.span))
            tables = pair_tables_read(node.args[0], self._decls, self._pairs)
            if len(tables) > 1:
                listed = ", ".join(f"`{t}`" for t in sorted(tables))
                self.diagnostics.append(
                    expression_errors.partner_reads_two_tables(
                        name, len(tables), listed, node.args[0].span
                    )
                )
            if inside_partner:
                self.diagnostics.append(
                    expression_errors.nested_partner_aggregation(name, node.span)
                )
            visit(node.args[0], True)
            return
        transform = self.registry.get("transform", name)
        normaliser = self.registry.get("normaliser", name)
        if transform is not None:
            params = transform.cls.params
            required = sum(p.required for p in params)
            if not required <= nargs + len(node.kwargs) <= len(params):
                self.diagnostics.append(
                    expression_errors.function_arguments(
                        name, node.span, [p.name for p in params], nargs + len(node.kwargs)
                    )
                )
            names = {p.name for p in params}
            for key, _ in node.kwargs:
                if key.text not in names:
                    self.diagnostics.append(errors.unknown_parameter(name, key.text, key.span))
            for arg in list(node.args) + [v for _, v in node.kwargs]:
                visit(arg, inside_partner)
            return
        if normaliser is not None:
            if nargs < 1:
                self.diagnostics.append(expression_errors.function_arguments(name, node.span))
                return
            # numbers, parameters and constant expressions (`log(75000)`) alike; a value
            # computed from the data, the same for every unit (`max_over_units(x)`), is
            # bound when the index is evaluated
            positional = [p for p in normaliser.cls.params]
            literals, kwargs, deferred = [], [], {}
            for i, arg in enumerate(node.args[1:]):
                literal = self._call_parameter(
                    name, arg, positional[i] if i < len(positional) else None, deferred
                )
                if literal is None:
                    return
                literals.append(literal)
            params = {p.name: p for p in normaliser.cls.params}
            for key, value in node.kwargs:
                literal = self._call_parameter(name, value, params.get(key.text), deferred)
                if literal is None:
                    return
                kwargs.append((key, literal))
            comp = ast.Component(node.func, tuple(literals), tuple(kwargs), True, span=node.span)
            if deferred:
                values = self._arguments(normaliser.cls, normaliser.cls.params, comp)
                if values is not None:
                    for arg in deferred.values():
                        visit(arg, inside_partner)
                    self._bound_calls[id(node)] = lowering.DeferredCall(
                        normaliser.cls,
                        {k: v for k, v in values.items() if k not in deferred},
                        deferred,
                    )
            else:  # bound once, here; the lowered expression uses this instance
                self._bound_calls[id(node)] = self.component("normaliser", comp)
            visit(node.args[0], inside_partner)
            return
        candidates = (
            list(PARTNER_AGGREGATIONS)
            + list(EDITION_REDUCTIONS)
            + self.registry.names("transform")
            + self.registry.names("normaliser")
        )
        hints = suggest(name, candidates)
        self.diagnostics.append(
            expression_errors.unknown_function(name, hints[0] if hints else None, node.func.span)
        )

    def lower_data_bound(self, units, pairs) -> None:
        """The parameters of `normalise` settings computed from the data, their names
        checked and lowered (the indicators are known only now)."""
        for bound in self._data_bound:
            if bound.written:
                continue  # one setting inherited by several nodes: done once
            for name, expr in bound.arguments.items():
                self._scan_expr(expr, self._decls, units, pairs)
                bound.written[name] = format_expr(expr)
            bound.arguments = {k: self.lowering.lower(v) for k, v in bound.arguments.items()}

    def _call_parameter(self, name: str, arg, param, deferred: dict):
        """A literal for one parameter of a normaliser called in an expression: its
        number, or (for a number computed from the data, the same for every unit) a
        placeholder, the expression kept in ``deferred``; None, reported, otherwise."""
        number = self.constant(arg)
        if number is not None:
            return ast.Literal(number, "number", span=arg.span)
        if param is not None and param.kind is float and self.one_value(arg):
            deferred[param.name] = arg
            return ast.Literal(math.nan, "number", span=arg.span)
        self.diagnostics.append(expression_errors.normaliser_parameters_not_numbers(name, arg.span))
        return None

    def one_value(self, expr) -> bool:
        """Whether an expression gives one value, the same for every unit, once the data
        are read: a reduction over units (``max_over_units(x)``), or numbers and
        functions of such values (``2 * mean_over_units(x)``)."""
        if self.constant(expr) is not None:
            return True
        if isinstance(expr, ast.Negate):
            return self.one_value(expr.operand)
        if isinstance(expr, ast.Binary):
            return self.one_value(expr.left) and self.one_value(expr.right)
        if isinstance(expr, ast.Call):
            provided = self.registry.get("transform", expr.func.text)
            if provided is None:
                return False
            if provided.cls.one_value:
                return True
            return all(self.one_value(a) for a in (*expr.args, *(v for _, v in expr.kwargs)))
        return False

    def _order(self, decls, info) -> list[str]:
        """Indicators in dependency order; report cycles."""
        order: list[str] = []
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(name: str):
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = stack[stack.index(name) :] + [name]
                decl = decls[name]
                self.diagnostics.append(
                    expression_errors.indicator_cycle(
                        cycle, decl.name.span, [(c, decls[c].name.span) for c in cycle[1:-1]]
                    )
                )
                return
            state[name] = 1
            stack.append(name)
            for dep in info[name]["depends"]:
                if dep in decls:
                    visit(dep)
            stack.pop()
            state[name] = 2
            order.append(name)

        for name in decls:
            visit(name)
        return order

    def _level(self, expr, levels, pair_form, pairs) -> tuple[str | None, bool]:
        """Whether an expression gives one value per unit or per pair (None: a constant),
        and whether it can also be evaluated per pair (for pathway scores)."""
        if isinstance(expr, ast.Number):
            return None, True
        if isinstance(expr, ast.NameRef):
            if expr.name.text in self.parameters:
                return None, True
            level = levels.get(expr.name.text)
            return (None if level == "constant" else level), pair_form.get(expr.name.text, False)
        if isinstance(expr, ast.ColumnRef):
            is_pair = expr.table.text in pairs
            return ("pair" if is_pair else "unit"), is_pair
        if isinstance(expr, ast.Negate):
            return self._level(expr.operand, levels, pair_form, pairs)
        if (
            isinstance(expr, ast.Call)
            and expr.func.text in PARTNER_AGGREGATIONS
            and len(expr.args) == 1
        ):
            inner, inner_pair = self._level(expr.args[0], levels, pair_form, pairs)
            if inner != "pair":
                self.diagnostics.append(
                    expression_errors.partner_argument_not_per_pair(
                        expr.func.text, inner, expr.args[0].span
                    )
                )
            return "unit", inner_pair
        parts = (
            list(expr.args) + [v for _, v in expr.kwargs]
            if isinstance(expr, ast.Call)
            else [expr.left, expr.right]
        )
        found = [self._level(p, levels, pair_form, pairs) for p in parts]
        kinds = {lvl for lvl, _ in found if lvl is not None}
        if len(kinds) > 1:
            self.diagnostics.append(expression_errors.mixed_levels(expr.span))
        level = "pair" if "pair" in kinds else ("unit" if kinds else None)
        return level, all(p for _, p in found)
