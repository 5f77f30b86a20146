"""``extends "base.idx"``: one method, several unit sets (or editions, or variants).

The extending file starts from every declaration of the base file and replaces those it
declares again: the `index`, `defaults`, `units` and `framework` blocks (one of each
per index) by kind, parameters, tables, pairs and indicators by kind and name.  Its
other declarations are added.  Data paths written in the base file stay relative to the
base file's folder, so a base index and its data can live elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from indexdsl.diagnostics import (
    Diagnostic,
    DiagnosticError,
    SourceMap,
    display_path,
    special_file,
)
from indexdsl.errors import front as errors
from indexdsl.front.imports import resolve_imports
from indexdsl.syntax import ast, parse

#: declarations an index has at most one of: replaced by kind alone
SINGLE = (
    ast.IndexDecl,
    ast.DefaultsDecl,
    ast.UnitsDecl,
    ast.FrameworkDecl,
    ast.UncertaintyDecl,
)


def _key(decl) -> tuple:
    if isinstance(decl, SINGLE):
        return (type(decl),)
    return (type(decl), decl.name.text)


def _rebase_component(component: ast.Component | None, base: Path, here: Path):
    """Rewrite a loader's relative `path` so it still names the same file from `here`."""
    if component is None:
        return None

    def moved(literal: ast.Literal) -> ast.Literal:
        if literal.kind != "string" or os.path.isabs(str(literal.value)):
            return literal
        target = os.path.normpath(base / str(literal.value))
        return attrs.evolve(literal, value=Path(os.path.relpath(target, here)).as_posix())

    args = component.args
    if args:
        args = (moved(args[0]), *args[1:])
    kwargs = tuple((k, moved(v) if k.text == "path" else v) for k, v in component.kwargs)
    return attrs.evolve(component, args=args, kwargs=kwargs)


def _rebase(decl, base: Path, here: Path):
    if isinstance(decl, ast.UnitsDecl | ast.TableDecl | ast.PairsDecl | ast.FrameworkDecl):
        return attrs.evolve(decl, source=_rebase_component(decl.source, base, here))
    return decl


#: files in one chain of `extends` (each file extends the next): read recursively
MAX_EXTENDS = 20


def resolve_extends(
    tree: ast.IndexFile, path: Path, sources: SourceMap, _seen: frozenset = frozenset()
) -> tuple[ast.IndexFile, list[Diagnostic]]:
    """The file's declarations with those of the modules it imports and of the file it
    extends merged in."""
    tree, imported = resolve_imports(tree, path, sources)
    if any(d.is_error for d in imported):
        return tree, imported
    extends = [d for d in tree.declarations if isinstance(d, ast.ExtendsDecl)]
    if not extends:
        return tree, imported
    for extra in extends[1:]:
        return tree, [errors.extends_twice(extra.span)]
    decl = extends[0]
    base_path = (path.parent / decl.path).resolve()
    if base_path in _seen or base_path == path.resolve():
        return tree, [errors.extends_cycle(decl.path, decl.span)]
    if len(_seen) >= MAX_EXTENDS:
        return tree, [errors.extends_too_deep(MAX_EXTENDS, decl.span)]
    special = special_file(base_path)
    if special is not None:
        return tree, [errors.extended_file_unreadable(decl.path, f"is {special}", decl.span)]
    try:
        text = base_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "does not exist" if isinstance(exc, FileNotFoundError) else "cannot be read"
        return tree, [errors.extended_file_unreadable(decl.path, reason, decl.span)]
    shown = display_path(base_path)
    sources.add(shown, text)
    base_tree = parse(text, shown)  # a syntax error there is reported in that file
    base_tree, diagnostics = resolve_extends(
        base_tree, base_path, sources, _seen | {path.resolve()}
    )
    if any(d.is_error for d in diagnostics):
        return tree, diagnostics
    here = path.resolve().parent
    own = [d for d in tree.declarations if not isinstance(d, ast.ExtendsDecl)]
    replacements = {_key(d): d for d in own}
    merged, used = [], set()
    for base_decl in base_tree.declarations:
        key = _key(base_decl)
        if key in replacements:
            merged.append(replacements[key])
            used.add(key)
        else:
            merged.append(_rebase(base_decl, base_path.parent, here))
    merged += [d for d in own if _key(d) not in used]
    inherited = _inherited_references(base_tree, replacements, used, decl.path)
    return attrs.evolve(tree, declarations=tuple(merged)), imported + diagnostics + inherited


#: settings that compare a node with published values read from a table
_REFERENCES = {
    "reference": "reference ranks",
    "reference_scores": "reference scores",
    "previous": "previous ranks",
    "reference_pathways": "reference pathway ranks",
}


def _inherited_references(base_tree, replacements: dict, used: set, base: str) -> list:
    """W167 for each published-value setting of the base file's framework, kept by
    this file, that reads a table this file replaced: the comparison now reads the new
    table's column of that name, which may be another publication's, or nothing."""
    framework_key = (ast.FrameworkDecl,)
    if framework_key in used:
        return []  # the framework is this file's own: its references are too
    replaced: dict[str, object] = {}
    for key in used:
        decl = replacements[key]
        if isinstance(decl, ast.UnitsDecl | ast.TableDecl | ast.PairsDecl):
            replaced[decl.name.text] = decl.name.span
    base_units = next((d for d in base_tree.declarations if isinstance(d, ast.UnitsDecl)), None)
    if (ast.UnitsDecl,) in used and base_units is not None:
        replaced[base_units.name.text] = replacements[(ast.UnitsDecl,)].name.span
    out = []
    for framework in (d for d in base_tree.declarations if isinstance(d, ast.FrameworkDecl)):
        settings = list(framework.settings)
        for node in ast.framework_nodes(framework):
            settings += list(node.settings)
        for setting in settings:
            if setting.kind not in _REFERENCES:
                continue
            if setting.expression is not None:  # `reference ranks 44 - t.rank`: its columns
                refs = [n for n in ast.walk(setting.expression) if isinstance(n, ast.ColumnRef)]
            else:
                refs = [setting.column] if setting.column is not None else []
            # one warning per setting: its first column from a replaced table
            for column in [r for r in refs if r.table.text in replaced][:1]:
                table = column.table.text
                out.append(
                    errors.inherited_reference(
                        _REFERENCES[setting.kind],
                        f"{table}.{column.column.text}",
                        table,
                        base,
                        setting.span,
                        replaced[table],
                    )
                )
    return out


def resolve_or_raise(
    tree: ast.IndexFile, path: Path, sources: SourceMap
) -> tuple[ast.IndexFile, list[Diagnostic]]:
    """The resolved tree and the warnings found on the way; raises for errors."""
    tree, diagnostics = resolve_extends(tree, path, sources)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise DiagnosticError(errors)
    return tree, diagnostics
