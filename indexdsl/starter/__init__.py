"""Starter files for `indexdsl new NAME`: a commented index and a tiny data set that
run as they are.  ``starter.idx.template`` is a :class:`string.Template` (``$name``,
``$title``); ``units.csv`` is copied unchanged."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

from indexdsl.diagnostics import DiagnosticError, UsageError
from indexdsl.errors import commands as errors

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def starter_files(name: str) -> dict[str, str]:
    """Relative path → text of each file a new index ``name`` consists of."""
    folder = resources.files(__name__)
    template = string.Template((folder / "starter.idx.template").read_text(encoding="utf-8"))
    title = name.replace("_", " ").strip().capitalize()
    if not title.lower().endswith("index"):
        title += " index"
    return {
        f"{name}.idx": template.substitute(name=name, title=title),
        f"data/{name}/units.csv": (folder / "units.csv").read_text(encoding="utf-8"),
    }


def _check_name(name: str) -> None:
    """A name must be an identifier of the language and must not clash with the
    names the starter index declares."""
    if not NAME.match(name):
        raise UsageError(
            f"`{name}` cannot name an index: use letters, digits and underscores, "
            "starting with a letter (e.g. `wellbeing_2024`)"
        )
    from indexdsl.pipeline import check_tree
    from indexdsl.plugins import load_registry
    from indexdsl.syntax import parse

    diagnostics = check_tree(
        parse(starter_files(name)[f"{name}.idx"], f"{name}.idx"), load_registry()
    )
    if any(d.is_error for d in diagnostics):
        raise UsageError(
            f"`{name}` cannot name the starter index: it clashes with a name the starter "
            "declares (or is a word of the language); choose another name"
        )


def create(name: str, folder: Path, data: Path | None = None, key: str | None = None) -> list[Path]:
    """Write the starter files for ``name`` into ``folder``; returns their paths.  With
    ``data``, only the index file, started from that data file (see
    :mod:`indexdsl.starter.from_data`).

    Writes nothing when any of them exists already: raises a diagnostic (E702)."""
    _check_name(name)
    if data is not None:
        from indexdsl.starter.from_data import index_from_data

        files = {folder / f"{name}.idx": index_from_data(name, data, folder, key)}
    else:
        files = {folder / relative: text for relative, text in starter_files(name).items()}
    existing = [path for path in files if path.exists()]
    if existing:
        raise _exists(existing)
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="\n") as handle:  # never overwrite
                handle.write(text)
        except FileExistsError:  # created meanwhile by someone else
            raise _exists([path]) from None
        written.append(path)
    return written


def _exists(existing: list[Path]) -> DiagnosticError:
    shown = " and ".join(f"`{p}`" for p in existing)
    return DiagnosticError([errors.starter_files_exist(shown, len(existing))])
