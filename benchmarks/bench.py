"""Reproducible performance measurements; results are recorded in docs/performance.md.

    uv run python benchmarks/bench.py            # all, median of 5 runs each

All on indices/asem_full.idx, the ASEM index with COINr's full pipeline (denominate,
impute by group mean, screen, winsorise, min-max, arithmetic mean) and the four
uncertain inputs of COINr's sensitivity vignette: winsorisation limit 1-5 points,
min-max to [1, 100] vs z-score (10, 2), weights ±25% at pillar and sub-index level
(drawn per evaluation, as the uncertainty analysis draws them), arithmetic vs geometric mean.

1. Sobol sensitivity analysis, N = 1000 base samples (rounded to 1024, a power of two:
   1024 x (4 + 2) = 6,144 index evaluations), scipy's estimators with 1,000 bootstrap
   resamples for the confidence intervals.
2. Uncertainty analysis, N = 10,000 replications (5 chunks of 2,000), a fresh
   evaluator each run.
3. The batched engine against the same replications evaluated one at a time through
   the same engine (N = 1,000), as a speed-up factor.
4. Cold start of `indexdsl run indices/bri.idx -q --no-write` (a new process each
   time), with Python's bytecode cache (as after an install, or any first run) and
   without one (every module compiled from source: PYTHONDONTWRITEBYTECODE=1 and a
   cache folder that does not exist).

The load average is printed before and after: the machine is shared.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from indexdsl.analyses.sensitivity import run_sensitivity  # noqa: E402
from indexdsl.analyses.uncertainty import chunk_of, run_uncertainty, sample  # noqa: E402
from indexdsl.compile import compile_model  # noqa: E402
from indexdsl.evaluate import Evaluator  # noqa: E402
from indexdsl.pipeline import Session, check_file, load  # noqa: E402

REPEATS = 5


def median_time(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def asem_evaluator():
    path = ROOT / "indices" / "asem_full.idx"
    session = Session()
    model = check_file(path, session)
    data = load(model, path, session)
    return Evaluator(compile_model(model), data, session.registry), model


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    evaluator, model = asem_evaluator()
    spec = model.uncertainty
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average {loadavg()}"
    )

    def sobol():
        # a fresh evaluator each time: nothing prepared in an earlier run is reused
        fresh, _ = asem_evaluator()
        return run_sensitivity(fresh, spec, 1024, seed=1)

    result = sobol()
    t = median_time(sobol)
    print(
        f"1. Sobol sensitivity, ASEM full pipeline, N = 1024 ({result.evaluations} "
        f"evaluations, bootstrap included): {t:.3f} s (median of {REPEATS})"
    )
    for name, first, total in zip(result.factors, result.first, result.total, strict=True):
        print(f"     {name:<18} first order {first:.3f}  total {total:.3f}")

    t = median_time(lambda: run_uncertainty(asem_evaluator()[0], spec, 10_000, seed=1))
    print(f"2. uncertainty, ASEM full pipeline, N = 10,000: {t:.3f} s (median of {REPEATS})")

    n = 1000
    variation = sample(model, spec, n, np.random.default_rng(1))
    root = (model.root.name,)
    batched = median_time(lambda: evaluator.level("unit", variation, ranked=root))
    single = median_time(
        lambda: [
            evaluator.level("unit", chunk_of(variation, r, r + 1), ranked=root) for r in range(n)
        ],
        repeats=3,
    )
    print(
        f"3. {n} replications batched {batched * 1000:.1f} ms, one at a time "
        f"{single * 1000:.0f} ms: {single / batched:.0f}x faster batched"
    )

    def cold(env):
        def run():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "indexdsl.cli",
                    "run",
                    "indices/bri.idx",
                    "-q",
                    "--no-write",
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
                env=env,
            )

        return run

    # as installed: Python's bytecode cache written (by a first run, or by pip at install)
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cold(cached)()
    print(f"4. cold start, indexdsl run indices/bri.idx: {median_time(cold(cached)):.2f} s")
    # every module compiled from source each time (PYTHONDONTWRITEBYTECODE=1 and no cache)
    uncached = {**cached, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/nonexistent"}
    print(f"   without a bytecode cache: {median_time(cold(uncached)):.2f} s")
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
