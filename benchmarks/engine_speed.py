"""The batched engine's speed on one machine; results are recorded in docs/performance.md.

    uv run python benchmarks/engine_speed.py             # median of 7 runs each
    uv run python benchmarks/engine_speed.py --profile   # and where the time goes

All on indices/asem_full.idx (the ASEM index with COINr's full pipeline and the four
uncertain inputs of COINr's sensitivity vignette, as benchmarks/bench.py):

1. One index evaluation inside a batched uncertainty run: 2,000 replications (one
   chunk, as ``indexdsl uncertainty`` runs them) drawn with seed 1, evaluated and the
   index ranked in one pass of the engine, in microseconds per replication: a chunk
   after the first (the evaluator keeps each leaf's prepared and normalised rows
   between chunks), and (1b) the first chunk, on a fresh evaluator.
2. The same with the weights as (replications × children) arrays only (normaliser,
   aggregator and winsorisation at their nominal choice): the weighted means alone.
3. Sobol sensitivity analysis, N = 1000 (1024 base samples, 6,144 evaluations, 1,000
   bootstrap resamples), in-process, a fresh evaluator each run.

The load average (``/proc/loadavg``) is printed before and after: the machine is
shared, so a figure counts only with the load it was measured under.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from indexdsl.analyses.sensitivity import run_sensitivity
from indexdsl.analyses.uncertainty import sample
from indexdsl.batched import Variation
from indexdsl.compile import compile_model
from indexdsl.evaluate import Evaluator
from indexdsl.pipeline import Session, check_file, load

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "indices" / "asem_full.idx"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: caches filled, pages touched
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def asem_evaluator():
    session = Session()
    model = check_file(FILE, session)
    data = load(model, FILE, session)
    return Evaluator(compile_model(model), data, session.registry), model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile of item 1")
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}; "
        f"load average {loadavg()}"
    )
    evaluator, model = asem_evaluator()
    spec = model.uncertainty
    root = (model.root.name,)
    n = args.replications
    variation = sample(model, spec, n, np.random.default_rng(1))

    def batched():
        return evaluator.level("unit", variation, ranked=root)

    t = median_time(batched, args.repeats)
    print(
        f"1. ASEM full pipeline, {n} replications in one batched pass: "
        f"{t * 1e3:.1f} ms, {t / n * 1e6:.1f} µs a replication (median of {args.repeats})"
    )

    def first_chunk():
        fresh, _ = asem_evaluator()
        start = time.perf_counter()
        fresh.level("unit", variation, ranked=root)
        return time.perf_counter() - start

    first_chunk()
    t = statistics.median(first_chunk() for _ in range(args.repeats))
    print(
        f"1b. the same, the first chunk (a fresh evaluator: the preparation options and "
        f"the leaves' rows computed): {t * 1e3:.1f} ms, {t / n * 1e6:.1f} µs a replication"
    )

    weights_only = Variation(size=n, leaves=variation.leaves)
    weights_only.weights = dict(variation.weights)

    def weighted():
        return evaluator.level("unit", weights_only, ranked=root)

    t = median_time(weighted, args.repeats)
    print(
        f"2. the same, only the weights varied ({len(weights_only.weights)} nodes with "
        f"(replications × children) weights): {t * 1e3:.1f} ms, "
        f"{t / n * 1e6:.1f} µs a replication"
    )

    def sobol():
        fresh, _ = asem_evaluator()  # nothing prepared by an earlier run is reused
        return run_sensitivity(fresh, spec, 1024, seed=1)

    repeats = max(3, args.repeats // 2)
    t = median_time(sobol, repeats)
    result = sobol()
    print(
        f"3. Sobol sensitivity, N = 1024 ({result.evaluations} evaluations, bootstrap "
        f"included), in-process: {t:.3f} s (median of {repeats})"
    )
    for name, first, total in zip(result.factors, result.first, result.total, strict=True):
        print(f"     {name:<18} first order {first:.4f}  total {total:.4f}")
    print(f"load average after: {loadavg()}")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            batched()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
