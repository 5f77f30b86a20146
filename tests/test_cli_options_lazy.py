"""The command line builds the options of the selected command only, and reads exactly as
the parser with every command's options built."""

from __future__ import annotations

import contextlib
import io

import pytest

from indexdsl.cli.options import COMMANDS, _parser

#: for every command, a command line using each of its options
EVERY_OPTION = {
    "run": [
        "run", "a.idx", "-o", "out", "--set", "y=1", "--top", "3", "--depth", "2", "-q",
        "--json", "--no-write", "--min-coverage", "80%", "--format", "csv,json", "--only",
        "--engine", "numpy", "--scheduler", "tcp://host:8786", "--disable-plugin", "p",
    ],
    "check": ["check", "a.idx", "--format", "json"],
    "fmt": ["fmt", "a.idx", "--check"],
    "uncertainty": [
        "uncertainty", "a.idx", "-N", "10", "--seed", "3", "--set", "y=1", "-o", "out",
        "--vary", "aggregate arithmetic or geometric", "--max-failed", "10%", "--engine",
        "dask", "--scheduler", "tcp://host:8786", "--workers", "2", "--format", "json",
    ],
    "sensitivity": [
        "sensitivity", "a.idx", "-N", "16", "--seed", "3", "--vary", "none", "--max-failed",
        "0.1", "--engine", "numpy", "--scheduler", "s", "--workers", "1", "--set", "y=1",
        "-o", "out", "--format", "json",
    ],
    "audit": ["audit", "a.idx", "--set", "y=1", "-o", "out", "--format", "json"],
    "stats": [
        "stats", "a.idx", "--set", "y=1", "--min-coverage", "0.8", "--top", "3", "-o", "out",
        "--format", "json",
    ],
    "whatif": [
        "whatif", "a.idx", "--drop", "A", "--add", "B", "--published", "col", "--set", "y=1",
        "-o", "out", "--format", "json",
    ],
    "fit": [
        "fit", "a.idx", "--node", "N", "--against", "col", "--ranks", "--bootstrap", "5",
        "--seed", "2", "--set", "y=1", "-o", "out", "--format", "json",
    ],
    "explain": ["explain", "a.idx", "U", "--set", "y=1", "--rivals", "3"],
    "graph": ["graph", "a.idx", "--format", "mermaid", "--set", "y=1"],
    "plot": [
        "plot", "ranks", "a.idx", "N1", "N2", "-o", "f.svg", "--style", "sunburst", "--level",
        "1", "--against", "2", "--raw", "--node", "N", "--label", "2", "--top", "5", "-N",
        "10", "--seed", "2", "--vary", "none", "--max-failed", "0.1", "--set", "y=1",
    ],
    "new": ["new", "name", "--dir", "d", "--from", "data.csv", "--key", "k"],
    "compare": [
        "compare", "a.idx", "b.idx", "--ranking", "col", "--top", "3", "-o", "out",
        "--format", "json",
    ],
    "plugins": ["plugins", "--format", "json"],
    "lsp": ["lsp", "--disable-plugin", "p"],
    "serve": ["serve", "a.idx", "--port", "0", "--no-open", "--disable-plugin", "p"],
}  # fmt: skip


def parse(parser, argv):
    """(namespace or None, exit code, stdout, stderr) of parsing `argv`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return vars(parser.parse_args(argv)), None, out.getvalue(), err.getvalue()
        except SystemExit as exc:
            return None, exc.code, out.getvalue(), err.getvalue()


def commands(parser):
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return action.choices


def test_every_command_is_registered_and_tested():
    assert list(commands(_parser())) == list(COMMANDS)
    assert set(EVERY_OPTION) == set(COMMANDS)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_commands_help_is_the_fully_built_one(command):
    full = commands(_parser(lazy=False))[command].format_help()
    args, code, out, err = parse(_parser(), [command, "--help"])
    assert (code, err) == (0, "")
    assert out == full
    assert "--disable-plugin" in out
    # every option of the command line using them all is in the help
    for token in EVERY_OPTION[command]:
        if token.startswith("-"):
            assert token in out, (command, token)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_line_reads_as_with_every_option_built(command):
    argv = EVERY_OPTION[command]
    lazy, code, out, err = parse(_parser(), argv)
    assert code is None, err
    assert lazy == parse(_parser(lazy=False), argv)[0]
    assert lazy["command"] == command
    # the defaults of the command are there when none is given
    positionals = next(i for i, t in enumerate([*argv, "-"]) if t.startswith("-"))
    minimal = argv[:positionals]
    if command == "fit":
        minimal += ["--against", "col"]
    if command == "plot":
        minimal += ["-o", "f.svg"]
    lazy = parse(_parser(), minimal)
    assert lazy[1] is None, lazy[3]
    assert lazy[0] == parse(_parser(lazy=False), minimal)[0]


def test_only_the_selected_commands_options_are_built():
    parser = _parser()
    parse(parser, EVERY_OPTION["run"])
    made = {name: sub for name, sub in commands(parser).items() if hasattr(sub, "_actions")}
    assert list(made) == ["run"]
    dests = [a.dest for a in made["run"]._actions]
    assert "no_write" in dests and "disable_plugin_after" in dests


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["--version"],
        ["nope"],
        ["ru", "a.idx"],
        ["--bogus", "run", "a.idx"],
        ["run"],
        ["run", "a.idx", "--bogus"],
        ["run", "a.idx", "--no-w", "--qu"],
        ["run", "a.idx", "--top", "-3"],
        ["run", "a.idx", "--to", "x"],
        ["--dis=a", "fit", "a.idx", "--against", "c", "--dis", "b"],
        ["fit", "a.idx"],
        ["fmt", "a.idx", "--write", "--check"],
        ["plot", "bad", "a.idx", "-o", "f.svg"],
        ["check", "a.idx", "--format", "yaml"],
        ["lsp", "extra"],
    ],
)
def test_help_errors_and_abbreviations_are_as_with_every_option_built(argv):
    assert parse(_parser(), argv) == parse(_parser(lazy=False), argv)
