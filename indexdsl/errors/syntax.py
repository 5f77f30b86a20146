"""Diagnostics of the syntax stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations

from indexdsl.diagnostics import Diagnostic, Span, error


def unparsable(detail: str, span: Span) -> Diagnostic:
    """E000: the parser failed in a way it has no better words for."""
    return error("E000", f"cannot parse: {detail}", span)


def unexpected_character(
    char: str, span: Span, expected: str | None, hint: str | None = None
) -> Diagnostic:
    """E001: a character that is no part of the language (a single quote says so)."""
    if char == "'":
        return error(
            "E001",
            "strings use double quotes",
            span,
            label="single quote here",
            help='write the text between double quotes: "like this"',
        )
    return error(
        "E001",
        f"unexpected character `{char}`",
        span,
        label="not part of the index language",
        help=hint or (f"expected {expected}" if expected else None),
    )


def unexpected_end(span: Span, expected: str | None, unclosed_brace: bool) -> Diagnostic:
    """E002: the file ends in the middle of something."""
    return error(
        "E002",
        "unexpected end of file",
        span,
        label="the file ends here",
        help=f"expected {expected}" if expected else None,
        notes=("a `{` may be missing its closing `}`",) if unclosed_brace else (),
    )


def unexpected_token(shown: str, span: Span, expected: str | None, hint: str | None) -> Diagnostic:
    """E003: a word or symbol where the grammar allows other things."""
    return error(
        "E003",
        f"unexpected `{shown}`",
        span,
        label=f"expected {expected} here" if expected else "",
        help=hint,
    )


def nested_too_deep(depth: int, limit: int, span: Span) -> Diagnostic:
    """E004: the text nests blocks, parentheses or operators deeper than the limit."""
    return error(
        "E004",
        f"nested too deep: more than {limit} levels of blocks, parentheses or operators",
        span,
        label=f"level {limit + 1} starts here",
        help=f"indexdsl reads at most {limit} levels (frameworks of this index are at most "
        "a few levels deep); split the expression into indicators, or flatten the hierarchy",
    )


def number_out_of_range(text: str, limit: int, span: Span) -> Diagnostic:
    """E005: a number too long to read, or too large for a floating-point number."""
    shown = text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"
    return error(
        "E005",
        f"the number `{shown}` is out of range",
        span,
        help=f"numbers have at most {limit} characters and must be finite (below about 1.8e308)",
    )


def weight_divides_by_zero(text: str, span: Span) -> Diagnostic:
    """E006: a weight written as a fraction with a zero denominator."""
    return error(
        "E006",
        f"the weight `{text}` divides by zero",
        span,
        help="write the weight as a fraction of a whole (`1/3`), a percentage or a number; "
        "a weight of 0 is written `0`",
    )


def depth_not_whole(text: str, span: Span) -> Diagnostic:
    """E007: a depth that is not a whole number."""
    return error(
        "E007",
        f"a depth is a whole number, 0 or more, not `{text}`",
        span,
        help="the index is depth 0, its children depth 1, and so on",
    )
