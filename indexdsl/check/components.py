"""Components: methods named in the file, bound against the registry and built."""

from __future__ import annotations

import attrs

from indexdsl.binding import DataBoundNormaliser, build
from indexdsl.check.common import (
    NO_TREATMENT,
)
from indexdsl.components import Component, ComponentValueError
from indexdsl.diagnostics import suggest
from indexdsl.errors import check as errors
from indexdsl.errors import plugins as plugin_errors
from indexdsl.model import (
    Treatment,
)
from indexdsl.syntax import ast


@attrs.frozen
class _FromData:
    """A parameter written as one value computed from the data (``max_over_units(x)``)."""

    expression: ast.Expr


class ComponentsPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    def component(
        self, role: str, comp: ast.Component, from_data: bool = False
    ) -> Component | None:
        """Instantiate a component from the registry, checking its parameters (once per
        place in the file, so that a setting inherited by many nodes is reported once).
        With ``from_data`` (a `normalise` setting), a number parameter may be one value
        computed from the data (``max_over_units(x)``): the normaliser is then bound
        when the index is evaluated."""
        key = id(comp)
        if key not in self._components:
            self._components[key] = self._instantiate(role, comp, from_data)
        return self._components[key]

    def _instantiate(self, role: str, comp: ast.Component, from_data: bool = False):
        provided = self.registry.get(role, comp.name.text)
        if provided is None:
            hints = self.registry.suggestions(role, comp.name.text)
            available = ", ".join(f"`{n}`" for n in self.registry.names(role))
            self.diagnostics.append(
                errors.unknown_component(
                    role,
                    comp.name.text,
                    comp.name.span,
                    hints,
                    available,
                    [(i.name, i.distribution, i.status) for i in self.registry.unavailable()],
                )
            )
            return None
        cls = provided.cls
        values = self._arguments(cls, cls.params, comp, from_data)
        if values is None:
            return None
        computed = {k: v.expression for k, v in values.items() if isinstance(v, _FromData)}
        if computed:
            constants = {k: v for k, v in values.items() if k not in computed}
            bound = DataBoundNormaliser(cls, constants, computed, provided.plugin)
            self._data_bound.append(bound)
            return bound
        try:
            return build(cls, kwargs=values)
        except ComponentValueError as exc:  # the component's own parameter validation
            self.diagnostics.append(
                errors.component_rejects_parameters(
                    cls.name,
                    provided.plugin,
                    exc.message,
                    comp.span,
                    exc.help or self._signature_help(cls),
                )
            )
            return None
        except Exception as exc:
            self.diagnostics.append(
                plugin_errors.plugin_raised(
                    None, provided.plugin, exc, comp.span, workaround=f"creating `{cls.name}`"
                )
            )
            return None

    def treatment(self, comp: ast.Component) -> Treatment | None:
        """``treat NAME(...)``: a transform whose first argument is the indicator's values;
        the file gives the others.  ``treat none`` switches an inherited treatment off."""
        key = id(comp)
        if key in self._components:
            return self._components[key]
        found = None
        if comp.name.text != "none" or comp.args or comp.kwargs:
            provided = self.registry.get("transform", comp.name.text)
            if provided is None:
                self._instantiate("transform", comp)  # reports the unknown name
            else:
                values = self._arguments(provided.cls, provided.cls.params[1:], comp)
                if values is not None:
                    found = Treatment(provided.cls(), values)
        self._components[key] = found
        return found

    def _arguments(self, cls, params, comp: ast.Component, from_data: bool = False) -> dict | None:
        """The component's parameters bound to the literals written in the file (None,
        reported, when they do not fit)."""
        values, ok = {}, True
        if len(comp.args) > len(params):
            extra = comp.args[len(params)]
            self.diagnostics.append(
                errors.too_many_arguments(
                    cls.name,
                    len(params),
                    len(comp.args),
                    extra.span,
                    self._signature_help(cls, params),
                )
            )
            return None
        for param, literal in zip(params, comp.args, strict=False):
            ok &= self._bind(cls, param, literal, values, from_data)
        known = {p.name: p for p in params}
        for key, literal in comp.kwargs:
            param = known.get(key.text)
            if param is None:
                hint = suggest(key.text, known)
                self.diagnostics.append(
                    errors.unknown_parameter(
                        cls.name,
                        key.text,
                        key.span,
                        f"did you mean `{hint[0]}`?" if hint else self._signature_help(cls, params),
                    )
                )
                ok = False
                continue
            if param.name in values:
                self.diagnostics.append(errors.parameter_given_twice(param.name, key.span))
                ok = False
                continue
            ok &= self._bind(cls, param, literal, values, from_data)
        for param in params:
            if param.required and param.name not in values:
                self.diagnostics.append(
                    errors.missing_parameter(
                        cls.name,
                        param.name,
                        param.doc,
                        comp.span,
                        self._signature_help(cls, params),
                    )
                )
                ok = False
        return values if ok else None

    @staticmethod
    def _signature_help(cls, params=None) -> str:
        params = ", ".join(
            p.name if p.required else f"{p.name} = {p.default!r}"
            for p in (cls.params if params is None else params)
        )
        return f"write it as `{cls.name}({params})`"

    def constant(self, expr) -> float | None:
        """Value of an expression made of numbers and functions only: ``log(75000)``."""
        if isinstance(expr, ast.Number):
            return expr.value
        if isinstance(expr, ast.NameRef) and isinstance(self.parameters.get(expr.name.text), float):
            return self.parameters[expr.name.text]
        if isinstance(expr, ast.Negate):
            inner = self.constant(expr.operand)
            return None if inner is None else -inner
        if isinstance(expr, ast.Binary):
            left, right = self.constant(expr.left), self.constant(expr.right)
            if left is None or right is None:
                return None
            import numpy as np

            ops = {
                "+": np.add,
                "-": np.subtract,
                "*": np.multiply,
                "/": np.true_divide,
                "^": np.power,
            }
            with np.errstate(all="ignore"):
                value = float(ops[expr.op](left, right))
            return value if np.isfinite(value) else None
        if isinstance(expr, ast.Call) and not expr.kwargs:
            provided = self.registry.get("transform", expr.func.text)
            args = [self.constant(a) for a in expr.args]
            if provided is None or None in args:
                return None
            import numpy as np

            try:
                value = float(provided.cls().apply(*[np.float64(a) for a in args]))
            except Exception:
                return None
            return value if np.isfinite(value) else None
        return None

    def _bind(self, cls, param, literal: ast.Literal, values: dict, from_data=False) -> bool:
        value = literal.value
        if (
            literal.kind == "symbol"
            and param.kind in (float, int)
            and isinstance(self.parameters.get(str(value)), float)
        ):  # a numeric parameter where a number is expected: `goalposts(0, top)`
            value = self.parameters[str(value)]
            literal = ast.Literal(value, "number", span=literal.span)
        if literal.kind == "call":
            number = self.constant(value)
            if number is None and from_data and param.kind is float and self.one_value(value):
                values[param.name] = _FromData(value)
                return True
            if number is None:
                self.diagnostics.append(
                    errors.parameter_not_constant(
                        param.name, cls.name, literal.span, self.one_value(value)
                    )
                )
                return False
            literal = ast.Literal(number, "number", span=literal.span)
            value = number
        if param.kind in (float, int):
            if literal.kind not in ("number", "percent"):
                self.diagnostics.append(
                    errors.parameter_wrong_type(
                        "number", param.name, cls.name, literal.span, literal.kind
                    )
                )
                return False
            if param.kind is int and float(value) != int(value):
                self.diagnostics.append(
                    errors.parameter_wrong_type("whole", param.name, cls.name, literal.span)
                )
                return False
            values[param.name] = param.kind(value)
            return True
        if param.kind is bool:
            word = str(value).strip().lower()
            if literal.kind in ("number", "percent"):
                word = {0.0: "false", 1.0: "true"}.get(float(value), word)
            if word not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                self.diagnostics.append(
                    errors.parameter_wrong_type("switch", param.name, cls.name, literal.span)
                )
                return False
            values[param.name] = word in ("true", "yes", "on", "1")
            return True
        if param.kind is str:
            if literal.kind not in ("string", "symbol"):
                self.diagnostics.append(
                    errors.parameter_wrong_type(
                        "text", param.name, cls.name, literal.span, literal.kind, value
                    )
                )
                return False
            values[param.name] = str(value)
            return True
        values[param.name] = value
        return True

    def preparation(self, setting: ast.Setting):
        """The value of a `weights NAME`, `impute`, `treat` or `screen` setting (None when
        it is wrong, reported)."""
        if setting.kind == "weighting":
            return self.component("weighting", setting.component)
        if setting.kind == "impute":
            return self.component("imputer", setting.component)
        if setting.kind == "treat":
            found = self.treatment(setting.component)
            return found if found is not None else NO_TREATMENT
        if not 0 < setting.percent <= 100:
            self.diagnostics.append(errors.screen_out_of_range(setting.span))
            return None
        return setting.percent / 100
