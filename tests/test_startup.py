"""The command's start-up (indexdsl/cli/startup.py, docs/performance.md): a run that
writes nothing imports no output format's code, attrs' methods of indexdsl's classes
come from a cache of compiled code that gives the same classes, and the garbage
collector is on again once the command's modules are imported."""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from indexdsl.cli.startup import MethodCache

ROOT = Path(__file__).resolve().parents[1]
ASEM = str(ROOT / "indices" / "asem.idx")

#: the modules only writing results needs: the output formats' code and the statistics
WRITING = (
    "indexdsl.analyses.statistics",
    "indexdsl.output.exports",
    "indexdsl.output.results",
    "indexdsl.output.writing",
    "indexdsl_builtins.xlsx_sheets",
)


def python(code: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_run_that_writes_nothing_imports_no_output_format():
    code = (
        "import json, sys\n"
        "from indexdsl.cli import main\n"
        f"assert main(['run', {ASEM!r}, '-q', '--no-write']) == 0\n"
        "from indexdsl.plugins import load_registry\n"
        "print(json.dumps([load_registry().names('exporter'), sorted(sys.modules)]))\n"
    )
    exporters, modules = json.loads(python(code))
    # every format is registered, none of their code imported
    assert {"csv", "json", "md", "sqlite", "xlsx", "parquet", "html"} <= set(exporters)
    assert [m for m in WRITING if m in modules] == []


#: modules a run that writes nothing does not use: JSON (diagnostics, --json, the json,
#: parquet and sqlite formats), HTML escaping (Markdown), SQLite (the example plugin's
#: loader) and the readers of large CSV files, of folders of files and of Parquet
NOT_RUN = (
    "json",
    "html",
    "sqlite3",
    "indexdsl_builtins._arrowcsv",
    "indexdsl_builtins._csvparts",
    "indexdsl_builtins._parquet",
)


def test_a_run_that_writes_nothing_imports_no_module_it_does_not_use():
    code = (
        "import sys\n"
        "from indexdsl.cli import main\n"
        f"assert main(['run', {ASEM!r}, '-q', '--no-write']) == 0\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    modules = python(code).split()
    assert "indexdsl_builtins.loaders" in modules
    assert [m for m in NOT_RUN if m in modules] == []


def test_a_run_builds_the_options_of_its_command_only():
    code = (
        "import sys\n"
        "from indexdsl.cli import main, options\n"
        "built = []\n"
        "for name, (_, add) in options.COMMANDS.items():\n"
        "    def adding(parser, add=add, name=name):\n"
        "        built.append(name)\n"
        "        add(parser)\n"
        "    options.COMMANDS[name] = (_, adding)\n"
        f"assert main(['run', {ASEM!r}, '-q', '--no-write']) == 0\n"
        "print(' '.join(built))\n"
    )
    assert python(code).split() == ["run"]


def test_the_formats_import_their_code_when_they_write(tmp_path):
    code = (
        "import json, sys\n"
        "from indexdsl.cli import main\n"
        f"assert main(['run', {ASEM!r}, '-q', '--format', 'csv,json,md,sqlite',"
        f" '--out', {str(tmp_path)!r}]) == 0\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    modules = json.loads(python(code))
    assert {"indexdsl.analyses.statistics", "indexdsl.output.writing"} <= set(modules)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"units.csv", "results.json", "results.md", "results.sqlite"} <= names


# what a process prints to compare classes built from the cache with classes compiled
SHOW = (
    "import json, re, sys\n"
    # every run parses (a kept tree would leave the parser's classes unbuilt)
    "from indexdsl.syntax import parsed_cache\n"
    "parsed_cache.stop_keeping()\n"
    "from indexdsl.cli import main, startup\n"
    f"assert main(['run', {ASEM!r}, '-q', '--no-write']) == 0\n"
    "from pathlib import Path\n"
    "from indexdsl.diagnostics import Span\n"
    "from indexdsl.pipeline import Session, check_file\n"
    f"model = check_file(Path({ASEM!r}), Session())\n"
    f"other = check_file(Path({ASEM!r}), Session())\n"
    "span = Span.point('f.idx', 3, 4)\n"
    "cache = startup._STATE['cache']\n"
    "print(json.dumps({'hits': cache.hits, 'misses': cache.misses,\n"
    # hashes of values whose hash does not depend on addresses (None's does)
    "    'hash': [hash(span), hash(Span('g', 1, 2, 3, 4)), hash(model.root.span)],\n"
    "    'repr': [re.sub(' at 0x[0-9a-f]+', '', repr(x)) for x in (span, model.units, model)],\n"
    "    'eq': [span == Span.point('f.idx', 3, 4), model.root == other.root, model == other],\n"
    "    'ne': [span != Span.point('f.idx', 3, 5), span == Span.point('f.idx', 3, 5)]}))\n"
)


def test_attrs_methods_from_the_cache_are_those_compiled(tmp_path):
    prefix = {"PYTHONPYCACHEPREFIX": str(tmp_path / "cache")}
    written = {**prefix, "PYTHONDONTWRITEBYTECODE": "", "PYTHONHASHSEED": "1"}
    first = json.loads(python(SHOW, {**written}))
    assert first["misses"] > 50 and first["hits"] == 0  # nothing cached yet: all compiled
    (found,) = (tmp_path / "cache").rglob("attrs-methods.*.marshal")
    # the cache read under other hash seeds (attrs writes each class's salt, a string's
    # hash, into its __hash__), against the same seed without a cache
    for seed in ("1", "2", "3"):
        cached = json.loads(python(SHOW, {**written, "PYTHONHASHSEED": seed}))
        fresh = json.loads(
            python(
                SHOW,
                {
                    "PYTHONPYCACHEPREFIX": str(tmp_path / "none"),
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONHASHSEED": seed,
                },
            )
        )
        assert cached["misses"] == 0 and cached["hits"] == first["misses"]
        assert fresh["hits"] == 0
        for key in ("hash", "repr", "eq", "ne"):
            assert cached[key] == fresh[key], key
    assert not (tmp_path / "none").exists()  # PYTHONDONTWRITEBYTECODE: nothing written
    assert found.exists()


def test_a_class_whose_source_changed_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = tmp_path / "cache.marshal"
    name = "<attrs generated methods indexdsl.example.Thing>"
    cache = MethodCache(str(path))
    code = cache.code("def __init__(self):\n    self.a = 1\n", name)
    assert (cache.hits, cache.misses) == (0, 1)
    cache.save()
    again = MethodCache(str(path))
    assert again.code("def __init__(self):\n    self.a = 1\n", name).co_consts == code.co_consts
    assert (again.hits, again.misses) == (1, 0)
    namespace: dict = {}
    eval(again.code("def __init__(self):\n    self.a = 2\n", name), namespace)
    assert (again.hits, again.misses) == (1, 1)

    class Thing:
        __init__ = namespace["__init__"]

    assert Thing().a == 2


def test_classes_not_of_indexdsl_are_not_cached(tmp_path):
    cache = MethodCache(str(tmp_path / "cache.marshal"))
    cache.code("x = 1\n", "<attrs generated methods someone.Else>")
    assert cache.entries == {} and (cache.hits, cache.misses) == (0, 0)


@pytest.mark.parametrize("content", [b"", b"not marshal", marshal.dumps({"key": ("old",)})])
def test_an_unreadable_or_old_cache_is_compiled_anew(tmp_path, monkeypatch, content):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    path = tmp_path / "cache.marshal"
    path.write_bytes(content)
    cache = MethodCache(str(path))
    assert cache.entries == {}
    cache.code("x = 1\n", "<attrs generated methods indexdsl.x.Y>")
    cache.save()
    assert MethodCache(str(path)).entries.keys() == {"<attrs generated methods indexdsl.x.Y>"}


def test_nothing_is_written_where_bytecode_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE
    cache = MethodCache(str(tmp_path / "cache.marshal"))
    cache.code("x = 1\n", "<attrs generated methods indexdsl.x.Y>")
    cache.save()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["run", ASEM, "-q", "--no-write"], ["--no-such-option"], []])
def test_the_collector_is_on_again_after_start_up(argv):
    code = (
        "import gc, json\n"
        "from indexdsl.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps([gc.isenabled(), gc.get_freeze_count() > 10000]))\n"
    )
    assert json.loads(python(code)) == [True, True]


def test_plugin_modules_give_the_hook_implementations_pluggy_finds():
    # registering skips a module's classes and constants before pluggy looks at them:
    # its functions are still found, by name or by `specname`, and nothing is run
    import types as pytypes

    from indexdsl.hookspecs import hookimpl
    from indexdsl.plugins import get_plugin_manager

    class Loud:
        def __getattr__(self, name):
            raise AssertionError(f"looked up {name}")

    module = pytypes.ModuleType("a_plugin")

    @hookimpl
    def indexdsl_register_loaders():
        return []

    @hookimpl(specname="indexdsl_register_normalisers")
    def normalisers():
        return []

    def helper():
        return None

    module.__dict__.update(
        indexdsl_register_loaders=indexdsl_register_loaders,
        normalisers=normalisers,
        helper=helper,
        loud=Loud(),
        Thing=type("Thing", (), {}),
        LIMIT=3,
    )
    pm = get_plugin_manager(load_entry_points=False, disabled=[])
    pm.register(module, name="a_plugin")
    assert sorted(h.name for h in pm.get_hookcallers(module)) == [
        "indexdsl_register_loaders",
        "indexdsl_register_normalisers",
    ]


# ---- the LALR parser, pickled beside the bytecode ------------------------------------------


def test_the_pickled_parser_parses_as_the_built_one(tmp_path, monkeypatch):
    import lark

    from indexdsl.syntax import parser_cache
    from indexdsl.syntax.parser import _options

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(parser_cache, "cache_path", lambda: str(tmp_path / "parser.pickle"))
    grammar = (ROOT / "indexdsl" / "syntax" / "grammar.lark").read_text("utf-8")
    options = _options()  # the parser's own
    assert parser_cache.load(grammar, options) is None  # nothing pickled yet
    built = lark.Lark(grammar, **options)
    parser_cache.save(grammar, options, built)
    loaded = parser_cache.load(grammar, options)
    assert loaded is not None and loaded is not built
    # every state's scanner came built, its expressions loaded from their compiled
    # programs: the same as `re` compiles from their text (patterns compare programs)
    lexer = loaded.parser.lexer
    scanners = [b._scanner for b in [*lexer.lexers.values(), lexer.root_lexer]]
    assert len(scanners) > 20 and all(s is not None for s in scanners)
    for scanner in scanners:
        for expression in scanner._mres:
            again = re.compile(expression.pattern, expression.flags)
            assert expression == again and expression.groupindex == again.groupindex
    files = sorted((ROOT / "indices").glob("*.idx"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text("utf-8")
        assert loaded.parse(text) == built.parse(text), path.name
    # a syntax error: the same place and the same terminals expected
    for bad in ("index x {\n  title 3 +\n}\n", "framework {", "index x { @@@ }"):
        errors = []
        for parser in (built, loaded):
            try:
                parser.parse(bad)
            except lark.exceptions.UnexpectedInput as exc:
                # what was expected, as a sorted list: lark's message lists the
                # same set in an order that may differ from process to process
                expected = getattr(exc, "allowed", None) or getattr(exc, "expected", None)
                errors.append((type(exc).__name__, exc.line, exc.column, sorted(expected or ())))
        assert len(errors) == 2 and errors[0] == errors[1], bad
    # another grammar or other options: not this parser
    assert parser_cache.load(grammar + "\n", options) is None
    assert parser_cache.load(grammar, {**options, "start": "other"}) is None


def test_a_python_whose_re_cannot_be_read_only_pickles_no_parser(tmp_path, monkeypatch):
    """The expressions' programs come from `re`'s private modules: where they are
    missing, nothing is written and nothing is raised (the parser is built each time)."""
    import lark

    from indexdsl.syntax import parser_cache
    from indexdsl.syntax.parser import _options

    def missing(pattern):
        raise ImportError("cannot import name '_compiler' from 're'")

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(parser_cache, "cache_path", lambda: str(tmp_path / "parser.pickle"))
    monkeypatch.setattr(parser_cache, "_pattern", missing)
    grammar = (ROOT / "indexdsl" / "syntax" / "grammar.lark").read_text("utf-8")
    parser_cache.save(grammar, _options(), lark.Lark(grammar, **_options()))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"garbage", None])
def test_a_damaged_pickled_parser_is_built_again(tmp_path, monkeypatch, content):
    from indexdsl.syntax import parser_cache
    from indexdsl.syntax.parser import _comment

    path = tmp_path / "parser.pickle"
    monkeypatch.setattr(parser_cache, "cache_path", lambda: str(path))
    grammar = (ROOT / "indexdsl" / "syntax" / "grammar.lark").read_text("utf-8")
    options = dict(parser="lalr", start="start", lexer_callbacks={"COMMENT": _comment})
    if content is None:  # the right key, a truncated pickle
        content = parser_cache._key(grammar, options) + b"\x80\x05\x95"
    path.write_bytes(content)
    assert parser_cache.load(grammar, options) is None


def test_commands_use_the_pickled_parser(tmp_path):
    code = (
        "import json, sys\n"
        "from indexdsl.syntax import parser, parser_cache\n"
        "import lark\n"
        "built = []\n"
        "original = lark.Lark.__init__\n"
        "def counting(self, *a, **k):\n"
        "    built.append(1)\n"
        "    original(self, *a, **k)\n"
        "lark.Lark.__init__ = counting\n"
        f"tree = parser.parse(open({ASEM!r}).read(), 'asem.idx')\n"
        "print(json.dumps([len(built), parser_cache.cache_path(), repr(tree)[:4000]]))\n"
    )
    env = {"PYTHONPYCACHEPREFIX": str(tmp_path), "PYTHONDONTWRITEBYTECODE": ""}
    first = json.loads(python(code, env))
    second = json.loads(python(code, env))
    assert first[0] == 1 and second[0] == 0  # built by lark once, then loaded
    assert Path(first[1]).is_file() and first[1].startswith(str(tmp_path))
    assert first[2] == second[2]


# ---- OpenBLAS's idle threads ------------------------------------------------------------


@pytest.mark.parametrize("given", [None, "28"])
def test_the_command_lets_openblas_threads_sleep_unless_told_otherwise(given):
    code = (
        "import os, sys\n"
        "from indexdsl.cli import main\n"
        f"assert main(['run', {ASEM!r}, '-q', '--no-write']) == 0\n"
        "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if given is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = given
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == (given or "20")
