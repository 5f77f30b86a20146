"""Comparing two rankings of the same units: this index against another index file,
or against a previous edition.  Units are matched by key; the report gives rank
differences, Spearman's and Kendall's correlations and the units that moved most."""

from __future__ import annotations

import attrs
import numpy as np

from indexdsl.evaluate import Result, competition_ranks
from indexdsl.stats import spearman


@attrs.frozen
class Comparison:
    keys: tuple[str, ...]  # units ranked by both
    labels: tuple[str, ...]
    ranks: np.ndarray  # in this index, among the units both rank
    other: np.ndarray  # in the other ranking, among the same units
    spearman: float
    kendall: float | None  # None without scipy, or with fewer than two units in common
    only_here: tuple[str, ...]
    only_there: tuple[str, ...]
    kendall_missing: str = ""  # why there is no Kendall's tau, in words

    def movers(self, count: int = 5) -> list[tuple[str, int]]:
        """Units whose rank differs most, largest first (positive: better here)."""
        moved = (self.other - self.ranks).astype(int)
        order = np.argsort(-np.abs(moved), kind="stable")[:count]
        return [(self.labels[i], int(moved[i])) for i in order if moved[i] != 0]


def compare_ranking(result: Result, column: str) -> Comparison:
    """This index against another ranking of its units held in a column of the units
    table (a published ranking such as Kearney's Global Cities Index, which a report
    sets beside its own).  Units without a rank there are left out and named."""
    from indexdsl.diagnostics import DiagnosticError, suggest
    from indexdsl.errors import commands as errors

    table = result.data.units
    if column not in table.columns:
        hints = suggest(column, table.columns)
        raise DiagnosticError(
            [errors.unknown_units_column(column, table.path, hints[0] if hints else None)]
        )
    there: dict[str, float] = {}
    for key, cell in zip(result.data.keys, table.cells(column), strict=True):
        text = cell.strip()
        if not text:
            continue
        try:
            there[key] = float(text)
        except ValueError:
            raise DiagnosticError(
                [errors.published_change_not_a_number(cell, column, table.path, "a rank")]
            ) from None
    return _comparison(result, there)


def compare(result: Result, other: Result) -> Comparison:
    other_root = other.graph.root
    there = {k: r for k, r in zip(other.data.keys, other.units.ranks[other_root], strict=True) if r}
    return _comparison(result, there)


def _comparison(result: Result, there: dict) -> Comparison:
    """This index's ranks against ``there`` (unit key -> rank in the other ranking)."""
    root = result.graph.root
    here = {k: r for k, r in zip(result.data.keys, result.units.ranks[root], strict=True) if r}
    labels = dict(zip(result.data.keys, result.data.labels, strict=True))
    common = tuple(k for k in result.data.keys if k in here and k in there)
    # ranks among the units both rank, so that the two are comparable
    ranks = competition_ranks(-np.array([here[k] for k in common], dtype=float)).astype(float)
    others = competition_ranks(-np.array([there[k] for k in common], dtype=float)).astype(float)
    kendall, missing = None, ""
    if len(common) < 2:
        missing = "fewer than two units in common"
    else:
        try:
            from scipy.stats import kendalltau
        except ImportError:  # scipy is optional
            missing = 'Kendall\'s τ needs scipy: pip install "indexdsl[stats]"'
        else:
            kendall = float(kendalltau(ranks, others).statistic)
    return Comparison(
        keys=common,
        labels=tuple(labels[k] for k in common),
        ranks=ranks,
        other=others,
        spearman=spearman(ranks, others),
        kendall=kendall,
        kendall_missing=missing,
        only_here=tuple(k for k in here if k not in there),
        only_there=tuple(k for k in there if k not in here),
    )
