"""Weighting schemes: how a node's children are weighted when the file does not say.

Formulas and references: docs/explanation/methods/.
"""

from __future__ import annotations

from indexdsl.hookspecs import hookimpl


@hookimpl
def indexdsl_register_weighting_schemes():
    return []
