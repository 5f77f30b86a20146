"""`indexdsl compare`: the ranking against another index file's, or a ranking column."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _analysis_results, _print_diagnostics, inert_console


def cmd_compare(args, session) -> int:

    from indexdsl.analyses.compare import compare, compare_ranking
    from indexdsl.diagnostics import UsageError
    from indexdsl.pipeline import Session, run_file

    if (args.other is None) == (args.ranking is None):
        raise UsageError("compare with another index file (OTHER) or a column (`--ranking`)")
    if args.ranking is not None:
        result, _ = run_file(args.file, session)
        _print_diagnostics(session.warnings, session.sources)
        return _compare_with_column(args, result, compare_ranking(result, args.ranking))
    result, _ = run_file(args.file, session)
    other_session = Session(sources=session.sources, registry=session.registry)
    other, _ = run_file(args.other, other_session)
    _print_diagnostics(session.warnings + other_session.warnings, session.sources)
    c = compare(result, other)
    if not c.keys:
        from indexdsl.diagnostics import DiagnosticError
        from indexdsl.errors import commands as errors

        raise DiagnosticError(
            [
                errors.no_common_units(
                    str(args.file), str(args.other), result.graph.model.units.span,
                    other.graph.model.units.span, list(c.only_here), list(c.only_there),
                )
            ]
        )  # fmt: skip
    from indexdsl.output.analysis_files import AnalysisTable

    rows = [
        (key, label, int(here), int(there), int(there) - int(here))
        for key, label, here, there in zip(c.keys, c.labels, c.ranks, c.other, strict=True)
    ]
    tables = [AnalysisTable("compare", ("unit", "label", "rank", "rank_other", "change"), rows)]
    settings = {
        "other": {"file": str(args.other)},
        "common_units": len(c.keys),
        "spearman": c.spearman if len(c.keys) > 1 else None,
        "kendall": c.kendall,
        "kendall_missing": c.kendall_missing or None,
        "only_here": list(c.only_here),
        "only_there": list(c.only_there),
    }
    if _analysis_results(args, "compare", settings, tables):
        return EXIT_OK
    console = inert_console()
    console.print(f"{len(c.keys)} units ranked by both {args.file} and {args.other}")
    spearman = f"Spearman ρ {c.spearman:.3f}" if len(c.keys) > 1 else "Spearman ρ: –"
    console.print(
        spearman
        + (f", Kendall τ {c.kendall:.3f}" if c.kendall is not None else f" ({c.kendall_missing})")
    )
    for label, moved in c.movers(args.top):
        console.print(
            f"  {label}: {'+' if moved > 0 else ''}{moved} "
            f"({'higher' if moved > 0 else 'lower'} in {args.file})"
        )
    if c.only_here or c.only_there:
        console.print(
            f"Only in {args.file}: {', '.join(c.only_here) or '–'}; "
            f"only in {args.other}: {', '.join(c.only_there) or '–'}"
        )
    return EXIT_OK


def _compare_with_column(args, result, c) -> int:
    """`compare FILE --ranking COLUMN`: the units ranked better here, better in the
    other ranking, and alike (a report's "more influential in this network" and
    "more influential globally"), with the rank correlations."""
    from rich.table import Table

    from indexdsl.output.analysis_files import AnalysisTable

    rows = [
        (key, label, int(here), int(there), int(there) - int(here))
        for key, label, here, there in zip(c.keys, c.labels, c.ranks, c.other, strict=True)
    ]
    tables = [AnalysisTable("compare", ("unit", "label", "rank", "rank_other", "change"), rows)]
    better_here = [r[1] for r in rows if r[4] > 0]
    better_there = [r[1] for r in rows if r[4] < 0]
    alike = [r[1] for r in rows if r[4] == 0]
    settings = {
        "other": {"column": args.ranking},
        "common_units": len(c.keys),
        "spearman": c.spearman if len(c.keys) > 1 else None,
        "kendall": c.kendall,
        "kendall_missing": c.kendall_missing or None,
        "only_here": list(c.only_here),
        "better_here": better_here,
        "better_there": better_there,
        "same_rank": alike,
    }
    if _analysis_results(args, "compare", settings, tables):
        return EXIT_OK
    console = inert_console()
    console.print(
        f"{len(c.keys)} units ranked by both {args.file} and `{args.ranking}`"
        + (f"; {len(c.only_here)} without a rank there" if c.only_here else "")
        + " (ranks among the units both rank)"
    )
    spearman = f"Spearman ρ {c.spearman:.3f}" if len(c.keys) > 1 else "Spearman ρ: –"
    console.print(
        spearman
        + (f", Kendall τ {c.kendall:.3f}" if c.kendall is not None else f" ({c.kendall_missing})")
    )
    for title, names in (
        (f"Ranked higher by {args.file}", better_here),
        (f"Ranked higher by `{args.ranking}`", better_there),
    ):
        table = Table(title=title, title_justify="left")
        for heading in ("unit", "rank here", "rank there"):
            table.add_column(heading, justify="left" if heading == "unit" else "right")
        for r in rows:
            if r[1] in names:
                table.add_row(r[1], str(r[2]), str(r[3]))
        console.print(table)
    if alike:
        console.print("Same rank in both: " + ", ".join(alike))
    if c.only_here:
        labels = dict(zip(result.data.keys, result.data.labels, strict=True))
        console.print(f"No rank in `{args.ranking}`: " + ", ".join(labels[k] for k in c.only_here))
    return EXIT_OK
