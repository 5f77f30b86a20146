"""Diagnostics of the plugins stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error, warning


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


def plugin_failed_while(plugin: str, doing: str, exc: BaseException | str) -> Diagnostic:
    """E901 as well, where the plugin as a whole failed (while loading, registering or
    creating a component), not one of its components on the data: same problem, same
    code; see :func:`plugin_raised`."""
    return error(
        "E901",
        f"plugin `{plugin}` failed while {doing}: {_reason(exc)}",
        help=f"this is a bug in the plugin `{plugin}`; report it to its authors, or uninstall it",
    )


def _reason(exc: BaseException | str) -> str:
    return exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"


def plugin_left_out(where: str, doing: str, reason: str, distribution: str, name: str):
    """W901: an installed plugin failed to load or register and is left out."""
    return warning(
        "W901",
        f"{where} failed while {doing} and is left out: {reason}",
        help=f"its components are not available; fix or uninstall `{distribution}`, "
        f"or silence this with `--disable-plugin {name}`",
    )


def component_provided_twice(
    role: str, name: str, first: str, first_from: str, second: str, second_from: str
) -> Diagnostic:
    """W902: two plugins provide a component of the same role and name."""
    return warning(
        "W902",
        f"{role} `{name}` is provided by two plugins: "
        f"`{first}`{first_from} and `{second}`{second_from}",
        help=f"`{first}` (registered first) is used; uninstall one of them, "
        f"or block one with `--disable-plugin {second}`",
    )


def no_plugin_to_disable(name: str, hint: str | None) -> Diagnostic:
    """W903: `--disable-plugin` names no installed plugin."""
    return warning(
        "W903",
        f"no plugin named `{name}` to disable",
        help=f"did you mean `{hint}`?"
        if hint
        else "`indexdsl plugins` lists the installed plugins",
    )
