"""Large CSV files read by pyarrow's CSV reader: every test of tests/test_fastcsv.py
(and so of tests/test_data.py) again, with pyarrow reading any file it accepts."""

from __future__ import annotations

import pytest
from test_fastcsv import *  # noqa: F403  (collected again, with pyarrow's reader)

from indexdsl.data import MISSING
from indexdsl_builtins import _arrowcsv, _fastcsv
from indexdsl_builtins.loaders import CsvLoader

pytest.importorskip("pyarrow")


@pytest.fixture(autouse=True)
def bulk_reader(monkeypatch):
    monkeypatch.setattr(_arrowcsv, "ENABLED", True)
    monkeypatch.setattr(_fastcsv, "MIN_BYTES", 0)


def test_pyarrow_reads_a_plain_file(tmp_path):
    text = "k,x,y,z\na,1,2.5,x\nb,-3,,7\nc,NA,4,NA\n"
    found = _arrowcsv.read_columns(text.encode(), ",", "utf-8", MISSING)
    assert found is not None
    header, size, numbers, texts, dictionaries = found
    assert header == ["k", "x", "y", "z"] and size == 3
    assert numbers["x"].tolist()[:2] == [1.0, -3.0] and set(texts) == {"k", "z"}
    assert texts["z"].tolist() == [b"x", b"7", b"NA"]
    # text columns also come as their distinct cells and each row's index into them
    words, indices = dictionaries["z"]
    assert words[indices].tolist() == texts["z"].tolist()


@pytest.mark.parametrize(
    "text",
    [
        'k,x\n1,"2"\n',  # quotes
        "k,x\n1,2\n\n3,4\n",  # a blank line
        "k,x\n1,2,3\n",  # ragged
        "k,x\n , \n2,3\n",  # a row of blank cells
        "k,x\n1,inf\n",  # not a finite number
        "k,x\n1,-0\n2,0\n",  # -0 read as an integer
        "k,k\n1,2\n",  # duplicate names
        "k,x\r\n1,2\r\n",
    ],
)
def test_files_pyarrow_leaves_to_the_other_readers(text):
    assert _arrowcsv.read_columns(text.encode(), ",", "utf-8", MISSING) is None


def test_latin1_is_left_to_the_numpy_reader(tmp_path):
    assert _arrowcsv.read_columns(b"k,x\n1,2\n", ",", "latin-1", MISSING) is None
    (tmp_path / "t.csv").write_bytes("k,x\n\xe9,2\n".encode("latin-1"))
    table = CsvLoader(path="t.csv", encoding="latin-1").load(tmp_path)
    assert table.cells("k") == ["é"] and table.numbers["x"].tolist() == [2.0]
