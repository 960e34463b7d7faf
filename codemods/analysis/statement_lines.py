"""libcst statements with their lines, from the standard library's `ast`.

A codemod visiting a 9,000-line class pays for every node in it, though its
pattern sits in three methods; and libcst's positions pass, which a report's
line number would otherwise need, costs as much as a parse. `ast` knows each
statement's lines, and libcst's statements come in the same order (one
``SimpleStatementLine`` per run of `;`-separated `ast` statements, one compound
statement per `ast` one, their blocks in the same order), so walking both side by
side gives every libcst statement its lines without that pass.

What it gives: the statements none of whose lines mention a codemod's words
(they cannot hold its pattern, so their children need no visit), and the first
line of every statement (so a node's line is that line plus where the node's
text sits in the statement's). Any disagreement between the two walks (a
count or kind that does not line up) gives up on the whole module: nothing is
skipped and no line is known.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import libcst as cst


class _Mismatch(Exception):
    pass


@dataclass
class StatementLines:
    skip: set[int] = field(default_factory=set)  # ids of statements without any of the words
    first_line: dict[int, int] = field(default_factory=dict)  # id of a statement -> its first line (decorators included)


def statement_lines(module: cst.Module, tree: ast.Module, text: str, words: re.Pattern[str] | None) -> StatementLines:
    """Walk ``module`` and ``tree`` together; ``words`` None skips nothing."""
    hits = [0]  # hits[n]: how many of the first n lines match ``words``
    for line in text.splitlines():
        hits.append(hits[-1] + (words is not None and words.search(line) is not None))
    found = StatementLines()
    try:
        _walk(module.body, tree.body, hits, found, words is not None)
    except _Mismatch:
        return StatementLines()
    return found


def _walk(
    body: Sequence[cst.BaseStatement], nodes: list[ast.stmt], hits: list[int], found: StatementLines, skipping: bool
) -> None:
    index = 0
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            group = nodes[index : index + len(statement.body)]
            index += len(statement.body)
            if len(group) != len(statement.body):
                raise _Mismatch
            first, last = group[0].lineno, max(node.end_lineno or node.lineno for node in group)
            found.first_line[id(statement)] = first
            blocks: list[tuple[Sequence[cst.BaseStatement], list[ast.stmt]]] = []
        else:
            if index >= len(nodes):
                raise _Mismatch
            node = nodes[index]
            index += 1
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            last = node.end_lineno or node.lineno
            found.first_line[id(statement)] = first
            blocks = list(_blocks(statement, node))
        if first < 1 or last >= len(hits):
            raise _Mismatch
        if skipping and hits[last] - hits[first - 1] == 0:
            found.skip.add(id(statement))
        for inner, inner_nodes in blocks:
            _walk(inner, inner_nodes, hits, found, skipping)
    if index != len(nodes):
        raise _Mismatch


def _blocks(statement: cst.BaseStatement, node: ast.stmt) -> Iterator[tuple[Sequence[cst.BaseStatement], list[ast.stmt]]]:
    """The (libcst, ast) statement lists of a compound statement's indented blocks, in order."""
    pairs: list[tuple[object, list[ast.stmt]]]
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef, cst.With)):
        expected = {cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef), cst.ClassDef: (ast.ClassDef,),
                    cst.With: (ast.With, ast.AsyncWith)}[type(statement)]
        if not isinstance(node, expected):
            raise _Mismatch
        pairs = [(statement.body, node.body)]  # type: ignore[attr-defined]
    elif isinstance(statement, (cst.For, cst.While)):
        if not isinstance(node, (ast.For, ast.AsyncFor) if isinstance(statement, cst.For) else ast.While):
            raise _Mismatch
        pairs = [(statement.body, node.body)]
        if statement.orelse is not None:
            pairs.append((statement.orelse.body, node.orelse))
    elif isinstance(statement, cst.If):
        if not isinstance(node, ast.If):
            raise _Mismatch
        pairs = [(statement.body, node.body)]
        if isinstance(statement.orelse, cst.If):  # elif: ast holds it as the one statement of orelse
            yield [statement.orelse], node.orelse
        elif statement.orelse is not None:
            pairs.append((statement.orelse.body, node.orelse))
    elif isinstance(statement, cst.Try):
        if not isinstance(node, ast.Try) or len(statement.handlers) != len(node.handlers):
            raise _Mismatch
        pairs = [(statement.body, node.body)]
        pairs += [(h.body, a.body) for h, a in zip(statement.handlers, node.handlers)]
        if statement.orelse is not None:
            pairs.append((statement.orelse.body, node.orelse))
        if statement.finalbody is not None:
            pairs.append((statement.finalbody.body, node.finalbody))
    else:
        return  # match, try/except*, and anything newer: a unit, not walked into
    for block, inner in pairs:
        if isinstance(block, cst.IndentedBlock):
            yield block.body, inner
        elif not isinstance(block, cst.SimpleStatementSuite):
            raise _Mismatch
