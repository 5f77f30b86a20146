"""The terminal report of a run: header, overall ranking, rankings by dimension and
top pathways, with published ranks beside the computed ones where the file gives them."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from indexdsl.diagnostics import printable
from indexdsl.evaluate import Result
from indexdsl.output.results import (
    agreed_scores,
    agreement,
    group_summaries,
    illustrative_share,
    pathway_agreement,
    preparation_rows,
    rank_changes,
    score_agreement,
    screened_units,
    top_tier,
)


def _fmt(score: float) -> str:
    return "–" if np.isnan(score) else f"{score:.2f}"


def _rank(rank: int) -> str:
    """Rank 0 marks a unit without a score (missing data)."""
    return str(rank) if rank else "–"


def header(result: Result) -> Panel:
    model = result.graph.model
    meta = model.meta
    lines = Text()  # a Text is not rendered from a str: its parts are made printable here
    lines.append(printable(meta.title), style="bold")
    if meta.edition:
        lines.append(f"  ·  edition {printable(str(meta.edition))}")
    titled = model.units.title != model.units.name
    units = printable(model.units.title.lower()) if titled else "units"
    lines.append(f"\n{result.data.n_units} " + units)
    leaves = sum(1 for n in model.root.walk() if n.is_leaf)
    lines.append(f", {leaves} indicators")
    if result.pairs is not None:
        lines.append(f", {len(result.pair_data.a)} pathways scored")
        for column, count in result.pair_data.excluded:
            lines.append(
                f" ({count} pairs of two units with the same {printable(column)} left out)"
            )
    illustrative = sorted(result.graph.illustrative)
    if illustrative:
        share = illustrative_share(result)
        lines.append("\nILLUSTRATIVE DATA: ", style="bold yellow")
        lines.append(
            f"{len(illustrative)} of {leaves} indicators ({share:.0%} of the index weight) use "
            "illustrative values, not measurements: " + printable(", ".join(illustrative)) + ".",
            style="yellow",
        )
        lines.append(
            "\nScores and ranks that depend on them show the method, not the cities.",
            style="yellow",
        )
        tuned = sorted(result.graph.tuned)
        if tuned and (result.data.references or result.data.reference_scores):
            lines.append(
                f"\n{len(tuned)} of them were generated to reproduce the published ranks: "
                "agreement with those ranks is BY CONSTRUCTION, not a finding.",
                style="bold yellow",
            )
    return Panel(lines, expand=False)


def _constructed(result: Result, node: str, tuned: list[str]) -> str:
    """The agreement table's note on a node whose illustrative values were generated
    to reproduce the published ranks."""
    if not tuned:
        return "no"
    spec = next(n for n in result.graph.model.root.walk() if n.name == node)
    leaves = sum(1 for n in spec.walk_index() if n.is_leaf)
    return f"yes ({len(tuned)} of {leaves} indicators)"


def _ranked(scores: np.ndarray, ranks: np.ndarray) -> list[int]:
    return sorted(
        range(len(scores)), key=lambda i: (ranks[i] == 0, ranks[i], -np.nan_to_num(scores[i]))
    )


def print_tiers(result: Result, console: Console) -> None:
    """The units of each top tier declared below the index (`top 10%` on a dimension)."""
    for node in result.graph.node_order:
        spec = result.graph.nodes[node]
        if not spec.top or node == result.graph.root:
            continue
        members = top_tier(result, node)
        order = _ranked(result.units.scores[node], result.units.ranks[node])
        names = [result.data.labels[i] for i in order if members[i]]
        console.print(f"Top {spec.top:.0%} in {spec.title}: " + ", ".join(names))


def print_groups(result: Result, console: Console) -> None:
    """Scores of the index by group, one table per `groups` column."""
    root = result.graph.root
    by_column: dict[str, list] = {}
    for column, group, node, stats in group_summaries(result):
        if node == root:
            by_column.setdefault(column, []).append((group, stats))
    for column, rows in by_column.items():
        if len(rows) > 25:
            continue  # too many groups to read on a terminal; see groups.csv
        table = Table(title=f"{result.graph.model.root.title} by {column}", title_justify="left")
        table.add_column(column)
        for heading in ("units", "mean", "median", "min", "max"):
            table.add_column(heading, justify="right")
        for group, stats in sorted(rows, key=lambda r: -np.nan_to_num(r[1]["mean"], nan=-1e300)):
            table.add_row(
                group or "–",
                str(stats["units"]),
                *(_fmt(stats[k]) for k in ("mean", "median", "min", "max")),
            )
        console.print(table)


def print_preparation(result: Result, console: Console) -> None:
    """What happened to the data before normalisation: screening, imputation and the
    outlier treatment log (in full in treatment.csv)."""
    root = result.graph.model.root
    screened = screened_units(result)
    if root.screen is not None:
        labels = dict(zip(result.data.keys, result.data.labels, strict=True))
        console.print(
            f"Screening: units with less than {root.screen:.0%} of the indicators are left out: "
            + (", ".join(labels[k] for k in screened) if screened else "none")
        )
    log = preparation_rows(result)
    imputed = [e for e in log if e["imputed"]]
    if imputed:
        methods = sorted({e["imputation"] for e in imputed})
        console.print(
            f"Imputation: {sum(e['imputed'] for e in imputed)} values in {len(imputed)} "
            f"indicators ({', '.join(methods)})"
        )
    treated = [e for e in log if e["treated"] not in ("", "none")]
    if not treated:
        if any(e["treatment"] for e in log):
            console.print("Outlier treatment: no indicator needed it")
        return
    table = Table(title="Outlier treatment", title_justify="left")
    for column in ("indicator", "treated", "points", "skewness", "kurtosis"):
        table.add_column(column, justify="left" if column in ("indicator", "treated") else "right")
    for e in treated:
        table.add_row(
            e["indicator"],
            e["treated"],
            str(e["points"]) if e["points"] else "",
            f"{e['skewness_before']:.2f} → {e['skewness_after']:.2f}",
            f"{e['kurtosis_before']:.2f} → {e['kurtosis_after']:.2f}",
        )
    console.print(table)


def print_dimension_ranks(result: Result, console: Console, nodes, title: str) -> None:
    """Each unit's rank in each of ``nodes`` (one column each), units in the order of
    the overall ranking, published ranks in brackets where the file gives them."""
    data, units, root = result.data, result.units, result.graph.model.root
    if any(d.name in data.references for d in nodes):
        title += " (published rank in brackets)"
    table = Table(title=title, title_justify="left")
    table.add_column(result.graph.model.units.title)
    for dim in nodes:
        table.add_column(f"{dim.title}\n{dim.weight_text}", justify="right")
    for i in _ranked(units.scores[root.name], units.ranks[root.name]):
        row = [data.labels[i]]
        for dim in nodes:
            cell = _rank(units.ranks[dim.name][i])
            ref = data.references.get(dim.name)
            if ref is not None and not np.isnan(ref[i]):
                cell += f" ({int(ref[i])})"
            row.append(cell)
        table.add_row(*row)
    console.print(table)


def print_report(result: Result, console: Console, top: int = 10, depth: int = 1) -> None:
    """The run's report; ``depth`` 2 also ranks the units within each dimension's
    sub-dimensions (shown anyway where the file gives their published ranks, as a
    report that publishes them prints them)."""
    graph, data = result.graph, result.data
    model = graph.model
    root = model.root
    units = result.units
    agree = agreement(result)
    console.print(header(result))
    print_preparation(result, console)

    reference = data.references.get(root.name)
    table = Table(title=f"{root.title}: overall ranking", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column(model.units.title)
    for group in list(data.groups)[:2]:
        table.add_column(group)
    table.add_column("score", justify="right")
    if reference is not None:
        table.add_column("published rank", justify="right")
        table.add_column("Δ", justify="right")
    changes = rank_changes(result, root.name) if root.name in data.previous else None
    if changes is not None:
        table.add_column("vs previous edition")
    tier = top_tier(result, root.name) if root.top else None
    if tier is not None:
        table.add_column(f"top {root.top:.0%}")
    for i in _ranked(units.scores[root.name], units.ranks[root.name]):
        row = [_rank(units.ranks[root.name][i]), data.labels[i]]
        row += [data.groups[g][i] for g in list(data.groups)[:2]]
        row.append(_fmt(units.scores[root.name][i]))
        if reference is not None:
            published = reference[i]
            computed = units.ranks[root.name][i]
            delta = int(published - computed) if computed and not np.isnan(published) else 0
            row += [
                "–" if np.isnan(published) else str(int(published)),
                "" if delta == 0 else f"{delta:+d}",
            ]
        if changes is not None:
            row.append(changes[i])
        if tier is not None:
            row.append("★" if tier[i] else "")
        table.add_row(*row)
    console.print(table)

    dimensions = [c for c in root.children if not c.is_leaf] or list(root.children)
    if dimensions:
        print_dimension_ranks(result, console, dimensions, "Ranking in each dimension")
    for dim in dimensions:
        below = [c for c in dim.children if not c.is_leaf]
        if below and (depth > 1 or any(c.name in data.references for c in below)):
            print_dimension_ranks(result, console, below, f"Ranking within {dim.title}")

    if agree:
        table = Table(title="Agreement with the published ranks", title_justify="left")
        table.add_column("node")
        table.add_column("Spearman ρ", justify="right")
        table.add_column("same rank", justify="right")
        table.add_column("largest gap", justify="right")
        constructed = any(a["by_construction"] for a in agree.values())
        if constructed:
            table.add_column("by construction")
        for node in graph.node_order:
            if node in agree:
                a = agree[node]
                row = [
                    graph.nodes[node].title,
                    f"{a['spearman']:.3f}",
                    f"{a['exact']} of {a['n']}",
                    str(int(a["max_abs_difference"])),
                ]
                if constructed:
                    row.append(_constructed(result, node, a["by_construction"]))
                table.add_row(*row)
        console.print(table)

    scores_agree = score_agreement(result)
    if scores_agree:
        table = Table(title="Agreement with the published scores", title_justify="left")
        table.add_column("node")
        table.add_column("agree", justify="right")
        table.add_column("largest difference", justify="right")
        table.add_column("published, not computed", justify="right")
        for node in graph.node_order:
            if node in scores_agree:
                a = scores_agree[node]
                largest = a["max_abs_difference"]
                table.add_row(
                    graph.nodes[node].title,
                    agreed_scores(a),
                    "–" if largest is None else f"{largest:.2g}",
                    str(a["published_without_score"]),
                )
        console.print(table)

    print_tiers(result, console)
    print_groups(result, console)

    if result.pairs is not None and top > 0:
        print_pathways(result, console, dimensions, top)


def _pathway(result: Result, p: int) -> str:
    pairs, labels = result.pair_data, result.data.labels
    sep = " → " if pairs.spec.directed else " – "
    return f"{labels[pairs.a[p]]}{sep}{labels[pairs.b[p]]}"


def print_pathways(result: Result, console: Console, dimensions, top: int) -> None:
    """The best pathways overall (with each dimension's score), the best of each
    dimension side by side (the report's "top five pathways by category"), and the
    agreement with published pathway ranks."""
    root = result.graph.model.root
    references = result.data.pathway_references
    scores = result.pairs.scores[root.name]
    ranks = result.pairs.ranks[root.name]
    shown = min(top, len(scores))
    published = references.get(root.name, (None,))[0]
    table = Table(title=f"Top {shown} pathways", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("pathway")
    table.add_column("score", justify="right")
    if published is not None:
        table.add_column("published rank", justify="right")
    for dim in dimensions:
        table.add_column(dim.title, justify="right")
    for p in _ranked(scores, ranks)[:top]:
        row = [_rank(ranks[p]), _pathway(result, p), _fmt(scores[p])]
        if published is not None:
            row.append("–" if np.isnan(published[p]) else str(int(published[p])))
        row += [_fmt(result.pairs.scores[d.name][p]) for d in dimensions]
        table.add_row(*row)
    console.print(table)

    inner = [d for d in dimensions if d.name != root.name]
    best = min(5, top)
    if inner:
        title = f"Top {best} pathways in each dimension"
        if any(d.name in references for d in inner):
            title += " (published rank in brackets)"
        table = Table(title=title, title_justify="left")
        table.add_column("", justify="right")
        columns = []
        for dim in inner:
            table.add_column(dim.title)
            d_scores, d_ranks = result.pairs.scores[dim.name], result.pairs.ranks[dim.name]
            order = [p for p in _ranked(d_scores, d_ranks) if d_ranks[p]]
            cutoff = d_ranks[order[best - 1]] if len(order) >= best else None
            tied = [p for p in order[best:] if cutoff is not None and d_ranks[p] == cutoff]
            ref = references.get(dim.name, (None,))[0]
            cells = []
            for p in order[:best]:
                cell = f"{d_ranks[p]}. {_pathway(result, p)}"
                if ref is not None and not np.isnan(ref[p]):
                    cell += f" ({int(ref[p])})"
                cells.append(cell)
            if tied:
                cells[-1] += f" and {len(tied)} more tied"
            columns.append(cells)
        for k in range(best):
            table.add_row(str(k + 1), *(c[k] if k < len(c) else "" for c in columns))
        console.print(table)

    agree = pathway_agreement(result)
    if agree:
        table = Table(title="Agreement with the published pathway ranks", title_justify="left")
        table.add_column("node")
        table.add_column("published", justify="right")
        table.add_column("same rank", justify="right")
        table.add_column("in the computed top", justify="right")
        table.add_column("Spearman ρ", justify="right")
        for node in result.graph.node_order:
            if node in agree:
                a = agree[node]
                left_out = a["not_scored"]
                table.add_row(
                    result.graph.nodes[node].title,
                    str(a["published"]) + (f" ({left_out} not scored)" if left_out else ""),
                    f"{a['exact']} of {a['compared']}",
                    f"{a['in_top']} in the top {a['top']}",
                    "–" if np.isnan(a["spearman"]) else f"{a['spearman']:.3f}",
                )
        console.print(table)
