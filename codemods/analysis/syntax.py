"""The standard library's parser, as every analysis calls it.

`ast` is the cheap tree: analyses that need no concrete syntax (duplicates,
logging, the import graph, a check that output still parses) use it instead of
libcst. The user's code may raise SyntaxWarnings (invalid escapes, `is` with a
literal) while being parsed; they are the user's, not ours to print.
"""

from __future__ import annotations

import ast
import warnings

# What ast.parse raises on input it cannot take: bad syntax, NUL bytes, nesting too deep, huge literals.
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)


def parse_quietly(source: str | bytes) -> ast.Module:
    """``ast.parse(source)`` without warnings; raises what it raises (see PARSE_ERRORS)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def try_parse(source: str | bytes) -> ast.Module | None:
    """The tree of ``source``, or None when it does not parse."""
    try:
        return parse_quietly(source)
    except PARSE_ERRORS:
        return None
