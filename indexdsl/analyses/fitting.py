"""Recovering weights a report does not print: the non-negative weights, summing to one,
with which a node's children best reproduce a column of published scores (or ranks).

**Scores** (least squares).  A node's score is modelled as the weighted arithmetic mean
of its children's scores, ``s = Σ w_c x_c`` with ``w ≥ 0`` and ``Σ w = 1``.  When the
node rescales its aggregated score (``rescale minmax(60, 100)``), the published score is
an increasing affine map of that mean, so the model is ``a + b · Σ w_c x_c`` (``b ≥ 0``):
the intercept is eliminated by centring, the non-negative coefficients ``β = b · w`` are
found by non-negative least squares (``scipy.optimize.nnls``) and ``w = β / Σ β``.
Without a rescale, ``Σ w = 1`` is imposed as a heavily weighted extra equation of the
same problem, and the weights are then normalised (exact when the published values are
reproduced exactly, and within about 1e-9 of the constrained optimum otherwise).

**Ranks** (linear programming, ``--ranks``).  The weights minimise the total amount by
which a unit published as better scores below a unit published as worse (a hinge on
every pair of units with different published ranks; beyond :data:`MAX_PAIRS` pairs,
on the pairs of consecutive published ranks only), and, second, maximise the smallest
margin by which the pairs are in order (``scipy.optimize.linprog``, HiGHS).

Units without a published value, or without a score for one of the children, are left
out and counted, never filled in.  The uncertainty of the fitted weights comes from a
bootstrap over the units used (resampled with replacement, ``seed``), as a 95 %
percentile interval per weight.

scipy is an optional dependency (the ``stats`` extra): it is imported when a fit is
asked for, and its absence is a diagnostic (E724), not a traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import attrs
import numpy as np

from indexdsl.components import cell_span
from indexdsl.diagnostics import DiagnosticError, read_number, suggest
from indexdsl.errors import commands as errors
from indexdsl.evaluate import Result
from indexdsl.model import IndexModel, Node
from indexdsl.stats import spearman

MISSING = {"", "na", "n/a", "nan", "..", "-", "null", "none"}
#: the share of the bootstrap distribution outside each interval (a 95 % interval)
ALPHA = 0.05


@attrs.frozen
class Goodness:
    """How well a set of values reproduces the published ones (over the units fitted).

    ``r2``, ``rmse`` and ``max_error`` are None for a fit to ranks; ``exact`` counts the
    units whose rank among the fitted units (computed at the published precision) equals
    the rank of their published value; ``concordant`` is the share of pairs of units with
    different published values that the fitted values put in the same order."""

    r2: float | None
    rmse: float | None
    max_error: float | None
    exact: int
    n: int
    spearman: float
    concordant: float


@attrs.frozen
class WeightFit:
    """The result of :func:`fit_weights`."""

    node: str
    against: str
    kind: str  # "scores" or "ranks"
    children: tuple[str, ...]
    declared: np.ndarray  # the weights of the index file
    weights: np.ndarray  # the fitted weights (non-negative, summing to one)
    affine: bool  # True: the published values are a + b · weighted mean
    intercept: float
    scale: float
    #: units used (positions in the data), units without a published value, units with
    #: a published value but a child without a score
    used: np.ndarray
    missing_published: tuple[int, ...]
    missing_children: tuple[int, ...]
    published: np.ndarray  # per unit (NaN where missing)
    fitted: np.ndarray  # per unit: the fitted weights applied (after the affine map)
    decimals: int  # decimals of the published values (ranks: 0)
    fit: Goodness  # fitted weights
    declared_fit: Goodness  # declared weights, with the best affine map where fitted
    computed_fit: Goodness | None  # the node's scores as the index computes them
    refitted_fit: Goodness | None  # the index recomputed with the fitted weights
    bootstrap: int = 0
    seed: int | None = None
    intervals: np.ndarray | None = None  # (children, 2): 2.5 % and 97.5 % quantiles
    spread: np.ndarray | None = None  # standard deviation of each weight's bootstrap
    degenerate: bool = False  # no child increases with the published values

    def weight_of(self, child: str) -> float:
        return float(self.weights[self.children.index(child)])


def _scipy(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DiagnosticError([errors.fit_needs_scipy()]) from None


# ---- the fits themselves (plain arrays: rows are units, columns children) ---------------------
def fit_scores(x: np.ndarray, y: np.ndarray, affine: bool) -> tuple[np.ndarray, float, float]:
    """Weights ``w`` (≥ 0, Σ = 1), intercept and scale minimising ``‖y − a − b·x w‖²``
    (``affine``) or ``‖y − x w‖²`` (a = 0, b = 1).  When no child increases with ``y``
    (affine, every coefficient 0) the weights are equal and the scale 0."""
    optimize = _scipy("scipy.optimize")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    k = x.shape[1]
    if affine:
        xm, ym = x.mean(axis=0), y.mean()
        beta, _ = optimize.nnls(x - xm, y - ym)
        total = beta.sum()
        if not total > 0:
            return np.full(k, 1.0 / k), float(ym), 0.0
        w = beta / total
        return w, float(ym - xm @ beta), float(total)
    big = 1e6 * max(1.0, float(np.abs(x).max()), float(np.abs(y).max()))
    a = np.vstack([x, np.full((1, k), big)])
    b = np.concatenate([y, [big]])
    w, _ = optimize.nnls(a, b)
    total = w.sum()
    w = w / total if total > 0 else np.full(k, 1.0 / k)
    return w, 0.0, 1.0


#: above this many pairs of units, a rank fit compares each unit only with the units of
#: the next published rank (a chain of pairs, as many as the units) instead of all pairs
MAX_PAIRS = 20_000


def _pairs(ranks: np.ndarray, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (better, worse) of units with different published ranks; with more
    than ``limit`` such pairs, only those between consecutive published ranks."""
    n = len(ranks)
    if limit is None or n * (n - 1) // 2 <= limit:
        i, j = np.nonzero(ranks[:, None] < ranks[None, :])
        return i, j
    levels = np.unique(ranks)
    position = np.searchsorted(levels, ranks)
    better, worse = [], []
    for step in range(len(levels) - 1):
        upper = np.nonzero(position == step)[0]
        lower = np.nonzero(position == step + 1)[0]
        better.append(np.repeat(upper, len(lower)))
        worse.append(np.tile(lower, len(upper)))
    return np.concatenate(better), np.concatenate(worse)


def fit_ranks(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Weights (≥ 0, Σ = 1) whose weighted mean of ``x`` puts the units in the order of
    ``ranks`` (1 best) as far as it can: least total hinge violation, then the largest
    smallest margin."""
    optimize = _scipy("scipy.optimize")
    sparse = _scipy("scipy.sparse")
    x = np.asarray(x, dtype=float)
    k = x.shape[1]
    better, worse = _pairs(np.asarray(ranks, dtype=float), MAX_PAIRS)
    m = len(better)
    if m == 0:
        return np.full(k, 1.0 / k)
    top = float(np.abs(x).max())
    if not top > 0:
        return np.full(k, 1.0 / k)
    diff = (x[better] - x[worse]) / top  # (m, k): in order when diff @ w > 0
    # variables: w (k), slack (m), margin t; minimise Σ slack − ε t
    # diff @ w + slack − t ≥ 0   →   −diff @ w − slack + t ≤ 0
    scale = float(np.abs(diff).max())
    if not (scale > 0 and np.isfinite(1.0 / scale)):  # no child orders any pair
        return np.full(k, 1.0 / k)
    c = np.concatenate([np.zeros(k), np.ones(m) / scale, [-1e-3 / scale]])
    a_ub = sparse.hstack(
        [
            sparse.csr_matrix(-diff / scale),
            -sparse.identity(m, format="csr"),
            sparse.csr_matrix(np.ones((m, 1))),
        ],
        format="csr",
    )
    b_ub = np.zeros(m)
    a_eq = np.concatenate([np.ones(k), np.zeros(m), [0.0]])[None, :]
    bounds = [(0, None)] * (k + m) + [(0, scale)]
    found = optimize.linprog(
        c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs"
    )
    if found.status != 0:  # pragma: no cover - the problem is always feasible and bounded
        return np.full(k, 1.0 / k)
    w = np.clip(found.x[:k], 0.0, None)
    return w / w.sum()


def competition_ranks(values: np.ndarray, decimals: int | None = None) -> np.ndarray:
    """1 + the number of higher values (ties share the best rank), at ``decimals``."""
    v = np.asarray(values, dtype=float)
    if decimals is not None:
        v = np.round(v, decimals)
    return 1 + (v[None, :] > v[:, None]).sum(axis=1)


def _concordant(values: np.ndarray, ranks: np.ndarray) -> float:
    """Share of the pairs with different ``ranks`` (1 best) that ``values`` put in the
    same order (a row at a time: memory grows with the units, not with the pairs)."""
    inorder = total = 0
    for i in range(len(ranks)):
        worse = ranks > ranks[i]
        inorder += int((values[i] > values[worse]).sum())
        total += int(worse.sum())
    return inorder / total if total else float("nan")


def goodness(
    fitted: np.ndarray, published: np.ndarray, decimals: int | None, ranks: bool = False
) -> Goodness:
    """Agreement of ``fitted`` scores with ``published`` scores (or ranks, 1 best); the
    fitted scores are ranked rounded to ``decimals`` (None: full precision), and so are
    published scores."""
    fitted = np.asarray(fitted, dtype=float)
    published = np.asarray(published, dtype=float)
    n = len(published)
    target = -published if ranks else published  # higher is better for both
    mine = competition_ranks(fitted, decimals)
    theirs = competition_ranks(target, None if ranks else decimals)
    concordant = _concordant(fitted, theirs)
    if ranks:
        r2 = rmse = max_error = None
    else:
        error = fitted - published
        total = float(((published - published.mean()) ** 2).sum())
        r2 = 1.0 - float((error**2).sum()) / total if total > 0 else float("nan")
        rmse = float(np.sqrt(np.mean(error**2)))
        max_error = float(np.abs(error).max())
    return Goodness(
        r2=r2,
        rmse=rmse,
        max_error=max_error,
        exact=int((mine == theirs).sum()),
        n=n,
        spearman=spearman(fitted, target),
        concordant=concordant,
    )


# ---- reading the published column ---------------------------------------------------------
def published_column(result: Result, against: str) -> tuple[np.ndarray, int]:
    """The values of ``against`` (a column of the units table, optionally written
    ``units.column``), one per unit, NaN where missing; and their decimals."""
    data = result.data
    units = result.graph.model.units
    table = data.units
    column = against
    if "." in against:
        prefix, _, rest = against.partition(".")
        if prefix == units.name:
            column = rest
        else:  # a column of another table: one the index reads, one value per unit
            found = _read_elsewhere(result, prefix, rest)
            if found is not None:
                return found
    if column not in table.columns:
        hints = suggest(column, table.columns)
        raise DiagnosticError(
            [
                errors.unknown_published_column(
                    column, units.name, units.span, hints[0] if hints else None
                )
            ]
        )
    position = table.columns.index(column)
    values = np.full(data.n_units, np.nan)
    decimals = 0
    problems = []
    for row, text in enumerate(table.cells(column)):
        text = text.strip()
        if text.lower() in MISSING:
            continue
        value = read_number(text)
        if value is None:
            problems.append(
                errors.published_value_not_a_number(column, text, cell_span(table, row, position))
            )
            continue
        values[row] = value
        if "." in text and "e" not in text.lower():
            decimals = max(decimals, len(text.split(".")[1]))
    if problems:
        raise DiagnosticError(problems[:5])
    return values, decimals


def _read_elsewhere(result: Result, table: str, column: str) -> tuple[np.ndarray, int] | None:
    """A column of a data table that the index reads per unit (as a node's `reference
    scores` or `reference ranks`, or in an indicator), or None."""
    data = result.data
    for node in result.graph.model.root.walk():
        for ref, values in (
            (node.reference_scores, data.reference_scores.get(node.name)),
            (node.reference, data.references.get(node.name)),
        ):
            # a column as written (a reference expression is no column of the table)
            wanted = (getattr(ref, "table", None), getattr(ref, "column", None)) == (table, column)
            if wanted and values is not None:
                if isinstance(values, tuple):
                    return np.asarray(values[0], dtype=float), int(values[1])
                return np.asarray(values, dtype=float), 0
    values = data.columns.get((table, column))
    if values is not None and np.ndim(values) == 1 and len(values) == data.n_units:
        return np.asarray(values, dtype=float), 0
    return None


def _find_node(model: IndexModel, name: str | None) -> Node:
    if name is None:
        return model.root
    nodes = {n.name: n for n in model.root.walk()}
    if name not in nodes:
        hints = suggest(name, list(nodes))
        raise DiagnosticError([errors.unknown_node(name, hints[0] if hints else None)])
    node = nodes[name]
    if node.is_leaf or not any(not c.auxiliary for c in node.children):
        what = "an indicator" if node.is_leaf else "a node without aggregated children"
        raise DiagnosticError([errors.fit_node_without_children(name, what, node.span)])
    return node


def _with_weights(node: Node, name: str, weights: dict[str, float]) -> Node:
    if node.name == name:
        children = tuple(
            attrs.evolve(c, weight=weights.get(c.name, c.weight)) for c in node.children
        )
        chosen = {k: v for k, v in node.chosen.items() if k != "weighting"}
        return attrs.evolve(node, children=children, chosen=chosen)
    return attrs.evolve(
        node, children=tuple(_with_weights(c, name, weights) for c in node.children)
    )


# ---- the analysis -----------------------------------------------------------------------------
def fit_weights(
    result: Result,
    node: str | None,
    against: str,
    *,
    ranks: bool = False,
    bootstrap: int = 0,
    seed: int = 1,
    evaluate: Callable[[IndexModel, object], Result] | None = None,
) -> WeightFit:
    """Fit the weights of the children of ``node`` (the index when None) to the values
    of column ``against``; ``evaluate(model, data)`` (the pipeline's), when given,
    recomputes the index with the fitted weights so that the fit can be judged as the
    index computes it (rescale, aggregator, missing values and all)."""
    model = result.graph.model
    spec = _find_node(model, node)
    children = tuple(c.name for c in spec.children if not c.auxiliary)
    published, decimals = published_column(result, against)
    # ranks of the index's own scores are taken as the index takes them (`rank at N
    # decimals`); a fitted mean is not on the published scale, so it is ranked as it is
    computed_decimals = spec.rank_decimals if ranks else decimals
    if ranks:
        decimals = None
    x = np.column_stack([np.asarray(result.units.scores[c], dtype=float) for c in children])
    has_value = ~np.isnan(published)
    complete = ~np.isnan(x).any(axis=1)
    used = np.nonzero(has_value & complete)[0]
    missing_published = tuple(int(i) for i in np.nonzero(~has_value)[0])
    missing_children = tuple(int(i) for i in np.nonzero(has_value & ~complete)[0])
    affine = spec.rescaler is not None and not ranks
    k = len(children)
    needed = k + 1 if affine else max(k, 2)
    if len(used) < needed:
        raise DiagnosticError(
            [
                errors.too_few_published_values(
                    spec.name,
                    against,
                    len(used),
                    needed,
                    len(missing_published) + len(missing_children),
                )
            ]
        )
    xu, yu = x[used], published[used]

    def one_fit(rows: np.ndarray) -> tuple[np.ndarray, float, float]:
        if ranks:
            return fit_ranks(xu[rows], yu[rows]), 0.0, 1.0
        return fit_scores(xu[rows], yu[rows], affine)

    everyone = np.arange(len(used))
    weights, intercept, scale = one_fit(everyone)
    fitted = intercept + scale * (x @ weights)
    fit = goodness(fitted[used], yu, decimals, ranks)
    declared = np.array([c.weight for c in spec.children if not c.auxiliary], dtype=float)
    declared = declared / declared.sum() if declared.sum() > 0 else declared
    mean = xu @ declared
    if affine:  # the best increasing affine map of the declared weights' mean
        centred = mean - mean.mean()
        slope = max(float(centred @ (yu - yu.mean())) / float(centred @ centred or 1.0), 0.0)
        mean = yu.mean() + slope * centred
    declared_fit = goodness(mean, yu, decimals, ranks)
    computed = np.asarray(result.units.scores[spec.name], dtype=float)[used]
    computed_fit = (
        goodness(computed, yu, computed_decimals, ranks) if not np.isnan(computed).any() else None
    )
    refitted_fit = None
    if evaluate is not None:
        root = _with_weights(model.root, spec.name, dict(zip(children, weights, strict=True)))
        again = evaluate(attrs.evolve(model, root=root), result.data)
        scores = np.asarray(again.units.scores[spec.name], dtype=float)[used]
        if not np.isnan(scores).any():
            refitted_fit = goodness(scores, yu, computed_decimals, ranks)
    intervals = spread = None
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        draws = np.empty((bootstrap, k))
        for b in range(bootstrap):
            draws[b] = one_fit(rng.integers(0, len(used), len(used)))[0]
        intervals = np.quantile(draws, [ALPHA / 2, 1 - ALPHA / 2], axis=0).T
        spread = draws.std(axis=0, ddof=1) if bootstrap > 1 else np.zeros(k)
    return WeightFit(
        node=spec.name,
        against=against,
        kind="ranks" if ranks else "scores",
        children=children,
        declared=declared,
        weights=weights,
        affine=affine,
        intercept=intercept,
        scale=scale,
        used=used,
        missing_published=missing_published,
        missing_children=missing_children,
        published=published,
        fitted=fitted,
        decimals=decimals if decimals is not None else 0,
        fit=fit,
        declared_fit=declared_fit,
        computed_fit=computed_fit,
        refitted_fit=refitted_fit,
        bootstrap=bootstrap,
        seed=seed if bootstrap > 0 else None,
        intervals=intervals,
        spread=spread,
        degenerate=not ranks and affine and scale == 0.0,
    )
