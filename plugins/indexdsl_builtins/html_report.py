"""The HTML report: ``indexdsl run FILE --format html`` writes ``report.html``.

One self-contained file: the style sheet is inline, every chart is SVG drawn here (no
JavaScript, no font, image or script fetched from anywhere), so the report opens
offline and can be mailed or archived as it is.  It shows the index's metadata, a
banner when the data are illustrative, the overall ranking and a bar chart of its
scores, rank changes against the previous edition or the published ranks, each
top-level dimension's ranking, a heat map of every unit's scores at the nodes of the
hierarchy, the agreement with published ranks, the scores by group, the top pathways
and the provenance of the run.

All text from the index file or the data (titles, unit names, group labels) is
escaped.  Apart from the time of the run, the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

#: units drawn in the bar chart of the overall scores (the table lists every unit)
CHART_UNITS = 60
#: pathways listed
TOP_PATHWAYS = 20
#: columns of the heat map before it keeps to the nodes above the indicators
HEATMAP_COLUMNS = 40
#: groups of one `groups` column shown (more are in the tables of the other formats)
MAX_GROUPS = 40

#: a sequential palette for the heat map: light (low) to dark blue (high)
_LOW, _HIGH = (247, 251, 255), (8, 81, 156)
_UP, _DOWN, _BAR = "#1a7f37", "#cf222e", "#3b6ea8"

CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p, ul { margin: 6px 0; }
.meta { color: var(--muted); }
.facts { font-size: 15px; margin: 8px 0; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; border-left: 6px solid #bf8700;
  border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
.banner strong { color: #7d4e00; }
nav ul { columns: 3; list-style: none; padding: 0; }
nav a { color: #0969da; text-decoration: none; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eaeef2; text-align: left;
  vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; border-bottom: 1px solid var(--line); }
td.n, th.n { text-align: right; }
td.up { color: #1a7f37; } td.down { color: #cf222e; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
  gap: 6px 18px; }
.grid table { width: 100%; font-size: 13px; }
.heat td { text-align: right; font-size: 12px; padding: 2px 5px; border: 1px solid #fff; }
.heat th { font-size: 11px; font-weight: 600; vertical-align: bottom; }
.heat th.v { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
  padding: 4px 2px; }
.heat td.l { text-align: left; white-space: nowrap; font-size: 12px; }
.note { color: var(--muted); font-size: 12px; }
svg { max-width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  fill: #1f2328; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa;
  padding: 1px 4px; border-radius: 4px; white-space: nowrap; }
code.hash { white-space: normal; word-break: break-all; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@media print { nav { display: none; } h2 { break-after: avoid; }
  table, svg { break-inside: avoid; } }
""".strip()


def esc(value: object) -> str:
    """Text for HTML: ``<``, ``>``, ``&`` and quotes escaped (for attributes too)."""
    return html.escape(str(value), quote=True)


def _decimals(values: Iterable[float | None]) -> int:
    present = [abs(v) for v in values if v is not None]
    return 3 if present and max(present) <= 1 else 2


def _number(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _rank(rank: int | None) -> str:
    return str(rank) if rank else "–"


def _real(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value + 0.0


def _table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[bool],
    css: str = "",
    row_classes: Sequence[Sequence[str]] | None = None,
) -> str:
    """An HTML table; ``header`` is text (escaped here), cells are HTML already."""
    head = "".join(
        f'<th class="n">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>"
        for h, n in zip(header, numeric, strict=True)
    )
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, (cell, n) in enumerate(zip(row, numeric, strict=True)):
            classes = ["n"] if n else []
            if row_classes is not None and row_classes[r][c]:
                classes.append(row_classes[r][c])
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attr = f' class="{css}"' if css else ""
    return (
        f"<table{attr}><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def _short(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _f(x: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros (short, stable SVG)."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def bar_chart(labels: Sequence[str], values: Sequence[float | None], title: str) -> str:
    """A horizontal bar chart as SVG, one bar per label, in the order given."""
    decimals = _decimals(values)
    present = [v for v in values if v is not None]
    low = min([0.0, *present])
    high = max([0.0, *present]) or 1.0
    left, width, row = 190, 470, 18
    height = 30 + row * len(labels)
    span = (high - low) or 1.0

    def x(v: float) -> float:
        return left + (v - low) / span * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 70} {height}" '
        f'width="{left + width + 70}" height="{height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * row
        shown = _short(label)
        parts.append(
            f'<text x="{left - 6}" y="{_f(y + row * 0.62)}" text-anchor="end">{esc(shown)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{_f(x(0.0) + 4)}" y="{_f(y + row * 0.62)}">no score</text>')
            continue
        start, end = sorted((x(0.0), x(value)))
        parts.append(
            f'<rect x="{_f(start)}" y="{_f(y + 2)}" width="{_f(max(end - start, 0.5))}" '
            f'height="{row - 5}" fill="{_BAR}"><title>{esc(label)}: '
            f"{value:.{decimals}f}</title></rect>"
        )
        parts.append(
            f'<text x="{_f(end + 4)}" y="{_f(y + row * 0.62)}">{value:.{decimals}f}</text>'
        )
    axis = x(0.0)
    parts.append(
        f'<line x1="{_f(axis)}" y1="16" x2="{_f(axis)}" y2="{height - 8}" stroke="#59636e"/>'
    )
    parts.append(
        f'<text x="{_f(x(low))}" y="12">{low:.{decimals}f}</text>'
        f'<text x="{_f(x(high))}" y="12" text-anchor="end">{high:.{decimals}f}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def change_chart(labels: Sequence[str], moves: Sequence[int], title: str) -> str:
    """A diverging bar chart of rank changes: up (positive) in green to the right,
    down in red to the left."""
    biggest = max([abs(m) for m in moves] + [1])
    left, half, row = 190, 200, 16
    height = 20 + row * len(labels)
    centre = left + half
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {centre + half + 40} {height}" '
        f'width="{centre + half + 40}" height="{height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
    ]
    for i, (label, move) in enumerate(zip(labels, moves, strict=True)):
        y = 10 + i * row
        shown = _short(label)
        parts.append(
            f'<text x="{left - 6}" y="{_f(y + row * 0.68)}" text-anchor="end">{esc(shown)}</text>'
        )
        length = abs(move) / biggest * half
        if move:
            x = centre if move > 0 else centre - length
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(y + 2)}" width="{_f(length)}" height="{row - 4}" '
                f'fill="{_UP if move > 0 else _DOWN}"><title>{esc(label)}: {move:+d}</title></rect>'
            )
        tx = centre + length + 4 if move >= 0 else centre - length - 4
        anchor = "start" if move >= 0 else "end"
        parts.append(
            f'<text x="{_f(tx)}" y="{_f(y + row * 0.68)}" text-anchor="{anchor}">'
            f"{f'{move:+d}' if move else '0'}</text>"
        )
    parts.append(
        f'<line x1="{centre}" y1="6" x2="{centre}" y2="{height - 4}" stroke="#59636e"/></svg>'
    )
    return "\n".join(parts)


def _heat_colour(t: float) -> tuple[str, str]:
    """Background and text colour for a position ``t`` in [0, 1] of a column's range."""
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb), "#ffffff" if t > 0.55 else "#1f2328"


def heatmap(
    labels: Sequence[str],
    columns: Sequence[tuple[str, str, Sequence[float | None]]],
) -> str:
    """Units (rows) by nodes (columns ``(name, heading, scores)``): each cell shows the
    score, shaded by its place between the column's lowest and highest score."""
    head = ["<th>unit</th>"] + [
        f'<th class="v" title="{esc(name)}: {esc(heading)}">{esc(_short(heading, 32))}</th>'
        for name, heading, _ in columns
    ]
    ranges = []
    decimals = []
    for _, _, scores in columns:
        present = [s for s in scores if s is not None]
        ranges.append((min(present), max(present)) if present else (0.0, 0.0))
        decimals.append(min(_decimals(scores), 1 if present and max(present) > 1 else 2))
    body = []
    for i, label in enumerate(labels):
        cells = [f'<td class="l">{esc(label)}</td>']
        for (_, _, scores), (low, high), d in zip(columns, ranges, decimals, strict=True):
            value = scores[i]
            if value is None:
                cells.append("<td>–</td>")
                continue
            t = (value - low) / (high - low) if high > low else 0.5
            background, ink = _heat_colour(t)
            cells.append(f'<td style="background:{background};color:{ink}">{value:.{d}f}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="heat"><thead><tr>'
        + "".join(head)
        + "</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def group_chart(rows: Sequence[tuple[str, dict]], title: str) -> str:
    """Per group: a line from the lowest to the highest score and a dot at the mean."""
    values = [r[k] for _, r in rows for k in ("min", "max") if r[k] is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = (high - low) or 1.0
    left, width, row = 190, 420, 18
    height = 30 + row * len(rows)
    decimals = _decimals(values)

    def x(v: float) -> float:
        return left + (v - low) / span * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 30} {height}" '
        f'width="{left + width + 30}" height="{height}" role="img" aria-label="{esc(title)}">',
        f"<title>{esc(title)}</title>",
        f'<text x="{left}" y="12">{low:.{decimals}f}</text>'
        f'<text x="{left + width}" y="12" text-anchor="end">{high:.{decimals}f}</text>',
    ]
    for i, (group, r) in enumerate(rows):
        y = 20 + i * row + row / 2
        shown = _short(group)
        parts.append(f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end">{esc(shown)}</text>')
        if r["mean"] is None:
            continue
        parts.append(
            f'<line x1="{_f(x(r["min"]))}" y1="{_f(y)}" x2="{_f(x(r["max"]))}" y2="{_f(y)}" '
            f'stroke="#8c959f" stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{_f(x(r["mean"]))}" cy="{_f(y)}" r="4" fill="{_BAR}"><title>'
            f"{esc(group)}: mean {r['mean']:.{decimals}f}, {r['units']} units, "
            f"{r['min']:.{decimals}f}–{r['max']:.{decimals}f}</title></circle>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(result: Any, tables: dict[str, Any], record: dict) -> str:
    """report.html for a run: its :class:`~indexdsl.evaluate.Result`, the typed tables
    of :func:`indexdsl.exports.result_tables` and the run record (with its time)."""
    from indexdsl import __version__
    from indexdsl.exports import run_id
    from indexdsl.results import agreement, score_agreement

    graph, data = result.graph, result.data
    model = graph.model
    root = model.root
    name = root.name
    meta = record["index"]
    units = tables["units"].records()
    position = {key: i for i, key in enumerate(data.keys)}
    label = {r["unit"]: r["label"] for r in units}
    dimensions = [c for c in root.children if not c.is_leaf] or list(root.children)
    sections: list[tuple[str, str, str]] = []  # (id, heading, body)

    # ---- header ----------------------------------------------------------------------
    head: list[str] = [f"<h1>{esc(meta['title'])}</h1>"]
    facts = []
    if meta.get("edition"):
        facts.append(f"edition {esc(meta['edition'])}")
    if model.parameters:
        facts.append(", ".join(f"{esc(k)} = {esc(v)}" for k, v in sorted(model.parameters.items())))
    unit_title = model.units.title.lower() if model.units.title != model.units.name else "units"
    facts.append(f"{data.n_units} {esc(unit_title)}")
    facts.append(f"{sum(1 for n in root.walk() if n.is_leaf)} indicators")
    if result.pairs is not None:
        facts.append(f"{len(result.pair_data.a)} pathways")
    head.append(f'<p class="facts">{" · ".join(facts)}</p>')
    if meta.get("description"):
        head.append(f"<p>{esc(meta['description'])}</p>")
    skip = {"name", "title", "edition", "description", "sources"}
    details = [f"<li>{esc(k)}: {esc(v)}</li>" for k, v in meta.items() if k not in skip and v]
    details += [f"<li>source: {esc(s)}</li>" for s in meta.get("sources") or ()]
    if details:
        head.append('<ul class="meta">' + "".join(details) + "</ul>")
    illustrative = record["illustrative"]
    if illustrative["indicators"]:
        leaves = sum(1 for n in root.walk() if n.is_leaf)
        head.append(
            '<div class="banner" role="note"><strong>Illustrative data.</strong> '
            f"{len(illustrative['indicators'])} of {leaves} indicators "
            f"({illustrative['weight_share']:.0%} of the index weight) use illustrative "
            "values, not measurements: "
            + ", ".join(f"<code>{esc(n)}</code>" for n in illustrative["indicators"])
            + ". Scores and ranks that depend on them show how the method works; they say "
            "nothing about the units.</div>"
        )

    # ---- overall ranking -------------------------------------------------------------------
    decimals = _decimals(r[f"{name}_score"] for r in units)
    reference = data.references.get(name)
    groups = list(data.groups)[:2]
    header = ["rank", model.units.title, *groups, "score"]
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
        row = [_rank(r[f"{name}_rank"]), esc(r["label"])]
        row += [esc(r[g]) for g in groups]
        row.append(_number(r[f"{name}_score"], decimals))
        css = [""] * len(row)
        if reference is not None:
            published = reference[position[r["unit"]]]
            rank = r[f"{name}_rank"]
            delta = int(published - rank) if rank and not math.isnan(published) else 0
            row += [
                "–" if math.isnan(published) else str(int(published)),
                f"{delta:+d}" if delta else "",
            ]
            css += ["", "up" if delta > 0 else "down" if delta < 0 else ""]
        if has_change:
            change = r[f"{name}_change"] or ""
            row += [_rank(r[f"{name}_previous_rank"]), esc(change)]
            css += ["", "up" if "+" in change else "down" if change.startswith("dropped") else ""]
        if has_top:
            row.append("★" if r[f"{name}_top"] else "")
            css.append("")
        rows.append(row)
        classes.append(css)
    shown = units[:CHART_UNITS]
    chart_note = (
        f'<p class="note">The {len(shown)} highest of {len(units)} units; the table lists '
        "every unit.</p>"
        if len(units) > len(shown)
        else ""
    )
    sections.append(
        (
            "ranking",
            f"{root.title}: overall ranking",
            bar_chart(
                [r["label"] for r in shown],
                [r[f"{name}_score"] for r in shown],
                f"{root.title}: score of each unit",
            )
            + chart_note
            + _table(header, rows, numeric, row_classes=classes),
        )
    )

    # ---- rank changes ----------------------------------------------------------------------
    moves: list[tuple[str, int]] = []
    against = ""
    if name in data.previous:
        against = "the previous edition"
        previous = data.previous[name]
        for r in units:
            before, now = previous[position[r["unit"]]], r[f"{name}_rank"]
            if now and not math.isnan(before):
                moves.append((r["label"], int(before) - now))
    elif reference is not None:
        against = "the published ranks"
        for r in units:
            before, now = reference[position[r["unit"]]], r[f"{name}_rank"]
            if now and not math.isnan(before):
                moves.append((r["label"], int(before) - now))
    if moves:
        up = sum(1 for _, m in moves if m > 0)
        down = sum(1 for _, m in moves if m < 0)
        summary = (
            f"<p>Against {esc(against)}, {up} units rank higher, {down} lower and "
            f"{len(moves) - up - down} the same (units ranked in both: {len(moves)}).</p>"
        )
        chart = (
            change_chart(
                [m[0] for m in moves], [m[1] for m in moves], f"Rank changes against {against}"
            )
            if up or down
            else ""
        )
        sections.append(("changes", f"Rank changes against {against}", summary + chart))

    # ---- each dimension --------------------------------------------------------------------
    if dimensions:
        blocks = []
        for dim in dimensions:
            key = dim.name
            ordered = sorted(units, key=lambda r, k=key: (r[f"{k}_rank"] or 10**9, r["unit"]))
            d = _decimals(r[f"{key}_score"] for r in ordered)
            ref = data.references.get(key)
            header = ["rank", model.units.title, "score"] + (
                ["published"] if ref is not None else []
            )
            rows = []
            for r in ordered:
                row = [_rank(r[f"{key}_rank"]), esc(r["label"]), _number(r[f"{key}_score"], d)]
                if ref is not None:
                    published = ref[position[r["unit"]]]
                    row.append("–" if math.isnan(published) else str(int(published)))
                rows.append(row)
            weight = f" · {esc(dim.weight_text)}" if getattr(dim, "weight_text", "") else ""
            blocks.append(
                f"<div><h3>{esc(dim.title)}{weight}</h3>"
                + _table(header, rows, [True, False, True, True][: len(header)])
                + "</div>"
            )
        sections.append(
            (
                "dimensions",
                "Ranking in each dimension",
                '<div class="grid">' + "".join(blocks) + "</div>",
            )
        )

    # ---- heat map of node scores ------------------------------------------------------------
    nodes = [n for n in graph.node_order if n != name]
    if len(nodes) > HEATMAP_COLUMNS:
        nodes = [n for n in nodes if not graph.nodes[n].is_leaf] or [d.name for d in dimensions]
    if nodes:
        columns = []
        for n in nodes:
            node = graph.nodes[n]
            mark = " †" if node.is_leaf and n in graph.illustrative else ""
            columns.append((n, f"{node.title}{mark}", [r[f"{n}_score"] for r in units]))
        note = (
            '<p class="note">Each row is a unit, best first; each column a node of the '
            "hierarchy in the framework's order. A cell's shade is its place between the "
            "column's lowest (light) and highest (dark) score."
            + (" † illustrative data." if graph.illustrative else "")
            + "</p>"
        )
        sections.append(
            (
                "heatmap",
                "Scores at every node",
                note + heatmap([r["label"] for r in units], columns),
            )
        )

    # ---- agreement with published values ----------------------------------------------------
    agree = agreement(result)
    parts = []
    if agree:
        rows = [
            [
                esc(graph.nodes[n].title),
                "–" if not math.isfinite(agree[n]["spearman"]) else f"{agree[n]['spearman']:.3f}",
                f"{agree[n]['exact']} of {agree[n]['n']}",
                str(int(agree[n]["max_abs_difference"])),
            ]
            for n in graph.node_order
            if n in agree
        ]
        parts.append(
            _table(
                ["node", "Spearman ρ", "same rank", "largest gap"], rows, [False, True, True, True]
            )
        )
    scores_agree = score_agreement(result)
    if scores_agree:
        rows = [
            [
                esc(graph.nodes[n].title),
                f"{a['agree']} of {a['compared']} ({a['decimals']} decimals)",
                "–" if a["max_abs_difference"] is None else f"{a['max_abs_difference']:.2g}",
            ]
            for n, a in ((n, scores_agree[n]) for n in graph.node_order if n in scores_agree)
        ]
        parts.append(
            _table(
                ["node", "equal to the published score", "largest difference"],
                rows,
                [False, True, True],
            )
        )
    if parts:
        sections.append(("agreement", "Agreement with the published values", "".join(parts)))

    # ---- groups -------------------------------------------------------------------------------
    if "groups" in tables:
        summaries = [r for r in tables["groups"].records() if r["node"] == name]
        blocks = []
        for column in data.groups:
            shown_rows = [r for r in summaries if r["group_column"] == column]
            shown_rows.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0), r["group"]))
            if len(shown_rows) > MAX_GROUPS:
                blocks.append(
                    f'<h3>By {esc(column)}</h3><p class="note">{len(shown_rows)} groups: too '
                    "many to show here; see the groups table of the csv, json or xlsx formats.</p>"
                )
                continue
            d = _decimals(r["max"] for r in shown_rows)
            rows = [
                [esc(r["group"] or "–"), str(r["units"])]
                + [_number(r[k], d) for k in ("mean", "median", "min", "max")]
                for r in shown_rows
            ]
            blocks.append(
                f"<h3>By {esc(column)}</h3>"
                + group_chart(
                    [(r["group"] or "–", r) for r in shown_rows],
                    f"{root.title} by {column}: range and mean",
                )
                + _table(
                    [column, "units", "mean", "median", "min", "max"], rows, [False] + [True] * 5
                )
            )
        sections.append(("groups", f"{root.title} by group", "".join(blocks)))

    # ---- pathways -----------------------------------------------------------------------------
    if "pathways" in tables:
        records = tables["pathways"].records()
        top = records[:TOP_PATHWAYS]
        sep = " → " if result.pair_data.spec.directed else " – "
        d = _decimals(r[f"{name}_score"] for r in records)
        rows = [
            [
                _rank(r[f"{name}_rank"]),
                esc(f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}"),
                _number(r[f"{name}_score"], d),
                *(_number(r[f"{dim.name}_score"], d) for dim in dimensions),
            ]
            for r in top
        ]
        sections.append(
            (
                "pathways",
                f"Top {len(top)} of {len(records)} pathways",
                bar_chart(
                    [f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}" for r in top],
                    [r[f"{name}_score"] for r in top],
                    f"Top {len(top)} pathways: score",
                )
                + _table(
                    ["rank", "pathway", "score", *(dim.title for dim in dimensions)],
                    rows,
                    [True, False, True, *(True for _ in dimensions)],
                ),
            )
        )

    # ---- provenance ---------------------------------------------------------------------------
    provenance = record["provenance"]
    items = [
        f"<li>index file <code>{esc(provenance['index']['file'])}</code>, SHA-256 "
        f'<code class="hash">{esc(provenance["index"]["sha256"])}</code></li>'
    ]
    items += [
        f'<li>data <code>{esc(path)}</code>, SHA-256 <code class="hash">{esc(digest)}</code></li>'
        for path, digest in provenance["data"].items()
    ]
    parameters = provenance["parameters"]
    items.append(
        "<li>parameters: "
        + (", ".join(f"{esc(k)} = {esc(v)}" for k, v in parameters.items()) or "none")
        + "</li>"
    )
    items.append(
        "<li>versions: "
        + ", ".join(f"{esc(k)} {esc(v)}" for k, v in provenance["versions"].items())
        + "</li>"
    )
    items.append(f"<li>run id <code>{esc(run_id(record))}</code></li>")
    items.append(f"<li>computed {esc(record['time'])}</li>")
    sections.append(("provenance", "Provenance", "<ul>" + "".join(items) + "</ul>"))

    # ---- the page -----------------------------------------------------------------------------
    nav = (
        '<nav aria-label="contents"><ul>'
        + "".join(
            f'<li><a href="#{ident}">{esc(heading)}</a></li>' for ident, heading, _ in sections
        )
        + "</ul></nav>"
    )
    body = "\n".join(
        f'<section id="{ident}"><h2>{esc(heading)}</h2>\n{content}\n</section>'
        for ident, heading, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="indexdsl {esc(__version__)}">\n'
        f"<title>{esc(meta['title'])}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n"
        "<header>\n"
        + "\n".join(head)
        + "\n</header>\n"
        + nav
        + "\n"
        + body
        + f"\n<footer>Computed by indexdsl {esc(__version__)} on {esc(record['time'])}; run id "
        f"<code>{esc(run_id(record))}</code>.</footer>\n</body>\n</html>\n"
    )
