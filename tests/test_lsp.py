"""The language server, through its protocol: a client (pygls's) starts ``indexdsl lsp``
as an editor would, opens an index, types into it and asks what an editor asks.

The features are also tested one by one on an analysis, without the protocol."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="pygls is optional (indexdsl[lsp])")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from conftest import csv_text  # noqa: E402
from indexdsl.lsp import features  # noqa: E402
from indexdsl.lsp.analysis import analyse  # noqa: E402

INDEX = """\
index t "Test index" { edition 2024 }

units c "Cities" {
  from csv("units.csv")
  key id
  label name
}

indicator flights "Direct flights" = c.flights
indicator trade "Trade" = c.trade
  lower is better

framework {
  normalise minmax(0, 100)
  connectivity "Connectivity" 60% {
    flights 100%
  }
  commerce "Commerce" 40% {
    trade 100%
  }
}
"""

UNITS = csv_text(
    ["id", "name", "flights", "trade", "note"],
    [
        ["a", "Alpha", 10.0, 3.0, "x"],
        ["b", "Beta", 20.0, 1.0, ""],
        ["c", "Gamma", 15.0, 2.0, "y"],
        ["d", "Delta", 5.0, "", "z"],
    ],
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "index.idx").write_text(INDEX, encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    return tmp_path


def position_of(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    """0-based line and character of the start of ``needle`` (its n-th occurrence)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    return line, start - (text.rfind("\n", 0, start) + 1)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text with the edits applied (last first, so earlier positions hold)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for edit in sorted(edits, key=lambda e: at(e.range.start), reverse=True):
        text = text[: at(edit.range.start)] + edit.new_text + text[at(edit.range.end) :]
    return text


# ---- through the protocol -------------------------------------------------------------------


class Editor:
    """A client that keeps every diagnostics notification, by document."""

    def __init__(self, root: Path):
        self.root = root
        self.client = LanguageClient("indexdsl-tests", "1")
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.arrived = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def keep(params: types.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)
            self.arrived.set()

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "indexdsl.cli", "lsp", cwd=self.root)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), root_uri=self.root.as_uri()
            )
        )
        self.client.initialized(types.InitializedParams())

    def open(self, uri: str, text: str) -> None:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "indexdsl", 1, text))
        )

    def change(self, uri: str, version: int, text: str) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def diagnostics(self, uri: str, version: int, until, timeout: float = 30.0):
        """The diagnostics of ``version`` once ``until(diagnostics)`` holds."""

        async def wait():
            while True:
                for params in reversed(self.published.get(uri, [])):
                    if params.version == version and until(params.diagnostics):
                        return list(params.diagnostics)
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(wait(), timeout)


def run(scenario, timeout: float = 90.0) -> None:
    """Run a scenario; a server that stops answering fails the test instead of hanging."""

    async def bounded():
        await asyncio.wait_for(scenario(), timeout)

    asyncio.run(bounded())


def test_a_misspelt_indicator_gets_checks_diagnostic_and_its_quick_fix(folder: Path):
    uri = (folder / "index.idx").as_uri()
    misspelt = INDEX.replace("    flights 100%", "    flihgts 100%")
    (folder / "bad.idx").write_text(misspelt, encoding="utf-8")
    printed = subprocess.run(
        [sys.executable, "-m", "indexdsl.cli", "check", "bad.idx", "--format", "json"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    expected = next(d for d in json.loads(printed.stdout) if d["code"] == "E201")

    async def scenario():
        editor = Editor(folder)
        await editor.start()
        try:
            client = editor.client
            editor.open(uri, INDEX)
            # W406 (unit d misses `trade`) once the data stage has run: whether it has
            # when the diagnostics are read depends on timing
            shown = await editor.diagnostics(uri, 1, lambda d: True)
            assert [d.code for d in shown if d.code != "W406"] == []
            editor.change(uri, 2, misspelt)
            found = await editor.diagnostics(uri, 2, lambda d: any(x.code == "E201" for x in d))
            e201 = next(d for d in found if d.code == "E201")
            # the same problem, place and help as `indexdsl check` prints
            assert expected["message"] in e201.message
            assert f"help: {expected['help']}" in e201.message
            span = expected["span"]
            assert e201.range == types.Range(
                types.Position(span["line"] - 1, span["col"] - 1),
                types.Position(span["end_line"] - 1, span["end_col"] - 1),
            )
            assert e201.severity == types.DiagnosticSeverity.Error
            actions = await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    range=e201.range,
                    context=types.CodeActionContext(diagnostics=[e201]),
                )
            )  # fmt: skip
            assert [a.title for a in actions] == ["Change to `flights`"]
            fixed = apply(misspelt, actions[0].edit.changes[uri])
            assert fixed == INDEX
            editor.change(uri, 3, fixed)
            # W406 (unit d misses `trade`) once the data stage has run: whether it has
            # when the diagnostics are read depends on timing
            shown = await editor.diagnostics(uri, 3, lambda d: True)
            assert [d.code for d in shown if d.code != "W406"] == []
        finally:
            await editor.stop()

    run(scenario)


def test_completion_hover_definition_references_rename_and_formatting(folder: Path):
    uri = (folder / "index.idx").as_uri()

    async def scenario():
        editor = Editor(folder)
        await editor.start()
        try:
            client = editor.client
            editor.open(uri, INDEX)
            await editor.diagnostics(uri, 1, lambda d: True)
            await asyncio.sleep(0.5)  # the data stage: columns and weights as used
            doc = types.TextDocumentIdentifier(uri)

            # columns of the units table after `c.`, from the data file's header
            line, char = position_of(INDEX, "c.flights")
            listed = await client.text_document_completion_async(
                types.CompletionParams(doc, types.Position(line, char + 2))
            )
            assert {i.label for i in listed.items} == {"id", "name", "flights", "trade", "note"}
            # normalisers after `normalise`
            line, char = position_of(INDEX, "minmax")
            listed = await client.text_document_completion_async(
                types.CompletionParams(doc, types.Position(line, char))
            )
            labels = {i.label for i in listed.items}
            assert {"minmax", "zscore", "goalposts"} <= labels and "arithmetic" not in labels
            # elsewhere: the language's words and the declared names
            listed = await client.text_document_completion_async(
                types.CompletionParams(doc, types.Position(len(INDEX.splitlines()), 0))
            )
            labels = {i.label for i in listed.items}
            assert {"indicator", "framework", "flights", "connectivity", "c", "log"} <= labels

            # hover: a node's weights as written and as used; a column; a component
            line, char = position_of(INDEX, "connectivity")
            shown = await client.text_document_hover_async(
                types.HoverParams(doc, types.Position(line, char + 1))
            )
            assert "weight as written: 60%" in shown.contents.value
            assert "weight as used: 60.0%" in shown.contents.value
            line, char = position_of(INDEX, "c.trade")
            shown = await client.text_document_hover_async(
                types.HoverParams(doc, types.Position(line, char + 3))
            )
            assert "number column of `units.csv`, 1 of 4 values missing" in shown.contents.value
            line, char = position_of(INDEX, "minmax")
            shown = await client.text_document_hover_async(
                types.HoverParams(doc, types.Position(line, char + 1))
            )
            assert "normaliser" in shown.contents.value and "`low`" in shown.contents.value

            # definition of a leaf: its indicator declaration
            line, char = position_of(INDEX, "flights 100%")
            where = await client.text_document_definition_async(
                types.DefinitionParams(doc, types.Position(line, char))
            )
            assert where.range.start == types.Position(*position_of(INDEX, 'flights "Direct'))
            # references of an indicator: declaration and the leaf
            found = await client.text_document_references_async(
                types.ReferenceParams(
                    text_document=doc,
                    position=types.Position(line, char),
                    context=types.ReferenceContext(include_declaration=True),
                )
            )
            assert sorted(r.range.start.line for r in found) == [
                position_of(INDEX, "flights \"Direct")[0], line,
            ]  # fmt: skip
            # rename: every occurrence, and the result checks clean
            edit = await client.text_document_rename_async(
                types.RenameParams(
                    text_document=doc, position=types.Position(line, char), new_name="air_links"
                )
            )
            renamed = apply(INDEX, edit.changes[uri])
            assert renamed.count("air_links") == 2 and "flights" in renamed  # the column stays
            (folder / "renamed.idx").write_text(renamed, encoding="utf-8")
            checked = subprocess.run(
                [sys.executable, "-m", "indexdsl.cli", "check", "renamed.idx"],
                cwd=folder, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert checked.returncode == 0, checked.stderr
            # a column is named by its data file: no rename
            line, char = position_of(INDEX, "c.trade")
            prepared = await client.text_document_prepare_rename_async(
                types.PrepareRenameParams(doc, types.Position(line, char + 3))
            )
            assert prepared is None

            # formatting: what `indexdsl fmt` prints
            messy = INDEX.replace("indicator trade", "indicator   trade")
            editor.change(uri, 2, messy)
            edits = await client.text_document_formatting_async(
                types.DocumentFormattingParams(
                    text_document=doc, options=types.FormattingOptions(2, True)
                )
            )
            (folder / "messy.idx").write_text(messy, encoding="utf-8")
            printed = subprocess.run(
                [sys.executable, "-m", "indexdsl.cli", "fmt", "messy.idx"],
                cwd=folder, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert apply(messy, edits) == printed.stdout
        finally:
            await editor.stop()

    run(scenario)


def test_data_problems_reach_the_editor(folder: Path):
    """A data check (a cell that is not a number) appears once the data are read."""
    (folder / "units.csv").write_text(UNITS.replace("20.0", "twenty"), encoding="utf-8")
    uri = (folder / "index.idx").as_uri()

    async def scenario():
        editor = Editor(folder)
        await editor.start()
        try:
            editor.open(uri, INDEX)
            found = await editor.diagnostics(uri, 1, lambda d: any(x.code for x in d))
            assert [d.code for d in found] == ["E303"]
            assert "twenty" in found[0].message and "units.csv:3" in found[0].message
        finally:
            await editor.stop()

    run(scenario)


def test_without_pygls_the_command_says_how_to_install_it(folder: Path):
    check = (
        "import sys\n"
        "sys.modules['pygls'] = None\n"
        "from indexdsl import cli\n"
        "sys.exit(cli.main(['lsp']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert 'pip install "indexdsl[lsp]"' in done.stderr


# ---- the features on their own --------------------------------------------------------------


def test_symbols_follow_a_framework_table_into_its_file(tmp_path: Path, monkeypatch):
    """asem.idx reads its framework from a metadata table: go to definition on a name
    used in the file lands on the row of the table that declares it."""
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    path = root / "indices" / "asem.idx"
    analysis = analyse(path.read_text(encoding="utf-8"), path, 1, None)
    assert analysis.checked.model is not None
    nodes = analysis.symbols.declared("node")
    assert {"Conn", "Sust"} <= {s.name for s in nodes}
    assert all(s.span.file.endswith("ASEM_iMeta.csv") for s in nodes)


def test_a_file_that_does_not_parse_still_gets_its_diagnostic_and_formatting_is_refused(
    folder: Path,
):
    broken = INDEX.replace("framework {", "framework {{")
    analysis = analyse(broken, folder / "index.idx", 1, None)
    assert analysis.symbols is None
    assert [d.code for d in analysis.diagnostics][:1] == ["E001"] or analysis.diagnostics
    assert features.diagnostics(analysis)[0].severity == types.DiagnosticSeverity.Error
    assert features.formatting(broken, folder / "index.idx") == []
