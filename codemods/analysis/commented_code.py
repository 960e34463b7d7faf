"""Commented-out code: runs of full-line comments whose text parses as Python statements.

The idea is eradicate's: take the text after ``#``, try to parse it, and refuse
what reads as prose. Two things differ, both to be precise rather than greedy:

- A *run* (consecutive full-line comments starting in the same column) is parsed
  in spans, not only line by line, so a ``def``/``if`` header with its body or a
  call spread over several lines is found whole, and lines that only make sense
  together (``)``, ``else:``) are judged together.
- What parses is judged by its syntax tree, not by the presence of ``(`` or
  ``=``: a bare name (``# TODO``), a value or a condition (``# 0 <= i < n``,
  ``# {'a': 1}``), a label (``# Note: see``) or a lone keyword (``# pass``) is
  prose; a statement (assignment, call, import, return, ``def``, ``if``...) is code.

Never reported: pragmas (``# noqa``, ``# type:``, ``# pylint:``...), notes
marked TODO/FIXME/XXX/HACK, prose opening with ``e.g.``/``i.e.``, the shebang,
the encoding cookie and editor modelines, a licence header, doctest sessions and
their output, examples (lines indented under a line of prose such as
``# Usage:`` or an RST ``::`` heading, fenced blocks), PEP 723 script metadata,
URLs, comments after code on the same line, code quoted inside a sentence that
goes on after it, and lists of terms where a few happen to look like calls.

``tests/test_agreement_eradicate.py`` compares the result with eradicate's on
real code and names each kind of disagreement.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Iterator


@dataclass(frozen=True)
class CommentedCode:
    """A block of commented-out code: consecutive full-line comments."""

    start_line: int  # 1-based, first comment line of the block
    end_line: int  # 1-based, inclusive
    lines: tuple[str, ...]  # the comment lines as written (without newline)


def find_commented_code(source: str) -> list[CommentedCode]:
    """Blocks of commented-out code in ``source`` (decoded text, any newline style).

    Never raises: text the tokenizer gives up on is judged from the comments
    found before that point.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # parsing comment text may warn (escapes, `is` with a literal)
            return list(_find(source))
    except Exception:  # a bug here must not break a scan: report nothing for the file
        return []


# -- the file's lines and comments -----------------------------------------------

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_MAX_SPAN = 60  # lines parsed together at most; longer blocks are found in pieces and merged


@dataclass(frozen=True)
class _Comment:
    line: int  # 1-based
    indent: str  # what precedes the `#` on its line (form feeds dropped)
    text: str  # the comment, from `#`


def _split_lines(source: str) -> list[str]:
    """Physical lines without their endings, split where Python splits them."""
    return [match.group().rstrip("\r\n") for match in _LINE.finditer(source)]


def _full_line_comments(lines: list[str]) -> tuple[list[_Comment], int]:
    """Comments alone on their line, and the line of the first code token (0: none)."""
    feed = iter([line + "\n" for line in lines[:-1]] + lines[-1:])
    comments: list[_Comment] = []
    commented: set[int] = set()  # lines holding any comment
    first_code = 0
    try:
        for token in tokenize.generate_tokens(lambda: next(feed, "")):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                commented.add(row)
                before = lines[row - 1][:col] if row <= len(lines) else ""
                if before.strip(" \t\f") or (
                    row > 1 and row - 1 not in commented and lines[row - 2].rstrip().endswith("\\")
                ):
                    continue  # after code, or joined to the line of code above by a backslash
                comments.append(_Comment(row, before.replace("\f", ""), token.string))
            elif not first_code and token.type not in _NOT_CODE:
                first_code = token.start[0]
    except (tokenize.TokenError, SyntaxError, ValueError, IndexError):
        pass  # keep what was found before the tokenizer gave up
    return comments, first_code


_NOT_CODE = {
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENDMARKER, tokenize.ENCODING,
}


def _runs(comments: list[_Comment]) -> Iterator[list[_Comment]]:
    """Consecutive full-line comments that start in the same column."""
    run: list[_Comment] = []
    for comment in comments:
        if run and (comment.line != run[-1].line + 1 or comment.indent != run[-1].indent):
            yield run
            run = []
        run.append(comment)
    if run:
        yield run


# -- what a comment line is, before any parsing --------------------------------------


class _Kind(Enum):
    CANDIDATE = "may be code"
    EMPTY = "blank comment"
    EXCLUDED = "never code"


_PRAGMA = re.compile(
    r"(?:^|#)\s*(?:noqa\b|nosec\b|type:|pragma\b|pylint:|fmt:|isort:|mypy:|pyright:|ruff:|codemods:"
    r"|flake8[:\s]|yapf:|pyre-|pytype:|black:|nolint\b|lgtm\b|skipcq\b|pylama:|spell-?checker:|cspell:)",
    re.IGNORECASE,
)
_NOTE = re.compile(r"\b(?:TODO|FIXME|XXX|HACK)\b")
_ABBREVIATION = re.compile(r"\s*(?:e\.\s?g\b|i\.\s?e\b|(?:cf|eg|ie|viz)\.)", re.IGNORECASE)  # `# e.g. x = 1`
_URL = re.compile(r"://|\bwww\.", re.IGNORECASE)
_COOKIE = re.compile(r"coding[:=][ \t]*[-\w.]+")
_MODELINE = re.compile(r"^\s*(?:-\*-|vim?:|ex:|kate:|emacs:)")
_PROMPT = re.compile(r"^\s*>>>(?:\s|$)|^\s*In \[\d*\]:")
_OUTPUT = re.compile(r"^\s*Out(?:\[\d*\])?\s*:")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
_SCRIPT_METADATA = re.compile(r"^ ///(?: [a-zA-Z0-9-]+)?$")
_LICENCE = re.compile(
    r"copyright|\(c\)|©|spdx-license-identifier|licen[cs]ed under|licen[cs]e\b|permission is hereby granted"
    r"|all rights reserved|warranty",
    re.IGNORECASE,
)


def _content(comment: _Comment) -> str:
    """The comment's text without its `#` marks and trailing blanks."""
    return comment.text.lstrip("#").rstrip()


def _kinds(run: list[_Comment], contents: list[str]) -> list[_Kind]:
    """Classify each line of a run by its text alone (pragmas, notes, docs, headers)."""
    # A comment nested in commented-out code (`#     # explain`) belongs to the code around it.
    kinds = [_Kind.EMPTY if not c.strip() or c.lstrip().startswith("#") else _Kind.CANDIDATE for c in contents]
    output = False  # inside the output of a doctest or notebook session
    fenced = False
    metadata = False  # inside PEP 723 `# /// script` ... `# ///`
    for index, (comment, content) in enumerate(zip(run, contents)):
        line = comment.line
        if kinds[index] is _Kind.EMPTY:
            output = False
            continue
        excluded = (
            _PRAGMA.search(content)
            or _NOTE.search(content)
            or _url_outside_strings(content)
            or _ABBREVIATION.match(content)
            or _MODELINE.match(content)
            or (line == 1 and comment.text.startswith("#!"))
            or (line <= 2 and _COOKIE.search(content))
        )
        if _SCRIPT_METADATA.match(comment.text[1:].rstrip()):
            metadata = comment.text.rstrip() != "# ///"  # `# /// script` opens, `# ///` closes
            excluded = True
        if _FENCE.match(content):
            fenced, excluded = not fenced, True
        if _PROMPT.match(content):
            output, excluded = True, True
        elif _OUTPUT.match(content):
            output, excluded = True, True
        if excluded or output or fenced or metadata:
            kinds[index] = _Kind.EXCLUDED
    _exclude_examples(contents, kinds)
    return kinds


def _url_outside_strings(content: str) -> bool:
    """A URL in prose; one inside a quoted string may be part of commented-out code."""
    match = _URL.search(content)
    return match is not None and not re.search(r"['\"]", content[: match.start()])


def _indent_of(text: str) -> int:
    return len(text) - len(text.lstrip())


def _exclude_examples(contents: list[str], kinds: list[_Kind]) -> None:
    """Lines indented under a line of prose (`Usage:`, `Do it like this`) are documentation.

    Commented-out code keeps its own indentation; a block indented deeper than
    the sentence that introduces it, in the same run of comments, is an example.
    """
    index = 0
    while index < len(contents):
        if kinds[index] is not _Kind.CANDIDATE or not _is_prose(contents[index]):
            index += 1
            continue
        depth = _indent_of(contents[index])
        follow = index + 1
        while follow < len(contents) and (kinds[follow] is _Kind.EMPTY or _indent_of(contents[follow]) > depth):
            if kinds[follow] is _Kind.CANDIDATE:
                kinds[follow] = _Kind.EXCLUDED
            follow += 1
        index = follow


def _is_prose(line: str) -> bool:
    """A line that reads as a sentence or a heading on its own (not a nested `#` comment)."""
    text = line.strip()
    if text.startswith("#"):
        return False
    if text.endswith(":"):
        return not _is_code_header(text)
    parsed = _parse_span([text])
    if parsed is None:
        return not _incomplete([text])
    return not any(_is_code(statement, parsed.lines) for statement in parsed.statements)


def _is_code_header(line: str) -> bool:
    """True for `if x:`, `def f():`, `else:`... : a heading that opens a block of code."""
    return _parse_span([line.strip(), "    pass"]) is not None


def _licence_runs(runs: list[list[_Comment]], first_code: int) -> set[int]:
    """Runs of the file's header (before any code) that carry a licence or copyright."""
    header = [run for run in runs if not first_code or run[0].line < first_code]
    return {id(run) for run in header if any(_LICENCE.search(c.text) for c in run)}


# -- parsing comment text ----------------------------------------------------------

# A clause that cannot start a statement parses after a stand-in for its opening clause.
_CLAUSES = (
    (re.compile(r"(?:elif|else)\b"), "if _:\n    pass\n"),
    (re.compile(r"(?:except|finally)\b"), "try:\n    pass\n"),
)


@dataclass(frozen=True)
class _Parsed:
    statements: list[ast.stmt]  # top-level statements of the span (a clause: its bodies)
    offset: int  # lines of stand-in prepended before the span's first line
    lines: list[str]  # the text parsed, stand-in included: what statement positions refer to


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except Exception:  # SyntaxError, null bytes, nesting limits, surrogates
        return None


def _dedent(lines: list[str]) -> list[str]:
    """Lines without the leading whitespace they all share (blank lines become empty)."""
    present = [line for line in lines if line.strip()]
    common = present[0][: _indent_of(present[0])] if present else ""
    for line in present[1:]:
        while common and not line.startswith(common):
            common = common[:-1]
    return [line[len(common) :] if line.strip() else "" for line in lines]


def _parse_span(lines: list[str]) -> _Parsed | None:
    body = _dedent(lines)
    text = "\n".join(body) + "\n"
    for opener, stand_in in _CLAUSES:
        if opener.match(body[0]):
            tree = _parse(stand_in + text)
            if tree is None:
                return None
            return _Parsed(_clause_statements(tree.body[0]), stand_in.count("\n"), (stand_in + text).split("\n"))
    tree = _parse(text)
    return _Parsed(tree.body, 0, body) if tree is not None else None


def _clause_statements(stand_in: ast.stmt) -> list[ast.stmt]:
    """The statements of the clauses that followed the stand-in's opening clause."""
    found: list[ast.stmt] = []
    if isinstance(stand_in, ast.If):
        found.extend(stand_in.orelse)
    elif isinstance(stand_in, ast.Try):
        for handler in stand_in.handlers:
            found.extend(handler.body)
        found.extend(stand_in.orelse)
        found.extend(stand_in.finalbody)
    return found


def _incomplete(lines: list[str]) -> bool:
    """True when the span could still become valid with more lines (open bracket, `if x:`)."""
    text = "\n".join(_dedent(lines)) + "\n"
    significant: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type not in _NOT_CODE:
                significant.append(token)
    except tokenize.TokenError:
        return True  # EOF inside brackets, a string or after a backslash
    except (SyntaxError, ValueError):
        return False
    if not significant:
        return False
    if significant[-1].string == ":":
        return True
    last_statement = [t for t in significant if t.start[1] == 0][-1:]
    return bool(last_statement) and last_statement[0].string == "@"  # a decorator waits for its def


# -- judging what parsed ---------------------------------------------------------------

_TYPE_NAMES = frozenset(
    "int float complex str bytes bool list dict set frozenset tuple type object None Any Optional Union "
    "Callable Iterable Iterator Sequence Mapping".split()
)
_LABEL = re.compile(r"^[A-Z][a-z]+$|^[A-Z]+$")  # `Note`, `Example`, `TODO`, `NB`
_SINGLE_WORD = re.compile(r"^\s*[A-Za-z_]\w*\s*$")


def _is_type_like(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _TYPE_NAMES or node.id[:1].isupper()
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_type_like(node.left) and _is_type_like(node.right)
    return isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str))


def _spaced_call(call: ast.Call, lines: list[str]) -> bool:
    """`Wait (ms)`, `(package) (rest)`: a callee, a space, then parentheses reads as prose."""
    line = call.func.end_lineno or 0
    if not 1 <= line <= len(lines) or call.func.end_col_offset is None:
        return False
    rest = lines[line - 1][call.func.end_col_offset :]
    opening = rest.find("(")
    return opening > 0 and any(ch.isspace() for ch in rest[:opening])


def _is_code(statement: ast.stmt, lines: list[str]) -> bool:
    """Whether one parsed top-level statement reads as code rather than prose."""
    if any(isinstance(node, ast.Call) and _spaced_call(node, lines) for node in ast.walk(statement)):
        return False
    if isinstance(statement, ast.Expr):
        value = statement.value
        if isinstance(value, ast.Call):
            return True
        if isinstance(value, (ast.Await, ast.Yield, ast.YieldFrom)):
            return not isinstance(value.value, (ast.Name, type(None)))  # `# yield expression` is prose
        return False
    if isinstance(statement, ast.AnnAssign):
        target = statement.target
        label = isinstance(target, ast.Name) and bool(_LABEL.match(target.id))
        if statement.value is not None:
            return not (label and isinstance(statement.annotation, ast.Name))
        return not label and _is_type_like(statement.annotation)
    if isinstance(statement, (ast.Global, ast.Nonlocal)):
        return False  # `# global helpers` is a heading; a real one comes with the code using it
    first, last = statement.lineno, statement.end_lineno or statement.lineno
    if first == last and 1 <= first <= len(lines) and _SINGLE_WORD.match(lines[first - 1]):
        return False  # `pass`, `return`, `raise`, `continue` alone on a line
    return True


def _code_lines(parsed: _Parsed) -> tuple[int, int] | None:
    """The span (0-based, inclusive) from the first to the last statement that reads as code.

    Prose-looking statements between two code statements belong to the block
    (a variable echoed between two assignments), those at either end do not;
    but when bare expressions outnumber the code, the span is a list of terms in prose
    (`STREAM-START`, `DIRECTIVE(name, value)`, `BLOCK-END`), not code.
    """
    statements, offset = parsed.statements, parsed.offset
    code = [s for s in statements if _is_code(s, parsed.lines)]
    terms = [s for s in statements if isinstance(s, ast.Expr) and s not in code]
    if not code or len(terms) > len(code):
        return None
    first_line = min(_first_line(s) for s in code)
    last_line = max(s.end_lineno or s.lineno for s in code)
    # A clause (`else:`) starts the span: its own line is code when its body is.
    first = 0 if offset else first_line - 1
    return max(first, 0), last_line - 1 - offset


def _first_line(statement: ast.stmt) -> int:
    """Where a statement starts, its decorators included."""
    decorators = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)])


def _grow(contents: list[str], kinds: list[_Kind], deltas: list[int], start: int) -> tuple[int, _Parsed] | None:
    """The longest span from ``start`` that parses: (end, exclusive; parse), or None.

    Parsing is tried only where the brackets opened so far are closed again:
    a line of prose with a stray `(` would otherwise cost a parse per line after it.
    """
    best: tuple[int, _Parsed] | None = None
    end = start
    depth = 0
    while end < len(contents) and end - start < _MAX_SPAN and kinds[end] is not _Kind.EXCLUDED:
        end += 1
        depth += deltas[end - 1]
        if kinds[end - 1] is _Kind.EMPTY or depth > 0:
            continue
        span = contents[start:end]
        parsed = _parse_span(span)
        if parsed is not None:
            best = (end, parsed)
        elif depth < 0 or not _incomplete(span):
            break
    return best


_STRING = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"")


def _bracket_delta(line: str) -> int:
    """Brackets opened minus closed on a line, outside one-line strings (an estimate)."""
    bare = _STRING.sub("", line.split("#", 1)[0] if "'" not in line and '"' not in line else line)
    return sum(bare.count(c) for c in "([{") - sum(bare.count(c) for c in ")]}")


def _sentence_around(contents: list[str], kinds: list[_Kind], first: int, last: int, code: set[int]) -> bool:
    """Code quoted in a sentence: prose runs on into the span and on out of it."""
    before, after = first - 1, last + 1
    if before < 0 or after >= len(contents) or before in code:
        return False
    if kinds[before] is not _Kind.CANDIDATE or kinds[after] is not _Kind.CANDIDATE:
        return False
    flows_in = re.search(r"[\w,]$", contents[before]) is not None
    flows_out = re.match(r"\s*[a-z]", contents[after]) is not None and _parse_span([contents[after]]) is None
    return flows_in and flows_out


def _code_in_run(run: list[_Comment]) -> list[tuple[int, int]]:
    """Spans (0-based, inclusive) of a run's lines that are commented-out code."""
    contents = [_content(comment) for comment in run]
    kinds = _kinds(run, contents)
    deltas = [_bracket_delta(content) for content in contents]
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(contents):
        if kinds[index] is not _Kind.CANDIDATE:
            index += 1
            continue
        grown = _grow(contents, kinds, deltas, index)
        if grown is None:
            if _lone_header(contents, kinds, index):
                spans.append((index, index))
            index += 1
            continue
        end, parsed = grown
        found = _code_lines(parsed)
        if found is not None:
            spans.append((index + found[0], index + found[1]))
        index = end
    code = {line for first, last in spans for line in range(first, last + 1)}
    kept = [(a, b) for a, b in spans if not _sentence_around(contents, kinds, a, b, code - set(range(a, b + 1)))]
    return _merge(kept, kinds)


_HEADERS = (
    ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.ClassDef,
)


def _lone_header(contents: list[str], kinds: list[_Kind], index: int) -> bool:
    """`# if tag == '!':` left without a body (the body stayed live code, or was deleted).

    Only a header with a real condition counts (`# if needed:` is prose), and
    only when no comment follows it in the run (a body that failed to parse, or
    the sentence the header-like words belong to).
    """
    text = contents[index].strip()
    if not text.endswith(":") or (index + 1 < len(contents) and kinds[index + 1] is not _Kind.EMPTY):
        return False
    parsed = _parse_span([text, "    pass"])
    if parsed is None or len(parsed.statements) != 1 or not isinstance(parsed.statements[0], _HEADERS):
        return False
    header = parsed.statements[0]
    if parsed.offset and not isinstance(header, ast.If):
        return False  # after `else:` only `elif x:` is a header of its own
    if isinstance(header, (ast.If, ast.While)):
        return not isinstance(header.test, (ast.Name, ast.Constant))
    if isinstance(header, (ast.With, ast.AsyncWith)):
        return not all(isinstance(item.context_expr, ast.Name) for item in header.items)
    return True


def _merge(spans: list[tuple[int, int]], kinds: list[_Kind]) -> list[tuple[int, int]]:
    """Join spans separated only by blank comment lines: one block of code."""
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and all(kinds[i] is _Kind.EMPTY for i in range(merged[-1][1] + 1, first)):
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _find(source: str) -> Iterator[CommentedCode]:
    lines = _split_lines(source)
    if not lines or "#" not in source:
        return
    comments, first_code = _full_line_comments(lines)
    runs = list(_runs(comments))
    licence = _licence_runs(runs, first_code)
    for run in runs:
        if id(run) in licence:
            continue
        for first, last in _code_in_run(run):
            start, end = run[first].line, run[last].line
            yield CommentedCode(start, end, tuple(lines[start - 1 : end]))
