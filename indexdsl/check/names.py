"""Names: declarations, one namespace, did-you-mean."""

from __future__ import annotations

from indexdsl.errors import check as errors
from indexdsl.syntax import ast


class NamesPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

    # ---- helpers ----------------------------------------------------------------
    def repeats(self, decl) -> None:
        """Report items given twice in one block (the first one is used)."""
        for what, span in decl.repeated:
            shown = "direction" if what == "direction" else f"`{what}`"
            self.diagnostics.append(errors.given_twice(shown, decl.name.text, span))

    def declare(self, name: ast.Name, kind: str) -> bool:
        if name.text in self.names:
            other_kind, other_span = self.names[name.text]
            self.diagnostics.append(
                errors.declared_twice(name.text, kind, name.span, other_kind, other_span)
            )
            return False
        self.names[name.text] = (kind, name.span)
        return True
