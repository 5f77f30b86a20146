"""Build city_country_indicators.csv: REAL country values, one row per IEC city.

The International Exchange Centers Index measures cities; for several indicators only
national values are openly available.  This script gives each of the 43 cities the
latest value of its country (Hong Kong: its own WDI series, HKG) from
country_indicators_latest.csv (a verbatim copy of the project's shared file, mostly
World Bank WDI via Gapminder, CC BY 4.0).  COUNTRY VALUES STAND IN FOR CITY VALUES:
every city of one country gets the same number.  Nothing is invented or changed.

Run: python3 indices/data/iec/build_real.py   (reads cities.csv, same folder)
"""
import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [  # the country indicators that indices/iec.idx reads (each with its data year)
    "wdi_doing_business_score", "wdi_homicides_per_100k", "gdppercapita_us_inflation_adjusted",
    "total_gdp_us_inflation_adjusted", "patent_applications_total",
    "broadband_subscribers_per_100_people"]


def main():
    read = lambda name: list(csv.DictReader((HERE / name).read_text(encoding="utf-8").splitlines()))
    countries = {row["iso3"]: row for row in read("country_indicators_latest.csv")}
    with open(HERE / "city_country_indicators.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["city_id", "iso3"] + [c + s for c in COLUMNS for s in ("", "__year")])
        for city in read("cities.csv"):
            row = countries[city["iso3"]]
            out.writerow([city["city_id"], city["iso3"]]
                         + [row[c + s] for c in COLUMNS for s in ("", "__year")])


if __name__ == "__main__":
    main()
