"""The numbers behind the figures of :mod:`indexdsl.output.plots`, apart from the
pixels: which node a name means, a node's values, the correlations of a level, each
unit's contributions and the rank intervals of an uncertainty analysis.

Nothing here needs matplotlib, so these are computed (and tested) where it is not
installed, and the HTML report's own charts can read them too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np

from indexdsl.compile import AggregateNode
from indexdsl.diagnostics import DiagnosticError, UsageError, printable, suggest
from indexdsl.errors import commands as errors
from indexdsl.evaluate import Result
from indexdsl.model import IndexModel, Node


def figure_text(value: str) -> str:
    """Text from the data as a figure shows it: control characters written out."""
    return printable(value)


# ---- finding nodes --------------------------------------------------------------------------


def _framework_span(model: IndexModel):
    return model.root.span


def resolve(result: Result, name: str) -> str:
    """The node or indicator ``name`` names; an unknown name raises E725 with the
    closest names."""
    nodes = result.graph.nodes
    if name in nodes or name in result.units.raw:
        return name
    known = [*result.graph.node_order, *(n for n in result.units.raw if n not in nodes)]
    hints = suggest(name, known)
    model = result.graph.model
    raise DiagnosticError(
        [
            errors.plot_unknown_node(
                name, _framework_span(model), model.meta.name, hints[0] if hints else None
            )
        ]
    )


def title_of(result: Result, name: str) -> str:
    node = result.graph.nodes.get(name)
    if node is not None and node.title and node.title != name:
        return figure_text(node.title)
    indicator = result.graph.model.indicators.get(name)
    title = getattr(indicator, "title", "") if indicator is not None else ""
    return figure_text(title or name)


def values(result: Result, name: str, raw: bool = False) -> np.ndarray:
    """A node's scores over the units (an indicator's normalised values), or with
    ``raw`` an indicator's values before normalisation.  An indicator declared but left
    out of the framework has raw values only."""
    name = resolve(result, name)
    node = result.graph.nodes.get(name)
    level = result.units
    if node is None:
        return np.asarray(level.raw[name], dtype=float)
    if raw:
        if not node.is_leaf:
            raise UsageError(f"`{name}` is not an indicator, so it has no raw values")
        return np.asarray(level.raw[node.indicator], dtype=float)
    return np.asarray(level.scores[name], dtype=float)


# ---- the numbers behind the figures --------------------------------------------------------


@attrs.frozen
class Correlations:
    """Pearson's r of every row series with every column series, each over the units
    that have both values (``n``: how many); NaN where fewer than three units do or a
    series does not vary."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    r: np.ndarray  # (rows, columns)
    n: np.ndarray  # (rows, columns) units with both values


def level_nodes(result: Result, level: str) -> tuple[str, ...]:
    """The nodes of a level: ``indicators`` (the leaves), or a depth (``0`` the index,
    ``1`` its children …), in the framework's order."""
    graph = result.graph
    if level in ("indicators", "indicator", "leaves"):
        return tuple(n for n in graph.node_order if graph.nodes[n].is_leaf)
    try:
        depth = int(level)
    except ValueError:
        raise UsageError(
            f"level `{level}` is neither `indicators` nor a depth of the hierarchy "
            "(0 the index, 1 its dimensions …)"
        ) from None
    found = tuple(n for n in graph.node_order if graph.nodes[n].depth == depth)
    if not found:
        deepest = max(graph.nodes[n].depth for n in graph.node_order)
        raise UsageError(
            f"the hierarchy of `{graph.root}` has no nodes at depth {depth} "
            f"(depths 0 to {deepest}; or `indicators`)"
        )
    return found


def pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Pearson's r over the positions where both are finite, and how many those are."""
    both = np.isfinite(x) & np.isfinite(y)
    n = int(both.sum())
    if n < 3:
        return math.nan, n
    a, b = x[both] - x[both].mean(), y[both] - y[both].mean()
    denominator = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return (float((a * b).sum()) / denominator if denominator > 0 else math.nan), n


def correlations(
    result: Result, rows: Sequence[str], columns: Sequence[str] | None = None, raw: bool = False
) -> Correlations:
    """Pearson's r between ``rows`` and ``columns`` (by default the same nodes)."""
    rows = tuple(resolve(result, n) for n in rows)
    columns = rows if columns is None else tuple(resolve(result, n) for n in columns)
    series = {n: node_series(result, n, raw) for n in dict.fromkeys([*rows, *columns])}
    r = np.full((len(rows), len(columns)), np.nan)
    n = np.zeros((len(rows), len(columns)), dtype=np.int64)
    for i, a in enumerate(rows):
        for j, b in enumerate(columns):
            r[i, j], n[i, j] = pearson(series[a], series[b])
    return Correlations(rows, columns, r, n)


def node_series(result: Result, name: str, raw: bool) -> np.ndarray:
    node = result.graph.nodes.get(name)
    return values(result, name, raw=raw and node is not None and node.is_leaf)


@attrs.frozen
class Contributions:
    """Each unit's score at ``node`` split into its children's weighted scores: the
    weight the aggregator used for the unit (children without a score skipped, the
    others' weights rescaled) times the child's score.  ``parts[i].sum() == score[i]``
    for every unit with a score.  ``order``: the units with a score, best first."""

    node: str
    children: tuple[str, ...]
    parts: np.ndarray  # (units, children); 0 for a child without a score
    score: np.ndarray  # (units,) the node's score
    order: tuple[int, ...]


def contributions(result: Result, node: str | None = None) -> Contributions:
    """The contributions of ``node``'s children (the index's by default) to its score;
    E726 where the node is not a weighted arithmetic mean of its children."""
    from indexdsl.analyses.explain import _additive, _used_weights, ranking_order

    graph, level = result.graph, result.units
    name = graph.root if node is None else resolve(result, node)
    spec = model_node(graph.model, name)
    if spec is None or spec.is_leaf:
        why = "it is an indicator, which has no parts" if spec is not None else "it has no parts"
        raise DiagnosticError([errors.plot_not_additive(name, spec and spec.span, why)])
    reason = _additive(spec)
    if reason is not None:
        role = "rescaler" if spec.rescaler is not None else "aggregator"
        chosen = None if spec.formula is not None else spec.chosen.get(role)
        span = chosen.span if chosen is not None and chosen.span is not None else spec.span
        raise DiagnosticError([errors.plot_not_additive(name, span, reason)])
    step = next(s for s in graph.steps if isinstance(s, AggregateNode) and s.node == name)
    children = tuple(step.children)
    child_scores = np.array([level.scores[c] for c in children], dtype=float).T
    given = np.asarray(level.weights.get(name, step.weights), dtype=float)
    score = np.asarray(level.scores[name], dtype=float)
    parts = np.zeros((len(score), len(children)))
    for i in range(len(score)):
        if math.isnan(score[i]):
            continue
        weights = given[i] if given.ndim == 2 else given
        used = _used_weights(weights, child_scores[i])
        parts[i] = np.where(np.isnan(child_scores[i]), 0.0, used * child_scores[i])
    ranks = np.asarray(level.ranks[name])
    ordered = ranking_order(score, ranks)
    ordered += [i for i in range(len(score)) if ranks[i] == 0 and not math.isnan(score[i])]
    return Contributions(name, children, parts, score, tuple(ordered))


def model_node(model: IndexModel, name: str) -> Node | None:
    for node in model.root.walk():
        if node.name == name:
            return node
    return None


@attrs.frozen
class RankIntervals:
    """Per unit with a nominal rank, best first: the nominal rank, the median rank and
    the 5–95 % interval of its ranks over the replications of an uncertainty analysis."""

    units: tuple[int, ...]  # positions in the data, in the order drawn
    nominal: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    replications: int


def rank_intervals(uncertainty) -> RankIntervals:
    """The numbers of a rank-interval plot, from an
    :class:`indexdsl.analyses.uncertainty.UncertaintyResult`."""
    nominal = np.asarray(uncertainty.nominal)
    low, high = uncertainty.interval()
    median = uncertainty.median
    order = [int(i) for i in np.argsort(nominal, kind="stable") if nominal[i] > 0]
    index = np.array(order, dtype=np.int64)
    return RankIntervals(
        tuple(order), nominal[index], median[index], low[index], high[index],
        uncertainty.evaluated,
    )  # fmt: skip
