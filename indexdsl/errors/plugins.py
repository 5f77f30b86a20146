"""Diagnostics of the plugins stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error


def plugin_raised(
    what: str,
    plugin: str,
    exc: BaseException,
    span: Span | None,
    *,
    name_in_help: bool = True,
    workaround: str | None = None,
) -> Diagnostic:
    """E901: a plugin's component raised an unexpected exception (a bug in the plugin)."""
    help_text = (
        f"this is a bug in the plugin `{plugin}`; report it to its authors"
        if name_in_help
        else "this is a bug in the plugin; report it to its authors"
    )
    return error(
        "E901",
        f"{what} (plugin `{plugin}`) failed: {type(exc).__name__}: {exc}",
        span,
        help=help_text + (f", or {workaround}" if workaround else ""),
    )
