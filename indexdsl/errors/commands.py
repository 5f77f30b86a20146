"""Diagnostics of the commands stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, error


def starter_files_exist(shown: str, count: int) -> Diagnostic:
    """E702: `indexdsl new` would overwrite a file."""
    return error(
        "E702",
        f"{shown} already exist{'s' if count == 1 else ''}; nothing was written",
        None,
        help="choose another name, or another folder with `--dir`; "
        "`indexdsl new` never overwrites a file",
    )
