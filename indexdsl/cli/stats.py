"""`indexdsl stats`: data availability, indicator statistics, correlations, effective
weights and importance."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _analysis_results, _run_one_edition, inert_console


def _figure(value) -> str:
    return "–" if value is None else f"{value:.3g}"


def cmd_stats(args, session) -> int:
    from rich.table import Table

    from indexdsl.analyses.statistics import HIGH_CORRELATION, LOW_CORRELATION, compute, flags
    from indexdsl.output.analysis_files import AnalysisTable

    result = _run_one_edition(args, session)
    stats = compute(result, args.min_coverage)
    tables = [AnalysisTable(t.name, tuple(t.names), t.rows) for t in stats.tables()]
    if _analysis_results(args, "statistics", stats.settings(), tables):
        return EXIT_OK
    console = inert_console()
    k, n = len(stats.indicators), result.data.n_units
    console.print(
        f"Data availability: {n} units, {k} indicators; "
        f"{len(stats.below)} units have less than {stats.min_coverage:.0%} of them"
        + (f": {', '.join(stats.below)}" if stats.below else "")
    )
    least = stats.least_covered()[: args.top]
    if least:
        table = Table(title="Least covered units", title_justify="left")
        for heading in ("unit", "name", "indicators", "coverage", "flagged"):
            table.add_column(heading, justify="left" if heading in ("unit", "name") else "right")
        for r in least:
            table.add_row(
                r["unit"],
                r["label"],
                f"{r['present']} of {r['indicators']}",
                f"{r['coverage']:.0%}",
                "below" if r["below_threshold"] else "",
            )
        console.print(table)
    table = Table(
        title="Statistics: indicators (raw values) and nodes (scores)", title_justify="left"
    )
    headings = ("node", "n", "missing", "min", "max", "mean", "sd", "skew", "kurt", "flags")
    for heading in headings:
        table.add_column(heading, justify="left" if heading in ("node", "flags") else "right")
    for r in stats.statistics.records():
        table.add_row(
            r["node"],
            str(r["n"]),
            str(r["missing"]),
            *(_figure(r[c]) for c in ("min", "max", "mean", "sd", "skewness", "kurtosis")),
            ", ".join(flags(r)),
        )
    console.print(table)
    flagged = stats.flagged_pairs()
    console.print(
        f"Correlations (Pearson) of siblings and of a node with its parent at or above "
        f"{HIGH_CORRELATION:g} or at or below {LOW_CORRELATION:g} "
        f"({len(flagged)} of {len(stats.correlations.rows)} pairs of nodes; every pair in "
        "correlations.csv with -o):"
    )
    if flagged:
        table = Table()
        for heading in ("a", "b", "relation", "n", "Pearson r", "Spearman ρ"):
            table.add_column(heading, justify="left" if heading in "a b relation" else "right")
        for r in flagged:
            table.add_row(
                r["a"], r["b"], r["relation"], str(r["n"]),
                _figure(r["pearson"]), _figure(r["spearman"]),
            )  # fmt: skip
        console.print(table)
    if not stats.spearman_complete:
        console.print(
            "Spearman's ρ is left out for pairs of nodes missing in different units: too many "
            "units to rank each pair (Pearson's r is there)"
        )
    table = Table(
        title="Effective weights and importance (squared correlation with the index)",
        title_justify="left",
    )
    headings = ("node", "parent", "weight in parent", "effective weight", "r with index",
                "importance", "share of importance")  # fmt: skip
    for heading in headings:
        table.add_column(heading, justify="left" if heading in ("node", "parent") else "right")
    for r in stats.effective_weights.records():
        if r["depth"] == 0:
            continue
        table.add_row(
            r["node"],
            r["parent"] or "",
            _figure(r["weight_in_parent"]),
            _figure(r["effective_weight"]) if r["note"] is None else r["note"],
            _figure(r["r_with_index"]),
            _figure(r["importance"]),
            _figure(r["importance_share"]),
        )
    console.print(table)
    return EXIT_OK
