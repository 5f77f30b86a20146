"""An example third-party indexdsl plugin, kept in the repository as a template.

It registers through the same hooks as indexdsl's built-in methods, found by the
``indexdsl`` entry-point group declared in this distribution's pyproject.toml:

- aggregators ``median`` (weighted median) and ``bod`` (benefit of the doubt, one
  linear programme per unit with scipy's ``linprog``);
- the normaliser ``logistic`` (robust, bounded: a logistic curve of the robust z-score);
- the weighting scheme ``rank_order`` (rank-order centroid weights from a ranking of
  the children by importance);
- the loader ``sqlite`` (a table of an SQLite database, read-only).

The registration hooks below take no arguments: indexdsl may offer them
``api_version`` (see ``indexdsl.hookspecs.HOOKSPEC_VERSION``), and pluggy passes an
implementation only the arguments it names.
"""

from __future__ import annotations

from indexdsl.hookspecs import hookimpl
from indexdsl_example.aggregators import BenefitOfTheDoubtAggregator, WeightedMedianAggregator
from indexdsl_example.loaders import SqliteLoader
from indexdsl_example.normalisers import LogisticNormaliser
from indexdsl_example.weighting import RankOrderWeighting

__all__ = [
    "BenefitOfTheDoubtAggregator",
    "LogisticNormaliser",
    "RankOrderWeighting",
    "SqliteLoader",
    "WeightedMedianAggregator",
]


@hookimpl
def indexdsl_register_aggregators():
    return [WeightedMedianAggregator, BenefitOfTheDoubtAggregator]


@hookimpl
def indexdsl_register_normalisers():
    return [LogisticNormaliser]


@hookimpl
def indexdsl_register_weighting_schemes():
    return [RankOrderWeighting]


@hookimpl
def indexdsl_register_loaders():
    return [SqliteLoader]
