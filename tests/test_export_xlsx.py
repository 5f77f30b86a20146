"""The workbook: `indexdsl run --format xlsx` writes `results.xlsx` for people.

Read back with openpyxl and compared with the Result the pipeline computes: titles as
headers, number formats, missing ranks and scores as empty cells, frozen panes and
autofilters, one sheet per table, data set and analysis of the run, a readable `run`
sheet, text that stays text, and the same bytes on every run.
"""

from __future__ import annotations

import datetime
import hashlib
import types
import zipfile

import numpy as np
import pytest

from conftest import REPO
from indexdsl.output import writing
from indexdsl_builtins import export_xlsx

openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is optional (indexdsl[xlsx])")

INDEX = """\
index t "Test index" { edition 2024 }
units c "Cities" {
  from csv("units.csv")
  key id
  label name
  groups region
}
indicator x "Exports" = c.x
  unit "USD"
  treat winsorise(max_points = 1, skew = 0.5, kurtosis = 0)
indicator y "Young people" = c.y
  impute median
indicator z "Zones" = c.z
framework {
  econ "Economy" { x y }
  land "Land use" { z }
}
"""

#: a unit whose key, label and group a spreadsheet would run as formulas; `b` has no
#: `y` (imputed), `c` no `z` (no score and no rank for `Zones`); `e` a control character
UNITS = (
    "id,name,region,x,y,z\n"
    "=1+2,@SUM(A1),+east,1000,5,3\n"
    "b,Beta,north,2,,4\n"
    "c,Gamma,north,3,7,\n"
    "d,Delta,south,4,8,1\n"
    "e,Eps\x1b[31milon,south,5,9,2\n"
    "f,-Phi,east,6,10,6\n"
)


@pytest.fixture
def cities(project):
    project.index(INDEX, {"units.csv": UNITS})
    return project


def clock(when: datetime.datetime) -> types.SimpleNamespace:
    """Stands for `writing._dt`: a clock that gives the time asked for."""

    class Clock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return when

    return types.SimpleNamespace(datetime=Clock, UTC=datetime.UTC)


def write(project, out: str = "out", index: str = "index.idx"):
    outcome = project.cli("run", index, "-q", "--out", out, "--format", "xlsx")
    assert outcome.code == 0, outcome.err
    path = project.root / out / "results.xlsx"
    return path, openpyxl.load_workbook(path)


def rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def cells(sheet) -> dict[str, list]:
    """The cells of a sheet by header, one list per column, in row order."""
    grid = list(sheet.iter_rows())
    return {h.value: [row[j] for row in grid[1:]] for j, h in enumerate(grid[0])}


class TestHeadersAndFormats:
    def test_headers_are_titles(self, cities):
        _, workbook = write(cities)
        headers = [c.value for c in workbook["units"][1]]
        assert headers[:3] == ["C", "Name", "Region"]
        for title in ("Test index", "Economy", "Land use", "Exports", "Young people", "Zones"):
            assert f"{title} (score)" in headers and f"{title} (rank)" in headers
        assert not [h for h in headers if h.endswith(("_score", "_rank"))]
        indicators = [c.value for c in workbook["indicators"][1]]
        assert indicators == ["C", "Exports (USD)", "Young people", "Zones"]
        assert [c.value for c in workbook["normalised"][1]][1:] == [
            "Exports",
            "Young people",
            "Zones",
        ]

    def test_scores_have_two_decimals_and_ranks_are_integers(self, cities):
        _, workbook = write(cities)
        columns = cells(workbook["units"])
        for header, column in columns.items():
            numbers = [c for c in column if c.value is not None]
            if header.endswith("(score)"):
                assert {c.number_format for c in numbers} == {"#,##0.00"}, header
            elif header.endswith("(rank)"):
                assert {c.number_format for c in numbers} == {"0"}, header
                assert all(type(c.value) is int and c.value >= 1 for c in numbers), header
        # the raw data: whole numbers without decimals; a skewness to four digits
        assert {c.number_format for c in cells(workbook["indicators"])["Zones"] if c.value} == {
            "#,##0"
        }
        skew = cells(workbook["treatment"])["Skewness before"][0]
        assert skew.number_format == "#,##0.000"

    def test_decimals_follow_the_magnitude(self):
        assert export_xlsx.decimals([1234.5, 3.0]) == 0
        assert export_xlsx.decimals([81.64, 2.5]) == 2
        assert export_xlsx.decimals([0.0123]) == 5
        assert export_xlsx.decimals([1.0, 2.0, None]) == 0  # whole numbers
        assert export_xlsx.decimals([100.0, 37.5], least=2) == 2  # scores: at least 2
        assert export_xlsx.decimals([1e-12]) == 6

    def test_columns_have_widths_and_headers_wrap(self, cities):
        _, workbook = write(cities)
        sheet = workbook["units"]
        widths = {k: d.width for k, d in sheet.column_dimensions.items()}
        assert len(widths) == sheet.max_column
        assert all(6 <= w <= 50 for w in widths.values())
        assert widths["A"] >= len("=1+2") + 2
        header = sheet["D1"]
        assert header.font.bold and header.alignment.wrap_text


class TestMissingValues:
    def test_missing_rank_and_score_are_empty_cells(self, cities):
        result, _ = cities.run()
        _, workbook = write(cities)
        table = {r["C"]: r for r in rows(workbook["units"])}
        assert table["c"]["Zones (score)"] is None and table["c"]["Zones (rank)"] is None
        keys = list(result.data.keys)
        for node in result.graph.node_order:
            title = result.graph.nodes[node].title
            for i, key in enumerate(keys):
                rank = int(result.units.ranks[node][i])
                assert table[key][f"{title} (rank)"] == (rank or None), (node, key)
                score = result.units.scores[node][i]
                shown = table[key][f"{title} (score)"]
                assert (shown is None) == bool(np.isnan(score)), (node, key)
        ranks = [v for r in rows(workbook["units"]) for k, v in r.items() if k.endswith("(rank)")]
        assert 0 not in ranks  # "not ranked" is never written as rank 0


class TestSheets:
    def test_one_sheet_per_table_data_set_and_analysis(self, cities):
        _, workbook = write(cities)
        assert workbook.sheetnames == [
            "units",
            "groups",
            "indicators",
            "prepared",
            "normalised",
            "nodes",
            "treatment",
            "availability",
            "statistics",
            "correlations",
            "effective weights",
            "fitted",
            "warnings",  # W406: the fixture's units scored with missing values
            "run",
        ]

    def test_data_sets_match_the_result(self, cities):
        result, _ = cities.run()
        _, workbook = write(cities)
        keys = list(result.data.keys)
        for sheet, values in (
            ("indicators", {n: result.units.raw[n] for n in "xyz"}),
            ("prepared", {n: result.units.prepared[n] for n in "xyz"}),
            ("normalised", {n: result.units.scores[n] for n in "xyz"}),
        ):
            grid = list(workbook[sheet].iter_rows(values_only=True))[1:]
            assert [row[0] for row in grid] == keys, sheet
            for j, name in enumerate("xyz", start=1):
                for row, want in zip(grid, values[name], strict=True):
                    if np.isnan(want):
                        assert row[j] is None, (sheet, name)
                    else:
                        assert row[j] == pytest.approx(want, rel=1e-15), (sheet, name)
        # the outlier was winsorised and the missing `y` imputed: the data sets differ
        prepared = {r["C"]: r for r in rows(workbook["prepared"])}
        raw = {r["C"]: r for r in rows(workbook["indicators"])}
        assert raw["=1+2"]["Exports (USD)"] == 1000 and prepared["=1+2"]["Exports"] == 6
        assert raw["b"]["Young people"] is None and prepared["b"]["Young people"] == 8

    def test_treatment_log(self, cities):
        _, workbook = write(cities)
        log = {r["Indicator"]: r for r in rows(workbook["treatment"])}
        assert log["Exports"]["Treated"] == "winsorised"
        assert log["Exports"]["Points treated"] == 1
        assert log["Exports"]["Units treated"] == "=1+2"
        assert log["Young people"]["Imputation"] == "median"
        assert log["Young people"]["Units imputed"] == "b"

    def test_run_sheet_is_fields_and_values_not_json(self, cities):
        _, workbook = write(cities)
        grid = list(workbook["run"].iter_rows(values_only=True))
        assert grid[0] == ("Field", "Value")
        fields = [row[0] for row in grid[1:]]
        assert len(fields) == len(set(fields))  # `index` once, as every other field
        values = dict(grid[1:])
        assert values["Index"] == "t" and values["Title"] == "Test index"
        index_file = cities.root / "index.idx"
        assert values["Index file SHA-256"] == hashlib.sha256(index_file.read_bytes()).hexdigest()
        assert values["Units (c)"] == 6
        for value in values.values():
            assert not (isinstance(value, str) and value.lstrip().startswith(("{", "[")))


class TestLayout:
    def test_frozen_panes_and_autofilters(self, cities):
        _, workbook = write(cities)
        for sheet in workbook:
            assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2"), sheet
            assert sheet.auto_filter.ref == sheet.dimensions, sheet.title
        assert workbook["units"].freeze_panes == "C2"  # the header, the key and the name
        assert workbook["indicators"].freeze_panes == "B2"


class TestInertText:
    def test_formula_looking_text_stays_text(self, cities):
        path, workbook = write(cities)
        by_value = {
            c.value: c
            for sheet in workbook
            for row in sheet.iter_rows()
            for c in row
            if isinstance(c.value, str)
        }
        for text in ("=1+2", "@SUM(A1)", "+east", "-Phi"):
            cell = by_value[text]  # as written, not prefixed with '
            assert cell.data_type == "s" and cell.quotePrefix, text
        assert not by_value["Beta"].quotePrefix
        with zipfile.ZipFile(path) as archive:
            xml = "".join(archive.read(n).decode() for n in archive.namelist() if "sheet" in n)
        assert "<f>" not in xml and "<f " not in xml  # no formula anywhere

    def test_control_characters_are_written_out(self, cities):
        path, workbook = write(cities)
        labels = [r["Name"] for r in rows(workbook["units"])]
        assert "Eps\\x1b[31milon" in labels
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                assert b"\x1b" not in archive.read(name), name


class TestReproducible:
    def test_reruns_give_the_same_bytes(self, cities, monkeypatch):
        monkeypatch.setattr(
            writing, "_dt", clock(datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC))
        )
        first, _ = write(cities, "one")
        monkeypatch.setattr(
            writing, "_dt", clock(datetime.datetime(2025, 6, 7, tzinfo=datetime.UTC))
        )
        second, _ = write(cities, "two")
        assert (cities.root / "one" / "run.json").read_bytes() != (
            cities.root / "two" / "run.json"
        ).read_bytes()  # the runs' times differ ...
        assert first.read_bytes() == second.read_bytes()  # ... the workbooks do not
        with zipfile.ZipFile(first) as archive:
            core = archive.read("docProps/core.xml")
            assert b"created" not in core and b"modified" not in core
            assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_table_a_plugin_adds_gets_a_sheet(cities):
    """Another table of the run (a plugin's audit, say) is a sheet before the analyses'."""
    from indexdsl.components import Export
    from indexdsl.output.exports import Column, Table, result_tables
    from indexdsl.output.results import run_record
    from indexdsl_builtins.xlsx_sheets import workbook_sheets

    result, _ = cities.run()
    tables = result_tables(result)
    tables["audit"] = Table(
        "audit",
        (Column("node", "text"), Column("econ_score", "real"), Column("best_rank", "integer")),
        (("=x", 1.5, 0), ("y", None, 2)),
    )
    record = run_record(result, cities.root / "index.idx", [], None)
    export = Export(result, record, tables, cities.root, cities.root / "db")
    sheets = {s.name: s for s in workbook_sheets(export)}
    names = list(sheets)
    assert names.index("treatment") < names.index("audit") < names.index("fitted")
    sheet = sheets["audit"]
    assert sheet.headers == ("Node", "Economy (score)", "Best rank")
    assert [row[2] for row in sheet.rows] == [None, 2]  # rank 0: not ranked


def test_asem_full_workbook(project):
    """COINr's full ASEM pipeline: titles, formats, the sheets of its analyses."""
    index = REPO / "indices" / "asem_full.idx"
    for command in ("uncertainty", "sensitivity"):  # written into the run's folder
        outcome = project.cli(command, str(index), "-N", "16", "-o", "asem")
        assert outcome.code == 0, outcome.err
    path, workbook = write(project, "asem", index)
    for sheet in ("availability", "statistics", "correlations", "effective weights",
                  "uncertainty", "sensitivity"):  # fmt: skip
        assert sheet in workbook.sheetnames, sheet
    assert len(rows(workbook["uncertainty"])) == 51
    assert workbook.sheetnames[:7] == [
        "units",
        "groups",
        "indicators",
        "prepared",
        "normalised",
        "nodes",
        "treatment",
    ]
    assert workbook.sheetnames[-1] == "run"
    units = cells(workbook["units"])
    title = "ASEM Sustainable Connectivity Index (COINr's full pipeline)"
    assert units[f"{title} (score)"][0].number_format == "#,##0.00"
    assert units[f"{title} (rank)"][0].value == 1
    assert units["Connectivity (rank)"][0].number_format == "0"
    assert "Logistics Performance Index (score)" in units
    for header, column in units.items():
        if header.endswith("(rank)"):
            assert all(c.value is None or c.value >= 1 for c in column), header
    log = {r["Indicator"]: r for r in rows(workbook["treatment"])}
    assert log["International flights passenger capacity"]["Treated"] == "winsorised"
    screen = next(row[1] for row in workbook["run"].iter_rows() if row[0].value == "Screen")
    assert screen.value == 0.9 and screen.number_format == "0.0%"
    assert path.stat().st_size < 1_000_000


class TestAnalysisSheets:
    """`indexdsl uncertainty` and `sensitivity` written into the output folder get a
    sheet each, when they belong to this version of the index file."""

    INDEX_UNCERTAIN = (
        INDEX + "uncertainty {\n  weights vary 25%\n  normalise minmax(0, 100) or rank\n}\n"
    )

    def test_rank_intervals_and_sobol_indices_get_sheets(self, project):
        project.index(self.INDEX_UNCERTAIN, {"units.csv": UNITS})
        for command in ("uncertainty", "sensitivity"):
            outcome = project.cli(command, "index.idx", "-N", "32", "-o", "out")
            assert outcome.code == 0, outcome.err
        _, workbook = write(project)
        intervals = rows(workbook["uncertainty"])
        with (project.root / "out" / "uncertainty.csv").open(encoding="utf-8") as handle:
            import csv

            written = list(csv.DictReader(handle))
        assert len(intervals) == len(written) == 6
        by_rank = sorted(
            written, key=lambda r: (r["nominal_rank"] in ("", "–"), int(r["nominal_rank"] or 0))
        )
        assert [r["Median rank"] for r in intervals] == [float(r["median_rank"]) for r in by_rank]
        sobol = rows(workbook["sensitivity"])
        assert [r["Uncertain input"] for r in sobol] == ["weights", "normaliser"]

    def test_intervals_of_another_version_of_the_index_are_left_out_and_said(self, project):
        project.index(self.INDEX_UNCERTAIN, {"units.csv": UNITS})
        assert project.cli("uncertainty", "index.idx", "-N", "32", "-o", "out").code == 0
        text = (project.root / "index.idx").read_text(encoding="utf-8")
        (project.root / "index.idx").write_text(text.replace("25%", "30%"), encoding="utf-8")
        _, workbook = write(project)
        assert "uncertainty" not in workbook.sheetnames
        run = {r["Field"]: r["Value"] for r in rows(workbook["run"])}
        assert "another version of the index file" in run["Uncertainty analysis"]
