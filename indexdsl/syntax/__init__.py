"""The index language: grammar, parser, AST and formatter.

:func:`parse` keeps each file's tree between runs (``parsed_cache.py``), so that a
run of a file parsed before does not import the parser.
"""

from indexdsl.syntax.parsed_cache import parse

__all__ = ["parse"]
