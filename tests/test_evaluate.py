"""Compiling and evaluating: every expected value here is computed by hand on tiny data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import line_col_of, only, simple_index, units_csv
from indexdsl.compile import AggregateNode, ComputeIndicator, NormaliseLeaf
from indexdsl.evaluate import competition_ranks

NAN = math.nan


def run(project, indicators, framework, columns, *, defaults="", pairs="", files=None):
    """Write an index over units u0, u1, … with ``columns`` and run it."""
    text = simple_index(indicators, framework, defaults=defaults, pairs=pairs)
    keys = None
    if columns and "id" in columns:
        columns = dict(columns)
        keys = columns.pop("id")
    project.index(text, {"units.csv": units_csv(columns, keys), **(files or {})})
    result, session = project.run()
    return result, session


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-12)


class TestCompile:
    def test_steps_are_topologically_ordered(self, project):
        result, _ = run(
            project,
            {"total": "a + b", "a": "c.x", "b": "c.y * 2"},
            "d1 40% { total  a }\nd2 60% { b }",
            {"x": [1, 2], "y": [3, 5]},
        )
        graph = result.graph
        kinds = [(type(s).__name__, getattr(s, "name", None) or s.node) for s in graph.steps]
        assert kinds == [
            ("ComputeIndicator", "a"),
            ("ComputeIndicator", "b"),
            ("ComputeIndicator", "total"),
            ("NormaliseLeaf", "total"),
            ("NormaliseLeaf", "a"),
            ("AggregateNode", "d1"),
            ("NormaliseLeaf", "b"),
            ("AggregateNode", "d2"),
            ("AggregateNode", "t"),
        ]
        assert graph.node_order == ("t", "d1", "total", "a", "d2", "b")
        assert graph.root == "t"

    def test_aggregation_steps_hold_final_read_only_weights(self, project):
        result, _ = run(
            project,
            {"a": "c.x", "b": "c.y", "e": "c.z"},
            "d1 1/2 { a 1/4  b 3/4 }\nd2 1/2 { weights equal  e }",
            {"x": [1, 2], "y": [3, 5], "z": [1, 0]},
        )
        steps = {s.node: s for s in result.graph.steps if isinstance(s, AggregateNode)}
        assert steps["d1"].children == ("a", "b")
        close(steps["d1"].weights, [0.25, 0.75])
        close(steps["d2"].weights, [1.0])
        close(steps["t"].weights, [0.5, 0.5])
        with pytest.raises(ValueError):
            steps["d1"].weights[0] = 1.0
        leaves = [s for s in result.graph.steps if isinstance(s, NormaliseLeaf)]
        assert {s.indicator for s in leaves} == {"a", "b", "e"}
        computed = [s.name for s in result.graph.steps if isinstance(s, ComputeIndicator)]
        assert sorted(computed) == ["a", "b", "e"]

    def test_illustrative_columns_taint_their_dependants(self, project):
        index = simple_index({"a": "c.x", "b": "a * 2", "e": "c.z"}, "b\ne").replace(
            "  label name\n", '  label name\n  illustrative x "made up"\n'
        )
        project.index(index, {"units.csv": units_csv({"x": [1, 2], "z": [2, 1]})})
        result, _ = project.run()
        assert result.graph.illustrative == frozenset({"a", "b"})


class TestNormalisers:
    def test_minmax_to_0_100(self, project):
        result, _ = run(project, {"x": "c.x"}, "x", {"x": [1, 2, 4]})
        close(result.units.scores["x"], [0, 100 / 3, 100])
        close(result.units.raw["x"], [1, 2, 4])
        assert result.units.fitted["x"] == {"min": 1.0, "max": 4.0}

    def test_minmax_to_60_100(self, project):
        result, _ = run(
            project, {"x": "c.x"}, "x", {"x": [1, 2, 4]}, defaults="normalise minmax(60, 100)"
        )
        close(result.units.scores["x"], [60, 60 + 40 / 3, 100])

    def test_lower_is_better_is_flipped_once(self, project):
        result, _ = run(project, {"x": "c.x lower is better"}, "x", {"x": [1, 2, 4]})
        close(result.units.scores["x"], [100, 200 / 3, 0])
        assert result.units.ranks["x"].tolist() == [1, 2, 3]

    def test_zscore(self, project):
        x = [1, 2, 3, 6]  # mean 3, sample sd sqrt(14/3)
        sd = math.sqrt(14 / 3)
        result, _ = run(project, {"x": "c.x normalise zscore"}, "x", {"x": x})
        close(result.units.scores["x"], [(v - 3) / sd for v in x])
        close(result.units.fitted["x"]["sd"], sd)
        result, _ = run(project, {"x": "c.x normalise zscore(100, 10)"}, "x", {"x": x})
        close(result.units.scores["x"], [100 + 10 * (v - 3) / sd for v in x])

    def test_rank_shares_average_ranks_for_ties(self, project):
        result, _ = run(project, {"x": "c.x normalise rank"}, "x", {"x": [10, 30, 20, 20]})
        close(result.units.scores["x"], [1, 4, 2.5, 2.5])

    def test_missing_values_stay_missing(self, project):
        result, _ = run(project, {"x": "c.x"}, "x", {"x": [1, "NA", 3]})
        close(result.units.scores["x"], [0, NAN, 100])
        assert result.units.ranks["x"].tolist() == [2, 0, 1]

    def test_normaliser_inside_an_expression(self, project):
        result, _ = run(project, {"x": "minmax(c.x, 0, 10) + c.y"}, "x", {"x": [1, 3], "y": [0, 1]})
        close(result.units.raw["x"], [0, 11])


class TestAggregation:
    X = [1, 2, 4]  # min-max → 0, 33.3, 100 ; minmax(1, 100) → 1, 34, 100
    Y = [10, 30, 20]  # min-max → 0, 100, 50 ; minmax(1, 100) → 1, 100, 50.5

    def test_weighted_arithmetic_mean(self, project):
        result, _ = run(
            project, {"x": "c.x", "y": "c.y"}, "x 25%\ny 75%", {"x": self.X, "y": self.Y}
        )
        close(result.units.scores["t"], [0, 0.25 * 100 / 3 + 75, 25 + 37.5])
        assert result.units.ranks["t"].tolist() == [3, 1, 2]

    def test_weighted_geometric_mean(self, project):
        result, _ = run(
            project,
            {"x": "c.x", "y": "c.y"},
            "aggregate geometric\nx 1/4\ny 3/4",
            {"x": self.X, "y": self.Y},
            defaults="normalise minmax(1, 100)",
        )
        close(result.units.scores["x"], [1, 34, 100])
        close(result.units.scores["y"], [1, 100, 50.5])
        expected = [1, 34**0.25 * 100**0.75, 100**0.25 * 50.5**0.75]
        close(result.units.scores["t"], expected)
        assert result.units.ranks["t"].tolist() == [3, 1, 2]

    def test_nested_dimensions(self, project):
        result, _ = run(
            project,
            {"x": "c.x", "y": "c.y", "z": "c.z"},
            "d1 40% { x 50%  y 50% }\nd2 60% { z }",
            {"x": self.X, "y": self.Y, "z": [3, 2, 1]},
        )
        d1 = [0, (100 / 3 + 100) / 2, 75]
        z = [100, 50, 0]
        close(result.units.scores["d1"], d1)
        close(result.units.scores["d2"], z)
        close(result.units.scores["t"], [0.4 * a + 0.6 * b for a, b in zip(d1, z, strict=True)])

    def test_a_missing_child_is_skipped_and_the_weights_rescaled(self, project):
        result, _ = run(
            project, {"x": "c.x", "y": "c.y"}, "x 25%\ny 75%", {"x": [1, "", 4], "y": self.Y}
        )
        # unit 1 has no x: its score is y alone; the others as usual
        close(result.units.scores["t"], [0, 100, 25 + 37.5])

    def test_geometric_mean_with_a_missing_child(self, project):
        result, _ = run(
            project,
            {"x": "c.x", "y": "c.y"},
            "aggregate geometric\nx 1/4\ny 3/4",
            {"x": [1, "", 4], "y": self.Y},
            defaults="normalise minmax(1, 100)",
        )
        close(result.units.scores["t"], [1, 100, 100**0.25 * 50.5**0.75])

    def test_all_children_missing(self, project):
        result, _ = run(
            project, {"x": "c.x", "y": "c.y"}, "x\ny", {"x": [1, "", 4], "y": [1, "", 2]}
        )
        assert math.isnan(result.units.scores["t"][1])
        assert result.units.ranks["t"].tolist() == [2, 0, 1]

    def test_weights_actually_used_are_the_renormalised_ones(self, project):
        result, session = run(
            project,
            {"x": "c.x", "y": "c.y", "z": "c.z"},
            "x 33%\ny 33%\nz 33%",
            {"x": [0, 3], "y": [0, 6], "z": [9, 0]},
        )
        only(session.warnings, "W253")
        (step,) = [s for s in result.graph.steps if isinstance(s, AggregateNode)]
        close(step.weights, [1 / 3] * 3)
        close(result.units.scores["t"], [100 / 3, 200 / 3])


class TestExpressions:
    @pytest.mark.parametrize(
        "expr, expected",
        [
            ("c.x + c.y * 2", [1 + 8, 2 + 0, 4 + 2]),
            ("(c.x + c.y) * 2", [10, 4, 10]),
            ("c.x / c.y", [0.25, NAN, 4]),  # division by zero is a missing value
            ("-c.x", [-1, -2, -4]),
            ("c.x ^ 2", [1, 4, 16]),
            ("2 ^ c.x", [2, 4, 16]),
            ("c.x - c.y - 1", [-4, 1, 2]),
            ("log(c.x)", [0, math.log(2), math.log(4)]),
            ("log10(c.x * 25)", [math.log10(25), math.log10(50), 2]),
            ("sqrt(c.x)", [1, math.sqrt(2), 2]),
            ("abs(c.y - 2)", [2, 2, 1]),
            ("cap(c.x, 1.5, 3)", [1.5, 2, 3]),
            ("max(c.x, c.y)", [4, 2, 4]),
            ("min(c.x, c.y)", [1, 0, 1]),
        ],
    )
    def test_raw_values(self, project, expr, expected):
        result, _ = run(project, {"v": expr}, "v", {"x": [1, 2, 4], "y": [4, 0, 1]})
        close(result.units.raw["v"], expected)

    def test_indicators_built_from_indicators(self, project):
        result, _ = run(
            project,
            {"ratio": "base / c.pop", "base": "c.gdp * 1000"},
            "ratio",
            {"gdp": [1, 2, 3], "pop": [10, 10, 100]},
        )
        close(result.units.raw["base"], [1000, 2000, 3000])
        close(result.units.raw["ratio"], [100, 200, 30])


UNDIRECTED = """
pairs p "Links" {
  from csv("pairs.csv")
  between a and b
  undirected
}
"""
DIRECTED = UNDIRECTED.replace("undirected", "directed")


class TestPartnerAggregation:
    # A-B 3, B-C 5, A-C 0, C-D missing
    PAIRS = "a,b,v\nA,B,3\nB,C,5\nA,C,0\nC,D,\n"
    KEYS = ["A", "B", "C", "D"]

    def raw(self, project, expr, pairs=UNDIRECTED, data=None):
        result, _ = run(
            project,
            {"agg": expr, "other": "c.x"},
            "agg\nother",
            {"id": self.KEYS, "x": [1, 2, 3, 4]},
            pairs=pairs,
            files={"pairs.csv": data or self.PAIRS},
        )
        return result.units.raw["agg"]

    def test_sum_over_undirected_pairs(self, project):
        close(self.raw(project, "sum(p.v)"), [3, 8, 5, 0])

    def test_mean_over_undirected_pairs(self, project):
        close(self.raw(project, "mean(p.v)"), [1.5, 4, 2.5, NAN])

    def test_count_of_non_zero_links(self, project):
        close(self.raw(project, "count(p.v)"), [1, 2, 1, 0])

    def test_max_over_partners(self, project):
        close(self.raw(project, "max(p.v)"), [3, 5, 5, NAN])

    def test_min_over_partners(self, project):
        close(self.raw(project, "min(p.v)"), [0, 3, 0, NAN])

    def test_expression_inside_an_aggregation(self, project):
        close(self.raw(project, "sum(p.v * 2 + 1)"), [8, 18, 12, 0])

    # directed: A→B 3, B→A 1, B→C 5
    DIRECTED_PAIRS = "a,b,v\nA,B,3\nB,A,1\nB,C,5\n"

    @pytest.mark.parametrize(
        "flow, expected",
        [("", [4, 9, 5, 0]), (", flow = both", [4, 9, 5, 0]), (", flow = out", [3, 6, 0, 0]),
         (", flow = in", [1, 3, 5, 0])],
    )  # fmt: skip
    def test_sum_over_directed_pairs(self, project, flow, expected):
        close(self.raw(project, f"sum(p.v{flow})", DIRECTED, self.DIRECTED_PAIRS), expected)

    def test_count_and_mean_over_directed_pairs(self, project):
        close(
            self.raw(project, "count(p.v, flow = out)", DIRECTED, self.DIRECTED_PAIRS), [1, 2, 0, 0]
        )
        close(
            self.raw(project, "mean(p.v, flow = in)", DIRECTED, self.DIRECTED_PAIRS),
            [1, 3, 5, NAN],
        )

    def test_flow_is_ignored_for_undirected_pairs(self, project):
        close(self.raw(project, "sum(p.v, flow = out)"), [3, 8, 5, 0])


class TestPathways:
    # A-B: v 3, w 10 ; B-C: v 5, w 30 ; A-C: v 1, w 20
    PAIRS = "a,b,v,w\nA,B,3,10\nB,C,5,30\nA,C,1,20\n"

    def run(self, project, pairs_block=UNDIRECTED):
        result, _ = run(
            project,
            {"sv": "sum(p.v)", "sw": "sum(p.w)"},
            "pathways p\nsv 50%\nsw 50%",
            {"id": ["A", "B", "C"]},
            pairs=pairs_block,
            files={"pairs.csv": self.PAIRS},
        )
        return result

    def test_unit_scores(self, project):
        result = self.run(project)
        close(result.units.raw["sv"], [4, 8, 6])
        close(result.units.raw["sw"], [30, 40, 50])
        close(result.units.scores["t"], [0, 75, 75])
        assert result.units.ranks["t"].tolist() == [3, 1, 1]

    def test_pathway_scores_use_each_link_on_its_own(self, project):
        result = self.run(project)
        pairs = result.pairs
        close(pairs.raw["sv"], [3, 5, 1])
        close(pairs.scores["sv"], [50, 100, 0])
        close(pairs.scores["sw"], [0, 100, 50])
        close(pairs.scores["t"], [25, 100, 25])
        assert pairs.ranks["t"].tolist() == [2, 1, 2]
        assert pairs.fitted["sv"] == {"min": 1.0, "max": 5.0}
        assert result.pair_data.a.tolist() == [0, 1, 0]

    def test_pathway_names(self, project, registry):
        from indexdsl.evaluate import Evaluator

        result = self.run(project)
        names = Evaluator(result.graph, result.data, registry).pair_names()
        assert names == ("A – B", "B – C", "A – C")
        result = self.run(project, DIRECTED)
        names = Evaluator(result.graph, result.data, registry).pair_names()
        assert names == ("A → B", "B → C", "A → C")

    def test_no_pathways_without_the_setting(self, project):
        result, _ = run(
            project,
            {"sv": "sum(p.v)"},
            "sv",
            {"id": ["A", "B", "C"]},
            pairs=UNDIRECTED,
            files={"pairs.csv": self.PAIRS},
        )
        assert result.pairs is None and result.pair_data is None


class TestRanks:
    def test_competition_ranks(self):
        assert competition_ranks(np.array([90.0, 80, 80, 70])).tolist() == [1, 2, 2, 4]
        assert competition_ranks(np.array([70.0, 80, 90, 80])).tolist() == [4, 2, 1, 2]
        assert competition_ranks(np.array([5.0, 5, 5])).tolist() == [1, 1, 1]

    def test_missing_scores_get_rank_zero_and_do_not_count(self):
        assert competition_ranks(np.array([5.0, NAN, 5, 7])).tolist() == [2, 0, 2, 1]
        assert competition_ranks(np.array([NAN, NAN])).tolist() == [0, 0]

    def test_floating_point_noise_is_a_tie(self):
        scores = np.array([0.1 + 0.2, 0.3, 0.2])
        assert scores[0] != scores[1]
        assert competition_ranks(scores).tolist() == [1, 1, 3]

    def test_ranks_along_the_last_axis_of_a_batch(self):
        batch = np.array([[90.0, 80, 80, 70], [1, 2, 3, 4]])
        assert competition_ranks(batch).tolist() == [[1, 2, 2, 4], [4, 3, 2, 1]]

    def test_tied_units_in_a_run(self, project):
        result, _ = run(project, {"x": "c.x"}, "x", {"x": [9, 5, 5, 1]})
        assert result.units.ranks["x"].tolist() == [1, 2, 2, 4]
        assert result.units.ranks["t"].tolist() == [1, 2, 2, 4]


class TestBatchAxis:
    """Components work on the last axis and broadcast over leading (replication) axes."""

    def test_normalisers_and_aggregators_over_a_batch(self, registry):
        x = np.array([[1.0, 2, 4], [10, 30, 20]])
        minmax = registry.get("normaliser", "minmax").cls(low=0.0, high=100.0)
        batch, _ = minmax.normalise(x)
        for row in range(2):
            close(batch[row], minmax.normalise(x[row])[0])
        values = np.stack([batch, batch[::-1]], axis=-1)  # (2 variants, 3 units, 2 children)
        weights = np.array([0.25, 0.75])
        for name in ("arithmetic", "geometric", "median"):
            agg = registry.get("aggregator", name).cls()
            shifted = values + 1  # positive for the geometric mean
            out = agg.aggregate(shifted, weights)
            assert out.shape == (2, 3)
            for row in range(2):
                close(out[row], agg.aggregate(shifted[row], weights))


class TestEvaluationErrors:
    def test_constant_indicator_under_minmax(self, project):
        diagnostics = project.fail(
            simple_index({"x": "c.x", "y": "c.y"}, "x\ny"),
            {"units.csv": units_csv({"x": [1, 2, 3], "y": [5, 5, 5]})},
        )
        d = only(diagnostics, "E401")
        text = (project.root / "index.idx").read_text()
        assert d.message.startswith("indicator `y`:")
        assert "min = max" in d.message
        assert (d.span.file, d.span.line, d.span.col) == ("index.idx", *line_col_of(text, "y = "))
        assert "rank" in d.help

    def test_the_normaliser_chosen_is_pointed_at(self, project):
        diagnostics = project.fail(
            simple_index({"x": "c.x"}, "normalise minmax(1, 10)\nx"),
            {"units.csv": units_csv({"x": [2, 2]})},
        )
        d = only(diagnostics, "E401")
        text = (project.root / "index.idx").read_text()
        (chosen,) = d.secondary
        assert (chosen.span.line, chosen.span.col) == line_col_of(text, "normalise minmax(1, 10)")

    def test_non_positive_values_under_a_geometric_mean(self, project):
        diagnostics = project.fail(
            simple_index({"x": "c.x", "y": "c.y"}, "d { aggregate geometric  x  y }"),
            {"units.csv": units_csv({"x": [1, 2, 3], "y": [3, 1, 2]}, keys=["ab", "cd", "ef"])},
        )
        d = only(diagnostics, "E401")
        text = (project.root / "index.idx").read_text()
        assert d.message.startswith("node `d`:")
        assert "positive" in d.message
        assert (d.span.line, d.span.col) == line_col_of(text, "d {")
        # min-max to 0-100 gives 0 to the lowest unit of each indicator: ab (x) and cd (y)
        assert d.notes == ("affected: ab, cd",)
        assert "minmax(1, 100)" in d.help

    def test_log_of_zero(self, project):
        diagnostics = project.fail(
            simple_index({"x": "log(c.x)"}, "x"), {"units.csv": units_csv({"x": [0, 1, 2]})}
        )
        d = only(diagnostics, "E401")
        assert "log" in d.message and d.notes == ("affected: u0",)


class TestPairSelection:
    """`exclude same COLUMN` in a pairs block: the pairs of two units sharing a value
    of a units column are left out of the partner aggregations and of the pathways."""

    PAIRS = "a,b,v\nA,B,3\nB,C,5\nA,C,1\nC,D,2\n"
    BLOCK = UNDIRECTED.replace("undirected", "undirected\n  exclude same country")

    def run(self, project, country, block=BLOCK):
        return run(
            project,
            {"sv": "sum(p.v)"},
            "pathways p\nsv",
            {"id": ["A", "B", "C", "D"], "country": country},
            pairs=block,
            files={"pairs.csv": self.PAIRS},
        )

    def test_pairs_within_one_country_are_left_out_everywhere(self, project):
        result, _ = self.run(project, ["X", "X", "Y", "Y"])  # A-B and C-D are domestic
        assert result.pair_data.a.tolist() == [1, 0] and result.pair_data.b.tolist() == [2, 2]
        close(result.units.raw["sv"], [1, 5, 6, 0])  # D's only pair is gone
        close(result.pairs.raw["sv"], [5, 1])
        assert result.pair_data.excluded == (("country", 2),)

    def test_a_unit_without_a_value_shares_it_with_no_one(self, project):
        result, _ = self.run(project, ["", "", "Y", "Y"])  # missing is not a match
        assert len(result.pair_data.a) == 3  # only C-D left out
        close(result.units.raw["sv"], [4, 8, 6, 0])

    def test_the_run_says_how_many_pairs_were_left_out(self, project):
        project.index(
            simple_index({"sv": "sum(p.v)"}, "pathways p\nsv", pairs=self.BLOCK),
            {
                "units.csv": units_csv({"country": ["X", "X", "Y", "Y"]}, ["A", "B", "C", "D"]),
                "pairs.csv": self.PAIRS,
            },
        )
        out = project.cli("run", "index.idx", "--no-write")
        assert out.code == 0, out.err
        assert "2 pathways scored (2 pairs of two units with the same country left out)" in (
            out.out
        )

    def test_an_unknown_column_is_located(self, project):
        block = UNDIRECTED.replace("undirected", "undirected\n  exclude same contry")
        project.index(
            simple_index({"sv": "sum(p.v)"}, "sv", pairs=block),
            {
                "units.csv": units_csv({"country": ["X", "X", "Y", "Y"]}, ["A", "B", "C", "D"]),
                "pairs.csv": self.PAIRS,
            },
        )
        out = project.cli("check", "index.idx")
        assert out.code != 0
        assert "E302" in out.err and "contry" in out.err and "country" in out.err
        assert "Traceback" not in out.err


class TestPathwayReferences:
    """`reference pathway ranks PAIRS.COLUMN`: published pathway ranks, matched to the
    pathways scored by their two units, compared in every output."""

    PAIRS = "a,b,v\nA,B,3\nB,C,5\nA,C,1\n"
    # published: B-C first, A-B second (written the other way round), A-C not published;
    # a row for a pair the index does not score (C-D) is counted, not matched
    PUBLISHED = "a,b,rank\nC,B,1\nB,A,2\nC,D,3\n"
    BLOCK = UNDIRECTED + '\npairs pub {\n  from csv("pub.csv")\n  between a and b\n}\n'

    def project_with(self, project, framework):
        project.index(
            simple_index({"sv": "sum(p.v)"}, framework, pairs=self.BLOCK),
            {
                "units.csv": units_csv({"x": [1, 2, 3, 4]}, ["A", "B", "C", "D"]),
                "pairs.csv": self.PAIRS,
                "pub.csv": self.PUBLISHED,
            },
        )

    def test_agreement_counts_matches_and_the_published_top(self, project):
        from indexdsl.output.results import pathway_agreement

        self.project_with(project, "pathways p\nreference pathway ranks pub.rank\nsv")
        result, _ = project.run()
        published, unmatched = result.data.pathway_references["t"]
        np.testing.assert_array_equal(published, [2, 1, NAN])
        assert unmatched == (3.0,)
        assert result.pairs.ranks["t"].tolist() == [2, 1, 3]
        a = pathway_agreement(result)["t"]
        assert (a["published"], a["compared"], a["not_scored"]) == (3, 2, 1)
        assert a["exact"] == 2 and a["in_top"] == 2 and a["top"] == 3
        out = project.cli("run", "index.idx", "--no-write")
        assert "Agreement with the published pathway ranks" in out.out
        assert "3 (1 not scored)" in out.out and "2 of 2" in out.out

    def test_a_column_of_the_units_table_is_e240(self, project):
        self.project_with(project, "pathways p\nreference pathway ranks c.x\nsv")
        out = project.cli("check", "index.idx")
        assert out.code != 0 and "E240" in out.err and "`p`, `pub`" in out.err

    def test_without_pathways_it_is_e243(self, project):
        self.project_with(project, "reference pathway ranks pub.rank\nsv")
        out = project.cli("check", "index.idx")
        assert out.code != 0 and "E243" in out.err and "pathways PAIRS" in out.err


class TestByConstruction:
    """Illustrative values `tuned to reference`: every output says that agreement with
    the published ranks is reached by construction."""

    def project_with(self, project, tuned: bool):
        units = (
            'units c "Cities" {\n  from csv("units.csv")\n  key id\n  label name\n'
            '  illustrative y "made up"' + (" tuned to reference" if tuned else "") + "\n}\n"
        )
        text = simple_index(
            {"a": "c.x", "b": "c.y"}, "reference ranks c.pub\nd1 { a }\nd2 { b }"
        ).replace('units c "Cities" {\n  from csv("units.csv")\n  key id\n  label name\n}\n', units)
        project.index(
            text, {"units.csv": units_csv({"x": [1, 2, 3], "y": [3, 1, 2], "pub": [1, 3, 2]})}
        )

    def test_terminal_and_run_json_say_by_construction(self, project):
        import json

        self.project_with(project, tuned=True)
        out = project.cli("run", "index.idx", "-o", "out")
        assert out.code == 0, out.err
        assert "BY CONSTRUCTION" in out.out and "yes (1 of 2 indicators)" in out.out
        record = json.loads((project.root / "out" / "run.json").read_text())
        assert record["illustrative"]["tuned_to_reference"] == ["b"]
        assert record["agreement_with_reference_ranks"]["t"]["by_construction"] == ["b"]

    def test_illustrative_values_not_tuned_are_not_called_by_construction(self, project):
        import json

        self.project_with(project, tuned=False)
        out = project.cli("run", "index.idx", "-o", "out")
        assert out.code == 0, out.err
        assert "BY CONSTRUCTION" not in out.out and "by construction" not in out.out
        record = json.loads((project.root / "out" / "run.json").read_text())
        assert record["agreement_with_reference_ranks"]["t"]["by_construction"] == []


class TestCountOnPathways:
    def test_count_is_one_where_a_pathway_has_the_link(self, project):
        # A-B 3, B-C 0, A-C missing
        result, _ = run(
            project,
            {"links": "count(p.v)", "sv": "sum(p.v)"},
            "pathways p\nlinks 50%\nsv 50%",
            {"id": ["A", "B", "C"]},
            pairs=UNDIRECTED,
            files={"pairs.csv": "a,b,v\nA,B,3\nB,C,0\nA,C,\n"},
        )
        close(result.units.raw["links"], [1, 1, 0])  # partners with a link
        close(result.pairs.raw["links"], [1, 0, NAN])  # the link itself: 0/1, missing kept
        close(result.pairs.raw["sv"], [3, 0, NAN])


class TestConstantLeaves:
    """A constant leaf (`indicator one = 1`) gives every unit, and every pathway, its
    value: a fixed term of a method, written as the method writes it."""

    def test_every_unit_and_pathway_gets_the_constant(self, project):
        result, _ = run(
            project,
            {"sv": "sum(p.v)", "one": "1"},
            "pathways p\nnormalise none\nsv 50%\none 50%",
            {"id": ["A", "B", "C"]},
            pairs=UNDIRECTED,
            files={"pairs.csv": "a,b,v\nA,B,3\nB,C,5\nA,C,1\n"},
        )
        close(result.units.raw["one"], [1, 1, 1])
        close(result.units.scores["t"], (np.array([4, 8, 6]) + 1) / 2)
        close(result.pairs.scores["t"], (np.array([3, 5, 1]) + 1) / 2)

    def test_a_pair_value_as_a_leaf_is_still_e242(self, project):
        project.index(
            simple_index({"v": "p.v"}, "v", pairs=UNDIRECTED),
            {"units.csv": units_csv({"x": [1, 2, 3]}, ["A", "B", "C"]),
             "pairs.csv": "a,b,v\nA,B,3\n"},
        )  # fmt: skip
        out = project.cli("check", "index.idx")
        assert out.code != 0 and "E242" in out.err
