"""Why a unit ranks where it does: `indexdsl explain FILE UNIT`.

An explanation has three parts:

- the unit's score taken apart along the hierarchy.  Where a node is a weighted
  arithmetic mean (and does not rescale its aggregate), its score is exactly the sum of
  its children's weighted scores, so each node below the index *contributes*
  ``(product of the weights on the path from the index) × (its score)`` and the
  contributions of the indicators add up to the index score.  Below a node that
  aggregates otherwise (a geometric mean, a rescaled aggregate) a score is not a sum of
  parts: there each child's score and weight are shown, and no contribution;
- its strongest and weakest dimensions, by its rank among all units in each;
- its nearest rivals: the units just above and just below it in the ranking, with the
  gaps in score.

Weights are those the engine used for this unit: a child without a score is skipped
and its siblings' weights are rescaled to sum to one (the built-in aggregators' rule).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from indexdsl.compile import AggregateNode
from indexdsl.diagnostics import DiagnosticError, suggest
from indexdsl.errors import commands as errors
from indexdsl.evaluate import Result
from indexdsl.model import Node


@attrs.frozen
class Part:
    """One node of the hierarchy, seen from one unit."""

    node: str
    title: str
    depth: int
    kind: str  # "index" | "dimension" | "indicator"
    weight: float | None  # weight within the parent, as used for this unit (None: the index)
    score: float  # NaN when the unit has no score here
    rank: int  # among all units at this node; 0: not ranked
    ranked: int  # units ranked at this node
    path_weight: float | None  # product of weights from the index; None where not additive
    contribution: float | None  # path_weight × score; None where not additive
    aggregator: str | None = None  # inner nodes: the aggregator as written
    raw: float | None = None  # indicators: the value before normalisation


@attrs.frozen
class Standing:
    node: str
    title: str
    rank: int
    ranked: int
    score: float


@attrs.frozen
class Rival:
    key: str
    label: str
    rank: int
    score: float
    gap: float  # the rival's score minus the unit's


@attrs.frozen
class Explanation:
    key: str
    label: str
    index: str  # name of the root node
    title: str  # the index's title
    units_title: str
    score: float
    rank: int
    ranked: int  # units ranked at the index
    parts: tuple[Part, ...]  # the hierarchy, parents before children
    additive: bool  # every contribution is exact and the indicators' sum to the score
    not_additive: tuple[tuple[str, str], ...]  # (node, why) where decomposition stops
    strongest: tuple[Standing, ...]
    weakest: tuple[Standing, ...]
    above: tuple[Rival, ...]  # nearest first
    below: tuple[Rival, ...]  # nearest first
    decimals: int = 2  # decimals that tell the scores apart when printed

    def text(self) -> str:
        """The explanation as the `explain` command prints it, without colours."""
        import io

        from rich.console import Console

        out = io.StringIO()
        render(self, Console(file=out, width=100, color_system=None, highlight=False))
        return out.getvalue()

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        """A notebook shows the explanation's text, not the object's fields (the text
        is escaped: labels come from data)."""
        import html

        return f"<pre>{html.escape(self.text())}</pre>"

    def contributions(self) -> dict[str, float]:
        """Indicator → contribution to the index score, for indicators whose
        contribution is exact (all of them when ``additive``)."""
        return {
            p.node: p.contribution
            for p in self.parts
            if p.kind == "indicator" and p.contribution is not None
        }


# ---- finding the unit ------------------------------------------------------------------


def unit_index(result: Result, text: str) -> int:
    """The position of the unit named ``text``: by key, then by label, then either of
    them ignoring case.  An unknown or ambiguous name raises a diagnostic (E701) that
    suggests close matches."""
    data = result.data
    keys, labels = data.keys, data.labels
    if text in keys:
        return keys.index(text)
    for candidates in (labels, [k.lower() for k in keys], [v.lower() for v in labels]):
        wanted = text if candidates is labels else text.lower()
        found = [i for i, c in enumerate(candidates) if c == wanted]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            shown = ", ".join(f"`{keys[i]}`" for i in found[:8])
            raise DiagnosticError(
                [errors.unknown_unit(text, _units_span(result), matches=len(found), help=shown)]
            )
    raise DiagnosticError([_unknown_unit(result, text)])


def _units_span(result: Result):
    units = result.graph.model.units
    return units.key_span or units.span


def _unknown_unit(result: Result, text: str):
    data = result.data
    model = result.graph.model
    lowered: dict[str, str] = {}
    for key, label in zip(data.keys, data.labels, strict=True):
        lowered.setdefault(key.lower(), key)
        lowered.setdefault(label.lower(), key)
    hints = suggest(text.lower(), lowered)
    shown = []
    for hint in hints:
        key = lowered[hint]
        label = data.labels[data.keys.index(key)]
        shown.append(f"`{key}` ({label})" if label != key else f"`{key}`")
    shown = list(dict.fromkeys(shown))
    if shown:
        help_text = "did you mean " + " or ".join(shown) + "?"
    else:
        some = ", ".join(f"`{k}`" for k in data.keys[:5])
        more = f" … ({data.n_units} in all)" if data.n_units > 5 else ""
        help_text = f"give a unit's key or label, e.g. {some}{more}"
    return errors.unknown_unit(
        text,
        _units_span(result),
        label=f"the units of `{model.meta.name}` are identified by column `{model.units.key}`",
        help=help_text,
    )


# ---- taking the score apart ----------------------------------------------------------------


def _additive(node: Node) -> str | None:
    """Why a node's score is not the weighted sum of its children's, or None if it is."""
    if node.formula is not None:
        return f"`{node.name}` is the formula `{node.formula_text}`, not a weighted sum"
    if node.aggregator is not None and not node.aggregator.additive:
        return (
            f"`{node.name}` aggregates with `{node.aggregator.describe()}`, "
            "which is not a weighted sum"
        )
    if node.rescaler is not None:
        return f"`{node.name}` rescales its aggregate with `{node.rescaler.describe()}`"
    return None


def _used_weights(weights: np.ndarray, child_scores: np.ndarray) -> np.ndarray:
    """Weights as the aggregators apply them: children without a score are skipped and
    the others' weights rescaled to sum to one."""
    present = ~np.isnan(child_scores)
    w = np.where(present, weights, 0.0)
    total = w.sum()
    return w / total if total > 0 else np.full_like(w, np.nan)


def score_decimals(scores: np.ndarray) -> int:
    """Decimals to print scores with: 2 on a 0-100 scale, 3 on a 0-1 scale (the HDI)."""
    finite = np.abs(scores[np.isfinite(scores)])
    largest = float(finite.max()) if finite.size else 0.0
    if largest <= 0:
        return 2
    return int(min(6, max(2, 2 - math.floor(math.log10(largest)))))


def _ranked(ranks: np.ndarray) -> int:
    return int((ranks > 0).sum())


def explain(result: Result, unit: str | int, rivals: int = 2) -> Explanation:
    """Explain the unit named ``unit`` (key or label; or its position) at unit level."""
    graph, data, level = result.graph, result.data, result.units
    model = graph.model
    i = unit if isinstance(unit, int) else unit_index(result, unit)
    steps = {s.node: s for s in graph.steps if isinstance(s, AggregateNode)}

    parts: list[Part] = []
    not_additive: list[tuple[str, str]] = []

    def visit(node: Node, weight: float | None, path_weight: float | None) -> None:
        score = float(level.scores[node.name][i])
        ranks = level.ranks[node.name]
        contribution = None
        if path_weight is not None:
            contribution = 0.0 if math.isnan(score) else path_weight * score
        kind = "indicator" if node.is_leaf else ("dimension" if node.depth else "index")
        parts.append(
            Part(
                node=node.name,
                title=node.title,
                depth=node.depth,
                kind=kind,
                weight=weight,
                score=score,
                rank=int(ranks[i]),
                ranked=_ranked(ranks),
                path_weight=path_weight,
                contribution=contribution,
                aggregator=node.aggregator.describe() if node.aggregator else None,
                raw=float(level.raw[node.indicator][i]) if node.is_leaf else None,
            )
        )
        if node.is_leaf:
            return
        if node.formula is not None:
            if path_weight is not None:
                not_additive.append((node.name, _additive(node)))
            for child in node.inputs:  # computed under it; only the formula makes its score
                visit(child, None, None)
            return
        step = steps[node.name]
        child_scores = np.array([level.scores[c][i] for c in step.children], dtype=float)
        # the weights the aggregator was given: a weighting scheme's, where one chose them
        given = np.asarray(level.weights.get(node.name, step.weights), dtype=float)
        if given.ndim == 2:  # one row of weights per unit
            given = given[i]
        used = _used_weights(given, child_scores)
        why = _additive(node)
        decomposed = path_weight is not None and why is None and not math.isnan(score)
        if why is not None and path_weight is not None:
            not_additive.append((node.name, why))
        for child, w in zip(node.children, used, strict=True):
            w = float(w)
            visit(child, None if math.isnan(w) else w, path_weight * w if decomposed else None)
        for child in node.inputs:  # auxiliary: no weight, no contribution
            visit(child, None, None)

    root_score = float(level.scores[graph.root][i])
    visit(model.root, None, None if math.isnan(root_score) else 1.0)
    additive = not not_additive and not math.isnan(root_score)

    strongest, weakest = _standings(parts)
    above, below = _rivals(result, i, rivals)
    root_ranks = level.ranks[graph.root]
    return Explanation(
        key=data.keys[i],
        label=data.labels[i],
        index=graph.root,
        title=model.meta.title,
        units_title=model.units.title,
        score=root_score,
        rank=int(root_ranks[i]),
        ranked=_ranked(root_ranks),
        parts=tuple(parts),
        additive=additive,
        not_additive=tuple(not_additive),
        strongest=strongest,
        weakest=weakest,
        above=above,
        below=below,
        decimals=score_decimals(level.scores[graph.root]),
    )


def dimensions(parts) -> list[Part]:
    """The nodes between the index and the indicators; the indicators when there are none."""
    return [p for p in parts if p.kind == "dimension"] or [
        p for p in parts if p.kind == "indicator"
    ]


def _standings(parts: list[Part]) -> tuple[tuple[Standing, ...], tuple[Standing, ...]]:
    """The dimensions (every node between the index and the indicators; the indicators
    when there are none) in which the unit ranks best and worst among all units."""
    ranked = [p for p in dimensions(parts) if p.rank > 0]
    if not ranked or len({(p.rank, p.ranked) for p in ranked}) == 1:
        return (), ()  # nothing ranked, or the same rank everywhere: nothing stands out

    def share(p: Part) -> float:
        # a rank means more among many units: compare ranks as shares of the units ranked
        return (p.rank - 1) / max(p.ranked, 1)

    ranked.sort(key=lambda p: (share(p), p.rank))  # stable: ties stay in file order
    k = min(3, max(1, len(ranked) // 2))
    best = ranked[:k]
    # a weakest dimension ranks strictly worse than every strongest one
    worst = [p for p in reversed(ranked[-k:]) if share(p) > share(best[-1])]

    def standing(p: Part) -> Standing:
        return Standing(p.node, p.title, p.rank, p.ranked, p.score)

    return tuple(map(standing, best)), tuple(map(standing, worst))


def ranking_order(scores: np.ndarray, ranks: np.ndarray) -> list[int]:
    """Positions of the ranked units, best first (ties in file order)."""
    return sorted(
        (j for j in range(len(ranks)) if ranks[j] > 0),
        key=lambda j: (ranks[j], -scores[j], j),
    )


def _rivals(result: Result, i: int, count: int) -> tuple[tuple[Rival, ...], tuple[Rival, ...]]:
    scores = result.units.scores[result.graph.root]
    ranks = result.units.ranks[result.graph.root]
    if ranks[i] == 0 or count <= 0:
        return (), ()
    order = ranking_order(scores, ranks)
    at = order.index(i)
    data = result.data

    def rival(j: int) -> Rival:
        return Rival(
            data.keys[j],
            data.labels[j],
            int(ranks[j]),
            float(scores[j]),
            float(scores[j] - scores[i]),
        )

    above = tuple(rival(j) for j in reversed(order[max(0, at - count) : at]))
    below = tuple(rival(j) for j in order[at + 1 : at + 1 + count])
    return above, below


# ---- rendering -------------------------------------------------------------------------------


def _num(value: float | None, decimals: int = 2, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def _percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value * 100:.4g}%"


def _rank(rank: int, ranked: int) -> str:
    return f"{rank} of {ranked}" if rank else "–"


def _name(e: Explanation) -> str:
    return e.label if e.label == e.key else f"{e.label} (`{e.key}`)"


def render(e: Explanation, console) -> None:
    """Print an explanation on a rich console."""
    from rich.table import Table

    d = e.decimals
    console.print(f"{_name(e)} in the {e.title}")
    if math.isnan(e.score):
        console.print(
            f"No index score (missing data), so no rank among the {e.ranked} ranked "
            f"{e.units_title.lower()}. The scores it has are shown below."
        )
    else:
        console.print(f"Score {_num(e.score, d)}, rank {_rank(e.rank, e.ranked)}.")
    console.print()

    if e.additive:
        caption = (
            "Every node is a weighted arithmetic mean, so the score is exactly the sum of "
            "the indicators' contributions: contribution = weight along the path from the "
            f"index × normalised score.  They add up to {_num(e.score, d)}."
        )
    elif e.not_additive:
        reasons = "; ".join(why for _, why in e.not_additive)
        caption = (
            f"Not additive: {reasons}.  Below it a score is not a sum of parts, so each "
            "child's score and weight are shown instead of a contribution; where a "
            "contribution is shown it is exact."
        )
    else:
        caption = "The unit has no index score, so nothing is decomposed."
    table = Table(title="How the score is made up", title_justify="left", caption=caption)
    table.caption_justify = "left"
    table.add_column("node")
    table.add_column("title")
    table.add_column("weight", justify="right")
    table.add_column("score", justify="right")
    table.add_column("rank", justify="right")
    table.add_column("contribution", justify="right")
    table.add_column("share", justify="right")
    for p in e.parts:
        name = "  " * p.depth + p.node
        if p.aggregator and p.kind != "indicator":
            name += f" [{p.aggregator}]"
        share = ""
        if p.contribution is not None and not math.isnan(e.score) and e.score != 0:
            share = f"{p.contribution / e.score:.1%}"
        table.add_row(
            name,
            p.title if p.title != p.node else "",
            _percent(p.weight),
            _num(p.score, d),
            _rank(p.rank, p.ranked),
            _num(p.contribution, d) if p.contribution is not None else "",
            share,
        )
    console.print(table)
    console.print()

    def listed(standings) -> str:
        return "; ".join(
            f"{s.title} (rank {_rank(s.rank, s.ranked)}, score {_num(s.score, d)})"
            for s in standings
        )

    if e.strongest:
        console.print(f"Strongest: {listed(e.strongest)}")
    if e.weakest:
        console.print(f"Weakest:   {listed(e.weakest)}")
    same = {(p.rank, p.ranked) for p in dimensions(e.parts) if p.rank > 0}
    uniform = not e.strongest and len(same) == 1
    if uniform:
        rank, ranked = next(iter(same))
        console.print(f"The same rank, {_rank(rank, ranked)}, in every dimension.")
    if e.strongest or e.weakest or uniform:
        console.print()

    if e.above or e.below:
        table = Table(title="Nearest rivals", title_justify="left")
        table.add_column("rank", justify="right")
        table.add_column(e.units_title)
        table.add_column("score", justify="right")
        table.add_column("gap", justify="right")
        for r in reversed(e.above):
            table.add_row(
                str(r.rank), _rival_name(r), _num(r.score, d), _num(r.gap, d, signed=True)
            )
        table.add_row(str(e.rank), f"→ {_name(e)}", _num(e.score, d), "")
        for r in e.below:
            table.add_row(
                str(r.rank), _rival_name(r), _num(r.score, d), _num(r.gap, d, signed=True)
            )
        console.print(table)


def _rival_name(r: Rival) -> str:
    return r.label if r.label == r.key else f"{r.label} (`{r.key}`)"
