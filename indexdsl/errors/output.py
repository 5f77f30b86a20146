"""Diagnostics of the output stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, error


def results_not_written(message: str, reason: str) -> Diagnostic:
    """E801: the results could not be written (earlier results are left as they were)."""
    notes = (f"the operating system said: {reason}",) if reason else ()
    return error(
        "E801",
        message,
        None,
        notes=notes,
        help="choose another folder with `--out`, or free the path; the results of "
        "earlier runs there were left as they were",
    )
