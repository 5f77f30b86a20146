"""A folder of CSV files read as one table, every file a partition.

The folder's ``*.csv`` files, in name order, are read one at a time with the ``csv``
loader's own reading (its options, its rules for numbers, missing values and
encodings), so that a folder of one file is that file's table.  While reading them the
loader checks that every file has the first file's header, finds which columns are
numbers in every file (with each file's smallest and largest value), and counts the
rows; it keeps none of the values.  The table then holds its numeric columns as
:class:`~indexdsl_builtins._parquet.PartitionedColumn` and every column's text as
:class:`~indexdsl_builtins._parquet.PartitionedText`, whose pieces are the files: the
data stage matches the unit keys a file at a time, the Dask engine reads each file's
columns on the workers (at the same path there), the numpy engine reads them all.
A column that is not a number in every file stays text, and the data stage reports
its bad cells, as for one file, at the file of the folder and its line.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from indexdsl.components import DataError, LazyRows, Table, TablePart
from indexdsl.data import MISSING
from indexdsl.diagnostics import display_path, read_number, special_file, split_lines
from indexdsl_builtins import _parquet


def _number(cell: str) -> float | None:
    """A cell as the data stage reads a number from text: NaN for a missing-value
    marker, None for a cell that is not a number."""
    cell = cell.strip()
    if cell.lower() in MISSING:
        return math.nan
    return read_number(cell)


def _distinct(table: Table, name: str) -> tuple[list[str], np.ndarray]:
    """A column's distinct cells (stripped text) and the index of each row's cell."""
    if name in table.dictionaries:
        words, indices = table.dictionaries[name]
        cells = [w.decode(table.encoding).strip() for w in words.tolist()]
    elif name in table.texts:
        words, indices = np.unique(table.texts[name], return_inverse=True)
        cells = [w.decode(table.encoding).strip() for w in words.tolist()]
    else:  # the rows' text (the csv module's reading, stripped already)
        column = table.columns.index(name)
        seen: dict[str, int] = {}
        indices = np.fromiter(
            (seen.setdefault(row[column], len(seen)) for row in table.rows),
            dtype=np.int64,
            count=len(table.rows),
        )
        return list(seen), indices
    # stripping may make two distinct cells one
    seen = {}
    remap = np.fromiter((seen.setdefault(c, len(seen)) for c in cells), np.int64, len(cells))
    return list(seen), remap[np.asarray(indices, dtype=np.int64)]


def column_numbers(table: Table, name: str) -> np.ndarray | None:
    """A column of one file as floats (NaN where missing), read as the data stage reads
    the column of a single CSV file; None when a cell is not a number."""
    if name in table.numbers:
        return np.asarray(table.numbers[name], dtype=np.float64)
    cells, indices = _distinct(table, name)
    values = [_number(cell) for cell in cells]
    if any(v is None for v in values):
        return None
    return np.array(values, dtype=np.float64)[indices] if len(indices) else np.empty(0)


@attrs.frozen
class CsvPieces:
    """Reads the columns of one file of a folder with the ``csv`` loader's options:
    what :class:`~indexdsl_builtins._parquet.PartitionedColumn` and ``PartitionedText``
    call for a piece (``group`` is always 0), on a Dask worker too (it pickles)."""

    encoding: str
    delimiter: str
    decimal: str
    thousands: str

    def table(self, path: str) -> Table:
        from indexdsl_builtins.loaders import CsvLoader

        loader = CsvLoader(
            path=path,
            encoding=self.encoding,
            delimiter=self.delimiter,
            decimal=self.decimal,
            thousands=self.thousands,
        )
        file = Path(path)
        return loader.read_file(file, display_path(file))

    def numbers(self, path: str, group: int, name: str) -> np.ndarray:
        """One file's column as floats, NaN where missing."""
        table = self.table(path)
        values = column_numbers(table, name)
        if values is None:  # a number when the folder was read: the file has changed
            shown = display_path(path)
            raise DataError(f"`{shown}` changed while it was read: `{name}` is not numeric", shown)
        return values

    def words(self, path: str, group: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One file's column as (distinct cells in the file's encoding, each row's index)."""
        table = self.table(path)
        cells, indices = _distinct(table, name)
        words = np.array([c.encode(self.encoding) for c in cells] + [b""], dtype=bytes)
        return words, indices

    def text(self, path: str) -> str:
        """The file's text, for a diagnostic that shows one of its lines."""
        text = Path(path).read_bytes().decode(self.encoding, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text


class FolderLines(Sequence):
    """The line of every row of a table read from several files, in its own file."""

    def __init__(self, lines: list[Sequence[int]], starts: list[int]):
        self._lines, self._starts = lines, starts
        self._size = starts[-1] + len(lines[-1]) if lines else 0

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self._size))]
        if row < 0:
            row += self._size
        if not 0 <= row < self._size:
            raise IndexError(row)
        import bisect

        part = bisect.bisect_right(self._starts, row) - 1
        return int(self._lines[part][row - self._starts[part]])


def _compact(lines: Sequence[int]) -> Sequence[int]:
    """A file's line numbers, held as a range where they run without gaps."""
    if isinstance(lines, range):
        return lines
    n = len(lines)
    if n and lines[0] + n - 1 == lines[-1]:
        return range(lines[0], lines[-1] + 1)
    return np.asarray(lines, dtype=np.int64)


def _header_line(text: str, delimiter: str) -> int:
    """The line of a file's header: its first line with a cell that is not blank."""
    for number, line in enumerate(split_lines(text), 1):
        if line.strip().strip(delimiter).strip():
            return number
    return 1


def read_folder(pieces: CsvPieces, path: Path, shown: str) -> Table:
    """A folder's ``*.csv`` files, in name order, as one table (see the module)."""
    files = sorted(str(p) for p in path.glob("*.csv"))
    if not files:
        raise DataError(
            f"`{shown}` is a folder with no CSV files (`*.csv`)",
            shown,
            help="a folder is read as one table made of its `*.csv` files, in name order",
        )
    header: tuple[str, ...] | None = None
    first = ""
    numeric: dict[str, list[tuple[float, float, int]]] = {}  # column -> stats per file
    lines: list[Sequence[int]] = []
    parts: list[TablePart] = []
    start = 0
    for file in files:
        file_shown = display_path(file)
        special = special_file(file)
        if special is not None:
            raise DataError(
                f"`{file_shown}` is {special}, not a data file",
                file_shown,
                help=f"every `*.csv` file of the folder `{shown}` is read as part of the table",
            )
        table = pieces.table(file)
        if header is None:
            header, first = table.columns, file_shown
            numeric = {name: [] for name in header}
        elif table.columns != header:
            text = table.full_text()
            line = _header_line(text, pieces.delimiter)
            raise DataError(
                f"`{file_shown}` has the columns {_names(table.columns)}, but `{first}`, the "
                f"first file of the folder, has {_names(header)}",
                file_shown,
                line,
                1,
                help=f"every `*.csv` file of the folder `{shown}` is part of one table: give "
                "each the same header, in the same order",
                text=text,
            )
        for name in list(numeric):  # columns that were numbers in every file so far
            values = column_numbers(table, name)
            if values is None:
                del numeric[name]
                continue
            present = values[~np.isnan(values)]
            if present.size:
                numeric[name].append((float(present.min()), float(present.max()), present.size))
            else:
                numeric[name].append((math.inf, -math.inf, 0))
        size = len(table.rows)
        lines.append(_compact(table.line_numbers))
        parts.append(TablePart(file_shown, start, functools.partial(pieces.text, file)))
        start += size
        del table
    assert header is not None
    chunks = [(file, 0, len(rows)) for file, rows in zip(files, lines, strict=True)]
    numbers = {
        name: _parquet.PartitionedColumn(name, chunks, pieces.numbers, stats)
        for name, stats in numeric.items()
    }
    words = {name: _parquet.PartitionedText(name, chunks, pieces.words) for name in header}

    def texts(name: str) -> np.ndarray:
        return words[name].cells()

    def rows() -> list[tuple[str, ...]]:
        return [row for file in files for row in pieces.table(file).rows]

    return Table(
        shown,
        header,
        LazyRows(start, rows),
        FolderLines(lines, [part.start for part in parts]),
        (),
        "",
        numbers,
        _parquet.LazyColumns(list(header), texts),
        pieces.encoding,
        pieces.delimiter,
        dictionaries=words,
        parts=tuple(parts),
    )


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in columns)
