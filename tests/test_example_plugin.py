"""The example third-party distribution `indexdsl-example` (plugins/indexdsl-example),
installed in the test environment through its entry point: each of its components on
hand-computed cases, and its example index run through the command line."""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest

from conftest import REPO, line_col_of, only, simple_index, units_csv
from indexdsl.components import ComponentValueError, Context, DataError
from indexdsl_example import (
    BenefitOfTheDoubtAggregator,
    LogisticNormaliser,
    RankOrderWeighting,
    SqliteLoader,
)

EXAMPLES = REPO / "plugins" / "indexdsl-example" / "examples"


class TestBenefitOfTheDoubt:
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.25, 0.25]])
    W = np.array([0.5, 0.5])

    def test_each_unit_gets_its_best_weights(self):
        # units 0 and 1 are on the frontier whatever their profile; unit 2 too (w = 1, 1);
        # unit 3 is half of unit 2
        out = BenefitOfTheDoubtAggregator(min_share=0.0, scale=1.0).aggregate(self.Y, self.W)
        np.testing.assert_allclose(out, [1, 1, 1, 0.5], atol=1e-9)

    def test_full_floor_is_the_weighted_mean_relative_to_the_best(self):
        values = np.array([[20.0, 80.0], [60.0, 40.0], [10.0, 10.0]])
        weights = np.array([0.25, 0.75])
        mean = values @ weights
        out = BenefitOfTheDoubtAggregator(min_share=1.0).aggregate(values, weights)
        np.testing.assert_allclose(out, 100 * mean / mean.max(), atol=1e-7)

    def test_a_floor_limits_the_benefit(self):
        # unit 0 alone is on the frontier with w = (1, 0); a floor of 0.9 forces
        # w2 >= 0.45 (w1 + w2), and unit 2's constraint 0.6 (w1 + w2) <= 1 gives w1 = 11/12;
        # all nominal weights (min_share = 1) give 0.5 / 0.6
        values = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
        scores = [
            BenefitOfTheDoubtAggregator(min_share=m, scale=1.0).aggregate(values, self.W)[0]
            for m in (0.0, 0.9, 1.0)
        ]
        np.testing.assert_allclose(scores, [1, 11 / 12, 5 / 6], atol=1e-9)

    def test_missing_children_and_batches(self):
        values = np.array([[1.0, np.nan], [0.5, 0.5], [np.nan, np.nan]])
        out = BenefitOfTheDoubtAggregator(scale=1.0).aggregate(values, self.W)
        np.testing.assert_allclose(out[:2], [1, 1], atol=1e-9)
        assert np.isnan(out[2])
        batch = np.stack([self.Y, self.Y / 2])
        twice = BenefitOfTheDoubtAggregator().aggregate(batch, np.stack([self.W, self.W]))
        assert twice.shape == (2, 4)
        np.testing.assert_allclose(twice[0], twice[1], atol=1e-9)  # scale-free

    def test_negative_scores_are_refused(self):
        with pytest.raises(ComponentValueError) as info:
            BenefitOfTheDoubtAggregator().aggregate(np.array([[1.0, -1.0], [1, 1]]), self.W)
        assert info.value.units == (0,)

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"min_share": 1.5}, "`min_share` of `bod` must be between 0 and 1, not 1.5"),
            ({"scale": 0.0}, "`scale` of `bod` must be above 0, not 0"),
        ],
    )
    def test_parameters_are_validated(self, params, message):
        with pytest.raises(ComponentValueError, match=message):
            BenefitOfTheDoubtAggregator(**params).validate()


class TestLogistic:
    def test_median_unit_scores_the_middle_and_outliers_do_not_squeeze(self):
        x = np.array([1.0, 2.0, 3.0, 4.0, 1000.0])
        out, state = LogisticNormaliser().normalise(x)
        assert out[2] == pytest.approx(50)
        assert state["median"] == 3 and state["scale"] == pytest.approx(1.482602218505602)
        assert np.all(np.diff(out) > 0) and out.max() <= 100
        assert out[3] - out[2] > 10  # min-max would give 0.1

    def test_missing_values_stay_missing_and_batches(self):
        out, _ = LogisticNormaliser(low=1, high=2).normalise(np.array([np.nan, 1.0, 2.0, 3.0]))
        assert np.isnan(out[0]) and np.all((out[1:] > 1) & (out[1:] < 2))
        batch = np.array([[1.0, 2, 3], [10, 20, 30]])
        out, state = LogisticNormaliser().normalise(batch)
        np.testing.assert_allclose(out[0], out[1])
        assert state["median"].shape == (2,)

    def test_constant_values_are_refused(self):
        with pytest.raises(ComponentValueError, match="same value"):
            LogisticNormaliser().normalise(np.array([2.0, 2.0, 2.0]))

    def test_parameters_are_validated(self):
        with pytest.raises(ComponentValueError, match="`high` of `logistic` must be above"):
            LogisticNormaliser(low=5, high=1).validate()
        with pytest.raises(ComponentValueError, match="`spread`"):
            LogisticNormaliser(spread=0).validate()


class TestRankOrder:
    CONTEXT = Context(children=("health", "education", "income"))

    def test_centroid_weights_in_the_given_order(self):
        scores = np.zeros((4, 3))
        w, state = RankOrderWeighting(order="income, health, education").weights(
            scores, self.CONTEXT
        )
        # ROC for 3: 11/18, 5/18, 2/18
        np.testing.assert_allclose(w, [5 / 18, 2 / 18, 11 / 18])
        assert state["order"] == ["income", "health", "education"]
        assert w.sum() == pytest.approx(1)

    def test_default_order_is_the_framework_order_and_batches(self):
        w, _ = RankOrderWeighting().weights(np.zeros((2, 5, 3)), self.CONTEXT)
        assert w.shape == (2, 3)
        np.testing.assert_allclose(w[1], [11 / 18, 5 / 18, 2 / 18])

    def test_every_child_must_be_ranked(self):
        with pytest.raises(ComponentValueError, match="missing: education"):
            RankOrderWeighting(order="income, health").weights(np.zeros((1, 3)), self.CONTEXT)
        with pytest.raises(ComponentValueError, match="not children: wealth"):
            RankOrderWeighting(order="income, health, education, wealth").weights(
                np.zeros((1, 3)), self.CONTEXT
            )

    def test_parameters_are_validated(self):
        with pytest.raises(ComponentValueError, match="names `a` twice"):
            RankOrderWeighting(order="a, b, a").validate()
        with pytest.raises(ComponentValueError, match="empty name"):
            RankOrderWeighting(order="a,,b").validate()


class TestSqliteLoader:
    def database(self, tmp_path, rows=((1, "a", 1.5, None), (2, "b", 2.0, "x"))):
        path = tmp_path / "db.sqlite"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE t (id INTEGER, name TEXT, value REAL, note TEXT)")
            db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
        return path

    def test_reads_a_table_as_text_cells(self, tmp_path):
        self.database(tmp_path)
        table = SqliteLoader(path="db.sqlite", table="t").load(tmp_path)
        assert table.columns == ("id", "name", "value", "note")
        assert table.rows == (("1", "a", "1.5", ""), ("2", "b", "2.0", "x"))
        assert table.line_numbers == (2, 3)
        assert table.text.splitlines()[1] == "1, a, 1.5, "
        assert table.column_offsets[0] == (1, 4, 7, 12)

    def test_problems_are_located_data_errors(self, tmp_path):
        self.database(tmp_path)
        with pytest.raises(DataError, match="does not exist"):
            SqliteLoader(path="nope.sqlite", table="t").load(tmp_path)
        with pytest.raises(DataError, match="has no table `tt`") as info:
            SqliteLoader(path="db.sqlite", table="tt").load(tmp_path)
        assert "did you mean `t`?" in info.value.help
        (tmp_path / "text.sqlite").write_text("not a database\n" * 100)
        with pytest.raises(DataError, match="cannot read"):
            SqliteLoader(path="text.sqlite", table="t").load(tmp_path)

    def test_a_bad_cell_is_reported_at_its_row(self, project):
        path = self.database(project.root, rows=((1, "a", 1.5, ""), (2, "b", "n/a?", "")))
        del path
        project.index(
            'index t { }\nunits c { from sqlite("db.sqlite", table = "t") key id }\n'
            "indicator v = c.value\nframework { v }\n"
        )
        d = only(project.fail(), "E303")
        assert d.span.file == "db.sqlite" and d.span.line == 3


class TestExampleIndex:
    def test_runs_through_the_command_line(self, project):
        shutil.copytree(EXAMPLES, project.root / "examples")
        result = project.cli("run", "examples/development.idx", "--out", "out")
        assert result.code == 0, result.err
        assert result.err == ""
        assert "Development frontier of emerging economies" in result.out
        record = json.loads((project.root / "out" / "run.json").read_text())
        assert record["index"]["requires"] == ["indexdsl-example >= 0.2"]
        assert record["provenance"]["versions"]["indexdsl_example"] == "0.2.0"
        # the plugin's weighting scheme chose the Knowledge weights (rank-order centroid)
        education = record["fitted"]["education"]
        assert education["weighting"].startswith("rank_order")
        assert education["weights"] == {"expected_schooling": 0.25, "mean_schooling": 0.75}
        assert "examples/data/countries.sqlite" in record["provenance"]["data"]
        scores = {
            line.split(",")[0]: line.split(",")
            for line in (project.root / "out" / "units.csv").read_text().splitlines()
        }
        header = scores.pop("unit")
        score = header.index("development_score")
        values = {k: float(v[score]) for k, v in scores.items()}
        assert len(values) == 16 and max(values.values()) == pytest.approx(100)
        assert all(0 < v <= 100 + 1e-9 for v in values.values())

    def test_it_is_in_the_canonical_layout(self, project):
        result = project.cli("fmt", "--check", EXAMPLES / "development.idx")
        assert result.code == 0, result.err

    def test_the_database_is_rebuilt_byte_for_byte(self, tmp_path):
        import importlib.util

        spec = importlib.util.spec_from_file_location("make_db", EXAMPLES / "data" / "make_db.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.HERE = tmp_path
        module.main()
        committed = (EXAMPLES / "data" / "countries.sqlite").read_bytes()
        assert (tmp_path / "countries.sqlite").read_bytes() == committed

    def test_without_the_plugin_it_says_what_to_install(self, project):
        shutil.copytree(EXAMPLES, project.root / "examples")
        result = project.cli(
            "--disable-plugin", "indexdsl-example", "check", "examples/development.idx"
        )
        assert result.code == 1
        assert (
            "error[E903]: this index needs `indexdsl-example`, whose plugin `example` is disabled"
            in result.err
        )
        assert "error[E210]: unknown loader `sqlite`" in result.err
        assert "plugin `example` (distribution `indexdsl-example`) is disabled" in result.err


class TestParameterValidationInAnIndex:
    def test_a_rejected_parameter_is_located(self, project):
        project.index(
            simple_index({"x": "c.x", "y": "c.y"}, "aggregate bod(min_share = 2)\nx\ny"),
            {"units.csv": units_csv({"x": [1, 2], "y": [2, 1]})},
        )
        d = only(project.fail(), "E217")
        assert d.message == "`bod`: `min_share` of `bod` must be between 0 and 1, not 2"
        assert (d.span.line, d.span.col) == line_col_of(
            project.root.joinpath("index.idx").read_text(), "bod("
        )
        assert d.label == "rejected by `bod` (plugin `example`)"
        result = project.cli("check", "index.idx")
        assert result.code == 1 and "Traceback" not in result.err
