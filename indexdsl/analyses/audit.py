"""Statistical audit of an index, as the JRC audits composite indicators.

Per node: the correlation of each child with the node and with the index (Pearson,
over units with both scores), Cronbach's alpha of the children, the share of variance
of the children's first principal component, and pairs of children that are
negatively correlated.  Per indicator: skewness and kurtosis of the raw values, flagged
when |skewness| ≥ 2 and kurtosis ≥ 3.5 (COINr's outlier rule; sample-adjusted
skewness and excess kurtosis, as `scipy.stats.skew(bias=False)` and
`scipy.stats.kurtosis(bias=False)` compute them).
"""

from __future__ import annotations

import attrs
import numpy as np

from indexdsl.evaluate import Result

SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5


@attrs.frozen
class NodeAudit:
    node: str
    children: tuple[str, ...]
    with_parent: tuple[float, ...]  # Pearson r of each child with this node
    with_index: tuple[float, ...]  # … and with the index
    cronbach_alpha: float
    first_component_share: float
    negative_pairs: tuple[tuple[str, str, float], ...]


@attrs.frozen
class IndicatorAudit:
    indicator: str
    skewness: float
    kurtosis: float
    flagged: bool


def _complete(matrix: np.ndarray) -> np.ndarray:
    """Rows (units) with every column present."""
    return matrix[~np.isnan(matrix).any(axis=1)]


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 3 or a[keep].std() == 0 or b[keep].std() == 0:
        return float("nan")
    return float(np.corrcoef(a[keep], b[keep])[0, 1])


def cronbach_alpha(matrix: np.ndarray) -> float:
    """α = k/(k−1) · (1 − Σ var(item) / var(Σ items)), over complete rows."""
    rows = _complete(matrix)
    k = rows.shape[1]
    if k < 2 or len(rows) < 3:
        return float("nan")
    total = rows.sum(axis=1).var(ddof=1)
    if total == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - rows.var(axis=0, ddof=1).sum() / total))


def first_component_share(matrix: np.ndarray) -> float:
    """Share of the children's total variance (of standardised scores) that the first
    principal component carries: the largest eigenvalue of the correlation matrix / k."""
    rows = _complete(matrix)
    if rows.shape[1] < 2 or len(rows) < 3 or (rows.std(axis=0) == 0).any():
        return float("nan")
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(rows, rowvar=False))
    return float(eigenvalues[-1] / rows.shape[1])


def skew_kurtosis(x: np.ndarray) -> tuple[float, float]:
    """Sample-adjusted skewness (G1) and excess kurtosis (G2)."""
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 4 or x.std() == 0:
        return float("nan"), float("nan")
    d = x - x.mean()
    d2 = d * d  # products, not powers: several times faster on large arrays
    m2, m3, m4 = d2.mean(), (d2 * d).mean(), (d2 * d2).mean()
    g1 = m3 / m2**1.5
    g2 = m4 / m2**2 - 3
    skew = np.sqrt(n * (n - 1)) / (n - 2) * g1
    kurt = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
    return float(skew), float(kurt)


def audit(result: Result) -> tuple[list[NodeAudit], list[IndicatorAudit]]:
    scores = result.units.scores
    root = result.graph.root
    nodes = []
    for node in result.graph.model.root.walk():
        if node.is_leaf or len(node.children) < 2:
            continue
        names = tuple(c.name for c in node.children)
        matrix = np.column_stack([scores[c] for c in names])
        negative = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                r = _pearson(matrix[:, i], matrix[:, j])
                if r < 0:
                    negative.append((names[i], names[j], r))
        nodes.append(
            NodeAudit(
                node.name,
                names,
                tuple(_pearson(scores[c], scores[node.name]) for c in names),
                tuple(_pearson(scores[c], scores[root]) for c in names),
                cronbach_alpha(matrix),
                first_component_share(matrix),
                tuple(negative),
            )
        )
    indicators = []
    for node in result.graph.model.root.walk():
        if node.is_leaf:
            skew, kurt = skew_kurtosis(np.asarray(result.units.raw[node.indicator], float))
            flagged = bool(abs(skew) >= SKEW_LIMIT and kurt >= KURTOSIS_LIMIT)
            indicators.append(IndicatorAudit(node.indicator, skew, kurt, flagged))
    return nodes, indicators
