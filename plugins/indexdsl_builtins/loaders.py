"""Data loaders: CSV with an explicit encoding (a file, or a folder of files), and Parquet
(with pyarrow, the optional ``parquet`` extra)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from indexdsl.components import DataError, LazyRows, Loader, Param, Table
from indexdsl.data import MISSING
from indexdsl.diagnostics import display_path
from indexdsl.hookspecs import hookimpl
from indexdsl_builtins import _fastcsv

# the readers of large files, of folders and of Parquet (_arrowcsv, _csvparts, _parquet) are
# imported where they are used: reading a small CSV file imports none of them (cold start)

#: a file's text larger than this (in characters) is not kept after its columns are read
KEEP_TEXT = 64 * 2**20

#: a number written with a decimal comma, with or without thousands dots: 81,6  1.234,5
DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")


class CsvLoader(Loader):
    name = "csv"
    summary = (
        "a comma-separated file with a header row, or a folder of them; text cells, "
        "decoded with `encoding`"
    )
    #: a folder of CSV files is one table (see the data stage's special-file check)
    reads_folders = True
    params = (
        Param("path", str, doc="file path, or folder of CSV files, relative to the index file"),
        Param("encoding", str, "utf-8", "text encoding of the file (utf-8, latin-1, cp1252 …)"),
        Param("delimiter", str, ",", "field separator"),
        Param(
            "decimal",
            str,
            ".",
            'decimal mark: "," reads 81,6 as 81.6 (and 1.234,5 as 1234.5), as files '
            'written with decimal commas need; such files usually separate fields with ";"',
        ),
        Param(
            "thousands",
            str,
            "",
            'thousands separator of the numbers: "," reads 1,234,567.5 as 1234567.5 (" " '
            'and "\'" also); none by default',
        ),
    )

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def load(self, base: Path) -> Table:
        path = (base / self.path) if not Path(self.path).is_absolute() else Path(self.path)
        shown = display_path(path)
        if len(self.delimiter) != 1:
            raise DataError(
                f"the delimiter must be one character, not `{self.delimiter}`",
                shown,
                help='write e.g. `delimiter = ";"` or `delimiter = "\\t"` for tabs',
            )
        if self.decimal not in (".", ","):
            raise DataError(
                f'the decimal mark must be "." or ",", not `{self.decimal}`',
                shown,
                help='write `decimal = ","` for numbers such as 81,6',
            )
        if self.thousands not in ("", ",", ".", " ", "'") or self.thousands == self.decimal:
            raise DataError(
                f"the thousands separator `{self.thousands}` cannot be read",
                shown,
                help='write `thousands = ","`, `" "` or `"\'"`; with `decimal = ","` the '
                "dots between thousands are read already",
            )
        if self.decimal == self.delimiter:
            raise DataError(
                f"the decimal mark and the delimiter are both `{self.delimiter}`",
                shown,
                help='files with decimal commas separate fields with ";": write '
                '`delimiter = ";", decimal = ","`',
            )
        if path.is_dir():  # a folder of CSV files is one table, every file a partition
            from indexdsl_builtins import _csvparts

            options = (self.encoding, self.delimiter, self.decimal, self.thousands)
            return _csvparts.read_folder(_csvparts.CsvPieces(*options), path, shown)
        return self.read_file(path, shown, base)

    def read_file(self, path: Path, shown: str, base: Path | None = None) -> Table:
        """One CSV file's table (the options checked already)."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DataError(
                f"data file `{shown}` does not exist",
                shown,
                help=f"paths are relative to the index file's folder ({base})" if base else None,
            ) from None
        except IsADirectoryError:
            raise DataError(f"`{shown}` is a folder, not a data file", shown) from None
        except OSError as exc:
            raise DataError(f"cannot read `{shown}`: {exc.strerror}", shown) from None
        found = None
        if len(raw) >= _fastcsv.MIN_BYTES and self.decimal == "." and not self.thousands:
            # the columns first, while only the bytes are held: a large file's text and
            # the reader's buffers need not be in memory at the same time
            from indexdsl_builtins import _arrowcsv

            try:
                found = _arrowcsv.read_columns(raw, self.delimiter, self.encoding, MISSING)
                if found is None:
                    found = _fastcsv.read_columns(raw, self.delimiter, self.encoding, MISSING)
            except (LookupError, UnicodeDecodeError):
                found = None  # reported below, where the text is decoded
        try:
            text = raw.decode(self.encoding)
        except LookupError:
            raise DataError(
                f"unknown encoding `{self.encoding}`",
                shown,
                help='use a Python codec name such as "utf-8" or "latin-1"',
            ) from None
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            line = before.count(b"\n") + 1
            col = exc.start - (before.rfind(b"\n") + 1) + 1
            raise DataError(
                f"`{shown}` is not valid {self.encoding}: byte 0x{raw[exc.start]:02x} at "
                f"line {line}, column {col} cannot be decoded",
                shown,
                line,
                col,
                help=f'give the file\'s encoding in the loader, e.g. csv("{shown}", '
                'encoding = "latin-1")',
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        del raw
        if found is not None:
            header, size, numbers, texts = found[:4]
            dictionaries = found[4] if len(found) > 4 else {}
            if len(text) < KEEP_TEXT:
                kept, reload = text, None
            else:  # read again only if a diagnostic or a row needs it
                kept, reload = "", lambda: self._decode(path)
            return Table(
                shown,
                tuple(header),
                LazyRows(size, lambda: self._rows(kept or reload(), shown)[1]),
                range(2, size + 2),
                (),
                kept,
                numbers,
                texts,
                self.encoding,
                self.delimiter,
                reload,
                dictionaries,
            )
        header, rows, numbers = self._rows(text, shown)
        return Table(
            shown,
            tuple(header),
            tuple(rows),
            tuple(numbers),
            (),
            text,
            encoding=self.encoding,
            delimiter=self.delimiter,
        )

    def _decode(self, path: Path) -> str:
        text = path.read_bytes().decode(self.encoding)
        return text[1:] if text.startswith("\ufeff") else text

    def _rows(self, text: str, shown: str) -> tuple[list[str], list[tuple[str, ...]], list[int]]:
        """Header, rows and line numbers, read with the csv module."""
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        header: list[str] | None = None
        rows, numbers = [], []
        try:
            for record in reader:
                line_no = reader.line_num
                if not record or all(not cell.strip() for cell in record):
                    continue
                if header is None:
                    header = [c.strip() for c in record]
                    width = len(header)
                    continue
                if len(record) != width:
                    raise DataError(
                        f"row has {len(record)} fields but the header has {width}",
                        shown,
                        line_no,
                        1,
                        help="check for a missing or extra delimiter, or an unquoted "
                        f"`{self.delimiter}` inside a value",
                        text=text,
                    )
                cells = tuple(c.strip() for c in record)
                if self.decimal == "," or self.thousands:
                    cells = tuple(_decimal_point(c, self.decimal, self.thousands) for c in cells)
                rows.append(cells)
                numbers.append(line_no)
        except csv.Error as exc:
            raise DataError(f"malformed CSV: {exc}", shown, reader.line_num, 1, text=text) from None
        if header is None:
            raise DataError(f"data file `{shown}` is empty", shown, help="add a header row")
        return header, rows, numbers


def _decimal_point(cell: str, decimal: str = ",", thousands: str = "") -> str:
    """A number written with a decimal comma or thousands separators, as the engine
    reads numbers: 1.234,5 -> 1234.5, 1,234,567.5 -> 1234567.5 (with ``thousands``
    ","). Other cells (text, missing-value markers) are left as written."""
    if thousands and thousands != ".":
        sep = re.escape(thousands)
        if re.fullmatch(rf"[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:[.,]\d+)?", cell):
            cell = cell.replace(thousands, "")
    if decimal == "," and DECIMAL_COMMA.fullmatch(cell):
        return cell.replace(".", "").replace(",", ".")
    return cell


def _located(path_text: str, base: Path) -> tuple[Path, str]:
    """A loader's `path`, relative to the index file's folder, and as users are shown it."""
    path = (base / path_text) if not Path(path_text).is_absolute() else Path(path_text)
    return path, display_path(path)


def _existing_file(path: Path, shown: str, base: Path) -> None:
    """Raise a located error unless ``path`` is a file (read whole by a library)."""
    if not path.exists():
        raise DataError(
            f"data file `{shown}` does not exist",
            shown,
            help=f"paths are relative to the index file's folder ({base})",
        )
    if path.is_dir():
        raise DataError(f"`{shown}` is a folder, not a data file", shown)


def _missing_library(library: str, extra: str, shown: str, what: str) -> DataError:
    """The error for a loader whose optional library is not installed: how to install
    it, and the way round it."""
    return DataError(
        f"reading `{shown}` needs {library}, which is not installed",
        shown,
        help=f'install it with `pip install "indexdsl[{extra}]"` (or `pip install '
        f"{library}`), or save {what} as CSV and use `csv(...)`",
    )


class ParquetLoader(Loader):
    name = "parquet"
    summary = (
        "a Parquet file, or a folder of them (needs pyarrow: the `parquet` extra); numeric "
        "columns are numbers"
    )
    #: a folder of Parquet files is one table (see the data stage's special-file check)
    reads_folders = True
    params = (Param("path", str, doc="file path, relative to the index file"),)

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def load(self, base: Path) -> Table:
        from indexdsl_builtins import _parquet

        path, shown = _located(self.path, base)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise _missing_library("pyarrow", "parquet", shown, "the data") from None
        if path.is_dir():  # a folder of Parquet files is one table
            if not any(path.glob("*.parquet")):
                raise DataError(
                    f"`{shown}` is a folder with no Parquet files (`*.parquet`)",
                    shown,
                    help="a folder is read as one table made of its `*.parquet` files, in "
                    "name order",
                )
        else:
            _existing_file(path, shown, base)
        try:
            if path.is_dir() or pq.ParquetFile(path).metadata.num_row_groups > 1:
                return self._partitioned(pa, pq, path, shown)
            data = pq.read_table(path)
        except OSError as exc:
            raise DataError(f"cannot read `{shown}`: {exc.strerror or exc}", shown) from None
        except pa.ArrowException as exc:
            raise DataError(
                f"`{shown}` is not a readable Parquet file: {exc}",
                shown,
                help="write it with pyarrow, pandas (`to_parquet`), polars or R's arrow",
            ) from None
        try:
            header, size, numbers, texts, rows = _parquet.read_columns(pa, data)
        except _parquet.ColumnError as exc:  # the file's content, not the plugin
            raise DataError(f"`{shown}`: {exc}", shown, help=exc.help) from None
        del data  # arrow's memory pool keeps freed memory unless told to give it back
        pa.default_memory_pool().release_unused()
        if not header:
            raise DataError(f"data file `{shown}` has no columns", shown)
        return Table(
            shown,
            tuple(header),
            LazyRows(size, rows),
            range(1, size + 1),  # a location's line is the row number, 1 for the first
            (),
            "",
            numbers,
            texts,
            "utf-8",
            ",",
        )

    def _partitioned(self, pa, pq, path: Path, shown: str) -> Table:
        """A folder of Parquet files, or a file of several row groups: numeric columns
        are read a partition at a time when used (on the workers, by the Dask engine),
        text columns (unit keys) read whole, dictionary-encoded."""
        from indexdsl_builtins import _parquet

        try:
            header, size, numbers, texts, rows, words = _parquet.read_partitioned(pa, pq, path)
        except _parquet.ColumnError as exc:
            raise DataError(f"`{shown}`: {exc}", shown, help=exc.help) from None
        if not header:
            raise DataError(f"data file `{shown}` has no columns", shown)
        return Table(
            shown,
            tuple(header),
            LazyRows(size, rows),
            range(1, size + 1),
            (),
            "",
            numbers,
            texts,
            "utf-8",
            ",",
            dictionaries=words,
        )


class XlsxLoader(Loader):
    name = "xlsx"
    summary = "a sheet of an Excel workbook (needs openpyxl: the `xlsx` extra); cell values"
    params = (
        Param("path", str, doc="file path, relative to the index file"),
        Param("sheet", str, "", "the sheet to read (default: the first)"),
        Param(
            "range",
            str,
            "",
            'the cells to read, header row first, as Excel writes them ("B3:H60"); '
            "default: the whole sheet",
        ),
    )

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def _bounds(self, shown: str) -> dict | None:
        return _xlsx_bounds(self.range, shown) if self.range else None

    def load(self, base: Path) -> Table:
        path, shown = _located(self.path, base)
        try:
            import openpyxl
        except ImportError:
            raise _missing_library("openpyxl", "xlsx", shown, "the sheet") from None
        _existing_file(path, shown, base)
        try:
            # values, not formulas: what the spreadsheet program last calculated
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, XML and openpyxl errors: the file's content
            raise DataError(
                f"`{shown}` is not a readable Excel workbook (.xlsx): {exc}",
                shown,
                help="save it from the spreadsheet program as .xlsx (not .xls or .xlsb)",
            ) from None
        try:
            if self.sheet and self.sheet not in book.sheetnames:
                names = ", ".join(f"`{n}`" for n in book.sheetnames)
                raise DataError(
                    f"`{shown}` has no sheet `{self.sheet}`",
                    shown,
                    help=f"its sheets: {names}",
                )
            sheet = book[self.sheet] if self.sheet else book.worksheets[0]
            header, rows, numbers, offsets = _sheet_rows(sheet, shown, self._bounds(shown))
        finally:
            book.close()
        return Table(
            shown, tuple(header), tuple(rows), tuple(numbers), tuple(offsets), "", "utf-8", ","
        )


def _xlsx_bounds(cells: str, shown: str) -> dict:
    """`range = "B3:H60"` as the bounds of openpyxl's ``iter_rows``."""
    from openpyxl.utils.cell import range_boundaries

    try:
        min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    except (ValueError, TypeError):
        raise DataError(
            f"`{cells}` is not a range of cells",
            shown,
            help='write it as Excel does, from the header\'s first cell to the last: "B3:H60"',
        ) from None
    return {"min_col": min_col, "min_row": min_row, "max_col": max_col, "max_row": max_row}


def _cell_text(value) -> str:
    """A cell's value as the text the engine reads: numbers in their shortest exact
    form (0.1, not 0.1000000000000000055), whole numbers without `.0`, dates in ISO
    form, an empty cell as empty (missing)."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _sheet_rows(sheet, shown: str, bounds: dict | None = None):
    """Header, rows, row numbers and column numbers of a sheet (or of the cells within
    ``bounds``): the first non-blank row is the header; blank rows are skipped; a
    location's line is the sheet's row number and its column the sheet's column
    number, as the spreadsheet shows them."""
    header: list[str] | None = None
    rows, numbers, offsets = [], [], []
    bounds = bounds or {}
    first_row, first_col = bounds.get("min_row", 1), bounds.get("min_col", 1)
    iterated = sheet.iter_rows(values_only=True, **bounds)
    for number, values in enumerate(iterated, start=first_row):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            while cells and not cells[-1]:
                cells.pop()
            header = cells
            width = len(header)
            continue
        if len(cells) > width and any(cells[width:]):
            raise DataError(
                f"row {number} has values beyond the header's {width} columns",
                shown,
                number,
                first_col + width,
                help="give every column a header, delete the stray cells, or read a "
                '`range` that leaves them out ("B3:H60")',
            )
        cells = (cells + [""] * width)[:width]
        rows.append(tuple(cells))
        numbers.append(number)
        offsets.append(tuple(range(first_col, first_col + width)))
    if header is None:
        raise DataError(f"the sheet `{sheet.title}` of `{shown}` is empty", shown)
    return header, rows, numbers, offsets


@hookimpl
def indexdsl_register_loaders():
    return [CsvLoader, ParquetLoader, XlsxLoader]
