"""The LALR parser, kept built beside the bytecode.

Lark's own cache (``cache=True``) keeps the parse tables, and rebuilds the parser's
objects from them in Python at each start: about a tenth of a short command's
start-up.  The parser built, pickled whole, loads in a fifth of that time.  It is kept
next to Python's bytecode cache of this package (its ``__pycache__``, or under
``PYTHONPYCACHEPREFIX``), keyed by the grammar, the parser's options, lark's version
and Python's, and, like Python's bytecode, written only where
``PYTHONDONTWRITEBYTECODE`` is not set.  A file that is missing, of another grammar or
version, or unreadable is ignored, and the parser built by lark (from its own cache)
is pickled anew.

The lexer's scanners go in too, built for every parser state before pickling: lark
builds a state's scanner the first time the parser is in it, by compiling the regular
expressions of the terminals that state accepts, and Python keeps no compiled regular
expression between processes (about 15 ms of a short command, a tenth of its
start-up).  Each expression is kept with the program `re` compiled it to, and loaded
by handing that program to `re`'s engine (`_sre.compile`, what `re.compile` itself
ends with) rather than compiling the text again; the cache is keyed by Python's
version, and an expression whose program cannot be loaded is compiled from its text.
"""

from __future__ import annotations

import copyreg
import hashlib
import importlib
import io
import os
import pickle
import re
import sys
import types

import lark
from lark.parsers.lalr_analysis import Action


def load(grammar: str, options: dict) -> lark.Lark | None:
    """The parser pickled for this grammar and these options, or None."""
    path = cache_path()
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    key = _key(grammar, options)
    if not data.startswith(key):
        return None
    try:
        parser = pickle.loads(memoryview(data)[len(key) :])
    except Exception:  # truncated, or of classes that changed: built again
        return None
    return parser if isinstance(parser, lark.Lark) else None


def save(grammar: str, options: dict, parser: lark.Lark) -> None:
    """Pickle a parser that has not parsed yet (nothing if it cannot be written)."""
    path = cache_path()
    if path is None or sys.dont_write_bytecode:
        return
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    # the `re` module the lexer holds, by name; lark's Shift and Reduce are compared
    # by identity: the same objects after loading
    pickler.dispatch_table[types.ModuleType] = _module
    pickler.dispatch_table[Action] = _action
    pickler.dispatch_table[re.Pattern] = _pattern
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        _build_scanners(parser)
        pickler.dump(parser)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(_key(grammar, options) + buffer.getvalue())
        os.replace(temporary, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, ImportError):
        # ImportError: a Python whose `re` no longer has the modules `_pattern` reads
        try:
            os.unlink(temporary)
        except OSError:
            pass


def cache_path() -> str | None:
    """The file, in this package's bytecode cache folder; None where there is none."""
    import importlib.util

    try:
        beside = importlib.util.cache_from_source(os.path.join(os.path.dirname(__file__), "x.py"))
    except (NotImplementedError, ValueError):
        return None
    return os.path.join(os.path.dirname(beside), f"parser.{sys.implementation.cache_tag}.pickle")


def _key(grammar: str, options: dict) -> bytes:
    described = sorted(
        (name, f"{value.__module__}.{value.__qualname__}" if callable(value) else repr(value))
        for name, value in _flat(options)
    )
    text = "\0".join([grammar, repr(described), lark.__version__, sys.version])
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii") + b"\n"


def _flat(options: dict):
    for name, value in options.items():
        if isinstance(value, dict):
            yield from ((f"{name}.{k}", v) for k, v in value.items())
        else:
            yield name, value


def _module(module: types.ModuleType):
    return importlib.import_module, (module.__name__,)


def _build_scanners(parser: lark.Lark) -> None:
    """Every scanner of the contextual lexer built, as the first parse in each state
    would build it (nothing to build for another lexer)."""
    lexer = getattr(parser.parser, "lexer", None)
    for basic in [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None)]:
        if basic is not None and hasattr(basic, "scanner"):
            basic.scanner  # noqa: B018 (the property builds and keeps it)


def _pattern(pattern: re.Pattern):
    """A compiled expression, as its text, flags and the program `re` compiles it to
    (what ``re.compile`` does, without handing the program to ``_sre``)."""
    from re import _compiler, _parser

    parsed = _parser.parse(pattern.pattern, pattern.flags)
    # plain integers: `re` writes its opcodes as named ones, which refuse pickling
    code = [int(op) for op in _compiler._code(parsed, pattern.flags)]
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    flags = pattern.flags | parsed.state.flags
    return _compiled, (
        pattern.pattern,
        flags,
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def _compiled(text, flags, code, groups, groupindex, indexgroup) -> re.Pattern:
    """The expression from its program, as ``re.compile`` makes it; compiled from its
    text where `re`'s engine takes the program no more (the cache is keyed by Python's
    version, so this is a safety net)."""
    import _sre

    try:
        return _sre.compile(text, flags, code, groups, groupindex, indexgroup)
    except Exception:
        return re.compile(text, flags)


def _action(action: Action) -> str:
    return action.name  # the module's global of that name: lark's Shift or Reduce
