"""docs/plugins/ is tested: the tutorial's plugin is built from the page, installed (as
a distribution with an entry point), its own tests pass, and its index runs; every
relative link of the plugin docs leads to a file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

DOCS = REPO / "docs" / "plugins"
TUTORIAL = DOCS / "tutorial.md"


def tutorial_files() -> dict[str, str]:
    """Code blocks preceded by ``<!-- file: PATH -->``, by path."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)```", text, re.DOTALL))


@pytest.fixture(scope="module")
def tutorial_plugin(tmp_path_factory):
    """The tutorial's distribution, written out and made importable with its entry
    point (a .dist-info folder beside it, as an installation would leave)."""
    root = tmp_path_factory.mktemp("indexdsl-weakest")
    for name, content in tutorial_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    info = root / "indexdsl_weakest-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: indexdsl-weakest\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text("[indexdsl]\nweakest = indexdsl_weakest\n")
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}
    env.pop("INDEXDSL_DISABLE_PLUGINS", None)
    return root, env


def test_the_tutorial_has_its_files():
    assert set(tutorial_files()) == {
        "pyproject.toml",
        "indexdsl_weakest/__init__.py",
        "tests/conftest.py",
        "tests/test_weakest.py",
        "demo/demo.idx",
        "demo/units.csv",
    }


def test_the_tutorial_plugin_passes_its_own_tests(tutorial_plugin):
    root, env = tutorial_plugin
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_the_tutorial_index_runs_and_the_plugin_is_listed(tutorial_plugin):
    root, env = tutorial_plugin

    def indexdsl(*args):
        return subprocess.run(
            [sys.executable, "-m", "indexdsl.cli", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = indexdsl("run", "demo/demo.idx", "--no-write")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    listed = json.loads(indexdsl("plugins", "--format", "json").stdout)
    weakest = next(p for p in listed["plugins"] if p["name"] == "weakest")
    assert (weakest["distribution"], weakest["version"]) == ("indexdsl-weakest", "0.1.0")
    assert weakest["components"] == [{"kind": "aggregator", "name": "weakest_link"}]
    # without it, the index says what to install
    env["INDEXDSL_DISABLE_PLUGINS"] = "weakest"
    done = indexdsl("check", "demo/demo.idx")
    assert done.returncode == 1 and "error[E903]" in done.stderr


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.name)
def test_relative_links_lead_to_files(page):
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        assert (page.parent / target).exists(), f"{page.relative_to(REPO)} links to {target}"


def test_every_diagnostic_code_is_documented():
    """Each code the package can report has a section in docs/reference/errors.md."""
    used = set()
    for path in (REPO / "indexdsl").rglob("*.py"):
        used |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    errors = (REPO / "docs" / "reference" / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### ([EW]\d{3})", errors, re.MULTILINE))
    assert used - documented == set(), "codes without a section in errors.md"
