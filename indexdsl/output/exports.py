"""What every output format shares: the typed result tables, the run id, ``--format``.

``indexdsl run --format csv,json,md,sqlite,xlsx,parquet,html`` (docs/how-to/export-results.md).
Each format is an :class:`~indexdsl.components.Exporter` registered through the
``indexdsl_register_exporters`` hook (the built-in ones in ``indexdsl_builtins.export_*``,
one module per format, each owning its renderer); this module resolves ``--format``
through the registry and holds what every format shares: the typed tables and the run id.
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

import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from indexdsl.diagnostics import Diagnostic, IndexdslError, UsageError
from indexdsl.errors import output as errors

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.components import Exporter
    from indexdsl.evaluate import Result
    from indexdsl.plugins import Registry


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
        return errors.results_not_written(self.message, self.reason)


# ---- the --format option ----------------------------------------------------------------


def format_option(text: str) -> tuple[str, ...]:
    """argparse ``type`` of ``--format``: ``json,md`` → ``("json", "md")``; the names are
    checked against the registry by :func:`exporters`, before anything is computed."""
    return tuple(name.strip().lower() for name in text.split(",") if name.strip())


def _names(formats: str | Iterable[str | Iterable[str]] | None, registry: Registry) -> list[str]:
    if formats is None:  # the format an exporter declares the default (`role_default`)
        default = registry.default("exporter")
        return [default.cls.name] if default is not None else []
    names: list[str] = []
    for item in [formats] if isinstance(formats, str) else formats:
        names += list(format_option(item) if isinstance(item, str) else item)
    return names


def with_default(formats, registry: Registry):
    """``--format`` as the run writes it: the formats asked for, and the default format
    (the tables) before them; None (the default alone) stays None."""
    default = registry.default("exporter")
    if formats is None or default is None or default.cls.name in _names(formats, registry):
        return formats
    return [(default.cls.name,), *formats]


def available(registry: Registry) -> list[str]:
    """Every output format, the built-in ones first in their own order, then the others
    by name."""
    provided = registry.components["exporter"]
    builtin = [n for n, p in provided.items() if _is_builtin(registry, p.plugin)]
    return builtin + sorted(n for n in provided if n not in builtin)


def _is_builtin(registry: Registry, plugin: str) -> bool:
    info = registry.distribution(plugin)
    return info is not None and info.distribution == "indexdsl"


def exporters(
    formats: str | Iterable[str | Iterable[str]] | None, registry: Registry
) -> list[Exporter]:
    """The exporters of the formats asked for, each once, in the order of
    :func:`available`; ``None`` means the format an exporter declares the
    default (``role_default``).  Accepts what ``--format`` collects (a list
    of tuples) as well as plain names or ``"csv,json"``.  Raises :class:`UsageError` for
    an unknown format (with the close matches) or one whose library is missing."""
    names = _names(formats, registry)
    order = available(registry)
    if not names and formats is None:
        raise UsageError(
            "no installed exporter offers a default output format (is its plugin disabled?); "
            f"choose one with `--format`: {', '.join(order) or 'none is installed'}"
        )
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
            modules, extra = exporter.requires
            for module in (modules,) if isinstance(modules, str) else modules:
                require(exporter.name, module, extra)
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


def table_csv(table: Table) -> str:
    """A typed table as a CSV file, as the run's other CSV files write their cells: text
    neutralised against formulas, numbers in full (``repr``), ``yes`` or empty for a
    boolean, an empty cell for a missing value."""
    import csv
    import io

    from indexdsl.output.results import safe_text

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else ""
        if isinstance(value, float):
            return repr(value + 0.0) if math.isfinite(value) else ""
        if isinstance(value, str):
            return safe_text(value)
        return str(value)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_text(c.name) for c in table.columns])
    writer.writerows([[cell(v) for v in row] for row in table.rows])
    return buffer.getvalue()


def real(value) -> float | None:
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
            row += [real(result.units.scores[node][i]), int(result.units.ranks[node][i])]
            if node in changes:
                previous = real(data.previous[node][i])
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
                    *(real(s[k]) for k in ("mean", "median", "min", "max")),
                )
                for column, group, node, s in group_summaries(result)
            ),
        )

    indicators = [n for n, ind in graph.model.indicators.items() if ind.level != "pair"]
    out["indicators"] = Table(
        "indicators",
        (Column("unit", "text"), *(Column(name, "real") for name in indicators)),
        tuple(
            (key, *(real(result.units.raw[name][i]) for name in indicators))
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
                row += [real(result.pairs.scores[node][p]), int(result.pairs.ranks[node][p])]
            rows.append((int(result.pairs.ranks[root][p]) or 10**9, tuple(row)))
        rows.sort(key=lambda r: (r[0], safe_text(r[1][0]), safe_text(r[1][1])))
        out["pathways"] = Table("pathways", tuple(columns), tuple(r for _, r in rows))
    return out


def canonical(value) -> Any:
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


def stable(record: dict) -> dict:
    """The run record without the time (and the paths written, which ``--json`` adds)."""
    return canonical({k: v for k, v in record.items() if k not in ("time", "outputs")})


def run_id(record: dict) -> str:
    """A run's id: a hash of its run record without the time, so that the same inputs
    (index file, data, parameters, versions) give the same id."""
    text = json.dumps(stable(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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
