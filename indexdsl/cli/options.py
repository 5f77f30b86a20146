"""Every command's options (argparse) and the types that read them."""

from __future__ import annotations

import argparse
from pathlib import Path


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
    _parameter_option(unc)
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
    _parameter_option(sens)
    aud = sub.add_parser(
        "audit",
        help="statistical audit: correlations, Cronbach's alpha, PCA, skewness and kurtosis",
    )
    aud.add_argument("file", type=Path)
    _parameter_option(aud)
    stat = sub.add_parser(
        "stats",
        help="statistics and data quality: availability, indicator statistics, "
        "correlations, effective weights and importance",
    )
    stat.add_argument("file", type=Path)
    _parameter_option(stat)
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
    _parameter_option(what)
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
    _parameter_option(fit)
    expl = sub.add_parser("explain", help="why a unit ranks where it does")
    expl.add_argument("file", type=Path)
    expl.add_argument("unit", help="the unit's key or label")
    _parameter_option(expl)
    expl.add_argument(
        "--rivals", type=int, default=2, help="units shown above and below it (default 2)"
    )
    graph = sub.add_parser("graph", help="print the computation graph (Graphviz DOT or Mermaid)")
    graph.add_argument("file", type=Path)
    graph.add_argument(
        "--format", choices=("dot", "mermaid"), default="dot", help="output language (dot)"
    )
    _parameter_option(graph)
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
    _parameter_option(plot)
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


def _format_option(text: str) -> tuple[str, ...]:
    from indexdsl.output.exports import format_option

    return format_option(text)


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


def _parameter_option(parser) -> None:
    """`--set NAME=VALUE`, the same on every command that reads an index."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index",
    )
