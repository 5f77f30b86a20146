"""The built-in aggregators added after the arithmetic and geometric means: harmonic,
power_mean, minimum, mazziotta_pareto and copeland.

``values`` is (..., units, children), ``weights`` (children,) or (..., children).
Children scores arrive oriented so that higher is better, so aggregators have no
direction of their own; what they share is the missing-value rule (skip a missing
child and rescale the weights of the others) and the leading batch axis.  Expected
values are worked out by hand in the comments.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from indexdsl.components import ComponentValueError
from indexdsl.pipeline import Session, run_file
from indexdsl.plugins import load_registry
from indexdsl_builtins.aggregators import (
    CopelandAggregator,
    HarmonicMeanAggregator,
    MazziottaParetoAggregator,
    MinimumAggregator,
    PowerMeanAggregator,
)

NAN = math.nan


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-12)


def table(*rows):
    """(units, children) scores."""
    return np.array(rows, dtype=float)


EQUAL = np.array([0.5, 0.5])

# one case per aggregator, with positive scores and a weight vector that suits it
CASES = {
    "harmonic": HarmonicMeanAggregator(),
    "power_mean(2)": PowerMeanAggregator(p=2),
    "power_mean(-1)": PowerMeanAggregator(p=-1),
    "power_mean(0)": PowerMeanAggregator(p=0),
    "minimum": MinimumAggregator(),
    "mazziotta_pareto": MazziottaParetoAggregator(),
    "copeland": CopelandAggregator(),
}


class TestHarmonic:
    def test_hand_computed(self):
        # 1 / (0.5/1 + 0.5/4) = 1 / 0.625 = 1.6;  weights 0.75, 0.25 on (2, 4):
        # 1 / (0.375 + 0.0625) = 1 / 0.4375 = 16/7
        close(HarmonicMeanAggregator().aggregate(table([1, 4]), EQUAL), [1.6])
        close(HarmonicMeanAggregator().aggregate(table([2, 4]), np.array([0.75, 0.25])), [16 / 7])

    def test_missing_child_rescales_the_weights(self):
        # unit 0: only the first child (weight 0.75 -> 1): 2;  unit 1: none: NaN
        out = HarmonicMeanAggregator().aggregate(
            table([2, NAN], [NAN, NAN]), np.array([0.75, 0.25])
        )
        close(out, [2, NAN])

    def test_zero_or_negative(self):
        with pytest.raises(ComponentValueError, match="positive scores") as info:
            HarmonicMeanAggregator().aggregate(table([1, 2], [0, 3]), EQUAL)
        assert info.value.units == (1,)
        assert "minmax(1, 100)" in info.value.help


class TestPowerMean:
    @pytest.mark.parametrize(
        ("p", "expected"),
        [
            (1, 2.5),  # arithmetic: (1 + 4) / 2
            (2, math.sqrt(8.5)),  # quadratic: sqrt((1 + 16) / 2)
            (0, 2.0),  # geometric: sqrt(1 * 4)
            (-1, 1.6),  # harmonic: 1 / (0.5 + 0.125)
            (3, (65 / 2) ** (1 / 3)),  # cubic: ((1 + 64) / 2)^(1/3)
        ],
    )
    def test_hand_computed(self, p, expected):
        close(PowerMeanAggregator(p=p).aggregate(table([1, 4]), EQUAL), [expected])

    def test_large_orders_do_not_overflow(self):
        # p = 400: ((1e3^400 + 1e3^400) / 2)^(1/400) = 1e3 without overflow
        close(PowerMeanAggregator(p=400).aggregate(table([1e3, 1e3]), EQUAL), [1e3])
        # p = -400 tends to the minimum: factor out 2, then
        # 2 * (0.5 * 1 + 0.5 * (5e5)^-400)^(-1/400) = 2 * 0.5^(-1/400) = 2 * 2^(1/400)
        close(PowerMeanAggregator(p=-400).aggregate(table([2, 1e6]), EQUAL), [2 * 2 ** (1 / 400)])

    def test_missing_child(self):
        out = PowerMeanAggregator(p=2).aggregate(table([3, NAN], [NAN, NAN]), EQUAL)
        close(out, [3, NAN])

    def test_arithmetic_accepts_negative_scores(self):
        close(PowerMeanAggregator(p=1).aggregate(table([-1, 3]), EQUAL), [1])

    def test_non_positive_when_p_is_not_positive(self):
        for p in (0, -1):
            with pytest.raises(ComponentValueError, match="positive scores") as info:
                PowerMeanAggregator(p=p).aggregate(table([1, 2], [3, 0]), EQUAL)
            assert info.value.units == (1,)
        # zero is fine for a positive order: (0 + 16) / 2 = 8, sqrt -> 2 sqrt 2
        close(PowerMeanAggregator(p=2).aggregate(table([0, 4]), EQUAL), [math.sqrt(8)])

    def test_negative_when_p_is_positive(self):
        with pytest.raises(ComponentValueError, match="not negative"):
            PowerMeanAggregator(p=2).aggregate(table([-1, 2]), EQUAL)


class TestMinimum:
    def test_hand_computed_ignores_weights_and_missing(self):
        out = MinimumAggregator().aggregate(
            table([3, 1, 2], [NAN, 5, 4], [NAN, NAN, NAN]), np.array([0.8, 0.1, 0.1])
        )
        close(out, [1, 4, NAN])


class TestMazziottaPareto:
    def test_hand_computed_equal_weights(self):
        # (110, 90): M = 100, S = 10 (population sd over the children), cv = 0.1
        # MPI = M (1 - cv^2) = M - S^2 / M = 100 - 1 = 99;  (100, 100): no penalty
        close(MazziottaParetoAggregator().aggregate(table([110, 90], [100, 100]), EQUAL), [99, 100])

    def test_hand_computed_weights(self):
        # weights 0.75, 0.25 on (110, 90): M = 82.5 + 22.5 = 105
        # S^2 = 0.75 * 5^2 + 0.25 * 15^2 = 18.75 + 56.25 = 75;  MPI = 105 - 75/105
        out = MazziottaParetoAggregator().aggregate(table([110, 90]), np.array([0.75, 0.25]))
        close(out, [105 - 75 / 105])

    def test_three_children(self):
        # (100, 110, 120), equal weights: M = 110, S^2 = (100 + 0 + 100) / 3, MPI = 110 - S^2/110
        out = MazziottaParetoAggregator().aggregate(table([100, 110, 120]), np.full(3, 1 / 3))
        close(out, [110 - (200 / 3) / 110])

    def test_missing_child(self):
        # unit 0 keeps only (110, 90) of (110, NaN, 90): 99 as above; unit 1: no child
        out = MazziottaParetoAggregator().aggregate(
            table([110, NAN, 90], [NAN, NAN, NAN]), np.full(3, 1 / 3)
        )
        close(out, [99, NAN])

    def test_is_not_monotone(self):
        assert MazziottaParetoAggregator.monotone is False
        # raising a child already far above the others lowers the index:
        # (100, 1, 1): M = 34, S^2 = (66^2 + 2 * 33^2) / 3 = 2178, MPI = 34 - 2178/34 = -30.06
        # (101, 1, 1): M = 34.33, S^2 = (66.67^2 + 2 * 33.33^2) / 3 = 2222.2, MPI = -30.40
        agg = MazziottaParetoAggregator()
        before = agg.aggregate(table([100, 1, 1]), np.full(3, 1 / 3))
        after = agg.aggregate(table([101, 1, 1]), np.full(3, 1 / 3))
        close(before, [34 - 2178 / 34])
        close(after, [103 / 3 - (20000 / 9) / (103 / 3)])
        assert after[0] < before[0]

    def test_mean_not_positive(self):
        with pytest.raises(ComponentValueError, match="positive mean") as info:
            MazziottaParetoAggregator().aggregate(table([1, 2], [-1, 1]), EQUAL)
        assert info.value.units == (1,)
        assert "zscore(100, 10)" in info.value.help


class TestCopeland:
    def test_hand_computed(self):
        # weights 0.6, 0.4;  A = (3, 1), B = (2, 2), C = (1, 3)
        # A-B: A wins child 1 (+0.6), loses child 2 (-0.4): +0.2, A beats B
        # A-C: +0.6 - 0.4 = +0.2, A beats C;  B-C: +0.6 - 0.4, B beats C
        # wins - losses: A 2 - 0 = 2, B 1 - 1 = 0, C 0 - 2 = -2
        out = CopelandAggregator().aggregate(table([3, 1], [2, 2], [1, 3]), np.array([0.6, 0.4]))
        close(out, [2, 0, -2])

    def test_equal_weights_give_pairwise_ties(self):
        # with 0.5, 0.5 every pair splits its children: all ties, all scores 0
        out = CopelandAggregator().aggregate(table([3, 1], [2, 2], [1, 3]), EQUAL)
        close(out, [0, 0, 0])

    def test_thirds_tie_despite_rounding(self):
        # A beats B on one child, loses on another, ties the third: margin 1/3 - 1/3 = 0
        out = CopelandAggregator().aggregate(table([2, 1, 5], [1, 2, 5]), np.full(3, 1 / 3))
        close(out, [0, 0])

    def test_missing_values_compare_on_the_children_both_have(self):
        # weights 0.6, 0.4;  A = (3, NaN), B = (2, 2), C = (1, 3), D = (NaN, NaN)
        # A-B: child 1 only: A wins;  A-C: child 1 only: A wins;  B-C: B wins (as above)
        # D has no score and takes part in no comparison
        out = CopelandAggregator().aggregate(
            table([3, NAN], [2, 2], [1, 3], [NAN, NAN]), np.array([0.6, 0.4])
        )
        close(out, [2, 0, -2, NAN])

    def test_depends_on_the_other_units(self):
        # not separable by unit: adding a unit changes the scores of the others
        two = CopelandAggregator().aggregate(table([3, 1], [2, 2]), np.array([0.6, 0.4]))
        three = CopelandAggregator().aggregate(table([3, 1], [2, 2], [1, 3]), np.array([0.6, 0.4]))
        close(two, [1, -1])
        close(three[:2], [2, 0])

    def test_batch_weights_per_replication(self):
        values = np.stack([table([3, 1], [2, 2], [1, 3])] * 2)
        weights = np.array([[0.6, 0.4], [0.4, 0.6]])
        close(CopelandAggregator().aggregate(values, weights), [[2, 0, -2], [-2, 0, 2]])

    def test_large_batches_are_computed_in_blocks(self, monkeypatch):
        # the same scores whether the replications are compared in one block or one by one
        rng = np.random.default_rng(5)
        values = rng.integers(0, 4, size=(2, 3, 6, 3)).astype(float)
        values[0, 1, 2, 1] = NAN
        weights = np.array([0.5, 0.3, 0.2])
        whole = CopelandAggregator().aggregate(values, weights)
        monkeypatch.setattr(CopelandAggregator, "BLOCK_ELEMENTS", 1)
        close(CopelandAggregator().aggregate(values, weights), whole)
        assert whole.shape == (2, 3, 6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_leading_batch_axis_gives_row_by_row_results(name):
    aggregator = CASES[name]
    rng = np.random.default_rng(3)
    values = rng.uniform(50, 150, size=(3, 5, 4))
    values[1, 2, 0] = NAN  # a missing child in one replication
    weights = np.array([0.1, 0.2, 0.3, 0.4])
    out = aggregator.aggregate(values, weights)
    assert out.shape == (3, 5)
    for row in range(3):
        close(out[row], aggregator.aggregate(values[row], weights))
    # weights that vary by replication too
    batch_weights = rng.dirichlet(np.ones(4), size=3)
    out = aggregator.aggregate(values, batch_weights)
    for row in range(3):
        close(out[row], aggregator.aggregate(values[row], batch_weights[row]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_unit_with_no_child_has_no_score(name):
    out = CASES[name].aggregate(table([60, 80], [NAN, NAN], [70, 90]), EQUAL)
    assert np.isnan(out[1]) and not np.isnan(out[[0, 2]]).any()


def test_new_aggregator_and_normaliser_through_the_language(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "units.csv").write_text(
        "id,name,a,b,c\nx,X,1,10,300\ny,Y,2,30,100\nz,Z,3,20,\nw,W,4,40,200\n"
    )
    path = tmp_path / "t.idx"
    path.write_text(
        textwrap.dedent(
            """
            index t "Test" { edition 2024 }
            units c "Units" {
              from csv("data/units.csv")
              key id
              label name
            }
            indicator a = c.a
            indicator b = c.b
            indicator cost = c.c  lower is better
            framework {
              normalise borda
              aggregate copeland
              a 50%
              b 30%
              cost 20%
            }
            """
        ).lstrip()
    )
    result, _ = run_file(path, Session(registry=load_registry()))
    scores = result.units.scores
    # borda (strictly lower count): a 0 1 2 3;  b 0 2 1 3;  cost (negated -300, -100, -, -200) 0 2 - 1
    close(scores["a"], [0, 1, 2, 3])
    close(scores["b"], [0, 2, 1, 3])
    close(scores["cost"], [0, 2, NAN, 1])
    # pairwise weighted majorities (a 0.5, b 0.3, cost 0.2; a missing child takes no part):
    #   x-y: a -0.5, b -0.3, cost -0.2 -> y;   x-z: -0.5 -0.3 -> z;   x-w: all lose -> w
    #   y-z: a -0.5, b +0.3 -> z;           y-w: a -0.5, b -0.3, cost +0.2 -> w
    #   z-w: a -0.5, b -0.3 -> w
    # wins - losses: x 0-3 = -3, y 1-2 = -1, z 2-1 = 1, w 3-0 = 3
    close(scores["t"], [-3, -1, 1, 3])
    assert list(result.units.ranks["t"]) == [4, 3, 2, 1]
