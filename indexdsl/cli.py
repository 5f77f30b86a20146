"""The `indexdsl` command.

Exit codes (docs/reference/cli.md): 0 success; 1 the index definition or its data have
errors; 2 usage (bad options); 3 a plugin failed; 4 an internal error (a bug in
indexdsl: please report it); 5 the results could not be written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_PLUGIN, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_OUTPUT = 5
EXIT_UNRELIABLE = 6  # an analysis where more evaluations failed than --max-failed allows
#: where the message of an internal error sends users (a section of the README)
BUG_REPORT = "the section 'Reporting a problem' of indexdsl's README"


def _parser() -> argparse.ArgumentParser:
    from indexdsl.version import __version__

    parser = argparse.ArgumentParser(
        prog="indexdsl",
        description="Compute composite indices defined in .idx files.",
    )
    parser.add_argument("--version", action="version", version=f"indexdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="compute an index, print its rankings, write every score")
    run.add_argument("file", type=Path, help="the index file (.idx)")
    run.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="output folder (default: indexdsl-out/<index name>)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index (repeatable); NAME=1990..2022 or "
        "NAME=a,b,c runs one edition per value",
    )
    run.add_argument("--top", type=_count, default=10, help="pathways to print (default 10)")
    run.add_argument(
        "--depth",
        type=_count,
        default=1,
        help="levels of the hierarchy to print rankings for (default 1; 2 adds the "
        "sub-dimensions, shown anyway where the file gives their published ranks)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
    run.add_argument(
        "--json",
        action="store_true",
        help="print the run record (scores location, agreement, warnings) as JSON",
    )
    run.add_argument("--no-write", action="store_true", help="do not write the output folder")
    run.add_argument(
        "--min-coverage",
        type=_coverage,
        default=None,
        metavar="SHARE",
        help="flag units with less than this share of the indicators (default 2/3; "
        "0.8, 80%% or 4/5): availability.csv and a line in the report",
    )

    run.add_argument(
        "--format",
        action="append",
        type=_format_option,
        metavar="FORMAT[,FORMAT...]",
        help="what to write besides the default tables (repeatable): csv (the default), "
        "json, md, sqlite (appends to results.sqlite), xlsx, parquet, html (report.html), "
        "or a plugin's format",
    )
    run.add_argument(
        "--only",
        action="store_true",
        help="write only the formats given with --format, not the default tables",
    )
    run.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="what computes the index: numpy (the default, in this process), dask (a local "
        "cluster, or the one of --scheduler), or a plugin's engine",
    )
    run.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: a running Dask scheduler (tcp://host:8786) whose workers "
        "compute, instead of a local cluster",
    )
    check = sub.add_parser("check", help="check an index file and its data without computing")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="how to print problems"
    )
    fmt = sub.add_parser("fmt", help="print an index file in the canonical layout")
    fmt.add_argument("file", type=Path)
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the file in place")
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if the file is not formatted; change nothing"
    )
    unc = sub.add_parser(
        "uncertainty", help="rank intervals when the inputs of the `uncertainty` block vary"
    )
    unc.add_argument("file", type=Path)
    unc.add_argument("-N", "--samples", type=int, default=1000, help="replications (1000)")
    unc.add_argument(
        "--seed", type=_seed, default=1, help="random seed (1): same seed, same result"
    )
    unc.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    unc.add_argument(
        "-o", "--out", type=Path, default=None, help="also write uncertainty.csv into this folder"
    )
    vary_help = (
        'an uncertain input, as a line of the `uncertainty` block (e.g. "aggregate arithmetic '
        'or geometric"); replaces the file\'s input of the same kind; "none" drops the file\'s'
    )
    unc.add_argument("--vary", action="append", default=[], metavar="INPUT", help=vary_help)
    failed_help = (
        "largest share of replications that may fail (an alternative that cannot be "
        "evaluated on these data) before the analysis is refused as not reliable (5%%)"
    )
    unc.add_argument("--max-failed", type=_share, default=0.05, metavar="SHARE", help=failed_help)
    _replication_engine_options(unc)
    sens = sub.add_parser(
        "sensitivity", help="Sobol indices of the uncertain inputs on the mean rank shift"
    )
    sens.add_argument("file", type=Path)
    sens.add_argument(
        "-N",
        "--samples",
        type=int,
        default=1024,
        help="base samples (1024; rounded up to a power of two): N·(inputs + 2) evaluations",
    )
    sens.add_argument("--seed", type=_seed, default=1, help="random seed (1)")
    sens.add_argument("--vary", action="append", default=[], metavar="INPUT", help=vary_help)
    sens.add_argument("--max-failed", type=_share, default=0.05, metavar="SHARE", help=failed_help)
    _replication_engine_options(sens)
    sens.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    aud = sub.add_parser(
        "audit",
        help="statistical audit: correlations, Cronbach's alpha, PCA, skewness and kurtosis",
    )
    aud.add_argument("file", type=Path)
    aud.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    stat = sub.add_parser(
        "stats",
        help="statistics and data quality: availability, indicator statistics, "
        "correlations, effective weights and importance",
    )
    stat.add_argument("file", type=Path)
    stat.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    stat.add_argument(
        "--min-coverage",
        type=_coverage,
        default=None,
        metavar="SHARE",
        help="flag units with less than this share of the indicators (default 2/3; "
        "0.8, 80%% or 4/5)",
    )
    stat.add_argument(
        "--top", type=_count, default=10, help="least covered units listed (default 10)"
    )
    what = sub.add_parser(
        "whatif", help="rank changes when a node of the hierarchy is left out (or added)"
    )
    what.add_argument("file", type=Path)
    what.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="NODE",
        help="leave out this node (repeatable); its siblings keep their relative weights",
    )
    what.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="NODE",
        help="the effect of adding this node (repeatable): the index without it, then as "
        "written; + is a rise in rank when it is added",
    )
    what.add_argument(
        "--published",
        metavar="COLUMN",
        help="a column of the units table holding the published rank changes, shown "
        "beside the computed ones",
    )
    what.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    fit = sub.add_parser(
        "fit", help="the weights of a node's children that best reproduce published values"
    )
    fit.add_argument("file", type=Path)
    fit.add_argument(
        "--node", default=None, help="the node whose children are weighted (default: the index)"
    )
    fit.add_argument(
        "--against",
        required=True,
        metavar="COLUMN",
        help="the column of the units table holding the published scores (or ranks)",
    )
    fit.add_argument(
        "--ranks", action="store_true", help="the column holds ranks (1 best), not scores"
    )
    fit.add_argument(
        "--bootstrap",
        type=_count,
        default=0,
        metavar="N",
        help="resample the units N times for an interval per weight (0: none)",
    )
    fit.add_argument("--seed", type=_seed, default=1, help="random seed of the bootstrap (1)")
    fit.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    expl = sub.add_parser("explain", help="why a unit ranks where it does")
    expl.add_argument("file", type=Path)
    expl.add_argument("unit", help="the unit's key or label")
    expl.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    expl.add_argument(
        "--rivals", type=int, default=2, help="units shown above and below it (default 2)"
    )
    graph = sub.add_parser("graph", help="print the computation graph (Graphviz DOT or Mermaid)")
    graph.add_argument("file", type=Path)
    graph.add_argument(
        "--format", choices=("dot", "mermaid"), default="dot", help="output language (dot)"
    )
    graph.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    plot = sub.add_parser(
        "plot",
        help="draw a figure as SVG or PNG: framework, correlations, distribution, scatter, "
        "contributions, ranks",
    )
    plot.add_argument(
        "kind",
        choices=("framework", "correlations", "distribution", "scatter", "contributions", "ranks"),
        help="what to draw",
    )
    plot.add_argument("file", type=Path)
    plot.add_argument(
        "nodes",
        nargs="*",
        metavar="NODE",
        help="distribution: one node; scatter: two; correlations: any (instead of --level)",
    )
    plot.add_argument(
        "-o", "--out", type=Path, required=True, help="the figure to write (.svg or .png)"
    )
    plot.add_argument(
        "--style", choices=("tree", "sunburst"), default="tree", help="framework: tree or sunburst"
    )
    plot.add_argument(
        "--level",
        default="indicators",
        help="correlations: `indicators` (default) or a depth of the hierarchy (1: dimensions)",
    )
    plot.add_argument(
        "--against", default=None, metavar="LEVEL", help="correlations: columns at another level"
    )
    plot.add_argument(
        "--raw", action="store_true", help="indicators' values before normalisation, not scores"
    )
    plot.add_argument(
        "--node", default=None, help="contributions: the node split into its children (the index)"
    )
    plot.add_argument(
        "--label", type=_count, default=3, help="scatter: units named at each extreme (3)"
    )
    plot.add_argument(
        "--top",
        type=_count,
        default=None,
        help="contributions, ranks: the first N units (default: all, up to 150)",
    )
    plot.add_argument(
        "-N", "--samples", type=int, default=200, help="ranks: uncertainty replications (200)"
    )
    plot.add_argument("--seed", type=_seed, default=1, help="ranks: random seed (1)")
    plot.add_argument(
        "--vary", action="append", default=[], metavar="INPUT", help="ranks: " + vary_help
    )
    plot.add_argument(
        "--max-failed", type=_share, default=0.05, metavar="SHARE", help="ranks: " + failed_help
    )
    plot.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
    new = sub.add_parser("new", help="write a starter index NAME.idx and a tiny data set")
    new.add_argument("name", help="the index's short name (letters, digits, underscores)")
    new.add_argument(
        "--dir", type=Path, default=Path("."), help="folder to write into (default: here)"
    )
    new.add_argument(
        "--from",
        dest="data",
        type=Path,
        metavar="DATA.csv",
        help="start from your own data file instead of the made-up one: each numeric "
        "column becomes an indicator (the file is read, not copied or changed)",
    )
    new.add_argument("--key", metavar="COLUMN", help="with --from: the column naming the units")
    cmp_ = sub.add_parser(
        "compare", help="compare the ranking with another index file's, or with a ranking column"
    )
    cmp_.add_argument("file", type=Path)
    cmp_.add_argument(
        "other", type=Path, nargs="?", help="another index file ranking the same units"
    )
    cmp_.add_argument(
        "--ranking",
        metavar="COLUMN",
        help="instead of another file: a column of the units table holding another "
        "ranking of the units (another index's published ranks)",
    )
    cmp_.add_argument("--top", type=_count, default=10, help="movers to list (10)")
    for command, stem in (
        (unc, None), (sens, "sensitivity"), (aud, "audit_nodes.csv, audit_children"),
        (stat, "statistics.csv, availability"), (what, "whatif"),
        (fit, "fit_weights, fit_units"), (cmp_, "compare"),
    ):  # fmt: skip
        if stem is not None:
            command.add_argument(
                "-o", "--out", type=Path, default=None,
                help=f"also write the results as CSV ({stem}…) and JSON into this folder",
            )  # fmt: skip
        command.add_argument(
            "--format", choices=("text", "json"), default="text",
            help="text tables (the default), or JSON on standard output, for scripts",
        )  # fmt: skip
    plug = sub.add_parser(
        "plugins", help="list every plugin (distribution, version, hooks) and its components"
    )
    plug.add_argument("--format", choices=("text", "json"), default="text", help="output")
    sub.add_parser(
        "lsp", help="the language server for editors (Language Server Protocol on stdin/stdout)"
    )
    serve = sub.add_parser(
        "serve", help="explore an index in the browser: move weights and choices, re-rank, save"
    )
    serve.add_argument("file", type=Path)
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (8765; 0: any)")
    serve.add_argument("--no-open", action="store_true", help="do not open a browser")
    # a global option, accepted before or after the command
    for where in (parser, *sub.choices.values()):
        where.add_argument(
            "--disable-plugin",
            action="append",
            default=[] if where is parser else argparse.SUPPRESS,
            dest="disable_plugin" if where is parser else "disable_plugin_after",
            metavar="NAME",
            help="leave out this plugin (entry-point or distribution name; repeatable); "
            "also INDEXDSL_DISABLE_PLUGINS=a,b",
        )
    return parser


def _count(text: str) -> int:
    """A whole number, 0 or more (``--top``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"`{text}` is negative; give 0 or more")
    return value


def _seed(text: str) -> int:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    value = _count(text)
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"`{text}` is too large for a seed (below 2**63)")
    return value


_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
#: editions one `--set NAME=A..B` may ask for
MAX_EDITIONS = 1000


def inert_console(**options):
    """The console every command prints with: text from an index or its data reaches
    the terminal with its control characters written out (rich is imported here)."""
    from indexdsl.output.inert import console

    return console(**options)


def _coverage(text: str) -> float:
    from indexdsl.analyses.statistics import coverage_option

    return coverage_option(text)


def _share(text: str) -> float:
    """``5%`` or ``0.05``: a share between 0 and 1 (for ``--max-failed``)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a share (write 5% or 0.05)") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not between 0% and 100%")
    return value


def _colour(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _print_diagnostics(diagnostics, sources, as_json: bool = False) -> None:
    from indexdsl.diagnostics import render_all, render_json

    if not diagnostics:
        return
    if as_json:  # for editors: JSON always on standard output, problems or not
        print(render_json(diagnostics))
    else:
        print(render_all(diagnostics, sources, colour=_colour(sys.stderr)), file=sys.stderr)


def parse_settings(items: list[str]) -> list[dict[str, str]]:
    """``--set`` options → the parameter sets to run, one per edition.

    ``year=2015`` sets one value; ``year=1990..2022`` (whole numbers, both ends
    included) or ``year=2000,2010,2022`` runs one edition per value.  At most one
    parameter may take several values.
    """
    from indexdsl.diagnostics import UsageError

    fixed: dict[str, str] = {}
    varying: tuple[str, list[str]] | None = None
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text:
            raise UsageError(f"`--set {item}`: write `--set NAME=VALUE`")
        values = [v.strip() for v in text.split(",")]
        if len(values) > MAX_EDITIONS:
            raise UsageError(f"`--set {name}=…`: one run computes at most {MAX_EDITIONS} editions")
        if len(values) == 1 and ".." in text:
            low, _, high = text.partition("..")
            try:
                if not (_WHOLE.fullmatch(low.strip()) and _WHOLE.fullmatch(high.strip())):
                    raise ValueError
                first, last = int(low), int(high)
            except ValueError:
                raise UsageError(
                    f"`--set {item}`: a range is two whole numbers, e.g. 1990..2022"
                ) from None
            if last < first:
                raise UsageError(f"`--set {item}`: the range is empty")
            if last - first + 1 > MAX_EDITIONS:
                raise UsageError(
                    f"`--set {item}`: {last - first + 1} editions; one run computes at most "
                    f"{MAX_EDITIONS}"
                )
            values = [str(v) for v in range(first, last + 1)]
        if len(values) > 1:
            if varying is not None:
                raise UsageError("only one `--set` may give several values")
            varying = (name, values)
        else:
            fixed[name] = values[0]
    if varying is None:
        return [fixed]
    name, values = varying
    return [{**fixed, name: value} for value in values]


def _format_option(text: str) -> tuple[str, ...]:
    from indexdsl.output.exports import format_option

    return format_option(text)


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
        shown = records[0] if len(records) == 1 else records
        print(json.dumps(shown, indent=2, sort_keys=True, default=str))
    return EXIT_OK


def _replication_engine_options(parser) -> None:
    """`--engine`, `--scheduler` and `--workers` of `uncertainty` and `sensitivity`: what
    evaluates the chunks of replications (the inputs are drawn in this process)."""
    parser.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="what evaluates the replications: numpy (the default, in this process), dask "
        "(chunks of replications on the workers of a local cluster, or of --scheduler), "
        "or a plugin's engine; same seed, same result",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: a running Dask scheduler (tcp://host:8786) whose workers "
        "compute, instead of a local cluster",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="with --engine dask: worker processes of the local cluster (2)",
    )


def _replication_engine(args, session):
    """The engine of `--engine`/`--scheduler`/`--workers`; None: in this process."""
    from indexdsl.diagnostics import UsageError

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"`--workers {args.workers}`: give 1 or more")
    if args.engine is None and args.scheduler is None and args.workers is None:
        return None
    engine = _engine(args.engine, args.scheduler, session)
    if args.workers is not None:
        if not any(p.name == "workers" for p in engine.params):
            raise UsageError(
                f"`--workers` is for an engine that starts a local cluster; `{engine.name}` "
                "does not (add `--engine dask`)"
            )
        if args.scheduler is not None:
            raise UsageError(
                "`--workers` is for a local cluster; with `--scheduler` the cluster's own "
                "workers compute (leave out one of them)"
            )
        engine.values["workers"] = args.workers
    return engine


def _engine(name: str | None, scheduler: str | None, session):
    """The engine ``--engine`` names (the default one when only ``--scheduler`` is
    given), with its library present; a usage error otherwise."""
    from indexdsl.diagnostics import UsageError
    from indexdsl.plugins import load_registry

    registry = session.registry = session.registry or load_registry(session.disabled_plugins)
    names = list(registry.components["engine"])
    provided = registry.get("engine", name) if name else registry.default("engine")
    if provided is None:
        hints = registry.suggestions("engine", name) if name else []
        hint = f"; did you mean {' or '.join(hints)}?" if hints else ""
        raise UsageError(
            f"`--engine {name}`: no such engine{hint} (choose from {', '.join(names)})"
        )
    cls = provided.cls
    if scheduler is not None and not any(p.name == "scheduler" for p in cls.params):
        raise UsageError(
            f"`--scheduler` is for an engine that runs on a cluster; `{cls.name}` does not "
            "(add `--engine dask`)"
        )
    if cls.requires:
        modules, extra = cls.requires
        for module in (modules,) if isinstance(modules, str) else modules:
            try:
                __import__(module)
            except ImportError:
                raise UsageError(
                    f"`--engine {cls.name}` needs {module}, which is not installed; install "
                    f'it with `pip install "indexdsl[{extra}]"`'
                ) from None
    return cls(scheduler=scheduler) if scheduler is not None else cls()


def cmd_check(args, session) -> int:
    from indexdsl.pipeline import check_file, load

    model = check_file(args.file, session)
    load(model, args.file, session)
    if args.format == "json":
        from indexdsl.diagnostics import render_json

        print(render_json(session.warnings))  # `[]` when the file is clean
        return EXIT_OK
    _print_diagnostics(session.warnings, session.sources)
    if args.format == "text":
        leaves = sum(1 for n in model.root.walk() if n.is_leaf)
        inner = len(model.nodes()) - leaves
        print(
            f"{args.file}: ok ({leaves} indicator{'s' if leaves != 1 else ''}, "
            f"{inner} node{'s' if inner != 1 else ''} above them)"
        )
    return EXIT_OK


def cmd_fmt(args, session) -> int:
    from indexdsl.pipeline import read_text
    from indexdsl.syntax.formatter import format_text

    text, shown = read_text(args.file, session)
    formatted = format_text(text, shown)
    if args.check:
        if formatted != text:
            print(f"{shown}: not formatted (run `indexdsl fmt --write {shown}`)", file=sys.stderr)
            return EXIT_INVALID
        return EXIT_OK
    if args.write:
        if formatted != text:
            import os
            import tempfile

            folder = args.file.resolve().parent
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=folder, delete=False, suffix=".idx.tmp"
            ) as handle:
                handle.write(formatted)
            os.replace(handle.name, args.file)
        return EXIT_OK
    sys.stdout.write(formatted)
    return EXIT_OK


def _uncertain_model(args, session):
    """The checked model, its data and an evaluator, for `uncertainty` and `sensitivity`."""
    from indexdsl.diagnostics import DiagnosticError, UsageError
    from indexdsl.errors import commands as errors
    from indexdsl.pipeline import check_file, evaluator, load

    editions = parse_settings(args.set)
    if len(editions) > 1:
        raise UsageError(f"`{args.command}` runs one edition; give each `--set` one value")
    if args.samples < 1:
        raise UsageError("-N must be at least 1")
    model = check_file(args.file, session, editions[0], args.vary)
    if model.uncertainty is None:
        raise DiagnosticError([errors.no_uncertain_inputs(model.file)])
    data = load(model, args.file, session)
    _print_diagnostics(session.warnings, session.sources)
    return model, data, evaluator(model, data)


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


def _analysis_results(args, command: str, settings: dict, tables: list) -> bool:
    """Write an analysis's results with ``-o`` and print them as JSON with ``--format
    json``; True when JSON was printed (the terminal tables are then left out)."""
    from indexdsl.output import analysis_files

    data = analysis_files.record(command, args.file, settings, tables)
    if getattr(args, "out", None) is not None and command != "uncertainty":
        analysis_files.write(args.out, command, data, tables)
    if args.format == "json":
        sys.stdout.write(analysis_files.to_json(data))
        return True
    return False


def _rank_statistic(value: float) -> str:
    """A median or percentile of ranks: two decimals at most (``23.05``, not
    ``23.049999999999997``); a dash for a unit with no rank in any replication."""
    return "–" if value != value else f"{round(float(value), 2):g}"


def _print_failures(console, failures: dict, levels: dict, total: int, what: str) -> None:
    """Why evaluations failed, and how often each alternative failed when drawn."""
    for reason, count in failures.items():
        console.print(f"{count} of {total} {what} could not be evaluated (left out): {reason}")
    for level, (failed, drawn) in levels.items():
        if failed:
            console.print(f"  {level}: {failed} of the {drawn} {what} that drew it failed")


def _run_one_edition(args, session):
    from indexdsl.diagnostics import UsageError
    from indexdsl.pipeline import run_file

    editions = parse_settings(args.set)
    if len(editions) > 1:
        raise UsageError(f"`{args.command}` runs one edition; give each `--set` one value")
    result, _ = run_file(args.file, session, editions[0])
    _print_diagnostics(session.warnings, session.sources)
    return result


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


def cmd_fit(args, session) -> int:
    from rich.table import Table

    from indexdsl.analyses.fitting import fit_weights
    from indexdsl.output.analysis_files import AnalysisTable
    from indexdsl.pipeline import evaluate_model

    result = _run_one_edition(args, session)
    found = fit_weights(
        result, args.node, args.against, ranks=args.ranks, bootstrap=args.bootstrap,
        seed=args.seed, evaluate=evaluate_model,
    )  # fmt: skip
    data = result.data
    intervals = found.intervals
    weight_rows = [
        (
            child, found.declared[c], found.weights[c],
            intervals[c, 0] if intervals is not None else None,
            intervals[c, 1] if intervals is not None else None,
            found.spread[c] if found.spread is not None else None,
        )
        for c, child in enumerate(found.children)
    ]  # fmt: skip
    fits = [
        ("declared weights, as the index computes", found.computed_fit),
        ("declared weights, best linear map" if found.affine else None, found.declared_fit),
        ("fitted weights", found.fit),
        ("fitted weights, as the index computes", found.refitted_fit),
    ]
    fits = [(name, g) for name, g in fits if name is not None and g is not None]
    used = set(found.used.tolist())
    unit_rows = [
        (
            data.keys[i], data.labels[i], found.published[i], found.fitted[i],
            found.fitted[i] - found.published[i] if i in used and not args.ranks else None,
            "yes" if i in used else "no",
        )
        for i in range(data.n_units)
    ]  # fmt: skip
    tables = [
        AnalysisTable(
            "fit_weights", ("child", "declared", "fitted", "low", "high", "sd"), weight_rows
        ),
        AnalysisTable(
            "fit_goodness",
            ("weights", "r2", "rmse", "max_error", "exact_ranks", "units", "spearman",
             "pairs_in_order"),
            [
                (name, g.r2, g.rmse, g.max_error, g.exact, g.n, g.spearman, g.concordant)
                for name, g in fits
            ],
        ),
        AnalysisTable(
            "fit_units", ("unit", "label", "published", "fitted", "error", "used"), unit_rows
        ),
    ]  # fmt: skip
    settings = {
        "node": found.node, "against": found.against, "kind": found.kind,
        "affine": found.affine, "intercept": found.intercept, "scale": found.scale,
        "bootstrap": found.bootstrap, "seed": found.seed, "units_used": len(found.used),
        "missing_published": [data.keys[i] for i in found.missing_published],
        "missing_children": [data.keys[i] for i in found.missing_children],
    }  # fmt: skip
    if _analysis_results(args, "fit", settings, tables):
        return EXIT_OK
    console = inert_console()
    left = len(found.missing_published) + len(found.missing_children)
    console.print(
        f"Weights of the children of `{found.node}` fitted to the published {found.kind} in "
        f"`{found.against}`: {len(found.used)} units used, {left} left out "
        f"({len(found.missing_published)} without a published value, "
        f"{len(found.missing_children)} without a score for every child)",
        markup=False,
    )
    table = Table(title="Weights", title_justify="left")
    heading = f"95% interval (bootstrap {found.bootstrap}, seed {found.seed})"
    for name in ("child", "declared", "fitted", *((heading,) if intervals is not None else ())):
        table.add_column(name, justify="left" if name == "child" else "right")
    for child, declared, fitted, low, high, _ in weight_rows:
        cells = [child, f"{declared:.3f}", f"{fitted:.3f}"]
        if intervals is not None:
            cells.append(f"{low:.3f} – {high:.3f}")
        table.add_row(*cells)
    console.print(table)
    table = Table(title="Goodness of fit", title_justify="left")
    for name in ("weights", "R²", "RMSE", "max |error|", "exact ranks", "Spearman ρ",
                 "pairs in order"):  # fmt: skip
        table.add_column(name, justify="left" if name == "weights" else "right")
    for name, g in fits:
        table.add_row(
            name,
            "–" if g.r2 is None else f"{g.r2:.3f}",
            "–" if g.rmse is None else f"{g.rmse:.2f}",
            "–" if g.max_error is None else f"{g.max_error:.2f}",
            f"{g.exact} / {g.n}",
            f"{g.spearman:.3f}",
            f"{g.concordant:.1%}",
        )
    console.print(table)
    if found.affine:
        console.print(
            f"`{found.node}` rescales its score, so the published values are fitted as "
            f"{found.intercept:.3g} + {found.scale:.3g} × the weighted mean of its children",
            markup=False,
        )
    if found.degenerate:
        console.print(
            "no child's score increases with the published values: the weights are "
            "undetermined (shown equal)",
            markup=False,
        )
    return EXIT_OK


def _one_edition(args) -> dict[str, str]:
    from indexdsl.diagnostics import UsageError

    editions = parse_settings(args.set)
    if len(editions) > 1:
        raise UsageError(f"`{args.command}` runs one edition; give each `--set` one value")
    return editions[0]


def cmd_explain(args, session) -> int:

    from indexdsl.analyses.explain import explain, render
    from indexdsl.pipeline import run_file

    result, session = run_file(args.file, session, _one_edition(args))
    explanation = explain(result, args.unit, rivals=max(args.rivals, 0))
    _print_diagnostics(session.warnings, session.sources)
    console = inert_console()
    render(explanation, console)
    return EXIT_OK


def cmd_graph(args, session) -> int:
    from indexdsl.output.graphviz import render
    from indexdsl.pipeline import check_file

    model = check_file(args.file, session, _one_edition(args))
    _print_diagnostics(session.warnings, session.sources)
    sys.stdout.write(render(model, args.format))
    return EXIT_OK


def cmd_plot(args, session) -> int:
    from indexdsl.output import plots
    from indexdsl.pipeline import check_file, evaluate_model, run_file

    plots.check_target(args.out)  # before computing: the suffix, and matplotlib installed
    if args.kind == "framework":
        model = check_file(args.file, session, _one_edition(args))
        _print_diagnostics(session.warnings, session.sources)
        figure = plots.plot_framework(model, style=args.style)
    elif args.kind == "ranks":
        model, data, engine = _uncertain_model(args, session)
        from indexdsl.analyses.uncertainty import run_uncertainty

        result = run_uncertainty(engine, model.uncertainty, args.samples, args.seed)
        if not result.reliable(args.max_failed):
            failed = result.replications - result.evaluated
            print(
                f"error: {failed} of {result.replications} replications "
                f"({result.failed_share:.0%}) could not be evaluated, more than the "
                f"{args.max_failed:.0%} allowed: the analysis is not reliable, and nothing was "
                "drawn. Replace the alternative that fails, or accept the share with --max-failed",
                file=sys.stderr,
            )
            return EXIT_UNRELIABLE
        nominal = evaluate_model(model, data)
        settings = [*result.inputs, f"seed {args.seed}"]
        if result.failed.any():
            failed = result.replications - result.evaluated
            settings.append(f"{failed} of {result.replications} replications failed, left out")
        figure = plots.plot(
            nominal, "ranks", *args.nodes, uncertainty=result, settings=settings, top=args.top
        )
    else:
        result, _ = run_file(args.file, session, _one_edition(args))
        _print_diagnostics(session.warnings, session.sources)
        options = {
            "correlations": {"level": args.level, "against": args.against, "raw": args.raw},
            "distribution": {"raw": args.raw},
            "scatter": {"label": args.label, "raw": args.raw},
            "contributions": {"node": args.node, "top": args.top},
        }[args.kind]
        figure = plots.plot(result, args.kind, *args.nodes, **options)
    plots.save(figure, args.out)
    print(f"Wrote {args.out}.")
    return EXIT_OK


def cmd_new(args, session) -> int:
    from indexdsl.starter import create

    if args.key and not args.data:
        from indexdsl.diagnostics import UsageError

        raise UsageError("`--key` names a column of the file given with `--from`")
    written = create(args.name, args.dir, args.data, args.key)
    index = written[0]
    print("Wrote " + " and ".join(str(p) for p in written) + ".")
    print(f"Run it with: indexdsl run {index}")
    return EXIT_OK


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


def cmd_plugins(args, session) -> int:
    from rich.table import Table

    from indexdsl.plugins import load_registry

    registry = load_registry(session.disabled_plugins)
    failed = any(i.status == "failed" for i in registry.infos.values())
    if args.format == "json":
        print(json.dumps(plugins_record(registry), indent=2))
        return EXIT_PLUGIN if failed else EXIT_OK
    _print_diagnostics(registry.problems, session.sources)
    console = inert_console(width=None if sys.stdout.isatty() else 160)
    plugins = Table(title="Installed plugins")
    for heading in ("plugin", "distribution", "version", "status", "hooks", "components"):
        plugins.add_column(heading)
    for info in registry.infos.values():
        provided = [name for _, name, p in registry.all() if p.plugin == info.name]
        hooks = [h.removeprefix("indexdsl_register_") for h in info.hooks]
        plugins.add_row(
            info.name,
            info.distribution,
            info.version,
            info.status,
            ", ".join(hooks),
            ", ".join(provided),
        )
    console.print(plugins)
    table = Table(title="Installed components")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("parameters")
    table.add_column("plugin")
    table.add_column("what it does")
    for role, name, provided in registry.all():
        params = ", ".join(
            p.name if p.required else f"{p.name}={p.default!r}" for p in provided.cls.params
        )
        table.add_row(role, name, params, provided.plugin, provided.cls.summary)
    console.print(table)
    return EXIT_PLUGIN if failed else EXIT_OK


def cmd_lsp(args, session) -> int:
    """The language server: an editor starts it and speaks to it on stdin and stdout."""
    from indexdsl.diagnostics import UsageError
    from indexdsl.plugins import load_registry

    try:
        import pygls  # noqa: F401  (the `lsp` extra)
    except ImportError:
        raise UsageError(
            "`indexdsl lsp` needs pygls, which is not installed; install it with "
            '`pip install "indexdsl[lsp]"`'
        ) from None
    from indexdsl.lsp.server import build

    build(load_registry(session.disabled_plugins)).start_io()
    return EXIT_OK


def cmd_serve(args, session) -> int:
    """The explorer: a local web server on 127.0.0.1 until Ctrl-C."""
    from indexdsl.diagnostics import UsageError
    from indexdsl.serve.server import make_server
    from indexdsl.serve.session import Explorer

    explorer = Explorer.open(args.file)
    _print_diagnostics(explorer.session.warnings, explorer.session.sources)
    try:
        server = make_server(explorer, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"exploring {args.file} at {url} (Ctrl-C to stop)", flush=True)
    if not args.no_open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def plugins_record(registry) -> dict:
    """What `indexdsl plugins --format json` prints: plugins, components, problems."""
    return {
        "plugins": [
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "status": info.status,
                "hooks": list(info.hooks),
                "components": [
                    {"kind": role, "name": name}
                    for role, name, p in registry.all()
                    if p.plugin == info.name
                ],
            }
            for info in registry.infos.values()
        ],
        "components": [
            {
                "kind": role,
                "name": name,
                "plugin": p.plugin,
                "parameters": [param.name for param in p.cls.params],
                "summary": p.cls.summary,
            }
            for role, name, p in registry.all()
        ],
        "problems": [d.to_dict() for d in registry.problems],
    }


class _NeverRaised(Exception):
    pass


def _output_error() -> type[Exception]:
    """``indexdsl.output.exports.OutputError``, if that module was imported (only writing raises
    it); it is not imported for a run that writes nothing (cold start)."""
    exports = sys.modules.get("indexdsl.output.exports")
    return exports.OutputError if exports is not None else _NeverRaised


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so that writing cleans up as for Ctrl-C."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return _main(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # arrived while a problem was being reported
        terminated = isinstance(exc, _Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return 128 + (15 if terminated else 2)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from indexdsl.diagnostics import DiagnosticError, PluginError, UsageError
    from indexdsl.pipeline import Session

    handler = {
        "run": cmd_run,
        "check": cmd_check,
        "fmt": cmd_fmt,
        "uncertainty": cmd_uncertainty,
        "sensitivity": cmd_sensitivity,
        "audit": cmd_audit,
        "stats": cmd_stats,
        "whatif": cmd_whatif,
        "fit": cmd_fit,
        "compare": cmd_compare,
        "explain": cmd_explain,
        "graph": cmd_graph,
        "plot": cmd_plot,
        "new": cmd_new,
        "plugins": cmd_plugins,
        "lsp": cmd_lsp,
        "serve": cmd_serve,
    }[args.command]
    from indexdsl.plugins import disabled_from_environment

    disabled = [*args.disable_plugin, *getattr(args, "disable_plugin_after", [])]
    session = Session(
        disabled_plugins=(*disabled, *disabled_from_environment()) if disabled else None
    )
    try:
        return handler(args, session)
    except DiagnosticError as exc:
        # warnings found before the failure still help the user
        shown = [*session.warnings, *exc.diagnostics]
        _print_diagnostics(shown, session.sources, getattr(args, "format", "text") == "json")
        return EXIT_INVALID
    except UsageError as exc:
        from indexdsl.diagnostics import printable

        print(f"indexdsl: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except _output_error() as exc:  # the run's warnings were printed before writing
        _print_diagnostics([exc.diagnostic()], session.sources)
        return EXIT_OUTPUT
    except PluginError as exc:
        as_json = getattr(args, "format", "text") == "json"
        _print_diagnostics([exc.diagnostic], session.sources, as_json)
        return EXIT_PLUGIN
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: writing has cleaned up behind it
        terminated = isinstance(exc, _Terminated)
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return 128 + (15 if terminated else 2)
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        import tempfile

        with tempfile.NamedTemporaryFile(
            "w", prefix="indexdsl-crash-", suffix=".txt", delete=False
        ) as report:
            traceback.print_exc(file=report)
        print(
            "internal error: indexdsl failed unexpectedly. This is a bug in indexdsl, not a "
            f"mistake in your index file. Please report it as {BUG_REPORT} says, and attach "
            f"{report.name} (the details of the failure).",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
