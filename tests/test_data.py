"""Loading data: CSV decoding, unit keys, pair endpoints, numeric cells, located errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import codes, line_col_of, only, shared_registry
from indexdsl.data import load_data
from indexdsl.diagnostics import SourceMap
from indexdsl.pipeline import Session, check_file, run_file

INDEX = """\
index t { }
units c "Cities" {
  from csv("data/units.csv")
  key id
  label name
  groups region
}
pairs p {
  from csv("data/pairs.csv")
  between a and b
  undirected
}
indicator x = c.x
indicator flights = sum(p.flights)
framework { x flights }
"""

# only the units table: for runs on data with fewer units
INDEX_X = """\
index t { }
units c "Cities" {
  from csv("data/units.csv")
  key id
  label name
}
indicator x = c.x
framework { x }
"""

UNITS = "id,name,region,x\nA,Alpha,north,1.5\nB,Beta,south,NA\nC,Gamma,north,-2e1\n"
PAIRS = "a,b,flights\nA,B,3\nB,C,\nC,A,7\n"


def load(project, index=INDEX, units=UNITS, pairs=PAIRS, encoding_units: bytes | None = None):
    files = {"data/units.csv": encoding_units if encoding_units is not None else units}
    if pairs is not None:
        files["data/pairs.csv"] = pairs
    path = project.index(index, files)
    session = Session(registry=shared_registry())
    model = check_file(path, session)
    return load_data(model, path.parent, SourceMap())


class TestDataset:
    def test_keys_labels_groups_and_numeric_columns(self, project):
        data, diagnostics = load(project)
        assert diagnostics == []
        assert data.keys == ("A", "B", "C")
        assert data.labels == ("Alpha", "Beta", "Gamma")
        assert data.groups == {"region": ("north", "south", "north")}
        x = data.columns[("c", "x")]
        assert x[0] == 1.5 and math.isnan(x[1]) and x[2] == -20.0
        assert data.n_units == 3

    def test_pairs_are_indexed_by_unit_position(self, project):
        data, _ = load(project)
        pairs = data.pairs["p"]
        assert pairs.a.tolist() == [0, 1, 2]
        assert pairs.b.tolist() == [1, 2, 0]
        flights = data.columns[("p", "flights")]
        assert flights[0] == 3 and math.isnan(flights[1]) and flights[2] == 7

    @pytest.mark.parametrize("missing", ["", "NA", "n/a", "..", "-", "null", "None", "nan"])
    def test_missing_value_markers(self, project, missing):
        units = f"id,name,region,x\nA,a,n,1\nB,b,n,{missing}\nC,c,s,3\n"
        data, diagnostics = load(project, units=units)
        assert diagnostics == []
        assert math.isnan(data.columns[("c", "x")][1])

    def test_whitespace_quotes_bom_and_crlf(self, project):
        units = '\ufeffid , name,region,x\r\n A ,"Alpha, the first",n, 2 \r\n\r\nB,Beta,s,3\r\n'
        data, diagnostics = load(project, units=units, pairs="a,b,flights\nA,B,1\n")
        assert diagnostics == []
        assert data.keys == ("A", "B")
        assert data.labels[0] == "Alpha, the first"
        assert data.columns[("c", "x")].tolist() == [2.0, 3.0]

    def test_another_delimiter(self, project):
        index = INDEX.replace('csv("data/units.csv")', 'csv("data/units.csv", delimiter = ";")')
        units = "id;name;region;x\nA;a;n;1\nB;b;s;2\nC;c;n;3\n"
        data, diagnostics = load(project, index=index, units=units)
        assert diagnostics == []
        assert data.columns[("c", "x")].tolist() == [1.0, 2.0, 3.0]

    def test_decimal_commas(self, project):
        index = INDEX.replace(
            'csv("data/units.csv")', 'csv("data/units.csv", delimiter = ";", decimal = ",")'
        )
        units = "id;name;region;x\nA;a;n;81,6\nB;b;s;1.234,5\nC;c;n;NA\n"
        data, diagnostics = load(project, index=index, units=units)
        assert diagnostics == []
        np.testing.assert_array_equal(data.columns[("c", "x")], [81.6, 1234.5, math.nan])
        assert data.labels == ("a", "b", "c")  # text is not touched

    def test_a_decimal_comma_without_the_option_says_how_to_read_it(self, project):
        index = INDEX.replace('csv("data/units.csv")', 'csv("data/units.csv", delimiter = ";")')
        units = "id;name;region;x\nA;a;n;81,6\nB;b;s;2\nC;c;n;3\n"
        _, diagnostics = load(project, index=index, units=units)
        e303 = only(diagnostics, "E303")
        assert "decimal comma" in e303.help and 'decimal = ","' in e303.help

    def test_a_decimal_mark_equal_to_the_delimiter_is_refused(self, project):
        index = INDEX.replace('csv("data/units.csv")', 'csv("data/units.csv", decimal = ",")')
        _, diagnostics = load(project, index=index)
        assert any('delimiter = ";"' in (d.help or "") for d in diagnostics)

    def test_data_paths_are_relative_to_the_index_file(self, project, monkeypatch):
        path = project.index(
            INDEX, {"sub/data/units.csv": UNITS, "sub/data/pairs.csv": PAIRS}, name="sub/i.idx"
        )
        monkeypatch.chdir(project.root / "sub" / "data")  # anywhere but the index's folder
        result, _ = run_file(path, Session(registry=shared_registry()))
        assert result.data.keys == ("A", "B", "C")


def errors_of(project, index=INDEX, **files):
    project.index(index, {"data/units.csv": UNITS, "data/pairs.csv": PAIRS, **files})
    return project.fail()


class TestDataErrors:
    def test_missing_data_file(self, project):
        project.index(INDEX, {"data/units.csv": UNITS})
        d = only(project.fail(), "E301")
        assert "`data/pairs.csv` does not exist" in d.message
        text = (project.root / "index.idx").read_text()
        assert d.span.file == "index.idx"
        assert (d.span.line, d.span.col) == line_col_of(text, "p {")
        assert "relative to the index file" in d.help

    def test_missing_column_with_suggestion(self, project):
        index = INDEX.replace("c.x", "c.xx").replace("key id", "key idd")
        diagnostics = errors_of(project, index)
        text = (project.root / "index.idx").read_text()
        by_message = {d.message: d for d in diagnostics if d.code == "E302"}
        key = by_message["column `idd` is not in `data/units.csv`"]
        assert key.help == "did you mean `id`?"
        assert (key.span.line, key.span.col) == line_col_of(text, "idd")
        column = by_message["column `xx` is not in `data/units.csv`"]
        assert column.help == "did you mean `x`?"
        assert (column.span.line, column.span.col) == line_col_of(text, "xx")
        assert "id, name, region, x" in column.notes[0]

    def test_missing_between_column(self, project):
        index = INDEX.replace("between a and b", "between a and bb")
        d = only(errors_of(project, index), "E302")
        assert d.message == "column `bb` is not in `data/pairs.csv`"
        assert d.help == "did you mean `b`?"

    def test_non_numeric_cell_points_into_the_csv(self, project):
        units = "id,name,region,x\nA,Alpha,north,1\nB,Beta,south,1 234\nC,Gamma,north,3\n"
        d = only(errors_of(project, **{"data/units.csv": units}), "E303")
        assert d.message == "`1 234` in column `x` is not a number"
        assert d.span.file == "data/units.csv"
        assert (d.span.line, d.span.col) == (3, len("B,Beta,south,") + 1)
        assert d.span.end_col - d.span.col == len("1 234")
        (used_here,) = d.secondary
        assert used_here.span.file == "index.idx"

    def test_non_numeric_cell_after_a_quoted_comma(self, project):
        units = 'id,name,region,x\nA,"Alpha, Al",north,one\n'
        d = only(errors_of(project, **{"data/units.csv": units}), "E303")
        assert (d.span.line, d.span.col) == (2, len('A,"Alpha, Al",north,') + 1)

    def test_non_numeric_cell_in_a_pairs_file(self, project):
        pairs = "a,b,flights\nA,B,3\nB,C,many\n"
        d = only(errors_of(project, **{"data/pairs.csv": pairs}), "E303")
        assert d.span.file == "data/pairs.csv"
        assert (d.span.line, d.span.col) == (3, 5)

    def test_infinite_values_are_not_numbers(self, project):
        units = "id,name,region,x\nA,Alpha,north,inf\nB,b,s,1\n"
        d = only(errors_of(project, **{"data/units.csv": units}), "E303")
        assert (d.span.line, d.span.col) == (2, len("A,Alpha,north,") + 1)

    def test_many_bad_cells_are_summarised(self, project):
        rows = "".join(f"U{i},u,n,bad\n" for i in range(8))
        diagnostics = errors_of(project, **{"data/units.csv": "id,name,region,x\n" + rows})
        cells = [d for d in diagnostics if d.code == "E303"]
        assert len(cells) == 6  # five located, one summary
        assert "3 more non-numeric cells" in cells[-1].message

    def test_unused_bad_cells_are_not_reported(self, project):
        units = "id,name,region,x,notes\nA,Alpha,north,1,n/a\nB,Beta,south,2,lots\n"
        project.index(INDEX_X, {"data/units.csv": units})
        result, _ = project.run()
        assert result.units.raw["x"].tolist() == [1.0, 2.0]

    def test_duplicate_unit_keys(self, project):
        units = "id,name,region,x\nA,Alpha,n,1\nB,Beta,s,2\nA,Again,n,3\n"
        d = only(errors_of(project, **{"data/units.csv": units}), "E305")
        assert d.message == "unit key `A` appears twice"
        assert (d.span.file, d.span.line, d.span.col) == ("data/units.csv", 4, 1)
        (first,) = d.secondary
        assert (first.span.line, first.span.col) == (2, 1)

    def test_empty_unit_key(self, project):
        units = "id,name,region,x\nA,Alpha,n,1\n,Nobody,s,2\n"
        d = only(errors_of(project, **{"data/units.csv": units}), "E304")
        assert (d.span.line, d.span.col) == (3, 1)

    def test_pair_row_naming_an_unknown_unit(self, project):
        units = "id,name,region,x\nalpha,A,n,1\nbeta,B,s,2\ngamma,C,n,3\n"
        pairs = "a,b,flights\nalpha,beta,3\nbeta,gama,1\n"
        diagnostics = errors_of(project, **{"data/units.csv": units, "data/pairs.csv": pairs})
        d = only(diagnostics, "E306")
        assert d.message == "pair row names `gama`, which is not a unit of `c`"
        assert (d.span.file, d.span.line, d.span.col) == ("data/pairs.csv", 3, 6)
        assert d.help == "did you mean `gamma`?"

    def test_pair_row_linking_a_unit_with_itself(self, project):
        pairs = "a,b,flights\nA,A,3\n"
        d = only(errors_of(project, **{"data/pairs.csv": pairs}), "E307")
        assert (d.span.line, d.span.col) == (2, 1)

    def test_undirected_pair_given_twice(self, project):
        pairs = "a,b,flights\nA,B,3\nB,A,4\n"
        d = only(errors_of(project, **{"data/pairs.csv": pairs}), "E308")
        assert "undirected" in d.message
        assert (d.span.line, d.span.col) == (3, 1)
        assert d.secondary[0].span.line == 2

    def test_directed_pairs_may_go_both_ways(self, project):
        pairs = "a,b,flights\nA,B,3\nB,A,4\n"
        index = INDEX.replace("undirected", "directed")
        project.index(index, {"data/units.csv": UNITS, "data/pairs.csv": pairs})
        result, _ = project.run()
        assert result.data.pairs["p"].a.tolist() == [0, 1]

    def test_row_with_too_many_fields(self, project):
        units = "id,name,region,x\nA,Alpha,n,1\nB,Beta,s,2,extra\n"
        d = only(errors_of(project, **{"data/units.csv": units}), "E301")
        assert d.message == "row has 5 fields but the header has 4"
        assert (d.span.file, d.span.line) == ("data/units.csv", 3)

    def test_empty_file(self, project):
        d = only(errors_of(project, **{"data/units.csv": ""}), "E301")
        assert "is empty" in d.message

    def test_unknown_encoding(self, project):
        index = INDEX.replace(
            'csv("data/units.csv")', 'csv("data/units.csv", encoding = "klingon")'
        )
        d = only(errors_of(project, index), "E301")
        assert "unknown encoding `klingon`" in d.message


class TestEncoding:
    LATIN1 = "id,name,region,x\nA,Zürich,north,1\nB,São Paulo,south,2\n".encode("latin-1")

    def test_a_file_that_is_not_utf8_is_located(self, project):
        d = only(errors_of(project, **{"data/units.csv": self.LATIN1}), "E301")
        assert "`data/units.csv` is not valid utf-8" in d.message
        assert "line 2" in d.message and "column 4" in d.message
        assert "0xfc" in d.message
        assert (d.span.file, d.span.line, d.span.col) == ("data/units.csv", 2, 4)
        assert 'encoding = "latin-1"' in d.help

    def test_the_encoding_parameter_fixes_it(self, project):
        index = INDEX_X.replace(
            'csv("data/units.csv")', 'csv("data/units.csv", encoding = "latin-1")'
        )
        project.index(index, {"data/units.csv": self.LATIN1})
        result, _ = project.run()
        assert result.data.labels == ("Zürich", "São Paulo")

    def test_utf8_is_the_default(self, project):
        units = "id,name,region,x\nA,Zürich,north,1\nB,Kraków,south,2\n".encode()
        project.index(INDEX_X, {"data/units.csv": units})
        result, _ = project.run()
        assert result.data.labels == ("Zürich", "Kraków")


def test_reference_ranks_are_loaded(project):
    index = INDEX.replace("framework {", "framework {\n  reference ranks c.published\n")
    units = "id,name,region,x,published\nA,Alpha,n,1,2\nB,Beta,s,2,1\nC,Gamma,n,3,\n"
    project.index(index, {"data/units.csv": units, "data/pairs.csv": PAIRS})
    result, _ = project.run()
    published = result.data.references["t"]
    assert published[:2].tolist() == [2.0, 1.0] and np.isnan(published[2])


def test_all_data_problems_are_reported_together(project):
    units = "id,name,region,x\nA,Alpha,n,one\nA,Beta,s,2\n"
    pairs = "a,b,flights\nA,Z,3\n"
    diagnostics = errors_of(project, **{"data/units.csv": units, "data/pairs.csv": pairs})
    assert {"E303", "E305", "E306"} <= set(codes(diagnostics))


class TestXlsxLoader:
    """`xlsx("file.xlsx", sheet = "…")`: a sheet of a workbook, numbers read as the
    cells hold them, problems located at the sheet's row and column."""

    def workbook(self, path, rows, sheet="Data"):
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        book.active.title = "Notes"
        data = book.create_sheet(sheet)
        for row in rows:
            data.append(row)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)

    def test_reads_numbers_text_and_empty_cells(self, project):
        self.workbook(
            project.root / "data" / "units.xlsx",
            [[None], ["id", "name", "region", "x"], ["A", "Alpha", "n", 0.1],
             ["B", "Beta", "s", 2], ["C", "Gamma", "n", None]],
        )  # fmt: skip
        index = INDEX.replace('csv("data/units.csv")', 'xlsx("data/units.xlsx", sheet = "Data")')
        data, diagnostics = load(project, index=index)
        assert diagnostics == []
        assert data.keys == ("A", "B", "C") and data.labels[2] == "Gamma"
        np.testing.assert_array_equal(data.columns[("c", "x")], [0.1, 2.0, math.nan])

    def test_a_text_cell_is_located_at_its_row_and_column(self, project):
        self.workbook(
            project.root / "data" / "units.xlsx",
            [["id", "name", "region", "x"], ["A", "Alpha", "n", 1], ["B", "Beta", "s", "ten"]],
        )
        index = INDEX.replace('csv("data/units.csv")', 'xlsx("data/units.xlsx", sheet = "Data")')
        _, diagnostics = load(project, index=index)
        e303 = only(diagnostics, "E303")
        assert (e303.span.line, e303.span.col) == (3, 4)

    def test_an_unknown_sheet_lists_the_sheets(self, project):
        self.workbook(project.root / "data" / "units.xlsx", [["id", "name", "region", "x"]])
        index = INDEX.replace('csv("data/units.csv")', 'xlsx("data/units.xlsx", sheet = "Dta")')
        _, diagnostics = load(project, index=index)
        assert any(
            "no sheet `Dta`" in d.message and "`Data`" in (d.help or "") for d in diagnostics
        )


def test_an_xlsx_range_reads_a_table_that_does_not_start_in_a1(project):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet["A1"] = "A title above the table"
    for r, row in enumerate(
        [["id", "name", "region", "x"], ["A", "Alpha", "n", 1], ["B", "Beta", "s", "two"]],
        start=3,
    ):
        for c, value in enumerate(row, start=2):  # from column B
            sheet.cell(row=r, column=c, value=value)
    sheet["H9"] = "a note below, outside the range"
    (project.root / "data").mkdir(exist_ok=True)
    book.save(project.root / "data" / "units.xlsx")
    index = INDEX.replace('csv("data/units.csv")', 'xlsx("data/units.xlsx", range = "B3:E5")')
    _, diagnostics = load(project, index=index)
    e303 = only(diagnostics, "E303")
    assert (e303.span.line, e303.span.col) == (5, 5)  # row 5, column E, as Excel shows it
    bad = INDEX.replace('csv("data/units.csv")', 'xlsx("data/units.xlsx", range = "B3-E5")')
    _, diagnostics = load(project, index=bad)
    assert any("not a range of cells" in d.message for d in diagnostics)


def test_thousands_separators_are_a_loader_option_with_a_hint(project):
    units = 'id,name,region,x\nA,a,n,"1,234,567.5"\nB,b,s,12\nC,c,n,"1,000"\n'
    index = INDEX.replace('csv("data/units.csv")', 'csv("data/units.csv", thousands = ",")')
    data, diagnostics = load(project, index=index, units=units)
    assert diagnostics == []
    np.testing.assert_array_equal(data.columns[("c", "x")], [1234567.5, 12, 1000])
    _, diagnostics = load(project, units=units)  # without the option: a hint
    hints = [d.help for d in diagnostics if d.code == "E303"]
    assert any('thousands = ","' in h and "1,234,567.5" in h for h in hints)
    assert any('decimal = ","' in h and 'thousands = ","' in h for h in hints)  # 1,000
