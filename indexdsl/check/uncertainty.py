"""The `uncertainty` block: the inputs an analysis varies."""

from __future__ import annotations

from indexdsl.errors import check as errors
from indexdsl.model import (
    Node,
    UncertaintySpec,
)
from indexdsl.syntax import ast


class UncertaintyPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    # ---- uncertainty ------------------------------------------------------------------
    def check_uncertainty(self, decls: list[ast.UncertaintyDecl], root: Node):
        for extra in decls[1:]:
            self.diagnostics.append(errors.uncertainty_twice(extra.span))
        spec: dict = {"span": decls[0].span}
        inner_depths = {n.depth for n in root.walk() if len(n.children) > 1}
        max_depth = max(n.depth for n in root.walk())
        for item in decls[0].inputs:
            if item.kind == "weights":
                # the depths of the parents whose children's weights vary
                depths = item.depths or tuple(sorted(inner_depths))
                if item.weighted:
                    depths = tuple(d - 1 for d in item.depths)
                elif item.depths:
                    self.diagnostics.append(errors.weights_at_parent_depth(item.depths, item.span))
                unused = [d for d in depths if d not in inner_depths]
                if unused:
                    self.diagnostics.append(
                        errors.no_weights_at_depth(
                            unused, sorted(inner_depths), max_depth, item.span, item.weighted
                        )
                    )
                if not 0 < item.percent < 100:
                    self.diagnostics.append(errors.weight_noise_out_of_range(item.span))
                spec["weight_noise"] = item.percent / 100
                spec["weight_depths"] = depths
            elif item.kind in ("normalise", "aggregate"):
                role = "normaliser" if item.kind == "normalise" else "aggregator"
                found = tuple(self.component(role, c) for c in item.components)
                if None not in found:
                    spec["normalisers" if role == "normaliser" else "aggregators"] = found
                    # full specifications: minmax(0, 100) is not minmax(1, 100)
                    used = {
                        (n.normaliser if role == "normaliser" else n.aggregator).describe()
                        for n in root.walk()
                        if (n.is_leaf if role == "normaliser" else not n.is_leaf)
                    }
                    if not used & {c.describe() for c in found}:
                        self.diagnostics.append(
                            errors.nominal_not_among_alternatives(
                                role, ", ".join(sorted(used)), item.span
                            )
                        )
            elif item.kind == "impute":
                found = tuple(self.component("imputer", c) for c in item.components)
                if None not in found:
                    spec["imputers"] = found
                    if not any(n.imputer is not None for n in root.walk()):
                        self.diagnostics.append(
                            errors.alternatives_without_nominal("impute", item.span)
                        )
            elif item.kind == "treat":
                found = tuple(self.treatment(c) for c in item.components)
                if all(
                    f is not None or c.name.text == "none"
                    for f, c in zip(found, item.components, strict=True)
                ):
                    spec["treatments"] = found
                    if not any(n.treatment is not None for n in root.walk()):
                        self.diagnostics.append(
                            errors.alternatives_without_nominal("treat", item.span)
                        )
            elif item.kind == "exclude":
                leaves = [n for n in root.walk() if n.is_leaf]
                if len(leaves) < 2:
                    self.diagnostics.append(errors.too_few_indicators_to_leave_out(item.span))
                spec["exclude_one"] = True
        return UncertaintySpec(**spec)
