"""Conformance: `indices/gdi.idx` and `indices/ihdi.idx` reproduce UNDP's published
Gender Development Index (with the female and male HDIs) and Inequality-adjusted HDI.

Both files write the technical notes' formulas with formula nodes: GDI = female HDI /
male HDI, IHDI = the geometric mean of (1 - A_x) * I_x.  Every value the Human
Development Report 2023/24 publishes (`gdi_Y`, `hdi_f_Y`, `hdi_m_Y`, `ihdi_Y`), for
every country and every year 1990-2022, is compared with the computed node to 3
decimals: |computed - published| <= 0.0005.  The HDI each file computes beside its
index, as an auxiliary node, is checked against `hdi_Y` too.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from indexdsl.pipeline import run_file

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "indices" / "data" / "hdi" / "HDR23-24_Composite_indices_complete_time_series.csv"
YEARS = range(1990, 2023)
HALF_UNIT = 0.0005 + 1e-9


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with DATA.open(encoding="latin-1") as handle:
        return [r for r in csv.DictReader(handle) if not r["iso3"].startswith("ZZ")]


def published(rows, column: str) -> dict[str, float]:
    return {r["iso3"]: float(r[column]) for r in rows if r[column].strip()}


def compare(result, node: str, expected: dict[str, float]) -> int:
    scores = result.units.scores[node]
    keys = list(result.data.keys)
    for iso3, value in expected.items():
        computed = float(scores[keys.index(iso3)])
        assert not math.isnan(computed), f"{node} {iso3}: published but not computed"
        assert abs(computed - value) <= HALF_UNIT, (node, iso3, computed, value)
    return len(expected)


@pytest.mark.parametrize("year", YEARS)
def test_gdi_and_the_female_and_male_hdi_of_every_year(rows, year):
    result, _ = run_file(ROOT / "indices" / "gdi.idx", parameters={"year": str(year)})
    root = result.graph.root
    counted = compare(result, root, published(rows, f"gdi_{year}"))
    compare(result, "hdi_f", published(rows, f"hdi_f_{year}"))
    compare(result, "hdi_m", published(rows, f"hdi_m_{year}"))
    compare(result, "hdi", published(rows, f"hdi_{year}"))
    if f"gdi_group_{year}" in rows[0]:  # UNDP's five groups by distance from parity
        compare(result, "gdi_group", published(rows, f"gdi_group_{year}"))
    if year == 2022:
        assert counted == 182
        assert compare(result, "gdi_group", published(rows, "gdi_group_2022")) == 182


@pytest.mark.parametrize("year", range(2010, 2023))  # the IHDI is published from 2010
def test_ihdi_of_every_year(rows, year):
    result, _ = run_file(ROOT / "indices" / "ihdi.idx", parameters={"year": str(year)})
    counted = compare(result, result.graph.root, published(rows, f"ihdi_{year}"))
    compare(result, "hdi", published(rows, f"hdi_{year}"))
    if year == 2022:
        assert counted == 165


def test_the_gdi_is_the_ratio_of_its_two_nodes():
    result, _ = run_file(ROOT / "indices" / "gdi.idx")
    scores = result.units.scores
    np.testing.assert_allclose(
        scores[result.graph.root], scores["hdi_f"] / scores["hdi_m"], rtol=1e-15
    )


def test_the_auxiliary_hdi_is_not_part_of_the_ihdi(tmp_path):
    """The IHDI is the geometric mean of its three formula nodes only: the auxiliary
    HDI beside them is not a fourth child."""
    result, _ = run_file(ROOT / "indices" / "ihdi.idx")
    s = result.units.scores
    expected = np.cbrt(s["health_adjusted"] * s["education_adjusted"] * s["income_adjusted"])
    np.testing.assert_allclose(s[result.graph.root], expected, rtol=1e-12)
