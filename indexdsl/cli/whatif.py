"""`indexdsl whatif`: rank changes when a node is left out (or added)."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _analysis_results, _run_one_edition, inert_console


def cmd_whatif(args, session) -> int:
    from rich.table import Table

    from indexdsl.analyses.whatif import drop_nodes, published_changes
    from indexdsl.diagnostics import UsageError
    from indexdsl.output.analysis_files import AnalysisTable
    from indexdsl.pipeline import evaluate_model
    from indexdsl.stats import spearman

    if bool(args.drop) == bool(args.add):
        raise UsageError("give the nodes to leave out (`--drop NODE`) or to add (`--add NODE`)")
    result = _run_one_edition(args, session)
    adding = bool(args.add)
    nodes = list(args.add or args.drop)
    changed = drop_nodes(result, nodes, evaluate_model)
    root = result.graph.root
    written, without = result.units.ranks[root], changed.units.ranks[root]
    # the report's question decides the direction: dropping compares the index as
    # written with the one without; adding, the one without with the index as written
    before, after = (without, written) if adding else (written, without)
    published = published_changes(result, args.published) if args.published else None
    rho = spearman(before.astype(float), after.astype(float))
    order = sorted(range(len(written)), key=lambda i: (written[i] == 0, written[i]))

    def moved(i):  # + is a rise in rank (a smaller rank number) from before to after
        return int(before[i]) - int(after[i]) if before[i] and after[i] else None

    header = ("unit", "label", "rank", "rank_without", "change")
    rows = [
        (result.data.keys[i], result.data.labels[i], int(written[i]) or None,
         int(without[i]) or None, moved(i))
        for i in order
    ]  # fmt: skip
    summary = {"added" if adding else "dropped": nodes, "spearman": rho}
    if published is not None:
        header += ("published_change",)
        rows = [(*row, published[i]) for row, i in zip(rows, order, strict=True)]
        compared = [i for i in order if published[i] is not None and moved(i) is not None]
        summary["published"] = {
            "column": args.published,
            "compared": len(compared),
            "same_change": sum(moved(i) == published[i] for i in compared),
        }
    tables = [AnalysisTable("whatif", header, rows)]
    if _analysis_results(args, "whatif", summary, tables):
        return EXIT_OK
    console = inert_console()
    what = ", ".join(nodes)
    title = (
        f"Adding {what}: rank changes (+ = higher with it; Spearman ρ {rho:.3f})"
        if adding
        else f"Without {what}: rank changes (Spearman ρ {rho:.3f})"
    )
    table = Table(title=title, title_justify="left")
    headings = ["unit", "rank without", "rank", "change"] if adding else [
        "unit", "rank", "rank without", "change"]  # fmt: skip
    if published is not None:
        headings.append("published change")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "unit" else "right")
    for i in order:
        change = moved(i) or 0
        row = [result.data.labels[i], str(before[i] or "–"), str(after[i] or "–")]
        row.append("" if change == 0 else f"{change:+d}")
        if published is not None:
            p = published[i]
            row.append("" if p is None else ("—" if p == 0 else f"{p:+d}"))
        table.add_row(*row)
    console.print(table)
    if published is not None:
        p = summary["published"]
        console.print(
            f"Same change as published: {p['same_change']} of {p['compared']} units "
            f"with a published change ({args.published})."
        )
    return EXIT_OK
