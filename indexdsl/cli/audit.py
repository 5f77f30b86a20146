"""`indexdsl audit`: correlations, Cronbach's alpha, PCA, skewness and kurtosis."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _analysis_results, _run_one_edition, inert_console


def cmd_audit(args, session) -> int:
    from rich.table import Table

    from indexdsl.analyses.audit import KURTOSIS_LIMIT, SKEW_LIMIT, audit
    from indexdsl.output.analysis_files import AnalysisTable

    result = _run_one_edition(args, session)
    nodes, indicators = audit(result)
    tables = [
        AnalysisTable(
            "audit_nodes",
            ("node", "children", "cronbach_alpha", "first_component_share", "negative_pairs"),
            [
                (
                    n.node, len(n.children), n.cronbach_alpha, n.first_component_share,
                    "; ".join(f"{a}–{b} ({r:.2f})" for a, b, r in n.negative_pairs),
                )
                for n in nodes
            ],
        ),
        AnalysisTable(
            "audit_children",
            ("node", "child", "r_with_parent", "r_with_index"),
            [
                (n.node, child, rp, ri)
                for n in nodes
                for child, rp, ri in zip(n.children, n.with_parent, n.with_index, strict=True)
            ],
        ),
        AnalysisTable(
            "audit_indicators",
            ("indicator", "skewness", "kurtosis", "flagged"),
            [(i.indicator, i.skewness, i.kurtosis, i.flagged) for i in indicators],
        ),
    ]  # fmt: skip
    settings = {"skewness_limit": SKEW_LIMIT, "kurtosis_limit": KURTOSIS_LIMIT}
    if _analysis_results(args, "audit", settings, tables):
        return EXIT_OK
    console = inert_console()
    table = Table(title="Consistency of each node's children", title_justify="left")
    for heading in ("node", "children", "Cronbach's α", "1st PC share", "negative pairs"):
        table.add_column(heading, justify="left" if heading == "node" else "right")
    for n in nodes:
        negatives = ", ".join(f"{a}–{b} ({r:.2f})" for a, b, r in n.negative_pairs) or "–"
        table.add_row(
            n.node,
            str(len(n.children)),
            f"{n.cronbach_alpha:.2f}",
            f"{n.first_component_share:.0%}",
            negatives,
        )
    console.print(table)
    table = Table(
        title="Correlation of each child with its parent and with the index", title_justify="left"
    )
    for heading in ("node", "child", "r with parent", "r with index"):
        table.add_column(heading, justify="left" if heading in ("node", "child") else "right")
    for n in nodes:
        for child, rp, ri in zip(n.children, n.with_parent, n.with_index, strict=True):
            table.add_row(n.node, child, f"{rp:.2f}", f"{ri:.2f}")
    console.print(table)
    flagged = [i for i in indicators if i.flagged]
    console.print(
        f"Indicators with |skewness| ≥ {SKEW_LIMIT:g} and kurtosis ≥ {KURTOSIS_LIMIT:g} "
        f"({len(flagged)} of {len(indicators)}): "
        + (
            ", ".join(f"{i.indicator} ({i.skewness:.2f}, {i.kurtosis:.2f})" for i in flagged)
            or "none"
        )
    )
    return EXIT_OK
