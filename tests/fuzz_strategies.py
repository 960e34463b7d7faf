"""Hypothesis strategies for the fuzz tests in ``tests/test_fuzz.py``.

Two kinds of input:

- ``programs()`` / ``node_programs()``: random valid programs from hypothesmith
  (filtered to what ``compile()`` accepts), with no codemod pattern spliced in;
  ``programs_around(name)`` puts one next to a spliced case.
- ``CASES[name]()``: a random module (or requirements file) of ordinary code with
  one instance of a codemod's pattern spliced in. The surrounding code varies
  its imports, statements, nesting, prose comments, indentation unit, line
  endings, BOM and final newline; the pattern varies its import style, spelling,
  spacing, parentheses, comments and the construct it sits in (functions,
  methods, class bodies, lambdas, comprehensions, default arguments,
  decorators, f-strings ...). Each ``Case`` remembers which of its lines are
  the pattern's, so a test can check that everything else came back
  byte-identical, and it can rebuild itself without the pattern.

Strategies build the class of code each codemod documents, not its examples:
every choice is drawn independently, so a case is a combination the examples
never show. Some cases splice a near miss instead (a different value, a
documented refusal): those must come back unchanged.

Generated text uses ``\\n`` internally; ``Case.data`` applies the case's line
ending and BOM when it encodes.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

import hypothesmith
from hypothesis import strategies as st

Draw = Callable[..., Any]

HAS_UTC = sys.version_info >= (3, 11)  # `from datetime import UTC`
TIMESTAMP_HELPER = "app.clock:get_timestamp"

# Line tags: how the outside-text property treats each line of a case.
KEEP = "keep"  # outside the pattern: must come back byte-identical, in order
PATTERN = "pattern"  # the pattern's own lines: may change, go, or become many
HEADER_PATTERN = "header-pattern"  # an import the pattern needs (top of the file): may go
ONE = "one"  # a requirements line the codemod may edit (but not split or drop)


@dataclass(frozen=True)
class Case:
    """One generated input file and what is known about it."""

    codemod: str  # whose pattern is spliced in
    path: str
    config: Mapping[str, Mapping[str, Any]]
    lines: tuple[tuple[str, str], ...]  # (text without line ending, tag)
    header_end: int = 0  # lines[:header_end] are the top-of-file header (imports may come and go there)
    newline: str = "\n"
    bom: bool = False
    final_newline: bool = True
    expect_change: bool | None = True  # False: a near miss that must come back unchanged; None: either
    kept_comments: tuple[str, ...] = ()  # comments on the pattern's lines that must survive
    description: str = ""  # what was spliced, for failure messages
    exact: bool = False  # the output must be the input without the pattern's lines (a pure deletion)

    @property
    def python(self) -> bool:
        return self.path.endswith(".py")

    def text(self, with_pattern: bool = True) -> str:
        kept = [t for t, tag in self.lines if with_pattern or tag not in (PATTERN, HEADER_PATTERN, ONE)]
        body = self.newline.join(kept)
        return body + self.newline if self.final_newline and kept else body

    @property
    def data(self) -> bytes:
        return encode(self.text(), self.bom)

    @property
    def plain(self) -> bytes:
        """The same file without the spliced pattern (and its imports)."""
        return encode(self.text(with_pattern=False), self.bom)

    @property
    def deleted(self) -> bytes:
        """The input with the pattern's lines deleted and every other byte kept."""
        kept = [(t, tag) for t, tag in self.lines if tag not in (PATTERN, HEADER_PATTERN)]
        ends_open = not self.final_newline and bool(self.lines) and self.lines[-1][1] == KEEP
        text = "".join(t + self.newline for t, _ in kept)
        return encode(text[: -len(self.newline)] if ends_open and kept else text, self.bom)

    def explain(self) -> str:
        return f"{self.codemod} case at {self.path}: {self.description}"


def without_open_blank_tail(lines: list[tuple[str, str]], final_newline: bool) -> list[tuple[str, str]]:
    """Without a final newline, an empty last line is no line at all: drop it so the
    lines a case lists are the lines its text has."""
    while not final_newline and lines and lines[-1][0] == "":
        lines = lines[:-1]
    return lines


def encode(text: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


# -- small pieces ------------------------------------------------------------------
WS = st.sampled_from(["", "", " ", " ", "  ", "\t"])  # inside expressions
PROSE = [
    "keep this one", "TODO: tidy this up later", "Note: see the README", "the exchange wants milliseconds",
    "why not?", "fmt: skip", "pylint: disable=invalid-name", "see issue 42 for the details", "a naïve café note",
    "type: ignore", "-- a separator --", "unicode → arrows ✓",
]


def fill(draw: Draw, template: str, **values: str) -> str:
    """Replace ``{KEY}`` placeholders literally, then each ``{s}`` by random spacing."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    parts = template.split("{s}")
    return parts[0] + "".join(draw(WS) + part for part in parts[1:])


class Names:
    """Unique numbers for names and comments within one case."""

    def __init__(self) -> None:
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def prose(draw: Draw, names: Names) -> str:
    """A prose comment (unique, never code, never a pragma the codemods honour)."""
    return f"# {draw(st.sampled_from(PROSE))} (n{names.next()})"


def maybe_tail(draw: Draw, names: Names) -> str:
    return (draw(st.sampled_from(["  ", " ", "    "])) + prose(draw, names)) if draw(st.booleans()) else ""


# -- ordinary surrounding code -----------------------------------------------------
@dataclass(frozen=True)
class Use:
    """An import and an expression that uses everything it binds."""

    line: str
    binds: frozenset[str]
    expr: str


def _use(line: str, expr: str, *binds: str) -> Use:
    return Use(line, frozenset(binds), expr)


USES = [
    _use("import os", "os.sep", "os"),
    _use("import os.path", "os.path.join('a', 'b')", "os"),
    _use("import json", "json.dumps({'a': 1})", "json"),
    _use("from pathlib import Path", "Path('data')", "Path"),
    _use("import logging", "logging.getLogger(__name__)", "logging"),
    _use("from collections import OrderedDict, defaultdict", "(OrderedDict(), defaultdict(list))", "OrderedDict", "defaultdict"),
    _use("import collections as col", "col.Counter('abc')", "col"),
    _use("from os import path as osp", "osp.basename('a/b')", "osp"),
    _use("import typing", "typing.cast(int, 1)", "typing"),
    _use("from typing import Any, Optional", "Optional[Any]", "Any", "Optional"),
    _use("import time", "time.sleep(0)", "time"),
    _use("import time", "time.monotonic()", "time"),
    _use("import math", "math.pi * 2", "math"),
    _use("from math import floor", "floor(2.5)", "floor"),
    _use("from decimal import Decimal", "Decimal('1.5')", "Decimal"),
    _use("import asyncio", "asyncio.get_event_loop_policy()", "asyncio"),
    _use("import random", "random.random()", "random"),
    _use("import re", "re.compile('a+')", "re"),
    _use("import sys", "sys.argv[:1]", "sys"),
    _use("import datetime as dt", "dt.date(2024, 1, 2)", "dt"),
    _use("from datetime import datetime", "datetime(2024, 1, 2).isoformat()", "datetime"),
    _use("import functools", "functools.partial(print, 1)", "functools"),
]

# Top-level blocks of ordinary code. `{E}` is an expression (a use of an import,
# or a literal), `{N}` a unique number, `{C}` an optional trailing comment.
# A line `<<F>>` / `<<M>>` / `<<C>>` is a slot: a place in a function body, a
# method body or a class body where a pattern may go (the line itself is dropped).
BLOCKS = [
    ["value_{N} = {E}{C}"],
    ["value_{N}: object = {E}{C}"],
    ["def func_{N}(a, b=2):", "    total = a + b{C}", "    <<F>>", "    result_{N} = {E}", "    return total, result_{N}"],
    ["def walk_{N}(items):", "    found = []", "    for item in items:", "        <<F>>", "        found.append(item){C}", "    return found, {E}"],
    ["async def fetch_{N}(client):", "    data = await client.read()", "    <<F>>", "    return data, {E}"],
    [
        "class Thing{N}:", '    """A thing."""', "", "    limit = {E}{C}", "    <<C>>", "",
        "    def method(self, x):", "        y = x + 1", "        <<M>>", "        return y",
    ],
    [
        "class Holder{N}(object):", "    <<C>>", "    def __init__(self):", "        self.items = [{E}]", "        <<M>>",
        "", "    @property", "    def size(self):{C}", "        return len(self.items)",
    ],
    ['if __name__ == "__main__":', "    print({E}){C}"],
    ["try:", "    value_{N} = int('3')", "except ValueError:{C}", "    value_{N} = {E}"],
    ["square_{N} = lambda x: (x * x, {E})"],
    ["table_{N} = {n: {E} for n in range(3)}{C}"],
    ['label_{N} = f"{{E}}"{C}'],
    ["settings_{N} = dict(", "    name='bot',{C}", "    extra={E},", ")"],
    ["NOTE_{N} = ('# x = compute() is not a comment', {E})"],
    ['def doc_{N}():', '    """Run it.', '', '    x = compute()  # prose, inside a docstring', '    """', "    <<F>>", '    return {E}'],
    ["def read_{N}(path):", "    with open(path) as handle:", "        <<F>>", "        text = handle.read()", "    return text, {E}"],
    ["count_{N} = 0", "while count_{N} < 3:{C}", "    count_{N} += 1", "print({E})"],
]
LITERALS = ["1", "'text'", "[1, 2, 3]", "None", "{'k': (1, 2)}", "3.5", "b'raw'", "-7"]
SLOT = re.compile(r"^(\s*)<<([FMC])>>$")
SLOT_KIND = {"F": "function", "M": "method", "C": "class"}


@dataclass(frozen=True)
class HeaderExtra:
    """Statements found among a module's imports (kept as they are, each name used)."""

    lines: tuple[str, ...]
    binds: frozenset[str]


HEADER_EXTRAS = [
    HeaderExtra(("import sys", "sys.path.insert(0, '.')"), frozenset({"sys"})),
    HeaderExtra(("try:", "    import ujson as fast_json", "except ImportError:", "    fast_json = None"), frozenset({"fast_json"})),
    HeaderExtra(
        ("from typing import TYPE_CHECKING", "if TYPE_CHECKING:", "    from decimal import Context",
         "CONTEXT: 'Context | None' = None"),
        frozenset({"TYPE_CHECKING", "Context"}),
    ),
    HeaderExtra(("__version__ = '1.0'",), frozenset({"__version__"})),
    HeaderExtra(("__all__ = ['value_1', 'Thing2']",), frozenset({"__all__"})),
]


@dataclass
class Block:
    lines: list[str]
    slots: list[tuple[int, str, str]] = field(default_factory=list)  # (line index, indent, kind)


def _block(draw: Draw, template: list[str], expr: str, names: Names) -> Block:
    number = str(names.next())
    block = Block([])
    for raw in template:
        slot = SLOT.match(raw)
        if slot:
            block.slots.append((len(block.lines), slot.group(1), SLOT_KIND[slot.group(2)]))
            continue
        comment = maybe_tail(draw, names) if "{C}" in raw else ""
        block.lines.append(raw.replace("{N}", number).replace("{E}", expr).replace("{C}", comment))
    return block


@dataclass
class Surrounding:
    uses: list[Use]
    blocks: list[Block]


@st.composite
def surroundings(draw: Draw, names: Names, need: str, avoid: frozenset[str] = frozenset()) -> Surrounding:
    """Imports, each used, and blocks of ordinary code; at least one slot of kind ``need``."""
    uses: list[Use] = []
    taken = set(avoid)
    for use in draw(st.lists(st.sampled_from(USES), max_size=4)):
        if not use.binds & taken:
            uses.append(use)
            taken |= use.binds
    exprs = [u.expr for u in uses] + [draw(st.sampled_from(LITERALS)) for _ in range(draw(st.integers(0, 3)))]
    exprs = draw(st.permutations(exprs))
    blocks = [_block(draw, draw(st.sampled_from(BLOCKS)), e, names) for e in exprs]
    if need != "module" and not any(kind == need for b in blocks for _, _, kind in b.slots):
        hosts = [t for t in BLOCKS if any(SLOT.match(line) and SLOT_KIND[SLOT.match(line).group(2)] == need for line in t)]  # type: ignore[union-attr]
        host = _block(draw, draw(st.sampled_from(hosts)), draw(st.sampled_from(LITERALS)), names)
        blocks.insert(draw(st.integers(0, len(blocks))), host)
    return Surrounding(uses, blocks)


# -- assembling a case ------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """A spliced pattern: its lines (indented as at module level), the imports it needs."""

    lines: tuple[str, ...]
    imports: tuple[str, ...] = ()
    binds: frozenset[str] = frozenset()  # names the pattern and its imports bind
    expect_change: bool | None = True
    kept_comments: tuple[str, ...] = ()
    description: str = ""
    head: bool = False  # the pattern is import lines at the top of the file
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # codemod options it needs
    uses: tuple[str, ...] = ()  # module-level statements outside the pattern that the pattern's imports need
    after_prose: bool = True  # may touch a prose comment line (False: they would be judged together)
    comment_block: bool = False  # full-line comments: kept apart from the header's comment lines
    exact: bool = False  # the rewrite deletes exactly the pattern's lines: the output is the input without them


INDENT_UNITS = ["    ", "    ", "  ", "\t"]


def reindent(line: str, unit: str) -> str:
    """Re-indent a line written with 4-space levels in ``unit``."""
    stripped = line.lstrip(" ")
    levels = (len(line) - len(stripped)) // 4
    return unit * levels + " " * ((len(line) - len(stripped)) % 4) + stripped


@st.composite
def python_case(
    draw: Draw,
    codemod: str,
    piece_for: Callable[[Draw, str, Names], Piece],
    places: Sequence[str],
    config: Mapping[str, Mapping[str, Any]],
    path: str = "pkg/mod.py",
) -> Case:
    """A module of ordinary code with the piece ``piece_for(draw, place, names)`` spliced in."""
    names = Names()
    place = draw(st.sampled_from(list(places)))
    piece = piece_for(draw, place, names)
    surround = draw(surroundings(names, "module" if place == "head" else place, piece.binds))
    unit = draw(st.sampled_from(INDENT_UNITS))

    header: list[tuple[str, str]] = []
    if draw(st.integers(0, 5)) == 0:
        header.append(("#!/usr/bin/env python3", KEEP))
    if draw(st.integers(0, 5)) == 0:
        header.append(("# -*- coding: utf-8 -*-", KEEP))
    docstring = draw(st.sampled_from([None, None, '"""Tools for the bot."""', '"""Tools for the bot.\n\nMore text.\n"""']))
    if docstring:
        header += [(line, KEEP) for line in docstring.split("\n")]
    if draw(st.integers(0, 3)) == 0:
        header.append(("from __future__ import annotations", KEEP))
    imports = [(u.line, KEEP) for u in surround.uses]
    own = {u.line for u in surround.uses}
    imports += [(line, HEADER_PATTERN) for line in dict.fromkeys(piece.imports) if line not in own]
    bound = {name for u in surround.uses for name in u.binds} | piece.binds
    extras = [e for e in HEADER_EXTRAS if not e.binds & bound]
    for extra in draw(st.lists(st.sampled_from(extras), max_size=2, unique_by=lambda e: e.lines)) if extras else []:
        imports.insert(draw(st.integers(0, len(imports))), ("\n".join(extra.lines), KEEP))
    if piece.head:  # the pattern is a block of imports: at the top, among the others
        at = draw(st.integers(0, len(imports)))
        imports[at:at] = [(line, HEADER_PATTERN) for line in piece.lines]
        header += imports
    else:
        header += list(draw(st.permutations(imports)))
    header += [("", KEEP)] * draw(st.integers(0, 2))

    if piece.uses:  # statements of their own, outside the pattern (they stay as they are)
        uses = Block([part for use in piece.uses for part in use.split("\n")])
        surround.blocks.insert(draw(st.integers(0, len(surround.blocks))), uses)
    body: list[tuple[str, str]] = []
    pattern = [(line, PATTERN) for line in piece.lines] if not piece.head else []
    if not piece.after_prose and place == "module":
        pattern.append(("", KEEP))  # no prose comment right below it either
    module_slots = len(surround.blocks)
    where = draw(st.integers(0, module_slots)) if place == "module" else None
    candidates = [(b, s) for b, block in enumerate(surround.blocks) for s in block.slots if s[2] == place]
    host = draw(st.sampled_from(candidates)) if candidates and place not in ("module", "head") else None
    for index, block in enumerate(surround.blocks):
        if where == index:
            body += _spaced(draw, names, pattern, "", piece.after_prose)
        lines = [(line, KEEP) for line in block.lines]
        if host is not None and host[0] == index:
            at, indent, _ = host[1]
            inserted = [(indent + line if line else line, tag) for line, tag in pattern]
            lines[at:at] = inserted
        body += _spaced(draw, names, lines, "")
    if where == module_slots:
        body += _spaced(draw, names, pattern, "", piece.after_prose)
    while body and not body[0][0].strip() and body[0][1] == KEEP:
        body.pop(0)  # blank lines right after the header belong to it
    if piece.comment_block and header and header[-1][0].startswith("#"):
        header.append(("", KEEP))  # a shebang or cookie line would join the block's run of comments
    # A pattern that spans lines carries "\n" inside: split, keeping each piece's tag.
    header = [(reindent(part, unit), tag) for line, tag in header for part in line.split("\n")]
    body = [(reindent(part, unit), tag) for line, tag in body for part in line.split("\n")]
    flat = header + body
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    final_newline = draw(st.integers(0, 4)) > 0
    flat = without_open_blank_tail(flat, final_newline)
    return Case(
        codemod=codemod,
        path=path,
        config={**config, **piece.config},
        lines=tuple(flat),
        header_end=len(header),
        newline=newline,
        bom=draw(st.integers(0, 5)) == 0,
        final_newline=final_newline,
        expect_change=piece.expect_change,
        kept_comments=piece.kept_comments,
        description=f"{piece.description} [{place}]",
        exact=piece.exact,
    )


def _spaced(
    draw: Draw, names: Names, lines: list[tuple[str, str]], indent: str, prose_ok: bool = True
) -> list[tuple[str, str]]:
    """A block preceded by 0-2 blank lines and maybe a prose comment line."""
    if not lines:
        return []
    out: list[tuple[str, str]] = [("", KEEP)] * draw(st.integers(0, 2))
    if draw(st.integers(0, 3)) == 0 and prose_ok:
        out.append((indent + prose(draw, names), KEEP))
    return out + lines


# -- hypothesmith programs --------------------------------------------------------
def compiles(source: str) -> bool:
    try:
        source.encode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeEncodeError, RecursionError, MemoryError, OverflowError):
        return False
    return True


@lru_cache(maxsize=None)
def programs() -> st.SearchStrategy[str]:
    """Random programs from Python's grammar that compile (hypothesmith).

    Cached: building the grammar strategy costs about a second.
    """
    return hypothesmith.from_grammar().filter(compiles)


@lru_cache(maxsize=None)
def node_programs() -> st.SearchStrategy[str]:
    """Random programs built from libcst nodes (slower; more statements and imports)."""
    return hypothesmith.from_node().filter(compiles)


# -- timestamp -----------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    """An import style of `time`/`datetime` and the clock spellings it allows (``{s}``: spacing)."""

    imports: tuple[str, ...]
    binds: frozenset[str]
    seconds: tuple[str, ...] = ()  # float UTC epoch seconds, "now"
    ns: tuple[str, ...] = ()  # int UTC epoch nanoseconds, "now"
    monotonic: tuple[str, ...] = ()  # other clocks
    naive: tuple[str, ...] = ()  # naive local "now" datetimes
    utcnow: tuple[str, ...] = ()  # naive UTC "now" datetimes (a likely bug: reported)


def _clock(imports: str | tuple[str, ...], binds: str, **spellings: tuple[str, ...]) -> Clock:
    return Clock((imports,) if isinstance(imports, str) else imports, frozenset(binds.split()), **spellings)


CLOCKS = [
    _clock("import time", "time", seconds=("time.time()", "time{s}.{s}time({s})"), ns=("time.time_ns()",),
           monotonic=("time.monotonic()", "time.perf_counter()")),
    _clock("import time as t", "t", seconds=("t.time()",), ns=("t.time_ns({s})",), monotonic=("t.monotonic()",)),
    _clock("import time as clock", "clock", seconds=("clock.time()",), ns=("clock.time_ns()",)),
    _clock("from time import time", "time", seconds=("time()", "time{s}()")),
    _clock("from time import time as now", "now", seconds=("now()",)),
    _clock("from time import time_ns", "time_ns", ns=("time_ns()",)),
    _clock("from time import monotonic, time_ns as ns_now", "monotonic ns_now", ns=("ns_now()",), monotonic=("monotonic()",)),
    _clock("from time import (time as wall,\n    perf_counter)", "wall perf_counter", seconds=("wall()",), monotonic=("perf_counter()",)),
    _clock(
        "import datetime", "datetime",
        seconds=("datetime.datetime.now({s}datetime.timezone.utc{s}).timestamp()",
                 "datetime.datetime.now(tz{s}={s}datetime.timezone.utc).timestamp({s})"),
        naive=("datetime.datetime.now()",), utcnow=("datetime.datetime.utcnow()",),
    ),
    _clock(
        "import datetime as dt", "dt",
        seconds=("dt.datetime.now(dt.timezone.utc).timestamp()", "dt.datetime.now().astimezone().timestamp()"),
        naive=("dt.datetime.now()",), utcnow=("dt.datetime.utcnow()",),
    ),
    _clock(
        "from datetime import datetime, timezone", "datetime timezone",
        seconds=("datetime.now(timezone.utc).timestamp()", "datetime.now(tz=timezone.utc).timestamp()",
                 "datetime.utcnow().replace(tzinfo=timezone.utc).timestamp()",
                 "datetime.now(timezone.utc).astimezone().timestamp()"),
        naive=("datetime.now()",), utcnow=("datetime.utcnow()",),
    ),
    _clock("from datetime import datetime as DateTime, timezone as tz", "DateTime tz",
           seconds=("DateTime.now(tz.utc).timestamp()",), naive=("DateTime.now()",)),
    _clock(("from datetime import datetime", "from zoneinfo import ZoneInfo"), "datetime ZoneInfo",
           seconds=("datetime.now(ZoneInfo('Europe/Paris')).timestamp()",), naive=("datetime.now()",)),
]
if HAS_UTC:
    CLOCKS.append(_clock("from datetime import UTC, datetime", "UTC datetime",
                         seconds=("datetime.now(UTC).timestamp()", "datetime.now({s}tz{s}={s}UTC{s}).timestamp()"),
                         naive=("datetime.now()",), utcnow=("datetime.utcnow()",)))

MULTIPLIERS = ["1000", "1000", "1_000", "1e3", "1E3", "1000.0", "10**3", "10 ** 3"]
DIVISORS = ["1_000_000", "1000000", "10**6", "10 ** 6", "0xF4240"]
K = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(0, 10**9).map(lambda k: f"{k:_}"),
    st.integers(0, 255).map(hex),
    st.sampled_from(["60 * 1000", "5 * 60_000", "-5", "3_600_000"]),
)
# (template, is an atom: needs no parentheses as an operand). {T} seconds, {N} ns,
# {M} a spelling of 1000, {D} of 10**6, {K} a small int literal, {n} maybe a line break.
TS_MUST_SECONDS = [
    ("int({s}{T}{s}*{s}{M}{s})", True),
    ("int({s}{M}{s}*{s}{T}{s})", True),
    ("int({n}{T} * {M}{n})", True),
    ("int({T}{s}*{s}{M}{s}+{s}{K})", True),
    ("int({T} * {M} - {K})", True),
    ("int({T} * {M} + len(queue))", True),
    ("(int({T}*{M}))", True),
    ("math.floor({T} * {M})", True),
    ("math.trunc({s}{T} * {M}{s})", True),
]
TS_MUST_NS = [
    ("{N}{s}//{s}{D}", False),
    ("int({N} // {D})", True),
    ("({N} // {D})", True),
]
TS_NOT_SECONDS = [
    "{T} * {M}", "int({T})", "int({T}) * 1000", "int({T} * 1_000_000)", "int({T} * 100)", "round({T} * {M})",
    "int({T} * {M} + offset)", "int({T} * {M} - int(offset))", "int({T} * {M} * 2)", "int({T} * 1000 + 10**12)",
    "int({T} * 1000 // 1)",
]
TS_NOT_NS = ["int({N} / 1e6)", "{N} // 1000", "-{N} // 1_000_000", "2 * {N} // 1_000_000", "{N} // 1e6", "{N} / 1_000_000"]

# Where an expression goes. {E}: the expression as written, {A}: as an operand
# (parenthesised unless an atom), {i}: a unique number. `one_line` contexts
# cannot take a line break inside the expression (f-strings before 3.12).
TS_MODULE_CONTEXTS = [
    ("stamp_{i} = {E}", False), ("stamp_{i}: int = {E}", False), ("stamp_{i} = [{E} for _ in range(2)]", False),
    ("stamp_{i} = {'ts':{s}{E}, 'n': 1}", False), ("stamp_{i} = lambda: {E}", False),
    ("stamp_{i} = lambda n=1: ({E}, n)", False), ("stamp_{i} = {E} - 60_000", False),
    ("stamp_{i} = ({E}{s}+{s}5){s}*{s}2", False), ("stamp_{i} = 2 * {A}", False), ("stamp_{i} = -{A}", False),
    ("stamp_{i} = str({s}{E}{s})", False), ("stamp_{i} = max({E},{s}0)", False), ("stamp_{i} = dict(ts={E})", False),
    ('stamp_{i} = f"ts={{E}}"', True), ('stamp_{i} = f"{{E}!r:>20}"', True), ("stamp_{i} = {E} if flag_{i} else 0", False),
    ("stamp_{i} = {A}.bit_length()", False), ("stamp_{i}, other_{i} = {E}, 1", False),
    ("def stamp_{i}(ts={E}):\n    return ts", False), ("@register({E})\ndef stamp_{i}():\n    return 1", False),
    ("class Stamp{i}:\n    created = {E}", False), ("def stamp_{i}():\n    def inner():\n        return {E}\n    return inner()", False),
    ("async def stamp_{i}():\n    return {E}", False), ("print({E}, sep='')", False), ("stamp_{i} = 0 < {E} <= 2**63", False),
    ("stamp_{i} = sorted([3, 1], key=lambda v: v - {A})", False), ("stamp_{i} = {{E}: 'now'}", False),
    ("stamp_{i} = (\n    {E}\n)", False), ("stamp_{i} = \\\n    {E}", False), ("stamp_{i} = {E}; other_{i} = 1", False),
    ("for _ in range(1):\n    stamp_{i} = {E}", False),
]
TS_BODY_CONTEXTS = [
    ("return {E}", False), ("stamp_{i} = {E}\nreturn stamp_{i}", False), ("if {E} > deadline_{i}:\n    pass", False),
    ("assert {E} > 0", False), ("for _ in range({A} % 3):\n    pass", False), ("with open(str({E})) as fh_{i}:\n    pass", False),
    ("try:\n    stamp_{i} = {E}\nexcept Exception:\n    stamp_{i} = 0", False), ("stamp_{i} = (lambda: {E})()", False),
    ("stamp_{i} = [({E}, n) for n in range(2) if n]", False), ("log_{i}.info('%d', {E})", False),
    ("stamp_{i} = {E}; other_{i} = 1", False), ('print(f"{{E}}")', True),
]
TS_METHOD_CONTEXTS = [("self.stamp_{i} = {E}", False), ("return self.scale * {A}", False)]
TS_FREE = frozenset({"register", "queue", "offset", "candle", "FakeClock", "DEBUG", "math"})


def _ts_form(draw: Draw, clock: Clock, must: bool, one_line: bool) -> tuple[str, bool, str]:
    """(expression, is an atom, what it is) of a must-rewrite form or a near miss for ``clock``."""
    values = {"M": draw(st.sampled_from(MULTIPLIERS)), "D": draw(st.sampled_from(DIVISORS)), "K": draw(K)}
    values["n"] = "" if one_line or draw(st.booleans()) else "\n    "
    if clock.seconds:
        values["T"] = fill(draw, draw(st.sampled_from(clock.seconds)))
    if clock.ns:
        values["N"] = fill(draw, draw(st.sampled_from(clock.ns)))
    if must:
        options = (TS_MUST_SECONDS if clock.seconds else []) + (TS_MUST_NS if clock.ns else [])
        template, atom = draw(st.sampled_from(options))
        return fill(draw, template, **values), atom, template
    options = (TS_NOT_SECONDS if clock.seconds else []) + (TS_NOT_NS if clock.ns else [])
    options += [f"int({m}{{s}}*{{s}}1000)" for m in clock.monotonic]
    options += [f"int({d}.timestamp() * 1000)" for d in clock.naive + clock.utcnow]
    options.append("int(candle.timestamp() * 1000)")
    template = draw(st.sampled_from(options))
    return fill(draw, template, **values), False, template


def _ts_context(draw: Draw, place: str, names: Names) -> tuple[str, bool]:
    options = list(TS_MODULE_CONTEXTS) if place in ("module", "class") else list(TS_BODY_CONTEXTS)
    if place == "method":
        options += TS_METHOD_CONTEXTS
    template, one_line = draw(st.sampled_from(options))
    return template.replace("{i}", str(names.next())), one_line


def _place_expr(draw: Draw, context: str, expr: str, atom: bool) -> str:
    return fill(draw, context, E=expr, A=expr if atom else f"({expr})")


def timestamp_piece(draw: Draw, place: str, names: Names) -> Piece:
    clock = draw(st.sampled_from(CLOCKS))
    kind = draw(st.sampled_from(["must"] * 6 + ["not", "selfdoc", "skip", "shadow", "rebound"]))
    if kind == "shadow" and (place not in ("module", "class") or not clock.seconds):
        kind = "not"
    if kind == "rebound" and (place != "module" or not clock.seconds):
        kind = "not"
    context, one_line = _ts_context(draw, place, names)
    if kind in ("must", "not"):
        expr, atom, form = _ts_form(draw, clock, kind == "must", one_line)
        lines = _place_expr(draw, context, expr, atom)
    elif kind == "selfdoc":  # f"{expr=}" prints the expression's own text
        expr, _, form = _ts_form(draw, clock, True, True)
        lines = _place_expr(draw, "print(f'{{E}=}')" if "'" not in expr else 'print(f"{{E}=}")', expr, True)
    elif kind == "skip":
        expr, atom, form = _ts_form(draw, clock, True, True)
        lines = _place_expr(draw, context.split("\n")[0] if "\n" not in context else "stamp_0 = {E}", expr, atom)
        lines = lines.split("\n")[0] + "  # codemods: skip"
    elif kind == "shadow":  # a parameter with the clock's name is not the clock
        expr, atom, form = _ts_form(draw, clock, True, True)
        bound = sorted(clock.binds, key=lambda b: clock.seconds[0].find(b) if b in clock.seconds[0] else 99)[0]
        number = names.next()
        lines = f"def shadowed_{number}({bound}):\n    return {fill(draw, TS_MUST_SECONDS[0][0], T=fill(draw, clock.seconds[0]), M='1000')}"
    else:  # the clock's name rebound at module level: which object it is depends on the run
        bound = sorted(clock.binds, key=lambda b: clock.seconds[0].find(b) if b in clock.seconds[0] else 99)[0]
        expr, atom, form = _ts_form(draw, clock, True, True)
        lines = f"if DEBUG:\n    {bound} = FakeClock()\n" + _place_expr(draw, "stamp_{i} = {E}".replace("{i}", str(names.next())), expr, atom)
    imports = list(clock.imports) + (["import math"] if "math." in lines else [])
    local = place in ("function", "method") and draw(st.integers(0, 3)) == 0
    kept: list[str] = []
    if draw(st.booleans()):  # a comment of its own line above the statement (never inside its brackets)
        comment = prose(draw, names)
        lines = comment + "\n" + lines
        kept.append(comment)
    if draw(st.booleans()) and kind != "skip":  # a comment at the end of the statement
        comment = prose(draw, names)
        lines += draw(st.sampled_from(["  ", " ", "\t"])) + comment
        kept.append(comment)
    if local:
        lines = "\n".join(imports) + "\n" + lines
        imports = []
    return Piece(
        lines=tuple(lines.split("\n")),
        imports=tuple(imports),
        binds=clock.binds | TS_FREE,
        expect_change=kind == "must",
        kept_comments=tuple(kept),
        description=f"{kind}: {form!r} with {clock.imports[0]!r} in {context!r}",
    )


TIMESTAMP_CONFIG = {"timestamp": {"helper": TIMESTAMP_HELPER}}


def timestamp_cases() -> st.SearchStrategy[Case]:
    return python_case("timestamp", timestamp_piece, ["module", "module", "function", "method", "class"], TIMESTAMP_CONFIG)




# -- precision -----------------------------------------------------------------------
@dataclass(frozen=True)
class MathStyle:
    imports: tuple[str, ...]
    floor: str
    ceil: str
    log10: str


MATH_STYLES = [
    MathStyle(("import math",), "math.floor", "math.ceil", "math.log10"),
    MathStyle(("import math as m",), "m.floor", "m.ceil", "m.log10"),
    MathStyle(("from math import floor, ceil, log10",), "floor", "ceil", "log10"),
    MathStyle(("from math import (\n    ceil,\n    floor,\n    log10,\n)",), "floor", "ceil", "log10"),
]
# Rounding cores: (template, rounding mode, needs the math style, float evidence inside).
# {v} the value, {q} the step, {F} floor/ceil by mode, {s} spacing.
PRECISION_CORES = [
    ("{F}({s}{v}{s}/{s}{q}{s}){s}*{s}{q}", "floor ceil", True),
    ("round({v} / {q}) * {q}", "round", False),
    ("({v}{s}//{s}{q}){s}*{s}{q}", "floor", False),
    ("{v} // {q} * {q}", "floor", False),
    ("{v}{s}-{s}{v}{s}%{s}{q}", "floor", False),
    ("{v} - ({v} % {q})", "floor", False),
]
ROUNDINGS = {"ROUND_DOWN": "floor", "ROUND_HALF_UP": "half_up"}


def precision_piece(draw: Draw, place: str, names: Names) -> Piece:
    """A function rounding a value to an exchange step, in one of the documented shapes."""
    number = names.next()
    configured = draw(st.integers(0, 3)) == 0
    name = f"round_step_{number}" if configured else draw(st.sampled_from(["_round_quantity", "_round_price"]))
    value = draw(st.sampled_from(["quantity", "qty", "price", "amount", "value"]))
    step_param = draw(st.sampled_from(["step", "step_size", "tick", "tick_size", "quantum"]))
    method = place == "class"
    params = (["self"] if method else []) + [value]
    annotated = draw(st.booleans())
    body: list[str] = []
    if draw(st.booleans()):
        body.append(f'"""{draw(st.sampled_from(["Floor to the step.", "Round to the exchange filter.", "Step rounding."]))}"""')
    # Where the step comes from: a parameter, an attribute, a filter lookup.
    source = draw(st.sampled_from(["param", "param", "attribute", "lookup"] if method else ["param", "param", "lookup"]))
    if source == "param":
        params.append(step_param + (": float" if annotated else ""))
        step = step_param
    elif source == "attribute":
        step = f"self.{step_param}"
    else:
        params.append("symbol")
        lookup = 'self.filters[symbol]["LOT_SIZE"]' if method else 'FILTERS[symbol]["LOT_SIZE"]'
        body.append(f'{step_param} = float({lookup}["stepSize"])')
        step = step_param
    # What says the value is a float: an annotation or a conversion (the untyped near miss has neither).
    if draw(st.booleans()):
        params[len(["self"] if method else [])] = value + ": float"
    else:
        body.append(f"{value} = float({value})")
    kind = draw(st.sampled_from(["core"] * 5 + ["decimal", "places"] + ["untyped", "epsilon", "not-target", "decimal-kept"]))
    style = draw(st.sampled_from(MATH_STYLES))
    imports: list[str] = []
    mode = ""
    if kind in ("core", "untyped", "not-target", "epsilon"):
        template, modes, uses_math = draw(st.sampled_from(PRECISION_CORES))
        mode = draw(st.sampled_from(modes.split()))
        func = style.floor if mode == "floor" else style.ceil
        core = fill(draw, template, v=value, q=step, F=func)
        if kind == "epsilon":
            core = f"{style.floor}({value} / {step} + 1e-9) * {step}"
            uses_math = True
        if uses_math:
            imports += style.imports
        if kind == "untyped":  # nothing says these are floats: an int would come back as a float
            params = [p.split(":")[0] for p in params]
            body = [line.replace("float(", "(") for line in body if line != f"{value} = float({value})"]
        if draw(st.booleans()) and "log10" not in core and kind == "core":
            # decimal places from the step, and the result rounded to them
            imports += style.imports
            places = draw(st.sampled_from(["precision", "digits", "places"]))
            body.append(f"{places} = int(round(-{style.log10}({step})))")
            if draw(st.booleans()):
                body += [f"if {places} < 0:", f"    {places} = 0"]
            body.append(f"adjusted = {core}")
            body.append(f"return round(adjusted, {places})")
        else:
            body += _precision_return(draw, core, value)
    elif kind == "places":  # ceil/floor(value * 10**places) / 10**places with places from log10
        imports += style.imports
        func = draw(st.sampled_from([style.floor, style.ceil]))
        mode = "floor" if func == style.floor else "ceil"
        body += [f"digits = int(-{style.log10}({step}))", "factor = 10 ** digits", f"return {func}({value} * factor) / factor"]
    else:  # Decimal quantize: float(...) around it, or a Decimal kept (not rewritten)
        rounding = draw(st.sampled_from(sorted(ROUNDINGS)))
        mode = ROUNDINGS[rounding]
        imports.append(f"from decimal import {', '.join(sorted([rounding, 'Decimal']))}")
        quantized = f"Decimal(str({value})).quantize(Decimal(str({step})), rounding={rounding})"
        if kind == "decimal":
            body += _precision_return(draw, f"float({quantized})", value)
        else:
            body.append(f"return {quantized}")
    if kind == "not-target":
        name = f"scale_{number}"
        configured = False
    head = f"{'async ' if draw(st.integers(0, 5)) == 0 else ''}def {name}({', '.join(params)}){' -> float' if draw(st.booleans()) else ''}:"
    kept: list[str] = []
    lines = [head]
    for line in body:
        if draw(st.integers(0, 4)) == 0 and not line.startswith(('"""', "if ")) and not lines[-1].endswith(":"):
            comment = prose(draw, names)
            lines.append("    " + comment)  # a comment of its own line inside the function
            kept.append(comment)
        if draw(st.integers(0, 4)) == 0 and not line.startswith('"""') and not line.endswith(":"):
            comment = prose(draw, names)
            line += "  " + comment  # a comment at the end of a statement the rewrite may remove
            kept.append(comment)
        lines.append("    " + line)
    if draw(st.booleans()):
        comment = prose(draw, names)
        lines[0] += "  " + comment
        kept.append(comment)
    config = {"precision": {"functions": [name]}} if configured else {}
    # Comments of the statements the rewrite removes stay above the call (documented).
    return Piece(
        lines=tuple(lines),
        imports=tuple(imports),
        binds=frozenset({"math", "m", "floor", "ceil", "log10", "Decimal", "ROUND_DOWN", "ROUND_HALF_UP", "FILTERS"}),
        expect_change=kind in ("core", "decimal", "places"),
        kept_comments=tuple(kept),
        description=f"{kind} {mode}: {body[-1]!r}" + (" (configured name)" if configured else ""),
        config=config,
    )


def _precision_return(draw: Draw, expression: str, value: str) -> list[str]:
    style = draw(st.integers(0, 2))
    if style == 0:
        return [f"return {expression}"]
    if style == 1:
        return [f"adjusted = {expression}", "return adjusted"]
    return [f"{value} = {expression}", f"return {value}"]


def precision_cases() -> st.SearchStrategy[Case]:
    return python_case("precision", precision_piece, ["module", "module", "class"], {}, path="bot/trader.py")


# -- retry ---------------------------------------------------------------------------
# (import, sleep call, the tried call using the same import: "" when the import binds only `sleep`)
SYNC_SLEEPS = [("import time", "time.sleep({x})", "{c}.{op}(ts=time.time())"),
               ("import time as t", "t.sleep({x})", "{c}.{op}(deadline=t.monotonic() + 5)"),
               ("from time import sleep", "sleep({x})", ""), ("from time import sleep as nap", "nap({x})", "")]
ASYNC_SLEEPS = [("import asyncio", "await asyncio.sleep({x})", "await asyncio.wait_for({c}.{op}(), 5)"),
                ("import asyncio as aio", "await aio.sleep({x})", "await aio.wait_for({c}.{op}(), timeout=5)"),
                ("from asyncio import sleep", "await sleep({x})", "")]
EXCEPTIONS = ["OSError", "ConnectionError", "(ConnectionError, TimeoutError)", "IOError", "Exception", "(OSError, ValueError)"]
RETRY_NEAR_MISSES = ["jitter", "while-true", "attempt-used", "two-handlers", "bare-except", "waits-after-last", "counter-read"]


def _backoff(draw: Draw, counter: str) -> str:
    base = draw(st.sampled_from(["0.5", "1", "0.1", "2", "1.5", "base_delay"]))
    factor = draw(st.sampled_from(["2", "2", "3", "1.5"]))
    delay = fill(draw, draw(st.sampled_from(["{b}{s}*{s}{f}{s}**{s}{a}", "{b} * ({f} ** {a})"])), b=base, f=factor, a=counter)
    if draw(st.booleans()):
        delay = f"min({delay}, {draw(st.sampled_from(['30', '60', '10.0', 'max_delay']))})"
    return delay


def retry_piece(draw: Draw, place: str, names: Names) -> Piece:
    """A function with a retry loop in one of the documented shapes, or a near miss."""
    number = names.next()
    method = place == "class"
    asynchronous = draw(st.booleans())
    sleep_import, sleep, also = draw(st.sampled_from(ASYNC_SLEEPS if asynchronous else SYNC_SLEEPS))
    imports = [sleep_import]
    aw = "await " if asynchronous else ""
    attempts = draw(st.sampled_from(["3", "4", "5", "retries", "attempts"]))
    params = (["self"] if method else ["client"]) + ([f"{attempts}={draw(st.integers(2, 6))}"] if not attempts.isdigit() else [])
    params += [p for p in ("base_delay=0.5", "max_delay=30") if draw(st.booleans())]
    client = "self.client" if method else "client"
    op = draw(st.sampled_from(["get_balance", "fetch", "ping", "send"]))
    args = draw(st.sampled_from(["", "symbol", "url, timeout=10", "'BTCUSDT'"]))
    if args in ("symbol", "url, timeout=10"):
        params.insert(1, args.split(",")[0])
    call = f"{aw}{client}.{op}({args})"
    # The tried call may use the module that sleeps too (a timeout, a timestamp): its import stays.
    uses_module = bool(also) and draw(st.integers(0, 4)) == 0
    if uses_module:
        call = also.replace("{c}", client).replace("{op}", op)
    loop = draw(st.sampled_from(["for", "for", "while"]))
    counter = draw(st.sampled_from(["attempt", "i", "n", "tries"] if loop == "for" else ["tries", "retries_done", "count"]))
    kind = draw(st.sampled_from(["rewrite"] * 5 + RETRY_NEAR_MISSES))
    body_kind = draw(st.sampled_from(["return", "return", "multi", "break", "break-value"]))
    exc = draw(st.sampled_from(EXCEPTIONS))
    bound = draw(st.booleans())
    before: list[str] = []
    after: list[str] = []
    # the tried block
    if body_kind == "return":
        tried = [f"return {call}"]
    elif body_kind == "multi":
        tried = [f"response = {call}", "response.raise_for_status()", "return response.json()"]
    elif body_kind == "break":
        tried = [call, "break"]
        after.append(f"{client}.close()")
    else:
        before.append("result = None")
        tried = [f"result = {call}", "break"]
        after.append("return result")
    if kind == "attempt-used":  # the operation is told which attempt it is: not one operation retried
        tried[0] = tried[0].replace(call, f"{aw}{client}.{op}({args}{', ' if args else ''}page={counter})")
    # The attempt also counts itself in a name the function declares global or nonlocal.
    side = draw(st.sampled_from(["", "", "", "", "", "", "global", "nonlocal" if place == "module" else "global"]))
    side_name = f"CALLS_{number}" if side == "global" else "calls"
    if side:
        tried.insert(0, draw(st.sampled_from([f"{side_name} += 1", f"{side_name} = {side_name} + 1"])))
    last = f"{attempts} - 1"
    style = draw(st.sampled_from(["guard-sleep", "raise-then-sleep", "else-raise", "delay-variable"]))
    use_breaker = method and draw(st.integers(0, 2)) == 0
    if use_breaker and style == "delay-variable":
        style = "raise-then-sleep"  # a delay grown per failure drifts from attempts the breaker refused (refused)
    handler: list[str] = []
    if bound and draw(st.booleans()):
        handler.append(draw(st.sampled_from([f'print("attempt failed:", {"exc"})', 'logging.warning("failed: %s", exc)'])))
        if "logging" in handler[-1]:
            imports.append("import logging")
    if method and draw(st.integers(0, 2)) == 0:
        handler.append("self.breaker.record_failure()")
    if loop == "while":
        before.append(f"{counter} = 0")
        handler.append(f"{counter} += 1")
        is_last, more = f"{counter} >= {attempts}", f"{counter} < {attempts}"
    else:
        is_last, more = f"{counter} == {last}", f"{counter} < {last}"
    delay = _backoff(draw, counter)
    if style == "delay-variable":
        before.append(f"delay = {draw(st.sampled_from(['1.0', '0.5', '2']))}")
        handler += [f"if {is_last}:", "    raise", sleep.replace("{x}", "delay")]
        handler.append(draw(st.sampled_from(["delay *= 2", "delay = delay * 3", "delay = min(delay * 2, 10)"])))
    elif style == "raise-then-sleep":
        handler += [f"if {is_last}:", "    raise", sleep.replace("{x}", delay)]
    elif style == "else-raise":
        handler += [f"if {more}:", "    " + sleep.replace("{x}", delay), "else:", "    raise"]
    else:
        handler += [f"if {more}:", "    " + sleep.replace("{x}", delay)]
        if body_kind in ("return", "multi"):
            after.append(draw(st.sampled_from(["return None", "return False", 'raise RuntimeError("gave up")'])))
    if use_breaker and body_kind in ("return", "multi") and not after:
        after.append("return None")  # the last attempt may be refused: the loop can end without raising
    if kind == "waits-after-last":
        handler = [line for line in handler if not line.startswith(("if ", "    raise", "else:"))]
        handler = [line.strip() for line in handler]
        handler = [line for line in handler if line != "raise"]
        if body_kind in ("return", "multi") and not after:
            after.append("return None")
    if kind == "jitter":
        imports.append("import random")
        call_start = sleep.split("{x}")[0]
        handler = [line.replace(delay, f"random.uniform(0, 2 ** {counter})") if call_start in line else line for line in handler]
        if "delay" in "".join(handler) and style == "delay-variable":
            handler = [line.replace("(delay)", "(delay + random.random())") for line in handler]
    if kind == "counter-read":
        if loop == "for":
            after = [f"print('attempts used', {counter})", *after]
        else:
            after = [f"print({counter})", *after]
        if not after or not after[-1].startswith(("return", "raise")):
            after.append("return None")
    header = f"for {counter} in range({attempts}):" if loop == "for" else f"while {counter} < {attempts}:"
    if kind == "while-true":
        header = "while True:"
    breaker: list[str] = []
    if use_breaker:
        breaker = ["ok, why = self.breaker.can_proceed()", "if not ok:",
                   "    " + sleep.replace("{x}", "min(self.breaker.get_retry_after() + 1, 30)"), "    continue"]
        if loop == "while":  # a refused attempt counts as one
            breaker.insert(3, f"    {counter} += 1")
    clause = f"except {exc}{' as exc' if bound else ''}:"
    if "exc" in "".join(handler) and not bound:
        clause = f"except {exc} as exc:"
    if kind == "bare-except":
        clause = "except:"
    extra: list[str] = []
    if kind == "two-handlers":
        extra = ["except KeyError:", "    " + sleep.replace("{x}", "10")]
    lines = [f"{'async ' if asynchronous else ''}def {draw(st.sampled_from(['fetch', 'connect', 'submit', 'download']))}_{number}({', '.join(params)}):"]
    if draw(st.booleans()):
        lines.append('    """Try a few times."""')
    if side:
        lines.append(f"    {side} {side_name}")
    lines += ["    " + line for line in before]
    lines.append("    " + header)
    lines += ["        " + line for line in breaker]
    lines += ["        try:", *("            " + line for line in tried), "        " + clause]
    lines += ["            " + line for line in handler] + ["        " + line for line in extra]
    lines += ["    " + line for line in after]
    if side == "nonlocal":  # the retrying function is nested in the one that owns the counter
        lines = [f"def outer_{number}():", "    calls = 0", *("    " + line for line in lines), "    return calls"]
    kept: list[str] = []
    if draw(st.booleans()):
        comment = prose(draw, names)
        lines[0] += "  " + comment
        kept.append(comment)
    commented = _comment_tried_block(draw, names, lines)
    if len([t for t in tried if t != "break"]) > 1:
        # a tried block of several statements becomes `_attempt`, comments and all; one plain
        # call becomes the operation itself, and its comments go with the loop (README: retry)
        kept += commented
    if kind == "rewrite" and draw(st.integers(0, 3)) == 0:
        # a comment on its own line inside the loop (on its machinery: it may go with it)
        at = draw(st.integers(2, len(lines) - 1))
        indent = re.match(r"\s*", lines[at]).group(0)  # type: ignore[union-attr]
        lines.insert(at, indent + prose(draw, names))
    return Piece(
        lines=tuple(lines),
        imports=tuple(imports),
        binds=frozenset({"time", "t", "sleep", "nap", "asyncio", "aio", "random", "logging", "retry_with_backoff",
                         "retry_with_backoff_sync", "RetryExhausted"}),
        # A counter declared global/nonlocal and set by the attempt would turn local in `_attempt`: refused.
        expect_change=kind == "rewrite" and not side,
        kept_comments=tuple(kept),
        description=f"{kind}: {loop} loop, {style}, body {body_kind}, {sleep_import!r}"
        + (f", counts in a {side} name" if side else "") + (", the tried call uses the sleep's module" if uses_module else ""),
    )


def _comment_tried_block(draw: Draw, names: Names, lines: list[str]) -> list[str]:
    """Comments in the tried block: returns them."""
    start = next(i for i, line in enumerate(lines) if line.strip() == "try:") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].lstrip().startswith("except"))
    kept = []
    for index in reversed(range(start, end)):
        if lines[index].strip() in ("break",) or draw(st.integers(0, 3)) != 0:
            continue
        comment = prose(draw, names)
        lines[index] += "  " + comment
        kept.append(comment)
    if draw(st.integers(0, 3)) == 0:
        comment = prose(draw, names)
        lines.insert(start, re.match(r"\s*", lines[start]).group(0) + comment)  # type: ignore[union-attr]
        kept.append(comment)
    return kept


def retry_cases() -> st.SearchStrategy[Case]:
    return python_case("retry", retry_piece, ["module", "module", "class"], {}, path="bot/net.py")


# -- remove-commented-code ---------------------------------------------------------------
COMMENTED_CODE = [
    ["value = compute()"], ["print(value)"], ["import pdb; pdb.set_trace()"], ["return None"], ["self.cache.clear()"],
    ["result = [n for n in range(3)]"], ["if retry:", "    retry()"], ["for item in items:", "    total += item.price"],
    ["logger.debug(", "    'loaded %s', path,", ")"], ["del cache[key]"], ["raise ValueError('bad input')"],
    ["total += 1"], ["time.sleep(1)"], ["from os import path"], ["def helper(a):", "    return a * 2"],
    ["while not done:", "    done = step()"], ["try:", "    run()", "except Exception:", "    pass"],
    ["assert ready, 'not ready'"], ["data = json.loads(text)"], ["client.send(payload, timeout=5)"],
    ["x, y = y, x"], ["with lock:", "    counter += 1"], ["if ready:", "    go()", "elif late:", "    wait()", "else:", "    stop()"],
    ["for item in items:", "    use(item)", "else:", "    done()"], ["try:", "    run()", "finally:", "    close()"],
    ["try:", "    run()", "except Exception as exc:", "    log(exc)"], ["class Cache:", "    size = 0"],
    ["@cached", "def load():", "    return read()"], ["async def main():", "    await run()"],
]
# Comments that look like code but are not commented-out code (documented as kept).
COMMENT_NEAR_MISSES = [
    "e.g. {code}", "i.e. {code}", "TODO: {code}", "FIXME {code}", ">>> {code}", "noqa: E501", "type: ignore[attr-defined]",
    "pylint: disable=unused-import", "Usage:\n#     {code}", "see https://example.com/{code}",
]


def commented_code_piece(draw: Draw, place: str, names: Names) -> Piece:
    kind = draw(st.sampled_from(["code"] * 4 + ["near", "inline", "skip"]))
    statements = draw(st.lists(st.sampled_from(COMMENTED_CODE), min_size=1, max_size=3))
    code = [line for statement in statements for line in statement]
    if place == "class":
        code = [line.replace("return None", "value = None") for line in code]
    sep = draw(st.sampled_from(["", " ", " ", "  "]))
    if kind == "code":
        lines = [f"#{sep}{line}" for line in code]
        # Right under a line of prose ("# text"), code whose text starts in another column reads as
        # an example of it (indented) or is judged together with it (not): both are left alone.
        # A commented-out try block is left alone today ("mixed with lines that are not code on
        # their own"); removed or kept, it must go whole (it used to lose only its except half).
        expect = None if "try:" in code else True
        return Piece(lines=tuple(lines), description=f"commented-out code {code!r}", after_prose=sep == " ",
                     exact=True, comment_block=True, expect_change=expect)
    if kind == "near":
        template = draw(st.sampled_from(COMMENT_NEAR_MISSES))
        text = "# " + template.replace("{code}", code[0])
        return Piece(lines=tuple(text.split("\n")), expect_change=False, description=f"near miss {text!r}")
    if kind == "inline":  # a comment after code on the same line is not a commented-out line
        number = names.next()
        text = f"inline_{number} = {number}  #{sep}{code[0]}"
        return Piece(lines=(text,), expect_change=False, description=f"inline {text!r}")
    lines = ["# codemods: skip", *(f"#{sep}{line}" for line in code)]
    return Piece(lines=tuple(lines), expect_change=False, description=f"opted out {code!r}")


def commented_code_cases() -> st.SearchStrategy[Case]:
    return python_case(
        "remove-commented-code", commented_code_piece, ["module", "function", "method", "class"], {}, path="pkg/mod.py"
    )


# -- remove-unused-imports ---------------------------------------------------------------
@dataclass(frozen=True)
class Unused:
    """An import, its bound names and how many of them (the first ``used``) something uses."""

    line: str
    binds: tuple[str, ...]


UNUSED = [
    Unused("import csv", ("csv",)), Unused("import shutil", ("shutil",)), Unused("import base64 as b64", ("b64",)),
    Unused("import xml.etree.ElementTree as ET", ("ET",)), Unused("import email.mime.text", ("email",)),
    Unused("from itertools import chain, islice", ("chain", "islice")),
    Unused("from string import ascii_letters as letters, digits", ("letters", "digits")),
    Unused("from .models import Order, User", ("Order", "User")), Unused("from . import sibling", ("sibling",)),
    Unused("from textwrap import (\n    dedent,\n    indent as indent_text,\n    wrap,\n)", ("dedent", "indent_text", "wrap")),
    Unused("from contextlib import suppress, \\\n    closing", ("suppress", "closing")),
    Unused("import struct, zlib", ("struct", "zlib")),
]
# Ways to use a name; each keeps its import.
USAGES = [
    "used_{i} = {n}", 'used_{i} = f"{{n}}"', "@{n}\ndef used_{i}():\n    pass", "def used_{i}(w={n}):\n    return w",
    "class Used{i}({n}):\n    pass", "used_{i}: {n} = None", "used_{i} = lambda: {n}", "used_{i} = [{n} for _ in ()]",
    "try:\n    pass\nexcept {n}:\n    pass", "used_{i} = {n}.attr", "used_{i} = type({n})", "used_{i} = (w_{i} := {n})",
    "def used_{i}(u: '{n}') -> None:\n    pass", "__all__ = ['{n}']", "print(*{n})",
]


def unused_imports_piece(draw: Draw, place: str, names: Names) -> Piece:
    unused = draw(st.sampled_from(UNUSED))
    kind = draw(st.sampled_from(["unused"] * 4 + ["partly"] * 2 + ["used", "noqa", "reexport", "guarded"]))
    if place != "head":
        kind = draw(st.sampled_from(["unused", "unused", "used"]))
    used = {"unused": 0, "partly": draw(st.integers(1, len(unused.binds))), "used": len(unused.binds)}.get(kind, 0)
    if kind == "partly" and used == len(unused.binds):
        kind = "used"
    line = unused.line
    uses = []
    usages = USAGES if place == "head" else [u for u in USAGES if "__all__" not in u]  # a module's own list
    for name in unused.binds[:used]:
        uses.append(fill(draw, draw(st.sampled_from(usages)), n=name, i=str(names.next())))
    expect = kind in ("unused", "partly")
    if kind == "noqa":  # on the statement's first line, unless a backslash continues it there
        first, _, rest = line.partition("\n")
        line = f"{first}  # noqa\n{rest}" if rest and not first.endswith("\\") else f"{line}  # noqa"
    elif kind == "reexport":
        expect = False
        if line.startswith("import ") and " as " not in line and "," not in line and "." not in line:
            line = f"{line} as {unused.binds[0]}"
        else:
            uses.append("__all__ = [" + ", ".join(repr(b) for b in unused.binds) + "]")
    if place == "head" and kind == "guarded":
        lines = ["try:", *("    " + part for part in line.split("\n")), "except ImportError:", "    pass"]
        return Piece(lines=(), imports=(), uses=tuple(lines), expect_change=False, description=f"guarded {line!r}",
                     binds=frozenset(unused.binds))
    if place == "head":
        return Piece(lines=tuple(line.split("\n")), uses=tuple(uses), binds=frozenset(unused.binds), expect_change=expect,
                     head=True, description=f"{kind} {line!r} ({used} of {len(unused.binds)} names used)")
    body = line.split("\n")
    if place == "module":  # an import in a block of its own: the block gets `pass`
        body = [f"if DEBUG_{names.next()}:", *("    " + part for part in body)]
    # used right after it, or not at all
    lines = body + [u for use in uses for u in use.split("\n")]
    return Piece(lines=tuple(lines), binds=frozenset(unused.binds), expect_change=kind != "used",
                 description=f"{kind} {line!r} in a {place} body")


def unused_imports_cases() -> st.SearchStrategy[Case]:
    return python_case(
        "remove-unused-imports", unused_imports_piece, ["head", "head", "head", "function", "method", "module"], {},
        path="pkg/mod.py",
    )


CASES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "timestamp": timestamp_cases,
    "precision": precision_cases,
    "retry": retry_cases,
    "remove-commented-code": commented_code_cases,
    "remove-unused-imports": unused_imports_cases,
}


# -- pin-requirements ----------------------------------------------------------------------
PACKAGES = ["websockets", "requests", "flask-cors", "python-dateutil", "uvicorn", "pandas", "aiohttp", "zope.interface",
            "ruamel.yaml", "typing_extensions", "numpy", "pyyaml"]
MARKERS = ['python_version < "3.11"', "sys_platform == 'linux'", 'python_version>="3.9" and os_name != "nt"']
EXTRAS = ["standard", "socks", "security,socks"]


def spelling(draw: Draw, name: str) -> str:
    """The name as someone might write it: case, and `-`/`_`/`.` swapped (PEP 503 says they are the same)."""
    parts = re.split(r"[-_.]", name)
    seps = [draw(st.sampled_from(["-", "_", "."])) for _ in parts[1:]]
    written = parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:]))
    return draw(st.sampled_from([written, written, written.upper(), written.title()]))


@st.composite
def requirement_lines(draw: Draw, pins: dict[str, str], mode: str, names: Names) -> list[tuple[str, str, bool]]:
    """(text, tag, pinnable) lines of one requirements file, with `\\n` inside continuations."""
    lines: list[tuple[str, str, bool]] = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["bare"] * 4 + ["pinned", "range", "comment", "blank", "option", "direct", "continued"]))
        package = draw(st.sampled_from(PACKAGES))
        name = spelling(draw, package)
        known = package in pins
        extras = f"[{draw(st.sampled_from(EXTRAS))}]" if draw(st.integers(0, 4)) == 0 else ""
        marker = f"{draw(WS)};{draw(WS)}{draw(st.sampled_from(MARKERS))}" if draw(st.integers(0, 4)) == 0 else ""
        comment = (draw(st.sampled_from([" ", "  ", "    ", "\t"])) + prose(draw, names)) if draw(st.integers(0, 2)) == 0 else ""
        if kind == "bare":
            lines.append((f"{name}{draw(WS)}{extras}{marker}{comment}", ONE if known else KEEP, known))
        elif kind == "pinned":
            lines.append((f"{name}{extras}{draw(WS)}=={draw(WS)}1.0.0{marker}{comment}", KEEP, False))
        elif kind == "range":
            ranged = known and mode == "ranges"
            lines.append((f"{name}{extras}{draw(WS)}>={draw(WS)}0.1{marker}{comment}", ONE if ranged else KEEP, ranged))
        elif kind == "comment":
            lines.append((prose(draw, names), KEEP, False))
        elif kind == "blank":
            lines.append((draw(st.sampled_from(["", "", "   "])), KEEP, False))
        elif kind == "option":
            option = draw(st.sampled_from(["--index-url https://pypi.org/simple", "--extra-index-url https://example.org/simple",
                                           "-e .", "--pre", "--only-binary :all:", "-c constraints.txt"]))
            lines.append((option + comment, KEEP, False))
        elif kind == "direct":
            direct = draw(st.sampled_from([f"git+https://github.com/org/{package}.git#egg={package}",
                                           f"{package} @ https://example.com/{package}-1.0.whl", "./local/pkg"]))
            lines.append((direct + comment, KEEP, False))
        else:  # a requirement continued on the next line
            lines.append((f"{name}{extras} \\\n    ; {draw(st.sampled_from(MARKERS))}", ONE if known else KEEP, known))
    return lines


@st.composite
def requirements_cases(draw: Draw) -> Case:
    names = Names()
    chosen = draw(st.lists(st.sampled_from(PACKAGES), min_size=1, max_size=6, unique=True))
    # pins keyed by any spelling: they are matched by the normalised name
    pins = {spelling(draw, p): draw(st.sampled_from(["14.1", "2.31.0", "1.0", "0.30.1", "2024.1", "3.0.0rc1"])) for p in chosen}
    canonical = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    mode = draw(st.sampled_from(["bare", "bare", "ranges"]))
    lines = draw(requirement_lines({p: canonical[re.sub(r"[-_.]+", "-", p).lower()] for p in chosen}, mode, names))
    kind = draw(st.sampled_from(["pin"] * 5 + ["hashes", "compiled", "skip"]))
    if kind == "hashes":  # hash-checking mode: a pin would need its hashes too
        lines.append(("requests==2.31.0 --hash=sha256:" + "ab" * 32, KEEP, False))
    elif kind == "compiled":
        lines.insert(0, ("# This file is autogenerated by pip-compile with Python 3.11", KEEP, False))
    elif kind == "skip":
        lines = [(t + "  # codemods: skip" if tag == ONE else t, tag, p) for t, tag, p in lines]
    pinnable = any(p for _, _, p in lines)
    expect = pinnable and kind == "pin"
    if kind != "pin" or not pinnable:
        lines = [(t, KEEP, p) for t, _, p in lines]
    flat = [(part, tag if i == 0 else (ONE if tag == ONE else KEEP)) for t, tag, _ in lines for i, part in enumerate(t.split("\n"))]
    final_newline = draw(st.integers(0, 3)) > 0
    flat = without_open_blank_tail(flat, final_newline)
    path = draw(st.sampled_from(["requirements.txt", "requirements-dev.txt", "requirements/prod.txt", "sub/requirements.txt"]))
    return Case(
        codemod="pin-requirements",
        path=path,
        config={"pin-requirements": {"pins": pins, "mode": mode}},
        lines=tuple(flat),
        newline=draw(st.sampled_from(["\n", "\n", "\r\n"])),
        bom=draw(st.integers(0, 5)) == 0,
        final_newline=final_newline,
        expect_change=expect,
        description=f"{kind}, mode {mode}, pins {pins}",
    )


CASES["pin-requirements"] = requirements_cases


@st.composite
def programs_around(draw: Draw, name: str) -> tuple[bytes, Case]:
    """A hypothesmith program with a spliced case before or after it (Python cases only).

    The program brings syntax no template has (odd whitespace, form feeds, mixed
    line endings, walrus, star-expressions ...) around a real rewrite.
    """
    program = draw(programs())
    case = draw(CASES[name]())
    if program and not program.endswith(("\n", "\r")):
        program += case.newline
    text = case.text()
    if draw(st.booleans()) and "__future__" not in text:
        text = program + text.lstrip("\ufeff")
    else:
        text = text + ("" if text.endswith(("\n", "\r")) or not text else case.newline) + program
    if not compiles(text):  # a `from __future__` import no longer first, say
        from hypothesis import reject

        reject()
    return encode(text, case.bom), case
