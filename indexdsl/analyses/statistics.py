"""Statistics and data quality of a run, as COINr and the JRC COIN Tool report them.

- **Data availability** (COINr's ``get_data_avail``): per unit, how many of the index's
  indicators have a value (before imputation: a value filled in is still counted
  missing), its share, and the share below each inner node (COINr's ``ByGroup``); units
  whose share is below ``min_coverage`` (default 2/3, :data:`UNIT_COVERAGE`) are flagged.
- **Statistics** (COINr's ``get_stats``): per indicator, of its raw values (before
  imputation and treatment), and per inner node, of its scores: n, missing, share
  available, min, max, mean, median, sd (n − 1), skewness and kurtosis (sample-adjusted,
  as Excel's SKEW and KURT and COINr's ``skew`` and ``kurt``), non-zero and unique
  values, and COINr's flags: availability below 0.65 (``t_avail``), outliers when
  |skewness| > 2 and kurtosis > 3.5 (``t_skew``, ``t_kurt``).
- **Correlations** (COINr's ``get_corr``): Pearson's and Spearman's coefficients of every
  pair of nodes (indicators by their normalised scores), over the units with both
  scores, within a level and across levels, with the pair's relation in the hierarchy.
- **Effective weights** (COINr's ``get_eff_weights``): each node's weight in the index,
  the product of the weights on its path, each divided by the sum of its siblings'
  weights, as the evaluation used them.  A node inside a formula node, an auxiliary
  node, and a node below weights that differ by unit have none (not applicable).
- **Importance** (Paruolo, Saisana and Saltelli 2013): the squared Pearson correlation of
  each indicator with the index, and its share of the indicators' total, to set beside
  the effective weight.

Missing values are counted, never replaced.  numpy only.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import attrs
import numpy as np

from indexdsl.analyses.audit import KURTOSIS_LIMIT, SKEW_LIMIT, skew_kurtosis
from indexdsl.evaluate import Result
from indexdsl.model import IndicatorValue, NodeScore, walk
from indexdsl.output.exports import Column, Table
from indexdsl.stats import average_ranks

#: units with less than this share of the indicators are flagged (COINr's examples
#: screen units at 2/3 data availability)
UNIT_COVERAGE = 2 / 3
#: indicators with less than this share of units are flagged (COINr's ``t_avail``)
INDICATOR_COVERAGE = 0.65

#: correlations of siblings (or of a node and its parent) that `indexdsl stats` points
#: out: at or above (collinear) and at or below (pulling apart); COINr's
#: ``get_corr_flags`` uses 0.9 for high correlations
HIGH_CORRELATION = 0.9
LOW_CORRELATION = -0.4

__all__ = [
    "HIGH_CORRELATION",
    "LOW_CORRELATION",
    "INDICATOR_COVERAGE",
    "KURTOSIS_LIMIT",
    "SKEW_LIMIT",
    "UNIT_COVERAGE",
    "Statistics",
    "compute",
    "coverage_option",
]


def coverage_option(text: str) -> float:
    """argparse ``type`` of ``--min-coverage``: ``0.8``, ``80%`` or ``2/3``."""
    import argparse

    raw = text.strip()
    try:
        if raw.endswith("%"):
            value = float(raw[:-1]) / 100
        elif "/" in raw:
            top, _, bottom = raw.partition("/")
            value = float(top) / float(bottom)
        else:
            value = float(raw)
    except (ValueError, ZeroDivisionError):
        value = float("nan")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(
            f"`{text}` is not a share between 0 and 1 (write 0.8, 80% or 2/3)"
        )
    return value


@attrs.frozen
class Statistics:
    """Every statistic of a run; :meth:`tables` gives them as typed tables."""

    #: the names of its tables, as files (``statistics.csv``) and sheets
    NAMES = ("availability", "statistics", "correlations", "effective_weights")

    min_coverage: float
    indicators: tuple[str, ...]  # the indicators of the index (leaves), in framework order
    availability: Table
    statistics: Table
    correlations: Table
    effective_weights: Table
    #: the keys of the units with less than ``min_coverage`` of the indicators
    below: tuple[str, ...]
    #: False when Spearman's ρ was left out for pairs of nodes missing in different
    #: units, too many to rank (see :data:`SPEARMAN_BUDGET`)
    spearman_complete: bool = True

    def tables(self) -> list[Table]:
        return [getattr(self, name) for name in self.NAMES]

    def least_covered(self) -> list[dict[str, Any]]:
        """The units with a value missing, as records of ``availability``, least covered
        first (in the data's order among equals)."""
        records = [r for r in self.availability.records() if r["missing"]]
        return sorted(records, key=lambda r: (r["coverage"] is None, r["coverage"] or 0.0))

    def flagged_pairs(self) -> list[dict[str, Any]]:
        """The pairs of siblings, and of a node and its parent, whose Pearson correlation
        is at least :data:`HIGH_CORRELATION` or at most :data:`LOW_CORRELATION`."""
        return [
            r
            for r in self.correlations.records()
            if r["relation"] in ("siblings", "parent")
            and r["pearson"] is not None
            and (r["pearson"] >= HIGH_CORRELATION or r["pearson"] <= LOW_CORRELATION)
        ]

    def settings(self) -> dict[str, Any]:
        return {
            "min_coverage": self.min_coverage,
            "indicator_coverage": INDICATOR_COVERAGE,
            "skewness_limit": SKEW_LIMIT,
            "kurtosis_limit": KURTOSIS_LIMIT,
            "units_below": list(self.below),
            "spearman_complete": self.spearman_complete,
        }


def flags(record: dict[str, Any]) -> list[str]:
    """What a row of ``statistics`` is flagged for, in words."""
    out = []
    if record["low_coverage"]:
        out.append(f"data < {INDICATOR_COVERAGE:.0%}")
    if record["outliers"]:
        out.append("outliers")
    if record["role"]:
        out.append(record["role"])
    return out


def _real(value) -> float | None:
    value = float(value)
    return None if not math.isfinite(value) else value + 0.0


# ---- the hierarchy ----------------------------------------------------------------------


@attrs.frozen
class _Place:
    node: Any
    parent: str | None
    kind: str  # index, dimension, indicator
    role: str  # "" (aggregated), "formula input", "auxiliary"
    path: tuple[str, ...]  # the root first, this node last


def _places(result: Result) -> list[_Place]:
    """Every node, parents first, with its place in the hierarchy."""
    out: list[_Place] = []

    def visit(node, parent, role, path):
        kind = "indicator" if node.is_leaf else "dimension" if parent is not None else "index"
        if node.auxiliary:
            role = "auxiliary"
        out.append(_Place(node, parent, kind, role, (*path, node.name)))
        for child in node.children:
            visit(child, node.name, role, (*path, node.name))
        for child in node.inputs:
            visit(child, node.name, role or "formula input", (*path, node.name))

    visit(result.graph.model.root, None, "", ())
    return out


def _indicators_of(node, by_name: dict[str, _Place], model) -> list[str]:
    """The indicators (per unit) whose data make a node's score: its leaves (auxiliary
    nodes left out) and what its formula nodes read, directly or through the nodes
    they read (an auxiliary node read by a formula included)."""
    out: dict[str, None] = {}
    seen: set[str] = set()

    def visit(node):
        if node.name in seen:
            return
        seen.add(node.name)
        for n in node.walk_index():
            if n.is_leaf:
                out[n.indicator] = None
            if n.formula is None:
                continue
            for e in walk(n.formula):
                if isinstance(e, IndicatorValue) and e.name in model.indicators:
                    if model.indicators[e.name].level != "pair":
                        out[e.name] = None
                elif isinstance(e, NodeScore) and e.name in by_name:
                    visit(by_name[e.name].node)

    visit(node)
    return list(out)


# ---- numbers ------------------------------------------------------------------------------


def describe(values: np.ndarray) -> dict[str, float | int]:
    """n, missing, min, max, mean, median, sd (n − 1), skewness, kurtosis, non-zero and
    unique counts of a vector; missing values are counted and left out."""
    x = np.asarray(values, dtype=float)
    present = x[~np.isnan(x)]
    n = len(present)
    skew, kurt = skew_kurtosis(present)
    nan = float("nan")
    return {
        "n": n,
        "missing": int(len(x) - n),
        "min": float(present.min()) if n else nan,
        "max": float(present.max()) if n else nan,
        "mean": float(present.mean()) if n else nan,
        "median": float(np.median(present)) if n else nan,
        "sd": float(present.std(ddof=1)) if n > 1 else nan,
        "skewness": skew,
        "kurtosis": kurt,
        "nonzero": int((present != 0).sum()),
        "unique": int(len(np.unique(present))),
    }


def pairwise_pearson(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's r of every pair of columns over the rows where both are present, and
    those rows' counts: (r, n), each columns × columns.  r is NaN for fewer than 3
    rows or a column constant over them."""
    x = np.asarray(matrix, dtype=float)
    present = ~np.isnan(x)
    counts = present.sum(axis=0)
    # centred on each column's mean first: fewer digits lost in the sums below
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, np.where(present, x, 0.0).sum(axis=0) / counts, 0.0)
    z = np.where(present, x - means, 0.0)
    sxy = z.T @ z
    if present.all():  # every row in every pair: the sums of one column are its own
        n = np.full(sxy.shape, float(x.shape[0]))
        sx = np.zeros(sxy.shape)
        sxx = np.broadcast_to(np.diag(sxy), sxy.shape).T.copy()
    else:
        p = present.astype(float)
        n = p.T @ p
        sx = z.T @ p  # sx[i, j]: sum of column i over the rows where j is present too
        sxx = (z * z).T @ p
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx * sx / n
        var_j = var_i.T
        r = cov / np.sqrt(var_i * var_j)
    scale = np.sqrt(np.maximum(sxx, 0) * np.maximum(sxx.T, 0))
    # a column constant over the common rows: no correlation (not a rounding error's)
    degenerate = (var_i <= 1e-12 * np.maximum(sxx, 1e-300)) | (
        var_j <= 1e-12 * np.maximum(sxx.T, 1e-300)
    )
    r = np.where((n < 3) | degenerate | (scale == 0), np.nan, np.clip(r, -1.0, 1.0))
    return r, n.astype(np.int64)


#: the most values ranked for Spearman's ρ of pairs of nodes missing in different
#: units (each such pair is ranked over the units it shares): about 5 s of sorting
SPEARMAN_BUDGET = 50_000_000


def pairwise_spearman(matrix: np.ndarray, budget: int = SPEARMAN_BUDGET) -> tuple[np.ndarray, bool]:
    """Spearman's ρ of every pair of columns over the rows where both are present (ties
    share their average rank): Pearson's r of the ranks, the ranks taken over those
    rows.  Columns missing in the same rows are ranked once, as a block; so is each
    pair of such blocks, over the rows they share.  When ranking the pairs of blocks
    would sort more than ``budget`` values, their ρ is left NaN and the second value
    returned is False."""
    x = np.asarray(matrix, dtype=float)
    present = ~np.isnan(x)
    k = x.shape[1]
    rho = np.full((k, k), np.nan)
    masks: dict[bytes, list[int]] = {}
    for j in range(k):
        masks.setdefault(np.packbits(present[:, j]).tobytes(), []).append(j)
    groups = list(masks.values())
    blocks = [(a, a) for a in range(len(groups))]
    mixed = [(a, b) for a in range(len(groups)) for b in range(a + 1, len(groups))]
    work = sum(
        (len(groups[a]) + len(groups[b])) * int(present[:, groups[a][0]].sum()) for a, b in mixed
    )
    complete = work <= budget
    for a, b in blocks + (mixed if complete else []):
        columns = groups[a] if a == b else groups[a] + groups[b]
        rows = present[:, groups[a][0]] & present[:, groups[b][0]]
        if len(columns) == 1:  # a column with itself
            rho[columns[0], columns[0]] = 1.0 if rows.sum() >= 3 else np.nan
            continue
        if rows.sum() < 3:
            continue
        ranks = np.column_stack([average_ranks(x[rows, j]) for j in columns])
        r, _ = pairwise_pearson(ranks)
        if a == b:
            rho[np.ix_(columns, columns)] = r
        else:
            left, right = len(groups[a]), len(columns)
            rho[np.ix_(groups[a], groups[b])] = r[:left, left:right]
            rho[np.ix_(groups[b], groups[a])] = r[left:right, :left]
    return rho, complete


# ---- the tables ----------------------------------------------------------------------------


def _relation(a: _Place, b: _Place) -> str:
    """How node b stands to node a (a comes first in the framework)."""
    if b.parent == a.node.name:
        return "parent"  # a is b's parent
    if a.parent is not None and a.parent == b.parent:
        return "siblings"
    if a.node.name in b.path:
        return "ancestor"
    return ""


def _raw(result: Result, indicator: str) -> np.ndarray:
    """An indicator's raw values per unit (NaN where it has none per unit)."""
    n_units = result.data.n_units
    values = result.units.raw.get(indicator)
    if values is None or np.ndim(values) == 0:
        return np.full(n_units, np.nan)
    return np.broadcast_to(np.asarray(values, dtype=float), (n_units,))


def _present(result: Result, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """How many of the indicators ``names`` each unit has a value of."""
    if not names:
        return np.zeros(result.data.n_units, dtype=np.int64)
    return np.sum([~np.isnan(_raw(result, name)) for name in names], axis=0).astype(np.int64)


def units_below(result: Result, min_coverage: float | None = None) -> tuple[tuple[str, ...], int]:
    """The keys of the units with less than ``min_coverage`` (default 2/3) of the index's
    indicators, and how many indicators the index has: the availability of
    :func:`compute` alone, without the rest (cheap, for the report of a run)."""
    threshold = UNIT_COVERAGE if min_coverage is None else float(min_coverage)
    places = _places(result)
    indicators = _indicators_of(
        places[0].node, {p.node.name: p for p in places}, result.graph.model
    )
    if not indicators:
        return (), 0
    share = _present(result, indicators) / len(indicators)
    flagged = share < threshold - 1e-12
    return tuple(k for k, f in zip(result.data.keys, flagged, strict=True) if f), len(indicators)


def compute(result: Result, min_coverage: float | None = None) -> Statistics:
    """The statistics of a run (see the module's docstring)."""
    threshold = UNIT_COVERAGE if min_coverage is None else float(min_coverage)
    data, units = result.data, result.units
    places = _places(result)
    by_name = {p.node.name: p for p in places}
    root = places[0]
    n_units = data.n_units

    def score(name: str) -> np.ndarray:
        values = units.scores.get(name)
        if values is None:
            return np.full(n_units, np.nan)
        return np.broadcast_to(np.asarray(values, dtype=float), (n_units,))

    # ---- availability: per unit, overall and below each inner node
    model = result.graph.model
    indicators = tuple(_indicators_of(root.node, by_name, model))
    inner = [p for p in places if not p.node.is_leaf]
    inner_leaves = {p.node.name: _indicators_of(p.node, by_name, model) for p in inner}
    total = _present(result, indicators)
    k = len(indicators)
    share = total / k if k else np.full(n_units, np.nan)
    below_mask = share < threshold - 1e-12
    columns = [
        Column("unit", "text"),
        Column("label", "text"),
        Column("indicators", "integer"),
        Column("present", "integer"),
        Column("missing", "integer"),
        Column("coverage", "real"),
        Column("below_threshold", "boolean"),
    ]
    node_shares = []
    for p in inner:
        leaves = inner_leaves[p.node.name]
        if p is root or not leaves:
            continue
        columns.append(Column(f"{p.node.name}_coverage", "real"))
        node_shares.append(_present(result, leaves) / len(leaves))

    def reals(values: np.ndarray) -> list[float | None]:
        return [None if v != v else v + 0.0 for v in np.asarray(values, dtype=float).tolist()]

    rows = zip(
        data.keys,
        data.labels,
        [k] * n_units,
        total.tolist(),
        (k - total).tolist(),
        reals(share),
        below_mask.tolist(),
        *(reals(s) for s in node_shares),
        strict=True,
    )
    availability = Table("availability", tuple(columns), tuple(rows))
    below = tuple(key for key, flagged in zip(data.keys, below_mask, strict=True) if flagged)

    # ---- statistics: indicators (raw values), then inner nodes (scores)
    rows = []
    for p in places:
        name = p.node.name
        values = _raw(result, p.node.indicator) if p.node.is_leaf else score(name)
        s = describe(values)
        coverage = s["n"] / n_units if n_units else float("nan")
        outliers = bool(
            s["n"] >= 4 and abs(s["skewness"]) > SKEW_LIMIT and s["kurtosis"] > KURTOSIS_LIMIT
        )
        rows.append(
            (
                name,
                p.kind,
                "raw" if p.node.is_leaf else "score",
                p.role or None,
                s["n"],
                s["missing"],
                _real(coverage),
                *(_real(s[c]) for c in ("min", "max", "mean", "median", "sd")),
                _real(s["skewness"]),
                _real(s["kurtosis"]),
                s["nonzero"],
                s["unique"],
                bool(coverage < INDICATOR_COVERAGE - 1e-12),
                outliers,
            )
        )
    statistics = Table(
        "statistics",
        (
            Column("node", "text"),
            Column("kind", "text"),
            Column("values", "text"),
            Column("role", "text"),
            Column("n", "integer"),
            Column("missing", "integer"),
            Column("coverage", "real"),
            Column("min", "real"),
            Column("max", "real"),
            Column("mean", "real"),
            Column("median", "real"),
            Column("sd", "real"),
            Column("skewness", "real"),
            Column("kurtosis", "real"),
            Column("nonzero", "integer"),
            Column("unique", "integer"),
            Column("low_coverage", "boolean"),
            Column("outliers", "boolean"),
        ),
        tuple(rows),
    )

    # ---- correlations of every pair of nodes' scores
    matrix = np.column_stack([score(p.node.name) for p in places]) if places else np.empty((0, 0))
    pearson, n_both = pairwise_pearson(matrix)
    spearman, spearman_complete = pairwise_spearman(matrix)
    rows = []
    for i, a in enumerate(places):
        for j in range(i + 1, len(places)):
            b = places[j]
            rows.append(
                (
                    a.node.name,
                    b.node.name,
                    len(a.path) - 1,
                    len(b.path) - 1,
                    _relation(a, b),
                    int(n_both[i, j]),
                    _real(pearson[i, j]),
                    _real(spearman[i, j]),
                )
            )
    correlations = Table(
        "correlations",
        (
            Column("a", "text"),
            Column("b", "text"),
            Column("a_depth", "integer"),
            Column("b_depth", "integer"),
            Column("relation", "text"),
            Column("n", "integer"),
            Column("pearson", "real"),
            Column("spearman", "real"),
        ),
        tuple(rows),
    )

    # ---- effective weights and importance
    within: dict[str, float | None] = {}
    for p in inner:
        weights = units.weights.get(p.node.name)
        children = p.node.children
        if weights is None or np.ndim(weights) != 1 or len(weights) != len(children):
            for child in children:
                within[child.name] = None
            continue
        weights = np.asarray(weights, dtype=float)
        total_weight = weights.sum()
        for child, w in zip(children, weights, strict=True):
            within[child.name] = float(w / total_weight) if total_weight > 0 else None
    importance: dict[str, float] = {}
    for p in places:
        if p.node.is_leaf and not p.role:
            r = pearson[places.index(p), 0]
            importance[p.node.name] = float(r * r) if math.isfinite(r) else float("nan")
    finite = [v for v in importance.values() if math.isfinite(v)]
    importance_total = sum(finite)
    rows = []
    for idx, p in enumerate(places):
        name = p.node.name
        note = ""
        effective: float | None = 1.0
        written: float | None = None
        if p is root:
            written = 1.0
        elif p.role:
            effective, note = None, f"not applicable: {p.role}"
        else:
            written = within.get(name)
            for step in p.path[1:]:
                w = within.get(step)
                if w is None:
                    effective, note = None, "not applicable: weights differ by unit"
                    break
                effective *= w
        r = pearson[idx, 0]  # the index is the first column
        value = importance.get(name)
        rows.append(
            (
                name,
                p.kind,
                p.parent,
                len(p.path) - 1,
                _real(written) if written is not None else None,
                _real(effective) if effective is not None else None,
                None if p is root else _real(r),
                _real(value) if value is not None else None,
                _real(value / importance_total)
                if value is not None and importance_total > 0 and math.isfinite(value)
                else None,
                note or None,
            )
        )
    effective_weights = Table(
        "effective_weights",
        (
            Column("node", "text"),
            Column("kind", "text"),
            Column("parent", "text"),
            Column("depth", "integer"),
            Column("weight_in_parent", "real"),
            Column("effective_weight", "real"),
            Column("r_with_index", "real"),
            Column("importance", "real"),
            Column("importance_share", "real"),
            Column("note", "text"),
        ),
        tuple(rows),
    )
    return Statistics(
        threshold,
        indicators,
        availability,
        statistics,
        correlations,
        effective_weights,
        below,
        spearman_complete,
    )


# the statistics of the last run asked for: its formats (csv, xlsx, html), its report
# and its terminal line share them
_LAST: list = []


def cached(result: Result, min_coverage: float | None = None) -> Statistics:
    """:func:`compute`, once per run: ``min_coverage`` None takes the statistics already
    computed for this run, whatever their threshold (the one the run was given)."""
    if _LAST and _LAST[0]() is result and min_coverage in (None, _LAST[1].min_coverage):
        return _LAST[1]
    stats = compute(result, min_coverage)
    _LAST[:] = [weakref.ref(result), stats]  # the run itself is not kept alive
    return stats
