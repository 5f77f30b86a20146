"""The command line: every kind of bad input gets a located diagnostic and exit code 1,
never a traceback; good input gets a report, files and exit code 0."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field

import pytest

from conftest import REPO, line_col_of, simple_index, units_csv

BRI_DATA = REPO / "indices" / "data" / "bri"

GOOD_UNITS = units_csv({"x": [1, 2, 4], "y": [10, 30, 20]}, keys=["alpha", "beta", "gamma"])
PAIRS_BLOCK = """
pairs p "Links" {
  from csv("pairs.csv")
  between a and b
  undirected
}
"""
GOOD_PAIRS = "a,b,v\nalpha,beta,3\nbeta,gamma,5\n"


@dataclass
class Case:
    """A broken project: the code expected and where it must point (file, needle in
    that file, occurrence) or an explicit (file, line, col)."""

    index: str
    code: str
    where: tuple
    files: dict = field(default_factory=dict)
    message: str = ""  # a fragment the rendered diagnostic must contain


def idx(indicators, framework, **kw):
    return simple_index(indicators, framework, **kw)


XY = {"x": "c.x", "y": "c.y"}

CASES = {
    "syntax error": Case(
        idx({"x": "cap(c.x, 1,)", "y": "c.y"}, "x\ny"),
        "E003",
        ("index.idx", ")", 2),  # the first `)` closes csv(...)
        message="unexpected `)`",
    ),
    "unexpected end of file": Case(
        simple_index(XY, "x\ny").rstrip().rstrip("}") + "\n\n\n",
        "E002",
        ("index.idx", "END"),  # just after `  y`, the last character written
        message="unexpected end of file",
    ),
    "single quotes": Case(
        idx(XY, "x\ny").replace('"Test index"', "'Test index'"),
        "E001",
        ("index.idx", "'Test", 1),
        message="double quotes",
    ),
    "unknown indicator": Case(
        idx({"income": "c.x", "y": "c.y"}, "incme\ny"),
        "E201",
        ("index.idx", "incme", 1),
        message="did you mean `income`?",
    ),
    "unknown aggregator": Case(
        idx(XY, "aggregate geometrc\nx\ny"),
        "E210",
        ("index.idx", "geometrc", 1),
        message="did you mean `geometric`",
    ),
    "unknown normaliser parameter": Case(
        idx(XY, "normalise minmax(lw = 1)\nx\ny"),
        "E212",
        ("index.idx", "lw", 1),
        message="did you mean `low`?",
    ),
    "unknown function": Case(
        idx({"x": "lg(c.x)", "y": "c.y"}, "x\ny"),
        "E225",
        ("index.idx", "lg(", 1),
        message="did you mean `log`?",
    ),
    "duplicate names": Case(
        idx(XY, "x\ny").replace("indicator y = c.y", "indicator y = c.y\nindicator x = c.y"),
        "E101",
        ("index.idx", "x = c.y", 1),
        message="declared twice",
    ),
    "cycle": Case(
        idx({"x": "y + 1", "y": "x * 2"}, "x\ny"),
        "E203",
        ("index.idx", "x = y", 1),
        message="x → y → x",
    ),
    "weights do not sum to 1": Case(
        idx({**XY, "z": "c.x"}, "x 30%\ny 30%\nz 30%"),
        "E253",
        ("index.idx", "30%", 1),
        message="sum to 90%",
    ),
    "missing data file": Case(
        idx(XY, "x\ny").replace("units.csv", "nowhere.csv"),
        "E301",
        ("index.idx", 'c "Cities"', 1),
        message="`nowhere.csv` does not exist",
    ),
    "missing column": Case(
        idx({"x": "c.xx", "y": "c.y"}, "x\ny"),
        "E302",
        ("index.idx", "xx", 1),
        message="did you mean `x`?",
    ),
    "non-numeric cell": Case(
        idx(XY, "x\ny"),
        "E303",
        ("units.csv", "3O", 1),
        files={"units.csv": "id,name,x,y\nalpha,A,1,10\nbeta,B,2,3O\ngamma,C,4,20\n"},
        message="`3O` in column `y` is not a number",
    ),
    "duplicate unit keys": Case(
        idx(XY, "x\ny"),
        "E305",
        ("units.csv", 4, 1),
        files={"units.csv": "id,name,x,y\nalpha,A,1,10\nbeta,B,2,30\nalpha,C,4,20\n"},
        message="unit key `alpha` appears twice",
    ),
    "pair row naming an unknown unit": Case(
        idx({"x": "c.x", "f": "sum(p.v)"}, "x\nf", pairs=PAIRS_BLOCK),
        "E306",
        ("pairs.csv", 3, 6),
        files={"pairs.csv": "a,b,v\nalpha,beta,3\nbeta,gama,5\n"},
        message="did you mean `gamma`?",
    ),
    "constant indicator under min-max": Case(
        idx({"x": "c.x", "y": "c.y"}, "x\ny"),
        "E401",
        ("index.idx", "y = c.y", 1),
        files={"units.csv": units_csv({"x": [1, 2], "y": [5, 5]})},
        message="min = max",
    ),
    "zero under a geometric mean": Case(
        idx(XY, "aggregate geometric\nx\ny"),
        "E401",
        ("index.idx", "framework", 1),
        message="positive",
    ),
    "data source inside a dimension": Case(
        idx(XY, 'd { from csv("meta.csv")  x }\ny'),
        "E235",
        ("index.idx", 'csv("meta.csv")', 1),
        message="belong at the top of the `framework` block",
    ),
    "csv that is not utf-8": Case(
        idx(XY, "x\ny"),
        "E301",
        ("units.csv", 3, len("saopaulo,S") + 1),
        files={
            "units.csv": "id,name,x,y\nzurich,Zurich,1,1\nsaopaulo,S\xe3o,2,3\n".encode("latin-1")
        },
        message="`units.csv` is not valid utf-8: byte 0xe3 at line 3, column 11",
    ),
}


def location(case: Case, project) -> str:
    file, *rest = case.where
    if rest == ["END"]:  # just after the last character written
        lines = (project.root / file).read_text("utf-8").rstrip().splitlines()
        line, col = len(lines), len(lines[-1]) + 1
    elif isinstance(rest[0], str):
        needle, occurrence = rest
        line, col = line_col_of((project.root / file).read_text("utf-8"), needle, occurrence)
    else:
        line, col = rest
    return f"{file}:{line}:{col}"


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("command", ["run", "check"])
def test_bad_input_gets_a_located_diagnostic_and_exit_code_1(project, name, command):
    case = CASES[name]
    files = {"units.csv": GOOD_UNITS, "pairs.csv": GOOD_PAIRS, **case.files}
    project.index(case.index, files)
    before = project.digests()
    result = project.cli(command, "index.idx")
    if command == "check" and case.code == "E401":
        # `check` does not compute, so problems found while computing pass it
        assert result.code == 0
        return
    assert result.code == 1, result.err
    assert f"error[{case.code}]" in result.err
    assert f"--> {location(case, project)}" in result.err
    assert case.message in result.err
    assert "Traceback" not in result.err + result.out
    assert re.search(r"\d+ errors?(, \d+ warnings?)? found", result.err)
    assert project.digests() == before, "a run must not modify its input files"
    assert not (project.root / "indexdsl-out").exists()


def test_the_rendered_diagnostic_shows_the_source_line_and_a_caret(project):
    project.index(idx({"income": "c.x", "y": "c.y"}, "incme\ny"), {"units.csv": GOOD_UNITS})
    err = project.cli("run", "index.idx").err
    text = (project.root / "index.idx").read_text()
    line, col = line_col_of(text, "incme")
    assert f"{line} |   incme" in err
    assert " " * (col - 1) + "^^^^^" in err
    assert "help: did you mean `income`?" in err
    assert "similar name declared here" in err


def test_check_prints_json_diagnostics(project):
    project.index(idx({"x": "c.xx", "y": "c.y"}, "x\ny"), {"units.csv": GOOD_UNITS})
    result = project.cli("check", "index.idx", "--format", "json")
    assert result.code == 1
    (diagnostic,) = json.loads(result.out)  # JSON on standard output, for editors
    assert diagnostic["code"] == "E302"
    assert diagnostic["severity"] == "error"
    assert diagnostic["span"]["file"] == "index.idx"
    assert diagnostic["help"] == "did you mean `x`?"


def test_rounded_weights_warn_and_still_run(project):
    project.index(idx({**XY, "z": "c.x"}, "x 33%\ny 33%\nz 33%"), {"units.csv": GOOD_UNITS})
    result = project.cli("run", "index.idx", "--no-write")
    assert result.code == 0
    assert "warning[W253]" in result.err and "renormalised" in result.err
    line, col = line_col_of((project.root / "index.idx").read_text(), "framework")
    assert f"index.idx:{line}:{col}" in result.err
    assert "error" not in result.err


def test_latin1_encoding_fixes_the_csv(project):
    case = CASES["csv that is not utf-8"]
    text = case.index.replace('csv("units.csv")', 'csv("units.csv", encoding = "latin-1")')
    project.index(text, case.files)
    result = project.cli("run", "index.idx", "--no-write")
    assert result.code == 0, result.err
    assert "São" in result.out


def test_missing_index_file(project):
    result = project.cli("run", "nothing.idx")
    assert result.code == 1
    assert "error[E010]" in result.err and "`nothing.idx` does not exist" in result.err
    assert "Traceback" not in result.err


def test_index_file_that_is_not_utf8(project):
    project.write("index.idx", 'index t "Z\xfcrich" { }\n'.encode("latin-1"))
    result = project.cli("check", "index.idx")
    assert result.code == 1
    assert "error[E011]" in result.err


class TestGoodRuns:
    @pytest.fixture
    def good(self, project):
        project.index(idx(XY, "x 25%\ny 75%"), {"units.csv": GOOD_UNITS})
        return project

    def test_run_prints_the_ranking_and_writes_files(self, good):
        before = good.digests()
        result = good.cli("run", "index.idx")
        assert result.code == 0
        assert result.err == ""
        assert "overall" in result.out
        # beta (83.3) before gamma (62.5) before alpha (0)
        assert result.out.index("BETA") < result.out.index("GAMMA") < result.out.index("ALPHA")
        out = good.root / "indexdsl-out" / "t"
        assert (out / "units.csv").is_file() and (out / "run.json").is_file()
        assert "Wrote 8 files" in result.out  # 3 tables, 4 of statistics, run.json
        assert good.digests() == before

    def test_quiet_prints_nothing(self, good):
        result = good.cli("run", "index.idx", "--quiet", "--out", "o")
        assert (result.code, result.out, result.err) == (0, "", "")
        assert (good.root / "o" / "units.csv").is_file()

    def test_no_write(self, good):
        assert good.cli("run", "index.idx", "--no-write", "--quiet").code == 0
        assert not (good.root / "indexdsl-out").exists()

    def test_json_record(self, good):
        result = good.cli("run", "index.idx", "--json", "--out", "o")
        record = json.loads(result.out)
        assert record["units"]["count"] == 3
        assert sorted(record["outputs"]) == sorted(
            f"o/{n}"
            for n in ("units.csv", "indicators.csv", "nodes.csv", "run.json")
            + ("availability.csv", "statistics.csv", "correlations.csv", "effective_weights.csv")
        )

    def test_check_reports_ok_and_writes_nothing(self, good):
        result = good.cli("check", "index.idx")
        assert result.code == 0
        assert "index.idx: ok (2 indicators, 1 node above them)" in result.out
        assert not (good.root / "indexdsl-out").exists()


class TestUsage:
    def test_no_command(self, project):
        result = project.cli()
        assert result.code == 2
        assert "usage:" in result.err

    def test_unknown_option(self, project):
        with pytest.raises(SystemExit) as info:
            project.cli("run", "index.idx", "--frobnicate")
        assert info.value.code == 2

    def test_version(self, project, capsys):
        with pytest.raises(SystemExit) as info:
            project.cli("--version")
        assert info.value.code == 0
        assert capsys.readouterr().out.startswith("indexdsl ")


def test_an_internal_error_is_reported_without_a_traceback(project, monkeypatch):
    import indexdsl.pipeline

    def broken(model):
        raise RuntimeError("boom")

    monkeypatch.setattr(indexdsl.pipeline, "compile_model", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(project.root))
    project.index(idx(XY, "x\ny"), {"units.csv": GOOD_UNITS})
    result = project.cli("run", "index.idx")
    assert result.code == 4
    assert "internal error" in result.err and "Traceback" not in result.err
    # it sends the user to the README's section, not to an address that does not exist
    assert "Reporting a problem" in result.err and "https://" not in result.err
    (report,) = project.root.glob("indexdsl-crash-*.txt")
    assert "RuntimeError: boom" in report.read_text()
    assert str(report) in result.err


# ---- the flagship example ---------------------------------------------------------------


@pytest.fixture
def bri_copy(project):
    needed = [BRI_DATA / "cities.csv", BRI_DATA / "pairs.csv"]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        pytest.skip(f"indices/data/bri/{', '.join(missing)} not there yet (being written)")
    shutil.copy(REPO / "indices" / "bri.idx", project.root / "bri.idx")
    shutil.copytree(BRI_DATA, project.root / "data" / "bri")
    return project


def test_misspelt_indicator_in_a_copy_of_bri(bri_copy):
    path = bri_copy.root / "bri.idx"
    text = path.read_text()
    assert "    bandwidth 100%" in text
    path.write_text(text.replace("    bandwidth 100%", "    bandwith 100%"))
    before = bri_copy.digests()
    result = bri_copy.cli("run", "bri.idx")
    assert result.code == 1
    line, col = line_col_of(path.read_text(), "bandwith")
    assert "error[E201]: unknown indicator `bandwith`" in result.err
    assert f"--> bri.idx:{line}:{col}" in result.err
    assert "help: did you mean `bandwidth`?" in result.err
    assert "Traceback" not in result.err
    assert bri_copy.digests() == before


def test_a_copy_of_bri_checks_clean(bri_copy):
    result = bri_copy.cli("check", "bri.idx")
    assert result.code == 0, result.err
    assert "error" not in result.err


class TestSubDimensionRankings:
    """Rankings below the first level: printed where the file gives their published
    ranks (a report that publishes them prints them), or with `--depth 2`."""

    FRAMEWORK = "d1 {\n  s1 { a }\n  s2 { b }\n}\nd2 { e }"

    def write(self, project, framework):
        project.index(
            simple_index({"a": "c.x", "b": "c.y", "e": "c.z"}, framework),
            {
                "units.csv": units_csv(
                    {"x": [1, 2, 3], "y": [3, 1, 2], "z": [2, 3, 1], "p": [1, 2, 3]}
                )
            },
        )

    def test_shown_with_depth_2_only(self, project):
        self.write(project, self.FRAMEWORK)
        assert "Ranking within" not in project.cli("run", "index.idx", "--no-write").out
        out = project.cli("run", "index.idx", "--no-write", "--depth", "2").out
        assert "Ranking within d1" in out and "Ranking within d2" not in out

    def test_shown_where_published_ranks_are_given(self, project):
        self.write(project, self.FRAMEWORK.replace("s1 { a }", "s1 { reference ranks c.p  a }"))
        out = project.cli("run", "index.idx", "--no-write").out
        assert "Ranking within d1" in out and "Ranking within d2" not in out
        result, _ = project.run()
        from indexdsl_builtins.html_report import sections

        dims = [c for c in result.graph.model.root.children if not c.is_leaf]
        units = [
            {"unit": k, "label": k, **{f"{n}_rank": int(result.units.ranks[n][i]) for n in
             ("d1", "d2", "s1", "s2")}, **{f"{n}_score": float(result.units.scores[n][i])
             for n in ("d1", "d2", "s1", "s2")}}
            for i, k in enumerate(result.data.keys)
        ]  # fmt: skip
        titles = [b["title"] for b in sections.dimensions(result, units, dims)["blocks"]]
        assert titles == ["d1", "d2", "d1 › s1", "d1 › s2"]


def test_writing_shows_a_spinner_on_a_terminal_only(monkeypatch):
    import contextlib
    import sys
    from pathlib import Path

    from indexdsl.cli.run import _writing_status

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert isinstance(_writing_status(Path("out"), None), contextlib.nullcontext)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    status = _writing_status(Path("out"), [("html", "csv"), ("xlsx",)])
    assert "Writing html, csv, xlsx to out/" in str(status.status)


def test_format_adds_to_the_default_tables_unless_only(project):
    project.index(simple_index({"x": "c.x"}, "x"), {"units.csv": units_csv({"x": [1, 2, 3]})})
    out = project.cli("run", "index.idx", "--format", "json", "-o", "a")
    assert out.code == 0, out.err
    written = sorted(p.name for p in (project.root / "a").iterdir())
    assert "results.json" in written and "units.csv" in written
    out = project.cli("run", "index.idx", "--format", "json", "--only", "-o", "b")
    assert out.code == 0, out.err
    assert sorted(p.name for p in (project.root / "b").iterdir()) == ["results.json", "run.json"]
    out = project.cli("run", "index.idx", "--only", "-o", "c")
    assert out.code == 2 and "--only" in out.err


def test_every_command_has_its_module_and_handler():
    import importlib

    from indexdsl.cli.options import _parser

    parser = _parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert len(sub.choices) >= 17
    for command in sub.choices:
        module = importlib.import_module(f"indexdsl.cli.{command}")
        assert callable(getattr(module, f"cmd_{command}")), command


def test_a_command_imports_only_its_own_module():
    import subprocess
    import sys

    code = (
        "import json, sys; from indexdsl.cli import main\n"
        "rc = main(['run', sys.argv[1], '-q', '--no-write'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('indexdsl.cli.'))))\n"
        "sys.exit(rc)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(REPO / "indices" / "asem.idx")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [
        "indexdsl.cli.common",
        "indexdsl.cli.options",
        "indexdsl.cli.run",
        "indexdsl.cli.startup",
    ]
