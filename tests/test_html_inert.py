"""report.html and hostile text: the Jinja2 templates escape every value (autoescape)
and write control characters out (the environment's `finalize`), in the page and in
its charts."""

from __future__ import annotations

import re

import pytest
from test_inert_outputs import INDEX, units_file

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def test_report_html_holds_no_control_characters(project):
    pytest.importorskip("matplotlib", reason="the html format needs indexdsl[html]")
    project.index(INDEX, {"units.csv": units_file()})
    outcome = project.cli("run", "index.idx", "-q", "--out", "out", "--format", "html")
    assert outcome.code == 0, outcome.err
    text = (project.root / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    assert not CONTROL.search(text)
