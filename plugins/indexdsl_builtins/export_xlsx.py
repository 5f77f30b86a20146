"""The ``xlsx`` format: an Excel workbook that people use.

One sheet per table, data set and analysis of the run (:mod:`indexdsl_builtins.xlsx_sheets`
says which), each with titles as headers, a number format per column (scores to a
sensible number of decimals, ranks as integers), column widths, the header row (and the
units' names) frozen and an autofilter; a missing rank or score is an empty cell.

Text cells are always text cells, never formulas: a unit named ``=HYPERLINK(…)`` is
shown as written and not run (and is marked as quoted, so that editing it keeps it
text); control characters are written out (``\\x1b``).  The file is reproducible: the
same inputs give the same bytes, whatever the time of the run (the workbook holds no
time; ``run.json`` has it).
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, ClassVar

from indexdsl.components import Export, Exporter
from indexdsl.diagnostics import printable
from indexdsl.hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from .xlsx_sheets import Sheet

# the sheets (xlsx_sheets) and the output modules are imported in the functions that use
# them: registering the format imports none of its code (cold start)

#: a fixed time stamp for the members of the .xlsx archive (the earliest a zip can hold),
#: so that the same inputs give the same bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: the most characters Excel keeps in a cell
_CELL_LIMIT = 32_767

#: the narrowest and widest a column is made, in characters
_WIDTH = (6, 50)

_SPACES = re.compile(r"[\t\n\r\v\f]")


def cell_text(value: str) -> str:
    """Text for one cell: tabs and line breaks as spaces, every other control character
    written out (``\\x1b``, ``\\u202e``), at most Excel's 32,767 characters."""
    text = printable(_SPACES.sub(" ", value))
    return text if len(text) <= _CELL_LIMIT else text[: _CELL_LIMIT - 1] + "…"


def decimals(values, least: int = 0) -> int:
    """How many decimals a column of numbers is shown with: none for whole numbers,
    else about four significant digits of its largest value (``1234.5`` → 0, ``81.64`` →
    2, ``0.0123`` → 5), at least ``least`` and at most 6."""
    finite = [abs(v) for v in values if isinstance(v, float | int) and math.isfinite(v)]
    if not finite or all(float(v).is_integer() for v in finite):
        return least
    top = max(finite)
    digits = 3 - math.floor(math.log10(top)) if top > 0 else least
    return max(least, min(6, digits))


def number_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def _formats(sheet: Sheet) -> list[str | None]:
    """The number format of each column of a sheet (None: each cell by its value)."""
    out: list[str | None] = []
    for j, kind in enumerate(sheet.kinds):
        if kind == "rank":
            out.append("0")
        elif kind == "integer":
            out.append("#,##0")
        elif kind in ("score", "real"):
            column = [row[j] for row in sheet.rows]
            out.append(number_format(decimals(column, 2 if kind == "score" else 0)))
        elif kind == "percent":
            out.append("0.0%")
        elif kind == "any":  # a column of numbers alone is formatted as one
            column = [row[j] for row in sheet.rows if row[j] is not None]
            if column and all(type(v) is int for v in column):
                out.append("#,##0")
            elif column and all(type(v) in (int, float) for v in column):
                out.append(number_format(decimals(column)))
            else:
                out.append(None)
        else:
            out.append(None)
    return out


def _value_format(value) -> str | None:
    """The number format of a cell of a column of kind ``any``."""
    from .xlsx_sheets import Percent

    if isinstance(value, Percent):
        return "0.0%"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return "0"
    return number_format(decimals([value]))


def _width(value, fmt: str | None) -> int:
    from .xlsx_sheets import Percent

    if value is None:
        return 0
    if isinstance(value, Percent):
        return 7
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float) and fmt is not None:
        places = len(fmt.split(".")[1]) if "." in fmt else 0
        return len(f"{value:,.{places}f}")
    if isinstance(value, float):
        return len(repr(value))
    return len(str(value))


def _widths(sheet: Sheet, formats: list[str | None], texts: list[list]) -> list[float]:
    """Each column's width: its widest value, and enough for its header to wrap onto at
    most three lines; between 6 and 50 characters."""
    out = []
    for j, header in enumerate(sheet.headers):
        fmt = formats[j]
        widest = max((_width(v, fmt) for v in texts[j]), default=0)
        longest_word = max((len(w) for w in header.split()), default=0)
        heading = max(longest_word, math.ceil(len(header) / 3))
        out.append(float(min(_WIDTH[1], max(_WIDTH[0], widest + 2, heading + 2))))
    return out


def _column_values(sheet: Sheet) -> list[list]:
    columns: list[list] = [[] for _ in sheet.headers]
    for row in sheet.rows:
        for j, value in enumerate(row):
            columns[j].append(value)
    return columns


def _write_sheet(ws, sheet: Sheet, header: dict, WriteOnlyCell) -> None:  # noqa: N803
    """One sheet into a write-only worksheet: widths, frozen panes and the autofilter
    first (a streamed sheet takes them before its rows), then the header and the rows."""
    from openpyxl.utils import get_column_letter

    from indexdsl.output.inert import FORMULA_PREFIXES

    from .xlsx_sheets import Percent

    formats = _formats(sheet)
    values = _column_values(sheet)
    # text as written in the cells, so that widths are measured on what is shown
    for j, column in enumerate(values):
        values[j] = [cell_text(v) if isinstance(v, str) else v for v in column]
    for j, width in enumerate(_widths(sheet, formats, values), start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    columns = len(sheet.headers)
    ws.freeze_panes = f"{get_column_letter(sheet.frozen_columns + 1)}2"
    ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{len(sheet.rows) + 1}"

    def text_cell(text: str, style: dict | None = None):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        if text.startswith(FORMULA_PREFIXES):  # a spreadsheet would run it: quoted
            cell.quotePrefix = True
        for name, value in (style or {}).items():
            setattr(cell, name, value)
        return cell

    ws.append([text_cell(cell_text(h), header) for h in sheet.headers])
    # one cell per column and number format, reused row after row (a streamed sheet
    # writes each row out as it is appended)
    styled: dict[tuple[int, str], object] = {}

    def number_cell(j: int, value, fmt: str | None):
        if fmt is None:
            return value
        cell = styled.get((j, fmt))
        if cell is None:
            cell = styled[(j, fmt)] = WriteOnlyCell(ws)
            cell.number_format = fmt
        cell.value = value
        return cell

    for i in range(len(sheet.rows)):
        row = []
        for j in range(columns):
            value = values[j][i]
            if value is None or isinstance(value, bool):
                row.append(value)
            elif isinstance(value, str):
                row.append(text_cell(value))
            elif isinstance(value, Percent):
                row.append(number_cell(j, value.value, "0.0%"))
            else:
                row.append(number_cell(j, value, formats[j] or _value_format(value)))
        ws.append(row)


def render_xlsx(export: Export) -> bytes:
    """results.xlsx: the sheets of :func:`~indexdsl_builtins.xlsx_sheets.workbook_sheets`."""
    import zipfile

    from indexdsl.output.exports import require, run_id

    from .xlsx_sheets import workbook_sheets

    openpyxl = require("xlsx", *XlsxExporter.requires)
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.xml.functions import tostring

    from indexdsl.version import __version__

    record = export.record
    workbook = openpyxl.Workbook(write_only=True)
    header = {
        "font": Font(bold=True),
        "alignment": Alignment(wrap_text=True, vertical="top"),
        "fill": PatternFill("solid", fgColor="DDEBF7"),
        "border": Border(bottom=Side(style="thin")),
    }
    for sheet in workbook_sheets(export):
        _write_sheet(workbook.create_sheet(sheet.name), sheet, header, WriteOnlyCell)

    properties = workbook.properties
    properties.creator = f"indexdsl {__version__}"
    properties.title = record["index"]["title"]
    properties.identifier = run_id(record)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # no time in the workbook: the same inputs give the same bytes (run.json has the time)
    tree = properties.to_tree()
    for element in list(tree):
        if element.tag.rsplit("}", 1)[-1] in ("created", "modified"):
            tree.remove(element)
    core = tostring(tree)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info.filename)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, data)
    return out.getvalue()


class XlsxExporter(Exporter):
    name = "xlsx"
    summary = (
        "an Excel workbook: the tables, data sets and analyses of the run, one sheet each, "
        "and a `run` sheet"
    )
    writes = "results.xlsx"
    requires: ClassVar[tuple[str, str] | None] = ("openpyxl", "xlsx")

    def render(self, export: Export) -> dict[str, str | bytes]:
        return {"results.xlsx": render_xlsx(export)}


@hookimpl
def indexdsl_register_exporters():
    return [XlsxExporter]
