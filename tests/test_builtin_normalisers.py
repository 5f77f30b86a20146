"""The built-in normalisers added after min-max, z-score and rank: percentile, borda,
goalposts, distance_to_reference, distance_to_max, distance_to_target,
fraction_of_max, ratio_to_mean, and the shared switch coercion.

Every expected value is worked out by hand in the comments next to it.  A normaliser
that works on oriented values (``raw_units = False``) receives a lower-is-better
indicator negated by the engine, so its direction test passes ``-x``; one that works
in raw units receives a :class:`Context` with ``higher_is_better = False``.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from indexdsl.components import ComponentValueError, Context
from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import Session, run_file
from indexdsl.plugins import load_registry
from indexdsl_builtins._support import as_flag
from indexdsl_builtins.normalisers import (
    BordaNormaliser,
    DistanceToMaxNormaliser,
    DistanceToReferenceNormaliser,
    DistanceToTargetNormaliser,
    FractionOfMaxNormaliser,
    GoalpostsNormaliser,
    PercentileNormaliser,
    RatioToMeanNormaliser,
)

NAN = math.nan
KEYS = ("u0", "u1", "u2", "u3")
HIGHER = Context(KEYS, True, "unit")
LOWER = Context(KEYS, False, "unit")


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-12)


def arr(*values):
    return np.array(values, dtype=float)


# every normaliser with the parameters used below, and a 4-unit input that suits it
CASES = {
    "percentile": (PercentileNormaliser(), arr(2, 4, 6, 10)),
    "borda": (BordaNormaliser(), arr(2, 4, 6, 10)),
    "goalposts": (GoalpostsNormaliser(low=0, high=8), arr(2, 4, 6, 10)),
    "distance_to_reference": (DistanceToReferenceNormaliser(unit="u1"), arr(2, 4, 6, 10)),
    "distance_to_max": (DistanceToMaxNormaliser(), arr(2, 4, 6, 10)),
    "distance_to_target": (DistanceToTargetNormaliser(target=8), arr(2, 4, 6, 10)),
    "fraction_of_max": (FractionOfMaxNormaliser(), arr(2, 4, 6, 10)),
    "ratio_to_mean": (RatioToMeanNormaliser(), arr(2, 4, 6, 8)),
}


class TestPercentile:
    def test_hand_computed_with_ties_and_a_missing_value(self):
        # present values 3, 1, 3, 7 (n = 4); strictly lower: 1, 0, 1, 3
        # percentile = 100 * lower / (n - 1): 33.3, 0, 33.3, 100 (ties share the lowest)
        y, state = PercentileNormaliser().normalise(arr(3, 1, NAN, 3, 7), HIGHER)
        close(y, [100 / 3, 0, NAN, 100 / 3, 100])
        assert int(state["count"]) == 4

    def test_reverse_indicator_arrives_negated(self):
        # lower is better: the engine passes -x = -2, -4, -6, -10; lower counts 3, 2, 1, 0
        y, _ = PercentileNormaliser().normalise(-arr(2, 4, 6, 10), LOWER)
        close(y, [100, 200 / 3, 100 / 3, 0])

    def test_needs_two_units_with_a_value(self):
        with pytest.raises(ComponentValueError, match="at least two units") as info:
            PercentileNormaliser().normalise(arr(NAN, 5, NAN), HIGHER)
        assert "minmax" in info.value.help


class TestBorda:
    def test_hand_computed(self):
        # number of present values strictly lower: 3 -> 1 (the 1), 1 -> 0, 3 -> 1, 7 -> 3
        y, state = BordaNormaliser().normalise(arr(3, 1, NAN, 3, 7), HIGHER)
        close(y, [1, 0, NAN, 1, 3])
        assert int(state["count"]) == 4

    def test_reverse_indicator_arrives_negated(self):
        y, _ = BordaNormaliser().normalise(-arr(2, 4, 6, 10), LOWER)
        close(y, [3, 2, 1, 0])

    def test_all_missing(self):
        with pytest.raises(ComponentValueError, match="every value is missing"):
            BordaNormaliser().normalise(arr(NAN, NAN), HIGHER)


class TestGoalposts:
    """The `goalposts` normaliser (raw units): (x - low) / (high - low) * scale."""

    def test_hand_computed_with_truncation(self):
        # goalposts 20 and 85 (UNDP's life expectancy): (x - 20) / 65
        # 10 -> -10/65 capped to 0; 20 -> 0; 52.5 -> 0.5; 90 -> 70/65 capped to 1
        y, state = GoalpostsNormaliser(low=20, high=85).normalise(arr(10, 20, 52.5, 90), HIGHER)
        close(y, [0, 0, 0.5, 1])
        assert (int(state["capped_low"]), int(state["capped_high"])) == (1, 1)

    def test_scale_and_no_truncation(self):
        # scale 100, no truncation: 100 * (x - 20) / 65 -> 90 gives 100 * 70/65
        y, _ = GoalpostsNormaliser(low=20, high=85, scale=100, truncate=0).normalise(
            arr(20, 52.5, 90), HIGHER
        )
        close(y, [0, 50, 7000 / 65])

    def test_lower_is_better_reverses_the_goalposts(self):
        # score = (high - x) / (high - low) = (10 - x) / 8: 2 -> 1, 4 -> 0.75, 12 -> capped 0
        y, state = GoalpostsNormaliser(low=2, high=10).normalise(arr(2, 4, NAN, 12), LOWER)
        close(y, [1, 0.75, NAN, 0])
        assert (int(state["capped_low"]), int(state["capped_high"])) == (1, 0)

    def test_equal_goalposts(self):
        with pytest.raises(ComponentValueError, match="low < high"):
            GoalpostsNormaliser(low=5, high=5).normalise(arr(1, 2), HIGHER)


class TestDistanceToReference:
    def test_hand_computed(self):
        # reference u1 = 4, min = 2: 1 - (4 - x) / (4 - 2) -> 2: 0, 4: 1, 6: 2, 10: 4
        y, state = DistanceToReferenceNormaliser(unit="u1").normalise(arr(2, 4, 6, 10), HIGHER)
        close(y, [0, 1, 2, 4])
        assert float(state["reference"]) == 4 and float(state["min"]) == 2

    def test_cap_scores_units_beyond_the_reference_one(self):
        y, state = DistanceToReferenceNormaliser(unit="u1", cap="true").normalise(
            arr(2, 4, 6, NAN), HIGHER
        )
        close(y, [0, 1, 1, NAN])
        assert int(state["capped"]) == 1

    def test_reverse_indicator_arrives_negated(self):
        # raw 2, 4, 6, 10 lower is better -> -2, -4, -6, -10; ref u1 = -4, min = -10
        # 1 - (-4 - x) / (-4 + 10) -> -2: 4/3, -4: 1, -6: 2/3, -10: 0
        y, _ = DistanceToReferenceNormaliser(unit="u1").normalise(-arr(2, 4, 6, 10), LOWER)
        close(y, [4 / 3, 1, 2 / 3, 0])

    def test_unknown_unit_suggests_a_close_key(self):
        with pytest.raises(ComponentValueError, match="`u1x` is not one of the units") as info:
            DistanceToReferenceNormaliser(unit="u1x").normalise(arr(1, 2, 3, 4), HIGHER)
        assert info.value.help == "did you mean `u1`?"
        with pytest.raises(ComponentValueError) as info:
            DistanceToReferenceNormaliser(unit="zz").normalise(arr(1, 2, 3, 4), HIGHER)
        assert "e.g. `unit = u0`" in info.value.help

    def test_reference_without_value(self):
        with pytest.raises(ComponentValueError, match="has no value") as info:
            DistanceToReferenceNormaliser(unit="u2").normalise(arr(1, 2, NAN, 4), HIGHER)
        assert info.value.units == (2,)

    def test_reference_at_the_minimum(self):
        with pytest.raises(ComponentValueError, match="worst value"):
            DistanceToReferenceNormaliser(unit="u0").normalise(arr(1, 2, 3, 4), HIGHER)

    def test_needs_unit_keys(self):
        with pytest.raises(ComponentValueError, match="needs the keys"):
            DistanceToReferenceNormaliser(unit="u0").normalise(arr(1, 2, 3, 4))

    def test_bad_switch(self):
        with pytest.raises(ComponentValueError, match="must be a switch") as info:
            DistanceToReferenceNormaliser(unit="u1", cap="maybe").normalise(arr(1, 2, 3, 4), HIGHER)
        assert "cap = true" in info.value.help


class TestDistanceToMax:
    def test_hand_computed(self):
        # max 10, min 2: 1 - (10 - x) / 8 -> 0, 0.25, 0.5, 1
        y, state = DistanceToMaxNormaliser().normalise(arr(2, 4, NAN, 6, 10), HIGHER)
        close(y, [0, 0.25, NAN, 0.5, 1])
        assert (float(state["min"]), float(state["max"])) == (2, 10)

    def test_reverse_indicator_arrives_negated(self):
        # -2, -4, -6, -10: max -2, min -10: 1 - (-2 - x) / 8 -> 1, 0.75, 0.5, 0
        y, _ = DistanceToMaxNormaliser().normalise(-arr(2, 4, 6, 10), LOWER)
        close(y, [1, 0.75, 0.5, 0])

    def test_constant(self):
        with pytest.raises(ComponentValueError, match="same value") as info:
            DistanceToMaxNormaliser().normalise(arr(3, 3, 3), HIGHER)
        assert "percentile" in info.value.help


class TestDistanceToTarget:
    def test_hand_computed_higher_is_better(self):
        # min 2, target 8: (x - 2) / 6 -> 0, 1/3, 2/3, 4/3 (one unit beyond the target)
        y, state = DistanceToTargetNormaliser(target=8).normalise(arr(2, 4, 6, 10), HIGHER)
        close(y, [0, 1 / 3, 2 / 3, 4 / 3])
        assert int(state["beyond_target"]) == 1 and float(state["min"]) == 2

    def test_cap(self):
        y, state = DistanceToTargetNormaliser(target=8, cap=1).normalise(arr(2, 4, NAN, 10), HIGHER)
        close(y, [0, 1 / 3, NAN, 1])
        assert int(state["capped"]) == 1

    def test_lower_is_better_in_raw_units(self):
        # max 10 (the worst), target 4: (10 - x) / (10 - 4) -> 8/6, 1, 4/6, 0
        y, state = DistanceToTargetNormaliser(target=4).normalise(arr(2, 4, 6, 10), LOWER)
        close(y, [8 / 6, 1, 4 / 6, 0])
        assert float(state["max"]) == 10

    def test_target_already_met_by_everyone(self):
        with pytest.raises(ComponentValueError, match="not above the lowest value 2"):
            DistanceToTargetNormaliser(target=1).normalise(arr(2, 4, 6), HIGHER)
        with pytest.raises(ComponentValueError, match="not below the highest value 6"):
            DistanceToTargetNormaliser(target=7).normalise(arr(2, 4, 6), LOWER)


class TestFractionOfMax:
    def test_hand_computed(self):
        # x / 10 -> 0.2, 0.4, 0.6, 1
        y, state = FractionOfMaxNormaliser().normalise(arr(2, 4, NAN, 6, 10), HIGHER)
        close(y, [0.2, 0.4, NAN, 0.6, 1])
        assert float(state["max"]) == 10

    def test_lower_is_better_takes_the_ratio_the_other_way_up(self):
        # min / x = 2 / x -> 1, 0.5, 1/3, 0.2: the best (lowest) unit scores 1
        y, state = FractionOfMaxNormaliser().normalise(arr(2, 4, 6, 10), LOWER)
        close(y, [1, 0.5, 1 / 3, 0.2])
        assert float(state["min"]) == 2

    def test_negative_values(self):
        with pytest.raises(ComponentValueError, match="non-negative") as info:
            FractionOfMaxNormaliser().normalise(arr(-1, 2, 3), HIGHER)
        assert info.value.units == (0,)
        assert "minmax" in info.value.help

    def test_zero_under_a_reciprocal(self):
        with pytest.raises(ComponentValueError, match="positive"):
            FractionOfMaxNormaliser().normalise(arr(0, 2, 3), LOWER)

    def test_all_zero(self):
        with pytest.raises(ComponentValueError, match="every value is zero"):
            FractionOfMaxNormaliser().normalise(arr(0, 0), HIGHER)


class TestRatioToMean:
    def test_hand_computed(self):
        # mean of 2, 4, 6, 8 = 5: 100 * x / 5 -> 40, 80, 120, 160
        y, state = RatioToMeanNormaliser().normalise(arr(2, 4, NAN, 6, 8), HIGHER)
        close(y, [40, 80, NAN, 120, 160])
        assert float(state["mean"]) == 5

    def test_lower_is_better(self):
        # 100 * 5 / x -> 250, 125, 83.3, 62.5
        y, _ = RatioToMeanNormaliser().normalise(arr(2, 4, 6, 8), LOWER)
        close(y, [250, 125, 500 / 6, 62.5])

    def test_errors(self):
        with pytest.raises(ComponentValueError, match="non-negative"):
            RatioToMeanNormaliser().normalise(arr(-2, 4, 6), HIGHER)
        with pytest.raises(ComponentValueError, match="every value is zero"):
            RatioToMeanNormaliser().normalise(arr(0, 0, NAN), HIGHER)
        with pytest.raises(ComponentValueError, match="every value is missing"):
            RatioToMeanNormaliser().normalise(arr(NAN, NAN), HIGHER)


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_values_stay_missing(name):
    normaliser, x = CASES[name]
    x = x.copy()
    x[2] = NAN
    y, _ = normaliser.normalise(x, HIGHER)
    assert np.isnan(y[2]) and not np.isnan(y[[0, 1, 3]]).any()


@pytest.mark.parametrize("name", sorted(CASES))
def test_leading_batch_axis_gives_row_by_row_results(name):
    normaliser, x = CASES[name]
    # three variants of the same indicator; the reference unit u1 stays above the minimum
    batch = np.stack([x, x * 2 + 1, np.where(np.arange(4) == 3, NAN, x + x[::-1] / 10)])
    y, state = normaliser.normalise(batch, HIGHER)
    assert y.shape == batch.shape
    for row in range(3):
        expected, row_state = normaliser.normalise(batch[row], HIGHER)
        close(y[row], expected)
        for key, value in row_state.items():
            if key.endswith("_units"):  # which units: given for one row of values only
                continue
            close(np.asarray(state[key])[row] if np.ndim(state[key]) else state[key], value)


class TestSwitchCoercion:
    @pytest.mark.parametrize("value", [True, 1, 1.0, "true", "TRUE", "yes", "on", "1"])
    def test_on(self, value):
        assert as_flag(value, "cap", "x") is True

    @pytest.mark.parametrize("value", [False, 0, 0.0, "false", "No", "off", "0"])
    def test_off(self, value):
        assert as_flag(value, "cap", "x") is False

    @pytest.mark.parametrize("value", [2, 0.5, "maybe", None])
    def test_other_values_are_errors(self, value):
        with pytest.raises(ComponentValueError, match="`cap` of `x` must be a switch"):
            as_flag(value, "cap", "x")


# ---- through the language ------------------------------------------------------------

_REGISTRY = None


def run_index(tmp_path, idx: str, csv: str):
    global _REGISTRY
    _REGISTRY = _REGISTRY or load_registry()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "units.csv").write_text(textwrap.dedent(csv).lstrip())
    path = tmp_path / "t.idx"
    path.write_text(textwrap.dedent(idx).lstrip())
    result, _ = run_file(path, Session(registry=_REGISTRY))
    return result


def test_new_normalisers_through_the_language(tmp_path):
    result = run_index(
        tmp_path,
        """
        index t "Test" { edition 2024 }
        units c "Cities" {
          from csv("data/units.csv")
          key id
          label name
        }
        indicator income = c.income  normalise distance_to_reference(unit = b, cap = true)
        indicator cost = c.cost  lower is better  normalise distance_to_target(4)
        indicator jobs = c.jobs  normalise percentile
        framework {
          aggregate minimum
          income 1/3
          cost 1/3
          jobs 1/3
        }
        """,
        """
        id,name,income,cost,jobs
        a,A,2,2,5
        b,B,4,4,
        c,C,6,6,1
        d,D,10,10,3
        """,
    )
    scores = result.units.scores
    # income: ref b = 4, min 2: 1 - (4 - x)/2 -> 0, 1, 2, 4, capped -> 0, 1, 1, 1
    close(scores["income"], [0, 1, 1, 1])
    # cost (raw units, lower is better): max 10, target 4: (10 - x)/6 -> 4/3, 1, 2/3, 0
    close(scores["cost"], [8 / 6, 1, 4 / 6, 0])
    # jobs: present 5, 1, 3 -> lower 2, 0, 1 of n = 3 -> 100, NaN, 0, 50
    close(scores["jobs"], [100, NAN, 0, 50])
    # minimum over present children
    close(scores["t"], [0, 1, 0, 0])
    assert int(result.units.fitted["income"]["capped"]) == 2


def test_a_component_error_becomes_a_located_diagnostic(tmp_path):
    with pytest.raises(DiagnosticError) as info:
        run_index(
            tmp_path,
            """
            index t "Test" { edition 2024 }
            units c "Cities" {
              from csv("data/units.csv")
              key id
              label name
            }
            indicator income = c.income  normalise distance_to_reference(unit = bb)
            framework {
              income
            }
            """,
            "id,name,income\na,A,1\nb,B,2\n",
        )
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E401"
    assert "the reference `bb` is not one of the units" in diagnostic.message
    assert diagnostic.help == "did you mean `b`?"


# ---- documentation -------------------------------------------------------------------


def test_every_builtin_method_has_a_page():
    """docs/explanation/methods/ has a page per built-in normaliser and aggregator and
    per transform below, named after the method with hyphens, and the README links it."""
    from pathlib import Path

    methods = Path(__file__).resolve().parents[1] / "docs" / "explanation" / "methods"
    readme = (methods / "README.md").read_text(encoding="utf-8")
    registry = _REGISTRY or load_registry()
    pages_of = {"log10": "log"}  # covered by another method's page
    without_page = {"sqrt", "abs", "min", "max"}  # simple transforms, not yet written
    missing = []
    for role in ("normaliser", "aggregator", "transform"):
        for name in registry.names(role):
            if not registry.get(role, name).plugin.startswith("indexdsl_builtins"):
                continue
            if name in without_page:
                continue
            page = pages_of.get(name, name).replace("_", "-") + ".md"
            if not (methods / page).exists() or f"({page})" not in readme:
                missing.append(f"{role} {name}: {page}")
    assert not missing, "methods without a page in docs/explanation/methods: " + ", ".join(missing)
