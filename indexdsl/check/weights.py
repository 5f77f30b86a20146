"""Weights: as written, rounded, equal, or chosen by a scheme."""

from __future__ import annotations

from fractions import Fraction

from indexdsl.check.common import (
    MAX_ROUNDING,
    _fmt_percent,
)
from indexdsl.components import ComponentValueError
from indexdsl.diagnostics import Label
from indexdsl.syntax import ast


class WeightsPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    def fixed_weights(self, scheme, span, decl: ast.NodeDecl) -> None:
        """A scheme whose weights do not depend on the data (AHP) is tried now, so that a
        wrong comparison matrix is reported before any data is read."""
        import numpy as np

        from indexdsl.components import Context

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
