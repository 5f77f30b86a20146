"""The index language: grammar, parser, AST and formatter."""

from indexdsl.syntax.parser import parse

__all__ = ["parse"]
