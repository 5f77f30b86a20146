"""Limits on what indexdsl reads, checked before the work they guard: nesting,
numbers, special and oversized files, chains of `extends`, deep framework tables,
`--set` ranges, and the forms a number may take.  Each case ends in a located, coded
diagnostic (exit 1) or a usage error (exit 2), never an internal error (exit 4) or a
hang; docs/reference/limits.md lists them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexdsl.cli import main

UNITS = 'units c { from csv("u.csv") key id }\n'
HEAD = "index t { }\n" + UNITS


@pytest.fixture
def folder(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "u.csv").write_text("id,x,y\na,1,2\nb,2,1\nc,3,3\n", encoding="utf-8")
    return tmp_path


def run(folder: Path, text: str, *args: str, name: str = "t.idx") -> tuple[int, str]:
    (folder / name).write_text(text, encoding="utf-8")
    code = main([*(args or ("check",)), name])
    return code


def framework(depth: int) -> str:
    opened = "".join(f"n{i} {{ " for i in range(depth))
    return (
        HEAD
        + "indicator x = c.x\nindicator y = c.y\nframework {\n"
        + opened
        + "x y"
        + " }" * depth
        + "\n}\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        framework(2000),
        HEAD + "indicator x = " + "-" * 3000 + "c.x\nframework { x }\n",
        HEAD + "indicator x = c.x" + " ^ 1" * 3000 + "\nframework { x }\n",
        HEAD + "indicator x = c.x" + " + c.x" * 3000 + "\nframework { x }\n",
    ],
    ids=["framework", "minus", "power", "sum"],
)
def test_deep_nesting_is_refused_before_it_is_read(folder, capsys, text):
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E004]" in err and "more than 100 levels" in err
    assert "internal error" not in err
    assert max(len(line) for line in err.splitlines()) < 200  # a long line is cut around the mark


def test_parentheses_add_no_level(folder):
    """Redundant parentheses are read without nesting the tree: 3,000 of them are fine."""
    text = HEAD + "indicator x = " + "(" * 3000 + "c.x" + ")" * 3000 + "\nframework { x }\n"
    assert run(folder, text, "run", "--no-write", "-q") == 0


def test_a_framework_45_levels_deep_is_read_and_computed(folder, capsys):
    text = framework(45)
    for command in (["check"], ["run", "--no-write", "-q"], ["fmt"]):
        assert run(folder, text, *command) == 0, capsys.readouterr().err


@pytest.mark.parametrize("number", ["9" * 60, "1e999", "1" + "0" * 400])
def test_numbers_out_of_range(folder, capsys, number):
    text = (
        HEAD + f"indicator x = c.x * {number}\nindicator y = c.y\nframework {{ x {number} y 1 }}\n"
    )
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E005]" in err and "out of range" in err


def test_a_byte_order_mark_is_accepted(folder):
    text = "\ufeff" + HEAD + "indicator x = c.x\nframework { x }\n"
    assert run(folder, text) == 0


def test_an_index_file_that_is_a_pipe_is_refused_without_blocking(folder):
    os.mkfifo(folder / "pipe.idx")
    for command in (["check"], ["fmt", "--write"], ["run", "--no-write"]):
        done = subprocess.run(
            [sys.executable, "-m", "indexdsl.cli", *command, "pipe.idx"],
            cwd=folder, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1 and "E012" in done.stderr
        assert "named pipe" in done.stderr


def test_a_symbolic_link_loop_is_refused(folder, capsys):
    (folder / "a.idx").symlink_to(folder / "b.idx")
    (folder / "b.idx").symlink_to(folder / "a.idx")
    assert main(["check", "a.idx"]) == 1
    assert "E012" in capsys.readouterr().err


def test_an_index_file_over_10_mib_is_refused(folder, capsys):
    with (folder / "big.idx").open("w") as handle:
        handle.write(HEAD + "indicator x = c.x\nframework { x }\n")
        handle.write(("# " + "x" * 1000 + "\n") * 11000)
    assert main(["check", "big.idx"]) == 1
    assert "E013" in capsys.readouterr().err


# a folder is refused by a loader that reads files only (`csv` and `parquet` read folders)
@pytest.mark.parametrize("source", ['csv("/dev/zero")', 'xlsx("sub")'])
def test_a_data_file_that_is_a_device_or_a_folder_is_refused(folder, capsys, source):
    (folder / "sub").mkdir()
    text = (
        f"index t {{ }}\nunits c {{ from {source} key id }}\nindicator x = c.x\nframework {{ x }}\n"
    )
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E309]" in err and ("a device" in err or "a folder" in err)


def test_a_long_chain_of_extends_is_refused(folder, capsys):
    (folder / "f0.idx").write_text(HEAD + "indicator x = c.x\nframework { x }\n")
    for i in range(1, 40):
        (folder / f"f{i}.idx").write_text(f'extends "f{i - 1}.idx"\n')
    assert main(["check", "f39.idx"]) == 1
    assert "E163" in capsys.readouterr().err
    assert main(["check", "f10.idx"]) == 0  # a chain of 10 is read


def test_a_framework_table_5000_levels_deep_is_refused(folder, capsys):
    rows = ["iCode,Parent,Type,Weight", "root,,Aggregate,1"]
    previous = "root"
    for i in range(5000):
        rows.append(f"n{i},{previous},Aggregate,1")
        previous = f"n{i}"
    rows += [f"x,{previous},Indicator,1"]
    (folder / "meta.csv").write_text("\n".join(rows) + "\n")
    text = 'index t { }\nunits c { from csv("u.csv") key id }\nframework {\n  from csv("meta.csv")\n}\n'
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E514]" in err and "internal error" not in err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["run", "t.idx", "--no-write", "--set", "k=1..100000000"], "at most 1000"),
        (["run", "t.idx", "--no-write", "--set", "k=1_0..20"], "two whole numbers"),
        (["run", "t.idx", "--no-write", "--set", "k=1_0"], "ASCII digits"),
        (["run", "t.idx", "--no-write", "--set", "k=nan"], "finite number"),
        (["run", "t.idx", "--no-write", "--top", "-1"], "negative"),
        (["uncertainty", "t.idx", "--seed", "-1"], "negative"),
        (["run", "t.idx", "--no-write", "--format", "pdf"], "not an output format"),
        (["run", "t.idx", "--no-write", "--format", ""], "no output format given"),
    ],
)
def test_command_line_values_are_checked(folder, capsys, argv, expected):
    (folder / "t.idx").write_text(
        HEAD.replace("index t { }", "index t { }\nparameter k = 5")
        + "indicator x = c.x * k\nindicator y = c.y\nframework { x y }\nuncertainty { weights vary 10% }\n"
    )
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own refusals
        code = exit.code
    assert code == 2
    captured = capsys.readouterr()
    assert expected in captured.err


@pytest.mark.parametrize("cell", ["1_000", "0x10", "\u0663", "\uff13", "inf", "1e999"])
def test_only_plain_numbers_are_numbers(folder, capsys, cell):
    (folder / "u.csv").write_text(f"id,x\na,{cell}\nb,2\nc,3\n", encoding="utf-8")
    assert run(folder, HEAD + "indicator x = c.x\nframework { x }\n") == 1
    assert "is not a number" in capsys.readouterr().err


# ---- values that were accepted without a word --------------------------------------------

FRAMEWORK = "indicator x = c.x\nindicator y = c.y\nframework {{\n  normalise {n}\n  aggregate {a}\n  x y\n}}\n"


@pytest.mark.parametrize(
    "normaliser, expected",
    [
        ("minmax(5, 5)", "`high` (5) must be above `low` (5)"),
        ("minmax(100, 0)", "write `lower is better`"),
        ("zscore(0, 0)", "`sd` (0) must be above 0"),
    ],
)
def test_degenerate_parameters_are_refused_by_the_component(folder, capsys, normaliser, expected):
    text = HEAD + FRAMEWORK.format(n=normaliser, a="arithmetic")
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E217]" in err and expected in err


def test_power_mean_of_order_zero_is_the_geometric_mean(folder):
    from indexdsl.pipeline import run_file

    scores = []
    for aggregator in ("power_mean(p = 0)", "geometric"):
        (folder / "t.idx").write_text(HEAD + FRAMEWORK.format(n="minmax(1, 100)", a=aggregator))
        result, _ = run_file(folder / "t.idx")
        scores.append(result.units.scores["t"])
    assert scores[0] == pytest.approx(scores[1], rel=1e-12)


@pytest.mark.parametrize("word, truncated", [("yes", True), ("on", True), ("no", False)])
def test_a_switch_takes_the_documented_words(folder, word, truncated):
    from indexdsl.pipeline import run_file

    (folder / "u.csv").write_text("id,x,y\na,1,2\nb,9,1\nc,3,3\n")
    text = HEAD + FRAMEWORK.format(n=f'goalposts(0, 5, truncate = "{word}")', a="arithmetic")
    (folder / "t.idx").write_text(text)
    result, _ = run_file(folder / "t.idx")
    assert bool(result.units.scores["x"].max() <= 1.0) is truncated


def test_fmt_refuses_to_hide_an_item_given_twice(folder, capsys):
    text = (
        HEAD.replace("key id", "key id key x")
        + 'indicator x = c.x\n  unit "a"\n  unit "b"\nframework { x }\n'
    )
    (folder / "t.idx").write_text(text)
    assert main(["fmt", "--write", "t.idx"]) == 1
    err = capsys.readouterr().err
    assert err.count("error[E102]") == 2
    assert (folder / "t.idx").read_text() == text  # the file is left as it was


def test_arithmetic_that_loses_values_is_reported_per_unit(folder, capsys):
    (folder / "u.csv").write_text("id,x,y\na,-1,2\nb,4,1\nc,9,3\n")
    text = HEAD + "indicator x = c.x ^ 0.5\nindicator y = c.y\nframework { x y }\n"
    assert run(folder, text, "run", "--no-write", "-q") == 0
    err = capsys.readouterr().err
    assert "warning[W403]" in err and "`a`" in err and "`b`" not in err


@pytest.mark.parametrize("weights, code", [("x 1/0 y 0/0", "E006"), ("x 1/2 y 1/2", None)])
def test_a_weight_dividing_by_zero(folder, capsys, weights, code):
    text = HEAD + f"indicator x = c.x\nindicator y = c.y\nframework {{ {weights} }}\n"
    assert run(folder, text) == (1 if code else 0)
    if code:
        assert f"error[{code}]" in capsys.readouterr().err


def test_a_depth_is_a_whole_number(folder, capsys):
    text = HEAD + "indicator x = c.x\nindicator y = c.y\nframework { p { x y } }\n"
    text += "uncertainty { weights vary 10% of nodes at depth 1.5 }\n"
    assert run(folder, text) == 1
    assert "error[E007]" in capsys.readouterr().err


@pytest.mark.parametrize("header", ["id,x,y,x", "id,x,y, x", "id,x,y,id"])
def test_two_columns_of_one_name_are_refused(folder, capsys, header):
    (folder / "u.csv").write_text(f"{header}\na,1,2,3\nb,2,1,4\nc,3,3,5\n")
    assert run(folder, HEAD + "indicator x = c.x\nframework { x }\n") == 1
    assert "error[E310]" in capsys.readouterr().err


def test_twenty_thousand_unknown_names_are_reported_without_hanging(folder):
    """Every name is unknown and suggestions are looked up for each: the report must
    still come (the guard is generous: it catches a hang, it does not time)."""
    names = " ".join(f"q{i}" for i in range(20000))
    (folder / "t.idx").write_text(
        HEAD + f"indicator x = c.x\nframework {{\n  p {{ {names} }}\n}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "indexdsl.cli", "check", "t.idx"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("error[E201]") == 20000


def test_a_column_constant_but_for_rounding_noise_is_warned_about(folder, capsys):
    (folder / "u.csv").write_text("id,x,y\na,1.0000000001,2\nb,1.0000000002,1\nc,1.0000000003,3\n")
    assert run(folder, HEAD + "indicator x = c.x\nindicator y = c.y\nframework { x y }\n") == 0
    err = capsys.readouterr().err
    assert "warning[W311]" in err and "column `x`" in err and "column `y`" not in err


@pytest.mark.parametrize("decimals, code", [("1.5", "E262"), ("13", "E262"), ("2", None)])
def test_rank_at_decimals(folder, capsys, decimals, code):
    (folder / "u.csv").write_text("id,x,y\na,1.00001,2\nb,1,2\nc,3,3\n")
    text = HEAD + f"indicator x = c.x\nframework {{\n  rank at {decimals} decimals\n  x\n}}\n"
    if code:
        assert run(folder, text) == 1
        assert f"error[{code}]" in capsys.readouterr().err
        return
    from indexdsl.pipeline import run_file

    (folder / "t.idx").write_text(text)
    result, _ = run_file(folder / "t.idx")
    ranks = dict(zip(result.data.keys, result.units.ranks["t"].tolist(), strict=True))
    assert ranks == {"c": 1, "a": 2, "b": 2}  # scored 0.0005 and 0: equal at 2 decimals
    assert main(["fmt", "t.idx"]) == 0
    assert "  rank at 2 decimals\n" in capsys.readouterr().out


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=8, unique=True))
@settings(max_examples=25, deadline=None)
def test_lower_is_better_on_a_node_reverses_its_ranks(tmp_path_factory, values):
    """A node where lower is better ranks its lowest score first: the reverse of the
    same node ranked higher-is-better (the scores themselves do not change)."""
    from indexdsl.pipeline import run_file

    folder = tmp_path_factory.mktemp("direction")
    rows = "\n".join(f"u{i},{v!r}" for i, v in enumerate(values))
    (folder / "u.csv").write_text("id,x\n" + rows + "\n")
    ranks = {}
    for direction in ("higher", "lower"):
        (folder / "t.idx").write_text(
            'index t { }\nunits c { from csv("u.csv") key id }\nindicator x = c.x\n'
            f"framework {{\n  {direction} is better\n  p {{ x }}\n}}\n"
        )
        result, _ = run_file(folder / "t.idx")
        ranks[direction] = result.units.ranks["t"]
        scores = result.units.scores["t"]
    distinct = len(set(np.round(scores, 9))) == len(values)
    if distinct:
        assert (ranks["lower"] == len(values) + 1 - ranks["higher"]).all()


def test_a_nul_byte_in_a_data_path_is_the_users_mistake(folder, capsys):
    text = 'index t { }\nunits c { from csv("u\x00.csv") key id }\nindicator x = c.x\nframework { x }\n'
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E309]" in err and "NUL byte" in err


def test_a_group_imputer_with_an_undeclared_group_is_refused_by_check(folder, capsys):
    (folder / "u.csv").write_text("id,x,g\na,1,A\nb,,A\nc,3,B\n")
    text = HEAD + "indicator x = c.x\n  impute group_mean(nosuch)\nframework { x }\n"
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "error[E263]" in err and "`nosuch`" in err


def test_parquet_columns_that_are_nested_or_beyond_floats(folder, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"id": ["a", "b", "c"], "x": [[1], [2], [3]], "y": [1, 2, 3]}),
        folder / "n.parquet",
    )
    big = pa.array([2**60, 1, 2], pa.int64())
    pq.write_table(
        pa.table({"id": ["a", "b", "c"], "x": big, "y": [1, 2, 3]}), folder / "b.parquet"
    )
    index = 'index t {{ }}\nunits c {{ from parquet("{}") key id }}\nindicator y = c.{}\nframework {{ y }}\n'
    assert run(folder, index.format("n.parquet", "y")) == 1
    err = capsys.readouterr().err
    assert "error[E301]" in err and "column `x`" in err and "E901" not in err
    assert run(folder, index.format("b.parquet", "x"), "run", "--no-write", "-q") == 0


def test_an_unknown_encoding_is_the_users_mistake(folder, capsys):
    text = 'index t { }\nunits c { from csv("u.csv", encoding = "nosuch") key id }\n'
    text += "indicator x = c.x\nframework { x }\n"
    assert run(folder, text) == 1
    err = capsys.readouterr().err
    assert "unknown encoding `nosuch`" in err and "E901" not in err


@pytest.mark.parametrize(
    "call, expected", [("max(c.x, 2.5)", None), ("max(c.x, 2.5, skip_missing = 1)", 2.5)]
)
def test_two_argument_max_keeps_a_missing_value_missing(folder, call, expected):
    from indexdsl.pipeline import run_file

    (folder / "u.csv").write_text("id,x,y\na,,2\nb,2,1\nc,3,3\n")
    (folder / "t.idx").write_text(
        HEAD + f"indicator x = {call}\nindicator y = c.y\nframework {{ x y }}\n"
    )
    result, _ = run_file(folder / "t.idx")
    value = result.units.raw["x"][0]
    assert np.isnan(value) if expected is None else value == expected


def test_round_halves_away_from_zero_and_keeps_missing_values(folder):
    from indexdsl.pipeline import run_file

    (folder / "u.csv").write_text("id,x,y\na,2.5,1\nb,-2.5,2\nc,,3\nd,1.26,4\n")
    text = HEAD + "indicator x = round(c.x, 0)\nindicator z = round(c.x, 1)\nindicator y = c.y\n"
    (folder / "t.idx").write_text(text + "framework { x y z }\n")
    result, _ = run_file(folder / "t.idx")
    raw = result.units.raw
    assert raw["x"][[0, 1, 3]].tolist() == [3.0, -3.0, 1.0] and np.isnan(raw["x"][2])
    assert raw["z"][3] == pytest.approx(1.3)


def test_round_takes_whole_digits(folder, capsys):
    text = HEAD + "indicator x = round(c.x, 1.5)\nindicator y = c.y\nframework { x y }\n"
    assert run(folder, text, "run", "--no-write", "-q") == 1
    assert "whole number from 0 to 12" in capsys.readouterr().err
