"""Uncertainty and sensitivity replications in-process and on Dask workers; results
are recorded in docs/performance.md and docs/how-to/cluster.md.

    uv run python benchmarks/replications_dask.py              # median of 3 runs each
    uv run python benchmarks/replications_dask.py --repeats 5 --workers 1 2 4

On indices/asem_full.idx (COINr's full ASEM pipeline and the four uncertain inputs of
its sensitivity vignette), with seed 1:

1. uncertainty, N = 10,000 replications (five chunks of 2,000);
2. Sobol sensitivity, N = 1000 (1024 base samples, 6,144 evaluations: four chunks of
   up to 2,000, and 1,000 bootstrap resamples in this process).

Each in this process (the numpy engine, a fresh evaluator each run), then on a local
cluster of 1 and 2 single-threaded worker processes already running (the graph and the
data scattered to the workers at each analysis, as ``--scheduler ADDRESS`` does), and
as whole commands (``indexdsl uncertainty … --engine dask --workers N``: the local
cluster started and stopped by the command).  Every Dask result is checked equal to
the in-process one.  The load average (``/proc/loadavg``) is printed before and after:
the machine is shared, so a figure counts only with the load it was measured under.

    uv run python benchmarks/replications_dask.py --malloc

times the in-process uncertainty analysis (N = 10,000, median of ``--repeats``) in a
new process under the allocator settings of a Dask worker process: none, Dask's
``MALLOC_TRIM_THRESHOLD_=65536``, and that with ``MALLOC_MMAP_THRESHOLD_=33554432``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from indexdsl.analyses.sensitivity import run_sensitivity
from indexdsl.analyses.uncertainty import run_uncertainty
from indexdsl.pipeline import Session, check_file, evaluator, load

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "indices" / "asem_full.idx"
UNCERTAINTY_N = 10_000
SOBOL_N = 1000


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def analyses(model, data, engine=None):
    """The two analyses, each with a fresh evaluator, on ``engine`` (None: here)."""
    return {
        "uncertainty": lambda: run_uncertainty(
            evaluator(model, data), model.uncertainty, UNCERTAINTY_N, 1, engine=engine
        ),
        "sensitivity": lambda: run_sensitivity(
            evaluator(model, data), model.uncertainty, SOBOL_N, 1, engine=engine
        ),
    }


def same(kind: str, a, b) -> None:
    if kind == "uncertainty":
        assert (a.ranks == b.ranks).all() and a.failures == b.failures
    else:
        for part in ("first", "total", "first_interval", "total_interval"):
            np.testing.assert_array_equal(getattr(a, part), getattr(b, part))


def command(kind: str, workers: int | None) -> list[str]:
    n = UNCERTAINTY_N if kind == "uncertainty" else SOBOL_N
    args = ["indexdsl", kind, str(FILE.relative_to(ROOT)), "-N", str(n), "--format", "json"]
    return args + (["--engine", "dask", "--workers", str(workers)] if workers else [])


def allocator(args) -> None:
    """The in-process uncertainty analysis, here (``--in-process``) or in a new process
    under each allocator setting (``--malloc``)."""
    if args.in_process:
        session = Session()
        model = check_file(FILE, session)
        data = load(model, FILE, session)
        fn = analyses(model, data)["uncertainty"]
        fn()  # warm-up
        print(f"{median_time(fn, args.repeats)[0]:.3f}")
        return
    print(f"load average before: {loadavg()}")
    settings = {
        "none": {},
        "MALLOC_TRIM_THRESHOLD_=65536": {"MALLOC_TRIM_THRESHOLD_": "65536"},
        "MALLOC_TRIM_THRESHOLD_=65536 MALLOC_MMAP_THRESHOLD_=33554432": {
            "MALLOC_TRIM_THRESHOLD_": "65536",
            "MALLOC_MMAP_THRESHOLD_": "33554432",
        },
    }
    for name, variables in settings.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        line = [sys.executable, __file__, "--in-process", "--repeats", str(args.repeats)]
        done = subprocess.run(line, env={**env, **variables}, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        print(f"uncertainty N = {UNCERTAINTY_N:,} in-process, {name}: {done.stdout.strip()} s")
    print(f"load average after: {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--malloc", action="store_true", help="the allocator settings only")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process or args.malloc:
        return allocator(args)

    from indexdsl_builtins.dask_engine import local_cluster
    from indexdsl_builtins.engines import DaskEngine

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"load average before: {loadavg()}")
    session = Session()
    model = check_file(FILE, session)
    data = load(model, FILE, session)
    here = {}
    for kind, fn in analyses(model, data).items():
        fn()  # warm-up
        seconds, here[kind] = median_time(fn, args.repeats)
        print(f"{kind:12} in-process                     {seconds:7.3f} s")
    for workers in args.workers:
        with local_cluster(workers, trim=False) as cluster:
            engine = DaskEngine(scheduler=cluster.scheduler_address)
            for kind, fn in analyses(model, data, engine).items():
                fn()  # warm-up: the workers import indexdsl
                seconds, there = median_time(fn, args.repeats)
                same(kind, there, here[kind])
                print(f"{kind:12} Dask, {workers} worker(s), running     {seconds:7.3f} s")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for kind in ("uncertainty", "sensitivity"):
        outputs = {}
        for workers in [None, *args.workers]:
            line = command(kind, workers)
            outputs[workers], times = None, []
            for _ in range(args.repeats):
                start = time.perf_counter()
                done = subprocess.run(line, cwd=ROOT, env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                assert done.returncode == 0, done.stderr
                outputs[workers] = done.stdout
            assert outputs[workers] == outputs[None], f"{line}: not the in-process output"
            print(f"{statistics.median(times):7.3f} s  {' '.join(line)}")
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
