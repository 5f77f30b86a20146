"""``import "hdi_method.idx"``: modules of parameters, templates and indicators.

A method written once (the HDI as a template, with its goalposts as parameters) is
used by several index files: the GDI, the IHDI, a regional HDI.  ``extends`` takes a
whole index and replaces parts of it; ``import`` takes only definitions, and the
importing file writes its own units, data and framework.  So a module's `index`,
`units`, `table`, `pairs`, `framework` and `uncertainty` blocks are not imported: only
its parameters, templates and indicators, which name tables by name and so work with
whichever tables the importing file declares under those names.  A declaration of the
importing file wins over an imported one of the same kind and name, as with
``extends``; two modules that declare the same name are an error (which one was
meant?).  Modules may import others; the chain is followed with cycles reported.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from indexdsl.diagnostics import Diagnostic, SourceMap, display_path, special_file
from indexdsl.errors import front as errors
from indexdsl.syntax import ast, parse

#: what a module gives the files that import it
IMPORTED = (ast.ParameterDecl, ast.TemplateDecl, ast.IndicatorDecl)

#: what each is called in diagnostics
_KIND = {
    ast.ParameterDecl: "parameter",
    ast.TemplateDecl: "template",
    ast.IndicatorDecl: "indicator",
}

#: modules in one chain of imports: read recursively
MAX_IMPORTS = 20


def resolve_imports(
    tree: ast.IndexFile, path: Path, sources: SourceMap, _seen: frozenset = frozenset()
) -> tuple[ast.IndexFile, list[Diagnostic]]:
    """The file's declarations, with the definitions of the modules it imports added
    after its own (``import`` lines removed)."""
    imports = [d for d in tree.declarations if isinstance(d, ast.ImportDecl)]
    if not imports:
        return tree, []
    own = [d for d in tree.declarations if not isinstance(d, ast.ImportDecl)]
    declared = {(type(d), d.name.text) for d in own if isinstance(d, IMPORTED)}
    diagnostics: list[Diagnostic] = []
    added: dict[tuple, tuple[object, str]] = {}  # (kind, name) -> (declaration, module)
    here = path.resolve()
    for decl in imports:
        module_path = (path.parent / decl.path).resolve()
        if module_path in _seen or module_path == here:
            diagnostics.append(errors.import_cycle(decl.path, decl.span))
            continue
        if len(_seen) >= MAX_IMPORTS:
            diagnostics.append(errors.import_cycle(decl.path, decl.span))
            continue
        special = special_file(module_path)
        if special is not None:
            diagnostics.append(
                errors.imported_file_unreadable(decl.path, f"is {special}", decl.span)
            )
            continue
        try:
            text = module_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "does not exist" if isinstance(exc, FileNotFoundError) else "cannot be read"
            diagnostics.append(errors.imported_file_unreadable(decl.path, reason, decl.span))
            continue
        shown = display_path(module_path)
        sources.add(shown, text)
        module = parse(text, shown)  # a syntax error there is reported in that file
        module, found = resolve_imports(module, module_path, sources, _seen | {here})
        diagnostics += found
        for definition in module.declarations:
            if not isinstance(definition, IMPORTED):
                continue
            key = (type(definition), definition.name.text)
            if key in declared:
                continue  # the importing file's own declaration wins
            if key in added and added[key][1] != decl.path:
                kind = _KIND[type(definition)]
                diagnostics.append(errors.imported_twice(kind, key[1], added[key][1], decl.span))
                continue
            if isinstance(definition, ast.IndicatorDecl) and definition.module is None:
                definition = attrs.evolve(definition, module=decl.path)
            added[key] = (definition, decl.path)
    merged = own + [definition for definition, _ in added.values()]
    return attrs.evolve(tree, declarations=tuple(merged)), diagnostics
