"""A tuned numpy loop over ASEM full against indexdsl's batched engine, in one run.

    uv run python benchmarks/numpy_loop.py                  # median of 7 passes each
    uv run python benchmarks/numpy_loop.py --replications 2000 --repeats 11

The issue this answers measured indexdsl at 91 µs a replication where "a tuned numpy
loop over the same 51 × 49 matrix takes 17 µs".  This file is that loop, written
from the data files with numpy alone (no indexdsl code): COINr's full pipeline of
indices/asem_full.idx and the four uncertain inputs of its uncertainty block.

Prepared once (not timed per replication, as indexdsl prepares them once too):
  1. denominate  each indicator by its iMeta `Denominator` column (GDP, population …)
  2. impute      missing values by the mean of the unit's EurAsia group
  3. screen      units with less than 90% of the indicators (none in ASEM)
  4. treat       COINr's winsorisation, for each limit of 1 to 5 points (skewness and
                 kurtosis recomputed after each point, log when that is not enough)
  5. normalise   each of the 5 treated matrices by min-max (1, 100) and by
                 z-score (10, 2), directions applied: (2, 5, 51, 49) scores

Per replication (the timed part; the same draws as indexdsl's: `sample` with seed 1):
  loop "matrix": the replication's 51 × 49 score matrix gathered by its normaliser and
      treatment choice, each pillar its weighted arithmetic or geometric mean
      (one matrix product over the indicators, logarithms for the geometric mean),
      the sub-indices and the index with the replication's ±25% weights, the index
      ranked (ties share the best rank).
  loop "per choice": the pillar scores computed once per combination of normaliser,
      treatment and aggregator (2 × 5 × 2 = 20 matrices: they depend on nothing else)
      and gathered per replication; the sub-indices, index and ranks as above.  This
      is what indexdsl's engine does since its leaves and nodes are Keyed.

Both loops are checked against indexdsl's scores (to 1e-9) and ranks (equal) for
every replication before anything is timed.  The load average is printed before and
after: the machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "indices" / "data" / "asem"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---- the data and framework, read with the csv module ----------------------------------
def read_framework():
    with open(DATA / "ASEM_iMeta.csv", newline="") as f:
        meta = list(csv.DictReader(f))
    with open(DATA / "ASEM_iData.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    leaves = [m for m in meta if m["Type"] == "Indicator"]
    nodes = [m for m in meta if m["Type"] == "Aggregate"]

    def number(text: str) -> float:
        return float("nan") if text in ("", "NA") else float(text)

    raw = np.array([[number(r[m["iCode"]]) for m in leaves] for r in rows])
    for j, m in enumerate(leaves):  # 1. denominate
        if m["Denominator"] not in ("", "NA"):
            raw[:, j] /= np.array([number(r[m["Denominator"]]) for r in rows])
    groups = np.array([r["EurAsia_group"] for r in rows])
    return raw, groups, leaves, nodes


def winsorise(v: np.ndarray, max_points: int, skew=2.0, kurt=3.5) -> np.ndarray:
    """COINr's outlier treatment of one indicator's values (all present)."""
    n = v.size

    def moments(w):
        d = w - w.mean()
        m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
        g1 = m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        g2 = ((n + 1) * (m4 / m2**2 - 3.0) + 6.0) * (n - 1) / ((n - 2) * (n - 3))
        return g1, g2

    def outliers(w):
        g1, g2 = moments(w)
        return abs(g1) >= skew and g2 >= kurt

    if not outliers(v):
        return v
    w = v.copy()
    treated: set[int] = set()
    while outliers(w) and len(treated) < max_points:
        high = moments(w)[0] >= 0
        extreme = w.max() if high else w.min()
        at = np.flatnonzero(w == extreme)
        rest = w[w != extreme]
        w[at] = rest.max() if high else rest.min()
        treated.update(at.tolist())
    if not outliers(w):
        return w
    lo, hi = v.min(), v.max()
    return np.log(v - lo + 0.01 * (hi - lo))


def prepare(raw, groups, leaves):
    """Steps 2 to 5: the (normalisers, treatments, units, indicators) scores."""
    x = raw.copy()
    for g in np.unique(groups):  # 2. impute by group mean
        member = groups == g
        block = x[member]
        means = np.nanmean(block, axis=0)
        x[member] = np.where(np.isnan(block), means, block)
    share = (~np.isnan(x)).mean(axis=1)  # 3. screen
    x[share < 0.9 - 1e-12] = np.nan
    assert not np.isnan(x).any(), "the loop assumes complete data after imputation"
    direction = np.array([float(m["Direction"]) for m in leaves])
    scores = np.empty((2, 5, *x.shape))
    for t, limit in enumerate(range(1, 6)):  # 4. treat
        treated = np.column_stack([winsorise(x[:, j], limit) for j in range(x.shape[1])])
        oriented = np.where(direction < 0, -treated, treated)
        lo, hi = oriented.min(axis=0), oriented.max(axis=0)  # 5. normalise
        scores[0, t] = 1 + (oriented - lo) / (hi - lo) * 99
        mu, sd = oriented.mean(axis=0), oriented.std(axis=0, ddof=1)
        scores[1, t] = 10 + (oriented - mu) / sd * 2
    return scores


def membership(children_of, parents, weight):
    """(children, parents) weights, each column summing to one."""
    out = np.zeros((len(children_of), len(parents)))
    for i, (child, parent) in enumerate(children_of):
        out[i, parents.index(parent)] = weight[child]
    return out / out.sum(axis=0)


class Loop:
    """The replications' index scores and ranks, from the prepared scores."""

    def __init__(self, scores, leaves, nodes):
        weight = {m["iCode"]: float(m["Weight"]) for m in (*leaves, *nodes)}
        self.pillars = [m["iCode"] for m in nodes if m["Level"] == "2"]
        self.subs = [m["iCode"] for m in nodes if m["Level"] == "3"]
        self.root = next(m["iCode"] for m in nodes if m["Level"] == "4")
        self.leaf_to_pillar = membership(
            [(m["iCode"], m["Parent"]) for m in leaves], self.pillars, weight
        )
        parent = {m["iCode"]: m["Parent"] for m in nodes}
        self.pillars_of = {
            s: [p for p, name in enumerate(self.pillars) if parent[name] == s] for s in self.subs
        }
        # the (normaliser × treatment) matrices, and their logarithms for the geometric
        # mean (taken once, not per replication)
        self.scores = scores.reshape(-1, *scores.shape[2:])  # (10, units, indicators)
        self.logs = np.log(self.scores)
        # loop "per choice": each pillar matrix once per (normaliser × treatment), for
        # the arithmetic mean and (as logarithms) for the geometric mean
        self.pillar_means = self.scores @ self.leaf_to_pillar  # (10, units, pillars)
        self.pillar_logs = self.logs @ self.leaf_to_pillar

    def matrix(self, normaliser, treatment, aggregator, weights):
        code = normaliser * 5 + treatment
        arithmetic, geometric = np.flatnonzero(aggregator == 0), np.flatnonzero(aggregator == 1)
        # each replication's (units × indicators) matrix, then its pillars
        pillars = np.take(self.scores, code[arithmetic], axis=0) @ self.leaf_to_pillar
        logs = np.take(self.logs, code[geometric], axis=0) @ self.leaf_to_pillar
        return self._top(pillars, logs, arithmetic, geometric, weights)

    def per_choice(self, normaliser, treatment, aggregator, weights):
        code = normaliser * 5 + treatment
        arithmetic, geometric = np.flatnonzero(aggregator == 0), np.flatnonzero(aggregator == 1)
        pillars = np.take(self.pillar_means, code[arithmetic], axis=0)
        logs = np.take(self.pillar_logs, code[geometric], axis=0)
        return self._top(pillars, logs, arithmetic, geometric, weights)

    def _top(self, pillars, logs, arithmetic, geometric, weights):
        """The sub-indices and the index: weighted means of the pillars' scores (or,
        for the geometric mean, of their logarithms) with each replication's weights."""
        w = {k: v / v.sum(axis=-1, keepdims=True) for k, v in weights.items()}
        wa = {k: v[arithmetic] for k, v in w.items()}
        wg = {k: v[geometric] for k, v in w.items()}
        subs_a = np.stack(
            [np.einsum("ruc,rc->ru", pillars[:, :, self.pillars_of[s]], wa[s]) for s in self.subs],
            axis=-1,
        )
        subs_g = np.stack(
            [np.einsum("ruc,rc->ru", logs[:, :, self.pillars_of[s]], wg[s]) for s in self.subs],
            axis=-1,
        )
        index = np.empty((len(arithmetic) + len(geometric), pillars.shape[1]))
        index[arithmetic] = np.einsum("ruc,rc->ru", subs_a, wa[self.root])
        index[geometric] = np.exp(np.einsum("ruc,rc->ru", subs_g, wg[self.root]))
        return index, _ranks(index)


def _ranks(scores):
    """Competition ranks of each row (1 for the highest; ties share the best rank)."""
    rounded = np.round(scores, 9)
    order = np.argsort(-rounded, axis=-1)
    ordered = np.take_along_axis(rounded, order, axis=-1)
    first = np.ones(ordered.shape, dtype=bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    position = np.maximum.accumulate(np.where(first, np.arange(scores.shape[1]), 0), axis=1)
    ranks = np.empty(scores.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, position + 1, axis=1)
    return ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--replications", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average {loadavg()}")

    from indexdsl.analyses.uncertainty import sample
    from indexdsl.compile import compile_model
    from indexdsl.evaluate import Evaluator
    from indexdsl.pipeline import Session, check_file, load

    path = ROOT / "indices" / "asem_full.idx"
    session = Session()
    model = check_file(path, session)
    evaluator = Evaluator(compile_model(model), load(model, path, session))
    n = args.replications
    variation = sample(model, model.uncertainty, n, np.random.default_rng(1))
    root = model.root.name

    raw, groups, leaves, nodes = read_framework()
    loop = Loop(prepare(raw, groups, leaves), leaves, nodes)
    # the draws, as indexdsl's: normaliser minmax(1, 100) or zscore(10, 2); treatment
    # winsorise(max_points = 1 … 5); aggregator arithmetic or geometric; the weights
    # of Conn's and Sust's pillars and of the index's sub-indices
    names = [type(a).__name__ for a in variation.aggregators]
    assert names == ["ArithmeticMeanAggregator", "GeometricMeanAggregator"], names
    draws = (
        variation.normaliser_choice,
        variation.treatment_choice,
        variation.aggregator_choice,
        {
            "Conn": variation.weights["Conn"],
            "Sust": variation.weights["Sust"],
            "Index": variation.weights[root],
        },
    )

    def indexdsl():
        result = evaluator.level("unit", variation, ranked=(root,))
        return result.scores[root], result.ranks[root]

    def matrix():
        return loop.matrix(*draws)

    def per_choice():
        return loop.per_choice(*draws)

    expected_scores, expected_ranks = indexdsl()
    for fn in (matrix, per_choice):
        scores, ranks = fn()
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(ranks, expected_ranks)
    print(f"the loops agree with indexdsl on all {n} replications (scores to 1e-9, ranks equal)")

    times: dict[str, list[float]] = {"indexdsl": [], "matrix": [], "per choice": []}
    runs = {"indexdsl": indexdsl, "matrix": matrix, "per choice": per_choice}
    for _ in range(args.repeats):  # in turn, so that each sees the same load
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    per = {name: statistics.median(t) / n * 1e6 for name, t in times.items()}
    print(f"ASEM full, {n} replications a pass, median of {args.repeats} passes each:")
    print(f"  indexdsl batched engine     {per['indexdsl']:6.1f} µs a replication")
    print(f"  numpy loop, the matrix      {per['matrix']:6.1f} µs a replication")
    print(f"  numpy loop, per choice      {per['per choice']:6.1f} µs a replication")
    print(
        f"  indexdsl / loop: {per['indexdsl'] / per['matrix']:.2f}× the matrix loop, "
        f"{per['indexdsl'] / per['per choice']:.2f}× the per-choice loop"
    )
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
