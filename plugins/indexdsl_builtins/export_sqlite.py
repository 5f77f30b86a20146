"""The ``sqlite`` format: every run appended to results.sqlite, in one transaction."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from indexdsl.components import Export, Exporter
from indexdsl.hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    from indexdsl.evaluate import Result
    from indexdsl.output.exports import OutputError, Table

# sqlite3 and the output modules are imported in the functions that use them: registering the format
# imports none of its code (cold start)

#: version of the SQLite schema, kept in ``PRAGMA user_version``
SQLITE_SCHEMA_VERSION = 1


# ---- SQLite -----------------------------------------------------------------------------------

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,  -- a hash of the inputs: the same inputs, the same id
    index_name  TEXT NOT NULL,
    title       TEXT NOT NULL,
    edition     TEXT,
    parameters  TEXT NOT NULL,     -- JSON object: the parameter values of this run
    provenance  TEXT NOT NULL,     -- JSON: SHA-256 of the index and data files, versions
    record      TEXT NOT NULL,     -- JSON: the whole run record (run.json) but the time
    time        TEXT NOT NULL      -- when the run was made (UTC, ISO 8601)
);
CREATE TABLE IF NOT EXISTS units (
    run_id  TEXT NOT NULL REFERENCES runs (run_id),
    unit    TEXT NOT NULL,
    label   TEXT NOT NULL,
    groups  TEXT NOT NULL,         -- JSON object: group column -> group
    PRIMARY KEY (run_id, unit)
);
CREATE TABLE IF NOT EXISTS nodes (
    run_id          TEXT NOT NULL REFERENCES runs (run_id),
    node            TEXT NOT NULL,
    title           TEXT NOT NULL,
    parent          TEXT,
    depth           INTEGER NOT NULL,
    kind            TEXT NOT NULL,  -- index | dimension | indicator
    weight_written  TEXT,
    weight          REAL NOT NULL,
    aggregator      TEXT,
    normaliser      TEXT,
    better          TEXT,           -- higher | lower (indicators)
    illustrative    INTEGER NOT NULL,
    unit            TEXT,           -- the indicator's unit of measurement
    position        INTEGER NOT NULL,
    PRIMARY KEY (run_id, node)
);
CREATE TABLE IF NOT EXISTS scores (
    run_id  TEXT NOT NULL REFERENCES runs (run_id),
    level   TEXT NOT NULL CHECK (level IN ('unit', 'pair')),
    entity  TEXT NOT NULL,          -- a unit's key, or a pathway (`A – B`, `A → B`)
    node    TEXT NOT NULL,
    score   REAL,                   -- NULL: missing
    rank    INTEGER NOT NULL        -- 0: not ranked
);
CREATE INDEX IF NOT EXISTS scores_by_run ON scores (run_id, level, node, rank);
CREATE INDEX IF NOT EXISTS scores_by_entity ON scores (level, entity, node);
CREATE TABLE IF NOT EXISTS indicators (
    run_id     TEXT NOT NULL REFERENCES runs (run_id),
    unit       TEXT NOT NULL,
    indicator  TEXT NOT NULL,
    value      REAL,                -- the raw value, before normalisation
    PRIMARY KEY (run_id, unit, indicator)
);
CREATE TABLE IF NOT EXISTS pathways (
    run_id    TEXT NOT NULL REFERENCES runs (run_id),
    pathway   TEXT NOT NULL,        -- as `entity` in scores
    unit_a    TEXT NOT NULL,
    unit_b    TEXT NOT NULL,
    directed  INTEGER NOT NULL,
    score     REAL,
    rank      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pathways_by_run ON pathways (run_id, rank);
CREATE TABLE IF NOT EXISTS "groups" (
    run_id        TEXT NOT NULL REFERENCES runs (run_id),
    group_column  TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    node          TEXT NOT NULL,
    units         INTEGER NOT NULL,
    mean          REAL,
    median        REAL,
    min           REAL,
    max           REAL
);
"""

SQLITE_TABLES = ("runs", "units", "nodes", "scores", "indicators", "pathways", "groups")


def sqlite_rows(result: Result, tables: dict[str, Table], record: dict) -> dict[str, list[tuple]]:
    """The rows a run adds to each table of the database."""
    import json

    from indexdsl.output.exports import canonical, real, run_id, stable

    graph, data = result.graph, result.data
    rid = run_id(record)
    meta = record["index"]
    provenance = record["provenance"]
    out: dict[str, list[tuple]] = {name: [] for name in SQLITE_TABLES}
    out["runs"].append(
        (
            rid,
            meta["name"],
            meta["title"],
            meta.get("edition"),
            json.dumps(provenance["parameters"], sort_keys=True, ensure_ascii=False),
            json.dumps(canonical(provenance), sort_keys=True, ensure_ascii=False),
            json.dumps(stable(record), sort_keys=True, ensure_ascii=False),
            record["time"],
        )
    )
    for i, key in enumerate(data.keys):
        groups = {g: data.groups[g][i] for g in data.groups}
        out["units"].append((rid, key, data.labels[i], json.dumps(groups, sort_keys=True)))
    for position, r in enumerate(tables["nodes"].records()):
        out["nodes"].append((rid, *r.values(), position))
    order = list(graph.node_order)
    for i, key in enumerate(data.keys):
        for node in order:
            out["scores"].append(
                (
                    rid,
                    "unit",
                    key,
                    node,
                    real(result.units.scores[node][i]),
                    int(result.units.ranks[node][i]),
                )
            )
    indicators = tables["indicators"]
    for row in indicators.rows:
        for column, value in zip(indicators.columns[1:], row[1:], strict=True):
            out["indicators"].append((rid, row[0], column.name, value))
    if result.pairs is not None:
        pairs = result.pair_data
        directed = pairs.spec.directed
        sep = " → " if directed else " – "
        root = graph.root
        for p in range(len(pairs.a)):
            a, b = data.keys[pairs.a[p]], data.keys[pairs.b[p]]
            entity = f"{a}{sep}{b}"
            for node in order:
                out["scores"].append(
                    (
                        rid,
                        "pair",
                        entity,
                        node,
                        real(result.pairs.scores[node][p]),
                        int(result.pairs.ranks[node][p]),
                    )
                )
            out["pathways"].append(
                (
                    rid,
                    entity,
                    a,
                    b,
                    int(directed),
                    real(result.pairs.scores[root][p]),
                    int(result.pairs.ranks[root][p]),
                )
            )
    if "groups" in tables:
        out["groups"] = [(rid, *row) for row in tables["groups"].rows]
    return out


def _busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
    return "locked" in str(exc) or "busy" in str(exc)  # pragma: no cover - Python < 3.11


def _locked(path: Path, exc: sqlite3.Error) -> OutputError:
    from indexdsl.output.exports import OutputError
    from indexdsl.output.writing import lock_timeout

    return OutputError(
        f"cannot write the database `{path}`: another program holds it locked (waited "
        f"{lock_timeout():g} s; INDEXDSL_LOCK_TIMEOUT sets how long)",
        path,
        str(exc),
    )


def _open_database(path: Path) -> sqlite3.Connection:
    """Open (or create) a results database and check that it is one of ours."""
    import sqlite3

    from indexdsl.output.exports import OutputError
    from indexdsl.output.writing import lock_timeout

    if path.is_dir():
        raise OutputError(f"cannot write the database `{path}`: it is a folder", path)
    try:
        # wait for another writer (another program; indexdsl runs take the folder's lock)
        connection = sqlite3.connect(path, timeout=lock_timeout(), isolation_level=None)
    except sqlite3.Error as exc:
        raise OutputError(f"cannot open the database `{path}`: {exc}", path, str(exc)) from None
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        names = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        connection.close()
        if _busy(exc):  # "database is locked" is not "not a database"
            raise _locked(path, exc) from None
        raise OutputError(
            f"`{path}` is not an indexdsl results database ({exc}); move it away or choose "
            "another folder with --out",
            path,
        ) from None
    if (names and version == 0) or version > SQLITE_SCHEMA_VERSION:
        connection.close()
        raise OutputError(
            f"`{path}` is not an indexdsl results database of schema version "
            f"{SQLITE_SCHEMA_VERSION} (it has version {version}); choose another output folder",
            path,
        )
    return connection


def write_sqlite(path: Path, rows: dict[str, list[tuple]]) -> None:
    """Add a run's rows to the database at ``path`` (created if needed) in one
    transaction: all of them or, on failure, none.  A run with the same id (the same
    inputs) replaces its earlier rows."""
    from indexdsl.output.exports import output_error
    from indexdsl.output.writing import folder_lock

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(path.parent, exc) from None
    # concurrent runs append one after the other: the lock of the database's folder
    # (which the run may already hold: it is re-entrant) makes `created` true for one only
    with folder_lock(path.parent):
        _write_sqlite(path, rows)


def _write_sqlite(path: Path, rows: dict[str, list[tuple]]) -> None:
    import sqlite3

    from indexdsl.output.exports import OutputError

    created = not path.exists()
    try:
        connection = _open_database(path)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    try:
        connection.execute("BEGIN IMMEDIATE")
        # one statement at a time: executescript() would commit the transaction
        for statement in SQLITE_SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SQLITE_SCHEMA_VERSION}")
        rid = rows["runs"][0][0]
        for table in reversed(SQLITE_TABLES):
            connection.execute(f'DELETE FROM "{table}" WHERE run_id = ?', (rid,))
        for table in SQLITE_TABLES:
            if rows[table]:
                marks = ", ".join("?" * len(rows[table][0]))
                connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows[table])
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        connection.close()
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        if _busy(exc):
            raise _locked(path, exc) from None
        raise OutputError(f"cannot write the database `{path}`: {exc}", path, str(exc)) from None
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        connection.close()
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    connection.close()


class SqliteExporter(Exporter):
    name = "sqlite"
    summary = "a SQLite database that every run is appended to"
    writes = "results.sqlite (appended to)"

    _rows: dict[str, list[tuple]] | None = None

    def render(self, export: Export) -> dict[str, str | bytes]:
        # the rows are computed now, with every other format, and written in commit()
        self._rows = sqlite_rows(export.result, export.tables, export.record)
        return {}

    def commit(self, export: Export) -> list[Path]:
        assert self._rows is not None, "render() comes before commit()"
        write_sqlite(export.database, self._rows)
        return [export.database]


@hookimpl
def indexdsl_register_exporters():
    return [SqliteExporter]
