"""The framework: the hierarchy of nodes, the methods each inherits, panel history."""

from __future__ import annotations

import re
from fractions import Fraction

import attrs

from indexdsl.check.common import (
    NO_TREATMENT,
    _column,
)
from indexdsl.check.settings import NodeSettings
from indexdsl.components import Normaliser
from indexdsl.diagnostics import Label, Span, suggest
from indexdsl.errors import check as errors
from indexdsl.errors import framework as framework_errors
from indexdsl.model import (
    IndicatorValue,
    Node,
    choices,
    walk,
)
from indexdsl.syntax import ast
from indexdsl.syntax.formatter import format_expr


class FrameworkPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    # ---- the framework ---------------------------------------------------------------
    def check_framework(self, decl: ast.FrameworkDecl, meta, defaults, indicators, units, pairs):
        used: dict[str, Span | None] = {}
        pathways = pathways_span = None
        root_settings = []
        for setting in decl.settings:
            if setting.kind == "pathways":
                if setting.target.text not in pairs:
                    hints = suggest(setting.target.text, pairs)
                    self.diagnostics.append(
                        framework_errors.pathways_not_pairs(
                            setting.target.text, hints[0] if hints else None, setting.target.span
                        )
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
            formula=decl.formula,
            span=decl.span,
        )
        if "screen" in defaults:
            screen = ast.Setting("screen", percent=defaults["screen"][0] * 100)
            screen = attrs.evolve(screen, span=defaults["screen"][1])
            root_decl = attrs.evolve(root_decl, settings=(screen, *root_decl.settings))
        self._node_decls = {}
        self._read_by_formulas: set[str] = set()
        stack = [root_decl]
        while stack:  # every node written, for formulas that read nodes written later
            current = stack.pop()
            self._node_decls.setdefault(current.name.text, current)
            stack.extend(current.children)
        root = self._node(
            root_decl, Fraction(1), "100%", inherited, indicators, units, used, 0, is_root=True
        )
        if root is not None:
            self._formula_cycles(root)
        # a module offers indicators: those this file does not use are not a mistake
        imported = {
            d.name.text
            for d in self.tree.declarations
            if isinstance(d, ast.IndicatorDecl) and d.module is not None
        }
        for ind_name, indicator in indicators.items():
            referenced = any(ind_name in other.depends for other in indicators.values())
            if ind_name in imported:
                continue
            if ind_name not in used and not referenced and ind_name not in self._read_by_formulas:
                self.diagnostics.append(
                    framework_errors.indicator_never_used(ind_name, indicator.span)
                )
        if pathways and root is not None:
            for node in root.walk():
                # what is scored per pathway: leaves, and the indicators formulas read
                read = [node.indicator] if node.is_leaf else []
                if node.formula is not None:
                    read += [e.name for e in walk(node.formula) if isinstance(e, IndicatorValue)]
                for indicator_name in dict.fromkeys(read):
                    ind = indicators[indicator_name]
                    if not ind.has_pair_form or (
                        ind.pair_tables and set(ind.pair_tables) != {pathways}
                    ):
                        self.diagnostics.append(
                            framework_errors.no_value_per_pair(
                                ind.name, pathways, ind.span, pathways_span
                            )
                        )
        return root, pathways, pathways_span

    def role_default(self, role: str, decl: ast.FrameworkDecl) -> tuple:
        """The registry's default component of a role, for an index that chooses none;
        (None, None) with E256 when no installed plugin declares one."""
        provided = self.registry.default(role)
        if provided is None:
            keyword = {"aggregator": "aggregate", "normaliser": "normalise"}[role]
            self.diagnostics.append(
                framework_errors.no_default_component(
                    role, keyword, self.registry.names(role), decl.span
                )
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
        seen: set[str] = set()
        for setting in decl.settings:
            if setting.kind in seen and setting.kind != "misplaced":
                # a second `reference ranks` (or any setting) would silently replace the first
                shown = f"`{_SETTING_WORDS.get(setting.kind, setting.kind)}`"
                self.diagnostics.append(errors.given_twice(shown, name, setting.span))
            seen.add(setting.kind)
            self.node_setting(setting, chosen, units)
        settings = chosen.settings
        if chosen.reference_tolerance is not None and chosen.reference_scores is None:
            where = next(s.span for s in decl.settings if s.kind == "reference_tolerance")
            self.diagnostics.append(
                framework_errors.tolerance_without_reference_scores(name, where)
            )
        reference, reference_scores = chosen.reference, chosen.reference_scores
        equal_weights = chosen.equal_weights
        own_weighting, screen = chosen.own_weighting, chosen.screen
        if decl.formula is not None:
            return self._formula_node(
                decl, weight, weight_text, settings, chosen, indicators, units, used, depth, is_root
            )
        if not decl.has_body and not is_root:
            # a leaf: an indicator by name
            if name not in indicators:
                hints = suggest(name, indicators)
                secondary = tuple(
                    Label(indicators[h].span, "similar name declared here") for h in hints[:1]
                )
                self.diagnostics.append(
                    errors.unknown_indicator(
                        name,
                        decl.name.span,
                        secondary,
                        f"did you mean `{hints[0]}`?"
                        if hints
                        else _keyword_hint(name)
                        or f"declare it with `indicator {name} = …`, or give this node "
                        "children in `{ … }`",
                    )
                )
                return None
            if name in used:
                self.diagnostics.append(
                    framework_errors.indicator_used_twice(name, decl.name.span, used[name])
                )
                return None
            used[name] = decl.name.span
            indicator = indicators[name]
            if indicator.level == "pair":  # a constant leaf gives every unit its value
                self.diagnostics.append(
                    framework_errors.leaf_not_per_unit(
                        name, indicator.level, decl.name.span, indicator.span
                    )
                )
            if decl.title:
                self.diagnostics.append(framework_errors.leaf_title_ignored(name, decl.span))
            own = self._decls[name].normalise
            normaliser = settings["normalise"]
            if own is not None:
                comp = self.component("normaliser", own.component, from_data=True)
                normaliser = (comp, own.span) if comp is not None else normaliser
            for option in (self._decls[name].impute, self._decls[name].treat):
                if option is not None:
                    value = self.preparation(option)
                    if value is not None:
                        settings[option.kind] = (value, option.span)
            if screen is not None:
                self.diagnostics.append(framework_errors.screen_on_an_indicator(screen[1]))
            treatment = settings["treat"][0]
            history = ()
            imputer, imputer_span = settings["impute"]
            if imputer is not None and getattr(imputer, "needs_history", False):
                history = self.panel_history(name, imputer, imputer_span)
            if imputer is not None and hasattr(imputer, "groups_needed"):
                declared = [g for g, _ in units.groups] if units is not None else []
                for group in imputer.groups_needed():
                    if group not in declared and (imputer_span, group) not in self._groups_reported:
                        self._groups_reported.add((imputer_span, group))
                        self.diagnostics.append(
                            framework_errors.imputation_group_undeclared(
                                imputer.name, group, declared, imputer_span
                            )
                        )
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
                reference_pathways=_column(chosen.reference_pathways),
                reference_tolerance=chosen.reference_tolerance,
                depth=depth,
                history=history,
            )
        if not is_root:
            self.declare(decl.name, "framework node")
        if not decl.children:
            self.diagnostics.append(
                framework_errors.dimension_without_children(name, decl.name.span)
            )
            return None
        weighting = settings["weighting"]
        if own_weighting is not None:
            written = [c.weight for c in decl.children if c.weight is not None]
            if written or equal_weights is not None:
                clash = written[0].span if written else equal_weights.span
                self.diagnostics.append(
                    framework_errors.weights_chosen_and_written(
                        name, weighting[0].name, clash, own_weighting.span
                    )
                )
        elif any(c.weight is not None for c in decl.children) or equal_weights is not None:
            weighting = (None, None)  # weights written here win over an inherited scheme
        if weighting[0] is not None and not weighting[0].data_driven:
            self.fixed_weights(weighting[0], weighting[1], decl)
        aggregated = tuple(c for c in decl.children if not c.auxiliary)
        if not aggregated:
            self.diagnostics.append(
                framework_errors.dimension_without_children(name, decl.name.span)
            )
            return None
        weights = self._weights(attrs.evolve(decl, children=aggregated), equal_weights)
        children = []
        for child, (w, text) in zip(aggregated, weights, strict=True):
            node = self._node(child, w, text, settings, indicators, units, used, depth + 1)
            if node is not None:
                children.append(node)
        inputs = self._inputs(
            [c for c in decl.children if c.auxiliary], settings, indicators, units, used, depth
        )
        if len(children) != len(aggregated) or inputs is None:
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
            **_ranking(chosen),
            depth=depth,
            inputs=inputs,
            auxiliary=decl.auxiliary,
            chosen=choices(
                aggregator=(aggregator, aggregator_span),
                rescaler=settings["rescale"],
                weighting=weighting,
                screen=screen or (None, None),
            ),
        )

    def _inputs(self, decls, settings, indicators, units, used, depth) -> tuple | None:
        """The nodes computed under a node but not aggregated into it (auxiliary nodes,
        and every node written inside a formula node); None if one of them failed."""
        out = []
        for child in decls:
            node = self._node(
                child,
                Fraction(0),
                "auxiliary" if child.auxiliary else "input",
                settings,
                indicators,
                units,
                used,
                depth + 1,
            )
            if node is None:
                return None
            out.append(attrs.evolve(node, auxiliary=child.auxiliary))
        return tuple(out)

    def _formula_node(
        self, decl, weight, weight_text, settings, chosen, indicators, units, used, depth, is_root
    ) -> Node | None:
        """A node whose score is an expression of other nodes (``gdi = hdi_f / hdi_m``):
        its names are nodes (their scores), indicators (their values) or parameters."""
        name = decl.name.text
        if not is_root:
            self.declare(decl.name, "framework node")
        if name in indicators:
            self.diagnostics.append(
                framework_errors.formula_node_named_as_indicator(
                    name, decl.name.span, indicators[name].span
                )
            )
            return None
        scope = {**self._decls, **self._node_decls}
        before = len(self.diagnostics)
        found = self._scan_expr(decl.formula, scope, units, self._pairs, formula=True)
        self._read_by_formulas.update(found["depends"])
        for ref in found["columns"]:
            self.diagnostics.append(framework_errors.formula_reads_column(name, ref.span))
        inputs = self._inputs(decl.children, settings, indicators, units, used, depth)
        if inputs is None or len(self.diagnostics) > before:
            return None
        lowering = self.lowering
        lowering.nodes = set(self._node_decls)
        return Node(
            name=name,
            title=decl.title or name,
            weight=float(weight),
            weight_text=weight_text,
            span=decl.name.span,
            inputs=inputs,
            formula=lowering.lower(decl.formula),
            formula_text=format_expr(decl.formula),
            auxiliary=decl.auxiliary,
            **_ranking(chosen),
            depth=depth,
            chosen=choices(rescaler=settings["rescale"]),
        )

    def _formula_cycles(self, root: Node) -> None:
        """A formula may read any node, but not one whose score needs its own (E266)."""
        nodes = {node.name: node for node in root.walk()}

        def needs(node: Node) -> list[str]:
            own = [c.name for c in (*node.children, *node.inputs) if not c.auxiliary]
            return own + [n for n in node.formula_reads if n in nodes]

        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(name: str) -> bool:
            if state.get(name) == 2:
                return False
            if state.get(name) == 1:
                cycle = [*stack[stack.index(name) :], name]
                first = next(nodes[n] for n in cycle if nodes[n].formula is not None)
                self.diagnostics.append(framework_errors.formula_cycle(cycle, first.span))
                return True
            state[name] = 1
            stack.append(name)
            for other in needs(nodes[name]):
                if visit(other):
                    return True
            stack.pop()
            state[name] = 2
            return False

        for name in nodes:
            if visit(name):
                return

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
            self.diagnostics.append(
                framework_errors.panel_without_template(
                    imputer.name, name, why, span, decl.name.span if decl else None
                )
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


def _keyword_hint(name: str) -> str | None:
    """A leaf whose name is a misspelled setting (`agregate geometric` reads as two
    leaves): say which setting was meant."""
    # the grammar's words come from the parser, imported only here (start-up)
    from indexdsl.syntax.parser import keywords

    hints = suggest(name, [w for w in keywords() if len(w) > 3])
    return f"did you mean the setting `{hints[0]}`?" if hints else None


#: a setting's kind as the file writes it, for diagnostics
_SETTING_WORDS = {
    "reference": "reference ranks",
    "reference_scores": "reference scores",
    "reference_pathways": "reference pathway ranks",
    "reference_tolerance": "reference tolerance",
    "previous": "previous ranks",
    "rank_decimals": "rank at N decimals",
    "node_direction": "higher/lower is better",
    "best_at": "best at",
    "weighting": "weights",
    "weights": "weights equal",
}


def _ranking(chosen: NodeSettings) -> dict:
    """What an inner or formula node's settings say about comparing and ranking it."""
    return {
        "reference": _column(chosen.reference),
        "reference_scores": _column(chosen.reference_scores),
        "reference_pathways": _column(chosen.reference_pathways),
        "reference_tolerance": chosen.reference_tolerance,
        "previous": _column(chosen.previous),
        "top": chosen.top,
        "rank_decimals": chosen.rank_decimals,
        "higher_is_better": chosen.higher_is_better,
        "best_at": chosen.best_at,
    }
