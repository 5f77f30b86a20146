"""Text from an index file, its data or a parameter made inert for each medium it goes to.

A label, a title, a key, a cell, a column name (a metadata table's code), a parameter's
value: any of them may hold what the medium would act on rather than show.  This module
is the one place that says, per medium, what is neutralised (docs/reference/outputs.md):

- **terminal** (reports, diagnostics, ``indexdsl graph``): control characters (ANSI and
  OSC escape sequences, C0 and C1 controls, bidirectional overrides) written out as
  ``\\x1b``; :func:`indexdsl.diagnostics.printable`, which diagnostics use too.
- **spreadsheets** (CSV, xlsx): text that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return is prefixed with ``'``, in cells and in column names alike.
- **Markdown**: HTML and Markdown syntax escaped, link schemes that run code
  (``javascript:``, ``vbscript:``, ``data:``, ``file:``) broken, control characters
  written out, code spans fenced so that a backtick cannot close them.
- **Mermaid** and **DOT**: quotes, ``<``, ``>``, ``&`` and control characters as the
  language's entities, so that ``<script>`` and a stray quote stay text.
- **JSON**: control characters as ``\\u`` escapes (also C1 controls, which JSON allows).
- **file names** derived from parameters: one folder name, never a path out of the
  output folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from indexdsl.diagnostics import UNPRINTABLE, UsageError, printable

#: the terminal: control characters written out (``\x1b``)
terminal = printable

# ---- spreadsheets (CSV, xlsx) -------------------------------------------------------------

#: the first characters that make a spreadsheet read a cell as a formula (OWASP's list)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet(text: str) -> str:
    """Text a spreadsheet shows as written: prefixed with ``'`` when it would otherwise
    run as a formula (CSV injection: ``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``).  Applying
    it twice changes nothing more."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


# ---- Markdown -----------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
#: URL schemes that run code or read local files when a Markdown viewer follows a link
_SCHEMES = re.compile(r"\b(javascript|vbscript|data|file)\s*:", re.IGNORECASE)


def markdown(value: object) -> str:
    """Text for Markdown (a table cell, a heading): one line, control characters written
    out, HTML and Markdown syntax escaped, and a dangerous link scheme's colon written as
    an entity (``javascript&#58;``), so that no link, image or tag can form."""
    import html  # Markdown output only (cold start)

    text = printable(" ".join(str(value).split()))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _SCHEMES.sub(lambda m: m.group(1) + "&#58;", text)


def markdown_code(value: object) -> str:
    """Text as a Markdown code span: fenced with more backticks than it holds in a row,
    so that it cannot close the span and write Markdown of its own."""
    text = printable(" ".join(str(value).split()))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# ---- Mermaid and Graphviz DOT -------------------------------------------------------------


def mermaid(text: str) -> str:
    """Text for a quoted Mermaid label or a comment: one line, its entities (``#quot;``,
    ``#lt;``, ``#35;`` …) for what Mermaid or a browser would read as syntax or markup."""
    text = printable(" ".join(text.split()))
    for char, entity in (
        ("#", "#35;"),
        ("&", "#amp;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("`", "#96;"),
    ):
        text = text.replace(char, entity)
    return text


def dot(text: str) -> str:
    """A quoted DOT string: backslashes and quotes escaped, newlines as ``\\n``, ``<``,
    ``>`` and ``&`` as HTML entities (which Graphviz shows as the characters), control
    characters written out."""
    text = printable(text.replace("\r\n", "\n"))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_comment(text: str) -> str:
    """Text for a ``//`` comment line of a DOT file: one line, as inert as a label."""
    text = printable(" ".join(text.split()))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- JSON ---------------------------------------------------------------------------------


def json_text(document: str) -> str:
    """A JSON document whose control characters are all ``\\u`` escapes: ``json.dumps``
    escapes C0 controls but leaves C1 controls and bidirectional overrides as they are
    (valid JSON that a terminal would act on).  They can only occur inside strings."""
    return UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


# ---- file names from parameters -----------------------------------------------------------

_NAME_SAFE = re.compile(r"[^\w=.,+@ -]|^\.", re.UNICODE)
#: the longest folder name written (most file systems allow 255 bytes)
NAME_LIMIT = 120


def file_name(text: str) -> str:
    """One file or folder name made from a parameter's value (``year=2015`` stays
    ``year=2015``): a path separator, a control character or any other character that is
    not a letter, digit or one of ``= . , + @ - _`` and space is percent-encoded
    (``../x`` → ``%2E.%2Fx``), a leading dot too (no ``..``, no hidden file); a name
    longer than :data:`NAME_LIMIT` is cut and ends with a hash of the whole."""

    def encode(match: re.Match) -> str:
        return "".join(f"%{b:02X}" for b in match.group().encode("utf-8"))

    name = _NAME_SAFE.sub(encode, text) or "%00"
    if len(name) > NAME_LIMIT:
        import hashlib  # here, not at import: OpenSSL's loading is a few ms of start-up

        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        name = name[: NAME_LIMIT - 13] + "~" + digest
    return name


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` when it stays inside ``folder``; a :class:`UsageError` otherwise
    (a name made by :func:`file_name` always does)."""
    path = folder / name
    base = folder.resolve()
    if path.resolve() == base or base not in path.resolve().parents:
        raise UsageError(f"`{printable(name)}` would be written outside `{folder}`")
    return path


# ---- the terminal's console ---------------------------------------------------------------


def console(**options):
    """A rich ``Console`` (no markup, no highlighting, 140 columns when not a terminal)
    whose every text is shown by :func:`printable`: a label holding an escape sequence
    reaches the terminal written out, in tables, titles and panels alike."""
    import sys

    from rich.console import Console
    from rich.segment import Segment

    class InertConsole(Console):
        def render_str(self, text: str, **kwargs):
            return super().render_str(printable(text), **kwargs)

        def render(self, renderable, options=None):
            for segment in super().render(renderable, options):
                # rich's own control segments (cursor moves) are its, not the data's
                if segment.control or not UNPRINTABLE.search(segment.text):
                    yield segment
                else:
                    yield Segment(printable(segment.text), segment.style)

    options.setdefault("highlight", False)
    options.setdefault("markup", False)
    stream = sys.stderr if options.get("stderr") else sys.stdout
    options.setdefault("width", None if stream.isatty() else 140)
    return InertConsole(**options)
