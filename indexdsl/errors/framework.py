"""Diagnostics of the check stage about the framework: its nodes, leaves, weights
as written and references; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, Span, error, warning


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


def screen_on_an_indicator(span: Span | None) -> Diagnostic:
    """E257: `screen` written on one indicator (it applies to a dimension or the index)."""
    return error(
        "E257",
        "`screen` applies to a dimension or the index, not to one indicator",
        span,
        help="to require an indicator, screen its parent at 100%",
    )


def tolerance_without_reference_scores(node: str, span) -> Diagnostic:
    """E246: `reference tolerance` on a node without `reference scores`."""
    return error(
        "E246",
        f"`{node}` has a reference tolerance but no published scores to compare with",
        span,
        help="write `reference scores TABLE.COLUMN` on the same node, or remove the tolerance",
    )


def pathways_not_pairs(name: str, hint: str | None, span) -> Diagnostic:
    """E230: `pathways` names something other than a pairs table."""
    return error(
        "E230",
        f"`pathways` names `{name}`, which is not a pairs table",
        span,
        help=f"did you mean `{hint}`?"
        if hint
        else "declare the pairs with `pairs NAME { … }` first",
    )


def no_value_per_pair(indicator: str, pathways: str, span, pathways_span) -> Diagnostic:
    """E231: pathway scores asked for, but an indicator has no value per pair."""
    return error(
        "E231",
        f"pathway scores need a value per pair for every indicator, but `{indicator}` has none",
        span,
        secondary=(Label(pathways_span, "pathways requested here"),),
        help=f"compute it from `{pathways}` columns with `sum(...)` or "
        "`mean(...)` over partners, or remove `pathways`",
    )


def panel_without_template(imputer: str, name: str, why: str, span, declared) -> Diagnostic:
    """E239: panel imputation for an indicator that has no earlier editions to read."""
    return error(
        "E239",
        f"`{imputer}` fills `{name}` from earlier editions, but {why}",
        span,
        secondary=(Label(declared, "the indicator"),) if declared else (),
        help="declare `parameter year = 2022` and read `TABLE.COLUMN_{year}`; "
        "or choose another imputer",
    )


def indicator_never_used(name: str, span) -> Diagnostic:
    """W240: an indicator that neither the framework nor another indicator uses."""
    return warning(
        "W240",
        f"indicator `{name}` is declared but never used",
        span,
        help="add it to the framework, or remove it",
    )


def indicator_used_twice(name: str, span, first) -> Diagnostic:
    """E241: one indicator at two places of the framework."""
    return error(
        "E241",
        f"indicator `{name}` appears twice in the framework",
        span,
        secondary=(Label(first, "first used here"),) if first else (),
        help="each indicator can have one place in the hierarchy; declare a second "
        "indicator with the same expression if you need it twice",
    )


def leaf_not_per_unit(name: str, level: str, span, declared) -> Diagnostic:
    """E242: a leaf of the framework that is a value per pair, not per unit."""
    what = "a value per pair" if level == "pair" else "a constant"
    return error(
        "E242",
        f"indicator `{name}` is {what}, but the framework ranks units",
        span,
        secondary=(Label(declared, "declared here"),),
        help="aggregate pair values over each unit's partners, e.g. `sum(routes.flights)`"
        if level == "pair"
        else None,
    )


def leaf_title_ignored(name: str, span) -> Diagnostic:
    """W243: a title written on a leaf (it comes from the indicator)."""
    return warning("W243", f"leaf `{name}` takes its title from the indicator declaration", span)


def dimension_without_children(name: str, span) -> Diagnostic:
    """E244: `name { }` with nothing inside."""
    return error(
        "E244",
        f"`{name}` has no indicators or sub-dimensions",
        span,
        help="list its children inside `{ … }`, or remove the braces to make it an indicator",
    )


def weights_chosen_and_written(name: str, scheme: str, span, chosen_span) -> Diagnostic:
    """E254: a node with a weighting scheme and written weights."""
    return error(
        "E254",
        f"`{name}` chooses its weights with `{scheme}`, but they are also written out",
        span,
        secondary=(Label(chosen_span, "weighting scheme chosen here"),),
        help="remove the written weights, or the `weights` scheme",
    )


def imputation_group_undeclared(imputer: str, group: str, declared: list[str], span):
    """E263: a group imputer names a column that is not one of the units' groups."""
    from indexdsl.diagnostics import suggest

    hints = suggest(group, declared)
    return error(
        "E263",
        f"`{imputer}` imputes within the groups of `{group}`, which is not one of the "
        "units' groups",
        span,
        help=(f"did you mean `{hints[0]}`? " if hints else "")
        + (
            f"the units' groups: {', '.join(f'`{g}`' for g in declared)}"
            if declared
            else "declare the column in the units block: `groups region`"
        ),
    )


def formula_node_named_as_indicator(name: str, span, indicator_span) -> Diagnostic:
    """E264: a formula node with the name of an indicator."""
    return error(
        "E264",
        f"the formula node `{name}` has the name of an indicator",
        span,
        secondary=(Label(indicator_span, "indicator declared here"),) if indicator_span else (),
        help="give the node its own name: in a formula, a name reads a node's score "
        "before an indicator's value",
    )


def formula_reads_column(name: str, span) -> Diagnostic:
    """E265: a formula node reads a column directly."""
    return error(
        "E265",
        f"the formula of `{name}` reads a column",
        span,
        help="a formula combines nodes, indicators and parameters: declare the column "
        "as an indicator (`indicator x = table.column`) and use its name",
    )


def formula_cycle(cycle: list[str], span) -> Diagnostic:
    """E266: a formula node reads a node whose score needs its own."""
    path = " → ".join(f"`{n}`" for n in cycle)
    return error(
        "E266",
        f"a formula reads a node whose score needs its own: {path}",
        span,
        help="a formula may read any node except those it is part of: read the node's "
        "children, or make the node auxiliary",
    )
