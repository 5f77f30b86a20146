"""`indexdsl run`: compute an index, print its rankings, write every score."""

from __future__ import annotations

import sys
from pathlib import Path

from indexdsl.cli.common import (
    EXIT_OK,
    _engine,
    _print_diagnostics,
    inert_console,
    parse_settings,
)


def _writing_status(out: Path, formats):
    """A spinner on the terminal while the outputs are written (an HTML report with
    its charts takes seconds); nothing when standard error is not a terminal."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    shown = ", ".join(f for group in formats for f in group) if formats else "the outputs"
    return Console(stderr=True).status(f"Writing {shown} to {out}/ …")


def cmd_run(args, session) -> int:
    from indexdsl.pipeline import Session, run_file

    # what only printing or writing needs is imported when it is needed (cold start)
    printing = not args.quiet and not args.json
    if printing:
        from indexdsl.output.report import print_report
        from indexdsl.output.results import score_agreement

    editions = parse_settings(args.set)
    several = len(editions) > 1
    if args.only and args.format is None:
        from indexdsl.diagnostics import UsageError

        raise UsageError("`--only` writes only the formats given with `--format`: give some")
    if not args.no_write or args.format is not None:  # an unknown format: before computing
        from indexdsl.output.exports import exporters, with_default
        from indexdsl.plugins import load_registry

        session.registry = session.registry or load_registry(session.disabled_plugins)
        if not args.only:  # formats add to the default tables unless asked otherwise
            args.format = with_default(args.format, session.registry)
        exporters(args.format, session.registry)
    engine = None
    if args.engine is not None or args.scheduler is not None:  # before computing
        engine = _engine(args.engine, args.scheduler, session)
    if printing:  # labels and titles reach the terminal with their control characters escaped
        console = inert_console()
    records = []
    for parameters in editions:
        if several:
            session = Session(sources=session.sources, registry=session.registry)
        result, session = run_file(args.file, session, parameters, engine)
        _print_diagnostics(session.warnings, session.sources)
        model = result.graph.model
        written = []
        from indexdsl.output.inert import file_name, inside

        base = args.out or Path("indexdsl-out") / file_name(model.meta.name)
        out = base
        if several:  # a folder per edition, named after its values: never outside `base`
            out = inside(
                base, "_".join(file_name(f"{k}={v}") for k, v in sorted(parameters.items()))
            )
        if not args.no_write:
            from indexdsl.output.writing import write_outputs

            with _writing_status(out, args.format):
                written = write_outputs(
                    result,
                    out,
                    args.file,
                    session.warnings,
                    session.registry,
                    formats=args.format,
                    # one database for every edition of a run, beside their folders
                    database=base / "results.sqlite",
                    min_coverage=args.min_coverage,
                )
        if args.json:
            from indexdsl.output.results import run_record

            record = run_record(result, args.file, session.warnings, session.registry)
            record["outputs"] = [str(p) for p in written]
            records.append(record)
        elif args.quiet:
            continue
        elif several:
            root = model.root.name
            scored = int((result.units.ranks[root] > 0).sum())
            line = f"{', '.join(f'{k}={v}' for k, v in parameters.items())}: {scored} units scored"
            for node, a in score_agreement(result).items():
                line += (
                    f"; `{node}` equal to the published score ({a['decimals']} decimals) "
                    f"for {a['agree']} of {a['compared']}"
                )
            console.print(line + (f" → {out}/" if written else ""))
        else:
            print_report(result, console, top=args.top, depth=args.depth)
            _print_availability(console, result, args.min_coverage)
            if written:
                console.print(
                    f"Wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written)
                )
    if args.json:
        import json  # only --json needs it (cold start)

        shown = records[0] if len(records) == 1 else records
        print(json.dumps(shown, indent=2, sort_keys=True, default=str))
    return EXIT_OK


def _print_availability(console, result, min_coverage) -> None:
    """`run`'s line on data availability, only when units are below the threshold."""
    from indexdsl.analyses.statistics import UNIT_COVERAGE, units_below

    below, indicators = units_below(result, min_coverage)
    if below:
        share = UNIT_COVERAGE if min_coverage is None else min_coverage
        shown = ", ".join(below[:10]) + (", …" if len(below) > 10 else "")
        console.print(
            f"Data availability: {len(below)} of {result.data.n_units} units have less "
            f"than {share:.0%} of the {indicators} indicators: {shown} "
            "(availability.csv; `indexdsl stats` for more)"
        )
