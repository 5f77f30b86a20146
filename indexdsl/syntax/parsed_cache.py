"""Index files parsed once, kept between runs as Python keeps compiled modules.

Parsing is the one part of a short command that needs lark: importing it, loading the
parser and building the lexer's scanners take about a sixth of ``indexdsl run FILE -q
--no-write``.  A file's syntax tree does not change while the file and indexdsl do not,
so it is kept after the first parse, and a later run of the same text loads it
instead, without importing lark.

An entry holds the file's name and text (compared whole on loading: a file name made
from a checksum never gives another file's tree), Python's version, and the size and
modification time of every source the tree depends on: the syntax package (grammar,
parser, transformer, tree classes), lark, and the module of each class in the tree.
Any of them changed, or the entry unreadable, and the text is parsed again, as Python
recompiles a module whose source changed.  Only trees are kept: a file with a syntax
error is parsed (and reported) every time.

Where: ``$INDEXDSL_CACHE_DIR``, else ``$XDG_CACHE_HOME/indexdsl``, else
``~/.cache/indexdsl``, in a folder ``parsed``; written, like Python's bytecode, only
where ``PYTHONDONTWRITEBYTECODE`` is not set, and nothing goes wrong where it cannot
be read or written (the file is parsed then).  The folder keeps the newest
:data:`KEEP` entries.  Processes that parse text as it is edited (the language
server, the explorer) keep nothing (:func:`stop_keeping`): each version of the text
would be an entry of its own, used once.
"""

from __future__ import annotations

import os
import pickle
import sys
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexdsl.syntax import ast

#: format of an entry; changed whenever what an entry holds changes
FORMAT = "indexdsl parsed 1"
#: entries kept in the folder; the oldest are removed past it
KEEP = 256

#: whether this process reads and keeps trees (:func:`stop_keeping`)
_keeping = True


def parse(text: str, file: str = "<string>") -> ast.IndexFile:
    """The tree of ``text`` (named ``file`` in its spans): kept from an earlier parse of
    the same text, or parsed now (and kept)."""
    entry = _entry_path(text, file) if _keeping else None
    if entry is not None:
        tree = _load(entry, text, file)
        if tree is not None:
            return tree
    from indexdsl.syntax.parser import parse as parse_text

    tree = parse_text(text, file)
    if entry is not None and not sys.dont_write_bytecode:
        _save(entry, text, file, tree)
    return tree


def stop_keeping() -> None:
    """From now on, this process parses every text and keeps no tree: for a long-lived
    process whose parser is loaded once and whose texts change with each edit."""
    global _keeping
    _keeping = False


def cache_folder() -> str | None:
    """The folder of the parsed files; None where no home folder is known."""
    chosen = os.environ.get("INDEXDSL_CACHE_DIR")
    if not chosen:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if base.startswith("~"):
            return None
        chosen = os.path.join(base, "indexdsl")
    return os.path.join(chosen, "parsed")


def _entry_path(text: str, file: str) -> str | None:
    folder = cache_folder()
    if folder is None:
        return None
    named = f"{file}\0{text}".encode("utf-8", "surrogatepass")
    return os.path.join(folder, f"{zlib.crc32(named):08x}{zlib.adler32(named):08x}.pickle")


def _load(entry: str, text: str, file: str) -> ast.IndexFile | None:
    try:
        with open(entry, "rb") as f:
            stored = pickle.loads(f.read())
        form, version, stored_file, stored_text, stamps, tree = stored
    except Exception:  # none yet, truncated or of another format: parsed again
        return None
    if (form, version, stored_file, stored_text) != (FORMAT, sys.version, file, text):
        return None
    if any(_stamp(path) != stamp for path, stamp in stamps):
        return None
    try:
        return pickle.loads(tree)
    except Exception:  # classes that changed without their files' stamps: parsed again
        return None


def _save(entry: str, text: str, file: str, tree: ast.IndexFile) -> None:
    temporary = f"{entry}.{os.getpid()}.tmp"
    try:
        payload, modules = _pickled(tree)
        sources = {*_syntax_sources(), *(_source(name) for name in modules)}
        stamps = sorted((path, _stamp(path)) for path in sources if path is not None)
        data = pickle.dumps(
            (FORMAT, sys.version, file, text, stamps, payload), protocol=pickle.HIGHEST_PROTOCOL
        )
        os.makedirs(os.path.dirname(entry), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, entry)
        _prune(os.path.dirname(entry), entry)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _pickled(tree: ast.IndexFile) -> tuple[bytes, set[str]]:
    """The tree pickled, and the modules of the classes of its objects."""
    import io

    modules: set[str] = set()

    class Recording(pickle.Pickler):
        def persistent_id(self, obj):
            modules.add(type(obj).__module__)
            return None

    buffer = io.BytesIO()
    Recording(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(tree)
    return buffer.getvalue(), modules


def _syntax_sources() -> list[str | None]:
    """The files a tree is made by: this package's modules and grammar, and lark."""
    folder = os.path.dirname(os.path.abspath(__file__))
    ours = [
        os.path.join(folder, name)
        for name in sorted(os.listdir(folder))
        if name.endswith((".py", ".lark"))
    ]
    return [*ours, _source("lark"), _source("lark.lexer"), _source("lark.parsers.lalr_parser")]


def _source(module: str) -> str | None:
    found = sys.modules.get(module)
    path = getattr(found, "__file__", None)
    return os.path.abspath(path) if path else None


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _prune(folder: str, written: str) -> None:
    """The newest :data:`KEEP` entries kept, the one just written among them, the
    others removed."""
    with os.scandir(folder) as found:
        entries = [e for e in found if e.name.endswith(".pickle") and e.path != written]
    if len(entries) < KEEP:
        return
    entries.sort(key=lambda e: e.stat().st_mtime_ns)
    for old in entries[: len(entries) - KEEP + 1]:
        try:
            os.unlink(old.path)
        except OSError:
            pass
