"""The answers of the language server, computed from an :class:`~.analysis.Analysis`.

Each function answers one request of the Language Server Protocol with
:mod:`lsprotocol` types; none of them reads files or blocks (the analysis did that).
Positions: a :class:`~indexdsl.diagnostics.Span` counts lines and columns from 1 and
its end column is exclusive; the protocol counts both from 0.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from indexdsl.diagnostics import Diagnostic, Severity, Span, display_path
from indexdsl.lsp.analysis import Analysis
from indexdsl.lsp.symbols import Symbol
from indexdsl.plugins import Registry
from indexdsl.syntax.parser import keywords

SOURCE = "indexdsl"
_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}
#: the word before a component, and the role of the components it takes
_ROLE_AFTER = {
    "normalise": "normaliser",
    "normalize": "normaliser",
    "rescale": "normaliser",
    "aggregate": "aggregator",
    "impute": "imputer",
    "treat": "transform",
    "weights": "weighting",
    "from": "loader",
}
#: `did you mean `x`?` and `did you mean `x` or `y`?` in a diagnostic's help
_DID_YOU_MEAN = re.compile(r"did you mean ((?:`[^`]+`(?:,? or |, )?)+)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---- positions --------------------------------------------------------------------------


def to_range(span: Span | None) -> types.Range:
    if span is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    return types.Range(
        types.Position(span.line - 1, span.col - 1),
        types.Position(span.end_line - 1, max(span.end_col - 1, 0)),
    )


def uri_of(file: str) -> str:
    """The URI of a file as diagnostics name it (relative to the working folder)."""
    return Path(file).resolve().as_uri()


def location(span: Span) -> types.Location:
    return types.Location(uri_of(span.file), to_range(span))


def word_at(text: str, line: int, character: int) -> tuple[str, int, int] | None:
    """The word under a 0-based position: (word, start, end) on that line."""
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return None
    for match in _WORD.finditer(lines[line]):
        if match.start() <= character <= match.end():
            return match.group(), match.start(), match.end()
    return None


# ---- diagnostics -------------------------------------------------------------------------


def to_lsp(diagnostic: Diagnostic, here: str) -> types.Diagnostic:
    """One diagnostic as the editor shows it: the message with its label, help and
    notes, as ``indexdsl check`` prints them; secondary spans as related places.  A
    diagnostic located in another file (a data file) is shown at ``here``'s start."""
    span = diagnostic.span if diagnostic.span and diagnostic.span.file == here else None
    text = [diagnostic.message]
    if diagnostic.span is not None and span is None:
        text[0] += f" ({diagnostic.span})"
    if diagnostic.label:
        text.append(diagnostic.label)
    if diagnostic.help:
        text.append(f"help: {diagnostic.help}")
    text += [f"note: {n}" for n in diagnostic.notes]
    related = [
        types.DiagnosticRelatedInformation(location(s.span), s.message or diagnostic.message)
        for s in diagnostic.secondary
        if s.span is not None
    ]
    return types.Diagnostic(
        range=to_range(span),
        message="\n".join(text),
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        source=SOURCE,
        related_information=related or None,
        data={"help": diagnostic.help} if diagnostic.help else None,
    )


def diagnostics(analysis: Analysis) -> list[types.Diagnostic]:
    here = display_path(analysis.path)
    return [to_lsp(d, here) for d in analysis.diagnostics]


def code_actions(uri: str, found: list[types.Diagnostic]) -> list[types.CodeAction]:
    """A quick fix for each "did you mean" of a diagnostic: the name it suggests, in
    place of the one written."""
    actions = []
    for diagnostic in found:
        helped = (diagnostic.data or {}).get("help") if isinstance(diagnostic.data, dict) else None
        match = _DID_YOU_MEAN.search(helped or diagnostic.message)
        if diagnostic.source != SOURCE or match is None:
            continue
        for name in re.findall(r"`([^`]+)`", match.group(1)):
            edit = types.TextEdit(diagnostic.range, name)
            actions.append(
                types.CodeAction(
                    title=f"Change to `{name}`",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(changes={uri: [edit]}),
                    is_preferred=len(actions) == 0,
                )
            )
    return actions


# ---- completion -----------------------------------------------------------------------


def _signature(cls) -> str:
    params = ", ".join(p.name if p.required else f"{p.name} = {p.default!r}" for p in cls.params)
    return f"{cls.name}({params})" if cls.params else cls.name


def _component_items(registry: Registry, role: str) -> list[types.CompletionItem]:
    items = []
    for name in registry.names(role):
        provided = registry.get(role, name)
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Function,
                detail=f"{role}: {_signature(provided.cls)}",
                documentation=provided.cls.summary or None,
            )
        )
    return items


_KIND = {
    "indicator": types.CompletionItemKind.Variable,
    "node": types.CompletionItemKind.Module,
    "parameter": types.CompletionItemKind.Constant,
    "table": types.CompletionItemKind.Class,
}


def completion(
    analysis: Analysis, known: Analysis | None, text: str, line: int, character: int,
    registry: Registry,
) -> list[types.CompletionItem]:  # fmt: skip
    """What may be written at a position: a table's columns after ``table.``, the
    components of a role after the word that takes them (``normalise``, ``aggregate``,
    ``from`` …), else the language's words, the names declared in the file and the
    functions of expressions.  ``known`` is the last analysis that read the data
    (columns stay known while the file has errors)."""
    lines = text.splitlines()
    before = lines[line][:character] if 0 <= line < len(lines) else ""
    columns = analysis.columns or (known.columns if known else {})
    dotted = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_]*)$", before)
    if dotted:
        facts = columns.get(dotted.group(1), {})
        return [
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Field,
                detail=f"{fact.kind}, {fact.missing} of {fact.rows} missing",
            )
            for name, fact in facts.items()
        ]
    words = re.findall(r"[A-Za-z_]+", before)
    current = words[-1] if words and re.search(r"[A-Za-z_]$", before) else ""
    previous = words[-2] if current else (words[-1] if words else "")
    role = _ROLE_AFTER.get(previous)
    if role is not None:
        return _component_items(registry, role)
    items = [
        types.CompletionItem(label=w, kind=types.CompletionItemKind.Keyword) for w in keywords()
    ]
    symbols = analysis.symbols or (known.symbols if known else None)
    if symbols is not None:
        seen = set()
        for symbol in symbols.declared("indicator", "node", "parameter", "table"):
            if symbol.name not in seen:
                seen.add(symbol.name)
                items.append(
                    types.CompletionItem(
                        label=symbol.name, kind=_KIND[symbol.kind], detail=symbol.kind
                    )
                )
    items += _component_items(registry, "transform")
    return items


# ---- hover ------------------------------------------------------------------------------


def _component_hover(registry: Registry, name: str) -> str | None:
    found = [(role, registry.get(role, name)) for role in _roles(registry)]
    found = [(role, p) for role, p in found if p is not None]
    if not found:
        return None
    parts = []
    for role, provided in found:
        cls = provided.cls
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        text = [f"**{name}** ({role}, from `{provided.plugin}`)", "", f"`{_signature(cls)}`"]
        if cls.summary:
            text += ["", cls.summary]
        elif doc:
            text += ["", " ".join(doc.split())]
        for param in cls.params:
            default = "required" if param.required else f"default {param.default!r}"
            text.append(f"- `{param.name}` ({default})" + (f": {param.doc}" if param.doc else ""))
        parts.append("\n".join(text))
    return "\n\n---\n\n".join(parts)


def _roles(registry: Registry) -> list[str]:
    return sorted({role for role, _, _ in registry.all()})


def _node_hover(analysis: Analysis, symbol: Symbol) -> str:
    row = analysis.nodes.get(symbol.name)
    if row is None:
        what = "parameter" if symbol.kind == "parameter" else symbol.kind
        note = "" if analysis.data_done else " (weights as used once the data are read)"
        return f"**{symbol.name}**: {what}{note}"
    lines = [f"**{row['title']}** (`{row['node']}`, {row['kind']})", ""]
    facts = [
        ("weight as written", row.get("weight_written")),
        ("weight as used", None if row.get("weight") is None else f"{row['weight']:.1%}"),
        ("aggregation", row.get("aggregator")),
        ("normalisation", row.get("normaliser")),
        ("better", row.get("better")),
        ("unit", row.get("unit")),
    ]
    lines += [f"- {label}: {value}" for label, value in facts if value not in (None, "")]
    return "\n".join(lines)


def _parameter_hover(analysis: Analysis, name: str) -> str:
    model = analysis.checked.model
    value = model.parameters.get(name) if model is not None else None
    shown = "" if value is None else f" = {value!r}"
    return f"**{name}**: parameter{shown} (change it with `--set {name}=…`)"


def hover(analysis: Analysis, text: str, line: int, character: int, registry: Registry):
    """What a name is: a component's summary and parameters; a node's weights (as
    written and as used), aggregation and normalisation; a column's type and missing
    values; a table's file."""
    symbol = analysis.symbols.at(line + 1, character + 1) if analysis.symbols else None
    if symbol is not None and symbol.span.file == display_path(analysis.path):
        value = _symbol_hover(analysis, symbol)
        return types.Hover(
            contents=types.MarkupContent(types.MarkupKind.Markdown, value),
            range=to_range(symbol.span),
        )
    word = word_at(text, line, character)
    if word is None:
        return None
    value = _component_hover(registry, word[0])
    if value is None:
        return None
    where = types.Range(types.Position(line, word[1]), types.Position(line, word[2]))
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, value), range=where)


def _symbol_hover(analysis: Analysis, symbol: Symbol) -> str:
    if symbol.kind == "column":
        fact = analysis.columns.get(symbol.table, {}).get(symbol.name)
        if fact is None:
            return f"**{symbol.table}.{symbol.name}**: column (not read yet)"
        return (
            f"**{symbol.table}.{symbol.name}**: {fact.kind} column of `{fact.file}`, "
            f"{fact.missing} of {fact.rows} values missing"
        )
    if symbol.kind == "table":
        facts = analysis.columns.get(symbol.name)
        if not facts:
            return f"**{symbol.name}**: table"
        first = next(iter(facts.values()))
        return (
            f"**{symbol.name}**: table read from `{first.file}`, {first.rows} rows, "
            f"{len(facts)} columns"
        )
    if symbol.kind == "parameter":
        return _parameter_hover(analysis, symbol.name)
    return _node_hover(analysis, symbol)


# ---- names: definition, references, rename ----------------------------------------------


def _symbol(analysis: Analysis, line: int, character: int) -> Symbol | None:
    if analysis.symbols is None:
        return None
    symbol = analysis.symbols.at(line + 1, character + 1)
    if symbol is None or symbol.span.file != display_path(analysis.path):
        return None
    return symbol


def definition(analysis: Analysis, line: int, character: int) -> types.Location | None:
    """Where the name under the cursor is declared: in this file, in the file it
    extends, or in the row of the framework table that declares it."""
    symbol = _symbol(analysis, line, character)
    found = analysis.symbols.declaration(symbol) if symbol is not None else None
    return location(found.span) if found is not None else None


def references(
    analysis: Analysis, line: int, character: int, include_declaration: bool
) -> list[types.Location]:
    symbol = _symbol(analysis, line, character)
    if symbol is None:
        return []
    return [
        location(s.span)
        for s in analysis.symbols.same(symbol)
        if include_declaration or not s.declares
    ]


def prepare_rename(analysis: Analysis, line: int, character: int) -> types.Range | None:
    """A name can be renamed when it is declared in this file and every use of it is
    here too (a column is named by its data file, and a name of a framework table or
    of the file this one extends is renamed there)."""
    symbol = _symbol(analysis, line, character)
    if symbol is None or symbol.kind == "column":
        return None
    here = display_path(analysis.path)
    same = analysis.symbols.same(symbol)
    if not any(s.declares for s in same) or any(s.span.file != here for s in same):
        return None
    return to_range(symbol.span)


def rename(
    analysis: Analysis, uri: str, line: int, character: int, new_name: str
) -> types.WorkspaceEdit | None:
    if prepare_rename(analysis, line, character) is None:
        return None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", new_name):
        raise ValueError(f"`{new_name}` is not a name (letters, digits and _)")
    symbol = _symbol(analysis, line, character)
    edits = [types.TextEdit(to_range(s.span), new_name) for s in analysis.symbols.same(symbol)]
    return types.WorkspaceEdit(changes={uri: edits})


# ---- formatting -------------------------------------------------------------------------


def formatting(text: str, path: Path) -> list[types.TextEdit]:
    """The whole document as ``indexdsl fmt`` writes it; nothing while it does not
    parse (the diagnostics say why)."""
    from indexdsl.diagnostics import IndexdslError
    from indexdsl.syntax.formatter import format_text

    try:
        formatted = format_text(text, display_path(path))
    except IndexdslError:
        return []
    if formatted == text:
        return []
    lines = text.split("\n")
    end = types.Position(len(lines) - 1, len(lines[-1]))
    return [types.TextEdit(types.Range(types.Position(0, 0), end), formatted)]
