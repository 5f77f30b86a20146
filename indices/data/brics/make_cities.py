"""Build the unit table and the country stand-in table of the BRICS smart-city example.

Reads two REAL source files kept in this folder, byte-for-byte copies of the project's
shared data:
  brics11_cities_geonames_1m.csv  304 cities of >= 1 million people in the 11 BRICS
                                  countries (GeoNames CC BY 4.0; airport and destination
                                  counts from OpenFlights, ODbL 1.0; World Heritage counts)
  country_indicators_latest.csv   latest value of 17 country indicators (World Bank WDI
                                  and others via Gapminder / OWID, CC BY 4.0)
Writes:
  cities.csv                      one row per city: the real city columns plus the
                                  country name and ISO3 code, a size class, the number of
                                  airports, a display label and `part_of` (see DISTRICTS)
  city_country_values.csv         one row per city: the values of ITS COUNTRY.  They
                                  stand in for city values, which have no open source.
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


def size_class(population: int) -> str:
    if population >= 10_000_000:
        return "10m+"
    if population >= 5_000_000:
        return "5-10m"
    return "1-5m"


def main() -> None:
    with open(HERE / "brics11_cities_geonames_1m.csv", encoding="utf-8", newline="") as f:
        cities = list(csv.DictReader(f))
    with open(HERE / "country_indicators_latest.csv", encoding="utf-8", newline="") as f:
        countries = {row["iso3"]: row for row in csv.DictReader(f)}
    assert len(cities) == 304, len(cities)
    assert len({c["geonames_id"] for c in cities}) == len(cities), "duplicate geonames_id"
    assert set(DISTRICTS) | set(LABELS) <= {c["geonames_id"] for c in cities}
    # largest first, then by id: a stable order that does not depend on the source's
    cities.sort(key=lambda c: (-int(c["geonames_population"]), int(c["geonames_id"])))

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
                    size_class(int(c["geonames_population"])),
                    DISTRICTS.get(gid, ""),
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
    kept = sum(c["geonames_id"] not in DISTRICTS for c in cities)
    print(
        f"cities.csv, city_country_values.csv: {len(cities)} rows "
        f"({kept} cities, {len(DISTRICTS)} districts flagged in part_of)"
    )


if __name__ == "__main__":
    main()
