"""The index block, `defaults`, parameters filled into column templates."""

from __future__ import annotations

from indexdsl.check.common import (
    META_KEYS,
    MISSING_POLICIES,
)
from indexdsl.diagnostics import Label, Span, suggest
from indexdsl.front.templates import fill_templates
from indexdsl.model import (
    IndexMeta,
)
from indexdsl.plugins import parse_requirement, unmet_requirement
from indexdsl.syntax import ast


class MetaPass:
    """Mixin of :class:`~indexdsl.check.Checker`."""

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

    # ---- parameters ----------------------------------------------------------------
    def fill_templates(self, node):
        """Column templates filled with this check's parameters (see
        :func:`indexdsl.front.templates.fill_templates`)."""
        return fill_templates(node, self.parameters, self.diagnostics.append)
