"""indexdsl: composite indices written in a small text language and computed with numpy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexdsl.version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from indexdsl.api import load

__all__ = ["__version__", "load"]


def __getattr__(name: str):
    # `import indexdsl` stays cheap (the command line starts fast): the API, and numpy
    # with it, is imported the first time `indexdsl.load` is used
    if name == "load":
        from indexdsl.api import load

        return load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "load"])
