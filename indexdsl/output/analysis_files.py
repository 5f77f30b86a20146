"""The results of an analysis command (`audit`, `whatif`, `compare`, `sensitivity`,
`uncertainty`) as files and as JSON, so that they can be scripted.

An analysis gives one or more tables (columns and rows of plain values) and a few
settings.  ``-o DIR`` writes each table as ``DIR/<table>.csv`` and everything as
``DIR/<command>.json``, each file replaced whole (written beside it, then renamed);
``--format json`` prints the JSON on standard output instead of the terminal tables.
Text from the data is neutralised in CSV cells (a spreadsheet would run ``=…`` as a
formula); numbers are written with up to 6 significant digits, a missing value as an
empty cell (CSV) or ``null`` (JSON).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from indexdsl.output.results import safe_text


@attrs.frozen
class AnalysisTable:
    """One table of an analysis: its file name (without ``.csv``), columns and rows."""

    name: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]

    def records(self) -> list[dict[str, Any]]:
        return [
            {c: _json_value(v) for c, v in zip(self.columns, row, strict=True)} for row in self.rows
        ]


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        return _json_value(value.item())
    return value


def _csv_value(value: Any) -> str:
    value = _json_value(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return safe_text(value)
    return str(value)


def record(command: str, index: Path, settings: dict, tables: list[AnalysisTable]) -> dict:
    """Everything an analysis gives, as one JSON-ready dictionary."""
    try:
        digest = hashlib.sha256(Path(index).read_bytes()).hexdigest()
    except OSError:
        digest = None
    return {
        "command": command,
        "index": {"file": str(index), "sha256": digest},
        **{k: _json_value(v) for k, v in settings.items()},
        "tables": {t.name: t.records() for t in tables},
    }


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write(out: Path, command: str, data: dict, tables: list[AnalysisTable]) -> list[Path]:
    """``out/<table>.csv`` for each table and ``out/<command>.json``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for table in tables:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([safe_text(c) for c in table.columns])
        writer.writerows([[_csv_value(v) for v in row] for row in table.rows])
        files[f"{table.name}.csv"] = buffer.getvalue()
    files[f"{command}.json"] = to_json(data)
    written = []
    for name, text in files.items():
        target = out / name
        temporary = target.with_name(f".{name}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)
        written.append(target)
    return written
