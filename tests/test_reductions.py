"""Reductions over units: `max_over_units(x)`, `min_over_units(x)`, `mean_over_units(x)`
give every unit one value computed over all units, leaving missing values out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import check_text, line_col_of, only
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


# ---- as a normaliser's parameter ---------------------------------------------------

ARGS_TEXT = """\
index t "T" {}

units country {
  from csv("c.csv")
  key id
}

indicator x = country.x
indicator to_top = goalposts(country.x, 0, max_over_units(country.x))
indicator around = goalposts(country.x, min_over_units(country.x) - 1, high = 2 * mean_over_units(country.x))

framework {
  aggregate arithmetic
  normalise minmax
  x
  to_top
  around
}
"""


def test_a_reduction_over_units_is_a_normalisers_goalpost(project):
    result, _ = project.run(ARGS_TEXT, {"c.csv": ROWS})
    raw = result.units.raw
    # x = 2, -, 6, 4: goalposts 0 and the largest x (6)
    assert raw["to_top"][[0, 2, 3]].tolist() == pytest.approx([2 / 6, 1.0, 4 / 6])
    assert np.isnan(raw["to_top"][1])
    # goalposts 2 - 1 = 1 and 2 * 4 = 8
    assert raw["around"][[0, 2, 3]].tolist() == pytest.approx([1 / 7, 5 / 7, 3 / 7])


def test_a_goalpost_from_data_follows_the_data(project):
    rows = ROWS.replace("C,6,30", "C,12,30")
    result, _ = project.run(ARGS_TEXT, {"c.csv": rows})
    assert result.units.raw["to_top"][[0, 2, 3]].tolist() == pytest.approx([2 / 12, 1.0, 4 / 12])


def test_goalposts_computed_from_data_are_still_validated_at_the_call(project):
    text = ARGS_TEXT.replace("0, max_over_units(country.x))", "max_over_units(country.x), 1)")
    (d,) = project.fail(text, {"c.csv": ROWS})
    assert (d.span.line, d.span.col) == line_col_of(text, "goalposts(country.x, max")
    assert "goalposts" in d.message
    result = project.cli("run", "index.idx", "--no-write")
    assert result.code != 0 and "Traceback" not in result.out + result.err


def test_a_goalpost_with_no_data_is_reported_not_invented(project):
    (d,) = project.fail(ARGS_TEXT, {"c.csv": "id,x,p\nA,,10\nB,,20\n"})
    assert "no value: every value it is computed from is missing" in d.message
    assert (d.span.line, d.span.col) == line_col_of(ARGS_TEXT, "goalposts(country.x, 0")


def test_a_value_per_unit_is_still_refused_as_a_goalpost():
    _, diags = check_text(ARGS_TEXT.replace("max_over_units(country.x))", "country.p)"))
    d = only(diags, "E224")
    assert "one value for every unit" in (d.help or "")


SETTING_TEXT = """\
index t "T" {}

units country {
  from csv("c.csv")
  key id
}

indicator x = country.x
  normalise goalposts(0, max_over_units(x))
indicator p = country.p

framework {
  aggregate arithmetic
  normalise goalposts(min_over_units(p), max_over_units(country.p))
  x
  p
}
"""


def test_a_normalise_setting_takes_goalposts_computed_from_data(project):
    result, _ = project.run(SETTING_TEXT, {"c.csv": ROWS})
    scores = result.units.scores
    # x = 2, -, 6, 4 over goalposts 0 and 6; p = 10, 20, 30, - over 10 and 30
    assert scores["x"][[0, 2, 3]].tolist() == pytest.approx([2 / 6, 1.0, 4 / 6])
    assert scores["p"][:3].tolist() == pytest.approx([0.0, 0.5, 1.0])
    described = result.graph.nodes["p"].normaliser.describe()
    assert "low=min_over_units(p)" in described and "high=max_over_units(country.p)" in described


def test_a_misspelled_name_in_a_computed_goalpost_is_located():
    text = SETTING_TEXT.replace("max_over_units(x))", "max_over_units(xx))")
    _, diags = check_text(text)
    d = next(d for d in diags if d.is_error)
    assert "xx" in d.message and (d.span.line, d.span.col) == line_col_of(text, "xx")


def test_a_computed_value_is_refused_where_a_constant_is_needed():
    text = SETTING_TEXT.replace(
        "  x\n  p\n}", "  rescale minmax(0, max_over_units(p))\n  x\n  p\n}"
    )
    _, diags = check_text(text)
    d = only(diags, "E216")
    assert "must be a constant here" in d.message and "normalise" in (d.help or "")


@given(
    hnp.arrays(
        float,
        st.integers(2, 25),
        elements=st.floats(-1e3, 1e3, allow_nan=False),
        unique=True,
    )
)
def test_goalposts_at_the_observed_extremes_are_minmax(values):
    """`goalposts(x, min_over_units(x), max_over_units(x))` is min-max, for any data."""
    import tempfile
    from pathlib import Path

    from conftest import shared_registry
    from indexdsl.pipeline import Session, run_file

    rows = "id,x,p\n" + "".join(f"U{i},{float(v)!r},1\n" for i, v in enumerate(values))
    text = "\n".join(
        line
        for line in ARGS_TEXT.replace(
            "0, max_over_units(country.x))", "min_over_units(country.x), max_over_units(country.x))"
        )
        .replace("normalise minmax", "normalise goalposts(0, 1)")
        .splitlines()
        if "around" not in line
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "c.csv").write_text(rows)
        (Path(folder) / "index.idx").write_text(text)
        result, _ = run_file(Path(folder) / "index.idx", Session(registry=shared_registry()))
    expected = (values - values.min()) / (values.max() - values.min())
    assert result.units.raw["to_top"] == pytest.approx(expected, abs=1e-9)


def test_a_reduction_says_which_units_it_left_out(project):
    result, session = project.run(SETTING_TEXT, {"c.csv": ROWS})
    notes = [d for d in result.warnings if d.code == "W408"]
    messages = sorted(d.message for d in notes)
    assert messages == [
        "`max_over_units` left out 1 of 4 units with no value: `B`",
        "`max_over_units` left out 1 of 4 units with no value: `D`",
        "`min_over_units` left out 1 of 4 units with no value: `D`",
    ]
    full, _ = project.run(SETTING_TEXT, {"c.csv": "id,x,p\nA,1,1\nB,2,2\n"})
    assert not [d for d in full.warnings if d.code == "W408"]
