"""The ``parquet`` format: one Parquet file per table, the run record in their metadata."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, ClassVar

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.output.exports import Table

# ---- Parquet ----------------------------------------------------------------------------------


def render_parquet(tables: dict[str, Table], record: dict) -> dict[str, bytes]:
    """One ``<table>.parquet`` per table; the run record (provenance and time) is in each
    file's key-value metadata under ``indexdsl.run``, and its id under ``indexdsl.run_id``."""
    # imported here: registering the format imports none of its code (cold start)
    import json

    from indexdsl.output.exports import canonical, require, run_id

    require("parquet", *ParquetExporter.requires)
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "text": pa.string(),
        "integer": pa.int64(),
        "real": pa.float64(),
        "boolean": pa.bool_(),
    }
    metadata = {
        "indexdsl.run": json.dumps(canonical(record), sort_keys=True, ensure_ascii=False),
        "indexdsl.run_id": run_id(record),
    }
    files = {}
    for table in tables.values():
        schema = pa.schema([pa.field(c.name, types[c.kind]) for c in table.columns])
        arrays = [
            pa.array([row[j] for row in table.rows], type=types[c.kind])
            for j, c in enumerate(table.columns)
        ]
        buffer = io.BytesIO()
        # without the serialised Arrow schema (store_schema), the time is written once,
        # as plain text in the key-value metadata: the bytes differ only there
        with pq.ParquetWriter(buffer, schema, store_schema=False) as writer:
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            writer.add_key_value_metadata(metadata)
        files[f"{table.name}.parquet"] = buffer.getvalue()
    return files


class ParquetExporter(Exporter):
    name = "parquet"
    summary = "Parquet files, one per table, with the run record in their metadata"
    writes = "units.parquet, groups.parquet, indicators.parquet, nodes.parquet, pathways.parquet"
    requires: ClassVar[tuple[str, str] | None] = ("pyarrow", "parquet")

    def render(self, export: Export) -> dict[str, str | bytes]:
        return render_parquet(export.tables, export.record)


@hookimpl
def indexdsl_register_exporters():
    return [ParquetExporter]
