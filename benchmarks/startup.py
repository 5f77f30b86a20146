"""Whole commands, from a new process to its exit; results are recorded in
docs/performance.md.

    uv run python benchmarks/startup.py                 # median of 7 runs each
    uv run python benchmarks/startup.py --importtime    # and what each command imports
    uv run python benchmarks/startup.py --baseline DIR  # side by side with another checkout

Each command runs as a user runs it (the ``indexdsl`` script of the environment), in a
new process, its output thrown away:

- ``indexdsl run indices/asem.idx -q --no-write`` (target ≤ 0.2 s)
- ``indexdsl run indices/bri.idx -q --no-write``
- ``indexdsl sensitivity indices/asem_full.idx -N 1000`` (target ≤ 0.8 s): 1024 base
  samples, 6,144 index evaluations, 1,000 bootstrap resamples

three ways:

- **cached, parsed before**: with Python's bytecode cache (a first run writes the
  cache of the project's own modules; the environment's packages are compiled at
  install by ``uv sync --compile-bytecode`` / ``UV_COMPILE_BYTECODE=1``, or by that
  first run) and the index file's tree kept by that first run
  (``indexdsl/syntax/parsed_cache.py``): a user running a file again;
- **cached, parsed anew**: bytecode cached, the file parsed on each run, as after
  each edit of it;
- **without bytecode cache** (``PYTHONDONTWRITEBYTECODE=1`` and a cache folder that
  does not exist: every module compiled from source on each start), nor kept trees.

The trees are kept in a folder made for the run (``INDEXDSL_CACHE_DIR``), so that
nothing the user kept is timed.  ``--importtime`` runs each command once
more under ``python -X importtime`` and prints the slowest imports and whether a heavy
optional module (scipy, matplotlib, jinja2, pyarrow) was imported.

``--baseline DIR`` times another checkout (with its own environment, ``DIR/.venv``,
synced with ``--compile-bytecode``) in the same run, alternating one run of each, so
that both see the same load.

The load average (``/proc/loadavg``) is printed before and after: the machine is
shared, so a figure counts only with the load it was measured under.  The processor
time (user and system) of each command is printed too: on a loaded machine it moves
less than the wall time.
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("indexdsl")
HEAVY = ("scipy", "matplotlib", "jinja2", "pyarrow")
COMMANDS = {
    "run asem": ["run", "indices/asem.idx", "-q", "--no-write"],
    "run bri": ["run", "indices/bri.idx", "-q", "--no-write"],
    "sensitivity asem_full -N 1000": ["sensitivity", "indices/asem_full.idx", "-N", "1000"],
}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def environments() -> dict[str, dict[str, str]]:
    """Three ways a command starts: bytecode cached and the index file parsed before
    (its tree kept, indexdsl/syntax/parsed_cache.py), as for a user who runs a file
    again; bytecode cached and the file parsed anew (as after each edit); and nothing
    cached.  Each gets a folder of parsed files of its own, a new one for this run."""
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    base.pop("PYTHONPYCACHEPREFIX", None)
    folder = tempfile.mkdtemp(prefix="indexdsl-startup-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    cached = {**base, "INDEXDSL_CACHE_DIR": os.path.join(folder, "kept")}
    # bytecode already written (the warm-up run); trees neither read nor written
    parsed = {
        **base,
        "PYTHONDONTWRITEBYTECODE": "1",
        "INDEXDSL_CACHE_DIR": os.path.join(folder, "never-written"),
    }
    uncached = {
        **parsed,
        "PYTHONPYCACHEPREFIX": "/nonexistent/indexdsl-no-bytecode",
    }
    return {
        "cached, parsed before": cached,
        "cached, parsed anew": parsed,
        "without bytecode cache": uncached,
    }


def wall(argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    """Seconds from start to exit; the processor time (user and system) the command
    took is added to ``CPU``, as the load average moves wall times more than it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return took


#: processor time of each command timed, in order
CPU: list[float] = []


def summary(times: list[float], cpu: list[float]) -> str:
    return (
        f"median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs; "
        f"processor time median {statistics.median(cpu):.3f} s)"
    )


def importtime(args: list[str], env: dict[str, str], top: int) -> None:
    code = f"import sys; from indexdsl.cli import main; sys.argv = ['indexdsl', *{args!r}]; main()"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = line[len("import time:") :].split("|")
        own, cumulative, name = int(parts[0]), int(parts[1]), parts[2]
        rows.append((cumulative, own, name))
    top_level = sorted(
        ((c, o, n.strip()) for c, o, n in rows if not n.startswith("  ")), reverse=True
    )
    total = sum(c for c, _, _ in top_level)
    print(f"   imports: {total / 1000:.0f} ms in all (-X importtime, which adds its own cost)")
    for cumulative, _, name in top_level[:top]:
        print(f"     {cumulative / 1000:7.1f} ms  {name}")
    names = {n.strip() for _, _, n in rows}
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY and "." not in n)
    print(f"   heavy optional modules imported: {', '.join(heavy) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--top", type=int, default=12, help="slowest imports shown")
    parser.add_argument("--only", choices=list(COMMANDS), action="append")
    parser.add_argument("--baseline", type=Path, help="another checkout, timed alongside")
    args = parser.parse_args()
    trees = {"this checkout": (ROOT, SCRIPT)}
    if args.baseline:
        baseline = args.baseline.resolve()
        trees = {
            f"baseline {baseline}": (baseline, baseline / ".venv" / "bin" / "indexdsl"),
            **trees,
        }
    if not SCRIPT.exists():
        sys.exit(f"no {SCRIPT}: run this with the environment's Python (uv run python …)")
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}; load average {loadavg()}"
    )
    envs = environments()
    for label, command in COMMANDS.items():
        if args.only and label not in args.only:
            continue
        for root, script in trees.values():
            # writes the project's bytecode cache
            wall([str(script), *command], envs["cached, parsed before"], root)
        for mode, env in envs.items():
            times: dict[str, list[float]] = {tree: [] for tree in trees}
            cpu: dict[str, list[float]] = {tree: [] for tree in trees}
            for _ in range(args.repeats):
                for tree, (root, script) in trees.items():
                    times[tree].append(wall([str(script), *command], env, root))
                    cpu[tree].append(CPU[-1])
            for tree in trees:
                where = f" [{tree}]" if args.baseline else ""
                print(f"{label:<30} {mode:<22} {summary(times[tree], cpu[tree])}{where}")
        if args.importtime:
            importtime(command, envs["cached, parsed before"], args.top)
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
