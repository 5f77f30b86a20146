"""Builds countries.sqlite from UNDP's HDR 2023/24 time series (CC BY 3.0 IGO) in
indices/data/hdi/: 2022 values for 16 large emerging economies.

    uv run python plugins/indexdsl-example/examples/data/make_db.py

The result is committed; this script documents how it was made and rebuilds it
byte for byte (the rows are inserted in a fixed order).
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[3] / "indices" / "data" / "hdi"
SOURCE_FILE = SOURCE / "HDR23-24_Composite_indices_complete_time_series.csv"
COUNTRIES = ("ARE ARG BRA CHN EGY ETH IDN IND IRN MEX NGA RUS SAU TUR VNM ZAF").split()
COLUMNS = {  # column in the database: (column in the HDR file, SQL type)
    "iso3": ("iso3", "TEXT PRIMARY KEY"),
    "country": ("country", "TEXT NOT NULL"),
    "region": ("region", "TEXT"),
    "life_expectancy": ("le_2022", "REAL"),
    "expected_schooling": ("eys_2022", "REAL"),
    "mean_schooling": ("mys_2022", "REAL"),
    "gni_per_capita": ("gnipc_2022", "REAL"),
    "co2_per_capita": ("co2_prod_2022", "REAL"),
}


def main() -> None:
    with SOURCE_FILE.open(encoding="latin-1", newline="") as handle:
        rows = {row["iso3"]: row for row in csv.DictReader(handle)}
    target = HERE / "countries.sqlite"
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute(
        "CREATE TABLE countries ("
        + ", ".join(f"{name} {kind}" for name, (_, kind) in COLUMNS.items())
        + ")"
    )
    for iso3 in COUNTRIES:
        row = rows[iso3]
        values = []
        for _, (source, kind) in COLUMNS.items():
            cell = row[source].strip()
            values.append((float(cell) if cell else None) if kind == "REAL" else cell)
        db.execute(f"INSERT INTO countries VALUES ({', '.join('?' * len(COLUMNS))})", values)
    db.commit()
    db.execute("VACUUM")
    db.close()


if __name__ == "__main__":
    main()
