"""Diagnostics of the check stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, Span, error


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


# ---- names and blocks ----------------------------------------------------------------------


def declared_twice(name: str, kind: str, span, other_kind: str, other_span) -> Diagnostic:
    """E101: two declarations share a name."""
    return error(
        "E101",
        f"the name `{name}` is declared twice",
        span,
        label=f"second declaration (a {kind})",
        secondary=(Label(other_span, f"first declared here (a {other_kind})"),)
        if other_span
        else (),
        help="every units set, pairs table, indicator and framework node needs its "
        "own name; rename one of them",
    )


def given_twice(shown: str, owner: str, span) -> Diagnostic:
    """E102: an item is given twice in one block (the first one is used)."""
    return error(
        "E102",
        f"{shown} is given twice for `{owner}`",
        span,
        label="repeated here",
        help="keep one of them",
    )


def no_framework(span) -> Diagnostic:
    """E120: the index has no `framework` block."""
    return error(
        "E120",
        "this index has no `framework` block",
        span,
        help="add `framework { … }` listing the dimensions and indicators with their weights",
    )


def framework_twice(span, first) -> Diagnostic:
    """E121: a second `framework` block."""
    return error(
        "E121",
        "an index has one `framework` block",
        span,
        secondary=(Label(first, "first one here"),),
    )


def table_without_source(name: str, what: str, span) -> Diagnostic:
    """E130: a units, table or pairs block without `from`."""
    return error(
        "E130",
        f"`{name}` does not say where its data come from",
        span,
        help=f'add `from csv("data/{name}.csv")` inside the {what} block',
    )


def no_units(span) -> Diagnostic:
    """E131: the index has no `units` block."""
    return error(
        "E131",
        "this index has no `units` block",
        span,
        help='declare what is ranked: `units city "Cities" { from csv("cities.csv") key city_id }`',
    )


def units_twice(span, first) -> Diagnostic:
    """E132: a second `units` block."""
    return error(
        "E132",
        "an index ranks one set of units",
        span,
        secondary=(Label(first, "units declared here"),),
        help="put all units in one table, and use `groups` to tell them apart",
    )


def no_key(block: str, name: str, span) -> Diagnostic:
    """E133: a units or data table without `key`."""
    if block == "units":
        return error(
            "E133",
            f"units `{name}` need a key column",
            span,
            help="add `key COLUMN`, naming the column that identifies each unit",
        )
    return error(
        "E133",
        f"table `{name}` needs a key column",
        span,
        help="add `key COLUMN`, naming the column that holds the units' keys",
    )


def pairs_without_between(name: str, span) -> Diagnostic:
    """E134: a pairs table that does not name its two unit columns."""
    return error(
        "E134",
        f"pairs `{name}` must say which columns hold the two units",
        span,
        help="add `between COLUMN_A and COLUMN_B`",
    )


def parameter_not_a_value(name: str, span) -> Diagnostic:
    """E152: a parameter's value is neither a number nor text."""
    return error(
        "E152",
        f"the value of parameter `{name}` must be a number or text",
        span,
        help="write the number itself; expressions are not parameter values",
    )
