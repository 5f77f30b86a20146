"""Diagnostics of the data stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

import re

from indexdsl.diagnostics import Diagnostic, Label, Span, error, warning


def table_unreadable(
    message: str, span: Span | None, help: str | None, loaded_as: Label | None
) -> Diagnostic:
    """E301: a loader could not read its table (the loader words the problem)."""
    return error("E301", message, span, help=help, secondary=(loaded_as,) if loaded_as else ())


def unknown_column(
    name: str, path: str, columns: tuple[str, ...], span: Span | None, what: str, hint: str | None
) -> Diagnostic:
    """E302: a column the index names is not in its table."""
    return error(
        "E302",
        f"column `{name}` is not in `{path}`",
        span,
        label=f"the {what}",
        help=f"did you mean `{hint}`?" if hint else None,
        notes=(f"columns of `{path}`: {', '.join(columns)}",),
    )


#: a number written with a decimal comma (81,6 or 1.234,5): E303 says how to read it
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")
#: a number written with thousands separators (1,234,567 or 1 234.5): E303 says how
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:([, '])\d{3})(?:\1\d{3})*(?:\.\d+)?")


def _number_hint(cell: str) -> str:
    """How to read a cell that is a number written another way (a decimal comma,
    thousands separators; both, where the cell could be either: 1,234)."""
    comma, thousands = _DECIMAL_COMMA.fullmatch(cell), _THOUSANDS.fullmatch(cell)
    if comma and thousands:
        return (
            f"`{cell}` looks like a number with a decimal comma or a thousands separator: "
            'read the file with `decimal = ","` (81,6 is 81.6) or `thousands = ","` '
            "(1,234 is 1234) in its loader, whichever the file uses"
        )
    if comma:
        return (
            f"`{cell}` looks like a number with a decimal comma: read the file with "
            '`decimal = ","` in its loader, e.g. `csv("data.csv", delimiter = ";", '
            'decimal = ",")`'
        )
    if thousands:
        return (
            f"`{cell}` looks like a number with thousands separators: read the file with "
            '`thousands = ","` (or `" "`, `"\'"`) in its loader'
        )
    return (
        "write numbers with a dot for decimals and no thousands separators; "
        "leave the cell empty (or write NA) for a missing value"
    )


def not_a_number(
    cell: str,
    column: str,
    span: Span | None,
    used_at: Span | None,
    *,
    more: int = 0,
    path: str = "",
) -> Diagnostic:
    """E303: a cell of a numeric column is not a number (``more``: how many more such
    cells of the column were not reported one by one)."""
    if more:
        return error(
            "E303", f"{more} more non-numeric cells in column `{column}` of `{path}`", None
        )
    return error(
        "E303",
        f"`{cell}` in column `{column}` is not a number",
        span,
        label="expected a number",
        secondary=(Label(used_at, "the column is used here"),) if used_at else (),
        help=_number_hint(cell.strip()),
    )


def empty_key(span: Span | None) -> Diagnostic:
    """E304: a row of the units table has an empty key."""
    return error(
        "E304", "a unit has an empty key", span, help="every row of the units table needs a key"
    )


def duplicate_key(key: str, span: Span | None, first: Span | None, table: str | None) -> Diagnostic:
    """E305: a key appears twice in the units table (``table`` None) or in a data table."""
    if table is None:
        return error(
            "E305",
            f"unit key `{key}` appears twice",
            span,
            label="second row with this key",
            secondary=(Label(first, "first row"),),
            help="keys must be unique; remove or rename one of the rows",
        )
    return error(
        "E305",
        f"key `{key}` appears twice in table `{table}`",
        span,
        secondary=(Label(first, "first row"),),
        help="keys must be unique; remove or merge one of the rows",
    )


def panel_editions_missing(
    node: str, absent: list[str], imputer: str, span: Span | None
) -> Diagnostic:
    """W306: a panel lacks the columns of editions an imputer looks back to."""
    return warning(
        "W306",
        f"the panel of `{node}` has no column for "
        + ", ".join(absent)
        + f": `{imputer}` cannot look back to "
        + ("that edition" if len(absent) == 1 else "those editions"),
        span,
        help="add the columns to the data, or look back fewer editions",
    )


def pair_unknown_unit(
    key: str, units: str, span: Span | None, hint: str | None, *, more: int = 0, path: str = ""
) -> Diagnostic:
    """E306: a pair row names a key that is not a unit (``more``: how many more such
    keys of the table were not reported one by one)."""
    if more:
        return error("E306", f"{more} more unknown units in `{path}`", None)
    return error(
        "E306",
        f"pair row names `{key}`, which is not a unit of `{units}`",
        span,
        label="unknown unit",
        help=f"did you mean `{hint}`?"
        if hint
        else "add the unit to the units table, or remove the row",
    )


def pair_with_itself(key: str, span: Span | None) -> Diagnostic:
    """E307: a pair row links a unit with itself."""
    return error("E307", f"pair row links `{key}` with itself", span, help="remove the row")


def duplicate_pair(
    a: str, b: str, directed: bool, span: Span | None, first: Span | None
) -> Diagnostic:
    """E308: the same pair appears in two rows."""
    return error(
        "E308",
        f"the pair `{a}`–`{b}` appears twice" + ("" if directed else " (pairs are undirected)"),
        span,
        secondary=(Label(first, "first row"),),
        help="merge the rows" + ("" if directed else ", or declare the pairs `directed`"),
    )


def data_file_special(name: str, what: str, span) -> Diagnostic:
    """E309: a data file is a pipe, a device, a folder or a link loop."""
    return error(
        "E309",
        f"data file `{name}` is {what}, not a file of data",
        span,
        label="the table is loaded from it",
        help="give the path of a regular file; indexdsl does not read pipes or devices, "
        "which may never end",
    )


def column_twice(first: str, again: str, span: Span, declared: Span | None) -> Diagnostic:
    """E310: two columns of a data file have the same name (or names that differ only
    in spaces around them)."""
    same = (
        "the same name"
        if first == again
        else f"names that differ only in spaces (`{first}` and `{again}`)"
    )
    return error(
        "E310",
        f"two columns of `{span.file}` have {same}: `{first.strip()}`",
        span,
        label="the header",
        secondary=(Label(declared, "the table is loaded from it"),) if declared else (),
        help="rename one of them: indexdsl would not know which one an index means",
    )


def near_constant_column(name: str, path: str, low: float, high: float, limit: float, span):
    """W311: a column whose values differ only by rounding noise."""
    return warning(
        "W311",
        f"column `{name}` of `{path}` is constant but for its last digits ({low!r} to {high!r})",
        span,
        label="used here",
        help=f"its range is below {limit:g} of its size: a normalisation that stretches the "
        "range (min-max) would turn rounding noise into scores from lowest to highest; "
        "round the column, or leave the indicator out",
    )
