"""Formula nodes (`ratio = a / b`) and auxiliary nodes (`auxiliary x { … }`): parsed,
formatted, checked with located diagnostics, evaluated for units, batched in
uncertainty analysis, explained as not additive."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexdsl.analyses.explain import explain
from indexdsl.analyses.uncertainty import chunk_of, sample
from indexdsl.compile import compile_model
from indexdsl.diagnostics import DiagnosticError
from indexdsl.evaluate import Evaluator
from indexdsl.pipeline import Session, check_file, load, run_file
from indexdsl.syntax.formatter import format_text

HEADER = """\
index t "T" {}
units c { from csv("x.csv") key id }
indicator a "A" = c.a
indicator b "B" = c.b
indicator k "K" = c.k
"""


def write(tmp_path: Path, framework: str, rows=None, extra: str = "") -> Path:
    rows = rows or [("u1", 1, 2, 0.1), ("u2", 2, 1, 0.2), ("u3", 3, 3, 0.3), ("u4", 4, 5, 0.4)]
    lines = ["id,a,b,k"] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "t.idx"
    path.write_text(HEADER + extra + textwrap.dedent(framework), encoding="utf-8")
    return path


def codes(path: Path) -> list[str]:
    with pytest.raises(DiagnosticError) as caught:
        check_file(path, Session())
    return [d.code for d in caught.value.diagnostics]


FRAMEWORK = """
framework {
  normalise goalposts(0, 10)
  ratio "A over B" = a / b {
    lower is better
  }
  both "A and B" {
    a
    b
  }
  auxiliary adjusted = (1 - k) * both
}
"""


def test_a_formula_node_is_its_expression_of_node_scores(tmp_path):
    result, _ = run_file(write(tmp_path, FRAMEWORK))
    s = result.units.scores
    np.testing.assert_allclose(s["ratio"], s["a"] / s["b"])
    np.testing.assert_allclose(s["adjusted"], (1 - np.array([0.1, 0.2, 0.3, 0.4])) * s["both"])
    # lower is better: the smallest ratio ranks first
    assert result.units.ranks["ratio"].tolist() == [1, 4, 3, 2]  # 0.5, 2, 1, 0.8
    # the auxiliary node takes no part in the index: the mean of ratio and both
    np.testing.assert_allclose(s["t"], (s["ratio"] + s["both"]) / 2)


def test_an_auxiliary_node_never_changes_the_index(tmp_path):
    with_aux, _ = run_file(write(tmp_path, FRAMEWORK))
    without = FRAMEWORK.replace("  auxiliary adjusted = (1 - k) * both\n", "")
    (tmp_path / "b").mkdir()
    plain, _ = run_file(write(tmp_path / "b", without, extra=""))
    np.testing.assert_array_equal(with_aux.units.scores["t"], plain.units.scores["t"])


def test_an_auxiliary_subtree_with_missing_data_leaves_the_index_alone(tmp_path):
    framework = """
    framework {
      missing propagate
      a
      auxiliary side { b }
    }
    """
    rows = [("u1", 1, None, 0), ("u2", 2, 1, 0), ("u3", 3, 3, 0)]
    result, _ = run_file(write(tmp_path, framework, rows))
    assert not np.isnan(result.units.scores["t"]).any()
    assert np.isnan(result.units.scores["side"][0])


def test_a_missing_input_or_a_division_by_zero_gives_a_missing_score(tmp_path):
    rows = [("u1", 1, None, 0), ("u2", 2, 1, 0), ("u3", 3, 3, 0), ("u4", 0, 0, 0)]
    framework = "framework = a / b {\n  normalise none\n  a\n  b\n}\n"
    result, _ = run_file(write(tmp_path, framework, rows))
    scores = result.units.scores["t"]
    assert np.isnan(scores[0]) and np.isnan(scores[3])
    assert scores[1] == 2 and scores[2] == 1
    assert result.units.ranks["t"].tolist() == [0, 1, 2, 0]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.floats(0.1, 100), st.floats(0.1, 100)), min_size=2, max_size=12))
def test_a_ratio_node_equals_the_numpy_ratio(tmp_path, values):
    rows = [(f"u{i}", a, b, 0) for i, (a, b) in enumerate(values)]
    framework = "framework = a / b {\n  normalise none\n  a\n  b\n}\n"
    result, _ = run_file(write(tmp_path, framework, rows))
    a = np.array([r[1] for r in rows])
    b = np.array([r[2] for r in rows])
    np.testing.assert_allclose(result.units.scores["t"], a / b, rtol=1e-12)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=12, unique=True), st.integers(0, 1000))
def test_best_at_ranks_the_nearest_to_the_target_first(tmp_path, values, target):
    rows = [(f"u{i}", v, 1, 0) for i, v in enumerate(values)]
    framework = f"framework {{\n  normalise none\n  d = a {{\n    best at {target}\n  }}\n  b\n}}\n"
    result, _ = run_file(write(tmp_path, framework, rows))
    distance = np.abs(np.array(values) - target)
    expected = [1 + int(np.sum(distance < x)) for x in distance]  # competition ranks
    assert result.units.ranks["d"].tolist() == expected


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=12, unique=True))
def test_flipping_a_formula_nodes_direction_reverses_its_ranks(tmp_path, values):
    rows = [(f"u{i}", v, 1, 0) for i, v in enumerate(values)]
    ranks = {}
    for direction in ("higher", "lower"):
        framework = (
            "framework {\n  normalise none\n  d = 2 * a {\n    "
            f"{direction} is better\n  }}\n  b\n}}\n"
        )
        result, _ = run_file(write(tmp_path, framework, rows))
        ranks[direction] = result.units.ranks["d"]
    n = len(values)
    assert (ranks["higher"] + ranks["lower"] == n + 1).all()


def test_formula_nodes_are_batched_in_uncertainty_analysis(tmp_path):
    path = write(tmp_path, FRAMEWORK + "uncertainty {\n  weights vary 30% at depth 0, 1\n}\n")
    session = Session()
    model = check_file(path, session)
    evaluator = Evaluator(compile_model(model), load(model, path, session))
    variation = sample(model, model.uncertainty, 20, np.random.default_rng(1))
    batch = evaluator.level("unit", variation)
    assert batch.scores["ratio"].shape == (20, 4)
    for r in range(variation.size):
        single = evaluator.level("unit", chunk_of(variation, r, r + 1))
        for node in ("ratio", "adjusted", "t"):
            np.testing.assert_allclose(single.scores[node][0], batch.scores[node][r], atol=1e-12)
    # the weights of `both` vary, so the adjusted (auxiliary) node varies with them
    assert np.ptp(batch.scores["adjusted"], axis=0).max() > 0


def test_explain_says_a_formula_node_is_not_additive(tmp_path):
    result, _ = run_file(write(tmp_path, "framework = a / b {\n  a\n  b\n}\n"))
    explanation = explain(result, "u4")
    assert not explanation.additive
    assert any("formula `a / b`" in why for _, why in explanation.not_additive)


@pytest.mark.parametrize(
    ("framework", "code"),
    [
        ("framework {\n  r = a / bb\n  b\n}\n", "E201"),  # misspelled node: did you mean
        ("framework {\n  a = b / 2\n  k\n}\n", "E264"),  # an indicator's name
        ("framework {\n  r = c.a / 2\n  b\n}\n", "E265"),  # a column
        ("framework {\n  r = t / 2\n  b\n}\n", "E266"),  # reads the index it is part of
        ("framework {\n  x { r = y }\n  y { s = x }\n}\n", "E266"),  # two formulas, a loop
    ],
)
def test_formula_diagnostics(tmp_path, framework, code):
    assert code in codes(write(tmp_path, framework))


def test_a_misspelled_node_gets_a_suggestion(tmp_path):
    path = write(tmp_path, "framework {\n  r = both_a / b\n  both_b { a }\n  b\n}\n")
    with pytest.raises(DiagnosticError) as caught:
        check_file(path, Session())
    (diagnostic,) = [d for d in caught.value.diagnostics if d.code == "E201"]
    assert "both_b" in diagnostic.help
    assert diagnostic.span.line == 7 and diagnostic.span.col == 7


def test_indicators_read_only_by_formulas_are_used(tmp_path):
    session = Session()
    check_file(write(tmp_path, FRAMEWORK), session)
    assert "W240" not in [w.code for w in session.warnings]


def test_formatting_is_canonical_and_idempotent():
    text = 'framework=a/b{\nauxiliary   hdi "H" {a}\n r "R" 1/2 = (1-k)*a {lower is better}\n}\n'
    once = format_text(text)
    assert "framework = a / b {" in once
    assert '  auxiliary hdi "H" {' in once
    assert '  r "R" 1/2 = (1 - k) * a {' in once
    assert format_text(once) == once


def test_an_indicator_reading_a_node_is_told_to_write_a_formula_node(tmp_path):
    path = write(tmp_path, "framework {\n  both { a\n  b }\n}\n", extra="indicator d = both / 2\n")
    with pytest.raises(DiagnosticError) as caught:
        check_file(path, Session())
    (diagnostic,) = [d for d in caught.value.diagnostics if d.code == "E201"]
    assert "is a node of the framework" in diagnostic.help and "formula node" in diagnostic.help


TEMPLATE = """
template pair(x, top) "A pair" {
  indicator first "First" = x
    normalise goalposts(0, top)
  indicator second "Second" = first * 2
    normalise goalposts(0, top)
  aggregate arithmetic
  inner "Inner" {
    first
    second
  }
  both = inner * 2
}
"""


def test_a_template_is_instantiated_with_its_arguments(tmp_path):
    framework = TEMPLATE + (
        "framework = p1 / p2 {\n"
        '  p1 "P1" = pair(c.a, 10)\n'
        '  p2 "P2" = pair(x = c.b, top = 20) {\n    lower is better\n  }\n'
        "  a\n  b\n  k\n}\n"
    )
    result, _ = run_file(write(tmp_path, framework))
    s, raw = result.units.scores, result.units.raw
    a, b = np.array([1, 2, 3, 4.0]), np.array([2, 1, 3, 5.0])
    np.testing.assert_allclose(raw["p1_first"], a)
    np.testing.assert_allclose(raw["p2_second"], 2 * b)
    np.testing.assert_allclose(s["p1_first"], a / 10)  # each instance its own goalposts
    np.testing.assert_allclose(s["p2_first"], b / 20)
    np.testing.assert_allclose(s["p1_inner"], (a / 10 + 2 * a / 10) / 2)
    np.testing.assert_allclose(s["p1"], (s["p1_inner"] + s["p1_both"]) / 2)
    np.testing.assert_allclose(s["p1_both"], 2 * s["p1_inner"])
    np.testing.assert_allclose(s["t"], s["p1"] / s["p2"])
    assert result.units.ranks["p2"].tolist() == [2, 1, 3, 4]  # lower is better, its own
    titles = {n.name: n.title for n in result.graph.model.root.walk()}
    assert titles["p1_inner"] == "Inner (P1)" and titles["p2"] == "P2"


@pytest.mark.parametrize(
    ("instance", "code"),
    [
        ("pair(c.a, 10, 3)", "E170"),
        ("pair(c.a, tpo = 10)", "E171"),
        ("pair(c.a)", "E172"),
        ("pair(c.a, c.b)", "E173"),
    ],
)
def test_template_diagnostics(tmp_path, instance, code):
    framework = TEMPLATE + f"framework {{\n  p = {instance}\n  a\n}}\n"
    assert code in codes(write(tmp_path, framework))


def test_a_template_formats_canonically():
    text = 'template t(x,y) "T" {\nindicator i = x normalise goalposts(0,y)\nz {i}\n}\n'
    once = format_text(text)
    assert once.startswith(
        'template t(x, y) "T" {\n  indicator i = x\n    normalise goalposts(0, y)\n'
    )
    assert format_text(once) == once


def test_above_puts_values_into_classes_by_thresholds(tmp_path):
    rows = [("u1", 0.01, 1, 0), ("u2", 0.025, 1, 0), ("u3", 0.05, 1, 0), ("u4", None, 1, 0)]
    framework = (
        "framework {\n  normalise none\n  a\n"
        "  auxiliary g = 1 + above(a, 0.025) + above(a, 0.04)\n}\n"
    )
    result, _ = run_file(write(tmp_path, framework, rows))
    g = result.units.scores["g"]
    assert g[:3].tolist() == [1, 1, 3] and np.isnan(g[3])


def test_units_scored_with_missing_children_are_named(tmp_path):
    rows = [("u1", 1, None, 0), ("u2", 2, 1, 0), ("u3", 3, 3, 0)]
    result, session = run_file(write(tmp_path, "framework {\n  a\n  b\n}\n", rows))
    (warning,) = [w for w in session.warnings if w.code == "W406"]
    assert warning.message.startswith("1 unit was scored with missing values")
    assert warning.notes == ("`t`: 1 unit (u1)",)
    (tmp_path / "p").mkdir()
    framework = "framework {\n  missing propagate\n  a\n  b\n}\n"
    _, session = run_file(write(tmp_path / "p", framework, rows))
    assert "W406" not in [w.code for w in session.warnings]


def test_parameters_and_constant_expressions_are_numbers_for_components(tmp_path):
    extra = "parameter top = 10\nindicator e = goalposts(c.a, log(1), top)\n  normalise none\n"
    framework = "framework {\n  normalise goalposts(0, top)\n  a\n  e\n}\n"
    result, session = run_file(write(tmp_path, framework, extra=extra))
    a = np.array([1, 2, 3, 4.0])
    np.testing.assert_allclose(result.units.raw["e"], a / 10)
    np.testing.assert_allclose(result.units.scores["a"], a / 10)


@pytest.mark.parametrize(
    "settings", ["missing propagate", 'aggregate geometric(nonpositive = "missing")']
)
def test_a_child_weighted_zero_never_removes_units_from_its_parent(tmp_path, settings):
    rows = [("u1", 1, None, 0), ("u2", 2, 1, 0), ("u3", 3, 3, 0)]  # u1 lacks b; u2's b is 0
    framework = f"framework {{\n  {settings}\n  normalise none\n  a 1\n  b 0\n}}\n"
    result, _ = run_file(
        write(tmp_path, framework, [(k, a, b and b - 1, c) for k, a, b, c in rows])
    )
    np.testing.assert_allclose(result.units.scores["t"], [1, 2, 3])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.floats(0, 100)),
            st.one_of(st.none(), st.floats(0, 100)),
            st.one_of(st.none(), st.floats(0, 1)),
        ),
        min_size=3,
        max_size=10,
    ),
    st.sampled_from(["missing skip", "missing propagate"]),
)
def test_property_an_auxiliary_node_never_changes_the_index(tmp_path, values, missing):
    """Whatever the data (missing values included) and the missing-value rule, adding
    auxiliary nodes (a subtree and a formula over the index) changes no index score."""
    rows = [(f"u{i}", a, b, k) for i, (a, b, k) in enumerate(values)]
    plain = f"framework {{\n  {missing}\n  normalise goalposts(0, 100)\n  a\n  b\n}}\n"
    extended = plain.replace(
        "  b\n}", "  b\n  auxiliary side { k }\n  auxiliary ratio = t / (1 + k)\n}"
    )
    scores = []
    for name, framework in (("p", plain), ("e", extended)):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        result, _ = run_file(write(folder, framework, rows))
        scores.append(result.units.scores["t"])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_a_formula_reading_an_indicator_without_pair_values_is_located(tmp_path):
    """Pathway scores evaluate formulas per pair: an indicator with no value per pair
    read by a formula is E231 at check time, not a failure while computing."""
    (tmp_path / "r.csv").write_text("a,b,f\nu1,u2,1\nu2,u3,2\n", encoding="utf-8")
    extra = 'pairs r { from csv("r.csv") between a and b undirected }\nindicator f = sum(r.f)\n'
    framework = "framework {\n  pathways r\n  f\n  auxiliary g = (1 - k) * f\n}\n"
    assert "E231" in codes(write(tmp_path, framework, extra=extra))


def test_a_second_instance_missing_an_argument_is_reported_after_an_earlier_error(tmp_path):
    framework = TEMPLATE + "framework {\n  p = pair(c.a, 10, 3)\n  q = pair(c.b)\n  a\n}\n"
    found = codes(write(tmp_path, framework))
    assert "E170" in found and "E172" in found


class TestBestAt:
    """`best at N` on a node: the score nearest N ranks first (parity at 1)."""

    ROWS = [("u1", 1, 1, 0), ("u2", 3, 2, 0), ("u3", 2, 4, 0), ("u4", 9, 10, 0)]

    def test_ranks_by_distance_to_the_target(self, tmp_path):
        # a / b: 1, 1.5, 0.5, 0.9 -> distances 0, 0.5, 0.5, 0.1
        framework = (
            "framework {\n  normalise goalposts(0, 10)\n  r = a / b {\n    best at 1\n  }\n"
            "  aux { a b }\n}\n"
        )
        result, _ = run_file(write(tmp_path, framework, self.ROWS))
        assert result.units.ranks["r"].tolist() == [1, 3, 3, 2]

    def test_with_a_direction_it_is_e245(self, tmp_path):
        framework = "framework {\n  r = a / b {\n    lower is better\n    best at 1\n  }\n}\n"
        assert "E245" in codes(write(tmp_path, framework, self.ROWS))
