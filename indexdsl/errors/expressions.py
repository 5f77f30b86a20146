"""Diagnostics of the check stage about indicators' expressions: names, calls,
partner aggregations, levels and cycles; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, error


def unknown_table(table: str, hint: str | None, listed: str, span) -> Diagnostic:
    """E202: `table.column` names no units set, data table or pairs table."""
    return error(
        "E202",
        f"unknown table `{table}`",
        span,
        label="no units set or pairs table has this name",
        help=f"did you mean `{hint}`?" if hint else f"tables in this index: {listed}",
    )


def indicator_cycle(cycle: list[str], span, others: list) -> Diagnostic:
    """E203: indicators computed from each other in a cycle (``others``: (name, span))."""
    return error(
        "E203",
        f"indicators depend on each other in a cycle: {' → '.join(cycle)}",
        span,
        secondary=tuple(Label(s, f"`{c}` is part of the cycle") for c, s in others),
        help="an indicator cannot be computed from itself; break the cycle",
    )


def partner_arguments(name: str, given: int, span) -> Diagnostic:
    """E220: a partner aggregation with other than one argument."""
    return error(
        "E220",
        f"`{name}` takes one value per pair, {given} given",
        span,
        help=f"write `{name}(pairs.column)`",
    )


def bad_flow(name: str, key: str | None, span) -> Diagnostic:
    """E221: a partner aggregation's keyword is not `flow`, or its value is not out, in or
    both (``key`` None)."""
    if key is None:
        return error("E221", "`flow` must be `out`, `in` or `both`", span)
    return error(
        "E221",
        f"`{name}` has no parameter `{key}`",
        span,
        help="the only parameter is `flow = out`, `in` or `both`",
    )


def nested_partner_aggregation(name: str, span) -> Diagnostic:
    """E222: a partner aggregation inside another."""
    return error("E222", f"`{name}` over partners cannot be nested in another one", span)


def function_arguments(name: str, span, params: list[str] | None = None, given: int = 0):
    """E223: a transform given the wrong number of arguments, or a normaliser in an
    expression given no values (``params`` None)."""
    if params is None:
        return error(
            "E223",
            f"`{name}` needs the values to normalise",
            span,
            help=f"write `{name}(indicator)`",
        )
    return error(
        "E223",
        f"`{name}` takes {len(params)} argument{'s' if len(params) != 1 else ''}"
        f" ({', '.join(params)}), {given} given",
        span,
    )


def normaliser_parameters_not_numbers(name: str, span) -> Diagnostic:
    """E224: a normaliser in an expression with parameters that are not numbers."""
    return error(
        "E224",
        f"parameters of `{name}` must be numbers",
        span,
        label="a value per unit",
        help="write a number, a `parameter`, or one value for every unit computed from the"
        " data, such as `max_over_units(x)`",
    )


def unknown_function(name: str, hint: str | None, span) -> Diagnostic:
    """E225: a call of something that is no partner aggregation, transform or normaliser."""
    return error(
        "E225",
        f"unknown function `{name}`",
        span,
        label="not a partner aggregation, transform or normaliser",
        help=f"did you mean `{hint}`?"
        if hint
        else "run `indexdsl plugins` to list the functions installed",
    )


def partner_argument_not_per_pair(name: str, inner: str, span) -> Diagnostic:
    """E226: a partner aggregation over something that is not a value per pair."""
    return error(
        "E226",
        f"`{name}` aggregates over partners, but its argument is not a value per pair",
        span,
        label="one value per unit" if inner == "unit" else "a constant",
        help="give it a column of a pairs table, e.g. `sum(routes.flights)`",
    )


def mixed_levels(span) -> Diagnostic:
    """E227: an expression that mixes values per unit with values per pair."""
    return error(
        "E227",
        "this expression mixes values per unit with values per pair",
        span,
        help="aggregate the pair values over partners first, e.g. "
        "`sum(routes.flights) / city.population`",
    )


def partner_reads_two_tables(name: str, count: int, listed: str, span) -> Diagnostic:
    """E228: a partner aggregation whose argument reads several pairs tables."""
    return error(
        "E228",
        f"`{name}` over partners reads {count} pairs tables ({listed}); it can read only one",
        span,
        help="aggregate each pairs table separately and combine the results, e.g. "
        "`sum(a.x) + sum(b.y)`",
    )
