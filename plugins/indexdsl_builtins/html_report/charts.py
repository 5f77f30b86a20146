"""The charts of the HTML report, drawn by matplotlib as inline SVG.

matplotlib is optional (``pip install "indexdsl[html]"``) and imported only here, when
the first chart is drawn.  Text in a chart (unit names, titles) is kept as SVG text,
which matplotlib escapes; the chart's accessible name is escaped here.  Apart from the
data, nothing changes the bytes of a chart (no date, fixed ids).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from indexdsl.diagnostics import printable
from indexdsl.output.plots import METADATA as _PLOT_METADATA
from indexdsl.output.plots import RC as _PLOT_RC

#: a sequential palette for the heat maps: light (low) to dark blue (high)
_LOW, _HIGH = (247, 251, 255), (8, 81, 156)
_UP, _DOWN, _BAR = "#1a7f37", "#cf222e", "#3b6ea8"


def decimals(values: Iterable[float | None]) -> int:
    """Decimals to show a set of scores with: 3 for shares (at most 1), else 2."""
    present = [abs(v) for v in values if v is not None]
    return 3 if present and max(present) <= 1 else 2


def short(text: str, length: int = 30) -> str:
    """``text`` cut to ``length`` characters with an ellipsis, for axis labels (control
    characters written out: they are invalid in an SVG)."""
    text = printable(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def wrapped(text: str, width: int = 16) -> str:
    """``text`` on lines of about ``width`` characters, for labels that must be read
    whole (a dimension's title on a radar chart): wrapped, never cut."""
    import textwrap

    text = printable(text)
    return textwrap.fill(text, width, break_long_words=False) if len(text) > width else text


def heat_colour(t: float) -> tuple[str, str]:
    """Background and text colour for a position ``t`` in [0, 1] of a column's range."""
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(_LOW, _HIGH, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb), "#ffffff" if t > 0.55 else "#1f2328"


# ---- charts (matplotlib, imported here and only here) -------------------------------------

#: rcParams of every chart: text kept as text (searchable, escaped by matplotlib, small),
#: no math parsing of `$` in unit names, and a fixed salt for the ids of clip paths so
#: that the same inputs give the same bytes
RC = {
    **_PLOT_RC,  # as `indexdsl plot` draws: text as text, no mathematics, fixed ids
    "axes.edgecolor": "#8c959f",
    "axes.labelcolor": "#1f2328",
    "xtick.color": "#59636e",
    "ytick.color": "#1f2328",
    "axes.titlesize": 9,
    "axes.titlelocation": "center",
    "figure.dpi": 72,
    "savefig.dpi": "figure",
}
#: the font of every text, set by the page's style sheet instead
_FONT = "font-family: 'DejaVu Sans', sans-serif; "
#: no creator, date or format in the SVG (the date would change every run)
_METADATA = _PLOT_METADATA[".svg"]


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
    ) -> Markup:
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
        return Markup(_inline_svg(buffer.getvalue(), f"c{self._count}-", printable(label)))

    def figure(self, label: str, figure) -> Markup:
        """A figure drawn elsewhere (by :mod:`indexdsl.output.plots`, as `indexdsl plot`
        draws it), inlined like the report's own charts."""
        buffer = io.StringIO()
        with self._matplotlib.rc_context(RC), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # text as text, as the page's
            figure.savefig(buffer, format="svg", metadata=_METADATA)
        self._count += 1
        return Markup(_inline_svg(buffer.getvalue(), f"c{self._count}-", printable(label)))

    # ---- the charts --------------------------------------------------------------------

    def bars(self, labels: Sequence[str], values: Sequence[float | None], title: str) -> Markup:
        """A horizontal bar chart, one bar per label in the order given (first on top),
        each with its value; a unit without a score is marked "no score"."""
        places = decimals(values)
        shown = [v if v is not None else 0.0 for v in values]

        def paint(figure):
            ax = figure.add_subplot()
            y = list(range(len(labels)))
            ax.barh(y, shown, height=0.72, color=_BAR)
            ax.set_yticks(y, [wrapped(t, 30) for t in labels])
            ax.invert_yaxis()
            ax.margins(y=0.01)
            ax.tick_params(axis="y", length=0)
            for i, value in enumerate(values):
                text = "no score" if value is None else f"{value:.{places}f}"
                ax.annotate(
                    text, (shown[i], i), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8,
                )  # fmt: skip
            ax.set_xlim(min([0.0, *shown]), max([0.0, *shown]) * 1.08 or 1.0)
            ax.grid(axis="x", color="#eaeef2")
            ax.set_axisbelow(True)

        return self.draw(title, (8.5, 0.6 + 0.21 * len(labels)), paint)

    def changes(self, labels: Sequence[str], moves: Sequence[int], title: str) -> Markup:
        """A diverging bar chart of rank changes: up (positive) in green to the right,
        down in red to the left."""

        def paint(figure):
            ax = figure.add_subplot()
            y = list(range(len(labels)))
            colours = [_UP if m > 0 else _DOWN for m in moves]
            ax.barh(y, moves, height=0.7, color=colours)
            ax.set_yticks(y, [wrapped(t, 30) for t in labels])
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

    def ranges(self, rows: Sequence[tuple[str, dict]], title: str) -> Markup:
        """Per group: a line from the lowest to the highest score and a dot at the mean."""

        def paint(figure):
            ax = figure.add_subplot()
            for i, (_, r) in enumerate(rows):
                if r["mean"] is None:
                    continue
                ax.plot([r["min"], r["max"]], [i, i], color="#8c959f", linewidth=2)
                ax.plot([r["mean"]], [i], "o", color=_BAR, markersize=6)
            ax.set_yticks(range(len(rows)), [wrapped(g, 30) for g, _ in rows])
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
    ) -> Markup:
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
                    ax.set_xticks(angles, [wrapped(a, 16) for a in axes], fontsize=7)
                    ax.set_ylim(low, high)
                    ax.set_yticks(np.linspace(low, high, 3)[1:], [])
                    ax.grid(color="#d1d9e0", linewidth=0.6)
                else:
                    ax = figure.add_subplot(rows, columns, k + 1)
                    y = list(range(len(axes)))
                    ax.barh(y, filled(row), height=0.6, color=_BAR)
                    ax.plot(filled(mean), y, "|", color="#59636e", markersize=14)
                    ax.set_yticks(y, [wrapped(a, 18) for a in axes], fontsize=7)
                    ax.invert_yaxis()
                    ax.set_xlim(low, high)
                    ax.tick_params(labelsize=7)
                ax.set_title(wrapped(unit, 28), fontsize=8.5, pad=8 if radar else 4)

        height = (2.45 if radar else 0.55 + 0.3 * len(axes)) * rows
        return self.draw(title, (10.0, height), paint)

    def matrix(
        self, labels: Sequence[str], values: Sequence[Sequence[float | None]], title: str,
        directed: bool,
    ) -> Markup:  # fmt: skip
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
            ax.set_xticks(ticks, [printable(t) for t in labels], rotation=90, fontsize=7.5)
            ax.set_yticks(ticks, [printable(t) for t in labels], fontsize=7.5)
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
    ) -> Markup:
        """Rank intervals: per unit (in the order given, first on top) a line from the
        low to the high rank, a dot at the median rank and a diamond at the nominal one."""

        from indexdsl.output.plots import draw_rank_intervals

        def paint(figure):
            draw_rank_intervals(
                figure.add_subplot(), [wrapped(t, 30) for t in labels], nominal, median,
                low, high, accent="#bf8700",
                legend={"loc": "upper center", "bbox_to_anchor": (0.5, 0.0), "fontsize": 8},
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
    attributes = f'class="chart" role="img" aria-label="{escape(label)}" '
    return (
        text[: opening - 1].replace("<svg ", f"<svg {attributes}", 1)
        + f"><title>{escape(label)}</title>"
        + text[opening:].rstrip()
    )
