"""The sections of the HTML report that describe how the numbers were made: the rank
intervals read from ``uncertainty.csv``, the index definition, the data sources and the
provenance.  Like :mod:`.sections`, each builder returns plain values for its template.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from indexdsl_builtins.uncertainty_file import (  # noqa: F401 (read here)
    UNCERTAINTY_CSV,
    UNCERTAINTY_JSON,
    read_uncertainty,
)

from .charts import Charts
from .sections import CHART_UNITS, _cut


def uncertainty(charts: Charts, result: Any, out_dir: Path | None, record: dict) -> dict | None:
    """The rank intervals (a chart and a table), or a note saying why the
    ``uncertainty.csv`` in the output folder is left out; None without one."""
    if out_dir is None:
        return None
    section = {"id": "uncertainty", "heading": "Rank intervals under uncertainty"}
    section["file"] = UNCERTAINTY_CSV
    try:
        found, settings = read_uncertainty(result, out_dir, record["provenance"]["index"]["sha256"])
    except ValueError as exc:
        return {**section, "error": str(exc)}
    if not found:
        return None
    labels = result.data.labels
    order = sorted((i for i in found if found[i][0]), key=lambda i: found[i][0])
    shown = order[:CHART_UNITS]
    chart = charts.intervals(
        [labels[i] for i in shown],
        [found[i][0] for i in shown],
        [found[i][1] for i in shown],
        [found[i][2] for i in shown],
        [found[i][3] for i in shown],
        "Rank intervals under uncertainty",
    )
    rows = [
        [
            str(found[i][0]),
            labels[i],
            f"{found[i][1]:g}",
            f"{found[i][2]:g}–{found[i][3]:g}",
            f"{found[i][3] - found[i][2]:g}",
        ]
        for i in order
    ]
    return {
        **section,
        "error": "",
        "settings": settings,
        "chart": chart,
        "cut": _cut(shown, order),
        "header": ["nominal rank", result.graph.model.units.title, "median rank", "5–95%", "width"],
        "numeric": [True, False, True, True, True],
        "rows": rows,
    }


def definition(result: Any, tables: dict[str, Any], record: dict) -> dict:
    """The index definition: the hierarchy with weights and methods, data preparation
    and the index file itself (when it is still the file the run read)."""
    from indexdsl.output.results import preparation_rows, screened_units

    graph, data = result.graph, result.data
    root = graph.model.root
    records = tables["nodes"].records()
    rows = [
        [
            {
                "indent": 18 * r["depth"],
                "title": r["title"],
                "illustrative": r["illustrative"],
                "node": r["node"],
            },
            r["kind"],
            r["weight_written"] or "",
            "" if r["weight"] is None else f"{r['weight']:.1%}",
            r["aggregator"] or "",
            r["normaliser"] or "",
            r["better"] or "",
            r["unit"] or "",
        ]
        for r in records
    ]
    # a method is written where it changes, not on every row: 40 rows of
    # `minmax(low=0.0, high=100.0)` hide the one row that differs
    for column in (4, 5):
        last = None
        for row in rows:
            if row[column] and row[column] == last:
                row[column] = ""
            elif row[column]:
                last = row[column]
    steps: dict[str, Any] = {"screening": None, "imputation": None, "untreated": False}
    if root.screen is not None:
        labels = dict(zip(data.keys, data.labels, strict=True))
        units = [labels[k] for k in screened_units(result)]
        steps["screening"] = {"share": f"{root.screen:.0%}", "units": units}
    log = preparation_rows(result)
    imputed = [e for e in log if e["imputed"]]
    if imputed:
        steps["imputation"] = {
            "count": sum(e["imputed"] for e in imputed),
            "indicators": len(imputed),
        }
    treated = [e for e in log if e["treatment"]]
    steps["untreated"] = bool(treated) and not any(
        e["treated"] not in ("", "none") for e in treated
    )
    prepared = [e for e in log if e["imputed"] or e["treated"] not in ("", "none")]
    preparation = None
    if prepared:
        preparation = {
            "header": [
                "indicator",
                "imputation",
                "values imputed",
                "treatment",
                "treated",
                "points",
                "skewness",
                "kurtosis",
            ],  # fmt: skip
            "numeric": [False, False, True, False, False, True, True, True],
            "rows": [
                [
                    e["indicator"],
                    e["imputation"],
                    str(e["imputed"]) if e["imputed"] else "",
                    e["treatment"],
                    e["treated"],
                    str(e["points"]) if e["points"] else "",
                    _moved(e["skewness_before"], e["skewness_after"]),
                    _moved(e["kurtosis_before"], e["kurtosis_after"]),
                ]
                for e in prepared
            ],
        }
    index = record["provenance"]["index"]
    try:
        source = Path(index["file"]).read_bytes()
    except OSError:
        source = b""
    shown = source and hashlib.sha256(source).hexdigest() == index["sha256"]
    return {
        "id": "definition",
        "heading": "Index definition",
        "illustrative": bool(graph.illustrative),
        "header": [
            "node",
            "kind",
            "weight as written",
            "weight used",
            "aggregation",
            "normalisation",
            "better",
            "unit",
        ],  # fmt: skip
        "numeric": [False, False, True, True, False, False, False, False],
        "rows": rows,
        "classes": [["tree"] + [""] * 7 for _ in rows],
        "steps": steps,
        "preparation": bool(any(steps.values()) or prepared),
        "prepared": preparation,
        "source": {"file": index["file"], "text": source.decode("utf-8", errors="replace")}
        if shown
        else None,
    }


def _moved(before: float, after: float) -> str:
    if before is None or math.isnan(before):
        return ""
    return f"{before:.2f} → {after:.2f}"


def sources(record: dict) -> dict:
    """The `source`s of the index block and every data file read, with its SHA-256."""
    return {
        "id": "sources",
        "heading": "Data sources",
        "sources": list(record["index"].get("sources") or ()),
        "files": list(record["provenance"]["data"].items()),
    }


def provenance(record: dict, run_id: str) -> dict:
    """What produced the numbers: the index file, the parameters, the versions, the run."""
    provenance = record["provenance"]
    return {
        "id": "provenance",
        "heading": "Provenance",
        "file": provenance["index"]["file"],
        "sha256": provenance["index"]["sha256"],
        "parameters": list(provenance["parameters"].items()),
        "versions": list(provenance["versions"].items()),
        "run_id": run_id,
        "time": record["time"],
    }
