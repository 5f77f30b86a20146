"""Writing a run's outputs: every format's exporter renders, then the files are staged
and moved into place, ``run.json`` last.

Writing is atomic: the files are rendered in memory, written to a staging folder inside
the output folder and moved into place one by one, ``run.json`` last; a database is
appended to in one transaction, committed before any file is moved.  A failure leaves
the earlier results as they were and says why (:class:`~indexdsl.output.exports.OutputError`).

The guarantees (docs/reference/outputs.md):

- **One writer per folder.**  A run holds a lock on the output folder while it writes
  (``flock`` on the folder itself, so no lock file is left behind); a second run into
  the same folder waits for it, up to :func:`lock_timeout` seconds
  (``INDEXDSL_LOCK_TIMEOUT``, default 60), then refuses with ``E801``.  Staging folders
  that a killed run left behind are removed by the next run that holds the lock.
- **Obstacles are found first.**  Before the database is committed or any file moved,
  every target is checked: a folder (or anything but a file) where a file goes stops
  the run, located, with the earlier results untouched.
- **Interruptions.**  Ctrl-C (SIGINT) or SIGTERM while the files are rendered or staged
  removes the staging folder and leaves the folder as it was.  From the moment the
  database is committed until the last file is moved (milliseconds), the signals are
  held back and delivered after: the folder then holds the complete new results.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from indexdsl.analyses import statistics
from indexdsl.components import Export
from indexdsl.diagnostics import Diagnostic, IndexdslError, PluginError
from indexdsl.errors import plugins as errors
from indexdsl.evaluate import Result
from indexdsl.output import exports
from indexdsl.output.results import StreamedCsv, run_record


class _LazyTables(Mapping):
    """The typed tables of a run, built when an exporter first reads them: the CSV
    exporter does not, and for 100,000 units they take most of a minute to build.
    ``extra`` builds the tables named ``extra_names`` (the statistics), read without
    building the others."""

    def __init__(self, build, extra=None, extra_names: tuple[str, ...] = ()):
        self._build = build
        self._tables = None
        self._extra = extra
        self._extra_names = extra_names

    def _get(self) -> dict:
        if self._tables is None:
            self._tables = self._build()
            for name in self._extra_names:
                self._tables[name] = self[name]
        return self._tables

    def __getitem__(self, name):
        if name in self._extra_names:
            return {t.name: t for t in self._extra()}[name]
        return self._get()[name]

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def write_outputs(
    result: Result,
    out_dir: Path,
    index_path: Path,
    warnings: list[Diagnostic],
    registry,
    formats: str | Iterable[str] | None = None,
    database: Path | None = None,
    min_coverage: float | None = None,
) -> list[Path]:
    """Write the run in each of ``formats`` (default ``csv``; each format is an exporter
    of the registry, see :mod:`indexdsl.output.exports`) and ``run.json`` into ``out_dir``; the
    ``sqlite`` exporter appends to ``database`` (default ``out_dir/results.sqlite``).
    Every format is given the run's statistics (:mod:`indexdsl.analyses.statistics`),
    units flagged below ``min_coverage`` of the indicators (default 2/3).
    Returns the files written.  Raises :class:`indexdsl.output.exports.OutputError` when they
    cannot be written, leaving the earlier results as they were, and
    :class:`~indexdsl.diagnostics.PluginError` when an exporter fails."""
    if registry is None:
        from indexdsl.plugins import load_registry

        registry = load_registry()
    # an unknown format or a missing library stops us before any work
    chosen = exports.exporters(formats, registry)
    record = run_record(result, index_path, warnings, registry)
    record["time"] = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    export = Export(
        result,
        record,
        _LazyTables(
            lambda: exports.result_tables(result),
            lambda: statistics.cached(
                result, statistics.UNIT_COVERAGE if min_coverage is None else min_coverage
            ).tables(),
            statistics.Statistics.NAMES,
        ),
        out_dir,
        database or out_dir / "results.sqlite",
    )
    files: dict[str, str | bytes] = {}
    for exporter in chosen:  # everything is rendered before anything is written
        files.update(_exporter_call(exporter, "render", export, registry))
    files["run.json"] = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    for name in files:  # an exporter's file name is one name inside the folder
        if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
            raise exports.OutputError(
                f"cannot write `{name}`: an exporter's file name must be a single name "
                f"inside the output folder `{out_dir}`",
                out_dir / name,
            )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise exports.output_error(out_dir, exc) from None
    with folder_lock(out_dir):
        _remove_stale_staging(out_dir)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        except OSError as exc:
            raise exports.output_error(out_dir, exc) from None
        written: list[Path] = []
        elsewhere: list[Path] = []
        try:
            for name, content in files.items():
                if isinstance(content, bytes):
                    (staging / name).write_bytes(content)
                elif isinstance(content, StreamedCsv):
                    with open(staging / name, "wb") as stream:
                        content.write_to(stream)
                else:
                    (staging / name).write_text(content, encoding="utf-8")
            _check_targets(out_dir, files)
            _pause("staged")
            with _signals_held() as pending:
                if pending():  # interrupted while staging: nothing is committed
                    return []
                for exporter in chosen:  # a database: one transaction, before any move
                    elsewhere += _exporter_call(exporter, "commit", export, registry)
                for number, name in enumerate(files):  # run.json last: a complete run
                    os.replace(staging / name, out_dir / name)
                    written.append(out_dir / name)
                    if number == 0:
                        _pause("moving")
        except OSError as exc:
            raise exports.output_error(out_dir, exc) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return written + elsewhere


#: the name of a staging folder starts with this (inside the output folder)
STAGING_PREFIX = ".indexdsl-"


def lock_timeout() -> float:
    """Seconds a run waits for another run writing into the same folder (or appending to
    the same database): ``INDEXDSL_LOCK_TIMEOUT``, default 60."""
    try:
        return max(0.0, float(os.environ.get("INDEXDSL_LOCK_TIMEOUT", "60")))
    except ValueError:
        return 60.0


#: folders this process holds the lock of, and how many times (the lock is re-entrant:
#: the database of a run may be in the folder the run writes into)
_HELD_FOLDERS: dict[str, int] = {}


@contextlib.contextmanager
def folder_lock(folder: Path, timeout: float | None = None):
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, released
    when the process ends, however it ends); wait up to ``timeout`` seconds for another
    run holding it, then raise :class:`~indexdsl.output.exports.OutputError`.  Where the
    system has no ``flock`` (Windows), runs are not serialised."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    key = str(Path(folder).resolve())
    if _HELD_FOLDERS.get(key):
        _HELD_FOLDERS[key] += 1
        try:
            yield
        finally:
            _HELD_FOLDERS[key] -= 1
        return
    timeout = lock_timeout() if timeout is None else timeout
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise exports.output_error(folder, exc) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise exports.OutputError(
                        f"cannot write the results to `{folder}`: another indexdsl run is "
                        f"writing there (waited {timeout:g} s; INDEXDSL_LOCK_TIMEOUT sets how "
                        "long)",
                        folder,
                        "the folder is locked by another run",
                    ) from None
                time.sleep(0.05)
        _HELD_FOLDERS[key] = 1
        yield
    finally:
        _HELD_FOLDERS.pop(key, None)
        os.close(descriptor)  # releases the lock


def _remove_stale_staging(folder: Path) -> None:
    """Staging folders left by a run that was killed (``kill -9``): with the folder's
    lock held, no other run is writing them."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def _check_targets(folder: Path, files: Mapping[str, object]) -> None:
    """Every file about to be replaced must be a file (or absent): a folder, a socket or
    a FIFO in its place stops the run before anything is committed or moved."""
    for name in files:
        target = folder / name
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise exports.output_error(target, exc) from None
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise exports.OutputError(
                f"cannot write the results to `{folder}`: `{target}` is {kind}; move it "
                "away (nothing was written, the earlier results are as they were)",
                target,
                f"`{target}` is {kind}",
            )


_HELD = (signal.SIGINT, getattr(signal, "SIGTERM", signal.SIGINT))
#: the signals that arrived while held back, in order
_CAUGHT: list[int] = []


@contextlib.contextmanager
def _signals_held():
    """Hold back SIGINT and SIGTERM while the results are committed and moved, so that
    they are never half moved; yields a function saying whether one has arrived, and
    delivers it on the way out (to the handler there was: Ctrl-C raises
    ``KeyboardInterrupt`` then).  Python runs signal handlers in the main thread only,
    whichever thread the signal reached, so holding them back there is enough."""
    if not _main_thread():  # pragma: no cover - writing from another thread
        yield lambda: False
        return
    _CAUGHT.clear()
    previous = {number: signal.signal(number, _hold) for number in _HELD}
    try:
        yield lambda: bool(_CAUGHT)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if _CAUGHT:
            number = _CAUGHT[0]
            _CAUGHT.clear()
            handler = previous[number]
            if callable(handler):
                handler(number, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)


def _hold(number, frame) -> None:
    _CAUGHT.append(number)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _pause(point: str) -> None:
    """For the tests of interrupted runs: with ``INDEXDSL_TEST_PAUSE=POINT:FILE``, create
    FILE on reaching POINT (``staged``: every file staged, nothing committed; ``moving``:
    the first file moved, signals held) and wait there up to 30 s, so that a test can
    send a signal at a known moment."""
    setting = os.environ.get("INDEXDSL_TEST_PAUSE", "")
    where, _, marker = setting.partition(":")
    if where != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a signal held back ends the wait too
        if _CAUGHT:
            return
        time.sleep(0.05)


def _exporter_call(exporter, method: str, export, registry):
    """``exporter.render(export)`` or ``.commit(export)``; a failure other than a failed
    write is the plugin's, reported with its name."""
    try:
        return getattr(exporter, method)(export)
    except (OSError, IndexdslError):
        raise
    except Exception as exc:
        provided = registry.get("exporter", exporter.name)
        plugin = provided.plugin if provided else type(exporter).__module__
        raise PluginError(
            errors.plugin_raised(
                f"exporter `{exporter.name}`",
                plugin,
                exc,
                None,
                workaround=f"leave `{exporter.name}` out of `--format`",
            )
        ) from exc
