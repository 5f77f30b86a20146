"""`indexdsl plot` and ``Results.plot``: the figures and the numbers behind them.

The numbers each figure draws (correlations, contributions, rank intervals) are tested
against numpy and against the engine's scores, not against pixels; the files are
tested for being valid SVG or PNG, identical byte for byte on a rerun, and inert (text
from the data stays text).
"""

from __future__ import annotations

import math
import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import REPO, shared_registry, simple_index, units_csv
from indexdsl.diagnostics import DiagnosticError
from indexdsl.pipeline import Session, run_file

pytest.importorskip("matplotlib", reason="plots need matplotlib (indexdsl[html])")

from matplotlib.text import Text  # noqa: E402

import indexdsl  # noqa: E402
from indexdsl.analyses.explain import explain  # noqa: E402
from indexdsl.analyses.uncertainty import UncertaintyResult  # noqa: E402
from indexdsl.api import Results  # noqa: E402
from indexdsl.output import plots  # noqa: E402

ASEM = REPO / "indices" / "asem.idx"
HDI = REPO / "indices" / "hdi.idx"

#: every kind with the node names it takes and quick options
KINDS = [
    pytest.param("framework", [], id="framework"),
    pytest.param("framework", ["--style", "sunburst"], id="sunburst"),
    pytest.param("correlations", ["--level", "2"], id="correlations"),
    pytest.param("distribution", ["Conn"], id="distribution"),
    pytest.param("scatter", ["Conn", "Sust"], id="scatter"),
    pytest.param("contributions", [], id="contributions"),
    pytest.param("ranks", ["-N", "12"], id="ranks"),
]


@pytest.fixture(scope="module")
def asem():
    result, _ = run_file(ASEM, Session(registry=shared_registry()))
    return result


def plot(project, kind: str, *args: str, out: str = "figure.svg"):
    return project.cli("plot", kind, ASEM, *args, "-o", out)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def all_text_inside(figure) -> list[str]:
    """What of ``figure`` reaches outside it (cut when the file is written): each text
    written on it (ticks outside an axis's range are not drawn, so the labels of ticks are
    checked through the figure's tight box, which holds everything drawn)."""
    renderer = figure.canvas.get_renderer()
    figure.draw_without_rendering()
    box = figure.bbox
    ticks = {
        id(label)
        for ax in figure.axes
        for axis in (ax.xaxis, ax.yaxis)
        for tick in axis.get_major_ticks() + axis.get_minor_ticks()
        for label in (tick.label1, tick.label2)
    }
    outside = []

    def beyond(extent) -> bool:
        return (
            extent.x0 < box.x0 - 0.5
            or extent.y0 < box.y0 - 0.5
            or extent.x1 > box.x1 + 0.5
            or extent.y1 > box.y1 + 0.5
        )

    for text in figure.findobj(Text):
        if id(text) in ticks or not text.get_visible() or not text.get_text().strip():
            continue
        if beyond(text.get_window_extent(renderer)):
            outside.append(text.get_text())
    tight = figure.get_tightbbox(renderer).transformed(figure.dpi_scale_trans)
    if beyond(tight):
        outside.append(f"the figure's contents {tight.bounds} beyond {box.bounds}")
    return outside


class TestTheCommand:
    @pytest.mark.parametrize(("kind", "args"), KINDS)
    def test_each_kind_writes_a_valid_svg_and_png(self, project, kind, args):
        outcome = plot(project, kind, *args, out="figure.svg")
        assert outcome.code == 0, outcome.err
        assert "Wrote figure.svg." in outcome.out
        text = (project.root / "figure.svg").read_text(encoding="utf-8")
        root = ET.fromstring(text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(text) > 5000  # something was drawn
        assert "<script" not in text and "Date" not in text
        outcome = plot(project, kind, *args, out="figure.png")
        assert outcome.code == 0, outcome.err
        width, height = png_size((project.root / "figure.png").read_bytes())
        assert width > 200 and height > 200

    @pytest.mark.parametrize(("kind", "args"), KINDS)
    def test_reruns_are_byte_identical(self, project, kind, args):
        assert plot(project, kind, *args, out="a.svg").code == 0
        assert plot(project, kind, *args, out="b.svg").code == 0
        assert (project.root / "a.svg").read_bytes() == (project.root / "b.svg").read_bytes()
        if kind in ("framework", "scatter"):
            assert plot(project, kind, *args, out="a.png").code == 0
            assert plot(project, kind, *args, out="b.png").code == 0
            assert (project.root / "a.png").read_bytes() == (project.root / "b.png").read_bytes()

    def test_an_unknown_node_is_located_with_a_suggestion(self, project):
        outcome = plot(project, "scatter", "Con", "Sust")
        assert outcome.code == 1
        assert "error[E725]: `Con` is not a node or indicator of index `asem`" in outcome.err
        assert "asem.idx:34:1" in outcome.err  # the framework block
        assert "help: did you mean `Conn`?" in outcome.err
        assert "Traceback" not in outcome.err
        assert not (project.root / "figure.svg").exists()

    def test_contributions_of_a_geometric_mean_point_at_the_aggregator(self, project):
        outcome = project.cli("plot", "contributions", HDI, "-o", "hdi.svg")
        assert outcome.code == 1
        assert "error[E726]: the score of `hdi` cannot be split into contributions" in outcome.err
        assert "hdi.idx:45:3" in outcome.err
        assert "aggregate geometric" in outcome.err
        assert not (project.root / "hdi.svg").exists()

    def test_usage_mistakes_exit_2(self, project):
        outcome = plot(project, "distribution", "Conn", out="figure.pdf")
        assert outcome.code == 2
        assert "a figure is written as .svg or .png" in outcome.err
        outcome = plot(project, "scatter", "Conn")
        assert outcome.code == 2
        assert "`plot scatter` takes two nodes, not 1" in outcome.err
        outcome = plot(project, "correlations", "--level", "7")
        assert outcome.code == 2
        assert "no nodes at depth 7" in outcome.err
        outcome = project.cli(
            "plot", "framework", REPO / "indices" / "gdi.idx", "--style", "sunburst", "-o", "g.svg"
        )
        assert outcome.code == 2
        assert "`gdi` is a formula of other nodes" in outcome.err
        outcome = plot(project, "distribution", "Conn", "--raw")
        assert outcome.code == 2
        assert "`Conn` is not an indicator, so it has no raw values" in outcome.err

    def test_ranks_of_an_index_without_uncertain_inputs(self, project):
        project.index(
            simple_index({"a": "c.a", "b": "c.b"}, "a 50%\nb 50%"),
            {"units.csv": units_csv({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})},
        )
        outcome = project.cli("plot", "ranks", "index.idx", "-o", "r.svg")
        assert outcome.code == 1
        assert "E600" in outcome.err

    def test_ranks_refused_when_too_many_replications_fail(self, project):
        text = simple_index({"a": "c.a", "b": "c.b"}, "a 50%\nb 50%")
        text += "uncertainty {\n  aggregate arithmetic or geometric\n}\n"
        project.index(
            text, {"units.csv": units_csv({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 5.0]})}
        )
        outcome = project.cli("plot", "ranks", "index.idx", "-N", "20", "-o", "r.svg")
        assert outcome.code == 6, outcome.err
        assert "the analysis is not reliable, and nothing was drawn" in outcome.err
        assert not (project.root / "r.svg").exists()

    @pytest.mark.parametrize(
        ("name", "args"),
        [
            ("framework", ["framework"]),
            ("scatter", ["scatter", "Conn", "Sust"]),
            ("correlations", ["correlations", "--level", "2"]),
        ],
    )
    def test_the_figures_in_the_docs_are_what_the_command_draws(self, project, name, args):
        outcome = project.cli("plot", args[0], ASEM, *args[1:], "-o", f"{name}.svg")
        assert outcome.code == 0, outcome.err
        drawn = (project.root / f"{name}.svg").read_bytes()
        committed = (REPO / "docs" / "images" / "plots" / f"{name}.svg").read_bytes()
        assert drawn == committed, (
            f"docs/images/plots/{name}.svg is out of date: redraw it with "
            f"`indexdsl plot {' '.join(args[:1])} indices/asem.idx …` (docs/how-to/plots.md)"
        )

    def test_correlations_of_the_nodes_named(self, project):
        outcome = plot(project, "correlations", "Conn", "Sust", "CO2", out="c.svg")
        assert outcome.code == 0, outcome.err
        text = (project.root / "c.svg").read_text(encoding="utf-8")
        assert "CO2 emissions per capita" in text and "Logistics" not in text
        outcome = plot(project, "correlations", "Conn", out="c.svg")
        assert outcome.code == 2
        assert "takes two nodes or more" in outcome.err
        outcome = plot(project, "correlations", "Conn", "Sustt", out="c.svg")
        assert outcome.code == 1
        assert "did you mean `Sust`?" in outcome.err

    def test_a_missing_matplotlib_names_the_extra(self, project, monkeypatch):
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
        outcome = plot(project, "framework")
        assert outcome.code == 2
        assert "`indexdsl plot` needs matplotlib" in outcome.err
        assert 'pip install "indexdsl[html]"' in outcome.err
        assert "Traceback" not in outcome.err


class TestInertText:
    def test_a_unit_label_stays_text(self, project):
        labels = ["<script>alert(1)</script>", "$x^2$ & co", "Plain"]
        rows = "id,name,a,b\n" + "".join(
            f'u{i},"{label}",{a},{b}\n'
            for i, (label, a, b) in enumerate(
                zip(labels, [1.0, 2.0, 3.0], [2.0, 1.0, 3.0], strict=True)
            )
        )
        project.index(simple_index({"a": "c.a", "b": "c.b"}, "a 50%\nb 50%"), {"units.csv": rows})
        outcome = project.cli("plot", "scatter", "index.idx", "a", "b", "-o", "s.svg")
        assert outcome.code == 0, outcome.err
        text = (project.root / "s.svg").read_text(encoding="utf-8")
        ET.fromstring(text)  # still well-formed XML
        assert "<script" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "$x^2$ &amp; co" in text  # not typeset as mathematics


class TestNumbers:
    def test_correlations_equal_numpys_over_the_units_with_both_values(self, asem):
        leaves = plots.level_nodes(asem, "indicators")
        table = plots.correlations(asem, leaves)
        scores = asem.units.scores
        missing = 0
        for i, a in enumerate(leaves):
            for j, b in enumerate(leaves):
                x, y = scores[a], scores[b]
                both = ~np.isnan(x) & ~np.isnan(y)
                missing += both.sum() < len(x)
                assert table.n[i, j] == both.sum()
                expected = np.corrcoef(x[both], y[both])[0, 1]
                assert table.r[i, j] == pytest.approx(expected, abs=1e-12)
        assert missing > 0  # the pairwise counting was exercised
        assert np.allclose(np.diag(table.r), 1.0)

    def test_correlations_across_levels(self, asem):
        table = plots.correlations(
            asem, plots.level_nodes(asem, "1"), plots.level_nodes(asem, "indicators")
        )
        assert table.rows == ("Conn", "Sust") and len(table.columns) == 49
        x, y = asem.units.scores["Sust"], asem.units.raw["CO2"]
        both = ~np.isnan(x) & ~np.isnan(y)
        raw = plots.correlations(asem, ["Sust"], ["CO2"], raw=True)
        assert raw.r[0, 0] == pytest.approx(np.corrcoef(x[both], y[both])[0, 1], abs=1e-12)

    @pytest.mark.parametrize("node", [None, "Conn", "Physical"])
    def test_contributions_add_up_to_the_score(self, asem, node):
        table = plots.contributions(asem, node)
        name = node or "asem"
        score = asem.units.scores[name]
        has = ~np.isnan(score)
        assert len(table.order) == has.sum()
        assert np.allclose(table.parts[has].sum(axis=1), score[has], rtol=0, atol=1e-9)
        assert table.parts.min() >= 0
        # best first
        assert list(score[list(table.order)]) == sorted(score[has], reverse=True)

    def test_contributions_are_explains_for_the_index(self, asem):
        table = plots.contributions(asem)
        for i in (0, 7, 30):
            parts = {p.node: p.contribution for p in explain(asem, i).parts if p.depth == 1}
            assert [parts[c] for c in table.children] == pytest.approx(list(table.parts[i]))

    def test_contributions_skip_a_child_without_a_score(self, project):
        project.index(
            simple_index(
                {"a": "c.a", "b": "c.b"}, "a 25%\nb 75%", defaults="normalise minmax(0, 100)"
            ),
            {"units.csv": units_csv({"a": [0.0, 10.0, 5.0], "b": [0.0, "", 10.0]})},
        )
        result, _ = project.run()
        table = plots.contributions(result)
        assert table.parts[1].tolist() == [100.0, 0.0]  # b missing: a's weight is 1
        assert table.parts[2].tolist() == [12.5, 75.0]
        assert table.parts.sum(axis=1) == pytest.approx(result.units.scores["t"])

    def test_an_indicator_has_no_contributions(self, asem):
        with pytest.raises(DiagnosticError) as info:
            plots.contributions(asem, "LPI")
        assert info.value.diagnostics[0].code == "E726"

    def test_rank_intervals_are_the_uncertainty_results(self):
        ranks = np.array([[1, 2, 3, 0], [2, 1, 3, 0], [1, 3, 2, 0], [9, 9, 9, 9]])
        result = UncertaintyResult(
            nominal=np.array([1, 2, 3, 0]), ranks=ranks,
            failed=np.array([False, False, False, True]), failures={"x": 1}, inputs=("w",),
        )  # fmt: skip
        table = plots.rank_intervals(result)
        assert table.units == (0, 1, 2)  # the unranked unit is left out
        assert table.replications == 3
        good = ranks[:3, :3].astype(float)
        assert table.median.tolist() == np.median(good, axis=0).tolist()
        assert table.low.tolist() == np.percentile(good, 5, axis=0).tolist()
        assert table.high.tolist() == np.percentile(good, 95, axis=0).tolist()

    def test_small_noise_keeps_well_separated_units_at_their_nominal_rank(self, project):
        text = simple_index({"a": "c.a", "b": "c.b"}, "a 50%\nb 50%")
        text += "uncertainty {\n  weights vary 5% of nodes at depth 1\n}\n"
        project.index(
            text,
            {
                "units.csv": units_csv(
                    {"a": [10.0, 50.0, 90.0, 30.0, 70.0], "b": [12.0, 48.0, 95.0, 33.0, 66.0]}
                )
            },
        )
        figure = indexdsl.load("index.idx").run().plot("ranks", samples=40)
        assert figure.axes
        result, _ = project.run()
        from indexdsl.analyses.uncertainty import run_uncertainty
        from indexdsl.pipeline import evaluator

        engine = evaluator(result.graph.model, result.data)
        unc = run_uncertainty(engine, result.graph.model.uncertainty, 40, 1)
        table = plots.rank_intervals(unc)
        assert (table.low <= table.nominal).all() and (table.nominal <= table.high).all()
        assert (table.low == table.high).all()  # no rank moves under 5% noise
        assert table.nominal.tolist() == [1, 2, 3, 4, 5]

    def test_scatter_labels_the_extreme_units(self):
        x = np.array([1.0, 5.0, 3.0, np.nan, 4.0, 2.0])
        y = np.array([6.0, 1.0, 3.0, 9.0, 2.0, 5.0])
        assert plots.extremes(x, y, 1) == [0, 1]  # lowest/highest x, highest/lowest y
        assert plots.extremes(x, y, 2) == [0, 1, 4, 5]

    def test_effective_weights_multiply_down_the_hierarchy(self, asem):
        weights = plots.effective_weights(asem.graph.model)
        assert weights["asem"] == 1.0
        assert weights["Conn"] == pytest.approx(0.5)
        assert weights["LPI"] == pytest.approx(0.5 * 0.2 * 0.125)
        leaves = plots.level_nodes(asem, "indicators")
        assert sum(weights[n] for n in leaves) == pytest.approx(1.0)


class TestFigures:
    @pytest.mark.parametrize(
        ("kind", "nodes", "options"),
        [
            ("framework", (), {}),
            ("framework", (), {"style": "sunburst"}),
            ("correlations", (), {"level": "1", "against": "2"}),
            ("distribution", ("LPI",), {"raw": True}),
            ("scatter", ("Conn", "Sust"), {"label": 5}),
            ("contributions", (), {"node": "Conn"}),
        ],
    )
    def test_no_label_is_cut(self, asem, kind, nodes, options):
        results = Results(asem)
        figure = results.plot(kind, *nodes, **options)
        assert all_text_inside(figure) == []
        titles = {t.get_text() for t in figure.findobj(Text)}
        if kind == "framework":  # every node's title, in full
            model = asem.graph.model
            for node in model.root.walk():
                assert any(node.title in t for t in titles), node.title

    @pytest.mark.parametrize(
        "index", [ASEM, HDI, REPO / "indices" / "gdi.idx"], ids=lambda p: p.stem
    )
    def test_the_trees_lines_cross_no_label(self, index):
        from matplotlib.lines import Line2D

        figure = indexdsl.load(index).plot("framework")
        renderer = figure.canvas.get_renderer()
        figure.draw_without_rendering()
        labels = [t.get_window_extent(renderer) for t in figure.findobj(Text) if t.get_text()]
        lines = [
            line for line in figure.findobj(Line2D) if line.get_linestyle() not in ("None", "")
        ]
        assert lines and len(labels) > 5
        crossed = [
            (line.get_xydata().tolist(), box.bounds)
            for line in lines
            for box in labels
            if line.get_window_extent(renderer).overlaps(box)
        ]
        assert crossed == []
        assert all_text_inside(figure) == []

    def test_top_limits_the_bars(self, asem):
        figure = Results(asem).plot("contributions", top=5)
        ax = figure.axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == [
            asem.data.labels[i] for i in plots.contributions(asem).order[:5]
        ]
        assert "(the first 5 of 51)" in ax.get_title(loc="left")
        assert "first" not in Results(asem).plot("contributions").axes[0].get_title(loc="left")

    def test_the_api_draws_and_writes(self, project, asem):
        index = indexdsl.load(ASEM)
        figure = index.plot("framework", out=project.root / "f.svg")
        assert figure.get_size_inches()[1] > 5  # one row per indicator
        assert (project.root / "f.svg").read_text(encoding="utf-8").startswith("<?xml")
        results = Results(asem)
        with pytest.raises(KeyError, match="did you mean `Conn`"):
            results.plot("scatter", "Con", "Sust")
        with pytest.raises(ValueError, match="takes two nodes"):
            results.plot("scatter", "Conn")

    def test_the_api_refuses_an_unreliable_analysis(self, project):
        text = simple_index({"a": "c.a", "b": "c.b"}, "a 50%\nb 50%")
        text += "uncertainty {\n  aggregate arithmetic or geometric\n}\n"
        project.index(
            text, {"units.csv": units_csv({"a": [0.0, 5.0, 10.0], "b": [10.0, 0.0, 5.0]})}
        )
        with pytest.raises(ValueError, match="not reliable"):
            indexdsl.load("index.idx").run().plot("ranks", samples=20)

    def test_the_api_refuses_a_non_additive_node(self):
        results = indexdsl.load(HDI).run()
        with pytest.raises(ValueError, match="cannot be split into contributions"):
            results.plot("contributions")
        assert not math.isnan(results.scores()["NOR"])
