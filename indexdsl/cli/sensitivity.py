"""`indexdsl sensitivity`: Sobol indices of the uncertain inputs."""

from __future__ import annotations

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


def cmd_sensitivity(args, session) -> int:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from indexdsl.analyses.sensitivity import factors, run_sensitivity
    from indexdsl.diagnostics import DiagnosticError, UsageError
    from indexdsl.errors import commands as errors

    engine = _replication_engine(args, session)  # before computing
    model, data, evaluator = _uncertain_model(args, session)
    if len(factors(model.uncertainty)) < 2:
        raise DiagnosticError([errors.too_few_inputs_for_sensitivity(model.uncertainty.span)])
    if args.samples < 2:
        raise UsageError("-N must be at least 2")
    n = 1 << (args.samples - 1).bit_length()
    console = inert_console()
    if n != args.samples:
        # Sobol' sequences keep their balance properties at powers of two only
        note = f"note: N = {args.samples} rounded up to {n}, a power of two"
        print(note, file=sys.stderr) if args.format == "json" else console.print(note)
    from rich.progress import Progress

    evaluations = n * (len(factors(model.uncertainty)) + 2)
    with Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    ) as bar:
        task = bar.add_task("index evaluations", total=evaluations)
        result = run_sensitivity(
            evaluator,
            model.uncertainty,
            n,
            args.seed,
            progress=lambda k: bar.advance(task, k),
            engine=engine,
        )
    from indexdsl.output.analysis_files import AnalysisTable

    columns = ("input", "first", "first_low", "first_high", "total", "total_low", "total_high")
    rows = [
        (
            name, result.first[i], result.first_interval[0][i], result.first_interval[1][i],
            result.total[i], result.total_interval[0][i], result.total_interval[1][i],
        )
        for i, name in enumerate(result.factors)
    ]  # fmt: skip
    settings = {
        "samples": n, "seed": args.seed, "evaluations": result.evaluations,
        "base_samples_used": result.used, "base_samples_left_out": result.incomplete,
        "failures": dict(result.failures), "reliable": result.reliable(args.max_failed),
        "inputs": list(result.factors),
    }  # fmt: skip
    if _analysis_results(
        args, "sensitivity", settings, [AnalysisTable("sensitivity", columns, rows)]
    ):
        return EXIT_OK if result.reliable(args.max_failed) else EXIT_UNRELIABLE
    table = Table(
        title=f"{model.meta.title}: Sobol indices on the mean absolute rank shift "
        f"({result.evaluations} evaluations, seed {args.seed})",
        title_justify="left",
    )
    for heading in ("input", "first order", "95% interval", "total", "95% interval"):
        table.add_column(heading, justify="left" if heading == "input" else "right")
    for i, name in enumerate(result.factors):
        table.add_row(
            name,
            f"{result.first[i]:.3f}",
            f"{result.first_interval[0][i]:.3f} – {result.first_interval[1][i]:.3f}",
            f"{result.total[i]:.3f}",
            f"{result.total_interval[0][i]:.3f} – {result.total_interval[1][i]:.3f}",
        )
    console.print(table)
    widths = [result.first_interval[1] - result.first_interval[0]]
    widths.append(result.total_interval[1] - result.total_interval[0])
    width = float(np.nanmax(widths)) if np.isfinite(widths).any() else 0.0
    if width > 0.1:
        console.print(
            f"warning: the confidence intervals are up to {width:.2f} wide; N = {n} is "
            f"too small for stable estimates; try -N {n * 4}"
        )
    _print_failures(console, result.failures, {}, result.evaluations, "evaluations")
    if result.incomplete:
        console.print(
            f"{result.incomplete} of {result.base_samples} base samples had an evaluation "
            f"that failed and are left out: the indices above use {result.used}"
        )
    if not result.reliable(args.max_failed):
        print(
            f"error: {result.incomplete} of {result.base_samples} base samples "
            f"({result.failed_share:.0%}) could not be evaluated, more than the "
            f"{args.max_failed:.0%} allowed: the analysis is not reliable. Replace the "
            "alternative that fails, or accept the share with --max-failed",
            file=sys.stderr,
        )
        return EXIT_UNRELIABLE
    return EXIT_OK
