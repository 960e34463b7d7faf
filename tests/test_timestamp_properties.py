"""Property-based differential tests of the ``timestamp`` codemod.

Hypothesis builds whole small modules by splicing clock expressions into
varied code: every import style of ``time`` and ``datetime`` (plus unrelated
imports, in random order), expression forms that must be rewritten (equal to
UTC epoch milliseconds as an int) and forms that must not be (a different
value or type), placed at module level, in functions, methods, dict literals,
f-strings, call arguments, lambdas and arithmetic, with random whitespace
inside the expressions, random comments between statements, and LF or CRLF
line endings.

Each module goes through ``api.run_source`` (nothing touches the disk) and the
properties checked are:

1. the output parses and a second run changes nothing (idempotence);
2. a module holding only must-not forms comes back unchanged;
3. differential execution: the original and the rewritten module are both
   executed (``app.clock`` is a fake module in ``sys.modules``) and every
   rewritten function returns an int within 5 ms of the original; every
   must-not function is byte-identical in the output and still behaves the same;
   an f-string's ``{expr=}`` self-documenting text is part of the program's
   output and must not change;
4. line endings are preserved (CRLF in, CRLF out; LF in, LF out);
5. every comment in the input survives in the output.
"""

from __future__ import annotations

import ast
import re
import sys
import time as time_module
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from codemods import api
from codemods.models import FileResult, Status

CONFIG = {"timestamp": {"helper": "app.clock:get_timestamp"}}
PATH = "pkg/clockwork.py"
HAS_UTC = sys.version_info >= (3, 11)  # `from datetime import UTC`
TOLERANCE_MS = 5

SETTINGS = dict(
    deadline=None,
    database=None,  # write nothing into the checkout
    # No explain phase: it reruns a failing case a hundred times (15 s here) to say
    # which parts of the input did not matter; the shrunk input says enough.
    phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def run(text: str) -> FileResult:
    return api.run_source(text, PATH, codemods=["timestamp"], config=CONFIG)


# -- import styles ------------------------------------------------------------------
@dataclass(frozen=True)
class Style:
    """One import statement, the names it binds and the clock spellings it allows.

    Spellings are templates: each ``{s}`` becomes random whitespace.
    """

    line: str
    binds: frozenset[str]
    seconds: tuple[str, ...] = ()  # float UTC epoch seconds, "now"
    ns: tuple[str, ...] = ()  # int UTC epoch nanoseconds, "now"
    monotonic: str | None = None  # the `time` module, to call .monotonic()
    naive: str | None = None  # the `datetime` class, to call .now() without tz


STYLES = [
    Style(
        "import time", frozenset({"time"}),
        seconds=("time.time()", "time{s}.{s}time{s}({s})"),
        ns=("time.time_ns()",),
        monotonic="time",
    ),
    Style("import time as t", frozenset({"t"}), seconds=("t.time()",), ns=("t.time_ns({s})",), monotonic="t"),
    Style("from time import time", frozenset({"time"}), seconds=("time()", "time{s}()")),
    Style("from time import time as now", frozenset({"now"}), seconds=("now()", "now({s})")),
    Style("from time import time_ns", frozenset({"time_ns"}), ns=("time_ns()", "time_ns({s})")),
    Style(
        "import datetime", frozenset({"datetime"}),
        seconds=(
            "datetime.datetime.now({s}datetime.timezone.utc{s}).timestamp()",
            "datetime.datetime.now(tz{s}={s}datetime.timezone.utc).timestamp({s})",
        ) + (("datetime.datetime.now(datetime.UTC).timestamp()",) if HAS_UTC else ()),
        naive="datetime.datetime",
    ),
    Style(
        "import datetime as dt", frozenset({"dt"}),
        seconds=(
            "dt.datetime.now(dt.timezone.utc).timestamp()",
            "dt.datetime.now({s}tz=dt.timezone.utc{s}){s}.timestamp()",
        ),
        naive="dt.datetime",
    ),
    Style(
        "from datetime import datetime, timezone", frozenset({"datetime", "timezone"}),
        seconds=("datetime.now(timezone.utc).timestamp()", "datetime.now(tz={s}timezone.utc).timestamp()"),
        naive="datetime",
    ),
]
if HAS_UTC:
    STYLES.append(
        Style(
            "from datetime import datetime, UTC", frozenset({"datetime", "UTC"}),
            seconds=("datetime.now(UTC).timestamp()", "datetime.now({s}tz{s}={s}UTC{s}).timestamp()"),
            naive="datetime",
        )
    )

UNRELATED = ["import os", "import json", "from typing import Any, Optional", "import typing as tp", "import os.path"]

# -- expression forms ---------------------------------------------------------------
# {T}: a seconds spelling, {N}: a nanoseconds spelling, {K}: a small int literal.
MUST_SECONDS = [
    "int({s}{T}{s}*{s}1000{s})",
    "int({s}1000{s}*{s}{T}{s})",
    "int({T}{s}*{s}1e3)",
    "int({T}{s}*{s}10{s}**{s}3)",
    "int({T}{s}*{s}1_000)",
    "int({T}*1000.0)",
    "int({T}{s}*{s}1000{s}+{s}{K})",
    "int({s}{T}{s}*{s}1000{s}-{s}{K}{s})",
]
MUST_NS = [
    "{N}{s}//{s}1_000_000",
    "{N}{s}//{s}10{s}**{s}6",
    "{N}//1000000",
    "int({s}{N}{s}//{s}1_000_000{s})",
]
# (template, parameters the expression needs[, milliseconds per unit of its value])
NOT_SECONDS = [
    ("{T}{s}*{s}1000", ()),  # float ms
    ("int({s}{T}{s})", ()),  # whole seconds
    ("int({T}){s}*{s}1000", ()),  # whole seconds in ms
    ("int({T}{s}*{s}1_000_000)", (), 0.001),  # microseconds
    ("int({T}{s}*{s}1000{s}+{s}x)", ("x",)),  # offset not provably an int
    ("int({T} * 1000 - x)", ("x",)),
    ("round({s}{T}{s}*{s}1000)", ()),  # rounds where the helper truncates
]
NOT_NS = [
    ("int({N}{s}/{s}1e6)", ()),  # true division: float on the way
    ("{N}{s}//{s}1000", (), 0.001),  # microseconds
]
NOT_ALWAYS = [
    ("int(d.timestamp(){s}*{s}1000)", ("d",)),  # some other datetime
    ("int(time.time(){s}*{s}1000)", ("time",)),  # a parameter named `time`
]
NOT_MONOTONIC = ("int({M}.monotonic(){s}*{s}1000)", ())
NOT_NAIVE = ("int({D}.now().timestamp(){s}*{s}1000)", ())  # naive local now

WS = st.sampled_from(["", "", " ", "  ", "\t"])
K = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(0, 10**9).map(lambda k: f"{k:_}"),
    st.integers(0, 255).map(hex),
    st.tuples(st.integers(1, 60), st.sampled_from(["1000", "60_000", "3_600_000"])).map(lambda p: f"{p[0]} * {p[1]}"),
)
WORDS = ["keep", "clock", "why not", "TODO later", "ms since epoch", "time.time() * 1000", "note: UTC"]


def fill(draw: Callable[..., Any], template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    parts = template.split("{s}")
    return parts[0] + "".join(draw(WS) + part for part in parts[1:])


@dataclass(frozen=True)
class Form:
    text: str
    must: bool  # True: must be rewritten to the helper
    params: tuple[str, ...] = ()
    unit_ms: float = 1.0  # what one unit of its value is worth, for comparing two runs


@st.composite
def import_styles(draw: Callable[..., Any]) -> list[Style]:
    """1-4 clock import styles whose bound names do not clash."""
    order = draw(st.permutations(STYLES))
    wanted = draw(st.integers(1, 4))
    chosen: list[Style] = []
    taken: set[str] = set()
    for style in order:
        if len(chosen) < wanted and not (style.binds & taken):
            chosen.append(style)
            taken |= style.binds
    return chosen


def must_form(draw: Callable[..., Any], styles: list[Style]) -> Form:
    seconds = [s for style in styles for s in style.seconds]
    ns = [n for style in styles for n in style.ns]
    templates = (MUST_SECONDS if seconds else []) + (MUST_NS if ns else [])
    template = draw(st.sampled_from(templates))
    values = {"K": draw(K)}
    if "{T}" in template:
        values["T"] = draw(st.sampled_from(seconds))
    if "{N}" in template:
        values["N"] = draw(st.sampled_from(ns))
    return Form(fill(draw, template, **values), must=True)


def not_form(draw: Callable[..., Any], styles: list[Style]) -> Form:
    seconds = [s for style in styles for s in style.seconds]
    ns = [n for style in styles for n in style.ns]
    candidates = list(NOT_ALWAYS)
    if seconds:
        candidates += NOT_SECONDS
    if ns:
        candidates += NOT_NS
    if any(style.monotonic for style in styles):
        candidates.append(NOT_MONOTONIC)
    if any(style.naive for style in styles):
        candidates.append(NOT_NAIVE)
    template, params, *unit = draw(st.sampled_from(candidates))
    values = {}
    if "{T}" in template:
        values["T"] = draw(st.sampled_from(seconds))
    if "{N}" in template:
        values["N"] = draw(st.sampled_from(ns))
    if "{M}" in template:
        values["M"] = draw(st.sampled_from([s.monotonic for s in styles if s.monotonic]))
    if "{D}" in template:
        values["D"] = draw(st.sampled_from([s.naive for s in styles if s.naive]))
    return Form(fill(draw, template, **values), must=False, params=params, unit_ms=unit[0] if unit else 1.0)


# -- contexts -----------------------------------------------------------------------
# Placeholders are replaced literally (not str.format): {X} the expression,
# {P} lambda parameters, {s} random whitespace; other braces are Python's own.
CONTEXTS = {
    "bare": "{X}",
    "dict": "{'ts':{s}{X}, 'n': 1}",
    "fstring": "f'ts={{s}{X}{s}}'",
    "call_arg": "str({s}{X}{s})",
    "call_args": "max({X},{s}0)",
    "lambda": "lambda{P}: {X}",
    "minus": "{X}{s}-{s}60_000",
    "paren_arith": "({X} + 5){s}*{s}2",
}


@dataclass
class Module:
    text: str
    newline: str
    comments: list[str] = field(default_factory=list)
    must: int = 0
    not_forms: int = 0


class Comments:
    """Unique comment strings, recorded as they are handed out."""

    def __init__(self, draw: Callable[..., Any], enabled: bool) -> None:
        self.draw, self.enabled, self.made = draw, enabled, []

    def maybe(self, indent: str = "") -> list[str]:
        if not self.enabled or not self.draw(st.booleans()):
            return []
        text = f"# c{len(self.made)}: {self.draw(st.sampled_from(WORDS))}"
        self.made.append(text)
        return [indent + text]

    def tail(self) -> str:
        if not self.enabled or not self.draw(st.booleans()):
            return ""
        text = f"# t{len(self.made)}: {self.draw(st.sampled_from(WORDS))}"
        self.made.append(text)
        return "  " + text


def statement(draw: Callable[..., Any], form: Form, index: int, comments: Comments) -> list[str]:
    """One top-level statement (possibly a def or a class) holding ``form``."""
    context = draw(st.sampled_from(sorted(CONTEXTS)))
    params = ", ".join(form.params)
    expr = fill(draw, CONTEXTS[context], X=form.text, P=(" " + params) if params else "")
    placement = draw(st.sampled_from(["module", "function", "method"]))
    if placement == "module" and form.params and context != "lambda":
        placement = "function"
    name = f"value_{index}"
    if placement == "module":
        return [*comments.maybe(), f"{name} = {expr}{comments.tail()}"]
    if placement == "function":
        head, indent = [f"def func_{index}({params}):"], "    "
    else:
        method_params = ", ".join(("self", *form.params))
        head, indent = [f"class Holder{index}:", f"    def method({method_params}):"], "        "
    body = [*comments.maybe(indent)]
    if draw(st.booleans()):
        body += [f"{indent}{name} = {expr}{comments.tail()}", *comments.maybe(indent), f"{indent}return {name}"]
    else:
        body += [f"{indent}return {expr}{comments.tail()}"]
    return [*comments.maybe(), *head, *body]


@st.composite
def modules(
    draw: Callable[..., Any],
    must: bool = True,
    not_: bool = True,
    newline: str | None = None,
    with_comments: bool | None = None,
) -> Module:
    styles = draw(import_styles())
    newline = newline if newline is not None else draw(st.sampled_from(["\n", "\r\n"]))
    enabled = with_comments if with_comments is not None else draw(st.booleans())
    comments = Comments(draw, enabled)
    imports = [s.line for s in styles] + draw(st.lists(st.sampled_from(UNRELATED), unique=True, max_size=3))
    lines: list[str] = []
    for line in draw(st.permutations(imports)):
        lines += [*comments.maybe(), line]
    kinds = [k for k, on in (("must", must), ("not", not_)) if on]
    count = draw(st.integers(1, 6))
    module = Module("", newline)
    for index in range(count):
        kind = draw(st.sampled_from(kinds))
        form = must_form(draw, styles) if kind == "must" else not_form(draw, styles)
        module.must += form.must
        module.not_forms += not form.must
        lines += [""] * draw(st.integers(0, 2))
        lines += statement(draw, form, index, comments)
    lines += comments.maybe()
    module.text = newline.join(lines) + newline
    module.comments = comments.made
    return module


def output_of(result: FileResult) -> bytes:
    assert result.before is not None
    return result.after if result.after is not None else result.before


def explain(text: str, result: FileResult) -> str:
    after = result.after.decode("utf-8") if result.after is not None else None
    return (
        f"\n--- input ---\n{text}\n--- output ({result.status.value}) ---\n{after}\n"
        f"error: {result.error}\nfindings: {[f.message for f in result.findings]}"
    )


# -- 1. parses and idempotent -------------------------------------------------------
@settings(max_examples=100, **SETTINGS)
@given(modules())
def test_output_parses_and_second_run_changes_nothing(module: Module) -> None:
    result = run(module.text)
    assert result.status is not Status.ERROR, explain(module.text, result)
    out = output_of(result).decode("utf-8")
    ast.parse(out)
    if module.must:
        assert result.after is not None, "a must-rewrite form was left alone" + explain(module.text, result)
    again = run(out)
    assert again.status is not Status.ERROR, explain(out, again)
    assert again.after is None, "second run changed the output" + explain(out, again)


# -- 2. must-not forms only: unchanged ----------------------------------------------
@settings(max_examples=100, **SETTINGS)
@given(modules(must=False))
def test_module_of_must_not_forms_is_unchanged(module: Module) -> None:
    result = run(module.text)
    assert result.status in (Status.UNCHANGED, Status.FILTERED), explain(module.text, result)
    assert result.after is None, explain(module.text, result)


# -- 3. differential execution ------------------------------------------------------
def fake_get_timestamp() -> int:
    return int(datetime.now(timezone.utc).timestamp() * 1000)


@contextmanager
def fake_helper_module() -> Iterator[None]:
    """``app.clock:get_timestamp`` in sys.modules for as long as the block runs."""
    saved = {name: sys.modules.get(name) for name in ("app", "app.clock")}
    package = types.ModuleType("app")
    package.__path__ = []  # type: ignore[attr-defined]
    clock = types.ModuleType("app.clock")
    clock.get_timestamp = fake_get_timestamp  # type: ignore[attr-defined]
    package.clock = clock  # type: ignore[attr-defined]
    sys.modules["app"], sys.modules["app.clock"] = package, clock
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


# Function bodies whose value equals the expression X (so the two versions compare).
VALUE_BODIES = [
    ["return {X}"],
    ["ms = {X}", "return ms"],
    ["return {'ts': {X}, 'n': 1}['ts']"],
    ["return int(f'{{s}{X}{s}}')"],
    ["return max({X},{s}0)"],
    ["return (lambda: {X})()"],
    ["return ({X}{s}-{s}60_000) + 60_000"],
    ["return (({X} + 5){s}*{s}2) // 2 - 5"],
]
ARGUMENTS = {"x": "x=3", "d": "d=_D_ARG", "time": "time=_TIME_ARG"}
CLOCK_CALL = re.compile(r"\b(?:time|time_ns|now|timestamp|monotonic)\s*\(")


@dataclass
class Site:
    block: str  # the source of its def/class, newline-joined
    call: str  # the expression that calls it
    name: str  # the top-level def/class name
    form: Form


@st.composite
def executable_modules(draw: Callable[..., Any]) -> tuple[str, list[Site]]:
    styles = draw(import_styles())
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    imports = [s.line for s in styles] + draw(st.lists(st.sampled_from(UNRELATED), unique=True, max_size=2))
    lines = list(draw(st.permutations(imports)))
    sites = []
    for index in range(draw(st.integers(1, 6))):
        must = draw(st.booleans()) or index == 0
        form = must_form(draw, styles) if must else not_form(draw, styles)
        if must:
            body = [fill(draw, line, X=form.text) for line in draw(st.sampled_from(VALUE_BODIES))]
        else:
            body = [f"return {form.text}"]
        args = ", ".join(ARGUMENTS[p] for p in form.params)
        if draw(st.booleans()):
            name = f"func_{index}"
            block = [f"def {name}({', '.join(form.params)}):", *("    " + b for b in body)]
            call = f"{name}({args})"
        else:
            name = f"Holder{index}"
            block = [f"class {name}:", f"    def method({', '.join(('self', *form.params))}):", *("        " + b for b in body)]
            call = f"{name}().method({args})"
        lines += [""] * draw(st.integers(0, 2))
        sites.append(Site(newline.join(block) + newline, call, name, form))
        lines += block
    return newline.join(lines) + newline, sites


def execute(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "__name__": "clockwork_under_test",
        "_D_ARG": datetime(2021, 3, 4, 5, 6, 7, 891_000, tzinfo=timezone.utc),
        "_TIME_ARG": time_module,
    }
    exec(compile(source, PATH, "exec"), namespace)
    return namespace


def close(call: str, before: dict[str, Any], after: dict[str, Any], check: Callable[[Any, Any], None]) -> None:
    """Call both versions back to back; a few tries absorb a scheduling hiccup."""
    for attempt in range(3):
        a = eval(call, before)
        b = eval(call, after)
        try:
            check(a, b)
            return
        except AssertionError:
            if attempt == 2:
                raise


def same_int(a: Any, b: Any) -> None:
    assert type(a) is int and type(b) is int, (a, b)
    assert abs(a - b) <= TOLERANCE_MS, (a, b)


def same_kind(unit_ms: float) -> Callable[[Any, Any], None]:
    def check(a: Any, b: Any) -> None:
        assert type(a) is type(b), (a, b)
        assert abs(a - b) * unit_ms <= TOLERANCE_MS, (a, b)

    return check


def rewritten_block(tree: ast.Module, name: str) -> str:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.unparse(node)
    raise AssertionError(f"{name} is gone from the output")


@settings(max_examples=100, **SETTINGS)
@given(executable_modules())
def test_rewritten_functions_return_the_same_milliseconds(case: tuple[str, list[Site]]) -> None:
    source, sites = case
    result = run(source)
    assert result.status is Status.CHANGED and result.after is not None, explain(source, result)
    out = result.after.decode("utf-8")
    tree = ast.parse(out)
    for site in sites:
        if site.form.must:
            block = rewritten_block(tree, site.name)
            assert "get_timestamp()" in block and not CLOCK_CALL.search(block), (
                f"{site.form.text!r} not rewritten" + explain(source, result)
            )
        else:
            assert site.block in out, f"{site.form.text!r} was touched" + explain(source, result)
    with fake_helper_module():
        before, after = execute(source), execute(out)
        for site in sites:
            try:
                close(site.call, before, after, same_int if site.form.must else same_kind(site.form.unit_ms))
            except AssertionError as exc:
                raise AssertionError(f"{site.call} ({site.form.text!r}): {exc}" + explain(source, result)) from exc


@st.composite
def self_documenting_fstrings(draw: Callable[..., Any]) -> tuple[str, Form]:
    styles = draw(import_styles())
    form = must_form(draw, styles)
    lines = [s.line for s in styles] + ["", "def show():", f"    return f'{{{form.text}=}}'"]
    return "\n".join(lines) + "\n", form


@settings(max_examples=60, **SETTINGS)
@given(self_documenting_fstrings())
def test_self_documenting_fstring_output_is_unchanged(case: tuple[str, Form]) -> None:
    """``f'{expr=}'`` prints the expression's own text: the rewrite must not change it."""
    source, form = case
    result = run(source)
    assert result.status is not Status.ERROR, explain(source, result)
    out = output_of(result).decode("utf-8")

    def same_text(a: str, b: str) -> None:
        label_a, _, value_a = a.rpartition("=")
        label_b, _, value_b = b.rpartition("=")
        assert label_a == label_b, f"printed {b!r} instead of {a!r}"
        assert abs(int(value_a) - int(value_b)) <= TOLERANCE_MS, (a, b)

    with fake_helper_module():
        before, after = execute(source), execute(out)
        try:
            close("show()", before, after, same_text)
        except AssertionError as exc:
            raise AssertionError(f"{exc}" + explain(source, result)) from exc


# -- 4. line endings ----------------------------------------------------------------
@settings(max_examples=80, **SETTINGS)
@given(st.sampled_from(["\n", "\r\n"]).flatmap(lambda nl: modules(newline=nl)))
def test_line_endings_are_preserved(module: Module) -> None:
    result = run(module.text)
    assert result.status is not Status.ERROR, explain(module.text, result)
    out = output_of(result)
    if module.newline == "\r\n":
        assert out.count(b"\n") == out.count(b"\r\n"), "bare LF in CRLF output" + explain(module.text, result)
    else:
        assert b"\r" not in out, "CR in LF output" + explain(module.text, result)


# -- 5. comments survive ------------------------------------------------------------
@settings(max_examples=80, **SETTINGS)
@given(modules(with_comments=True))
def test_every_comment_survives(module: Module) -> None:
    result = run(module.text)
    assert result.status is not Status.ERROR, explain(module.text, result)
    out = output_of(result).decode("utf-8")
    lost = [c for c in module.comments if c not in out]
    assert not lost, f"comments lost: {lost}" + explain(module.text, result)
