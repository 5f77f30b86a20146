"""Expressions in `reference ranks`, `reference scores` and `previous ranks`: parsed,
formatted, checked with located diagnostics, computed per unit once the data are
loaded, with the published decimals of `reference scores` taken from `round(x, d)` or
from the columns read."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import codes, line_col_of, only
from indexdsl.output.results import agreement
from indexdsl.syntax import ast
from indexdsl.syntax.formatter import format_text
from indexdsl.syntax.parser import parse

ROWS = "id,x,y,rb,s,hdi_2022,prev,route_a\nA,1,2,3,0.512,0.51234,1,A\nB,2,3,2,0.7,0.7,2,B\nC,3,1,1,0.85,0.8,3,C\n"

TEXT = """\
index t "T" {}

parameter year = 2022
parameter offset = 4

units country {
  from csv("c.csv")
  key id
}

indicator x = country.x
indicator y = country.y

framework {
  aggregate arithmetic
  normalise minmax
SETTINGS
  x
  y
}
"""


def index(settings_text: str) -> str:
    lines = [f"  {line}" for line in settings_text.strip().splitlines()]
    return TEXT.replace("SETTINGS", "\n".join(lines))


def run(project, settings_text: str):
    result, _ = project.run(index(settings_text), {"c.csv": ROWS})
    return result.data


def fail(project, settings_text: str):
    return project.fail(index(settings_text), {"c.csv": ROWS})


# ---- syntax ------------------------------------------------------------------------


def test_an_expression_parses_and_a_plain_column_stays_a_column():
    tree = parse(
        index(
            "reference ranks 44 - country.rb\n"
            "reference scores round(country.hdi_{year} * 100, 1)\n"
            "previous ranks country.prev"
        )
    )
    framework = tree.declarations[-1]
    by_kind = {s.kind: s for s in framework.settings}
    ranks = by_kind["reference"]
    assert ranks.column is None and isinstance(ranks.expression, ast.Binary)
    assert ranks.expression.op == "-"
    scores = by_kind["reference_scores"].expression
    assert isinstance(scores, ast.Call) and scores.func.text == "round"
    previous = by_kind["previous"]
    assert previous.expression is None and previous.column.column.text == "prev"


def test_the_formatter_writes_reference_expressions_canonically_and_idempotently():
    text = index(
        "reference ranks   (44 -country.rb)\n"
        "reference scores round( country.hdi_{year}*100 , 1 )\n"
        "previous ranks offset-country.prev"
    )
    once = format_text(text)
    assert "  reference ranks 44 - country.rb\n" in once
    assert "  reference scores round(country.hdi_{year} * 100, 1)\n" in once
    assert "  previous ranks offset - country.prev\n" in once
    assert format_text(once) == once


# ---- values ------------------------------------------------------------------------


def test_reference_ranks_and_previous_ranks_are_computed_per_unit(project):
    data = run(project, "reference ranks 4 - country.rb\nprevious ranks country.prev * 2 - offset")
    # rb = 3, 2, 1 -> 4 - rb = 1, 2, 3 ; prev = 1, 2, 3 -> 2 * prev - 4 = -2, 0, 2
    assert data.references["t"].tolist() == [1.0, 2.0, 3.0]
    assert data.previous["t"].tolist() == [-2.0, 0.0, 2.0]


def test_reference_scores_take_their_decimals_from_round(project):
    data = run(project, "reference scores round(country.hdi_{year} * 100, 1)")
    values, decimals = data.reference_scores["t"]
    # 0.51234 * 100 = 51.234 -> 51.2 ; 70 ; 80
    assert values.tolist() == pytest.approx([51.2, 70.0, 80.0])
    assert decimals == 1


def test_reference_scores_without_round_take_the_most_decimals_of_the_columns_read(project):
    # s has at most 3 decimals (0.512), x none: 3 decimals
    data = run(project, "reference scores country.s + country.x")
    values, decimals = data.reference_scores["t"]
    assert values.tolist() == pytest.approx([1.512, 2.7, 3.85])
    assert decimals == 3


def test_a_plain_column_keeps_the_decimals_of_its_cells(project):
    data = run(project, "reference scores country.hdi_{year}")
    values, decimals = data.reference_scores["t"]
    assert values.tolist() == pytest.approx([0.51234, 0.7, 0.8])
    assert decimals == 5


def test_a_division_by_zero_in_a_reference_is_missing(project):
    data = run(project, "reference ranks 1 / (country.rb - 2)")
    assert np.isnan(data.references["t"][1])
    assert data.references["t"][[0, 2]].tolist() == [1.0, -1.0]


def test_reference_expressions_are_compared_with_the_computed_ranks(project):
    # minmax of x (0, .5, 1) and y (.5, 1, 0), averaged: A .25, B .75, C .5, ranked
    # B 1, C 2, A 3; published 6 - rb - prev = 2 for all three: only C agrees
    result, _ = project.run(index("reference ranks 6 - country.rb - country.prev"), {"c.csv": ROWS})
    found = agreement(result)["t"]
    assert found["n"] == 3
    assert found["exact"] == 1


def test_a_reference_expression_reads_a_data_table(project):
    text = index("reference ranks extra.r * 2").replace(
        "indicator x", 'table extra {\n  from csv("e.csv")\n  key id\n}\n\nindicator x'
    )
    result, _ = project.run(text, {"c.csv": ROWS, "e.csv": "id,r\nC,1.5\nA,0.5\n"})
    ranks = result.data.references["t"]
    assert ranks[[0, 2]].tolist() == [1.0, 3.0] and np.isnan(ranks[1])


# ---- diagnostics -------------------------------------------------------------------


def test_an_indicator_in_a_reference_expression_is_located(project):
    settings_text = "reference ranks 4 - x"
    found = only(fail(project, settings_text), "E247")
    text = index(settings_text)
    line, col = line_col_of(text, "4 - x")
    assert (found.span.line, found.span.col) == (line, col + 4)
    assert "indicator" in found.message
    assert "country.COLUMN" in found.help


def test_a_pairs_column_in_a_reference_expression_is_located(project):
    pairs = 'pairs route {\n  from csv("r.csv")\n  between a and b\n}\n'
    text = index("reference scores 2 * route.w").replace("indicator x", pairs + "indicator x")
    diagnostics = project.fail(text, {"c.csv": ROWS, "r.csv": "a,b,w\nA,B,1\n"})
    found = only(diagnostics, "E248")
    assert (found.span.line, found.span.col) == line_col_of(text, "route.w")
    assert "pairs table `route`" in found.message


def test_an_unknown_name_in_a_reference_expression_suggests_a_parameter(project):
    settings_text = "reference ranks ofset - country.rb"
    found = only(fail(project, settings_text), "E249")
    assert (found.span.line, found.span.col) == line_col_of(index(settings_text), "ofset")
    assert found.help == "did you mean `offset`?"


def test_an_unknown_table_or_function_in_a_reference_expression_is_reported(project):
    assert "E249" not in codes(fail(project, "reference ranks 4 - land.rb"))
    assert (
        fail(project, "reference ranks 4 - land.rb")[0].span.line
        == line_col_of(index("reference ranks 4 - land.rb"), "land")[0]
    )
    unknown = fail(project, "reference ranks rond(country.rb)")
    assert any("rond" in d.message for d in unknown)


# ---- property ----------------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    a=st.integers(-50, 50),
    b=st.integers(-50, 50),
    digits=st.integers(0, 4),
)
def test_a_linear_reference_equals_the_numpy_values(project, a, b, digits):
    data = run(
        project,
        f"reference ranks {abs(a)} * country.rb - {abs(b)}\n"
        f"reference scores round(country.s * {abs(a) + 1}, {digits})",
    )
    rb = np.array([3.0, 2.0, 1.0])
    s = np.array([0.512, 0.7, 0.85]) * (abs(a) + 1)
    assert data.references["t"].tolist() == pytest.approx((abs(a) * rb - abs(b)).tolist())
    expected = np.sign(s) * np.floor(np.abs(s) * 10.0**digits + 0.5) / 10.0**digits
    values, decimals = data.reference_scores["t"]
    assert values.tolist() == pytest.approx(expected.tolist())
    assert decimals == digits


def test_an_inherited_reference_expression_reading_a_replaced_table_is_w167(tmp_path):
    from indexdsl.pipeline import Session, check_file

    (tmp_path / "base.idx").write_text(
        'index base "Base" {}\nunits c { from csv("u.csv") key id }\nindicator x = c.a\n'
        "framework {\n  reference ranks 3 - c.published\n  x\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "u.csv").write_text("id,a,published\nu1,1,2\nu2,2,1\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text("id,a,published\nv1,3,1\nv2,1,2\n", encoding="utf-8")
    path = tmp_path / "index.idx"
    path.write_text('extends "base.idx"\nunits c { from csv("o.csv") key id }\n', encoding="utf-8")
    session = Session()
    check_file(path, session)
    (w167,) = [d for d in session.warnings if d.code == "W167"]
    assert "reference ranks c.published" in w167.message
