"""Functions for indicator expressions.  Each argument arrives as an array."""

from __future__ import annotations

import numpy as np

from indexdsl.components import ComponentValueError, Param, Transform
from indexdsl.hookspecs import hookimpl


class LogTransform(Transform):
    name = "log"
    summary = "natural logarithm; values must be positive"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        if np.any(x <= 0):
            raise ComponentValueError(
                "log of a zero or negative value",
                help="shift the values first, e.g. `log(x + 1)`",
                units=tuple(int(i) for i in np.nonzero(x <= 0)[-1]),
            )
        return np.log(x)


class Log10Transform(LogTransform):
    name = "log10"
    summary = "base-10 logarithm; values must be positive"

    def apply(self, x):
        return super().apply(x) / np.log(10.0)


class SqrtTransform(Transform):
    name = "sqrt"
    summary = "square root; values must not be negative"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        if np.any(x < 0):
            raise ComponentValueError("square root of a negative value")
        return np.sqrt(x)


class AbsTransform(Transform):
    name = "abs"
    summary = "absolute value"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        return np.abs(x)


class CapTransform(Transform):
    name = "cap"
    summary = "clip values to [low, high] (goalposts, caps and floors)"
    params = (
        Param("x", float, doc="values"),
        Param("low", float, doc="floor"),
        Param("high", float, doc="ceiling"),
    )

    def apply(self, x, low, high):
        return np.clip(x, low, high)


class MinTransform(Transform):
    name = "min"
    summary = "smaller of two values, unit by unit (with one pair column: lowest over partners)"
    params = (Param("a", float, doc="first"), Param("b", float, doc="second"))

    def apply(self, a, b):
        return np.fmin(a, b)


class MaxTransform(Transform):
    name = "max"
    summary = "larger of two values, unit by unit (with one pair column: highest over partners)"
    params = (Param("a", float, doc="first"), Param("b", float, doc="second"))

    def apply(self, a, b):
        return np.fmax(a, b)


@hookimpl
def indexdsl_register_transforms():
    return [
        LogTransform,
        Log10Transform,
        SqrtTransform,
        AbsTransform,
        CapTransform,
        MinTransform,
        MaxTransform,
    ]
