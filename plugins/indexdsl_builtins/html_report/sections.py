"""What each section of the HTML report shows, as plain values for its template.

A builder per section takes the run (its :class:`~indexdsl.evaluate.Result`, the typed
tables and the run record) and returns the section's content: text, numbers already
written as the page shows them, and charts.  It decides what is shown and in which
order; the templates in ``templates/`` decide the markup and escape every value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .charts import Charts, decimals, heat_colour, short

#: units drawn in the bar chart of the overall scores (the table lists every unit)
CHART_UNITS = 60
#: pathways listed
TOP_PATHWAYS = 20
#: columns of the heat map before it keeps to the nodes above the indicators
HEATMAP_COLUMNS = 40
#: groups of one `groups` column shown (more are in the tables of the other formats)
MAX_GROUPS = 40
#: units with a profile (radar) chart: the best ones
PROFILE_UNITS = 12
#: units in the heat map of pathway scores: the best ones
MATRIX_UNITS = 30


def number(value: float | None, places: int) -> str:
    """A score as the page shows it; a dash for none."""
    return "–" if value is None else f"{value:.{places}f}"


def rank(value: int | None) -> str:
    """A rank as the page shows it; a dash for a unit that is not ranked."""
    return str(value) if value else "–"


def _cut(shown: Sequence, total: Sequence) -> dict | None:
    """Says how many of how many a chart shows, when it does not show them all."""
    return {"shown": len(shown), "total": len(total)} if len(total) > len(shown) else None


def header(result: Any, record: dict) -> dict:
    """The page's header: title, facts, description, metadata and the banner for
    illustrative data."""
    model, data = result.graph.model, result.data
    root, meta = model.root, record["index"]
    facts = []
    if meta.get("edition"):
        facts.append(f"edition {meta['edition']}")
    if model.parameters:
        facts.append(", ".join(f"{k} = {v}" for k, v in sorted(model.parameters.items())))
    unit_title = model.units.title.lower() if model.units.title != model.units.name else "units"
    leaves = sum(1 for n in root.walk() if n.is_leaf)
    facts.append(f"{data.n_units} {unit_title}")
    facts.append(f"{leaves} indicators")
    if result.pairs is not None:
        facts.append(f"{len(result.pair_data.a)} pathways")
    skip = {"name", "title", "edition", "description", "sources"}
    details = [(k, v) for k, v in meta.items() if k not in skip and v]
    details += [("source", s) for s in meta.get("sources") or ()]
    illustrative = record["illustrative"]
    banner = None
    if illustrative["indicators"]:
        banner = {
            "count": len(illustrative["indicators"]),
            "leaves": leaves,
            "share": f"{illustrative['weight_share']:.0%}",
            "indicators": illustrative["indicators"],
        }
    return {
        "title": meta["title"],
        "facts": facts,
        "description": meta.get("description"),
        "details": details,
        "banner": banner,
    }


def ranking(charts: Charts, result: Any, tables: dict, units: list[dict]) -> dict:
    """The overall ranking: a bar chart of the best units and a table of every unit, with
    published ranks, the previous edition and the top share where the index has them."""
    data, root = result.data, result.graph.model.root
    name = root.name
    position = {key: i for i, key in enumerate(data.keys)}
    places = decimals(r[f"{name}_score"] for r in units)
    reference = data.references.get(name)
    groups = list(data.groups)[:2]
    header = ["rank", result.graph.model.units.title, *groups, "score"]
    numeric = [True, False, *(False for _ in groups), True]
    has_change = f"{name}_change" in tables["units"].names
    has_top = f"{name}_top" in tables["units"].names
    if reference is not None:
        header += ["published rank", "Δ"]
        numeric += [True, True]
    if has_change:
        header += ["previous rank", "vs previous edition"]
        numeric += [True, False]
    if has_top:
        header.append(f"top {root.top:.0%}")
        numeric.append(False)
    rows, classes = [], []
    for r in units:
        row = [rank(r[f"{name}_rank"]), r["label"], *(r[g] for g in groups)]
        row.append(number(r[f"{name}_score"], places))
        css = [""] * len(row)
        if reference is not None:
            published = reference[position[r["unit"]]]
            now = r[f"{name}_rank"]
            delta = int(published - now) if now and not math.isnan(published) else 0
            row.append("–" if math.isnan(published) else str(int(published)))
            row.append(f"{delta:+d}" if delta else "")
            css += ["", "up" if delta > 0 else "down" if delta < 0 else ""]
        if has_change:
            change = r[f"{name}_change"] or ""
            row += [rank(r[f"{name}_previous_rank"]), change]
            css += ["", "up" if "+" in change else "down" if change.startswith("dropped") else ""]
        if has_top:
            row.append("★" if r[f"{name}_top"] else "")
            css.append("")
        rows.append(row)
        classes.append(css)
    shown = units[:CHART_UNITS]
    chart = charts.bars(
        [r["label"] for r in shown],
        [r[f"{name}_score"] for r in shown],
        f"{root.title}: score of each unit",
    )
    return {
        "id": "ranking",
        "heading": f"{root.title}: overall ranking",
        "chart": chart,
        "cut": _cut(shown, units),
        "header": header,
        "numeric": numeric,
        "rows": rows,
        "classes": classes,
    }


def changes(charts: Charts, result: Any, units: list[dict]) -> dict | None:
    """Rank changes against the previous edition, or else against the published ranks."""
    data, name = result.data, result.graph.model.root.name
    position = {key: i for i, key in enumerate(data.keys)}
    if name in data.previous:
        against, before_ranks = "the previous edition", data.previous[name]
    elif name in data.references:
        against, before_ranks = "the published ranks", data.references[name]
    else:
        return None
    moves: list[tuple[str, int]] = []
    for r in units:
        before, now = before_ranks[position[r["unit"]]], r[f"{name}_rank"]
        if now and not math.isnan(before):
            moves.append((r["label"], int(before) - now))
    if not moves:
        return None
    up = sum(1 for _, m in moves if m > 0)
    down = sum(1 for _, m in moves if m < 0)
    chart = (
        charts.changes(
            [m[0] for m in moves], [m[1] for m in moves], f"Rank changes against {against}"
        )
        if up or down
        else ""
    )
    return {
        "id": "changes",
        "heading": f"Rank changes against {against}",
        "against": against,
        "up": up,
        "down": down,
        "same": len(moves) - up - down,
        "compared": len(moves),
        "chart": chart,
    }


def dimensions(result: Any, units: list[dict], dims: Sequence[Any]) -> dict | None:
    """A ranking table for each top-level dimension, and for each sub-dimension whose
    published ranks the file gives (a report that publishes them prints them)."""
    if not dims:
        return None
    data = result.data
    position = {key: i for i, key in enumerate(data.keys)}
    blocks = []
    shown = [(d, d.title) for d in dims]
    for dim in dims:
        below = [c for c in dim.children if not c.is_leaf]
        if any(c.name in data.references for c in below):
            shown += [(c, f"{dim.title} › {c.title}") for c in below]
    for dim, title in shown:
        key = dim.name
        ordered = sorted(units, key=lambda r, k=key: (r[f"{k}_rank"] or 10**9, r["unit"]))
        places = decimals(r[f"{key}_score"] for r in ordered)
        ref = data.references.get(key)
        header = ["rank", result.graph.model.units.title, "score"]
        header += ["published"] if ref is not None else []
        rows = []
        for r in ordered:
            row = [rank(r[f"{key}_rank"]), r["label"], number(r[f"{key}_score"], places)]
            if ref is not None:
                published = ref[position[r["unit"]]]
                row.append("–" if math.isnan(published) else str(int(published)))
            rows.append(row)
        blocks.append(
            {
                "title": title,
                "weight": getattr(dim, "weight_text", ""),
                "header": header,
                "numeric": [True, False, True, True][: len(header)],
                "rows": rows,
            }
        )
    return {"id": "dimensions", "heading": "Ranking in each dimension", "blocks": blocks}


def profiles(charts: Charts, units: list[dict], dims: Sequence[Any], root: str) -> dict | None:
    """A radar (or bar) profile of the best units' scores in the top-level dimensions."""
    ranked = [r for r in units if r[f"{root}_rank"]]
    shown = ranked[:PROFILE_UNITS]
    if len(dims) < 2 or not shown:
        return None
    means = []
    for dim in dims:
        values = [r[f"{dim.name}_score"] for r in units if r[f"{dim.name}_score"] is not None]
        means.append(sum(values) / len(values) if values else None)
    chart = charts.profiles(
        [f"{r[f'{root}_rank']}. {r['label']}" for r in shown],
        [d.title for d in dims],
        [[r[f"{d.name}_score"] for d in dims] for r in shown],
        means,
        "Profiles of the best units in the top-level dimensions",
    )
    return {
        "id": "profiles",
        "heading": "Profiles of the best units",
        "note": f"The {len(shown)} best of {len(ranked)} units"
        if len(ranked) > len(shown)
        else "Every unit, best first",
        "chart": chart,
    }


def heatmap(result: Any, units: list[dict], dims: Sequence[Any]) -> dict | None:
    """Every unit's score at every node (only the nodes above the indicators when there
    are too many), each cell shaded by its place in its column's range."""
    graph = result.graph
    nodes = [n for n in graph.node_order if n != graph.root]
    if len(nodes) > HEATMAP_COLUMNS:
        nodes = [n for n in nodes if not graph.nodes[n].is_leaf] or [d.name for d in dims]
    if not nodes:
        return None
    columns, cells = [], []
    for n in nodes:
        node = graph.nodes[n]
        mark = " †" if node.is_leaf and n in graph.illustrative else ""
        heading = f"{node.title}{mark}"
        scores = [r[f"{n}_score"] for r in units]
        present = [s for s in scores if s is not None]
        low, high = (min(present), max(present)) if present else (0.0, 0.0)
        places = min(decimals(scores), 1 if present and max(present) > 1 else 2)
        columns.append({"name": n, "heading": heading, "short": short(heading, 32)})
        column = []
        for value in scores:
            if value is None:
                column.append(None)
                continue
            background, ink = heat_colour((value - low) / (high - low) if high > low else 0.5)
            column.append({"background": background, "ink": ink, "text": f"{value:.{places}f}"})
        cells.append(column)
    rows = [
        {"label": r["label"], "cells": [column[i] for column in cells]} for i, r in enumerate(units)
    ]
    return {
        "id": "heatmap",
        "heading": "Scores at every node",
        "illustrative": bool(graph.illustrative),
        "map": {"columns": columns, "rows": rows},
    }


def agreement(result: Any) -> dict | None:
    """How the computed ranks and scores agree with the published ones."""
    from indexdsl.output.results import agreed_scores, pathway_agreement, score_agreement
    from indexdsl.output.results import agreement as rank_agreement

    graph = result.graph
    tables = []
    ranks = rank_agreement(result)
    if ranks:
        constructed = any(a["by_construction"] for a in ranks.values())
        rows = [
            [
                graph.nodes[n].title,
                f"{a['spearman']:.3f}" if math.isfinite(a["spearman"]) else "–",
                f"{a['exact']} of {a['n']}",
                str(int(a["max_abs_difference"])),
                *(
                    [
                        f"yes ({len(a['by_construction'])} indicators)"
                        if a["by_construction"]
                        else "no"
                    ]
                    if constructed
                    else []
                ),
            ]
            for n, a in ((n, ranks[n]) for n in graph.node_order if n in ranks)
        ]
        header = ["node", "Spearman ρ", "same rank", "largest gap"]
        header += ["by construction"] if constructed else []
        numeric = [False, True, True, True] + ([False] if constructed else [])
        tables.append({"header": header, "numeric": numeric, "rows": rows})
    pathway_ranks = pathway_agreement(result)
    if pathway_ranks:
        rows = [
            [
                graph.nodes[n].title + " (pathways)",
                f"{a['spearman']:.3f}" if math.isfinite(a["spearman"]) else "–",
                f"{a['exact']} of {a['compared']}",
                f"{a['in_top']} in the top {a['top']}",
            ]
            for n, a in ((n, pathway_ranks[n]) for n in graph.node_order if n in pathway_ranks)
        ]
        header = ["node", "Spearman ρ", "same rank", "published top in the computed top"]
        tables.append({"header": header, "numeric": [False, True, True, True], "rows": rows})
    scores = score_agreement(result)
    if scores:
        rows = [
            [
                graph.nodes[n].title,
                agreed_scores(a),
                "–" if a["max_abs_difference"] is None else f"{a['max_abs_difference']:.2g}",
            ]
            for n, a in ((n, scores[n]) for n in graph.node_order if n in scores)
        ]
        header = ["node", "equal to the published score", "largest difference"]
        tables.append({"header": header, "numeric": [False, True, True], "rows": rows})
    if not tables:
        return None
    constructed = sorted(graph.tuned)
    return {
        "id": "agreement",
        "heading": "Agreement with the published values",
        "tables": tables,
        "by_construction": constructed,
    }


def groups(charts: Charts, result: Any, tables: dict) -> dict | None:
    """The overall score by group, for each `groups` column: range, mean and median."""
    if "groups" not in tables:
        return None
    root = result.graph.model.root
    summaries = [r for r in tables["groups"].records() if r["node"] == root.name]
    blocks = []
    for column in result.data.groups:
        shown = [r for r in summaries if r["group_column"] == column]
        shown.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0), r["group"]))
        if len(shown) > MAX_GROUPS:
            blocks.append({"column": column, "too_many": len(shown)})
            continue
        places = decimals(r["max"] for r in shown)
        rows = [
            [r["group"] or "–", str(r["units"])]
            + [number(r[k], places) for k in ("mean", "median", "min", "max")]
            for r in shown
        ]
        chart = charts.ranges(
            [(r["group"] or "–", r) for r in shown], f"{root.title} by {column}: range and mean"
        )
        blocks.append(
            {
                "column": column,
                "too_many": 0,
                "chart": chart,
                "header": [column, "units", "mean", "median", "min", "max"],
                "numeric": [False] + [True] * 5,
                "rows": rows,
            }
        )
    return {"id": "groups", "heading": f"{root.title} by group", "blocks": blocks}


def pathways(
    charts: Charts, result: Any, tables: dict, units: list[dict], dims: Sequence[Any]
) -> dict | None:
    """The best pathways: a bar chart and a table, and a heat map of the pathway scores
    between the best units."""
    if "pathways" not in tables:
        return None
    name = result.graph.root
    label = {r["unit"]: r["label"] for r in units}
    records = tables["pathways"].records()
    top = records[:TOP_PATHWAYS]
    sep = " → " if result.pair_data.spec.directed else " – "
    places = decimals(r[f"{name}_score"] for r in records)
    rows = [
        [
            rank(r[f"{name}_rank"]),
            f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}",
            number(r[f"{name}_score"], places),
            *(number(r[f"{dim.name}_score"], places) for dim in dims),
        ]
        for r in top
    ]
    chart = charts.bars(
        [f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}" for r in top],
        [r[f"{name}_score"] for r in top],
        f"Top {len(top)} pathways: score",
    )
    return {
        "id": "pathways",
        "heading": f"Top {len(top)} of {len(records)} pathways",
        "chart": chart,
        "header": ["rank", "pathway", "score", *(dim.title for dim in dims)],
        "numeric": [True, False, True, *(True for _ in dims)],
        "rows": rows,
        "by_dimension": _best_by_dimension(records, dims, label, sep),
        "matrix": _matrix(charts, result, units, records),
    }


#: pathways listed for each dimension (the report's "top five pathways by category")
TOP_PATHWAYS_BY_DIMENSION = 5


def _best_by_dimension(records: list[dict], dims: Sequence[Any], label, sep) -> dict | None:
    """The best pathways of each dimension side by side, each as `rank. A – B`."""
    dims = [d for d in dims if not d.is_leaf] or list(dims)
    if not dims:
        return None
    columns = []
    for dim in dims:
        ranked = [r for r in records if r[f"{dim.name}_rank"]]
        ranked.sort(key=lambda r: r[f"{dim.name}_rank"])
        columns.append(
            [
                f"{r[f'{dim.name}_rank']}. {label[r['unit_a']]}{sep}{label[r['unit_b']]}"
                for r in ranked[:TOP_PATHWAYS_BY_DIMENSION]
            ]
        )
    rows = [
        [str(k + 1), *(c[k] if k < len(c) else "" for c in columns)]
        for k in range(TOP_PATHWAYS_BY_DIMENSION)
    ]
    return {
        "header": ["", *(d.title for d in dims)],
        "numeric": [True, *(False for _ in dims)],
        "rows": rows,
    }


def _matrix(charts: Charts, result: Any, units: list[dict], records: list[dict]) -> dict:
    """A heat map of the pathway scores of the best units, unit by unit."""
    root = result.graph.root
    ranked = [r for r in units if r[f"{root}_rank"]] or units
    shown = ranked[:MATRIX_UNITS]
    where = {r["unit"]: i for i, r in enumerate(shown)}
    directed = result.pair_data.spec.directed
    grid: list[list[float | None]] = [[None] * len(shown) for _ in shown]
    for r in records:
        a, b = where.get(r["unit_a"]), where.get(r["unit_b"])
        if a is None or b is None:
            continue
        grid[a][b] = r[f"{root}_score"]
        if not directed:
            grid[b][a] = r[f"{root}_score"]
    return {
        "which": f"the {len(shown)} best of {len(units)} units"
        if len(units) > len(shown)
        else "every unit",
        "reading": "row: from, column: to" if directed else "the matrix is symmetric",
        "chart": charts.matrix(
            [r["label"] for r in shown], grid, "Heat map of pathway scores", directed
        ),
    }


#: units listed in the statistics section: those below the threshold, else the least
#: covered with a value missing
STATISTICS_UNITS = 20


def _figure(value: float | None) -> str:
    """A statistic as the page shows it: 3 significant digits; a dash for none."""
    return "–" if value is None else f"{value:.3g}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def statistics(result: Any, tables: dict) -> dict | None:
    """Statistics and data quality: data availability (units below the threshold),
    each indicator's and node's statistics with COINr's flags, correlations of siblings
    and parents beyond the thresholds, effective weights and importance."""
    from indexdsl.analyses.statistics import (
        HIGH_CORRELATION,
        INDICATOR_COVERAGE,
        KURTOSIS_LIMIT,
        LOW_CORRELATION,
        SKEW_LIMIT,
        cached,
        flags,
    )

    if "statistics" not in tables:
        return None
    graph = result.graph
    stats = cached(result)
    title = {name: graph.nodes[name].title or name for name in graph.node_order}
    units = tables["availability"].records()
    below = [r for r in units if r["below_threshold"]]
    shown = below or stats.least_covered()
    availability = {
        "units": len(units),
        "indicators": len(stats.indicators),
        "threshold": f"{stats.min_coverage:.0%}",
        "below": len(below),
        "listed": "below" if below else "least",
        "header": ["unit", "name", "indicators", "coverage"],
        "numeric": [False, False, True, True],
        "rows": [
            [r["unit"], r["label"], f"{r['present']} of {r['indicators']}", _share(r["coverage"])]
            for r in shown[:STATISTICS_UNITS]
        ],
        "cut": len(shown) > STATISTICS_UNITS and len(shown),
    }
    rows = []
    for r in tables["statistics"].records():
        rows.append(
            [
                title.get(r["node"], r["node"]),
                r["values"],
                str(r["n"]),
                str(r["missing"]),
                *(_figure(r[c]) for c in ("min", "max", "mean", "median", "sd")),
                *(_figure(r[c]) for c in ("skewness", "kurtosis")),
                ", ".join(flags(r)),
            ]
        )
    header = ["node", "values", "n", "missing", "min", "max", "mean", "median", "sd",
              "skewness", "kurtosis", "flags"]  # fmt: skip
    described = {"header": header, "numeric": [False, False, *[True] * 9, False], "rows": rows}
    flagged = stats.flagged_pairs()
    correlations = {
        "high": f"{HIGH_CORRELATION:g}",
        "low": f"{LOW_CORRELATION:g}",
        "pairs": len(tables["correlations"].rows),
        "header": ["node A", "node B", "relation", "units", "Pearson r", "Spearman ρ"],
        "numeric": [False, False, False, True, True, True],
        "rows": [
            [
                title.get(r["a"], r["a"]),
                title.get(r["b"], r["b"]),
                r["relation"],
                str(r["n"]),
                _figure(r["pearson"]),
                _figure(r["spearman"]),
            ]
            for r in flagged
        ],  # fmt: skip
    }
    weights = {
        "header": [
            "node",
            "parent",
            "weight in parent",
            "effective weight",
            "r with the index",
            "importance (r²)",
            "share of importance",
        ],  # fmt: skip
        "numeric": [False, False, True, True, True, True, True],
        "rows": [
            [
                title.get(r["node"], r["node"]),
                title.get(r["parent"], r["parent"] or ""),
                _share(r["weight_in_parent"]),
                _share(r["effective_weight"]) if r["note"] is None else r["note"],
                _figure(r["r_with_index"]),
                _figure(r["importance"]),
                _share(r["importance_share"]),
            ]
            for r in tables["effective_weights"].records()
            if r["depth"]
        ],
    }
    return {
        "id": "statistics",
        "heading": "Statistics and data quality",
        "availability": availability,
        "described": described,
        "skew": f"{SKEW_LIMIT:g}",
        "kurtosis": f"{KURTOSIS_LIMIT:g}",
        "coverage": f"{INDICATOR_COVERAGE:.0%}",
        "correlations": correlations,
        "weights": weights,
    }


#: units up to which the report has a profile of each (beyond, `indexdsl explain FILE
#: UNIT` gives any unit's)
MAX_PROFILED = 60


def unit_profiles(result: Any) -> dict | None:
    """A profile of every unit, best first, as `indexdsl explain` prints it: its score
    and rank, each dimension's contribution, its strongest and weakest indicators and
    its nearest rivals; each folded, so that the page stays short."""
    from indexdsl.analyses.explain import explain, ranking_order

    root = result.graph.root
    scores, ranks = result.units.scores[root], result.units.ranks[root]
    order = ranking_order(scores, ranks) + [i for i in range(len(ranks)) if ranks[i] == 0]
    if not order:
        return None
    shown = order[:MAX_PROFILED]
    profiles = []
    for i in shown:
        try:
            text = explain(result, i).text()
        except Exception as exc:  # a unit the explanation cannot cover is said, not hidden
            text = f"no profile: {exc}"
        profiles.append({"label": result.data.labels[i], "rank": rank(int(ranks[i])), "text": text})
    return {
        "id": "unit_profiles",
        "heading": "Unit profiles",
        "profiles": profiles,
        "cut": _cut(shown, order),
    }
