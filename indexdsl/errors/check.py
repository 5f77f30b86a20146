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


def screen_out_of_range(span: Span | None) -> Diagnostic:
    """E237: the share after `screen` is not above 0% and at most 100%."""
    return error(
        "E237",
        "`screen` needs a share between 0% and 100%",
        span,
        help="e.g. `screen 90%` leaves out units with less than 90% of their data",
    )


def screen_on_an_indicator(span: Span | None) -> Diagnostic:
    """E257: `screen` written on one indicator (it applies to a dimension or the index)."""
    return error(
        "E257",
        "`screen` applies to a dimension or the index, not to one indicator",
        span,
        help="to require an indicator, screen its parent at 100%",
    )
