"""Reproducible performance measurements; results are recorded in docs/performance.md.

    uv run python benchmarks/bench.py            # all, median of 5 runs each

1. Uncertainty analysis of indices/asem.idx, N = 10,000 replications (weights ±25% at
   pillar and sub-index level, min-max vs z-score, arithmetic vs geometric).
2. The batched engine against the same replications evaluated one at a time through
   the same engine (N = 200), as a speed-up factor.
3. Cold start of `indexdsl run indices/bri.idx` (a new process each time).
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from indexdsl.compile import compile_model  # noqa: E402
from indexdsl.evaluate import Evaluator  # noqa: E402
from indexdsl.pipeline import Session, check_file, load  # noqa: E402
from indexdsl.uncertainty import chunk_of, run_uncertainty, sample  # noqa: E402

REPEATS = 5


def median_time(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def asem_evaluator():
    path = ROOT / "indices" / "asem.idx"
    session = Session()
    model = check_file(path, session)
    data = load(model, path, session)
    return Evaluator(compile_model(model), data, session.registry), model


def main() -> None:
    evaluator, model = asem_evaluator()
    spec = model.uncertainty
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )

    t = median_time(lambda: run_uncertainty(evaluator, spec, 10_000, seed=1))
    print(f"1. uncertainty, ASEM, N = 10,000: {t:.2f} s (median of {REPEATS})")

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
        f"2. {n} replications batched {batched * 1000:.1f} ms, one at a time "
        f"{single * 1000:.0f} ms: {single / batched:.0f}x faster batched"
    )

    def cold():
        subprocess.run(
            [sys.executable, "-m", "indexdsl.cli", "run", "indices/bri.idx", "-q", "--no-write"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    print(f"3. cold start, indexdsl run indices/bri.idx: {median_time(cold):.2f} s")


if __name__ == "__main__":
    main()
