"""The HTML report: `indexdsl run FILE --format html` writes one self-contained
report.html.

The page is parsed with Python's own HTML parser and compared with the Result computed
by the pipeline (not with an earlier report); text from the data is escaped; nothing is
fetched from the network; the charts are drawn by matplotlib (the `html` extra).  One
test renders the BRI report in headless Chromium, checks its console and is skipped
where no Chromium is installed.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO, simple_index
from indexdsl.output import exports

pytest.importorskip("matplotlib", reason="matplotlib is optional (indexdsl[html])")

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


def chart_texts(text: str, label: str) -> list[str]:
    """The texts of the chart named ``label``, in the order drawn, unescaped."""
    found = re.search(
        r'<svg class="chart" role="img" aria-label="'
        + re.escape(html.escape(label))
        + r'".*?</svg>',
        text,
        re.S,
    )
    assert found, label
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", found.group(0))]


def report(project, *args) -> str:
    outcome = project.cli(
        "run", "index.idx", "-q", "--out", "out", "--format", "html", "--only", *args
    )
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
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
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
        texts = chart_texts(report(cities), "Test index: score of each unit")
        labels = [t for t in texts if t in result.data.labels]
        assert labels == [result.data.labels[i] for i in order]
        for i in order:
            assert f"{result.units.scores[root][i]:.2f}" in texts

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
            "Pathway scores between every unit",
            "Profiles of the best units",
            "Index definition",
            "Data sources",
            "Provenance",
        ):
            assert heading in headings, heading
        ids = {a["id"] for t, a in page.tags if "id" in a}
        links = {a["href"][1:] for t, a in page.tags if t == "a"}
        assert links <= ids  # the contents link to sections that exist

    def test_provenance_and_illustrative_banner(self, cities):
        text = report(cities)
        record = exports.canonical(
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

    def test_the_index_definition(self, cities):
        result = computed(cities)
        page = Page(report(cities))
        table = next(t for t in page.tables if t[0][:2] == ["node", "kind"])
        order = list(result.graph.node_order)
        assert [row[0].split()[-1] for row in table[1:]] == order  # each node with its name
        kinds = {row[0].split()[-1]: row[1] for row in table[1:]}
        assert kinds["t"] == "index" and kinds["links"] == "dimension"
        assert kinds["reach"] == "indicator"
        weights = {row[0].split()[-1]: row[2:4] for row in table[1:]}
        assert weights["links"] == ["40%", "40.0%"] and weights["place"] == ["60%", "60.0%"]
        # the index file itself, escaped, as the run read it
        source = (cities.root / "index.idx").read_text(encoding="utf-8")
        assert "The index file" in page.text and source in page.text
        # the data sources: every data file with its SHA-256
        record = __import__("json").loads((cities.root / "out" / "run.json").read_text())
        for path, digest in record["provenance"]["data"].items():
            assert path in page.text and digest in page.text

    def test_profiles_and_the_pathway_heat_map(self, cities):
        result = computed(cities)
        text = report(cities)
        root = result.graph.root
        order = sorted(range(4), key=lambda i: result.units.ranks[root][i])
        texts = chart_texts(text, "Profiles of the best units in the top-level dimensions")
        # "rank. label" titles, wrapped onto lines of 28 characters, never cut
        joined = " ".join(texts)
        for k, i in enumerate(order):
            assert f"{k + 1}. {result.data.labels[i]}" in joined
        assert "Place" in texts and "Links & <reach>" in joined
        matrix = chart_texts(text, "Heat map of pathway scores")
        labels = [result.data.labels[i] for i in order]
        assert [t for t in matrix if t in labels] == labels + labels  # columns, then rows

    def test_dollar_signs_in_names_are_text_not_mathematics(self, project):
        project.index(
            simple_index({"x": "c.x"}, "x"),
            {"units.csv": csv_file(["id", "name", "x"], [("a", "$x^2$ & co", 1), ("b", "B", 2)])},
        )
        texts = chart_texts(report(project), "Test index: score of each unit")
        assert "$x^2$ & co" in texts


class TestUncertainty:
    """Rank intervals come from `indexdsl uncertainty FILE -o DIR`, read from the output
    folder, and only when they belong to the run."""

    def analyse(self, project):
        outcome = project.cli(
            "uncertainty", "index.idx", "-N", "40", "--vary", "weights vary 25%", "-o", "out"
        )
        assert outcome.code == 0, outcome.err
        with (project.root / "out" / "uncertainty.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    def test_intervals_are_shown_with_their_settings(self, cities):
        rows = self.analyse(cities)
        for r in rows:  # the csv keeps a spreadsheet from running a formula: '=…
            r["label"] = r["label"].removeprefix("'")
        text = report(cities)
        page = Page(text)
        assert "Rank intervals under uncertainty" in page.texts
        assert "40 replications (seed 1); uncertain inputs: weights ±25%" in page.text
        table = next(
            t for t in page.tables if t[0][:3] == ["nominal rank", "Cities", "median rank"]
        )
        assert table[1:] == [
            [
                r["nominal_rank"],
                r["label"],
                f"{float(r['median_rank']):g}",
                f"{float(r['p05_rank']):g}–{float(r['p95_rank']):g}",
                f"{float(r['p95_rank']) - float(r['p05_rank']):g}",
            ]
            for r in rows
        ]
        texts = chart_texts(text, "Rank intervals under uncertainty")
        assert [t for t in texts if t in {r["label"] for r in rows}] == [r["label"] for r in rows]

    def test_no_section_without_an_analysis(self, cities):
        assert "Rank intervals" not in report(cities)

    def test_intervals_of_another_run_are_left_out_with_a_note(self, cities):
        self.analyse(cities)
        path = cities.root / "out" / "uncertainty.csv"
        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace(",1,", ",7,", 1), encoding="utf-8")  # a nominal rank
        text = Page(report(cities)).text
        assert "is not shown: the nominal ranks of 1 units differ from this run's" in text
        path.write_text(good, encoding="utf-8")
        index = cities.root / "index.idx"
        index.write_text(index.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        text = Page(report(cities)).text
        assert "computed from another version of the index file" in text
        assert "nominal rank" not in text


class TestOptionalLibraries:
    @pytest.mark.parametrize("module", ["matplotlib", "jinja2"])
    def test_a_missing_library_is_a_usage_error_naming_the_extra(self, cities, monkeypatch, module):
        monkeypatch.setitem(sys.modules, module, None)  # import fails
        outcome = cities.cli("run", "index.idx", "-q", "--out", "out", "--format", "csv,html")
        assert outcome.code == 2
        assert f"`--format html` needs {module}" in outcome.err
        assert 'pip install "indexdsl[html]"' in outcome.err
        assert not (cities.root / "out").exists()

    def test_only_the_html_report_imports_matplotlib(self, cities):
        check = (
            "import sys\n"
            "from indexdsl import cli\n"
            "assert cli.main(['run', 'index.idx', '-q', '--out', 'out', '--format', 'csv,md']) == 0\n"
            "assert 'matplotlib' not in sys.modules and 'jinja2' not in sys.modules\n"
            "assert cli.main(['run', 'index.idx', '-q', '--out', 'out', '--format', 'html']) == 0\n"
            "assert 'matplotlib' in sys.modules and 'jinja2' in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", check], cwd=cities.root, check=True, timeout=120)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


#: a line of Chromium's log (``--enable-logging=stderr``) for a console message: an
#: uncaught exception, console.error(), a refused resource (Content Security Policy …)
CONSOLE = re.compile(r"^\[[^\]]*:CONSOLE[(:][^\]]*\] (.*)$", re.M)


def load(browser: list[str], url: str) -> tuple[str, list[str]]:
    """The DOM of ``url`` after loading, and the console messages logged meanwhile."""
    done = subprocess.run(
        [*browser, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout, CONSOLE.findall(done.stderr)


@pytest.mark.skipif(chromium() is None, reason="no Chromium installed (it is optional)")
def test_headless_chromium_renders_the_bri_report(tmp_path):
    """The BRI report as a browser sees it: it loads offline with no console message,
    its DOM holds every section and chart, and a screenshot of it is drawn."""
    from indexdsl import cli

    out = tmp_path / "bri"
    assert cli.main(["run", str(REPO / "indices" / "bri.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    page = out / "report.html"
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += [f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run"]
    # the console check can see errors: a page that makes two is caught
    control = tmp_path / "control.html"
    control.write_text(
        "<!DOCTYPE html><p>x</p><script>console.error('made on purpose'); nowhere();</script>"
    )
    _, messages = load(browser, control.as_uri())
    assert any("made on purpose" in m for m in messages), messages
    assert any("Uncaught ReferenceError" in m for m in messages), messages
    dom, messages = load(browser, page.as_uri())
    assert messages == []
    assert "Belt and Road Cities' Connectivity Index: overall ranking" in dom
    for ident in ("ranking", "changes", "dimensions", "profiles", "heatmap", "agreement",
                  "groups", "pathways", "definition", "sources", "provenance"):  # fmt: skip
        assert f'<section id="{ident}">' in dom, ident
    assert dom.count('<svg class="chart"') >= 7 and "Singapore" in dom
    assert 'aria-label="Heat map of pathway scores"' in dom
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


def _scroll_width(browser: list[str], page: Path, width: int, tmp_path: Path) -> int:
    """The page's width when shown ``width`` pixels wide: in a frame of that width (a
    headless window draws no narrower than 500), measured by the frame's parent, so the
    page itself is unchanged (its Content Security Policy rightly forbids scripts)."""
    frame = tmp_path / f"frame-{page.parent.name}-{width}.html"
    frame.write_text(
        '<!DOCTYPE html><body style="margin:0">'
        f'<iframe id="f" src="{page.as_uri()}" style="width:{width}px;height:900px;border:0">'
        "</iframe><script>document.getElementById('f').onload = function () {"
        " document.body.dataset.w = this.contentDocument.documentElement.scrollWidth }"
        "</script></body>",
        encoding="utf-8",
    )
    dom, _ = load(
        [*browser, "--allow-file-access-from-files", "--virtual-time-budget=10000",
         f"--window-size={width + 100},1000"],
        frame.as_uri(),
    )  # fmt: skip
    return int(re.search(r'data-w="(\d+)"', dom).group(1))


@pytest.mark.skipif(chromium() is None, reason="no Chromium installed (it is optional)")
@pytest.mark.parametrize("name", ["iec", "bri"])
def test_no_page_is_wider_than_its_window(tmp_path, name):
    """The IEC page's 40-column table once made it 1,962 px wide in a 1,200 px window:
    wide tables now scroll in their box, and a phone-sized window gets a narrow page."""
    from indexdsl import cli

    out = tmp_path / name
    assert cli.main(["run", str(REPO / "indices" / f"{name}.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += [f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run"]
    for width in (1200, 400):
        assert _scroll_width(browser, out / "report.html", width, tmp_path) <= width


def test_every_table_scrolls_in_its_own_box(tmp_path):
    from indexdsl import cli

    out = tmp_path / "iec"
    assert cli.main(["run", str(REPO / "indices" / "iec.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<table") == page.count('<div class="scroll"><table') > 10
    charts = "".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))
    assert "…" not in charts  # chart labels are wrapped, never cut


def test_the_definition_writes_a_method_where_it_changes(tmp_path):
    """Not 25 rows of the same normalisation: the first, then only where it differs."""
    from indexdsl import cli

    out = tmp_path / "iec"
    assert cli.main(["run", str(REPO / "indices" / "iec.idx"), "-q", "--out", str(out),
                     "--format", "html,csv"]) == 0  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="definition">') :]
    section = section[: section.index("</section>")]
    with (out / "nodes.csv").open(encoding="utf-8") as handle:
        normalisers = [r["normaliser"] for r in csv.DictReader(handle) if r["normaliser"]]
    changes = 1 + sum(a != b for a, b in zip(normalisers, normalisers[1:], strict=False))
    shown = sum(section.count(f">{html.escape(n)}<") for n in set(normalisers))
    assert len(normalisers) == 25 and shown == changes < 25


def test_the_report_draws_the_framework_and_the_correlations(tmp_path):
    """The figures `indexdsl plot framework` and `plot correlations` draw, in the page:
    every node's title in the framework, every indicator's in the heat map."""
    from indexdsl import cli
    from indexdsl.pipeline import run_file

    out = tmp_path / "iec"
    assert cli.main(["run", str(REPO / "indices" / "iec.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    result, _ = run_file(REPO / "indices" / "iec.idx")
    framework = chart_texts(page, "The framework")
    heat = chart_texts(page, "Pearson correlations between the indicators")
    joined = " ".join(framework)
    for node in result.graph.model.root.walk():
        assert node.title in joined, node.title
    indicators = [n.title for n in result.graph.model.root.walk() if n.is_leaf]
    assert all(title in heat for title in indicators)


def test_each_unit_has_its_profile_as_explain_prints_it(tmp_path):
    from indexdsl import cli
    from indexdsl.analyses.explain import explain
    from indexdsl.pipeline import run_file

    out = tmp_path / "bri"
    assert cli.main(["run", str(REPO / "indices" / "bri.idx"), "-q", "--out", str(out),
                     "--format", "html"]) == 0  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="unit_profiles">') :]
    section = section[: section.index("</section>")]
    result, _ = run_file(REPO / "indices" / "bri.idx")
    summaries = re.findall(r"<summary>(.*?)</summary><pre>(.*?)</pre>", section, flags=re.S)
    assert len(summaries) == 22  # every unit (fewer than 60), best first
    first = int(np.argmin(np.where(result.units.ranks["bri"] > 0, result.units.ranks["bri"], 99)))
    assert html.unescape(summaries[0][0]) == f"1. {result.data.labels[first]}"
    assert html.unescape(summaries[0][1]) == explain(result, first).text()
