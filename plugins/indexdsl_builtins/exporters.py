"""Output formats: ``indexdsl run --format csv,json,md,sqlite,xlsx,parquet,html``.

Each format is an :class:`~indexdsl.components.Exporter`, registered through
``indexdsl_register_exporters`` as a third party's would be.  The renderers they share
(typed tables, run ids, the SQLite schema) are in :mod:`indexdsl.output.exports`; the HTML
report is in :mod:`indexdsl_builtins.html_report`.  Rendering never writes: the
pipeline stages every file and moves it into place (docs/how-to/export-results.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl


class CsvExporter(Exporter):
    name = "csv"
    summary = "CSV files, one per table (the default)"
    writes = "units.csv, groups.csv, indicators.csv, nodes.csv, pathways.csv"

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output.results import tables

        return dict(tables(export.result))


class JsonExporter(Exporter):
    name = "json"
    summary = "one JSON file: the run record and every table as records"
    writes = "results.json"

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output import exports

        return {"results.json": exports.render_json(export.tables, export.record)}


class MarkdownExporter(Exporter):
    name = "md"
    summary = "a Markdown page: rankings, groups, top pathways and provenance"
    writes = "results.md"

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output import exports

        return {"results.md": exports.render_markdown(export.result, export.tables, export.record)}


class SqliteExporter(Exporter):
    name = "sqlite"
    summary = "a SQLite database that every run is appended to"
    writes = "results.sqlite (appended to)"

    _rows: dict[str, list[tuple]] | None = None

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output import exports

        # the rows are computed now, with every other format, and written in commit()
        self._rows = exports.sqlite_rows(export.result, export.tables, export.record)
        return {}

    def commit(self, export: Export) -> list[Path]:
        from indexdsl.output import exports

        assert self._rows is not None, "render() comes before commit()"
        exports.write_sqlite(export.database, self._rows)
        return [export.database]


class XlsxExporter(Exporter):
    name = "xlsx"
    summary = "an Excel workbook: one sheet per table and a `run` sheet"
    writes = "results.xlsx"
    requires: ClassVar[tuple[str, str] | None] = ("openpyxl", "xlsx")

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output import exports

        return {"results.xlsx": exports.render_xlsx(export.tables, export.record)}


class ParquetExporter(Exporter):
    name = "parquet"
    summary = "Parquet files, one per table, with the run record in their metadata"
    writes = "units.parquet, groups.parquet, indicators.parquet, nodes.parquet, pathways.parquet"
    requires: ClassVar[tuple[str, str] | None] = ("pyarrow", "parquet")

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl.output import exports

        return exports.render_parquet(export.tables, export.record)


class HtmlExporter(Exporter):
    name = "html"
    summary = "a self-contained HTML report with charts (no network fetches)"
    writes = "report.html"
    requires: ClassVar[tuple[str, str] | None] = ("matplotlib", "html")

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl_builtins.html_report import render_html

        report = render_html(export.result, export.tables, export.record, export.out_dir)
        return {"report.html": report}


@hookimpl
def indexdsl_register_exporters():
    return [
        CsvExporter,
        JsonExporter,
        MarkdownExporter,
        SqliteExporter,
        XlsxExporter,
        ParquetExporter,
        HtmlExporter,
    ]
