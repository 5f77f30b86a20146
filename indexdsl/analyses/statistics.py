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


def _leaves_below(place: _Place) -> list[str]:
    """The indicators under a node that enter its score (auxiliary nodes left out)."""
    return list(dict.fromkeys(n.name for n in place.node.walk_index() if n.is_leaf))


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
    p = present.astype(float)
    # centred on each column's mean first: fewer digits lost in the sums below
    means = np.array([x[present[:, j], j].mean() if present[:, j].any() else 0.0
                      for j in range(x.shape[1])])  # fmt: skip
    z = np.where(present, x - means, 0.0)
    n = p.T @ p
    sx = z.T @ p  # sx[i, j]: sum of column i over the rows where j is present too
    sxx = (z * z).T @ p
    sxy = z.T @ z
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


def pairwise_spearman(matrix: np.ndarray) -> np.ndarray:
    """Spearman's ρ of every pair of columns over the rows where both are present (ties
    share their average rank): Pearson's r of the ranks, the ranks taken over those
    rows.  Pairs of columns missing in the same rows share one ranking."""
    x = np.asarray(matrix, dtype=float)
    present = ~np.isnan(x)
    k = x.shape[1]
    rho = np.full((k, k), np.nan)
    # columns with the same missing rows: rank each once, correlate them as a block
    masks: dict[bytes, list[int]] = {}
    for j in range(k):
        masks.setdefault(np.packbits(present[:, j]).tobytes(), []).append(j)
    for columns in masks.values():
        rows = present[:, columns[0]]
        ranks = np.column_stack([average_ranks(x[rows, j]) for j in columns])
        r, _ = pairwise_pearson(ranks) if rows.sum() else (np.full((len(columns),) * 2, np.nan), 0)
        rho[np.ix_(columns, columns)] = r
    groups = list(masks.values())
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            for i in groups[a]:
                for j in groups[b]:
                    both = present[:, i] & present[:, j]
                    if both.sum() < 3:
                        continue
                    ri, rj = average_ranks(x[both, i]), average_ranks(x[both, j])
                    if ri.std() == 0 or rj.std() == 0:
                        continue
                    rho[i, j] = rho[j, i] = float(np.corrcoef(ri, rj)[0, 1])
    return rho


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


def compute(result: Result, min_coverage: float | None = None) -> Statistics:
    """The statistics of a run (see the module's docstring)."""
    threshold = UNIT_COVERAGE if min_coverage is None else float(min_coverage)
    data, units = result.data, result.units
    places = _places(result)
    by_name = {p.node.name: p for p in places}
    root = places[0]
    n_units = data.n_units

    def raw(leaf: str) -> np.ndarray:
        node = by_name[leaf].node
        values = units.raw.get(node.indicator)
        if values is None or np.ndim(values) == 0:
            return np.full(n_units, np.nan)
        return np.broadcast_to(np.asarray(values, dtype=float), (n_units,))

    def score(name: str) -> np.ndarray:
        values = units.scores.get(name)
        if values is None:
            return np.full(n_units, np.nan)
        return np.broadcast_to(np.asarray(values, dtype=float), (n_units,))

    # ---- availability: per unit, overall and below each inner node
    indicators = tuple(_leaves_below(root))
    present = {leaf: ~np.isnan(raw(leaf)) for leaf in by_name if by_name[leaf].node.is_leaf}
    inner = [p for p in places if not p.node.is_leaf]
    inner_leaves = {p.node.name: _leaves_below(p) for p in inner}

    def count(leaves: list[str]) -> np.ndarray:
        if not leaves:
            return np.zeros(n_units, dtype=np.int64)
        return np.sum([present[leaf] for leaf in leaves], axis=0).astype(np.int64)

    total = count(list(indicators))
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
        node_shares.append(count(leaves) / len(leaves))
    rows = []
    for i, key in enumerate(data.keys):
        rows.append(
            (
                key,
                data.labels[i],
                k,
                int(total[i]),
                int(k - total[i]),
                _real(share[i]),
                bool(below_mask[i]),
                *(_real(s[i]) for s in node_shares),
            )
        )
    availability = Table("availability", tuple(columns), tuple(rows))
    below = tuple(key for key, flagged in zip(data.keys, below_mask, strict=True) if flagged)

    # ---- statistics: indicators (raw values), then inner nodes (scores)
    rows = []
    for p in places:
        name = p.node.name
        values = raw(name) if p.node.is_leaf else score(name)
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
    spearman = pairwise_spearman(matrix)
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
        threshold, indicators, availability, statistics, correlations, effective_weights, below
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
