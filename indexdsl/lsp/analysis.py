"""What the language server knows about one open index file, in two stages.

The **static** stage (parse, `extends`, framework tables, every check pass) runs on
each change and takes milliseconds; the **data** stage (load the tables, evaluate the
index) runs after it, in the background, and adds the data diagnostics and the facts
that need data: weights as used, column types and missing counts.  Both go through
:mod:`indexdsl.pipeline`, the same wiring as ``indexdsl check`` and ``indexdsl run``,
so the editor shows exactly the diagnostics the command line prints.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import attrs

from indexdsl.diagnostics import Diagnostic, DiagnosticError, IndexdslError, PluginError
from indexdsl.lsp.symbols import Symbols
from indexdsl.pipeline import Checked, Session, check_source, evaluate_model, load
from indexdsl.plugins import Registry


@attrs.frozen
class ColumnFacts:
    """What hover says about a column of a data table."""

    table: str
    name: str
    file: str
    kind: str  # "number" | "text"
    missing: int
    rows: int


@attrs.define
class Analysis:
    """One version of one document: its static check and, once done, its data stage."""

    path: Path
    version: int
    checked: Checked
    symbols: Symbols | None
    session: Session
    #: filled by :meth:`with_data`
    data_diagnostics: tuple[Diagnostic, ...] = ()
    data_done: bool = False
    #: node -> the row of nodes.csv for it (weights as written and as used, methods)
    nodes: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    #: table -> column -> facts
    columns: dict[str, dict[str, ColumnFacts]] = attrs.field(factory=dict)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.checked.diagnostics + self.data_diagnostics

    def with_data(self) -> Analysis:
        """The data stage, when the static stage found no error: load the tables named
        by the checked model and evaluate the index.  Mistakes in the data become
        diagnostics; the headers of every table are read for completion and hover."""
        model = self.checked.model
        self.data_done = True
        if model is None:
            return self
        self.columns = read_columns(model, self.path)
        session = Session(registry=self.session.registry, sources=self.session.sources)
        try:
            data = load(model, self.path, session)
            result = evaluate_model(model, data)
        except DiagnosticError as exc:
            self.data_diagnostics = tuple(session.warnings) + exc.diagnostics
            return self
        except PluginError as exc:
            self.data_diagnostics = tuple(session.warnings) + (exc.diagnostic,)
            return self
        except IndexdslError:
            return self
        self.data_diagnostics = tuple(session.warnings) + tuple(result.warnings)
        from indexdsl.output.exports import result_tables

        self.nodes = {r["node"]: r for r in result_tables(result)["nodes"].records()}
        return self


def analyse(text: str, path: Path, version: int, registry: Registry | None) -> Analysis:
    """The static stage of a document's text (``path`` places it: its folder is where
    `extends` and the data files are found)."""
    session = Session(registry=registry)
    checked = check_source(text, path, session)
    tree = checked.expanded or checked.tree
    symbols = Symbols(tree) if tree is not None else None
    return Analysis(path, version, checked, symbols, session)


def read_columns(model, path: Path) -> dict[str, dict[str, ColumnFacts]]:
    """Every column of every table the model declares, read through its loader: whether
    every present cell is a number (as the data stage reads numbers), and how many cells
    are missing.  A table that cannot be read is left out (the data stage says why)."""
    from indexdsl.data import MISSING, DataChecker
    from indexdsl.diagnostics import SourceMap

    specs = [model.units, *model.pairs.values(), *model.tables.values()]
    out: dict[str, dict[str, ColumnFacts]] = {}
    reader = DataChecker(model, path.parent, SourceMap())
    for spec in specs:
        try:
            table = spec.loader.load(path.parent)
        except Exception:  # noqa: BLE001 - the data stage reports it, located
            continue
        facts = {}
        for index, name in enumerate(table.columns):
            values = reader.numeric(table, name, None)
            if values is not None:
                kind, missing = "number", int(sum(1 for v in values if math.isnan(v)))
            else:
                kind = "text"
                missing = sum(1 for row in table.rows if row[index].strip().lower() in MISSING)
            facts[name] = ColumnFacts(spec.name, name, table.path, kind, missing, len(table.rows))
        out[spec.name] = facts
    return out
