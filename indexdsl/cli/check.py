"""`indexdsl check`: check an index file and its data without computing."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK, _print_diagnostics


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
