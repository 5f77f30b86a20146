"""Reading Parquet files column by column with pyarrow (the optional ``parquet`` extra).

A column of numbers (integers, floats, decimals) becomes floats, NaN where the value is
null or NaN; any other column (strings, booleans, dates) becomes text: each cell's
UTF-8 bytes (numpy ``S``), an empty cell where the value is null.  String columns are
dictionary-encoded first, so that a column of 12 million unit keys drawn from a few
thousand converts in C++ and numpy, with no Python object per cell.  Integer columns
are also available as text (made when asked for: unit keys may be numbers), and rows
of text are made only when a diagnostic needs one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np


class LazyColumns(Mapping):
    """Columns by name, each made by ``make(name)`` the first time it is read."""

    def __init__(self, names: list[str], make: Callable[[str], np.ndarray]):
        self._names = names
        self._make = make
        self._made: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    def __contains__(self, name) -> bool:  # without making the column
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _is_number(pa, kind) -> bool:
    types = pa.types
    return types.is_integer(kind) or types.is_floating(kind) or types.is_decimal(kind)


def _texts(pa, column) -> np.ndarray:
    """A column's cells as UTF-8 bytes (numpy ``S``), ``b""`` where null."""
    import pyarrow.compute as pc

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column).combine_chunks()
    words = encoded.dictionary.to_pylist()
    table = np.array([w.encode("utf-8") for w in words] + [b""], dtype=bytes)
    indices = encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
    return table[indices]


def _integer_texts(values: np.ndarray) -> np.ndarray:
    """Whole numbers (floats, NaN where missing) as text, ``b""`` where missing."""
    missing = np.isnan(values)
    cells = np.where(missing, 0, values).astype(np.int64).astype(bytes)
    cells[missing] = b""
    return cells


def _rows(header, numbers, integers, texts) -> list[tuple[str, ...]]:
    """Every row as text, made only when a diagnostic needs one: numbers in their
    shortest exact form, missing ones empty."""
    cells = []
    for name in header:
        if name in numbers and name not in integers:
            cells.append(["" if v != v else repr(v) for v in numbers[name].tolist()])
        else:
            cells.append([c.decode("utf-8").strip() for c in texts(name).tolist()])
    return list(zip(*cells, strict=True))


class ColumnError(Exception):
    """A column indexdsl cannot read as numbers or text; the loader reports it."""

    def __init__(self, message: str, help: str):
        super().__init__(message)
        self.help = help


#: the largest whole number a float holds exactly
EXACT_INTEGERS = 2**53


def _beyond_floats(pa, column) -> bool:
    """Whether an integer column holds a value beyond 2^53 (casting it to floats
    would fail, or round it)."""
    import pyarrow.compute as pc

    if column.null_count == len(column):
        return False
    low, high = pc.min_max(column).values()
    return max(abs(low.as_py()), abs(high.as_py())) > EXACT_INTEGERS


def read_columns(pa, table) -> tuple[list[str], int, dict, Mapping, Callable]:
    """(header, row count, numbers, texts, rows) of a pyarrow table.

    ``numbers`` maps each numeric column with only finite values to floats; ``texts``
    maps every other column, and every integer column, to bytes; ``rows()`` makes the
    rows of text.  Nothing refers to the pyarrow table afterwards, so its memory is
    freed once the caller lets it go."""
    header = [str(name) for name in table.column_names]
    numbers: dict[str, np.ndarray] = {}
    strings: dict[str, np.ndarray] = {}
    integers: list[str] = []
    for name, column in zip(header, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind):
            raise ColumnError(
                f"column `{name}` holds {kind} values (lists, structures or maps), not "
                "numbers or text",
                help="flatten the column into one column per value before reading it",
            )
        if pa.types.is_integer(kind) and _beyond_floats(pa, column):
            # whole numbers a float cannot hold exactly (64-bit identifiers): kept as text
            strings[name] = _texts(pa, column)
            continue
        if _is_number(pa, kind):
            values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
            values = np.array(values, dtype=np.float64)  # a copy: arrow's buffers go
            if not np.isinf(values).any():
                numbers[name] = values
                if pa.types.is_integer(kind):
                    integers.append(name)
                continue
        strings[name] = _texts(pa, column)  # reported cell by cell, if used as numbers

    def texts(name: str) -> np.ndarray:
        return strings[name] if name in strings else _integer_texts(numbers[name])

    def rows() -> list[tuple[str, ...]]:
        return _rows(header, numbers, integers, texts)

    text_columns = [name for name in header if name in strings or name in integers]
    return header, table.num_rows, numbers, LazyColumns(text_columns, texts), rows


class PartitionedColumn:
    """A numeric column of a partitioned Parquet source (a folder of Parquet files, or a
    file of several row groups), read one partition (row group) at a time; the pieces
    of another source (the files of a folder of CSV files) with its own ``reader``.

    The data stage holds it in place of the column's values: the Dask engine reads
    each partition on a worker (:meth:`to_dask`), and nothing else reads more than one
    partition at a time except through ``numpy.asarray(column)``, which reads them all
    (the numpy engine, and a diagnostic's row of text).  Values are floats, NaN where
    null; unlike a column read whole, an infinity is not reported as a bad cell."""

    ndim = 1
    dtype = np.dtype(float)

    def __init__(
        self, name: str, pieces: list[tuple[str, int, int]], reader=None, stats=None, whole=None
    ):
        self.name = name
        self.pieces = pieces  # (file, row group, rows)
        self.chunks = tuple(rows for _, _, rows in pieces)
        self.shape = (sum(self.chunks),)
        self._values: np.ndarray | None = None
        #: reads one piece's column, ``reader(file, group, name)``: a Parquet row group
        #: by default; another source's pieces (a folder of CSV files) bring their own
        self.reader = read_piece if reader is None else reader
        #: (smallest, largest, count) of each piece's values, when the loader knows them
        self.stats = stats
        #: reads the whole column, ``whole(name)``, when reading it a piece at a time
        #: would cost more (a CSV file is parsed whole for any of its columns)
        self.whole = whole

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, piece: int) -> np.ndarray:
        """One partition's values."""
        path, group, _ = self.pieces[piece]
        return self.reader(path, group, self.name)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        if self._values is None and self.whole is not None:
            self._values = self.whole(self.name)
        if self._values is None:
            parts = [self.read(i) for i in range(len(self.pieces))]
            self._values = np.concatenate(parts) if parts else np.empty(0)
        return self._values if dtype is None else self._values.astype(dtype)

    def __getitem__(self, key):
        return np.asarray(self)[key]

    def tolist(self) -> list:
        return np.asarray(self).tolist()

    def min_max(self) -> tuple[float, float, int]:
        """(smallest, largest, count) of the values present, a partition at a time."""
        low, high, count = np.inf, -np.inf, 0
        if self.stats is not None:  # known from the loader's reading: no piece read again
            for piece_low, piece_high, piece_count in self.stats:
                if piece_count:
                    low, high = min(low, piece_low), max(high, piece_high)
                    count += piece_count
            return low, high, count
        for i in range(len(self.pieces)):
            values = self.read(i)
            present = values[~np.isnan(values)]
            if present.size:
                low, high = min(low, float(present.min())), max(high, float(present.max()))
                count += present.size
        return low, high, count

    def to_dask(self):
        """The column as a Dask array of one chunk per partition, each read where it is
        computed (on a worker: the files must be at the same path there)."""
        import dask
        import dask.array as da

        parts = [
            da.from_delayed(
                dask.delayed(self.reader, pure=True)(path, group, self.name),
                (rows,),
                dtype=float,
            )
            for path, group, rows in self.pieces
        ]
        return da.concatenate(parts) if parts else da.zeros(0, chunks=(0,))


class PartitionedText:
    """A text column of a partitioned Parquet source (unit keys), read one partition
    (row group) at a time as Parquet stores it: the partition's distinct cells and the
    index of each row's cell (another source's pieces with its own ``reader``).  The
    data stage matches the keys a partition at a time (:meth:`codes`), and the Dask
    engine does it on the workers (:meth:`to_dask_codes`); :meth:`cells` reads every
    row (diagnostics)."""

    def __init__(self, name: str, pieces: list[tuple[str, int, int]], reader=None):
        self.name = name
        self.pieces = pieces
        self.chunks = tuple(rows for _, _, rows in pieces)
        #: reads one piece's cells, ``reader(file, group, name)`` -> (distinct cells,
        #: each row's index): a Parquet row group's dictionary by default
        self.reader = read_text_piece if reader is None else reader

    def __len__(self) -> int:
        return sum(self.chunks)

    def read(self, piece: int) -> tuple[np.ndarray, np.ndarray]:
        """(distinct cells as UTF-8 bytes then ``b""`` for null, each row's index)."""
        path, group, _ = self.pieces[piece]
        return self.reader(path, group, self.name)

    def cells(self) -> np.ndarray:
        parts = [words[indices] for words, indices in map(self.read, range(len(self.pieces)))]
        return np.concatenate(parts) if parts else np.empty(0, dtype=bytes)

    def codes(self, piece: int, ordered: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """One partition's cells as unit numbers: ``rows[i]`` for the cell equal to
        ``ordered[i]`` (sorted keys), -1 for a cell that is none of them."""
        path, group, _ = self.pieces[piece]
        return text_piece_codes(path, group, self.name, ordered, rows, self.reader)

    def to_dask_codes(self, ordered: np.ndarray, rows: np.ndarray):
        """:meth:`codes` as a Dask array of one chunk per partition, each read where it
        is computed (on a worker: the files must be at the same path there)."""
        import dask
        import dask.array as da

        keys = dask.delayed(ordered, pure=True), dask.delayed(rows, pure=True)
        extra = () if self.reader is read_text_piece else (self.reader,)
        parts = [
            da.from_delayed(
                dask.delayed(text_piece_codes, pure=True)(path, group, self.name, *keys, *extra),
                (size,),
                dtype=np.int64,
            )
            for path, group, size in self.pieces
        ]
        return da.concatenate(parts) if parts else da.zeros(0, chunks=(0,), dtype=np.int64)


def read_text_piece(path: str, group: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One row group's text column as (distinct cells, index of each row's cell)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = (
        pq.ParquetFile(path, read_dictionary=[name]).read_row_group(group, columns=[name]).column(0)
    )
    return _dictionary(pa, column)


def text_piece_codes(
    path: str, group: int, name: str, ordered: np.ndarray, rows: np.ndarray, reader=None
) -> np.ndarray:
    """One row group's cells as unit numbers (see :meth:`PartitionedText.codes`); another
    kind of piece is read by ``reader`` (see :class:`PartitionedText`)."""
    words, indices = (reader or read_text_piece)(path, group, name)
    if not len(ordered):
        return np.full(len(indices), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(ordered, words), len(ordered) - 1)
    found = np.where(ordered[at] == words, rows[at], -1)
    return found[indices].astype(np.int64)


def read_piece(path: str, group: int, name: str) -> np.ndarray:
    """One row group's column as floats, NaN where null."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    column = pq.ParquetFile(path).read_row_group(group, columns=[name]).column(0)
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.array(values, dtype=np.float64)


def parquet_pieces(path) -> list[tuple[str, int, int]]:
    """(file, row group, rows) of a Parquet file, or of every ``*.parquet`` file of a
    folder in name order."""
    import pyarrow.parquet as pq

    files = sorted(str(p) for p in path.glob("*.parquet")) if path.is_dir() else [str(path)]
    pieces = []
    for file in files:
        meta = pq.ParquetFile(file).metadata
        pieces += [(file, g, meta.row_group(g).num_rows) for g in range(meta.num_row_groups)]
    return pieces


def read_partitioned(pa, pq, path) -> tuple[list[str], int, dict, Mapping, Callable, dict]:
    """(header, row count, numbers, texts, rows, dictionaries) of a partitioned source:
    numeric columns as :class:`PartitionedColumn` (not read), text columns read whole
    and dictionary-encoded (unit keys: a few thousand words, an index per row)."""
    pieces = parquet_pieces(path)
    schema = pq.ParquetFile(pieces[0][0]).schema_arrow
    header = [str(name) for name in schema.names]
    numbers: dict[str, object] = {}
    strings: dict[str, np.ndarray] = {}
    dictionaries: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    integers: list[str] = []
    for field in schema:
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        if pa.types.is_nested(kind):
            raise ColumnError(
                f"column `{field.name}` holds {kind} values (lists, structures or maps), not "
                "numbers or text",
                help="flatten the column into one column per value before reading it",
            )
        if _is_number(pa, kind):
            numbers[field.name] = PartitionedColumn(field.name, pieces)
            if pa.types.is_integer(kind):
                integers.append(field.name)
            continue
        # read a partition at a time, as Parquet stores it (dictionary pages): no
        # Python string per row, and never every row at once unless asked for
        dictionaries[field.name] = PartitionedText(field.name, pieces)
        strings[field.name] = None  # made from the dictionary when asked for

    def texts(name: str) -> np.ndarray:
        if name in dictionaries:
            return dictionaries[name].cells()
        return _integer_texts(np.asarray(numbers[name]))

    def rows() -> list[tuple[str, ...]]:
        return _rows(header, numbers, integers, texts)

    size = sum(rows for _, _, rows in pieces)
    text_columns = [name for name in header if name in strings or name in integers]
    return header, size, numbers, LazyColumns(text_columns, texts), rows, dictionaries


def _dictionary(pa, column) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (distinct cells as UTF-8 bytes, then ``b""`` for null; the
    index of each row's cell)."""
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        encoded = column.unify_dictionaries().combine_chunks()
    else:
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            column = pc.cast(column, pa.string())
        encoded = pc.dictionary_encode(column).combine_chunks()
    words = encoded.dictionary.to_pylist()
    table = np.array([w.encode("utf-8") for w in words] + [b""], dtype=bytes)
    indices = encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
    return table, np.asarray(indices)
