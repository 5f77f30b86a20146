"""Diagnostics of the evaluate stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, Span, warning


def scores_capped(
    indicator: str,
    units: list[str],
    bound: str,
    chosen: str,
    method: str,
    span: Span | None,
    chosen_span: Span | None,
) -> Diagnostic:
    """W405: a normaliser with fixed bounds (goalposts) scored units beyond a bound at it."""
    shown = ", ".join(units[:8])
    more = f" and {len(units) - 8} more" if len(units) > 8 else ""
    return warning(
        "W405",
        f"indicator `{indicator}`: {len(units)} unit"
        f"{'s are' if len(units) != 1 else ' is'} beyond the {bound} "
        f"of `{method}` and scored at it: {shown}{more}",
        span,
        secondary=(Label(chosen_span, chosen),) if chosen_span else (),
        help="widen the goalposts if these values are real, or check the data; "
        "`truncate = false` lets scores run beyond the goalposts",
    )
