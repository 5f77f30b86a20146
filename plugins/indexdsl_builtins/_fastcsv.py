"""Reading large, simple CSV files column by column with numpy.

A file is *simple* when it has no quotes, no blank lines, and every row has as many
fields as the header; its encoding writes ASCII as ASCII (UTF-8, Latin-1, cp1252 …).
Such a file is split into fields with a few vectorised passes over its bytes, a block
of rows at a time, and each column is converted to numbers in bulk: a field of the
form ``-?digits[.digits]`` with at most 15 characters is read exactly as ``float()``
reads it (a mantissa below 2**53 divided by a power of ten at most 10**15 is correctly
rounded), any other field goes through ``float()`` itself.  A column with a cell that
is neither a number nor a missing-value token is left as text, so the engine reports
it at its line and column as before.  Anything else about the file (quotes, ragged
rows) sends it to the ``csv`` module.
"""

from __future__ import annotations

import codecs
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: files smaller than this are read by the csv module (the result is the same)
MIN_BYTES = 1 << 20
BLOCK_BYTES = 1 << 22
#: longest field read by the vectorised number reader
MAX_WIDTH = 15
ASCII_COMPATIBLE = {"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
_POW10 = 10.0 ** np.arange(MAX_WIDTH + 1)
_DOTS = np.stack([np.ones(MAX_WIDTH + 1), np.arange(MAX_WIDTH, -1, -1.0)], axis=1)


def ascii_compatible(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in ASCII_COMPATIBLE
    except LookupError:
        return False


def _blocks(body: bytes, width: int, delimiter: int):
    """(bytes, field starts, field ends) per block of whole rows; None if ragged."""
    start = 0
    while start < len(body):
        stop = body.find(b"\n", min(start + BLOCK_BYTES, len(body)) - 1)
        stop = len(body) if stop < 0 else stop + 1
        b = np.frombuffer(body, np.uint8, stop - start, start)
        ends = np.flatnonzero((b == delimiter) | (b == 10))
        if len(ends) % width:
            yield None
            return
        ends = ends.reshape(-1, width)
        if not (b[ends[:, -1]] == 10).all() or (width > 1 and (b[ends[:, :-1]] == 10).any()):
            yield None
            return
        starts = np.empty_like(ends)
        starts.flat[0] = 0
        starts.flat[1:] = ends.flat[:-1] + 1
        yield b, starts, ends
        start = stop


def _matrix(b: np.ndarray, starts: np.ndarray, ends: np.ndarray, right: bool, limit=None):
    """The fields as an (n, width) byte matrix, left- or right-aligned, zero-padded;
    right-aligned fields longer than ``limit`` keep their last ``limit`` bytes."""
    lengths = ends - starts
    width = max(int(lengths.max(initial=0)), 1)
    if limit is not None:
        width = min(width, limit)
    padded = np.concatenate([np.zeros(width, np.uint8), b, np.zeros(width, np.uint8)])
    windows = sliding_window_view(padded, width)
    columns = np.arange(width)
    if right:
        m = windows[ends]  # padded index of ends - width
        m[columns < (width - lengths)[:, None]] = 0
    else:
        m = windows[starts + width]
        m[columns >= lengths[:, None]] = 0
    return m, lengths


def _any(mask: np.ndarray) -> np.ndarray:
    """Per row of a contiguous (n, 16) boolean matrix: is any entry set."""
    words = mask.view(np.uint64)
    return (words[:, 0] | words[:, 1]) != 0


def _numbers(b, starts, ends, decode, missing) -> np.ndarray | None:
    """A column's fields as floats (NaN where missing), or None if one is not a number."""
    width = MAX_WIDTH + 1
    lengths = ends - starts
    padded = np.concatenate([np.zeros(width, np.uint8), b])
    m = sliding_window_view(padded, width)[ends]  # each field right-aligned, 16 bytes
    columns = np.arange(width)
    valid = columns >= (width - lengths)[:, None]
    digits = m - np.uint8(48)
    is_digit = (digits < 10) & valid
    is_dot = (m == 46) & valid
    is_minus = (m == 45) & (columns == (width - lengths)[:, None])
    dots = is_dot.astype(np.float64) @ _DOTS  # (count, position from the right)
    odd = _any(valid & ~(is_digit | is_dot | is_minus)) | (dots[:, 0] > 1)
    odd |= ~_any(is_digit) | (lengths > MAX_WIDTH)
    total = np.where(is_digit, digits, np.uint8(0)).astype(np.float64) @ _POW10[::-1]
    has_dot = dots[:, 0] == 1
    dot = np.where(has_dot, dots[:, 1], 0).astype(np.int64)
    low = np.fmod(total, _POW10[dot])  # the digits after the dot (which counted as a 0)
    mantissa = np.where(has_dot, low + (total - low) / 10, total)
    values = mantissa / _POW10[dot]
    values = np.where(_any(is_minus), -values, values)
    values[lengths == 0] = math.nan
    for r in np.flatnonzero(odd & (lengths > 0)):
        cell = decode(b[starts[r] : ends[r]].tobytes()).strip()
        if cell.lower() in missing:
            values[r] = math.nan
            continue
        try:
            values[r] = float(cell)
        except ValueError:
            return None
        if not math.isfinite(values[r]):
            return None
    return values


def _blank_rows(b, starts, ends, sep, width) -> bool:
    """Whether a row of the block has nothing but blanks and delimiters."""
    if width > 1 and ((ends[:, -1] - starts[:, 0]) == width - 1).any():
        return True
    if not ((b == 32).any() or (b == 9).any()):
        return False
    content = (b != 32) & (b != 9) & (b != sep) & (b != 10)
    return bool((np.add.reduceat(content, starts[:, 0], dtype=np.int64) == 0).any())


def _texts(b, starts, ends) -> np.ndarray:
    m, _ = _matrix(b, starts, ends, right=False)
    return np.ascontiguousarray(m).view(f"S{m.shape[1]}").ravel()


def read_columns(raw: bytes, delimiter: str, encoding: str, missing) -> tuple | None:
    """(header, row count, numbers, texts) of a simple file, or None if it is not one.

    ``numbers`` maps a column to floats (NaN where the cell is empty or a missing-value
    token); ``texts`` maps every other column to the cells' raw bytes (numpy ``S``)."""
    if '"' in delimiter or b'"' in raw or not ascii_compatible(encoding):
        return None
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
        if b"\r" in raw:
            return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.endswith(b"\n"):
        raw += b"\n"
    head_end = raw.find(b"\n")
    body = raw[head_end + 1 :]
    if head_end <= 0 or b"\n\n" in raw or not body:
        return None
    header = [c.strip() for c in raw[:head_end].decode(encoding).split(delimiter)]
    width = len(header)
    sep = ord(delimiter)
    decode = codecs.getdecoder(encoding)

    def text(cell: bytes) -> str:
        return decode(cell)[0]

    numbers: dict[int, list] = {c: [] for c in range(width)}
    texts: dict[int, list] = {}
    done = rows = 0  # blocks and rows read
    for block in _blocks(body, width, sep):
        if block is None:
            return None
        b, starts, ends = block
        if _blank_rows(b, starts, ends, sep, width):
            return None  # the csv reader skips a row of blank cells
        rows += len(starts)
        for c in range(width):
            if c in numbers:
                values = _numbers(b, starts[:, c], ends[:, c], text, missing)
                if values is not None:
                    numbers[c].append(values)
                    continue
                del numbers[c]
                texts[c] = [None] * done  # filled in below
            texts[c].append(_texts(b, starts[:, c], ends[:, c]))
        done += 1
    late = [c for c, parts in texts.items() if any(p is None for p in parts)]
    if late:
        for i, (b, starts, ends) in enumerate(_blocks(body, width, sep)):
            if i >= done:
                break
            for c in late:
                if texts[c][i] is None:
                    texts[c][i] = _texts(b, starts[:, c], ends[:, c])
    names = header

    def join(parts):
        return np.concatenate(parts) if parts else np.empty(0)

    return (
        header,
        rows,
        {names[c]: join(p) for c, p in numbers.items()},
        {names[c]: join(p) for c, p in texts.items()},
    )
