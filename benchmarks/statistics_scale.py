"""Time the statistics of a large run (issue 13): 100,000 units x 200 indicators, the
synthetic data of benchmarks/scale.py (2 % empty cells), 225 nodes; once with mean
imputation (scores complete: Spearman's rho ranks every node once) and once without
(scores missing in different units: Spearman's rho of those pairs is over the
ranking budget and left out).  Results are recorded in docs/performance.md.

    uv run python benchmarks/statistics_scale.py [--data DIR]

Statistics are computed when a run writes its outputs (every format reads them);
`run --no-write` does not compute them.  Prints, for each case: the run (read, check,
evaluate), the statistics (``compute``), and writing their four CSV files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402

from indexdsl.analyses.statistics import compute  # noqa: E402
from indexdsl.output.exports import table_csv  # noqa: E402
from indexdsl.pipeline import Session, run_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder for the data (kept)")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.mkdtemp(prefix="indexdsl-stats-"))
    folder.mkdir(parents=True, exist_ok=True)
    index = folder / "units.idx" if (folder / "units.idx").exists() else scale.make_units(folder)
    without = folder / "units-no-imputation.idx"
    without.write_text(index.read_text().replace("  impute mean\n", ""))
    for label, path in (("mean imputation", index), ("no imputation", without)):
        start = time.perf_counter()
        result, _ = run_file(path, Session())
        evaluated = time.perf_counter() - start
        start = time.perf_counter()
        stats = compute(result)
        computed = time.perf_counter() - start
        start = time.perf_counter()
        sizes = [len(table_csv(t)) for t in stats.tables()]
        written = time.perf_counter() - start
        print(
            f"{label}: run {evaluated:.1f} s, statistics {computed:.1f} s, their CSV "
            f"{written:.1f} s ({sum(sizes) / 1e6:.1f} MB), Spearman complete: "
            f"{stats.spearman_complete}"
        )


if __name__ == "__main__":
    main()
