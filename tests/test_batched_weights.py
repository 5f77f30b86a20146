"""Weighted means over the replications of a batched run: scores (replications, units,
children) and weights that vary per replication, (replications, children), as the
uncertainty and sensitivity analyses give them, or one row of weights for all.  The
same results, to 1e-12, as each replication aggregated on its own with its row of
weights, and as the straightforward sum over the children present."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexdsl_builtins.aggregators import (
    ArithmeticMeanAggregator,
    GeometricMeanAggregator,
    HarmonicMeanAggregator,
    MazziottaParetoAggregator,
    PowerMeanAggregator,
)

AGGREGATORS = {
    "arithmetic": ArithmeticMeanAggregator(),
    "geometric": GeometricMeanAggregator(nonpositive="error"),
    "harmonic": HarmonicMeanAggregator(),
    "power_mean(2)": PowerMeanAggregator(p=2),
    "power_mean(0)": PowerMeanAggregator(p=0),
    "power_mean(-1.5)": PowerMeanAggregator(p=-1.5),
    "mazziotta_pareto": MazziottaParetoAggregator(),
}


@st.composite
def batches(draw):
    """(replications, units, children) scores in [1, 100] with some missing (a unit may
    have none left), and positive (replications, children) or (children,) weights."""
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 7)), draw(st.integers(1, 5)))
    seed = draw(st.integers(0, 2**32 - 1))
    share = draw(st.sampled_from([0.0, 0.2, 0.5, 0.9]))
    rng = np.random.default_rng(seed)
    values = rng.uniform(1, 100, shape)
    values[rng.random(shape) < share] = np.nan
    per_replication = draw(st.booleans())
    weights = rng.uniform(0.05, 3, (shape[0], shape[2]) if per_replication else shape[2])
    return values, weights


def row(weights, r):
    return weights[r] if weights.ndim == 2 else weights


def straightforward_arithmetic(values, weights):
    out = np.full(values.shape[:2], math.nan)
    for r, u in np.ndindex(*values.shape[:2]):
        present = [c for c in range(values.shape[2]) if not math.isnan(values[r, u, c])]
        if present:
            w = row(weights, r)
            out[r, u] = sum(w[c] * values[r, u, c] for c in present) / sum(w[c] for c in present)
    return out


@settings(max_examples=60, deadline=None)
@given(batches())
def test_arithmetic_mean_of_batched_weights_is_the_sum_over_present_children(batch):
    values, weights = batch
    np.testing.assert_allclose(
        ArithmeticMeanAggregator().aggregate(values, weights),
        straightforward_arithmetic(values, weights),
        rtol=1e-12,
        atol=0,
    )


@pytest.mark.parametrize("name", AGGREGATORS)
@settings(max_examples=40, deadline=None)
@given(batch=batches())
def test_batched_weights_give_each_replications_own_result(name, batch):
    values, weights = batch
    aggregator = AGGREGATORS[name]
    batched = aggregator.aggregate(values, weights)
    one_by_one = np.stack(
        [aggregator.aggregate(values[r], row(weights, r)) for r in range(len(values))]
    )
    assert batched.shape == one_by_one.shape
    np.testing.assert_array_equal(np.isnan(batched), np.isnan(one_by_one))
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-12, atol=1e-12)


def test_a_unit_with_no_child_left_has_no_score_and_zero_weight_children_count_as_absent():
    values = np.array([[[np.nan, np.nan], [4.0, np.nan], [4.0, 8.0]]])
    weights = np.array([[0.0, 1.0]])  # only the second child carries weight
    np.testing.assert_array_equal(
        ArithmeticMeanAggregator().aggregate(values, weights), [[np.nan, np.nan, 8.0]]
    )


@pytest.mark.parametrize(
    "weights", [np.array([[1.0, 1.0], [1.0, 3.0], [2.0, 1.0]]), np.array([1.0, 3.0])]
)
def test_batched_weights_build_no_replications_by_units_by_children_weights(monkeypatch, weights):
    import indexdsl_builtins.aggregators as aggregators

    def refuse(values, weights):
        raise AssertionError("weights broadcast to (replications, units, children)")

    monkeypatch.setattr(aggregators, "_available_weights", refuse)
    values = np.full((3, 4, 2), 50.0)
    values[0, 1, 0] = np.nan
    for aggregator in AGGREGATORS.values():
        assert aggregator.aggregate(values, weights).shape == (3, 4)
