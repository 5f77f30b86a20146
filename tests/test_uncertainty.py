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


def test_failing_alternatives_are_counted_left_out_and_refused_above_the_limit(tmp_path, capsys):
    # min-max to [0, 100] gives zeros, which a geometric mean cannot take
    path = write(tmp_path, INDEX + "uncertainty { aggregate arithmetic or geometric }\n")
    assert main(["uncertainty", str(path), "-N", "200", "--seed", "1", "-o", "o"]) == 6
    captured = capsys.readouterr()
    assert "replications could not be evaluated (left out): `geometric" in captured.out
    assert "the analysis is not reliable, and nothing was written" in captured.err
    assert not (tmp_path / "o").exists()
    evaluator, model = evaluator_for(path)
    result = run_uncertainty(evaluator, model.uncertainty, 200, seed=1)
    variation = sample(model, model.uncertainty, 200, np.random.default_rng(1))
    geometric = variation.aggregator_choice == 1
    assert sum(result.failures.values()) == int(geometric.sum())
    assert (result.failed == geometric).all()
    # the statistics are those of the replications that were evaluated: every unit's
    # median rank is a rank it had, not the worst rank given to the failures
    arithmetic = result.ranks[~geometric]
    np.testing.assert_array_equal(result.median, np.median(arithmetic, axis=0))
    assert result.levels["aggregator: geometric(nonpositive='error')"] == (
        int(geometric.sum()),
        int(geometric.sum()),
    )
    # accepted with a higher limit
    assert main(["uncertainty", str(path), "-N", "200", "--max-failed", "60%"]) == 0


def test_only_the_replications_with_a_zero_fail(tmp_path):
    """A zero reaches the geometric mean only where min-max to [0, 100] was drawn too:
    exactly those replications fail, not every one that drew the geometric mean."""
    path = write(
        tmp_path,
        INDEX
        + "uncertainty {\n  normalise minmax(1, 100) or minmax(0, 100)\n"
        + "  aggregate arithmetic or geometric\n}\n",
    )
    path.write_text(
        path.read_text().replace("framework {", "framework {\n  normalise minmax(1, 100)")
    )
    evaluator, model = evaluator_for(path)
    result = run_uncertainty(evaluator, model.uncertainty, 500, seed=5)
    variation = sample(model, model.uncertainty, 500, np.random.default_rng(5))
    zero = (variation.normaliser_choice == 1) & (variation.aggregator_choice == 1)
    assert 0 < zero.sum() < (variation.aggregator_choice == 1).sum()
    assert sum(result.failures.values()) == int(zero.sum())
    assert (result.failed == zero).all()


def test_the_iec_intervals_leave_failed_replications_out():
    """IEC's uncertainty block draws a geometric mean that fails where the percentile
    normaliser gives a zero: those replications are left out, and London, first in the
    report and in the index, has a median rank among the first three."""
    evaluator, model = evaluator_for(ROOT / "indices" / "iec.idx")
    result = run_uncertainty(evaluator, model.uncertainty, 300, seed=1)
    london = evaluator.data.labels.index("London")
    assert 0 < result.failed.sum() < 300
    assert 1 <= result.median[london] <= 3
    low, high = result.interval()
    assert high[london] <= 3


def test_asem_full_varies_the_weights_coinrs_vignette_varies():
    """COINr's vignette perturbs the weights of levels 2 and 3 (pillars and
    sub-indices): `of nodes at depth 1, 2` here, and nothing else moves."""
    evaluator, model = evaluator_for(ROOT / "indices" / "asem_full.idx")
    variation = sample(model, model.uncertainty, 20, np.random.default_rng(1))
    nodes = {n.name: n for n in model.root.walk()}
    moved = {c.name for parent in variation.weights for c in nodes[parent].children}
    assert moved == {
        "Conn", "Sust",  # the sub-indices
        "Physical", "ConEcFin", "Political", "Instit", "P2P",  # the pillars of Conn
        "Environ", "Social", "SusEcFin",  # the pillars of Sust
    }  # fmt: skip
    assert {nodes[name].depth for name in moved} == {1, 2}
    for parent, weights in variation.weights.items():
        nominal = np.array([c.weight for c in nodes[parent].children])
        np.testing.assert_allclose(weights.sum(axis=1), 1)
        assert (np.abs(weights / nominal - 1) < 0.67).all()  # ±25 %, then rescaled
        assert not np.allclose(weights, nominal)


def test_at_depth_names_the_parents_and_says_so(tmp_path):
    """The old spelling keeps its meaning, with a warning that gives the new one."""
    old = write(tmp_path, INDEX + "uncertainty { weights vary 20% at depth 1 }\n")
    session = Session()
    model = check_file(old, session)
    (w608,) = [d for d in session.warnings if d.code == "W608"]
    assert "write `of nodes at depth 2`" in w608.help
    new = write(tmp_path, INDEX + "uncertainty { weights vary 20% of nodes at depth 2 }\n")
    again = Session()
    assert check_file(new, again).uncertainty.weight_depths == model.uncertainty.weight_depths
    assert not [d for d in again.warnings if d.code == "W608"]


def test_w604_compares_full_method_specifications(tmp_path):
    index = INDEX.replace("framework {", "framework {\n  normalise minmax(0, 100)")
    path = write(tmp_path, index + "uncertainty { normalise minmax(1, 100) or zscore }\n")
    session = Session()
    check_file(path, session)
    assert [d.code for d in session.warnings] == ["W604"]
    path = write(tmp_path, index + "uncertainty { normalise minmax(0, 100) or zscore }\n")
    session = Session()
    check_file(path, session)
    assert [d.code for d in session.warnings] == []


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
    assert lines[0] == "unit,label,nominal_rank,median_rank,p05_rank,p95_rank,left_out"
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


def test_sensitivity_leaves_failed_evaluations_out(asem, monkeypatch):
    """An evaluation that fails is no "zero rank shift": the base samples with one are
    left out of the estimators, and counted."""
    from indexdsl.analyses import sensitivity
    from indexdsl_builtins.normalisers import MinMaxNormaliser

    evaluator, model = asem
    spec = attrs.evolve(
        model.uncertainty,
        normalisers=(
            model.uncertainty.normalisers[0],
            MinMaxNormaliser(low=0.0, high=100.0),
        ),
    )
    seen = {}
    estimate = sensitivity.estimate

    def spy(f_a, f_b, f_ab):
        seen.setdefault("sizes", (f_a.size, f_b.size, f_ab.shape))
        seen.setdefault("finite", bool(np.isfinite(f_a).all() and np.isfinite(f_ab).all()))
        return estimate(f_a, f_b, f_ab)

    monkeypatch.setattr(sensitivity, "estimate", spy)
    result = sensitivity.run_sensitivity(evaluator, spec, 128, seed=3, bootstrap=20)
    assert sum(result.failures.values()) > 0 and 0 < result.incomplete < 128
    assert seen["sizes"] == (result.used, result.used, (3, result.used))
    assert seen["finite"]
    assert not result.reliable(0.05) and result.reliable(1.0)


def test_sensitivity_intervals_include_the_weights_randomness(asem):
    """Weights are drawn per evaluation (no fixed pool): two seeds give estimates whose
    intervals overlap for every input."""
    from indexdsl.analyses.sensitivity import run_sensitivity

    evaluator, model = asem
    one = run_sensitivity(evaluator, model.uncertainty, 1024, seed=1, bootstrap=200)
    two = run_sensitivity(evaluator, model.uncertainty, 1024, seed=2, bootstrap=200)
    for a, b in (
        (one.first_interval, two.first_interval),
        (one.total_interval, two.total_interval),
    ):
        assert (np.maximum(a[0], b[0]) <= np.minimum(a[1], b[1])).all()


def test_sensitivity_reports_its_progress(asem_full):
    from indexdsl.analyses.sensitivity import run_sensitivity

    evaluator, model = asem_full
    done = []
    result = run_sensitivity(
        evaluator, model.uncertainty, 64, seed=1, bootstrap=10, progress=done.append
    )
    assert sum(done) == result.evaluations == 64 * (4 + 2)
