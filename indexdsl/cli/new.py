"""`indexdsl new`: a starter index and a tiny data set."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK


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
