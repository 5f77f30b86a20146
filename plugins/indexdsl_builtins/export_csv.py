"""The ``csv`` format, the default: one CSV file per result table."""

from __future__ import annotations

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl
from indexdsl.output.results import tables


class CsvExporter(Exporter):
    name = "csv"
    summary = "CSV files, one per table (the default)"
    writes = "units.csv, groups.csv, indicators.csv, nodes.csv, pathways.csv"
    role_default = True  # what `indexdsl run` writes without `--format`

    def render(self, export: Export) -> dict[str, str | bytes]:
        return dict(tables(export.result))


@hookimpl
def indexdsl_register_exporters():
    return [CsvExporter]
