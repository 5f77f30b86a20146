"""The rank intervals that `indexdsl uncertainty FILE -o DIR` writes into an output
folder, read back by the outputs that show them (the HTML report, the workbook), and
only when they belong to the run being written."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

#: written by `indexdsl uncertainty FILE -o DIR`; read from the output folder
UNCERTAINTY_CSV = "uncertainty.csv"
UNCERTAINTY_JSON = "uncertainty.json"


def read_uncertainty(result: Any, out_dir: Path, index_sha256: str) -> tuple[dict, str]:
    """The rank intervals that ``indexdsl uncertainty FILE -o out_dir`` wrote, when they
    belong to this run: ``({unit position: (nominal, median, p05, p95)}, settings)``
    where ``settings`` describes the analysis (from ``uncertainty.json``, when present).
    Raises ``ValueError`` saying why they do not belong to it (another version of the
    index or data: other units or other nominal ranks); ``({}, "")`` without the file."""
    from indexdsl.output.results import safe_text

    path = Path(out_dir) / UNCERTAINTY_CSV
    if not path.is_file():
        return {}, ""
    position = {safe_text(k): i for i, k in enumerate(result.data.keys)}
    ranks = result.units.ranks[result.graph.root]
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"it cannot be read ({exc})") from None
    needed = ("unit", "nominal_rank", "median_rank", "p05_rank", "p95_rank")
    if not rows or any(c not in rows[0] for c in needed):
        raise ValueError("it lacks the columns " + ", ".join(f"`{c}`" for c in needed))
    out: dict[int, tuple[int, float, float, float]] = {}
    for row in rows:
        if row["unit"] not in position:
            raise ValueError(f"it has the unit `{row['unit']}`, which this run does not")
        try:
            nominal = 0 if row["nominal_rank"] in ("", "–") else int(row["nominal_rank"])
            values = tuple(float(row[c]) for c in needed[2:])
        except ValueError:
            raise ValueError(f"the ranks of `{row['unit']}` are not numbers") from None
        out[position[row["unit"]]] = (nominal, *values)
    if len(out) != len(position):
        raise ValueError(f"it has {len(out)} of this run's {len(position)} units")
    differ = [i for i, r in out.items() if r[0] != int(ranks[i])]
    if differ:
        raise ValueError(f"the nominal ranks of {len(differ)} units differ from this run's")
    settings = ""
    meta_path = Path(out_dir) / UNCERTAINTY_JSON
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{UNCERTAINTY_JSON} cannot be read ({exc})") from None
        if meta.get("index", {}).get("sha256") != index_sha256:
            raise ValueError("it was computed from another version of the index file")
        settings = (
            f"{meta['samples']} replications (seed {meta['seed']}); uncertain inputs: "
            + "; ".join(meta["inputs"])
        )
        for reason, count in sorted(meta.get("failures", {}).items()):
            settings += f"; {count} replications could not be evaluated: {reason}"
    return out, settings
