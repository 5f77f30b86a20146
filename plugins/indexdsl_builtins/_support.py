"""Small helpers shared by the built-in methods (not a plugin module: registers nothing).

Switch parameters
-----------------
The index language has numbers, strings and bare symbols, but no booleans.  A
parameter that is a switch (``truncate`` of ``goalposts``, ``cap`` of
``distance_to_target``) is declared ``Param(name, bool, default)``; the checker
passes its literal through unchanged, and the component calls :func:`as_flag` when it
runs.  Accepted, case-insensitively:

=========  ====================================================
on         ``1``, ``true``, ``yes``, ``on`` (and Python ``True``)
off        ``0``, ``false``, ``no``, ``off`` (and Python ``False``)
=========  ====================================================

so ``goalposts(0, 100, truncate = false)``, ``truncate = 0`` and ``truncate = "no"``
all mean the same.  Anything else raises :class:`ComponentValueError` naming the
parameter and the accepted spellings.

Optional dependencies
---------------------
Methods that need scipy import it through :func:`require_scipy` inside the method, so
that ``import indexdsl`` and plugin registration never import scipy.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import numpy as np

from indexdsl.components import ComponentValueError

TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def as_flag(value: Any, param: str, component: str) -> bool:
    """Read a switch parameter written as a number (0/1) or a word (true/false …)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if value == 1:
            return True
        if value == 0:
            return False
    elif isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ComponentValueError(
        f"parameter `{param}` of `{component}` must be a switch, not `{value}`",
        help=f"write `{param} = true` or `{param} = false` (or 1 and 0)",
    )


def require_scipy(module: str = "scipy", what: str = "this method") -> ModuleType:
    """Import ``module`` (e.g. ``"scipy.special"``), or explain how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ComponentValueError(
            f"{what} needs scipy, which is not installed",
            help='install the statistics extra: pip install "indexdsl[stats]"',
        ) from None


def scalar(value: Any, param: str, component: str) -> float:
    """A transform argument that must be one number (arguments arrive as arrays)."""
    arr = np.asarray(value, dtype=float)
    if arr.size != 1 or not np.isfinite(arr).all():
        raise ComponentValueError(
            f"`{param}` of `{component}` must be a single number",
            help=f"write a literal number, e.g. `{component}(x, {param} = 2)`",
        )
    return float(arr.reshape(()))


def affected(mask: np.ndarray) -> tuple[int, ...]:
    """Positions along the last axis (units) where ``mask`` holds in any batch row."""
    mask = np.asarray(mask)
    if mask.ndim == 0:
        return ()
    return tuple(int(u) for u in np.unique(np.nonzero(mask)[-1]))


def listing(names: list[str] | tuple[str, ...], limit: int = 8) -> str:
    """``a`, `b` and `c``, or the first ``limit`` names and ``and N more``."""
    quoted = [f"`{n}`" for n in names]
    if len(quoted) > limit:
        return ", ".join(quoted[:limit]) + f" and {len(quoted) - limit} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def unit_names(positions, keys: tuple[str, ...], size: int) -> list[str]:
    """The keys of the units at ``positions``, or ``#i`` (1-based) when no keys are known."""
    if len(keys) == size:
        return [keys[int(p)] for p in positions]
    return [f"#{int(p) + 1}" for p in positions]
