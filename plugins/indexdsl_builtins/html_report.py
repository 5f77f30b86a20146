"""The HTML report: ``indexdsl run FILE --format html`` writes ``report.html``.

One self-contained file: the style sheet is inline and every chart is an SVG drawn by
matplotlib and written into the page (no JavaScript, no font, image or script fetched
from anywhere), so the report opens offline and can be mailed or archived as it is.  It
shows the index's metadata, a banner when the data are illustrative, the overall ranking
and a bar chart of its scores, rank changes against the previous edition or the
published ranks, rank intervals when ``uncertainty.csv`` (``indexdsl uncertainty FILE
-o DIR``) lies in the output folder, each top-level dimension's ranking, a profile of
the best units, a heat map of every unit's scores at the nodes of the hierarchy, the
agreement with published ranks, the scores by group, the top pathways and a heat map
of the pathway scores, the index definition (hierarchy, weights, methods, data
preparation and the index file itself), the data sources and the provenance.

matplotlib is optional (``pip install "indexdsl[html]"``) and imported only here.  All
text from the index file or the data (titles, unit names, group labels) is escaped.
Apart from the time of the run, the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

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
#: written by `indexdsl uncertainty FILE -o DIR`; read from the output folder
UNCERTAINTY_CSV = "uncertainty.csv"
UNCERTAINTY_JSON = "uncertainty.json"

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
svg.chart { display: block; max-width: 100%; height: auto; margin: 4px 0 8px; }
svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
svg.chart text { font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; }
td.tree { white-space: nowrap; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #0969da; }
pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa;
  padding: 1px 4px; border-radius: 4px; white-space: nowrap; }
code.hash { white-space: normal; word-break: break-all; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; }
@media print { nav { display: none; } h2 { break-after: avoid; }
  table, svg.chart { break-inside: avoid; } }
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


# ---- charts (matplotlib, imported here and only here) -------------------------------------

#: rcParams of every chart: text kept as text (searchable, escaped by matplotlib, small),
#: no math parsing of `$` in unit names, and a fixed salt for the ids of clip paths so
#: that the same inputs give the same bytes
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "indexdsl",
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#8c959f",
    "axes.labelcolor": "#1f2328",
    "xtick.color": "#59636e",
    "ytick.color": "#1f2328",
    "axes.titlesize": 9,
    "figure.dpi": 72,
}
#: the font of every text, set by the page's style sheet instead
_FONT = "font-family: 'DejaVu Sans', sans-serif; "
#: no creator, date or format in the SVG (the date would change every run)
_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


class Charts:
    """Draws the report's charts with matplotlib as inline SVG.

    matplotlib is imported when the first report is drawn, never by ``import indexdsl``:
    the core and the other formats do not need it (``pip install "indexdsl[html]"``).
    No pyplot and no global state: each chart is a :class:`matplotlib.figure.Figure`
    drawn inside ``rc_context(RC)``.  The ids matplotlib writes are made unique to each
    chart (several SVGs share one HTML document) and the ones nothing refers to are
    dropped."""

    def __init__(self) -> None:
        import matplotlib
        from matplotlib.figure import Figure

        self._matplotlib = matplotlib
        self._figure = Figure
        self._count = 0

    def draw(
        self, label: str, size: tuple[float, float], paint: Callable[[Any], None], **kw
    ) -> str:
        """``paint(figure)`` draws on a new figure of ``size`` inches; the SVG, with
        ``label`` as its accessible name and title."""
        buffer = io.StringIO()
        with self._matplotlib.rc_context(RC), warnings.catch_warnings():
            # a glyph missing from DejaVu Sans: the browser draws it with its own fonts
            warnings.simplefilter("ignore", UserWarning)
            figure = self._figure(figsize=size, layout="constrained", **kw)
            paint(figure)
            figure.savefig(buffer, format="svg", metadata=_METADATA)
        self._count += 1
        return _inline_svg(buffer.getvalue(), f"c{self._count}-", label)

    # ---- the charts --------------------------------------------------------------------

    def bars(self, labels: Sequence[str], values: Sequence[float | None], title: str) -> str:
        """A horizontal bar chart, one bar per label in the order given (first on top),
        each with its value; a unit without a score is marked "no score"."""
        decimals = _decimals(values)
        shown = [v if v is not None else 0.0 for v in values]

        def paint(figure):
            ax = figure.add_subplot()
            y = list(range(len(labels)))
            ax.barh(y, shown, height=0.72, color=_BAR)
            ax.set_yticks(y, [_short(t) for t in labels])
            ax.invert_yaxis()
            ax.margins(y=0.01)
            ax.tick_params(axis="y", length=0)
            for i, value in enumerate(values):
                text = "no score" if value is None else f"{value:.{decimals}f}"
                ax.annotate(
                    text, (shown[i], i), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8,
                )  # fmt: skip
            ax.set_xlim(min([0.0, *shown]), max([0.0, *shown]) * 1.08 or 1.0)
            ax.grid(axis="x", color="#eaeef2")
            ax.set_axisbelow(True)

        return self.draw(title, (8.5, 0.6 + 0.21 * len(labels)), paint)

    def changes(self, labels: Sequence[str], moves: Sequence[int], title: str) -> str:
        """A diverging bar chart of rank changes: up (positive) in green to the right,
        down in red to the left."""

        def paint(figure):
            ax = figure.add_subplot()
            y = list(range(len(labels)))
            colours = [_UP if m > 0 else _DOWN for m in moves]
            ax.barh(y, moves, height=0.7, color=colours)
            ax.set_yticks(y, [_short(t) for t in labels])
            ax.invert_yaxis()
            ax.margins(y=0.01)
            ax.axvline(0, color="#59636e", linewidth=0.8)
            ax.tick_params(axis="y", length=0)
            for i, m in enumerate(moves):
                ax.annotate(
                    f"{m:+d}" if m else "0", (m, i), xytext=(3 if m >= 0 else -3, 0),
                    textcoords="offset points", va="center",
                    ha="left" if m >= 0 else "right", fontsize=8,
                )  # fmt: skip
            biggest = max([abs(m) for m in moves] + [1])
            ax.set_xlim(-biggest * 1.2, biggest * 1.2)
            ax.set_xlabel("places up (+) or down (−)")

        return self.draw(title, (7.5, 0.7 + 0.19 * len(labels)), paint)

    def ranges(self, rows: Sequence[tuple[str, dict]], title: str) -> str:
        """Per group: a line from the lowest to the highest score and a dot at the mean."""

        def paint(figure):
            ax = figure.add_subplot()
            for i, (_, r) in enumerate(rows):
                if r["mean"] is None:
                    continue
                ax.plot([r["min"], r["max"]], [i, i], color="#8c959f", linewidth=2)
                ax.plot([r["mean"]], [i], "o", color=_BAR, markersize=6)
            ax.set_yticks(range(len(rows)), [_short(g) for g, _ in rows])
            ax.set_ylim(len(rows) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="x", color="#eaeef2")
            ax.set_xlabel("score: range (line) and mean (dot)")

        return self.draw(title, (7.5, 0.8 + 0.22 * len(rows)), paint)

    def profiles(
        self,
        labels: Sequence[str],
        axes: Sequence[str],
        scores: Sequence[Sequence[float | None]],
        mean: Sequence[float | None],
        title: str,
    ) -> str:
        """One small chart per unit of its scores on ``axes`` (the top-level dimensions),
        with the mean of every unit dashed: a radar with three axes or more, else bars."""
        import numpy as np

        values = [v for row in [*scores, mean] for v in row if v is not None]
        low = min([0.0, *values])
        high = max([*values, low + 1.0])
        columns = 4
        rows = -(-len(labels) // columns)
        radar = len(axes) >= 3

        def filled(row):
            return [low if v is None else v for v in row]

        def paint(figure):
            angles = np.linspace(0, 2 * np.pi, len(axes), endpoint=False).tolist()
            for k, (unit, row) in enumerate(zip(labels, scores, strict=True)):
                if radar:
                    ax = figure.add_subplot(rows, columns, k + 1, projection="polar")
                    ax.set_theta_offset(np.pi / 2)
                    ax.set_theta_direction(-1)
                    closed = angles + angles[:1]
                    ax.plot(closed, [*filled(mean), filled(mean)[0]], "--", color="#8c959f",
                            linewidth=1)  # fmt: skip
                    ax.plot(closed, [*filled(row), filled(row)[0]], color=_BAR, linewidth=1.5)
                    ax.fill(closed, [*filled(row), filled(row)[0]], color=_BAR, alpha=0.25)
                    ax.set_xticks(angles, [_short(a, 16) for a in axes], fontsize=7)
                    ax.set_ylim(low, high)
                    ax.set_yticks(np.linspace(low, high, 3)[1:], [])
                    ax.grid(color="#d1d9e0", linewidth=0.6)
                else:
                    ax = figure.add_subplot(rows, columns, k + 1)
                    y = list(range(len(axes)))
                    ax.barh(y, filled(row), height=0.6, color=_BAR)
                    ax.plot(filled(mean), y, "|", color="#59636e", markersize=14)
                    ax.set_yticks(y, [_short(a, 16) for a in axes], fontsize=7)
                    ax.invert_yaxis()
                    ax.set_xlim(low, high)
                    ax.tick_params(labelsize=7)
                ax.set_title(_short(unit, 28), fontsize=8.5, pad=8 if radar else 4)

        height = (2.45 if radar else 0.55 + 0.3 * len(axes)) * rows
        return self.draw(title, (10.0, height), paint)

    def matrix(
        self, labels: Sequence[str], values: Sequence[Sequence[float | None]], title: str,
        directed: bool,
    ) -> str:  # fmt: skip
        """A heat map of pathway scores: unit by unit, in the order given; a pair with no
        score is left blank."""
        import numpy as np

        grid = np.array([[np.nan if v is None else v for v in row] for row in values])
        n = len(labels)

        def paint(figure):
            ax = figure.add_subplot()
            masked = np.ma.masked_invalid(grid)
            # one image, not a shape per cell: a few kB whatever the number of units
            mesh = ax.imshow(
                masked, cmap="Blues", interpolation="nearest", aspect="equal",
                extent=(0, n, n, 0),
            )  # fmt: skip
            for k in range(n + 1):  # white lines between the cells
                ax.axhline(k, color="#ffffff", linewidth=0.6)
                ax.axvline(k, color="#ffffff", linewidth=0.6)
            ax.set_xlim(0, n)
            ax.set_ylim(n, 0)
            ticks = [i + 0.5 for i in range(n)]
            ax.set_xticks(ticks, [_short(t, 22) for t in labels], rotation=90, fontsize=7.5)
            ax.set_yticks(ticks, [_short(t, 22) for t in labels], fontsize=7.5)
            ax.tick_params(length=0)
            for side in ("left", "bottom"):
                ax.spines[side].set_visible(False)
            if directed:
                ax.set_xlabel("to")
                ax.set_ylabel("from")
            figure.colorbar(mesh, ax=ax, shrink=0.6, label="pathway score")

        size = min(10.0, 2.6 + 0.24 * n)
        return self.draw(title, (size + 1.2, size), paint)

    def intervals(
        self,
        labels: Sequence[str],
        nominal: Sequence[int],
        median: Sequence[float],
        low: Sequence[float],
        high: Sequence[float],
        title: str,
    ) -> str:
        """Rank intervals: per unit (in the order given, first on top) a line from the
        low to the high rank, a dot at the median rank and a diamond at the nominal one."""

        from matplotlib.ticker import MaxNLocator

        def paint(figure):
            ax = figure.add_subplot()
            y = list(range(len(labels)))
            ax.hlines(y, low, high, color=_BAR, linewidth=2.5, alpha=0.55,
                      label="5–95% interval")  # fmt: skip
            ax.plot(median, y, "o", color=_BAR, markersize=4.5, label="median rank")
            ax.plot(
                nominal, y, "D", markerfacecolor="none", markeredgecolor="#bf8700",
                markersize=6, markeredgewidth=1.3, label="nominal rank",
            )  # fmt: skip
            ax.set_yticks(y, [_short(t) for t in labels])
            ax.set_ylim(len(labels) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            ax.set_xlim(0.5, max([*high, *nominal, 1]) + 0.5)
            ax.xaxis.set_ticks_position("top")
            ax.xaxis.set_label_position("top")
            ax.set_xlabel("rank (1 = best)")
            ax.grid(axis="x", color="#eaeef2")
            ax.set_axisbelow(True)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(
                loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=3, fontsize=8,
                frameon=False,
            )  # fmt: skip

        return self.draw(title, (8.5, 1.0 + 0.21 * len(labels)), paint)


#: attributes that hold coordinates (and only coordinates: text content is never touched)
_GEOMETRY = re.compile(r'\b(d|x|y|x1|x2|y1|y2|cx|cy|r|width|height|viewBox|transform)="([^"]*)"')


def _rounded(match: re.Match) -> str:
    """An attribute's numbers to one decimal of a point (finer than a screen's pixel)."""

    def one(number: re.Match) -> str:
        text = f"{float(number.group(0)):.1f}".removesuffix(".0")
        return "0" if text == "-0" else text

    value = re.sub(r"-?\d+\.\d+", one, match.group(2))
    return f'{match.group(1)}="{value}"'


def _inline_svg(text: str, prefix: str, label: str) -> str:
    """matplotlib's SVG file as a compact element of the page: no XML prolog or
    DOCTYPE, no style sheet (the page's applies), ids prefixed with ``prefix`` and the
    ones nothing refers to dropped with the groups that only held them, coordinates to
    two decimals, and ``label`` as its accessible name and ``<title>``."""
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", "", text, flags=re.S)
    referred = set(re.findall(r'(?:url\(#|href="#)([^")]+)', text))

    def ident(match: re.Match) -> str:
        name = match.group(1)
        return f' id="{prefix}{name}"' if name in referred else ""

    text = re.sub(r' id="([^"]*)"', ident, text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    text = re.sub(_GEOMETRY, _rounded, text)
    text = text.replace(' transform="rotate(-0 ', ' data-r="(')  # marked, dropped below
    text = re.sub(r' data-r="\([^"]*"', "", text)
    text = text.replace(_FONT, "")
    text = re.sub(r"\s*\n\s*", "\n", text)
    # a group without attributes only held an id: drop it and its end tag
    kept: list[bool] = []

    def group(match: re.Match) -> str:
        tag = match.group(0)
        if tag == "</g>":
            return tag if kept.pop() else ""
        if tag.endswith("/>"):  # an empty group
            return "" if tag == "<g/>" else tag
        kept.append(tag != "<g>")
        return tag if kept[-1] else ""

    text = re.sub(r"<g\b[^>]*>|</g>", group, text)
    text = re.sub(r"\n+", "\n", text)
    opening = text.index(">") + 1
    attributes = f'class="chart" role="img" aria-label="{esc(label)}" '
    return (
        text[: opening - 1].replace("<svg ", f"<svg {attributes}", 1)
        + f"><title>{esc(label)}</title>"
        + text[opening:].rstrip()
    )


# ---- sections that need more than a table -------------------------------------------------


def read_uncertainty(result: Any, out_dir: Path, index_sha256: str) -> tuple[dict, str]:
    """The rank intervals that ``indexdsl uncertainty FILE -o out_dir`` wrote, when they
    belong to this run: ``({unit position: (nominal, median, p05, p95)}, settings)``
    where ``settings`` describes the analysis (from ``uncertainty.json``, when present).
    Raises ``ValueError`` saying why they do not belong to it (another version of the
    index or data: other units or other nominal ranks); ``({}, "")`` without the file."""
    from indexdsl.output.results import safe_text

    path = Path(out_dir) / UNCERTAINTY_CSV
    if not path.is_file():
        return {}, ""
    position = {safe_text(k): i for i, k in enumerate(result.data.keys)}
    ranks = result.units.ranks[result.graph.root]
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"it cannot be read ({exc})") from None
    needed = ("unit", "nominal_rank", "median_rank", "p05_rank", "p95_rank")
    if not rows or any(c not in rows[0] for c in needed):
        raise ValueError("it lacks the columns " + ", ".join(f"`{c}`" for c in needed))
    out: dict[int, tuple[int, float, float, float]] = {}
    for row in rows:
        if row["unit"] not in position:
            raise ValueError(f"it has the unit `{row['unit']}`, which this run does not")
        try:
            nominal = 0 if row["nominal_rank"] in ("", "–") else int(row["nominal_rank"])
            values = tuple(float(row[c]) for c in needed[2:])
        except ValueError:
            raise ValueError(f"the ranks of `{row['unit']}` are not numbers") from None
        out[position[row["unit"]]] = (nominal, *values)
    if len(out) != len(position):
        raise ValueError(f"it has {len(out)} of this run's {len(position)} units")
    differ = [i for i, r in out.items() if r[0] != int(ranks[i])]
    if differ:
        raise ValueError(f"the nominal ranks of {len(differ)} units differ from this run's")
    settings = ""
    meta_path = Path(out_dir) / UNCERTAINTY_JSON
    if meta_path.is_file():
        import json

        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{UNCERTAINTY_JSON} cannot be read ({exc})") from None
        if meta.get("index", {}).get("sha256") != index_sha256:
            raise ValueError("it was computed from another version of the index file")
        settings = (
            f"{meta['samples']} replications (seed {meta['seed']}); uncertain inputs: "
            + "; ".join(meta["inputs"])
        )
        for reason, count in sorted(meta.get("failures", {}).items()):
            settings += f"; {count} replications could not be evaluated: {reason}"
    return out, settings


def uncertainty_section(charts: Charts, result: Any, out_dir: Path, index_sha256: str) -> str:
    """The rank intervals: a chart and a table, or a note saying why they are left out."""
    try:
        found, settings = read_uncertainty(result, out_dir, index_sha256)
    except ValueError as exc:
        return (
            f'<p class="note">The <code>{UNCERTAINTY_CSV}</code> in the output folder is not '
            f"shown: {esc(exc)}. Run <code>indexdsl uncertainty FILE -o FOLDER</code> again "
            "for this version of the index and its data.</p>"
        )
    if not found:
        return ""
    data = result.data
    order = sorted((i for i in found if found[i][0]), key=lambda i: found[i][0])
    shown = order[:CHART_UNITS]
    rows = [
        [
            str(found[i][0]),
            esc(data.labels[i]),
            f"{found[i][1]:g}",
            f"{found[i][2]:g}–{found[i][3]:g}",
            f"{found[i][3] - found[i][2]:g}",
        ]
        for i in order
    ]
    note = (
        f'<p class="note">The {len(shown)} best of {len(order)} ranked units; the table '
        "lists every unit.</p>"
        if len(order) > len(shown)
        else ""
    )
    return (
        f"<p>How much each unit's rank moves when the uncertain inputs of the index vary "
        f"(read from <code>{UNCERTAINTY_CSV}</code>"
        + (f": {esc(settings)}" if settings else "")
        + "). The line spans the 5th to the 95th percentile of the unit's rank over the "
        "replications, the dot is its median rank and the diamond its nominal rank.</p>"
        + charts.intervals(
            [data.labels[i] for i in shown],
            [found[i][0] for i in shown],
            [found[i][1] for i in shown],
            [found[i][2] for i in shown],
            [found[i][3] for i in shown],
            "Rank intervals under uncertainty",
        )
        + note
        + _table(
            ["nominal rank", result.graph.model.units.title, "median rank", "5–95%", "width"],
            rows,
            [True, False, True, True, True],
        )
    )


def profiles_section(
    charts: Charts, units: list[dict], dimensions: Sequence[Any], root: str
) -> str:
    """A radar (or bar) profile of the best units' scores in the top-level dimensions."""
    ranked = [r for r in units if r[f"{root}_rank"]]
    shown = ranked[:PROFILE_UNITS]
    if not shown:
        return ""
    means = []
    for dim in dimensions:
        values = [r[f"{dim.name}_score"] for r in units if r[f"{dim.name}_score"] is not None]
        means.append(sum(values) / len(values) if values else None)
    note = (
        f"The {len(shown)} best of {len(ranked)} units"
        if len(ranked) > len(shown)
        else "Every unit, best first"
    )
    return (
        f'<p class="note">{note}: each unit\'s score in each top-level dimension (filled), '
        "against the mean of every unit (dashed). Every chart has the same scale.</p>"
        + charts.profiles(
            [f"{r[f'{root}_rank']}. {r['label']}" for r in shown],
            [d.title for d in dimensions],
            [[r[f"{d.name}_score"] for d in dimensions] for r in shown],
            means,
            "Profiles of the best units in the top-level dimensions",
        )
    )


def matrix_block(charts: Charts, result: Any, units: list[dict], records: list[dict]) -> str:
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
    which = (
        f"the {len(shown)} best of {len(units)} units" if len(units) > len(shown) else "every unit"
    )
    reading = "row: from, column: to" if directed else "the matrix is symmetric"
    return (
        f"<h3>Pathway scores between {which}</h3>"
        f'<p class="note">Units in the order of the overall ranking ({reading}); the '
        "darker the cell, the higher the pathway's score. A blank cell is a pair with no "
        "score.</p>"
        + charts.matrix(
            [r["label"] for r in shown],
            grid,
            "Heat map of pathway scores",
            directed,
        )
    )


def definition_section(result: Any, tables: dict[str, Any], record: dict) -> str:
    """The index definition: the hierarchy with weights and methods, data preparation
    and the index file itself."""
    from indexdsl.output.results import preparation_rows, screened_units

    graph, data = result.graph, result.data
    root = graph.model.root
    rows = []
    for r in tables["nodes"].records():
        title = esc(r["title"]) + (" †" if r["illustrative"] else "")
        pad = 8 + 18 * r["depth"]
        weight = "" if r["weight"] is None else f"{r['weight']:.1%}"
        rows.append(
            [
                f'<span style="padding-left:{pad - 8}px">{title}</span> '
                f"<code>{esc(r['node'])}</code>",
                esc(r["kind"]),
                esc(r["weight_written"] or ""),
                weight,
                esc(r["aggregator"] or ""),
                esc(r["normaliser"] or ""),
                esc(r["better"] or ""),
                esc(r["unit"] or ""),
            ]
        )
    parts = [
        '<p class="note">Each node with its weight as written and as used (a share of its '
        "parent), the aggregation of its children, and for each indicator its "
        "normalisation, which direction is better and its unit of measurement."
        + (" † illustrative data." if graph.illustrative else "")
        + "</p>",
        _table(
            [
                "node",
                "kind",
                "weight as written",
                "weight used",
                "aggregation",
                "normalisation",
                "better",
                "unit",
            ],  # fmt: skip
            rows,
            [False, False, True, True, False, False, False, False],
            row_classes=[["tree"] + [""] * 7 for _ in rows],
        ),
    ]
    # data preparation: screening, imputation, outlier treatment
    steps = []
    if root.screen is not None:
        labels = dict(zip(data.keys, data.labels, strict=True))
        screened = screened_units(result)
        steps.append(
            f"<li>Screening: units with less than {root.screen:.0%} of the indicators are "
            "left out: "
            + (", ".join(esc(labels[k]) for k in screened) if screened else "none")
            + ".</li>"
        )
    log = preparation_rows(result)
    imputed = [e for e in log if e["imputed"]]
    if imputed:
        steps.append(
            f"<li>Imputation: {sum(e['imputed'] for e in imputed)} values in "
            f"{len(imputed)} indicators.</li>"
        )
    treated = [e for e in log if e["treatment"]]
    if treated and not any(e["treated"] not in ("", "none") for e in treated):
        steps.append("<li>Outlier treatment: no indicator needed it.</li>")
    prepared = [e for e in log if e["imputed"] or e["treated"] not in ("", "none")]
    if steps or prepared:
        parts.append("<h3>Data preparation</h3><ul>" + "".join(steps) + "</ul>")
    if prepared:
        parts.append(
            _table(
                [
                    "indicator",
                    "imputation",
                    "values imputed",
                    "treatment",
                    "treated",
                    "points",
                    "skewness",
                    "kurtosis",
                ],  # fmt: skip
                [
                    [
                        f"<code>{esc(e['indicator'])}</code>",
                        esc(e["imputation"]),
                        str(e["imputed"]) if e["imputed"] else "",
                        esc(e["treatment"]),
                        esc(e["treated"]),
                        str(e["points"]) if e["points"] else "",
                        _moved(e["skewness_before"], e["skewness_after"]),
                        _moved(e["kurtosis_before"], e["kurtosis_after"]),
                    ]
                    for e in prepared
                ],
                [False, False, True, False, False, True, True, True],
            )
        )
    # the index file, when it is the one the run read
    index = record["provenance"]["index"]
    try:
        source = Path(index["file"]).read_bytes()
    except OSError:
        source = b""
    if source and hashlib.sha256(source).hexdigest() == index["sha256"]:
        parts.append(
            f"<details><summary>The index file <code>{esc(index['file'])}</code></summary>"
            f"<pre>{esc(source.decode('utf-8', errors='replace'))}</pre></details>"
        )
    return "".join(parts)


def _moved(before: float, after: float) -> str:
    if before is None or math.isnan(before):
        return ""
    return f"{before:.2f} → {after:.2f}"


def sources_section(record: dict) -> str:
    """The `source`s of the index block and every data file read, with its SHA-256."""
    items = [f"<li>{esc(s)}</li>" for s in record["index"].get("sources") or ()]
    items += [
        f'<li>data file <code>{esc(path)}</code>, SHA-256 <code class="hash">{esc(digest)}'
        "</code></li>"
        for path, digest in record["provenance"]["data"].items()
    ]
    return "<ul>" + "".join(items) + "</ul>"


def render_html(
    result: Any, tables: dict[str, Any], record: dict, out_dir: Path | None = None
) -> str:
    """report.html for a run: its :class:`~indexdsl.evaluate.Result`, the typed tables
    of :func:`indexdsl.output.exports.result_tables` and the run record (with its time).  With
    ``out_dir``, the rank intervals of ``uncertainty.csv`` in it are shown when they
    belong to this run."""
    from indexdsl.output.exports import run_id
    from indexdsl.output.results import agreement, score_agreement
    from indexdsl.version import __version__

    charts = Charts()
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
            charts.bars(
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
            charts.changes(
                [m[0] for m in moves], [m[1] for m in moves], f"Rank changes against {against}"
            )
            if up or down
            else ""
        )
        sections.append(("changes", f"Rank changes against {against}", summary + chart))

    # ---- rank intervals under uncertainty ---------------------------------------------------
    if out_dir is not None:
        intervals = uncertainty_section(
            charts, result, out_dir, record["provenance"]["index"]["sha256"]
        )
        if intervals:
            sections.append(("uncertainty", "Rank intervals under uncertainty", intervals))

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

    # ---- profiles -----------------------------------------------------------------------------
    if len(dimensions) >= 2:
        profiles = profiles_section(charts, units, dimensions, name)
        if profiles:
            sections.append(("profiles", "Profiles of the best units", profiles))

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
                + charts.ranges(
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
                charts.bars(
                    [f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}" for r in top],
                    [r[f"{name}_score"] for r in top],
                    f"Top {len(top)} pathways: score",
                )
                + _table(
                    ["rank", "pathway", "score", *(dim.title for dim in dimensions)],
                    rows,
                    [True, False, True, *(True for _ in dimensions)],
                )
                + matrix_block(charts, result, units, records),
            )
        )

    # ---- definition and sources ---------------------------------------------------------------
    sections.append(("definition", "Index definition", definition_section(result, tables, record)))
    sections.append(("sources", "Data sources", sources_section(record)))

    # ---- provenance ---------------------------------------------------------------------------
    provenance = record["provenance"]
    items = [
        f"<li>index file <code>{esc(provenance['index']['file'])}</code>, SHA-256 "
        f'<code class="hash">{esc(provenance["index"]["sha256"])}</code></li>'
    ]
    items.append('<li>data files: see <a href="#sources">the data sources</a></li>')
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
