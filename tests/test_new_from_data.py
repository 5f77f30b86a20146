"""`indexdsl new NAME --from DATA.csv`: an index started from the user's own file,
which runs at once and reads the file as it is (never changed, never copied)."""

from __future__ import annotations

import hashlib

import numpy as np

from indexdsl.pipeline import run_file

DATA = (
    "iso3;Country name;region;gdp_per_capita;life_exp;Unemployment %;crime_rate\n"
    "AAA;Alpha;North;1.234,5;81,6;5;2\n"
    "BBB;Beta;South;2.000;75,1;7;NA\n"
    "CCC;Gamma;North;900,5;70;9;5\n"
)


def test_every_numeric_column_becomes_an_indicator_and_the_index_runs(project):
    data = project.root / "data" / "countries.csv"
    data.parent.mkdir()
    data.write_text(DATA, encoding="utf-8")
    before = hashlib.sha256(data.read_bytes()).hexdigest()
    out = project.cli("new", "mine", "--from", str(data), "--dir", "indices")
    assert out.code == 0, out.err
    index = project.root / "indices" / "mine.idx"
    text = index.read_text(encoding="utf-8")
    assert 'from csv("../data/countries.csv", delimiter = ";", decimal = ",")' in text
    assert "key iso3" in text and "groups region" in text
    assert "#   Unemployment %" in text  # said, not silently dropped
    result, _ = run_file(index)
    np.testing.assert_array_equal(result.units.raw["gdp_per_capita"], [1234.5, 2000, 900.5])
    np.testing.assert_array_equal(result.units.raw["life_exp"], [81.6, 75.1, 70])
    assert np.isnan(result.units.raw["crime_rate"][1])  # missing stays missing
    assert hashlib.sha256(data.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in (project.root / "indices").iterdir()) == ["mine.idx"]


def test_a_key_is_asked_for_when_no_column_can_be_one(project):
    data = project.root / "d.csv"
    data.write_text("x,y\n1,2\n1,2\n", encoding="utf-8")
    out = project.cli("new", "mine", "--from", str(data))
    assert out.code != 0 and "--key COLUMN" in out.err and "Traceback" not in out.err
    out = project.cli("new", "mine", "--from", str(data), "--key", "nope")
    assert out.code != 0 and "not a column" in out.err


def test_it_never_overwrites_an_index(project):
    data = project.root / "d.csv"
    data.write_text("id,x\na,1\nb,2\n", encoding="utf-8")
    (project.root / "mine.idx").write_text("# mine\n", encoding="utf-8")
    out = project.cli("new", "mine", "--from", str(data))
    assert out.code != 0 and "E702" in out.err
    assert (project.root / "mine.idx").read_text(encoding="utf-8") == "# mine\n"
