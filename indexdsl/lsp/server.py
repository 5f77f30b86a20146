"""``indexdsl lsp``: the language server, over standard input and output.

Built on pygls (the ``lsp`` extra).  Each change of a document schedules its analysis
after a short pause in typing: the static stage first (published at once), then the
data stage (published when done, if the document has not changed meanwhile).  Both run
on one worker thread, so the server keeps reading messages while a stage runs; a newer
change cancels the wait for an older one.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from indexdsl.lsp import features
from indexdsl.lsp.analysis import Analysis, analyse
from indexdsl.plugins import Registry, load_registry
from indexdsl.version import __version__

#: seconds without a change before a document is checked again
PAUSE = 0.05


class IndexServer(LanguageServer):
    """The server's state: the registry, each open document's latest analysis and the
    latest one that read the data (columns stay known while the file has errors)."""

    def __init__(self, registry: Registry | None = None):
        super().__init__("indexdsl", __version__)
        self.registry = registry if registry is not None else load_registry()
        self.analyses: dict[str, Analysis] = {}
        self.known: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexdsl-check")

    def schedule(self, uri: str) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self.refresh(uri))

    async def refresh(self, uri: str) -> None:
        await asyncio.sleep(PAUSE)
        document = self.workspace.get_text_document(uri)
        text, version = document.source, document.version or 0
        loop = asyncio.get_running_loop()
        path = Path(document.path)
        analysis = await loop.run_in_executor(
            self.worker, analyse, text, path, version, self.registry
        )
        self.analyses[uri] = analysis
        self.publish(uri, analysis)
        analysis = await loop.run_in_executor(self.worker, analysis.with_data)
        if analysis.columns:
            self.known[uri] = analysis
        if self.workspace.get_text_document(uri).version in (version, None):
            self.publish(uri, analysis)

    def publish(self, uri: str, analysis: Analysis) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri, version=analysis.version, diagnostics=features.diagnostics(analysis)
            )
        )

    def analysis(self, uri: str) -> Analysis:
        """The document's latest analysis, made now if none is done yet."""
        found = self.analyses.get(uri)
        document = self.workspace.get_text_document(uri)
        if found is None or found.version != (document.version or 0):
            found = analyse(
                document.source, Path(document.path), document.version or 0, self.registry
            )
            if found.checked.model is not None and uri in self.known:
                found.columns = self.known[uri].columns
                found.nodes = self.known[uri].nodes
        return found


def build(registry: Registry | None = None) -> IndexServer:
    """The server with every feature registered."""
    server = IndexServer(registry)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: IndexServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: IndexServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: IndexServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: IndexServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.analyses.pop(uri, None)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", " ", "("]),
    )
    def completion(ls: IndexServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        items = features.completion(
            ls.analysis(uri), ls.known.get(uri), text, params.position.line,
            params.position.character, ls.registry,
        )  # fmt: skip
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: IndexServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        position = params.position
        return features.hover(
            ls.analysis(uri), text, position.line, position.character, ls.registry
        )

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: IndexServer, params: types.DefinitionParams) -> types.Location | None:
        position = params.position
        analysis = ls.analysis(params.text_document.uri)
        return features.definition(analysis, position.line, position.character)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: IndexServer, params: types.ReferenceParams) -> list[types.Location]:
        position = params.position
        return features.references(
            ls.analysis(params.text_document.uri), position.line, position.character,
            params.context.include_declaration,
        )  # fmt: skip

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: IndexServer, params: types.PrepareRenameParams):
        position = params.position
        analysis = ls.analysis(params.text_document.uri)
        return features.prepare_rename(analysis, position.line, position.character)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: IndexServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri, position = params.text_document.uri, params.position
        return features.rename(
            ls.analysis(uri), uri, position.line, position.character, params.new_name
        )

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: IndexServer, params: types.DocumentFormattingParams):
        document = ls.workspace.get_text_document(params.text_document.uri)
        return features.formatting(document.source, Path(document.path))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: IndexServer, params: types.CodeActionParams):
        return features.code_actions(params.text_document.uri, params.context.diagnostics)

    return server


def serve() -> None:
    """Run the server on standard input and output until the editor closes it."""
    build().start_io()
