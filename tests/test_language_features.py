"""Language features beyond the core: parameters and column templates, data tables,
unit exclusion, constant component arguments, missing-value policy, reference scores,
frameworks from a metadata table, `extends`, `rescale`, previous-edition ranks, top
tiers and group breakdowns.  Expected values are worked out by hand in each test."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

from indexdsl.cli import main
from indexdsl.diagnostics import DiagnosticError, UsageError
from indexdsl.output.results import group_summaries, rank_changes, score_agreement, top_tier
from indexdsl.pipeline import run_file


def write(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return tmp_path


def codes(exc: DiagnosticError) -> list[str]:
    return [d.code for d in exc.diagnostics]


UNITS_CSV = """\
id,name,region,x_2020,x_2021,y,prev
a,A,north,1,10,5,2
b,B,south,2,30,,1
c,C,south,3,20,1,
d,D,north,4,40,3,3
ZZ1,World,agg,9,9,9,
"""


def base_index(framework: str, extra: str = "") -> str:
    return (
        'index t "T" { }\n'
        "parameter year = 2021\n"
        'units c { from csv("units.csv") key id label name groups region\n'
        '  exclude id matching "ZZ*" }\n' + extra + "indicator x = c.x_{year}\n"
        "indicator y = c.y\n"
        "framework {\n" + framework + "\n}\n"
    )


class TestParametersAndExclusion:
    def test_template_uses_the_default_and_the_override(self, tmp_path):
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": base_index("x")})
        result, _ = run_file(tmp_path / "t.idx")
        assert result.data.keys == ("a", "b", "c", "d")  # ZZ1 excluded
        assert result.units.raw["x"].tolist() == [10, 30, 20, 40]
        result, _ = run_file(tmp_path / "t.idx", parameters={"year": "2020"})
        assert result.units.raw["x"].tolist() == [1, 2, 3, 4]
        assert result.graph.model.parameters == {"year": 2020.0}

    def test_unknown_parameter_is_a_usage_error(self, tmp_path):
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": base_index("x")})
        with pytest.raises(UsageError, match="did you mean `year`"):
            run_file(tmp_path / "t.idx", parameters={"yaer": "2020"})
        assert main(["run", str(tmp_path / "t.idx"), "--set", "yaer=1", "--no-write"]) == 2

    def test_unknown_template_name_is_located(self, tmp_path):
        text = base_index("x").replace("c.x_{year}", "c.x_{yaer}")
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": text})
        with pytest.raises(DiagnosticError) as info:
            run_file(tmp_path / "t.idx")
        (d,) = [d for d in info.value.diagnostics if d.code == "E151"]
        assert d.help == "did you mean `{year}`?" and d.span.line == 5

    def test_range_of_editions_writes_one_folder_each(self, tmp_path, capsys):
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": base_index("x")})
        out = tmp_path / "out"
        code = main(["run", str(tmp_path / "t.idx"), "--set", "year=2020..2021", "-o", str(out)])
        assert code == 0
        assert (out / "year=2020" / "units.csv").exists()
        assert (out / "year=2021" / "units.csv").exists()
        printed = capsys.readouterr().out
        assert "year=2020: 4 units scored" in printed and "year=2021: 4 units scored" in printed


class TestTablesConstantsAndMissing:
    def test_data_table_joins_on_the_key(self, tmp_path):
        extra = 'table pub { from csv("pub.csv") key code }\n'
        text = base_index("x", extra).replace("indicator y = c.y", "indicator y = pub.v")
        pub = "code,v\nd,4\na,1\nzz,99\n"  # a row for another unit is ignored
        write(tmp_path, {"units.csv": UNITS_CSV, "pub.csv": pub, "t.idx": text})
        result, _ = run_file(tmp_path / "t.idx")
        assert result.units.raw["y"][[0, 3]].tolist() == [1, 4]
        assert np.isnan(result.units.raw["y"][[1, 2]]).all()

    def test_constant_component_arguments(self, tmp_path):
        text = base_index("x").replace(
            "indicator x = c.x_{year}",
            "indicator x = log(c.x_{year})\n  normalise goalposts(log(10), log(40))",
        )
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": text})
        result, _ = run_file(tmp_path / "t.idx")
        expected = [
            (math.log(v) - math.log(10)) / (math.log(40) - math.log(10)) for v in (10, 30, 20, 40)
        ]
        assert result.units.scores["x"] == pytest.approx(expected)

    def test_missing_skip_and_propagate(self, tmp_path):
        # y is missing for b; minmax(0, 100) of y over a, c, d (5, 1, 3) gives 100, 0, 50
        # x for 2021 (10, 30, 20, 40) gives 0, 66.67, 33.33, 100
        for policy, b_score in (("skip", 200 / 3), ("propagate", math.nan)):
            write(
                tmp_path, {"units.csv": UNITS_CSV, "t.idx": base_index(f"missing {policy}\nx\ny")}
            )
            result, _ = run_file(tmp_path / "t.idx")
            scores = result.units.scores["t"]
            assert scores[0] == pytest.approx(50)
            if math.isnan(b_score):
                assert math.isnan(scores[1]) and result.units.ranks["t"][1] == 0
            else:
                assert scores[1] == pytest.approx(b_score)

    def test_reference_scores_counts_agreement_at_the_published_decimals(self, tmp_path):
        extra = 'table pub { from csv("pub.csv") key id }\n'
        # x 2021 min-max: a 0, b 66.667, c 33.333, d 100; published with 1 decimal
        pub = "id,score\na,0.0\nb,66.7\nc,33.4\nd,100.0\n"
        text = base_index("reference scores pub.score\nx", extra)
        write(tmp_path, {"units.csv": UNITS_CSV, "pub.csv": pub, "t.idx": text})
        result, _ = run_file(tmp_path / "t.idx")
        agreement = score_agreement(result)["t"]
        assert agreement["decimals"] == 1
        assert agreement["compared"] == 4 and agreement["agree"] == 3
        assert agreement["disagree"] == ["c"]

    def test_reference_tolerance_replaces_the_rounding_rule(self, tmp_path):
        extra = 'table pub { from csv("pub.csv") key id }\n'
        pub = "id,score\na,0.0\nb,66.7\nc,33.4\nd,100.0\n"  # c is 0.067 away
        for tolerance, agree in (("0.05", 3), ("0.07", 4)):
            text = base_index(
                f"reference scores pub.score\nreference tolerance {tolerance}\nx", extra
            )
            write(tmp_path, {"units.csv": UNITS_CSV, "pub.csv": pub, "t.idx": text})
            result, _ = run_file(tmp_path / "t.idx")
            agreement = score_agreement(result)["t"]
            assert agreement["tolerance"] == float(tolerance) and agreement["agree"] == agree

    def test_a_tolerance_without_published_scores_is_e246(self, tmp_path):
        from indexdsl.diagnostics import DiagnosticError

        text = base_index("reference tolerance 0.01\nx")
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": text})
        with pytest.raises(DiagnosticError) as caught:
            run_file(tmp_path / "t.idx")
        assert [d.code for d in caught.value.diagnostics] == ["E246"]


class TestFrameworkFromTable:
    META = """\
    iCode,iName,Parent,Weight,Direction,Type
    x,X,P,1,1,Indicator
    y,Y,P,3,-1,Indicator
    P,Pillar,Index,1,1,Aggregate
    Index,Index,,1,1,Aggregate
    G,Group,,,,Group
    """

    def test_hierarchy_weights_and_directions_come_from_the_table(self, tmp_path):
        units = "id,x,y\na,0,0\nb,10,10\nc,5,20\n"
        text = (
            'index t { }\nunits c { from csv("u.csv") key id }\n'
            'framework { from csv("meta.csv") }\n'
        )
        write(tmp_path, {"u.csv": units, "meta.csv": self.META, "t.idx": text})
        result, _ = run_file(tmp_path / "t.idx")
        pillar = result.graph.nodes["P"]
        assert [c.name for c in pillar.children] == ["x", "y"]
        assert [c.weight for c in pillar.children] == [0.25, 0.75]  # relative 1 : 3
        assert not result.graph.model.indicators["y"].higher_is_better
        # x: 0, 100, 50; y reversed: 100, 50, 0; P = 0.25 x + 0.75 y
        assert result.units.scores["P"] == pytest.approx([75, 62.5, 12.5])

    def test_a_parent_that_is_not_in_the_table_is_located(self, tmp_path):
        meta = textwrap.dedent(self.META).replace("x,X,P,", "x,X,Q,")
        text = (
            'index t { }\nunits c { from csv("u.csv") key id }\n'
            'framework { from csv("meta.csv") }\n'
        )
        write(tmp_path, {"u.csv": "id,x,y\na,1,2\n", "meta.csv": meta, "t.idx": text})
        with pytest.raises(DiagnosticError) as info:
            run_file(tmp_path / "t.idx")
        (d,) = info.value.diagnostics
        assert d.code == "E505" and d.span.file.endswith("meta.csv")
        assert (d.span.line, d.span.col) == (2, 5)


class TestReuseAndReports:
    def test_extends_replaces_units_and_keeps_the_method(self, tmp_path):
        write(
            tmp_path,
            {
                "base/units.csv": UNITS_CSV,
                "base/t.idx": base_index("x\ny"),
                "other/north.idx": """\
                extends "../base/t.idx"
                index north "North only" { }
                units c { from csv("../base/units.csv") key id
                  exclude region matching "south"
                  exclude id matching "ZZ*" }
            """,
            },
        )
        result, _ = run_file(tmp_path / "other" / "north.idx")
        assert result.graph.model.meta.name == "north"
        assert result.data.keys == ("a", "d")
        assert set(result.graph.model.indicators) == {"x", "y"}  # from the base file

    def test_extends_cycle_is_reported(self, tmp_path):
        write(tmp_path, {"a.idx": 'extends "b.idx"\n', "b.idx": 'extends "a.idx"\n'})
        with pytest.raises(DiagnosticError) as info:
            run_file(tmp_path / "a.idx")
        assert codes(info.value) == ["E161"]

    def test_rescale_previous_ranks_top_tier_and_groups(self, tmp_path):
        text = base_index("rescale minmax(60, 100)\nprevious ranks c.prev\ntop 25%\nx")
        write(tmp_path, {"units.csv": UNITS_CSV, "t.idx": text})
        result, _ = run_file(tmp_path / "t.idx")
        # x 2021: 10, 30, 20, 40 → ranks 4, 2, 3, 1; rescaled to [60, 100]
        assert result.units.scores["t"] == pytest.approx([60, 60 + 40 * 2 / 3, 60 + 40 / 3, 100])
        assert rank_changes(result, "t") == ["dropped -2", "dropped -1", "new", "rose +2"]
        assert top_tier(result, "t").tolist() == [False, False, False, True]  # ceil(0.25 × 4)
        north = [s for col, g, node, s in group_summaries(result) if g == "north" and node == "t"]
        assert north[0]["units"] == 2 and north[0]["mean"] == pytest.approx(80)
