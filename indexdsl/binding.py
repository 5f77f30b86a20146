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

from indexdsl.components import Component, Normaliser


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


class DataBoundNormaliser(Normaliser):
    """A normaliser written with parameters computed from the data: ``normalise
    goalposts(0, max_over_units(life_expectancy))``.

    It stands in the model where the normaliser would; the engine computes the
    ``arguments`` (one value each, the same for every unit) from the indicators' values
    and calls :meth:`bind` for the normaliser that scores.  Until then it only says how
    it was written (``describe``) and in which units it works (``raw_units``).
    ``arguments`` hold the parse tree's expressions until the checker lowers them."""

    def __init__(self, cls: type[Normaliser], constants: dict, arguments: dict, plugin: str):
        self.cls, self.plugin, self.arguments = cls, plugin, dict(arguments)
        self.name, self.params, self.raw_units = cls.name, cls.params, cls.raw_units
        super().__init__(**constants)
        self.written: dict[str, str] = {}  # parameter -> its expression, as written

    def bind(self, computed: Mapping[str, float]) -> Normaliser:
        """The normaliser with the computed values; its own validation runs here."""
        return build(self.cls, kwargs={**self.values, **computed})

    def describe(self) -> str:
        inner = ", ".join(
            f"{p.name}={self.written[p.name]}"
            if p.name in self.written
            else f"{p.name}={self.values.get(p.name)!r}"
            for p in self.params
        )
        return f"{self.name}({inner})"

    def normalise(self, x, context=None):  # pragma: no cover - the engine binds it first
        raise RuntimeError(f"`{self.name}` is normalised once its parameters are computed")
