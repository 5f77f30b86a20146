"""`indexdsl new NAME --from data.csv`: an index started from a data file a user has.

The file is read (not changed, not copied) to find a key column, text columns that
group the units, and numeric columns, each of which becomes an indicator in one
framework with equal weights.  The file written says what was guessed and what to
check, and runs as it is: a first ranking in one command, then the method is made
right in the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import string
from importlib import resources
from pathlib import Path

from indexdsl.diagnostics import UsageError, printable, read_number

#: cells that stand for a missing value (as the data stage reads them)
_MISSING = {"", "na", "n/a", "nan", "..", "-", "null", "none"}
#: a text column with at most this many distinct values groups the units
MAX_GROUPS = 20
#: a column name the language can read
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a number written with a decimal comma: 81,6  1.234,5
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def _identifier(header: str, taken: set[str]) -> str:
    """A name of the language for a column header: `GDP per capita (USD)` ->
    `gdp_per_capita_usd`; made unique among ``taken``."""
    from indexdsl.syntax.parser import keywords

    name = re.sub(r"[^0-9a-zA-Z]+", "_", header.strip().lower()).strip("_") or "column"
    if name[0].isdigit():
        name = "c_" + name
    if name in keywords():
        name += "_value"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _read(path: Path) -> tuple[list[str], list[list[str]], str, str]:
    """Header, rows, delimiter and decimal mark of a delimited text file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"`{path}` does not exist") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"`{path}` is not UTF-8 text: save it as UTF-8 CSV, or start from "
            "`indexdsl new NAME` and give the encoding in the loader"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read `{path}`: {exc.strerror}") from None
    sample = text[:20000]
    delimiter = max(",;\t", key=lambda d: sample.split("\n", 1)[0].count(d))
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    if len(rows) < 3:
        raise UsageError(f"`{path}` needs a header row and at least two rows of data")
    header, body = [c.strip() for c in rows[0]], [[c.strip() for c in r] for r in rows[1:]]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    commas = sum(bool(_DECIMAL_COMMA.fullmatch(c)) for r in body for c in r)
    decimal = "," if delimiter != "," and commas > 0 else "."
    return header, body, delimiter, decimal


def _number(cell: str, decimal: str) -> float | None:
    if decimal == "," and _DECIMAL_COMMA.fullmatch(cell):
        cell = cell.replace(".", "").replace(",", ".")
    return read_number(cell)


def index_from_data(name: str, data: Path, folder: Path, key: str | None = None) -> str:
    """The text of an index ``name`` over the data file ``data``, to be written in
    ``folder`` (the data path is written relative to it)."""
    header, rows, delimiter, decimal = _read(data)
    columns = {h: [r[i] for r in rows] for i, h in enumerate(header)}
    numeric, text = [], []
    for h, cells in columns.items():
        present = [c for c in cells if c.lower() not in _MISSING]
        if present and all(_number(c, decimal) is not None for c in present):
            numeric.append(h)
        else:
            text.append(h)
    if key is not None and key not in header:
        raise UsageError(
            f"`{key}` is not a column of `{data}`: its columns are {', '.join(header)}"
        )
    unique = [h for h in header if len(set(columns[h])) == len(rows) and all(columns[h])]
    key = key or next((h for h in unique if h in text), None) or next(iter(unique), None)
    if key is None:
        raise UsageError(
            f"no column of `{data}` has a different value in every row to identify the "
            "units: add one (a code, a name), or give it with `--key COLUMN`"
        )
    label = next((h for h in text if h != key and len(set(columns[h])) == len(rows)), None)
    groups = [h for h in text if h not in (key, label) and 1 < len(set(columns[h])) <= MAX_GROUPS]
    taken = {name, "unit"}
    indicators, names, unreadable = [], [], []
    for h in numeric:
        if h == key:
            continue
        if not _NAME.fullmatch(h):
            unreadable.append(h)
            continue
        ident = _identifier(h, taken)
        names.append(ident)
        indicators.append(f'indicator {ident} "{_quoted(h)}" = unit.{h}\n')
    if unreadable:
        indicators.append(
            "\n# Numeric columns whose headers are not names (letters, digits, underscores),\n"
            "# so an index file cannot read them; rename them in the file to use them:\n"
            + "".join(f"#   {printable(h)}\n" for h in unreadable)
        )
    groups = [g for g in groups if _NAME.fullmatch(g)]
    if label is not None and not _NAME.fullmatch(label):
        label = None
    if not names:
        raise UsageError(
            f"`{data}` has no numeric column whose header is a name (letters, digits and "
            "underscores) to make an indicator of"
        )
    options = ""
    if delimiter != ",":
        options += f', delimiter = "{_quoted(delimiter)}"'
    if decimal != ".":
        options += ', decimal = ","'
    relative = Path(os.path.relpath(data.resolve(), folder.resolve())).as_posix()
    title = name.replace("_", " ").strip().capitalize()
    template = string.Template(
        resources.files(__package__).joinpath("from_data.idx.template").read_text("utf-8")
    )
    return template.substitute(
        name=name,
        title=title if title.lower().endswith("index") else title + " index",
        shown=data.as_posix(),
        source=_quoted(f"{data.name} ({len(rows)} rows)"),
        units_title=_quoted(data.stem.replace("_", " ").capitalize()),
        path=_quoted(relative),
        loader_options=options,
        key=_column(key),
        label_line=f"  label {label}\n" if label else "",
        groups_line=f"  groups {', '.join(groups)}\n" if groups else "",
        indicators="".join(indicators),
        framework="".join(f"  {n}\n" for n in names),
    )


def _column(header: str) -> str:
    """The key column as the language names it: a header that is not a name cannot be
    read, so the units could not be identified."""
    if not _NAME.fullmatch(header):
        raise UsageError(
            f"the key column `{header}` cannot be named in an index file (use letters, "
            "digits and underscores in its header), so the units cannot be identified: "
            "rename it in the file, or give another with `--key COLUMN`"
        )
    return header
