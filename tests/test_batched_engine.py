"""The batched engine: the scores of the leaves and of the nodes below the varied
weights held once per discrete choice (Keyed rows), the leaves' rows kept between the
chunks of an analysis, and the ranks of a batch computed row by row."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from indexdsl.analyses.uncertainty import chunk_of, sample
from indexdsl.compile import compile_model
from indexdsl.evaluate import Evaluator, competition_ranks
from indexdsl.pipeline import Session, check_file, load

ROOT = Path(__file__).resolve().parents[1]


def evaluator_for(name: str) -> tuple[Evaluator, object]:
    path = ROOT / "indices" / name
    session = Session()
    model = check_file(path, session)
    data = load(model, path, session)
    return Evaluator(compile_model(model), data), model


@pytest.fixture()
def asem_full():
    return evaluator_for("asem_full.idx")


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        float,
        st.tuples(st.integers(1, 6), st.integers(1, 12)),
        elements=st.sampled_from([np.nan, -0.0, 0.0, 1.0, 1.0 + 1e-12, 2.5, -3.0, 7.0]),
    )
)
def test_the_ranks_of_a_batch_are_the_ranks_of_each_row(scores):
    batch = competition_ranks(scores)
    for row, ranks in zip(scores, batch, strict=True):
        assert ranks.tolist() == competition_ranks(row).tolist()


def test_later_chunks_normalise_nothing_again(asem_full, monkeypatch):
    """The leaves' rows (each normaliser on each preparation option) depend on the
    choices offered, not on the replications drawn: the first chunk computes them, the
    next ones reuse them."""
    evaluator, model = asem_full
    calls = []
    for normaliser in {type(n) for n in model.uncertainty.normalisers}:
        original = normaliser.normalise

        def spy(self, x, context=None, original=original):
            calls.append(np.shape(x))
            return original(self, x, context)

        monkeypatch.setattr(normaliser, "normalise", spy)
    variation = sample(model, model.uncertainty, 200, np.random.default_rng(5))
    evaluator.level("unit", chunk_of(variation, 0, 100))
    first = len(calls)
    assert first >= 2 * 49  # each leaf under each alternative
    again = evaluator.level("unit", chunk_of(variation, 100, 200))
    assert len(calls) == first
    whole = evaluator_for("asem_full.idx")[0].level("unit", variation)
    np.testing.assert_array_equal(again.ranks["asem_full"], whole.ranks["asem_full"][100:])
    np.testing.assert_array_equal(again.scores["asem_full"], whole.scores["asem_full"][100:])


def test_left_out_leaves_and_failed_options_in_a_batch_equal_one_at_a_time(asem_full):
    """Each leaf left out by some replications has its own key (a row of no scores):
    the nodes above combine the keys of their children.  A preparation option that
    fails leaves its replications without scores."""
    from indexdsl_builtins.imputation import NoImputer

    evaluator, model = asem_full
    spec = model.uncertainty
    nominal = model.root.children[0].children[0].children[0].imputer
    spec = attrs.evolve(spec, exclude_one=True, imputers=(nominal, NoImputer()))
    variation = sample(model, spec, 40, np.random.default_rng(3))
    assert (variation.excluded >= 0).any() and (variation.imputer_choice == 1).any()
    batch = evaluator.level("unit", variation)
    root = model.root.name
    failed = variation.imputer_choice == 1
    assert np.isnan(batch.scores[root][failed]).all()
    assert not np.isnan(batch.scores[root][~failed]).all(axis=-1).any()
    for r in range(variation.size):
        single = evaluator.level("unit", chunk_of(variation, r, r + 1))
        for node, scores in batch.scores.items():
            np.testing.assert_allclose(single.scores[node][0], scores[r], rtol=0, atol=1e-12)
            assert (single.ranks[node][0] == batch.ranks[node][r]).all()
    row = np.flatnonzero(~failed & (variation.excluded >= 0))[0]
    left_out = variation.leaves[variation.excluded[row]]
    assert np.isnan(batch.scores[left_out][row]).all()
    assert not np.isnan(batch.scores[root][row]).all()


def test_the_preparation_options_of_a_batch_keep_no_treatment_log(asem_full, monkeypatch):
    """The options of an analysis are prepared without the treatment log (its skewness
    and kurtosis before and after): `apply`, not `apply_with_state`; the nominal run
    keeps its log."""
    evaluator, model = asem_full
    transform = type(model.uncertainty.treatments[0].transform)
    logged = []
    original = transform.apply_with_state

    def spy(self, *args, **kwargs):
        logged.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(transform, "apply_with_state", spy)
    nominal = evaluator.level("unit")
    assert len(logged) == 49 and nominal.preparation["Flights"]["treatment"]["points"] == 1
    variation = sample(model, model.uncertainty, 50, np.random.default_rng(2))
    evaluator.level("unit", variation)
    assert len(logged) == 49
