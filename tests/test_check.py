"""Checking: name resolution, did-you-mean, components, cycles, duplicates and weights.

These tests parse and check index text without any data (the checker never reads it).
"""

from __future__ import annotations

import textwrap
from fractions import Fraction

import pytest

from conftest import check_text, codes, line_col_of, only
from indexdsl.diagnostics import Severity

PREAMBLE = """\
index t "T" { edition 2024 }
units c "Cities" { from csv("u.csv") key id label name }
pairs p { from csv("p.csv") between a and b undirected }
"""


def checked(body: str):
    """Check PREAMBLE + body; returns (model, diagnostics, full text)."""
    text = PREAMBLE + textwrap.dedent(body).lstrip("\n")
    model, diagnostics = check_text(text)
    return model, diagnostics, text


def errors(diagnostics):
    return [d for d in diagnostics if d.is_error]


def weights(model) -> dict[str, float]:
    return {node.name: node.weight for node in model.root.walk()}


class TestValidModel:
    BODY = """
        indicator gdp_per_capita "GDP per person" = c.gdp / c.pop unit "USD"
        indicator emissions = c.co2 lower is better normalise zscore
        indicator flights = sum(p.flights)
        indicator score = gdp_per_capita * 2
        framework {
          economy "Economy" 40% {
            aggregate geometric
            score 1/2
            emissions 1/2
          }
          links "Links" 60% { flights }
        }
        """

    def test_model_has_resolved_names_levels_and_directions(self):
        model, diagnostics, _ = checked(self.BODY)
        assert errors(diagnostics) == []
        assert model is not None
        assert model.meta.name == "t" and model.meta.edition == "2024"
        assert model.units.key == "id" and model.units.label == "name"
        assert model.pairs["p"].between == ("a", "b") and model.pairs["p"].directed is False
        ind = model.indicators
        assert ind["gdp_per_capita"].title == "GDP per person"
        assert ind["gdp_per_capita"].level == "unit"
        assert ind["flights"].level == "unit" and ind["flights"].pair_tables == ("p",)
        assert ind["emissions"].higher_is_better is False
        assert ind["score"].depends == ("gdp_per_capita",)
        assert [(r.table, r.column) for r in ind["gdp_per_capita"].columns] == [
            ("c", "gdp"),
            ("c", "pop"),
        ]

    def test_dependencies_come_first(self):
        model, diagnostics, _ = checked(
            """
            indicator b = a + 1
            indicator a = c.x
            framework { b }
            """
        )
        assert errors(diagnostics) == []
        assert list(model.indicators) == ["a", "b"]

    def test_hierarchy_weights_and_components(self):
        model, _, _ = checked(self.BODY)
        assert model.root.name == "t"
        assert [c.name for c in model.root.children] == ["economy", "links"]
        assert weights(model) == {
            "t": 1.0,
            "economy": 0.4,
            "score": 0.5,
            "emissions": 0.5,
            "links": 0.6,
            "flights": 1.0,
        }
        nodes = {n.name: n for n in model.root.walk()}
        assert nodes["economy"].aggregator.name == "geometric"
        assert nodes["links"].aggregator.name == "arithmetic"  # the default
        assert nodes["t"].aggregator.name == "arithmetic"
        assert nodes["emissions"].normaliser.name == "zscore"  # the indicator's own
        assert nodes["flights"].normaliser.describe() == "minmax(low=0.0, high=100.0)"
        assert nodes["score"].depth == 2 and nodes["links"].depth == 1

    def test_defaults_and_node_settings_are_inherited(self):
        model, diagnostics, _ = checked(
            """
            indicator x = c.x
            indicator y = c.y
            indicator z = c.z
            framework {
              normalise minmax(60, 100)
              d1 { aggregate geometric  inner { x } }
              d2 { normalise rank  y  z }
            }
            """
        )
        assert errors(diagnostics) == []
        nodes = {n.name: n for n in model.root.walk()}
        assert nodes["x"].normaliser.values == {"low": 60.0, "high": 100.0}
        assert nodes["inner"].aggregator.name == "geometric"
        assert nodes["y"].normaliser.name == "rank" and nodes["z"].normaliser.name == "rank"

    def test_no_weights_means_equal_weights(self):
        model, diagnostics, _ = checked(
            "indicator x = c.x\nindicator y = c.y\nindicator z = c.z\nframework { x y z }"
        )
        assert diagnostics == []
        assert [c.weight for c in model.root.children] == [1 / 3] * 3

    def test_weights_equal(self):
        model, diagnostics, _ = checked(
            "indicator x = c.x\nindicator y = c.y\nframework { weights equal  x y }"
        )
        assert diagnostics == []
        assert [c.weight for c in model.root.children] == [0.5, 0.5]


class TestNames:
    def test_misspelt_indicator_in_the_framework(self):
        _, diagnostics, text = checked(
            """
            indicator gdp_per_capita = c.gdp
            indicator pop = c.pop
            framework {
              gdp_per_captia 50%
              pop 50%
            }
            """
        )
        d = only(diagnostics, "E201")
        assert d.message == "unknown indicator `gdp_per_captia`"
        assert (d.span.line, d.span.col) == line_col_of(text, "gdp_per_captia")
        assert d.span.end_col - d.span.col == len("gdp_per_captia")
        assert d.help == "did you mean `gdp_per_capita`?"
        (similar,) = d.secondary
        assert (similar.span.line, similar.span.col) == line_col_of(text, "gdp_per_capita")
        assert "similar name" in similar.message

    def test_misspelt_indicator_in_an_expression(self):
        _, diagnostics, text = checked(
            """
            indicator income = c.income
            indicator ratio = incom / 2
            framework { ratio }
            """
        )
        d = only(diagnostics, "E201")
        assert d.message == "unknown indicator `incom`"
        assert (d.span.line, d.span.col) == line_col_of(text, "incom /")
        assert d.help == "did you mean `income`?"

    def test_unknown_name_without_close_match_suggests_a_column(self):
        _, diagnostics, _ = checked("indicator x = zzz\nframework { x }")
        d = only(diagnostics, "E201")
        assert "`c.zzz`" in d.help

    def test_a_table_name_used_as_an_indicator(self):
        _, diagnostics, _ = checked("indicator x = p\nframework { x }")
        d = only(diagnostics, "E201")
        assert "`p` is a pairs table" in d.help

    def test_unknown_table_with_suggestion(self):
        _, diagnostics, text = checked("indicator x = cc.x\nframework { x }")
        d = only(diagnostics, "E202")
        assert d.message == "unknown table `cc`"
        assert (d.span.line, d.span.col) == line_col_of(text, "cc.x")
        assert d.help == "did you mean `c`?"

    def test_unknown_function_with_suggestion(self):
        _, diagnostics, text = checked("indicator x = lgo(c.x)\nframework { x }")
        d = only(diagnostics, "E225")
        assert d.message == "unknown function `lgo`"
        assert (d.span.line, d.span.col) == line_col_of(text, "lgo")
        assert d.help == "did you mean `log`?"

    def test_indicator_used_twice_in_the_framework(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { a { x } b { x } }")
        d = only(diagnostics, "E241")
        assert d.secondary and d.secondary[0].message == "first used here"

    def test_unused_indicator_is_a_warning(self):
        model, diagnostics, _ = checked("indicator x = c.x\nindicator y = c.y\nframework { x }")
        d = only(diagnostics, "W240")
        assert d.severity is Severity.WARNING and "`y`" in d.message
        assert model is not None

    def test_indicator_used_only_by_another_is_not_unused(self):
        _, diagnostics, _ = checked("indicator x = c.x\nindicator y = x * 2\nframework { y }")
        assert "W240" not in codes(diagnostics)

    def test_pathways_must_name_a_pairs_table(self):
        _, diagnostics, _ = checked("indicator x = sum(p.x)\nframework { pathways pp  x }")
        d = only(diagnostics, "E230")
        assert d.help == "did you mean `p`?"

    def test_pathways_need_pair_forms(self):
        _, diagnostics, text = checked(
            "indicator x = sum(p.x)\nindicator y = c.y\nframework { pathways p  x y }"
        )
        d = only(diagnostics, "E231")
        assert "`y`" in d.message
        assert (d.span.line, d.span.col) == line_col_of(text, "y = ")

    def test_pathways_need_pair_forms_from_the_pathways_table(self):
        body = (
            'pairs q { from csv("q.csv") between a and b }\n'
            "indicator x = sum(p.x)\nindicator y = sum(q.y)\nindicator z = y + 1\n"
            "framework { pathways p  x z }"
        )
        model, diagnostics, text = checked(body)
        d = only(diagnostics, "E231")
        assert "`z`" in d.message
        assert model is None

    def test_pair_values_cannot_be_ranked_directly(self):
        _, diagnostics, _ = checked("indicator x = p.x\nframework { x }")
        d = only(diagnostics, "E242")
        assert "value per pair" in d.message
        assert "sum(" in d.help

    def test_partner_aggregation_needs_pair_values(self):
        _, diagnostics, text = checked("indicator x = sum(c.x)\nframework { x }")
        d = only(diagnostics, "E226")
        assert (d.span.line, d.span.col) == line_col_of(text, "c.x")

    def test_mixing_unit_and_pair_values(self):
        _, diagnostics, _ = checked("indicator x = p.x + c.y\nframework { x }")
        assert "E227" in codes(diagnostics)

    def test_flow_must_be_a_direction(self):
        _, diagnostics, _ = checked("indicator x = sum(p.x, flow = sideways)\nframework { x }")
        assert "E221" in codes(diagnostics)

    def test_empty_dimension(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { x  d { } }")
        assert "E244" in codes(diagnostics)

    @pytest.mark.parametrize(
        "text, code",
        [
            ('units c { from csv("u.csv") key id }\nindicator x = c.x\nframework { x }', "E110"),
            ('index t { }\nindicator x = c.x\nframework { x }', "E131"),
            ('index t { }\nunits c { from csv("u.csv") key id }\nindicator x = c.x', "E120"),
            ('index t { }\nunits c { key id }\nindicator x = c.x\nframework { x }', "E130"),
            ('index t { }\nunits c { from csv("u.csv") }\nindicator x = c.x\nframework { x }', "E133"),
        ],
    )  # fmt: skip
    def test_missing_blocks(self, text, code):
        model, diagnostics = check_text(text)
        assert model is None
        assert code in codes(diagnostics)


class TestDuplicates:
    def test_two_indicators_with_one_name(self):
        _, diagnostics, text = checked("indicator x = c.x\nindicator x = c.y\nframework { x }")
        d = only(diagnostics, "E101")
        assert d.message == "the name `x` is declared twice"
        assert (d.span.line, d.span.col) == line_col_of(text, "x = c.y")
        (first,) = d.secondary
        assert (first.span.line, first.span.col) == line_col_of(text, "x = c.x")
        assert "first declared here" in first.message

    def test_a_dimension_named_like_an_indicator(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { x { x } }")
        d = only(diagnostics, "E101")
        assert "framework node" in d.label and "indicator" in d.secondary[0].message

    def test_a_dimension_named_like_a_table(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { p { x } }")
        assert "E101" in codes(diagnostics)


class TestCycles:
    def test_two_indicators_in_a_cycle(self):
        _, diagnostics, text = checked(
            "indicator a = b + 1\nindicator b = a * 2\nframework { a b }"
        )
        d = only(diagnostics, "E203")
        assert "a → b → a" in d.message
        assert (d.span.line, d.span.col) == line_col_of(text, "a = b")
        assert [s.message for s in d.secondary] == ["`b` is part of the cycle"]

    def test_an_indicator_built_from_itself(self):
        _, diagnostics, _ = checked("indicator a = a + 1\nframework { a }")
        d = only(diagnostics, "E203")
        assert "a → a" in d.message

    def test_a_longer_cycle_is_reported_once(self):
        _, diagnostics, _ = checked(
            "indicator a = c\nindicator b = a\nindicator c = b\nframework { a b c }"
        )
        d = only(diagnostics, "E203")
        assert d.message.count("→") == 3


class TestComponents:
    def test_unknown_aggregator_suggests_a_close_name_and_its_plugin(self):
        _, diagnostics, text = checked("indicator x = c.x\nframework { aggregate geometrc  x }")
        d = only(diagnostics, "E210")
        assert d.message == "unknown aggregator `geometrc`"
        assert (d.span.line, d.span.col) == line_col_of(text, "geometrc")
        assert "`geometric`" in d.help and "indexdsl_builtins" in d.help
        assert "available aggregators" in d.notes[0] and "`median`" in d.notes[0]

    def test_unknown_aggregator_close_to_a_third_party_one(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { aggregate medain  x }")
        d = only(diagnostics, "E210")
        assert "`median` (aggregator from `example`)" in d.help

    def test_a_component_of_another_role(self):
        _, diagnostics, _ = checked("indicator x = c.x\nframework { aggregate minmax  x }")
        d = only(diagnostics, "E210")
        assert "`minmax` is a normaliser, not an aggregator" in d.help

    def test_unknown_normaliser_and_loader(self):
        text = (
            'index t { }\nunits c { from cvs("u.csv") key id }\n'
            "indicator x = c.x normalise minmaxx\nframework { x }"
        )
        _, diagnostics = check_text(text)
        messages = {d.message: d for d in diagnostics if d.code == "E210"}
        assert "`csv`" in messages["unknown loader `cvs`"].help
        assert "`minmax`" in messages["unknown normaliser `minmaxx`"].help

    def test_too_many_parameters(self):
        _, diagnostics, text = checked(
            "indicator x = c.x\nframework { normalise minmax(0, 100, 5)  x }"
        )
        d = only(diagnostics, "E211")
        assert (d.span.line, d.span.col) == line_col_of(text, "5)")

    def test_unknown_keyword_parameter_suggests(self):
        _, diagnostics, _ = checked(
            "indicator x = c.x\nframework { normalise minmax(hihg = 1)  x }"
        )
        d = only(diagnostics, "E212")
        assert d.help == "did you mean `high`?"

    def test_parameter_given_twice(self):
        _, diagnostics, _ = checked(
            "indicator x = c.x\nframework { normalise minmax(0, low = 1)  x }"
        )
        assert "E213" in codes(diagnostics)

    def test_parameter_of_the_wrong_type(self):
        _, diagnostics, _ = checked('indicator x = c.x\nframework { normalise minmax("0")  x }')
        assert "E215" in codes(diagnostics)

    def test_missing_required_parameter(self):
        _, diagnostics = check_text(
            'index t { }\nunits c { from csv(encoding = "utf-8") key id }\n'
            "indicator x = c.x\nframework { x }"
        )
        d = only(diagnostics, "E214")
        assert "`path`" in d.message

    def test_parameters_are_bound(self):
        model, _, _ = checked(
            "indicator x = c.x\nframework { normalise minmax(high = 10, low = -5)  x }"
        )
        (leaf,) = model.root.children
        assert leaf.normaliser.values == {"low": -5.0, "high": 10.0}

    def test_a_setting_inherited_by_many_nodes_is_reported_once(self):
        _, diagnostics, _ = checked(
            "indicator x = c.x\nindicator y = c.y\nframework { aggregate nope  d { x y } }"
        )
        assert codes(diagnostics).count("E210") == 1

    def test_all_problems_are_reported_at_once(self):
        _, diagnostics, _ = checked(
            """
            indicator x = c.x + unknown_one
            indicator x2 = lgo(c.x)
            framework { aggregate geometrc  x  x2  y_missing }
            """
        )
        assert {"E201", "E225", "E210"} <= set(codes(diagnostics))
        assert sum(1 for d in diagnostics if d.code == "E201") == 2


class TestWeights:
    @staticmethod
    def framework(weights: list[str]) -> str:
        names = [f"i{k}" for k in range(len(weights))]
        decls = "".join(f"indicator {n} = c.{n}\n" for n in names)
        children = "  ".join(f"{n} {w}" for n, w in zip(names, weights, strict=True))
        return decls + "framework {\n  d { " + children + " }\n}\n"

    def child_weights(self, model) -> list[float]:
        (d,) = model.root.children
        return [c.weight for c in d.children]

    def test_exact_weights_pass_silently(self):
        for ws in (["25%", "75%"], ["1/3", "1/3", "1/3"], ["0.2", "0.3", "0.5"], ["1"]):
            model, diagnostics, _ = checked(self.framework(ws))
            assert diagnostics == [], ws
            assert sum(self.child_weights(model)) == pytest.approx(1.0)

    def test_three_times_33_percent_is_renormalised_with_a_warning(self):
        model, diagnostics, _ = checked(self.framework(["33%", "33%", "33%"]))
        d = only(diagnostics, "W253")
        assert d.severity is Severity.WARNING
        assert "99%" in d.message and "renormalised" in d.message
        assert model is not None
        assert self.child_weights(model) == [1 / 3, 1 / 3, 1 / 3]

    def test_six_times_16_7_percent_is_renormalised_with_a_warning(self):
        model, diagnostics, _ = checked(self.framework(["16.7%"] * 6))
        d = only(diagnostics, "W253")
        assert "100.2%" in d.message
        assert self.child_weights(model) == pytest.approx([1 / 6] * 6, abs=1e-15)

    def test_renormalisation_keeps_the_proportions(self):
        model, diagnostics, _ = checked(self.framework(["33%", "67.5%"]))
        only(diagnostics, "W253")
        assert self.child_weights(model) == pytest.approx(
            [float(Fraction(33, 1005) * 10), float(Fraction(675, 1005))]
        )

    def test_three_times_30_percent_is_an_error(self):
        model, diagnostics, text = checked(self.framework(["30%", "30%", "30%"]))
        d = only(diagnostics, "E253")
        assert model is None
        assert "90%" in d.message
        assert (d.span.line, d.span.col) == line_col_of(text, "30%")
        assert len(d.secondary) == 2  # the other two weights are pointed at

    def test_a_sum_just_outside_the_rounding_is_an_error(self):
        # 2 x 49% = 98%: rounding to whole percents explains at most ±1%
        _, diagnostics, _ = checked(self.framework(["49%", "49%"]))
        assert "E253" in codes(diagnostics)
        # 2 x 49.5% = 99%: one decimal explains at most ±0.1%
        _, diagnostics, _ = checked(self.framework(["49.5%", "49.5%"]))
        assert "E253" in codes(diagnostics)

    def test_exact_fractions_get_no_rounding_tolerance(self):
        _, diagnostics, _ = checked(self.framework(["1/3", "1/3", "1/4"]))
        assert "E253" in codes(diagnostics)

    def test_some_weights_missing(self):
        _, diagnostics, _ = checked(self.framework(["50%", ""]))
        d = only(diagnostics, "E251")
        assert d.label == "no weight"

    def test_weights_with_weights_equal(self):
        body = "indicator x = c.x\nindicator y = c.y\nframework { weights equal  x 50%  y }"
        _, diagnostics, _ = checked(body)
        assert "E250" in codes(diagnostics)

    def test_all_zero(self):
        _, diagnostics, _ = checked(self.framework(["0%", "0%"]))
        assert "E252" in codes(diagnostics)

    def test_the_root_is_checked_too(self):
        body = "indicator x = c.x\nindicator y = c.y\nframework { a 60% { x }  b 60% { y } }"
        _, diagnostics, _ = checked(body)
        d = only(diagnostics, "E253")
        assert "`t`" in d.message


@pytest.mark.parametrize(
    ("first", "second", "shown"),
    [
        ("reference ranks c.r1", "reference ranks c.r2", "`reference ranks`"),
        ("rank at 3 decimals", "rank at 2 decimals", "`rank at N decimals`"),
        ("aggregate geometric", "aggregate arithmetic", "`aggregate`"),
    ],
)
def test_a_setting_given_twice_on_one_node_is_an_error(first, second, shown):
    _, diagnostics, text = checked(
        f"""
        indicator x = c.x
        indicator y = c.y
        framework {{
          {first}
          {second}
          x
          y
        }}
        """
    )
    diagnostic = only(diagnostics, "E102")
    assert diagnostic.message.startswith(shown)
    assert diagnostic.span.line == text.splitlines().index(f"  {second}") + 1


def test_a_misspelled_setting_keyword_gets_a_suggestion():
    from indexdsl.diagnostics import DiagnosticError
    from indexdsl.syntax.parser import parse

    with pytest.raises(DiagnosticError) as caught:
        parse(PREAMBLE + "indicator x = c.x\nframework {\n  referenec ranks c.r\n  x\n}\n")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.help == "did you mean `reference`?"
    _, diagnostics, _ = checked("indicator x = c.x\nframework {\n  agregate geometric\n  x\n}\n")
    assert "did you mean the setting `aggregate`?" in [d.help for d in diagnostics]
