"""Writing a run's outputs: every format's exporter renders, then the files are staged
and moved into place, ``run.json`` last.

Writing is atomic: the files are rendered in memory, written to a staging folder inside
the output folder and moved into place one by one, ``run.json`` last; a database is
appended to in one transaction, committed before any file is moved.  A failure leaves
the earlier results as they were and says why (:class:`~indexdsl.output.exports.OutputError`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from indexdsl.components import Export
from indexdsl.diagnostics import Diagnostic, IndexdslError, PluginError
from indexdsl.errors import plugins as errors
from indexdsl.evaluate import Result
from indexdsl.output import exports
from indexdsl.output.results import StreamedCsv, run_record


class _LazyTables(Mapping):
    """The typed tables of a run, built when an exporter first reads them: the CSV
    exporter does not, and for 100,000 units they take most of a minute to build."""

    def __init__(self, build):
        self._build = build
        self._tables = None

    def _get(self) -> dict:
        if self._tables is None:
            self._tables = self._build()
        return self._tables

    def __getitem__(self, name):
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
) -> list[Path]:
    """Write the run in each of ``formats`` (default ``csv``; each format is an exporter
    of the registry, see :mod:`indexdsl.output.exports`) and ``run.json`` into ``out_dir``; the
    ``sqlite`` exporter appends to ``database`` (default ``out_dir/results.sqlite``).
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
        _LazyTables(lambda: exports.result_tables(result)),
        out_dir,
        database or out_dir / "results.sqlite",
    )
    files: dict[str, str | bytes] = {}
    for exporter in chosen:  # everything is rendered before anything is written
        files.update(_exporter_call(exporter, "render", export, registry))
    files["run.json"] = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".indexdsl-", dir=out_dir))
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
        for exporter in chosen:  # a database: one transaction, before any file is moved
            elsewhere += _exporter_call(exporter, "commit", export, registry)
        for name in files:  # run.json last: its presence marks a complete run
            os.replace(staging / name, out_dir / name)
            written.append(out_dir / name)
    except OSError as exc:
        raise exports.output_error(out_dir, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written + elsewhere


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
