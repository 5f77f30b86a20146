"""Imputation: filling an indicator's missing values before it is normalised.

``x`` is (..., units) with NaN for missing values; every imputer works on the last
axis and broadcasts over the leading batch axes.  A value that is present is never
changed; a gap that nothing can fill stays NaN.  The state always has ``imputed``
(a mask of the filled values, shape of ``x``) and ``count`` (how many per row), and
what each method used to fill them.

Formulas and references: docs/explanation/methods/ (imputation, group-imputation,
latest).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from indexdsl.components import ComponentValueError, Context, Imputer, Param
from indexdsl.diagnostics import suggest
from indexdsl.hookspecs import hookimpl
from indexdsl_builtins._support import affected, listing, unit_names


def _keys(context: Context | None) -> tuple[str, ...]:
    return () if context is None else tuple(context.keys)


def _filled(x: np.ndarray, filled: np.ndarray, **extra: Any) -> tuple[np.ndarray, dict]:
    """Fill the gaps of ``x`` from ``filled`` (never a present value) and the state."""
    out = np.where(np.isnan(x), filled, x)
    imputed = np.isnan(x) & ~np.isnan(out)
    return out, {"imputed": imputed, "count": imputed.sum(axis=-1), **extra}


def _quiet(function, *args, **kwargs):
    """numpy's nan-functions warn on an all-NaN row; here that row simply stays NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args, **kwargs)


class NoImputer(Imputer):
    """Refuse missing values: the run stops and lists the units without a value."""

    name = "none"
    summary = "no imputation: a missing value stops the run, listing the units"
    fills = False

    def impute(self, x, context=None):
        x = np.asarray(x, dtype=float)
        missing = np.isnan(x)
        if missing.any():
            units = affected(missing)
            names = unit_names(units, _keys(context), x.shape[-1])
            raise ComponentValueError(
                f"{len(units)} unit{'s have' if len(units) != 1 else ' has'} a missing value "
                f"and no imputation is chosen: {listing(names)}",
                help="choose an imputer, e.g. `impute mean`, `impute group_mean(region)` or "
                "`impute latest(years = 2)`, or complete the data",
                units=units,
            )
        return x.copy(), {"imputed": missing, "count": missing.sum(axis=-1)}


class MeanImputer(Imputer):
    name = "mean"
    summary = "fill a missing value with the mean of the units that have one"

    def impute(self, x, context=None):
        x = np.asarray(x, dtype=float)
        value = _quiet(np.nanmean, x, axis=-1, keepdims=True)
        return _filled(x, value, value=value[..., 0])


class MedianImputer(Imputer):
    name = "median"
    summary = "fill a missing value with the median of the units that have one"

    def impute(self, x, context=None):
        x = np.asarray(x, dtype=float)
        value = _quiet(np.nanmedian, x, axis=-1, keepdims=True)
        return _filled(x, value, value=value[..., 0])


class GroupMeanImputer(Imputer):
    """COINr's ``i_mean_grp``: the mean of the present values of the unit's group."""

    name = "group_mean"
    summary = "fill a missing value with the mean of the unit's group (COINr's i_mean_grp)"
    statistic = "mean"
    params = (
        Param("group", str, doc="the group column of the units, e.g. `region`"),
        Param(
            "empty_groups",
            str,
            "error",
            'a group in which no unit has a value: "error" stops the run, "missing" leaves '
            "its gaps missing (as COINr does)",
        ),
    )

    def groups_needed(self) -> tuple[str, ...]:
        return (str(self.group),)

    def impute(self, x, context=None):
        x = np.asarray(x, dtype=float)
        if self.empty_groups not in ("error", "missing"):
            raise ComponentValueError(
                f'`empty_groups` must be "error" or "missing", not "{self.empty_groups}"',
                help=f'write `{self.name}({self.group}, empty_groups = "missing")` to leave the '
                "gaps of groups without data missing",
            )
        labels = self._labels(context, x.shape[-1])
        names = sorted({label for label in labels if label})
        index = {label: g for g, label in enumerate(names)}
        member = np.array([index.get(label, -1) for label in labels])
        onehot = (member[:, None] == np.arange(len(names))[None, :]).astype(float)
        present = ~np.isnan(x)
        counts = present.astype(float) @ onehot  # (..., groups)
        if self.statistic == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                values = (np.where(present, x, 0.0) @ onehot) / counts
            values = np.where(counts > 0, values, np.nan)
        elif names:
            values = np.stack(
                [_quiet(np.nanmedian, x[..., member == g], axis=-1) for g in range(len(names))],
                axis=-1,
            )
        else:
            values = np.full(x.shape[:-1] + (0,), np.nan)
        if names:
            fill = np.where(member >= 0, values[..., np.maximum(member, 0)], np.nan)
        else:
            fill = np.full(x.shape, np.nan)
        missing = np.isnan(x)
        empty = (counts == 0) & ((missing.astype(float) @ onehot) > 0)
        empty_names = tuple(names[g] for g in np.flatnonzero(empty.reshape(-1, len(names)).any(0)))
        unlabelled = missing & (member < 0)
        if self.empty_groups == "error" and (empty_names or unlabelled.any()):
            self._refuse(x, empty_names, member, names, unlabelled, context)
        return _filled(
            x,
            fill,
            groups=tuple(names),
            group_values=values,
            group_counts=counts.astype(int),
            empty_groups=empty_names,
        )

    def _labels(self, context: Context | None, size: int) -> tuple[str, ...]:
        groups = {} if context is None else dict(context.groups)
        column = str(self.group)
        if column not in groups:
            available = listing(sorted(groups))
            hints = suggest(column, groups)
            if not groups:
                help = "declare the group column in the units block: `groups region`"
            elif hints:
                help = f"did you mean `{hints[0]}`? The units' groups are {available}"
            else:
                help = f"the units' groups are {available}"
            raise ComponentValueError(
                f"`{self.name}` needs the group column `{column}`, which is not one of the "
                "units' groups",
                help=help,
            )
        labels = tuple(str(label).strip() for label in groups[column])
        if len(labels) != size:
            where = "pairs" if context is not None and context.level == "pair" else "values"
            raise ComponentValueError(
                f"`{self.name}` has {len(labels)} `{column}` labels for {size} {where}",
                help="group imputation works on values per unit; impute the indicator the "
                "pairs are aggregated from with `mean` or `median`",
            )
        return labels

    def _refuse(self, x, empty_names, member, names, unlabelled, context) -> None:
        keys = _keys(context)
        parts, units = [], set()
        if empty_names:
            in_empty = np.isin(member, [names.index(n) for n in empty_names])
            gaps = np.isnan(x) & in_empty
            units.update(affected(gaps))
            parts.append(
                f"imputation groups with no data: {listing(empty_names)} "
                f"(no unit of these `{self.group}` groups has a value)"
            )
        if unlabelled.any():
            positions = affected(unlabelled)
            units.update(positions)
            parts.append(
                f"{listing(unit_names(positions, keys, x.shape[-1]))} "
                f"{'have' if len(positions) != 1 else 'has'} no `{self.group}` label"
            )
        raise ComponentValueError(
            "; ".join(parts),
            help=f"impute with a coarser group or with `{self.statistic}`, or leave these "
            f'values missing with `{self.name}({self.group}, empty_groups = "missing")`',
            units=tuple(sorted(units)),
        )


class GroupMedianImputer(GroupMeanImputer):
    """COINr's ``i_median_grp``: the median of the present values of the unit's group."""

    name = "group_median"
    summary = "fill a missing value with the median of the unit's group (COINr's i_median_grp)"
    statistic = "median"


class LatestImputer(Imputer):
    """Panel imputation: carry the unit's most recent earlier value forward."""

    name = "latest"
    summary = "fill a missing value with the unit's value in the nearest earlier edition"
    needs_history = True
    params = (Param("years", int, 1, "how many editions back to look (1: the previous one only)"),)

    def impute(self, x, context=None):
        x = np.asarray(x, dtype=float)
        if not self.years >= 1:
            raise ComponentValueError(
                f"`years` of `latest` must be 1 or more, not {self.years}",
                help="write `latest(years = 1)` to use the previous edition only",
            )
        history = None if context is None else context.history
        if history is None:
            raise ComponentValueError(
                "`latest` needs earlier editions of this indicator, but it is not a panel",
                help="read the indicator from a column template with a year parameter "
                "(e.g. `country.le_{year}`) so that earlier editions exist, or choose another "
                "imputer such as `impute mean`",
            )
        history = np.asarray(history, dtype=float)
        out = x.copy()
        back = np.zeros(x.shape, dtype=int)
        for edition in range(min(int(self.years), history.shape[0])):
            earlier = np.broadcast_to(history[edition], x.shape)
            take = np.isnan(out) & ~np.isnan(earlier)
            out = np.where(take, earlier, out)
            back = np.where(take, edition + 1, back)
        return _filled(x, out, editions_back=back)


@hookimpl
def indexdsl_register_imputers():
    return [
        NoImputer,
        MeanImputer,
        MedianImputer,
        GroupMeanImputer,
        GroupMedianImputer,
        LatestImputer,
    ]
