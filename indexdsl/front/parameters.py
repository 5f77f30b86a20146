"""Parameters: the value of each `parameter` of an index, with `--set` overrides.

A parameter is fixed before anything is checked, so that column templates
(``country.le_{year}``) are filled in the AST the checker sees.
"""

from __future__ import annotations

from indexdsl.diagnostics import UsageError, read_number, suggest
from indexdsl.syntax import ast


def parameter_values(
    tree: ast.IndexFile, overrides: dict[str, str] | None = None
) -> dict[str, float | str]:
    """The value of every declared parameter, with command-line overrides applied.

    Raises :class:`UsageError` for an override that names no parameter or does not fit
    the parameter's type: that is a mistake on the command line, not in the file.
    """
    declared = {d.name.text: d for d in tree.declarations if isinstance(d, ast.ParameterDecl)}
    values: dict[str, float | str] = {}
    for name, decl in declared.items():
        value = decl.value.value
        values[name] = float(value) if decl.value.kind in ("number", "percent") else str(value)
    for name, text in (overrides or {}).items():
        if name not in declared:
            hints = suggest(name, declared)
            known = ", ".join(f"`{n}`" for n in declared) or "none"
            raise UsageError(
                f"`--set {name}=…`: the index has no parameter `{name}`"
                + (f"; did you mean `{hints[0]}`?" if hints else f" (parameters: {known})")
            )
        if isinstance(values[name], float):
            number = read_number(text)
            if number is None:
                raise UsageError(
                    f"`--set {name}={text}`: `{name}` takes a finite number, written with "
                    "ASCII digits (`2015`, `0.5`, `1e-3`)"
                )
            values[name] = number
        else:
            values[name] = text
    return values
