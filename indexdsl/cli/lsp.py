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

    # texts parsed as they are edited: none kept between runs (syntax/parsed_cache.py)
    from indexdsl.syntax import parsed_cache

    parsed_cache.stop_keeping()
    build(load_registry(session.disabled_plugins)).start_io()
    return EXIT_OK
