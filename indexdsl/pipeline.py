"""The pipeline in one place: read → parse → check → load data → compile → evaluate.

Each stage consumes only the previous stage's output.  Problems travel as
diagnostics inside :class:`~indexdsl.diagnostics.DiagnosticError`; warnings are kept on
the way and returned with the result.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from indexdsl.check import check
from indexdsl.compile import compile_model
from indexdsl.components import Engine
from indexdsl.data import Dataset, load_data
from indexdsl.diagnostics import (
    Diagnostic,
    DiagnosticError,
    SourceMap,
    Span,
    display_path,
    special_file,
)
from indexdsl.errors import commands as errors
from indexdsl.evaluate import Evaluator, Result, evaluate, with_references
from indexdsl.front.extends import resolve_extends, resolve_or_raise
from indexdsl.front.metadata import expand_framework_table
from indexdsl.front.parameters import parameter_values
from indexdsl.model import IndexModel
from indexdsl.plugins import Registry, load_registry
from indexdsl.syntax import ast, parse

#: bytes of an index file read (the largest example is 20 kB; a framework of thousands
#: of indicators written out stays far below)
MAX_INDEX_BYTES = 10 * 1024 * 1024


@attrs.define
class Session:
    """What a run accumulates: sources for rendering diagnostics, and warnings."""

    sources: SourceMap = attrs.field(factory=SourceMap)
    warnings: list[Diagnostic] = attrs.field(factory=list)
    registry: Registry | None = None
    #: plugins to leave out (``--disable-plugin``); ``None``: INDEXDSL_DISABLE_PLUGINS
    disabled_plugins: tuple[str, ...] | None = None


def read_index(path: Path, session: Session) -> tuple[ast.IndexFile, str]:
    text, shown = read_text(path, session)
    return parse(text, shown), shown


def read_text(path: Path, session: Session) -> tuple[str, str]:
    """An index file's text and the path to show, or a diagnostic saying why not."""
    shown = display_path(path)
    special = special_file(path)
    if special == "a folder":
        raise DiagnosticError([errors.index_file_unreadable(shown, "folder")])
    if special is not None:
        raise DiagnosticError([errors.index_file_special(shown, special)])
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_INDEX_BYTES:
        raise DiagnosticError([errors.index_file_too_large(shown, size, MAX_INDEX_BYTES)])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DiagnosticError([errors.index_file_unreadable(shown, "missing")]) from None
    except IsADirectoryError:
        raise DiagnosticError([errors.index_file_unreadable(shown, "folder")]) from None
    except UnicodeDecodeError as exc:
        raise DiagnosticError([errors.index_file_not_utf8(shown, exc.start)]) from None
    except OSError as exc:
        raise DiagnosticError([errors.index_file_unreadable(shown, exc.strerror)]) from None
    session.sources.add(shown, text)
    return text, shown


def override_uncertainty(tree: ast.IndexFile, items: list[str], session: Session) -> ast.IndexFile:
    """Uncertain inputs given on the command line (``--vary "aggregate arithmetic or
    geometric"``), written as lines of an `uncertainty` block: each replaces the file's
    input of the same kind, or is added; ``--vary "none"`` starts from no inputs."""
    inputs: list[ast.UncertainInput] = []
    replace_all = False
    for number, item in enumerate(items, start=1):
        if item.strip().lower() == "none":
            replace_all = True
            continue
        shown = f"<--vary {number}>"
        text = f"uncertainty {{ {item} }}"
        session.sources.add(shown, text)
        parsed = parse(text, shown)
        decl = next(d for d in parsed.declarations if isinstance(d, ast.UncertaintyDecl))
        inputs.extend(decl.inputs)
    kinds = {i.kind for i in inputs}
    declarations = list(tree.declarations)
    existing = next(
        (i for i, d in enumerate(declarations) if isinstance(d, ast.UncertaintyDecl)), None
    )
    if existing is None:
        declarations.append(ast.UncertaintyDecl(tuple(inputs)))
    else:
        decl = declarations[existing]
        kept = () if replace_all else tuple(i for i in decl.inputs if i.kind not in kinds)
        declarations[existing] = attrs.evolve(decl, inputs=kept + tuple(inputs))
    return attrs.evolve(tree, declarations=tuple(declarations))


def check_file(
    path: Path,
    session: Session,
    parameters: dict[str, str] | None = None,
    vary: list[str] | None = None,
) -> IndexModel:
    """Parse and check an index file; ``parameters`` override the file's `parameter`s,
    ``vary`` its uncertain inputs (see :func:`override_uncertainty`)."""
    tree, _ = read_index(path, session)
    tree, resolved = resolve_or_raise(tree, path, session.sources)
    session.warnings.extend(resolved)  # warnings about what was imported or inherited
    if vary:
        tree = override_uncertainty(tree, vary, session)
    if session.registry is None:
        session.registry = load_registry(session.disabled_plugins)
    values = parameter_values(tree, parameters)
    tree, expanded = expand_framework_table(tree, path.parent, session.registry, session.sources)
    if any(d.is_error for d in expanded):
        raise DiagnosticError([d for d in expanded if d.is_error])
    model, diagnostics = check(tree, session.registry, values)
    session.warnings.extend(d for d in diagnostics if not d.is_error)
    if model is None or any(d.is_error for d in diagnostics):
        raise DiagnosticError([d for d in diagnostics if d.is_error])
    return model


@attrs.frozen
class Checked:
    """What checking an index's text gives: its tree as written (None when it does not
    parse), the tree the checker read (with the declarations of the file it extends and
    of its framework table, whose spans point into those files), the checked model
    (None when there are errors) and every diagnostic."""

    tree: ast.IndexFile | None
    expanded: ast.IndexFile | None
    model: IndexModel | None
    diagnostics: tuple[Diagnostic, ...]


def check_source(text: str, path: Path, session: Session) -> Checked:
    """Parse and check an index given as text, as an editor holds it (saved or not):
    the stages of :func:`check_file` without reading the file, collecting every
    diagnostic instead of stopping at the first stage that fails.  ``path`` places the
    text (its folder is where `extends` and data files are found)."""
    shown = display_path(path)
    session.sources.add(shown, text)
    try:
        tree = parse(text, shown)
    except DiagnosticError as exc:
        return Checked(None, None, None, exc.diagnostics)
    if session.registry is None:
        session.registry = load_registry(session.disabled_plugins)
    found: list[Diagnostic] = []
    try:
        resolved, found = resolve_extends(tree, path, session.sources)
        if any(d.is_error for d in found):
            return Checked(tree, None, None, tuple(found))
        values = parameter_values(resolved)
        expanded, more = expand_framework_table(
            resolved, path.parent, session.registry, session.sources
        )
        found += more
        if any(d.is_error for d in found):
            return Checked(tree, resolved, None, tuple(found))
        model, checked = check(expanded, session.registry, values)
    except DiagnosticError as exc:
        return Checked(tree, None, None, tuple(found) + exc.diagnostics)
    diagnostics = tuple(found) + tuple(checked)
    if any(d.is_error for d in diagnostics):
        model = None
    return Checked(tree, expanded, model, diagnostics)


def load(model: IndexModel, path: Path, session: Session) -> Dataset:
    data, diagnostics = load_data(model, path.parent, session.sources)
    session.warnings.extend(d for d in diagnostics if not d.is_error)
    if data is None:
        raise DiagnosticError(
            [d for d in diagnostics if d.is_error]
            or [errors.data_not_loaded(Span.point(model.file, 1, 1))]
        )
    return with_references(compile_model(model), data)


def evaluate_model(model: IndexModel, data: Dataset, engine: Engine | None = None) -> Result:
    """Compile a checked model and evaluate it on its data: the one place the two
    stages meet (analyses that change the model, such as what-if, come through here).
    ``engine`` is an engine component (``--engine``); None: the embedded numpy one."""
    graph = compile_model(model)
    return evaluate(graph, data) if engine is None else engine.evaluate(graph, data)


def evaluator(model: IndexModel, data: Dataset) -> Evaluator:
    """The engine of a checked model on its data, for analyses that evaluate many
    variants of it in batches (uncertainty, sensitivity)."""
    return Evaluator(compile_model(model), data)


def check_tree(tree: ast.IndexFile, registry: Registry) -> list[Diagnostic]:
    """The diagnostics of an index given as an AST (the starter index of ``indexdsl
    new`` is checked this way before it is written)."""
    try:
        _, diagnostics = check(tree, registry)
    except DiagnosticError as exc:
        diagnostics = list(exc.diagnostics)
    return diagnostics


def run_file(
    path: Path,
    session: Session | None = None,
    parameters: dict[str, str] | None = None,
    engine: Engine | None = None,
) -> tuple[Result, Session]:
    """Compute an index file end to end, with optional parameter overrides, on the
    embedded numpy engine or the ``engine`` given."""
    session = session or Session()
    model = check_file(path, session, parameters)
    data = load(model, path, session)
    result = evaluate_model(model, data, engine)
    session.warnings.extend(result.warnings)
    return result, session
