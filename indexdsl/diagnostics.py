"""Structured diagnostics: what went wrong, where, and how to fix it.

Every stage reports problems as :class:`Diagnostic` values instead of raising
ad-hoc exceptions, so that the checker can collect *all* problems of a file in one
pass and the CLI can render them as text, colour or JSON.  Rendering is kept apart
from the data (after rustc and Elm): a diagnostic knows its spans, not its looks.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Iterable, Sequence

import attrs


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@attrs.frozen
class Span:
    """A region of a source file (the index file or a data file); 1-based lines and columns.

    ``end_col`` is exclusive.  Spans never take part in equality of AST nodes
    (see :mod:`indexdsl.syntax.ast`), but two spans compare by value.
    """

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, file: str, line: int, col: int, width: int = 1) -> Span:
        return cls(file, line, col, line, col + max(width, 1))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@attrs.frozen
class Label:
    """A secondary span with its own message ("similar name declared here")."""

    span: Span
    message: str = ""


@attrs.frozen
class Diagnostic:
    """One problem, with a stable code (documented in docs/reference/errors.md)."""

    severity: Severity
    code: str
    message: str
    span: Span | None = None
    label: str = ""
    secondary: tuple[Label, ...] = ()
    help: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict:
        def span_dict(span: Span | None) -> dict | None:
            return None if span is None else attrs.asdict(span)

        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "span": span_dict(self.span),
            "label": self.label,
            "secondary": [
                {"span": span_dict(s.span), "message": s.message} for s in self.secondary
            ],
            "help": self.help,
            "notes": list(self.notes),
        }


def error(code: str, message: str, span: Span | None = None, **kwargs) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, span, **kwargs)


def warning(code: str, message: str, span: Span | None = None, **kwargs) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, span, **kwargs)


class IndexdslError(Exception):
    """Root of every exception indexdsl raises on purpose."""


class DiagnosticError(IndexdslError):
    """Raised by a stage that cannot go on; carries every diagnostic collected so far."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        first = next((d for d in self.diagnostics if d.is_error), None)
        super().__init__(first.message if first else "failed")


class UsageError(IndexdslError):
    """A mistake on the command line (an unknown ``--set`` name): exit code 2."""


class PluginError(IndexdslError):
    """A plugin raised while doing its work: reported with the plugin's name, exit code 3."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.message)


#: a number as index files, parameters and data cells write it: ASCII digits, an
#: optional sign, decimal point and exponent (not `1_000`, `0x10`, `١٢`, `inf`)
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def read_number(text: str) -> float | None:
    """``text`` as a finite number, or None when it is not one in the forms above."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def special_file(path) -> str | None:
    """What a path is when it is not a regular file that can be read without blocking:
    "a named pipe (FIFO)", "a device", "a socket", "a folder", "a symbolic-link loop";
    None for a regular file or a path that does not exist.  Asked with ``stat`` before
    the file is opened: opening a FIFO blocks, and a device such as ``/dev/zero`` never
    ends."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        import errno

        return "a symbolic-link loop" if exc.errno == errno.ELOOP else None
    except ValueError:  # a NUL byte in the path
        return "a path with a NUL byte"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def display_path(path) -> str:
    """A file's path as diagnostics show it: relative to the working folder when the
    file is below it (``indices/bri.idx``), absolute otherwise."""
    from pathlib import Path

    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a symbolic-link loop
        return str(path)


def split_lines(text: str) -> list[str]:
    """Lines as the parser and the CSV reader count them: split at newlines only.

    ``str.splitlines`` also splits at form feeds and other separators, which would put
    every line after one in the wrong place."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class SourceMap:
    """Texts of every file a diagnostic may point into, keyed by the path shown to users."""

    def __init__(self) -> None:
        self._texts: dict[str, str | list[str]] = {}

    def add(self, file: str, text) -> None:
        """``text`` is the file's text, or a function that reads it (large data files
        are read again only if a diagnostic points into them)."""
        self._texts[file] = text  # split into lines when a diagnostic shows one

    def line(self, file: str, number: int) -> str | None:
        lines = self._texts.get(file)
        if callable(lines):
            lines = self._texts[file] = lines()
        if isinstance(lines, str):
            lines = self._texts[file] = split_lines(lines)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


#: what a terminal would act on rather than show: C0 controls but tab and newline, DEL,
#: C1 controls (``\x9b`` starts an escape sequence too) and the bidirectional overrides
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as a terminal may show it: every control character (an ANSI or OSC escape
    sequence's ``ESC``, ``BEL``, a carriage return, a C1 control, a bidirectional
    override) written out as ``\\x1b``, ``\\u202e``; tabs and newlines are kept.  The
    one place that makes text from an index file, its data or a parameter inert for a
    terminal: diagnostics and every report printed by the command line use it."""
    return UNPRINTABLE.sub(_escape, text)


@functools.lru_cache(maxsize=1024)  # many diagnostics on one long line: made printable once
def _printable_line(text: str) -> tuple[str, list[int] | range]:
    """A source line made printable, and where each of its characters (and its end) is
    in the printable text, so that carets stay under what they point at.  A line with
    no control character (almost every line) is returned as it is, in constant time per
    character looked up (a range), however often it is shown."""
    if not UNPRINTABLE.search(text):
        return text.replace("\t", " "), range(len(text) + 1)
    out: list[str] = []
    where: list[int] = []
    at = 0
    for char in text:
        where.append(at)
        shown = printable(char) if char != "\t" else " "
        out.append(shown)
        at += len(shown)
    where.append(at)
    return "".join(out), where


def _gutter_width(diag: Diagnostic) -> int:
    lines = [diag.span.line] if diag.span else []
    lines += [s.span.line for s in diag.secondary]
    return len(str(max(lines))) if lines else 1


#: characters of a source line shown; a longer line is shown around the mark
SHOWN_WIDTH = 120


def _window(text: str, col: int) -> tuple[str, int]:
    """A long line cut to :data:`SHOWN_WIDTH` characters around column ``col``, with
    `…` where it was cut; and how many columns the cut moved the marks left."""
    if len(text) <= SHOWN_WIDTH:
        return text, 0
    start = max(0, min(col - 1 - SHOWN_WIDTH // 3, len(text) - SHOWN_WIDTH))
    shown = text[start : start + SHOWN_WIDTH]
    prefix = "…" if start else ""
    suffix = "…" if start + SHOWN_WIDTH < len(text) else ""
    return prefix + shown + suffix, start - len(prefix)


def render_text(diag: Diagnostic, sources: SourceMap, colour: bool = False) -> str:
    """Render one diagnostic as rustc does: header, location, source lines, carets, help."""

    def paint(text: str, style: str) -> str:
        if not colour:
            return text
        codes = {"red": "1;31", "yellow": "1;33", "blue": "1;34", "cyan": "1;36", "bold": "1"}
        return f"\x1b[{codes[style]}m{text}\x1b[0m"

    sev_style = {"error": "red", "warning": "yellow", "note": "cyan"}[diag.severity.value]
    out = [
        paint(f"{diag.severity.value}[{printable(diag.code)}]", sev_style)
        + paint(f": {printable(diag.message)}", "bold")
    ]
    width = _gutter_width(diag)
    pad = " " * width
    if diag.span is not None:
        out.append(f"{pad}{paint('-->', 'blue')} {printable(str(diag.span))}")
        annotated: list[tuple[Span, str, str]] = [(diag.span, diag.label, "^")]
        annotated += [(s.span, s.message, "-") for s in diag.secondary]
        annotated = [a for a in annotated if a[0].file == diag.span.file] + [
            a for a in annotated if a[0].file != diag.span.file
        ]
        out.append(f"{pad} {paint('|', 'blue')}")
        previous = None
        ordered = sorted(
            annotated, key=lambda a: (a[0].file != diag.span.file, a[0].file, a[0].line)
        )
        for span, message, mark in ordered:
            same_line = previous is not None and (span.file, span.line) == previous
            if span.file != diag.span.file and not same_line:
                out.append(f"{pad}{paint('::', 'blue')} {printable(str(span))}")
            elif previous is not None and span.line > previous[1] + 1:
                out.append(paint("...", "blue"))
            previous = (span.file, span.line)
            message = printable(message)
            text = sources.line(span.file, span.line)
            if text is None:
                if message:
                    out.append(f"{pad} {paint('=', 'blue')} {printable(str(span))}: {message}")
                continue
            # control characters written out, carets moved to stay under what they mark
            raw = len(text)
            text, where = _printable_line(text)
            end = span.end_col if span.end_line == span.line else raw + 1
            start = where[min(max(span.col, 1), raw + 1) - 1]
            stop = where[min(max(end, 1), raw + 1) - 1]
            if not same_line:  # several marks on one line share one copy of the line
                shown, shift = _window(text, start + 1)
                number = paint(str(span.line).rjust(width), "blue")
                out.append(f"{number} {paint('|', 'blue')} {shown}")
            start = min(max(0, start - shift), len(shown))
            stop = min(max(start + 1, stop - shift), len(shown) + 1)
            marks = " " * start + mark * max(1, stop - start)
            style = sev_style if mark == "^" else "blue"
            suffix = f" {message}" if message else ""
            out.append(f"{pad} {paint('|', 'blue')} {paint(marks + suffix, style)}")
        out.append(f"{pad} {paint('|', 'blue')}")
    for note in diag.notes:
        out.append(f"{pad} {paint('=', 'blue')} note: {printable(note)}")
    if diag.help:
        out.append(f"{paint('help', 'cyan')}: {printable(diag.help)}")
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], sources: SourceMap, colour: bool = False) -> str:
    diagnostics = list(diagnostics)
    parts = [render_text(d, sources, colour) for d in diagnostics]
    errors = sum(d.is_error for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    if errors:
        parts.append(
            f"{errors} error{'s' if errors != 1 else ''}"
            + (f", {warnings} warning{'s' if warnings != 1 else ''}" if warnings else "")
            + " found"
        )
    return "\n\n".join(parts)


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    import json  # only JSON output needs it (cold start)

    return json.dumps([d.to_dict() for d in diagnostics], indent=2)


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Close matches for a misspelt name, best first (difflib, as Python's own hints do)."""
    import difflib

    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
