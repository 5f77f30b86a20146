"""The `parquet` loader: the same data as CSV give the same dataset; located errors."""

from __future__ import annotations

import builtins
import io
import math

import numpy as np
import pytest

from conftest import line_col_of, only, shared_registry
from indexdsl.data import load_data
from indexdsl.diagnostics import SourceMap
from indexdsl.pipeline import Session, check_file

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

INDEX = """\
index t { }
units c "Cities" {
  from parquet("data/units.parquet")
  key id
  label name
  groups region
}
pairs p {
  from parquet("data/pairs.parquet")
  between a and b
  undirected
}
indicator x = c.x
indicator flights = sum(p.flights)
framework { x flights }
"""

# every indicator measured on pairs, so that pathways are scored too
PATHWAYS = INDEX.replace("indicator x = c.x", "indicator x = mean(p.flights)").replace(
    "framework {", "framework { pathways p"
)

UNITS = {
    "id": ["A", "B", "C"],
    "name": ["Alpha", None, "Gamma"],
    "region": ["north", "south", "north"],
    "x": [1.5, None, -20.0],
}
PAIRS = {"a": ["A", "B", "C"], "b": ["B", "C", "A"], "flights": [3, None, 7]}


def parquet(columns: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def load(project, index=INDEX, units=UNITS, pairs=PAIRS):
    files = {"data/units.parquet": parquet(units)}
    if pairs is not None:
        files["data/pairs.parquet"] = parquet(pairs)
    path = project.index(index, files)
    model = check_file(path, Session(registry=shared_registry()))
    return load_data(model, path.parent, SourceMap())


def test_keys_labels_groups_numbers_and_pairs(project):
    data, diagnostics = load(project)
    assert diagnostics == []
    assert data.keys == ("A", "B", "C")
    assert data.labels == ("Alpha", "B", "Gamma")  # a null label falls back to the key
    assert data.groups == {"region": ("north", "south", "north")}
    x = data.columns[("c", "x")]
    assert x[0] == 1.5 and math.isnan(x[1]) and x[2] == -20.0
    pairs = data.pairs["p"]
    assert pairs.a.tolist() == [0, 1, 2] and pairs.b.tolist() == [1, 2, 0]
    flights = data.columns[("p", "flights")]
    assert flights[0] == 3 and math.isnan(flights[1]) and flights[2] == 7


def test_same_results_as_csv(project):
    files = {"data/units.parquet": parquet(UNITS), "data/pairs.parquet": parquet(PAIRS)}
    result, _ = project.run(PATHWAYS, files)
    csv_index = PATHWAYS.replace("parquet(", "csv(").replace(".parquet", ".csv")
    files = {
        "data/units.csv": "id,name,region,x\nA,Alpha,north,1.5\nB,,south,\nC,Gamma,north,-20\n",
        "data/pairs.csv": "a,b,flights\nA,B,3\nB,C,\nC,A,7\n",
    }
    expected, _ = project.run(csv_index, files)
    for node in ("t", "x", "flights"):
        np.testing.assert_array_equal(result.units.scores[node], expected.units.scores[node])
        np.testing.assert_array_equal(result.pairs.scores[node], expected.pairs.scores[node])


def test_integer_keys_and_dictionary_columns(project):
    units = {
        "id": [10, 20, 30],
        "name": pa.array(["a", "b", "a"]).dictionary_encode(),
        "region": ["n", "s", "n"],
        "x": [1, 2, 3],
    }
    pairs = {"a": [10, 20, 30], "b": [20, 30, 10], "flights": [1.0, 2.0, 3.0]}
    data, diagnostics = load(project, units=units, pairs=pairs)
    assert diagnostics == []
    assert data.keys == ("10", "20", "30")
    assert data.labels == ("a", "b", "a")
    assert data.columns[("c", "x")].tolist() == [1.0, 2.0, 3.0]
    assert data.pairs["p"].b.tolist() == [1, 2, 0]


def test_missing_file_is_located_at_the_loader(project):
    project.index(INDEX, {"data/units.parquet": parquet(UNITS)})
    d = only(project.fail(), "E301")
    assert "`data/pairs.parquet` does not exist" in d.message
    text = (project.root / "index.idx").read_text()
    assert (d.span.line, d.span.col) == line_col_of(text, "p {")


def test_missing_column_suggests_a_close_one(project):
    index = INDEX.replace("c.x", "c.xx")
    files = {"data/units.parquet": parquet(UNITS), "data/pairs.parquet": parquet(PAIRS)}
    d = only(project.fail(index, files), "E302")
    assert d.message == "column `xx` is not in `data/units.parquet`"
    assert d.help == "did you mean `x`?"
    assert (d.span.line, d.span.col) == line_col_of(index, "xx")


def test_non_numeric_column_is_reported_at_its_row(project):
    units = {**UNITS, "x": ["1.5", "lots", "2"]}
    files = {"data/units.parquet": parquet(units), "data/pairs.parquet": parquet(PAIRS)}
    d = only(project.fail(INDEX, files), "E303")
    assert d.message == "`lots` in column `x` is not a number"
    assert d.span.file == "data/units.parquet" and d.span.line == 2  # the second row
    assert d.secondary[0].span.line == line_col_of(INDEX, "c.x")[0]


def test_infinite_values_are_not_numbers(project):
    units = {**UNITS, "x": [1.0, math.inf, 2.0]}
    files = {"data/units.parquet": parquet(units), "data/pairs.parquet": parquet(PAIRS)}
    d = only(project.fail(INDEX, files), "E303")
    assert d.message == "`inf` in column `x` is not a number"


def test_a_file_that_is_not_parquet(project):
    files = {"data/units.parquet": b"id,x\nA,1\n", "data/pairs.parquet": parquet(PAIRS)}
    d = only(project.fail(INDEX, files), "E301")
    assert "is not a readable Parquet file" in d.message
    assert d.span.file == "index.idx"


def test_without_pyarrow_the_extra_is_named(project, monkeypatch):
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    files = {"data/units.parquet": parquet(UNITS), "data/pairs.parquet": parquet(PAIRS)}
    diagnostics = [d for d in project.fail(INDEX, files) if d.code == "E301"]
    assert len(diagnostics) == 2
    assert "needs pyarrow, which is not installed" in diagnostics[0].message
    assert 'pip install "indexdsl[parquet]"' in diagnostics[0].help
