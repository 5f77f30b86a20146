"""The ``html`` format: a self-contained report with charts (see the html_report package)."""

from __future__ import annotations

from typing import ClassVar

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl


class HtmlExporter(Exporter):
    name = "html"
    summary = "a self-contained HTML report with charts (no network fetches)"
    writes = "report.html"
    requires: ClassVar[tuple[tuple[str, ...], str] | None] = (("matplotlib", "jinja2"), "html")

    def render(self, export: Export) -> dict[str, str | bytes]:
        from indexdsl_builtins.html_report import render_html

        report = render_html(export.result, export.tables, export.record, export.out_dir)
        return {"report.html": report}


@hookimpl
def indexdsl_register_exporters():
    return [HtmlExporter]
