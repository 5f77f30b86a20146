"""`indexdsl lsp`: the language server for editors."""

from __future__ import annotations

from indexdsl.cli.common import EXIT_OK


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
