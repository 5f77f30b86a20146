"""`indexdsl uncertainty`: rank intervals when the uncertain inputs vary."""

from __future__ import annotations

import json
import sys

from indexdsl.cli.common import (
    EXIT_OK,
    EXIT_UNRELIABLE,
    _analysis_results,
    _print_failures,
    _replication_engine,
    _uncertain_model,
    inert_console,
)


def cmd_uncertainty(args, session) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from indexdsl.analyses.uncertainty import run_uncertainty

    engine = _replication_engine(args, session)  # before computing
    model, data, evaluator = _uncertain_model(args, session)
    console = inert_console()
    with Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    ) as bar:
        task = bar.add_task("replications", total=args.samples)
        result = run_uncertainty(
            evaluator,
            model.uncertainty,
            args.samples,
            args.seed,
            lambda n: bar.advance(task, n),
            engine=engine,
        )
    low, high = result.interval()
    median = result.median
    left_out = result.left_out
    if args.format == "json":  # the JSON instead of the terminal tables
        import io

        from indexdsl.output.analysis_files import AnalysisTable

        order = sorted(
            range(len(result.nominal)), key=lambda i: (not result.nominal[i], result.nominal[i])
        )
        columns = (
            "unit",
            "label",
            "nominal_rank",
            "median_rank",
            "p05_rank",
            "p95_rank",
            "left_out",
        )
        rows = [
            (
                data.keys[i], data.labels[i], int(result.nominal[i]) or None,
                round(float(median[i]), 2), round(float(low[i]), 2), round(float(high[i]), 2),
                float(left_out[i]),
            )
            for i in order
        ]  # fmt: skip
        settings = {
            "samples": args.samples, "evaluated": result.evaluated, "seed": args.seed,
            "inputs": list(result.inputs), "failures": dict(result.failures),
            "levels": {k: {"failed": f, "drawn": d} for k, (f, d) in result.levels.items()},
            "reliable": result.reliable(args.max_failed),
        }  # fmt: skip
        _analysis_results(
            args, "uncertainty", settings, [AnalysisTable("uncertainty", columns, rows)]
        )
        console = inert_console(file=io.StringIO())  # the tables below are not shown
    table = Table(
        title=f"{model.meta.title}: ranks over {result.evaluated} replications (seed {args.seed})"
        + (
            f"; {result.replications - result.evaluated} more failed" if result.failed.any() else ""
        ),
        title_justify="left",
    )
    headings = ["unit", "nominal rank", "median rank", "5–95% interval"]
    if left_out.any():
        headings.append("left out")
    for heading in headings:
        table.add_column(heading, justify="left" if heading == "unit" else "right")
    order = sorted(
        range(len(result.nominal)), key=lambda i: (result.nominal[i] == 0, result.nominal[i])
    )
    rows = []
    for i in order:
        row = [
            data.labels[i],
            str(result.nominal[i] or "–"),
            _rank_statistic(median[i]),
            f"{_rank_statistic(low[i])}–{_rank_statistic(high[i])}",
        ]
        if left_out.any():
            row.append(f"{left_out[i]:.0%}" if left_out[i] else "")
        table.add_row(*row)
        rows.append([data.keys[i], *row[:2]])
    console.print("Uncertain inputs: " + "; ".join(result.inputs))
    console.print(table)
    _print_failures(console, result.failures, result.levels, result.replications, "replications")
    if not result.reliable(args.max_failed):
        print(
            f"error: {result.replications - result.evaluated} of {result.replications} "
            f"replications ({result.failed_share:.0%}) could not be evaluated, more than the "
            f"{args.max_failed:.0%} allowed: the analysis is not reliable, and nothing was "
            "written. The figures above leave the failed replications out. Replace the "
            "alternative that fails, or accept the share with --max-failed",
            file=sys.stderr,
        )
        return EXIT_UNRELIABLE
    if args.out is not None:
        import csv
        import hashlib
        import io

        from indexdsl.output.results import safe_text

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            ["unit", "label", "nominal_rank", "median_rank", "p05_rank", "p95_rank", "left_out"]
        )
        writer.writerows(
            [
                [safe_text(r[0]), safe_text(r[1]), r[2], *map(_rank_statistic, row), share]
                for r, row, share in zip(
                    rows,
                    zip(median[order], low[order], high[order], strict=True),
                    (f"{v:.4g}" for v in left_out[order]),
                    strict=True,
                )
            ]
        )
        # the settings, beside the intervals: the HTML report names them and checks that
        # the intervals belong to the index file it reports on
        settings = {
            "samples": args.samples,
            "evaluated": result.evaluated,
            "seed": args.seed,
            "inputs": list(result.inputs),
            "failures": dict(result.failures),
            "levels": {k: {"failed": f, "drawn": d} for k, (f, d) in result.levels.items()},
            "index": {
                "file": str(args.file),
                "sha256": hashlib.sha256(args.file.read_bytes()).hexdigest(),
            },
        }
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in (
            ("uncertainty.csv", buffer.getvalue()),
            ("uncertainty.json", json.dumps(settings, indent=2, sort_keys=True) + "\n"),
        ):
            target = args.out / name
            temporary = target.with_name(name + ".tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(target)
    return EXIT_OK


def _rank_statistic(value: float) -> str:
    """A median or percentile of ranks: two decimals at most (``23.05``, not
    ``23.049999999999997``); a dash for a unit with no rank in any replication."""
    return "–" if value != value else f"{round(float(value), 2):g}"
