"""Generate the ILLUSTRATIVE city values of the International Exchange Centers Index 2024.

Why: 17 of the index's 25 indicators (ICCA meetings, UFI exhibitions, embassies,
international organisations, papers, universities, tourists, network speeds, prisoners
...) have no open data.  This script invents plausible values for them, TUNED so that
the index method (indices/iec.idx) agrees with the report's published ranks.  They are
NOT measurements.  Reads cities.csv, city_country_indicators.csv, city_air_connectivity.csv
and city_world_heritage_counts.csv (same folder); writes illustrative.csv.
Deterministic: one numpy.random.default_rng(SEED), fixed iteration counts, rounded output.

Method (the engine's arithmetic, mirrored here): indicators min-max normalised (reverse
ones inverted), equal-weight means, every mean min-max rescaled, competition ranks.  Each
illustrative indicator follows a latent z per city: column = low + (high - low) *
logistic(z + fixed noise)^power.  1) Targets for the eleven second-level dimensions follow
their published order (pool-adjacent-violators), within what their real indicators allow;
a projected-subgradient loop moves them so that their means also follow the published
first-level and overall orders.  2) A feedback loop moves the latents until each dimension
reaches its target.  Prints the agreement (exact ranks, Spearman rho) of the result.
"""
import csv
import sys
import warnings
from pathlib import Path

import numpy as np

SEED = 2024  # seed of numpy.random.default_rng; another seed gives other values
HERE = Path(__file__).resolve().parent
# Generators: leaf -> [(column, low, high, power, decimals)]; several columns = a composite
# indicator (the mean of their min-max normalised values, as in iec.idx).
GEN = {
    "living_environment": [("living_environment", 55, 97, 1.0, 1)],
    "medical_services": [("medical_services", 50, 100, 1.0, 1)],
    "startup_ecosystem": [("startup_ecosystem", 5, 100, 1.0, 1)],
    "unicorns": [("unicorns", 0, 180, 2.5, 0)],
    "inbound_tourists": [("inbound_tourists_m", 1, 34, 1.5, 2)],
    "embassies": [("embassies_consulates", 20, 190, 1.0, 0)],
    "igo_hq": [("igo_hq", 0, 60, 2.5, 0)],
    "ngo_hq": [("ngo_hq", 5, 400, 2.5, 0)],
    "global500_hq": [("global500_hq", 0, 55, 2.5, 0)],
    "financial_centre": [("financial_centre", 600, 770, 1.0, 0)],
    "icca_meetings": [("icca_meetings", 5, 200, 1.5, 0)],
    "ufi_exhibitions": [("ufi_exhibitions", 0, 50, 1.5, 0)],
    "science_papers": [("sci_highly_cited", 20, 3000, 1.5, 0), ("sci_highly_cited_share", 0.5, 3.5, 1.0, 2),
                       ("sci_hot_papers", 0, 300, 1.5, 0)],
    "humanities_papers": [("ssci_highly_cited", 10, 300, 1.5, 0), ("ssci_highly_cited_share", 0.3, 1.2, 1.0, 2),
                          ("ssci_hot_papers", 0, 8, 1.5, 0)],
    "network_speed": [("fixed_broadband_mbps", 40, 300, 1.0, 1), ("mobile_mbps", 25, 220, 1.0, 1)],
    # universities by ranking band: the index weighs them 3, 2, 1
    "top_universities": [("uni_top50", 0, 5, 3.0, 0), ("uni_top51_100", 0, 4, 2.0, 0), ("uni_top101_200", 0, 6, 1.0, 0)],
    # lower is better: a high latent (a safe city) means few prisoners
    "crime_rate_index": [("prisoners_per_100k", 650, 40, 1.0, 0)],
}
# Values quoted in the report are kept as they are (the other cities are tuned around
# them): Table 3 (humanities and social sciences papers of the top 10 cities), the hot
# papers of Beijing and Boston, Istanbul's 56 UFI exhibitions, Hong Kong's medical score
# 87.5.  (Not the inbound visits the report quotes, 34 million to Hong Kong and 20.17
# million to Istanbul: its tourism ranks tie the two, so its scores are no min-max of them.)
TABLE3 = {"beijing": (700, 2.0, 24), "boston": (893, 1.9, 14), "london": (706, 1.1, 15),
          "hong_kong": (439, 1.6, 11), "shanghai": (318, 1.7, 16), "guangzhou": (201, 1.8, 6),
          "los_angeles": (301, 1.2, 5), "san_francisco": (321, 1.2, 3), "sydney": (248, 0.9, 9),
          "chicago": (263, 1.2, 5)}
QUOTED = {col: {c: v[k] for c, v in TABLE3.items()} for k, col in
          enumerate(["ssci_highly_cited", "ssci_highly_cited_share", "ssci_hot_papers"])}
QUOTED |= {"sci_hot_papers": {"beijing": 410, "boston": 303}, "ufi_exhibitions": {"istanbul": 56},
          "medical_services": {"hong_kong": 87.5}}
# Orders stated in the report (values not given): the ten cities with the most highly
# cited papers, and the five with the most hot papers.  The generated values are handed
# out in this order, the other cities keep theirs.
ORDERED = {"sci_highly_cited": ["beijing", "boston", "london", "shanghai", "san_francisco",
                                "los_angeles", "paris", "guangzhou", "seattle", "chicago"],
           "sci_hot_papers": ["beijing", "boston", "london", "shanghai", "san_francisco"]}
IDS = []  # city ids in the order of cities.csv (set by load())
WEIGHTED = {"top_universities": (3, 2, 1)}  # composites of raw counts, not of min-max values
# The hierarchy of iec.idx: first level -> second level -> leaves (equal weights)
TREE = {
    "attractiveness": {"livability": ["living_environment", "medical_services", "crime_rate_index"],
                       "business": ["doing_business"], "career": ["startup_ecosystem", "unicorns"],
                       "tourism": ["inbound_tourists"]},
    "influence": {"affairs": ["embassies", "igo_hq", "ngo_hq"], "scitech": ["science_papers", "patents"],
                  "economy": ["gdp_per_capita", "gdp", "global500_hq", "financial_centre"],
                  "culture": ["world_heritage", "top_universities", "humanities_papers"]},
    "connectivity": {"transport": ["intl_destinations", "flight_density"],
                     "digital": ["network_speed", "broadband"],
                     "communication": ["icca_meetings", "ufi_exhibitions"]},
}
SECOND = [n for f in TREE.values() for n in f]


def mm(x):  # min-max to [0, 1]
    return (x - np.nanmin(x)) / (np.nanmax(x) - np.nanmin(x))


def comp_rank(s):
    """Competition ranks, higher score = better (scores rounded as the engine does)."""
    s = np.round(s, 9)
    return np.array([1 + int(np.sum(s > v)) for v in s])


def spearman(a, b):
    def avg(x):
        x = np.asarray(x, float)
        return np.array([np.sum(x < v) + (np.sum(x == v) + 1) / 2 for v in x])
    return float(np.corrcoef(avg(a), avg(b))[0, 1])


def pav(y):
    """Pool-adjacent-violators: the closest non-decreasing sequence (least squares)."""
    blocks = []
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return np.concatenate([[s / c] * c for s, c in blocks])


def monotone(v, pos, gap, lo, hi):
    """Scores that follow the published positions (1 = best), at least `gap` apart,
    equal for equal positions, pulled inside [lo, hi] where that is possible."""
    order = np.argsort(-pos, kind="stable")  # worst first
    step = np.cumsum(np.r_[0, np.diff(pos[order]) != 0]) * gap
    u = np.clip(pav(v[order] - step) + step, lo[order], hi[order])
    for k in range(1, len(u)):
        u[k] = max(u[k], u[k - 1] + (gap if step[k] > step[k - 1] else 0))
    for p in np.unique(pos):
        u[pos[order] == p] = u[pos[order] == p].mean()
    out = np.empty_like(v)
    out[order] = u
    return out


def load():
    read = lambda f: {r["city_id"]: r for r in csv.DictReader((HERE / f).read_text(encoding="utf-8").splitlines())}
    cities, country = read("cities.csv"), read("city_country_indicators.csv")
    air, whs = read("city_air_connectivity.csv"), read("city_world_heritage_counts.csv")
    ids = list(cities)
    IDS[:] = ids
    num = lambda table, col: np.array([float(table[i][col]) if i in table else np.nan for i in ids])
    c = lambda col: num(country, col)
    real = {"doing_business": c("wdi_doing_business_score"), "patents": np.log(c("patent_applications_total")),
            "gdp_per_capita": c("gdppercapita_us_inflation_adjusted"),
            "gdp": np.log(c("total_gdp_us_inflation_adjusted")),
            "broadband": c("broadband_subscribers_per_100_people"), "homicides": c("wdi_homicides_per_100k"),
            "world_heritage": num(whs, "whs_within_50km"), "intl_destinations": num(air, "n_intl_dest_airports"),
            "flight_density": num(air, "n_intl_route_records") / num(air, "n_intl_dest_airports")}
    pub = {k[len("published_"):] or "rank": np.array([float(cities[i][k]) for i in ids])
           for k in cities[ids[0]] if k.startswith("published_") and not k.endswith("score")}
    return cities, ids, real, pub


def columns(z, jitter):
    """The illustrative columns from the latents z (logistic: values never pile up at
    the ends of their range; jitter: fixed noise per column)."""
    out = {}
    for leaf, gens in GEN.items():
        for col, lo, hi, power, dec in gens:
            x = (1 / (1 + np.exp(-z[leaf] - jitter[col]))) ** power
            out[col] = np.round(lo + (hi - lo) * x, dec)
            if col in ORDERED:
                first = [IDS.index(c) for c in ORDERED[col]]
                rest = [i for i in np.argsort(-out[col], kind="stable") if i not in first]
                out[col][first + rest] = np.sort(out[col])[::-1].copy()
            for city, value in QUOTED.get(col, {}).items():
                out[col][IDS.index(city)] = value
    return out


def leaf_scores(real, cols):
    """Normalised score in [0, 1] of every leaf, as iec.idx computes it."""
    s = {k: mm(v) for k, v in real.items() if k not in ("homicides",)}
    s["crime_rate_index"] = 1 - mm((mm(real["homicides"]) + mm(cols["prisoners_per_100k"])) / 2)
    for leaf, gens in GEN.items():
        if leaf in WEIGHTED:
            s[leaf] = mm(sum(w * cols[g[0]] for w, g in zip(WEIGHTED[leaf], gens)))
        elif leaf != "crime_rate_index":
            s[leaf] = mm(sum(mm(cols[g[0]]) for g in gens) / len(gens))
    return s


def evaluate(s):
    """Raw means of the second-level nodes, then scores at every level (min-max rescaled)."""
    raw = {n: np.nanmean([s[leaf] for leaf in TREE[f][n]], axis=0) for f in TREE for n in TREE[f]}
    sc = {n: mm(v) for n, v in raw.items()}
    for f in TREE:
        sc[f] = mm(np.nanmean([sc[n] for n in TREE[f]], axis=0))
    sc["rank"] = mm(np.mean([sc[f] for f in TREE], axis=0))
    return raw, sc


def hinge(score, pos, margin):
    """Gradient that pushes scores towards the published order (consecutive pairs)."""
    order, g = np.argsort(pos, kind="stable"), np.zeros(len(score))
    for a, b in zip(order[:-1], order[1:]):
        if pos[a] < pos[b]:
            v = max(0.0, score[b] - score[a] + margin)
            g[a], g[b] = g[a] + v, g[b] - v
    return g


def targets(real, pub, n):
    """Stage 1: target raw means of the eleven second-level nodes."""
    d, lo, hi = {}, {}, {}
    for f in TREE:
        for node, leaves in TREE[f].items():
            fixed = [mm(real[x]) for x in leaves if x not in GEN]
            free = sum(x in GEN for x in leaves)
            k = np.sum([~np.isnan(v) for v in fixed], axis=0) + free
            base = np.nansum(fixed, axis=0) if fixed else np.zeros(n)
            lo[node], hi[node] = base / k, (base + free) / k
            d[node] = lo[node] + (hi[node] - lo[node]) * (n - pub[node]) / (n - 1)
    for _ in range(600):
        sc = {m: mm(d[m]) for m in SECOND}
        first = {f: mm(np.nanmean([sc[m] for m in TREE[f]], axis=0)) for f in TREE}
        g_all = hinge(np.mean([first[f] for f in TREE], axis=0), pub["rank"], 0.02)
        for f in TREE:
            g = hinge(np.nanmean([sc[m] for m in TREE[f]], axis=0), pub[f], 0.02) + g_all
            for m in TREE[f]:
                if not np.allclose(lo[m], hi[m]):
                    d[m] = monotone(d[m] + 0.05 * g, pub[m], 0.002, lo[m], hi[m])
    return d


def fit(real, d, rng, n):
    """Stage 2: move the latents of each node's illustrative leaves to its target."""
    jitter = {c: rng.normal(0, 0.25, n) for g in GEN.values() for c, *_ in g}
    node_of = {leaf: m for f in TREE for m in TREE[f] for leaf in TREE[f][m]}
    z = {leaf: 4 * (mm(d[node_of[leaf]]) - 0.5) + rng.normal(0, 0.5, n) for leaf in GEN}
    goal = {m: mm(d[m]) for m in SECOND}
    for _ in range(2000):
        _, sc = evaluate(leaf_scores(real, columns(z, jitter)))
        for leaf in GEN:
            m = node_of[leaf]
            z[leaf] = np.clip(z[leaf] + 2.0 * (goal[m] - sc[m]), -4, 4)
    return columns(z, jitter)


def main():
    warnings.simplefilter("ignore", RuntimeWarning)  # means over the cities without air data
    cities, ids, real, pub = load()
    n = len(ids)
    rng = np.random.default_rng(SEED)
    cols = fit(real, targets(real, pub, n), rng, n)
    names = [c for g in GEN.values() for c, *_ in g]
    with open(HERE / "illustrative.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["city_id"] + names)
        for i, key in enumerate(ids):
            out.writerow([key] + [f"{cols[c][i]:g}" for c in names])
    _, sc = evaluate(leaf_scores(real, cols))
    print("node             exact  Spearman rho")
    for node in ["rank"] + list(TREE) + SECOND:
        ok = ~np.isnan(sc[node])  # transport: three cities without OpenFlights data
        got, want = comp_rank(sc[node][ok]), pub[node][ok]
        print(f"{node:15s} {int(np.sum(got == want)):3d}/{ok.sum()}  {spearman(got, want):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
