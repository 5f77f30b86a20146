"""Interrupted, killed and concurrent runs never cost the earlier results
(docs/reference/outputs.md).

Each fault is injected into a real `indexdsl run` process at a known moment: the
environment variable `INDEXDSL_TEST_PAUSE=POINT:FILE` makes the writer create FILE and
wait at POINT (`staged`: every file written to the staging folder, nothing committed;
`moving`: the database committed and the first file moved), and the test then sends
SIGINT, SIGTERM or SIGKILL.  Concurrent runs are eight processes started together.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import simple_index, units_csv

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

FORMATS = "csv,json,md,sqlite"
INDEX = simple_index(
    {"x": "c.x", "y": "c.y lower is better"},
    'd1 "One" { x }\nd2 "Two" { y }',
).replace("units c", 'parameter tag "Tag" = "a"\nunits c', 1)
DATA = units_csv({"x": [1, 2, 3, 4, 5], "y": [5, 3, 4, 1, 2]})
COMMAND = [sys.executable, "-c", "import sys; from indexdsl.cli import main; sys.exit(main())"]


@pytest.fixture
def folder(project):
    project.index(INDEX, {"units.csv": DATA})
    return project.root


def start(root: Path, *args: str, pause: str | None = None, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "NO_COLOR": "1", **env}
    if pause:
        environment["INDEXDSL_TEST_PAUSE"] = f"{pause}:{root / 'paused'}"
    return subprocess.Popen(
        [*COMMAND, "run", "index.idx", "-q", "--out", "out", "--format", FORMATS, *args],
        cwd=root,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    process = start(root, *args, **env)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def wait_until_paused(root: Path, process: subprocess.Popen) -> None:
    marker = root / "paused"
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the pause"
        time.sleep(0.02)


def contents(out: Path) -> dict[str, str]:
    """Every file of the folder (and staging folders, by name) with its digest; the
    database by the runs it holds."""
    shown = {}
    for path in sorted(out.iterdir()):
        if path.is_dir():
            shown[path.name] = "folder"
        elif path.name == "results.sqlite":
            shown[path.name] = repr(runs(path))
        else:
            shown[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return shown


def runs(database: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT run_id, parameters FROM runs ORDER BY 2").fetchall()


def complete(out: Path, tag: str) -> None:
    """The folder holds one run's results, whole: run.json's parameters and the files
    agree, every CSV file reads, no staging folder is left."""
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["provenance"]["parameters"] == {"tag": tag}
    with open(out / "units.csv", newline="", encoding="utf-8") as handle:
        assert len(list(csv.reader(handle))) == 6
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["provenance"]["parameters"] == {"tag": tag}
    assert f"- parameters: tag = {tag}\n" in (out / "results.md").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".indexdsl-")]


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_while_staging_leaves_the_folder_as_it_was(folder, sent, code):
    assert run(folder, "--set", "tag=old").returncode == 0
    before = contents(folder / "out")
    process = start(folder, "--set", "tag=new", pause="staged")
    wait_until_paused(folder, process)
    process.send_signal(sent)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert contents(folder / "out") == before  # no staging folder, no new file, no new run
    complete(folder / "out", "old")


def test_a_signal_while_moving_is_held_until_the_results_are_whole(folder):
    assert run(folder, "--set", "tag=old").returncode == 0
    process = start(folder, "--set", "tag=new", pause="moving")
    wait_until_paused(folder, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    complete(folder / "out", "new")  # never a mix of old and new files
    assert [json.loads(p) for _, p in runs(folder / "out" / "results.sqlite")] == [
        {"tag": "new"},
        {"tag": "old"},
    ]


def test_kill_9_keeps_the_earlier_results_and_the_next_run_cleans_up(folder):
    assert run(folder, "--set", "tag=old").returncode == 0
    before = contents(folder / "out")
    process = start(folder, "--set", "tag=new", pause="staged")
    wait_until_paused(folder, process)
    process.kill()
    process.communicate(timeout=30)
    left = contents(folder / "out")
    staging = [name for name in left if name.startswith(".indexdsl-")]
    assert len(staging) == 1  # what kill -9 leaves: a staging folder, nothing else
    assert {k: v for k, v in left.items() if k not in staging} == before
    assert run(folder, "--set", "tag=next").returncode == 0
    complete(folder / "out", "next")


#: the odd runs pause 0.3 s between reading the database's schema version and its
#: tables: unserialised, an even run's commit falls in between
SLOW_READS = """
import os, sqlite3, sys, time
connect = sqlite3.connect
class Slow:
    def __init__(self, connection):
        self.connection = connection
    def execute(self, sql, *args):
        cursor = self.connection.execute(sql, *args)
        if sql == "PRAGMA user_version" and int(os.environ["RUN"]) % 2:
            rows = cursor.fetchall()
            time.sleep(0.3)
            return Rows(rows)
        return cursor
    def __getattr__(self, name):
        return getattr(self.connection, name)
class Rows(list):
    def fetchone(self):
        return self[0]
    def fetchall(self):
        return list(self)
sqlite3.connect = lambda *a, **k: Slow(connect(*a, **k))
from indexdsl.cli import main
sys.exit(main())
"""


def test_eight_concurrent_runs_into_one_folder_keep_eight_runs(folder, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "COMMAND", [sys.executable, "-c", SLOW_READS])
    processes = [start(folder, "--set", f"tag=t{i}", RUN=str(i)) for i in range(8)]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _ in outcomes] == [0] * 8, outcomes
    assert [json.loads(p)["tag"] for _, p in runs(folder / "out" / "results.sqlite")] == [
        f"t{i}" for i in range(8)
    ]
    tag = json.loads((folder / "out" / "run.json").read_text())["provenance"]["parameters"]["tag"]
    complete(folder / "out", tag)  # the last run's files, whole


# ---- in-process: locks held by someone else, obstacles --------------------------------------


def test_a_run_waits_for_the_folder_lock_then_refuses_clearly(folder, project):
    fcntl = pytest.importorskip("fcntl")
    (folder / "out").mkdir()
    descriptor = os.open(folder / "out", os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # another run writing there
        os.environ["INDEXDSL_LOCK_TIMEOUT"] = "0.3"
        started = time.monotonic()
        outcome = project.cli("run", "index.idx", "-q", "--out", "out")
        waited = time.monotonic() - started
    finally:
        os.environ.pop("INDEXDSL_LOCK_TIMEOUT", None)
        os.close(descriptor)
    assert outcome.code == 5
    assert "another indexdsl run is writing there (waited 0.3 s" in outcome.err
    assert waited >= 0.3
    assert list((folder / "out").iterdir()) == []


def test_a_locked_database_is_not_called_foreign(folder, project, monkeypatch):
    assert project.cli("run", "index.idx", "-q", "--out", "out", "--format", "sqlite").code == 0
    before = contents(folder / "out")
    holder = sqlite3.connect(folder / "out" / "results.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another program writing the database
        monkeypatch.setenv("INDEXDSL_LOCK_TIMEOUT", "0.2")
        outcome = project.cli(
            "run", "index.idx", "-q", "--out", "out", "--format", "sqlite", "--set", "tag=b"
        )
    finally:
        holder.close()
    assert outcome.code == 5
    assert "another program holds it locked" in outcome.err
    assert "not an indexdsl results database" not in outcome.err
    assert contents(folder / "out") == before


@pytest.mark.parametrize("obstacle", ["run.json", "units.csv", "results.md"])
def test_a_folder_in_the_way_costs_nothing(folder, project, obstacle):
    assert project.cli("run", "index.idx", "-q", "--out", "out", "--format", FORMATS).code == 0
    (folder / "out" / obstacle).unlink()
    (folder / "out" / obstacle).mkdir()
    before = contents(folder / "out")
    outcome = project.cli(
        "run", "index.idx", "-q", "--out", "out", "--format", FORMATS, "--set", "tag=b"
    )
    assert outcome.code == 5
    assert f"`out/{obstacle}` is a folder" in outcome.err
    assert contents(folder / "out") == before  # the database was not appended to either
