"""Statistical audit and what-if analysis, checked on hand-computed examples."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import scipy.stats

from indexdsl.analyses.audit import audit, cronbach_alpha, first_component_share, skew_kurtosis
from indexdsl.cli import main
from indexdsl.pipeline import evaluate_model, run_file


def test_cronbach_alpha_by_hand():
    # items (1,2,3) and (2,4,6): variances 1 and 4, total (3,6,9) variance 9
    # α = 2/1 · (1 − 5/9) = 8/9
    matrix = np.array([[1, 2], [2, 4], [3, 6.0]])
    assert cronbach_alpha(matrix) == pytest.approx(8 / 9)


def test_first_component_share_of_perfectly_correlated_children_is_one():
    matrix = np.array([[1, 2], [2, 4], [3, 7.0], [5, 9]])
    r = np.corrcoef(matrix, rowvar=False)[0, 1]
    assert first_component_share(matrix) == pytest.approx((1 + r) / 2)


def test_skewness_and_kurtosis_match_scipys_sample_adjusted_definitions():
    x = np.random.default_rng(3).lognormal(size=40)
    skew, kurt = skew_kurtosis(x)
    assert skew == pytest.approx(scipy.stats.skew(x, bias=False))
    assert kurt == pytest.approx(scipy.stats.kurtosis(x, bias=False))


@pytest.fixture
def index(tmp_path):
    (tmp_path / "u.csv").write_text(
        "id,a,b,c\np,1,9,1\nq,2,7,2\nr,3,8,3\ns,4,1,100\n", encoding="utf-8"
    )
    path = tmp_path / "t.idx"
    path.write_text(
        textwrap.dedent("""\
        index t { }
        units u { from csv("u.csv") key id }
        indicator a = u.a
        indicator b = u.b
        indicator c = u.c
        framework {
          first { a b }
          c
        }
    """),
        encoding="utf-8",
    )
    return path


def test_audit_finds_negative_pairs_and_correlations(index):
    result, _ = run_file(index)
    nodes, indicators = audit(result)
    first = next(n for n in nodes if n.node == "first")
    assert [(a, b) for a, b, _ in first.negative_pairs] == [("a", "b")]
    expected = np.corrcoef(result.units.scores["a"], result.units.scores["first"])[0, 1]
    assert first.with_parent[0] == pytest.approx(expected)
    assert [i.indicator for i in indicators] == ["a", "b", "c"]


def test_whatif_drops_a_node_and_rescales_its_siblings(index, capsys):
    assert main(["whatif", str(index), "--drop", "c"]) == 0
    out = capsys.readouterr().out
    assert "Without c" in out
    # without c the index is `first` alone: (a + b)/2 of min-max scores
    # a: 0, 33.3, 66.7, 100; b: 100, 75, 87.5, 0 → p 50, q 54.2, r 77.1, s 50
    assert main(["whatif", str(index), "--drop", "cc"]) == 1
    assert "did you mean `c`?" in capsys.readouterr().err


def test_whatif_ranks_by_hand(index):
    from indexdsl.analyses.whatif import drop_nodes

    result, session = run_file(index)
    changed = drop_nodes(result, ["c"], evaluate_model)
    assert changed.units.scores["t"] == pytest.approx([50, 325 / 6, 925 / 12, 50])
    assert changed.units.ranks["t"].tolist() == [3, 2, 1, 3]


def test_audit_command(index, capsys):
    assert main(["audit", str(index)]) == 0
    out = capsys.readouterr().out
    assert "Cronbach" in out and "a–b" in out
