"""What several commands use: exit codes, the console, diagnostics, `--set`, one
edition, an analysis's results and failures."""

from __future__ import annotations

import os
import re
import sys

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_PLUGIN, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_OUTPUT = 5
EXIT_UNRELIABLE = 6  # an analysis where more evaluations failed than --max-failed allows

_WHOLE = re.compile(r"[+-]?[0-9]+", re.ASCII)
#: editions one `--set NAME=A..B` may ask for
MAX_EDITIONS = 1000


def inert_console(**options):
    """The console every command prints with: text from an index or its data reaches
    the terminal with its control characters written out (rich is imported here)."""
    from indexdsl.output.inert import console

    return console(**options)


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


def _one_edition(args) -> dict[str, str]:
    from indexdsl.diagnostics import UsageError

    editions = parse_settings(args.set)
    if len(editions) > 1:
        raise UsageError(f"`{args.command}` runs one edition; give each `--set` one value")
    return editions[0]


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
