"""Imputation: filling an indicator's missing values before it is normalised.

Formulas and references: docs/explanation/methods/.
"""

from __future__ import annotations

from indexdsl.hookspecs import hookimpl


@hookimpl
def indexdsl_register_imputers():
    return []
