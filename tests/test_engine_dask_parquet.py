"""Pairs tables read as partitioned Parquet (a folder of files, or a file of several
row groups): the numpy engine reads every partition, the Dask engine reads each one on
a worker and the main process none; both give the CSV's results, and a pair naming an
unknown unit in any partition is reported at its row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import run_file

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pacsv = pytest.importorskip("pyarrow.csv")

from indexdsl_builtins import _parquet  # noqa: E402
from indexdsl_builtins.engines import DaskEngine  # noqa: E402
from tests.test_engine_dask import assert_same, write_network  # noqa: E402


def as_folder(index: Path, parts: int = 3, row_group: int = 150) -> Path:
    """The network's pairs table written as a folder of ``parts`` Parquet files of
    several row groups each, and an index reading that folder."""
    table = pacsv.read_csv(index.parent / "pairs.csv")
    folder = index.parent / "pairs"
    folder.mkdir()
    step = -(-table.num_rows // parts)
    for i in range(parts):
        piece = table.slice(i * step, step)
        pq.write_table(piece, folder / f"part-{i:03d}.parquet", row_group_size=row_group)
    text = index.read_text().replace('csv("pairs.csv")', 'parquet("pairs")')
    out = index.parent / "net_folder.idx"
    out.write_text(text)
    return out


def test_a_folder_of_parquet_files_gives_the_csvs_results_on_both_engines(
    tmp_path, scheduler, monkeypatch
):
    index = write_network(tmp_path)
    expected, _ = run_file(index)
    folder_index = as_folder(index)
    assert len(_parquet.parquet_pieces(tmp_path / "pairs")) > 3
    assert_same(expected, run_file(folder_index)[0])  # numpy: every partition read here

    def read_here(self, dtype=None, copy=None):
        raise AssertionError(f"column {self.name} read whole in the main process")

    monkeypatch.setattr(_parquet.PartitionedColumn, "__array__", read_here)
    got, _ = run_file(folder_index, engine=DaskEngine(scheduler=scheduler))
    assert_same(expected, got)


def test_one_file_of_several_row_groups_is_read_by_row_groups(tmp_path, scheduler):
    index = write_network(tmp_path)
    table = pacsv.read_csv(tmp_path / "pairs.csv")
    pq.write_table(table, tmp_path / "pairs.parquet", row_group_size=100)
    grouped = tmp_path / "net_groups.idx"
    grouped.write_text(index.read_text().replace('csv("pairs.csv")', 'parquet("pairs.parquet")'))
    assert len(_parquet.parquet_pieces(tmp_path / "pairs.parquet")) == -(-table.num_rows // 100)
    expected, _ = run_file(index)
    assert_same(expected, run_file(grouped, engine=DaskEngine(scheduler=scheduler))[0])


def test_an_unknown_unit_in_a_later_partition_is_reported_at_its_row(tmp_path):
    index = write_network(tmp_path)
    lines = (tmp_path / "pairs.csv").read_text().splitlines()
    row = len(lines) - 5
    lines[row] = "nowhere," + lines[row].split(",", 1)[1]
    (tmp_path / "pairs.csv").write_text("\n".join(lines) + "\n")
    folder_index = as_folder(index)
    with pytest.raises(DiagnosticError) as info:
        run_file(folder_index)
    [diagnostic] = [d for d in info.value.diagnostics if d.is_error]
    assert diagnostic.code == "E306" and "nowhere" in diagnostic.message
    assert diagnostic.span.file.endswith("pairs") and diagnostic.span.line == row


def test_a_folder_without_parquet_files_is_a_located_error(tmp_path):
    index = write_network(tmp_path)
    (tmp_path / "pairs").mkdir()
    (tmp_path / "pairs" / "notes.txt").write_text("nothing\n")
    bad = tmp_path / "net_empty.idx"
    bad.write_text(index.read_text().replace('csv("pairs.csv")', 'parquet("pairs")'))
    with pytest.raises(DiagnosticError) as info:
        run_file(bad)
    assert any("no Parquet files" in d.message for d in info.value.diagnostics)


def test_integer_unit_keys_in_a_folder_are_matched_as_text(tmp_path, scheduler):
    index = write_network(tmp_path)
    for name in ("units.csv", "pairs.csv"):
        path = tmp_path / name
        path.write_text(re.sub(r"\bu(\d\d)\b", r"10\1", path.read_text()))
    expected, _ = run_file(index)
    folder_index = as_folder(index)
    assert pq.read_schema(next((tmp_path / "pairs").glob("*.parquet"))).field("a").type == "int64"
    assert_same(expected, run_file(folder_index)[0])
    assert_same(expected, run_file(folder_index, engine=DaskEngine(scheduler=scheduler))[0])
