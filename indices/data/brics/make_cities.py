"""Build the unit table and the country stand-in table of the BRICS smart-city example.

Reads REAL source files kept in this folder:
  brics11_cities_geonames_1m.csv  304 cities of >= 1 million people in the 11 BRICS
                                  countries of 2025 (GeoNames CC BY 4.0; airport and
                                  destination counts from OpenFlights, ODbL 1.0; World
                                  Heritage counts); a byte-for-byte copy of the shared data
  added_cities.csv                two cities the report names that the file above lacks:
                                  Hong Kong (GeoNames files it under HK, not CN) and New
                                  Cairo (below 1 million); each value's source is in the row
  country_indicators_latest.csv   latest value of 17 country indicators (World Bank WDI
                                  and others via Gapminder / OWID, CC BY 4.0)
Writes:
  cities.csv                      one row per place: the real city columns plus the
                                  country name and ISO3 code, a size class, the continent,
                                  the number of airports, a display label, `part_of` (see
                                  DISTRICTS) and `excluded_because` (see SELECTION)
  city_country_values.csv         one row per place: the values of ITS COUNTRY (of Hong
                                  Kong for Hong Kong).  They stand in for city values,
                                  which have no open source.

SELECTION: the 2024 BRICS Smart City Index evaluates 138 cities of the members of 2024
(its press release; Indonesia joined in January 2025) and does not publish its rule.
The rule here: a city of a 2024 member with at least 1.6 million people (GeoNames),
districts listed beside their city left out, plus New Cairo, which the report names in
its top 10 % and which has fewer than 1 million people in GeoNames.  1.6 million is the
round threshold at which the rule gives the report's count, 138 (chosen for that reason;
see README.md).
`excluded_because` says why a row is not one of the 138; the index leaves out every row
where it is not empty.

Nothing is invented here: every value is copied, counted or looked up.  Standard library
only; running it twice writes byte-identical files.  Run: python3 make_cities.py
"""

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent

COUNTRIES = {  # ISO2 -> (ISO3, name) of the 11 BRICS members (2025)
    "BR": ("BRA", "Brazil"),
    "RU": ("RUS", "Russia"),
    "IN": ("IND", "India"),
    "CN": ("CHN", "China"),
    "ZA": ("ZAF", "South Africa"),
    "EG": ("EGY", "Egypt"),
    "ET": ("ETH", "Ethiopia"),
    "IR": ("IRN", "Iran"),
    "AE": ("ARE", "United Arab Emirates"),
    "SA": ("SAU", "Saudi Arabia"),
    "ID": ("IDN", "Indonesia"),
    "HK": ("HKG", "China"),  # Hong Kong SAR: a Chinese city in the report; its own ISO code
}

# Members on the report's date (19 September 2024): the five founders and the five that
# joined on 1 January 2024.  Indonesia joined on 6 January 2025.  Saudi Arabia had been
# invited and not confirmed; the report counts it (it names Riyadh in its top 10 %).
MEMBERS_2024 = {"BR", "RU", "IN", "CN", "HK", "ZA", "EG", "ET", "IR", "AE", "SA"}

# The report evaluates 138 cities; see SELECTION in the docstring and README.md.
THRESHOLD = 1_600_000
NAMED_BY_REPORT = {"7799991"}  # New Cairo: top 10 % in digital and institutional
EXPECTED = 138

CONTINENTS = {  # by country; Russia by longitude (see continent())
    "CN": "Asia",
    "HK": "Asia",
    "IN": "Asia",
    "IR": "Asia",
    "AE": "Asia",
    "SA": "Asia",
    "ID": "Asia",
    "BR": "South America",
    "ZA": "Africa",
    "EG": "Africa",
    "ET": "Africa",
}

# GeoNames lists some districts and localities of a city as populated places of their
# own, with their own population.  They are not separate cities: they share the city's
# airports and would count it several times.  `part_of` names the city they belong to;
# the index excludes them (`exclude part_of matching "?*"`).  Chosen by hand among the
# places within 35 km of a larger city of the same country; suburbs that are cities in
# their own right (Giza, Navi Mumbai, Thane, Bekasi, Guarulhos, Soweto ...) are kept.
DISTRICTS = {
    "11072148": "Shanghai",  # Puxi: the part of Shanghai west of the Huangpu
    "1798524": "Shanghai",  # Pudong (New Area)
    "1800480": "Shanghai",  # Minhang District
    "1816917": "Shanghai",  # Baoshan District
    "1794035": "Shanghai",  # Songjiang District
    "1806508": "Shanghai",  # Jiading District
    "1797798": "Shanghai",  # Qingpu District
    "1798439": "Shanghai",  # Putuo District
    "1787375": "Shanghai",  # Yangpu District
    "13608002": "Shanghai",  # Fengxiang: seat of Fengxian District
    "1787957": "Shanghai",  # Xuhui District
    "13308620": "Shenzhen",  # Bao'an District
    "13405906": "Shenzhen",  # Luohu District
    "1262111": "Delhi",  # Najafgarh: in the National Capital Territory of Delhi
    "1259652": "Pimpri-Chinchwad",  # Pimpri: half of Pimpri-Chinchwad, listed too
    "6943660": "Pune",  # Shivaji Nagar: a central neighbourhood of Pune
    "1258393": "Visakhapatnam",  # Rasapudipalem: a locality of Visakhapatnam
    # Soweto: Region D of the City of Johannesburg Metropolitan Municipality, with no
    # municipality of its own (unlike Giza, Navi Mumbai, Thane or Guarulhos).  Flagged
    # when the 138-city rule was written: without it the rule gives 139 (README.md).
    "953781": "Johannesburg",
}

# Two cities of the same name: the province is added to the display label.
LABELS = {
    "1886760": "Suzhou (Jiangsu)",
    "1793743": "Suzhou (Anhui)",
    "1810821": "Fuzhou (Fujian)",
    "1810820": "Fuzhou (Jiangxi)",
    "1793505": "Taizhou (Jiangsu)",
    "8400694": "Taizhou (Zhejiang)",
}

# Country indicators used by indices/brics.idx (columns of country_indicators_latest.csv)
COUNTRY_COLUMNS = [
    "internet_users",
    "broadband_subscribers_per_100_people",
    "cell_phones_per_100_people",
    "patent_applications_total",
    "total_gdp_us_inflation_adjusted",
    "gdppercapita_us_inflation_adjusted",
    "sci_tech_journal_articles_per_million",
    "high_technology_exports_percent_of_manufactured_exports",
    "foreign_direct_investment_net_inflows_percent_of_gdp",
    "merchandise_trade_percent_of_gdp",
    "wdi_doing_business_score",
    "wdi_homicides_per_100k",
]


def size_class(population: int | None) -> str:
    if population is None:
        return "unknown"
    if population >= 10_000_000:
        return "10m+"
    if population >= 5_000_000:
        return "5-10m"
    return "1-5m"


def continent(iso2: str, lon: float) -> str:
    """The continent of a city; Russia's cities west of 60 degrees East (the Urals) are
    in Europe (Moscow, Saint Petersburg, Kazan, Ufa), the others in Asia (Yekaterinburg,
    Novosibirsk)."""
    if iso2 == "RU":
        return "Europe" if lon < 60.0 else "Asia"
    return CONTINENTS[iso2]


def population(city: dict[str, str]) -> int | None:
    value = city["geonames_population"]
    return int(value) if value else None


def excluded_because(city: dict[str, str]) -> str:
    """Empty for the 138 cities of the index, else why the row is left out."""
    gid = city["geonames_id"]
    if gid in DISTRICTS:
        return f"district of {DISTRICTS[gid]}"
    if city["iso2"] not in MEMBERS_2024:
        return f"{COUNTRIES[city['iso2']][1]}: BRICS member from January 2025"
    if gid in NAMED_BY_REPORT:
        return ""
    pop = population(city)
    if pop is None or pop < THRESHOLD:
        return "below 1.6 million people (GeoNames)"
    return ""


def main() -> None:
    with open(HERE / "brics11_cities_geonames_1m.csv", encoding="utf-8", newline="") as f:
        cities = list(csv.DictReader(f))
    with open(HERE / "country_indicators_latest.csv", encoding="utf-8", newline="") as f:
        countries = {row["iso3"]: row for row in csv.DictReader(f)}
    assert len(cities) == 304, len(cities)
    with open(HERE / "added_cities.csv", encoding="utf-8", newline="") as f:
        added = list(csv.DictReader(f))
    assert len({c["geonames_id"] for c in cities}) == len(cities), "duplicate geonames_id"
    assert set(DISTRICTS) | set(LABELS) <= {c["geonames_id"] for c in cities}
    # largest first, then by id: a stable order that does not depend on the source's
    cities.sort(key=lambda c: (-int(c["geonames_population"]), int(c["geonames_id"])))
    # the added cities come last, so that the seeded illustrative values of the others
    # (make_illustrative.py draws them in file order) do not depend on them
    cities += added
    assert len({c["geonames_id"] for c in cities}) == len(cities), "duplicate geonames_id"

    with open(HERE / "cities.csv", "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(
            [
                "geonames_id",
                "city",
                "geonames_name",
                "country",
                "iso3",
                "iso2",
                "population",
                "size_class",
                "part_of",
                "excluded_because",
                "continent",
                "lat",
                "lon",
                "airports_within_40km",
                "n_airports",
                "n_dest_airports",
                "n_intl_dest_airports",
                "n_intl_dest_countries",
                "whs_within_50km",
            ]
        )
        for c in cities:
            gid, iso2 = c["geonames_id"], c["iso2"]
            iso3, country = COUNTRIES[iso2]
            airports = c["airports_within_40km"].split()
            out.writerow(
                [
                    gid,
                    LABELS.get(gid, c["city"]),
                    c["city"],
                    country,
                    iso3,
                    iso2,
                    c["geonames_population"],
                    size_class(population(c)),
                    DISTRICTS.get(gid, ""),
                    excluded_because(c),
                    continent(iso2, float(c["lon"])),
                    c["lat"],
                    c["lon"],
                    " ".join(airports),
                    len(airports),
                    c["n_dest_airports"],
                    c["n_intl_dest_airports"],
                    c["n_intl_dest_countries"],
                    c["whs_within_50km"],
                ]
            )

    with open(HERE / "city_country_values.csv", "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(
            ["geonames_id", "iso3"] + [x for col in COUNTRY_COLUMNS for x in (col, col + "__year")]
        )
        for c in cities:
            iso3 = COUNTRIES[c["iso2"]][0]
            row = countries[iso3]
            out.writerow(
                [c["geonames_id"], iso3]
                + [row[x] for col in COUNTRY_COLUMNS for x in (col, col + "__year")]
            )
    kept = [c for c in cities if not excluded_because(c)]
    assert len(kept) == EXPECTED, len(kept)
    per_country: dict[str, int] = {}
    for c in kept:
        name = COUNTRIES[c["iso2"]][1]
        per_country[name] = per_country.get(name, 0) + 1
    print(
        f"cities.csv, city_country_values.csv: {len(cities)} rows, {len(kept)} cities "
        f"selected ({len(DISTRICTS)} districts flagged in part_of): "
        + ", ".join(f"{n} {k}" for k, n in sorted(per_country.items(), key=lambda x: -x[1]))
    )


if __name__ == "__main__":
    main()
