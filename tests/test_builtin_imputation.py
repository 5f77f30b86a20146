"""The built-in imputers: none, mean, median, group_mean, group_median and latest.

``x`` is (..., units) with NaN for missing values.  An imputer never changes a
present value and leaves NaN where nothing can fill the gap.  Expected values are
worked out by hand in the comments; the group imputers follow COINr's
``i_mean_grp`` and ``i_median_grp`` (split by group, fill each group's gaps with
the mean or median of its present values, unsplit).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from indexdsl.components import ComponentValueError, Context
from indexdsl.plugins import load_registry
from indexdsl_builtins.imputation import (
    GroupMeanImputer,
    GroupMedianImputer,
    LatestImputer,
    MeanImputer,
    MedianImputer,
    NoImputer,
)

NAN = math.nan


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-12)


def values(*xs):
    return np.array(xs, dtype=float)


def units(n, **groups):
    return Context(keys=tuple("abcdefghij"[:n]), groups={k: tuple(v) for k, v in groups.items()})


# ---- none -----------------------------------------------------------------------------


class TestNone:
    def test_complete_data_pass_unchanged(self):
        x = values(1, 2, 3)
        out, state = NoImputer().impute(x, units(3))
        close(out, x)
        assert state["count"] == 0

    def test_missing_values_are_an_error_listing_the_units(self):
        with pytest.raises(ComponentValueError) as info:
            NoImputer().impute(values(1, NAN, 3, NAN), units(4))
        error = info.value
        assert error.message == (
            "2 units have a missing value and no imputation is chosen: `b` and `d`"
        )
        assert "impute mean" in error.help and "group_mean" in error.help
        assert error.units == (1, 3)

    def test_batch_rows_are_pooled(self):
        x = np.array([[1, 2, 3], [1, 2, NAN]], dtype=float)
        with pytest.raises(ComponentValueError, match="1 unit has a missing value.*`c`"):
            NoImputer().impute(x, units(3))

    def test_without_keys_units_are_numbered(self):
        with pytest.raises(ComponentValueError, match="`#2`"):
            NoImputer().impute(values(1, NAN))


# ---- mean and median ------------------------------------------------------------------


class TestMeanMedian:
    def test_mean(self):
        # present values 1, 3, 8: mean 4
        out, state = MeanImputer().impute(values(1, NAN, 3, 8), units(4))
        close(out, [1, 4, 3, 8])
        assert state["count"] == 1 and state["value"] == 4
        assert state["imputed"].tolist() == [False, True, False, False]

    def test_median(self):
        # present values 1, 3, 8, 10: median (3 + 8)/2 = 5.5
        out, state = MedianImputer().impute(values(1, NAN, 3, 8, 10), units(5))
        close(out, [1, 5.5, 3, 8, 10])
        assert state["value"] == 5.5

    def test_a_row_with_no_value_stays_missing(self):
        x = np.array([[1, NAN, 3], [NAN, NAN, NAN]])
        for imputer in (MeanImputer(), MedianImputer()):
            out, state = imputer.impute(x, units(3))
            close(out, [[1, 2, 3], [NAN, NAN, NAN]])
            assert state["count"].tolist() == [1, 0]


# ---- group mean and median ------------------------------------------------------------


class TestGroups:
    def test_group_mean_as_coinr_i_mean_grp(self):
        # f = (b, a, b, a, b, a): group a holds 2, NaN, 4 -> mean 3; group b holds
        # 10, 20, NaN -> mean 15.  i_mean_grp(x, f) fills within each group:
        # (10, 2, 20, 3, 15, 4)
        x = values(10, 2, 20, NAN, NAN, 4)
        ctx = units(6, region=["b", "a", "b", "a", "b", "a"])
        out, state = GroupMeanImputer(group="region").impute(x, ctx)
        close(out, [10, 2, 20, 3, 15, 4])
        assert state["groups"] == ("a", "b")
        close(state["group_values"], [3, 15])
        assert state["group_counts"].tolist() == [2, 2]
        assert state["count"] == 2 and state["empty_groups"] == ()

    def test_group_median_as_coinr_i_median_grp(self):
        # a: 1, NaN, 3, 4 -> median 3;  b: 10, NaN, 20 -> median 15
        x = values(1, NAN, 3, 4, 10, NAN, 20)
        ctx = units(7, income=list("aaaabbb"))
        out, _ = GroupMedianImputer(group="income").impute(x, ctx)
        close(out, [1, 3, 3, 4, 10, 15, 20])

    def test_a_group_with_no_data_is_an_error_by_default(self):
        ctx = units(5, region=["a", "a", "b", "b", "c"])
        with pytest.raises(ComponentValueError) as info:
            GroupMeanImputer(group="region").impute(values(1, 2, NAN, NAN, 5), ctx)
        error = info.value
        assert error.message.startswith("imputation groups with no data: `b`")
        assert error.units == (2, 3)
        assert 'empty_groups = "missing"' in error.help

    def test_a_group_with_no_data_can_stay_missing(self):
        # COINr leaves them NA (mean of no values); the state names the group
        ctx = units(5, region=["a", "a", "b", "b", "c"])
        imputer = GroupMeanImputer(group="region", empty_groups="missing")
        out, state = imputer.impute(values(1, NAN, NAN, NAN, 5), ctx)
        close(out, [1, 1, NAN, NAN, 5])
        assert state["empty_groups"] == ("b",)
        assert state["imputed"].tolist() == [False, True, False, False, False]

    def test_a_unit_without_a_label(self):
        # as COINr's skip_f_na = TRUE: a unit with no group is left as it is
        ctx = units(4, region=["a", "", "a", ""])
        with pytest.raises(ComponentValueError, match="`b` has no `region` label") as info:
            GroupMeanImputer(group="region").impute(values(1, NAN, 3, 7), ctx)
        assert info.value.units == (1,)
        out, _ = GroupMeanImputer(group="region", empty_groups="missing").impute(
            values(1, NAN, NAN, 7), ctx
        )
        close(out, [1, NAN, 1, 7])

    def test_unknown_group_column(self):
        ctx = units(2, region=["a", "b"], income=["x", "y"])
        with pytest.raises(ComponentValueError) as info:
            GroupMeanImputer(group="regoin").impute(values(1, NAN), ctx)
        assert "group column `regoin`" in info.value.message
        assert (
            info.value.help == "did you mean `region`? The units' groups are `income` and `region`"
        )
        with pytest.raises(ComponentValueError) as info:
            GroupMedianImputer(group="continent").impute(values(1, NAN), ctx)
        assert info.value.help == "the units' groups are `income` and `region`"

    def test_units_without_groups(self):
        with pytest.raises(ComponentValueError, match="not one of the units' groups") as info:
            GroupMeanImputer(group="region").impute(values(1, NAN), units(2))
        assert "groups region" in info.value.help

    def test_labels_must_match_the_values(self):
        ctx = Context(groups={"region": ("a", "b")}, level="pair")
        with pytest.raises(ComponentValueError, match="2 `region` labels for 3 pairs"):
            GroupMeanImputer(group="region").impute(values(1, NAN, 2), ctx)

    def test_bad_empty_groups_value(self):
        ctx = units(2, region=["a", "a"])
        with pytest.raises(ComponentValueError, match='"error" or "missing"'):
            GroupMeanImputer(group="region", empty_groups="skip").impute(values(1, NAN), ctx)


# ---- latest ---------------------------------------------------------------------------


# three earlier editions, nearest first
HISTORY = np.array(
    [
        [10, 20, NAN, NAN],  # one edition back
        [11, 21, 31, NAN],  # two
        [12, 22, 32, 42],  # three
    ]
)


class TestLatest:
    @pytest.mark.parametrize(
        "years, expected, back",
        [
            # a gap takes the nearest earlier edition that has a value, within `years`
            (1, [10, 2, NAN, NAN], [1, 0, 0, 0]),
            (2, [10, 2, 31, NAN], [1, 0, 2, 0]),
            (3, [10, 2, 31, 42], [1, 0, 2, 3]),
            (9, [10, 2, 31, 42], [1, 0, 2, 3]),  # no more editions than there are
        ],
    )
    def test_nearest_earlier_edition(self, years, expected, back):
        x = values(NAN, 2, NAN, NAN)
        ctx = Context(keys=("a", "b", "c", "d"), history=HISTORY)
        out, state = LatestImputer(years=years).impute(x, ctx)
        close(out, expected)
        assert state["editions_back"].tolist() == back
        assert state["count"] == sum(b > 0 for b in back)

    def test_default_is_the_previous_edition(self):
        assert LatestImputer().years == 1

    def test_not_a_panel(self):
        with pytest.raises(ComponentValueError, match="not a panel") as info:
            LatestImputer(years=2).impute(values(1, NAN), Context(keys=("a", "b")))
        assert "{year}" in info.value.help

    def test_years_must_be_positive(self):
        with pytest.raises(ComponentValueError, match="1 or more"):
            LatestImputer(years=0).impute(values(1, NAN), Context(history=HISTORY[:, :2]))

    def test_history_with_a_batch_axis(self):
        x = np.array([[NAN, 2, NAN, NAN], [1, NAN, NAN, 4]])
        history = np.stack([HISTORY, HISTORY + 100], axis=1)  # (editions, batch, units)
        out, _ = LatestImputer(years=2).impute(x, Context(history=history))
        close(out, [[10, 2, 31, NAN], [1, 120, 131, 4]])


# ---- shared properties ----------------------------------------------------------------

GROUPS = ["a", "b", "a", "c", "b", "a", "c", "b"]
CASES = {
    "mean": MeanImputer(),
    "median": MedianImputer(),
    "group_mean": GroupMeanImputer(group="region", empty_groups="missing"),
    "group_median": GroupMedianImputer(group="region", empty_groups="missing"),
    "latest": LatestImputer(years=2),
}


def _batch():
    rng = np.random.default_rng(7)
    x = rng.random((3, 8))
    x[rng.random((3, 8)) < 0.35] = NAN
    x[2, [3, 6]] = NAN  # group c has no data in the third row
    history = rng.random((2, 3, 8))
    history[rng.random((2, 3, 8)) < 0.3] = NAN
    return x, Context(keys=tuple("abcdefgh"), groups={"region": tuple(GROUPS)}, history=history)


@pytest.mark.parametrize("name", list(CASES))
def test_batch_equals_one_row_at_a_time(name):
    x, ctx = _batch()
    out, state = CASES[name].impute(x, ctx)
    assert out.shape == x.shape
    for r in range(3):
        one_ctx = Context(keys=ctx.keys, groups=ctx.groups, history=ctx.history[:, r])
        one, one_state = CASES[name].impute(x[r], one_ctx)
        close(out[r], one)
        assert (state["imputed"][r] == one_state["imputed"]).all()


@pytest.mark.parametrize("name", list(CASES))
def test_present_values_are_never_changed(name):
    x, ctx = _batch()
    out, state = CASES[name].impute(x, ctx)
    present = ~np.isnan(x)
    assert (out[present] == x[present]).all()
    assert not state["imputed"][present].any()
    assert (state["imputed"] == (np.isnan(x) & ~np.isnan(out))).all()


def test_group_imputation_reports_the_empty_group_of_any_row():
    x, ctx = _batch()
    _, state = CASES["group_mean"].impute(x, ctx)
    assert "c" in state["empty_groups"]
    with pytest.raises(ComponentValueError, match="`c`"):
        GroupMeanImputer(group="region").impute(x, ctx)


# ---- registration and documentation ---------------------------------------------------

PAGES = {
    "none": "imputation.md",
    "mean": "imputation.md",
    "median": "imputation.md",
    "group_mean": "group-imputation.md",
    "group_median": "group-imputation.md",
    "latest": "latest.md",
}


def test_registered_as_builtins_and_documented():
    registry = load_registry()
    methods = Path(__file__).resolve().parents[1] / "docs" / "explanation" / "methods"
    readme = (methods / "README.md").read_text(encoding="utf-8")
    assert set(PAGES) <= set(registry.names("imputer"))
    for name, page in PAGES.items():
        provided = registry.get("imputer", name)
        assert provided.plugin.startswith("indexdsl_builtins"), name
        assert (methods / page).exists() and f"({page})" in readme, name
        assert provided.cls.summary
