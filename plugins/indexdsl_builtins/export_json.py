"""The ``json`` format: results.json, the run record and every table as records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.output.exports import Table

# ---- JSON -------------------------------------------------------------------------------------


def render_json(tables: dict[str, Table], record: dict) -> str:
    """results.json: the run record (``run``, with its provenance and time), each table's
    columns and their types (``columns``), and each table as a list of records
    (``tables``), one record a line."""
    # imported here: registering the format imports none of its code (cold start)
    import json

    from indexdsl.output.exports import canonical
    from indexdsl.output.inert import json_text

    def dump(value, indent: int | None = None) -> str:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)

    run = dump(canonical(record), 1).replace("\n", "\n ")
    columns = ",\n".join(
        f"  {dump(name)}: {dump([[c.name, c.kind] for c in t.columns])}"
        for name, t in tables.items()
    )
    blocks = []
    for name, table in tables.items():
        records = ",\n".join(f"   {dump(r)}" for r in table.records())
        blocks.append(f"  {dump(name)}: [\n{records}\n  ]" if records else f"  {dump(name)}: []")
    tables_text = ",\n".join(blocks)
    return json_text(
        '{\n "format": "indexdsl-results",\n "version": 1,\n'
        f' "run": {run},\n "columns": {{\n{columns}\n }},\n "tables": {{\n{tables_text}\n }}\n}}\n'
    )


class JsonExporter(Exporter):
    name = "json"
    summary = "one JSON file: the run record and every table as records"
    writes = "results.json"

    def render(self, export: Export) -> dict[str, str | bytes]:
        return {"results.json": render_json(export.tables, export.record)}


@hookimpl
def indexdsl_register_exporters():
    return [JsonExporter]
