"""Building a component from the values written for it: the one place it is done.

The checker turns what the file says (``minmax(0, 100)``, ``csv("data.csv")``) into
checked values and builds the component here; the metadata-table front end builds the
loader of its table here; an expression's normaliser is the instance the checker built.
Positional values go to the parameters in their order, keyword values by name, and the
component's own :meth:`~indexdsl.components.Component.validate` runs last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from indexdsl.components import Component


def build(
    cls: type[Component], args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None
) -> Component:
    """An instance of ``cls`` with ``args`` bound to its parameters in order and
    ``kwargs`` by name, validated.  Raises what the component raises: the callers turn
    :class:`~indexdsl.components.ComponentValueError` into E217 and anything else into
    E901 (a bug in the plugin)."""
    values = dict(zip((p.name for p in cls.params), args, strict=False))
    values.update(kwargs or {})
    instance = cls(**values)
    instance.validate()
    return instance
