"""The diagnostics the README and the reference quote are what indexdsl prints today:
each is produced again here, on a copy of `indices/` with the README's misspelling, and
compared line by line, so that a change of the example files or of the messages cannot
leave the documentation quoting stale lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from indexdsl import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def misspelt_check(tmp_path_factory) -> str:
    """`indexdsl check indices/bri.idx` with `flights` misspelt `flihgts` in the framework."""
    import contextlib
    import io
    import os

    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "indices", folder / "indices")
    index = folder / "indices" / "bri.idx"
    text = index.read_text(encoding="utf-8")
    assert "    flights 25%\n" in text
    index.write_text(text.replace("    flights 25%\n", "    flihgts 25%\n"), encoding="utf-8")
    err = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(["check", "indices/bri.idx"]) == 1
    finally:
        os.chdir(here)
    return err.getvalue()


def _quoted(path: Path, start: str, end: str) -> str:
    text = path.read_text(encoding="utf-8")
    i = text.index(start)
    return text[i : text.index(end, i) + len(end)]


def test_the_readme_quotes_todays_check_output(misspelt_check):
    quoted = _quoted(ROOT / "README.md", "warning[W240]", "1 error, 3 warnings found")
    assert quoted in misspelt_check


def test_the_error_reference_quotes_todays_e201(misspelt_check):
    quoted = _quoted(
        ROOT / "docs" / "reference" / "errors.md",
        "error[E201]: unknown indicator `flihgts`",
        "help: did you mean `flights`?",
    )
    assert quoted in misspelt_check


def test_the_cli_reference_points_at_the_framework_line(misspelt_check):
    text = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    (quoted,) = re.findall(r"warning\[W253\]: weights of `bri`[^\n]*\n  --> ([^\n]+)", text)
    assert f"--> {quoted}\n" in misspelt_check
