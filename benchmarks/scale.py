"""Scale benchmarks (issue 4, item 4); results are recorded in docs/performance.md.

    uv run python benchmarks/scale.py                  # both cases, median of 3 runs
    uv run python benchmarks/scale.py --case units     # 100,000 units x 200 indicators
    uv run python benchmarks/scale.py --case pathways  # 5,000 units, 12,497,500 pairs
    uv run python benchmarks/scale.py --case pathways-parquet  # the same pairs, as Parquet
    uv run python benchmarks/scale.py --repeats 1 --data /tmp/indexdsl-scale
    uv run python benchmarks/scale.py --case pathways-parquet --units 2000 --engine dask
    uv run python benchmarks/scale.py --case pathways-parquet --units 2000 --engine dask \
        --workers 1                                    # on a cluster of 1 worker (or 2)

    uv run python benchmarks/scale.py --case pathways-parts --units 10000 --data DIR \
        --repeats 1 --no-outputs --engine dask --workers 2 --memory-limit 3GiB
                                                       # out of core (docs/performance.md)

`--units N` sets the units of the pathways cases (N (N - 1) / 2 pairs; keep a --data
folder per N).  `--engine dask` runs them on the Dask engine: on the local cluster
`indexdsl run` starts, or with `--workers N` on a cluster of N single-threaded worker
processes started here beforehand (its start-up not timed), whose peak memory is then
reported too (the workers are not children of the measured process); `--scheduler
ADDRESS` uses a running cluster.

The data are SYNTHETIC: random numbers drawn with a fixed numpy seed, written to a
folder outside the repository (a temporary folder, or --data, where they are kept and
reused by later runs).  Nothing generated here is committed.

The `-parquet` cases read the same data from Parquet files (`parquet(...)` loader,
needs pyarrow): the CSV files are converted once with pyarrow, column types inferred
(integers, floats, strings), and kept beside them.

Each case runs `indexdsl run FILE -q` in a new process, twice over: with `--no-write`
(read, check, compute every score and rank: the figure the issue's target is about)
and with the outputs written (`-o DIR`).  Wall time is the median of --repeats runs;
peak memory is the largest resident set size of those runs (`ru_maxrss` of the child).

`pathways-parts` writes the pairs straight to a folder of Parquet files (`pairs/`, 10
million pairs a file, row groups of 1 million), a file at a time: memory stays about
1 GiB whatever the units (20,000 units: 199,990,000 pairs, 2.2 GB, in 3 minutes). Its
draws differ from `pathways` (seed + 2). `--memory-limit` sets each worker's memory
limit of `--workers` (Dask spills beyond it). Every `--no-write` run also reports the
peak of the summed RSS of this process and every process under it (the run, the
workers), sampled every 0.5 s with psutil, each process's own peak, and the load
average at its start and end.

- units: 100,000 units x 200 indicators (numbers with two decimals, 2 % empty cells),
  a 3-level hierarchy: 200 indicators -> 20 pillars -> 4 sub-indices -> index,
  min-max normalisation, arithmetic means, mean imputation.
- pathways: 5,000 units and an undirected pairs table with every pair (12,497,500
  rows) and 10 metrics (counts, most of them zero, and amounts with one or two
  decimals); indicators are the partner sums `sum(pairs.m1)` ..., and `pathways`
  scores every pair on a 3-level hierarchy, as indices/bri.idx does.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 20261123
N_UNITS, N_INDICATORS, N_PILLARS, N_SUBINDICES = 100_000, 200, 20, 4
N_PAIR_UNITS, N_METRICS = 5_000, 10


def _write_rows(path: Path, header: list[str], columns: list[np.ndarray], chunk=500_000):
    """Write columns of byte strings as CSV, a chunk of rows at a time."""
    n = len(columns[0])
    with open(path, "wb") as out:
        out.write(",".join(header).encode() + b"\n")
        for start in range(0, n, chunk):
            parts = [c[start : start + chunk].tolist() for c in columns]
            out.write(b"\n".join(b",".join(row) for row in zip(*parts, strict=True)) + b"\n")


def _decimals(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers written with a fixed number of decimals, as bytes."""
    scaled = np.round(values * 10**decimals).astype(np.int64)
    whole = (scaled // 10**decimals).astype("S")
    frac = np.char.zfill((scaled % 10**decimals).astype("S"), decimals)
    return np.char.add(np.char.add(whole, b"."), frac)


def make_units(folder: Path) -> Path:
    rng = np.random.default_rng(SEED)
    keys = np.char.add(b"U", np.arange(N_UNITS).astype("S"))
    region = np.char.add(b"R", rng.integers(0, 12, N_UNITS).astype("S"))
    columns = [keys, region]
    for _ in range(N_INDICATORS):
        cells = _decimals(rng.lognormal(3.0, 1.0, N_UNITS), 2)
        cells[rng.random(N_UNITS) < 0.02] = b""  # missing values
        columns.append(cells)
    names = [f"x{i + 1}" for i in range(N_INDICATORS)]
    _write_rows(folder / "units.csv", ["key", "region", *names], columns)
    lines = [
        "# SYNTHETIC data generated by benchmarks/scale.py (numpy seed "
        f"{SEED}): {N_UNITS:,} units x {N_INDICATORS} indicators",
        'index scale_units "Scale benchmark: units" {',
        '  description "synthetic data, for timing only"',
        "}",
        "defaults {",
        "  normalise minmax(0, 100)",
        "  aggregate arithmetic",
        "  impute mean",
        "}",
        "units unit {",
        '  from   csv("units.csv")',
        "  key    key",
        "  groups region",
        "}",
    ]
    lines += [f"indicator {name} = unit.{name}" for name in names]
    per_pillar = N_INDICATORS // N_PILLARS
    per_sub = N_PILLARS // N_SUBINDICES
    lines.append("framework {")
    for s in range(N_SUBINDICES):
        lines.append(f"  sub{s + 1} {{")
        for p in range(s * per_sub, (s + 1) * per_sub):
            inner = " ".join(names[p * per_pillar : (p + 1) * per_pillar])
            lines.append(f"    pillar{p + 1} {{ {inner} }}")
        lines.append("  }")
    lines.append("}")
    path = folder / "units.idx"
    path.write_text("\n".join(lines) + "\n")
    return path


def make_pathways_index(n: int, m: int, seed: int) -> list[str]:
    """The lines of the pathways index, reading `cities.csv` and `pairs.csv`."""
    metrics = [f"m{i + 1}" for i in range(N_METRICS)]
    lines = [
        "# SYNTHETIC data generated by benchmarks/scale.py (numpy seed "
        f"{seed}): {n:,} units, every pair ({m:,}) x {N_METRICS} metrics",
        'index scale_pathways "Scale benchmark: pathways" {',
        '  description "synthetic data, for timing only"',
        "}",
        "defaults {",
        "  normalise minmax(0, 100)",
        "  aggregate arithmetic",
        "}",
        "units city {",
        '  from   csv("cities.csv")',
        "  key    city_id",
        "  groups region",
        "}",
        "pairs route {",
        '  from    csv("pairs.csv")',
        "  between city_a and city_b",
        "  undirected",
        "}",
    ]
    lines += [f"indicator s{i + 1} = sum(route.{name})" for i, name in enumerate(metrics)]
    lines += [
        "framework {",
        "  pathways route",
        "  connectivity { flows { s1 s2 s3 } ties { s4 s5 s6 } }",
        "  exchange { trade { s7 s8 } finance { s9 s10 } }",
        "}",
    ]
    return lines


def make_pathways(folder: Path) -> Path:
    rng = np.random.default_rng(SEED + 1)
    n = N_PAIR_UNITS
    keys = np.char.add(b"C", np.arange(n).astype("S"))
    region = np.char.add(b"R", rng.integers(0, 8, n).astype("S"))
    _write_rows(folder / "cities.csv", ["city_id", "region"], [keys, region])
    a, b = np.triu_indices(n, k=1)
    m = len(a)
    columns = [keys[a], keys[b]]
    for i in range(N_METRICS):
        if i < 6:  # counts: flights, routes, agreements … most pairs have none
            values = rng.poisson(rng.choice([0.05, 0.3, 2.0], m)).astype("S")
        else:  # amounts: trade, investment … with one or two decimals
            values = _decimals(rng.gamma(0.6, 40.0, m), 1 if i < 8 else 2)
        columns.append(values)
    metrics = [f"m{i + 1}" for i in range(N_METRICS)]
    _write_rows(folder / "pairs.csv", ["city_a", "city_b", *metrics], columns)
    lines = make_pathways_index(n, m, SEED + 1)
    path = folder / "pathways.idx"
    path.write_text("\n".join(lines) + "\n")
    return path


def as_parquet(case: str):
    """The case with its large table read from Parquet: the CSV converted by pyarrow."""

    def make(folder: Path) -> Path:
        import pyarrow.csv
        import pyarrow.parquet

        index = folder / f"{case}.idx"
        if not index.exists():
            CASES[case](folder)
        table = "units" if case == "units" else "pairs"
        target = folder / f"{table}.parquet"
        if not target.exists():
            data = pyarrow.csv.read_csv(folder / f"{table}.csv")
            pyarrow.parquet.write_table(data, target)
        text = index.read_text().replace(f'csv("{table}.csv")', f'parquet("{table}.parquet")')
        path = folder / f"{case}-parquet.idx"
        path.write_text(text.replace(f"index scale_{case} ", f"index scale_{case}_parquet "))
        return path

    return make


def make_pathways_parts(folder: Path, part_rows: int = 10_000_000, group_rows: int = 1_000_000):
    """The pathways case written straight to a folder of Parquet files (``pairs/``), a
    part of ``part_rows`` pairs at a time, in row groups of ``group_rows``: memory stays
    bounded (a part's columns) whatever the units.  Different draws from `pathways`
    (the same distributions, seed + 2): its figures are not comparable value for value."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED + 2)
    n = N_PAIR_UNITS
    keys = np.char.add(b"C", np.arange(n).astype("S"))
    region = np.char.add(b"R", rng.integers(0, 8, n).astype("S"))
    _write_rows(folder / "cities.csv", ["city_id", "region"], [keys, region])
    dictionary = pa.array([k.decode() for k in keys.tolist()], pa.string())
    counts = np.arange(n - 1, -1, -1, dtype=np.int64)  # pairs (i, j > i) of each unit i
    offsets = np.concatenate([[0], np.cumsum(counts)])
    m = int(offsets[-1])
    target = folder / "pairs"
    target.mkdir(exist_ok=True)
    metrics = [f"m{i + 1}" for i in range(N_METRICS)]
    for part, start in enumerate(range(0, m, part_rows)):
        stop = min(start + part_rows, m)
        rows = np.arange(start, stop, dtype=np.int64)
        a = np.searchsorted(offsets, rows, side="right") - 1
        b = rows - offsets[a] + a + 1
        del rows
        columns = {
            "city_a": pa.DictionaryArray.from_arrays(pa.array(a.astype(np.int32)), dictionary),
            "city_b": pa.DictionaryArray.from_arrays(pa.array(b.astype(np.int32)), dictionary),
        }
        del a, b
        size = stop - start
        for i, name in enumerate(metrics):
            if i < 6:  # counts: flights, routes, agreements … most pairs have none
                values = rng.poisson(rng.choice([0.05, 0.3, 2.0], size))
            else:  # amounts: trade, investment … with one or two decimals
                decimals = 1 if i < 8 else 2
                values = np.round(rng.gamma(0.6, 40.0, size) * 10**decimals) / 10**decimals
            columns[name] = pa.array(values)
        pq.write_table(
            pa.table(columns), target / f"part-{part:05d}.parquet", row_group_size=group_rows
        )
        del columns
    lines = make_pathways_index(n, m, SEED + 2)
    path = folder / "pathways-parts.idx"
    path.write_text(
        "\n".join(lines)
        .replace('csv("pairs.csv")', 'parquet("pairs")')
        .replace("index scale_pathways ", "index scale_pathways_parts ")
        + "\n"
    )
    return path


CASES = {"units": make_units, "pathways": make_pathways}
CASES["pathways-parts"] = make_pathways_parts
CASES |= {f"{case}-parquet": as_parquet(case) for case in list(CASES)}


class Sampler:
    """Peak resident memory of this process and every process under it (the measured
    `indexdsl` run, the workers and nannies of `--workers`; the scheduler runs in this
    process), sampled every ``every`` seconds with psutil: the peak of their sum, and
    each process's own peak (GiB)."""

    def __init__(self, every: float = 0.5):
        import threading

        import psutil

        self.psutil, self.every = psutil, every
        self.total = 0.0
        self.each: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _role(self, process) -> str:
        line = " ".join(process.cmdline())
        if "indexdsl.cli" in line:
            return "indexdsl"
        if "distributed" in line or "multiprocessing" in line or "spawn" in line:
            return "dask worker/nanny"
        if process.pid == self.psutil.Process().pid:
            return "benchmark + scheduler"
        return "launcher"

    def _run(self) -> None:
        me = self.psutil.Process()
        while not self._stop.wait(self.every):
            total = 0.0
            for process in [me, *me.children(recursive=True)]:
                try:
                    rss = process.memory_info().rss / 2**30
                    role = self.each.get(process.pid, (None, 0.0))[0] or self._role(process)
                except self.psutil.Error:
                    continue
                total += rss
                self.each[process.pid] = (role, max(rss, self.each.get(process.pid, ("", 0))[1]))
            self.total = max(self.total, total)

    def report(self) -> str:
        self._stop.set()
        self._thread.join()
        peaks = sorted(self.each.values(), key=lambda p: -p[1])
        each = ", ".join(f"{role} {peak:.2f}" for role, peak in peaks if peak >= 0.05)
        return f"sampled peak of the sum {self.total:.2f} GiB (each: {each})"


class Cluster:
    """A Dask cluster of ``workers`` single-threaded processes for the measured runs,
    with the largest peak RSS of its workers (GiB) so far."""

    def __init__(self, workers: int, memory: str = "auto"):
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=memory,
        )
        self.client = Client(self.cluster)
        self.address = self.cluster.scheduler_address

    def peak(self) -> str:
        """Each worker's peak RSS so far (GiB), in the order of their addresses."""
        import resource

        peaks = self.client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return ", ".join(f"{peaks[w] / 2**20:.2f}" for w in sorted(peaks))

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def measure(index: Path, args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall time (s) and largest peak RSS (GiB) of `indexdsl run` in new processes."""
    times, peaks = [], []
    for _ in range(repeats):
        command = [sys.executable, "-m", "indexdsl.cli", "run", str(index), "-q", *args]
        # a fresh process per run: ru_maxrss of RUSAGE_CHILDREN is the largest child so
        # far, so each run is measured from a small launcher of its own
        launcher = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "t = time.perf_counter() - t\n"
            "if r.returncode: sys.stderr.write(r.stdout + r.stderr); sys.exit(r.returncode)\n"
            "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", launcher, *command], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"`{' '.join(command)}` failed:\n{done.stderr}")
        seconds, kib = done.stdout.split()
        times.append(float(seconds))
        peaks.append(int(kib) / 2**20)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, help="folder for the synthetic data (kept)")
    parser.add_argument("--no-outputs", action="store_true", help="only measure --no-write")
    parser.add_argument("--units", type=int, default=N_PAIR_UNITS, help="units of `pathways`")
    parser.add_argument("--engine", default=None, help="`indexdsl run --engine` (dask)")
    parser.add_argument("--scheduler", default=None, help="a running Dask scheduler")
    parser.add_argument("--workers", type=int, default=None, help="start a Dask cluster")
    parser.add_argument(
        "--memory-limit",
        default="auto",
        help="each worker's memory limit (Dask spills to disk beyond it), e.g. 3GiB",
    )
    options = parser.parse_args()
    globals()["N_PAIR_UNITS"] = options.units  # read by make_pathways
    engine = ["--engine", options.engine] if options.engine else []
    cluster = None
    if options.workers:
        cluster = Cluster(options.workers, options.memory_limit)
        options.scheduler = cluster.address
    if options.scheduler:
        engine += ["--scheduler", options.scheduler]
    folder = options.data or Path(tempfile.mkdtemp(prefix="indexdsl-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}; data in {folder}"
    )
    cases = list(CASES) if options.case == "all" else [options.case]
    try:
        for case in cases:
            index = folder / f"{case}.idx"
            if not index.exists():
                start = time.perf_counter()
                index = CASES[case](folder)
                print(f"{case}: synthetic data written in {time.perf_counter() - start:.0f} s")
            kind = "parquet" if case.endswith(("-parquet", "-parts")) else "csv"
            size = sum(f.stat().st_size for f in folder.rglob(f"*.{kind}")) / 2**20
            print(f"{case}: {kind} files in {folder}: {size:,.0f} MiB in all")
            load = os.getloadavg()[0]
            sampler = Sampler()
            seconds, peak = measure(index, ["--no-write", *engine], options.repeats)
            print(
                f"{case}: run --no-write {' '.join(engine[:2])} {seconds:6.2f} s, peak RSS "
                f"{peak:.2f} GiB"
                + (f" (workers' peaks so far: {cluster.peak()} GiB)" if cluster else "")
                + f"; {sampler.report()}"
                + f"; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
            )
            if not options.no_outputs:
                out = folder / f"out-{case}"
                seconds, peak = measure(index, ["-o", str(out), *engine], options.repeats)
                written = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20
                print(
                    f"{case}: run -o DIR    {seconds:6.2f} s, peak RSS {peak:.2f} GiB "
                    f"({written:,.0f} MiB written)"
                    + (f" (workers' peaks so far: {cluster.peak()} GiB)" if cluster else "")
                    + f"; load average {os.getloadavg()[0]:.2f}"
                )
    finally:
        if cluster is not None:
            cluster.close()
        if options.data is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
