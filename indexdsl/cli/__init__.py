"""The `indexdsl` command.

Exit codes (docs/reference/cli.md): 0 success; 1 the index definition or its data have
errors; 2 usage (bad options); 3 a plugin failed; 4 an internal error (a bug in
indexdsl: please report it); 5 the results could not be written.
"""

from __future__ import annotations

import sys

from indexdsl.cli.common import (
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_PLUGIN,
    EXIT_USAGE,
    _print_diagnostics,
)
from indexdsl.cli.options import _parser

#: where the message of an internal error sends users (a section of the README)
BUG_REPORT = "the section 'Reporting a problem' of indexdsl's README"


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
    from indexdsl.cli import startup

    # start-up (cold start): the command's modules imported without garbage collection,
    # attrs' methods compiled once (indexdsl/cli/startup.py)
    starting = startup.begin()
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        from importlib import import_module

        from indexdsl.diagnostics import DiagnosticError, PluginError, UsageError
        from indexdsl.pipeline import Session

        # a command's module is imported only when it runs (cold start): indexdsl.cli.<command>
        handler = getattr(import_module(f"indexdsl.cli.{args.command}"), f"cmd_{args.command}")
    finally:
        if starting:
            startup.end()
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
        import traceback

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
