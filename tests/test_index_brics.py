"""The BRICS smart-city example: `indices/brics.idx` and its reuse `indices/brics_large.idx`.

The base index ranks 138 cities of the ten BRICS members of 2024 (the rule of
data/brics/make_cities.py, column `excluded_because`); the extending file applies the
same method to the 33 of them of at least 5 million.  Expected counts are recomputed here from
the data files, not taken from an earlier run.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexdsl.pipeline import run_file

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "indices" / "brics.idx"
LARGE = ROOT / "indices" / "brics_large.idx"
DATA = ROOT / "indices" / "data" / "brics"
SUB_INDICES = ["digital", "transport", "openness", "culture", "innovation", "institutional"]
# indicators built only from country values standing in for city values
COUNTRY_STAND_INS = {
    "internet_users",
    "fixed_broadband",
    "mobile",
    "fdi_inflows",
    "trade_openness",
    "patents",
    "science",
    "high_tech_exports",
    "business_environment",
    "homicides",
}


def _cities() -> list[dict[str, str]]:
    with (DATA / "cities.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def base():
    result, _ = run_file(BASE)
    return result


@pytest.fixture(scope="module")
def large():
    result, _ = run_file(LARGE)
    return result


def test_base_ranks_every_city_but_the_districts(base):
    cities = _cities()
    assert len(cities) == 306
    expected = {c["geonames_id"] for c in cities if not c["excluded_because"]}
    assert not any(c["part_of"] for c in cities if c["geonames_id"] in expected)
    assert len(expected) == 138
    assert sorted(base.data.keys) == sorted(expected)


def test_large_ranks_the_cities_of_five_million_or_more(large):
    expected = {
        c["geonames_id"]
        for c in _cities()
        if not c["excluded_because"] and c["population"] and int(c["population"]) >= 5_000_000
    }
    assert len(expected) == 33
    assert sorted(large.data.keys) == sorted(expected)
    assert set(large.data.groups["size_class"]) == {"5-10m", "10m+"}


@pytest.mark.parametrize("fixture", ["base", "large"])
def test_rankings_at_every_sub_index(request, fixture):
    result = request.getfixturevalue(fixture)
    n = len(result.data.keys)
    root = result.graph.root
    assert [c.name for c in result.graph.model.root.children] == SUB_INDICES
    for node in [root, *SUB_INDICES]:
        ranks = result.units.ranks[node]
        scores = result.units.scores[node]
        assert len(ranks) == n
        assert (ranks > 0).all(), node  # every city is scored and ranked
        assert np.isfinite(scores).all(), node
        assert ranks.min() == 1
        # competition ranks: a better score never has a worse rank
        order = np.argsort(-scores, kind="stable")
        assert (np.diff(ranks[order]) >= 0).all(), node


@pytest.mark.parametrize("fixture", ["base", "large"])
def test_top_ten_percent_tiers(request, fixture):
    result = request.getfixturevalue(fixture)
    n = len(result.data.keys)
    cutoff = math.ceil(0.1 * n)
    for node in [result.graph.root, *SUB_INDICES]:
        assert result.graph.nodes[node].top == pytest.approx(0.1), node
        tier = result.units.ranks[node] <= cutoff
        assert tier.sum() >= cutoff, node  # ties at the cut-off are all in


def test_groups_are_country_and_size(base):
    groups = base.data.groups
    assert list(groups) == ["country", "continent", "size_class", "iso3"]
    assert len(set(groups["country"])) == 10
    assert set(groups["iso3"]) == {
        "HKG",
        "BRA",
        "RUS",
        "IND",
        "CHN",
        "ZAF",
        "EGY",
        "ETH",
        "IRN",
        "ARE",
        "SAU",
    }


def test_extending_file_reuses_the_base_method(base, large):
    assert base.graph.root == "brics"
    assert large.graph.root == "brics_large"
    assert set(large.graph.model.indicators) == set(base.graph.model.indicators)
    for name, indicator in base.graph.model.indicators.items():
        other = large.graph.model.indicators[name]
        assert other.title == indicator.title
        assert other.higher_is_better == indicator.higher_is_better
    assert large.graph.illustrative == base.graph.illustrative == {"visitors"}
    # the extending file itself declares no indicator and no framework
    text = LARGE.read_text(encoding="utf-8")
    assert re.search(r'^extends "brics\.idx"', text, re.M)
    assert not re.search(r"^\s*(indicator|framework|table)\b", text, re.M)
    # a different unit set, not a copy of the base one
    assert set(large.data.keys) < set(base.data.keys)


def test_raw_values_agree_between_the_two_unit_sets(base, large):
    """Same indicators, same data: a city's raw value does not depend on the unit set
    (its normalised score does, since min-max is fitted on each set)."""
    position = {key: i for i, key in enumerate(base.data.keys)}
    rows = [position[key] for key in large.data.keys]
    for name in base.graph.model.indicators:
        np.testing.assert_allclose(
            large.units.raw[name], base.units.raw[name][rows], equal_nan=True, err_msg=name
        )


def test_country_stand_ins_are_documented(base):
    model = base.graph.model
    reads_national = {
        name
        for name, indicator in model.indicators.items()
        if any(ref.table == "national" for ref in indicator.columns)
    }
    assert reads_national == COUNTRY_STAND_INS
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    index_text = BASE.read_text(encoding="utf-8")
    assert "COUNTRY VALUES STAND IN FOR CITY VALUES" in index_text
    assert "country values standing in for city values" in readme.lower()
    for name in sorted(reads_national):
        assert "(country" in model.indicators[name].title, name
        assert f"`{name}`" in readme, name
        for ref in model.indicators[name].columns:
            assert f"`{ref.column}`" in readme, ref.column
    # and they are constant within each country (Hong Kong has its own values)
    countries = np.array(base.data.groups["iso3"], dtype=object)
    for name in sorted(reads_national):
        raw = base.units.raw[name]
        for country in set(countries):
            values = raw[countries == country]
            values = values[np.isfinite(values)]
            assert np.ptp(values) == 0 if len(values) else True, (name, country)


def test_illustrative_data_are_declared_and_documented(base):
    assert base.graph.illustrative == {"visitors"}
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in readme and "make_illustrative.py" in readme
    assert "illustrative inbound_visitors_k" in BASE.read_text(encoding="utf-8")


def test_the_scripts_recreate_the_derived_files(tmp_path):
    """make_cities.py and make_illustrative.py rewrite the committed files byte for byte."""
    sources = [
        "brics11_cities_geonames_1m.csv",
        "added_cities.csv",
        "country_indicators_latest.csv",
    ]
    scripts = ["make_cities.py", "make_illustrative.py"]
    for name in sources + scripts:
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    for script in scripts:
        subprocess.run([sys.executable, str(tmp_path / script)], check=True, capture_output=True)
    for name in ["cities.csv", "city_country_values.csv", "city_tourism_illustrative.csv"]:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
