"""Diagnostics of the check stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Label, Span, error, warning


def screen_out_of_range(span: Span | None) -> Diagnostic:
    """E237: the share after `screen` is not above 0% and at most 100%."""
    return error(
        "E237",
        "`screen` needs a share between 0% and 100%",
        span,
        help="e.g. `screen 90%` leaves out units with less than 90% of their data",
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


# ---- weights -------------------------------------------------------------------------------


def weight_under_equal_weights(child: str, parent: str, span, equal_span) -> Diagnostic:
    """E250: a child has a weight, but its parent says `weights equal`."""
    return error(
        "E250",
        f"`{child}` has a weight, but `{parent}` says `weights equal`",
        span,
        secondary=(Label(equal_span, "equal weights requested here"),),
        help="remove either the weight or `weights equal`",
    )


def some_weights_missing(parent: str, span) -> Diagnostic:
    """E251: some children have weights and some do not."""
    return error(
        "E251",
        f"some children of `{parent}` have weights and some do not",
        span,
        label="no weight",
        help="give every child a weight (e.g. `25%`), or none of them for equal weights",
    )


def weights_all_zero(parent: str, span) -> Diagnostic:
    """E252: every child's weight is zero."""
    return error("E252", f"the weights of `{parent}` are all zero", span)


def weights_renormalised(parent: str, total: str, texts: str, tolerance: str, span):
    """W253: written weights sum to 100% only up to their rounding, and are rescaled."""
    return warning(
        "W253",
        f"weights of `{parent}` sum to {total}, not 100%; renormalised",
        span,
        notes=(
            f"{texts} = {total}; the difference is within the "
            f"rounding of the written weights (±{tolerance}), so each "
            "weight was divided by the sum",
        ),
        help="write exact weights (fractions such as `1/6`, or `weights equal`) to silence this",
    )


def weights_do_not_sum(parent: str, total: str, texts: str, tolerance: str, spans: list):
    """E253: written weights do not sum to 100%, beyond what rounding explains."""
    return error(
        "E253",
        f"weights of `{parent}` sum to {total}, not 100%",
        spans[0],
        label="first weight",
        secondary=tuple(Label(s, "") for s in spans[1:]),
        notes=(
            f"{texts} = {total}; rounding of the written weights explains at most ±{tolerance}",
        ),
        help="make the children's weights sum to 100%, or write `weights equal`",
    )


def weighting_refused(scheme: str, node: str, message: str, help: str | None, span):
    """E255: a weighting scheme with fixed weights rejects the node it is given."""
    return error("E255", f"`weights {scheme}` of `{node}`: {message}", span, help=help)


# ---- the uncertainty block -----------------------------------------------------------------


def uncertainty_twice(span) -> Diagnostic:
    """E601: a second `uncertainty` block."""
    return error("E601", "an index has one `uncertainty` block", span)


def no_weights_at_depth(
    unused: list[int], inner: list[int], max_depth: int, span, weighted: bool = False
):
    """E602: `weights vary … at depth N` where no node at depth N has two children (or,
    with `of nodes at depth N`, no node at depth N has a sibling)."""
    if weighted:
        return error(
            "E602",
            f"no weights vary at depth {', '.join(str(d + 1) for d in unused)}: no node "
            "there has a sibling whose weight it shares",
            span,
            help=f"depths of nodes with weights to vary: "
            f"{', '.join(str(d + 1) for d in inner) or 'none'} (the index is depth 0, "
            f"its children depth 1; the leaves are at most depth {max_depth})",
        )
    return error(
        "E602",
        f"no weights vary at depth {', '.join(map(str, unused))}: no node there "
        "has two children or more",
        span,
        help=f"depths with weights to vary: "
        f"{', '.join(map(str, inner)) or 'none'} (the index is "
        f"depth 0, its leaves are at most depth {max_depth})",
    )


def weights_at_parent_depth(depths: tuple[int, ...], span) -> Diagnostic:
    """W608: `weights vary … at depth N`, the old spelling that names the parents."""
    parents = ", ".join(map(str, depths))
    weighted = ", ".join(str(d + 1) for d in depths)
    return warning(
        "W608",
        f"`at depth {parents}` varies the weights of the children of the nodes at depth "
        f"{parents}, that is of the nodes at depth {weighted}",
        span,
        help=f"write `of nodes at depth {weighted}`, which names the nodes whose weights "
        "vary (the same analysis); COINr's levels also name the weighted nodes",
    )


def weight_noise_out_of_range(span) -> Diagnostic:
    """E603: weight noise not between 0% and 100%."""
    return error("E603", "weight noise must be between 0% and 100%", span)


def too_few_indicators_to_leave_out(span) -> Diagnostic:
    """E605: `exclude one indicator` with fewer than two indicators."""
    return error("E605", "leaving out one indicator needs two indicators or more", span)


def alternatives_without_nominal(what: str, span) -> Diagnostic:
    """E607: alternative imputations or treatments where the index has none."""
    if what == "impute":
        return error(
            "E607",
            "alternative imputations, but the index imputes nothing",
            span,
            help="choose the nominal imputation with `impute NAME` in `defaults` first",
        )
    return error(
        "E607",
        "alternative outlier treatments, but the index treats no indicator",
        span,
        help="choose the nominal treatment with `treat NAME` in `defaults` first",
    )


def nominal_not_among_alternatives(role: str, used: str, span) -> Diagnostic:
    """W604: none of the alternative methods is the nominal index's."""
    return warning(
        "W604",
        f"none of the alternative {role}s is the one the nominal index uses ({used})",
        span,
        help="list the nominal method first among the alternatives, so the "
        "analysis varies around the published index",
    )


# ---- the index block, defaults and node settings -------------------------------------------


def no_index_block(span) -> Diagnostic:
    """E110: the file has no `index` block."""
    return error(
        "E110",
        "this file has no `index` block",
        span,
        help='start the file with `index short_name "Full title" { edition 2024 }`',
    )


def index_twice(span, first) -> Diagnostic:
    """E111: a second `index` block."""
    return error(
        "E111",
        "a file defines one index",
        span,
        secondary=(Label(first, "the index is declared here"),),
    )


def unknown_metadata(key: str, hint: str | None, known, span) -> Diagnostic:
    """W112: a metadata key of the `index` block that indexdsl does not use."""
    return warning(
        "W112",
        f"unknown metadata `{key}` is kept but not used",
        span,
        help=f"did you mean `{hint}`?" if hint else f"known metadata: {', '.join(known)}",
    )


def defaults_twice(span) -> Diagnostic:
    """E113: a second `defaults` block."""
    return error("E113", "a file has one `defaults` block", span)


def not_a_default(kind: str, span) -> Diagnostic:
    """E114: a setting that only a framework node can have, in `defaults`."""
    return error(
        "E114",
        f"`{kind}` cannot be a default",
        span,
        help="put it in the `framework` block",
    )


def bad_requirement(text: str, span) -> Diagnostic:
    """E218: `requires` text that is no distribution name with versions."""
    return error(
        "E218",
        f"`{text}` is not a distribution name with optional versions",
        span,
        help='write e.g. `requires "indexdsl-example >= 0.2"`',
    )


def reference_not_per_unit(what: str, units: str, span) -> Diagnostic:
    """E232: reference ranks or scores, or previous ranks, not from a per-unit table."""
    return error(
        "E232",
        f"reference {what} must be a column of the units table or of a data table",
        span,
        help=f"write `{units}.COLUMN`",
    )


def _per_unit_help(tables: list[str]) -> str:
    where = f"`{tables[0]}.COLUMN`" if tables else "`TABLE.COLUMN`"
    return f"a reference reads published values, one per unit: write columns such as {where}"


def reference_reads_score(words: str, name: str, kind: str, tables: list[str], span) -> Diagnostic:
    """E247: a `reference ranks`/`reference scores`/`previous ranks` expression names an
    indicator or a node (published values are read from columns, not computed)."""
    return error(
        "E247",
        f"`{words}` reads `{name}`, {kind}: published values are columns, not scores",
        span,
        help=_per_unit_help(tables),
    )


def reference_reads_pairs(words: str, table: str | None, tables: list[str], span) -> Diagnostic:
    """E248: a reference expression reads a pairs table (or aggregates over partners)."""
    what = f"a column of the pairs table `{table}`" if table else "a unit's partners"
    return error(
        "E248",
        f"`{words}` reads {what}; a reference is one value per unit",
        span,
        help=_per_unit_help(tables),
    )


def reference_unknown_name(
    words: str, name: str, hint: str | None, tables: list[str], span
) -> Diagnostic:
    """E249: a reference expression names something that is no numeric parameter."""
    return error(
        "E249",
        f"`{words}` reads `{name}`, which is no numeric parameter",
        span,
        help=f"did you mean `{hint}`?" if hint else _per_unit_help(tables),
    )


def direction_and_target(span) -> Diagnostic:
    """E245: a node with both a direction and a target (`lower is better` and `best
    at`), which rank it in two ways."""
    return error(
        "E245",
        "a node is ranked either by direction (`higher/lower is better`) or by "
        "closeness to a target (`best at N`), not both",
        span,
        help="keep one of them: `best at 1` ranks the score nearest 1 first",
    )


def pathway_reference_not_per_pair(table: str, pair_tables: list[str], span) -> Diagnostic:
    """E240: `reference pathway ranks` not from a pairs table."""
    return error(
        "E240",
        f"reference pathway ranks must be a column of a pairs table, and `{table}` is not one",
        span,
        help=(
            "write `PAIRS.COLUMN` with one of the pairs tables: "
            + ", ".join(f"`{t}`" for t in pair_tables)
            if pair_tables
            else "declare a `pairs` block that reads the published pathway ranks"
        ),
    )


def pathway_reference_without_pathways(node: str, span) -> Diagnostic:
    """E243: `reference pathway ranks` in an index that scores no pathways."""
    return error(
        "E243",
        f"`{node}` compares pathway ranks, but the index scores no pathways",
        span,
        help="write `pathways PAIRS` at the top of the framework block",
    )


def pathways_misplaced(span) -> Diagnostic:
    """E233: `pathways` inside a node."""
    return error("E233", "`pathways` belongs at the top of the `framework` block", span)


def unknown_missing_policy(policy: str, hint: str | None, span) -> Diagnostic:
    """E234: `missing` names no policy."""
    return error(
        "E234",
        f"unknown missing-value policy `{policy}`",
        span,
        help=(f"did you mean `{hint}`? " if hint else "")
        + "`missing skip` rescales the weights of the children that have a score; "
        "`missing propagate` leaves the node without a score",
    )


def table_settings_misplaced(span) -> Diagnostic:
    """E235: `from` or `columns` inside a node."""
    return error(
        "E235",
        "`from` and `columns` belong at the top of the `framework` block",
        span,
        help="a framework read from a metadata table is given as a whole",
    )


def top_out_of_range(span) -> Diagnostic:
    """E236: `top` with a share not above 0% and at most 100%."""
    return error(
        "E236",
        "`top` needs a share between 0% and 100%",
        span,
        help="e.g. `top 10%` marks the best tenth of the units",
    )


def denominate_written_out(span) -> Diagnostic:
    """E238: `denominate` in a framework that is written out, not read from a table."""
    return error(
        "E238",
        "`denominate` divides the indicators of a metadata table by their "
        "denominators, but this framework is written out",
        span,
        help="divide in the indicator itself, e.g. "
        "`indicator flights_pc = country.flights / country.population`",
    )


# ---- the framework -------------------------------------------------------------------------


def unknown_indicator(name: str, span, secondary: tuple, help: str) -> Diagnostic:
    """E201: a name used as an indicator (in an expression or as a leaf of the framework)
    is not declared."""
    return error(
        "E201",
        f"unknown indicator `{name}`",
        span,
        label="not declared in this index",
        secondary=secondary,
        help=help,
    )


# ---- components: methods named in the file -------------------------------------------------


def unknown_component(role: str, name: str, span, hints: list[str], available: str, unavailable):
    """E210: no installed plugin provides a component of this role and name
    (``unavailable``: the plugins left out, (name, distribution, status))."""
    return error(
        "E210",
        f"unknown {role} `{name}`",
        span,
        label=f"no installed plugin provides this {role}",
        help=f"did you mean {' or '.join(hints)}?" if hints else None,
        notes=(f"available {role}s: {available}",)
        + tuple(
            f"plugin `{plugin}` (distribution `{distribution}`) is "
            + ("disabled" if status == "disabled" else "left out: it failed to load")
            + "; it may provide it"
            for plugin, distribution, status in unavailable
        ),
    )


def too_many_arguments(name: str, most: int, given: int, span, signature: str) -> Diagnostic:
    """E211: more positional arguments than the component has parameters."""
    return error(
        "E211",
        f"`{name}` takes at most {most} parameter{'s' if most != 1 else ''}, {given} given",
        span,
        label="one too many",
        help=signature,
    )


def unknown_parameter(name: str, key: str, span, help: str | None = None) -> Diagnostic:
    """E212: a keyword argument that the component or function does not have."""
    if help is None:
        return error("E212", f"`{name}` has no parameter `{key}`", span)
    return error(
        "E212",
        f"`{name}` has no parameter `{key}`",
        span,
        label="unknown parameter",
        help=help,
    )


def parameter_given_twice(name: str, span) -> Diagnostic:
    """E213: a parameter given by position and by name, or twice by name."""
    return error("E213", f"parameter `{name}` is given twice", span)


def missing_parameter(component: str, name: str, doc: str, span, signature: str) -> Diagnostic:
    """E214: a required parameter is not given."""
    return error(
        "E214",
        f"`{component}` needs the parameter `{name}` ({doc})",
        span,
        help=signature,
    )


def parameter_wrong_type(
    expected: str, name: str, component: str, span, kind: str = "", value: object = None
) -> Diagnostic:
    """E215: a parameter's literal is not of the parameter's type (``expected``: number,
    whole, switch or text)."""
    if expected == "whole":
        return error("E215", f"parameter `{name}` must be a whole number", span)
    if expected == "switch":
        return error(
            "E215",
            f"parameter `{name}` of `{component}` is a switch: true or false",
            span,
            help=f"write `{name} = true` or `{name} = false`",
        )
    if expected == "text":
        return error(
            "E215",
            f"parameter `{name}` of `{component}` must be text",
            span,
            label=f"a {kind}",
            help=f'put it in double quotes: "{value}"',
        )
    return error(
        "E215", f"parameter `{name}` of `{component}` must be a number", span, label=f"a {kind}"
    )


def parameter_not_constant(name: str, component: str, span, one_value: bool = False) -> Diagnostic:
    """E216: a parameter computed from data, where a constant is needed."""
    if one_value:  # a reduction over units, outside a `normalise` setting
        return error(
            "E216",
            f"parameter `{name}` of `{component}` must be a constant here",
            span,
            label="computed from the data",
            help="a value computed from the data, such as `max_over_units(x)`, is accepted"
            " by a normaliser (a `normalise` setting, or one called in an expression);"
            " here write a number, or a function of numbers such as `log(100)`",
        )
    return error(
        "E216",
        f"parameter `{name}` of `{component}` must be a constant",
        span,
        label="not one number for every unit",
        help="write a number, a function of numbers such as `log(100)`, or, for a"
        " normaliser, one value computed from the data such as `max_over_units(x)`",
    )


def component_rejects_parameters(
    name: str, plugin: str, message: str, span, help: str | None
) -> Diagnostic:
    """E217: the component's own validation rejects the parameters given."""
    return error(
        "E217",
        f"`{name}`: {message}",
        span,
        label=f"rejected by `{name}` (plugin `{plugin}`)",
        help=help,
    )


# ---- indicators and expressions ------------------------------------------------------------


def rank_decimals_out_of_range(decimals: float, limit: int, span) -> Diagnostic:
    """E262: `rank at N decimals` with N not a whole number from 0 to the limit."""
    return error(
        "E262",
        f"`rank at {decimals:g} decimals`: the decimals are a whole number from 0 to {limit}",
        span,
        help="write the precision the scores are published with, e.g. `rank at 3 decimals`",
    )
