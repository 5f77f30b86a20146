"""Disabling any built-in plugin leaves the core standing: every command that then
lacks a method says so with a diagnostic and exit code 1, never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexdsl.plugins import BUILTIN_PLUGINS

INDICES = Path(__file__).resolve().parents[1] / "indices"


@pytest.mark.parametrize("plugin", BUILTIN_PLUGINS)
@pytest.mark.parametrize("index", ["bri.idx", "asem_full.idx", "hdi.idx"])
def test_disabling_a_built_in_plugin_gives_a_diagnostic(project, plugin, index):
    result = project.cli("run", INDICES / index, "--no-write", "-q", "--disable-plugin", plugin)
    assert result.code in (0, 1), result.err
    assert "internal error" not in result.err.lower()
    assert "Traceback" not in result.err
    if result.code == 1:
        assert "error[E" in result.err


@pytest.mark.parametrize(
    "plugin", ["indexdsl_builtins.aggregators", "indexdsl_builtins.normalisers"]
)
def test_no_default_method_is_located_and_says_what_to_write(project, plugin):
    result = project.cli("check", INDICES / "bri.idx", "--disable-plugin", plugin)
    assert result.code == 1
    assert "error[E256]" in result.err
    keyword = "aggregate" if plugin.endswith("aggregators") else "normalise"
    assert f"defaults {{ {keyword} NAME }}" in result.err
    assert "indices/bri.idx:" in result.err


def test_the_default_methods_are_declared_by_their_plugins():
    from indexdsl.plugins import load_registry

    registry = load_registry()
    assert registry.default("aggregator").cls.name == "arithmetic"
    assert registry.default("normaliser").cls.name == "minmax"
    assert registry.default("aggregator").cls.additive
    disabled = load_registry(["indexdsl_builtins.aggregators"])
    assert disabled.default("aggregator") is None


def test_a_run_that_writes_honours_disabled_plugins(project, tmp_path):
    """The registry that checks `--format` is the run's own, with the plugins left out."""
    result = project.cli(
        "run",
        INDICES / "hdi.idx",
        "-q",
        "--out",
        tmp_path / "o",
        "--disable-plugin",
        "indexdsl_builtins.aggregators",
    )
    assert result.code == 1 and "error[E256]" in result.err
    assert not (tmp_path / "o").exists()


def test_without_the_default_exporter_a_run_asks_for_a_format(project, tmp_path):
    result = project.cli(
        "run",
        INDICES / "hdi.idx",
        "-q",
        "--out",
        tmp_path / "o",
        "--disable-plugin",
        "indexdsl_builtins.export_csv",
    )
    assert result.code == 2
    assert "no installed exporter offers a default output format" in result.err
    assert "`--format`: json, md" in result.err
    assert not (tmp_path / "o").exists()
