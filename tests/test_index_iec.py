"""The International Exchange Centers Index example: `indices/iec.idx` and its data.

Most of its indicators use ILLUSTRATIVE values tuned to the report's published ranks, so
agreement with the report is asserted only where the data are real (the
business-friendliness dimension reads the World Bank's national Doing Business scores,
as the report does).  Expected values are read from the data files and the report's
appendix, not from an earlier run.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexdsl.output.results import rank_changes
from indexdsl.pipeline import run_file

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "indices" / "iec.idx"
DATA = ROOT / "indices" / "data" / "iec"
FIRST = ["attractiveness", "influence", "connectivity"]
SECOND = {
    "attractiveness": ["livability", "business", "career", "tourism"],
    "influence": ["affairs", "scitech", "economy", "culture"],
    "connectivity": ["transport", "digital", "communication"],
}
NEW_IN_2024 = {"brussels", "stockholm", "istanbul", "rio_de_janeiro", "cairo", "johannesburg"}
# indicators that read only national values standing in for city values
COUNTRY_STAND_INS = {"doing_business", "gdp_per_capita", "gdp", "patents", "broadband"}
ILLUSTRATIVE = {
    "living_environment",
    "medical_services",
    "crime_rate_index",
    "startup_ecosystem",
    "unicorns",
    "inbound_tourists",
    "embassies",
    "igo_hq",
    "ngo_hq",
    "science_papers",
    "global500_hq",
    "financial_centre",
    "top_universities",
    "humanities_papers",
    "network_speed",
    "icca_meetings",
    "ufi_exhibitions",
}


def _cities() -> list[dict[str, str]]:
    with (DATA / "cities.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _spearman(a, b) -> float:
    def average_ranks(x):
        x = np.asarray(x, float)
        return np.array([np.sum(x < v) + (np.sum(x == v) + 1) / 2 for v in x])

    return float(np.corrcoef(average_ranks(a), average_ranks(b))[0, 1])


@pytest.fixture(scope="module")
def result():
    computed, _ = run_file(INDEX)
    return computed


def test_the_index_ranks_the_43_cities(result):
    cities = _cities()
    assert len(cities) == 43
    assert list(result.data.keys) == [c["city_id"] for c in cities]
    assert result.graph.root == "iec"
    assert [c.name for c in result.graph.model.root.children] == FIRST
    for first in FIRST:
        node = next(c for c in result.graph.model.root.children if c.name == first)
        assert [c.name for c in node.children] == SECOND[first]
    assert len(result.graph.model.indicators) == 25


def test_published_ranks_and_scores_parse(result):
    cities = _cities()
    references = result.data.references
    assert set(references) == {"iec", *FIRST, *(n for f in FIRST for n in SECOND[f])}
    for node, published in references.items():
        assert np.isfinite(published).all(), node
        # competition ranks from 1 to 43 (ties share the best rank)
        assert published.min() == 1 and published.max() <= 43, node
        assert sorted(published) == sorted(1 + np.sum(published < v) for v in published), node
    # Appendix 1: London first, Nairobi last; Munich and Washington tie at 24
    overall = dict(zip(result.data.keys, references["iec"], strict=True))
    assert overall["london"] == 1 and overall["nairobi"] == 43
    assert overall["munich"] == overall["washington"] == 24
    scores, _ = result.data.reference_scores["iec"]
    legible = [c for c in cities if c["published_score"]]
    assert int(np.isfinite(scores).sum()) == len(legible) == 28
    assert np.nanmax(scores) == 100.0  # London
    assert ((scores[np.isfinite(scores)] >= 60) & (scores[np.isfinite(scores)] <= 100)).all()


def test_every_level_is_on_the_60_to_100_scale(result):
    nodes = ["iec", *FIRST, *(n for f in FIRST for n in SECOND[f])]
    for node in nodes:
        scores = result.units.scores[node]
        scored = scores[np.isfinite(scores)]
        assert scored.min() == pytest.approx(60), node
        assert scored.max() == pytest.approx(100), node
        ranks = result.units.ranks[node]
        order = np.argsort(-np.where(np.isfinite(scores), scores, -np.inf), kind="stable")
        assert (np.diff(ranks[order][ranks[order] > 0]) >= 0).all(), node
    # OpenFlights has no row for three cities: their transport score is missing, and
    # connectivity is averaged over the other two dimensions
    missing = {"montreal", "san_diego", "seattle"}
    keys = list(result.data.keys)
    for key in missing:
        i = keys.index(key)
        assert np.isnan(result.units.scores["transport"][i])
        assert result.units.ranks["transport"][i] == 0
        assert np.isfinite(result.units.scores["connectivity"][i])


def test_illustrative_indicators_are_flagged(result):
    assert result.graph.illustrative == ILLUSTRATIVE
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in readme and "make_illustrative.py" in readme
    with (DATA / "illustrative.csv").open(encoding="utf-8") as handle:
        columns = next(csv.reader(handle))[1:]
    for column in columns:
        assert f"`{column}`" in readme, column
    table = result.graph.model.tables["illus"]
    assert set(table.illustrative) == set(columns)


def test_country_stand_ins_are_constant_within_a_country(result):
    model = result.graph.model
    national = {
        name
        for name, indicator in model.indicators.items()
        if indicator.columns and all(ref.table == "country" for ref in indicator.columns)
    }
    assert national == COUNTRY_STAND_INS
    index_text = INDEX.read_text(encoding="utf-8")
    readme = (DATA / "README.md").read_text(encoding="utf-8").lower()
    assert "country values standing in for city values" in index_text.lower()
    assert "country values standing in for city values" in readme
    iso3 = np.array([c["iso3"] for c in _cities()], dtype=object)
    for name in sorted(national):
        raw = result.units.raw[name]
        for country in set(iso3):
            assert np.ptp(raw[iso3 == country]) == 0, (name, country)


def test_rank_changes_against_the_2023_edition(result):
    cities = _cities()
    previous = result.data.previous["iec"]
    assert int(np.isfinite(previous).sum()) == 37  # the 2023 edition ranked 37 cities
    assert sorted(previous[np.isfinite(previous)]) == list(range(1, 38))
    markers = rank_changes(result, "iec")
    for city, marker in zip(cities, markers, strict=True):
        if city["city_id"] in NEW_IN_2024:
            assert marker == "new", city["city_id"]
        else:
            assert marker.split()[0] in {"rose", "unchanged", "dropped"}, city["city_id"]


def test_top_ten_percent_and_groups(result):
    n = len(result.data.keys)
    for node in ["iec", *FIRST]:
        assert result.graph.nodes[node].top == pytest.approx(0.1), node
        assert (result.units.ranks[node] <= math.ceil(0.1 * n)).sum() >= 5, node
    groups = result.data.groups
    assert list(groups) == ["region", "capital", "population_band"]
    assert groups["capital"].count("yes") == 19
    assert set(groups["population_band"]) == {"under 1m", "1-5m", "5-10m", "over 10m"}


def test_real_doing_business_data_agree_with_the_published_business_ranks(result):
    """The only dimension without illustrative data that the report also computes from
    the same source: the World Bank's (national) Doing Business scores."""
    computed = result.units.ranks["business"]
    published = result.data.references["business"]
    assert "business" not in result.graph.illustrative
    assert _spearman(computed, published) > 0.95


def test_the_scripts_recreate_the_derived_files(tmp_path):
    """build_real.py and make_illustrative.py rewrite the committed files byte for byte."""
    inputs = [
        "cities.csv",
        "country_indicators_latest.csv",
        "city_air_connectivity.csv",
        "city_world_heritage_counts.csv",
    ]
    scripts = ["build_real.py", "make_illustrative.py"]
    for name in inputs + scripts:
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    for script in scripts:
        subprocess.run([sys.executable, str(tmp_path / script)], check=True, capture_output=True)
    for name in ["city_country_indicators.csv", "illustrative.csv"]:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
