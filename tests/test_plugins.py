"""Plugins: the manager, the registry, the third-party example plugin found through its
entry point, and plugins that misbehave (reported with their name, exit code 3)."""

from __future__ import annotations

import json
import sys
import types
from importlib.metadata import entry_points

import numpy as np
import pytest

from conftest import codes, only, simple_index, units_csv
from indexdsl import hookspecs, plugins
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
        assert median.cls.__module__.startswith("indexdsl_example")

    def test_every_component_has_a_summary(self, registry):
        for role, name, provided in registry.all():
            assert provided.cls.summary, (role, name)

    def test_suggestions_name_the_plugin(self, registry):
        assert registry.suggestions("aggregator", "medain") == [
            "`median` (aggregator from `example`)"
        ]
        assert registry.suggestions("aggregator", "log") == [
            "`log` is a transform, not an aggregator"
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
            for line in result.out.split("Installed components")[1].splitlines()
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
        assert record["provenance"]["versions"]["indexdsl_example"] == "0.2.0"


# ---- isolation: third-party plugins that fail are left out, by name ---------------------
class FakeDistribution:
    def __init__(self, name: str, version: str = "1.0"):
        self.metadata = {"Name": name}
        self.version = version


class FakeEntryPoint:
    """An entry point of the `indexdsl` group whose module is ``load()``."""

    def __init__(self, name: str, load, distribution: str):
        self.name = name
        self.load = load
        self.dist = FakeDistribution(distribution)


def add_entry_points(monkeypatch, *fakes: FakeEntryPoint) -> None:
    real = plugins.entry_points

    def entry_points(group):
        return [*real(group=group), *fakes]

    monkeypatch.setattr(plugins, "entry_points", entry_points)


def module_entry_point(name: str, distribution: str, **hooks) -> FakeEntryPoint:
    module = fake_plugin_module(name, **hooks)
    return FakeEntryPoint(name, lambda: module, distribution)


def cannot_import():
    raise ImportError("No module named 'missing_dependency'")


class TestIsolation:
    def index(self, project, framework="x"):
        project.index(
            simple_index({"x": "c.x"}, framework), {"units.csv": units_csv({"x": [1, 2]})}
        )

    def test_a_plugin_that_cannot_be_imported_is_left_out_with_a_warning(
        self, monkeypatch, project
    ):
        add_entry_points(monkeypatch, FakeEntryPoint("broken", cannot_import, "indexdsl-broken"))
        registry = load_registry()
        d = only(registry.problems, "W901")
        assert d.message.startswith(
            "plugin `broken` (distribution `indexdsl-broken` 1.0) failed while loading"
        )
        assert "ImportError: No module named 'missing_dependency'" in d.message
        assert registry.infos["broken"].status == "failed"
        assert registry.get("aggregator", "median") is not None  # the others still load
        # an index that does not use it runs, with the warning
        self.index(project)
        result = project.cli("run", "index.idx", "--no-write", "--quiet")
        assert result.code == 0
        assert "warning[W901]" in result.err and "`broken`" in result.err
        # an index that needs a component it may have provided stops, and says why
        self.index(project, "aggregate fancy\nx")
        result = project.cli("check", "index.idx")
        assert result.code == 1
        assert "error[E210]: unknown aggregator `fancy`" in result.err
        assert "plugin `broken` (distribution `indexdsl-broken`) is left out" in result.err
        # `indexdsl plugins` shows it, and exits with 3
        result = project.cli("plugins")
        assert result.code == 3 and "failed" in result.out and "Traceback" not in result.err

    def test_a_registration_hook_that_raises_leaves_its_plugin_out(self, monkeypatch):
        class Fancy(Aggregator):
            name = "fancy"
            summary = "x"

        def indexdsl_register_normalisers():
            raise RuntimeError("cannot start")

        add_entry_points(
            monkeypatch,
            module_entry_point(
                "half",
                "indexdsl-half",
                indexdsl_register_aggregators=lambda: [Fancy],
                indexdsl_register_normalisers=indexdsl_register_normalisers,
            ),
        )
        registry = load_registry()
        d = only(registry.problems, "W901")
        assert "`half`" in d.message and "RuntimeError: cannot start" in d.message
        assert "`indexdsl_register_normalisers`" in d.message
        assert registry.get("aggregator", "fancy") is None  # none of its components

    def test_a_misspelt_hook_in_a_third_party_plugin(self, monkeypatch):
        add_entry_points(
            monkeypatch,
            module_entry_point("typo", "indexdsl-typo", indexdsl_register_aggregator=lambda: []),
        )
        registry = load_registry()
        d = only(registry.problems, "W901")
        assert "unknown hook `indexdsl_register_aggregator`" in d.message
        assert "did you mean `indexdsl_register_aggregators`?" in d.message

    def test_a_hook_that_returns_something_else(self, monkeypatch):
        add_entry_points(
            monkeypatch,
            module_entry_point("odd", "indexdsl-odd", indexdsl_register_aggregators=lambda: ["x"]),
        )
        d = only(load_registry().problems, "W901")
        assert "is not a Aggregator subclass" in d.message

    def test_duplicates_name_both_providers_and_their_distributions(self, monkeypatch):
        class Median(Aggregator):
            name = "median"
            summary = "x"

        add_entry_points(
            monkeypatch,
            module_entry_point(
                "other", "indexdsl-other", indexdsl_register_aggregators=lambda: [Median]
            ),
        )
        d = only(load_registry().problems, "W902")
        assert "`example` (distribution `indexdsl-example`)" in d.message
        assert "`other` (distribution `indexdsl-other`)" in d.message


class TestDisabling:
    def test_by_entry_point_or_distribution_name(self):
        for name in ("example", "indexdsl-example", "INDEXDSL_EXAMPLE"):
            registry = load_registry(disabled=[name])
            assert registry.get("aggregator", "median") is None
            assert registry.infos["example"].status == "disabled"
            assert not registry.problems

    def test_a_built_in_module_can_be_disabled(self):
        registry = load_registry(disabled=["indexdsl_builtins.transforms"])
        assert registry.get("transform", "log") is None
        assert registry.get("aggregator", "arithmetic") is not None

    def test_the_environment_variable(self, monkeypatch, project):
        monkeypatch.setenv("INDEXDSL_DISABLE_PLUGINS", " example , nothing")
        registry = load_registry()
        assert registry.get("aggregator", "median") is None
        d = only(registry.problems, "W903")
        assert d.message == "no plugin named `nothing` to disable"
        result = project.cli("plugins", "--format", "json")
        record = json.loads(result.out)
        assert {p["name"]: p["status"] for p in record["plugins"]}["example"] == "disabled"

    def test_the_command_line_option_before_or_after_the_command(self, project):
        project.index(
            simple_index({"x": "c.x", "y": "c.y"}, "aggregate median\nx\ny"),
            {"units.csv": units_csv({"x": [1, 2], "y": [2, 1]})},
        )
        assert project.cli("run", "index.idx", "--no-write", "-q").code == 0
        for args in (
            ("--disable-plugin", "example", "run", "index.idx"),
            ("run", "index.idx", "--disable-plugin", "example"),
            ("run", "index.idx", "--disable-plugin", "x", "--disable-plugin", "example"),
        ):
            result = project.cli(*args, "--no-write")
            assert result.code == 1, args
            assert "unknown aggregator `median`" in result.err
            assert "plugin `example` (distribution `indexdsl-example`) is disabled" in result.err


class TestPluginsCommandShowsPlugins:
    def test_distribution_version_hooks_and_components(self, project):
        result = project.cli("plugins", "--format", "json")
        assert result.code == 0
        record = json.loads(result.out)
        example = next(p for p in record["plugins"] if p["name"] == "example")
        assert example["distribution"] == "indexdsl-example"
        assert example["version"] == "0.2.0"
        assert example["status"] == "loaded"
        assert "indexdsl_register_loaders" in example["hooks"]
        assert {"kind": "aggregator", "name": "bod"} in example["components"]
        builtins = next(p for p in record["plugins"] if p["name"] == "indexdsl_builtins.loaders")
        assert builtins["distribution"] == "indexdsl"
        text = project.cli("plugins").out
        assert "Installed plugins" in text and "indexdsl-example" in text and "0.2.0" in text


class TestVersioning:
    def test_the_hookspec_version_is_offered_to_plugins_that_ask(self, monkeypatch):
        seen = []

        class Asking(Aggregator):
            name = "asking"
            summary = "x"

        def indexdsl_register_aggregators(api_version):
            seen.append(api_version)
            return [Asking]

        add_entry_points(
            monkeypatch,
            module_entry_point(
                "new_style",
                "indexdsl-new",
                indexdsl_register_aggregators=indexdsl_register_aggregators,
            ),
        )
        registry = load_registry()
        assert seen == [hookspecs.HOOKSPEC_VERSION] and hookspecs.HOOKSPEC_VERSION >= 2
        assert registry.get("aggregator", "asking").plugin == "new_style"

    def test_an_older_style_plugin_without_the_argument_still_loads(self, monkeypatch):
        # written against version 1 of the hooks: no arguments
        class Old(Aggregator):
            name = "old"
            summary = "x"

        add_entry_points(
            monkeypatch,
            module_entry_point(
                "old_style", "indexdsl-old", indexdsl_register_aggregators=lambda: [Old]
            ),
        )
        registry = load_registry()
        assert registry.get("aggregator", "old").plugin == "old_style"
        assert not registry.problems
        # the example distribution's hooks take no arguments either
        assert registry.get("aggregator", "median").plugin == "example"


class TestWrongOutput:
    """A component that returns the wrong shape, infinities or NaN from present values is
    reported by name (E902, exit code 3), not allowed to corrupt the scores."""

    CASES = {
        "shape": lambda x: (x[..., :-1], {}),
        "infinite": lambda x: (np.where(x > 1, np.inf, x), {}),
        "nan": lambda x: (np.full_like(x, np.nan), {}),
    }

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_a_normaliser(self, monkeypatch, project, case):
        from indexdsl.components import Normaliser

        behaviour = self.CASES[case]

        class Bad(Normaliser):
            name = "bad"
            summary = "x"

            def normalise(self, x, context=None):
                return behaviour(x)

        install(
            monkeypatch,
            fake_plugin_module("bad_plugin", indexdsl_register_normalisers=lambda: [Bad]),
        )
        monkeypatch.setattr("conftest._REGISTRY", load_registry())
        project.index(
            simple_index({"x": "c.x  normalise bad"}, "x"),
            {"units.csv": units_csv({"x": [1, 2, 3]})},
        )
        result = project.cli("run", "index.idx", "--no-write")
        assert result.code == 3
        assert "error[E902]: indicator `x`: plugin `bad_plugin` returned" in result.err
        assert "Traceback" not in result.err

    def test_an_aggregator_with_the_wrong_shape(self, monkeypatch, project):
        class Flat(Aggregator):
            name = "flat"
            summary = "x"

            def aggregate(self, values, weights):
                return values.sum()

        install(
            monkeypatch,
            fake_plugin_module("flat_plugin", indexdsl_register_aggregators=lambda: [Flat]),
        )
        project.index(
            simple_index({"x": "c.x", "y": "c.y"}, "aggregate flat\nx\ny"),
            {"units.csv": units_csv({"x": [1, 2], "y": [2, 1]})},
        )
        result = project.cli("run", "index.idx", "--no-write")
        assert result.code == 3
        assert (
            "error[E902]: node `t`: plugin `flat_plugin` returned shape (), expected (2,)"
            in result.err
        )
