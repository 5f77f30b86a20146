"""Uncertainty analysis: the batched engine against one replication at a time, seeds,
failures that are counted rather than dropped, and located diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import attrs
import numpy as np
import pytest

from indexdsl.analyses.uncertainty import chunk_of, run_uncertainty, sample
from indexdsl.cli import main
from indexdsl.compile import compile_model
from indexdsl.diagnostics import DiagnosticError
from indexdsl.evaluate import Evaluator
from indexdsl.pipeline import Session, check_file, load

ROOT = Path(__file__).resolve().parents[1]


def evaluator_for(path: Path) -> tuple[Evaluator, object]:
    session = Session()
    model = check_file(path, session)
    data = load(model, path, session)
    return Evaluator(compile_model(model), data, session.registry), model


@pytest.fixture(scope="module")
def asem():
    return evaluator_for(ROOT / "indices" / "asem.idx")


def test_batched_replications_equal_one_at_a_time(asem):
    evaluator, model = asem
    variation = sample(model, model.uncertainty, 40, np.random.default_rng(7))
    batch = evaluator.level("unit", variation)
    for r in range(variation.size):
        single = evaluator.level("unit", chunk_of(variation, r, r + 1))
        for node, scores in batch.scores.items():
            np.testing.assert_allclose(single.scores[node][0], scores[r], rtol=0, atol=1e-12)
            assert (single.ranks[node][0] == batch.ranks[node][r]).all()


def test_a_replication_with_nominal_inputs_is_the_nominal_index(asem):
    evaluator, model = asem
    variation = sample(model, model.uncertainty, 1, np.random.default_rng(0))
    variation.weights = {}  # nominal weights
    variation.normalisers = ()  # nominal normaliser
    variation.aggregator_choice = np.array([0])  # arithmetic, the nominal aggregator
    nominal = evaluator.level("unit")
    varied = evaluator.level("unit", variation)
    np.testing.assert_allclose(varied.scores["asem"][0], nominal.scores["asem"], atol=1e-12)


def test_same_seed_same_result_and_aggregation_moves_ranks(asem):
    evaluator, model = asem
    first = run_uncertainty(evaluator, model.uncertainty, 300, seed=3)
    again = run_uncertainty(evaluator, model.uncertainty, 300, seed=3)
    other = run_uncertainty(evaluator, model.uncertainty, 300, seed=4)
    assert (first.ranks == again.ranks).all()
    assert not (first.ranks == other.ranks).all()
    low, high = first.interval()
    assert ((low <= first.median) & (first.median <= high)).all()
    assert first.failures == {}  # min-max to [1, 100]: the geometric mean never sees a zero


def write(tmp_path, index: str) -> Path:
    (tmp_path / "u.csv").write_text("id,x,y\na,0,3\nb,5,1\nc,10,2\n", encoding="utf-8")
    path = tmp_path / "t.idx"
    path.write_text(textwrap.dedent(index).lstrip(), encoding="utf-8")
    return path


INDEX = """\
index t { }
units c { from csv("u.csv") key id }
indicator x = c.x
indicator y = c.y
framework {
  p { x y }
}
"""


def test_failing_alternatives_are_counted_not_dropped(tmp_path, capsys):
    # min-max to [0, 100] gives zeros, which a geometric mean cannot take
    path = write(tmp_path, INDEX + "uncertainty { aggregate arithmetic or geometric }\n")
    assert main(["uncertainty", str(path), "-N", "200", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "replications could not be evaluated: `geometric" in out
    evaluator, model = evaluator_for(path)
    result = run_uncertainty(evaluator, model.uncertainty, 200, seed=1)
    variation = sample(model, model.uncertainty, 200, np.random.default_rng(1))
    assert sum(result.failures.values()) == int((variation.aggregator_choice == 1).sum())


def test_weights_at_a_depth_without_weights_is_an_error(tmp_path):
    path = write(tmp_path, INDEX + "uncertainty { weights vary 20% at depth 2 }\n")
    with pytest.raises(DiagnosticError) as info:
        check_file(path, Session())
    (d,) = info.value.diagnostics
    assert d.code == "E602" and d.span.line == 8
    assert "depths with weights to vary: 1" in d.help


def test_alternatives_the_nominal_index_does_not_use_are_flagged(tmp_path):
    path = write(tmp_path, INDEX + "uncertainty { normalise zscore or rank }\n")
    session = Session()
    check_file(path, session)
    assert [d.code for d in session.warnings] == ["W604"]


def test_no_uncertainty_block_is_explained(tmp_path, capsys):
    path = write(tmp_path, INDEX)
    assert main(["uncertainty", str(path)]) == 1
    assert "declares no uncertain inputs" in capsys.readouterr().err


def test_writes_the_rank_intervals(tmp_path):
    path = write(tmp_path, INDEX + "uncertainty { weights vary 50% exclude one indicator }\n")
    assert main(["uncertainty", str(path), "-N", "50", "-o", str(tmp_path / "o")]) == 0
    lines = (tmp_path / "o" / "uncertainty.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unit,label,nominal_rank,median_rank,p05_rank,p95_rank"
    assert len(lines) == 4


def test_sobol_indices_find_aggregation_dominant_on_asem(asem):
    """COINr's sensitivity vignette on ASEM: the aggregation method is the input that
    moves the ranks most."""
    from indexdsl.analyses.sensitivity import run_sensitivity

    evaluator, model = asem
    result = run_sensitivity(evaluator, model.uncertainty, 256, seed=2, bootstrap=200)
    assert result.factors == ("weights", "normaliser", "aggregator")
    assert result.evaluations == 256 * (3 + 2)
    assert int(np.argmax(result.total)) == 2
    assert result.first[2] > 0.5
    assert (result.total_interval[0] <= result.total).all()
    again = run_sensitivity(evaluator, model.uncertainty, 256, seed=2, bootstrap=200)
    np.testing.assert_array_equal(result.first, again.first)


def test_sensitivity_usage_errors(tmp_path, capsys):
    one_input = write(tmp_path, INDEX + "uncertainty { weights vary 10% }\n")
    assert main(["sensitivity", str(one_input), "-N", "64"]) == 1
    assert "E606" in capsys.readouterr().err
    two = write(tmp_path, INDEX + "uncertainty { weights vary 10% exclude one indicator }\n")
    assert main(["sensitivity", str(two), "-N", "100"]) == 0
    assert "N = 100 rounded up to 128" in capsys.readouterr().out
    assert main(["sensitivity", str(two), "-N", "1"]) == 2


# ---- the full pipeline: outlier treatment and imputation as uncertain inputs ------------
@pytest.fixture(scope="module")
def asem_full():
    return evaluator_for(ROOT / "indices" / "asem_full.idx")


def test_full_pipeline_batched_equals_one_at_a_time(asem_full):
    evaluator, model = asem_full
    variation = sample(model, model.uncertainty, 30, np.random.default_rng(11))
    assert len(set(variation.treatment_choice.tolist())) > 1  # several limits drawn
    batch = evaluator.level("unit", variation)
    for r in range(variation.size):
        single = evaluator.level("unit", chunk_of(variation, r, r + 1))
        for node, scores in batch.scores.items():
            np.testing.assert_allclose(single.scores[node][0], scores[r], rtol=0, atol=1e-12)


def test_a_treatment_alternative_is_the_index_with_that_treatment(asem_full, tmp_path):
    """A replication drawing `winsorise(max_points = 1)` equals the index whose file
    says `treat winsorise(max_points = 1)`."""
    evaluator, model = asem_full
    variation = sample(model, model.uncertainty, 1, np.random.default_rng(0))
    variation.weights, variation.normalisers, variation.aggregators = {}, (), ()
    variation.treatment_choice = np.array([0])  # the first: max_points = 1
    varied = evaluator.level("unit", variation)
    text = (ROOT / "indices" / "asem_full.idx").read_text()
    text = text.replace('extends "asem.idx"', f'extends "{ROOT / "indices" / "asem.idx"}"')
    text = text.replace("winsorise(max_points = 5, skew", "winsorise(max_points = 1, skew")
    text = text.replace('csv("data/', f'csv("{ROOT / "indices" / "data"}/')
    (tmp_path / "one.idx").write_text(text)
    other, _ = evaluator_for(tmp_path / "one.idx")
    expected = other.level("unit").scores[model.root.name]
    np.testing.assert_allclose(varied.scores[model.root.name][0], expected, atol=1e-12)
    nominal = evaluator.level("unit").scores[model.root.name]
    assert not np.allclose(expected, nominal)  # the limit matters


def test_vary_replaces_the_file_inputs(tmp_path, capsys):
    path = ROOT / "indices" / "asem.idx"
    code = main(
        ["uncertainty", str(path), "-N", "50", "--vary", "none", "--vary", "weights vary 10%"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "weights ±10%" in out and "aggregator" not in out.split("ranks over")[0]


def test_vary_errors_are_located_in_the_option(capsys):
    path = ROOT / "indices" / "asem.idx"
    assert main(["uncertainty", str(path), "--vary", "aggregate arithmetic or harmonc"]) == 1
    err = capsys.readouterr().err
    assert "<--vary 1>:1:39" in err and "did you mean `harmonic`" in err


def test_alternatives_for_a_step_the_index_does_not_take(capsys):
    path = ROOT / "indices" / "asem.idx"  # the simple pipeline treats nothing
    assert main(["uncertainty", str(path), "--vary", "treat none or winsorise"]) == 1
    assert "E607" in capsys.readouterr().err


def test_an_imputation_alternative_that_fails_is_counted_not_dropped(asem_full):
    """`impute none` refuses the missing values of ASEM: the replications that draw it
    have no scores, and the analysis says how many and why."""
    evaluator, model = asem_full
    imputers = (model.root.children[0].children[0].children[0].imputer,)
    from indexdsl_builtins.imputation import NoImputer

    spec = attrs.evolve(model.uncertainty, imputers=(*imputers, NoImputer()))
    result = run_uncertainty(evaluator, spec, 200, seed=2)
    ((reason, count),) = result.failures.items()
    assert "no imputation is chosen" in reason
    assert 60 < count < 140  # about half of the 200 replications


def test_sensitivity_reports_its_progress(asem_full):
    from indexdsl.analyses.sensitivity import run_sensitivity

    evaluator, model = asem_full
    done = []
    result = run_sensitivity(
        evaluator, model.uncertainty, 64, seed=1, bootstrap=10, progress=done.append
    )
    assert sum(done) == result.evaluations == 64 * (4 + 2)
