"""Text → AST, with lark's exceptions translated into located diagnostics.

The LALR parser is built once per process (it is the slow part of parsing) and the
grammar file is the language reference.  Lark names tokens by their terminal
(`RPAR`, `COMMA`); users see the characters instead.  LALR reports an unexpected end
of input at the last token, so that case is placed at the end of the text.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
from importlib import resources

import attrs
import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from indexdsl.diagnostics import DiagnosticError, Span, split_lines, suggest
from indexdsl.errors import syntax as errors
from indexdsl.syntax import ast
from indexdsl.syntax.transformer import ToAst

# Named terminals shown to users in words rather than lark's names.
_FRIENDLY = {
    "NAME": "a name",
    "STRING": 'a quoted string ("…")',
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DIRECTION": "`higher` or `lower`",
    "$END": "the end of the file",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "_LPAR": "`(`",
}


@attrs.frozen
class Comment:
    """A `#` comment: where it is, and whether code precedes it on its line."""

    line: int
    column: int
    text: str
    own_line: bool


#: the comments of the text being parsed by `parse_with_comments`; None otherwise, so
#: that plain parses keep nothing
_collecting: contextvars.ContextVar[list[lark.Token] | None] = contextvars.ContextVar(
    "indexdsl_comments", default=None
)


def _comment(token: lark.Token) -> lark.Token:
    collected = _collecting.get()
    if collected is not None:
        collected.append(token)
    return token


def _options() -> dict:
    """How lark builds the parser (also the key of the pickled parser)."""
    return dict(
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        start="start",
        lexer_callbacks={"COMMENT": _comment},
    )


@functools.cache
def _parser() -> lark.Lark:
    from indexdsl.syntax import parser_cache

    grammar = resources.files("indexdsl.syntax").joinpath("grammar.lark").read_text("utf-8")
    options = _options()
    # the parser built, pickled beside the bytecode (start-up: parser_cache.py)
    parser = parser_cache.load(grammar, options)
    if parser is None:
        # lark keys the cached tables by the grammar's hash, in the temp folder
        parser = lark.Lark(grammar, cache=True, **options)
        parser_cache.save(grammar, options, parser)
    return parser


@functools.cache
def _terminal_text() -> dict[str, str]:
    texts = {}
    for terminal in _parser().terminals:
        pattern = terminal.pattern
        if isinstance(pattern, lark.lexer.PatternStr):
            texts[terminal.name] = f"`{pattern.value}`"
    return texts


def _describe(terminal: str) -> str:
    return _FRIENDLY.get(terminal) or _terminal_text().get(terminal) or terminal.lower()


def _expected_list(expected: set[str]) -> str:
    words = sorted({_describe(t) for t in expected if not t.startswith("__")})
    if len(words) > 8:
        words = words[:8] + ["…"]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _end_of_text(file: str, text: str) -> Span:
    lines = split_lines(text) or [""]
    # place the caret just after the last non-blank character
    for number in range(len(lines), 0, -1):
        stripped = lines[number - 1].rstrip()
        if stripped:
            return Span.point(file, number, len(stripped) + 1)
    return Span.point(file, 1, 1)


def _translate(exc: UnexpectedInput, file: str, text: str):
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        span = Span.point(file, exc.line, exc.column)
        return errors.unexpected_character(
            char,
            span,
            _expected_list(exc.allowed) if exc.allowed else None,
            _misspelled_keyword(text, exc.line),
        )
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        expected = getattr(exc, "expected", None) or getattr(exc, "accepts", set())
        return errors.unexpected_end(
            _end_of_text(file, text),
            _expected_list(set(expected)) if expected else None,
            "RBRACE" in expected,
        )
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    shown = str(token).replace("\n", " ")
    span = Span(
        file,
        token.line,
        token.column,
        token.end_line or token.line,
        token.end_column or token.column + len(shown),
    )
    expected = exc.accepts or exc.expected
    return errors.unexpected_token(
        shown,
        span,
        _expected_list(set(expected)) if expected else None,
        _misspelled_keyword(text, token.line) or _hint(token, set(expected)),
    )


def _misspelled_keyword(text: str, line: int) -> str | None:
    """`did you mean `reference`?` when the line the error is on starts with a word
    that is no keyword but close to one (`referenec ranks c.x`): the parser reads such
    a word as a name, and only stumbles later on the line."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+[A-Za-z_]", lines[line - 1])
    if match is None or match.group(1) in keywords():
        return None
    hints = suggest(match.group(1), [w for w in keywords() if len(w) > 3])
    return f"did you mean `{hints[0]}`?" if hints else None


def _hint(token: lark.Token, expected: set[str]) -> str | None:
    if token.value in {"normalize", "normalise"}:
        return "`normalise` belongs in `defaults`, in a framework node, or after an indicator"
    if "EQUAL" in expected and token.type == "STRING":
        return 'an indicator takes one title: `indicator name "Title" = expression`'
    if "RBRACE" in expected:
        return "check that every `{` has its `}`"
    return None


def parse(text: str, file: str = "<string>") -> ast.IndexFile:
    """Parse index-file text into an :class:`~indexdsl.syntax.ast.IndexFile`.

    Raises :class:`~indexdsl.diagnostics.DiagnosticError` (and nothing else) when the
    text is not a well-formed index file.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise DiagnosticError([_translate(exc, file, text)]) from None
    except lark.exceptions.LarkError as exc:  # pragma: no cover - defensive
        raise DiagnosticError([errors.unparsable(str(exc), Span.point(file, 1, 1))]) from None
    _check_limits(tree, file)
    declarations = ToAst(file).transform(tree)
    return ast.IndexFile(tuple(declarations), path=file)


#: levels of the parse tree read (blocks, parentheses, operators): every later stage
#: walks the tree recursively, so the limit is checked before any of them runs
MAX_DEPTH = 100
#: characters of one number
MAX_NUMBER = 50


def _check_limits(tree: lark.Tree, file: str) -> None:
    """Refuse a tree nested deeper than :data:`MAX_DEPTH`, or with a number that is
    too long or not finite, before anything recursive reads it (one iterative pass)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            span = _first_span(node, file)
            raise DiagnosticError([errors.nested_too_deep(depth, MAX_DEPTH, span)])
        if node.data == "fraction_weight" and float(node.children[-1]) == 0:
            span = _first_span(node, file)
            raise DiagnosticError([errors.weight_divides_by_zero(_text(node), span)])
        if node.data == "depth_list":
            for token in node.children:
                if not float(token).is_integer() or float(token) < 0:
                    span = Span.point(file, token.line, token.column, len(token))
                    raise DiagnosticError([errors.depth_not_whole(str(token), span)])
        for child in node.children:
            if isinstance(child, lark.Tree):
                stack.append((child, depth + 1))
            elif isinstance(child, lark.Token) and child.type in ("NUMBER", "PERCENT"):
                digits = str(child).rstrip("%")
                if len(digits) > MAX_NUMBER or not math.isfinite(float(digits)):
                    span = Span.point(file, child.line, child.column, len(child))
                    raise DiagnosticError([errors.number_out_of_range(digits, MAX_NUMBER, span)])


def _text(node: lark.Tree) -> str:
    return "".join(str(c) for c in node.children if isinstance(c, lark.Token))


def _first_span(node: lark.Tree, file: str) -> Span:
    """Where a subtree starts: its first token (found without recursion)."""
    while isinstance(node, lark.Tree):
        tokens = [c for c in node.children if c is not None]
        if not tokens:
            return Span.point(file, 1, 1)
        node = tokens[0]
    return Span.point(file, node.line, node.column, len(node))


def parse_with_comments(text: str, file: str = "<string>") -> tuple[ast.IndexFile, list[Comment]]:
    """Parse, and return the comments too (the formatter keeps them)."""
    collected: list[lark.Token] = []
    reset = _collecting.set(collected)
    try:
        tree = parse(text, file)
    finally:
        _collecting.reset(reset)
    lines = split_lines(text)
    comments = [
        Comment(
            token.line,
            token.column,
            str(token).rstrip(),
            not lines[token.line - 1][: token.column - 1].strip(),
        )
        for token in collected
    ]
    return tree, comments


@functools.cache
def keywords() -> tuple[str, ...]:
    """The words of the language (``indicator``, ``normalise``, ``weights`` …), read from
    the grammar, for editors that complete them."""
    words = {
        t.pattern.value
        for t in _parser().terminals
        if isinstance(t.pattern, lark.lexer.PatternStr) and t.pattern.value.isalpha()
    }
    return tuple(sorted(words))
