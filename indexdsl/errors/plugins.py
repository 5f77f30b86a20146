"""Diagnostics of the plugins stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error, warning


def plugin_raised(
    what: str | None,
    plugin: str,
    exc: BaseException | str,
    span: Span | None = None,
    *,
    name_in_help: bool = True,
    workaround: str | None = None,
) -> Diagnostic:
    """E901: a plugin raised an unexpected exception (a bug in the plugin): one of its
    components (``what``: "loader `csv`") on the data, or, with ``what`` None, the plugin
    as a whole while loading or registering (``workaround`` then says what it was doing)."""
    if what is None:
        return error(
            "E901",
            f"plugin `{plugin}` failed while {workaround}: {_reason(exc)}",
            span,
            help=f"this is a bug in the plugin `{plugin}`; report it to its authors, "
            "or uninstall it",
        )
    help_text = (
        f"this is a bug in the plugin `{plugin}`; report it to its authors"
        if name_in_help
        else "this is a bug in the plugin; report it to its authors"
    )
    return error(
        "E901",
        f"{what} (plugin `{plugin}`) failed: {_reason(exc)}",
        span,
        help=help_text + (f", or {workaround}" if workaround else ""),
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


def requirement_unmet(message: str, help: str, span: Span | None) -> Diagnostic:
    """E903: a plugin distribution the index `requires` is missing or too old."""
    return error("E903", message, span, help=help)
