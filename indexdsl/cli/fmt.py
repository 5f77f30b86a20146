"""`indexdsl fmt`: print an index file in the canonical layout."""

from __future__ import annotations

import sys

from indexdsl.cli.common import EXIT_INVALID, EXIT_OK


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
