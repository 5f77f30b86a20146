"""Generate the ILLUSTRATIVE inbound-visitor numbers of the BRICS smart-city example.

Why: the culture-and-tourism sub-index of a smart-city index needs the number of
international visitors of each city.  No open data set gives it for the BRICS
cities (national statistics count visitors by country, a few cities publish their own
figures, with different definitions).  This script invents plausible values so that the
example can show the method.  They are NOT measurements, and they are not tuned to any
published ranking: a gravity-style guess from three real columns plus noise.

    log(visitors, thousands) = 3.5 + 0.9 log(1 + international air destinations)
                                    + 0.35 log(1 + World Heritage sites within 50 km)
                                    + 0.3 log(population / 1 million)
                                    + N(0, 0.4) noise, seeded

Reads cities.csv (same folder, written by make_cities.py); writes
city_tourism_illustrative.csv (geonames_id, inbound_visitors_k), one row per city in the
same order.  Deterministic: one numpy.random.default_rng(SEED) draw in file order, values
rounded to whole thousands; checked with numpy 2.4.6 (another numpy version could in
principle draw other numbers).  Run: python3 make_illustrative.py
"""

import csv
from pathlib import Path

import numpy as np

SEED = 2024  # the year of the first BRICS Smart City Index
HERE = Path(__file__).resolve().parent


def main() -> None:
    with open(HERE / "cities.csv", encoding="utf-8", newline="") as f:
        cities = list(csv.DictReader(f))
    intl = np.array([float(c["n_intl_dest_airports"]) for c in cities])
    whs = np.array([float(c["whs_within_50km"]) for c in cities])
    # no population (New Cairo: none in the project's GeoNames data): no guess, the value
    # is left missing
    pop = np.array([float(c["population"] or "nan") for c in cities])
    noise = np.random.default_rng(SEED).normal(0.0, 0.4, len(cities))
    log_k = 3.5 + 0.9 * np.log1p(intl) + 0.35 * np.log1p(whs) + 0.3 * np.log(pop / 1e6)
    visitors = np.rint(np.exp(log_k + noise))
    with open(HERE / "city_tourism_illustrative.csv", "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["geonames_id", "inbound_visitors_k"])
        for c, v in zip(cities, visitors, strict=True):
            out.writerow([c["geonames_id"], "" if np.isnan(v) else int(v)])
    print(
        f"city_tourism_illustrative.csv: {len(cities)} rows, "
        f"{np.nanmin(visitors):.0f}k to {np.nanmax(visitors):.0f}k visitors, "
        f"{int(np.isnan(visitors).sum())} left missing (ILLUSTRATIVE)"
    )


if __name__ == "__main__":
    main()
