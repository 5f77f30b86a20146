"""Parsed index files kept between runs (indexdsl/syntax/parsed_cache.py): a kept tree
is the tree the parser gives, spans included; it is used only for the same file name
and text and while the sources that made it are unchanged; a damaged entry is parsed
again; nothing is written where Python writes no bytecode; and a run of a file parsed
before does not import the parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from indexdsl.diagnostics import DiagnosticError
from indexdsl.syntax import parsed_cache
from indexdsl.syntax.parser import parse as parse_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "indices").rglob("*.idx"))


def whole(value):
    """A tree as nested tuples, its spans included (the AST's equality leaves them
    out)."""
    if attrs.has(type(value)):
        return (
            type(value).__name__,
            *(whole(getattr(value, f.name)) for f in attrs.fields(type(value))),
        )
    if isinstance(value, (tuple, list)):
        return tuple(whole(v) for v in value)
    return (type(value).__name__, value)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr(parsed_cache, "_keeping", True)
    monkeypatch.setenv("INDEXDSL_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return tmp_path / "parsed"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def test_a_kept_tree_is_the_parsed_tree_spans_included(cache, monkeypatch):
    assert len(EXAMPLES) >= 8
    for path in EXAMPLES:
        text = path.read_text("utf-8")
        parsed = parsed_cache.parse(text, path.name)  # parsed, and kept
        with monkeypatch.context() as patched:
            patched.setattr("indexdsl.syntax.parser.parse", _refuse)
            kept = parsed_cache.parse(text, path.name)  # from the folder: no parse
        assert kept is not parsed
        assert whole(kept) == whole(parse_text(text, path.name)) == whole(parsed), path.name
    assert len(entries(cache)) == len(EXAMPLES)


def _refuse(text, file="<string>"):
    raise AssertionError(f"{file} parsed again")


def test_a_tree_is_kept_for_its_own_file_name_and_text_only(cache):
    text = 'index a {\n  title "A"\n}\n'
    first = parsed_cache.parse(text, "a.idx")
    other_name = parsed_cache.parse(text, "b.idx")
    other_text = parsed_cache.parse(text.replace('"A"', '"B"'), "a.idx")
    assert first.declarations[0].span.file == "a.idx"
    assert other_name.declarations[0].span.file == "b.idx"
    assert "B" in repr(other_text) and "B" not in repr(first)
    assert len(entries(cache)) == 3


def test_an_entry_under_another_files_name_is_not_used(cache):
    """Two texts whose entries share a file name (the checksums collide): the stored
    name and text are compared whole, so the other file's tree is never returned."""
    parsed_cache.parse('index a {\n  title "A"\n}\n', "a.idx")
    (entry,) = entries(cache)
    text_b = 'index b {\n  title "B"\n}\n'
    target = Path(parsed_cache._entry_path(text_b, "b.idx"))
    entry.rename(target)
    tree = parsed_cache.parse(text_b, "b.idx")
    assert tree.declarations[0].span.file == "b.idx" and "B" in repr(tree)


def test_a_changed_source_makes_the_text_parsed_again(cache, tmp_path, monkeypatch):
    source = tmp_path / "made_by.py"
    source.write_text("# one version\n")
    real = parsed_cache._syntax_sources
    monkeypatch.setattr(parsed_cache, "_syntax_sources", lambda: [*real(), str(source)])
    text = 'index a {\n  title "A"\n}\n'
    parsed_cache.parse(text, "a.idx")
    calls = []
    monkeypatch.setattr(
        "indexdsl.syntax.parser.parse", lambda t, f: calls.append(f) or parse_text(t, f)
    )
    parsed_cache.parse(text, "a.idx")
    assert calls == []  # kept
    source.write_text("# another version, longer\n")
    parsed_cache.parse(text, "a.idx")
    assert calls == ["a.idx"]  # its maker changed: parsed again


def test_the_stamped_sources_cover_the_grammar_the_tree_classes_and_lark(cache):
    parsed_cache.parse((ROOT / "indices" / "asem.idx").read_text("utf-8"), "asem.idx")
    (entry,) = entries(cache)
    import pickle

    stamps = pickle.loads(entry.read_bytes())[4]
    names = {Path(path).name for path, _ in stamps}
    assert {"grammar.lark", "parser.py", "transformer.py", "ast.py", "diagnostics.py"} <= names
    assert any("lark" in Path(path).parts for path, _ in stamps)


@pytest.mark.parametrize("content", [b"", b"garbage", b"\x80\x05\x95"])
def test_a_damaged_entry_is_parsed_again(cache, content):
    text = 'index a {\n  title "A"\n}\n'
    expected = parsed_cache.parse(text, "a.idx")
    (entry,) = entries(cache)
    entry.write_bytes(content)
    assert whole(parsed_cache.parse(text, "a.idx")) == whole(expected)
    assert entry.read_bytes() != content  # and kept anew


def test_a_syntax_error_is_reported_every_time_and_nothing_kept(cache):
    for _ in range(2):
        with pytest.raises(DiagnosticError) as caught:
            parsed_cache.parse("index x {\n  title 3 +\n}\n", "bad.idx")
        assert caught.value.diagnostics[0].code.startswith("E")
    assert entries(cache) == []


def test_nothing_is_written_where_python_writes_no_bytecode(cache, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    parsed_cache.parse('index a {\n  title "A"\n}\n', "a.idx")
    assert entries(cache) == []


def test_an_unwritable_folder_only_means_parsing(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("INDEXDSL_CACHE_DIR", str(blocked))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    tree = parsed_cache.parse('index a {\n  title "A"\n}\n', "a.idx")
    assert tree.declarations[0].span.file == "a.idx"


def test_the_folder_keeps_the_newest_entries(cache, monkeypatch):
    monkeypatch.setattr(parsed_cache, "KEEP", 5)
    for n in range(9):
        parsed_cache.parse(f'index a {{\n  title "A{n}"\n}}\n', "a.idx")
    kept = entries(cache)
    assert len(kept) == 5
    # the one just written is always kept
    last = Path(parsed_cache._entry_path('index a {\n  title "A8"\n}\n', "a.idx"))
    assert last in kept


def test_the_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INDEXDSL_CACHE_DIR", str(tmp_path / "mine"))
    assert parsed_cache.cache_folder() == str(tmp_path / "mine" / "parsed")
    monkeypatch.delenv("INDEXDSL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert parsed_cache.cache_folder() == str(tmp_path / "xdg" / "indexdsl" / "parsed")


def test_a_run_of_a_file_parsed_before_imports_no_parser(tmp_path):
    code = (
        "import json, sys\n"
        "from indexdsl.cli import main\n"
        f"assert main(['run', {str(ROOT / 'indices' / 'asem.idx')!r}, '-q', '--no-write']) == 0\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('lark', 'indexdsl.syntax')))))\n"
    )
    env = {**os.environ, "INDEXDSL_CACHE_DIR": str(tmp_path), "PYTHONDONTWRITEBYTECODE": ""}

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = run(), run()
    assert "lark" in first and "indexdsl.syntax.parser" in first  # parsed, and kept
    assert [m for m in second if m.startswith("lark") or m == "indexdsl.syntax.parser"] == []


def test_a_process_that_stopped_keeping_parses_every_time(cache, monkeypatch):
    monkeypatch.setattr(parsed_cache, "_keeping", True)
    text = 'index a {\n  title "A"\n}\n'
    parsed_cache.parse(text, "a.idx")
    parsed_cache.stop_keeping()
    calls = []
    monkeypatch.setattr(
        "indexdsl.syntax.parser.parse", lambda t, f: calls.append(f) or parse_text(t, f)
    )
    parsed_cache.parse(text, "a.idx")
    parsed_cache.parse(text.replace("A", "B"), "a.idx")
    assert calls == ["a.idx", "a.idx"] and len(entries(cache)) == 1
