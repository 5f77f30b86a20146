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
    """The file's declarations with those of the file it extends merged in."""
    extends = [d for d in tree.declarations if isinstance(d, ast.ExtendsDecl)]
    if not extends:
        return tree, []
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
    return attrs.evolve(tree, declarations=tuple(merged)), diagnostics


def resolve_or_raise(tree: ast.IndexFile, path: Path, sources: SourceMap) -> ast.IndexFile:
    tree, diagnostics = resolve_extends(tree, path, sources)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise DiagnosticError(errors)
    return tree
