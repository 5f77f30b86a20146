"""The computation graph of an index as Graphviz DOT or Mermaid: `indexdsl graph FILE`.

The picture reads from left to right, as the data flow: the columns of the data
tables, the indicators computed from them (and from other indicators), each indicator
of the framework normalised, then every node of the hierarchy with its aggregator,
each edge into a node labelled with the child's weight as used (siblings sum to 100 %).
Only the checked model is needed, not the data.
"""

from __future__ import annotations

import re

import attrs

from indexdsl.model import IndexModel, columns_read
from indexdsl.output import inert


@attrs.frozen
class Vertex:
    id: str  # unique within the graph: "column:table.col", "indicator:x", "node:x"
    kind: str  # "column" | "indicator" | "leaf" | "node" | "index"
    lines: tuple[str, ...]  # the label, one entry per line


@attrs.frozen
class Edge:
    source: str
    target: str
    label: str = ""


@attrs.frozen
class ComputationGraph:
    name: str
    title: str
    vertices: tuple[Vertex, ...]
    edges: tuple[Edge, ...]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def percent(weight: float) -> str:
    return f"{weight * 100:.4g}%"


def computation_graph(model: IndexModel) -> ComputationGraph:
    """Vertices and edges of an index's computation, in a stable order."""
    vertices: dict[str, Vertex] = {}
    edges: list[Edge] = []

    def add(vertex: Vertex) -> None:
        vertices.setdefault(vertex.id, vertex)

    def edge(source: str, target: str, label: str = "") -> None:
        e = Edge(source, target, label)
        if e not in edges:
            edges.append(e)

    for name, indicator in model.indicators.items():
        lines = [name]
        if indicator.title and indicator.title != name:
            lines.append(indicator.title)
        if not indicator.higher_is_better:
            lines.append("lower is better")
        if indicator.level == "pair":
            lines.append("per pair")
        add(Vertex(f"indicator:{name}", "indicator", tuple(lines)))
        # the columns it reads directly (not through other indicators)
        for column in columns_read(indicator.expression):
            ref = str(column)
            add(Vertex(f"column:{ref}", "column", (ref,)))
            edge(f"column:{ref}", f"indicator:{name}")
        for dependency in indicator.depends:
            edge(f"indicator:{dependency}", f"indicator:{name}")

    for node in model.root.walk():
        if node.is_leaf:
            normaliser = node.normaliser.describe() if node.normaliser else "not normalised"
            add(Vertex(f"node:{node.name}", "leaf", (node.name, normaliser)))
            edge(f"indicator:{node.indicator}", f"node:{node.name}")
        else:
            lines = [node.name]
            if node.title and node.title != node.name:
                lines.append(node.title)
            if node.aggregator is not None:
                lines.append(node.aggregator.describe())
            if node.rescaler is not None:
                lines.append(f"rescaled: {node.rescaler.describe()}")
            kind = "index" if node is model.root else "node"
            add(Vertex(f"node:{node.name}", kind, tuple(lines)))
        for child in node.children:
            edge(f"node:{child.name}", f"node:{node.name}", percent(child.weight))
    order = {"column": 0, "indicator": 1, "leaf": 2, "node": 2, "index": 2}
    ordered = sorted(vertices.values(), key=lambda v: order[v.kind])  # stable within a kind
    return ComputationGraph(model.meta.name, model.meta.title, tuple(ordered), tuple(edges))


# ---- Graphviz DOT ---------------------------------------------------------------------------

_DOT_STYLE = {
    "column": 'shape=cylinder, fontsize=10, color="#777777"',
    "indicator": "shape=box",
    "leaf": 'shape=box, style="rounded,filled", fillcolor="#eef4fb"',
    "node": 'shape=box, style="rounded,filled", fillcolor="#dbe8f6"',
    "index": 'shape=box, style="rounded,filled,bold", fillcolor="#b9d3ee"',
}


#: a quoted DOT string (:func:`indexdsl.output.inert.dot`)
_dot_string = inert.dot


def _dot_label(lines) -> str:
    return _dot_string("\n".join(lines))


def to_dot(graph: ComputationGraph) -> str:
    out = [
        f"// {inert.dot_comment(graph.title)}: computation graph written by `indexdsl graph`",
        f"digraph {_dot_string(graph.name)} {{",
        "  rankdir=LR;",
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for vertex in graph.vertices:
        out.append(
            f"  {_dot_string(vertex.id)} [label={_dot_label(vertex.lines)}, "
            f"{_DOT_STYLE[vertex.kind]}];"
        )
    for e in graph.edges:
        label = f" [label={_dot_string(e.label)}]" if e.label else ""
        out.append(f"  {_dot_string(e.source)} -> {_dot_string(e.target)}{label};")
    out.append("}")
    return "\n".join(out) + "\n"


# ---- Mermaid ----------------------------------------------------------------------------------

_MERMAID_SHAPE = {
    "column": ("[(", ")]"),
    "indicator": ("[", "]"),
    "leaf": ("([", "])"),
    "node": ("(", ")"),
    "index": ("(", ")"),
}


#: text for a quoted Mermaid label (:func:`indexdsl.output.inert.mermaid`)
_mermaid_text = inert.mermaid


def mermaid_ids(graph: ComputationGraph) -> dict[str, str]:
    """Vertex id → a Mermaid identifier (letters, digits and underscores), unique."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for vertex in graph.vertices:
        kind, _, name = vertex.id.partition(":")
        base = {"column": "col", "indicator": "ind", "node": "node"}[kind] + "_"
        base += re.sub(r"\W", "_", name, flags=re.ASCII)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        ids[vertex.id] = candidate
    return ids


def to_mermaid(graph: ComputationGraph) -> str:
    ids = mermaid_ids(graph)
    out = [
        f"%% {inert.mermaid(graph.title)}: computation graph written by `indexdsl graph`",
        "flowchart LR",
    ]
    for vertex in graph.vertices:
        left, right = _MERMAID_SHAPE[vertex.kind]
        label = "<br/>".join(_mermaid_text(line) for line in vertex.lines)
        out.append(f'  {ids[vertex.id]}{left}"{label}"{right}')
    for e in graph.edges:
        arrow = f'-->|"{_mermaid_text(e.label)}"|' if e.label else "-->"
        out.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
    out.append("  classDef index font-weight:bold")
    roots = [ids[v.id] for v in graph.vertices if v.kind == "index"]
    if roots:
        out.append(f"  class {','.join(roots)} index")
    return "\n".join(out) + "\n"


def render(model: IndexModel, format: str = "dot") -> str:
    graph = computation_graph(model)
    if format == "mermaid":
        return to_mermaid(graph)
    if format == "dot":
        return to_dot(graph)
    raise ValueError(f"unknown graph format {format!r}: choose `dot` or `mermaid`")
