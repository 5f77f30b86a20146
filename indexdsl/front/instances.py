"""Templates: a subtree written once (``template hdi(le, low, high) { … }``) and
instantiated in the framework (``hdi_f "Female HDI" = hdi(country.le_f_{year}, 22.5,
87.5)``), expanded here into ordinary indicators and nodes before checking.

An instance's node takes the instance's name; every indicator and node the template
declares is renamed ``<instance>_<name>`` (``hdi_f_health``), and every reference inside
the template follows the renaming.  A parameter stands for its argument wherever it is
written: in an expression (a column, a number, any expression) and as a component's
argument (a number), so that each instance keeps its own goalposts and their warnings.
"""

from __future__ import annotations

import attrs

from indexdsl.diagnostics import Diagnostic, suggest
from indexdsl.errors import front as errors
from indexdsl.syntax import ast


def expand_templates(tree: ast.IndexFile) -> tuple[ast.IndexFile, list[Diagnostic]]:
    """The tree with every template instantiated and the templates themselves removed."""
    templates = {d.name.text: d for d in tree.declarations if isinstance(d, ast.TemplateDecl)}
    if not templates:
        return tree, []
    found: list[Diagnostic] = []
    added: list[ast.IndicatorDecl] = []

    def expand(node: ast.NodeDecl) -> ast.NodeDecl:
        node = attrs.evolve(node, children=tuple(expand(c) for c in node.children))
        call = node.formula
        if isinstance(call, ast.Call) and call.func.text in templates:
            return _Instance(node, templates[call.func.text], call, found, added).node()
        return node

    declarations = []
    for decl in tree.declarations:
        if isinstance(decl, ast.TemplateDecl):
            continue
        if isinstance(decl, ast.FrameworkDecl):
            decl = attrs.evolve(decl, children=tuple(expand(c) for c in decl.children))
            declarations.extend(added)  # the instances' indicators, before the framework
        declarations.append(decl)
    return attrs.evolve(tree, declarations=tuple(declarations)), found


class _Instance:
    """One instantiation: the bound arguments and the renaming of the template's names."""

    def __init__(self, node, template, call, found, added):
        self.at, self.template, self.found, self.added = node, template, found, added
        self.prefix = node.name.text + "_"
        self.local = {d.name.text for d in template.indicators}
        stack = list(template.children)
        while stack:
            child = stack.pop()
            if child.has_body or child.formula is not None:
                self.local.add(child.name.text)
            stack.extend(child.children)
        self.arguments = self._bind(call)

    def _bind(self, call: ast.Call) -> dict[str, ast.Expr]:
        params = [p.text for p in self.template.params]
        bound: dict[str, ast.Expr] = {}
        reported = len(self.found)
        if len(call.args) > len(params):
            self.found.append(
                errors.template_arguments(
                    self.template.name.text, params, len(call.args), call.span
                )
            )
            return bound
        for param, arg in zip(params, call.args, strict=False):
            bound[param] = arg
        for key, value in call.kwargs:
            if key.text not in params:
                hints = suggest(key.text, params)
                self.found.append(
                    errors.template_unknown_parameter(
                        self.template.name.text, key.text, hints, key.span
                    )
                )
            else:
                bound[key.text] = value
        missing = [p for p in params if p not in bound]
        if missing and len(self.found) == reported:  # not after this call's own errors
            self.found.append(
                errors.template_missing_argument(self.template.name.text, missing, call.span)
            )
        return bound

    def title(self, title: str | None) -> str | None:
        """A renamed declaration's title names its instance (`Knowledge (Female HDI)`),
        so that the instances' nodes read apart in every output."""
        instance = self.at.title or self.at.name.text
        return f"{title} ({instance})" if title else None

    def name(self, name: ast.Name) -> ast.Name:
        if name.text in self.local:
            return attrs.evolve(name, text=self.prefix + name.text)
        return name

    def expr(self, expr: ast.Expr) -> ast.Expr:
        if isinstance(expr, ast.NameRef):
            if expr.name.text in self.arguments:
                return self.arguments[expr.name.text]
            return attrs.evolve(expr, name=self.name(expr.name))
        if isinstance(expr, ast.Call):
            return attrs.evolve(
                expr,
                args=tuple(self.expr(a) for a in expr.args),
                kwargs=tuple((k, self.expr(v)) for k, v in expr.kwargs),
            )
        if isinstance(expr, ast.Binary):
            return attrs.evolve(expr, left=self.expr(expr.left), right=self.expr(expr.right))
        if isinstance(expr, ast.Negate):
            return attrs.evolve(expr, operand=self.expr(expr.operand))
        return expr

    def literal(self, literal: ast.Literal) -> ast.Literal:
        if literal.kind == "symbol" and literal.value in self.arguments:
            value = self.arguments[str(literal.value)]
            sign = 1.0
            if isinstance(value, ast.Negate) and isinstance(value.operand, ast.Number):
                sign, value = -1.0, value.operand
            if isinstance(value, ast.Number):
                return ast.Literal(sign * value.value, "number", span=literal.span)
            if isinstance(value, ast.Call | ast.Binary | ast.Negate):
                return ast.Literal(value, "call", span=literal.span)
            self.found.append(
                errors.template_argument_not_a_number(
                    self.template.name.text, str(literal.value), value.span or self.at.span
                )
            )
            return literal
        if literal.kind == "call" and isinstance(literal.value, ast.Call):
            return attrs.evolve(literal, value=self.expr(literal.value))
        return literal

    def component(self, component: ast.Component | None) -> ast.Component | None:
        if component is None:
            return None
        return attrs.evolve(
            component,
            args=tuple(self.literal(a) for a in component.args),
            kwargs=tuple((k, self.literal(v)) for k, v in component.kwargs),
        )

    def setting(self, setting: ast.Setting | None) -> ast.Setting | None:
        if setting is None:
            return None
        return attrs.evolve(setting, component=self.component(setting.component))

    def child(self, node: ast.NodeDecl) -> ast.NodeDecl:
        return attrs.evolve(
            node,
            name=self.name(node.name),
            title=self.title(node.title) if node.name.text in self.local else node.title,
            settings=tuple(self.setting(s) for s in node.settings),
            children=tuple(self.child(c) for c in node.children),
            formula=self.expr(node.formula) if node.formula is not None else None,
        )

    def node(self) -> ast.NodeDecl:
        for decl in self.template.indicators:
            self.added.append(
                attrs.evolve(
                    decl,
                    name=self.name(decl.name),
                    title=self.title(decl.title),
                    expr=self.expr(decl.expr),
                    normalise=self.setting(decl.normalise),
                    impute=self.setting(decl.impute),
                    treat=self.setting(decl.treat),
                )
            )
        at = self.at
        return attrs.evolve(
            at,
            title=at.title or self.template.title,
            settings=(*(self.setting(s) for s in self.template.settings), *at.settings),
            children=(*(self.child(c) for c in self.template.children), *at.children),
            has_body=True,
            formula=None,
        )
