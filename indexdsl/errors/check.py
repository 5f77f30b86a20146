"""Diagnostics of the check stage; see :mod:`indexdsl.errors`."""

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


def tolerance_without_reference_scores(node: str, span) -> Diagnostic:
    """E246: `reference tolerance` on a node without `reference scores`."""
    return error(
        "E246",
        f"`{node}` has a reference tolerance but no published scores to compare with",
        span,
        help="write `reference scores TABLE.COLUMN` on the same node, or remove the tolerance",
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


def rank_decimals_out_of_range(decimals: float, limit: int, span) -> Diagnostic:
    """E262: `rank at N decimals` with N not a whole number from 0 to the limit."""
    return error(
        "E262",
        f"`rank at {decimals:g} decimals`: the decimals are a whole number from 0 to {limit}",
        span,
        help="write the precision the scores are published with, e.g. `rank at 3 decimals`",
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
