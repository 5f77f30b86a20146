"""The data-preparation stage between indicators and normalisation: imputation,
screening of units by data availability, outlier treatment, denomination from a
metadata table, and weighting schemes, with their log and their diagnostics."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from conftest import codes, line_col_of, only, simple_index, units_csv

# five units; `y` misses two values, `z` has one far outlier at `e`
COLUMNS = {
    "x": [1, 2, 3, 4, 5],
    "y": [10, "", 30, "", 50],
    "z": [1, 2, 3, 4, 1000],
    "region": ["n", "n", "s", "s", "s"],
}
UNITS_WITH_GROUPS = (
    'units c "Cities" {\n  from csv("units.csv")\n  key id\n  label name\n  groups region\n}\n'
)


def index(framework: str, defaults: str = "", **indicators: str) -> str:
    text = simple_index({"x": "c.x", "y": "c.y", **indicators}, framework, defaults=defaults)
    return text.replace(
        'units c "Cities" {\n  from csv("units.csv")\n  key id\n  label name\n}\n',
        UNITS_WITH_GROUPS,
    )


def data(**columns) -> dict[str, str]:
    return {"units.csv": units_csv({**COLUMNS, **columns})}


class TestScreening:
    def test_units_below_the_threshold_leave_the_index(self, project):
        # a and b... b and d have 1 of 2 indicators (50%): screened out at 60%
        result, _ = project.run(index("x\ny", defaults="screen 60%"), data())
        assert result.units.screened.tolist() == [False, True, False, True, False]
        assert np.isnan(result.units.scores["t"][[1, 3]]).all()
        assert result.units.ranks["t"].tolist()[1] == 0
        # the normalisation is fitted on the units that stay: x of a, c, e = 1, 3, 5
        assert result.units.scores["x"][[0, 2, 4]].tolist() == [0.0, 50.0, 100.0]

    def test_screening_at_a_node_removes_that_node_score_only(self, project):
        text = index("dim { screen 100%\n  x\n  y }\nother { z }", z="c.z")
        text = text.replace("indicator x", "indicator x")
        result, _ = project.run(text, data())
        dim = result.units.scores["dim"]
        assert np.isnan(dim[[1, 3]]).all() and not np.isnan(dim[[0, 2, 4]]).any()
        assert not np.isnan(result.units.scores["t"]).any()  # the index skips the gap

    def test_a_threshold_no_unit_meets_is_a_located_error(self, project):
        text = index("y", defaults="screen 100%")
        columns = {"y": ["", "", "", "", ""]}
        diagnostics = project.fail(text, data(**columns))
        error = only(diagnostics, "E402")
        assert "leaves no unit" in error.message
        assert error.span.line == line_col_of(text, "screen 100%")[0]

    def test_screen_share_must_be_a_share(self, project):
        diagnostics = project.fail(index("x\ny", defaults="screen 0%"), data())
        assert "E237" in codes(diagnostics)

    def test_writes_who_was_screened(self, project):
        path = project.index(index("x\ny", defaults="screen 60%"), data())
        assert project.cli("run", path, "-q", "-o", "out").code == 0
        units = list(csv.DictReader(open(project.root / "out" / "units.csv")))
        assert {u["unit"]: u["screened_out"] for u in units}["u1"] == "yes"
        record = json.loads((project.root / "out" / "run.json").read_text())
        assert record["preparation"]["screened_out"] == ["u1", "u3"]
        assert record["preparation"]["screen"] == 0.6


class TestTreatment:
    def test_winsorisation_is_applied_before_normalisation_and_logged(self, project):
        text = index("x\nz", defaults="treat winsorise(max_points = 1)", z="c.z")
        result, _ = project.run(text, data())
        raw = result.units.raw["z"]
        prepared = result.units.prepared["z"]
        assert raw[4] == 1000 and prepared[4] == 4.0  # the top point takes the next value
        log = result.units.preparation["z"]["treatment"]
        assert log["method"].startswith("winsorise")
        assert log["points"] == 1 and log["units"] == [4]
        assert result.units.preparation["x"]["treatment"]["points"] == 0

    def test_treatment_log_is_written(self, project):
        text = index("x\nz", defaults="treat winsorise", z="c.z")
        path = project.index(text, data())
        assert project.cli("run", path, "-q", "-o", "out").code == 0
        rows = {
            r["indicator"]: r for r in csv.DictReader(open(project.root / "out" / "treatment.csv"))
        }
        assert rows["z"]["treated"] in ("winsorised", "log")
        assert rows["x"]["treated"] == "none"

    def test_an_indicator_can_switch_an_inherited_treatment_off(self, project):
        text = index("x\nz", defaults="treat winsorise", z="c.z\n  treat none")
        result, _ = project.run(text, data())
        assert "treatment" not in result.units.preparation["z"]
        assert result.units.prepared["z"][4] == 1000

    def test_unknown_treatment_parameter_is_located(self, project):
        text = index("x", defaults="treat winsorise(points = 3)")
        diagnostics = project.fail(text, data())
        error = only(diagnostics, "E212")
        assert "max_points" in (error.help or "")
        assert error.span.line == line_col_of(text, "points = 3")[0]

    def test_any_transform_can_treat(self, project):
        text = index("x\nz", defaults="treat log_shift(1)", z="c.z")
        result, _ = project.run(text, data())
        assert result.units.prepared["z"].tolist() == pytest.approx(
            np.log(np.array([1, 2, 3, 4, 1000]) + 1).tolist()
        )


class TestDenominate:
    META = (
        "iCode,iName,Parent,Weight,Direction,Type,Denominator\n"
        "t,Index,,1,,Aggregate,\n"
        "x,X,t,1,1,Indicator,z\n"
        "y,Y,t,1,1,Indicator,NA\n"
    )

    def framework_text(self, settings: str) -> str:
        return (
            'index t "T" { }\nunits c { from csv("units.csv") key id label name }\n'
            'framework {\n  from csv("meta.csv")\n' + settings + "}\n"
        )

    def test_indicators_are_divided_by_their_denominator(self, project):
        files = {**data(), "meta.csv": self.META}
        result, _ = project.run(self.framework_text("  denominate\n"), files)
        assert result.units.raw["x"].tolist() == pytest.approx([1, 1, 1, 1, 5 / 1000])
        assert np.isnan(result.units.raw["y"][1])  # no denominator: as it is

    def test_without_denominate_the_column_is_ignored(self, project):
        files = {**data(), "meta.csv": self.META}
        result, _ = project.run(self.framework_text(""), files)
        assert result.units.raw["x"].tolist() == [1, 2, 3, 4, 5]

    def test_a_metadata_table_without_denominators(self, project):
        meta = "\n".join(line.rsplit(",", 1)[0] for line in self.META.splitlines()) + "\n"
        files = {**data(), "meta.csv": meta}
        diagnostics = project.fail(self.framework_text("  denominate\n"), files)
        assert "E512" in codes(diagnostics)

    def test_unknown_denominator_column_points_at_the_cell(self, project):
        files = {**data(), "meta.csv": self.META.replace(",z\n", ",pop\n")}
        diagnostics = project.fail(self.framework_text("  denominate\n"), files)
        error = diagnostics[0]
        assert "pop" in error.message and error.span.file.endswith("meta.csv")

    def test_denominate_in_a_written_framework_is_an_error(self, project):
        diagnostics = project.fail(index("denominate\nx\ny"), data())
        assert "E238" in codes(diagnostics)


def test_asem_full_pipeline_writes_its_treatment_log(tmp_path):
    from pathlib import Path

    from indexdsl.cli import main

    root = Path(__file__).resolve().parents[1]
    assert main(["run", str(root / "indices" / "asem_full.idx"), "-q", "-o", str(tmp_path)]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "treatment.csv").read_text())))
    winsorised = {r["indicator"]: int(r["points"]) for r in rows if r["treated"] == "winsorised"}
    # which indicators COINr's rule winsorises, and how many points (see the conformance test)
    assert winsorised["Bord"] == 3 and winsorised["Flights"] == 1
    assert sum(1 for r in rows if int(r["imputed"])) == 18


class TestWeightingSchemes:
    def test_entropy_weights_are_computed_from_the_children(self, project):
        result, _ = project.run(index("weights entropy\nx\nz", z="c.z"), data())
        fitted = result.units.fitted["t"]
        assert fitted["weighting"] == "entropy"
        weights = np.array(list(fitted["weights"].values()))
        assert weights.sum() == pytest.approx(1.0) and (weights > 0).all()
        # z is concentrated in one unit (1000): more information, more weight
        assert fitted["weights"]["z"] > fitted["weights"]["x"]
        expected = result.units.scores["x"] * weights[0] + result.units.scores["z"] * weights[1]
        assert result.units.scores["t"] == pytest.approx(expected)

    def test_ahp_matrix_is_checked_before_the_data(self, project):
        text = index('weights ahp("1 3; 2 1")\nx\ny')
        diagnostics = project.fail(text, {})  # no data file at all: reported first
        error = only(diagnostics, "E255")
        assert "reciproc" in error.message
        assert error.span.line == line_col_of(text, "weights ahp")[0]

    def test_ahp_weights_follow_the_matrix(self, project):
        result, _ = project.run(index('weights ahp("1 3; 1/3 1")\nx\ny'), data())
        assert list(result.units.fitted["t"]["weights"].values()) == pytest.approx([0.75, 0.25])

    def test_a_scheme_and_written_weights_clash(self, project):
        diagnostics = project.fail(index("weights entropy\nx 50%\ny 50%"), data())
        assert "E254" in codes(diagnostics)

    def test_written_weights_win_over_an_inherited_scheme(self, project):
        result, _ = project.run(index("x 25%\ny 75%", defaults="weights entropy"), data())
        assert "t" not in result.units.fitted or "weighting" not in result.units.fitted["t"]


class TestImputation:
    def test_group_mean_fills_from_the_unit_group(self, project):
        text = index("x\ny", defaults="impute group_mean(region)")
        result, _ = project.run(text, data())
        # y: n = [10, _], s = [30, _, 50]: u1 takes 10 (north), u3 takes 40 (south)
        assert result.units.prepared["y"].tolist() == [10, 10, 30, 40, 50]
        assert result.units.raw["y"][1] != result.units.raw["y"][1]  # raw stays missing
        assert result.units.preparation["y"]["imputed"] == [1, 3]

    def test_an_indicator_chooses_its_own_imputer(self, project):
        text = index("x\ny", y="c.y\n  impute median")
        result, _ = project.run(text, data())
        assert result.units.prepared["y"].tolist() == [10, 30, 30, 30, 50]

    def test_impute_none_makes_missing_values_an_error(self, project):
        text = index("x\ny", defaults="impute none")
        diagnostics = project.fail(text, data())
        error = only(diagnostics, "E401")
        assert "`y`" in error.message and "missing" in error.message
        assert "u1" in " ".join(error.notes) + error.message
        assert error.span.line == line_col_of(text, "indicator y")[0]

    def test_a_group_with_no_data_is_a_located_error(self, project):
        columns = {"y": ["", "", 30, 40, 50]}  # north has no y at all
        text = index("x\ny", defaults="impute group_mean(region)")
        diagnostics = project.fail(text, data(**columns))
        error = only(diagnostics, "E401")
        assert "n" in error.message and "group" in error.message
        assert error.span.line == line_col_of(text, "indicator y")[0]

    def test_an_unknown_group_column_suggests_the_right_one(self, project):
        text = index("x\ny", defaults="impute group_mean(regoin)")
        diagnostics = project.fail(text, data())  # found by check, before computing
        assert "did you mean `region`?" in (only(diagnostics, "E263").help or "")


def test_goalposts_that_exclude_values_say_whom_they_cap(project):
    text = index("x\ny", x="c.x\n  normalise goalposts(0, 4)")
    result, session = project.run(text, data())
    capped = only(session.warnings, "W405")
    assert "1 unit is beyond the upper goalpost" in capped.message
    assert capped.message.endswith("u4")
    assert capped.span.line == line_col_of(text, "indicator x")[0]
    assert result.units.scores["x"][4] == 1.0


class TestPanelImputation:
    UNITS = "id,name,x_2019,x_2020,x_2021,y\na,A,1,2,,5\nb,B,4,,,6\nc,C,7,8,9,7\nd,D,,,,8\n"

    def text(self, impute: str, columns: str = "c.x_{year}") -> str:
        return (
            'index t "T" { }\nparameter year = 2021\n'
            'units c { from csv("units.csv") key id label name }\n'
            f"indicator x = {columns}\n  impute {impute}\n"
            "indicator y = c.y\nframework {\n  x\n  y\n}\n"
        )

    def test_latest_fills_from_the_nearest_earlier_edition(self, project):
        result, session = project.run(self.text("latest(years = 2)"), {"units.csv": self.UNITS})
        # a: 2020's 2; b: 2019's 4 (2020 missing too); c: present; d: nothing to fill
        prepared = result.units.prepared["x"]
        assert prepared[:3].tolist() == [2, 4, 9] and np.isnan(prepared[3])
        assert not [d for d in session.warnings if d.code == "W306"]

    def test_looking_back_only_one_edition(self, project):
        result, _ = project.run(self.text("latest(years = 1)"), {"units.csv": self.UNITS})
        prepared = result.units.prepared["x"]
        assert prepared[0] == 2 and np.isnan(prepared[1])

    def test_missing_years_of_the_panel_are_reported(self, project):
        text = self.text("latest(years = 3)")
        result, session = project.run(text, {"units.csv": self.UNITS})
        missing = only(session.warnings, "W306")
        assert "2018 (`x_2018`)" in missing.message
        assert missing.span.line == line_col_of(text, "impute latest")[0]
        assert result.units.prepared["x"][1] == 4  # the editions that exist still fill

    def test_an_indicator_that_is_no_panel(self, project):
        text = self.text("latest", columns="c.y * 2")
        diagnostics = project.fail(text, {"units.csv": self.UNITS})
        error = only(diagnostics, "E239")
        assert "earlier editions" in error.message
        assert error.span.line == line_col_of(text, "impute latest")[0]
