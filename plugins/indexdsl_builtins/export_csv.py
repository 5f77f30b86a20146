"""The ``csv`` format, the default: one CSV file per result table."""

from __future__ import annotations

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl


class CsvExporter(Exporter):
    name = "csv"
    summary = "CSV files, one per table (the default)"
    writes = (
        "units.csv, groups.csv, indicators.csv, nodes.csv, pathways.csv, and the statistics: "
        "availability.csv, statistics.csv, correlations.csv, effective_weights.csv"
    )
    role_default = True  # what `indexdsl run` writes without `--format`

    def render(self, export: Export) -> dict[str, str | bytes]:
        # imported here: registering the format imports none of its code (cold start)
        from indexdsl.analyses.statistics import Statistics, cached
        from indexdsl.output.exports import table_csv
        from indexdsl.output.results import tables

        files = dict(tables(export.result))
        # data availability, statistics, correlations, weights: the run's, shared with
        # the other formats (computed here when the tables given do not hold them)
        given = export.tables
        if all(name in given for name in Statistics.NAMES):
            statistics = [given[name] for name in Statistics.NAMES]
        else:
            statistics = cached(export.result).tables()
        for table in statistics:
            files[f"{table.name}.csv"] = table_csv(table)
        return files


@hookimpl
def indexdsl_register_exporters():
    return [CsvExporter]
