"""The bulk CSV reader for large files gives what the csv module gives.

Every test of ``test_data`` runs again here with the bulk reader forced on (its size
threshold set to 0), and with the file's text not kept (as for a file of more than
64 MB), so its located diagnostics are checked on both paths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_data import *  # noqa: F403  (collected again, with the bulk reader)

from indexdsl.data import MISSING
from indexdsl_builtins import _arrowcsv, _fastcsv, loaders
from indexdsl_builtins.loaders import CsvLoader

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def bulk_reader(monkeypatch):
    monkeypatch.setattr(_arrowcsv, "ENABLED", False)  # tests/test_arrowcsv.py tests that one
    monkeypatch.setattr(_fastcsv, "MIN_BYTES", 0)
    monkeypatch.setattr(_fastcsv, "BLOCK_BYTES", 64)  # many blocks, even for small files
    # and the file's text is not kept, as for a large file: diagnostics read it again
    monkeypatch.setattr(loaders, "KEEP_TEXT", 0)


def _slow_numbers(cells):
    out = []
    for cell in cells:
        if cell.lower() in MISSING:
            out.append(math.nan)
            continue
        try:
            out.append(float(cell))
        except ValueError:
            return None
    return out if all(math.isfinite(v) or math.isnan(v) for v in out) else None


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(ROOT) for p in (ROOT / "indices" / "data").rglob("*.csv"))
)
def test_every_data_file_reads_alike(path, monkeypatch):
    encoding = "latin-1" if "HDR" in path.name else "utf-8"
    loader = CsvLoader(path=str(path), encoding=encoding)
    table = loader.load(ROOT)
    monkeypatch.setattr(_fastcsv, "MIN_BYTES", 1 << 60)
    slow = loader.load(ROOT)
    assert table.columns == slow.columns and len(table.rows) == len(slow.rows)
    for name in table.numbers:
        expected = np.array(_slow_numbers(slow.cells(name)), dtype=float)
        assert np.array_equal(table.numbers[name], expected, equal_nan=True), name
    for name in table.texts:
        assert table.cells(name) == slow.cells(name), name
    assert list(table.rows[:50]) == list(slow.rows[:50])


CELLS = [
    "0", "-0", "5.", ".5", "-.5", "12.25", "-3.14159", "007", "123456789012345",
    "1234567890123456", "0.1", "2.675", "1e3", "1_000", " 4.5 ", "+7", "", "NA", "n/a",
    "-", "9007199254740993", "0.30000000000000004",
]  # fmt: skip


def test_numbers_are_read_exactly_as_float_reads_them(tmp_path):
    rows = "\n".join(f"{i},{cell}" for i, cell in enumerate(CELLS))
    (tmp_path / "t.csv").write_text(f"k,x\n{rows}\n")
    table = CsvLoader(path="t.csv").load(tmp_path)
    got = table.numbers["x"]
    for cell, value in zip(CELLS, got, strict=True):
        expected = math.nan if cell.strip().lower() in MISSING else float(cell)
        assert (math.isnan(value) and math.isnan(expected)) or (
            value == expected and math.copysign(1, value) == math.copysign(1, expected)
        ), cell


@pytest.mark.parametrize(
    "text",
    ['k,x\n1,"2"\n', "k,x\n1,2\n\n3,4\n", "k,x\n1,2,3\n", "k,x\n1\n", "k,x\n , \n2,3\n"],
)
def test_files_that_are_not_simple_go_to_the_csv_module(text):
    assert _fastcsv.read_columns(text.encode(), ",", "utf-8", MISSING) is None


def test_a_text_column_stays_text(tmp_path):
    (tmp_path / "t.csv").write_text("k,x,y\na,1,2\nb,x,3\nc,NA,\n")
    table = CsvLoader(path="t.csv").load(tmp_path)
    assert set(table.numbers) == {"y"} and set(table.texts) == {"k", "x"}
    assert table.cells("x") == ["1", "x", "NA"]
    assert table.rows[1] == ("b", "x", "3") and list(table.line_numbers) == [2, 3, 4]
