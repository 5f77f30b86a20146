"""The notebook in docs/ runs: every code cell of `docs/notebooks/asem.ipynb`, in order,
in one namespace, as a kernel would run them (without Jupyter, which indexdsl does not
need).  The last expression of each cell is evaluated too, so what a notebook would
display is computed; its rich display, where it has one, is rendered."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "asem.ipynb"


def _run_cell(source: str, namespace: dict):
    """Run a cell; return the value of its last expression (what a notebook shows)."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)


def test_every_cell_runs_and_its_display_renders(monkeypatch):
    pytest.importorskip("matplotlib", reason="the notebook draws a figure (the html extra)")
    monkeypatch.chdir(ROOT / "docs" / "notebooks")
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) >= 5
    namespace: dict = {}
    shown = []
    try:
        for source in cells:
            value = _run_cell(source, namespace)
            if value is not None:
                rich = getattr(value, "_repr_html_", None)
                shown.append(rich() if callable(rich) else repr(value))
    finally:
        os.chdir(ROOT)
    assert "Connectivity" in shown[0]  # the framework, as a list
    assert "<table" in shown[1]  # the results, as a table
    assert namespace["best"] in namespace["ranks"]
    assert namespace["changed"] is not namespace["results"]
