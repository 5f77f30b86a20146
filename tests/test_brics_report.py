"""`indices/brics.idx` beside what the 2024 BRICS Smart City Index publishes.

The press release (indices/data/brics/published/) prints no score and no rank: a city
count, the member countries, the cities of the overall top 10 %, two cities of two
sub-index tiers and a statement about continents.  Each test recomputes the comparison
from the run and the transcribed files, prints the agreement, and checks it against the
figure recorded in indices/data/brics/README.md ("Agreement with the report").
The selection rule is recomputed here from the source files, independently of
make_cities.py.  Also: W407, a top tier that ties make hold more than its share.
"""

from __future__ import annotations

import csv
import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from indexdsl import cli
from indexdsl.pipeline import run_file

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "indices" / "brics.idx"
DATA = ROOT / "indices" / "data" / "brics"
PUBLISHED = DATA / "published"
SUB_INDICES = ["digital", "transport", "openness", "culture", "innovation", "institutional"]
MEMBERS_2024 = {"BR", "RU", "IN", "CN", "HK", "ZA", "EG", "ET", "IR", "AE", "SA"}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def base():
    result, _ = run_file(BASE)
    return result


def _tier(result, node: str) -> set[str]:
    ranks = result.units.ranks[node]
    share = math.ceil(0.1 * int((ranks > 0).sum()))
    return {key for key, rank in zip(result.data.keys, ranks, strict=True) if 0 < rank <= share}


def _agreement_in_readme() -> str:
    return (DATA / "README.md").read_text(encoding="utf-8")


# --- the 138 cities ------------------------------------------------------------------


def test_the_rule_selects_138_cities_of_the_2024_members(base):
    """Recomputed from the sources: GeoNames cities of >= 1.6 million in a member of
    2024, districts left out, plus New Cairo, which the report names."""
    rows = _read(DATA / "brics11_cities_geonames_1m.csv") + _read(DATA / "added_cities.csv")
    districts = {c["geonames_id"] for c in _read(DATA / "cities.csv") if c["part_of"]}
    selected = {
        c["geonames_id"]
        for c in rows
        if c["iso2"] in MEMBERS_2024
        and c["geonames_id"] not in districts
        and (c["city"] == "New Cairo" or int(c["geonames_population"] or 0) >= 1_600_000)
    }
    assert len(selected) == 138
    assert set(base.data.keys) == selected
    labels = dict(zip(base.data.keys, base.data.labels, strict=True))
    assert {"Hong Kong", "New Cairo"} <= set(labels.values())
    countries = set(base.data.groups["country"])
    assert "Indonesia" not in countries and len(countries) == 10
    statement = next(s for s in _read(PUBLISHED / "statements.csv") if s["id"] == "cities")
    assert "138 cities" in statement["statement_as_printed"]


def test_per_country_counts_are_documented(base):
    counts: dict[str, int] = {}
    for country in base.data.groups["country"]:
        counts[country] = counts.get(country, 0) + 1
    readme = _agreement_in_readme()
    for country, n in counts.items():
        assert f"| {country} | {n} |" in readme, (country, n)


# --- W407: a tier that ties make hold more than its share --------------------------


def test_overfull_tiers_are_warned_with_their_count(base):
    share = math.ceil(0.1 * len(base.data.keys))
    expected = {}
    for node in [base.graph.root, *SUB_INDICES]:
        held = len(_tier(base, node))
        if held > share:
            expected[node] = held
    # national values tie the Chinese cities at the cut-off of three sub-indices
    assert set(expected) == {"digital", "innovation", "institutional"}
    warned = {}
    for d in base.warnings:
        if d.code == "W407":
            node = d.message.split("`")[3]
            warned[node] = d.message
    assert set(warned) == set(expected)
    for node, held in expected.items():
        assert f"holds {held} of 138 units, not {share}" in warned[node]


def test_overfull_tier_is_recorded_in_run_json(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", str(BASE), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "W407" in captured.out + captured.err  # shown in the terminal
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    codes = [w["code"] for w in record["warnings"]]
    assert codes.count("W407") == 3


def _tiny(tmp_path: Path, values: str) -> tuple:
    (tmp_path / "u.csv").write_text("id,x\n" + values, encoding="utf-8")
    (tmp_path / "t.idx").write_text(
        textwrap.dedent(
            """\
            index t "T" { }
            units c { from csv("u.csv") key id }
            indicator x = c.x
            framework {
              top 20%
              x
            }
            """
        ),
        encoding="utf-8",
    )
    result, _ = run_file(tmp_path / "t.idx")
    return result, [d for d in result.warnings if d.code == "W407"]


def test_tier_tied_at_the_cut_off_is_warned(tmp_path):
    # 10 units, top 20 % = 2; three units tie at rank 2, so the tier holds 4
    _, warned = _tiny(tmp_path, "a,9\nb,5\nc,5\nd,5\ne,1\nf,1\ng,1\nh,1\ni,0\nj,0\n")
    (d,) = warned
    assert d.message.startswith("`top 20%` of `t` holds 4 of 10 units, not 2: 3 units tie")


def test_tier_without_ties_is_quiet(tmp_path):
    _, warned = _tiny(tmp_path, "a,9\nb,8\nc,5\nd,5\ne,1\nf,1\ng,1\nh,1\ni,0\nj,0\n")
    assert warned == []


# --- continents ----------------------------------------------------------------------


def test_continent_is_a_group_and_russia_is_split(base):
    groups = base.data.groups
    assert "continent" in groups
    labels = dict(zip(base.data.labels, groups["continent"], strict=True))
    assert labels["Moscow"] == "Europe" and labels["Novosibirsk"] == "Asia"
    assert labels["Hong Kong"] == "Asia" and labels["New Cairo"] == "Africa"
    assert set(groups["continent"]) == {"Asia", "Europe", "Africa", "South America"}


def test_asian_cities_lead_as_the_report_says(base):
    """'Asian cities hold significant advantages in both overall score and sub-index
    rankings': the best city of every ranking is Asian, and Asian cities hold a larger
    share of the overall top 10 % than of the cities."""
    continent = np.array(base.data.groups["continent"], dtype=object)
    rankings = [base.graph.root, *SUB_INDICES]
    best_is_asian = [
        node for node in rankings if set(continent[base.units.ranks[node] == 1]) == {"Asia"}
    ]
    tier = _tier(base, base.graph.root)
    in_tier = np.array([key in tier for key in base.data.keys])
    asian_share_tier = (continent[in_tier] == "Asia").mean()
    asian_share_all = (continent == "Asia").mean()
    print(
        f"best city Asian in {len(best_is_asian)} of {len(rankings)} rankings; "
        f"Asian share: top 10 % {asian_share_tier:.0%}, all cities {asian_share_all:.0%}"
    )
    assert len(best_is_asian) == len(rankings) == 7
    assert asian_share_tier > asian_share_all
    assert "best city is Asian in 7 of 7 rankings" in _agreement_in_readme()


# --- the named top-10 % cities ---------------------------------------------------------


def test_overall_top_ten_percent_against_the_release(base):
    published = _read(PUBLISHED / "top10_overall.csv")
    assert len(published) == 13
    named = {row["geonames_id"] for row in published}
    assert named <= set(base.data.keys)  # every named city is scored
    ours = _tier(base, base.graph.root)
    agree = named & ours
    labels = dict(zip(base.data.keys, base.data.labels, strict=True))
    print(
        f"overall top 10 %: {len(agree)} of {len(named)} named cities in ours "
        f"({len(ours)} cities); missing: {sorted(labels[k] for k in named - ours)}"
    )
    assert len(agree) == 9
    assert "9 of the 13 cities" in _agreement_in_readme()


def test_sub_index_top_ten_percent_against_the_release(base):
    published = _read(PUBLISHED / "top10_subindices.csv")
    assert {row["ranking"] for row in published} == {"digital", "institutional"}
    agree = sum(row["geonames_id"] in _tier(base, row["ranking"]) for row in published)
    print(f"sub-index top 10 %: {agree} of {len(published)} (Cairo, New Cairo)")
    # Egypt's national values rank every Egyptian city below the tied Chinese cities
    assert agree == 0
    assert "0 of 4" in _agreement_in_readme()


def test_only_four_countries_reach_the_overall_top_ten_percent(base):
    """'cities in China, Russia, the UAE, and Saudi Arabia possessing strong ...
    competitiveness ... Cities in other BRICS countries ... can hardly compete'."""
    statement = next(s for s in _read(PUBLISHED / "statements.csv") if s["id"] == "imbalance")
    assert "can hardly compete" in statement["statement_as_printed"]
    strong = {"China", "Russia", "United Arab Emirates", "Saudi Arabia"}
    country = dict(zip(base.data.keys, base.data.groups["country"], strict=True))
    tier = _tier(base, base.graph.root)
    inside = sum(country[key] in strong for key in tier)
    print(f"overall top 10 %: {inside} of {len(tier)} cities in the four countries")
    assert inside == len(tier) == 14
    assert "14 of 14" in _agreement_in_readme()
