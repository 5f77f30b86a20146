"""`indexdsl graph`: the computation graph (Graphviz DOT or Mermaid)."""

from __future__ import annotations

import sys

from indexdsl.cli.common import EXIT_OK, _one_edition, _print_diagnostics


def cmd_graph(args, session) -> int:
    from indexdsl.output.graphviz import render
    from indexdsl.pipeline import check_file

    model = check_file(args.file, session, _one_edition(args))
    _print_diagnostics(session.warnings, session.sources)
    sys.stdout.write(render(model, args.format))
    return EXIT_OK
