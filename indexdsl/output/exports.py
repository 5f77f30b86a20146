"""Exporting a run's results in more formats: JSON, Markdown, SQLite, Excel, Parquet, HTML.

``indexdsl run --format csv,json,md,sqlite,xlsx,parquet,html`` (docs/how-to/export-results.md).
Each format is an :class:`~indexdsl.components.Exporter` registered through the
``indexdsl_register_exporters`` hook (the built-in ones in ``indexdsl_builtins.exporters``);
this module resolves ``--format`` through the registry and holds the renderers the
built-in exporters share.
Every format is rendered from the same typed tables (:func:`result_tables`): the tables
of the CSV files, in the same columns and row order, with text as text (not prefixed
against formulas: that is the CSV and Excel writers' job), numbers as numbers, ``None``
for a missing value, and rank 0 for "not ranked".  Each output carries the run's
provenance, and the same inputs give the same bytes apart from the time of the run.

Writing is atomic: the files are rendered in memory, written to a staging folder inside
the output folder and moved into place one by one, ``run.json`` last; the SQLite
database is appended to in one transaction, committed before any file is moved.  A
failure leaves the earlier results as they were and says why (:class:`OutputError`).

``openpyxl`` (xlsx) and ``pyarrow`` (parquet) are optional and imported only when their
format is asked for.  This module imports nothing heavy at load time, so that the
command line can check ``--format`` (:func:`exporters`) before computing.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import math
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from indexdsl.diagnostics import Diagnostic, IndexdslError, UsageError, error

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.components import Exporter
    from indexdsl.evaluate import Result
    from indexdsl.plugins import Registry

#: formats that need an optional library: format -> (module, extra that installs it)
OPTIONAL: dict[str, tuple[str, str]] = {
    "xlsx": ("openpyxl", "xlsx"),
    "parquet": ("pyarrow", "parquet"),
    "html": ("matplotlib", "html"),
}

#: version of the SQLite schema, kept in ``PRAGMA user_version``
SQLITE_SCHEMA_VERSION = 1

#: pathways listed in results.md
MARKDOWN_TOP_PATHWAYS = 10

#: the plugin whose exporters come first, in the order it registers them
BUILTIN_EXPORTERS = "indexdsl_builtins.exporters"


class OutputError(IndexdslError, OSError):
    """The results could not be written: the output path is a file, a folder is not
    writable, the disk is full, the database is not ours.  The command line reports it
    as error ``E801`` with exit code 5; it is an ``OSError`` too, as the failed write
    underneath usually was.  ``path`` is where writing failed and ``reason`` the
    operating system's words for it."""

    def __init__(self, message: str, path: Path | str | None = None, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path
        self.reason = reason

    def diagnostic(self) -> Diagnostic:
        notes = (f"the operating system said: {self.reason}",) if self.reason else ()
        return error(
            "E801",
            self.message,
            None,
            notes=notes,
            help="choose another folder with `--out`, or free the path; the results of "
            "earlier runs there were left as they were",
        )


# ---- the --format option ----------------------------------------------------------------


def format_option(text: str) -> tuple[str, ...]:
    """argparse ``type`` of ``--format``: ``json,md`` → ``("json", "md")``; the names are
    checked against the registry by :func:`exporters`, before anything is computed."""
    return tuple(name.strip().lower() for name in text.split(",") if name.strip())


def _names(formats: str | Iterable[str | Iterable[str]] | None) -> list[str]:
    if formats is None:
        return ["csv"]
    names: list[str] = []
    for item in [formats] if isinstance(formats, str) else formats:
        names += list(format_option(item) if isinstance(item, str) else item)
    return names


def available(registry: Registry) -> list[str]:
    """Every output format, the built-in ones first in their own order, then the others
    by name."""
    provided = registry.components["exporter"]
    builtin = [n for n, p in provided.items() if p.plugin == BUILTIN_EXPORTERS]
    return builtin + sorted(n for n in provided if n not in builtin)


def exporters(
    formats: str | Iterable[str | Iterable[str]] | None, registry: Registry
) -> list[Exporter]:
    """The exporters of the formats asked for, each once, in the order of
    :func:`available`; ``None`` means ``csv``.  Accepts what ``--format`` collects (a list
    of tuples) as well as plain names or ``"csv,json"``.  Raises :class:`UsageError` for
    an unknown format (with the close matches) or one whose library is missing."""
    names = _names(formats)
    order = available(registry)
    if not names:
        raise UsageError(f"no output format given; choose from {', '.join(order)}")
    for name in names:
        if name not in order:
            hints = registry.suggestions("exporter", name)
            hint = f"; did you mean {' or '.join(hints)}?" if hints else ""
            raise UsageError(
                f"`{name}` is not an output format{hint} (choose from {', '.join(order)})"
            )
    chosen = [registry.get("exporter", name).cls() for name in order if name in names]
    for exporter in chosen:
        if exporter.requires:
            require(exporter.name, *exporter.requires)
    return chosen


def parse_formats(
    formats: str | Iterable[str | Iterable[str]] | None, registry: Registry | None = None
) -> tuple[str, ...]:
    """The names of the formats asked for, in a fixed order, each once (see
    :func:`exporters`)."""
    if registry is None:
        from indexdsl.plugins import load_registry

        registry = load_registry()
    return tuple(e.name for e in exporters(formats, registry))


def require(fmt: str, module: str, extra: str):
    """Import the optional library that ``--format fmt`` needs, or say how to install it."""
    try:
        return __import__(module)
    except ImportError:
        raise UsageError(
            f"`--format {fmt}` needs {module}, which is not installed; install it with "
            f'`pip install "indexdsl[{extra}]"` (or `pip install {module}`)'
        ) from None


def _require(fmt: str):
    return require(fmt, *OPTIONAL[fmt])


# ---- typed tables ---------------------------------------------------------------------------


@attrs.frozen
class Column:
    name: str
    kind: str  # "text" | "integer" | "real" | "boolean"


@attrs.frozen
class Table:
    """One table of results: typed columns and rows of plain Python values."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def records(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def _real(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value + 0.0  # `+ 0.0`: no negative zero


def result_tables(result: Result) -> dict[str, Table]:
    """The tables of a run, by name: ``units``, ``groups`` (with `groups`),
    ``indicators``, ``nodes`` and ``pathways`` (with `pathways`); the columns of the CSV
    files of the same names."""
    # rows are ordered by the text the CSV files show (safe_text), as they are there
    from indexdsl.output.results import group_summaries, rank_changes, safe_text, top_tier

    graph, data = result.graph, result.data
    order = list(graph.node_order)
    root = graph.root
    out: dict[str, Table] = {}

    groups = list(data.groups)
    columns = [Column("unit", "text"), Column("label", "text")]
    columns += [Column(g, "text") for g in groups]
    changes = {node: rank_changes(result, node) for node in data.previous}
    tiers = {node: top_tier(result, node) for node in order if graph.nodes[node].top}
    for node in order:
        columns += [Column(f"{node}_score", "real"), Column(f"{node}_rank", "integer")]
        if node in changes:
            columns += [
                Column(f"{node}_previous_rank", "integer"),
                Column(f"{node}_change", "text"),
            ]
        if node in tiers:
            columns.append(Column(f"{node}_top", "boolean"))
    rows = []
    for i, key in enumerate(data.keys):
        row: list[Any] = [key, data.labels[i], *(data.groups[g][i] for g in groups)]
        for node in order:
            row += [_real(result.units.scores[node][i]), int(result.units.ranks[node][i])]
            if node in changes:
                previous = _real(data.previous[node][i])
                row += [None if previous is None else int(previous), changes[node][i] or None]
            if node in tiers:
                row.append(bool(tiers[node][i]))
        rows.append(tuple(row))
    ranks = result.units.ranks[root]
    position = {key: i for i, key in enumerate(data.keys)}
    rows.sort(key=lambda r: (int(ranks[position[r[0]]]) or 10**9, safe_text(r[0])))
    out["units"] = Table("units", tuple(columns), tuple(rows))

    if data.groups:
        out["groups"] = Table(
            "groups",
            (
                Column("group_column", "text"),
                Column("group", "text"),
                Column("node", "text"),
                Column("units", "integer"),
                *(Column(s, "real") for s in ("mean", "median", "min", "max")),
            ),
            tuple(
                (
                    column,
                    group,
                    node,
                    s["units"],
                    *(_real(s[k]) for k in ("mean", "median", "min", "max")),
                )
                for column, group, node, s in group_summaries(result)
            ),
        )

    indicators = [n for n, ind in graph.model.indicators.items() if ind.level != "pair"]
    out["indicators"] = Table(
        "indicators",
        (Column("unit", "text"), *(Column(name, "real") for name in indicators)),
        tuple(
            (key, *(_real(result.units.raw[name][i]) for name in indicators))
            for i, key in enumerate(data.keys)
        ),
    )

    parents = {c.name: n.name for n in graph.nodes.values() for c in n.children}
    rows = []
    for name in order:
        node = graph.nodes[name]
        indicator = graph.model.indicators[name] if node.is_leaf else None
        rows.append(
            (
                name,
                node.title,
                parents.get(name),
                node.depth,
                "indicator" if node.is_leaf else "dimension" if node.depth else "index",
                node.weight_text or None,
                float(node.weight),
                node.aggregator.describe() if node.aggregator else None,
                node.normaliser.describe() if node.normaliser else None,
                None if indicator is None else "higher" if indicator.higher_is_better else "lower",
                node.is_leaf and name in graph.illustrative,
                None if indicator is None else indicator.unit or None,
            )
        )
    out["nodes"] = Table(
        "nodes",
        (
            Column("node", "text"),
            Column("title", "text"),
            Column("parent", "text"),
            Column("depth", "integer"),
            Column("kind", "text"),
            Column("weight_written", "text"),
            Column("weight", "real"),
            Column("aggregator", "text"),
            Column("normaliser", "text"),
            Column("better", "text"),
            Column("illustrative", "boolean"),
            Column("unit", "text"),
        ),
        tuple(rows),
    )

    if result.pairs is not None:
        pairs = result.pair_data
        columns = [Column("unit_a", "text"), Column("unit_b", "text")]
        for node in order:
            columns += [Column(f"{node}_score", "real"), Column(f"{node}_rank", "integer")]
        rows = []
        for p in range(len(pairs.a)):
            row = [data.keys[pairs.a[p]], data.keys[pairs.b[p]]]
            for node in order:
                row += [_real(result.pairs.scores[node][p]), int(result.pairs.ranks[node][p])]
            rows.append((int(result.pairs.ranks[root][p]) or 10**9, tuple(row)))
        rows.sort(key=lambda r: (r[0], safe_text(r[1][0]), safe_text(r[1][1])))
        out["pathways"] = Table("pathways", tuple(columns), tuple(r for _, r in rows))
    return out


def _canonical(value) -> Any:
    """A strict JSON value: every object's keys sorted (as run.json writes them), and a
    number that is not finite (a Spearman ρ of a constant ranking) as ``null``."""

    def strict(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: strict(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strict(x) for x in v]
        return v

    return strict(json.loads(json.dumps(value, sort_keys=True, default=str)))


def _stable(record: dict) -> dict:
    """The run record without the time (and the paths written, which ``--json`` adds)."""
    return _canonical({k: v for k, v in record.items() if k not in ("time", "outputs")})


def run_id(record: dict) -> str:
    """A run's id: a hash of its run record without the time, so that the same inputs
    (index file, data, parameters, versions) give the same id."""
    text = json.dumps(_stable(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- JSON -------------------------------------------------------------------------------------


def render_json(tables: dict[str, Table], record: dict) -> str:
    """results.json: the run record (``run``, with its provenance and time), each table's
    columns and their types (``columns``), and each table as a list of records
    (``tables``), one record a line."""

    def dump(value, indent: int | None = None) -> str:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)

    run = dump(_canonical(record), 1).replace("\n", "\n ")
    columns = ",\n".join(
        f"  {dump(name)}: {dump([[c.name, c.kind] for c in t.columns])}"
        for name, t in tables.items()
    )
    blocks = []
    for name, table in tables.items():
        records = ",\n".join(f"   {dump(r)}" for r in table.records())
        blocks.append(f"  {dump(name)}: [\n{records}\n  ]" if records else f"  {dump(name)}: []")
    tables_text = ",\n".join(blocks)
    return (
        '{\n "format": "indexdsl-results",\n "version": 1,\n'
        f' "run": {run},\n "columns": {{\n{columns}\n }},\n "tables": {{\n{tables_text}\n }}\n}}\n'
    )


# ---- Markdown ---------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md_text(value: object) -> str:
    """Text for a Markdown table cell: one line, HTML and Markdown syntax escaped."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> str:
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |"]
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _decimals(values) -> int:
    """Decimals shown for a node's scores: 3 on a 0–1 scale (the HDI), else 2."""
    present = [abs(v) for v in values if v is not None]
    return 3 if present and max(present) <= 1 else 2


def _md_number(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _md_rank(rank: int) -> str:
    return str(rank) if rank else "–"


def render_markdown(result: Result, tables: dict[str, Table], record: dict) -> str:
    """results.md: the overall ranking, each dimension's ranking, the agreement with
    published ranks, the scores by group, the top pathways and the provenance."""
    from indexdsl.output.results import agreement, safe_text

    graph, data = result.graph, result.data
    model = graph.model
    root = model.root
    units = tables["units"].records()
    label = {r["unit"]: r["label"] for r in units}
    parts: list[str] = [f"# {md_text(model.meta.title)}\n"]

    facts = []
    if model.meta.edition:
        facts.append(f"edition {md_text(model.meta.edition)}")
    if model.parameters:
        facts.append(
            ", ".join(f"{md_text(k)} = {md_text(v)}" for k, v in sorted(model.parameters.items()))
        )
    facts.append(f"{data.n_units} {md_text(model.units.title.lower())}")
    facts.append(f"{sum(1 for n in root.walk() if n.is_leaf)} indicators")
    if result.pairs is not None:
        facts.append(f"{len(result.pair_data.a)} pathways")
    parts.append(" · ".join(facts) + "\n")
    illustrative = record["illustrative"]
    if illustrative["indicators"]:
        parts.append(
            f"> **Illustrative data:** {len(illustrative['indicators'])} indicators "
            f"({illustrative['weight_share']:.0%} of the index weight) use illustrative values, "
            "not measurements: " + ", ".join(md_text(n) for n in illustrative["indicators"]) + ".\n"
        )

    # overall ranking
    name = root.name
    decimals = _decimals(r[f"{name}_score"] for r in units)
    reference = data.references.get(name)
    position = {key: i for i, key in enumerate(data.keys)}
    header = ["rank", model.units.title, *data.groups, "score"]
    right = [True, False, *(False for _ in data.groups), True]
    if reference is not None:
        header += ["published rank", "Δ"]
        right += [True, True]
    if f"{name}_change" in tables["units"].names:
        header.append("vs previous edition")
        right.append(False)
    if f"{name}_top" in tables["units"].names:
        header.append(f"top {root.top:.0%}")
        right.append(False)
    rows = []
    for r in units:
        row = [_md_rank(r[f"{name}_rank"]), md_text(r["label"])]
        row += [md_text(r[g]) for g in data.groups]
        row.append(_md_number(r[f"{name}_score"], decimals))
        if reference is not None:
            published = reference[position[r["unit"]]]
            rank = r[f"{name}_rank"]
            delta = int(published - rank) if rank and not math.isnan(published) else 0
            row += [
                "–" if math.isnan(published) else str(int(published)),
                f"{delta:+d}" if delta else "",
            ]
        if f"{name}_change" in tables["units"].names:
            row.append(md_text(r[f"{name}_change"] or ""))
        if f"{name}_top" in tables["units"].names:
            row.append("yes" if r[f"{name}_top"] else "")
        rows.append(row)
    parts.append(f"## {md_text(root.title)}: overall ranking\n")
    parts.append(_md_table(header, rows, right))

    # each dimension's ranking
    dimensions = [
        graph.nodes[n] for n in graph.node_order if n != name and not graph.nodes[n].is_leaf
    ]
    if dimensions:
        parts.append("## Ranking in each dimension\n")
    for dim in dimensions:
        key = dim.name
        ordered = sorted(units, key=lambda r: (r[f"{key}_rank"] or 10**9, safe_text(r["unit"])))
        decimals = _decimals(r[f"{key}_score"] for r in ordered)
        reference = data.references.get(key)
        header = ["rank", model.units.title, "score"]
        if reference is not None:
            header.append("published rank")
        rows = []
        for r in ordered:
            row = [
                _md_rank(r[f"{key}_rank"]),
                md_text(r["label"]),
                _md_number(r[f"{key}_score"], decimals),
            ]
            if reference is not None:
                published = reference[position[r["unit"]]]
                row.append("–" if math.isnan(published) else str(int(published)))
            rows.append(row)
        weight = f" ({md_text(dim.weight_text)})" if dim.weight_text else ""
        parts.append(f"### {md_text(dim.title)}{weight}\n")
        parts.append(_md_table(header, rows, [True, False, True, True][: len(header)]))

    agree = agreement(result)
    if agree:
        rows = [
            [
                md_text(graph.nodes[n].title),
                f"{agree[n]['spearman']:.3f}",
                f"{agree[n]['exact']} of {agree[n]['n']}",
                str(int(agree[n]["max_abs_difference"])),
            ]
            for n in graph.node_order
            if n in agree
        ]
        parts.append("## Agreement with the published ranks\n")
        parts.append(
            _md_table(
                ["node", "Spearman ρ", "same rank", "largest gap"], rows, [False, True, True, True]
            )
        )

    if "groups" in tables:
        parts.append(f"## {md_text(root.title)} by group\n")
        summaries = [r for r in tables["groups"].records() if r["node"] == name]
        for column in data.groups:
            shown = [r for r in summaries if r["group_column"] == column]
            shown.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0), r["group"]))
            decimals = _decimals(r["max"] for r in shown)
            rows = [
                [md_text(r["group"] or "–"), str(r["units"])]
                + [_md_number(r[k], decimals) for k in ("mean", "median", "min", "max")]
                for r in shown
            ]
            parts.append(f"### By {md_text(column)}\n")
            parts.append(
                _md_table(
                    [column, "units", "mean", "median", "min", "max"], rows, [False] + [True] * 5
                )
            )

    if "pathways" in tables:
        pathways = tables["pathways"].records()[:MARKDOWN_TOP_PATHWAYS]
        top_level = [c for c in root.children if not c.is_leaf] or list(root.children)
        sep = " → " if result.pair_data.spec.directed else " – "
        decimals = _decimals(r[f"{name}_score"] for r in tables["pathways"].records())
        rows = [
            [
                _md_rank(r[f"{name}_rank"]),
                md_text(f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}"),
                _md_number(r[f"{name}_score"], decimals),
                *(_md_number(r[f"{d.name}_score"], decimals) for d in top_level),
            ]
            for r in pathways
        ]
        parts.append(f"## Top {len(pathways)} pathways\n")
        parts.append(
            _md_table(
                ["rank", "pathway", "score", *(d.title for d in top_level)],
                rows,
                [True, False, True, *(True for _ in top_level)],
            )
        )

    provenance = record["provenance"]
    lines = [
        f"- index file: `{provenance['index']['file']}`, SHA-256 `{provenance['index']['sha256']}`"
    ]
    lines += [
        f"- data: `{path}`, SHA-256 `{digest}`" for path, digest in provenance["data"].items()
    ]
    parameters = provenance["parameters"]
    lines.append(
        "- parameters: "
        + (", ".join(f"{md_text(k)} = {md_text(v)}" for k, v in parameters.items()) or "none")
    )
    lines.append(
        "- versions: "
        + ", ".join(f"{md_text(k)} {md_text(v)}" for k, v in provenance["versions"].items())
    )
    lines.append(f"- run id: `{run_id(record)}`")
    lines.append(f"- computed: {record['time']}")
    parts.append("## Provenance\n")
    parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


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
    for key, value in _stable(record).items():
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
    import datetime as _dt

    openpyxl = _require("xlsx")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.xml.functions import tostring

    from indexdsl.output.results import safe_text

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


# ---- Parquet ----------------------------------------------------------------------------------


def render_parquet(tables: dict[str, Table], record: dict) -> dict[str, bytes]:
    """One ``<table>.parquet`` per table; the run record (provenance and time) is in each
    file's key-value metadata under ``indexdsl.run``, and its id under ``indexdsl.run_id``."""
    _require("parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "text": pa.string(),
        "integer": pa.int64(),
        "real": pa.float64(),
        "boolean": pa.bool_(),
    }
    metadata = {
        "indexdsl.run": json.dumps(_canonical(record), sort_keys=True, ensure_ascii=False),
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


# ---- SQLite -----------------------------------------------------------------------------------

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,  -- a hash of the inputs: the same inputs, the same id
    index_name  TEXT NOT NULL,
    title       TEXT NOT NULL,
    edition     TEXT,
    parameters  TEXT NOT NULL,     -- JSON object: the parameter values of this run
    provenance  TEXT NOT NULL,     -- JSON: SHA-256 of the index and data files, versions
    record      TEXT NOT NULL,     -- JSON: the whole run record (run.json) but the time
    time        TEXT NOT NULL      -- when the run was made (UTC, ISO 8601)
);
CREATE TABLE IF NOT EXISTS units (
    run_id  TEXT NOT NULL REFERENCES runs (run_id),
    unit    TEXT NOT NULL,
    label   TEXT NOT NULL,
    groups  TEXT NOT NULL,         -- JSON object: group column -> group
    PRIMARY KEY (run_id, unit)
);
CREATE TABLE IF NOT EXISTS nodes (
    run_id          TEXT NOT NULL REFERENCES runs (run_id),
    node            TEXT NOT NULL,
    title           TEXT NOT NULL,
    parent          TEXT,
    depth           INTEGER NOT NULL,
    kind            TEXT NOT NULL,  -- index | dimension | indicator
    weight_written  TEXT,
    weight          REAL NOT NULL,
    aggregator      TEXT,
    normaliser      TEXT,
    better          TEXT,           -- higher | lower (indicators)
    illustrative    INTEGER NOT NULL,
    unit            TEXT,           -- the indicator's unit of measurement
    position        INTEGER NOT NULL,
    PRIMARY KEY (run_id, node)
);
CREATE TABLE IF NOT EXISTS scores (
    run_id  TEXT NOT NULL REFERENCES runs (run_id),
    level   TEXT NOT NULL CHECK (level IN ('unit', 'pair')),
    entity  TEXT NOT NULL,          -- a unit's key, or a pathway (`A – B`, `A → B`)
    node    TEXT NOT NULL,
    score   REAL,                   -- NULL: missing
    rank    INTEGER NOT NULL        -- 0: not ranked
);
CREATE INDEX IF NOT EXISTS scores_by_run ON scores (run_id, level, node, rank);
CREATE INDEX IF NOT EXISTS scores_by_entity ON scores (level, entity, node);
CREATE TABLE IF NOT EXISTS indicators (
    run_id     TEXT NOT NULL REFERENCES runs (run_id),
    unit       TEXT NOT NULL,
    indicator  TEXT NOT NULL,
    value      REAL,                -- the raw value, before normalisation
    PRIMARY KEY (run_id, unit, indicator)
);
CREATE TABLE IF NOT EXISTS pathways (
    run_id    TEXT NOT NULL REFERENCES runs (run_id),
    pathway   TEXT NOT NULL,        -- as `entity` in scores
    unit_a    TEXT NOT NULL,
    unit_b    TEXT NOT NULL,
    directed  INTEGER NOT NULL,
    score     REAL,
    rank      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pathways_by_run ON pathways (run_id, rank);
CREATE TABLE IF NOT EXISTS "groups" (
    run_id        TEXT NOT NULL REFERENCES runs (run_id),
    group_column  TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    node          TEXT NOT NULL,
    units         INTEGER NOT NULL,
    mean          REAL,
    median        REAL,
    min           REAL,
    max           REAL
);
"""

SQLITE_TABLES = ("runs", "units", "nodes", "scores", "indicators", "pathways", "groups")


def sqlite_rows(result: Result, tables: dict[str, Table], record: dict) -> dict[str, list[tuple]]:
    """The rows a run adds to each table of the database."""
    graph, data = result.graph, result.data
    rid = run_id(record)
    meta = record["index"]
    provenance = record["provenance"]
    out: dict[str, list[tuple]] = {name: [] for name in SQLITE_TABLES}
    out["runs"].append(
        (
            rid,
            meta["name"],
            meta["title"],
            meta.get("edition"),
            json.dumps(provenance["parameters"], sort_keys=True, ensure_ascii=False),
            json.dumps(_canonical(provenance), sort_keys=True, ensure_ascii=False),
            json.dumps(_stable(record), sort_keys=True, ensure_ascii=False),
            record["time"],
        )
    )
    for i, key in enumerate(data.keys):
        groups = {g: data.groups[g][i] for g in data.groups}
        out["units"].append((rid, key, data.labels[i], json.dumps(groups, sort_keys=True)))
    for position, r in enumerate(tables["nodes"].records()):
        out["nodes"].append((rid, *r.values(), position))
    order = list(graph.node_order)
    for i, key in enumerate(data.keys):
        for node in order:
            out["scores"].append(
                (
                    rid,
                    "unit",
                    key,
                    node,
                    _real(result.units.scores[node][i]),
                    int(result.units.ranks[node][i]),
                )
            )
    indicators = tables["indicators"]
    for row in indicators.rows:
        for column, value in zip(indicators.columns[1:], row[1:], strict=True):
            out["indicators"].append((rid, row[0], column.name, value))
    if result.pairs is not None:
        pairs = result.pair_data
        directed = pairs.spec.directed
        sep = " → " if directed else " – "
        root = graph.root
        for p in range(len(pairs.a)):
            a, b = data.keys[pairs.a[p]], data.keys[pairs.b[p]]
            entity = f"{a}{sep}{b}"
            for node in order:
                out["scores"].append(
                    (
                        rid,
                        "pair",
                        entity,
                        node,
                        _real(result.pairs.scores[node][p]),
                        int(result.pairs.ranks[node][p]),
                    )
                )
            out["pathways"].append(
                (
                    rid,
                    entity,
                    a,
                    b,
                    int(directed),
                    _real(result.pairs.scores[root][p]),
                    int(result.pairs.ranks[root][p]),
                )
            )
    if "groups" in tables:
        out["groups"] = [(rid, *row) for row in tables["groups"].rows]
    return out


def _open_database(path: Path) -> sqlite3.Connection:
    """Open (or create) a results database and check that it is one of ours."""
    if path.is_dir():
        raise OutputError(f"cannot write the database `{path}`: it is a folder", path)
    try:
        connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot open the database `{path}`: {exc}", path, str(exc)) from None
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        names = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise OutputError(
            f"`{path}` is not an indexdsl results database ({exc}); move it away or choose "
            "another folder with --out",
            path,
        ) from None
    if (names and version == 0) or version > SQLITE_SCHEMA_VERSION:
        connection.close()
        raise OutputError(
            f"`{path}` is not an indexdsl results database of schema version "
            f"{SQLITE_SCHEMA_VERSION} (it has version {version}); choose another output folder",
            path,
        )
    return connection


def write_sqlite(path: Path, rows: dict[str, list[tuple]]) -> None:
    """Add a run's rows to the database at ``path`` (created if needed) in one
    transaction: all of them or, on failure, none.  A run with the same id (the same
    inputs) replaces its earlier rows."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(path.parent, exc) from None
    created = not path.exists()
    try:
        connection = _open_database(path)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    try:
        connection.execute("BEGIN IMMEDIATE")
        # one statement at a time: executescript() would commit the transaction
        for statement in SQLITE_SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION}")
        rid = rows["runs"][0][0]
        for table in reversed(SQLITE_TABLES):
            connection.execute(f'DELETE FROM "{table}" WHERE run_id = ?', (rid,))
        for table in SQLITE_TABLES:
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows[table])
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        connection.close()
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise OutputError(f"cannot write the database `{path}`: {exc}", path, str(exc)) from None
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        connection.close()
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    connection.close()


# ---- writing --------------------------------------------------------------------------------


def output_error(path: Path, exc: OSError) -> OutputError:
    """What to tell the user when writing into ``path`` failed."""
    if isinstance(exc, OutputError):
        return exc
    if isinstance(exc, FileExistsError | NotADirectoryError):
        reason = "it, or a folder above it, is a file"
    elif isinstance(exc, IsADirectoryError):
        reason = f"`{exc.filename2 or exc.filename}` is a folder"
    else:
        reason = exc.strerror or str(exc)
    detail = f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else str(exc)
    if exc.filename:
        detail += f": `{exc.filename}`"
    return OutputError(f"cannot write the results to `{path}`: {reason}", path, detail)
