"""The `uncertainty` block: the inputs an analysis varies."""

from __future__ import annotations

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
