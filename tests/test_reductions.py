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


# ---- across the editions of a panel ------------------------------------------------

PANEL = "id,g_2019,g_2020,g_2021,g_2022,y\nA,1,5,,2,1\nB,,,,,2\nC,3,2,1,0,3\n"

PANEL_TEXT = """\
index t "T" {}

parameter year = 2022

units country {
  from csv("c.csv")
  key id
}

indicator peak = max_over_editions(country.g_{year}, 2019, year)
indicator avg = mean_over_editions(country.g_{year} * 2, 2020, 2022)
indicator y = country.y

framework {
  aggregate arithmetic
  normalise minmax
  reference scores min_over_editions(country.g_{year}, 2019, 2022)
  peak
  avg
  y
}
"""


def test_reductions_across_editions_unit_by_unit(project):
    result, _ = project.run(PANEL_TEXT, {"c.csv": PANEL})
    raw = result.units.raw
    # A: 1, 5, -, 2 -> largest 5; C: 3, 2, 1, 0 -> 3; B has no edition: missing
    assert raw["peak"][[0, 2]].tolist() == [5.0, 3.0] and np.isnan(raw["peak"][1])
    # 2020-2022 doubled: A (10 + 4) / 2 = 7 (2021 left out), C (4 + 2 + 0) / 3 = 2
    assert raw["avg"][[0, 2]].tolist() == pytest.approx([7.0, 2.0])
    values, decimals = result.data.reference_scores["t"]
    assert values[[0, 2]].tolist() == [1.0, 0.0] and np.isnan(values[1])
    assert decimals == 0


def test_the_formatter_keeps_an_edition_reduction_as_written():
    from indexdsl.syntax.formatter import format_text

    once = format_text(PANEL_TEXT)
    assert "indicator peak = max_over_editions(country.g_{year}, 2019, year)\n" in once
    assert format_text(once) == once


@pytest.mark.parametrize(
    ("call", "code", "needle"),
    [
        ("max_over_editions(country.g_{year}, 2019)", "E153", "max_over_editions"),
        ("max_over_editions(country.g_{year}, 2022, 2019)", "E154", "max_over_editions"),
        ("max_over_editions(country.g_{year}, 2019, 2021.5)", "E154", "max_over_editions"),
        ("max_over_editions(country.g_2020, 2019, 2022)", "E155", "country.g_2020"),
    ],
)
def test_an_edition_reduction_written_wrong_is_located(project, call, code, needle):
    from conftest import line_col_of, only

    text = PANEL_TEXT.replace("max_over_editions(country.g_{year}, 2019, year)", call)
    found = only(project.fail(text, {"c.csv": PANEL}), code)
    assert (found.span.line, found.span.col) == line_col_of(text, needle)


def test_a_misspelled_edition_reduction_is_suggested(project):
    text = PANEL_TEXT.replace("max_over_editions(", "max_over_edition(")
    diagnostics = project.fail(text, {"c.csv": PANEL})
    assert any("`max_over_editions`" in (d.help or "") for d in diagnostics)
