"""Static checks of an index definition: AST → :class:`~indexdsl.model.IndexModel`.

Every problem is collected as a diagnostic; the checker never stops at the first one,
so a user fixes a file in one round.  What needs the data (columns, unit keys, numeric
cells) is checked later by :mod:`indexdsl.data`.

Weights rule (docs/reference/language.md#weights): the weights of a node's children
must sum to 1.  Published weights are rounded, so a sum that differs from 1 by no more
than the rounding its notation allows (half a unit of the last written digit per
weight: 16.7% → ±0.05%, 0.25 → ±0.005; whole numbers are exact), and by at most two
percentage points in all, is renormalised with a warning; anything else is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

import attrs

from indexdsl import model
from indexdsl.check import lowering
from indexdsl.check.settings import NodeSettings, NodeSettingsPass
from indexdsl.components import Component, ComponentValueError, Normaliser
from indexdsl.diagnostics import Diagnostic, Label, Span, UsageError, error, suggest, warning
from indexdsl.errors import check as errors
from indexdsl.model import (
    DataTableSpec,
    IndexMeta,
    IndexModel,
    Indicator,
    Node,
    PairsSpec,
    Treatment,
    UncertaintySpec,
    UnitsSpec,
    choices,
)
from indexdsl.plugins import Registry, parse_requirement, unmet_requirement
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


def _column(ref: ast.ColumnRef | None) -> model.Column | None:
    return None if ref is None else lowering.column(ref)


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


def parameter_values(
    tree: ast.IndexFile, overrides: dict[str, str] | None = None
) -> dict[str, float | str]:
    """The value of every declared parameter, with command-line overrides applied.

    Raises :class:`UsageError` for an override that names no parameter or does not fit
    the parameter's type: that is a mistake on the command line, not in the file.
    """
    declared = {d.name.text: d for d in tree.declarations if isinstance(d, ast.ParameterDecl)}
    values: dict[str, float | str] = {}
    for name, decl in declared.items():
        value = decl.value.value
        values[name] = float(value) if decl.value.kind in ("number", "percent") else str(value)
    for name, text in (overrides or {}).items():
        if name not in declared:
            hints = suggest(name, declared)
            known = ", ".join(f"`{n}`" for n in declared) or "none"
            raise UsageError(
                f"`--set {name}=…`: the index has no parameter `{name}`"
                + (f"; did you mean `{hints[0]}`?" if hints else f" (parameters: {known})")
            )
        if isinstance(values[name], float):
            try:
                values[name] = float(text)
            except ValueError:
                raise UsageError(f"`--set {name}={text}`: `{name}` takes a number") from None
        else:
            values[name] = text
    return values


def _shown_value(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Checker(NodeSettingsPass):
    def __init__(
        self,
        tree: ast.IndexFile,
        registry: Registry,
        parameters: dict[str, float | str] | None = None,
    ):
        self.tree = tree
        self.registry = registry
        self.parameters = dict(parameters or {})
        self.diagnostics: list[Diagnostic] = []
        self.names: dict[str, tuple[str, Span | None]] = {}  # name -> (kind, span)
        self._components: dict[int, Component | None] = {}
        self.tables: dict[str, DataTableSpec] = {}

    # ---- helpers ----------------------------------------------------------------
    def repeats(self, decl) -> None:
        """Report items given twice in one block (the first one is used)."""
        for what, span in decl.repeated:
            shown = "direction" if what == "direction" else f"`{what}`"
            self.err(
                "E102",
                f"{shown} is given twice for `{decl.name.text}`",
                span,
                label="repeated here",
                help="keep one of them",
            )

    def err(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.diagnostics.append(error(code, message, span, **kw))

    def warn(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.diagnostics.append(warning(code, message, span, **kw))

    def declare(self, name: ast.Name, kind: str) -> bool:
        if name.text in self.names:
            other_kind, other_span = self.names[name.text]
            self.err(
                "E101",
                f"the name `{name.text}` is declared twice",
                name.span,
                label=f"second declaration (a {kind})",
                secondary=(Label(other_span, f"first declared here (a {other_kind})"),)
                if other_span
                else (),
                help="every units set, pairs table, indicator and framework node needs its "
                "own name; rename one of them",
            )
            return False
        self.names[name.text] = (kind, name.span)
        return True

    def component(self, role: str, comp: ast.Component) -> Component | None:
        """Instantiate a component from the registry, checking its parameters (once per
        place in the file, so that a setting inherited by many nodes is reported once)."""
        key = id(comp)
        if key not in self._components:
            self._components[key] = self._instantiate(role, comp)
        return self._components[key]

    def _instantiate(self, role: str, comp: ast.Component) -> Component | None:
        provided = self.registry.get(role, comp.name.text)
        if provided is None:
            hints = self.registry.suggestions(role, comp.name.text)
            available = ", ".join(f"`{n}`" for n in self.registry.names(role))
            self.err(
                "E210",
                f"unknown {role} `{comp.name.text}`",
                comp.name.span,
                label=f"no installed plugin provides this {role}",
                help=f"did you mean {' or '.join(hints)}?" if hints else None,
                notes=(f"available {role}s: {available}",)
                + tuple(
                    f"plugin `{i.name}` (distribution `{i.distribution}`) is "
                    + ("disabled" if i.status == "disabled" else "left out: it failed to load")
                    + "; it may provide it"
                    for i in self.registry.unavailable()
                ),
            )
            return None
        cls = provided.cls
        values = self._arguments(cls, cls.params, comp)
        if values is None:
            return None
        try:
            instance = cls(**values)
            instance.validate()
            return instance
        except ComponentValueError as exc:  # the component's own parameter validation
            self.err(
                "E217",
                f"`{cls.name}`: {exc.message}",
                comp.span,
                label=f"rejected by `{cls.name}` (plugin `{provided.plugin}`)",
                help=exc.help or self._signature_help(cls),
            )
            return None
        except Exception as exc:
            self.err(
                "E901",
                f"plugin `{provided.plugin}` failed to create `{cls.name}`: {exc}",
                comp.span,
                help=f"this is a bug in the plugin `{provided.plugin}`",
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

    def _arguments(self, cls, params, comp: ast.Component) -> dict | None:
        """The component's parameters bound to the literals written in the file (None,
        reported, when they do not fit)."""
        values, ok = {}, True
        if len(comp.args) > len(params):
            extra = comp.args[len(params)]
            self.err(
                "E211",
                f"`{cls.name}` takes at most {len(params)} parameter"
                f"{'s' if len(params) != 1 else ''}, {len(comp.args)} given",
                extra.span,
                label="one too many",
                help=self._signature_help(cls, params),
            )
            return None
        for param, literal in zip(params, comp.args, strict=False):
            ok &= self._bind(cls, param, literal, values)
        known = {p.name: p for p in params}
        for key, literal in comp.kwargs:
            param = known.get(key.text)
            if param is None:
                hint = suggest(key.text, known)
                self.err(
                    "E212",
                    f"`{cls.name}` has no parameter `{key.text}`",
                    key.span,
                    label="unknown parameter",
                    help=f"did you mean `{hint[0]}`?"
                    if hint
                    else self._signature_help(cls, params),
                )
                ok = False
                continue
            if param.name in values:
                self.err("E213", f"parameter `{param.name}` is given twice", key.span)
                ok = False
                continue
            ok &= self._bind(cls, param, literal, values)
        for param in params:
            if param.required and param.name not in values:
                self.err(
                    "E214",
                    f"`{cls.name}` needs the parameter `{param.name}` ({param.doc})",
                    comp.span,
                    help=self._signature_help(cls, params),
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

    def _bind(self, cls, param, literal: ast.Literal, values: dict) -> bool:
        value = literal.value
        if literal.kind == "call":
            number = self.constant(value)
            if number is None:
                self.err(
                    "E216",
                    f"parameter `{param.name}` of `{cls.name}` must be a constant",
                    literal.span,
                    label="cannot be computed before the data are read",
                    help="write a number, or a function of numbers such as `log(100)`",
                )
                return False
            literal = ast.Literal(number, "number", span=literal.span)
            value = number
        if param.kind in (float, int):
            if literal.kind not in ("number", "percent"):
                self.err(
                    "E215",
                    f"parameter `{param.name}` of `{cls.name}` must be a number",
                    literal.span,
                    label=f"a {literal.kind}",
                )
                return False
            if param.kind is int and float(value) != int(value):
                self.err("E215", f"parameter `{param.name}` must be a whole number", literal.span)
                return False
            values[param.name] = param.kind(value)
            return True
        if param.kind is bool:
            word = str(value).strip().lower()
            if literal.kind in ("number", "percent"):
                word = {0.0: "false", 1.0: "true"}.get(float(value), word)
            if word not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                self.err(
                    "E215",
                    f"parameter `{param.name}` of `{cls.name}` is a switch: true or false",
                    literal.span,
                    help=f"write `{param.name} = true` or `{param.name} = false`",
                )
                return False
            values[param.name] = word in ("true", "yes", "on", "1")
            return True
        if param.kind is str:
            if literal.kind not in ("string", "symbol"):
                self.err(
                    "E215",
                    f"parameter `{param.name}` of `{cls.name}` must be text",
                    literal.span,
                    label=f"a {literal.kind}",
                    help=f'put it in double quotes: "{value}"',
                )
                return False
            values[param.name] = str(value)
            return True
        values[param.name] = value
        return True

    # ---- the whole file ------------------------------------------------------------
    def run(self) -> IndexModel | None:
        by_kind: dict[type, list] = {}
        for decl in self.tree.declarations:
            if isinstance(decl, ast.ParameterDecl):
                self.declare(decl.name, "parameter")
                if decl.value.kind == "call":
                    self.err(
                        "E152",
                        f"the value of parameter `{decl.name.text}` must be a number or text",
                        decl.value.span,
                        help="write the number itself; expressions are not parameter values",
                    )
            else:
                by_kind.setdefault(type(decl), []).append(decl)
        # indicators as written, templates unfilled: panel imputation fills them again
        # with earlier editions
        self.unfilled = {d.name.text: d for d in by_kind.get(ast.IndicatorDecl, [])}
        by_kind = {kind: [self.fill_templates(d) for d in ds] for kind, ds in by_kind.items()}
        meta = self.check_meta(by_kind.get(ast.IndexDecl, []))
        defaults = self.check_defaults(by_kind.get(ast.DefaultsDecl, []))
        units = self.check_units(by_kind.get(ast.UnitsDecl, []))
        pairs = {
            p.name: p
            for p in (self.check_pairs(d) for d in by_kind.get(ast.PairsDecl, []))
            if p is not None
        }
        self.tables = {
            t.name: t
            for t in (self.check_table(d) for d in by_kind.get(ast.TableDecl, []))
            if t is not None
        }
        decls = by_kind.get(ast.IndicatorDecl, [])
        for decl in decls:
            self.declare(decl.name, "indicator")
            self.repeats(decl)
        indicator_decls = {}
        for decl in decls:
            indicator_decls.setdefault(decl.name.text, decl)
        indicators = self.check_indicators(indicator_decls, units, pairs)
        frameworks = by_kind.get(ast.FrameworkDecl, [])
        root = pathways = pathways_span = None
        if not frameworks:
            self.err(
                "E120",
                "this index has no `framework` block",
                Span.point(self.tree.path, 1, 1),
                help="add `framework { … }` listing the dimensions and indicators with their "
                "weights",
            )
        else:
            for extra in frameworks[1:]:
                self.err(
                    "E121",
                    "an index has one `framework` block",
                    extra.span,
                    secondary=(Label(frameworks[0].span, "first one here"),),
                )
            root, pathways, pathways_span = self.check_framework(
                frameworks[0], meta, defaults, indicators, units, pairs
            )
        uncertainty = None
        if by_kind.get(ast.UncertaintyDecl) and root is not None:
            uncertainty = self.check_uncertainty(by_kind[ast.UncertaintyDecl], root)
        if any(d.is_error for d in self.diagnostics) or None in (meta, units, root):
            return None
        return IndexModel(
            parameters=self.parameters,
            uncertainty=uncertainty,
            tables=self.tables,
            meta=meta,
            units=units,
            pairs=pairs,
            indicators=indicators,
            root=root,
            pathways=pathways,
            pathways_span=pathways_span,
            file=self.tree.path,
            providers=lowering.providers(self.registry),
        )

    # ---- uncertainty ------------------------------------------------------------------
    def check_uncertainty(self, decls: list[ast.UncertaintyDecl], root: Node):
        for extra in decls[1:]:
            self.err("E601", "an index has one `uncertainty` block", extra.span)
        spec: dict = {"span": decls[0].span}
        inner_depths = {n.depth for n in root.walk() if len(n.children) > 1}
        max_depth = max(n.depth for n in root.walk())
        for item in decls[0].inputs:
            if item.kind == "weights":
                depths = item.depths or tuple(sorted(inner_depths))
                unused = [d for d in depths if d not in inner_depths]
                if unused:
                    self.err(
                        "E602",
                        f"no weights vary at depth {', '.join(map(str, unused))}: no node there "
                        "has two children or more",
                        item.span,
                        help=f"depths with weights to vary: "
                        f"{', '.join(map(str, sorted(inner_depths))) or 'none'} (the index is "
                        f"depth 0, its leaves are at most depth {max_depth})",
                    )
                if not 0 < item.percent < 100:
                    self.err("E603", "weight noise must be between 0% and 100%", item.span)
                spec["weight_noise"] = item.percent / 100
                spec["weight_depths"] = depths
            elif item.kind in ("normalise", "aggregate"):
                role = "normaliser" if item.kind == "normalise" else "aggregator"
                found = tuple(self.component(role, c) for c in item.components)
                if None not in found:
                    spec["normalisers" if role == "normaliser" else "aggregators"] = found
                    used = {
                        (n.normaliser if role == "normaliser" else n.aggregator).name
                        for n in root.walk()
                        if (n.is_leaf if role == "normaliser" else not n.is_leaf)
                    }
                    if not used & {c.name for c in found}:
                        self.warn(
                            "W604",
                            f"none of the alternative {role}s is the one the nominal index uses "
                            f"({', '.join(sorted(used))})",
                            item.span,
                            help="list the nominal method first among the alternatives, so the "
                            "analysis varies around the published index",
                        )
            elif item.kind == "impute":
                found = tuple(self.component("imputer", c) for c in item.components)
                if None not in found:
                    spec["imputers"] = found
                    if not any(n.imputer is not None for n in root.walk()):
                        self.err(
                            "E607",
                            "alternative imputations, but the index imputes nothing",
                            item.span,
                            help="choose the nominal imputation with `impute NAME` in "
                            "`defaults` first",
                        )
            elif item.kind == "treat":
                found = tuple(self.treatment(c) for c in item.components)
                if all(
                    f is not None or c.name.text == "none"
                    for f, c in zip(found, item.components, strict=True)
                ):
                    spec["treatments"] = found
                    if not any(n.treatment is not None for n in root.walk()):
                        self.err(
                            "E607",
                            "alternative outlier treatments, but the index treats no indicator",
                            item.span,
                            help="choose the nominal treatment with `treat NAME` in `defaults` "
                            "first",
                        )
            elif item.kind == "exclude":
                leaves = [n for n in root.walk() if n.is_leaf]
                if len(leaves) < 2:
                    self.err(
                        "E605", "leaving out one indicator needs two indicators or more", item.span
                    )
                spec["exclude_one"] = True
        return UncertaintySpec(**spec)

    # ---- parameters ----------------------------------------------------------------
    def fill_templates(self, node):
        """Replace ``{name}`` in column names by the parameter's value, everywhere."""
        if isinstance(node, ast.ColumnRef) and "{" in node.column.text:
            text = node.column.text

            def value(match) -> str:
                name = match.group(1)
                if name in self.parameters:
                    return _shown_value(self.parameters[name])
                hints = suggest(name, self.parameters)
                self.err(
                    "E151",
                    f"`{{{name}}}` in column `{text}` names no parameter",
                    node.column.span,
                    help=f"did you mean `{{{hints[0]}}}`?"
                    if hints
                    else f"declare it: `parameter {name} = …`",
                )
                return match.group(0)

            filled = re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", value, text)
            return attrs.evolve(node, column=attrs.evolve(node.column, text=filled))
        if isinstance(node, tuple):
            return tuple(self.fill_templates(item) for item in node)
        if attrs.has(type(node)) and not isinstance(node, ast.Name | Span):
            changes = {}
            for field in attrs.fields(type(node)):
                if field.name == "span":
                    continue
                old = getattr(node, field.name)
                new = self.fill_templates(old)
                if new is not old:
                    changes[field.name] = new
            return attrs.evolve(node, **changes) if changes else node
        return node

    # ---- metadata and defaults -----------------------------------------------------------
    def check_meta(self, decls: list[ast.IndexDecl]) -> IndexMeta | None:
        if not decls:
            self.err(
                "E110",
                "this file has no `index` block",
                Span.point(self.tree.path, 1, 1),
                help='start the file with `index short_name "Full title" { edition 2024 }`',
            )
            return None
        for extra in decls[1:]:
            self.err(
                "E111",
                "a file defines one index",
                extra.span,
                secondary=(Label(decls[0].span, "the index is declared here"),),
            )
        decl = decls[0]
        self.declare(decl.name, "index")
        fields: dict[str, str] = {}
        sources: list[str] = []
        requires: list[str] = []
        for item in decl.meta:
            key = item.key.text
            if key not in META_KEYS:
                hint = suggest(key, META_KEYS)
                self.warn(
                    "W112",
                    f"unknown metadata `{key}` is kept but not used",
                    item.key.span,
                    help=f"did you mean `{hint[0]}`?"
                    if hint
                    else f"known metadata: {', '.join(META_KEYS)}",
                )
            value = item.value.value
            text = (
                str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            )
            if key == "source":
                sources.append(text)
            elif key == "requires":
                requires.append(text)
                self.requirement(text, item.value.span)
            else:
                fields.setdefault(key, text)
        return IndexMeta(
            name=decl.name.text,
            title=decl.title or fields.pop("title", decl.name.text),
            edition=fields.pop("edition", None) or fields.pop("year", None),
            description=fields.pop("description", None),
            sources=tuple(sources),
            extra=tuple(sorted(fields.items())),
            requires=tuple(requires),
        )

    def requirement(self, text: str, span: Span | None) -> None:
        """``requires "indexdsl-example >= 0.2"``: the plugin distribution must be here."""
        if parse_requirement(text) is None:
            self.err(
                "E218",
                f"`{text}` is not a distribution name with optional versions",
                span,
                help='write e.g. `requires "indexdsl-example >= 0.2"`',
            )
            return
        unmet = unmet_requirement(text, self.registry)
        if unmet is not None:
            self.err("E903", unmet[0], span, help=unmet[1])

    def missing_policy(self, setting: ast.Setting) -> str | None:
        policy = setting.target.text
        if policy in MISSING_POLICIES:
            return policy
        hints = suggest(policy, MISSING_POLICIES)
        self.err(
            "E234",
            f"unknown missing-value policy `{policy}`",
            setting.target.span,
            help=(f"did you mean `{hints[0]}`? " if hints else "")
            + "`missing skip` rescales the weights of the children that have a score; "
            "`missing propagate` leaves the node without a score",
        )
        return None

    def check_defaults(self, decls: list[ast.DefaultsDecl]) -> dict[str, tuple]:
        out: dict[str, tuple] = {}
        for extra in decls[1:]:
            self.err("E113", "a file has one `defaults` block", extra.span)
        for setting in decls[0].settings if decls else ():
            if setting.kind in ("aggregate", "normalise", "rescale"):
                role = "aggregator" if setting.kind == "aggregate" else "normaliser"
                comp = self.component(role, setting.component)
                if comp is not None:
                    out[setting.kind] = (comp, setting.span)
            elif setting.kind == "weights":
                pass  # equal weights are the default already
            elif setting.kind == "missing":
                policy = self.missing_policy(setting)
                if policy:
                    out["missing"] = (policy, setting.span)
            elif setting.kind in ("weighting", "impute", "treat", "screen"):
                value = self.preparation(setting)
                if value is not None:
                    out[setting.kind] = (value, setting.span)
            else:
                self.err(
                    "E114",
                    f"`{setting.kind}` cannot be a default",
                    setting.span,
                    help="put it in the `framework` block",
                )
        return out

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
            self.err(
                "E237",
                "`screen` needs a share between 0% and 100%",
                setting.span,
                help="e.g. `screen 90%` leaves out units with less than 90% of their data",
            )
            return None
        return setting.percent / 100

    # ---- data tables ------------------------------------------------------------------------
    def _illustrative(self, items: Iterable[ast.Illustrative]) -> tuple[dict, dict]:
        reasons, spans = {}, {}
        for item in items:
            for column in item.columns:
                reasons[column.text] = item.reason or "illustrative values, not measured"
                spans[column.text] = column.span
        return reasons, spans

    def _loader(self, decl, what: str) -> Component | None:
        if decl.source is None:
            self.err(
                "E130",
                f"`{decl.name.text}` does not say where its data come from",
                decl.name.span,
                help=f'add `from csv("data/{decl.name.text}.csv")` inside the {what} block',
            )
            return None
        return self.component("loader", decl.source)

    def check_units(self, decls: list[ast.UnitsDecl]) -> UnitsSpec | None:
        if not decls:
            self.err(
                "E131",
                "this index has no `units` block",
                Span.point(self.tree.path, 1, 1),
                help='declare what is ranked: `units city "Cities" { from csv("cities.csv") '
                "key city_id }`",
            )
            return None
        for extra in decls[1:]:
            self.err(
                "E132",
                "an index ranks one set of units",
                extra.span,
                secondary=(Label(decls[0].span, "units declared here"),),
                help="put all units in one table, and use `groups` to tell them apart",
            )
        decl = decls[0]
        common = self._keyed_table(
            decl,
            "units set",
            "units",
            f"units `{decl.name.text}` need a key column",
            "add `key COLUMN`, naming the column that identifies each unit",
        )
        if common is None:
            return None
        return UnitsSpec(
            **common,
            label=decl.label.text if decl.label else None,
            label_span=decl.label.span if decl.label else None,
            groups=tuple((g.text, g.span) for g in decl.groups),
            exclude=tuple((column.text, pattern, column.span) for column, pattern in decl.exclude),
        )

    def check_table(self, decl: ast.TableDecl) -> DataTableSpec | None:
        common = self._keyed_table(
            decl,
            "data table",
            "table",
            f"table `{decl.name.text}` needs a key column",
            "add `key COLUMN`, naming the column that holds the units' keys",
        )
        return None if common is None else DataTableSpec(**common)

    def _keyed_table(self, decl, kind: str, block: str, no_key: str, key_help: str):
        """What a `units` block and a `table` block share: a name, a loader, a key
        column and illustrative columns.  None when something is missing (reported)."""
        self.declare(decl.name, kind)
        self.repeats(decl)
        loader = self._loader(decl, block)
        if decl.key is None:
            self.err("E133", no_key, decl.name.span, help=key_help)
        reasons, spans = self._illustrative(decl.illustrative)
        if loader is None or decl.key is None:
            return None
        return {
            "name": decl.name.text,
            "title": decl.title or decl.name.text,
            "loader": loader,
            "span": decl.name.span,
            "illustrative": reasons,
            "illustrative_spans": spans,
            "key": decl.key.text,
            "key_span": decl.key.span,
        }

    def check_pairs(self, decl: ast.PairsDecl) -> PairsSpec | None:
        self.declare(decl.name, "pairs table")
        self.repeats(decl)
        loader = self._loader(decl, "pairs")
        if decl.between is None:
            self.err(
                "E134",
                f"pairs `{decl.name.text}` must say which columns hold the two units",
                decl.name.span,
                help="add `between COLUMN_A and COLUMN_B`",
            )
        reasons, spans = self._illustrative(decl.illustrative)
        if loader is None or decl.between is None:
            return None
        return PairsSpec(
            name=decl.name.text,
            title=decl.title or decl.name.text,
            loader=loader,
            span=decl.name.span,
            illustrative=reasons,
            illustrative_spans=spans,
            between=(decl.between[0].text, decl.between[1].text),
            between_spans=(decl.between[0].span, decl.between[1].span),
            directed=bool(decl.directed),
        )

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
                self.component("normaliser", decl.normalise.component)
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

        return lowering.Lowering(self._decls, self.parameters, self.registry, pair_table)

    def _scan_expr(self, expr, decls, units, pairs) -> dict:
        """Resolve names in an expression; collect dependencies and columns."""
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
                    if name in self.names:
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
                    self.err(
                        "E201",
                        f"unknown indicator `{name}`",
                        node.name.span,
                        label="not declared in this index",
                        secondary=secondary,
                        help=help_text,
                    )
            elif isinstance(node, ast.ColumnRef):
                table = node.table.text
                if table not in tables:
                    hints = suggest(table, tables)
                    listed = ", ".join(f"`{t}`" for t in tables) or "none"
                    self.err(
                        "E202",
                        f"unknown table `{table}`",
                        node.table.span,
                        label="no units set or pairs table has this name",
                        help=f"did you mean `{hints[0]}`?"
                        if hints
                        else f"tables in this index: {listed}",
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
        if name in PARTNER_AGGREGATIONS and (nargs == 1 or name in ("sum", "mean", "count")):
            if nargs != 1:
                self.err(
                    "E220",
                    f"`{name}` takes one value per pair, {nargs} given",
                    node.span,
                    help=f"write `{name}(pairs.column)`",
                )
                return
            for key, value in node.kwargs:
                if key.text != "flow":
                    self.err(
                        "E221",
                        f"`{name}` has no parameter `{key.text}`",
                        key.span,
                        help="the only parameter is `flow = out`, `in` or `both`",
                    )
                elif not (isinstance(value, ast.NameRef) and value.name.text in FLOWS):
                    self.err("E221", "`flow` must be `out`, `in` or `both`", value.span)
            tables = pair_tables_read(node.args[0], self._decls, self._pairs)
            if len(tables) > 1:
                listed = ", ".join(f"`{t}`" for t in sorted(tables))
                self.err(
                    "E228",
                    f"`{name}` over partners reads {len(tables)} pairs tables ({listed}); "
                    "it can read only one",
                    node.args[0].span,
                    help="aggregate each pairs table separately and combine the results, e.g. "
                    "`sum(a.x) + sum(b.y)`",
                )
            if inside_partner:
                self.err(
                    "E222", f"`{name}` over partners cannot be nested in another one", node.span
                )
            visit(node.args[0], True)
            return
        transform = self.registry.get("transform", name)
        normaliser = self.registry.get("normaliser", name)
        if transform is not None:
            params = transform.cls.params
            required = sum(p.required for p in params)
            if not required <= nargs + len(node.kwargs) <= len(params):
                self.err(
                    "E223",
                    f"`{name}` takes {len(params)} argument{'s' if len(params) != 1 else ''}"
                    f" ({', '.join(p.name for p in params)}), {nargs + len(node.kwargs)} given",
                    node.span,
                )
            names = {p.name for p in params}
            for key, _ in node.kwargs:
                if key.text not in names:
                    self.err("E212", f"`{name}` has no parameter `{key.text}`", key.span)
            for arg in list(node.args) + [v for _, v in node.kwargs]:
                visit(arg, inside_partner)
            return
        if normaliser is not None:
            if nargs < 1:
                self.err(
                    "E223",
                    f"`{name}` needs the values to normalise",
                    node.span,
                    help=f"write `{name}(indicator)`",
                )
                return
            literals = []
            for arg in node.args[1:]:
                if not isinstance(arg, ast.Number):
                    self.err("E224", f"parameters of `{name}` must be numbers", arg.span)
                else:
                    literals.append(ast.Literal(arg.value, "number", span=arg.span))
            kwargs = []
            for key, value in node.kwargs:
                if not isinstance(value, ast.Number):
                    self.err("E224", f"parameters of `{name}` must be numbers", value.span)
                else:
                    kwargs.append((key, ast.Literal(value.value, "number", span=value.span)))
            self.component(
                "normaliser",
                ast.Component(node.func, tuple(literals), tuple(kwargs), True, span=node.span),
            )
            visit(node.args[0], inside_partner)
            return
        candidates = (
            list(PARTNER_AGGREGATIONS)
            + self.registry.names("transform")
            + self.registry.names("normaliser")
        )
        hints = suggest(name, candidates)
        self.err(
            "E225",
            f"unknown function `{name}`",
            node.func.span,
            label="not a partner aggregation, transform or normaliser",
            help=f"did you mean `{hints[0]}`?"
            if hints
            else "run `indexdsl plugins` to list the functions installed",
        )

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
                self.err(
                    "E203",
                    f"indicators depend on each other in a cycle: {' → '.join(cycle)}",
                    decl.name.span,
                    secondary=tuple(
                        Label(decls[c].name.span, f"`{c}` is part of the cycle")
                        for c in cycle[1:-1]
                    ),
                    help="an indicator cannot be computed from itself; break the cycle",
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
                self.err(
                    "E226",
                    f"`{expr.func.text}` aggregates over partners, but its argument is not a "
                    "value per pair",
                    expr.args[0].span,
                    label="one value per unit" if inner == "unit" else "a constant",
                    help="give it a column of a pairs table, e.g. `sum(routes.flights)`",
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
            self.err(
                "E227",
                "this expression mixes values per unit with values per pair",
                expr.span,
                help="aggregate the pair values over partners first, e.g. "
                "`sum(routes.flights) / city.population`",
            )
        level = "pair" if "pair" in kinds else ("unit" if kinds else None)
        return level, all(p for _, p in found)

    # ---- the framework ---------------------------------------------------------------
    def check_framework(self, decl: ast.FrameworkDecl, meta, defaults, indicators, units, pairs):
        used: dict[str, Span | None] = {}
        pathways = pathways_span = None
        root_settings = []
        for setting in decl.settings:
            if setting.kind == "pathways":
                if setting.target.text not in pairs:
                    hints = suggest(setting.target.text, pairs)
                    self.err(
                        "E230",
                        f"`pathways` names `{setting.target.text}`, which is not a pairs table",
                        setting.target.span,
                        help=f"did you mean `{hints[0]}`?"
                        if hints
                        else "declare the pairs with `pairs NAME { … }` first",
                    )
                else:
                    pathways, pathways_span = setting.target.text, setting.span
            else:
                root_settings.append(setting)
        inherited = {
            "aggregate": defaults.get("aggregate") or self.role_default("aggregator", decl),
            "missing": defaults.get("missing") or ("skip", None),
            "rescale": defaults.get("rescale") or (None, None),
            "weighting": defaults.get("weighting") or (None, None),
            "impute": defaults.get("impute") or (None, None),
            "treat": defaults.get("treat") or (NO_TREATMENT, None),
            "normalise": defaults.get("normalise") or self.role_default("normaliser", decl),
        }
        name = meta.name if meta else "index"
        keyword = (
            Span(
                decl.span.file,
                decl.span.line,
                decl.span.col,
                decl.span.line,
                decl.span.col + len("framework"),
            )
            if decl.span
            else None
        )
        root_decl = ast.NodeDecl(
            ast.Name(name, span=keyword),
            meta.title if meta else None,
            None,
            settings=tuple(root_settings),
            children=decl.children,
            has_body=True,
            span=decl.span,
        )
        if "screen" in defaults:
            screen = ast.Setting("screen", percent=defaults["screen"][0] * 100)
            screen = attrs.evolve(screen, span=defaults["screen"][1])
            root_decl = attrs.evolve(root_decl, settings=(screen, *root_decl.settings))
        root = self._node(
            root_decl, Fraction(1), "100%", inherited, indicators, units, used, 0, is_root=True
        )
        for ind_name, indicator in indicators.items():
            referenced = any(ind_name in other.depends for other in indicators.values())
            if ind_name not in used and not referenced:
                self.warn(
                    "W240",
                    f"indicator `{ind_name}` is declared but never used",
                    indicator.span,
                    help="add it to the framework, or remove it",
                )
        if pathways and root is not None:
            for node in root.walk():
                if node.is_leaf:
                    ind = indicators[node.indicator]
                    if not ind.has_pair_form or (
                        ind.pair_tables and set(ind.pair_tables) != {pathways}
                    ):
                        self.err(
                            "E231",
                            f"pathway scores need a value per pair for every indicator, but "
                            f"`{ind.name}` has none",
                            ind.span,
                            secondary=(Label(pathways_span, "pathways requested here"),),
                            help=f"compute it from `{pathways}` columns with `sum(...)` or "
                            "`mean(...)` over partners, or remove `pathways`",
                        )
        return root, pathways, pathways_span

    def role_default(self, role: str, decl: ast.FrameworkDecl) -> tuple:
        """The registry's default component of a role, for an index that chooses none;
        (None, None) with E256 when no installed plugin declares one."""
        provided = self.registry.default(role)
        if provided is None:
            keyword = {"aggregator": "aggregate", "normaliser": "normalise"}[role]
            self.diagnostics.append(
                errors.no_default_component(role, keyword, self.registry.names(role), decl.span)
            )
            return (None, None)
        return (provided.cls(), None)

    def _node(
        self,
        decl: ast.NodeDecl,
        weight,
        weight_text,
        inherited,
        indicators,
        units,
        used,
        depth,
        is_root=False,
    ) -> Node | None:
        name = decl.name.text
        chosen = NodeSettings(dict(inherited))
        for setting in decl.settings:
            self.node_setting(setting, chosen, units)
        settings = chosen.settings
        reference, reference_scores, previous = (
            chosen.reference,
            chosen.reference_scores,
            chosen.previous,
        )
        top, equal_weights = chosen.top, chosen.equal_weights
        own_weighting, screen = chosen.own_weighting, chosen.screen
        if not decl.has_body and not is_root:
            # a leaf: an indicator by name
            if name not in indicators:
                hints = suggest(name, indicators)
                secondary = tuple(
                    Label(indicators[h].span, "similar name declared here") for h in hints[:1]
                )
                self.err(
                    "E201",
                    f"unknown indicator `{name}`",
                    decl.name.span,
                    label="not declared in this index",
                    secondary=secondary,
                    help=f"did you mean `{hints[0]}`?"
                    if hints
                    else f"declare it with `indicator {name} = …`, or give this node children in "
                    "`{ … }`",
                )
                return None
            if name in used:
                self.err(
                    "E241",
                    f"indicator `{name}` appears twice in the framework",
                    decl.name.span,
                    secondary=(Label(used[name], "first used here"),) if used[name] else (),
                    help="each indicator can have one place in the hierarchy; declare a second "
                    "indicator with the same expression if you need it twice",
                )
                return None
            used[name] = decl.name.span
            indicator = indicators[name]
            if indicator.level != "unit":
                what = "a value per pair" if indicator.level == "pair" else "a constant"
                self.err(
                    "E242",
                    f"indicator `{name}` is {what}, but the framework ranks units",
                    decl.name.span,
                    secondary=(Label(indicator.span, "declared here"),),
                    help="aggregate pair values over each unit's partners, e.g. "
                    "`sum(routes.flights)`"
                    if indicator.level == "pair"
                    else None,
                )
            if decl.title:
                self.warn(
                    "W243",
                    f"leaf `{name}` takes its title from the indicator declaration",
                    decl.span,
                )
            own = self._decls[name].normalise
            normaliser = settings["normalise"]
            if own is not None:
                comp = self.component("normaliser", own.component)
                normaliser = (comp, own.span) if comp is not None else normaliser
            for option in (self._decls[name].impute, self._decls[name].treat):
                if option is not None:
                    value = self.preparation(option)
                    if value is not None:
                        settings[option.kind] = (value, option.span)
            if screen is not None:
                self.err(
                    "E237",
                    "`screen` applies to a dimension or the index, not to one indicator",
                    screen[1],
                    help="to require an indicator, screen its parent at 100%",
                )
            treatment = settings["treat"][0]
            history = ()
            imputer, imputer_span = settings["impute"]
            if imputer is not None and getattr(imputer, "needs_history", False):
                history = self.panel_history(name, imputer, imputer_span)
            return Node(
                name=name,
                title=indicator.title,
                weight=float(weight),
                weight_text=weight_text,
                span=decl.name.span,
                indicator=name,
                chosen=choices(
                    normaliser=(
                        normaliser[0] if isinstance(normaliser[0], Normaliser) else None,
                        normaliser[1],
                    ),
                    imputer=settings["impute"],
                    treatment=(
                        None if treatment is NO_TREATMENT else treatment,
                        settings["treat"][1],
                    ),
                ),
                reference=_column(reference),
                reference_scores=_column(reference_scores),
                depth=depth,
                history=history,
            )
        if not is_root:
            self.declare(decl.name, "framework node")
        if not decl.children:
            self.err(
                "E244",
                f"`{name}` has no indicators or sub-dimensions",
                decl.name.span,
                help="list its children inside `{ … }`, or remove the braces to make it an "
                "indicator",
            )
            return None
        weighting = settings["weighting"]
        if own_weighting is not None:
            written = [c.weight for c in decl.children if c.weight is not None]
            if written or equal_weights is not None:
                clash = written[0].span if written else equal_weights.span
                self.err(
                    "E254",
                    f"`{name}` chooses its weights with `{weighting[0].name}`, but they are "
                    "also written out",
                    clash,
                    secondary=(Label(own_weighting.span, "weighting scheme chosen here"),),
                    help="remove the written weights, or the `weights` scheme",
                )
        elif any(c.weight is not None for c in decl.children) or equal_weights is not None:
            weighting = (None, None)  # weights written here win over an inherited scheme
        if weighting[0] is not None and not weighting[0].data_driven:
            self.fixed_weights(weighting[0], weighting[1], decl)
        weights = self._weights(decl, equal_weights)
        children = []
        for child, (w, text) in zip(decl.children, weights, strict=True):
            node = self._node(child, w, text, settings, indicators, units, used, depth + 1)
            if node is not None:
                children.append(node)
        if len(children) != len(decl.children):
            return None
        aggregator, aggregator_span = settings["aggregate"]
        return Node(
            name=name,
            title=decl.title or name,
            weight=float(weight),
            weight_text=weight_text,
            span=decl.name.span,
            children=tuple(children),
            missing=settings["missing"][0],
            reference=_column(reference),
            reference_scores=_column(reference_scores),
            previous=_column(previous),
            top=top,
            depth=depth,
            chosen=choices(
                aggregator=(aggregator, aggregator_span),
                rescaler=settings["rescale"],
                weighting=weighting,
                screen=screen or (None, None),
            ),
        )

    def panel_history(self, name: str, imputer, span) -> tuple:
        """The indicator's expression in earlier editions, nearest first, as
        ``(edition, expression)``: its column templates filled with the year parameter
        minus 1, 2 … up to the imputer's ``years``.  An indicator that is no panel (no
        template, or one that reads other indicators) cannot look back (E239)."""
        decl = self.unfilled.get(name)
        nodes = list(ast.walk(decl.expr)) if decl is not None else []
        templates = [n for n in nodes if isinstance(n, ast.ColumnRef) and "{" in n.column.text]
        used = {m for ref in templates for m in re.findall(r"\{([A-Za-z_]\w*)\}", ref.column.text)}
        numeric = sorted(p for p in used if isinstance(self.parameters.get(p), float))
        reads_indicators = any(
            isinstance(n, ast.NameRef) and n.name.text in self.unfilled for n in nodes
        )
        if not templates or len(numeric) != 1 or reads_indicators:
            why = (
                "it reads other indicators, whose earlier editions are not computed"
                if reads_indicators and templates
                else "its columns are not written with one numeric parameter, such as "
                "`country.le_{year}`"
            )
            self.err(
                "E239",
                f"`{imputer.name}` fills `{name}` from earlier editions, but {why}",
                span,
                secondary=(Label(decl.name.span, "the indicator"),) if decl else (),
                help="declare `parameter year = 2022` and read `TABLE.COLUMN_{year}`; "
                "or choose another imputer",
            )
            return ()
        parameter = numeric[0]
        current = self.parameters[parameter]
        saved = self.parameters
        out = []
        for back in range(1, int(getattr(imputer, "years", 1)) + 1):
            self.parameters = {**saved, parameter: current - back}
            try:
                filled = self.fill_templates(decl.expr)
            finally:
                self.parameters = saved
            out.append((current - back, self.lowering.lower(filled)))
        return tuple(out)

    def fixed_weights(self, scheme, span, decl: ast.NodeDecl) -> None:
        """A scheme whose weights do not depend on the data (AHP) is tried now, so that a
        wrong comparison matrix is reported before any data is read."""
        import numpy as np

        from indexdsl.components import ComponentValueError, Context

        children = tuple(c.name.text for c in decl.children)
        try:
            # scores are not read by such a scheme: placeholders stand in for them
            scheme.weights(np.full((1, len(children)), np.nan), Context(children=children))
        except ComponentValueError as exc:
            self.err(
                "E255",
                f"`weights {scheme.name}` of `{decl.name.text}`: {exc.message}",
                span,
                help=exc.help,
            )
        except Exception as exc:
            self.err(
                "E901",
                f"weighting scheme `{scheme.name}` failed: {type(exc).__name__}: {exc}",
                span,
                help="this is a bug in the plugin that provides it",
            )

    def _weights(self, decl: ast.NodeDecl, equal_weights) -> list[tuple[Fraction, str]]:
        children = decl.children
        given = [c.weight for c in children]
        n = len(children)
        equal = [(Fraction(1, n), f"1/{n}")] * n
        if equal_weights is not None:
            for c in children:
                if c.weight is not None:
                    self.err(
                        "E250",
                        f"`{c.name.text}` has a weight, but `{decl.name.text}` says "
                        "`weights equal`",
                        c.weight.span,
                        secondary=(Label(equal_weights.span, "equal weights requested here"),),
                        help="remove either the weight or `weights equal`",
                    )
            return equal
        if all(w is None for w in given):
            return equal
        missing = [c for c in children if c.weight is None]
        if missing:
            self.err(
                "E251",
                f"some children of `{decl.name.text}` have weights and some do not",
                missing[0].name.span,
                label="no weight",
                help="give every child a weight (e.g. `25%`), or none of them for equal weights",
            )
            return equal
        total = sum(w.value for w in given)
        tolerance = min(sum(w.resolution for w in given) / 2, MAX_ROUNDING)
        texts = " + ".join(w.text for w in given)
        if total == 1:
            return [(w.value, w.text) for w in given]
        if total == 0:
            self.err("E252", f"the weights of `{decl.name.text}` are all zero", decl.name.span)
            return equal
        if abs(total - 1) <= tolerance:
            self.warn(
                "W253",
                f"weights of `{decl.name.text}` sum to {_fmt_percent(total)}, not 100%; "
                "renormalised",
                decl.name.span,
                notes=(
                    f"{texts} = {_fmt_percent(total)}; the difference is within the "
                    f"rounding of the written weights (±{_fmt_percent(tolerance)}), so each "
                    "weight was divided by the sum",
                ),
                help="write exact weights (fractions such as `1/6`, or `weights equal`) to "
                "silence this",
            )
            return [(w.value / total, w.text) for w in given]
        self.err(
            "E253",
            f"weights of `{decl.name.text}` sum to {_fmt_percent(total)}, not 100%",
            given[0].span,
            label="first weight",
            secondary=tuple(Label(w.span, "") for w in given[1:]),
            notes=(
                f"{texts} = {_fmt_percent(total)}; rounding of the written weights "
                f"explains at most ±{_fmt_percent(tolerance)}",
            ),
            help="make the children's weights sum to 100%, or write `weights equal`",
        )
        return equal


#: `treat none`: no outlier treatment (switches off an inherited one)
NO_TREATMENT = object()


def check(
    tree: ast.IndexFile,
    registry: Registry,
    parameters: dict[str, float | str] | None = None,
) -> tuple[IndexModel | None, list[Diagnostic]]:
    """Resolve and check an index file; returns the model (None if any error) and all
    diagnostics, warnings included.  ``parameters`` are the values from
    :func:`parameter_values` (defaults from the file, overridden on the command line)."""
    if parameters is None:
        parameters = parameter_values(tree)
    checker = Checker(tree, registry, parameters)
    model = checker.run()
    return model, checker.diagnostics + list(registry.problems)
