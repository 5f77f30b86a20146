"""Weights: as written, rounded, equal, or chosen by a scheme."""

from __future__ import annotations

from fractions import Fraction

from indexdsl.check.common import (
    MAX_ROUNDING,
    _fmt_percent,
)
from indexdsl.components import ComponentValueError
from indexdsl.errors import check as errors
from indexdsl.errors import plugins as plugin_errors
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
            self.diagnostics.append(
                errors.weighting_refused(scheme.name, decl.name.text, exc.message, exc.help, span)
            )
        except Exception as exc:
            plugin = self.registry.provider_of(type(scheme).__module__)
            self.diagnostics.append(
                plugin_errors.plugin_raised(f"weighting scheme `{scheme.name}`", plugin, exc, span)
            )

    def _weights(self, decl: ast.NodeDecl, equal_weights) -> list[tuple[Fraction, str]]:
        children = decl.children
        given = [c.weight for c in children]
        n = len(children)
        equal = [(Fraction(1, n), f"1/{n}")] * n
        if equal_weights is not None:
            for c in children:
                if c.weight is not None:
                    self.diagnostics.append(
                        errors.weight_under_equal_weights(
                            c.name.text, decl.name.text, c.weight.span, equal_weights.span
                        )
                    )
            return equal
        if all(w is None for w in given):
            return equal
        missing = [c for c in children if c.weight is None]
        if missing:
            self.diagnostics.append(
                errors.some_weights_missing(decl.name.text, missing[0].name.span)
            )
            return equal
        total = sum(w.value for w in given)
        tolerance = min(sum(w.resolution for w in given) / 2, MAX_ROUNDING)
        texts = " + ".join(w.text for w in given)
        if total == 1:
            return [(w.value, w.text) for w in given]
        if total == 0:
            self.diagnostics.append(errors.weights_all_zero(decl.name.text, decl.name.span))
            return equal
        if abs(total - 1) <= tolerance:
            self.diagnostics.append(
                errors.weights_renormalised(
                    decl.name.text,
                    _fmt_percent(total),
                    texts,
                    _fmt_percent(tolerance),
                    decl.name.span,
                )
            )
            return [(w.value / total, w.text) for w in given]
        self.diagnostics.append(
            errors.weights_do_not_sum(
                decl.name.text,
                _fmt_percent(total),
                texts,
                _fmt_percent(tolerance),
                [w.span for w in given],
            )
        )
        return equal
