"""The plugin author's kit: a conformance suite for components, and pytest fixtures.

One line in a plugin's tests checks every component it registers::

    from indexdsl.testing import check_plugin

    def test_conformance():
        check_plugin("indexdsl-example")   # a distribution, entry point or module

or one component, with the parameters to try (needed when a parameter is required)::

    check_component(GoalpostsNormaliser, {"low": 20, "high": 85})

A failure raises :class:`ConformanceError` (an ``AssertionError``) that names the
component and lists every check it failed, with what was expected.  Which checks apply
depends on the component's role (:data:`CHECKS`); each of them can fail, and
``tests/test_testing.py`` shows a broken component for each.

The fixtures (``indexdsl_registry``, ``indexdsl_project``) come with
``pytest_plugins = ["indexdsl.testing"]`` in a plugin's top-level ``conftest.py``.
Documentation: docs/plugins/testing.md.
"""

from __future__ import annotations

import importlib
import re
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from indexdsl.components import (
    ROLES,
    Component,
    ComponentValueError,
    Context,
    DataError,
    Param,
    Table,
    Transform,
)

__all__ = [
    "CHECKS",
    "ConformanceError",
    "check_component",
    "check_plugin",
    "components_of",
    "conformance_checks",
    "run_check",
]

#: units in the synthetic data the checks use; their keys are ``u0`` … ``u6``
UNITS = 7
CHILDREN = 3
BATCH = 3
SEED = 20240601
PARAM_KINDS = (float, int, str, bool)
TOLERANCE = 1e-9


class ConformanceError(AssertionError):
    """A component does not behave as indexdsl expects; the message says how."""


class _Failed(Exception):
    """One check failed (collected by :func:`check_component`)."""


def _fail(message: str) -> None:
    raise _Failed(message)


@attrs.frozen
class Subject:
    """What a check looks at: the class, one set of parameters, and for loaders the
    folder that relative paths are read from."""

    cls: type[Component]
    params: dict[str, Any]
    base: Path | None = None

    @property
    def role(self) -> str:
        return self.cls.role

    def make(self) -> Component:
        return self.cls(**self.params)


@attrs.frozen
class Check:
    name: str
    roles: tuple[str, ...]
    doc: str
    run: Callable[[Subject], None]


# ---- synthetic data ---------------------------------------------------------------------
def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def sample_values(shape: tuple[int, ...] = (UNITS,)) -> np.ndarray:
    """Distinct positive values between 1 and 100 (every method accepts them)."""
    return np.round(1.0 + 99.0 * _rng().random(shape), 6)


def sample_context(n: int = UNITS, higher_is_better: bool = True, **kw) -> Context:
    return Context(tuple(f"u{i}" for i in range(n)), higher_is_better, "unit", **kw)


def _weights(children: int = CHILDREN) -> np.ndarray:
    w = np.arange(1.0, children + 1.0)
    return w / w.sum()


def _same(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(
        np.all((np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= TOLERANCE * (1 + np.abs(b))))
    )


def _call(what: str, fn: Callable[[], Any], refusable: bool = False) -> Any:
    """Call a component method; a ComponentValueError is allowed only when the input may
    be refused, and any other exception is a bug (indexdsl would report E901)."""
    try:
        return fn()
    except ComponentValueError as exc:
        if refusable:
            return exc
        _fail(f"{what} raised ComponentValueError({exc.message!r}) on ordinary data")
    except Exception as exc:
        _fail(
            f"{what} raised {type(exc).__name__}: {exc} (raise ComponentValueError for data "
            "the method cannot use; anything else is reported as a bug in the plugin, E901)"
        )


def _pair(what: str, out: Any) -> tuple[np.ndarray, dict]:
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        _fail(f"{what} must return (values, state dict), got {type(out).__name__}")
    return np.asarray(out[0], dtype=float), out[1]


def _run(subject: Subject, data: np.ndarray, context: Context | None = None, **kw) -> Any:
    """The role's method on ``data``: values for aggregators and transforms,
    (values, state) for the others."""
    component = subject.make()
    role = subject.role
    if role == "normaliser":
        ctx = context or sample_context(data.shape[-1])
        return _pair("normalise()", component.normalise(data, ctx))
    if role == "aggregator":
        return np.asarray(component.aggregate(data, kw.get("weights", _weights(data.shape[-1]))))
    if role == "transform":
        return np.asarray(component.apply(data, *_transform_args(subject.cls)))
    if role == "weighting":
        ctx = context or sample_context(data.shape[-2], children=_children(data.shape[-1]))
        return _pair("weights()", component.weights(data, ctx))
    if role == "imputer":
        history = None
        if subject.cls.needs_history:  # two earlier editions, complete
            history = np.stack([sample_values(data.shape) * 0.9, sample_values(data.shape) * 0.8])
        ctx = context or sample_context(
            data.shape[-1], groups=_groups(data.shape[-1]), history=history
        )
        return _pair("impute()", component.impute(data, ctx))
    raise TypeError(role)  # pragma: no cover


def _children(n: int) -> tuple[str, ...]:
    return tuple(f"child_{i}" for i in range(n))


def _groups(n: int) -> dict[str, tuple[str, ...]]:
    return {"region": tuple("north" if i % 2 else "south" for i in range(n))}


def _transform_args(cls: type[Transform]) -> list[float]:
    """Values for a transform's required arguments after the first: quantiles of the
    sample data in increasing order (``cap(x, low, high)`` gets a sensible range)."""
    extra = [p for p in cls.params[1:] if p.required]
    quantiles = np.linspace(0.25, 0.75, len(extra)) if len(extra) > 1 else [0.5]
    return [float(np.quantile(sample_values(), q)) for q in quantiles[: len(extra)]]


def _data(role: str, batch: tuple[int, ...] = ()) -> np.ndarray:
    if role in ("aggregator", "weighting"):
        return sample_values((*batch, UNITS, CHILDREN))
    return sample_values((*batch, UNITS))


def _values_of(out: Any) -> np.ndarray:
    return out[0] if isinstance(out, tuple) else out


def _expected_shape(role: str, data: np.ndarray) -> tuple[int, ...]:
    if role == "aggregator":
        return data.shape[:-1]
    if role == "weighting":
        return (*data.shape[:-2], data.shape[-1])
    return data.shape


# ---- checks that apply to every role -------------------------------------------------------
def check_declaration(subject: Subject) -> None:
    cls = subject.cls
    base = ROLES.get(getattr(cls, "role", ""), None)
    if base is None or not issubclass(cls, base):
        _fail(f"must subclass one of {', '.join(b.__name__ for b in ROLES.values())}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        _fail(f"`name` must be a snake_case identifier usable in index files, not {name!r}")
    summary = getattr(cls, "summary", "")
    if not summary or "\n" in summary:
        _fail("`summary` must be one line saying what it does (shown by `indexdsl plugins`)")
    params = cls.params
    if not isinstance(params, tuple) or not all(isinstance(p, Param) for p in params):
        _fail("`params` must be a tuple of indexdsl.components.Param")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        _fail(f"parameter names repeat: {names}")
    seen_optional = False
    for p in params:
        if p.kind not in PARAM_KINDS:
            _fail(f"parameter `{p.name}` has kind {p.kind!r}; use float, int, str or bool")
        if p.required:
            if seen_optional and cls.role != "transform":
                _fail(f"required parameter `{p.name}` follows an optional one")
        else:
            seen_optional = True
            ok = isinstance(p.default, p.kind) or (p.kind is float and isinstance(p.default, int))
            if not ok or isinstance(p.default, bool) is not (p.kind is bool):
                _fail(f"default of `{p.name}` ({p.default!r}) is not a {p.kind.__name__}")
    for example in getattr(cls, "examples", ()) or ():
        unknown = set(example) - set(names)
        if unknown:
            _fail(f"`examples` name unknown parameters {sorted(unknown)}")


def check_construction(subject: Subject) -> None:
    component = _call("creating it", subject.make)
    _call("validate()", component.validate)
    for p in subject.cls.params:
        if subject.role != "transform" and getattr(component, p.name) != subject.params.get(
            p.name, p.default
        ):
            _fail(f"parameter `{p.name}` is not readable as `self.{p.name}`")


def _odd_values(param: Param) -> list[Any]:
    if param.kind is bool:
        return [True, False]
    if param.kind is str:
        return ["", "???", "x" * 200]
    return [-1e6, -1, 0, 0.5, 1e12] if param.kind is float else [-1, 0, 10**9]


def check_parameter_validation(subject: Subject) -> None:
    """Odd but well-typed parameter values (what the checker lets through) are either
    accepted, or refused by ``validate()`` with a ComponentValueError that names the
    parameter, which indexdsl reports at the call in the index file (E217)."""
    if subject.role == "transform":
        return  # a transform's params are its arguments, checked as values
    for param in subject.cls.params:
        for value in _odd_values(param):
            params = {**subject.params, param.name: value}
            try:
                component = subject.cls(**params)
                component.validate()
            except ComponentValueError as exc:
                named = re.findall(r"`([^`]+)`", exc.message)
                if not any(n in {p.name for p in subject.cls.params} for n in named):
                    _fail(
                        f"refusing {param.name}={value!r}, the message {exc.message!r} must "
                        f"name the parameter in backticks (`{param.name}`)"
                    )
            except Exception as exc:
                _fail(
                    f"{param.name}={value!r} raised {type(exc).__name__}: {exc}; validate "
                    "parameters in `validate()` and raise ComponentValueError, so that the "
                    "user gets a located diagnostic instead of a plugin failure"
                )


# ---- checks of the array roles -----------------------------------------------------------
ARRAY_ROLES = ("normaliser", "aggregator", "transform", "weighting", "imputer")


def check_shape(subject: Subject) -> None:
    for batch in ((), (BATCH,)):
        data = _data(subject.role, batch)
        if subject.role == "aggregator" and batch:
            weights = np.broadcast_to(_weights(), (*batch, CHILDREN))
            out = _call("aggregate()", lambda d=data, w=weights: _run(subject, d, weights=w))
        else:
            out = _call("the method", lambda d=data: _run(subject, d))
        values = _values_of(out)
        expected = _expected_shape(subject.role, data)
        if values.shape != expected:
            _fail(f"input of shape {data.shape} gave shape {values.shape}, expected {expected}")


def check_finite(subject: Subject) -> None:
    data = _data(subject.role)
    values = _values_of(_call("the method", lambda: _run(subject, data)))
    if not np.all(np.isfinite(values)):
        _fail(f"finite input gave non-finite values: {values.tolist()}")


def check_missing_values(subject: Subject) -> None:
    data = _data(subject.role)
    role = subject.role
    if role in ("normaliser", "transform", "imputer"):
        holes = np.zeros(UNITS, dtype=bool)
        holes[[1, 4]] = True
        data = np.where(holes, np.nan, data)
        out = _call("the method on data with NaN", lambda: _run(subject, data), refusable=True)
        if role == "imputer" and not subject.cls.fills:
            if not isinstance(out, ComponentValueError):
                _fail("`fills = False` (an imputer that only checks) but it accepted NaN")
            return
        if isinstance(out, ComponentValueError):
            _fail(f"refused data with two missing values: {out.message}")
        values = _values_of(out)
        if values.shape != data.shape:
            _fail(f"data with NaN gave shape {values.shape}, expected {data.shape}")
        if not np.all(np.isfinite(values[~holes])):
            _fail("a missing value made the present ones missing or infinite")
        if role == "normaliser" and not np.all(np.isnan(values[holes])):
            _fail("a missing value must stay missing (NaN) after normalisation")
        if role == "imputer" and np.isinf(values[holes]).any():
            _fail("imputed values must be finite, or NaN when nothing can be filled")
    elif role == "aggregator":
        data[0, 1] = np.nan
        data[2, :] = np.nan
        values = _call("aggregate() on data with NaN", lambda: _run(subject, data))
        if not np.isnan(values[2]):
            _fail("a unit whose children are all missing must get NaN")
        if not np.isfinite(values[0]):
            _fail(
                "a unit with one missing child must still get a score (give the missing "
                "child no weight and rescale the others)"
            )
        if not np.all(np.isfinite(np.delete(values, [0, 2]))):
            _fail("a missing value in one unit made other units' scores missing")
    elif role == "weighting":
        data[1, 0] = np.nan
        out = _call("weights() on data with NaN", lambda: _run(subject, data), refusable=True)
        if not isinstance(out, ComponentValueError):
            _check_weight_values(_values_of(out), "with a missing score")


def _check_weight_values(w: np.ndarray, when: str) -> None:
    if not np.all(np.isfinite(w)):
        _fail(f"weights {when} must be finite, got {w.tolist()}")
    if np.any(w < 0):
        _fail(f"weights {when} must not be negative, got {w.tolist()}")
    if not np.allclose(w.sum(axis=-1), 1.0, atol=1e-9):
        _fail(f"weights {when} must sum to 1, got sums {np.atleast_1d(w.sum(axis=-1)).tolist()}")


def check_weights_sum_to_one(subject: Subject) -> None:
    for batch in ((), (BATCH,)):
        data = _data("weighting", batch)
        w = _values_of(_call("weights()", lambda d=data: _run(subject, d)))
        _check_weight_values(w, "")


def check_data_driven(subject: Subject) -> None:
    """A scheme that says it ignores the data (``data_driven = False``) must."""
    if subject.cls.data_driven:
        return
    data = _data("weighting")
    first = _values_of(_call("weights()", lambda: _run(subject, data)))
    second = _values_of(_call("weights()", lambda: _run(subject, data[::-1] * 2 + 1)))
    if not _same(first, second):
        _fail("`data_driven = False` but the weights change with the scores")


def check_present_values_kept(subject: Subject) -> None:
    if not subject.cls.fills:
        return  # checked by check_missing_values: it must refuse
    data = _data("imputer")
    data[[0, 3]] = np.nan
    values = _values_of(_call("impute()", lambda: _run(subject, data)))
    present = ~np.isnan(data)
    if not np.array_equal(values[present], data[present]):
        _fail("an imputer must never change a value that is present")


def check_direction(subject: Subject) -> None:
    """Higher input, higher (or equal) score: the engine negates `lower is better`
    indicators before normalising, unless the normaliser sets ``raw_units = True``, in
    which case it must read ``context.higher_is_better`` itself."""
    data = _data("normaliser")
    order = np.argsort(data)
    directions = (True, False) if subject.cls.raw_units else (True,)
    for higher in directions:
        ctx = sample_context(higher_is_better=higher)
        out = _call(
            "normalise()", lambda c=ctx: _run(subject, data, c), refusable=not subject.params
        )
        if isinstance(out, ComponentValueError):
            continue
        ranked = _values_of(out)[order]
        steps = np.diff(ranked) if higher else -np.diff(ranked)
        if np.any(steps < -TOLERANCE * (1 + np.abs(ranked[1:]))):
            way = "higher" if higher else "lower (higher_is_better=False)"
            _fail(f"a {way} value must never get a lower score: {ranked.tolist()}")


def check_monotone(subject: Subject) -> None:
    """``monotone = True`` promises that raising one child's score never lowers the
    unit's aggregate."""
    if not subject.cls.monotone:
        return
    data = _data("aggregator")
    before = _call("aggregate()", lambda: _run(subject, data))
    for child in range(CHILDREN):
        raised = data.copy()
        raised[:, child] += 10.0
        after = _call("aggregate()", lambda r=raised: _run(subject, r))
        if np.any(after < before - TOLERANCE * (1 + np.abs(before))):
            units = np.nonzero(after < before - TOLERANCE * (1 + np.abs(before)))[0].tolist()
            _fail(
                f"`monotone = True`, but raising child {child} lowered the score of units "
                f"{units}; set `monotone = False` if that is intended"
            )


def check_batch(subject: Subject) -> None:
    """A leading batch axis (replications of an uncertainty analysis) gives, row by row,
    what each row gives alone."""
    data = _data(subject.role, (BATCH,))
    together = _values_of(_call("the method on a batch", lambda: _run(subject, data)))
    for i in range(BATCH):
        alone = _values_of(_call("the method", lambda row=data[i]: _run(subject, row)))
        if not _same(together[i], alone):
            _fail(
                f"batch row {i} differs from the same values computed alone: work on the "
                "last axis (axis=-1, keepdims=True) and broadcast over leading axes"
            )


def check_determinism(subject: Subject) -> None:
    data = _data(subject.role)
    copy = data.copy()
    first = _call("the method", lambda: _run(subject, data))
    if not np.array_equal(data, copy):
        _fail("the method modified its input array in place")
    second = _call("the method", lambda: _run(subject, data))
    if not _same(_values_of(first), _values_of(second)):
        _fail("two calls on the same data gave different values (seed any randomness)")


def check_refusals(subject: Subject) -> None:
    """Data a method may not suit (all equal, all missing, zeros) are either computed or
    refused with ComponentValueError (E401, located in the index file), never another
    exception."""
    base = _data(subject.role)
    cases = {
        "equal values": np.full_like(base, 5.0),
        "zeros": np.zeros_like(base),
        "all missing": np.full_like(base, np.nan),
    }
    for label, data in cases.items():
        _call(f"the method on {label}", lambda d=data: _run(subject, d), refusable=True)


# ---- loaders -------------------------------------------------------------------------------
def check_missing_source(subject: Subject) -> None:
    """A loader whose ``path`` names no file raises DataError (E301), not another error."""
    if "path" not in {p.name for p in subject.cls.params}:
        return
    with tempfile.TemporaryDirectory() as folder:
        params = {**subject.params, "path": "no-such-file.data"}
        try:
            subject.cls(**params).load(Path(folder))
        except DataError:
            return
        except Exception as exc:
            _fail(f"a missing file raised {type(exc).__name__}: {exc}; raise DataError")
        _fail("loading a file that does not exist did not raise DataError")


def check_table(subject: Subject) -> None:
    """With the given parameters, ``load`` returns a well-formed Table, twice the same."""
    if subject.base is None:
        return
    tables = []
    for _ in range(2):
        try:
            tables.append(subject.make().load(subject.base))
        except DataError as exc:
            _fail(f"load() raised DataError: {exc.message}")
        except Exception as exc:
            _fail(f"load() raised {type(exc).__name__}: {exc}")
    table = tables[0]
    if not isinstance(table, Table):
        _fail(f"load() must return an indexdsl.components.Table, not {type(table).__name__}")
    columns = table.columns
    if not all(isinstance(c, str) and c for c in columns) or len(set(columns)) != len(columns):
        _fail(f"columns must be unique, non-empty names: {columns!r}")
    for i, row in enumerate(table.rows):
        if len(row) != len(columns) or not all(isinstance(c, str) for c in row):
            _fail(f"row {i} must be a tuple of {len(columns)} text cells: {row!r}")
    if len(table.line_numbers) != len(table.rows) or not all(
        isinstance(n, int) and n >= 1 for n in table.line_numbers
    ):
        _fail("line_numbers must give a line (from 1) for every row")
    if table.column_offsets and len(table.column_offsets) != len(table.rows):
        _fail("column_offsets, when given, must have an entry for every row")
    if tables[0] != tables[1]:
        _fail("two loads of the same source gave different tables")


# ---- the suite -------------------------------------------------------------------------------
ALL_ROLES = tuple(ROLES)

CHECKS: tuple[Check, ...] = (
    Check("declaration", ALL_ROLES, "name, summary and params are well formed", check_declaration),
    Check("construction", ALL_ROLES, "it is created and validated", check_construction),
    Check(
        "parameter validation",
        ALL_ROLES,
        "odd parameters are accepted or refused with a message naming them",
        check_parameter_validation,
    ),
    Check("shape", ARRAY_ROLES, "output shape, with and without a batch axis", check_shape),
    Check("finite", ARRAY_ROLES, "finite input gives finite output", check_finite),
    Check("missing values", ARRAY_ROLES, "NaN is handled as missing", check_missing_values),
    Check("direction", ("normaliser",), "higher values never score lower", check_direction),
    Check("monotone", ("aggregator",), "monotone as declared", check_monotone),
    Check("weights", ("weighting",), "non-negative and summing to 1", check_weights_sum_to_one),
    Check("data_driven", ("weighting",), "ignores the data when it says so", check_data_driven),
    Check(
        "present values kept",
        ("imputer",),
        "never changes a present value",
        check_present_values_kept,
    ),
    Check("batch", ARRAY_ROLES, "a batch equals its rows computed alone", check_batch),
    Check(
        "determinism", ARRAY_ROLES, "same input, same output; input untouched", check_determinism
    ),
    Check("refusals", ARRAY_ROLES, "unsuitable data raise ComponentValueError", check_refusals),
    Check("missing source", ("loader",), "a missing file raises DataError", check_missing_source),
    Check("table", ("loader",), "a well-formed Table, deterministic", check_table),
)


def conformance_checks(cls: type[Component]) -> list[str]:
    """Names of the checks that apply to ``cls`` (for ``pytest.mark.parametrize``)."""
    role = getattr(cls, "role", None)
    return [c.name for c in CHECKS if role in c.roles]


def parameter_sets(
    cls: type[Component], params: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The parameter sets to check: those given, else the class's ``examples``, else the
    defaults; a required parameter without a value is a usage error."""
    if params is None:
        sets = [dict(e) for e in getattr(cls, "examples", ())] or [{}]
    elif isinstance(params, Mapping):
        sets = [dict(params)]
    else:
        sets = [dict(p) for p in params]
    if cls.role != "transform":
        for values in sets:
            missing = [p.name for p in cls.params if p.required and p.name not in values]
            if missing:
                raise ConformanceError(
                    f"`{cls.name}` needs values for {', '.join(missing)}: pass "
                    "check_component(cls, params={...}) or give the class `examples`"
                )
    return sets


def run_check(
    cls: type[Component],
    check: str,
    params: Mapping[str, Any] | None = None,
    base: Path | str | None = None,
) -> None:
    """Run one named check; raises ConformanceError if it fails."""
    check_component(cls, params, base=base, only=[check])


def check_component(
    cls: type[Component],
    params: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    *,
    base: Path | str | None = None,
    only: Iterable[str] | None = None,
) -> None:
    """Run every conformance check that applies to ``cls`` (or those named in ``only``)
    with each parameter set; raise :class:`ConformanceError` listing all failures.

    ``base`` is the folder a loader reads from (its ``path`` is relative to it)."""
    label = (
        f"`{getattr(cls, 'name', cls.__name__)}` ({getattr(cls, 'role', '?')}, {cls.__module__})"
    )
    names = conformance_checks(cls)
    if not names:
        raise ConformanceError(f"{label} is not a component of a known role")
    if only is not None:
        wanted = list(only)
        unknown = [n for n in wanted if n not in {c.name for c in CHECKS}]
        if unknown:
            raise ConformanceError(f"unknown checks {unknown}; known: {[c.name for c in CHECKS]}")
        names = [n for n in names if n in wanted]
    failures = []
    for values in parameter_sets(cls, params):
        subject = Subject(cls, values, Path(base) if base is not None else None)
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
        for check in CHECKS:
            if check.name not in names:
                continue
            try:
                check.run(subject)
            except _Failed as exc:
                failures.append(f"[{check.name}]{f' with {shown}' if shown else ''}: {exc}")
                if check.name in ("declaration", "construction"):
                    break  # the rest would fail for the same reason
    if failures:
        raise ConformanceError(
            f"{label} failed {len(failures)} conformance check"
            f"{'s' if len(failures) != 1 else ''}:\n" + "\n".join(f"  - {f}" for f in failures)
        )


def components_of(plugin: Any) -> list[type[Component]]:
    """The component classes a plugin registers: ``plugin`` is a module or object with
    hook implementations, a module name, or an installed distribution or entry-point
    name of the ``indexdsl`` group."""
    from indexdsl import hookspecs
    from indexdsl.plugins import ENTRY_POINT_GROUP, ROLE_HOOKS, normalise_name

    if isinstance(plugin, str):
        from importlib.metadata import entry_points

        found = [
            ep
            for ep in entry_points(group=ENTRY_POINT_GROUP)
            if ep.name == plugin
            or (
                ep.dist is not None
                and normalise_name(ep.dist.metadata["Name"]) == normalise_name(plugin)
            )
        ]
        modules = [ep.load() for ep in found] or [importlib.import_module(plugin)]
    else:
        modules = [plugin]
    classes: list[type[Component]] = []
    for module in modules:
        for hook_name in ROLE_HOOKS.values():
            function = getattr(module, hook_name, None)
            if function is None:
                continue
            import inspect

            wanted = inspect.signature(function).parameters
            offered = {"api_version": hookspecs.HOOKSPEC_VERSION}
            classes.extend(function(**{a: offered[a] for a in wanted}) or [])
    return classes


def check_plugin(plugin: Any, params: Mapping[str, Mapping[str, Any]] | None = None, **kw) -> None:
    """Check every component a plugin registers (see :func:`components_of`); ``params``
    maps a component's name to the parameters to check it with."""
    classes = components_of(plugin)
    if not classes:
        raise ConformanceError(f"{plugin!r} registers no components")
    failures = []
    for cls in classes:
        try:
            check_component(cls, (params or {}).get(cls.name), **kw)
        except ConformanceError as exc:
            failures.append(str(exc))
    if failures:
        raise ConformanceError("\n".join(failures))


# ---- pytest fixtures ----------------------------------------------------------------------
try:
    import pytest
except ImportError:  # pragma: no cover - the kit is for tests; pytest is then installed
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def indexdsl_registry():
        """The registry of every installed plugin, loaded once per test session."""
        from indexdsl.plugins import load_registry

        return load_registry()

    @attrs.define
    class IndexProject:
        """A temporary folder holding an index and its data; ``run`` computes it,
        ``cli`` runs the ``indexdsl`` command in it."""

        root: Path
        registry: Any
        capsys: Any

        def write(self, name: str, content: str | bytes) -> Path:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
            return path

        def run(self, index: str, files: Mapping[str, str | bytes] | None = None):
            """Write ``index.idx`` and ``files``, compute it; returns the Result."""
            from indexdsl.pipeline import Session, run_file

            for name, content in (files or {}).items():
                self.write(name, content)
            path = self.write("index.idx", index)
            result, _ = run_file(path, Session(registry=self.registry))
            return result

        def cli(self, *args: str) -> tuple[int, str, str]:
            """``indexdsl ARGS`` in the folder: (exit code, stdout, stderr)."""
            from indexdsl import cli

            self.capsys.readouterr()
            code = cli.main([str(a) for a in args])
            captured = self.capsys.readouterr()
            return code, captured.out, captured.err

    @pytest.fixture
    def indexdsl_project(tmp_path, monkeypatch, capsys, indexdsl_registry):
        """An :class:`IndexProject` in ``tmp_path`` (also the working folder)."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("NO_COLOR", "1")
        return IndexProject(tmp_path, indexdsl_registry, capsys)
