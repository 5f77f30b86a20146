"""The ``md`` format: results.md, a Markdown page of rankings, groups, pathways and provenance."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.evaluate import Result
    from indexdsl.output.exports import Table

#: pathways listed in results.md
MARKDOWN_TOP_PATHWAYS = 10


# ---- Markdown ---------------------------------------------------------------------------------


def md_text(value: object) -> str:
    """Text for a Markdown table cell or heading (:func:`indexdsl.output.inert.markdown`)."""
    # imported here: registering the format imports none of its code (cold start)
    from indexdsl.output.inert import markdown

    return markdown(value)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]], right: Sequence[bool]) -> str:
    lines = ["| " + " | ".join(md_text(h) for h in header) + " |"]
    lines.append("|" + "|".join("---:" if r else "---" for r in right) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _decimals(values) -> int:
    """Decimals shown for a node's scores: 3 on a 0–1 scale (the HDI), else 2."""
    present = [abs(v) for v in values if v is not None]
    return 3 if present and max(present) <= 1 else 2


def _md_number(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _md_rank(rank: int) -> str:
    return str(rank) if rank else "–"


def render_markdown(result: Result, tables: dict[str, Table], record: dict) -> str:
    """results.md: the overall ranking, each dimension's ranking, the agreement with
    published ranks, the scores by group, the top pathways and the provenance."""
    from indexdsl.output.exports import run_id
    from indexdsl.output.inert import markdown_code
    from indexdsl.output.results import agreement, safe_text

    graph, data = result.graph, result.data
    model = graph.model
    root = model.root
    units = tables["units"].records()
    label = {r["unit"]: r["label"] for r in units}
    parts: list[str] = [f"# {md_text(model.meta.title)}\n"]

    facts = []
    if model.meta.edition:
        facts.append(f"edition {md_text(model.meta.edition)}")
    if model.parameters:
        facts.append(
            ", ".join(f"{md_text(k)} = {md_text(v)}" for k, v in sorted(model.parameters.items()))
        )
    facts.append(f"{data.n_units} {md_text(model.units.title.lower())}")
    facts.append(f"{sum(1 for n in root.walk() if n.is_leaf)} indicators")
    if result.pairs is not None:
        facts.append(f"{len(result.pair_data.a)} pathways")
    parts.append(" · ".join(facts) + "\n")
    illustrative = record["illustrative"]
    if illustrative["indicators"]:
        parts.append(
            f"> **Illustrative data:** {len(illustrative['indicators'])} indicators "
            f"({illustrative['weight_share']:.0%} of the index weight) use illustrative values, "
            "not measurements: " + ", ".join(md_text(n) for n in illustrative["indicators"]) + ".\n"
        )

    # overall ranking
    name = root.name
    decimals = _decimals(r[f"{name}_score"] for r in units)
    reference = data.references.get(name)
    position = {key: i for i, key in enumerate(data.keys)}
    header = ["rank", model.units.title, *data.groups, "score"]
    right = [True, False, *(False for _ in data.groups), True]
    if reference is not None:
        header += ["published rank", "Δ"]
        right += [True, True]
    if f"{name}_change" in tables["units"].names:
        header.append("vs previous edition")
        right.append(False)
    if f"{name}_top" in tables["units"].names:
        header.append(f"top {root.top:.0%}")
        right.append(False)
    rows = []
    for r in units:
        row = [_md_rank(r[f"{name}_rank"]), md_text(r["label"])]
        row += [md_text(r[g]) for g in data.groups]
        row.append(_md_number(r[f"{name}_score"], decimals))
        if reference is not None:
            published = reference[position[r["unit"]]]
            rank = r[f"{name}_rank"]
            delta = int(published - rank) if rank and not math.isnan(published) else 0
            row += [
                "–" if math.isnan(published) else str(int(published)),
                f"{delta:+d}" if delta else "",
            ]
        if f"{name}_change" in tables["units"].names:
            row.append(md_text(r[f"{name}_change"] or ""))
        if f"{name}_top" in tables["units"].names:
            row.append("yes" if r[f"{name}_top"] else "")
        rows.append(row)
    parts.append(f"## {md_text(root.title)}: overall ranking\n")
    parts.append(_md_table(header, rows, right))

    # each dimension's ranking
    dimensions = [
        graph.nodes[n] for n in graph.node_order if n != name and not graph.nodes[n].is_leaf
    ]
    if dimensions:
        parts.append("## Ranking in each dimension\n")
    for dim in dimensions:
        key = dim.name
        ordered = sorted(units, key=lambda r: (r[f"{key}_rank"] or 10**9, safe_text(r["unit"])))
        decimals = _decimals(r[f"{key}_score"] for r in ordered)
        reference = data.references.get(key)
        header = ["rank", model.units.title, "score"]
        if reference is not None:
            header.append("published rank")
        rows = []
        for r in ordered:
            row = [
                _md_rank(r[f"{key}_rank"]),
                md_text(r["label"]),
                _md_number(r[f"{key}_score"], decimals),
            ]
            if reference is not None:
                published = reference[position[r["unit"]]]
                row.append("–" if math.isnan(published) else str(int(published)))
            rows.append(row)
        weight = f" ({md_text(dim.weight_text)})" if dim.weight_text else ""
        parts.append(f"### {md_text(dim.title)}{weight}\n")
        parts.append(_md_table(header, rows, [True, False, True, True][: len(header)]))

    agree = agreement(result)
    if agree:
        rows = [
            [
                md_text(graph.nodes[n].title),
                f"{agree[n]['spearman']:.3f}",
                f"{agree[n]['exact']} of {agree[n]['n']}",
                str(int(agree[n]["max_abs_difference"])),
            ]
            for n in graph.node_order
            if n in agree
        ]
        parts.append("## Agreement with the published ranks\n")
        parts.append(
            _md_table(
                ["node", "Spearman ρ", "same rank", "largest gap"], rows, [False, True, True, True]
            )
        )

    if "groups" in tables:
        parts.append(f"## {md_text(root.title)} by group\n")
        summaries = [r for r in tables["groups"].records() if r["node"] == name]
        for column in data.groups:
            shown = [r for r in summaries if r["group_column"] == column]
            shown.sort(key=lambda r: (r["mean"] is None, -(r["mean"] or 0.0), r["group"]))
            decimals = _decimals(r["max"] for r in shown)
            rows = [
                [md_text(r["group"] or "–"), str(r["units"])]
                + [_md_number(r[k], decimals) for k in ("mean", "median", "min", "max")]
                for r in shown
            ]
            parts.append(f"### By {md_text(column)}\n")
            parts.append(
                _md_table(
                    [column, "units", "mean", "median", "min", "max"], rows, [False] + [True] * 5
                )
            )

    if "pathways" in tables:
        pathways = tables["pathways"].records()[:MARKDOWN_TOP_PATHWAYS]
        top_level = [c for c in root.children if not c.is_leaf] or list(root.children)
        sep = " → " if result.pair_data.spec.directed else " – "
        decimals = _decimals(r[f"{name}_score"] for r in tables["pathways"].records())
        rows = [
            [
                _md_rank(r[f"{name}_rank"]),
                md_text(f"{label[r['unit_a']]}{sep}{label[r['unit_b']]}"),
                _md_number(r[f"{name}_score"], decimals),
                *(_md_number(r[f"{d.name}_score"], decimals) for d in top_level),
            ]
            for r in pathways
        ]
        parts.append(f"## Top {len(pathways)} pathways\n")
        parts.append(
            _md_table(
                ["rank", "pathway", "score", *(d.title for d in top_level)],
                rows,
                [True, False, True, *(True for _ in top_level)],
            )
        )

    provenance = record["provenance"]
    lines = [
        f"- index file: {markdown_code(provenance['index']['file'])}, "
        f"SHA-256 `{provenance['index']['sha256']}`"
    ]
    lines += [
        f"- data: {markdown_code(path)}, SHA-256 `{digest}`"
        for path, digest in provenance["data"].items()
    ]
    parameters = provenance["parameters"]
    lines.append(
        "- parameters: "
        + (", ".join(f"{md_text(k)} = {md_text(v)}" for k, v in parameters.items()) or "none")
    )
    lines.append(
        "- versions: "
        + ", ".join(f"{md_text(k)} {md_text(v)}" for k, v in provenance["versions"].items())
    )
    lines.append(f"- run id: `{run_id(record)}`")
    lines.append(f"- computed: {record['time']}")
    parts.append("## Provenance\n")
    parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


class MarkdownExporter(Exporter):
    name = "md"
    summary = "a Markdown page: rankings, groups, top pathways and provenance"
    writes = "results.md"

    def render(self, export: Export) -> dict[str, str | bytes]:
        return {"results.md": render_markdown(export.result, export.tables, export.record)}


@hookimpl
def indexdsl_register_exporters():
    return [MarkdownExporter]
