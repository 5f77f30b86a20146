"""Diagnostics of the evaluate stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, Span, error, warning


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


def component_refused(
    what: str, message: str, span: Span | None, secondary: tuple, help: str | None, notes: tuple
) -> Diagnostic:
    """E401: a component refused the data (it raised ``ComponentValueError``)."""
    return error("E401", f"{what}: {message}", span, secondary=secondary, help=help, notes=notes)


def screen_leaves_no_unit(threshold: float, best: float, span: Span | None) -> Diagnostic:
    """E402: the screen's threshold excludes every unit."""
    return error(
        "E402",
        f"`screen {threshold:.0%}` leaves no unit in the index: the "
        f"best unit has {best:.0%} of the indicators",
        span,
        help="lower the threshold, or impute missing values first",
    )


def plugin_returned_bad_values(
    what: str,
    plugin: str,
    problem: str,
    span: Span | None,
    *,
    weights: tuple[str, int, int, str] | None = None,
) -> Diagnostic:
    """E902: a plugin's component returned values of the wrong shape or kind
    (``weights``: a weighting scheme's name, how many weights it returned, how many
    children the node has and the node's name)."""
    if weights is not None:
        scheme, count, children, node = weights
        return error(
            "E902",
            f"weighting scheme `{scheme}` returned {count} weights "
            f"for {children} children of `{node}`, or weights that "
            "are not numbers",
            span,
            help="this is a bug in the plugin that provides it",
        )
    return error(
        "E902",
        f"{what}: plugin `{plugin}` {problem}",
        span,
        help=f"this is a bug in the plugin `{plugin}`; report it to its authors, "
        f"or block it with `--disable-plugin {plugin}`",
    )


def arithmetic_lost_values(indicator: str, units: list[str], span) -> Diagnostic:
    """W403: an indicator's arithmetic gives no value for units whose data are present."""
    shown = ", ".join(f"`{u}`" for u in units[:5]) + (
        f" and {len(units) - 5} more" if len(units) > 5 else ""
    )
    return warning(
        "W403",
        f"indicator `{indicator}` has no value for {len(units)} unit"
        f"{'s' if len(units) != 1 else ''} whose data are all present: {shown}",
        span,
        label="its expression divides by zero, overflows or takes a power of a negative number",
        help="these units are left without a value (a missing value); check the expression "
        "and the data, e.g. `x ^ 0.5` of a negative `x`, `x ^ 1000` beyond 1.8e308, `x / y` "
        "with `y` = 0",
    )


def reduction_left_out_missing(
    what: str, missing: list[str], total: int, level: str, span
) -> Diagnostic:
    """W408: a reduction over units left out the units with no value."""
    kind = "units" if level == "unit" else "pathways"
    shown = ", ".join(f"`{u}`" for u in missing[:5]) + (
        f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    )
    return warning(
        "W408",
        f"{what} left out {len(missing)} of {total} {kind} with no value: {shown}",
        span,
        label=f"computed over the other {total - len(missing)}",
        help="the value is computed over the units that have one; impute the missing"
        " values first (an indicator with `impute …`) to count them",
    )


def scored_with_missing_children(per_node: list[tuple[str, list[str]]], span) -> Diagnostic:
    """W406: `missing skip` scored units from the children they have, some missing."""
    total = len({u for _, units in per_node for u in units})
    notes = []
    for node, units in per_node:
        shown = ", ".join(units[:8]) + (f" and {len(units) - 8} more" if len(units) > 8 else "")
        notes.append(f"`{node}`: {len(units)} unit{'s' if len(units) != 1 else ''} ({shown})")
    return warning(
        "W406",
        f"{total} unit{'s were' if total != 1 else ' was'} scored with missing values: "
        "a node scored them from the children they have (`missing skip`)",
        span,
        notes=tuple(notes),
        help="this is the default; write `missing propagate` on a node to give no score "
        "where a child is missing, or impute the indicators (`impute …`)",
    )


def tier_overfull(
    node: str, top: float, held: int, share: int, scored: int, tied: int, rank: int, span
) -> Diagnostic:
    """W407: a `top N%` tier holds more units than its share because of ties at its cut-off."""
    return warning(
        "W407",
        f"`top {top * 100:g}%` of `{node}` holds {held} of {scored} units, not {share}: "
        f"{tied} units tie at rank {rank}, the cut-off",
        span,
        help="ties at the cut-off are all in the tier; equal values (a country value "
        "standing in for its cities, a score at a goalpost) make the ties, so the tier "
        "cannot hold its stated share",
    )


def engine_cannot_compute(
    engine: str, what: str, reason: str, span: Span | None, secondary: tuple
) -> Diagnostic:
    """E404: the chosen engine cannot compute a method or an analysis of this index (a
    normaliser that sorts every pathway at once, under the Dask engine)."""
    return error(
        "E404",
        f"the {engine} engine cannot compute {what}: {reason}",
        span,
        secondary=secondary,
        help="run it with `--engine numpy`, or choose a method the engine computes "
        "partition by partition (docs/how-to/cluster.md lists them)",
    )
