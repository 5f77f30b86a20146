"""Reductions over units: `max_over_units(x)`, `min_over_units(x)`, `mean_over_units(x)`
give every unit one value computed over all units, leaving missing values out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from indexdsl_builtins.transforms import (
    MaxOverUnitsTransform,
    MeanOverUnitsTransform,
    MinOverUnitsTransform,
)

ROWS = "id,x,p\nA,2,10\nB,,20\nC,6,30\nD,4,\n"

TEXT = """\
index t "T" {}

units country {
  from csv("c.csv")
  key id
}

indicator share = country.x / max_over_units(country.x)
indicator gap = country.x - mean_over_units(country.x)
indicator low = country.x - min_over_units(country.x) + 0 * country.p

framework {
  aggregate arithmetic
  normalise minmax
  reference scores round(country.p / max_over_units(country.p), 2)
  share
  gap
  low
}
"""


def test_reductions_over_units_in_indicators_and_references(project):
    result, _ = project.run(TEXT, {"c.csv": ROWS})
    raw = result.units.raw
    # x = 2, -, 6, 4: largest 6, mean (2 + 6 + 4) / 3 = 4, smallest 2 (B left out)
    assert raw["share"][[0, 2, 3]].tolist() == pytest.approx([2 / 6, 1.0, 4 / 6])
    assert np.isnan(raw["share"][1])  # B's own value is missing
    assert raw["gap"][[0, 2, 3]].tolist() == pytest.approx([-2.0, 2.0, 0.0])
    # x - 2 (the smallest x): A 0, C 4; B's x and D's p are missing
    assert raw["low"][[0, 2]].tolist() == [0.0, 4.0] and np.isnan(raw["low"][[1, 3]]).all()
    values, decimals = result.data.reference_scores["t"]
    assert values[:3].tolist() == pytest.approx([0.33, 0.67, 1.0]) and np.isnan(values[3])
    assert decimals == 2


def test_all_missing_gives_missing_and_a_constant_is_itself():
    for transform in (MaxOverUnitsTransform(), MinOverUnitsTransform(), MeanOverUnitsTransform()):
        assert np.isnan(transform.apply(np.array([np.nan, np.nan]))).all()
        assert float(transform.apply(np.float64(3.5))) == 3.5


def test_a_batch_is_reduced_row_by_row():
    batch = np.array([[1.0, 5.0, np.nan], [np.nan, np.nan, np.nan]])
    out = MaxOverUnitsTransform().apply(batch)
    assert out[0].tolist() == [5.0, 5.0, 5.0]
    assert np.isnan(out[1]).all()


@given(
    hnp.arrays(
        float,
        st.integers(1, 30),
        elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)),
    )
)
def test_reductions_equal_numpy_over_the_present_values(x):
    present = x[~np.isnan(x)]
    for transform, reduce in (
        (MaxOverUnitsTransform(), np.max),
        (MinOverUnitsTransform(), np.min),
        (MeanOverUnitsTransform(), np.mean),
    ):
        out = transform.apply(x)
        assert out.shape == x.shape
        if present.size == 0:
            assert np.isnan(out).all()
        else:
            assert out == pytest.approx(np.full(x.shape, reduce(present)))


def test_a_formula_node_divides_by_the_largest_score(project):
    text = TEXT.replace(
        "  share\n  gap\n  low\n",
        "  d {\n    share\n    gap\n    low\n  }\n  auxiliary rel = d / max_over_units(d)\n",
    )
    result, _ = project.run(text, {"c.csv": ROWS})
    d, rel = result.units.scores["d"], result.units.scores["rel"]
    present = ~np.isnan(d)
    assert present.sum() >= 2
    assert rel[present].tolist() == pytest.approx((d[present] / np.nanmax(d)).tolist())
    assert np.nanmax(rel) == pytest.approx(1.0)
