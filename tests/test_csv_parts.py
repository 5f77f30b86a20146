"""A folder of CSV files read as one table (`csv("pairs")`), every file a partition: the
numpy engine gives the single file's results, the Dask engine reads each file's numeric
columns on the workers (the main process none), and a problem in a file of the folder
is reported at that file and its line."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from indexdsl import cli
from indexdsl.data import PartitionCodes
from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import run_file
from indexdsl_builtins import _arrowcsv, _csvparts, _fastcsv, _parquet
from indexdsl_builtins.loaders import CsvLoader
from tests.test_engine_dask import assert_same, write_network


def split(index: Path, parts: int = 3, *, delimiter: str = ",", options: str = "") -> Path:
    """The network's pairs table written as a folder of ``parts`` CSV files (the same
    header in each), and an index reading that folder with the loader's ``options``."""
    lines = (index.parent / "pairs.csv").read_text().splitlines()
    head, body = lines[0], lines[1:]
    folder = index.parent / "pairs"
    folder.mkdir()
    step = -(-len(body) // parts)
    for i in range(parts):
        rows = [head, *body[i * step : (i + 1) * step]]
        (folder / f"part-{i}.csv").write_text("\n".join(rows).replace(",", delimiter) + "\n")
    out = index.parent / "net_folder.idx"
    out.write_text(index.read_text().replace('csv("pairs.csv")', f'csv("pairs"{options})'))
    return out


def same_scores(expected, got) -> None:
    """The same results to the last bit (the numpy engine both times)."""
    assert_same(expected, got)
    for level in ("units", "pairs"):
        a, b = getattr(expected, level), getattr(got, level)
        for name in a.scores:
            np.testing.assert_array_equal(np.asarray(b.scores[name]), np.asarray(a.scores[name]))


@pytest.mark.parametrize("reader", ["csv-module", "pyarrow", "numpy"])
def test_a_folder_gives_the_single_files_results(tmp_path, monkeypatch, reader):
    if reader != "csv-module":  # read column by column, as files of a megabyte and more
        monkeypatch.setattr(_fastcsv, "MIN_BYTES", 0)
    if reader == "numpy":
        monkeypatch.setattr(_arrowcsv, "ENABLED", False)
    index = write_network(tmp_path)
    expected, _ = run_file(index)
    got, _ = run_file(split(index))
    same_scores(expected, got)
    # read a file at a time: the numeric columns and the pairs' units as partitions
    trade = got.data.columns[("link", "trade")]
    assert isinstance(trade, _parquet.PartitionedColumn) and len(trade.chunks) == 3
    assert isinstance(got.pair_data.a, PartitionCodes)


def _decimal_comma(match: re.Match) -> str:
    """1234.5678 as 1.234,5678: thousands dots and a decimal comma."""
    whole, fraction = match.group(1), match.group(2)
    return f"{int(whole):,}".replace(",", ".") + "," + fraction


def test_the_numpy_engine_parses_each_file_twice(tmp_path, monkeypatch):
    index = split(write_network(tmp_path), 4)
    parsed = []
    table = _csvparts.CsvPieces.table
    monkeypatch.setattr(
        _csvparts.CsvPieces, "table", lambda self, path: parsed.append(path) or table(self, path)
    )
    got, _ = run_file(index)
    assert len(got.data.columns) == 3  # trade, flights, seats
    files = sorted(str(p) for p in (tmp_path / "pairs").glob("*.csv"))
    # once to check it (its unit keys kept, for the data stage and the engine to match
    # them), once for all its numbers: not once per numeric column, nor per key column
    assert sorted(set(parsed)) == files and len(parsed) == 2 * len(files)


def test_the_loaders_options_apply_to_every_file(tmp_path):
    index = write_network(tmp_path)
    expected, _ = run_file(index)
    folder_index = split(index, 4, delimiter=";", options=', delimiter = ";", decimal = ","')
    for file in (tmp_path / "pairs").iterdir():
        file.write_text(re.sub(r"\b(\d+)\.(\d+)\b", _decimal_comma, file.read_text()))
    assert "." in (tmp_path / "pairs" / "part-0.csv").read_text()  # thousands written
    got, _ = run_file(folder_index)
    same_scores(expected, got)


def test_a_folder_of_one_file_is_that_files_table(tmp_path):
    write_network(tmp_path)
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "pairs.csv").write_bytes((tmp_path / "pairs.csv").read_bytes())
    single = CsvLoader(path="pairs.csv").load(tmp_path)
    folder = CsvLoader(path="one").load(tmp_path)
    assert folder.columns == single.columns
    assert list(folder.rows) == list(single.rows)
    assert list(folder.line_numbers) == list(single.line_numbers)
    for name in single.columns:
        assert folder.cells(name) == single.cells(name)
    assert sorted(folder.numbers) == ["flights", "seats", "trade"]
    for name in folder.numbers:
        cells = single.cells(name)
        values = [np.nan if c == "" else float(c) for c in cells]
        np.testing.assert_array_equal(np.asarray(folder.numbers[name]), values)


def test_a_bad_cell_in_the_second_file_is_reported_at_that_file_and_line(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    index = write_network(tmp_path)
    folder_index = split(index)
    second = tmp_path / "pairs" / "part-1.csv"
    lines = second.read_text().splitlines()
    a, b, _, flights, seats = lines[6].split(",")
    lines[6] = ",".join([a, b, "lots", flights, seats])
    second.write_text("\n".join(lines) + "\n")
    with pytest.raises(DiagnosticError) as info:
        run_file(folder_index)
    # once for each indicator that reads the column, as from one file
    errors = [d for d in info.value.diagnostics if d.is_error]
    assert len(errors) == 2 and {d.span for d in errors} == {errors[0].span}
    diagnostic = errors[0]
    assert diagnostic.code == "E303" and "lots" in diagnostic.message
    span = diagnostic.span
    assert Path(span.file).name == "part-1.csv" and Path(span.file).parent.name == "pairs"
    assert (span.line, span.col) == (7, len(f"{a},{b},") + 1)
    # shown at that file's line, as users open it
    capsys.readouterr()
    assert cli.main(["run", str(folder_index), "-q", "--no-write"]) == 1
    err = capsys.readouterr().err
    assert "pairs/part-1.csv:7:" in err and lines[6] in err


def use_units(index: Path) -> Path:
    """The index with some units left out (`exclude`), and their pairs with them."""
    text = index.read_text()
    index.write_text(text.replace("  key key\n", '  key key\n  exclude key matching "u3*"\n'))
    return index


def split_units(index: Path) -> Path:
    """The units table as a folder of two files, and an index reading it."""
    lines = (index.parent / "units.csv").read_text().splitlines()
    (index.parent / "units").mkdir()
    (index.parent / "units" / "a.csv").write_text("\n".join(lines[:21]) + "\n")
    (index.parent / "units" / "b.csv").write_text("\n".join(lines[:1] + lines[21:]) + "\n")
    out = index.parent / "net_units.idx"
    out.write_text(index.read_text().replace('csv("units.csv")', 'csv("units")'))
    return out


def test_units_and_pairs_from_folders_with_units_left_out(tmp_path):
    index = use_units(write_network(tmp_path))
    expected, _ = run_file(index)
    both = split_units(split(index))
    got, _ = run_file(both)
    same_scores(expected, got)
    assert len(got.data.keys) == 30 and isinstance(got.pair_data.a, np.ndarray)
    # a bad cell after the pairs of the left-out units are dropped: still at its file
    third = tmp_path / "pairs" / "part-2.csv"
    lines = third.read_text().splitlines()
    # the last row of the file with no left-out unit: rows before it in the file left out
    row = max(i for i, line in enumerate(lines) if i and "u3" not in line)
    assert any("u3" in line for line in lines[1:row])
    cells = lines[row].split(",")
    lines[row] = ",".join([*cells[:4], "many"])
    third.write_text("\n".join(lines) + "\n")
    with pytest.raises(DiagnosticError) as info:
        run_file(both)
    errors = [d for d in info.value.diagnostics if d.is_error]
    assert {d.span for d in errors} == {errors[0].span}  # once for each use of `seats`
    diagnostic = errors[0]
    assert diagnostic.code == "E303" and "many" in diagnostic.message
    assert Path(diagnostic.span.file).name == "part-2.csv"
    assert (diagnostic.span.line, diagnostic.span.col) == (row + 1, len(",".join(cells[:4])) + 2)


def test_a_duplicate_pair_across_files_is_reported_at_its_file_and_line(tmp_path):
    index = write_network(tmp_path)
    folder_index = split(index)
    first = (tmp_path / "pairs" / "part-0.csv").read_text().splitlines()
    third = tmp_path / "pairs" / "part-2.csv"
    lines = third.read_text().splitlines()
    lines.insert(3, first[4])  # the pair of line 5 of the first file, again at line 4
    third.write_text("\n".join(lines) + "\n")
    with pytest.raises(DiagnosticError) as info:
        run_file(folder_index)
    [diagnostic] = [d for d in info.value.diagnostics if d.is_error]
    assert diagnostic.code == "E308"
    assert Path(diagnostic.span.file).name == "part-2.csv" and diagnostic.span.line == 4
    [earlier] = [label.span for label in diagnostic.secondary]
    assert Path(earlier.file).name == "part-0.csv" and earlier.line == 5


def test_a_file_whose_header_differs_is_refused_by_name(tmp_path):
    index = write_network(tmp_path)
    folder_index = split(index)
    second = tmp_path / "pairs" / "part-1.csv"
    second.write_text(
        second.read_text().replace("a,b,trade,flights,seats", "a,b,trade,seats,flights")
    )
    with pytest.raises(DiagnosticError) as info:
        run_file(folder_index)
    [diagnostic] = [d for d in info.value.diagnostics if d.is_error]
    assert diagnostic.code == "E301"
    assert "part-1.csv" in diagnostic.message and "part-0.csv" in diagnostic.message
    assert Path(diagnostic.span.file).name == "part-1.csv" and diagnostic.span.line == 1
    assert "same header" in diagnostic.help


def test_a_folder_without_csv_files_is_refused(tmp_path):
    index = write_network(tmp_path)
    (tmp_path / "pairs").mkdir()
    (tmp_path / "pairs" / "notes.txt").write_text("nothing\n")
    bad = tmp_path / "net_empty.idx"
    bad.write_text(index.read_text().replace('csv("pairs.csv")', 'csv("pairs")'))
    with pytest.raises(DiagnosticError) as info:
        run_file(bad)
    [diagnostic] = [d for d in info.value.diagnostics if d.is_error]
    assert diagnostic.code == "E301" and "no CSV files (`*.csv`)" in diagnostic.message
    assert "in name order" in diagnostic.help


distributed = pytest.importorskip("distributed")

from indexdsl_builtins.engines import DaskEngine  # noqa: E402


def test_the_dask_engine_reads_every_file_on_the_workers(tmp_path, scheduler, monkeypatch):
    index = write_network(tmp_path)
    expected, _ = run_file(index)
    folder_index = split(index, 4)

    def read_here(self, dtype=None, copy=None):
        raise AssertionError(f"column {self.name} read whole in the main process")

    monkeypatch.setattr(_parquet.PartitionedColumn, "__array__", read_here)
    got, _ = run_file(folder_index, engine=DaskEngine(scheduler=scheduler))
    assert_same(expected, got)
    for name in ("trade", "flights", "seats"):
        column = got.data.columns[("link", name)]
        assert isinstance(column, _parquet.PartitionedColumn) and column._values is None
        assert len(column.chunks) == 4
    assert isinstance(got.pair_data.a, PartitionCodes) and got.pair_data.a._values is None


def test_kept_columns_make_room_from_other_folders_only(monkeypatch):
    monkeypatch.setattr(_csvparts, "CACHE_BYTES", 3 * 80)  # three files of 10 floats
    kept = _csvparts._ColumnCache()

    def key(folder: str, i: int) -> tuple:
        return ("utf-8", ",", ".", "", f"/{folder}/part-{i}.csv", 0, 0)

    def held(folder: str) -> list[bool]:
        return [kept.get(key(folder, i), "x") is not None for i in range(5)]

    for i in range(5):  # read in turn, again and again: its first files stay
        kept.put(key("a", i), {"x": np.zeros(10)})
    assert held("a") == [True, True, True, False, False]
    kept.put(key("b", 0), {"x": np.zeros(10)})  # another folder: the oldest file goes
    assert held("b")[0] and held("a") == [False, True, True, False, False]
