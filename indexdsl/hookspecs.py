"""Every hook a plugin can implement, grouped by the phase that uses it.

Registration hooks return lists of component classes (datasette's style); each class
carries its ``name``, ``summary`` and ``params`` (see :mod:`indexdsl.components`).
A plugin is any module or object with functions named like these and decorated with
:data:`hookimpl`; third-party distributions expose it through the ``indexdsl``
entry-point group.  ``tests/test_hookspecs.py`` fails when a hook has no section in
``docs/reference/hooks.md`` or no page in ``docs/plugins/hooks/`` whose signature is
the one here.

Versioning: :data:`HOOKSPEC_VERSION` goes up by one whenever a hook or an argument is
added.  Arguments are only ever added, never removed or renamed, and pluggy passes an
implementation only the arguments it names, so a plugin written for an older version
keeps working (``def indexdsl_register_aggregators():`` is still valid).
"""

from __future__ import annotations

import pluggy

from indexdsl.components import (
    Aggregator,
    Engine,
    Exporter,
    Imputer,
    Loader,
    Normaliser,
    Transform,
    WeightingScheme,
)

hookspec = pluggy.HookspecMarker("indexdsl")
hookimpl = pluggy.HookimplMarker("indexdsl")

#: version of the hook specifications (docs/plugins/versioning.md): 1 = registration
#: hooks without arguments; 2 = ``indexdsl_register_weighting_schemes``,
#: ``indexdsl_register_imputers`` and the optional ``api_version`` argument of every
#: registration hook; 3 = ``indexdsl_register_exporters``; 4 = ``indexdsl_register_engines``
HOOKSPEC_VERSION = 4


# ---- loading data ----------------------------------------------------------------
@hookspec
def indexdsl_register_loaders(api_version: int) -> list[type[Loader]]:
    """Data loaders, used in ``from NAME(...)`` of ``units`` and ``pairs`` blocks."""


# ---- computing indicators ----------------------------------------------------------
@hookspec
def indexdsl_register_transforms(api_version: int) -> list[type[Transform]]:
    """Functions usable in indicator expressions (``log``, ``cap`` …)."""


@hookspec
def indexdsl_register_normalisers(api_version: int) -> list[type[Normaliser]]:
    """Normalisers, chosen with ``normalise NAME(...)``."""


# ---- aggregating the hierarchy -----------------------------------------------------------
@hookspec
def indexdsl_register_aggregators(api_version: int) -> list[type[Aggregator]]:
    """Aggregators, chosen with ``aggregate NAME(...)``."""


@hookspec
def indexdsl_register_weighting_schemes(api_version: int) -> list[type[WeightingScheme]]:
    """Weighting schemes, chosen with ``weights NAME(...)`` (entropy, CRITIC, PCA, AHP …)."""


# ---- preparing the data ----------------------------------------------------------------
@hookspec
def indexdsl_register_imputers(api_version: int) -> list[type[Imputer]]:
    """Imputation methods, chosen with ``impute NAME(...)``."""


# ---- writing the results ----------------------------------------------------------------
@hookspec
def indexdsl_register_exporters(api_version: int) -> list[type[Exporter]]:
    """Output formats, chosen with ``indexdsl run --format NAME`` (csv, json, html …)."""


# ---- evaluating ----------------------------------------------------------------------------
@hookspec
def indexdsl_register_engines(api_version: int) -> list[type[Engine]]:
    """Engines that evaluate a compiled index, chosen with ``indexdsl run --engine NAME``."""
