"""Sensitivity analysis at large N (issue 16); results are recorded in docs/performance.md.

    uv run python benchmarks/sensitivity_scale.py                  # N = 65,536, seed 1
    uv run python benchmarks/sensitivity_scale.py --samples 16384 --seeds 1 2

Runs `indexdsl sensitivity indices/asem_full.idx -N SAMPLES --seed SEED` in a new
process for each seed (the ASEM index with COINr's full pipeline and the four inputs of
COINr's sensitivity vignette: SAMPLES × 6 index evaluations) and reports its wall time,
its peak memory (the largest resident set size of the child, `ru_maxrss`) and its
Sobol indices with their 95 % intervals.  With two seeds or more, it says whether the
intervals of every input overlap across the seeds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time

NUMBER = r"(-?[\d.]+)"
ROW = re.compile(
    rf"│ (\w[\w ]*?)\s+│\s+{NUMBER} │\s+{NUMBER} – {NUMBER} │"
    rf"\s+{NUMBER} │\s+{NUMBER} – {NUMBER} │"
)


def run(samples: int, seed: int, index: str) -> tuple[float, float, dict]:
    command = [sys.executable, "-m", "indexdsl.cli", "sensitivity", index, "-N", str(samples)]
    command += ["--seed", str(seed)]
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"}
    )
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # MiB (kB on Linux)
    if done.returncode != 0:
        sys.exit(done.stdout + done.stderr)
    rows = {}
    for match in ROW.finditer(done.stdout):
        name, *numbers = match.groups()
        first, f_low, f_high, total, t_low, t_high = map(float, numbers)
        rows[name.strip()] = (first, f_low, f_high, total, t_low, t_high)
    return wall, peak, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=65536)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--index", default="indices/asem_full.idx")
    args = parser.parse_args()
    results = []
    for seed in args.seeds:
        wall, peak, rows = run(args.samples, seed, args.index)
        results.append(rows)
        print(f"N = {args.samples}, seed {seed}: {wall:.1f} s, peak memory {peak:.0f} MiB "
              f"(largest child so far)")  # fmt: skip
        for name, (first, fl, fh, total, tl, th) in rows.items():
            print(f"  {name:18} first {first:.3f} [{fl:.3f}, {fh:.3f}]  "
                  f"total {total:.3f} [{tl:.3f}, {th:.3f}]")  # fmt: skip
    if len(results) > 1:
        for name in results[0]:
            first = [r[name][1:3] for r in results]
            total = [r[name][4:6] for r in results]
            overlap = all(
                max(low for low, _ in pair) <= min(high for _, high in pair)
                for pair in (first, total)
            )
            print(f"  {name}: intervals {'overlap' if overlap else 'DO NOT overlap'} across seeds")


if __name__ == "__main__":
    main()
