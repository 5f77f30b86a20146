"""The HTML report: `indexdsl run FILE --format html` writes one self-contained
report.html.

The page is parsed with Python's own HTML parser and compared with the Result computed
by the pipeline (not with an earlier report); text from the data is escaped; nothing is
fetched from the network.  One test renders the BRI report in headless Chromium and is
skipped where no Chromium is installed.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import REPO, simple_index
from indexdsl import exports

SCRIPT = "<script>alert('x')</script>"
PAIRS = """
pairs p "Links" {
  from csv("pairs.csv")
  between a and b
  undirected
  illustrative w "made up for the test"
}
"""


def csv_file(header, rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()


@pytest.fixture
def cities(project):
    """Four units (one named with a script tag, one with a formula), pathways,
    groups, published and previous ranks, and one illustrative indicator."""
    text = simple_index(
        {"reach": "sum(p.v)", "capacity": "sum(p.w)"},
        """
        pathways p
        reference ranks c.published
        previous ranks c.previous
        links "Links & <reach>" 40% { reach }
        place "Place" 60% { capacity }
        """,
        pairs=PAIRS,
    ).replace("  label name\n", "  label name\n  groups region\n")
    project.index(
        text,
        {
            "units.csv": csv_file(
                ["id", "name", "region", "published", "previous"],
                [
                    ("a", "Alpha", "north", 1, 2),
                    ("b", SCRIPT, "south & east", 2, 1),
                    ("c", '=HYPERLINK("http://x")', "north", 3, ""),
                    ("d", "Delta", "south & east", 4, 4),
                ],
            ),
            "pairs.csv": csv_file(
                ["a", "b", "v", "w"],
                [("a", "b", 3, 10), ("b", "c", 5, 30), ("a", "c", 1, 20), ("c", "d", 2, 5)],
            ),
        },
    )
    return project


class Page(HTMLParser):
    """Every start tag with its attributes, the text of each <table>'s cells by row,
    and whether every tag that needs closing was closed."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.texts: list[str] = []
        self.cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        self.texts.append(data)
        if self.cell is not None:
            self.cell.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def report(project, *args) -> str:
    outcome = project.cli("run", "index.idx", "-q", "--out", "out", "--format", "html", *args)
    assert outcome.code == 0, outcome.err
    return (project.root / "out" / "report.html").read_text(encoding="utf-8")


def computed(project):
    from conftest import shared_registry
    from indexdsl.pipeline import Session, run_file

    result, _ = run_file(project.root / "index.idx", Session(registry=shared_registry()))
    return result


class TestContent:
    def test_the_page_is_well_formed_and_self_contained(self, cities):
        text = report(cities)
        page = Page(text)
        assert page.open == []  # every element closed
        assert text.startswith("<!DOCTYPE html>")
        # nothing fetched: no script, no external stylesheet, image, frame or font
        assert not [t for t, _ in page.tags if t in ("script", "link", "img", "iframe")]
        for tag, attrs in page.tags:
            for name in ("src", "href"):
                value = attrs.get(name, "")
                assert not value or value.startswith("#"), (tag, attrs)
        style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
        assert "url(" not in style and "@import" not in style
        assert sorted(p.name for p in (cities.root / "out").iterdir()) == [
            "report.html",
            "run.json",
        ]

    def test_text_from_the_data_is_escaped(self, cities):
        text = report(cities)
        assert SCRIPT not in text and "<script" not in text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
        assert "Links &amp; &lt;reach&gt;" in text
        page = Page(text)
        assert SCRIPT in page.text  # shown as written
        assert "south & east" in page.text

    def test_the_ranking_matches_the_result(self, cities):
        result = computed(cities)
        page = Page(report(cities))
        ranking = page.tables[0]
        assert ranking[0][:5] == ["rank", "Cities", "region", "score", "published rank"]
        root = result.graph.root
        order = sorted(range(4), key=lambda i: result.units.ranks[root][i])
        for row, i in zip(ranking[1:], order, strict=True):
            assert row[0] == str(result.units.ranks[root][i])
            assert row[1] == result.data.labels[i]
            assert row[3] == f"{result.units.scores[root][i]:.2f}"
        # the bar chart draws every unit, best first, with its score
        titles = [
            html.unescape(t)
            for t in re.findall(r"<rect [^>]*><title>([^<]*)</title>", report(cities))
        ]
        assert titles[:4] == [
            f"{result.data.labels[i]}: {result.units.scores[root][i]:.2f}" for i in order
        ]

    def test_sections(self, cities):
        page = Page(report(cities))
        headings = [t for t in page.texts if t.strip()]
        for heading in (
            "Illustrative data.",
            "Test index: overall ranking",
            "Rank changes against the previous edition",
            "Ranking in each dimension",
            "Scores at every node",
            "Agreement with the published values",
            "Test index by group",
            "Top 4 of 4 pathways",
            "Provenance",
        ):
            assert heading in headings, heading
        ids = {a["id"] for t, a in page.tags if "id" in a}
        links = {a["href"][1:] for t, a in page.tags if t == "a"}
        assert links <= ids  # the contents link to sections that exist

    def test_provenance_and_illustrative_banner(self, cities):
        text = report(cities)
        record = exports._canonical(
            __import__("json").loads((cities.root / "out" / "run.json").read_text())
        )
        assert record["provenance"]["index"]["sha256"] in text
        assert f"run id <code>{exports.run_id(record)}</code>" in text
        assert "1 of 2 indicators (60% of the index weight) use illustrative values" in (
            Page(text).text
        )

    def test_no_banner_without_illustrative_data(self, project):
        project.index(
            simple_index({"x": "c.x"}, "x"),
            {"units.csv": csv_file(["id", "name", "x"], [("a", "A", 1), ("b", "B", 2)])},
        )
        text = report(project)
        assert "Illustrative data" not in text and "banner" not in text.split("</style>")[1]
        assert "pathways" not in Page(text).text.lower()


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(chromium() is None, reason="no Chromium installed (it is optional)")
def test_headless_chromium_renders_the_bri_report(tmp_path):
    """The BRI report as a browser sees it: it loads offline, its DOM holds the ranking,
    and a screenshot of it is drawn."""
    from indexdsl import cli

    out = tmp_path / "bri"
    assert cli.main(["run", str(REPO / "indices" / "bri.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    page = out / "report.html"
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += [f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run"]
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "Belt and Road Cities' Connectivity Index: overall ranking" in dom
    assert dom.count("<svg") >= 3 and "Singapore" in dom
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [*browser, "--window-size=1200,2400", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (1200, 2400)
    assert len(png) > 50_000  # a drawn page, not a blank one (a blank one is ~10 kB)
