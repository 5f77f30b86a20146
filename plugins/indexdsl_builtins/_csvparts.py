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

A CSV file is parsed whole whichever of its columns is read.  So that a file is not
parsed once per column: the numpy engine reads every numeric column in one pass over
the files (:class:`FolderNumbers`), and a process that reads a file for one numeric
column (a Dask worker) keeps all its columns a while (:data:`CACHE_BYTES`), for the
tasks that read its other columns, and read them again for the next computation.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
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
    #: the folder's numeric and text columns, all read (and kept a while, see
    #: :data:`CACHE_BYTES`) when a file is parsed for a numeric one
    numeric: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()

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
        """One file's column as floats, NaN where missing.  The file's other numeric
        columns are kept for a while (:data:`CACHE_BYTES`): a Dask worker reads each
        column of a partition in a task of its own, and again for every computation."""
        key = self._key(path)
        found = _CACHE.get(key, name)
        if found is None:
            table = self.table(path)
            columns = {n: self.column(table, n, path) for n in {name, *self.numeric}}
            columns |= {("words", n): self._words(table, n) for n in self.texts}
            del table
            _CACHE.put(key, columns)
            found = columns[name]
        return found.copy()

    def _key(self, path: str) -> tuple:
        stat = Path(path).stat()
        options = (self.encoding, self.delimiter, self.decimal, self.thousands)
        return (*options, path, stat.st_mtime_ns, stat.st_size)

    def keep_words(self, table: Table, path: str, names) -> None:
        """Keep the words of a file's text columns (read while the folder is checked),
        for the data stage and the numpy engine, which match the keys a file at a time."""
        _CACHE.put(self._key(path), {("words", n): self._words(table, n) for n in names})

    def column(self, table: Table, name: str, path: str) -> np.ndarray:
        values = column_numbers(table, name)
        if values is None:  # a number when the folder was read: the file has changed
            shown = display_path(path)
            raise DataError(
                f"`{shown}` changed while it was read: `{name}` is no longer numeric",
                shown,
                help="run again once the files are written",
            )
        return values

    def words(self, path: str, group: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One file's column as (distinct cells in the file's encoding, each row's index):
        kept from the file's last parsing for its numbers (:meth:`numbers`), if any."""
        found = _CACHE.get(self._key(path), ("words", name))
        return found if found is not None else self._words(self.table(path), name)

    def _words(self, table: Table, name: str) -> tuple[np.ndarray, np.ndarray]:
        cells, indices = _distinct(table, name)
        words = np.array([c.encode(self.encoding) for c in cells] + [b""], dtype=bytes)
        return words, indices.astype(np.int32 if len(words) < 2**31 else np.int64)

    def text(self, path: str) -> str:
        """The file's text, for a diagnostic that shows one of its lines."""
        text = Path(path).read_bytes().decode(self.encoding, errors="replace")
        return text[1:] if text.startswith("\ufeff") else text


#: bytes of the columns of CSV files that a process keeps once read (the words of the
#: text columns, and every numeric column once one is read): see :meth:`CsvPieces.numbers`
CACHE_BYTES = 256 * 2**20


class _ColumnCache:
    """The columns (numbers, and the words of the text columns) of the files read last
    for their numbers, by file (and its size and time)."""

    def __init__(self) -> None:
        self._files: OrderedDict[tuple, dict] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, name):
        with self._lock:
            columns = self._files.get(key)
            if columns is None or name not in columns:
                return None
            self._files.move_to_end(key)
            return columns[name]

    def put(self, key: tuple, columns: dict) -> None:
        """Keep a file's columns (with those kept already), making room by dropping the
        files of other folders, least recently used first, never those of the same
        folder: read in turn again and again (a computation after another), a folder
        larger than the budget keeps its first files rather than none."""
        folder = Path(key[4]).parent
        with self._lock:
            kept = self._files.pop(key, {})
            self._bytes -= _nbytes(kept)
            kept = kept | columns
            size = _nbytes(kept)
            for other in list(self._files):
                if self._bytes + size <= CACHE_BYTES:
                    break
                if Path(other[4]).parent != folder:
                    self._bytes -= _nbytes(self._files.pop(other))
            if self._bytes + size <= CACHE_BYTES:
                self._files[key] = kept
                self._bytes += size


def _nbytes(columns: dict) -> int:
    """Bytes of a file's kept columns: arrays, and (words, indices) pairs of arrays."""
    return sum(
        sum(v.nbytes for v in value) if isinstance(value, tuple) else value.nbytes
        for value in columns.values()
    )


_CACHE = _ColumnCache()


class FolderNumbers:
    """Every numeric column of a folder, read in one pass over its files the first time
    one of them is read whole in this process (the numpy engine): each file is parsed
    once, not once per column.  The columns are then held as one CSV file's are; each
    is handed to its :class:`~indexdsl_builtins._parquet.PartitionedColumn` when asked
    for (and not kept here after)."""

    def __init__(self, pieces: CsvPieces, files: list[str], names: list[str]):
        self.pieces, self.files, self.names = pieces, files, names
        self._columns: dict[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # sent elsewhere: read there again if asked
        return {"pieces": self.pieces, "files": self.files, "names": self.names}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["pieces"], state["files"], state["names"])

    def __call__(self, name: str) -> np.ndarray | None:
        """The column's values, or None when it was handed out already."""
        with self._lock:
            if self._columns is None:
                parts: dict[str, list[np.ndarray]] = {n: [] for n in self.names}
                for file in self.files:
                    table = self.pieces.table(file)
                    for n in self.names:
                        parts[n].append(self.pieces.column(table, n, file))
                    del table
                self._columns = {}
                for n in self.names:
                    found = parts.pop(n)
                    self._columns[n] = np.concatenate(found) if found else np.empty(0)
            return self._columns.pop(name, None)


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
        pieces.keep_words(table, file, [name for name in header if name not in numeric])
        size = len(table.rows)
        lines.append(_compact(table.line_numbers))
        parts.append(TablePart(file_shown, start, functools.partial(pieces.text, file)))
        start += size
        del table
    assert header is not None
    chunks = [(file, 0, len(rows)) for file, rows in zip(files, lines, strict=True)]
    text = tuple(name for name in header if name not in numeric)
    pieces = attrs.evolve(pieces, numeric=tuple(numeric), texts=text)
    whole = FolderNumbers(pieces, files, list(numeric))
    numbers = {
        name: _parquet.PartitionedColumn(name, chunks, pieces.numbers, stats, whole)
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
