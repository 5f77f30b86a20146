"""``report.html`` for a run: the sections' content rendered by the Jinja2 templates.

The environment escapes every value (``autoescape``): text from the index file or
the data (titles, unit names, group labels) cannot become markup.  Charts are the only
markup that reaches the page from Python, drawn by :mod:`.charts`.  Jinja2 is part of
the ``html`` extra (``pip install "indexdsl[html]"``) and imported only here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from . import definition, sections
from .charts import Charts


def _inert(value):
    """Every value printed by a template: a control character (invalid in HTML) written
    out, as the terminal shows it; charts (markup already) pass as they are."""
    from markupsafe import Markup

    from indexdsl.diagnostics import printable

    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return printable(value)


@cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("indexdsl_builtins.html_report", "templates"),
        autoescape=True,
        finalize=_inert,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


#: indicators up to which the report shows their correlation heat map (beyond, the
#: cells are too small to read: `indexdsl plot correlations` draws any level)
MAX_CORRELATED = 40


def _with_figure(section: dict | None, key: str, draw) -> dict | None:
    """A section with a figure added under ``key`` (None: the figure is not drawn)."""
    if section is None:
        return None
    return {**section, key: draw()}


def render_html(
    result: Any, tables: dict[str, Any], record: dict, out_dir: Path | None = None
) -> str:
    """report.html for a run: its :class:`~indexdsl.evaluate.Result`, the typed tables
    of :func:`indexdsl.output.exports.result_tables` and the run record (with its time).  With
    ``out_dir``, the rank intervals of ``uncertainty.csv`` in it are shown when they
    belong to this run."""
    from indexdsl.output import plots
    from indexdsl.output.exports import run_id
    from indexdsl.version import __version__

    charts = Charts()
    root = result.graph.model.root
    units = tables["units"].records()
    dims = [c for c in root.children if not c.is_leaf] or list(root.children)
    parts = [
        sections.ranking(charts, result, tables, units),
        sections.changes(charts, result, units),
        definition.uncertainty(charts, result, out_dir, record),
        sections.dimensions(result, units, dims),
        sections.profiles(charts, units, dims, root.name),
        sections.heatmap(result, units, dims),
        sections.agreement(result),
        sections.groups(charts, result, tables),
        sections.pathways(charts, result, tables, units, dims),
        _with_figure(
            sections.statistics(result, tables),
            "correlation_chart",
            lambda: (
                charts.figure(
                    "Pearson correlations between the indicators",
                    plots.plot_correlations(result, "indicators"),
                )
                if len(plots.level_nodes(result, "indicators")) <= MAX_CORRELATED
                else None
            ),
        ),
        sections.unit_profiles(result),
        _with_figure(
            definition.definition(result, tables, record),
            "framework_chart",
            lambda: charts.figure("The framework", plots.plot_framework(result.graph.model)),
        ),
        definition.sources(record),
        definition.provenance(record, run_id(record)),
    ]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            version=__version__,
            head=sections.header(result, record),
            sections=[p for p in parts if p is not None],
            time=record["time"],
            run_id=run_id(record),
        )
    )
