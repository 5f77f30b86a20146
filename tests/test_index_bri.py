"""The Belt and Road Cities' Connectivity Index example against the report's tables.

Nine of its ten metrics are ILLUSTRATIVE values generated to reproduce the report's
published *city* ranks (`tuned to reference` in bri.idx), so agreement with those is
by construction and is not asserted here as a finding.  What is asserted: the report's
195 pathways, and for each of Tables 7, 8, 9, 11 and 12 that the agreement indexdsl
reports is the agreement an independent count finds between the output and the numbers
transcribed from the report (``indices/data/bri/published/``), and that the figures
recorded in the data README are those counts.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from indexdsl import cli
from indexdsl.output.results import pathway_agreement
from indexdsl.pipeline import run_file

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "indices" / "bri.idx"
DATA = ROOT / "indices" / "data" / "bri"
PUBLISHED = DATA / "published"
CATEGORIES = ["policy", "infrastructure", "trade", "finance", "people", "information"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _readme_figure(label: str) -> str:
    """The agreement figure the data README records on the line starting ``label``."""
    text = (DATA / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^\| {re.escape(label)} \| ([^|]+) \|", text, flags=re.MULTILINE)
    assert found, f"README records no figure for {label}"
    return found.group(1).strip()


@pytest.fixture(scope="module")
def result():
    computed, _ = run_file(INDEX)
    return computed


def _pathway_ranks(result, node: str) -> dict[frozenset, int]:
    keys, pairs = result.data.keys, result.pair_data
    ranks = result.pairs.ranks[node]
    return {
        frozenset((keys[a], keys[b])): int(r)
        for a, b, r in zip(pairs.a, pairs.b, ranks, strict=True)
    }


def test_195_pathways_without_china_china_pairs(result):
    cities = {r["city_id"]: r["country"] for r in _rows(DATA / "cities.csv")}
    keys, pairs = result.data.keys, result.pair_data
    assert len(pairs.a) == 195
    assert pairs.excluded == (("country", 36),)
    assert all(cities[keys[a]] != cities[keys[b]] for a, b in zip(pairs.a, pairs.b, strict=True))
    # a city's value is the sum over its pathways only: Beijing's flights leave out Shanghai
    flights = {
        frozenset((r["city_a"], r["city_b"])): float(r["air_routes"])
        for r in _rows(DATA / "pairs.csv")
    }
    beijing = keys.index("beijing")
    expected = sum(
        v
        for pair, v in flights.items()
        if "beijing" in pair and cities[min(pair)] != cities[max(pair)]
    )
    assert result.units.raw["flights"][beijing] == expected


def test_run_prints_195_pathways_and_the_top_5_of_each_dimension(capsys):
    code = cli.main(["run", str(INDEX), "--no-write"])
    out = capsys.readouterr().out
    assert code == 0
    assert "195 pathways scored (36 pairs of two units with the same country left out)" in out
    assert "Top 5 pathways in each dimension" in out
    assert "BY CONSTRUCTION" in out  # the illustrative values were tuned to the city ranks


@pytest.mark.parametrize(
    ("node", "column", "label"),
    [("bri", "table7_overall", "Table 7 (top 10 pathways)")]
    + [(c, f"table8_{c}", f"Table 8, {c}") for c in CATEGORIES],
)
def test_tables_7_and_8_pathway_agreement(result, node, column, label):
    published = {
        frozenset((r["city_a"], r["city_b"])): int(r[column])
        for r in _rows(PUBLISHED / "pathways.csv")
        if r[column]
    }
    computed = _pathway_ranks(result, node)
    top = max(published.values())
    same = sum(computed[p] == rank for p, rank in published.items())
    in_top = sum(computed[p] <= top for p in published)
    reported = pathway_agreement(result)[node]
    assert (reported["published"], reported["exact"], reported["in_top"], reported["top"]) == (
        len(published),
        same,
        in_top,
        top,
    )
    assert reported["not_scored"] == 0  # every published pathway is one of the 195
    assert (
        _readme_figure(label) == f"{same} of {len(published)} same rank; {in_top} in the top {top}"
    )


def test_table_9_chinese_and_international_cities_in_each_top_five(result):
    origin = dict(zip(result.data.keys, result.data.groups["origin"], strict=True))
    published = _rows(PUBLISHED / "table9.csv")
    agree = 0
    for category in ["policy", "infrastructure", "trade", "finance", "people"]:
        ranks = dict(zip(result.data.keys, result.units.ranks[category], strict=True))
        top = {k for k, r in ranks.items() if 0 < r <= 5}
        expected = {r["city_id"] for r in published if r["category"] == category}
        assert all(origin[r["city_id"]] == r["origin"] for r in published)
        chinese = sum(origin[k] == "Chinese" for k in top)
        agree += chinese == sum(origin[k] == "Chinese" for k in expected)
    assert _readme_figure("Table 9 (Chinese cities in each top five)") == f"{agree} of 5 categories"


def test_table_11_adding_information_connection(tmp_path, capsys):
    out = tmp_path / "whatif"
    code = cli.main(
        [
            "whatif",
            str(INDEX),
            "--add",
            "information",
            "--published",
            "published_information_effect",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    record = json.loads((out / "whatif.json").read_text())
    rows = {r["unit"]: r for r in _rows(out / "whatif.csv")}
    published = {r["city_id"]: int(r["change"]) for r in _rows(PUBLISHED / "table11.csv")}
    for row in rows.values():  # + is a rise when information connection is added
        assert int(row["change"] or 0) == int(row["rank_without"]) - int(row["rank"])
    same = sum(int(rows[k]["change"] or 0) == v for k, v in published.items())
    same_sign = sum(
        np.sign(int(rows[k]["change"] or 0)) == np.sign(v) for k, v in published.items()
    )
    assert record["published"] == {
        "column": "published_information_effect",
        "compared": len(published),
        "same_change": same,
    }
    assert _readme_figure("Table 11 (effect of adding information connection)") == (
        f"{same} of {len(published)} same change; {same_sign} of {len(published)} same direction"
    )


def test_table_12_against_the_global_cities_index(tmp_path, capsys):
    out = tmp_path / "compare"
    code = cli.main(["compare", str(INDEX), "--ranking", "gci_rank_among_22", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    record = json.loads((out / "compare.json").read_text())
    labels = {r["city_id"]: r["city"] for r in _rows(DATA / "cities.csv")}
    published = _rows(PUBLISHED / "table12.csv")
    regional = {labels[r["city_id"]] for r in published if r["group"].startswith("more")}
    global_ = {labels[r["city_id"]] for r in published if r["group"].startswith("strong")}
    got_regional, got_global = set(record["better_here"]), set(record["better_there"])
    agree = len(got_regional & regional) + len(got_global & global_)
    assert record["common_units"] == 17  # Urumqi and the four cities the table leaves out
    assert _readme_figure("Table 12 (BRI-influential vs globally influential)") == (
        f"{agree} of {len(published)} cities in the report's group; "
        f"Spearman ρ {record['spearman']:.3f}"
    )


def test_whatif_and_compare_refuse_unclear_requests_with_a_diagnostic(capsys):
    assert cli.main(["whatif", str(INDEX)]) != 0
    assert "--drop NODE" in capsys.readouterr().err
    assert cli.main(["whatif", str(INDEX), "--add", "trade", "--published", "published_efect"]) != 0
    err = capsys.readouterr().err
    assert "E713" in err and "`published_efect`" in err and "Traceback" not in err
    assert cli.main(["compare", str(INDEX)]) != 0
    assert "--ranking" in capsys.readouterr().err
    assert cli.main(["compare", str(INDEX), "--ranking", "gci_rank"]) != 0
    err = capsys.readouterr().err
    assert "E713" in err and "gci_rank_among_22" in err
    # a cell that is not a rank change: the region column
    assert cli.main(["whatif", str(INDEX), "--add", "trade", "--published", "region"]) != 0
    assert "E714" in capsys.readouterr().err


def test_a_text_column_is_no_ranking(capsys):
    assert cli.main(["compare", str(INDEX), "--ranking", "city"]) != 0
    err = capsys.readouterr().err
    assert "E714" in err and "is not a rank" in err and "rank change" not in err
