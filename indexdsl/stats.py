"""Small statistics the reports need (rank agreement), kept dependency-free."""

from __future__ import annotations

import numpy as np


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their average rank (Spearman's convention)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    values, inverse = np.unique(x, return_inverse=True)
    if len(values) < len(x):
        ranks = (np.bincount(inverse, weights=ranks) / np.bincount(inverse))[inverse]
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation over the entries present in both."""
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 2:
        return float("nan")
    ra, rb = average_ranks(a[keep]), average_ranks(b[keep])
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])
