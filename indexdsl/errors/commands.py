"""Diagnostics of the commands stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error


def starter_files_exist(shown: str, count: int) -> Diagnostic:
    """E702: `indexdsl new` would overwrite a file."""
    return error(
        "E702",
        f"{shown} already exist{'s' if count == 1 else ''}; nothing was written",
        None,
        help="choose another name, or another folder with `--dir`; "
        "`indexdsl new` never overwrites a file",
    )


def index_file_unreadable(shown: str, why: str) -> Diagnostic:
    """E010: the index file does not exist, is a folder, or cannot be read."""
    if why == "missing":
        return error(
            "E010",
            f"index file `{shown}` does not exist",
            None,
            help="check the path; index files end in `.idx`",
        )
    if why == "folder":
        return error("E010", f"`{shown}` is a folder, not an index file", None)
    return error("E010", f"cannot read `{shown}`: {why}", None)


def index_file_special(shown: str, what: str) -> Diagnostic:
    """E012: the index file is a pipe, a device, a socket or a link loop."""
    return error(
        "E012",
        f"`{shown}` is {what}, not an index file",
        None,
        help="give the path of an index file (a regular file, `.idx`); indexdsl does not "
        "read pipes or devices, which may never end",
    )


def index_file_too_large(shown: str, size: int, limit: int) -> Diagnostic:
    """E013: the index file is larger than indexdsl reads."""
    return error(
        "E013",
        f"index file `{shown}` is {size / 2**20:.1f} MiB, more than the "
        f"{limit / 2**20:.0f} MiB an index file may have",
        None,
        help="an index file holds the method; data belong in the tables it reads (`from csv(...)`)",
    )


def index_file_not_utf8(shown: str, byte: int) -> Diagnostic:
    """E011: the index file is not UTF-8 text."""
    return error(
        "E011",
        f"index file `{shown}` is not UTF-8 text (byte {byte})",
        None,
        help="save the file as UTF-8",
    )


def data_not_loaded(span: Span) -> Diagnostic:
    """E300: the data could not be loaded, and no more precise diagnostic says why."""
    return error("E300", "the data could not be loaded", span)


def no_uncertain_inputs(file: str) -> Diagnostic:
    """E600: `uncertainty` or `sensitivity` on an index without uncertain inputs."""
    return error(
        "E600",
        f"`{file}` declares no uncertain inputs",
        None,
        help="add an `uncertainty { … }` block, e.g. `weights vary 25%` or "
        "`aggregate arithmetic or geometric`",
    )


def too_few_inputs_for_sensitivity(span: Span | None) -> Diagnostic:
    """E606: a sensitivity analysis with fewer than two uncertain inputs."""
    return error(
        "E606",
        "a sensitivity analysis needs two uncertain inputs or more",
        span,
        help="declare more inputs in the `uncertainty` block, or run `indexdsl "
        "uncertainty` for rank intervals",
    )


def unknown_unit(
    text: str, span: Span | None, *, matches: int = 0, label: str = "", help: str = ""
) -> Diagnostic:
    """E701: `explain` names no unit, or a label that several units share (``matches``)."""
    if matches > 1:
        return error(
            "E701",
            f"`{text}` names {matches} units",
            span,
            label="units are identified by this column",
            help=f"give the unit's key instead: {help}",
        )
    return error("E701", f"unknown unit `{text}`", span, label=label, help=help)


def unknown_node(name: str, hint: str | None) -> Diagnostic:
    """E710: `whatif --drop` names no node of the framework."""
    return error(
        "E710",
        f"`{name}` is not a node of the framework",
        None,
        help=f"did you mean `{hint}`?" if hint else None,
    )


def unknown_units_column(column: str, path: str, hint: str | None) -> Diagnostic:
    """E713: `whatif --published` or `compare --ranking` names no column of the units
    table."""
    return error(
        "E713",
        f"`{column}` is not a column of the units table ({path})",
        None,
        help=f"did you mean `{hint}`?" if hint else "add the published rank changes as a column",
    )


def published_change_not_a_number(
    cell: str, column: str, path: str, what: str = "a rank change"
) -> Diagnostic:
    """E714: a cell of a column of published ranks (or rank changes) that is not one."""
    plural, example = (
        ("rank changes", "`+2`, `-1` or `0`")
        if what == "a rank change"
        else ("ranks", "`1`, `2` or `17`")
    )
    return error(
        "E714",
        f"`{cell}` in column `{column}` ({path}) is not {what}",
        None,
        help=f"name a column of {plural}: whole numbers such as {example}, or an empty cell "
        "where none is published",
    )


def node_left_empty(name: str, span: Span | None) -> Diagnostic:
    """E711: `whatif --drop` leaves a node without children."""
    return error(
        "E711",
        f"leaving out every child of `{name}` leaves it empty",
        span,
        help=f"leave out `{name}` itself instead",
    )


def no_common_units(
    file: str, other: str, span: Span | None, other_span: Span | None, here: list, there: list
) -> Diagnostic:
    """E712: `compare` of two rankings that share no ranked unit."""
    from indexdsl.diagnostics import Label

    def sample(keys: list) -> str:
        shown = ", ".join(f"`{k}`" for k in keys[:3])
        return shown + (", …" if len(keys) > 3 else "") if keys else "none"

    return error(
        "E712",
        f"`{file}` and `{other}` rank no unit in common, so their rankings cannot be compared",
        span,
        label=f"units keyed {sample(here)}",
        secondary=(Label(other_span, f"units keyed {sample(there)}"),) if other_span else (),
        help="units are matched by their key column: compare indices of the same units, "
        "keyed alike (the same codes, in the same case)",
    )


def fit_node_without_children(name: str, what: str, span: Span | None) -> Diagnostic:
    """E720: `fit --node` names an indicator (or a formula node), which has no children
    to weight."""
    return error(
        "E720",
        f"`{name}` is {what}: it has no children whose weights could be fitted",
        span,
        label="declared here",
        help="give a dimension (or leave `--node` out for the index's own children)",
    )


def unknown_published_column(
    column: str, table: str, span: Span | None, hint: str | None
) -> Diagnostic:
    """E721: `fit --against` names no column of the units table."""
    return error(
        "E721",
        f"the units table `{table}` has no column `{column}`",
        span,
        label="the published values are read from this table",
        help=f"did you mean `{hint}`?" if hint else "name a column of the units table",
    )


def published_value_not_a_number(column: str, text: str, span: Span | None) -> Diagnostic:
    """E722: a cell of the `fit --against` column is neither a number nor missing."""
    return error(
        "E722",
        f"`{text}` in column `{column}` is not a number",
        span,
        label="a published value",
        help="write the value as published (e.g. `83.7`), or leave the cell empty when "
        "it is not legible: a missing value is left out of the fit and counted",
    )


def too_few_published_values(
    node: str, column: str, usable: int, needed: int, missing: int
) -> Diagnostic:
    """E723: `fit` has fewer units with a published value than unknowns to fit."""
    return error(
        "E723",
        f"only {usable} unit{'s' if usable != 1 else ''} with a value in `{column}` and a "
        f"score for every child of `{node}`; fitting its weights needs {needed} or more",
        None,
        help=f"{missing} unit{'s' if missing != 1 else ''} left out for a missing value; "
        "transcribe more published values, or fit a node with fewer children",
    )


def fit_needs_scipy() -> Diagnostic:
    """E724: `fit` needs scipy, which is not installed."""
    return error(
        "E724",
        "fitting weights needs scipy, which is not installed",
        None,
        help='install the statistics extra: pip install "indexdsl[stats]" '
        "(or uv sync --extra stats)",
    )


def plot_unknown_node(name: str, span: Span | None, index: str, hint: str | None) -> Diagnostic:
    """E725: `indexdsl plot` names no node or indicator of the index."""
    return error(
        "E725",
        f"`{name}` is not a node or indicator of index `{index}`",
        span,
        label=f"the nodes of `{index}` are declared here",
        help=f"did you mean `{hint}`?"
        if hint
        else "give a node's or an indicator's name as the index file writes it",
    )


def plot_not_additive(name: str, span: Span | None, why: str) -> Diagnostic:
    """E726: `indexdsl plot contributions` of a node whose score is not a sum of parts."""
    return error(
        "E726",
        f"the score of `{name}` cannot be split into contributions: {why}",
        span,
        label="not a weighted sum of its children",
        help="stacked contributions add up to a score only under a weighted arithmetic "
        "mean; choose an additive node with `--node`, or compare the children with "
        "`indexdsl plot scatter` or `indexdsl explain FILE UNIT`",
    )
