"""The index block, `defaults`, parameters filled into column templates."""

from __future__ import annotations

from indexdsl.check.common import (
    META_KEYS,
    MISSING_POLICIES,
)
from indexdsl.diagnostics import Span, suggest
from indexdsl.errors import check as errors
from indexdsl.errors import plugins as plugin_errors
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
            self.diagnostics.append(errors.no_index_block(Span.point(self.tree.path, 1, 1)))
            return None
        for extra in decls[1:]:
            self.diagnostics.append(errors.index_twice(extra.span, decls[0].span))
        decl = decls[0]
        self.declare(decl.name, "index")
        fields: dict[str, str] = {}
        sources: list[str] = []
        requires: list[str] = []
        for item in decl.meta:
            key = item.key.text
            if key not in META_KEYS:
                hint = suggest(key, META_KEYS)
                self.diagnostics.append(
                    errors.unknown_metadata(
                        key, hint[0] if hint else None, META_KEYS, item.key.span
                    )
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
            self.diagnostics.append(errors.bad_requirement(text, span))
            return
        unmet = unmet_requirement(text, self.registry)
        if unmet is not None:
            self.diagnostics.append(plugin_errors.requirement_unmet(unmet[0], unmet[1], span))

    def missing_policy(self, setting: ast.Setting) -> str | None:
        policy = setting.target.text
        if policy in MISSING_POLICIES:
            return policy
        hints = suggest(policy, MISSING_POLICIES)
        self.diagnostics.append(
            errors.unknown_missing_policy(policy, hints[0] if hints else None, setting.target.span)
        )
        return None

    def check_defaults(self, decls: list[ast.DefaultsDecl]) -> dict[str, tuple]:
        out: dict[str, tuple] = {}
        for extra in decls[1:]:
            self.diagnostics.append(errors.defaults_twice(extra.span))
        for setting in decls[0].settings if decls else ():
            if setting.kind in ("aggregate", "normalise", "rescale"):
                role = "aggregator" if setting.kind == "aggregate" else "normaliser"
                comp = self.component(
                    role, setting.component, from_data=setting.kind == "normalise"
                )
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
                self.diagnostics.append(errors.not_a_default(setting.kind, setting.span))
        return out

    # ---- parameters ----------------------------------------------------------------
    def fill_templates(self, node):
        """Column templates filled with this check's parameters (see
        :func:`indexdsl.front.templates.fill_templates`)."""
        return fill_templates(node, self.parameters, self.diagnostics.append)
