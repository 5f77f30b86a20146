"""Plugins: the manager, the registry, the third-party example plugin found through its
entry point, and plugins that misbehave (reported with their name, exit code 3)."""

from __future__ import annotations

import sys
import types
from importlib.metadata import entry_points

import numpy as np
import pytest

from conftest import codes, only, simple_index, units_csv
from indexdsl import plugins
from indexdsl.components import Aggregator
from indexdsl.diagnostics import PluginError
from indexdsl.hookspecs import hookimpl
from indexdsl.plugins import BUILTIN_PLUGINS, Registry, get_plugin_manager, load_registry

BUILTIN_COMPONENTS = {
    ("loader", "csv"): "indexdsl_builtins.loaders",
    ("normaliser", "minmax"): "indexdsl_builtins.normalisers",
    ("normaliser", "zscore"): "indexdsl_builtins.normalisers",
    ("normaliser", "rank"): "indexdsl_builtins.normalisers",
    ("aggregator", "arithmetic"): "indexdsl_builtins.aggregators",
    ("aggregator", "geometric"): "indexdsl_builtins.aggregators",
    ("transform", "log"): "indexdsl_builtins.transforms",
    ("transform", "cap"): "indexdsl_builtins.transforms",
}


class TestManager:
    def test_the_example_distribution_is_installed_with_an_entry_point(self):
        names = {ep.name: ep.value for ep in entry_points(group="indexdsl")}
        assert names.get("example") == "indexdsl_example"

    def test_entry_points_and_builtins_are_registered(self):
        pm = get_plugin_manager()
        registered = {pm.get_name(p) for p in pm.get_plugins()}
        assert "example" in registered
        assert set(BUILTIN_PLUGINS) <= registered

    def test_entry_points_can_be_left_out(self):
        pm = get_plugin_manager(load_entry_points=False)
        assert pm.get_plugin("example") is None
        assert Registry(pm).get("aggregator", "median") is None

    def test_each_call_gives_a_fresh_manager(self):
        assert get_plugin_manager() is not get_plugin_manager()


class TestRegistry:
    def test_components_know_their_plugin(self, registry):
        for (role, name), plugin in BUILTIN_COMPONENTS.items():
            provided = registry.get(role, name)
            assert provided is not None, (role, name)
            assert provided.plugin == plugin
            assert provided.cls.name == name and provided.cls.role == role
        median = registry.get("aggregator", "median")
        assert median.plugin == "example"
        assert median.cls.__module__ == "indexdsl_example"

    def test_every_component_has_a_summary(self, registry):
        for role, name, provided in registry.all():
            assert provided.cls.summary, (role, name)

    def test_suggestions_name_the_plugin(self, registry):
        assert registry.suggestions("aggregator", "medain") == [
            "`median` (aggregator from `example`)"
        ]
        assert registry.suggestions("aggregator", "log") == [
            "`log` is a transform, not a aggregator"
        ]
        assert registry.suggestions("aggregator", "qqqq") == []

    def test_a_duplicate_component_names_both_plugins(self):
        class OtherMedian(Aggregator):
            name = "median"
            summary = "another median"

        class Provider:
            @hookimpl
            def indexdsl_register_aggregators(self):
                return [OtherMedian]

        pm = get_plugin_manager()
        pm.register(Provider(), name="other-median")
        registry = Registry(pm)
        d = only(registry.problems, "W902")
        assert not d.is_error  # a warning: the first one registered is used
        assert "`example`" in d.message and "`other-median`" in d.message
        # the first one registered is kept
        assert registry.get("aggregator", "median").plugin in {"example", "other-median"}

    def test_a_duplicate_component_is_reported_by_check(self, monkeypatch):
        class OtherMedian(Aggregator):
            name = "median"

        module = fake_plugin_module(
            "dup_plugin", indexdsl_register_aggregators=lambda: [OtherMedian]
        )
        install(monkeypatch, module)
        from conftest import check_text

        monkeypatch.setattr("conftest._REGISTRY", load_registry())
        _, diagnostics = check_text(
            'index t { }\nunits c { from csv("u.csv") key id }\nindicator x = c.x\nframework { x }'
        )
        assert "W902" in codes(diagnostics)


def fake_plugin_module(name: str, **hooks) -> types.ModuleType:
    """A plugin module whose hooks are the given functions."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module


def install(monkeypatch, module: types.ModuleType) -> None:
    """Register ``module`` next to the built-in plugins, for this test only."""
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(plugins, "BUILTIN_PLUGINS", (*BUILTIN_PLUGINS, module.__name__))


class TestMisbehavingPlugins:
    def test_a_registration_hook_that_raises(self, monkeypatch, project):
        def indexdsl_register_normalisers():
            raise RuntimeError("cannot start")

        install(
            monkeypatch,
            fake_plugin_module(
                "broken_plugin", indexdsl_register_normalisers=indexdsl_register_normalisers
            ),
        )
        with pytest.raises(PluginError) as info:
            load_registry()
        assert "`broken_plugin`" in info.value.diagnostic.message
        assert "cannot start" in info.value.diagnostic.message
        result = project.cli("plugins")
        assert result.code == 3
        assert "error[E901]" in result.err and "`broken_plugin`" in result.err
        assert "Traceback" not in result.err

    def test_a_misspelt_hook_name(self, monkeypatch, project):
        install(
            monkeypatch,
            fake_plugin_module("typo_plugin", indexdsl_register_aggregator=lambda: []),
        )
        with pytest.raises(PluginError) as info:
            get_plugin_manager()
        assert "`typo_plugin`" in info.value.diagnostic.message
        assert "indexdsl_register_aggregator" in info.value.diagnostic.message
        project.index(simple_index({"x": "c.x"}, "x"), {"units.csv": units_csv({"x": [1, 2]})})
        result = project.cli("run", "index.idx", "--no-write")
        assert result.code == 3
        assert "`typo_plugin`" in result.err and "Traceback" not in result.err

    def test_a_hook_that_returns_something_else(self, monkeypatch):
        install(
            monkeypatch,
            fake_plugin_module("odd_plugin", indexdsl_register_aggregators=lambda: ["median"]),
        )
        with pytest.raises(PluginError) as info:
            load_registry()
        assert "`odd_plugin`" in info.value.diagnostic.message

    def test_a_component_that_fails_while_computing(self, monkeypatch, project):
        class ExplodingAggregator(Aggregator):
            name = "explode"
            summary = "fails"

            def aggregate(self, values, weights):
                raise ZeroDivisionError("oops")

        install(
            monkeypatch,
            fake_plugin_module(
                "exploding_plugin", indexdsl_register_aggregators=lambda: [ExplodingAggregator]
            ),
        )
        project.index(
            simple_index({"x": "c.x"}, "aggregate explode\nx"),
            {"units.csv": units_csv({"x": [1, 2]})},
        )
        result = project.cli("run", "index.idx", "--no-write")
        assert result.code == 3
        assert "error[E901]" in result.err
        assert "ZeroDivisionError: oops" in result.err
        assert "Traceback" not in result.err


class TestPluginsCommand:
    def test_lists_every_component_with_its_plugin(self, project, registry):
        result = project.cli("plugins")
        assert result.code == 0
        rows = [
            [cell.strip() for cell in line.split("│")[1:-1]]
            for line in result.out.splitlines()
            if line.startswith("│")
        ]
        listed = {(r[0], r[1]): r[3] for r in rows if r[0]}
        expected = {(role, name): p.plugin for role, name, p in registry.all()}
        assert listed == expected
        assert listed[("aggregator", "median")] == "example"
        assert listed[("normaliser", "minmax")] == "indexdsl_builtins.normalisers"
        assert len(listed) >= 14


class TestExampleAggregator:
    # min-max turns 0, 1, 2 into 0, 50, 100
    COLUMNS = {"x": [0, 1, 2], "y": [2, 0, 1], "z": [1, 2, 0]}
    INDICATORS = {"x": "c.x", "y": "c.y", "z": "c.z"}

    def scores(self, project, framework):
        project.index(
            simple_index(self.INDICATORS, framework),
            {"units.csv": units_csv(self.COLUMNS)},
        )
        result, _ = project.run()
        return result.units.scores["t"]

    def test_weighted_median_from_an_index_file(self, project):
        # unit 0: 0 (60%), 100, 50 → 0 ; unit 1: 50 (60%), 0, 100 → 50 ; unit 2: 100 (60%) → 100
        scores = self.scores(project, "aggregate median\nx 60%\ny 20%\nz 20%")
        np.testing.assert_allclose(scores, [0, 50, 100])

    def test_equal_weights(self, project):
        # every unit has 0, 50 and 100: the median is 50
        scores = self.scores(project, "aggregate median\nx\ny\nz")
        np.testing.assert_allclose(scores, [50, 50, 50])

    def test_in_a_dimension_and_with_parentheses(self, project):
        scores = self.scores(project, "d { aggregate median()  x 1/2  y 1/4  z 1/4 }")
        # unit 0: 0 (1/2), 50, 100 → 0 ; unit 1: 0, 50 (1/2) → 50 ; unit 2: 0, 50, 100 (1/2) → 50
        np.testing.assert_allclose(scores, [0, 50, 50])

    def test_it_takes_no_parameters(self, project):
        project.index(
            simple_index(self.INDICATORS, "aggregate median(0.5)\nx\ny\nz"),
            {"units.csv": units_csv(self.COLUMNS)},
        )
        d = only(project.fail(), "E211")
        assert "`median` takes at most 0 parameters" in d.message

    def test_recorded_in_the_run_provenance(self, project):
        import json

        project.index(
            simple_index(self.INDICATORS, "aggregate median\nx\ny\nz"),
            {"units.csv": units_csv(self.COLUMNS)},
        )
        assert project.cli("run", "index.idx", "--quiet", "--out", "o").code == 0
        record = json.loads((project.root / "o" / "run.json").read_text())
        assert record["provenance"]["versions"]["indexdsl_example"] == "0.1.0"
