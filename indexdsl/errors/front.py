"""Diagnostics of the front stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from collections.abc import Iterable

from indexdsl.diagnostics import Diagnostic, Label, Span, error, warning


def extends_twice(span: Span | None) -> Diagnostic:
    """E160: a second `extends` in one file."""
    return error(
        "E160",
        "a file can extend one other file",
        span,
        help="chain them instead: a extends b, b extends c",
    )


def extends_cycle(path: str, span: Span | None) -> Diagnostic:
    """E161: a file extends itself, directly or through others."""
    return error(
        "E161",
        f"`{path}` extends itself, directly or through others",
        span,
        help="remove one `extends` from the cycle",
    )


def extended_file_unreadable(path: str, reason: str, span: Span | None) -> Diagnostic:
    """E162: the file named by `extends` cannot be read."""
    return error(
        "E162",
        f"the extended file `{path}` {reason}",
        span,
        help="the path is relative to this file's folder",
    )


def inherited_reference(
    setting: str, column: str, table: str, base: str, span: Span | None, where: Span | None
) -> Diagnostic:
    """W167: a `reference`/`previous` setting inherited through `extends` reads a table
    that this file replaced."""
    return warning(
        "W167",
        f"`{setting} {column}` is inherited from `{base}`, but this file replaces the "
        f"`{table}` table it reads",
        span,
        label="inherited from here",
        secondary=(Label(where, f"`{table}` replaced here"),) if where else (),
        help="the published values now come from the new table: if they belong to the "
        "base file's units, write the framework again here (without them, or with this "
        "table's columns)",
    )


def import_cycle(path: str, span: Span | None) -> Diagnostic:
    """E164: a module imports itself, directly or through others."""
    return error(
        "E164",
        f"`{path}` imports itself, directly or through others",
        span,
        help="remove one `import` from the cycle",
    )


def imported_file_unreadable(path: str, reason: str, span: Span | None) -> Diagnostic:
    """E165: the file named by `import` cannot be read."""
    return error(
        "E165",
        f"the imported file `{path}` {reason}",
        span,
        help="the path is relative to this file's folder",
    )


def imported_twice(kind: str, name: str, first: str, span: Span | None) -> Diagnostic:
    """E166: two imported modules declare the same name."""
    return error(
        "E166",
        f"the {kind} `{name}` comes from two modules (the first: `{first}`)",
        span,
        help=f"import one of them, or declare `{name}` in this file: its own declaration wins",
    )


def extends_too_deep(limit: int, span: Span | None) -> Diagnostic:
    """E163: a chain of `extends` longer than indexdsl follows."""
    return error(
        "E163",
        f"more than {limit} files extend one another in a chain",
        span,
        help=f"indexdsl follows at most {limit} `extends` in a chain; let the files extend "
        "a common base instead of each other",
    )


# ---- framework tables read from metadata files (E5xx) -------------------------------------


def table_framework_with_children(span: Span | None, source: Span | None) -> Diagnostic:
    """E500: a framework both reads a metadata table and lists children."""
    return error(
        "E500",
        "a framework read from a metadata table cannot also list children",
        span,
        secondary=(Label(source, "the hierarchy comes from here"),) if source else (),
        help="remove the children, or remove `from` and write the hierarchy out",
    )


def unknown_column_role(role: str, hint: str | None, roles: Iterable[str], span) -> Diagnostic:
    """E501: `columns ROLE = …` names a role the metadata table has no use for."""
    return error(
        "E501",
        f"`columns` has no role `{role}`",
        span,
        help=f"did you mean `{hint}`?" if hint else f"roles: {', '.join(roles)}",
    )


def metadata_column_missing(
    column: str, role: str, hint: str | None, path: str, columns: Iterable[str], span
) -> Diagnostic:
    """E502: the metadata table lacks the column a role is read from."""
    return error(
        "E502",
        f"the metadata table has no column `{column}` for the {role}",
        span,
        help=(f"did you mean `{hint}`? " if hint else "")
        + f"name it with `columns {role} = COLUMN`",
        notes=(f"columns of `{path}`: {', '.join(columns)}",),
    )


def metadata_row_without_code(span: Span) -> Diagnostic:
    """E503: a row of the metadata table has an empty code."""
    return error("E503", "a row of the metadata table has no code", span)


def metadata_code_twice(code: str, span: Span, first: Span) -> Diagnostic:
    """E504: two rows of the metadata table share a code."""
    return error(
        "E504",
        f"code `{code}` appears twice in the metadata table",
        span,
        secondary=(Label(first, "first row"),),
    )


def metadata_unknown_parent(parent: str, child: str, hint: str | None, span: Span) -> Diagnostic:
    """E505: a row's parent is not a code of the table."""
    return error(
        "E505",
        f"parent `{parent}` of `{child}` is not a code of the metadata table",
        span,
        help=f"did you mean `{hint}`?" if hint else None,
    )


def metadata_roots(count: int, span: Span | None, others: list[Span]) -> Diagnostic:
    """E506: the table has no row, or several rows, without a parent."""
    return error(
        "E506",
        f"the metadata table must have exactly one row without a parent (the index), found {count}",
        span,
        secondary=tuple(Label(s, "also without a parent") for s in others),
        help="give every row but the index's a parent",
    )


def metadata_not_connected(code: str, span: Span, *, cycle: bool) -> Diagnostic:
    """E507: a row's chain of parents does not end at the index (a cycle, or cut off)."""
    message = (
        f"the parents in the metadata table form a cycle through `{code}`"
        if cycle
        else f"`{code}` is not connected to the index through its parents"
    )
    return error("E507", message, span, help="every chain of parents must end at the index")


def metadata_indicator_with_children(code: str, span: Span) -> Diagnostic:
    """E508: a row typed as an indicator is another row's parent."""
    return error(
        "E508",
        f"indicator `{code}` is the parent of other rows",
        span,
        help="only aggregates can have children",
    )


def metadata_empty_aggregate(code: str, span: Span) -> Diagnostic:
    """E509: an aggregate row has no children."""
    return error(
        "E509",
        f"aggregate `{code}` has no children in the metadata table",
        span,
        help="remove the row, or give it indicators",
    )


def metadata_bad_weight(code: str, text: str | None, span: Span) -> Diagnostic:
    """E510: a weight cell is not a number, or is negative (``text`` None)."""
    if text is None:
        return error("E510", f"weight of `{code}` is negative", span)
    return error("E510", f"weight `{text}` of `{code}` is not a number", span)


def metadata_bad_direction(code: str, text: str, span: Span) -> Diagnostic:
    """E511: a direction cell is neither 1 nor -1."""
    return error(
        "E511",
        f"direction `{text}` of `{code}` must be 1 (higher is better) or -1",
        span,
    )


def denominators_missing(path: str, wanted: str, span: Span | None) -> Diagnostic:
    """E512: `denominate` without a column of denominators."""
    return error(
        "E512",
        "`denominate` needs a column of denominators in the metadata table, "
        f"but `{path}` has no column `{wanted}`",
        span,
        help="name it with `columns denominator = COLUMN`",
    )


def metadata_too_deep(limit: int, span: Span) -> Diagnostic:
    """E514: a framework table deeper than the levels indexdsl reads."""
    return error(
        "E514",
        f"the framework table nests more than {limit} levels",
        span,
        label=f"level {limit + 1}",
        help="a framework is at most a few levels deep; check the `parent` column for a "
        "chain that should not be there",
    )


def metadata_loader_arguments(detail: str, span: Span | None) -> Diagnostic:
    """E513: the metadata table's loader does not accept the arguments written."""
    return error("E513", f"cannot read the metadata table: {detail}", span)


def unknown_template_parameter(
    name: str, column: str, hints: list[str], span: Span | None
) -> Diagnostic:
    """E151: ``{name}`` in a column template names no parameter."""
    return error(
        "E151",
        f"`{{{name}}}` in column `{column}` names no parameter",
        span,
        help=f"did you mean `{{{hints[0]}}}`?" if hints else f"declare it: `parameter {name} = …`",
    )


def edition_reduction_arguments(name: str, span) -> Diagnostic:
    """E153: a reduction across editions not written `NAME(EXPR, FIRST, LAST)`."""
    return error(
        "E153",
        f"`{name}` takes an expression and the first and last editions",
        span,
        help=f"write `{name}(country.gnipc_{{year}}, 1990, 2022)`",
    )


def edition_reduction_range(name: str, limit: int, span) -> Diagnostic:
    """E154: the editions of a reduction are not whole numbers, first to last."""
    return error(
        "E154",
        f"the editions of `{name}` must be whole numbers, the first not after the last "
        f"(at most {limit} editions)",
        span,
        help="write numbers or numeric parameters: `1990, 2022` or `1990, year`",
    )


def edition_reduction_template(name: str, found: list[str], span) -> Diagnostic:
    """E155: the expression of a reduction across editions has no one edition template."""
    shown = ", ".join(f"`{{{p}}}`" for p in found) or "none"
    return error(
        "E155",
        f"the expression of `{name}` must read columns written with one numeric "
        f"parameter, such as `country.gnipc_{{year}}` (found {shown})",
        span,
        help="the parameter in braces is set to each edition in turn",
    )


def template_arguments(template: str, params: list[str], given: int, span) -> Diagnostic:
    """E170: a template given more arguments than it has parameters."""
    return error(
        "E170",
        f"`{template}` takes {len(params)} arguments, {given} given",
        span,
        help=f"its parameters: {', '.join(params) or 'none'}",
    )


def template_unknown_parameter(template: str, name: str, hints: list[str], span) -> Diagnostic:
    """E171: a template instantiated with a keyword that is none of its parameters."""
    return error(
        "E171",
        f"`{template}` has no parameter `{name}`",
        span,
        help=f"did you mean `{hints[0]}`?" if hints else "see the template's parameters",
    )


def template_missing_argument(template: str, missing: list[str], span) -> Diagnostic:
    """E172: a template instantiated without a value for some of its parameters."""
    names = ", ".join(f"`{m}`" for m in missing)
    return error(
        "E172",
        f"`{template}` is instantiated without {names}",
        span,
        help="give every parameter a value, by position or as `name = value`",
    )


def template_argument_not_a_number(template: str, param: str, span) -> Diagnostic:
    """E173: a template parameter used as a component's argument, given no number."""
    return error(
        "E173",
        f"`{param}` of `{template}` is a component's argument here, and needs a number",
        span,
        help="give a number, or a constant expression such as `log(100)`",
    )
