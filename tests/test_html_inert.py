"""report.html and hostile text: what the HTML report does not neutralise yet.

The HTML report is being moved to Jinja2 templates with autoescape; until then, these
tests record what it leaves through (marked xfail, with the reason)."""

from __future__ import annotations

import re

import pytest
from test_inert_outputs import INDEX, units_file

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.mark.xfail(
    reason="report.html copies C0/C1 control characters of labels and titles into the page "
    "(invalid in HTML, shown by no browser); html_report.py is being rewritten with Jinja2",
    strict=False,  # report.html is being rewritten: an XPASS means this marker can go
)
def test_report_html_holds_no_control_characters(project):
    pytest.importorskip("matplotlib", reason="the html format needs indexdsl[html]")
    project.index(INDEX, {"units.csv": units_file()})
    outcome = project.cli("run", "index.idx", "-q", "--out", "out", "--format", "html")
    assert outcome.code == 0, outcome.err
    text = (project.root / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    assert not CONTROL.search(text)
