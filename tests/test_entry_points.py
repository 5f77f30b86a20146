"""Entry points read from the dist-info folders, without importing importlib.metadata
(its import, with the e-mail parser, is part of every command's start-up)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from indexdsl import plugins

ROOT = Path(__file__).resolve().parents[1]


def described(points) -> list[tuple]:
    return [
        (ep.name, ep.value, ep.group, ep.dist.metadata["Name"], ep.dist.version) for ep in points
    ]


@pytest.mark.parametrize("group", ["indexdsl", "console_scripts", "pytest11", "no.such.group"])
def test_the_entry_points_are_those_importlib_finds(group):
    assert described(plugins.entry_points(group)) == described(
        importlib.metadata.entry_points(group=group)
    )


def distribution(folder: Path, name: str, version: str, entry_points: str) -> None:
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x: y\n\nName: no\n"
    )
    (info / "entry_points.txt").write_text(entry_points)


def test_a_folder_on_the_path_the_first_of_a_name_and_extras(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    distribution(
        first,
        "indexdsl-one",
        "1.2",
        "# a comment\n[other]\nx = nothing\n\n[indexdsl]\n"
        "one = json:dumps [extra]\nonepath=os.path\n",
    )
    distribution(second, "indexdsl_one", "9.9", "[indexdsl]\nshadowed = json\n")
    distribution(second, "indexdsl-two", "0.1", "[indexdsl]\ntwo = json.decoder:JSONDecoder\n")
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    importlib.invalidate_caches()
    ours = plugins.entry_points("indexdsl")
    theirs = importlib.metadata.entry_points(group="indexdsl")
    assert described(ours) == described(theirs)
    found = {ep.name: ep for ep in ours}
    assert "shadowed" not in found  # the first `indexdsl-one` on the path wins
    assert found["one"].dist.metadata["Name"] == "indexdsl-one"
    assert found["one"].dist.version == "1.2"
    import json
    import os.path

    assert found["one"].load() is json.dumps
    assert found["onepath"].load() is os.path
    assert found["two"].load() is json.decoder.JSONDecoder


def test_eggs_are_left_to_importlib(tmp_path, monkeypatch):
    egg = tmp_path / "indexdsl_egg.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: indexdsl-egg\nVersion: 3\n")
    (egg / "entry_points.txt").write_text("[indexdsl]\negg = json\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    importlib.invalidate_caches()
    names = {ep.name for ep in plugins.entry_points("indexdsl")}
    assert "egg" in names and "example" in names


def test_run_does_not_import_importlib_metadata():
    code = (
        "import sys\n"
        "from indexdsl.cli import main\n"
        f"code = main(['run', {str(ROOT / 'indices' / 'asem.idx')!r}, '-q', '--no-write'])\n"
        "assert code == 0, code\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "False"
