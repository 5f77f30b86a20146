"""Writing a run's results to an output folder: every node, every unit, every pathway.

Files are written to a temporary folder first and moved into place one by one with
``os.replace``, so a reader never sees a half-written file; files other than ours in
the output folder are left alone.  Apart from the time stamp in ``run.json``, the same
inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexdsl.diagnostics import Diagnostic
from indexdsl.evaluate import Result
from indexdsl.output.inert import FORMULA_PREFIXES, spreadsheet
from indexdsl.stats import spearman
from indexdsl.version import __version__

__all__ = ["FORMULA_PREFIXES", "safe_text"]

#: text a spreadsheet would run as a formula, neutralised (see :mod:`indexdsl.output.inert`)
safe_text = spreadsheet


def number(value: float) -> str:
    # `+ 0.0` turns a negative zero into 0.0
    return "" if value is None or np.isnan(value) else repr(float(value) + 0.0)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_text(h) for h in header])  # a column may be named `=HYPERLINK(…)`
    writer.writerows(rows)
    return buffer.getvalue()


#: a column of a results table: ("text", strings), ("number", floats) or ("int", ints)
Column = tuple[str, Sequence]

#: from this many cells on, a table is written by pyarrow's CSV writer when installed
LARGE_TABLE = 2_000_000


def _rank_order(ranks: np.ndarray, *keys: Sequence) -> np.ndarray:
    """Rows by rank (unranked last), then by the other keys (texts, or integer codes
    that sort as the texts do)."""
    ranks = np.where(np.asarray(ranks) == 0, 10**9, ranks)
    if len(ranks) * (len(keys) + 1) < LARGE_TABLE:
        return np.array(
            sorted(range(len(ranks)), key=lambda i: (ranks[i], *(k[i] for k in keys))),
            dtype=np.int64,
        )
    arrays = [
        np.asarray(k) if np.asarray(k).dtype.kind in "iu" else np.asarray(k, dtype=str)
        for k in reversed(keys)
    ]
    return np.lexsort((*arrays, ranks))


class StreamedCsv:
    """A results table of millions of cells, written straight to its file by pyarrow's
    CSV writer in batches of rows when the outputs are staged: neither the table's text
    nor all of its rows are ever held in memory at once."""

    BATCH = 500_000

    def __init__(self, header: list[str], columns: list[Column], order: np.ndarray):
        self.header, self.columns, self.order = header, columns, order

    def write_to(self, stream) -> None:
        import pyarrow.csv as pa_csv

        head = io.StringIO()
        csv.writer(head, lineterminator="\n").writerow([safe_text(h) for h in self.header])
        stream.write(head.getvalue().encode("utf-8"))
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        for start in range(0, len(self.order), self.BATCH):
            rows = self.order[start : start + self.BATCH]
            pa_csv.write_csv(_arrow_table(self.columns, rows), stream, write_options=options)

    def text(self) -> str:
        buffer = io.BytesIO()
        self.write_to(buffer)
        return buffer.getvalue().decode("utf-8")


def _table_csv(header: list[str], columns: list[Column], order: np.ndarray) -> str | StreamedCsv:
    """A results table as CSV, its rows in ``order``.  Numbers are written as Python's
    ``repr`` writes them (the shortest text that reads back exactly).  A table of
    millions of cells goes to pyarrow's CSV writer when pyarrow is installed: the same
    values, exact too, written as Arrow writes numbers (`100` for `100.0`, `1e-05` as
    `0.00001`), minutes faster than formatting each cell in Python."""
    if len(header) * len(order) >= LARGE_TABLE and _has_pyarrow():
        return StreamedCsv(header, columns, order)
    formatted = []
    for kind, values in columns:
        if kind == "number":
            formatted.append([number(values[i]) for i in order])
        elif kind == "int":
            formatted.append([str(values[i]) for i in order])
        else:  # text columns arrive neutralised (safe_text), as for the arrow writer
            formatted.append([values[i] for i in order])
    return _csv(header, [list(row) for row in zip(*formatted, strict=True)])


def _has_pyarrow() -> bool:
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def _arrow_table(columns: list[Column], rows: np.ndarray):
    import pyarrow as pa

    arrays = []
    for kind, values in columns:
        if kind == "number":
            # `+ 0.0` turns a negative zero into 0.0; NaN becomes an empty cell
            arrays.append(pa.array(np.asarray(values, dtype=float)[rows] + 0.0, from_pandas=True))
        elif kind == "int":
            arrays.append(pa.array(np.asarray(values, dtype=np.int64)[rows]))
        else:
            arrays.append(pa.array(np.asarray(values, dtype=object)[rows], type=pa.string()))
    return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])


def by_construction(result: Result, node: str) -> list[str]:
    """The indicators under ``node`` whose illustrative values were generated to
    reproduce the published ranks (`illustrative … tuned to reference`): where there
    are any, agreement with the published ranks is reached by construction, and every
    output says so."""
    tuned = result.graph.tuned
    if not tuned:
        return []
    spec = next(n for n in result.graph.model.root.walk() if n.name == node)
    return sorted({n.indicator for n in spec.walk_index() if n.is_leaf and n.indicator in tuned})


def agreement(result: Result) -> dict[str, dict]:
    """Computed vs reference (published) ranks, per node that declares `reference ranks`."""
    out = {}
    for node, published in result.data.references.items():
        computed = result.units.ranks[node].astype(float)
        computed[computed == 0] = np.nan  # rank 0 marks a missing score
        published = np.where(np.isnan(computed), np.nan, published)
        exact = int(np.sum(computed == published))
        out[node] = {
            "spearman": spearman(computed, published),
            "exact": exact,
            "n": int(np.sum(~np.isnan(published))),
            "max_abs_difference": float(np.nanmax(np.abs(computed - published))),
            "by_construction": by_construction(result, node),
        }
    return out


def pathway_agreement(result: Result) -> dict[str, dict]:
    """Computed vs published pathway ranks, per node with `reference pathway ranks`.

    Reports publish the top of a pathway ranking (a top 10), so besides the pathways
    given the same rank, it counts how many of the published top are in the computed
    top of the same size (``in_top``: the published top 10 and the computed top 10
    share that many pathways).  Pathways without a score, and published rows that name
    no pathway scored (``unmatched``), are left out and counted."""
    out: dict[str, dict] = {}
    if result.pairs is None:
        return out
    for node, (published, unmatched) in result.data.pathway_references.items():
        computed = result.pairs.ranks[node].astype(float)
        computed[computed == 0] = np.nan
        has = ~np.isnan(published)
        scored = has & ~np.isnan(computed)
        top = max([*published[has].tolist(), *unmatched], default=math.nan)
        out[node] = {
            "published": int(has.sum()) + len(unmatched),
            "compared": int(scored.sum()),
            "not_scored": int((has & np.isnan(computed)).sum()) + len(unmatched),
            "exact": int(np.sum(computed[scored] == published[scored])),
            "top": None if math.isnan(top) else int(top),
            "in_top": int(np.sum(computed[scored] <= top)) if has.any() else 0,
            "spearman": spearman(computed[scored], published[scored]),
        }
    return out


#: what a rank change against the previous edition is called in reports
MARKERS = {"up": "rose", "same": "unchanged", "down": "dropped", "new": "new"}


def rank_changes(result: Result, node: str) -> list[str]:
    """Per unit: `rose +3`, `unchanged`, `dropped -2` or `new` (no previous rank);
    empty for a unit without a score."""
    previous = result.data.previous[node]
    ranks = result.units.ranks[node]
    out = []
    for before, now in zip(previous, ranks, strict=True):
        if now == 0:
            out.append("")
        elif np.isnan(before):
            out.append(MARKERS["new"])
        elif before == now:
            out.append(MARKERS["same"])
        else:
            moved = int(before - now)
            out.append(f"{MARKERS['up' if moved > 0 else 'down']} {moved:+d}")
    return out


def top_tier(result: Result, node: str) -> np.ndarray:
    """Whether each unit is in the node's top tier (`top 10%`): its rank is within the
    best ceil(share × units scored) ranks, so ties at the boundary are all in."""
    ranks = result.units.ranks[node]
    scored = int((ranks > 0).sum())
    cutoff = math.ceil(result.graph.nodes[node].top * scored - 1e-9)
    return (ranks > 0) & (ranks <= cutoff)


def group_summaries(result: Result):
    """(group column, group, node, statistics) for the index and its dimensions."""
    graph, data = result.graph, result.data
    nodes = [graph.root] + [c.name for c in graph.model.root.children if not c.is_leaf]
    for column, values in data.groups.items():
        labels = np.array(values, dtype=object)
        for group in sorted(set(values)):
            members = labels == group
            for node in nodes:
                scores = result.units.scores[node][members]
                scores = scores[~np.isnan(scores)]
                yield (
                    column,
                    group,
                    node,
                    {
                        "units": int(members.sum()),
                        "mean": float(scores.mean()) if scores.size else math.nan,
                        "median": float(np.median(scores)) if scores.size else math.nan,
                        "min": float(scores.min()) if scores.size else math.nan,
                        "max": float(scores.max()) if scores.size else math.nan,
                    },
                )


def agreed_scores(entry: dict) -> str:
    """One node's score agreement in words, for every output that shows it: `17 of 20
    (1 decimals)`, or `(within 0.001)` with a `reference tolerance`."""
    basis = (
        f"({entry['decimals']} decimals)"
        if entry.get("tolerance") is None
        else f"(within {entry['tolerance']:g})"
    )
    return f"{entry['agree']} of {entry['compared']} {basis}"


def score_agreement(result: Result) -> dict[str, dict]:
    """Computed vs published scores, per node that declares `reference scores`.

    A computed score agrees when it rounds to the published value at the number of
    decimals the published column carries (|computed − published| ≤ half a unit of the
    last decimal).  Units without a published value, or without a computed score, are
    counted separately.
    """
    out = {}
    for node, (published, decimals) in result.data.reference_scores.items():
        computed = result.units.scores[node]
        both = ~np.isnan(computed) & ~np.isnan(published)
        difference = np.abs(computed - published)
        tolerance = result.graph.nodes[node].reference_tolerance
        half_unit = 0.5 * 10.0**-decimals + 1e-12 if tolerance is None else tolerance + 1e-15
        agree = both & (difference <= half_unit)
        out[node] = {
            "decimals": decimals,
            "tolerance": tolerance,
            "compared": int(both.sum()),
            "agree": int(agree.sum()),
            "disagree": [result.data.keys[i] for i in np.nonzero(both & ~agree)[0]],
            "published_without_score": int((~np.isnan(published) & np.isnan(computed)).sum()),
            "max_abs_difference": float(difference[both].max()) if both.any() else None,
            "by_construction": by_construction(result, node),
        }
    return out


def preparation_rows(result: Result) -> list[dict]:
    """One entry per indicator that was imputed or treated: the treatment log."""
    keys = result.data.keys
    out = []
    for leaf, log in result.units.preparation.items():
        if not log:
            continue
        treatment = log.get("treatment", {})
        skew = treatment.get("skewness", [np.nan, np.nan])
        kurt = treatment.get("kurtosis", [np.nan, np.nan])
        out.append(
            {
                "indicator": leaf,
                "imputation": log.get("imputation", {}).get("method", ""),
                "imputed": len(log.get("imputed", [])),
                "imputed_units": [keys[i] for i in log.get("imputed", [])],
                "treatment": treatment.get("method", ""),
                "treated": treatment.get("method", "") if treatment else "",
                "points": int(treatment.get("points", 0)),
                "treated_units": [keys[i] for i in treatment.get("units", [])],
                "skewness_before": skew[0],
                "skewness_after": skew[1],
                "kurtosis_before": kurt[0],
                "kurtosis_after": kurt[1],
            }
        )
        # `treatment` is the method as written; `treated` what it did to this indicator
        out[-1]["treatment"] = _written_treatment(result, leaf)
    return out


def _written_treatment(result: Result, leaf: str) -> str:
    treatment = result.graph.nodes[leaf].treatment
    return treatment.describe() if treatment is not None else ""


def screened_units(result: Result) -> list[str]:
    screened = result.units.screened
    if screened is None:
        return []
    return [key for key, out in zip(result.data.keys, screened, strict=True) if out]


def tables(result: Result) -> dict[str, str]:
    """The CSV files of a run, by file name."""
    graph, data = result.graph, result.data
    order = list(graph.node_order)
    files: dict[str, str] = {}

    group_names = list(data.groups)
    header = ["unit", "label", *group_names]
    keys_text = [safe_text(k) for k in data.keys]
    columns: list[Column] = [("text", keys_text), ("text", [safe_text(x) for x in data.labels])]
    columns += [("text", [safe_text(x) for x in data.groups[g]]) for g in group_names]
    if result.units.screened is not None:
        header += ["screened_out"]
        columns.append(("text", ["yes" if s else "" for s in result.units.screened]))
    changes = {node: rank_changes(result, node) for node in data.previous}
    tiers = {node: top_tier(result, node) for node in order if graph.nodes[node].top}
    for node in order:
        header += [f"{node}_score", f"{node}_rank"]
        columns += [("number", result.units.scores[node]), ("int", result.units.ranks[node])]
        if node in changes:
            header += [f"{node}_previous_rank", f"{node}_change"]
            previous = data.previous[node]
            columns += [
                ("text", ["" if np.isnan(p) else str(int(p)) for p in previous]),
                ("text", list(changes[node])),
            ]
        if node in tiers:
            header += [f"{node}_top"]
            columns.append(("text", ["yes" if top else "" for top in tiers[node]]))
    root_ranks = np.asarray(result.units.ranks[graph.root])
    files["units.csv"] = _table_csv(header, columns, _rank_order(root_ranks, keys_text))
    if data.groups:
        files["groups.csv"] = _csv(
            ["group_column", "group", "node", "units", "mean", "median", "min", "max"],
            [
                [
                    safe_text(column),
                    safe_text(group),
                    safe_text(node),
                    str(s["units"]),
                    number(s["mean"]),
                    number(s["median"]),
                    number(s["min"]),
                    number(s["max"]),
                ]
                for column, group, node, s in group_summaries(result)
            ],
        )

    # values per unit only: an indicator that is a value per pair has no row per unit
    indicators = [n for n, ind in graph.model.indicators.items() if ind.level != "pair"]
    columns = [("text", keys_text)]
    columns += [
        ("number", np.broadcast_to(result.units.raw[name], (data.n_units,))) for name in indicators
    ]
    files["indicators.csv"] = _table_csv(["unit", *indicators], columns, np.arange(data.n_units))

    log = preparation_rows(result)
    if log:
        files["treatment.csv"] = _csv(
            [
                "indicator",
                "imputation",
                "imputed",
                "imputed_units",
                "treatment",
                "treated",
                "points",
                "treated_units",
                "skewness_before",
                "skewness_after",
                "kurtosis_before",
                "kurtosis_after",
            ],
            [
                [
                    safe_text(entry["indicator"]),
                    safe_text(entry["imputation"]),
                    str(entry["imputed"]),
                    safe_text(" ".join(entry["imputed_units"])),
                    safe_text(entry["treatment"]),
                    safe_text(entry["treated"]),
                    str(entry["points"]),
                    safe_text(" ".join(entry["treated_units"])),
                    number(entry["skewness_before"]),
                    number(entry["skewness_after"]),
                    number(entry["kurtosis_before"]),
                    number(entry["kurtosis_after"]),
                ]
                for entry in log
            ],
        )

    rows = []
    parents = {c.name: n.name for n in graph.nodes.values() for c in n.children}
    used = _weights_as_used(result)
    for node_name in order:
        node = graph.nodes[node_name]
        rows.append(
            [
                safe_text(node_name),
                safe_text(node.title),
                safe_text(parents.get(node_name, "")),
                str(node.depth),
                "indicator" if node.is_leaf else "dimension" if node.depth else "index",
                safe_text(node.weight_text),
                repr(used.get(node_name, node.weight)),
                safe_text(node.aggregator.describe()) if node.aggregator else "",
                safe_text(node.normaliser.describe()) if node.normaliser else "",
                "lower"
                if node.is_leaf and not graph.model.indicators[node_name].higher_is_better
                else ("higher" if node.is_leaf else ""),
                "yes" if node.is_leaf and node_name in graph.illustrative else "",
                safe_text(graph.model.indicators[node_name].unit or "") if node.is_leaf else "",
            ]
        )
    files["nodes.csv"] = _csv(
        [
            "node",
            "title",
            "parent",
            "depth",
            "kind",
            "weight_written",
            "weight",
            "aggregator",
            "normaliser",
            "better",
            "illustrative",
            "unit",
        ],
        rows,
    )

    if result.pairs is not None:
        pairs = result.pair_data
        header = ["unit_a", "unit_b"]
        names = np.array(keys_text, dtype=object)
        columns = [("text", names[pairs.a]), ("text", names[pairs.b])]
        for node in order:
            header += [f"{node}_score", f"{node}_rank"]
            columns += [("number", result.pairs.scores[node]), ("int", result.pairs.ranks[node])]
        ranks = np.asarray(result.pairs.ranks[graph.root])
        # pathways sort by their units' keys: each key's place in sorted order stands in
        place = np.empty(len(keys_text), dtype=np.int64)
        place[sorted(range(len(keys_text)), key=keys_text.__getitem__)] = np.arange(len(keys_text))
        order_rows = _rank_order(ranks, place[pairs.a], place[pairs.b])
        files["pathways.csv"] = _table_csv(header, columns, order_rows)
    return files


def provenance(result: Result, index_path: Path, warnings: list[Diagnostic], registry) -> dict:
    model = result.graph.model
    used_plugins: dict[str, set[str]] = {}  # top-level package -> its modules used
    components = [n.aggregator for n in result.graph.nodes.values()]
    components += [n.normaliser for n in result.graph.nodes.values()]
    components += [spec.loader for spec in [model.units, *model.pairs.values()]]
    for comp in components:
        if comp is not None:
            module = type(comp).__module__
            used_plugins.setdefault(module.split(".")[0], set()).add(module)
    versions = {"indexdsl": __version__}
    for name, modules in sorted(used_plugins.items()):
        infos = [] if registry is None else [registry.distribution(m) for m in sorted(modules)]
        shipped = [i for i in infos if i is not None and i.distribution == "indexdsl"]
        if shipped:  # a plugin shipped with indexdsl has indexdsl's version
            versions[name] = shipped[0].version
            continue
        try:
            from importlib.metadata import version

            versions[name] = version(name.replace("_", "-"))
        except Exception:
            versions[name] = "unknown"
    return {
        "index": {"file": model.file, "sha256": _sha256(str(index_path))},
        "data": {shown: _sha256(path) for shown, path in sorted(result.data.files.items())},
        "versions": versions,
        "parameters": dict(sorted(model.parameters.items())),
        "seed": None,
    }


def run_record(result: Result, index_path: Path, warnings: list[Diagnostic], registry) -> dict:
    model = result.graph.model
    meta = model.meta
    illustrative = sorted(result.graph.illustrative)
    weight_share = illustrative_share(result)
    return {
        "index": {
            "name": meta.name,
            "title": meta.title,
            "edition": meta.edition,
            "description": meta.description,
            "sources": list(meta.sources),
            **dict(meta.extra),
            **({"requires": list(meta.requires)} if meta.requires else {}),
        },
        "units": {"name": model.units.name, "count": result.data.n_units},
        "pathways": None
        if result.pairs is None
        else {
            "table": model.pathways,
            "count": int(len(result.pair_data.a)),
            "left_out": [
                {"rule": f"exclude same {column}", "pairs": count}
                for column, count in result.pair_data.excluded
            ],
        },
        "illustrative": {
            "indicators": illustrative,
            "weight_share": weight_share,
            "tuned_to_reference": sorted(result.graph.tuned),
        },
        "preparation": {
            "screen": result.graph.model.root.screen,
            "screened_out": screened_units(result),
            "indicators": preparation_rows(result),
        },
        "fitted": _fitted(result, result.units),
        "fitted_pathways": None if result.pairs is None else _fitted(result, result.pairs),
        "agreement_with_reference_ranks": agreement(result),
        "agreement_with_reference_scores": score_agreement(result),
        "agreement_with_reference_pathway_ranks": pathway_agreement(result),
        "warnings": [d.to_dict() for d in warnings],
        "provenance": provenance(result, index_path, warnings, registry),
    }


def _fitted(result: Result, level) -> dict:
    """Each leaf's normaliser state; for a reverse indicator under a normaliser that
    works on oriented values, the state refers to the negated values, and says so."""
    out = {}
    for node, state in level.fitted.items():
        entry = {
            k: v if isinstance(v, dict | str) else np.asarray(v).tolist() for k, v in state.items()
        }
        leaf = result.graph.nodes[node]
        if not leaf.is_leaf:  # an inner node's weights, chosen by a weighting scheme
            out[node] = entry
            continue
        indicator = result.graph.model.indicators[leaf.indicator]
        if not indicator.higher_is_better and not leaf.normaliser.raw_units:
            entry["values"] = "negated (lower is better)"
        out[node] = entry
    return out


def _weights_as_used(result: Result) -> dict[str, float]:
    """Each node's weight within its parent as the evaluation used it: a weighting
    scheme's choice where the parent has one, else the written weight."""
    out: dict[str, float] = {}
    for parent, weights in result.units.weights.items():
        if np.ndim(weights) != 1:  # weights that differ by unit have no single value
            continue
        for child, weight in zip(result.graph.nodes[parent].children, weights, strict=True):
            out[child.name] = float(weight)
    return out


def illustrative_share(result: Result) -> float:
    """Share of the index's total weight carried by illustrative indicators."""
    share = 0.0

    def visit(node, weight):
        nonlocal share
        if node.is_leaf:
            if node.name in result.graph.illustrative:
                share += weight
            return
        for child in node.children:
            visit(child, weight * child.weight)

    visit(result.graph.model.root, 1.0)
    return round(share, 12)
