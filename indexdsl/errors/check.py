"""Diagnostics of the check stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error


def no_default_component(
    role: str, keyword: str, available: list[str], span: Span | None
) -> Diagnostic:
    """E256: the index chooses no component for a role and no plugin offers a default."""
    if available:
        shown = ", ".join(f"`{name}`" for name in available[:6])
        fix = f"choose one in `defaults {{ {keyword} NAME }}`: installed {role}s are {shown}"
    else:
        fix = f"no {role} is installed: enable the plugin that provides them"
    return error(
        "E256",
        f"the index chooses no {role}, and no installed plugin offers a default one",
        span,
        help=fix,
    )
