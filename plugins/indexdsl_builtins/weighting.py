"""Weighting schemes: how a node's children are weighted when the file does not say.

``scores`` is (..., units, children) with NaN for missing scores; every scheme
returns weights of shape (..., children) that are non-negative and sum to one, and
a state that explains them.  Data-driven schemes (entropy, CRITIC, PCA) are
vectorised over the leading batch axes; AHP, equal and explicit weights ignore the
data and are computed once.

A scheme whose parameters can be wrong before any data are read (AHP's matrix, the
explicit weights) has a ``validate(children)`` method that raises
:class:`ComponentValueError` for them, so that a checker can report the problem
without computing anything; ``weights`` runs the same checks.

Formulas and references: docs/explanation/methods/ (entropy, critic, pca, ahp,
equal-weights).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import numpy as np

from indexdsl.components import ComponentValueError, Context, Param, WeightingScheme
from indexdsl.hookspecs import hookimpl
from indexdsl_builtins._support import listing

#: Saaty's random consistency index RI for n = 1 … 15 (Saaty 1980, Table 1.7; the
#: values most often reproduced, e.g. Saaty 1990, p. 15 and the OECD/JRC Handbook).
RANDOM_INDEX = (
    0.0,
    0.0,
    0.58,
    0.90,
    1.12,
    1.24,
    1.32,
    1.41,
    1.45,
    1.49,
    1.51,
    1.48,
    1.56,
    1.57,
    1.59,
)

#: a_ij * a_ji may differ from 1 by this much, so that judgements written with two
#: decimals (0.33 for 1/3, 0.14 for 1/7, 0.11 for 1/9) are accepted
RECIPROCAL_TOLERANCE = 0.05

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ENTRY = re.compile(rf"^({_NUMBER})(?:/({_NUMBER}))?(%)?$")


# ---- shared helpers -----------------------------------------------------------------


def _child_names(context: Context | None, count: int) -> tuple[str, ...]:
    children = tuple(context.children) if context is not None else ()
    return children if len(children) == count else tuple(f"#{i + 1}" for i in range(count))


def _check_shape(scores: np.ndarray, scheme: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim < 2:
        raise ValueError(f"`{scheme}` needs scores of shape (..., units, children)")
    return scores


def _children_where(mask: np.ndarray, names: tuple[str, ...]) -> list[str]:
    """Names of the children (last axis) where ``mask`` holds in any batch row."""
    mask = np.asarray(mask).reshape(-1, mask.shape[-1]).any(axis=0)
    return [names[j] for j in np.flatnonzero(mask)]


def _units_where(mask: np.ndarray) -> tuple[int, ...]:
    """Positions along the units axis (second to last) where ``mask`` holds anywhere."""
    return tuple(int(u) for u in np.unique(np.nonzero(mask)[-2]))


def _single_child(scores: np.ndarray) -> tuple[np.ndarray, dict[str, Any]] | None:
    if scores.shape[-1] == 1:
        return np.ones(scores.shape[:-2] + (1,)), {}
    return None


def _pairwise_moments(x: np.ndarray, present: np.ndarray):
    """Pairwise-complete counts, covariances and variances of the children.

    For children j, k of every batch row: the number of units where both are present,
    and the sums of products over those units, centred on each child's mean so that
    the subtraction below does not lose precision.  Returns (n, cov, var_j, var_k) of
    shape (..., children, children), all on ``n - 1`` degrees of freedom.
    """
    m = present.astype(float)
    mean = np.nansum(np.where(present, x, 0.0), axis=-2, keepdims=True) / np.maximum(
        m.sum(axis=-2, keepdims=True), 1.0
    )
    xc = np.where(present, x - mean, 0.0)
    xc_t = np.swapaxes(xc, -1, -2)
    n = np.swapaxes(m, -1, -2) @ m
    sx = xc_t @ m  # sum of child j over the units where child k is present too
    sxx = np.swapaxes(xc * xc, -1, -2) @ m
    sxy = xc_t @ xc
    sy = np.swapaxes(sx, -1, -2)
    syy = np.swapaxes(sxx, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sy / n) / (n - 1)
        var_j = (sxx - sx * sx / n) / (n - 1)
        var_k = (syy - sy * sy / n) / (n - 1)
    return n, cov, var_j, var_k


# ---- entropy --------------------------------------------------------------------------


class EntropyWeighting(WeightingScheme):
    """Shannon-entropy weights: a child whose scores are spread evenly across units
    carries little information and gets a small weight."""

    name = "entropy"
    summary = "Shannon entropy weights: children that differentiate units more weigh more"

    def weights(self, scores, context=None):
        scores = _check_shape(scores, self.name)
        one = _single_child(scores)
        if one is not None:
            return one
        names = _child_names(context, scores.shape[-1])
        present = ~np.isnan(scores)
        with np.errstate(invalid="ignore"):
            negative = scores < 0  # false where missing
        if negative.any():
            raise ComponentValueError(
                "entropy weights need non-negative scores, but "
                f"{listing(_children_where(negative.any(axis=-2), names))} "
                "have negative ones",
                help="normalise the children to a non-negative range first, e.g. "
                "`normalise minmax(0, 100)` (a z-score is negative for half the units)",
                units=_units_where(negative),
            )
        n = present.sum(axis=-2)
        if np.any(n < 2):
            raise ComponentValueError(
                "entropy weights need at least two units with a score for every child, "
                f"but {listing(_children_where(n < 2, names))} have fewer",
                help="check the data of these children, or weight this node explicitly",
            )
        filled = np.where(present, scores, 0.0)
        total = filled.sum(axis=-2, keepdims=True)
        if np.any(total == 0):
            zero = listing(_children_where(total[..., 0, :] == 0, names))
            raise ComponentValueError(
                f"entropy weights are undefined: {zero} score zero for every unit",
                help="drop these children, or normalise them to a range above zero, e.g. "
                "`normalise minmax(1, 100)`",
            )
        p = filled / total
        log_p = np.zeros_like(p)
        np.log(p, out=log_p, where=p > 0)  # 0 ln 0 = 0
        entropy = -(p * log_p).sum(axis=-2) / np.log(n)
        diversity = np.clip(1.0 - entropy, 0.0, None)
        spread = diversity.sum(axis=-1, keepdims=True)
        if np.any(spread <= 1e-12):
            raise ComponentValueError(
                "entropy weights are undefined: every child has the same score for all "
                "units, so none differentiates them",
                help="use `weights equal`, or weight this node explicitly",
            )
        return diversity / spread, {"entropy": entropy, "diversity": diversity}


# ---- CRITIC ---------------------------------------------------------------------------


class CriticWeighting(WeightingScheme):
    """CRITIC (Diakoulaki, Mavrotas and Papayannakis 1995): a child weighs more the
    more its scores vary and the less they agree with the other children's."""

    name = "critic"
    summary = "CRITIC weights: standard deviation times total disagreement with the others"

    MIN_UNITS = 3

    def weights(self, scores, context=None):
        scores = _check_shape(scores, self.name)
        one = _single_child(scores)
        if one is not None:
            return one
        names = _child_names(context, scores.shape[-1])
        present = ~np.isnan(scores)
        n, cov, var_j, var_k = _pairwise_moments(scores, present)
        if np.any(n < self.MIN_UNITS):
            pairs = _pair_names(n < self.MIN_UNITS, names)
            raise ComponentValueError(
                f"CRITIC needs at least {self.MIN_UNITS} units with scores on each pair of "
                f"children to correlate them, but {pairs} have fewer",
                help="check the data of these children, or weight this node explicitly",
            )
        sd = np.sqrt(np.diagonal(var_j, axis1=-2, axis2=-1))
        constant = ~(sd > 0) | np.any(~(var_j > 0) | ~(var_k > 0), axis=-1)
        if np.any(constant):
            raise ComponentValueError(
                f"CRITIC weights are undefined: {listing(_children_where(constant, names))} "
                "have the same score for every unit (zero standard deviation)",
                help="drop these children, which cannot differentiate units, or weight this "
                "node explicitly",
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.clip(cov / np.sqrt(var_j * var_k), -1.0, 1.0)
        r = np.where(np.eye(r.shape[-1], dtype=bool), 1.0, r)
        information = sd * (1.0 - r).sum(axis=-1)
        total = information.sum(axis=-1, keepdims=True)
        if np.any(total <= 1e-12):
            raise ComponentValueError(
                "CRITIC weights are undefined: the children are perfectly correlated",
                help="use `weights equal`, or keep one of these children",
            )
        state = {"sd": sd, "correlation": r, "information": information}
        return information / total, state


def _pair_names(mask: np.ndarray, names: tuple[str, ...]) -> str:
    mask = np.asarray(mask).reshape(-1, *mask.shape[-2:]).any(axis=0)
    pairs = [
        f"{names[j]}/{names[k]}" if j != k else names[j]
        for j, k in zip(*np.nonzero(np.triu(mask)), strict=True)
    ]
    return listing(pairs)


# ---- PCA ------------------------------------------------------------------------------


class PcaWeighting(WeightingScheme):
    """Weights from the first principal component of the children's correlation matrix."""

    name = "pca"
    summary = "first principal component of the correlation matrix: squared (or absolute) loadings"
    params = (
        Param(
            "loadings",
            str,
            "squared",
            '"squared": w_j = v_j^2 (the OECD/JRC Handbook\'s squared loadings scaled to '
            'unity sum); "absolute": w_j = |v_j| / sum |v|',
        ),
    )

    MIN_UNITS = 3

    def weights(self, scores, context=None):
        if self.loadings not in ("squared", "absolute"):
            raise ComponentValueError(
                f'`loadings` of `pca` must be "squared" or "absolute", not "{self.loadings}"',
                help='write `pca(loadings = "squared")` (the default) or '
                '`pca(loadings = "absolute")`',
            )
        scores = _check_shape(scores, self.name)
        one = _single_child(scores)
        if one is not None:
            return one
        names = _child_names(context, scores.shape[-1])
        m = scores.shape[-1]
        complete = ~np.isnan(scores).any(axis=-1, keepdims=True)  # listwise deletion
        used = complete[..., 0].sum(axis=-1)
        if np.any(used < self.MIN_UNITS):
            raise ComponentValueError(
                f"PCA weights need at least {self.MIN_UNITS} units with a score on every "
                f"child, but only {int(used.min())} have one",
                help="impute the missing values first (`impute mean` …), or weight this "
                "node explicitly",
            )
        present = np.broadcast_to(complete, scores.shape)
        _, cov, var_j, var_k = _pairwise_moments(scores, present)
        sd = np.sqrt(np.diagonal(var_j, axis1=-2, axis2=-1))
        if np.any(~(sd > 0)):
            raise ComponentValueError(
                f"PCA weights are undefined: {listing(_children_where(~(sd > 0), names))} "
                "have the same score for every unit used (zero standard deviation)",
                help="drop these children, or weight this node explicitly",
            )
        corr = np.clip(cov / np.sqrt(var_j * var_k), -1.0, 1.0)
        corr = np.where(np.eye(m, dtype=bool), 1.0, corr)
        eigenvalues, vectors = np.linalg.eigh(corr)  # ascending, batched
        first = eigenvalues[..., -1]
        if np.any(first - eigenvalues[..., -2] <= 1e-9 * m):
            raise ComponentValueError(
                "PCA weights are undefined: the first principal component is not unique "
                "(its eigenvalue is tied with the second; the children are uncorrelated "
                "or equally correlated in several directions)",
                help="use `weights equal`, or weight this node explicitly",
            )
        v = vectors[..., :, -1]
        v = v * np.where(v.sum(axis=-1, keepdims=True) < 0, -1.0, 1.0)
        if self.loadings == "squared":
            w = v * v
            w = w / w.sum(axis=-1, keepdims=True)
        else:
            w = np.abs(v) / np.abs(v).sum(axis=-1, keepdims=True)
        state = {
            "explained_variance": first / m,
            "eigenvalues": eigenvalues[..., ::-1],
            "loadings": v * np.sqrt(first)[..., None],
            "units_used": used,
        }
        return w, state


# ---- AHP ------------------------------------------------------------------------------


def _parse_number(token: str) -> float | None:
    match = _ENTRY.match(token)
    if not match:
        return None
    numerator, denominator, percent = match.groups()
    if denominator is not None and float(denominator) == 0:
        return None
    value = float(Fraction(numerator) / Fraction(denominator)) if denominator else float(numerator)
    return value / 100 if percent else value


def _split_rows(text: str) -> list[list[str]]:
    rows = [row.strip() for row in str(text).split(";")]
    if rows and rows[-1] == "":
        rows.pop()  # a trailing `;`
    return [[t for t in re.split(r"[,\s]+", row) if t] for row in rows]


def parse_comparison_matrix(text: str) -> tuple[np.ndarray, list[list[str]]]:
    """A pairwise comparison matrix written as text: rows separated by ``;``, entries
    by spaces or commas, each a number or a fraction (``1/3``).  Returns the matrix
    and the entries as written; raises :class:`ComponentValueError` for text that is
    not a square matrix of numbers."""
    rows = _split_rows(text)
    example = 'write it row by row, e.g. `ahp("1 3 5; 1/3 1 2; 1/5 1/2 1")`'
    if not rows or not any(rows):
        raise ComponentValueError("the comparison matrix `matrix` of `ahp` is empty", help=example)
    for r, row in enumerate(rows, start=1):
        if not row:
            raise ComponentValueError(
                f"row {r} of the comparison matrix `matrix` of `ahp` is empty",
                help="separate rows with `;` and do not end a row with two of them",
            )
        for c, token in enumerate(row, start=1):
            if _parse_number(token) is None or token.endswith("%"):
                raise ComponentValueError(
                    f"entry `{token}` (row {r}, column {c}) of the comparison matrix `matrix` of "
                    "`ahp` is not a number",
                    help="write each judgement as a number or a fraction such as `1/3`; "
                    "separate entries with spaces or commas and rows with `;`",
                )
    width = {len(row) for row in rows}
    if len(width) > 1:
        counts = ", ".join(f"row {r} has {len(row)}" for r, row in enumerate(rows, start=1))
        raise ComponentValueError(
            "the rows of the comparison matrix `matrix` of `ahp` have different lengths "
            f"({counts})",
            help="every row compares one child with all of them, itself included",
        )
    (size,) = width
    if size != len(rows):
        raise ComponentValueError(
            f"the comparison matrix `matrix` of `ahp` is not square: {len(rows)} row"
            f"{'s' if len(rows) != 1 else ''} of {size} entries",
            help="write one row per child, each with one entry per child",
        )
    matrix = np.array([[_parse_number(t) for t in row] for row in rows], dtype=float)
    return matrix, rows


class AhpWeighting(WeightingScheme):
    """Saaty's Analytic Hierarchy Process: weights from pairwise judgements of the
    children's relative importance, with Saaty's consistency check."""

    name = "ahp"
    summary = "Analytic Hierarchy Process: principal eigenvector of a pairwise comparison matrix"
    data_driven = False
    params = (
        Param(
            "matrix",
            str,
            doc="pairwise comparisons, rows split by `;`, in the order of the children: "
            '"1 3; 1/3 1"',
        ),
        Param("max_cr", float, 0.1, "largest consistency ratio accepted (Saaty: 0.1)"),
    )

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._solved: dict[tuple[str, ...], tuple[np.ndarray, dict[str, Any]]] = {}

    def validate(self, children: tuple[str, ...] | None = None) -> None:
        """Every check that needs no data: the matrix text, and with the children's
        names its size, reciprocity and consistency.  Raises ComponentValueError."""
        if children is None:
            parse_comparison_matrix(self.matrix)
            self._check_max_cr()
        else:
            self._solve(tuple(children))

    def weights(self, scores, context=None):
        scores = np.asarray(scores, dtype=float)
        names = _child_names(context, scores.shape[-1])
        w, state = self._solve(names)
        return np.broadcast_to(w, scores.shape[:-2] + w.shape).copy(), dict(state)

    def _check_max_cr(self) -> None:
        if not self.max_cr >= 0:
            raise ComponentValueError(
                f"`max_cr` of `ahp` must be zero or more, not {self.max_cr}",
                help="Saaty accepts a consistency ratio up to 0.1: `max_cr = 0.1`",
            )

    def _solve(self, names: tuple[str, ...]) -> tuple[np.ndarray, dict[str, Any]]:
        if names in self._solved:
            return self._solved[names]
        self._check_max_cr()
        a, written = parse_comparison_matrix(self.matrix)
        n = a.shape[0]
        if n != len(names):
            raise ComponentValueError(
                f"the comparison matrix `matrix` of `ahp` is {n}×{n}, but the node has "
                f"{len(names)} children ({listing(names)})",
                help="write one row and one column per child, in the order the children are listed",
            )
        if n > len(RANDOM_INDEX):
            raise ComponentValueError(
                f"`ahp` compares at most {len(RANDOM_INDEX)} children (Saaty's random index "
                f"is tabulated up to {len(RANDOM_INDEX)}), but this node has {n}",
                help="group the children into sub-dimensions and weight each level with AHP",
            )
        bad = [(i, j) for i in range(n) for j in range(n) if not a[i, j] > 0]
        if bad:
            entries = ", ".join(f"`{written[i][j]}` ({names[i]}, {names[j]})" for i, j in bad)
            raise ComponentValueError(
                "the comparison matrix `matrix` of `ahp` has entries that are not positive: "
                f"{entries}",
                help="judgements are ratios of importance on Saaty's scale 1/9 … 9; "
                "`1` means equally important",
            )
        diagonal = [i for i in range(n) if a[i, i] != 1]
        if diagonal:
            entries = ", ".join(f"`{written[i][i]}` ({names[i]}, {names[i]})" for i in diagonal)
            raise ComponentValueError(
                "the diagonal of the comparison matrix `matrix` of `ahp` must be 1, but has "
                f"{entries}",
                help="a child compared with itself is equally important: write `1`",
            )
        product = a * a.T
        wrong = [
            (i, j)
            for i in range(n)
            for j in range(i + 1, n)
            if abs(product[i, j] - 1) > RECIPROCAL_TOLERANCE
        ]
        if wrong:
            pairs = "; ".join(
                f"row `{names[i]}`, column `{names[j]}` is `{written[i][j]}` but row "
                f"`{names[j]}`, column `{names[i]}` is `{written[j][i]}` "
                f"(should be `{_reciprocal_text(written[i][j], a[i, j])}`)"
                for i, j in wrong
            )
            raise ComponentValueError(
                f"the comparison matrix `matrix` of `ahp` is not reciprocal: {pairs}",
                help="if a child is k times as important as another, the other is 1/k times "
                "as important: write a_ji = 1/a_ij",
            )
        eigenvalues, vectors = np.linalg.eig(a)
        k = int(np.argmax(eigenvalues.real))
        lambda_max = float(eigenvalues[k].real)
        w = np.abs(vectors[:, k].real)
        w = w / w.sum()
        ci = max(lambda_max - n, 0.0) / (n - 1) if n > 2 else 0.0
        ri = RANDOM_INDEX[n - 1]
        cr = ci / ri if ri > 0 else 0.0
        state = {
            "consistency_ratio": cr,
            "consistency_index": ci,
            "lambda_max": lambda_max,
            "random_index": ri,
        }
        if cr > self.max_cr:
            # the judgement farthest from the ratio of the weights it implies
            error = np.abs(np.log(a * w[None, :] / w[:, None]))
            i, j = np.unravel_index(int(np.argmax(np.triu(error, 1))), error.shape)
            implied = w[i] / w[j]
            raise ComponentValueError(
                f"the pairwise comparisons of `ahp` are inconsistent: consistency ratio "
                f"{cr:.3f} > {self.max_cr:g} (λmax = {lambda_max:.3f}, CI = {ci:.3f}, "
                f"RI = {ri:g})",
                help=f"revise the judgements; the least consistent is row `{names[i]}`, "
                f"column `{names[j]}` = `{written[i][j]}`, where the weights imply "
                f"{implied:.2f}. Or accept it with `max_cr`, e.g. "
                f'`ahp("…", max_cr = {_round_up(cr)})`',
            )
        self._solved[names] = (w, state)
        return w, state


def _reciprocal_text(token: str, value: float) -> str:
    if "/" in token:
        numerator, denominator = token.split("/", 1)
        return denominator if numerator.strip() in ("1", "1.0") else f"{denominator}/{numerator}"
    if value >= 1 and float(value).is_integer():
        return f"1/{int(value)}"
    return f"{1 / value:.4g}"


def _round_up(cr: float) -> str:
    return f"{np.ceil(cr * 100) / 100:g}"


# ---- equal and explicit ---------------------------------------------------------------


class EqualWeighting(WeightingScheme):
    name = "equal"
    summary = "every child weighs the same, 1/n (as `weights equal`)"
    data_driven = False

    def weights(self, scores, context=None):
        scores = np.asarray(scores, dtype=float)
        m = scores.shape[-1]
        return np.full(scores.shape[:-2] + (m,), 1.0 / m), {}


class ExplicitWeighting(WeightingScheme):
    """Weights given as one list, in the order of the children; divided by their sum."""

    name = "explicit"
    summary = 'weights written as one list in the order of the children: "40%, 30%, 30%"'
    data_driven = False
    params = (
        Param(
            "shares",
            str,
            doc='one weight per child, in order, separated by commas or spaces: "40%, 30%, 30%", '
            '"2 1 1" or "1/2, 1/4, 1/4"; divided by their sum',
        ),
    )

    def validate(self, children: tuple[str, ...] | None = None) -> np.ndarray:
        tokens = [t for t in re.split(r"[,;\s]+", str(self.shares)) if t]
        values = [_parse_number(t) for t in tokens]
        for token, value in zip(tokens, values, strict=True):
            if value is None or value < 0:
                raise ComponentValueError(
                    f"weight `{token}` in `shares` of `explicit` is not a non-negative number",
                    help='write numbers, percentages or fractions: `explicit("40%, 30%, 30%")`',
                )
        if not tokens or sum(values) <= 0:
            raise ComponentValueError(
                "the weights `shares` of `explicit` are all zero or missing",
                help='write one weight per child: `explicit("40%, 30%, 30%")`',
            )
        if children is not None and len(values) != len(children):
            raise ComponentValueError(
                f"`explicit` gives {len(values)} weight{'s' if len(values) != 1 else ''}, but "
                f"the node has {len(children)} children ({listing(tuple(children))})",
                help="write one weight per child, in the order the children are listed",
            )
        w = np.array(values, dtype=float)
        return w / w.sum()

    def weights(self, scores, context=None):
        scores = np.asarray(scores, dtype=float)
        w = self.validate(_child_names(context, scores.shape[-1]))
        written = float(sum(_parse_number(t) for t in re.split(r"[,;\s]+", str(self.shares)) if t))
        return np.broadcast_to(w, scores.shape[:-2] + w.shape).copy(), {"sum_written": written}


@hookimpl
def indexdsl_register_weighting_schemes():
    return [
        EntropyWeighting,
        CriticWeighting,
        PcaWeighting,
        AhpWeighting,
        EqualWeighting,
        ExplicitWeighting,
    ]
