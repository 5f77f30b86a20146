"""Every hook a plugin can implement, grouped by the phase that uses it.

Registration hooks return lists of component classes (datasette's style); each class
carries its ``name``, ``summary`` and ``params`` (see :mod:`indexdsl.components`).
A plugin is any module or object with functions named like these and decorated with
:data:`hookimpl`; third-party distributions expose it through the ``indexdsl``
entry-point group.  ``tests/test_hookspecs.py`` fails when a hook is undocumented
in ``docs/reference/hooks.md``.
"""

from __future__ import annotations

import pluggy

from indexdsl.components import (
    Aggregator,
    Exporter,
    Imputer,
    Loader,
    Normaliser,
    Transform,
    WeightingScheme,
)

hookspec = pluggy.HookspecMarker("indexdsl")
hookimpl = pluggy.HookimplMarker("indexdsl")


# ---- loading data ----------------------------------------------------------------
@hookspec
def indexdsl_register_loaders() -> list[type[Loader]]:
    """Data loaders, used in ``from NAME(...)`` of ``units`` and ``pairs`` blocks."""


# ---- computing indicators ----------------------------------------------------------
@hookspec
def indexdsl_register_transforms() -> list[type[Transform]]:
    """Functions usable in indicator expressions (``log``, ``cap`` …)."""


@hookspec
def indexdsl_register_normalisers() -> list[type[Normaliser]]:
    """Normalisers, chosen with ``normalise NAME(...)``."""


# ---- aggregating the hierarchy -----------------------------------------------------------
@hookspec
def indexdsl_register_aggregators() -> list[type[Aggregator]]:
    """Aggregators, chosen with ``aggregate NAME(...)``."""


@hookspec
def indexdsl_register_weighting_schemes() -> list[type[WeightingScheme]]:
    """Weighting schemes, chosen with ``weights NAME(...)`` (entropy, CRITIC, PCA, AHP …)."""


# ---- preparing the data ----------------------------------------------------------------
@hookspec
def indexdsl_register_imputers() -> list[type[Imputer]]:
    """Imputation methods, chosen with ``impute NAME(...)``."""


# ---- writing the results ----------------------------------------------------------------
@hookspec
def indexdsl_register_exporters() -> list[type[Exporter]]:
    """Output formats, chosen with ``indexdsl run --format NAME`` (csv, json, html …)."""
