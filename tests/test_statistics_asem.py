"""The statistics of COINr's ASEM example (indices/asem.idx, COINr's raw data set),
checked against COINr's definitions computed here from the data files themselves
(``get_data_avail``: ``Dat_Avail = 1 - rowMeans(is.na(iData_))``, ``ByGroup`` per
pillar; ``get_stats``: ``N.Avail``, ``Min``, ``Std``, ``N.Unique``, ``Flag.SkewKurt``)
and against what COINr's own test of ``get_stats`` asserts (Flights is ``OUT``)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from indexdsl.analyses.statistics import compute
from indexdsl.pipeline import Session, run_file

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "indices" / "data" / "asem"


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def asem():
    result, _ = run_file(ROOT / "indices" / "asem.idx", Session())
    meta = [r for r in _read("ASEM_iMeta.csv") if r["Level"] == "1"]
    rows = _read("ASEM_iData.csv")
    codes = [m["iCode"] for m in meta]
    values = {
        c: np.array([float(r[c]) if r[c] not in ("", "NA") else np.nan for r in rows])
        for c in codes
    }
    return compute(result), meta, rows, values, result


def test_data_availability_is_coinrs(asem):
    stats, meta, rows, values, result = asem
    missing = np.sum([np.isnan(v) for v in values.values()], axis=0)
    dat_avail = 1 - missing / len(values)  # COINr's Dat_Avail
    by_unit = {r["unit"]: r for r in stats.availability.records()}
    for i, row in enumerate(rows):
        got = by_unit[row["uCode"]]
        assert got["missing"] == missing[i]  # N_missing
        assert got["coverage"] == pytest.approx(dat_avail[i], abs=1e-15)
    # COINr's ByGroup: availability within each pillar
    for pillar in {m["Parent"] for m in meta}:
        members = [m["iCode"] for m in meta if m["Parent"] == pillar]
        share = 1 - np.mean([np.isnan(values[c]) for c in members], axis=0)
        for i, row in enumerate(rows):
            assert by_unit[row["uCode"]][f"{pillar}_coverage"] == pytest.approx(share[i])
    assert min(r["coverage"] for r in by_unit.values()) == pytest.approx(39 / 49)
    assert stats.below == ()  # every ASEM unit has at least 2/3 of the indicators
    # at COINr's screening threshold of 85 % (screening vignette)
    assert compute(result, 0.85).below == ("BRN", "LAO", "MMR")


def test_indicator_statistics_are_coinrs(asem):
    stats, meta, rows, values, result = asem
    table = {r["node"]: r for r in stats.statistics.records()}
    for code, v in values.items():
        present = v[~np.isnan(v)]
        got = table[code]
        assert got["n"] == len(present)  # N.Avail
        assert got["missing"] == len(v) - len(present)
        assert got["coverage"] == pytest.approx(len(present) / len(v))  # Frc.Avail
        assert got["min"] == pytest.approx(present.min())
        assert got["max"] == pytest.approx(present.max())
        assert got["sd"] == pytest.approx(present.std(ddof=1))  # R's sd
        assert got["unique"] == len(np.unique(present))  # N.Unique
        assert got["nonzero"] == int((present != 0).sum())  # N.NonZero
        n = len(present)
        d = present - present.mean()
        # e1071 type 2, as COINr's skew() and kurt() write it
        skew = np.sqrt(n) * (d**3).sum() / (d**2).sum() ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * (d**4).sum() / (d**2).sum() ** 2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
        assert got["skewness"] == pytest.approx(skew, abs=1e-10)
        assert got["kurtosis"] == pytest.approx(kurt, abs=1e-10)
        assert got["outliers"] == bool(abs(skew) > 2 and kurt > 3.5)  # Flag.SkewKurt
        assert got["low_coverage"] == bool(len(present) / len(v) < 0.65)  # Flag.Avail
    # COINr's test of get_stats: "flights should be OUT"
    assert table["Flights"]["outliers"] is True


def test_effective_weights_sum_to_one_over_the_indicators(asem):
    stats, meta, _, _, _ = asem
    rows = {r["node"]: r for r in stats.effective_weights.records()}
    # every ASEM indicator: 1/2 (sub-index) × 1/(pillars) × 1/(indicators in its pillar)
    pillars = {m["Parent"] for m in meta}
    parents = {r["node"]: r["parent"] for r in stats.effective_weights.records()}
    for m in meta:
        pillar = m["Parent"]
        siblings = sum(1 for x in meta if x["Parent"] == pillar)
        subindex = parents[pillar]
        pillars_in = sum(1 for p in pillars if parents[p] == subindex)
        expected = 0.5 / pillars_in / siblings
        assert rows[m["iCode"]]["effective_weight"] == pytest.approx(expected, abs=1e-15)
    total = sum(rows[m["iCode"]]["effective_weight"] for m in meta)
    assert total == pytest.approx(1.0, abs=1e-12)
