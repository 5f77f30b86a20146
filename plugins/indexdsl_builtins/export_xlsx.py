"""The ``xlsx`` format: an Excel workbook, one sheet per table and a ``run`` sheet."""

from __future__ import annotations

import datetime as _dt
import io
import json
import zipfile
from typing import TYPE_CHECKING, ClassVar

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl
from indexdsl.output.exports import (
    Table,
    require,
    run_id,
    stable,
)
from indexdsl.output.results import safe_text

if TYPE_CHECKING:  # pragma: no cover
    pass

# ---- Excel ------------------------------------------------------------------------------------

#: a fixed time stamp for the members of the .xlsx archive (the earliest a zip can hold),
#: so that the same inputs give the same bytes; the run's time is in the document properties
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: the most characters Excel keeps in a cell
_CELL_LIMIT = 32_767


def _run_rows(record: dict) -> list[tuple[str, str]]:
    """The run record as (field, value) rows: the provenance first, then the rest as JSON;
    no time (it is in the workbook's document properties)."""
    provenance = record["provenance"]
    index = record["index"]
    rows = [
        ("run_id", run_id(record)),
        ("index", index["name"]),
        ("title", index["title"]),
        ("edition", index.get("edition") or ""),
        ("parameters", json.dumps(provenance["parameters"], sort_keys=True)),
        ("index_file", provenance["index"]["file"]),
        ("index_sha256", provenance["index"]["sha256"]),
    ]
    rows += [(f"data_sha256: {path}", digest) for path, digest in provenance["data"].items()]
    rows += [(f"version: {name}", str(v)) for name, v in provenance["versions"].items()]
    # the rest of the record, one row per part, each within Excel's limit for a cell
    for key, value in stable(record).items():
        if key == "provenance":
            continue
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        chunks = [text[i : i + _CELL_LIMIT] for i in range(0, len(text), _CELL_LIMIT)] or [""]
        for n, chunk in enumerate(chunks, start=1):
            rows.append((key if len(chunks) == 1 else f"{key} [part {n} of {len(chunks)}]", chunk))
    return rows


def render_xlsx(tables: dict[str, Table], record: dict) -> bytes:
    """results.xlsx: one sheet per table and a ``run`` sheet with the provenance.  Text
    cells are always text cells, never formulas: a unit named ``=HYPERLINK(…)`` is shown
    as written and not run (and is marked as quoted, so editing it keeps it text)."""

    openpyxl = require("xlsx", *XlsxExporter.requires)
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.xml.functions import tostring

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)

    def put(sheet, row: int, column: int, value, kind: str = "text") -> None:
        if kind == "boolean" and value is not None:
            value = bool(value)
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.value = text
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            if text != safe_text(text):  # text a spreadsheet would read as a formula
                cell.quotePrefix = True
        else:
            cell.value = value

    for table in tables.values():
        sheet = workbook.create_sheet(table.name)
        for j, column in enumerate(table.columns, start=1):
            put(sheet, 1, j, column.name)
            sheet.cell(row=1, column=j).font = bold
        kinds = [c.kind for c in table.columns]
        for i, row in enumerate(table.rows, start=2):
            for j, (value, kind) in enumerate(zip(row, kinds, strict=True), start=1):
                put(sheet, i, j, value, kind)
        sheet.freeze_panes = "A2"
    sheet = workbook.create_sheet("run")
    for j, heading in enumerate(("field", "value"), start=1):
        put(sheet, 1, j, heading)
        sheet.cell(row=1, column=j).font = bold
    for i, (field, value) in enumerate(_run_rows(record), start=2):
        put(sheet, i, 1, field)
        put(sheet, i, 2, value)

    from indexdsl.version import __version__

    when = _dt.datetime.fromisoformat(record["time"]).astimezone(_dt.UTC).replace(tzinfo=None)
    properties = workbook.properties
    properties.creator = f"indexdsl {__version__}"
    properties.title = record["index"]["title"]
    properties.identifier = run_id(record)
    properties.created = when
    buffer = io.BytesIO()
    workbook.save(buffer)
    properties.modified = when  # save() set it to the clock; the core part is rewritten below
    # rewrite the archive with fixed member times, so that the same inputs give the same bytes
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = tostring(properties.to_tree())
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, data)
    return out.getvalue()


class XlsxExporter(Exporter):
    name = "xlsx"
    summary = "an Excel workbook: one sheet per table and a `run` sheet"
    writes = "results.xlsx"
    requires: ClassVar[tuple[str, str] | None] = ("openpyxl", "xlsx")

    def render(self, export: Export) -> dict[str, str | bytes]:
        return {"results.xlsx": render_xlsx(export.tables, export.record)}


@hookimpl
def indexdsl_register_exporters():
    return [XlsxExporter]
