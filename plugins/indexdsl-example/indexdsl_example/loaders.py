"""Loaders: a table of an SQLite database."""

from __future__ import annotations

from pathlib import Path

from indexdsl.components import DataError, Loader, Param, Table
from indexdsl.diagnostics import display_path, suggest


def _cell(value) -> str:
    """A cell as text, as it would read in a CSV file: NULL is empty (missing)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


class SqliteLoader(Loader):
    """Reads one table (or view) of an SQLite database, opened read-only.

    Diagnostics quote the row as a line of comma-separated values: the header is line 1
    and the table's n-th row is line n + 1 (rows in ``rowid`` order).
    """

    name = "sqlite"
    summary = "a table or view of an SQLite database file, read-only"
    params = (
        Param("path", str, doc="database file, relative to the index file"),
        Param("table", str, doc="name of the table or view"),
    )

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def load(self, base: Path) -> Table:
        import sqlite3  # only a file reading a database needs it (cold start)

        path = Path(self.path) if Path(self.path).is_absolute() else base / self.path
        shown = display_path(path)
        if not path.is_file():
            raise DataError(
                f"database `{shown}` does not exist",
                shown,
                help=f"paths are relative to the index file's folder ({base})",
            )
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise DataError(f"cannot open `{shown}`: {exc}", shown) from None
        try:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
                )
            ]
            if self.table not in tables:
                hint = suggest(self.table, tables)
                raise DataError(
                    f"`{shown}` has no table `{self.table}`",
                    shown,
                    help=f"did you mean `{hint[0]}`?"
                    if hint
                    else f"its tables: {', '.join(tables) or 'none'}",
                )
            quoted = '"' + self.table.replace('"', '""') + '"'
            try:
                cursor = connection.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            except sqlite3.OperationalError:  # a view, or a table WITHOUT ROWID
                cursor = connection.execute(f"SELECT * FROM {quoted}")
            columns = tuple(d[0] for d in cursor.description)
            rows = tuple(tuple(_cell(v) for v in row) for row in cursor)
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"cannot read `{shown}`: {exc}",
                shown,
                help="is it an SQLite database? `sqlite3 FILE .tables` lists its tables",
            ) from None
        finally:
            connection.close()
        lines = [", ".join(columns), *(", ".join(row) for row in rows)]
        offsets = []
        for row in rows:
            starts, position = [], 1
            for cell in row:
                starts.append(position)
                position += len(cell) + 2
            offsets.append(tuple(starts))
        return Table(
            shown,
            columns,
            rows,
            tuple(range(2, len(rows) + 2)),
            tuple(offsets),
            "\n".join(lines) + "\n",
        )
