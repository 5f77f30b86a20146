"""Generate the ILLUSTRATIVE pair metrics of the Belt and Road Cities' Connectivity Index.

Why this script exists: the index needs ten metrics on city pairs, but only one of them
(direct passenger flights, taken from OpenFlights) has open data.  Sister cities,
cooperation platforms, conferences, shipping routes, rail freight, city-to-city trade and
FDI, airline seats and broadband traffic are not published for these pairs, so this script
invents plausible values for them.  They are tuned so that the index method reproduces the
published category ranks of the 2021 report; they are NOT measurements.

Inputs (same folder): cities.csv (22 cities, published ranks), openflights_pairs.csv (real).
Output: pairs.csv (231 unordered pairs).  Deterministic: numpy default_rng(SEED), fixed
iteration counts, integer output values, so two runs write byte-identical files.

Method (mirrors the engine): a city's metric value is the sum of its 21 pair values; city
values are min-max normalised to [0, 100]; category = weighted mean of its metrics;
overall = equal-weight mean of the six categories; competition ranks (1, 2, 2, 4).
"""
import csv
import sys
from pathlib import Path

import numpy as np

SEED = 2021  # fixed seed of numpy.random.default_rng; change it and the values change
HERE = Path(__file__).resolve().parent
CATS = {  # category -> [(metric column, weight from Table 2 of the report)]
    "policy": [("sister_city", 0.33), ("cooperation", 0.33), ("conferences", 0.33)],
    "infrastructure": [("air_routes", 0.25), ("shipping_routes", 0.50), ("rail_freight", 0.25)],
    "trade": [("trade", 1.0)], "finance": [("fdi", 1.0)],
    "people": [("airline_seats", 1.0)], "information": [("broadband", 1.0)]}
CAT_W = 0.167  # every category weighs 16.7 %, renormalised to sum to 1
# Range (weakest city .. strongest city) of each single-metric city sum, and the distance
# decay of its pair values (gravity-style: nearer pairs exchange more).
SCALE = {"trade": (1500, 150000, 0.6), "fdi": (60, 12000, 0.4),
         "airline_seats": (3000, 200000, 0.0), "broadband": (40, 6000, 0.3)}
COOP, CONF, SHIP_MAX, RAIL_MAX = (2, 60), (1, 70), 300, 200
CHINA = {"zhengzhou", "xian", "urumqi", "shenzhen", "shanghai", "chengdu", "qingdao",
         "beijing", "tianjin"}
# China-Europe style land network for rail freight; Karachi-Istanbul (ECO corridor) and
# Bangkok-China (China-Laos railway) are added as single links.
RAIL_NET = CHINA | {"almaty", "moscow", "vienna", "rome", "istanbul"}
# Real air routes make some published infrastructure ranks unreachable: Johannesburg and
# Nairobi (inland, no land link to Eurasia) have identical air-route totals and nothing
# else, so they tie at the bottom; Urumqi's air routes alone place it above them; one of
# the published tie Seoul/Rome (12) must come second.  Target order used instead:
INFRA_TARGET = {"rome": 13, "urumqi": 19, "johannesburg": 21}
HINTS = {"cooperation": {"moscow": 1.4, "chengdu": 1.4},  # report text: many platforms
         "conferences": {"beijing": 1.3, "rome": 1.4, "cairo": 1.4, "bangkok": 1.3}}


def load():
    cities = list(csv.DictReader(open(HERE / "cities.csv", encoding="utf-8")))
    pairs = list(csv.DictReader(open(HERE / "openflights_pairs.csv", encoding="utf-8")))
    return cities, pairs


def city_sums(m):
    return m.sum(axis=1)


def minmax(x):
    return (x - x.min()) / (x.max() - x.min()) * 100.0


def comp_rank(s):
    """Competition ranking, higher score = better: 1 + number of strictly better cities."""
    return np.array([1 + int(np.sum(s > v)) for v in s])


def spearman(a, b):
    """Spearman rho: Pearson correlation of average ranks (ties share their mean rank)."""
    def avg(x):
        x = np.asarray(x, float)
        return np.array([np.sum(x < v) + (np.sum(x == v) + 1) / 2 for v in x])
    return float(np.corrcoef(avg(a), avg(b))[0, 1])


def scores(mats):
    """Category and overall city scores from 22x22 pair matrices, as the engine does."""
    cat = {}
    for c, mets in CATS.items():
        w = np.array([wt for _, wt in mets])
        cat[c] = sum(wi * minmax(city_sums(mats[m])) for wi, (m, _) in zip(w, mets)) / w.sum()
    cat["overall"] = sum(CAT_W * cat[c] for c in CATS) / (CAT_W * len(CATS))
    return cat


def pav(y):
    """Pool-adjacent-violators: closest non-decreasing sequence (least squares)."""
    blocks = []
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return np.concatenate([[s / c] * c for s, c in blocks])


def monotone(v, pos, gap, lo, hi):
    """Make scores follow target positions (1 = best) with a minimum gap between
    consecutive positions, equal scores for equal positions, inside [lo, hi]."""
    order = np.argsort(-pos, kind="stable")  # worst first
    step = np.cumsum(np.r_[0, np.diff(pos[order]) != 0]) * gap
    u = pav(v[order] - step) + step
    for k in range(1, len(u)):  # lower bounds, pushed upwards
        u[k] = max(u[k], lo[order[k]], u[k - 1] + (gap if step[k] > step[k - 1] else 0))
    u[0] = max(u[0], lo[order[0]])
    for k in range(len(u) - 2, -1, -1):  # upper bounds, pushed downwards
        u[k] = min(u[k], hi[order[k]], u[k + 1] - (gap if step[k + 1] > step[k] else 0))
    u[-1] = min(u[-1], hi[order[-1]])
    for p in np.unique(pos):  # published ties get one common score
        grp = pos[order] == p
        u[grp] = u[grp].mean()
    out = np.empty_like(v)
    out[order] = u
    return out


def target_scores(pos, overall_pos, lo_inf, hi_inf):
    """Desired category scores: monotone in each category's target order, and adjusted
    (alternating projections) so that their equal-weight mean follows the published
    overall order as closely as the category orders allow."""
    d = {c: 100.0 * (22 - p) / 21 for c, p in pos.items()}
    for _ in range(400):
        o = np.mean([d[c] for c in CATS], axis=0)
        want = np.sort(o)[::-1][overall_pos - 1]  # same values, published overall order
        for c in CATS:
            v = d[c] + 0.5 * (want - o)
            if c == "infrastructure":
                d[c] = monotone(v, pos[c], 1.0, lo_inf, hi_inf)
            elif c == "policy":
                d[c] = monotone(v, pos[c], 3.0, np.full(22, 5.0), np.full(22, 85.0))
            else:
                d[c] = minmax(monotone(v, pos[c], 3.0, np.full(22, -1e9), np.full(22, 1e9)))
    return d


def ipf(target, weight):
    """Symmetric pair values v_ij = w_ij x_i x_j whose city sums equal `target`."""
    x = np.sqrt(np.maximum(target, 0) / max(weight.sum(), 1e-9) * 22)
    for _ in range(3000):
        cur = x * (weight @ x)
        x = np.where(target > 0, x * np.sqrt(target / np.maximum(cur, 1e-300)), 0.0)
    return weight * np.outer(x, x)


def main():
    rng = np.random.default_rng(SEED)
    cities, pairs = load()
    ids = [c["city_id"] for c in cities]
    ix = {c: k for k, c in enumerate(ids)}
    n = len(ids)
    pos = {c: np.array([float(r["published_" + c]) for r in cities]) for c in CATS}
    overall_pos = np.array([int(r["published_overall"]) for r in cities])
    for c, p in INFRA_TARGET.items():
        pos["infrastructure"][ix[c]] = p
    coastal = np.array([r["coastal"] == "coastal" for r in cities])
    dist, routes, direct = np.ones((n, n)), np.zeros((n, n)), np.zeros((n, n))
    for p in pairs:
        i, j = ix[p["city_a"]], ix[p["city_b"]]
        dist[i, j] = dist[j, i] = float(p["distance_km"]) / 1000
        routes[i, j] = routes[j, i] = int(p["n_route_records"])
        direct[i, j] = direct[j, i] = int(p["direct_route"])
    china = np.array([c in CHINA for c in ids])
    # The report's 195 pathways = 231 pairs minus the 36 China-China pairs: all
    # illustrative values are international, so domestic pairs stay 0.
    intl = ~np.outer(china, china) & ~np.eye(n, dtype=bool)
    net = np.array([c in RAIL_NET for c in ids])
    rail_mask = np.outer(net, net) & intl
    for a, bs in (("karachi", ["istanbul"]), ("bangkok", sorted(CHINA))):
        for b in bs:
            rail_mask[ix[a], ix[b]] = rail_mask[ix[b], ix[a]] = True
    has_rail = rail_mask.any(axis=1)
    masks = {"shipping_routes": np.outer(coastal, coastal) & intl, "rail_freight": rail_mask,
             "airline_seats": intl & (direct > 0)}

    def noise(sigma):
        e = np.exp(rng.normal(0.0, sigma, (n, n)))
        return np.triu(e, 1) + np.triu(e, 1).T

    air = minmax(city_sums(routes))  # real metric, normalised
    fixed = {ix["singapore"]: 0.25 * air[ix["singapore"]] + 50,  # most shipping
             ix["moscow"]: 0.25 * air[ix["moscow"]] + 25}  # most rail (report text)
    lo = 0.25 * air + 0.01
    hi = 0.25 * air + 49.0 * coastal + 24.0 * has_rail
    for k, v in fixed.items():
        lo[k] = hi[k] = v
    d = target_scores(pos, overall_pos, lo, hi)

    mats = {"air_routes": routes}
    for m, (a, b, decay) in SCALE.items():  # single-metric categories: exact fit
        w = (masks.get(m, intl) * noise(0.35) * dist ** -decay
             * (routes if m == "airline_seats" else 1))
        cat = next(c for c, ms in CATS.items() if ms[0][0] == m)
        mats[m] = np.rint(ipf(a + d[cat] / 100 * (b - a), w))
        s = city_sums(mats[m])
        for p in np.unique(pos[cat]):  # published ties: equalise integer sums exactly
            grp = np.flatnonzero(pos[cat] == p)
            for k in grp[1:]:
                partner = int(np.argmax(mats[m][k] * (np.arange(n) != grp[0])))
                mats[m][k, partner] += s[grp[0]] - s[k]
                mats[m][partner, k] = mats[m][k, partner]

    # Infrastructure: air fixed (real); shipping (80 % of the gap for ports that also have
    # rail) and rail fill the distance to the target; corrected until the ranks hold.
    need = d["infrastructure"] - 0.25 * air
    w_ship, w_rail = masks["shipping_routes"] * noise(0.3), rail_mask * noise(0.3)
    want = comp_rank(d["infrastructure"])
    for _ in range(60):
        share = np.where(coastal, np.where(has_rail, 0.8, 1.0), 0.0)
        s_t, r_t = np.clip(2 * share * need, 0, 99), np.clip(4 * (1 - share) * need, 0, 99)
        s_t[ix["singapore"]], r_t[ix["moscow"]] = 100, 100
        mats["shipping_routes"] = np.rint(ipf(SHIP_MAX * s_t / 100, w_ship))
        mats["rail_freight"] = np.rint(ipf(RAIL_MAX * r_t / 100, w_rail))
        got = scores(mats)["infrastructure"]
        if np.array_equal(comp_rank(got), want):
            break
        need += d["infrastructure"] - got

    # Policy: sister cities are 0/1 (Chung-Lu random graph on international pairs);
    # cooperation platforms and conferences are fitted to make up the policy target.
    deg = 1 + 10 * d["policy"] / 100 * np.where(np.array(ids) == "moscow", 1.6, 1.0)
    p_sis = np.clip(np.outer(deg, deg) / deg.sum(), 0, 1) * intl
    u = rng.random((n, n))
    sis = np.triu(u < p_sis, 1).astype(float)
    mats["sister_city"] = sis + sis.T
    hint = {m: np.array([HINTS[m].get(c, 1.0) for c in ids]) * np.exp(rng.normal(0, .15, n))
            for m in HINTS}
    w_pol = {m: intl * noise(0.4) * dist ** -0.3 for m in HINTS}
    y = np.maximum(3 * d["policy"] - minmax(city_sums(mats["sister_city"])), 1)
    want = comp_rank(d["policy"])
    for _ in range(200):
        for m, (a, b) in (("cooperation", COOP), ("conferences", CONF)):
            mats[m] = np.rint(ipf(a + minmax(y * hint[m]) / 100 * (b - a), w_pol[m]))
        got = scores(mats)["policy"]
        if np.array_equal(comp_rank(got), want):
            break
        y = np.maximum(y + 1.5 * (d["policy"] - got), 1)

    report(cities, scores(mats), pos)
    cols = ["sister_city", "cooperation", "conferences", "shipping_routes", "rail_freight",
            "trade", "fdi", "airline_seats", "broadband"]
    with open(HERE / "pairs.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["city_a", "city_b", "distance_km", "direct_route", "air_routes"] + cols)
        for p in pairs:
            i, j = ix[p["city_a"]], ix[p["city_b"]]
            out.writerow([p["city_a"], p["city_b"], p["distance_km"], p["direct_route"],
                          p["n_route_records"]] + [int(mats[c][i, j]) for c in cols])
    return 0 if all(ok >= 20 for ok in report.matches) else 1


def report(cities, sc, pos):
    """Print computed vs published ranks; remember the matches per category."""
    report.matches = []
    for c in list(CATS) + ["overall"]:
        pub = np.array([int(r["published_" + c]) for r in cities])
        got = comp_rank(sc[c])
        exact = int(np.sum(got == pub))
        # a published tie at rank r shared by t cities covers positions r .. r+t-1
        size = np.array([np.sum(pub == v) for v in pub])
        in_tie = int(np.sum((got >= pub) & (got <= pub + size - 1)))
        print(f"\n{c}: exact {exact}/22, tie-aware {in_tie}/22, "
              f"Spearman rho {spearman(got, pub):.4f}")
        print("  " + " ".join(f"{r['city_id']}={g}/{p}" for r, g, p in zip(cities, got, pub)
                              if g != p) + "  (computed/published, mismatches only)")
        if c != "overall":
            report.matches.append(in_tie)


if __name__ == "__main__":
    sys.exit(main())
