"""Pathway indices out of core on the Dask engine: pairs read from partitioned Parquet
are matched and checked a partition at a time (the main process never holds every
pair's units), and the pathways' scores and ranks are computed and written by the
workers as partitioned Parquet, equal to the numpy engine's (1e-12 relative, identical
ranks, ties included) on a local cluster of two workers."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from indexdsl.data import PartitionCodes
from indexdsl.diagnostics import DiagnosticError
from indexdsl.evaluate import competition_ranks
from indexdsl.pipeline import run_file

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from indexdsl_builtins import dask_pathways  # noqa: E402
from indexdsl_builtins.engines import DaskEngine  # noqa: E402
from tests.test_engine_dask import assert_same  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import scale  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A local cluster of two single-threaded workers, and its client as the default."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=True) as client,
    ):
        yield client


@pytest.fixture
def small_groups(monkeypatch):
    """Ranks counted over many groups of scores (a few hundred each), as at scale."""
    monkeypatch.setattr(dask_pathways, "GROUP_SIZE", 300)


def network(tmp_path: Path, units: int = 60) -> Path:
    """The scale benchmark's pathway index, small: every pair of ``units`` units with 10
    metrics (mostly zero counts: many tied scores), in a folder of Parquet files of
    several row groups each."""
    scale.N_PAIR_UNITS = units
    try:
        return scale.make_pathways_parts(tmp_path, part_rows=700, group_rows=250)
    finally:
        scale.N_PAIR_UNITS = 5_000


@pytest.mark.parametrize("decimals", [10, 1])
def test_written_ranks_are_the_numpy_competition_ranks(tmp_path, client, small_groups, decimals):
    rng = np.random.default_rng(7)
    values = np.round(rng.normal(50, 20, 5_000), 2)  # ties at 2 decimals
    values[rng.random(5_000) < 0.05] = np.nan
    values[:300] = 0.0  # a large tie, spanning groups' edges
    codes = da.from_array(np.arange(5_000) % 7, chunks=613)
    stored = dask_pathways.write(
        tmp_path,
        [f"u{i}" for i in range(7)],
        codes,
        codes,
        {"x": da.from_array(values, chunks=613)},
        {"x": da.from_array(values, chunks=613), "y": da.from_array(values, chunks=613)},
        {"x": True, "y": False},  # y ranked lower first
        {"x": decimals, "y": decimals},
    )
    np.testing.assert_array_equal(stored.ranks["x"], competition_ranks(values, decimals))
    np.testing.assert_array_equal(stored.ranks["y"], competition_ranks(-values, decimals))
    np.testing.assert_array_equal(stored.raw["x"], values)
    files = sorted(tmp_path.glob("part-*.parquet"))
    assert len(files) == 9 and sorted(tmp_path.iterdir()) == files  # nothing else left
    assert pq.read_schema(files[0]).names == [
        "unit_a",
        "unit_b",
        "x_score",
        "x_rank",
        "y_score",
        "y_rank",
        "x_raw",
    ]


def test_pathways_are_written_by_the_workers_as_the_numpy_engine_scores_them(
    tmp_path, client, small_groups
):
    index = network(tmp_path)
    numpy_result, _ = run_file(index)
    folder = tmp_path / "results"
    engine = DaskEngine(scheduler=client.scheduler.address, pathways=str(folder))
    dask_result, _ = run_file(index, engine=engine)
    assert_same(numpy_result, dask_result)
    # the main process matched the pairs a partition at a time and never read them all
    pairs = dask_result.pair_data
    assert isinstance(pairs.a, PartitionCodes) and pairs.a._values is None
    assert pairs.b._values is None
    # one Parquet file per partition (row group), with keys, scores and ranks
    [written] = list(folder.iterdir())
    files = sorted(written.glob("part-*.parquet"))
    assert len(files) == len(pairs.a.chunks) == 8
    table = pa.concat_tables([pq.read_table(f) for f in files])
    keys = numpy_result.data.keys
    a, b = np.asarray(numpy_result.pair_data.a), np.asarray(numpy_result.pair_data.b)
    assert table.column("unit_a").to_pylist() == [keys[i] for i in a]
    assert table.column("unit_b").to_pylist() == [keys[i] for i in b]
    for node, ranks in numpy_result.pairs.ranks.items():
        np.testing.assert_array_equal(table.column(f"{node}_rank").to_numpy(), ranks)
        np.testing.assert_allclose(
            table.column(f"{node}_score").to_numpy(),
            numpy_result.pairs.scores[node],
            rtol=1e-12,
            atol=0,
        )
    assert len(np.unique(numpy_result.pairs.ranks["s1"])) < len(a) // 2  # ties tested


def test_a_duplicate_pair_in_a_later_partition_is_reported_at_its_row(tmp_path):
    index = network(tmp_path, units=30)  # 435 pairs in files of 700 rows: one file
    part = tmp_path / "pairs" / "part-00000.parquet"
    table = pq.read_table(part)
    first = table.slice(3, 1)  # the pair of row 4, its units swapped (undirected)
    swapped = pa.table(
        {
            "city_a": first.column("city_b"),
            "city_b": first.column("city_a"),
            **{n: first.column(n) for n in first.column_names[2:]},
        }
    )
    pq.write_table(swapped, tmp_path / "pairs" / "part-00001.parquet")
    with pytest.raises(DiagnosticError) as info:
        run_file(index)
    [diagnostic] = [d for d in info.value.diagnostics if d.is_error]
    assert diagnostic.code == "E308"
    assert diagnostic.span.file.endswith("pairs") and diagnostic.span.line == 436
    assert any(label.span.line == 4 for label in diagnostic.secondary)
