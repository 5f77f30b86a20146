"""Figures of an index: `indexdsl plot KIND FILE … -o OUT.svg|OUT.png` and ``Results.plot``.

Six kinds, each drawn from the numbers of one run (or one uncertainty analysis):

- ``framework``: the hierarchy as a tree (or a sunburst whose angles are the effective
  weights), every node with its title and its weight within its parent;
- ``correlations``: a heat map of Pearson's r between the nodes (or indicators) of a
  level, each r over the units that have both values;
- ``distribution``: a node's or an indicator's values (normalised, or raw): histogram,
  box and the units as dots;
- ``scatter``: two nodes or indicators against each other, the extreme units labelled;
- ``contributions``: each unit's score at a node split into its children's weighted
  contributions (stacked bars), where the node is a weighted arithmetic mean;
- ``ranks``: median rank and 5–95 % interval per unit from an uncertainty analysis.

The numbers behind each figure come from a function of their own
(:mod:`indexdsl.output.figure_data`: ``correlations``, ``contributions``,
``rank_intervals``, ``values``) so that they can be tested apart from the pixels.
matplotlib is optional (``pip install "indexdsl[html]"``) and
imported only when a figure is drawn, with the Agg backend and no pyplot (no global
state).  Text from the data is kept as SVG text, which matplotlib escapes, and never
parsed as mathematics; the SVG has no date and fixed ids, so the same inputs give the
same bytes.  Every figure is fitted to its contents before it is returned: no label
is cut, none is shortened.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from indexdsl.diagnostics import UsageError, suggest
from indexdsl.evaluate import Result
from indexdsl.model import IndexModel, Node
from indexdsl.output.figure_data import (  # the numbers behind each figure
    contributions,
    correlations,
    figure_text,
    level_nodes,
    node_series,
    pearson,
    rank_intervals,
    resolve,
    title_of,
    values,
)

KINDS = ("framework", "correlations", "distribution", "scatter", "contributions", "ranks")
#: how many node names each kind takes after the index file
NODES_TAKEN = {"distribution": 1, "scatter": 2}
SUFFIXES = (".svg", ".png")
#: units shown by the one-bar-per-unit figures when ``top`` is not given
TOP = 150

#: rcParams of every figure: text kept as text (escaped by matplotlib, searchable), no
#: mathematics in unit names (`$`), a fixed salt for the ids so reruns give the same bytes
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
    "axes.titlesize": 10,
    "axes.titlelocation": "left",
    "figure.dpi": 100,
    "savefig.dpi": 100,
}
#: no creator, date or software version in the files (they would change the bytes)
METADATA = {
    ".svg": {"Creator": None, "Date": None, "Format": None, "Type": None},
    ".png": {"Software": None},
}
#: Okabe and Ito's palette, told apart with every common colour-vision deficiency
OKABE_ITO = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
)  # fmt: skip
#: a diverging palette safe for colour-blind readers (ColorBrewer's RdBu): red for
#: negative correlations, blue for positive, white for none
DIVERGING = "RdBu"
_LINE, _BAR, _ACCENT = "#59636e", "#0072B2", "#D55E00"


def _matplotlib():
    """matplotlib, imported on first use; a usage error naming the extra when missing."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError(
            "`indexdsl plot` needs matplotlib, which is not installed; install it with "
            '`pip install "indexdsl[html]"` (or `uv add matplotlib`)'
        ) from None
    return matplotlib, Figure


# ---- drawing ---------------------------------------------------------------------------------


class _Drawing:
    """A figure drawn inside the house's rcParams (without pyplot)."""

    def __init__(self, size: tuple[float, float], layout: str | None = "constrained"):
        self.matplotlib, figure = _matplotlib()
        self._rc = self.matplotlib.rc_context(RC)
        self._rc.__enter__()
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        # a glyph missing from DejaVu Sans: drawn as a box rather than failing
        warnings.simplefilter("ignore", UserWarning)
        self.figure = figure(figsize=size, layout=layout)
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(self.figure)  # a canvas that can measure text

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                fit(self.figure)
        finally:
            self._warnings.__exit__(*exc)
            self._rc.__exit__(*exc)
        return False


def fit(figure, pad: float = 0.08) -> None:
    """Grow ``figure`` (and move its axes) until every artist lies inside it, so that no
    label is cut: constrained layout fits tick labels and titles, this fits the rest
    (labels written beside points, a tree's titles)."""
    for _ in range(3):
        renderer = figure.canvas.get_renderer()
        figure.draw_without_rendering()
        tight = figure.get_tightbbox(renderer)  # inches
        width, height = figure.get_size_inches()
        if (
            tight.x0 >= pad * 0.5
            and tight.y0 >= pad * 0.5
            and tight.x1 <= width - pad * 0.5
            and tight.y1 <= height - pad * 0.5
        ):
            return
        left = max(0.0, pad - tight.x0)
        bottom = max(0.0, pad - tight.y0)
        new_width = max(width + left, tight.x1 + left + pad)
        new_height = max(height + bottom, tight.y1 + bottom + pad)
        boxes = [(ax, ax.get_position(original=False)) for ax in figure.axes]
        figure.set_layout_engine("none")
        figure.set_size_inches(new_width, new_height)
        for ax, box in boxes:
            ax.set_position(
                [
                    (box.x0 * width + left) / new_width,
                    (box.y0 * height + bottom) / new_height,
                    box.width * width / new_width,
                    box.height * height / new_height,
                ]
            )


def check_target(path: str | Path) -> str:
    """The format of the figure file ``path`` (``.svg`` or ``.png``, by its suffix); a
    usage error for another suffix, or when matplotlib is not installed."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"`{path}`: a figure is written as .svg or .png, not `{suffix or 'no suffix'}`"
        )
    _matplotlib()
    return suffix


def save(figure, path: str | Path) -> Path:
    """Write ``figure`` as SVG or PNG (by the suffix), with no date or version in it."""
    path = Path(path)
    suffix = check_target(path)
    matplotlib, _ = _matplotlib()
    from indexdsl.output.exports import OutputError

    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context(RC):
            figure.savefig(path, format=suffix[1:], metadata=METADATA[suffix])
    except OSError as exc:
        raise OutputError(
            f"the figure could not be written to `{path}`", path, exc.strerror or str(exc)
        ) from None
    return path


def _index_title(result: Result) -> str:
    return figure_text(result.graph.model.meta.title or result.graph.root)


def _labels(result: Result) -> list[str]:
    return [figure_text(label) for label in result.data.labels]


def _shown(order: list[int], top: int | None) -> tuple[list[int], str]:
    """The first ``top`` units of ``order`` (all up to :data:`TOP` when not given), and
    a note for the title when some are left out."""
    count = TOP if top is None or top <= 0 else top
    if len(order) <= count:
        return order, ""
    return order[:count], f" (the first {count} of {len(order)})"


# ---- framework -------------------------------------------------------------------------------


def _children(node: Node) -> tuple[Node, ...]:
    return (*node.children, *node.inputs)


def _node_label(node: Node, parent: Node | None) -> str:
    title = figure_text(node.title or node.name)
    if parent is None:
        return title
    if node in parent.inputs:
        reads = parent.formula_reads if parent.formula is not None else ()
        return f"{title} ({'read by the formula' if node.name in reads else 'auxiliary'})"
    return f"{title}  {node.weight * 100:.3g}%"


def plot_framework(model: IndexModel, style: str = "tree"):
    """The hierarchy: a ``tree`` (the index on the left, indicators on the right, each
    node's title and weight within its parent) or a ``sunburst`` (rings from the index
    outwards; each node's angle is its effective weight, the product of the weights
    from the index down to it)."""
    if style == "sunburst":
        return _sunburst(model)
    if style != "tree":
        raise UsageError(f"`--style` is tree or sunburst, not `{style}`")
    rows: list[tuple[Node, Node | None, int]] = []  # node, parent, depth (pre-order)

    def walk(node: Node, parent: Node | None, depth: int) -> None:
        rows.append((node, parent, depth))
        for child in _children(node):
            walk(child, node, depth + 1)

    walk(model.root, None, 0)
    leaves = [n for n, _, _ in rows if not _children(n)]
    depths = max(d for _, _, d in rows) + 1
    row = 0.24  # inches per leaf
    with _Drawing((8.0, 0.6 + row * len(leaves)), layout=None) as drawing:
        figure = drawing.figure
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        labels = {id(n): _node_label(n, p) for n, p, _ in rows}
        texts = {
            id(n): ax.text(
                0, 0, labels[id(n)], va="center", fontsize=8.5, color="#1f2328",
                fontweight="bold" if _children(n) else "normal",
            )
            for n, _, _ in rows
        }  # fmt: skip
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()
        widths = {k: t.get_window_extent(renderer).width / figure.dpi for k, t in texts.items()}
        column = [0.0] * depths  # the x (inches) of each depth's dots
        gap = 0.45
        for d in range(1, depths):
            widest = max(widths[id(n)] for n, _, dd in rows if dd == d - 1 and _children(n))
            column[d] = column[d - 1] + widest + 0.12 + gap
        y: dict[int, float] = {}
        for k, leaf in enumerate(leaves):
            y[id(leaf)] = 0.3 + row * (k + 0.5)
        for node, _, _ in reversed(rows):  # children before parents
            if _children(node):
                kids = [y[id(c)] for c in _children(node)]
                y[id(node)] = (min(kids) + max(kids)) / 2
        last = max(column[d] + widths[id(n)] for n, _, d in rows) + 0.3
        height = 0.6 + row * len(leaves)
        figure.set_size_inches(last, height)
        ax.set_xlim(-0.15, last - 0.15)
        ax.set_ylim(height, 0)
        for node, _, d in rows:
            x, yy = column[d], y[id(node)]
            texts[id(node)].set_position((x + 0.08, yy))
            ax.plot([x], [yy], "o", color=_BAR, markersize=3.5)
            kids = _children(node)
            if kids:
                elbow = column[d + 1] - gap / 2
                ax.plot([x + 0.12 + widths[id(node)], elbow], [yy, yy], color=_LINE, lw=0.8)
                ys = [y[id(c)] for c in kids]
                ax.plot([elbow, elbow], [min(ys), max(ys)], color=_LINE, lw=0.8)
                for child in kids:
                    dashed = child in node.inputs
                    ax.plot(
                        [elbow, column[d + 1]], [y[id(child)]] * 2, color=_LINE, lw=0.8,
                        linestyle="--" if dashed else "-",
                    )  # fmt: skip
    return figure


def effective_weights(model: IndexModel) -> dict[str, float]:
    """Each node's weight in the index: the product of the weights from the index down."""
    out: dict[str, float] = {}

    def walk(node: Node, weight: float) -> None:
        out[node.name] = weight
        for child in node.children:
            walk(child, weight * child.weight)

    walk(model.root, 1.0)
    return out


def _sunburst(model: IndexModel):
    if not model.root.children:
        raise UsageError(
            f"`{model.root.name}` is a formula of other nodes, not a weighted hierarchy, so "
            "it has no sunburst of weights: draw the tree (`--style tree`)"
        )
    weights = effective_weights(model)
    rings: list[list[tuple[Node, float, float]]] = []  # per depth: node, start, span

    def walk(node: Node, start: float, depth: int) -> None:
        if depth:
            while len(rings) < depth:
                rings.append([])
            rings[depth - 1].append((node, start, weights[node.name] * 2 * math.pi))
        at = start
        for child in node.children:
            walk(child, at, depth + 1)
            at += weights[child.name] * 2 * math.pi

    walk(model.root, 0.0, 0)
    outer = len(rings)
    # radii (inches): a hole, wide rings for the dimensions, a narrow one for the leaves
    edges = [0.7]
    for depth in range(1, outer + 1):
        edges.append(edges[-1] + (0.45 if depth == outer else 1.25))
    radius = edges[-1]
    with _Drawing((2 * radius + 4, 2 * radius + 4), layout=None) as drawing:
        figure = drawing.figure
        side = 2 * radius + 4
        ax = figure.add_axes(
            (2 / side, 2 / side, 2 * radius / side, 2 * radius / side), projection="polar"
        )
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_axis_off()
        ax.set_ylim(0, radius)
        renderer = figure.canvas.get_renderer()
        ax.text(0, 0, figure_text(model.root.name), ha="center", va="center", fontsize=8,
                fontweight="bold")  # fmt: skip
        key: list[str] = []  # inner nodes labelled by their name: name, title, weight
        for depth, ring in enumerate(rings, start=1):
            inner, width = edges[depth - 1], edges[depth] - edges[depth - 1]
            colours = [_ancestor_colour(model, n) for n, _, _ in ring]
            ax.bar(
                [s + w / 2 for _, s, w in ring], [width] * len(ring),
                width=[w for _, _, w in ring], bottom=inner, color=colours,
                alpha=max(0.3, 1.0 - 0.25 * (depth - 1)), edgecolor="white", linewidth=1,
            )  # fmt: skip
            for node, start, span in ring:
                middle = start + span / 2
                degrees = 90 - math.degrees(middle)  # the radius's angle on the screen
                upright = -90 <= ((degrees + 180) % 360 - 180) <= 90
                radial = degrees if upright else degrees + 180
                share = f"{weights[node.name] * 100:.3g}%"
                if depth == outer or not node.children:  # outside the circle, radially
                    ax.text(middle, edges[depth] + 0.08 if depth == outer else edges[-1] + 0.08,
                            f"{figure_text(node.title or node.name)}  {share}", rotation=radial,
                            rotation_mode="anchor", ha="left" if upright else "right",
                            va="center", fontsize=7)  # fmt: skip
                    continue
                label = _ring_label(figure, renderer, node, share, inner, width, span)
                full = figure_text(node.title or node.name)
                if label is None or not label[0].startswith(full):  # named in the key
                    key.append(f"{figure_text(node.name)}: {full}  {share}")
                if label is not None:
                    text, tangential = label
                    tangent = degrees - 90 if degrees - 90 >= -90 else degrees + 90
                    if ((tangent + 180) % 360 - 180) > 90 or ((tangent + 180) % 360 - 180) < -90:
                        tangent += 180
                    ax.text(middle, inner + width / 2, text, fontsize=7.5, ha="center",
                            va="center", rotation_mode="anchor",
                            rotation=tangent if tangential else radial)  # fmt: skip
        # the index's title above the outermost labels, the key under them
        extent = ax.get_tightbbox(renderer).transformed(ax.transAxes.inverted())
        top = extent.y1
        if key:
            ax.text(0.0, extent.y0 - 0.03, "\n".join(key), transform=ax.transAxes,
                    ha="left", va="top", fontsize=7.5)  # fmt: skip
        title = f"{figure_text(model.meta.title or model.root.name)}: effective weights"
        ax.text(0.5, top + 0.02, title, transform=ax.transAxes, ha="center", va="bottom",
                fontsize=10)  # fmt: skip
    return figure


def _ring_label(figure, renderer, node: Node, share: str, inner: float, width: float, span):
    """The label of an inner node and whether it runs along the ring: its title, else
    its name, radially if it fits across the ring, else along it if the arc is long
    enough; None if neither fits (the leaves outside still name everything)."""
    arc = (inner + width / 2) * span
    for text in dict.fromkeys(
        [f"{figure_text(node.title or node.name)}  {share}", f"{figure_text(node.name)}  {share}",
         figure_text(node.name)]
    ):  # fmt: skip
        probe = figure.text(0, 0, text, fontsize=7.5)
        extent = probe.get_window_extent(renderer)
        probe.remove()
        length, thickness = extent.width / figure.dpi, extent.height / figure.dpi
        if length <= width * 0.92 and thickness <= arc * 0.9:
            return text, False
        if length <= arc * 0.9 and thickness <= width * 0.9:
            return text, True
    return None


def _ancestor_colour(model: IndexModel, target: Node) -> str:
    for k, top in enumerate(model.root.children):
        if any(n is target for n in top.walk()):
            return OKABE_ITO[k % len(OKABE_ITO)]
    return _LINE


# ---- correlations ----------------------------------------------------------------------------


def plot_correlations(
    result: Result,
    level: str = "indicators",
    against: str | None = None,
    raw: bool = False,
    nodes: Sequence[str] = (),
):
    """A heat map of Pearson's r between the nodes of ``level`` (``indicators`` or a
    depth), or the ``nodes`` named, and those of ``against`` (the same by default)."""
    rows = tuple(nodes) or level_nodes(result, level)
    columns = None if against is None else level_nodes(result, against)
    table = correlations(result, rows, columns, raw)
    r = table.r
    ny, nx = r.shape
    annotate = max(nx, ny) <= 24
    side = 0.32 if annotate else 0.2
    with _Drawing((2.5 + side * nx, 1.8 + side * ny)) as drawing:
        figure = drawing.figure
        ax = figure.add_subplot()
        image = ax.imshow(
            np.ma.masked_invalid(r), cmap=DIVERGING, vmin=-1, vmax=1, interpolation="nearest",
            aspect=1.0,
        )  # fmt: skip
        ax.set_xticks(range(nx), [title_of(result, c) for c in table.columns], rotation=90)
        ax.set_yticks(range(ny), [title_of(result, c) for c in table.rows])
        ax.tick_params(length=0, labelsize=7.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if annotate:
            for i in range(ny):
                for j in range(nx):
                    if np.isfinite(r[i, j]):
                        ax.text(
                            j, i, f"{r[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                            color="white" if abs(r[i, j]) > 0.6 else "#1f2328",
                        )  # fmt: skip
        low, high = int(table.n.min()), int(table.n.max())
        counted = f"n = {low}" if low == high else f"n = {low}–{high}"
        figure.colorbar(image, ax=ax, shrink=0.7, label="Pearson's r")
        what = "raw values" if raw else "scores"
        ax.set_title(
            f"{_index_title(result)}: correlations of {what}\n"
            f"over the units with both values ({counted})"
        )
    return figure


# ---- distribution ----------------------------------------------------------------------------


def plot_distribution(result: Result, node: str, raw: bool = False):
    """A node's or an indicator's values: a histogram, and under it a box with every
    unit as a dot; the units without a value are counted in the title."""
    name = resolve(result, node)
    data = values(result, name, raw)
    present = data[np.isfinite(data)]
    missing = len(data) - len(present)
    with _Drawing((7.0, 4.2)) as drawing:
        figure = drawing.figure
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
        if len(present):
            top.hist(present, bins="auto", color=_BAR, edgecolor="white")
            sideways = (
                {"orientation": "horizontal"}
                if tuple(int(p) for p in drawing.matplotlib.__version__.split(".")[:2]) >= (3, 10)
                else {"vert": False}
            )
            bottom.boxplot(present, widths=0.6, showfliers=False,
                           medianprops={"color": _ACCENT}, **sideways)  # fmt: skip
            jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(present))
            bottom.plot(present, 1 + jitter, "o", color=_BAR, alpha=0.55, markersize=3.5)
        bottom.set_yticks([])
        bottom.spines["left"].set_visible(False)
        top.set_ylabel("units")
        kind = "raw value" if raw or name not in result.graph.nodes else "score"
        bottom.set_xlabel(f"{title_of(result, name)} ({kind})")
        note = f"{len(present)} units" + (f", {missing} without a value" if missing else "")
        top.set_title(f"{_index_title(result)}: distribution of `{name}` ({note})")
    return figure


# ---- scatter ---------------------------------------------------------------------------------


def extremes(x: np.ndarray, y: np.ndarray, count: int) -> list[int]:
    """The units with the ``count`` highest and lowest values on either axis."""
    both = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if count <= 0 or not len(both):
        return []
    chosen: dict[int, None] = {}
    for series in (x, y):
        order = both[np.argsort(series[both], kind="stable")]
        for i in [*order[:count], *order[::-1][:count]]:
            chosen[int(i)] = None
    return sorted(chosen)


def plot_scatter(result: Result, x: str, y: str, label: int = 3, raw: bool = False):
    """Two nodes or indicators against each other, one dot per unit with both values;
    the ``label`` units highest and lowest on each axis are named."""
    xs, ys = resolve(result, x), resolve(result, y)
    a, b = node_series(result, xs, raw), node_series(result, ys, raw)
    r, n = pearson(a, b)
    names = _labels(result)
    with _Drawing((6.5, 5.0)) as drawing:
        ax = drawing.figure.add_subplot()
        both = np.isfinite(a) & np.isfinite(b)
        ax.plot(a[both], b[both], "o", color=_BAR, alpha=0.7, markersize=4.5)
        for i in extremes(a, b, label):
            ax.annotate(names[i], (a[i], b[i]), xytext=(4, 3), textcoords="offset points",
                        fontsize=7.5, color="#1f2328")  # fmt: skip
        ax.set_xlabel(title_of(result, xs))
        ax.set_ylabel(title_of(result, ys))
        ax.grid(color="#eaeef2")
        ax.set_axisbelow(True)
        shown = "r not defined" if math.isnan(r) else f"Pearson's r = {r:.2f}"
        ax.set_title(f"{_index_title(result)}: `{xs}` against `{ys}` ({shown}, n = {n})")
    return drawing.figure


# ---- contributions ---------------------------------------------------------------------------


def plot_contributions(result: Result, node: str | None = None, top: int | None = None):
    """Stacked bars: each unit's score at ``node`` (the index by default) as the sum
    of its children's weighted scores, best first (the first ``top`` units; up to
    :data:`TOP` when not given)."""
    table = contributions(result, node)
    names = _labels(result)
    order, note = _shown(list(table.order), top)
    with _Drawing((8.5, 1.4 + 0.2 * len(order))) as drawing:
        ax = drawing.figure.add_subplot()
        left = np.zeros(len(order))
        for k, child in enumerate(table.children):
            part = table.parts[order, k]
            ax.barh(
                range(len(order)), part, left=left, height=0.75,
                color=OKABE_ITO[k % len(OKABE_ITO)] if len(table.children) <= 8
                else _many_colours(len(table.children))[k],
                label=title_of(result, child), edgecolor="white", linewidth=0.4,
            )  # fmt: skip
            left += part
        ax.set_yticks(range(len(order)), [names[i] for i in order], fontsize=7.5)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"score of `{table.node}`: weight × score of each child, added up")
        ax.grid(axis="x", color="#eaeef2")
        ax.set_axisbelow(True)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=min(4, len(table.children)),
                  fontsize=7.5, frameon=False)  # fmt: skip
        ax.set_title(
            f"{_index_title(result)}: contributions to `{table.node}`{note}", pad=8 + 12 *
            -(-len(table.children) // 4),
        )  # fmt: skip
    return drawing.figure


def _many_colours(count: int) -> list:
    from matplotlib import colormaps

    return [colormaps["viridis"](k / max(count - 1, 1)) for k in range(count)]


# ---- rank intervals --------------------------------------------------------------------------


def draw_rank_intervals(
    ax, labels, nominal, median, low, high, *, accent: str, label_size=None, legend: dict
) -> None:
    """Rank intervals on ``ax``: per unit (in the order given, first on top) a line from
    the low to the high rank, a dot at the median rank and a diamond at the nominal one;
    the ranks on top, 1 (best) at the left.  `indexdsl plot ranks` and the HTML report
    draw theirs here, each with its own labels, accent colour and legend."""
    from matplotlib.ticker import MaxNLocator

    y = np.arange(len(labels))
    ax.hlines(y, low, high, color=_BAR, linewidth=2.5, alpha=0.55, label="5–95% interval")
    ax.plot(median, y, "o", color=_BAR, markersize=4.5, label="median rank")
    ax.plot(nominal, y, "D", markerfacecolor="none", markeredgecolor=accent,
            markersize=6, markeredgewidth=1.3, label="nominal rank")  # fmt: skip
    ax.set_yticks(y, labels, fontsize=label_size)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    finite = [v for v in [*high, *nominal] if np.isfinite(v)]
    ax.set_xlim(0.5, max([*finite, 1]) + 0.5)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("rank (1 = best)")
    ax.grid(axis="x", color="#eaeef2")
    ax.set_axisbelow(True)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(ncols=3, frameon=False, **legend)


def plot_ranks(result: Result, uncertainty, settings: Sequence[str] = (), top: int | None = None):
    """Per unit (best nominal rank on top): a line over the 5–95 % interval of its
    ranks, a dot at the median rank, a diamond at the nominal rank; ``settings`` (lines
    of text: what varied, the seed) go under the title."""
    table = rank_intervals(uncertainty)
    names = _labels(result)
    shown, note = _shown(list(range(len(table.units))), top)
    table = attrs.evolve(
        table, units=tuple(table.units[k] for k in shown), nominal=table.nominal[shown],
        median=table.median[shown], low=table.low[shown], high=table.high[shown],
    )  # fmt: skip
    count = len(table.units)
    with _Drawing((8.0, 1.5 + 0.2 * count)) as drawing:
        ax = drawing.figure.add_subplot()
        draw_rank_intervals(
            ax, [names[i] for i in table.units], table.nominal, table.median, table.low,
            table.high, accent=_ACCENT, label_size=7.5,
            legend={"loc": "upper left", "bbox_to_anchor": (0.0, 0.0), "fontsize": 7.5},
        )  # fmt: skip
        title = f"{_index_title(result)}: ranks over {table.replications} replications{note}"
        ax.set_title("\n".join([title, *settings]), fontsize=9)
    return drawing.figure


def plot(result: Result, kind: str, *nodes: str, uncertainty=None, **options: Any):
    """The figure of ``kind`` (see :data:`KINDS`) for ``result``."""
    if kind not in KINDS:
        hints = suggest(kind, KINDS)
        raise UsageError(
            f"unknown kind of plot `{kind}`"
            + (f"; did you mean `{hints[0]}`?" if hints else f"; one of {', '.join(KINDS)}")
        )
    taken = NODES_TAKEN.get(kind, 0)
    if kind == "correlations" and nodes:  # the nodes named, instead of a level's
        if len(nodes) < 2:
            raise UsageError("`plot correlations` takes two nodes or more, or none (`--level`)")
        return plot_correlations(result, nodes=nodes, **options)
    if len(nodes) != taken:
        what = {0: "no node", 1: "one node", 2: "two nodes"}[taken]
        raise UsageError(f"`plot {kind}` takes {what}, not {len(nodes)}: {' '.join(nodes)}")
    if kind == "framework":
        return plot_framework(result.graph.model, **options)
    if kind == "correlations":
        return plot_correlations(result, **options)
    if kind == "distribution":
        return plot_distribution(result, nodes[0], **options)
    if kind == "scatter":
        return plot_scatter(result, nodes[0], nodes[1], **options)
    if kind == "contributions":
        return plot_contributions(result, **options)
    if uncertainty is None:
        raise UsageError("`plot ranks` needs the result of an uncertainty analysis")
    return plot_ranks(result, uncertainty, **options)
