"""Hostile text reaches every output inert (docs/reference/outputs.md).

Labels, titles, keys, cells, column names (a metadata table's codes) and the index file
itself may hold ANSI and OSC escape sequences, C0 and C1 controls, Markdown links with a
`javascript:` scheme, `<script>` tags, quotes and spreadsheet formulas; a parameter's
value may hold `../`.  Each test writes such an index, runs it, and reads what the
terminal, the diagnostics and each file received.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import csv_text
from indexdsl.diagnostics import SourceMap, Span, error, render_text

ESC = "\x1b"
#: what a terminal acts on: C0 controls but tab and newline, DEL, C1 controls
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

ANSI_LABEL = f"{ESC}[31mRed{ESC}[0m{ESC}]0;owned\x07\x9b2J"
LINK = "[x](javascript:alert(1))"
SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://example.com","click")'

INDEX = f"""\
index t "T {ESC}]8;;http://evil\x07click{ESC}]8;;\x07 {SCRIPT} {LINK}" {{ edition 2024 }}
parameter tag "Tag" = "a"
units c "Cities{ESC}[2J" {{
  from csv("units.csv")
  key id
  label name
  groups region
}}
indicator x = c.x
indicator y = c.y
framework {{
  normalise minmax(0, 100)
  aggregate arithmetic
  d1 "Dim {SCRIPT} {LINK} {ESC}[5m" {{ x y }}
}}
"""

UNITS = [
    ("a", ANSI_LABEL, "north", 1, 5),
    ("b", LINK, "=cmd|' /C calc'!A0", 2, 3),
    ("@c", SCRIPT, "south", 3, 7),
    ("d", "Delta", "+east", 4, 1),
]


def units_file() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([("id", "name", "region", "x", "y"), *UNITS])
    return buffer.getvalue()


@pytest.fixture
def hostile(project):
    project.index(INDEX, {"units.csv": units_file()})
    return project


def test_terminal_report_shows_control_characters_escaped(hostile):
    outcome = hostile.cli("run", "index.idx", "--no-write")
    assert outcome.code == 0, outcome.err
    assert not CONTROL.search(outcome.out), "a control character reached the terminal"
    assert "\\x1b[31mRed\\x1b[0m\\x1b]0;owned\\x07\\x9b2J" in outcome.out
    assert "Cities\\x1b[2J" in outcome.out


def test_diagnostics_show_the_index_file_escaped_with_carets_in_place(project):
    project.index(f'index t "T" {{\n  edition 2024 {ESC}]0;x\x07 oops\n}}\n')
    outcome = project.cli("check", "index.idx")
    assert outcome.code == 1
    assert not CONTROL.search(outcome.err), outcome.err
    lines = outcome.err.splitlines()
    source = next(i for i, line in enumerate(lines) if "edition 2024" in line)
    shown = lines[source].split("| ", 1)[1]
    caret = lines[source + 1].split("| ", 1)[1]
    start = caret.index("^")
    assert shown[start:].startswith("\\x1b"), (shown, caret)  # the caret under the ESC
    assert caret.count("^") == len("\\x1b")


def test_diagnostic_texts_and_secondary_spans_escaped():
    sources = SourceMap()
    sources.add("a.idx", f"x = {ESC}[1my\n")
    diagnostic = error(
        "E999",
        f"unknown `{ESC}[1my`",
        Span("a.idx", 1, 5, 1, 10),
        label=f"not {ESC}]0;t\x07 here",
        help="did you mean `\x9b1m`?",
        notes=(f"note {ESC}c",),
    )
    text = render_text(diagnostic, sources)
    assert not CONTROL.search(text), text
    caret = text.splitlines()[4]
    assert caret.rstrip().endswith("^" * len("\\x1b[1my") + " not \\x1b]0;t\\x07 here")


def test_printable_keeps_tabs_newlines_and_text():
    from indexdsl.diagnostics import printable

    assert printable("a\tb\nc é 中") == "a\tb\nc é 中"
    assert printable(f"{ESC}[0m\x00\x7f\x85\u202e") == "\\x1b[0m\\x00\\x7f\\x85\\u202e"


def test_usage_errors_shown_escaped(hostile):
    outcome = hostile.cli("run", "index.idx", "--no-write", "--set", f"no{ESC}[2Jsuch=1")
    assert outcome.code == 2
    assert not CONTROL.search(outcome.err), outcome.err


def test_markdown_has_no_link_tag_or_control_character(hostile):
    outcome = hostile.cli("run", "index.idx", "-q", "--out", "out", "--format", "md")
    assert outcome.code == 0, outcome.err
    text = (hostile.root / "out" / "results.md").read_text(encoding="utf-8")
    assert "javascript:" not in text
    assert "<script" not in text
    assert not CONTROL.search(text)
    assert "\\[x\\](javascript&#58;alert(1))" in text  # shown, not linked


def test_markdown_code_span_cannot_be_closed_by_a_backtick(project):
    from indexdsl.output import inert

    data = "a`[x](javascript:alert(1))`b.csv"
    project.index(
        INDEX.replace('"units.csv"', f'"{data}"'),
        {data: units_file()},
    )
    outcome = project.cli("run", "index.idx", "-q", "--out", "out", "--format", "md")
    assert outcome.code == 0, outcome.err
    text = (project.root / "out" / "results.md").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("- data:"))
    assert line.startswith("- data: `` a`[x](javascript:alert(1))`b.csv ``"), line
    assert inert.markdown_code("plain") == "`plain`"


def test_json_escapes_c1_controls(hostile):
    outcome = hostile.cli("run", "index.idx", "-q", "--out", "out", "--format", "json")
    assert outcome.code == 0, outcome.err
    for name in ("results.json", "run.json"):
        text = (hostile.root / "out" / name).read_text(encoding="utf-8")
        assert not CONTROL.search(text), name
    records = json.loads((hostile.root / "out" / "results.json").read_text(encoding="utf-8"))
    labels = {r["unit"]: r["label"] for r in records["tables"]["units"]}
    assert labels["a"] == ANSI_LABEL  # the data themselves are kept


def test_graph_neutralises_script_and_quotes(hostile):
    from indexdsl.output import inert

    for language in ("mermaid", "dot"):
        outcome = hostile.cli("graph", "index.idx", "--format", language)
        assert outcome.code == 0, outcome.err
        assert "<script" not in outcome.out, language
        assert not CONTROL.search(outcome.out), language
    assert inert.mermaid('a"b<c>#lt;`') == "a#quot;b#lt;c#gt;#35;lt;#96;"
    assert inert.dot('a"b\\<\n') == '"a\\"b\\\\&lt;\\n"'


def test_parameter_values_never_leave_the_output_folder(hostile):
    outcome = hostile.cli(
        "run", "index.idx", "-q", "--out", "out/inner", "--set", "tag=a,../../../x,..,/tmp/y"
    )
    assert outcome.code == 0, outcome.err
    written = sorted(p.name for p in (hostile.root / "out" / "inner").iterdir())
    assert written == sorted(["tag=..", "tag=..%2F..%2F..%2Fx", "tag=%2Ftmp%2Fy", "tag=a"])
    assert sorted(p.name for p in (hostile.root / "out").iterdir()) == ["inner"]
    assert not (hostile.root / "x").exists()


def test_file_name_keeps_plain_names_and_encodes_the_rest():
    from indexdsl.output import inert

    assert inert.file_name("year=2015") == "year=2015"
    assert inert.file_name("scale=2.5") == "scale=2.5"
    assert inert.file_name("..") == "%2E."
    assert inert.file_name(f"a/b\\c{ESC}") == "a%2Fb%5Cc%1B"
    long = inert.file_name("k=" + "v" * 500)
    assert len(long) == inert.NAME_LIMIT and long != inert.file_name("k=" + "v" * 499)


# ---- spreadsheets --------------------------------------------------------------------------

META = csv_text(
    ["iCode", "iName", "Parent", "Weight", "Direction", "Type"],
    [
        ["Index", "Index", "", 1, 1, "Aggregate"],
        ['"=HYPERLINK(""http://example.com"",""click"")"', "Evil", "Index", 1, 1, "Indicator"],
        ["x", "X", "Index", 1, 1, "Indicator"],
    ],
)
META_UNITS = csv_text(
    ["id", "name", '"=HYPERLINK(""http://example.com"",""click"")"', "x"],
    [["a", "A", 1, 2], ["b", "B", 2, 3], ["c", "C", 3, 1]],
)
META_INDEX = """\
index t "T" { edition 2024 }
units c "Cities" {
  from csv("units.csv")
  key id
  label name
}
framework {
  from csv("meta.csv")
  normalise minmax(0, 100)
  aggregate arithmetic
}
"""


def test_metadata_codes_become_neutralised_column_names(project):
    from indexdsl.output import inert

    project.index(META_INDEX, {"meta.csv": META, "units.csv": META_UNITS})
    outcome = project.cli("run", "index.idx", "-q", "--out", "out")
    assert outcome.code == 0, outcome.err
    cells = []
    for name in ("units.csv", "indicators.csv", "nodes.csv"):
        with open(project.root / "out" / name, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                cells += row
    assert "'" + HYPERLINK in cells  # indicators.csv's column, nodes.csv's node
    assert "'" + HYPERLINK + "_score" in cells
    assert not [c for c in cells if c.startswith(inert.FORMULA_PREFIXES)]


def test_metadata_codes_in_xlsx_headers_are_text(project):
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is optional (indexdsl[xlsx])")
    project.index(META_INDEX, {"meta.csv": META, "units.csv": META_UNITS})
    outcome = project.cli("run", "index.idx", "-q", "--out", "out", "--format", "xlsx")
    assert outcome.code == 0, outcome.err
    workbook = openpyxl.load_workbook(project.root / "out" / "results.xlsx")
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]  # `nodes`
    cell = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert cell.data_type == "s" and cell.quotePrefix


def test_csv_headers_and_tab_and_carriage_return_prefixes():
    from indexdsl.output import inert
    from indexdsl.output.results import _csv

    text = _csv(["=a", "@b", "ok"], [["x", "y", "z"]])
    assert text.splitlines()[0] == "'=a,'@b,ok"
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert inert.spreadsheet(prefix + "1") == "'" + prefix + "1"
        assert inert.spreadsheet(inert.spreadsheet(prefix + "1")) == "'" + prefix + "1"
    assert inert.spreadsheet("plain") == "plain"


def test_an_exporter_cannot_name_a_file_outside_the_folder(hostile):
    from indexdsl.components import Exporter
    from indexdsl.hookspecs import hookimpl
    from indexdsl.output import exports, writing
    from indexdsl.plugins import Registry, get_plugin_manager

    class Escaping(Exporter):
        name = "escaping"
        summary = "writes above the output folder"
        writes = "../escaped.txt"

        def render(self, export):
            return {"../escaped.txt": "x"}

    class Plugin:
        @hookimpl
        def indexdsl_register_exporters(self):
            return [Escaping]

    pm = get_plugin_manager()
    pm.register(Plugin(), name="escaping_plugin")
    result, _ = hostile.run()
    with pytest.raises(exports.OutputError, match="a single name inside the output folder"):
        writing.write_outputs(
            result, hostile.root / "out", hostile.root / "index.idx", [], Registry(pm), ["escaping"]
        )
    assert not (hostile.root / "escaped.txt").exists()
    assert not (hostile.root / "out").exists()
