"""The command's start-up: what a new `indexdsl` process does before its command runs.

A short command (``indexdsl run FILE -q --no-write``) spends most of its time starting:
importing modules and building the classes they define.  Two things make that shorter,
both for the `indexdsl` process only (the API, imported into someone else's program,
changes nothing of theirs):

- **No garbage collection while the modules are imported.** They allocate hundreds of
  thousands of objects that live as long as the process; the collector would go over
  them again and again.  :func:`begin` turns it off, :func:`end` freezes what was
  imported (``gc.freeze``: left out of every later collection, the one at exit too) and
  turns it on again for the command's own work.
- **The methods attrs writes for indexdsl's classes, compiled once.** attrs generates
  the source of each class's ``__init__``, ``__repr__``, ``__eq__`` and ``__hash__`` and
  compiles it at import: about a tenth of the start-up.  :class:`MethodCache` keeps the
  compiled code next to Python's own bytecode cache (``__pycache__`` of the package, or
  under ``PYTHONPYCACHEPREFIX``), keyed by the class and the exact source attrs
  generated, so that a class whose fields change is compiled again.  Like Python's
  bytecode cache it is written only where ``PYTHONDONTWRITEBYTECODE`` is not set, and
  nothing goes wrong where it cannot be read or written (it is compiled then).
- **OpenBLAS's threads sleep when idle.** From numpy's import on, each thread of
  OpenBLAS's pool waits for work spinning for 2^28 processor cycles (about 0.1 s)
  before it sleeps: a second core kept busy through most of a short command.
  ``OPENBLAS_THREAD_TIMEOUT=20`` (2^20 cycles, under a millisecond) lets them sleep
  soon after, and keeps matrix products that follow one another as fast (both
  measured in docs/performance.md).  Set where the environment does not set it,
  before numpy is imported; processes the command starts (Dask's workers) inherit it.
"""

from __future__ import annotations

import atexit
import gc
import marshal
import os
import sys
import types

#: where the garbage collector was frozen, and the attrs cache installed (once a process)
_STATE: dict[str, object] = {}

#: the text attrs generates for a class's methods starts its file name with this
_GENERATED = "<attrs generated "

#: OpenBLAS's threads spin 2^this processor cycles waiting for work before they sleep
OPENBLAS_THREAD_TIMEOUT = 20

#: the modules whose classes' methods are cached
_OURS = ("indexdsl.", "indexdsl_builtins.")

#: stands for a class's hash salt in the cached code (attrs writes the salt, the hash of
#: a string, into ``__hash__``: it differs from process to process)
_SALT = 0x1D5A_17ED_C0DE_CAFE


def begin() -> bool:
    """Start-up begins: the collector off and attrs' methods from the cache.  True the
    first time in a process (with the collector on), when :func:`end` must follow."""
    if _STATE or not gc.isenabled():
        return False
    _STATE["started"] = True
    gc.disable()
    # read by OpenBLAS when numpy loads it, which the command's modules do next
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", str(OPENBLAS_THREAD_TIMEOUT))
    MethodCache.install()
    return True


def end() -> None:
    """Start-up is over: what it imported frozen, the collector on again."""
    gc.freeze()
    gc.enable()


class MethodCache:
    """Compiled attrs methods of indexdsl's classes, by the file name attrs gives them
    (``<attrs generated methods indexdsl.model.Node>``) and their source."""

    def __init__(self, path: str | None):
        self.path = path
        #: file name -> (source, marshalled code)
        self.entries: dict[str, tuple[str, bytes]] = {}
        self.changed = False
        self.hits = self.misses = 0
        if path is not None:
            try:
                with open(path, "rb") as f:
                    stored = marshal.loads(f.read())
                if stored.get("key") == _version_key():
                    self.entries = stored["entries"]
            except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError):
                pass  # none yet, or unreadable: compiled again, and written anew

    @classmethod
    def install(cls) -> MethodCache | None:
        """Route attrs' compiling through a cache (once a process); None where this
        version of attrs compiles elsewhere."""
        import attr._make as make

        original = getattr(make, "_compile_and_eval", None)
        if original is None or "cache" in _STATE:
            return _STATE.get("cache")  # type: ignore[return-value]
        cache = cls(_cache_path())
        _STATE["cache"] = cache

        def compile_and_eval(script, globs, locs=None, filename=""):
            eval(cache.code(script, filename), globs, locs)

        make._compile_and_eval = compile_and_eval
        atexit.register(cache.save)
        return cache

    def code(self, script: str, filename: str) -> types.CodeType:
        """The code of ``script``: from the cache when it holds the same source for this
        class, else compiled (and kept)."""
        name = filename[len(_GENERATED) :].partition(" ")[2]
        if not filename.startswith(_GENERATED) or not name.startswith(_OURS):
            return compile(script, filename, "exec")
        # attrs' salt for this class's hash, as its `_make_hash_script` computes it
        salt = f" {hash(_GENERATED + 'hash ' + name)},\n"
        salted = script.count(salt)
        if salted > 1:
            return compile(script, filename, "exec")
        source = script.replace(salt, f" {_SALT},\n") if salted else script
        cached = self.entries.get(filename)
        code = None
        if cached is not None and cached[0] == source:
            try:
                code = marshal.loads(cached[1])
                self.hits += 1
            except (EOFError, ValueError, TypeError):
                code = None
        if code is None:
            self.misses += 1
            code = compile(source, filename, "exec")
            self.entries[filename] = (source, marshal.dumps(code))
            self.changed = True
        return _resalt(code, int(salt.strip(" ,\n"))) if salted else code

    def save(self) -> None:
        """Write the cache if a class was compiled (``PYTHONDONTWRITEBYTECODE`` not set),
        atomically; nothing if it cannot be written."""
        if not self.changed or self.path is None or sys.dont_write_bytecode:
            return
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(marshal.dumps({"key": _version_key(), "entries": self.entries}))
            os.replace(temporary, self.path)
            self.changed = False
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _resalt(code: types.CodeType, salt: int) -> types.CodeType:
    """``code`` with the stand-in salt replaced by this process's salt (in the
    functions it defines)."""
    consts = tuple(
        salt
        if type(c) is int and c == _SALT
        else _resalt(c, salt)
        if isinstance(c, types.CodeType)
        else c
        for c in code.co_consts
    )
    return code.replace(co_consts=consts)


def _version_key() -> tuple[str, ...]:
    """The Python the code was compiled by (the source, compared entry by entry, says
    the rest; ``attr.__version__`` would import ``importlib.metadata``)."""
    import importlib.util

    return (sys.version, importlib.util.MAGIC_NUMBER.hex())


def _cache_path() -> str | None:
    """The cache file, in the package's bytecode cache folder (or under
    ``PYTHONPYCACHEPREFIX``, as Python's own cache); None where there is none."""
    import importlib.util

    try:
        beside = importlib.util.cache_from_source(os.path.join(os.path.dirname(__file__), "x.py"))
    except (NotImplementedError, ValueError):
        return None
    return os.path.join(
        os.path.dirname(beside), f"attrs-methods.{sys.implementation.cache_tag}.marshal"
    )
