"""The Python API (`indexdsl.load`): every expected value is computed by hand on a
three-unit index.

Units alpha, beta, gamma; min-max to 0-100 by default:
    x = c.x   [1, 2, 4]            → [0, 33.33…, 100]
    y = c.y   [10, 30, 20]         → [0, 100, 50]
    z = c.z   [3, 1, 5], lower     → [50, 100, 0]
    a = x                           [0, 33.33…, 100]
    b = (y + z) / 2                 [25, 100, 25]
    t = a/4 + 3b/4                  [18.75, 83.33…, 43.75]   ranks [3, 1, 2]
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import indexdsl
from conftest import simple_index, units_csv
from indexdsl.api import Index, InvalidIndexError, Results
from indexdsl.diagnostics import UsageError

KEYS = ["alpha", "beta", "gamma"]
COLUMNS = {"x": [1, 2, 4], "y": [10, 30, 20], "z": [3, 1, 5]}
INDICATORS = {"x": "c.x", "y": "c.y", "z": "c.z  lower is better"}
FRAMEWORK = "a 1/4 { x }\nb 3/4 { y  z }"
T = [18.75, 25 / 3 + 75, 43.75]


@pytest.fixture
def tiny(project):
    return project.index(
        simple_index(INDICATORS, FRAMEWORK), {"units.csv": units_csv(COLUMNS, KEYS)}
    )


def test_load_is_exported_lazily_and_import_stays_cheap():
    code = (
        "import sys, indexdsl\n"
        "assert 'numpy' not in sys.modules, 'import indexdsl imported numpy'\n"
        "assert 'indexdsl.api' not in sys.modules\n"
        "from indexdsl import load\n"
        "assert 'numpy' in sys.modules and callable(load)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert indexdsl.load is __import__("indexdsl.api").api.load
    assert "load" in dir(indexdsl)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        indexdsl.nothing  # noqa: B018


class TestIndex:
    def test_model_and_clean_check(self, tiny):
        index = indexdsl.load(tiny)
        assert isinstance(index, Index)
        assert index.ok
        assert index.name == "t" and index.title == "Test index"
        assert [n.name for n in index.model.nodes()] == ["t", "a", "x", "b", "y", "z"]
        assert index.check() == []
        assert "<Index t 'Test index'" in repr(index)

    def test_warnings_are_returned_not_raised(self, project):
        path = project.index(
            simple_index(INDICATORS, "a 33% { x }\nb 33% { y }\nc2 33% { z }"),
            {"units.csv": units_csv(COLUMNS, KEYS)},
        )
        index = indexdsl.load(path)
        diagnostics = index.check()
        assert [d.code for d in diagnostics] == ["W253"]
        results = index.run()  # a warning does not stop the run
        assert results.warnings == diagnostics
        assert results.scores()["alpha"] == pytest.approx((0 + 0 + 50) / 3)

    def test_errors_are_listed_by_check_and_raised_by_model_and_run(self, project):
        path = project.index(
            simple_index({"income": "c.x"}, "incme"), {"units.csv": units_csv(COLUMNS, KEYS)}
        )
        index = indexdsl.load(path)  # does not raise
        assert not index.ok
        assert [d.code for d in index.check()] == ["W240", "E201"]  # warnings first
        with pytest.raises(InvalidIndexError) as info:
            _ = index.model
        text = str(info.value)
        assert "error[E201]: unknown indicator `incme`" in text
        assert "index.idx:" in text and "did you mean `income`?" in text
        with pytest.raises(InvalidIndexError):
            index.run()
        assert "1 error" in repr(index)
        assert "error[E201]" in index.format()

    def test_data_errors_come_from_check(self, project):
        path = project.index(
            simple_index(INDICATORS, FRAMEWORK),
            {"units.csv": units_csv({**COLUMNS, "y": [10, "ten", 20]}, KEYS)},
        )
        index = indexdsl.load(path)
        assert not index.ok  # the definition is fine, the data are not
        assert [d.code for d in index.check()] == ["E303"]
        with pytest.raises(InvalidIndexError, match="E303"):
            index.run()

    def test_missing_file_and_unknown_parameter(self, project, tiny):
        with pytest.raises(FileNotFoundError, match="nope.idx"):
            indexdsl.load("nope.idx")
        with pytest.raises(UsageError, match="no parameter `year`"):
            indexdsl.load(tiny, year=2020)

    def test_parameters_are_keyword_arguments(self, project):
        text = simple_index({"x": "c.x_{year}", "y": "c.y"}, "x\ny").replace(
            "units c", "parameter year = 2021\nunits c"
        )
        path = project.index(
            text,
            {"units.csv": units_csv({"x_2020": [1, 2, 3], "x_2021": [3, 2, 1], "y": [1, 2, 3]})},
        )
        assert indexdsl.load(path).run().raw("x") == {"u0": 3.0, "u1": 2.0, "u2": 1.0}
        results = indexdsl.load(path, year=2020).run()
        assert results.raw("x") == {"u0": 1.0, "u1": 2.0, "u2": 3.0}
        assert results.ranks() == {"u0": 3, "u1": 2, "u2": 1}


class TestResults:
    def test_scores_and_ranks_by_hand(self, tiny):
        results = indexdsl.load(tiny).run()
        assert isinstance(results, Results)
        assert results.units == ("alpha", "beta", "gamma")
        assert results.labels == {"alpha": "ALPHA", "beta": "BETA", "gamma": "GAMMA"}
        assert results.nodes == ("t", "a", "x", "b", "y", "z")
        assert results.indicators == ("x", "y", "z")
        assert results.scores() == pytest.approx(dict(zip(KEYS, T, strict=True)))
        assert results.ranks() == {"alpha": 3, "beta": 1, "gamma": 2}
        assert results.scores("b") == pytest.approx({"alpha": 25, "beta": 100, "gamma": 25})
        assert results.ranks("b") == {"alpha": 2, "beta": 1, "gamma": 2}  # ties share
        assert results.scores("z") == pytest.approx({"alpha": 50, "beta": 100, "gamma": 0})
        assert results.raw("z") == {"alpha": 3.0, "beta": 1.0, "gamma": 5.0}
        assert all(type(v) is int for v in results.ranks().values())

    def test_arrays_are_read_only_copies(self, tiny):
        results = indexdsl.load(tiny).run()
        scores = results.array()
        np.testing.assert_allclose(scores, T)
        assert results.array("a", "rank").tolist() == [3, 2, 1]
        assert results.array("y", "raw").tolist() == [10, 30, 20]
        with pytest.raises(ValueError):
            scores[0] = 1.0
        with pytest.raises(ValueError, match="not an indicator"):
            results.array("b", "raw")
        with pytest.raises(ValueError, match='"score", "rank" or "raw"'):
            results.array("b", "mean")

    def test_unknown_node_suggests_a_name(self, tiny):
        results = indexdsl.load(tiny).run()
        with pytest.raises(KeyError, match="did you mean `b`"):
            results.scores("bb")

    def test_missing_scores_are_nan_and_rank_zero(self, project):
        path = project.index(
            simple_index({"x": "c.x"}, "x"),
            {"units.csv": units_csv({"x": [1, "NA", 3]}, KEYS)},
        )
        results = indexdsl.load(path).run()
        assert math.isnan(results.scores()["beta"])
        assert results.ranks() == {"alpha": 2, "beta": 0, "gamma": 1}
        assert "–" in repr(results)

    def test_pathways(self, project):
        pairs = 'pairs p "Links" {\n  from csv("pairs.csv")\n  between a and b\n}\n'
        path = project.index(
            simple_index(
                {"sv": "sum(p.v)", "sw": "sum(p.w)"}, "pathways p\nsv 50%\nsw 50%", pairs=pairs
            ),
            {
                "units.csv": units_csv({}, ["A", "B", "C"]),
                "pairs.csv": "a,b,v,w\nA,B,3,10\nB,C,5,30\nA,C,1,20\n",
            },
        )
        results = indexdsl.load(path).run()
        # v → [50, 100, 0], w → [0, 100, 50]: pathway scores [25, 100, 25]
        assert results.pathways() == pytest.approx(
            {("A", "B"): 25, ("B", "C"): 100, ("A", "C"): 25}
        )
        assert results.pathway_ranks() == {("A", "B"): 2, ("B", "C"): 1, ("A", "C"): 2}
        assert results.pathways("sv") == pytest.approx(
            {("A", "B"): 50, ("B", "C"): 100, ("A", "C"): 0}
        )
        assert "3 pathways" in repr(results)

    def test_no_pathways_is_a_clear_error(self, tiny):
        with pytest.raises(ValueError, match="scores no pathways"):
            indexdsl.load(tiny).run().pathways()

    def test_explain(self, tiny):
        explanation = indexdsl.load(tiny).run().explain("gamma")
        assert explanation.additive
        assert explanation.contributions() == pytest.approx({"x": 25, "y": 18.75, "z": 0})
        with pytest.raises(KeyError, match="did you mean `gamma`"):
            indexdsl.load(tiny).run().explain("gama")

    def test_repr_is_a_table_best_first(self, tiny):
        text = repr(indexdsl.load(tiny).run())
        lines = text.splitlines()
        assert lines[0] == "<Results: Test index (t): 3 units, 6 nodes>"
        assert lines[1].split() == ["rank", "unit", "t", "a", "b"]
        assert lines[2].split() == ["1", "BETA", "83.33", "33.33", "100.00"]
        assert lines[3].split() == ["2", "GAMMA", "43.75", "100.00", "25.00"]
        assert lines[4].split() == ["3", "ALPHA", "18.75", "0.00", "25.00"]

    def test_html_table_escapes_and_truncates(self, project):
        keys = [f"k{i}" for i in range(60)]
        csv = units_csv({"x": list(range(60))}, keys).replace("K59,", "<b>K59</b>,", 1)
        path = project.index(simple_index({"x": "c.x"}, "x"), {"units.csv": csv})
        html = indexdsl.load(path).run()._repr_html_()
        assert html.startswith("<table>") and html.endswith("</table>")
        assert "&lt;b&gt;K59&lt;/b&gt;" in html and "<b>K59" not in html
        assert html.count("<tr>") == 1 + 50 + 1  # header, 50 units, "… 10 more units"
        assert "10 more units" in html
        assert "<td>1</td><td>k59</td>" in html  # best first


class TestPandas:
    def test_to_pandas(self, tiny):
        pd = pytest.importorskip("pandas")
        frames = indexdsl.load(tiny).run().to_pandas()
        assert set(frames) == {"units", "indicators", "nodes"}
        units = frames["units"]
        assert isinstance(units, pd.DataFrame)
        assert list(units.index) == ["beta", "gamma", "alpha"]  # in the ranking's order
        assert list(frames["indicators"].index) == ["beta", "gamma", "alpha"]
        assert units.loc["beta", "t_score"] == pytest.approx(T[1])
        assert units.loc["alpha", "t_rank"] == 3
        assert frames["indicators"].loc["gamma", "z"] == 5
        assert frames["nodes"].loc["b", "parent"] == "t"
        assert frames["nodes"].loc["b", "weight"] == pytest.approx(0.75)

    def test_without_pandas_the_error_says_how_to_install_it(self, tiny, monkeypatch):
        results = indexdsl.load(tiny).run()
        monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
        with pytest.raises(ImportError, match="needs pandas.*pip install pandas"):
            results.to_pandas()


class TestAnalyses:
    """The analyses of the command line, from Python: results checked by hand."""

    def test_with_weights_changes_a_weight_and_renormalises_its_siblings(self, tiny):
        results = indexdsl.load(tiny).run()
        # a 1/4 -> 3/4 as written, b stays 3/4: both become 1/2
        changed = results.with_weights(a=0.75)
        a, b = np.array([0, 100 / 3, 100]), np.array([25, 100, 25])
        np.testing.assert_allclose(changed.array(), (a + b) / 2)
        assert changed.ranks() == {"alpha": 3, "beta": 1, "gamma": 2}
        np.testing.assert_allclose(results.array(), T)  # the original is unchanged
        with pytest.raises(KeyError, match="did you mean `a`"):
            results.with_weights(aa=1)
        with pytest.raises(ValueError, match="0 or more"):
            results.with_weights(a=-1)

    def test_without_leaves_a_node_out(self, tiny):
        results = indexdsl.load(tiny).run()
        np.testing.assert_allclose(results.without("a").array(), [25, 100, 25])
        with pytest.raises(KeyError, match="not a node"):
            results.without("nothing")

    def test_audit_and_uncertainty_need_what_the_commands_need(self, tiny):
        results = indexdsl.load(tiny).run()
        nodes, indicators = results.audit()
        assert {n.node for n in nodes} >= {"b"}
        with pytest.raises(ValueError, match="no `uncertainty` block"):
            results.uncertainty(samples=10)

    def test_uncertainty_and_sensitivity(self, project):
        text = simple_index(INDICATORS, FRAMEWORK) + (
            "uncertainty {\n  weights vary 20% of nodes at depth 1\n"
            "  normalise minmax(0, 100) or rank\n}\n"
        )
        path = project.index(text, {"units.csv": units_csv(COLUMNS, KEYS)})
        results = indexdsl.load(path).run()
        u = results.uncertainty(samples=50, seed=3)
        assert u.ranks.shape == (50, 3)
        low, high = u.interval()
        assert all(lo <= r <= hi for lo, r, hi in zip(low, u.nominal, high, strict=True))
        s = results.sensitivity(n=16, seed=3, bootstrap=10)
        assert len(s.first) == 2

    def test_an_explanation_shows_as_text_in_a_notebook(self, tiny):
        explanation = indexdsl.load(tiny).run().explain("gamma")
        assert "gamma" in explanation.text().lower()
        assert explanation._repr_html_().startswith("<pre>")
        assert str(explanation) == explanation.text()


def test_an_index_shows_its_framework_in_a_notebook(project, tiny):
    shown = indexdsl.load(tiny)._repr_html_()
    assert shown.count("<li>") == 6  # the index, two dimensions, three indicators
    assert "<code>b</code> 3/4" in shown and "lower is better" in shown
    bad = project.index(simple_index({"x": "c.x"}, "x\nnope"), name="bad.idx")
    assert indexdsl.load(bad)._repr_html_().startswith("<pre>error[E201]")
