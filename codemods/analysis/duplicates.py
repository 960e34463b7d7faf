"""Near-duplicate functions across a checkout.

Each function body becomes a token sequence of its syntax tree with names
alpha-renamed in order of first use and literals abstracted to their kind, so
`_round_quantity(self, symbol, quantity)` and `_round_price(self, symbol, price)`
that differ only in names, keys and constants produce (almost) the same
sequence. Pairs are scored with difflib's ratio over those sequences.

The trees come from the standard library's `ast`, not libcst: normalisation
throws away exactly what libcst adds (whitespace, comments, parentheses), and
`ast` parses and reports line ranges an order of magnitude faster, which
matters when `codemods scan` runs this over a whole repository. The
`precision` codemod and `codemods scan` share this module.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from typing import Collection, Iterable, Iterator
from codemods.analysis.syntax import try_parse

DEFAULT_THRESHOLD = 0.8
DEFAULT_MIN_TOKENS = 40  # below this, "duplicates" are one-liners and getters


@dataclass(frozen=True)
class FunctionRef:
    """A function or method: where it is and how big its normalised body is."""

    path: str
    name: str  # qualified within the module: `TradingService._round_price`
    start: int  # first line of the def (decorators excluded)
    end: int
    size: int  # tokens in the normalised body

    def location(self) -> str:
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class DuplicatePair:
    first: FunctionRef
    second: FunctionRef
    score: float  # 0..1, difflib ratio of the normalised bodies


@dataclass(frozen=True)
class DuplicateGroup:
    """Functions connected by duplicate pairs; ``score`` is the weakest link."""

    functions: tuple[FunctionRef, ...]
    score: float


class _Normaliser:
    """One function body -> tokens, names renamed in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.tokens: list[str] = []

    def name(self, value: str) -> str:
        if value not in self.names:
            self.names[value] = f"v{len(self.names)}"
        return self.names[value]

    def visit(self, node: ast.AST) -> None:
        kind = type(node).__name__
        if isinstance(node, ast.Name):
            self.tokens.append(f"Name:{self.name(node.id)}")
            return
        if isinstance(node, ast.arg):
            self.tokens.append(f"arg:{self.name(node.arg)}")
        elif isinstance(node, ast.Attribute):
            self.tokens.append(f"Attribute:{self.name(node.attr)}")
        elif isinstance(node, ast.Constant):
            value = node.value
            literal = "None" if value is None else repr(value) if isinstance(value, bool) else type(value).__name__
            self.tokens.append(f"Constant:{literal}")
            return
        elif isinstance(node, ast.keyword):
            self.tokens.append(f"keyword:{node.arg}")  # keyword names are part of the API called
        elif isinstance(node, (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)):
            self.tokens.append(kind)
            return
        else:
            self.tokens.append(kind)
        for child in ast.iter_child_nodes(node):
            self.visit(child)


def fingerprint(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The normalised token sequence of a function's body (docstring left out)."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    normaliser = _Normaliser()
    for argument in function.args.args + function.args.kwonlyargs:
        normaliser.name(argument.arg)  # parameters first, so their order lines up
    for statement in body:
        normaliser.visit(statement)
    return normaliser.tokens


def functions_in(path: str, text: str) -> Iterator[tuple[FunctionRef, list[str]]]:
    """Every function and method of a module with its fingerprint; nothing if it does not parse."""
    tree = try_parse(text)
    if tree is not None:
        yield from functions_of(path, tree)


def functions_of(path: str, tree: ast.Module) -> Iterator[tuple[FunctionRef, list[str]]]:
    """``functions_in`` for a module already parsed with ``ast``."""
    yield from _walk(path, tree.body, "")


def _walk(path: str, body: list[ast.stmt], prefix: str) -> Iterator[tuple[FunctionRef, list[str]]]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            tokens = fingerprint(node)
            name = f"{prefix}{node.name}"
            yield FunctionRef(path, name, node.lineno, node.end_lineno or node.lineno, len(tokens)), tokens
            yield from _walk(path, node.body, f"{name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _walk(path, node.body, f"{prefix}{node.name}.")
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.AsyncWith)):
            for field in ("body", "orelse", "finalbody"):
                yield from _walk(path, getattr(node, field, []) or [], prefix)


def find_duplicates(
    sources: Iterable[tuple[str, str]],
    threshold: float = DEFAULT_THRESHOLD,
    min_tokens: int = DEFAULT_MIN_TOKENS,
    names: Collection[str] | None = None,
    body_pattern: re.Pattern[str] | None = None,
    max_tokens: int | None = None,
) -> list[DuplicatePair]:
    """Pairs of functions whose normalised bodies are at least ``threshold`` similar.

    ``sources`` yields (path, text). ``names`` limits the search to functions
    whose own name (the last part of the qualified name) is listed; pairs are
    then only reported between listed functions; ``body_pattern`` limits it to
    functions whose source text matches and ``max_tokens`` to functions no
    bigger. Sorted by score, best first.
    """
    found: list[tuple[FunctionRef, list[str]]] = []
    for path, text in sources:
        lines = text.splitlines() if body_pattern is not None else []
        for ref, tokens in functions_in(path, text):
            if ref.size < min_tokens or (max_tokens is not None and ref.size > max_tokens):
                continue
            if names is not None and ref.name.rsplit(".", 1)[-1] not in names:
                continue
            if body_pattern is not None and not body_pattern.search("\n".join(lines[ref.start - 1 : ref.end])):
                continue
            found.append((ref, tokens))
    return pair_up(found, threshold)


def pair_up(found: Iterable[tuple[FunctionRef, list[str]]], threshold: float = DEFAULT_THRESHOLD) -> list[DuplicatePair]:
    """Pairs among already fingerprinted functions (what `functions_in` yields) at least ``threshold`` similar."""
    found = list(found)
    # Sorting by size lets each function stop comparing once the others are too
    # big to reach the threshold: ratio <= 2 * min / (len_a + len_b).
    found.sort(key=lambda item: item[0].size)
    pairs: list[DuplicatePair] = []
    for i, (ref_a, tokens_a) in enumerate(found):
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(tokens_a)
        for ref_b, tokens_b in found[i + 1 :]:
            if 2 * ref_a.size / (ref_a.size + ref_b.size) < threshold:
                break
            matcher.set_seq1(tokens_b)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            score = matcher.ratio()
            if score >= threshold:
                first, second = sorted((ref_a, ref_b), key=lambda r: (r.path, r.start))
                pairs.append(DuplicatePair(first, second, round(score, 3)))
    pairs.sort(key=lambda p: (-p.score, p.first.path, p.first.start))
    return pairs


def group(pairs: Iterable[DuplicatePair]) -> list[DuplicateGroup]:
    """Connected groups of duplicates (A~B and B~C make one group of three)."""
    parent: dict[FunctionRef, FunctionRef] = {}

    def root(ref: FunctionRef) -> FunctionRef:
        while parent.setdefault(ref, ref) != ref:
            ref = parent[ref]
        return ref

    weakest: dict[FunctionRef, float] = {}
    pair_list = list(pairs)
    for pair in pair_list:
        a, b = root(pair.first), root(pair.second)
        if a != b:
            parent[b] = a
    for pair in pair_list:
        top = root(pair.first)
        weakest[top] = min(weakest.get(top, 1.0), pair.score)
    members: dict[FunctionRef, list[FunctionRef]] = {}
    for ref in parent:
        members.setdefault(root(ref), []).append(ref)
    groups = [
        DuplicateGroup(tuple(sorted(refs, key=lambda r: (r.path, r.start))), weakest[top])
        for top, refs in members.items()
        if len(refs) > 1
    ]
    return sorted(groups, key=lambda g: (-g.score, g.functions[0].path, g.functions[0].start))
