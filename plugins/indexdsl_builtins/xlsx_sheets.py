"""The sheets of ``results.xlsx``, as plain data: what each sheet shows, with titles as
headers and a kind per column that decides its number format.

The workbook is for people: a header is a node's title (``Policy coordination (score)``,
not ``policy_score``), a missing rank or score is an empty cell (never ``0``), and the
run record is a readable sheet of fields and values, not JSON.  The sheets, in order:

- the result tables (``units``, ``groups``, ``indicators``: the raw data, ``nodes``,
  ``pathways``), with the data sets of the run after the raw data: ``prepared`` (the
  values normalised: after imputation and outlier treatment, when these changed any)
  and ``normalised`` (each indicator's score);
- the analyses that the run holds: ``treatment`` (the imputation and treatment log),
  the statistics of every run (``availability``, ``statistics``, ``correlations``,
  ``effective weights``: :mod:`indexdsl.analyses.statistics`), any table another
  plugin adds to the run, ``fitted`` (each normaliser's fitted state), ``rank
  agreement`` and ``score agreement`` (with published ranks and scores), ``warnings``;
- ``run``: the index, its provenance and the run's figures, one field a row.

Nothing here imports openpyxl: :mod:`indexdsl_builtins.export_xlsx` writes these sheets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from indexdsl.output.exports import Table, real, run_id
from indexdsl.output.results import preparation_rows

#: the characters a sheet's name may not hold, and its longest length
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_LIMIT = 31

#: column kinds: ``text``, ``integer``, ``rank`` (0 is "not ranked": an empty cell),
#: ``score`` (at least 2 decimals), ``real`` (decimals from the column's magnitude),
#: ``boolean``, ``percent``, ``any`` (each cell by its Python type)
KINDS = ("text", "integer", "rank", "score", "real", "boolean", "percent", "any")

#: the words of a column's suffix after a node's name (``bri_previous_rank``)
_SUFFIXES = {
    "score": "score",
    "rank": "rank",
    "previous_rank": "previous rank",
    "change": "rank change",
    "top": "top tier",
}

#: readable names of the columns of the built-in tables and of the run record's parts
_WORDS = {
    "unit": "Unit",
    "label": "Name",
    "group_column": "Grouped by",
    "group": "Group",
    "node": "Node",
    "units": "Units",
    "mean": "Mean",
    "median": "Median",
    "min": "Minimum",
    "max": "Maximum",
    "title": "Title",
    "parent": "Parent",
    "depth": "Depth",
    "kind": "Kind",
    "weight_written": "Weight as written",
    "weight": "Weight",
    "aggregator": "Aggregator",
    "normaliser": "Normaliser",
    "better": "Better",
    "illustrative": "Illustrative",
    "exact": "Same rank",
    "n": "Units compared",
    "max_abs_difference": "Largest difference",
    "spearman": "Spearman's rho",
    "decimals": "Decimals",
    "compared": "Compared",
    "agree": "Agree",
    "disagree": "Disagree",
    "published_without_score": "Published without a score",
}


@attrs.frozen
class Percent:
    """A share, shown as a percentage (in a column of kind ``any``)."""

    value: float


@attrs.frozen
class Sheet:
    """One sheet: its name, a header per column, a kind per column (:data:`KINDS`), the
    rows, and how many leading columns stay in view when scrolling right."""

    name: str
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    frozen_columns: int = 1


def humanise(name: str) -> str:
    """``weight_written`` → ``Weight written``: a column's name as words."""
    if name in _WORDS:
        return _WORDS[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def sheet_names(names: Iterable[str]) -> list[str]:
    """Names Excel accepts, each once: no ``[]:*?/\\``, at most 31 characters."""
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "sheet"
        base = base[:_SHEET_LIMIT]
        candidate, n = base, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate = base[: _SHEET_LIMIT - len(suffix)] + suffix
            n += 1
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def _unique(headers: list[str], names: Sequence[str]) -> tuple[str, ...]:
    """Headers that are each once in their sheet: a repeated title gets its code."""
    seen: dict[str, int] = {}
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
    return tuple(
        f"{header} [{name}]" if seen[header] > 1 else header
        for header, name in zip(headers, names, strict=True)
    )


class Titles:
    """The titles of a run's nodes and indicators, and the headers they give."""

    def __init__(self, result):
        graph = result.graph
        self.nodes = {name: graph.nodes[name].title or name for name in graph.node_order}
        self.indicators = {}
        for name, indicator in graph.model.indicators.items():
            title = indicator.title or name
            self.indicators[name] = f"{title} ({indicator.unit})" if indicator.unit else title
        units = graph.model.units.name or "unit"
        self.unit = units[:1].upper() + units[1:]
        # a column named after a node and a known suffix: `policy_previous_rank`
        self.columns: dict[str, str] = {}
        for name, title in self.nodes.items():
            for suffix, words in _SUFFIXES.items():
                self.columns[f"{name}_{suffix}"] = f"{title} ({words})"

    def header(self, column: str) -> str:
        if column in self.columns:
            return self.columns[column]
        if column in self.nodes:
            return self.nodes[column]
        if column == "unit":
            return self.unit
        if column in ("unit_a", "unit_b"):
            return f"{self.unit} {column[-1].upper()}"
        return humanise(column)


def _kind(column) -> str:
    if column.kind == "integer" and (column.name == "rank" or column.name.endswith("_rank")):
        return "rank"
    if column.kind == "real" and column.name.endswith("_score"):
        return "score"
    return column.kind if column.kind in KINDS else "any"


def table_sheet(
    table: Table, titles: Titles, headers: dict[str, str] | None = None, scores: bool = False
) -> Sheet:
    """A result table as a sheet: its columns' titles as headers, ranks of 0 empty;
    ``scores``: its numbers are scores (statistics of scores)."""
    headers = headers or {}
    names = [c.name for c in table.columns]
    kinds = tuple(_kind(c) for c in table.columns)
    if scores:
        kinds = tuple("score" if k == "real" else k for k in kinds)
    shown = _unique([headers.get(n) or titles.header(n) for n in names], names)
    ranks = [j for j, k in enumerate(kinds) if k == "rank"]
    rows: Sequence[Sequence[Any]] = table.rows
    if ranks:  # rank 0 is "not ranked": an empty cell, so that averages stay right
        rows = [
            tuple(None if j in ranks and v == 0 else v for j, v in enumerate(row)) for row in rows
        ]
    frozen = 2 if names[:2] in (["unit", "label"], ["unit_a", "unit_b"]) else 1
    return Sheet(table.name, shown, kinds, rows, frozen)


def _leaves(result, names: Iterable[str]) -> list[str]:
    graph = result.graph
    return [n for n in graph.node_order if graph.nodes[n].is_leaf and n in set(names)]


def data_sheets(result, titles: Titles) -> list[Sheet]:
    """``prepared`` (when imputation or treatment changed a value) and ``normalised``:
    one column per indicator, one row per unit, in the order of the data."""
    graph, units = result.graph, result.units
    keys = list(result.data.keys)
    n = len(keys)
    out = []
    prepared = [
        leaf for leaf in _leaves(result, units.prepared) if np.size(units.prepared[leaf]) in (1, n)
    ]
    changed = False
    for leaf in prepared:
        indicator = graph.nodes[leaf].indicator
        if indicator in units.raw:
            raw = np.broadcast_to(np.asarray(units.raw[indicator], dtype=float), (n,))
            values = np.broadcast_to(np.asarray(units.prepared[leaf], dtype=float), (n,))
            changed = changed or not np.array_equal(raw, values, equal_nan=True)
    columns = {leaf: np.broadcast_to(units.prepared[leaf], (n,)) for leaf in prepared}
    if changed:
        out.append(_values_sheet("prepared", keys, columns, titles, "real"))
    scored = [leaf for leaf in _leaves(result, units.scores) if np.size(units.scores[leaf]) == n]
    columns = {leaf: units.scores[leaf] for leaf in scored}
    out.append(_values_sheet("normalised", keys, columns, titles, "score"))
    return out


def _values_sheet(name, keys, columns: dict, titles: Titles, kind: str) -> Sheet:
    leaves = list(columns)
    headers = _unique([titles.unit, *(titles.nodes[leaf] for leaf in leaves)], ["unit", *leaves])
    lists = [[real(v) for v in np.asarray(columns[leaf], dtype=float)] for leaf in leaves]
    rows = [(key, *(values[i] for values in lists)) for i, key in enumerate(keys)]
    return Sheet(name, headers, ("text", *(kind,) * len(leaves)), rows)


def treatment_sheet(result, titles: Titles) -> Sheet | None:
    """The imputation and outlier treatment log, one row per indicator prepared."""
    log = preparation_rows(result)
    if not log:
        return None
    headers = (
        "Indicator",
        "Imputation",
        "Values imputed",
        "Units imputed",
        "Treatment",
        "Treated",
        "Points treated",
        "Units treated",
        "Skewness before",
        "Skewness after",
        "Kurtosis before",
        "Kurtosis after",
    )
    kinds = ("text", "text", "integer", "text", "text", "text", "integer", "text")
    kinds += ("real",) * 4
    rows = [
        (
            titles.nodes.get(entry["indicator"], entry["indicator"]),
            entry["imputation"] or None,
            entry["imputed"],
            ", ".join(entry["imputed_units"]) or None,
            entry["treatment"] or None,
            entry["treated"] or None,
            entry["points"],
            ", ".join(entry["treated_units"]) or None,
            *(
                _number(entry[k])
                for k in ("skewness_before", "skewness_after", "kurtosis_before", "kurtosis_after")
            ),
        )
        for entry in log
    ]
    return Sheet("treatment", headers, kinds, rows)


def _number(value) -> float | None:
    try:
        return real(value)
    except (TypeError, ValueError):
        return None


def _plain(value, keys: Sequence[str] | None = None, key: str = "") -> Any:
    """A value of the run record for one cell: numbers and text as they are, a list as
    its items separated by commas (unit positions, under a key ending in ``units``, as
    the units' keys), nothing for ``None``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        if (
            keys is not None
            and key.endswith("units")
            and all(isinstance(v, int) and 0 <= v < len(keys) for v in value)
        ):
            value = [keys[v] for v in value]
        return ", ".join(str(_plain(v)) for v in value) or None
    return str(value)


def _flatten(value, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, value)]


def fitted_sheet(record: dict, result, titles: Titles) -> Sheet | None:
    """Each normaliser's fitted state (and each weighting scheme's choice): one row per
    node and parameter."""
    keys = list(result.data.keys)
    rows = []
    for level, part in (("units", "fitted"), ("pathways", "fitted_pathways")):
        for node, state in (record.get(part) or {}).items():
            for parameter, value in _flatten(state):
                rows.append(
                    (
                        level,
                        titles.nodes.get(node, node),
                        node,
                        parameter,
                        _plain(value, keys, parameter),
                    )
                )
    if not rows:
        return None
    headers = ("Level", "Node", "Code", "Parameter", "Value")
    return Sheet("fitted", headers, ("text", "text", "text", "text", "any"), rows, 2)


def _by_node_sheet(name: str, entries: dict, titles: Titles) -> Sheet | None:
    """A part of the run record that has an entry per node (the agreement with published
    ranks or scores) as a sheet: one row per node, one column per figure."""
    if not entries:
        return None
    fields: list[str] = []
    for entry in entries.values():
        fields += [k for k in entry if k not in fields]
    rows = [
        (titles.nodes.get(node, node), *(_plain(entry.get(k)) for k in fields))
        for node, entry in entries.items()
    ]
    headers = _unique(["Node", *(humanise(k) for k in fields)], ["node", *fields])
    return Sheet(name, headers, ("text", *("any",) * len(fields)), rows)


def warnings_sheet(record: dict) -> Sheet | None:
    warnings = record.get("warnings") or []
    if not warnings:
        return None
    rows = []
    for w in warnings:
        span = w.get("span") or {}
        where = ""
        if span.get("file"):
            where = f"{span['file']}:{span.get('line', '')}:{span.get('col', '')}"
        rows.append(
            (
                w.get("severity"),
                w.get("code"),
                w.get("message"),
                where or None,
                " ".join(w.get("notes") or []) or None,
                w.get("help") or None,
            )
        )
    headers = ("Severity", "Code", "Message", "Where", "Notes", "Help")
    return Sheet("warnings", headers, ("text",) * 6, rows, 0)


#: the parts of the run record that the sheets above show
_SHOWN = {
    "index",
    "units",
    "pathways",
    "illustrative",
    "preparation",
    "fitted",
    "fitted_pathways",
    "agreement_with_reference_ranks",
    "agreement_with_reference_scores",
    "agreement_with_reference_pathway_ranks",
    "warnings",
    "provenance",
    "time",
    "outputs",
}


def run_sheet(record: dict) -> tuple[Sheet, list[Sheet]]:
    """The ``run`` sheet: the index, the run's id and figures and its provenance, one
    field a row; and a sheet for each part of the record that it does not know."""
    index, provenance = record["index"], record["provenance"]
    rows: list[tuple[str, Any]] = [
        ("Index", index["name"]),
        ("Title", index["title"]),
        ("Edition", index.get("edition")),
        ("Description", index.get("description")),
    ]
    for key, value in index.items():
        if key in ("name", "title", "edition", "description", "sources", "requires"):
            continue
        rows.append((humanise(key), _plain(value)))
    rows += [("Source", source) for source in index.get("sources") or []]
    if index.get("requires"):
        rows.append(("Requires", _plain(index["requires"])))
    rows.append(("Run id", run_id(record)))
    units = record.get("units") or {}
    rows.append((f"Units ({units.get('name', 'unit')})", units.get("count")))
    pathways = record.get("pathways")
    if pathways:
        rows.append((f"Pathways ({pathways.get('table')})", pathways.get("count")))
        for rule in pathways.get("left_out") or []:
            rows.append((f"Pairs left out ({rule['rule']})", rule["pairs"]))
    illustrative = record.get("illustrative") or {}
    if illustrative.get("indicators"):
        rows.append(("Illustrative indicators", _plain(illustrative["indicators"])))
        share = Percent(illustrative["weight_share"])
        rows.append(("Weight of illustrative indicators", share))
        if illustrative.get("tuned_to_reference"):
            rows.append(
                (
                    "Generated to reproduce the published ranks (agreement by construction)",
                    _plain(illustrative["tuned_to_reference"]),
                )
            )
    preparation = record.get("preparation") or {}
    if preparation.get("screen") is not None:
        screen = preparation["screen"]  # the least share of indicators a unit needs
        rows.append(("Screen", Percent(screen) if isinstance(screen, float) else _plain(screen)))
        rows.append(("Units screened out", _plain(preparation.get("screened_out")) or "none"))
    rows.append(("Warnings", len(record.get("warnings") or [])))
    rows.append(("Index file", provenance["index"]["file"]))
    rows.append(("Index file SHA-256", provenance["index"]["sha256"]))
    for path, digest in provenance["data"].items():
        rows.append((f"Data file {path} SHA-256", digest))
    for name, value in provenance["parameters"].items():
        rows.append((f"Parameter {name}", _plain(value)))
    if provenance.get("seed") is not None:
        rows.append(("Seed", provenance["seed"]))
    for name, version in provenance["versions"].items():
        rows.append((f"Version of {name}", str(version)))
    extra = []
    for key, value in record.items():
        if key in _SHOWN:
            continue
        if isinstance(value, dict | list) and value:
            flat = _flatten(value) if isinstance(value, dict) else [("", value)]
            extra.append(
                Sheet(
                    key,
                    ("Field", "Value"),
                    ("text", "any"),
                    [(k or key, _plain(v)) for k, v in flat],
                )
            )
        else:
            rows.append((humanise(key), _plain(value)))
    sheet = Sheet("run", ("Field", "Value"), ("text", "any"), [r for r in rows if r[1] is not None])
    return sheet, extra


#: the headers of the `nodes` table that differ from its columns' words
_NODE_HEADERS = {"node": "Node", "unit": "Unit of measurement", "title": "Title"}


#: the tables of every run (:func:`indexdsl.output.exports.result_tables`)
_RESULT_TABLES = ("units", "groups", "indicators", "nodes", "pathways")

#: the statistics of every run (:mod:`indexdsl.analyses.statistics`): their sheets'
#: names, the columns that name a node (shown by its title) and those that are shares
_STATISTICS = {
    "availability": "availability",
    "statistics": "statistics",
    "correlations": "correlations",
    "effective_weights": "effective weights",
}
_STATISTICS_NODES = ("node", "parent", "a", "b")
_STATISTICS_SHARES = ("coverage", "weight_in_parent", "effective_weight", "importance_share")
_STATISTICS_WORDS = {
    "n": "Values",
    "sd": "Standard deviation",
    "nonzero": "Non-zero values",
    "unique": "Unique values",
    "low_coverage": "Low data availability",
    "below_threshold": "Below the threshold",
    "a": "Node A",
    "b": "Node B",
    "a_depth": "Depth of A",
    "b_depth": "Depth of B",
    "pearson": "Pearson's r",
    "spearman": "Spearman's rho",
    "r_with_index": "Correlation with the index",
    "importance": "Importance (r squared)",
    "importance_share": "Share of importance",
    "values": "Values of",
}


def statistics_sheet(table: Table, titles: Titles) -> Sheet:
    """A table of the run's statistics: nodes by their titles, shares as percentages."""
    names = table.names
    headers = []
    for name in names:
        if name.endswith("_coverage") and name[: -len("_coverage")] in titles.nodes:
            headers.append(f"{titles.nodes[name[: -len('_coverage')]]} (coverage)")
        elif name == "n" and table.name == "correlations":
            headers.append("Units compared")
        else:
            headers.append(_STATISTICS_WORDS.get(name) or titles.header(name))
    kinds = tuple(
        "percent" if c.name.endswith(_STATISTICS_SHARES) and c.kind == "real" else _kind(c)
        for c in table.columns
    )
    nodes = [j for j, n in enumerate(names) if n in _STATISTICS_NODES]
    rows = [
        tuple(titles.nodes.get(v, v) if j in nodes and v else v for j, v in enumerate(row))
        for row in table.rows
    ]
    frozen = 2 if names[:2] in (["unit", "label"], ["a", "b"]) else 1
    return Sheet(_STATISTICS[table.name], _unique(headers, names), kinds, rows, frozen)


def uncertainty_sheet(export, titles: Titles) -> tuple[Sheet | None, str]:
    """The rank intervals of `indexdsl uncertainty FILE -o DIR` written into this
    output folder, as a sheet, when they belong to this run; else no sheet and why
    (shown in the `run` sheet): intervals of another version of the index are never
    shown beside these scores."""
    from indexdsl_builtins.uncertainty_file import read_uncertainty

    if export.out_dir is None:
        return None, ""
    try:
        found, settings = read_uncertainty(
            export.result, export.out_dir, export.record["provenance"]["index"]["sha256"]
        )
    except ValueError as exc:
        return None, f"uncertainty.csv in the output folder is left out: {exc}"
    if not found:
        return None, ""
    labels = export.result.data.labels
    order = sorted(found, key=lambda i: (found[i][0] == 0, found[i][0], i))
    rows = [(labels[i], found[i][0] or None, *found[i][1:]) for i in order]
    headers = (titles.unit, "Nominal rank", "Median rank", "5th percentile", "95th percentile")
    return Sheet("uncertainty", headers, ("text", "rank", "real", "real", "real"), rows), settings


def sensitivity_sheet(export) -> tuple[Sheet | None, str]:
    """The Sobol' indices of `indexdsl sensitivity FILE -o DIR` written into this output
    folder, when they were computed from this version of the index file."""
    import json

    if export.out_dir is None:
        return None, ""
    path = export.out_dir / "sensitivity.json"
    if not path.is_file():
        return None, ""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        rows = record["tables"]["sensitivity"]
        sha = record["index"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"sensitivity.json in the output folder cannot be read ({exc})"
    if sha != export.record["provenance"]["index"]["sha256"]:
        return None, (
            "sensitivity.json in the output folder is left out: it was computed from "
            "another version of the index file"
        )
    columns = ("input", "first", "first_low", "first_high", "total", "total_low", "total_high")
    headers = ("Uncertain input", "First order", "First order, low", "First order, high",
               "Total", "Total, low", "Total, high")  # fmt: skip
    table = [tuple(row.get(c) for c in columns) for row in rows]
    settings = (
        f"{record.get('samples')} base samples (seed {record.get('seed')}), "
        f"{record.get('evaluations')} evaluations, "
        f"{record.get('base_samples_left_out', 0)} base samples left out"
    )
    return Sheet("sensitivity", headers, ("text", *("real",) * 6), table), settings


def workbook_sheets(export) -> list[Sheet]:
    """Every sheet of the workbook of a run, in order (see the module's docstring)."""
    result, record, tables = export.result, export.record, export.tables
    titles = Titles(result)
    sheets: list[Sheet] = []
    others: list[Sheet] = []  # a plugin's tables: after the treatment log
    statistics: list[Sheet] = []  # after the treatment log
    for name, table in tables.items():
        if name in _STATISTICS:
            statistics.append(statistics_sheet(table, titles))
        elif name not in _RESULT_TABLES:
            others.append(table_sheet(table, titles))
        elif name == "nodes":
            sheets.append(table_sheet(table, titles, _NODE_HEADERS))
        elif name == "groups":
            rows = [(*row[:2], titles.nodes.get(row[2], row[2]), *row[3:]) for row in table.rows]
            groups = Table(name, table.columns, tuple(rows))
            sheets.append(table_sheet(groups, titles, scores=True))
        else:
            sheets.append(table_sheet(table, titles))
        if name == "indicators":  # the raw data; the prepared and normalised beside it
            sheets[-1] = attrs.evolve(
                sheets[-1],
                headers=_unique(
                    [titles.unit, *(titles.indicators.get(c, c) for c in table.names[1:])],
                    table.names,
                ),
            )
            sheets += data_sheets(result, titles)
    run, extra = run_sheet(record)
    intervals, said = uncertainty_sheet(export, titles)
    if said:
        run = attrs.evolve(run, rows=[*run.rows, ("Uncertainty analysis", said)])
    sobol, said = sensitivity_sheet(export)
    if said:
        run = attrs.evolve(run, rows=[*run.rows, ("Sensitivity analysis", said)])
    for sheet in (
        treatment_sheet(result, titles),
        *statistics,
        intervals,
        sobol,
        *others,
        *extra,
        fitted_sheet(record, result, titles),
        _by_node_sheet(
            "rank agreement", record.get("agreement_with_reference_ranks") or {}, titles
        ),
        _by_node_sheet(
            "score agreement", record.get("agreement_with_reference_scores") or {}, titles
        ),
        _by_node_sheet(
            "pathway rank agreement",
            record.get("agreement_with_reference_pathway_ranks") or {},
            titles,
        ),
        warnings_sheet(record),
        run,
    ):
        if sheet is not None:
            sheets.append(sheet)
    names = sheet_names(s.name for s in sheets)
    return [attrs.evolve(s, name=n) for s, n in zip(sheets, names, strict=True)]
