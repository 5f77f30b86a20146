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

from indexdsl.check import lowering
from indexdsl.check.common import PARTNER_AGGREGATIONS as PARTNER_AGGREGATIONS
from indexdsl.check.common import pair_tables_read as pair_tables_read
from indexdsl.check.components import ComponentsPass
from indexdsl.check.framework import FrameworkPass
from indexdsl.check.indicators import IndicatorsPass
from indexdsl.check.meta import MetaPass
from indexdsl.check.names import NamesPass
from indexdsl.check.settings import NodeSettingsPass
from indexdsl.check.tables import TablesPass
from indexdsl.check.uncertainty import UncertaintyPass
from indexdsl.check.weights import WeightsPass
from indexdsl.components import Component
from indexdsl.diagnostics import Diagnostic, Span
from indexdsl.errors import check as errors
from indexdsl.front.instances import expand_templates
from indexdsl.front.parameters import parameter_values as parameter_values
from indexdsl.model import (
    DataTableSpec,
    IndexModel,
)
from indexdsl.plugins import Registry
from indexdsl.syntax import ast


class Checker(
    NodeSettingsPass,
    NamesPass,
    ComponentsPass,
    MetaPass,
    TablesPass,
    IndicatorsPass,
    FrameworkPass,
    WeightsPass,
    UncertaintyPass,
):
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
        #: normalisers called in expressions, by the id of their call: built once
        self._bound_calls: dict[int, Component | None] = {}
        #: normalisers with parameters computed from the data, lowered once the
        #: indicators are known
        self._data_bound: list = []
        self.names: dict[str, tuple[str, Span | None]] = {}  # name -> (kind, span)
        self._components: dict[int, Component | None] = {}
        self.tables: dict[str, DataTableSpec] = {}
        #: (where an imputer was chosen, group) already reported as undeclared
        self._groups_reported: set = set()

    # ---- the whole file ------------------------------------------------------------
    def run(self) -> IndexModel | None:
        self.tree, instantiated = expand_templates(self.tree)
        self.diagnostics.extend(instantiated)
        by_kind: dict[type, list] = {}
        for decl in self.tree.declarations:
            if isinstance(decl, ast.ParameterDecl):
                self.declare(decl.name, "parameter")
                if decl.value.kind == "call":
                    self.diagnostics.append(
                        errors.parameter_not_a_value(decl.name.text, decl.value.span)
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
        self.pair_tables = pairs  # `reference pathway ranks` reads one
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
        frameworks = by_kind.get(ast.FrameworkDecl, [])
        # the framework's dimension names, so that an indicator reading one is told why
        self.dimension_names = {
            node.name.text
            for framework in frameworks
            for node in ast.framework_nodes(framework)
            if node.has_body or node.formula is not None
        }
        indicators = self.check_indicators(indicator_decls, units, pairs)
        root = pathways = pathways_span = None
        if not frameworks:
            self.diagnostics.append(errors.no_framework(Span.point(self.tree.path, 1, 1)))
        else:
            for extra in frameworks[1:]:
                self.diagnostics.append(errors.framework_twice(extra.span, frameworks[0].span))
            root, pathways, pathways_span = self.check_framework(
                frameworks[0], meta, defaults, indicators, units, pairs
            )
            for node in root.walk() if root is not None and pathways is None else ():
                if node.reference_pathways is not None:
                    self.diagnostics.append(
                        errors.pathway_reference_without_pathways(
                            node.name, node.reference_pathways.span
                        )
                    )
        self.lower_data_bound(units, pairs)
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
