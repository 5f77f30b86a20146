"""Shared helpers: write a small index file and its CSV data into ``tmp_path``, run the
pipeline or the command line on it, and look at the diagnostics that come back.

Every test builds its own tiny index, so that expected values can be computed by hand.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
import pytest

from indexdsl import cli
from indexdsl.check import check
from indexdsl.diagnostics import Diagnostic, DiagnosticError
from indexdsl.pipeline import Session, run_file
from indexdsl.plugins import Registry, load_registry
from indexdsl.syntax import parse

REPO = Path(__file__).resolve().parents[1]

# index files parsed by the tests are kept in a folder of this test run, not in the
# user's cache (indexdsl/syntax/parsed_cache.py); commands the tests start inherit it
os.environ["INDEXDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="indexdsl-tests-cache-")
atexit.register(shutil.rmtree, os.environ["INDEXDSL_CACHE_DIR"], ignore_errors=True)

# the plugin author's fixtures (indexdsl_registry, indexdsl_project), as a plugin would use them
pytest_plugins = ["indexdsl.testing"]

_REGISTRY: Registry | None = None


def shared_registry() -> Registry:
    """One registry per test process (loading entry points is the slow part)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


@pytest.fixture(scope="session")
def registry() -> Registry:
    return shared_registry()


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file's text; numbers are written with ``repr`` so they read back exactly."""
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(repr(v) if isinstance(v, float) else str(v) for v in row))
    return "\n".join(lines) + "\n"


def units_csv(columns: dict[str, Sequence[object]], keys: Sequence[str] | None = None) -> str:
    """A units table with an ``id`` and a ``name`` column, then the given columns."""
    n = len(next(iter(columns.values()))) if columns else len(keys or ())
    keys = list(keys) if keys is not None else [f"u{i}" for i in range(n)]
    rows = [[k, k.upper(), *(columns[c][i] for c in columns)] for i, k in enumerate(keys)]
    return csv_text(["id", "name", *columns], rows)


HEADER = 'index t "Test index" { edition 2024 }\n'
UNITS = 'units c "Cities" {\n  from csv("units.csv")\n  key id\n  label name\n}\n'


def simple_index(
    indicators: dict[str, str],
    framework: str,
    *,
    defaults: str = "",
    pairs: str = "",
) -> str:
    """An index over ``units.csv``: ``indicators`` maps a name to its right-hand side
    (with options), ``framework`` is the body of the framework block."""
    parts = [HEADER]
    if defaults:
        parts.append("defaults {\n" + textwrap.indent(defaults.strip(), "  ") + "\n}\n")
    parts.append(UNITS)
    if pairs:
        parts.append(pairs.strip() + "\n")
    for name, rhs in indicators.items():
        parts.append(f"indicator {name} = {rhs}\n")
    parts.append("framework {\n" + textwrap.indent(textwrap.dedent(framework).strip(), "  "))
    parts.append("\n}\n")
    return "".join(parts)


@attrs.frozen
class CliResult:
    code: int
    out: str
    err: str


class Project:
    """A folder holding one index and its data; the working folder of the test, so that
    paths in diagnostics read as they would for a user (``index.idx:3:5``)."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]):
        self.root = root
        self.capsys = capsys

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if content.startswith("\n") else content)
        return path

    def index(
        self, text: str, files: dict[str, str | bytes] | None = None, name: str = "index.idx"
    ) -> Path:
        """Write the index (dedented) and its data files; returns the index's path."""
        for file_name, content in (files or {}).items():
            self.write(file_name, content)
        return self.write(name, textwrap.dedent(text).lstrip("\n"))

    def run(self, text: str | None = None, files: dict[str, str | bytes] | None = None):
        """Run the pipeline (on ``index.idx`` when no text is given): ``(Result, Session)``."""
        path = self.index(text, files) if text is not None else self.root / "index.idx"
        return run_file(path, Session(registry=shared_registry()))

    def fail(
        self, text: str | None = None, files: dict[str, str | bytes] | None = None
    ) -> list[Diagnostic]:
        """Run the pipeline, expecting it to fail; returns the error diagnostics."""
        with pytest.raises(DiagnosticError) as info:
            self.run(text, files)
        assert info.value.diagnostics, "a DiagnosticError must carry diagnostics"
        return list(info.value.diagnostics)

    def cli(self, *args: str | Path) -> CliResult:
        self.capsys.readouterr()  # drop anything printed before
        code = cli.main([str(a) for a in args])
        captured = self.capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def digests(self, skip: Sequence[str] = ("indexdsl-out", "out")) -> dict[str, str]:
        """SHA-256 of every file in the project except outputs, to prove a run modifies none."""
        return {
            str(p.relative_to(self.root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and p.relative_to(self.root).parts[0] not in skip
        }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Project:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return Project(tmp_path, capsys)


def check_text(text: str, file: str = "index.idx") -> tuple[object, list[Diagnostic]]:
    """Parse and check index text without data; returns ``(model or None, diagnostics)``."""
    return check(parse(textwrap.dedent(text).lstrip("\n"), file), shared_registry())


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only(diagnostics: Iterable[Diagnostic], code: str) -> Diagnostic:
    """The one diagnostic with ``code``; fails when there is none or several."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.message) for d in diagnostics]}"
    return found[0]


def line_col_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, col


@pytest.fixture(scope="module")
def scheduler():
    """A local Dask cluster of two single-threaded workers, one per test module that
    asks for it: its scheduler's address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address
