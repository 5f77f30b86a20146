"""Names: declarations, one namespace, did-you-mean."""

from __future__ import annotations

from indexdsl.diagnostics import Label
from indexdsl.syntax import ast


class NamesPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

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
