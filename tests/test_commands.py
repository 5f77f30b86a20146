"""`indexdsl explain`, `indexdsl graph` and `indexdsl new`, on tiny indexes whose numbers
are worked out by hand.

The index used throughout (units alpha, beta, gamma; min-max to 0-100):
    x = c.x   [1, 2, 4]            → [0, 33.33…, 100]
    y = c.y   [10, 30, 20]         → [0, 100, 50]
    z = c.z   [3, 1, 5], lower     → [50, 100, 0]
    a = x                           [0, 33.33…, 100]
    b = (y + z) / 2                 [25, 100, 25]
    t = a/4 + 3b/4                  [18.75, 83.33…, 43.75]   ranks [3, 1, 2]
"""

from __future__ import annotations

import csv
import io
import math
import re

import pytest

from conftest import shared_registry, simple_index, units_csv
from indexdsl.analyses.explain import explain
from indexdsl.output.graphviz import computation_graph, mermaid_ids, to_dot, to_mermaid
from indexdsl.output.results import tables
from indexdsl.pipeline import Session, check_file, run_file
from indexdsl.starter import starter_files
from indexdsl.syntax.formatter import format_text

KEYS = ["alpha", "beta", "gamma"]
COLUMNS = {"x": [1, 2, 4], "y": [10, 30, 20], "z": [3, 1, 5]}
INDICATORS = {"x": "c.x", "y": "c.y", "z": "c.z  lower is better"}
FRAMEWORK = "a 1/4 { x }\nb 3/4 { y  z }"


def write(project, framework=FRAMEWORK, columns=COLUMNS, indicators=INDICATORS, defaults=""):
    return project.index(
        simple_index(indicators, framework, defaults=defaults),
        {"units.csv": units_csv(columns, KEYS)},
    )


def no_traceback(result):
    assert "Traceback" not in result.err and "Traceback" not in result.out


# ---- explain ------------------------------------------------------------------------------


class TestExplain:
    def test_contributions_sum_to_the_score(self, project):
        result, _ = run_file(write(project), Session(registry=shared_registry()))
        e = explain(result, "gamma")
        assert (e.key, e.label, e.rank, e.ranked) == ("gamma", "GAMMA", 2, 3)
        assert e.score == pytest.approx(43.75)
        assert e.additive and e.not_additive == ()
        # x: 1/4 · 100; y: 3/4 · 1/2 · 50; z: 3/4 · 1/2 · 0
        assert e.contributions() == pytest.approx({"x": 25, "y": 18.75, "z": 0})
        assert sum(e.contributions().values()) == pytest.approx(e.score, abs=1e-12)
        parts = {p.node: p for p in e.parts}
        assert parts["b"].contribution == pytest.approx(0.75 * 25)
        assert parts["b"].weight == pytest.approx(0.75)
        assert parts["y"].path_weight == pytest.approx(0.375)
        assert parts["y"].raw == 20
        assert (parts["b"].rank, parts["b"].ranked) == (2, 3)

    def test_every_unit_adds_up(self, project):
        result, _ = run_file(write(project), Session(registry=shared_registry()))
        for key in KEYS:
            e = explain(result, key)
            assert sum(e.contributions().values()) == pytest.approx(e.score, abs=1e-12)

    def test_contributions_add_up_under_a_weighting_scheme(self, project):
        # the index's entropy weights for a and b differ from the equal weights written
        framework = "weights entropy\na { x }\nb { y  z }"
        result, _ = run_file(write(project, framework), Session(registry=shared_registry()))
        chosen = result.units.fitted["t"]["weights"]
        assert chosen["a"] != pytest.approx(0.5, abs=0.01)
        for key in KEYS:
            e = explain(result, key)
            parts = {p.node: p for p in e.parts}
            assert parts["a"].weight == pytest.approx(chosen["a"])
            assert parts["b"].weight == pytest.approx(chosen["b"])
            assert sum(e.contributions().values()) == pytest.approx(e.score, abs=1e-9)
        # nodes.csv: "weight" is the weight as used, "weight_written" as written
        nodes = {
            row["node"]: row for row in csv.DictReader(io.StringIO(tables(result)["nodes.csv"]))
        }
        assert float(nodes["a"]["weight"]) == pytest.approx(chosen["a"])
        assert float(nodes["b"]["weight"]) == pytest.approx(chosen["b"])
        assert float(nodes["x"]["weight"]) == 1.0

    def test_strongest_weakest_and_rivals(self, project):
        result, _ = run_file(write(project), Session(registry=shared_registry()))
        e = explain(result, "gamma")
        assert [(s.node, s.rank) for s in e.strongest] == [("a", 1)]
        assert [(s.node, s.rank) for s in e.weakest] == [("b", 2)]
        assert [(r.key, r.rank) for r in e.above] == [("beta", 1)]
        assert e.above[0].gap == pytest.approx(25 / 3 + 75 - 43.75)
        assert [(r.key, r.rank) for r in e.below] == [("alpha", 3)]
        assert e.below[0].gap == pytest.approx(18.75 - 43.75)
        top = explain(result, "beta")
        assert top.above == () and [r.key for r in top.below] == ["gamma", "alpha"]

    def test_same_rank_everywhere_names_no_strongest(self, project):
        # a = [0, 33.3, 100]; y → [0, 33.3, 100], z (lower) → [0, 25, 100], b = [0, 29.2, 100]:
        # beta is second in both dimensions
        columns = {"x": [1, 2, 4], "y": [1, 2, 4], "z": [5, 4, 1]}
        result, _ = run_file(write(project, columns=columns), Session(registry=shared_registry()))
        e = explain(result, "beta")
        assert e.strongest == () and e.weakest == ()
        out = project.cli("explain", "index.idx", "beta")
        assert "The same rank, 2 of 3, in every dimension." in out.out

    def test_missing_child_shares_its_weight(self, project):
        # alpha has no y: b = z alone for alpha (50), t = 0/4 + 3/4 · 50 = 37.5
        columns = {**COLUMNS, "y": ["NA", 30, 20]}
        result, _ = run_file(write(project, columns=columns), Session(registry=shared_registry()))
        e = explain(result, "alpha")
        assert e.score == pytest.approx(37.5)
        parts = {p.node: p for p in e.parts}
        assert math.isnan(parts["y"].score) and parts["y"].contribution == 0
        assert parts["z"].weight == pytest.approx(1.0)
        assert e.contributions() == pytest.approx({"x": 0, "y": 0, "z": 37.5})

    def test_geometric_mean_is_not_additive(self, project):
        path = write(project, defaults="normalise minmax(1, 100)\naggregate geometric")
        result, _ = run_file(path, Session(registry=shared_registry()))
        e = explain(result, "beta")
        assert not e.additive
        assert e.not_additive[0][0] == "t" and "geometric" in e.not_additive[0][1]
        assert e.contributions() == {}
        parts = {p.node: p for p in e.parts}
        assert parts["b"].score == pytest.approx(100) and parts["b"].contribution is None
        out = project.cli("explain", "index.idx", "beta")
        assert out.code == 0
        assert "Not additive: `t` aggregates with `geometric" in " ".join(out.out.split())

    def test_decomposition_stops_below_a_non_additive_node(self, project):
        # b is a geometric mean of y and z (1 to 100); t stays arithmetic, so the
        # contributions of a and b are exact and add up to the score
        framework = "a 1/4 { x }\nb 3/4 { aggregate geometric  y  z }"
        path = write(project, framework=framework, defaults="normalise minmax(1, 100)")
        result, _ = run_file(path, Session(registry=shared_registry()))
        e = explain(result, "gamma")
        assert not e.additive and [n for n, _ in e.not_additive] == ["b"]
        parts = {p.node: p for p in e.parts}
        assert parts["y"].contribution is None and parts["z"].contribution is None
        assert parts["a"].contribution + parts["b"].contribution == pytest.approx(e.score)
        assert e.contributions() == pytest.approx({"x": 25})  # 1/4 · 100

    def test_command_output(self, project):
        write(project)
        out = project.cli("explain", "index.idx", "gamma")
        assert out.code == 0, out.err
        text = out.out
        assert "GAMMA (`gamma`) in the Test index" in text
        assert "Score 43.75, rank 2 of 3." in text
        assert "They add up to 43.75" in " ".join(text.split())
        rows = {
            line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in text.splitlines()
            if line.startswith("│")
        }
        # title, weight, score, rank, contribution, share
        assert rows["x"] == ["", "100%", "100.00", "1 of 3", "25.00", "57.1%"]
        assert rows["y"] == ["", "50%", "50.00", "2 of 3", "18.75", "42.9%"]
        assert rows["b [arithmetic]"] == ["", "75%", "25.00", "2 of 3", "18.75", "42.9%"]
        assert "Strongest: a (rank 1 of 3" in text
        assert "Weakest:   b (rank 2 of 3" in text
        assert "→ GAMMA (`gamma`)" in text and "+39.58" in text and "-25.00" in text

    def test_unit_by_label_and_ignoring_case(self, project):
        write(project)
        assert project.cli("explain", "index.idx", "GAMMA").code == 0
        assert project.cli("explain", "index.idx", "Gamma").code == 0

    def test_unknown_unit_is_located_with_a_suggestion(self, project):
        write(project)
        out = project.cli("explain", "index.idx", "gama")
        assert out.code == 1
        no_traceback(out)
        assert "error[E701]: unknown unit `gama`" in out.err
        assert "--> index.idx:4:7" in out.err  # the `key id` line of the units block
        assert "help: did you mean `gamma` (GAMMA)?" in out.err
        assert out.out == ""

    def test_unknown_unit_without_close_match_lists_some(self, project):
        write(project)
        out = project.cli("explain", "index.idx", "zzzzzz")
        assert out.code == 1
        assert "e.g. `alpha`, `beta`, `gamma`" in out.err

    def test_broken_index_and_usage_errors(self, project):
        project.index(simple_index({"income": "c.x"}, "incme"), {"units.csv": units_csv(COLUMNS)})
        out = project.cli("explain", "index.idx", "u0")
        assert out.code == 1 and "E201" in out.err
        no_traceback(out)
        write(project)
        out = project.cli("explain", "index.idx", "alpha", "--set", "year=1,2")
        assert out.code == 2 and "one edition" in out.err
        out = project.cli("explain", "missing.idx", "alpha")
        assert out.code == 1 and "E010" in out.err


# ---- graph ---------------------------------------------------------------------------------

GRAPH_INDICATORS = {"ratio": "c.x / c.y", "double": "ratio * 2", "z": "c.z  lower is better"}
GRAPH_FRAMEWORK = "a 1/4 { double }\nb 3/4 { aggregate geometric  z  normalise rank }"

VERTICES = {
    "column:c.x",
    "column:c.y",
    "column:c.z",
    "indicator:ratio",
    "indicator:double",
    "indicator:z",
    "node:t",
    "node:a",
    "node:double",
    "node:b",
    "node:z",
}
EDGES = {
    ("column:c.x", "indicator:ratio", ""),
    ("column:c.y", "indicator:ratio", ""),
    ("indicator:ratio", "indicator:double", ""),
    ("column:c.z", "indicator:z", ""),
    ("indicator:double", "node:double", ""),
    ("indicator:z", "node:z", ""),
    ("node:double", "node:a", "100%"),
    ("node:z", "node:b", "100%"),
    ("node:a", "node:t", "25%"),
    ("node:b", "node:t", "75%"),
}


class TestGraph:
    def model(self, project):
        path = project.index(
            simple_index(GRAPH_INDICATORS, GRAPH_FRAMEWORK), {"units.csv": units_csv(COLUMNS)}
        )
        return check_file(path, Session(registry=shared_registry()))

    def test_vertices_and_edges(self, project):
        graph = computation_graph(self.model(project))
        assert {v.id for v in graph.vertices} == VERTICES
        assert {(e.source, e.target, e.label) for e in graph.edges} == EDGES
        kinds = {v.id: v.kind for v in graph.vertices}
        assert kinds["node:t"] == "index" and kinds["node:z"] == "leaf"
        lines = {v.id: v.lines for v in graph.vertices}
        assert "lower is better" in lines["indicator:z"]
        assert lines["node:b"][-1] == "geometric(nonpositive='error')"
        assert lines["node:t"][-1] == "arithmetic"
        assert lines["node:z"][1].startswith("rank")
        assert lines["node:double"][1].startswith("minmax")

    def test_dot_contains_every_vertex_and_edge(self, project):
        dot = to_dot(computation_graph(self.model(project)))
        assert dot.startswith("// Test index") and 'digraph "t" {' in dot
        assert dot.rstrip().endswith("}")
        declared = set(re.findall(r'^  "([^"]+)" \[label=', dot, re.M))
        edges = {
            (a, b, label or "")
            for a, b, label in re.findall(
                r'^  "([^"]+)" -> "([^"]+)"(?: \[label="([^"]*)"\])?;$', dot, re.M
            )
        }
        assert declared == VERTICES
        assert edges == EDGES
        assert '"node:b" [label="b\\ngeometric(nonpositive=\'error\')"' in dot

    def test_mermaid_contains_every_vertex_and_edge(self, project):
        graph = computation_graph(self.model(project))
        text = to_mermaid(graph)
        assert text.splitlines()[1] == "flowchart LR"
        ids = mermaid_ids(graph)
        assert ids["column:c.x"] == "col_c_x" and ids["node:t"] == "node_t"
        back = {v: k for k, v in ids.items()}
        declared = set(re.findall(r"^  (\w+)[\[(]", text, re.M))
        edges = {
            (back[a], back[b], label or "")
            for a, label, b in re.findall(r'^  (\w+) -->(?:\|"([^"]*)"\|)? (\w+)$', text, re.M)
        }
        assert {back[i] for i in declared} == VERTICES
        assert edges == EDGES
        assert 'col_c_x[("c.x")]' in text
        assert "class node_t index" in text

    def test_escaping(self, project):
        text = simple_index({"x": "c.x"}, "x").replace('"Test index"', '"A \\"quoted\\" <index>"')
        path = project.index(text, {"units.csv": units_csv({"x": [1, 2]})})
        graph = computation_graph(check_file(path, Session(registry=shared_registry())))
        # `<` and `>` as the HTML entities Graphviz shows as the characters
        assert 'label="t\\nA \\"quoted\\" &lt;index&gt;' in to_dot(graph)
        assert "A #quot;quoted#quot; #lt;index#gt;" in to_mermaid(graph)

    def test_command(self, project):
        project.index(
            simple_index(GRAPH_INDICATORS, GRAPH_FRAMEWORK), {"units.csv": units_csv(COLUMNS)}
        )
        dot = project.cli("graph", "index.idx")
        assert dot.code == 0 and dot.out.startswith("// Test index") and dot.err == ""
        mermaid = project.cli("graph", "index.idx", "--format", "mermaid")
        assert mermaid.code == 0 and "flowchart LR" in mermaid.out
        with pytest.raises(SystemExit) as info:  # argparse: usage error
            project.cli("graph", "index.idx", "--format", "png")
        assert info.value.code == 2

    def test_command_needs_no_data_but_a_valid_definition(self, project):
        project.index(simple_index({"x": "c.x"}, "x"))  # no units.csv
        assert project.cli("graph", "index.idx").code == 0
        project.index(simple_index({"x": "c.x"}, "xx"))
        out = project.cli("graph", "index.idx")
        assert out.code == 1 and "E201" in out.err and out.out == ""
        no_traceback(out)


# ---- new ---------------------------------------------------------------------------------


class TestNew:
    def test_writes_a_starter_that_runs_clean(self, project):
        out = project.cli("new", "wellbeing")
        assert out.code == 0, out.err
        idx = project.root / "wellbeing.idx"
        csv = project.root / "data" / "wellbeing" / "units.csv"
        assert idx.is_file() and csv.is_file()
        assert "wellbeing.idx" in out.out and "indexdsl run wellbeing.idx" in out.out
        text = idx.read_text()
        assert text.startswith("# wellbeing.idx: a starter index")
        assert 'index wellbeing "Wellbeing index" {' in text
        result, session = run_file(idx, Session(registry=shared_registry()))
        assert session.warnings == []
        assert result.data.n_units == 6
        assert result.units.ranks["wellbeing"].tolist() == [2, 1, 5, 3, 6, 4]
        assert format_text(text) == text  # already in the canonical layout
        assert project.cli("check", "wellbeing.idx").code == 0

    def test_the_commands_in_its_comments_work(self, project):
        project.cli("new", "demo")
        assert project.cli("explain", "demo.idx", "al").code == 0
        assert project.cli("graph", "demo.idx").code == 0

    def test_dir_option(self, project):
        out = project.cli("new", "demo", "--dir", "projects/x")
        assert out.code == 0, out.err
        path = project.root / "projects" / "x" / "demo.idx"
        result, _ = run_file(path, Session(registry=shared_registry()))
        assert result.graph.root == "demo"

    def test_refuses_to_overwrite(self, project):
        assert project.cli("new", "demo").code == 0
        (project.root / "demo.idx").write_text("# mine\n")
        before = project.digests()
        out = project.cli("new", "demo")
        assert out.code == 1
        no_traceback(out)
        assert "`demo.idx` and `data/demo/units.csv` already exist" in out.err
        assert "never overwrites" in out.err
        assert project.digests() == before

    def test_writes_nothing_when_only_the_data_exists(self, project):
        project.write("data/demo/units.csv", "mine\n")
        out = project.cli("new", "demo")
        assert out.code == 1 and "`data/demo/units.csv` already exists" in out.err
        assert not (project.root / "demo.idx").exists()
        assert (project.root / "data/demo/units.csv").read_text() == "mine\n"

    @pytest.mark.parametrize("name", ["9lives", "my-index", "a b", "place", "income"])
    def test_bad_names_are_usage_errors(self, project, name):
        out = project.cli("new", name)
        assert out.code == 2, out.err
        no_traceback(out)
        assert f"`{name}` cannot name" in out.err
        assert list(project.root.iterdir()) == []

    def test_template_substitutes_the_name(self):
        files = starter_files("my_index")
        assert set(files) == {"my_index.idx", "data/my_index/units.csv"}
        assert "$" not in files["my_index.idx"]
        assert 'index my_index "My index" {' in files["my_index.idx"]
        assert 'index wellbeing "Wellbeing index" {' in starter_files("wellbeing")["wellbeing.idx"]
