"""Every command's options (argparse) and the types that read them.

A run makes the parser and the options of its own command only (cold start): every command
is registered with its help line, and the command argparse selects is made when argparse
reaches it (`_Commands`); `_parser(lazy=False)` makes them all at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_VARY_HELP = (
    'an uncertain input, as a line of the `uncertainty` block (e.g. "aggregate arithmetic '
    'or geometric"); replaces the file\'s input of the same kind; "none" drops the file\'s'
)
_FAILED_HELP = (
    "largest share of replications that may fail (an alternative that cannot be "
    "evaluated on these data) before the analysis is refused as not reliable (5%%)"
)


class _Later:
    """A command's parser not made yet: what argparse gives to make it, and the function
    adding the command's options."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.options = None


class _Commands(argparse._SubParsersAction):
    """The commands: the parser of the one argparse selects, with its options, is made when
    it is selected, before it parses the rest of the command line."""

    def __call__(self, parser, namespace, values, option_string=None):
        later = self._name_parser_map.get(values[0])
        if isinstance(later, _Later):
            command = self.make(**later.kwargs)
            _add_options(command, later.options)
            self._name_parser_map[values[0]] = command
        super().__call__(parser, namespace, values, option_string)


def _parser(*, lazy: bool = True) -> argparse.ArgumentParser:
    """The command line's parser; `lazy`: a command's parser and its options are made only
    when that command is parsed (the help of the commands and of each command is the same,
    and each command's parser is the one `lazy=False` makes at once)."""
    from indexdsl.version import __version__

    parser = argparse.ArgumentParser(
        prog="indexdsl",
        description="Compute composite indices defined in .idx files.",
    )
    parser.add_argument("--version", action="version", version=f"indexdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands)
    sub.make = sub._parser_class
    if lazy:
        sub._parser_class = _Later
    for name, (help_text, options) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if lazy:
            command.options = options
        else:
            _add_options(command, options)
    # a global option, accepted before or after the command (also added to each command)
    _disable_plugin_option(parser, after=False)
    return parser


def _add_options(command: argparse.ArgumentParser, options) -> None:
    options(command)
    _disable_plugin_option(command, after=True)


def _disable_plugin_option(parser: argparse.ArgumentParser, *, after: bool) -> None:
    parser.add_argument(
        "--disable-plugin",
        action="append",
        default=argparse.SUPPRESS if after else [],
        dest="disable_plugin_after" if after else "disable_plugin",
        metavar="NAME",
        help="leave out this plugin (entry-point or distribution name; repeatable); "
        "also INDEXDSL_DISABLE_PLUGINS=a,b",
    )


def _results_options(parser: argparse.ArgumentParser, stem: str | None) -> None:
    """`-o` (where `stem` names the files) and `--format` of the analysis commands."""
    if stem is not None:
        parser.add_argument(
            "-o", "--out", type=Path, default=None,
            help=f"also write the results as CSV ({stem}…) and JSON into this folder",
        )  # fmt: skip
    parser.add_argument(
        "--format", choices=("text", "json"), default="text",
        help="text tables (the default), or JSON on standard output, for scripts",
    )  # fmt: skip


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the index file (.idx)")
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="output folder (default: indexdsl-out/<index name>)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change a `parameter` of the index (repeatable); NAME=1990..2022 or "
        "NAME=a,b,c runs one edition per value",
    )
    parser.add_argument("--top", type=_count, default=10, help="pathways to print (default 10)")
    parser.add_argument(
        "--depth",
        type=_count,
        default=1,
        help="levels of the hierarchy to print rankings for (default 1; 2 adds the "
        "sub-dimensions, shown anyway where the file gives their published ranks)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the run record (scores location, agreement, warnings) as JSON",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write the output folder")
    parser.add_argument(
        "--min-coverage",
        type=_coverage,
        default=None,
        metavar="SHARE",
        help="flag units with less than this share of the indicators (default 2/3; "
        "0.8, 80%% or 4/5): availability.csv and a line in the report",
    )
    parser.add_argument(
        "--format",
        action="append",
        type=_format_option,
        metavar="FORMAT[,FORMAT...]",
        help="what to write besides the default tables (repeatable): csv (the default), "
        "json, md, sqlite (appends to results.sqlite), xlsx, parquet, html (report.html), "
        "or a plugin's format",
    )
    parser.add_argument(
        "--only",
        action="store_true",
        help="write only the formats given with --format, not the default tables",
    )
    parser.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="what computes the index: numpy (the default, in this process), dask (a local "
        "cluster, or the one of --scheduler), or a plugin's engine",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --engine dask: a running Dask scheduler (tcp://host:8786) whose workers "
        "compute, instead of a local cluster",
    )


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="how to print problems"
    )


def _fmt_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the file in place")
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if the file is not formatted; change nothing"
    )


def _uncertainty_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("-N", "--samples", type=int, default=1000, help="replications (1000)")
    parser.add_argument(
        "--seed", type=_seed, default=1, help="random seed (1): same seed, same result"
    )
    _parameter_option(parser)
    parser.add_argument(
        "-o", "--out", type=Path, default=None, help="also write uncertainty.csv into this folder"
    )
    parser.add_argument("--vary", action="append", default=[], metavar="INPUT", help=_VARY_HELP)
    parser.add_argument(
        "--max-failed", type=_share, default=0.05, metavar="SHARE", help=_FAILED_HELP
    )
    _replication_engine_options(parser)
    _results_options(parser, None)


def _sensitivity_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "-N",
        "--samples",
        type=int,
        default=1024,
        help="base samples (1024; rounded up to a power of two): N·(inputs + 2) evaluations",
    )
    parser.add_argument("--seed", type=_seed, default=1, help="random seed (1)")
    parser.add_argument("--vary", action="append", default=[], metavar="INPUT", help=_VARY_HELP)
    parser.add_argument(
        "--max-failed", type=_share, default=0.05, metavar="SHARE", help=_FAILED_HELP
    )
    _replication_engine_options(parser)
    _parameter_option(parser)
    _results_options(parser, "sensitivity")


def _audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    _parameter_option(parser)
    _results_options(parser, "audit_nodes.csv, audit_children")


def _stats_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    _parameter_option(parser)
    parser.add_argument(
        "--min-coverage",
        type=_coverage,
        default=None,
        metavar="SHARE",
        help="flag units with less than this share of the indicators (default 2/3; "
        "0.8, 80%% or 4/5)",
    )
    parser.add_argument(
        "--top", type=_count, default=10, help="least covered units listed (default 10)"
    )
    _results_options(parser, "statistics.csv, availability")


def _whatif_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="NODE",
        help="leave out this node (repeatable); its siblings keep their relative weights",
    )
    parser.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="NODE",
        help="the effect of adding this node (repeatable): the index without it, then as "
        "written; + is a rise in rank when it is added",
    )
    parser.add_argument(
        "--published",
        metavar="COLUMN",
        help="a column of the units table holding the published rank changes, shown "
        "beside the computed ones",
    )
    _parameter_option(parser)
    _results_options(parser, "whatif")


def _fit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--node", default=None, help="the node whose children are weighted (default: the index)"
    )
    parser.add_argument(
        "--against",
        required=True,
        metavar="COLUMN",
        help="the column of the units table holding the published scores (or ranks)",
    )
    parser.add_argument(
        "--ranks", action="store_true", help="the column holds ranks (1 best), not scores"
    )
    parser.add_argument(
        "--bootstrap",
        type=_count,
        default=0,
        metavar="N",
        help="resample the units N times for an interval per weight (0: none)",
    )
    parser.add_argument("--seed", type=_seed, default=1, help="random seed of the bootstrap (1)")
    _parameter_option(parser)
    _results_options(parser, "fit_weights, fit_units")


def _explain_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("unit", help="the unit's key or label")
    _parameter_option(parser)
    parser.add_argument(
        "--rivals", type=int, default=2, help="units shown above and below it (default 2)"
    )


def _graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--format", choices=("dot", "mermaid"), default="dot", help="output language (dot)"
    )
    _parameter_option(parser)


def _plot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=("framework", "correlations", "distribution", "scatter", "contributions", "ranks"),
        help="what to draw",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "nodes",
        nargs="*",
        metavar="NODE",
        help="distribution: one node; scatter: two; correlations: any (instead of --level)",
    )
    parser.add_argument(
        "-o", "--out", type=Path, required=True, help="the figure to write (.svg or .png)"
    )
    parser.add_argument(
        "--style", choices=("tree", "sunburst"), default="tree", help="framework: tree or sunburst"
    )
    parser.add_argument(
        "--level",
        default="indicators",
        help="correlations: `indicators` (default) or a depth of the hierarchy (1: dimensions)",
    )
    parser.add_argument(
        "--against", default=None, metavar="LEVEL", help="correlations: columns at another level"
    )
    parser.add_argument(
        "--raw", action="store_true", help="indicators' values before normalisation, not scores"
    )
    parser.add_argument(
        "--node", default=None, help="contributions: the node split into its children (the index)"
    )
    parser.add_argument(
        "--label", type=_count, default=3, help="scatter: units named at each extreme (3)"
    )
    parser.add_argument(
        "--top",
        type=_count,
        default=None,
        help="contributions, ranks: the first N units (default: all, up to 150)",
    )
    parser.add_argument(
        "-N", "--samples", type=int, default=200, help="ranks: uncertainty replications (200)"
    )
    parser.add_argument("--seed", type=_seed, default=1, help="ranks: random seed (1)")
    parser.add_argument(
        "--vary", action="append", default=[], metavar="INPUT", help="ranks: " + _VARY_HELP
    )
    parser.add_argument(
        "--max-failed", type=_share, default=0.05, metavar="SHARE", help="ranks: " + _FAILED_HELP
    )
    _parameter_option(parser)


def _new_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the index's short name (letters, digits, underscores)")
    parser.add_argument(
        "--dir", type=Path, default=Path("."), help="folder to write into (default: here)"
    )
    parser.add_argument(
        "--from",
        dest="data",
        type=Path,
        metavar="DATA.csv",
        help="start from your own data file instead of the made-up one: each numeric "
        "column becomes an indicator (the file is read, not copied or changed)",
    )
    parser.add_argument("--key", metavar="COLUMN", help="with --from: the column naming the units")


def _compare_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "other", type=Path, nargs="?", help="another index file ranking the same units"
    )
    parser.add_argument(
        "--ranking",
        metavar="COLUMN",
        help="instead of another file: a column of the units table holding another "
        "ranking of the units (another index's published ranks)",
    )
    parser.add_argument("--top", type=_count, default=10, help="movers to list (10)")
    _results_options(parser, "compare")


def _plugins_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output")


def _lsp_options(parser: argparse.ArgumentParser) -> None:
    """None: the language server takes no options."""


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (8765; 0: any)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")


#: every command: its help line and the function adding its options, in help order
COMMANDS = {
    "run": (
        "compute an index, print its rankings, write every score",
        _run_options,
    ),
    "check": (
        "check an index file and its data without computing",
        _check_options,
    ),
    "fmt": (
        "print an index file in the canonical layout",
        _fmt_options,
    ),
    "uncertainty": (
        "rank intervals when the inputs of the `uncertainty` block vary",
        _uncertainty_options,
    ),
    "sensitivity": (
        "Sobol indices of the uncertain inputs on the mean rank shift",
        _sensitivity_options,
    ),
    "audit": (
        "statistical audit: correlations, Cronbach's alpha, PCA, skewness and kurtosis",
        _audit_options,
    ),
    "stats": (
        "statistics and data quality: availability, indicator statistics, "
        "correlations, effective weights and importance",
        _stats_options,
    ),
    "whatif": (
        "rank changes when a node of the hierarchy is left out (or added)",
        _whatif_options,
    ),
    "fit": (
        "the weights of a node's children that best reproduce published values",
        _fit_options,
    ),
    "explain": (
        "why a unit ranks where it does",
        _explain_options,
    ),
    "graph": (
        "print the computation graph (Graphviz DOT or Mermaid)",
        _graph_options,
    ),
    "plot": (
        "draw a figure as SVG or PNG: framework, correlations, distribution, scatter, "
        "contributions, ranks",
        _plot_options,
    ),
    "new": (
        "write a starter index NAME.idx and a tiny data set",
        _new_options,
    ),
    "compare": (
        "compare the ranking with another index file's, or with a ranking column",
        _compare_options,
    ),
    "plugins": (
        "list every plugin (distribution, version, hooks) and its components",
        _plugins_options,
    ),
    "lsp": (
        "the language server for editors (Language Server Protocol on stdin/stdout)",
        _lsp_options,
    ),
    "serve": (
        "explore an index in the browser: move weights and choices, re-rank, save",
        _serve_options,
    ),
}


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
