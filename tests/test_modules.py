"""`import "module.idx"`: parameters, templates and indicators written once and used by
several index files; and what an extending file inherits (`extends`), said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import Session, check_file, run_file
from indexdsl.syntax.formatter import format_text

MODULE = """\
# the method, written once
parameter top "Upper goalpost" = 10

template scaled(x, high) "Scaled" {
  indicator value = x
  normalise goalposts(0, high)
  value
}

indicator doubled "Doubled" = c.a * 2
indicator unused "Read by no one here" = c.a + 1
"""

UNITS = "id,a,b\nu1,1,4\nu2,2,3\nu3,5,8\n"


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "index.idx"


def index(body: str, imports: str = 'import "lib/method.idx"\n') -> str:
    return (
        imports
        + 'index t "T" {}\nunits c { from csv("u.csv") key id }\n'
        + "framework {\n  normalise none\n"
        + body
        + "}\n"
    )


def codes(path: Path) -> list[str]:
    with pytest.raises(DiagnosticError) as caught:
        check_file(path, Session())
    return [d.code for d in caught.value.diagnostics]


def test_a_modules_template_parameter_and_indicator_are_used_as_if_declared_here(tmp_path):
    body = '  s "Scaled A" = scaled(c.a, high = 10)\n  doubled\n  auxiliary k = doubled * top\n'
    path = write(tmp_path, {"lib/method.idx": MODULE, "u.csv": UNITS, "index.idx": index(body)})
    session = Session()
    result, session = run_file(path, session)
    np.testing.assert_allclose(result.units.scores["s"], [0.1, 0.2, 0.5])  # a / 10
    np.testing.assert_allclose(result.units.raw["doubled"], [2, 4, 10])
    np.testing.assert_allclose(result.units.scores["k"], [20, 40, 100])  # the parameter
    # the module's unused indicator is offered, not a mistake of this file: no W240
    assert "W240" not in [d.code for d in session.warnings]


def test_this_files_own_declaration_wins(tmp_path):
    body = "  doubled\n"
    text = index(body) + "indicator doubled = c.b\n"
    path = write(tmp_path, {"lib/method.idx": MODULE, "u.csv": UNITS, "index.idx": text})
    result, _ = run_file(path)
    np.testing.assert_allclose(result.units.raw["doubled"], [4, 3, 8])


def test_two_modules_with_one_name_is_e166(tmp_path):
    imports = 'import "lib/method.idx"\nimport "lib/other.idx"\n'
    path = write(
        tmp_path,
        {
            "lib/method.idx": MODULE,
            "lib/other.idx": "indicator doubled = c.b * 2\n",
            "u.csv": UNITS,
            "index.idx": index("  doubled\n", imports),
        },
    )
    assert codes(path) == ["E166"]


def test_a_missing_module_and_a_cycle_are_located(tmp_path):
    path = write(tmp_path, {"u.csv": UNITS, "index.idx": index("  c_a\n", 'import "nope.idx"\n')})
    assert codes(path) == ["E165"]
    path = write(
        tmp_path,
        {
            "lib/method.idx": 'import "../index.idx"\n' + MODULE,
            "index.idx": index("  doubled\n"),
        },
    )
    assert "E164" in codes(path)


def test_the_formatter_keeps_an_import(tmp_path):
    text = index("  doubled\n")
    assert format_text(text).startswith('import "lib/method.idx"\n')
    assert format_text(format_text(text)) == format_text(text)


BASE = """\
index base "Base" {}
units c { from csv("u.csv") key id }
indicator x = c.a
framework {
  reference ranks c.published
  x
}
"""


def test_an_inherited_reference_reading_a_replaced_table_is_w167(tmp_path):
    extending = 'extends "base.idx"\nunits c { from csv("other.csv") key id }\n'
    path = write(
        tmp_path,
        {
            "base.idx": BASE,
            "u.csv": "id,a,published\nu1,1,2\nu2,2,1\n",
            "other.csv": "id,a,published\nv1,3,1\nv2,1,2\n",
            "index.idx": extending,
        },
    )
    session = Session()
    check_file(path, session)
    (w167,) = [d for d in session.warnings if d.code == "W167"]
    assert "reference ranks c.published" in w167.message and "base.idx" in w167.message
    # writing the framework again in the extending file says it is meant: no warning
    path.write_text(extending + "framework {\n  x\n}\n", encoding="utf-8")
    session = Session()
    check_file(path, session)
    assert "W167" not in [d.code for d in session.warnings]
