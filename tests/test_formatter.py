"""`indexdsl fmt`: canonical layout that keeps the meaning and the comments.

Properties: formatting is idempotent (fmt(fmt(x)) == fmt(x)) and meaning-preserving
(the formatted text parses to the same AST, spans aside), on the shipped indices and on
generated index files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexdsl.cli import main
from indexdsl.syntax import parse
from indexdsl.syntax.formatter import format_text
from indexdsl.syntax.parser import keywords, parse_with_comments

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "indices").glob("*.idx"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_indices_format_to_the_same_tree_and_are_stable(path):
    text = path.read_text(encoding="utf-8")
    once = format_text(text)
    assert parse(once) == parse(text)
    assert format_text(once) == once


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_comment_is_kept(path):
    text = path.read_text(encoding="utf-8")
    _, before = parse_with_comments(text)
    _, after = parse_with_comments(format_text(text))
    assert sorted(c.text for c in after) == sorted(c.text for c in before)


def test_layout_is_canonical():
    messy = (
        'index  x "X"{edition 2024}\n'
        'units u{from csv( "u.csv" ) key   k}\n'
        "indicator a=((u.v+1))*2  lower is better # reversed\n"
        "framework{aggregate geometric a}\n"
    )
    assert format_text(messy) == (
        'index x "X" {\n'
        "  edition 2024\n"
        "}\n"
        "\n"
        "units u {\n"
        '  from csv("u.csv")\n'
        "  key k\n"
        "}\n"
        "\n"
        "indicator a = (u.v + 1) * 2  # reversed\n"
        "  lower is better\n"
        "\n"
        "framework {\n"
        "  aggregate geometric\n"
        "  a\n"
        "}\n"
    )


def test_parentheses_that_carry_meaning_are_kept():
    text = "indicator a = (1 - 2) - (3 - 4) / (5 * 6) ^ 2 + -(7 + 8) - (1 - (2 - 3))\n"
    formatted = format_text(text)
    # (1 - 2) - … is 1 - 2 - … (left to right); the other parentheses change the meaning
    assert "= 1 - 2 - (3 - 4) / (5 * 6) ^ 2 + -(7 + 8) - (1 - (2 - 3))" in formatted
    assert parse(formatted) == parse(text)


# ---- generated index files -------------------------------------------------------
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
# the words of the language, read from the grammar (a name may not be one of them)
KEYWORDS = set(keywords()) | {"higher", "lower"}
numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(0, 1000, places=3, allow_nan=False).map(str),
)
titles = st.text(st.characters(codec="utf-8", exclude_characters='"\\\n\r'), max_size=12).map(
    lambda s: f'"{s}"'
)


@st.composite
def expressions(draw, depth=0):
    leaf = st.one_of(numbers, names, st.builds(lambda a, b: f"{a}.{b}", names, names))
    if depth > 2:
        return draw(leaf)
    sub = expressions(depth=depth + 1)
    return draw(
        st.one_of(
            leaf,
            st.builds(lambda a, op, b: f"{a} {op} {b}", sub, st.sampled_from("+-*/"), sub),
            st.builds(lambda a: f"({a})", sub),
            st.builds(lambda a: f"-{a}", sub),
            st.builds(lambda f, a: f"{f}({a})", names, sub),
            st.builds(lambda a, b: f"{a} ^ {b}", leaf, leaf),
        )
    )


weights = st.one_of(
    st.just(""),
    st.integers(0, 100).map(lambda n: f" {n}%"),
    st.decimals(0, 1, places=2).map(lambda d: f" {d}"),
    st.tuples(st.integers(1, 9), st.integers(1, 9)).map(lambda t: f" {t[0]}/{t[1]}"),
)


@st.composite
def nodes(draw, depth=0):
    name = draw(names)
    title = draw(st.one_of(st.just(""), titles.map(lambda t: " " + t)))
    weight = draw(weights)
    comment = draw(st.one_of(st.just(""), st.just("  # note")))
    if depth >= 2 or draw(st.booleans()):
        return f"{name}{title}{weight}{comment}\n"
    setting = draw(
        st.sampled_from(
            [
                "",
                "aggregate geometric\n",
                "weights equal\n",
                "normalise minmax(60, 100)\n",
                "missing propagate\n",
            ]
        )
    )
    children = draw(st.lists(nodes(depth=depth + 1), min_size=1, max_size=3))
    return f"{name}{title}{weight} {{\n{setting}{''.join(children)}}}\n"


@st.composite
def index_files(draw):
    parts = ['index x "X" { edition 2024 }\n']
    if draw(st.booleans()):
        parts.append("# a comment on its own line\n")
    parts.append(f"parameter {draw(names)} = {draw(numbers)}\n")
    parts.append(
        'units u "U" {\n from csv("u.csv", encoding = "latin-1")\n key k\n'
        f' groups {draw(names)}, {draw(names)}\n exclude k matching "Z*"\n}}\n'
    )
    parts.append(
        'pairs p { from csv("p.csv") between a and b directed\n'
        f' illustrative {draw(names)} "made up"\n}}\n'
    )
    for _ in range(draw(st.integers(1, 4))):
        option = draw(
            st.sampled_from(
                ["", " lower is better", " normalise zscore(10, 2)", ' unit "kg"', "  # why"]
            )
        )
        parts.append(f"indicator {draw(names)}{draw(titles)} = {draw(expressions())}{option}\n")
        if draw(st.booleans()):
            parts.append("\n")
    children = draw(st.lists(nodes(), min_size=1, max_size=4))
    parts.append("framework {\n pathways p\n reference ranks u.r\n" + "".join(children) + "}\n")
    return "".join(parts)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index_files())
def test_formatting_preserves_meaning_and_is_idempotent(text):
    tree = parse(text)
    once = format_text(text)
    assert parse(once) == tree
    assert format_text(once) == once


def test_fmt_command_prints_checks_and_writes(tmp_path, capsys):
    path = tmp_path / "x.idx"
    messy = "index x{edition 1}\n"
    path.write_text(messy, encoding="utf-8")
    assert main(["fmt", str(path), "--check"]) == 1
    assert path.read_text(encoding="utf-8") == messy  # --check changes nothing
    assert main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == "index x {\n  edition 1\n}\n"
    assert path.read_text(encoding="utf-8") == messy  # printing changes nothing
    assert main(["fmt", str(path), "--write"]) == 0
    assert path.read_text(encoding="utf-8") == "index x {\n  edition 1\n}\n"
    assert main(["fmt", str(path), "--check"]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name != "x.idx"]  # no temp file left


def test_fmt_reports_a_syntax_error_without_touching_the_file(tmp_path, capsys):
    path = tmp_path / "bad.idx"
    path.write_text("index x {\n", encoding="utf-8")
    assert main(["fmt", str(path), "--write"]) == 1
    assert "unexpected end of file" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "index x {\n"


def test_a_comment_after_a_keyword_setting_stays_on_its_line():
    """Settings made of keywords only (`directed`, `denominate`, `weights equal`,
    `exclude one indicator`) keep their comments, even where the canonical order moves
    them before the line above."""
    from indexdsl.syntax.formatter import format_text

    text = (
        'index t "T" { }\n'
        "defaults {\n  weights equal   # c1\n}\n"
        'pairs p {\n  from csv("p.csv")\n  between a and b\n  directed        # c2\n}\n'
        'framework {\n  from csv("meta.csv")\n  denominate      # c3\n}\n'
        "uncertainty {\n  exclude one indicator   # c4\n}\n"
    )
    out = format_text(text)
    for line in ("weights equal  # c1", "directed  # c2", "denominate  # c3"):
        assert line in out.splitlines() or f"  {line}" in out.splitlines(), out
    assert "  exclude one indicator  # c4" in out.splitlines()
    assert format_text(out) == out


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[1] / "indices").glob("*.idx")),
    ids=lambda p: p.name,
)
def test_every_example_index_is_in_the_canonical_layout(path):
    from indexdsl.syntax.formatter import format_text

    text = path.read_text(encoding="utf-8")
    assert format_text(text, path.name) == text, f"run `indexdsl fmt --write {path.name}`"
