"""Reading large, simple CSV files with pyarrow's multi-threaded CSV reader, when
pyarrow is installed (the optional ``parquet`` extra).

The result is the one :mod:`indexdsl_builtins._fastcsv` gives (which reads the file
when pyarrow is absent, or when this module declines it): a column is numbers when
every cell is a number as ``float()`` reads it or a missing-value token, otherwise
text (each cell's bytes, not stripped).  pyarrow converts the columns that are plainly
numbers; a column it leaves as text is converted here through its distinct values,
with ``float()``.  Only UTF-8 (or ASCII) files that :mod:`_fastcsv` would call simple
are read, and anything unexpected (an infinite value, a type other than integers,
floats or text, too many distinct values to check) returns None, so that the numpy
reader decides.
"""

from __future__ import annotations

import codecs
import math
import re

import numpy as np

#: a text column with more distinct values than this is left to the numpy reader
#: when one of them looks like a number
MAX_DISTINCT = 1_000_000
#: set to False to leave every file to the numpy reader (its tests do)
ENABLED = True


COMMON_NULLS = ("", "NA", "nan", "NaN", "n/a", "N/A", "null", "NULL", "None", "..", "-")


def _float(cell: str, missing) -> float | None:
    cell = cell.strip()
    if cell.lower() in missing:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _blank_row(raw: bytes, head_end: int, delimiter: bytes, width: int) -> bool:
    """Whether a row after the header has nothing but blanks and delimiters."""
    if b" " in raw or b"\t" in raw:
        blank = re.compile(rb"(?m)^[ \t" + re.escape(delimiter) + rb"]*$")
        return blank.search(raw, head_end + 1, len(raw) - raw.endswith(b"\n")) is not None
    empty = delimiter * (width - 1)
    return raw.find(b"\n" + empty + b"\n", head_end) >= 0 or raw.endswith(b"\n" + empty)


def read_columns(raw: bytes, delimiter: str, encoding: str, missing) -> tuple | None:
    """(header, row count, numbers, texts) as :func:`_fastcsv.read_columns` gives them,
    or None when pyarrow is not installed or the file is not one it should read."""
    if not ENABLED:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name not in ("utf-8", "ascii") or b'"' in raw or b"\r" in raw or '"' in delimiter:
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    head_end = raw.find(b"\n")
    if head_end <= 0 or head_end + 1 >= len(raw) or b"\n\n" in raw:
        return None
    header = [c.strip() for c in raw[:head_end].decode(encoding).split(delimiter)]
    if _blank_row(raw, head_end, delimiter.encode(), len(header)):
        return None  # a row of blank cells, which the csv reader skips
    if len(set(header)) != len(header) or not all(header):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    # the usual spellings of the missing-value tokens (each one costs time per cell);
    # a column with another spelling stays text for pyarrow and is converted below
    nulls = [v for v in COMMON_NULLS if v.lower() in missing]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            # no quotes in the file (checked above); the default quoting reads faster
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=nulls,
                strings_can_be_null=False,
                true_values=[],
                false_values=[],
                timestamp_parsers=[],
            ),
        )
    except pa.ArrowInvalid:  # a ragged row, …: the other readers report or handle it
        return None
    numbers: dict[str, np.ndarray] = {}
    texts: dict[str, np.ndarray] = {}
    dictionaries: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    negative_zero = None  # whether `-0` occurs in the file: looked for once, if needed
    for column_name, column in zip(header, table.columns, strict=True):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            values = np.array(column.to_numpy(zero_copy_only=False), dtype=np.float64)
            nan = np.isnan(values)
            null = column.is_null().to_numpy(zero_copy_only=False)
            if np.isinf(values).any() or (nan & ~null).any():  # `inf`, `-nan` …
                return None
            if pa.types.is_integer(kind) and (values == 0).any():
                if negative_zero is None:
                    negative_zero = b"-0" in raw
                if negative_zero:
                    return None  # `-0` read as an integer loses its sign
            numbers[column_name] = values
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            encoded = pc.dictionary_encode(column).combine_chunks()
            words = encoded.dictionary.to_pylist()
            converted = [_float(w, missing) for w in words]
            if all(v is not None for v in converted):  # numbers with blanks, `1_000` …
                numbers[column_name] = np.array(converted, np.float64)[
                    encoded.indices.to_numpy(zero_copy_only=False)
                ]
                continue
            if len(words) > MAX_DISTINCT and any(v is not None for v in converted):
                return None
            cells = np.array([w.encode(encoding) for w in words], dtype=bytes)
            indices = encoded.indices.to_numpy(zero_copy_only=False)
            texts[column_name] = cells[indices]
            dictionaries[column_name] = (cells, indices)
        elif pa.types.is_null(kind):  # every cell empty (or a missing-value token)
            numbers[column_name] = np.full(table.num_rows, math.nan)
        else:
            return None
    size = table.num_rows
    del table, column
    pa.default_memory_pool().release_unused()  # arrow keeps freed memory unless told
    return header, size, numbers, texts, dictionaries
