"""The plugin author's kit (indexdsl.testing): the conformance suite passes for every
installed component (the built-in ones and the example plugin's), and each of its checks
catches a component broken in the way it looks for."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from conftest import shared_registry
from indexdsl.components import (
    Aggregator,
    ComponentValueError,
    DataError,
    Imputer,
    Loader,
    Normaliser,
    Param,
    Table,
    Transform,
    WeightingScheme,
)
from indexdsl.testing import (
    CHECKS,
    ConformanceError,
    check_component,
    check_plugin,
    components_of,
    conformance_checks,
    run_check,
)

#: parameters for the installed components that have required ones
PARAMS = {
    ("normaliser", "goalposts"): [
        {"low": 0.0, "high": 100.0},
        {"low": 10.0, "high": 90.0, "truncate": False},
    ],
    ("normaliser", "distance_to_target"): [{"target": 80.0}, {"target": 80.0, "cap": True}],
    ("normaliser", "distance_to_reference"): [{"unit": "u3"}],
    ("aggregator", "power_mean"): [{"p": 2.0}, {"p": 0.0}, {"p": -1.0}],
    ("loader", "csv"): [{"path": "table.csv"}],
    # the suite's samples: 3 children, groups in the column `region`
    ("weighting", "ahp"): [{"matrix": "1 3 5; 1/3 1 2; 1/5 1/2 1"}],
    ("weighting", "explicit"): [{"shares": "50%, 30%, 20%"}, {"shares": "1 1 2"}],
    ("imputer", "group_mean"): [
        {"group": "region"},
        {"group": "region", "empty_groups": "missing"},
    ],
    ("imputer", "group_median"): [{"group": "region"}],
    ("loader", "sqlite"): [{"path": "table.sqlite", "table": "t"}],
    ("loader", "parquet"): [{"path": "table.parquet"}],
    ("loader", "xlsx"): [{"path": "table.xlsx"}, {"path": "table.xlsx", "sheet": "t"}],
}


def sample_files(folder):
    (folder / "table.csv").write_text("id,x\na,1\nb,2.5\n", encoding="utf-8")
    with sqlite3.connect(folder / "table.sqlite") as db:
        db.execute("CREATE TABLE t (id TEXT, x REAL)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1.0), ("b", None)])
    try:
        import openpyxl
    except ImportError:
        pass
    else:
        book = openpyxl.Workbook()
        book.active.title = "t"
        for row in (("id", "x"), ("a", 1.0), ("b", None)):
            book.active.append(row)
        book.save(folder / "table.xlsx")
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # the parquet loader's check then expects E301 and is skipped
        return
    table = pyarrow.table({"id": ["a", "b"], "x": [1.0, None]})
    pyarrow.parquet.write_table(table, folder / "table.parquet")


INSTALLED = [(role, name) for role, name, _ in shared_registry().all()]


@pytest.mark.parametrize(("role", "name"), INSTALLED, ids=[f"{r}-{n}" for r, n in INSTALLED])
def test_every_installed_component_conforms(role, name, tmp_path):
    cls = shared_registry().get(role, name).cls
    params = PARAMS.get((role, name))
    if params is None and any(p.required for p in cls.params) and role != "transform":
        if not cls.examples:
            pytest.skip(
                f"{role} `{name}` has required parameters and no `examples` to check it with"
            )
    sample_files(tmp_path)
    check_component(cls, params, base=tmp_path)


def test_every_role_is_covered():
    roles = {c.role for c in (Normaliser, Aggregator, Transform, Loader, WeightingScheme, Imputer)}
    for role in roles:
        assert [c for c in CHECKS if role in c.roles], role


# ---- broken components: each check can fail ----------------------------------------------
class GoodNormaliser(Normaliser):
    name = "good"
    summary = "min-max"

    def normalise(self, x, context=None):
        if np.isnan(x).all(axis=-1).any():
            raise ComponentValueError("every value is missing")
        lo = np.nanmin(x, axis=-1, keepdims=True)
        hi = np.nanmax(x, axis=-1, keepdims=True)
        if np.any(hi == lo):
            raise ComponentValueError("constant")
        return (x - lo) / (hi - lo), {}


class GoodAggregator(Aggregator):
    name = "good"
    summary = "mean"

    def aggregate(self, values, weights):
        w = np.where(np.isnan(values), 0.0, np.expand_dims(weights, -2))
        total = w.sum(axis=-1)
        with np.errstate(invalid="ignore"):
            return np.where(total > 0, np.nansum(values * w, axis=-1) / total, np.nan)


class GoodWeighting(WeightingScheme):
    name = "good"
    summary = "equal"
    data_driven = False

    def weights(self, scores, context):
        n = scores.shape[-1]
        return np.full((*scores.shape[:-2], n), 1.0 / n), {}


class GoodImputer(Imputer):
    name = "good"
    summary = "mean"

    def impute(self, x, context):
        mean = np.nanmean(x, axis=-1, keepdims=True) if not np.isnan(x).all() else x
        return np.where(np.isnan(x), mean, x), {}


class GoodTransform(Transform):
    name = "good"
    summary = "double"
    params = (Param("x", float, doc="values"),)

    def apply(self, x):
        return 2 * np.asarray(x, dtype=float)


class GoodLoader(Loader):
    name = "good"
    summary = "one row"
    params = (Param("path", str, doc="file"),)

    def load(self, base):
        if not (base / self.path).is_file():
            raise DataError("missing", self.path)
        return Table(self.path, ("id",), (("a",),), (2,))


def broken(base, **attributes):
    return type("Broken" + base.__name__, (base,), {"name": "broken", **attributes})


def nan_out(self, x, context=None):
    out, state = GoodNormaliser.normalise(self, x, context)
    return np.where(np.isnan(out), 0.0, out), state


BROKEN = {
    "declaration": broken(GoodNormaliser, name="Bad Name"),
    "construction": broken(
        GoodNormaliser, params=(Param("k", float, 1.0),), __init__=lambda self, **kw: 1 / 0
    ),
    "parameter validation": broken(
        GoodNormaliser,
        params=(Param("k", float, 1.0),),
        validate=lambda self: None if self.k >= 0 else float("x"),
    ),
    "shape": broken(GoodAggregator, aggregate=lambda self, v, w: np.nanmean(v)),
    "finite": broken(
        GoodNormaliser,
        normalise=lambda self, x, c=None: (np.log(x - x.min(axis=-1, keepdims=True)), {}),
    ),
    "missing values": broken(GoodNormaliser, normalise=nan_out),
    "direction": broken(
        GoodNormaliser,
        normalise=lambda self, x, c=None: (-GoodNormaliser.normalise(self, x)[0], {}),
    ),
    "monotone": broken(
        GoodAggregator, aggregate=lambda self, v, w: -GoodAggregator.aggregate(self, v, w)
    ),
    "weights": broken(
        GoodWeighting, weights=lambda self, s, c: (np.ones((*s.shape[:-2], s.shape[-1])), {})
    ),
    "data_driven": broken(
        GoodWeighting,
        weights=lambda self, s, c: (s[..., 0, :] / s[..., 0, :].sum(-1, keepdims=True), {}),
    ),
    "present values kept": broken(
        GoodImputer, impute=lambda self, x, c: (np.where(np.isnan(x), 0.0, x + 1), {})
    ),
    "batch": broken(
        GoodNormaliser, normalise=lambda self, x, c=None: ((x - x.min()) / (x.max() - x.min()), {})
    ),
    "determinism": broken(
        GoodTransform, apply=lambda self, x: x + np.random.default_rng().random()
    ),
    "refusals": broken(
        GoodNormaliser,
        normalise=lambda self, x, c=None: (
            GoodNormaliser.normalise(self, x) if np.ptp(x) > 0 else [][0]
        ),
    ),
    "missing source": broken(GoodLoader, load=lambda self, base: open(base / self.path)),
    "table": broken(
        GoodLoader, load=lambda self, base: Table(self.path, ("id", "id"), (("a", 1),), ())
    ),
}


@pytest.mark.parametrize(
    "role_class", [GoodNormaliser, GoodAggregator, GoodWeighting, GoodImputer, GoodTransform]
)
def test_the_well_behaved_ones_pass(role_class):
    check_component(role_class)


def test_a_well_behaved_loader_passes(tmp_path):
    (tmp_path / "f").write_text("x")
    check_component(GoodLoader, {"path": "f"}, base=tmp_path)


def test_every_check_has_a_broken_component():
    assert set(BROKEN) == {c.name for c in CHECKS}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy, inside the broken ones
@pytest.mark.parametrize("check", sorted(BROKEN))
def test_each_check_catches_its_broken_component(check, tmp_path):
    cls = BROKEN[check]
    params = {"path": "f"} if issubclass(cls, Loader) else None
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConformanceError) as info:
        run_check(cls, check, params, base=tmp_path)
    message = str(info.value)
    assert message.startswith(f"`{cls.name}` ({cls.role}, {__name__}) failed 1 conformance check")
    assert f"[{check}]" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_full_suite_reports_every_failure_at_once():
    with pytest.raises(ConformanceError) as info:
        check_component(BROKEN["batch"])
    assert "[batch]" in str(info.value)
    assert conformance_checks(GoodNormaliser)[:3] == [
        "declaration",
        "construction",
        "parameter validation",
    ]


def test_a_required_parameter_needs_values():
    with pytest.raises(ConformanceError, match="`goalposts` needs values for low, high"):
        check_component(shared_registry().get("normaliser", "goalposts").cls)


class TestCheckPlugin:
    def test_by_distribution_name_in_one_line(self, tmp_path):
        sample_files(tmp_path)
        check_plugin(
            "indexdsl-example", {"sqlite": {"path": "table.sqlite", "table": "t"}}, base=tmp_path
        )

    def test_components_of_a_module_or_entry_point(self):
        import indexdsl_example

        names = {c.name for c in components_of(indexdsl_example)}
        assert names == {"median", "bod", "logistic", "rank_order", "sqlite"}
        assert {c.name for c in components_of("example")} == names

    def test_a_failing_plugin_names_its_components(self):
        import types

        from indexdsl.hookspecs import hookimpl

        module = types.ModuleType("bad")
        module.indexdsl_register_normalisers = hookimpl(lambda: [BROKEN["direction"]])
        module.indexdsl_register_normalisers.__name__ = "indexdsl_register_normalisers"
        with pytest.raises(ConformanceError, match=r"`broken` \(normaliser"):
            check_plugin(module)


def test_the_fixtures(indexdsl_project, indexdsl_registry):
    assert indexdsl_registry.get("aggregator", "bod") is not None
    result = indexdsl_project.run(
        'index t { }\nunits c { from csv("u.csv") key id }\n'
        "indicator x = c.x\nindicator y = c.y\nframework { aggregate bod  x  y }\n",
        {"u.csv": "id,x,y\na,1,3\nb,2,2\nc,3,1\nd,1,1\n"},
    )
    np.testing.assert_allclose(result.units.scores["t"], [100, 100, 100, 0], atol=1e-9)
    code, out, _ = indexdsl_project.cli("run", "index.idx", "--no-write")
    assert code == 0 and "score" in out
