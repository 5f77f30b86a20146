"""`indexdsl explain`: why a unit ranks where it does."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _one_edition, _print_diagnostics, inert_console


def cmd_explain(args, session) -> int:

    from indexdsl.analyses.explain import explain, render
    from indexdsl.pipeline import run_file

    result, session = run_file(args.file, session, _one_edition(args))
    explanation = explain(result, args.unit, rivals=max(args.rivals, 0))
    _print_diagnostics(session.warnings, session.sources)
    console = inert_console()
    render(explanation, console)
    return EXIT_OK
