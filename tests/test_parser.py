"""Parsing: text → AST shapes, spans, weights, literals, comments and syntax errors."""

from __future__ import annotations

import textwrap
from fractions import Fraction

import pytest

from conftest import line_col_of
from indexdsl.diagnostics import DiagnosticError, Span
from indexdsl.syntax import ast, parse


def n(text: str) -> ast.Name:
    return ast.Name(text)


def col(table: str, column: str) -> ast.ColumnRef:
    return ast.ColumnRef(n(table), n(column))


def ref(name: str) -> ast.NameRef:
    return ast.NameRef(n(name))


def num(value: float, kind: str = "number") -> ast.Literal:
    return ast.Literal(value, kind)


def parse_error(text: str, file: str = "f.idx"):
    with pytest.raises(DiagnosticError) as info:
        parse(text, file)
    (diagnostic,) = info.value.diagnostics
    return diagnostic


def expr_of(source: str) -> ast.Expr:
    (decl,) = parse(f"indicator a = {source}").declarations
    return decl.expr


def weights_of(framework_body: str) -> list[ast.Weight | None]:
    (decl,) = parse("framework {\n" + framework_body + "\n}").declarations
    return [child.weight for child in decl.children]


FULL = textwrap.dedent(
    """\
    # An index with one of everything
    index demo "Demo index" {
      edition 2024
      source "somewhere"
    }
    defaults {
      normalise minmax(60, 100)   # trailing comment
      aggregate geometric
    }
    units city "Cities" {
      from csv("data/cities.csv", encoding = "latin-1")
      key city_id
      label city
      groups region, country
      illustrative pop "made up"
    }
    pairs route {
      from csv("data/pairs.csv")
      between city_a and city_b
      directed
    }
    indicator gdp "GDP" = city.gdp / city.pop lower is better normalise zscore unit "USD"
    indicator flights = sum(route.flights, flow = out)
    framework {
      pathways route
      reference ranks city.published
      economy "Economy" 40% {
        aggregate arithmetic
        gdp 1/2
        flights 0.5
      }
      links 60% { weights equal  flights2 }
    }
    """
)


class TestShapes:
    def test_declarations_in_file_order(self):
        tree = parse(FULL, "demo.idx")
        assert [type(d) for d in tree.declarations] == [
            ast.IndexDecl,
            ast.DefaultsDecl,
            ast.UnitsDecl,
            ast.PairsDecl,
            ast.IndicatorDecl,
            ast.IndicatorDecl,
            ast.FrameworkDecl,
        ]
        assert tree.path == "demo.idx"

    def test_index_and_defaults(self):
        index, defaults, *_ = parse(FULL).declarations
        assert index == ast.IndexDecl(
            n("demo"),
            "Demo index",
            (
                ast.MetaItem(n("edition"), num(2024.0)),
                ast.MetaItem(n("source"), ast.Literal("somewhere", "string")),
            ),
        )
        assert defaults == ast.DefaultsDecl(
            (
                ast.Setting(
                    "normalise",
                    component=ast.Component(n("minmax"), (num(60.0), num(100.0)), has_parens=True),
                ),
                ast.Setting("aggregate", component=ast.Component(n("geometric"))),
            )
        )

    def test_units_block(self):
        units = parse(FULL).declarations[2]
        assert units == ast.UnitsDecl(
            n("city"),
            "Cities",
            source=ast.Component(
                n("csv"),
                (ast.Literal("data/cities.csv", "string"),),
                ((n("encoding"), ast.Literal("latin-1", "string")),),
                has_parens=True,
            ),
            key=n("city_id"),
            label=n("city"),
            groups=(n("region"), n("country")),
            illustrative=(ast.Illustrative((n("pop"),), "made up"),),
        )

    def test_pairs_block(self):
        pairs = parse(FULL).declarations[3]
        assert pairs.name == n("route")
        assert pairs.title is None
        assert pairs.between == (n("city_a"), n("city_b"))
        assert pairs.directed is True
        undirected = parse('pairs p { from csv("p.csv") between a and b undirected }')
        assert undirected.declarations[0].directed is False
        unspecified = parse('pairs p { from csv("p.csv") between a and b }')
        assert unspecified.declarations[0].directed is None

    def test_indicator_with_options(self):
        gdp, flights = parse(FULL).declarations[4:6]
        assert gdp == ast.IndicatorDecl(
            n("gdp"),
            "GDP",
            ast.Binary("/", col("city", "gdp"), col("city", "pop")),
            direction="lower",
            normalise=ast.Setting("normalise", component=ast.Component(n("zscore"))),
            unit="USD",
        )
        assert flights.expr == ast.Call(
            n("sum"), (col("route", "flights"),), ((n("flow"), ref("out")),)
        )
        assert flights.direction is None

    def test_framework_tree(self):
        framework = parse(FULL).declarations[6]
        assert framework.settings == (
            ast.Setting("pathways", target=n("route")),
            ast.Setting("reference", column=col("city", "published")),
        )
        economy, links = framework.children
        assert economy.name == n("economy") and economy.title == "Economy"
        assert economy.has_body
        assert economy.settings == (
            ast.Setting("aggregate", component=ast.Component(n("arithmetic"))),
        )
        assert [c.name.text for c in economy.children] == ["gdp", "flights"]
        assert all(not c.has_body and c.children == () for c in economy.children)
        assert links.settings == (ast.Setting("weights"),)
        assert links.weight.value == Fraction(3, 5)
        assert [c.name.text for c in links.children] == ["flights2"]

    def test_normalize_is_a_synonym_of_normalise(self):
        a = parse("indicator a = c.x normalize rank")
        b = parse("indicator a = c.x normalise rank")
        assert a == b
        assert a.declarations[0].normalise.component.name.text == "rank"

    @pytest.mark.parametrize(
        "source, expected",
        [
            ("1 + 2 * 3", ast.Binary("+", ast.Number(1.0), ast.Binary("*", ast.Number(2.0), ast.Number(3.0)))),
            ("(1 + 2) * 3", ast.Binary("*", ast.Binary("+", ast.Number(1.0), ast.Number(2.0)), ast.Number(3.0))),
            ("1 - 2 - 3", ast.Binary("-", ast.Binary("-", ast.Number(1.0), ast.Number(2.0)), ast.Number(3.0))),
            ("8 / 4 / 2", ast.Binary("/", ast.Binary("/", ast.Number(8.0), ast.Number(4.0)), ast.Number(2.0))),
            ("2 ^ 3 ^ 2", ast.Binary("^", ast.Number(2.0), ast.Binary("^", ast.Number(3.0), ast.Number(2.0)))),
            ("-x ^ 2", ast.Negate(ast.Binary("^", ref("x"), ast.Number(2.0)))),
            ("- -x", ast.Negate(ast.Negate(ref("x")))),
            ("2.5e3", ast.Number(2500.0)),
            ("log(c.x + 1)", ast.Call(n("log"), (ast.Binary("+", col("c", "x"), ast.Number(1.0)),))),
            ("cap(x, 0, 10)", ast.Call(n("cap"), (ref("x"), ast.Number(0.0), ast.Number(10.0)))),
            ("minmax(x, high = 10)", ast.Call(n("minmax"), (ref("x"),), ((n("high"), ast.Number(10.0)),))),
        ],
    )  # fmt: skip
    def test_expression_precedence_and_associativity(self, source, expected):
        assert expr_of(source) == expected

    @pytest.mark.parametrize(
        "source, literal",
        [
            ("f(-1.5)", ast.Literal(-1.5, "number")),
            ("f(+2)", ast.Literal(2.0, "number")),
            ("f(25%)", ast.Literal(0.25, "percent")),
            ('f("a \\"quoted\\" word\\n")', ast.Literal('a "quoted" word\n', "string")),
            ("f(both)", ast.Literal("both", "symbol")),
        ],
    )
    def test_component_literals(self, source, literal):
        (decl,) = parse(f"defaults {{ aggregate {source} }}").declarations
        (arg,) = decl.settings[0].component.args
        assert arg == literal

    def test_component_without_parentheses_and_with_empty_ones(self):
        (decl,) = parse("defaults { aggregate median aggregate median() }").declarations
        bare, empty = (s.component for s in decl.settings)
        assert bare.has_parens is False and empty.has_parens is True
        assert bare.args == empty.args == ()

    def test_comments_and_layout_do_not_change_the_tree(self):
        stripped = "\n".join(
            line.split("#", 1)[0] for line in FULL.splitlines() if not line.startswith("#")
        )
        squeezed = " ".join(stripped.split())
        assert parse(FULL) == parse(stripped) == parse(squeezed)

    def test_a_hash_inside_a_string_is_not_a_comment(self):
        (decl,) = parse('index x "No. #1" { }').declarations
        assert decl.title == "No. #1"

    def test_empty_file_has_no_declarations(self):
        assert parse("").declarations == ()
        assert parse("# only a comment\n\n").declarations == ()


class TestSpans:
    def test_name_spans_point_at_the_names(self):
        tree = parse(FULL, "demo.idx")
        gdp = tree.declarations[4]
        line, column = line_col_of(FULL, "gdp")
        assert gdp.name.span == Span("demo.idx", line, column, line, column + 3)
        column_ref = gdp.expr.right
        line, column = line_col_of(FULL, "city.pop")
        assert column_ref.span == Span("demo.idx", line, column, line, column + len("city.pop"))
        assert column_ref.column.span.col == column + len("city.")

    def test_declaration_spans_cover_the_block(self):
        tree = parse(FULL, "demo.idx")
        units = tree.declarations[2]
        start = line_col_of(FULL, "units city")
        assert (units.span.line, units.span.col) == start
        assert units.span.end_line == start[0] + 6  # the closing brace
        assert units.span.end_col == 2

    def test_weight_spans(self):
        tree = parse(FULL, "demo.idx")
        economy = tree.declarations[6].children[0]
        line, column = line_col_of(FULL, "40%")
        assert economy.weight.span == Span("demo.idx", line, column, line, column + 3)
        gdp_weight = economy.children[0].weight
        line, column = line_col_of(FULL, "1/2")
        assert gdp_weight.span == Span("demo.idx", line, column, line, column + 3)

    def test_spans_are_left_out_of_equality(self):
        a = parse("indicator a = c.x", "one.idx")
        b = parse("\n\n   indicator   a =\n c.x", "two.idx")
        assert a == b
        assert a.declarations[0].span != b.declarations[0].span
        assert hash(a.declarations[0].name) == hash(b.declarations[0].name)


class TestWeights:
    @pytest.mark.parametrize(
        "text, value, resolution",
        [
            ("16.7%", Fraction(167, 1000), Fraction(1, 1000)),
            ("33%", Fraction(33, 100), Fraction(1, 100)),
            ("12.25%", Fraction(1225, 10000), Fraction(1, 10000)),
            ("100%", Fraction(1), Fraction(1, 100)),
            ("0.25", Fraction(1, 4), Fraction(1, 100)),
            ("0.5", Fraction(1, 2), Fraction(1, 10)),
            ("1", Fraction(1), Fraction(0)),  # whole numbers are exact
            ("1/3", Fraction(1, 3), Fraction(0)),
            ("2/6", Fraction(1, 3), Fraction(0)),
            ("0.5/2", Fraction(1, 4), Fraction(0)),
        ],
    )
    def test_value_text_and_resolution(self, text, value, resolution):
        (weight,) = weights_of(f"a {text}")
        assert weight.value == value
        assert weight.text == text
        assert weight.resolution == resolution

    def test_weight_after_a_title_and_before_a_body(self):
        (weight,) = weights_of('d "Dimension" 25% { x }')
        assert weight.value == Fraction(1, 4)

    def test_no_weight(self):
        assert weights_of("a\nb") == [None, None]

    def test_division_by_zero_is_refused_not_read_as_zero(self):
        with pytest.raises(DiagnosticError) as info:
            weights_of("a 1/0")
        (d,) = info.value.diagnostics
        assert d.code == "E006" and "`1/0` divides by zero" in d.message


class TestSyntaxErrors:
    def test_unexpected_token_is_located_and_named_in_words(self):
        text = "indicator a = sum(route.x,)\n"
        d = parse_error(text)
        assert d.code == "E003"
        assert d.span.file == "f.idx"
        assert (d.span.line, d.span.col) == line_col_of(text, ")")
        assert "`)`" in d.message
        rendered = f"{d.message} {d.label} {d.help}"
        for lark_name in ("RPAR", "LPAR", "COMMA", "RBRACE", "$END", "__ANON"):
            assert lark_name not in rendered

    def test_expected_tokens_are_listed(self):
        d = parse_error('units c { from csv("a.csv" }')
        assert d.code == "E003"
        assert "`)`" in d.label and "`,`" in d.label

    def test_unexpected_character(self):
        text = "indicator a = c.x $ 2"
        d = parse_error(text)
        assert d.code == "E001"
        assert "`$`" in d.message
        assert (d.span.line, d.span.col) == (1, text.index("$") + 1)

    def test_single_quotes_get_a_specific_message(self):
        text = "index x {\n  source 'web'\n}"
        d = parse_error(text)
        assert d.code == "E001"
        assert "double quotes" in d.message
        assert (d.span.line, d.span.col) == (2, 10)

    def test_unexpected_end_of_file_is_placed_at_the_end_of_the_text(self):
        text = 'index x "T" {\n  edition 2024\n\n\n'
        d = parse_error(text)
        assert d.code == "E002"
        assert "end of file" in d.message
        # just after the last character written, not at the last token's start
        assert (d.span.line, d.span.col) == (2, len("  edition 2024") + 1)
        assert any("`}`" in note for note in d.notes)

    def test_end_of_file_inside_an_expression(self):
        text = "indicator a = (c.x + 1"
        d = parse_error(text)
        assert d.code == "E002"
        assert (d.span.line, d.span.col) == (1, len(text) + 1)
        assert "`)`" in d.help

    def test_end_of_file_after_a_keyword(self):
        d = parse_error("index")
        assert d.code == "E002"
        assert (d.span.line, d.span.col) == (1, 6)

    def test_misplaced_normalise_gets_a_hint(self):
        d = parse_error('units c { from csv("a.csv") normalise minmax }')
        assert d.code == "E003"
        assert "`normalise` belongs" in d.help

    def test_two_titles_on_an_indicator_get_a_hint(self):
        d = parse_error('indicator a "A" "B" = 1')
        assert d.code == "E003"
        assert "one title" in d.help

    def test_error_line_in_a_later_line(self):
        text = "index x {\n}\n\nframework {\n  a 50% b 50%\n  c (\n}\n"
        d = parse_error(text)
        assert d.code == "E003"
        assert d.span.line == 6
