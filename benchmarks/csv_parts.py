"""A pairs table read from a folder of CSV files against the same table in one CSV file;
results are recorded in docs/performance.md.

    uv run python benchmarks/csv_parts.py                      # 2,000 units, 8 files
    uv run python benchmarks/csv_parts.py --units 3000 --parts 4 --data /tmp/csvparts
    uv run python benchmarks/csv_parts.py --engine dask        # the folder on Dask too

The data are the SYNTHETIC pathways case of `benchmarks/scale.py` (its generator, seed
and index: N (N - 1) / 2 pairs x 10 metrics, every metric used), written to a folder
outside the repository (a temporary folder, or --data, where they are kept and reused),
then the pairs split by rows into `pairs/part-NN.csv`, each with the header.

Each case runs `indexdsl run FILE -q --no-write` in a new process (`scale.measure`):
the median wall time of --repeats runs and the largest peak RSS of the `indexdsl`
process (with `--engine dask`, its local cluster's workers are not counted), with the
load average before and after each case.

Recorded (2 cores shared with other jobs, one run each, so the figures are rough):

    uv run python benchmarks/csv_parts.py --units 2000 --parts 8 --data /tmp/csvp/b2000 \
        --engine dask
    2,000 units, 1,999,000 pairs, pairs.csv 82 MiB in 8 files
    | case | time | peak RSS (indexdsl) | load before, after |
    |---|---|---|---|
    | one CSV file, numpy | 8.2 s | 0.71 GiB | 6.4, 6.7 |
    | folder, numpy | 9.7 s | 0.72 GiB | 6.7, 6.9 |
    | one CSV file, dask | 64.3 s | 0.81 GiB | 6.9, 8.0 |
    | folder, dask | 129.6 s | 0.78 GiB | 8.0, 9.9 |

Then, the same 8 files converted to Parquet (pyarrow, one row group each) and both
folders on Dask again, one after the other: Parquet 99.0 s (load 9.0, 10.0), CSV
70.0 s (load 10.0, 7.5): the Dask engine's partitioned reading (the workers read the
pairs again for each computation) costs about the same from either here.  Before the
unit keys were kept from the folder's check (each file parsed again for each key
column, by the data stage and again by the numpy engine), under less load (3.8-7.1):
numpy 8.9 s (one file), 16.8 s (folder); Dask 50.5 s, 103.8 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402


def make(folder: Path, units: int, parts: int) -> tuple[Path, Path]:
    """The single-file index and the folder index (data made once per folder)."""
    single = folder / "pathways.idx"
    if not single.exists():
        scale.N_PAIR_UNITS = units
        scale.make_pathways(folder)
    pairs = folder / "pairs"
    if not pairs.exists():
        pairs.mkdir()
        with open(folder / "pairs.csv", "rb") as source:
            header = source.readline()
            rows = sum(1 for _ in source)
            source.seek(len(header))
            step = -(-rows // parts)
            for i in range(parts):
                with open(pairs / f"part-{i:02d}.csv", "wb") as out:
                    out.write(header)
                    for _ in range(min(step, rows - i * step)):
                        out.write(source.readline())
    index = folder / "pathways-folder.idx"
    index.write_text(single.read_text().replace('csv("pairs.csv")', 'csv("pairs")'))
    return single, index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--engine", choices=["numpy", "dask"], default="numpy")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.mkdtemp(prefix="indexdsl-csvparts-"))
    folder.mkdir(parents=True, exist_ok=True)
    single, parted = make(folder, args.units, args.parts)
    pairs = args.units * (args.units - 1) // 2
    size = (folder / "pairs.csv").stat().st_size / 2**20
    print(f"{args.units:,} units, {pairs:,} pairs, pairs.csv {size:.0f} MiB in {args.parts} files")
    cases = [("one CSV file, numpy", single, []), ("folder, numpy", parted, [])]
    if args.engine == "dask":
        cases += [
            ("one CSV file, dask", single, ["--engine", "dask"]),
            ("folder, dask", parted, ["--engine", "dask"]),
        ]
    print("| case | time | peak RSS (indexdsl) | load before, after |")
    print("|---|---|---|---|")
    for name, index, extra in cases:
        before = os.getloadavg()[0]
        seconds, gib = scale.measure(index, ["--no-write", *extra], args.repeats)
        after = os.getloadavg()[0]
        print(f"| {name} | {seconds:.1f} s | {gib:.2f} GiB | {before:.1f}, {after:.1f} |")


if __name__ == "__main__":
    main()
