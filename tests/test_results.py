"""Writing results: the files, their contents, atomic writes, CSV-injection safety and
byte-identical reruns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os

import pytest

from conftest import simple_index, units_csv
from indexdsl.output import results, writing
from indexdsl.output.results import safe_text
from indexdsl.output.writing import write_outputs

PAIRS = """
pairs p "Links" {
  from csv("pairs.csv")
  between a and b
  undirected
}
"""


def read_csv(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def city_project(project):
    """Three cities linked by three pathways; two dimensions; reference ranks.

    Per city: reach = sum(v) = A 4, B 8, C 6 → 0, 100, 50 ;
              capacity = sum(w) = A 30, B 40, C 50 → 0, 50, 100 ;
              overall = 0.4 reach + 0.6 capacity = A 0, B 70, C 80.
    Per pathway (A–B, B–C, A–C): v 3, 5, 1 → 50, 100, 0 ; w 10, 30, 20 → 0, 100, 50 ;
              overall = 20, 100, 30.
    """
    text = simple_index(
        {"reach": "sum(p.v)", "capacity": 'sum(p.w) unit "seats"'},
        """
        pathways p
        reference ranks c.published
        connections "Connections" 40% { reach }
        size "Size" 60% { capacity }
        """,
        pairs=PAIRS,
    )
    project.index(
        text,
        {
            "units.csv": units_csv({"published": [3, 1, 2]}, keys=["A", "B", "C"]),
            "pairs.csv": "a,b,v,w\nA,B,3,10\nB,C,5,30\nA,C,1,20\n",
        },
    )
    return project


class TestFiles:
    def test_every_file_is_written(self, city_project):
        out = city_project.root / "out"
        assert city_project.cli("run", "index.idx", "--quiet", "--out", out).code == 0
        assert sorted(p.name for p in out.iterdir()) == [
            "availability.csv",
            "correlations.csv",
            "effective_weights.csv",
            "indicators.csv",
            "nodes.csv",
            "pathways.csv",
            "run.json",
            "statistics.csv",
            "units.csv",
        ]

    def test_units_table_is_sorted_by_rank(self, city_project):
        out = city_project.root / "out"
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        rows = read_csv(out / "units.csv")
        assert [r["unit"] for r in rows] == ["C", "B", "A"]
        assert [r["t_rank"] for r in rows] == ["1", "2", "3"]
        assert [float(r["t_score"]) for r in rows] == pytest.approx([80, 70, 0])
        assert [r["connections_rank"] for r in rows] == ["2", "1", "3"]
        assert rows[0]["label"] == "C"
        assert list(rows[0]) == [
            "unit",
            "label",
            "t_score",
            "t_rank",
            "connections_score",
            "connections_rank",
            "reach_score",
            "reach_rank",
            "size_score",
            "size_rank",
            "capacity_score",
            "capacity_rank",
        ]

    def test_indicator_values_and_nodes(self, city_project):
        out = city_project.root / "out"
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        raw = {r["unit"]: r for r in read_csv(out / "indicators.csv")}
        assert raw["B"] == {"unit": "B", "reach": "8.0", "capacity": "40.0"}
        nodes = {r["node"]: r for r in read_csv(out / "nodes.csv")}
        assert nodes["connections"]["parent"] == "t"
        assert nodes["connections"]["weight_written"] == "40%"
        assert float(nodes["connections"]["weight"]) == 0.4
        assert nodes["connections"]["kind"] == "dimension" and nodes["t"]["kind"] == "index"
        assert nodes["reach"]["kind"] == "indicator" and nodes["reach"]["better"] == "higher"
        assert nodes["size"]["title"] == "Size" and nodes["size"]["aggregator"] == "arithmetic"
        assert nodes["capacity"]["normaliser"] == "minmax(low=0.0, high=100.0)"

    def test_pathways_table(self, city_project):
        out = city_project.root / "out"
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        rows = read_csv(out / "pathways.csv")
        assert [(r["unit_a"], r["unit_b"], r["t_rank"]) for r in rows] == [
            ("B", "C", "1"),
            ("A", "C", "2"),
            ("A", "B", "3"),
        ]
        assert [float(r["t_score"]) for r in rows] == pytest.approx([100, 30, 20])
        assert [float(r["reach_score"]) for r in rows] == pytest.approx([100, 0, 50])

    def test_run_record(self, city_project):
        out = city_project.root / "out"
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        record = json.loads((out / "run.json").read_text())
        assert record["index"]["name"] == "t" and record["index"]["edition"] == "2024"
        assert record["units"] == {"name": "c", "count": 3}
        assert record["pathways"] == {"table": "p", "count": 3, "left_out": []}
        assert record["fitted"]["reach"] == {"min": 4.0, "max": 8.0}
        agreement = record["agreement_with_reference_ranks"]["t"]
        # computed ranks A 3, B 2, C 1 against published A 3, B 1, C 2
        assert agreement["exact"] == 1 and agreement["n"] == 3
        assert agreement["spearman"] == pytest.approx(0.5)
        assert agreement["max_abs_difference"] == 1.0
        index_sha = hashlib.sha256((city_project.root / "index.idx").read_bytes()).hexdigest()
        assert record["provenance"]["index"]["sha256"] == index_sha
        units_sha = hashlib.sha256((city_project.root / "units.csv").read_bytes()).hexdigest()
        assert units_sha in record["provenance"]["data"].values()
        assert len(record["provenance"]["data"]) == 2
        assert "time" in record

    def test_warnings_are_recorded(self, project):
        project.index(
            simple_index({"x": "c.x", "y": "c.y", "z": "c.z"}, "x 33%\ny 33%\nz 33%"),
            {"units.csv": units_csv({"x": [1, 2], "y": [2, 1], "z": [1, 3]})},
        )
        out = project.root / "out"
        result = project.cli("run", "index.idx", "--quiet", "--out", out)
        assert result.code == 0
        assert "warning[W253]" in result.err
        record = json.loads((out / "run.json").read_text())
        assert [w["code"] for w in record["warnings"]] == ["W253"]

    def test_missing_scores_are_empty_cells_ranked_last(self, project):
        project.index(
            simple_index({"x": "c.x"}, "x"), {"units.csv": units_csv({"x": [1, "NA", 3]})}
        )
        project.cli("run", "index.idx", "--quiet", "--out", "out")
        rows = read_csv(project.root / "out" / "units.csv")
        assert [(r["unit"], r["t_score"], r["t_rank"]) for r in rows] == [
            ("u2", "100.0", "1"),
            ("u0", "0.0", "2"),
            ("u1", "", "0"),
        ]


class TestFormulaNeutralisation:
    @pytest.mark.parametrize(
        "text, expected",
        [
            ("=1+2", "'=1+2"),
            ("+41", "'+41"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("Zürich", "Zürich"),
            ("a=b", "a=b"),
            ("", ""),
        ],
    )
    def test_safe_text(self, text, expected):
        assert safe_text(text) == expected

    def test_text_cells_are_neutralised_numbers_are_not(self, project):
        text = simple_index(
            {"x": "c.x lower is better normalise zscore"}, 'x\nd "=HYPERLINK(1)" { y }'
        ).replace('index t "Test index"', 'index t "+evil"')
        text = text.replace("indicator x", "indicator y = c.y\nindicator x").replace(
            "  label name\n", "  label name\n  groups region\n"
        )
        units = (
            "id,name,region,x,y\n"
            '=cmd,"@label",-north,1,5\n'
            "ok,+label,south,2,6\n"
            "fine,plain,=2*3,4,7\n"
        )
        project.index(text, {"units.csv": units})
        out = project.root / "out"
        assert project.cli("run", "index.idx", "--quiet", "--out", out).code == 0
        units_rows = read_csv(out / "units.csv")
        by_unit = {r["unit"]: r for r in units_rows}
        assert set(by_unit) == {"'=cmd", "ok", "fine"}
        assert by_unit["'=cmd"]["label"] == "'@label"
        assert by_unit["'=cmd"]["region"] == "'-north"
        assert by_unit["ok"]["label"] == "'+label"
        assert by_unit["fine"]["region"] == "'=2*3"
        # a negative score is a number, written as one
        assert by_unit["fine"]["x_score"].startswith("-") and float(by_unit["fine"]["x_score"]) < 0
        assert {r["unit"] for r in read_csv(out / "indicators.csv")} == {"'=cmd", "ok", "fine"}
        titles = {r["node"]: r["title"] for r in read_csv(out / "nodes.csv")}
        assert titles["d"] == "'=HYPERLINK(1)"
        assert titles["t"] == "'+evil"
        for path in out.glob("*.csv"):
            for row in csv.reader(io.StringIO(path.read_text())):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@")), (path.name, cell)

    def test_pathway_unit_cells_are_neutralised(self, project):
        text = simple_index({"f": "sum(p.v)"}, "pathways p\nf", pairs=PAIRS)
        project.index(
            text,
            {
                "units.csv": units_csv({"x": [0, 0, 0]}, keys=["=a", "b", "@c"]),
                "pairs.csv": "a,b,v\n=a,b,1\nb,@c,2\n",
            },
        )
        out = project.root / "out"
        assert project.cli("run", "index.idx", "--quiet", "--out", out).code == 0
        cells = {(r["unit_a"], r["unit_b"]) for r in read_csv(out / "pathways.csv")}
        assert cells == {("'=a", "b"), ("b", "'@c")}


class TestAtomicWrites:
    def test_no_staging_folder_is_left_behind(self, city_project):
        out = city_project.root / "out"
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        assert not [p for p in out.iterdir() if p.name.startswith(".")]
        assert all(p.is_file() for p in out.iterdir())

    def test_other_files_in_the_folder_are_left_alone(self, city_project):
        out = city_project.root / "out"
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        (out / "units.csv").write_text("stale")
        city_project.cli("run", "index.idx", "--quiet", "--out", out)
        assert (out / "notes.txt").read_text() == "mine"
        assert (out / "units.csv").read_text().startswith("unit,label,")

    def test_a_failed_write_leaves_no_staging_folder(self, city_project, monkeypatch):
        result, session = city_project.run()
        out = city_project.root / "out"
        real_replace = os.replace
        calls = []

        def flaky_replace(src, dst):
            calls.append(dst)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
            real_replace(src, dst)

        monkeypatch.setattr(writing.os, "replace", flaky_replace)
        with pytest.raises(OSError):
            write_outputs(result, out, city_project.root / "index.idx", [], session.registry)
        assert [p.name for p in out.iterdir()] == [calls[0].name]  # no staging, no run.json
        assert not (out / "run.json").exists()

    def test_run_json_is_written_last(self, city_project, monkeypatch):
        result, session = city_project.run()
        order = []
        real_replace = os.replace
        monkeypatch.setattr(
            writing.os,
            "replace",
            lambda s, d: (order.append(os.path.basename(d)), real_replace(s, d)),
        )
        write_outputs(result, city_project.root / "o", city_project.root / "index.idx", [], None)
        assert order[-1] == "run.json"


class TestReproducible:
    def test_outputs_are_byte_identical_apart_from_the_time(self, city_project):
        root = city_project.root
        assert city_project.cli("run", "index.idx", "--quiet", "--out", root / "one").code == 0
        assert city_project.cli("run", "index.idx", "--quiet", "--out", root / "two").code == 0
        names = sorted(p.name for p in (root / "one").iterdir())
        assert names == sorted(p.name for p in (root / "two").iterdir())
        for name in names:
            first, second = (root / "one" / name).read_bytes(), (root / "two" / name).read_bytes()
            if name != "run.json":
                assert first == second, name
                continue
            lines = [
                [line for line in text.splitlines() if not line.strip().startswith('"time"')]
                for text in (first.decode(), second.decode())
            ]
            assert lines[0] == lines[1]
            one, two = json.loads(first), json.loads(second)
            one.pop("time"), two.pop("time")
            assert one == two


def test_large_tables_written_by_arrow_read_back_the_same_values(monkeypatch):
    """A table of millions of cells goes to pyarrow's CSV writer; it writes numbers in
    its own style (`100` for `100.0`) but the same values, exactly, and the same rows in
    the same order as the row-by-row writer."""
    pytest.importorskip("pyarrow")
    import csv as csv_module
    import io as io_module

    import numpy as np

    rng = np.random.default_rng(3)
    values = rng.normal(size=500) * 10.0 ** rng.integers(-8, 8, 500)
    values[[3, 17]] = np.nan
    values[5] = -0.0
    ranks = rng.integers(0, 50, 500)
    names = [f"u{i}" if i % 7 else f'=u "{i}", x' for i in range(500)]
    columns = [("text", names), ("number", values), ("int", ranks)]
    header = ["unit", "x_score", "x_rank"]
    order = results._rank_order(ranks, names)
    small = results._table_csv(header, columns, order)
    monkeypatch.setattr(results, "LARGE_TABLE", 0)
    assert (results._rank_order(ranks, names) == order).all()
    streamed = results._table_csv(header, columns, order)
    assert isinstance(streamed, results.StreamedCsv)
    monkeypatch.setattr(results.StreamedCsv, "BATCH", 64)  # several batches, one header
    large = streamed.text()
    assert large != small  # the arrow writer did write it

    def read(text):
        return list(csv_module.reader(io_module.StringIO(text)))

    for a, b in zip(read(small), read(large), strict=True):
        assert a[0] == b[0] and a[2] == b[2]
        if a[1] in ("", "x_score"):
            assert a[1] == b[1]
        else:
            assert float(a[1]) == float(b[1])
