"""The machinery of tests/test_precision_behaviour.py: every function the
`precision` codemod rewrites in its EXAMPLES, how to call it, the exact
reference, and the classifier that explains each difference between the
original and the rewrite by one of the codemod's difference classes.

Nothing is mocked: the before and after sources are compiled as real modules,
and the after code imports the real helper (the template's text, exec'd into
real `bot`, `bot.utils`, `bot.utils.exchange_precision` modules).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import logging
import math
import sys
import types
from collections import Counter
from dataclasses import dataclass, field
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from hypothesis import strategies as st

import codemods.templates
from codemods import api
from codemods.base import Example
from codemods.models import Kind
from codemods.transforms.precision import LABELS
from codemods.transforms.precision_examples import EXAMPLES
from codemods.transforms.precision_helper import DEFAULT_NAME, SPEC

HELPER_MODULE = "bot.utils.exchange_precision"
TEMPLATE_PATH = Path(codemods.templates.__file__).parent / "exchange_precision.py"
SKIP_MARKER = "# codemods: skip-file"

# The classes in the order a difference is attributed to them (see ``classify``).
CLASS_ORDER = ("raises", "places", "toward-zero", "float")
assert set(CLASS_ORDER) == set(LABELS)

MODES = {"floor": ROUND_FLOOR, "ceil": ROUND_CEILING, "round": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP}
# What "truncating toward zero" means for each directed mode.
TRUNCATING = {"floor": ROUND_DOWN, "ceil": ROUND_UP}

POWER_STEPS = tuple(float(f"1e-{k}") for k in range(9))  # 1.0, 0.1 ... 1e-08: "1, 0.1, 0.01 ..."
POWERS = frozenset(Decimal(f"1e-{k}") for k in range(9))
LARGE_STEPS = (10.0, 100.0, 1000.0)
OTHER_STEPS = (0.5, 0.25, 5.0, 2.5, 0.05, 0.2)
ALL_STEPS = POWER_STEPS + LARGE_STEPS + OTHER_STEPS
WIDE = (-1e15, 1e15)  # "no bounds" for functions that always clamp
NO_LIMIT = (-math.inf, math.inf)  # the other usual spelling of "no bounds"

# What the helper may raise, and only for a step that is not positive (it raises
# ZeroDivisionError for a zero step, as dividing by it would, ValueError below zero).
STEP_ERRORS = (ValueError, ZeroDivisionError)
TOLERANCE = Decimal("1e-9")  # relative: float noise, and "at a rounding boundary"
SYMBOL = "BTCUSDT"


# -- the cases -----------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    value: float
    step: float
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class Adapter:
    """How to call one rewritten function with (value, step, lo, hi)."""

    call: Callable[[Callable[..., Any], Input], Any]
    bounds: str | None = None  # None | "if_elif" (kept in the function) | "clamp" (max(lo, min(x, hi)))
    negatives: bool = True


def _text(x: float) -> str:
    """A filter value as Binance sends it: fixed notation ('0.00000001')."""
    return format(Decimal(repr(x)), "f")


def _call_lot_size(fn: Callable[..., Any], i: Input) -> Any:
    lot = {"stepSize": _text(i.step), "minQty": _text(i.lo), "maxQty": _text(i.hi)}  # type: ignore[arg-type]
    return fn(types.SimpleNamespace(filters={SYMBOL: {"LOT_SIZE": lot}}), SYMBOL, i.value)


def _call_price_filter(fn: Callable[..., Any], i: Input) -> Any:
    return fn(types.SimpleNamespace(filters={SYMBOL: {"PRICE_FILTER": {"tickSize": _text(i.step)}}}), SYMBOL, i.value)


def _call_plain(fn: Callable[..., Any], i: Input) -> Any:
    return fn(i.value, i.step)


def _call_bounds(fn: Callable[..., Any], i: Input) -> Any:
    return fn(i.value, i.step, i.lo, i.hi)


def _call_method(fn: Callable[..., Any], i: Input) -> Any:
    return fn(None, i.value, i.step)


def _call_step_attribute(fn: Callable[..., Any], i: Input) -> Any:
    return fn(types.SimpleNamespace(step_size=i.step), i.value)


def _call_async_decimal_step(fn: Callable[..., Any], i: Input) -> Any:
    return asyncio.run(fn(None, i.value, Decimal(repr(i.step))))


# (1-based position in EXAMPLES, qualified name) -> adapter. A test checks that
# every rewritten function has one and that none is stale.
ADAPTERS: dict[tuple[int, str], Adapter] = {
    (1, "Trader._round_quantity"): Adapter(_call_lot_size, bounds="if_elif"),
    (1, "Trader._round_price"): Adapter(_call_price_filter),
    (2, "round_qty"): Adapter(_call_plain),
    (2, "round_px"): Adapter(_call_plain),
    (3, "_round_quantity"): Adapter(_call_plain),
    (3, "_round_price"): Adapter(_call_plain),
    (4, "floor_to_step"): Adapter(_call_plain),
    (5, "_round_quantity"): Adapter(_call_bounds, bounds="clamp"),
    (6, "_round_quantity"): Adapter(_call_async_decimal_step),
    (7, "_round_price"): Adapter(_call_plain),
    (8, "_round_price"): Adapter(_call_plain),
    (9, "_round_quantity"): Adapter(_call_method),
    (10, "_round_quantity"): Adapter(_call_plain),
    (11, "Client._round_quantity"): Adapter(_call_step_attribute),
    (12, "_round_quantity"): Adapter(_call_plain),
}


@dataclass(frozen=True)
class KnownBug:
    """A codemod bug the differential test finds: the steps it affects."""

    name: str
    reason: str
    affects: Callable[[float], bool]


# None open: the label bugs found at bd3ada0 (a step of 1.0 with quantize, ticks below
# 1e-06 with format(tick, 'f'), int steps with str(step).split('.')[1]) are covered by
# the labels of 8cfa75e; they are known-value tests now.
KNOWN_BUGS: dict[tuple[int, str], KnownBug] = {}


@dataclass(frozen=True)
class Case:
    """One function the codemod rewrote."""

    index: int  # 1-based position in EXAMPLES
    qualname: str
    mode: str  # rounding="..." in the after source
    reported: frozenset[str]  # classes of the function's "behaviour" finding
    before: str
    after: str
    line: int  # of the def in the before source

    @property
    def id(self) -> str:
        return f"ex{self.index}-{self.qualname}"

    @property
    def adapter(self) -> Adapter:
        return ADAPTERS[(self.index, self.qualname)]


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def walk(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield prefix + node.name, node
                yield from walk(node.body, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, ast.ClassDef):
                yield from walk(node.body, f"{prefix}{node.name}.")

    return walk(tree.body, "")


def helper_modes(source: str) -> dict[str, str]:
    """Qualified name -> the rounding mode of its adjust_to_step_size call."""
    modes: dict[str, str] = {}
    for qualname, node in _functions(ast.parse(source)):
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == DEFAULT_NAME:
                (rounding,) = [k.value for k in call.keywords if k.arg == "rounding"]
                assert isinstance(rounding, ast.Constant), ast.dump(call)
                assert qualname not in modes, f"{qualname}: more than one helper call"
                modes[qualname] = rounding.value
    return modes


def reported_classes(message: str) -> frozenset[str]:
    return frozenset(key for key, label in LABELS.items() if label in message)


@lru_cache(maxsize=None)
def run_codemod(index: int) -> tuple[str, tuple[tuple[int, str, str], ...]]:
    """The codemod's output for EXAMPLES[index - 1] and its findings (line, kind, message)."""
    example = EXAMPLES[index - 1]
    assert isinstance(example, Example)
    result = api.run_source(example.before, example.path, codemods=["precision"], config={"precision": example.options})
    assert result.after is not None, f"example {index}: not rewritten"
    after = result.after.decode("utf-8") if isinstance(result.after, bytes) else result.after
    return after, tuple((f.line, f.kind.value, f.message) for f in result.findings)


def cases() -> list[Case]:
    found: list[Case] = []
    for index, example in enumerate(EXAMPLES, 1):
        if not isinstance(example, Example):
            continue
        after, findings = run_codemod(index)
        lines = {q: node.lineno for q, node in _functions(ast.parse(example.before))}
        for qualname, mode in helper_modes(after).items():
            name = qualname.rsplit(".", 1)[-1]
            messages = [
                m for line, kind, m in findings
                if kind == Kind.BEHAVIOUR.value and line == lines[qualname] and m.startswith(f"{name}: ")
            ]
            assert len(messages) <= 1, messages
            reported = reported_classes(messages[0]) if messages else frozenset()
            found.append(Case(index, qualname, mode, reported, example.before, after, lines[qualname]))
    return found


# -- real modules ------------------------------------------------------------------


def template_text() -> str:
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first.startswith(SKIP_MARKER), first
    assert rest == SPEC.text(DEFAULT_NAME), "the codemod writes something other than the template"
    return rest


@contextlib.contextmanager
def helper_installed() -> Iterator[types.ModuleType]:
    """Real `bot`, `bot.utils`, `bot.utils.exchange_precision` in sys.modules, restored afterwards."""
    names = ("bot", "bot.utils", HELPER_MODULE)
    saved = {name: sys.modules.get(name) for name in names}
    modules = {}
    for name in names:
        module = types.ModuleType(name)
        module.__file__ = f"<{name}>"
        if name != HELPER_MODULE:
            module.__path__ = []  # a package
        modules[name] = module
    helper = modules[HELPER_MODULE]
    exec(compile(template_text(), f"<{HELPER_MODULE}>", "exec"), helper.__dict__)
    modules["bot"].utils = modules["bot.utils"]  # type: ignore[attr-defined]
    modules["bot.utils"].exchange_precision = helper  # type: ignore[attr-defined]
    try:
        sys.modules.update(modules)
        yield helper
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous


@contextlib.contextmanager
def silent_logger(name: str) -> Iterator[None]:
    """The module's logger is quiet while the generated inputs run (ex. 1 logs below minQty)."""
    logger = logging.getLogger(name)
    logger.disabled = True
    try:
        yield
    finally:
        logging.Logger.manager.loggerDict.pop(name, None)


def compile_module(source: str, name: str) -> types.ModuleType:
    """``source`` executed as a fresh module (imports resolve through sys.modules)."""
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def function(module: types.ModuleType, qualname: str) -> Callable[..., Any]:
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


@dataclass
class Pair:
    """A case's original and rewritten function, ready to call."""

    case: Case
    before: Callable[..., Any]
    after: Callable[..., Any]


@contextlib.contextmanager
def loaded(all_cases: list[Case]) -> Iterator[dict[str, Pair]]:
    """Every case's before/after functions (the helper stays installed meanwhile)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(helper_installed())
        modules: dict[tuple[int, str], types.ModuleType] = {}
        pairs: dict[str, Pair] = {}
        for case in all_cases:
            for side, source in (("before", case.before), ("after", case.after)):
                if (case.index, side) not in modules:
                    name = f"precision_behaviour_ex{case.index}_{side}"
                    stack.enter_context(silent_logger(name))
                    modules[(case.index, side)] = compile_module(source, name)
            pairs[case.id] = Pair(
                case,
                function(modules[(case.index, "before")], case.qualname),
                function(modules[(case.index, "after")], case.qualname),
            )
        yield pairs


# -- the exact reference and the classifier -----------------------------------------


def dec(x: float | Decimal) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def clamp(result: Decimal, adapter: Adapter, i: Input) -> Decimal:
    if adapter.bounds is None:
        return result
    lo, hi = dec(i.lo), dec(i.hi)  # type: ignore[arg-type]
    if adapter.bounds == "if_elif":
        return lo if result < lo else hi if result > hi else result
    return max(lo, min(result, hi))


def to_step(value: float, step: float, rounding: str) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 200  # exact for every value and step generated here
        s = dec(step)
        return (dec(value) / s).to_integral_value(rounding=rounding) * s


def exact(case: Case, i: Input, rounding: str | None = None) -> Decimal:
    """The value brought to the step with the after source's mode (or ``rounding``), then clamped."""
    return clamp(to_step(i.value, i.step, rounding or MODES[case.mode]), case.adapter, i)


def is_power_of_ten(step: float) -> bool:
    """1, 0.1, 0.01 ... 1e-08."""
    return dec(step) in POWERS


def spelled_places(step: float) -> set[int]:
    """The decimal places the usual spellings of an original derive from ``step``:
    its text (str(1.0) is '1.0', one place; '1e-07'.split('.')[-1] has five
    characters), its fixed format (format(1e-07, 'f') is '0.000000', none once
    stripped), its Decimal exponent (Decimal('1.0') quantizes to 0.1) and log10."""
    text = str(step)
    fixed = format(step, "f").rstrip("0")
    found = {
        len(text.split(".")[-1]),  # '1.0' -> 1, '1e-07' -> 5
        len(text.split(".")[-1].rstrip("0")),
        len(fixed.split(".")[1]) if "." in fixed else 0,
        -dec(step).as_tuple().exponent,  # type: ignore[operator]
        round(-math.log10(float(step))),
        int(-math.log10(float(step))),
    }
    return {max(0, p) for p in found}


def missed_places(step: float) -> set[int]:
    """Decimal places an original may have rounded to instead of the step
    (LABELS["places"]: "steps the original's decimal places miss"): for a step that
    is not 1, 0.1 ... 1e-08, any it spells; for one that is, those that are wrong."""
    spelled = spelled_places(step)
    if not is_power_of_ten(step):
        return spelled
    true = -dec(step).normalize().as_tuple().exponent  # type: ignore[operator]
    return {p for p in spelled if p != true}


def no_point(step: float) -> bool:
    """LABELS["raises"]: a step whose text has no '.' ('1e-05', '1')."""
    return "." not in str(step)


def _near_integer(q: Decimal) -> bool:
    return abs(q - q.to_integral_value(rounding=ROUND_HALF_EVEN)) <= TOLERANCE * max(1, abs(q))


def on_decimal_grid(result: float, places: int) -> bool:
    """``result`` is (up to float noise) a multiple of 10 ** -places."""
    with localcontext() as ctx:
        ctx.prec = 200
        return _near_integer(Decimal(result) * Decimal(10) ** places)


def float_noise(result: float, reference: Decimal, step: float) -> bool:
    with localcontext() as ctx:
        ctx.prec = 200
        return abs(Decimal(result) - reference) <= TOLERANCE * max(abs(reference), dec(step))


def at_boundary(i: Input, mode: str) -> bool:
    """value / step is (relatively) within TOLERANCE of where ``mode`` changes its answer."""
    with localcontext() as ctx:
        ctx.prec = 200
        q = dec(i.value) / dec(i.step)
        return _near_integer(q if mode in ("floor", "ceil") else q - Decimal("0.5"))


def float_artefact(result: float, reference: Decimal, i: Input, mode: str) -> bool:
    """Float noise, or float division landing on the other side of a rounding boundary."""
    if float_noise(result, reference, i.step):
        return True
    with localcontext() as ctx:
        ctx.prec = 200
        slack = TOLERANCE * max(abs(reference), dec(i.step))  # the original's own float noise
        within_a_step = abs(Decimal(result) - reference) <= dec(i.step) + slack
    return within_a_step and at_boundary(i, mode)


class Unexplained(AssertionError):
    """The original and the rewrite differ in no documented class: an unsound rewrite."""


class Unreported(AssertionError):
    """A difference in a class the codemod did not report for the function."""


class WrongResult(AssertionError):
    """The rewrite's result is not the exact one (or it raised)."""


@dataclass(frozen=True)
class Outcome:
    returned: bool
    value: Any

    def __repr__(self) -> str:
        return repr(self.value) if self.returned else f"raised {type(self.value).__name__}: {self.value}"


def call(fn: Callable[..., Any], adapter: Adapter, i: Input) -> Outcome:
    try:
        return Outcome(True, adapter.call(fn, i))
    except Exception as exc:  # noqa: BLE001 - the original may raise anything
        return Outcome(False, exc)


def candidates(case: Case, i: Input, original: Outcome, reference: Decimal) -> list[str]:
    """Every class whose definition explains this difference, in CLASS_ORDER."""
    if not original.returned:
        return ["raises"] if no_point(i.step) else []
    result = original.value
    if not isinstance(result, float) or not math.isfinite(result):
        return []
    found = []
    # rounded to decimal places that miss the step (or to a bound the function clamped to)
    places = missed_places(i.step)
    if places and (on_decimal_grid(result, max(places)) or result in (i.lo, i.hi)):
        found.append("places")
    if i.value < 0 and case.mode in TRUNCATING and float_noise(
        result, clamp(to_step(i.value, i.step, TRUNCATING[case.mode]), case.adapter, i), i.step
    ):
        found.append("toward-zero")
    if float_artefact(result, reference, i, case.mode):
        found.append("float")
    return found


def classify(case: Case, i: Input, original: Outcome, reference: Decimal) -> str | None:
    """The class a difference is attributed to: the first explaining class the codemod
    reported, else the first explaining class (which then fails the cross-check)."""
    found = candidates(case, i, original, reference)
    for name in found:
        if name in case.reported:
            return name
    return found[0] if found else None


def differential(pair: Pair, i: Input, reported: frozenset[str] | None = None) -> str:
    """Run both versions on ``i``; "equal" or the difference's class. Raises on an
    unexplained difference, an unreported class, or a rewrite that is not exact."""
    case = pair.case
    adapter = case.adapter
    original = call(pair.before, adapter, i)
    rewritten = call(pair.after, adapter, i)
    where = f"{case.id} (rounding={case.mode!r}) with {i}"
    if not rewritten.returned:
        if i.step <= 0 and isinstance(rewritten.value, STEP_ERRORS):
            return "rejected"
        raise WrongResult(f"{where}: the rewrite {rewritten!r} (original {original!r})")
    if i.step <= 0:  # no exact result: only a guard the function kept can return
        if original.returned and original.value == rewritten.value:
            return "equal"
        raise WrongResult(f"{where}: the rewrite returned {rewritten!r} for a step <= 0 (original {original!r})")
    reference = exact(case, i)
    if type(rewritten.value) is not float or rewritten.value != float(reference):
        raise WrongResult(f"{where}: the rewrite returned {rewritten!r}, the exact result is {reference}")
    if original.returned and original.value == rewritten.value:
        return "equal"
    name = classify(case, i, original, reference)
    detail = f"{where}: original {original!r}, rewrite {rewritten!r}, exact {reference}"
    if name is None:
        raise Unexplained(f"unexplained difference: {detail}")
    allowed = case.reported if reported is None else reported
    if name not in allowed:
        raise Unreported(f"a {name!r} difference the codemod did not report (reported {sorted(allowed)}): {detail}")
    return name


# -- generated inputs ---------------------------------------------------------------

NAMED_VALUES = (
    "0.3", "0.7", "1.1", "1.005", "1.015", "2.675", "0.615", "0.29", "0.57", "8.2", "4.35",
    "0.1", "0.2", "0.6", "1.4", "0.000123456", "123456.789", "0.00000001", "999999999.99",
)


def _in_range(v: float) -> bool:
    return v == 0 or 1e-9 <= v <= 1e9


@lru_cache(maxsize=None)  # built once per step: building strategies is what costs
def magnitudes(step: float) -> st.SearchStrategy[float]:
    """Non-negative values 1e-9 .. 1e9 (and 0): arbitrary floats, short decimals,
    multiples of the step, half-way points, and one ulp either side of a multiple."""
    s = dec(step)
    top = int(Decimal("1e9") / s)
    multiple = st.integers(0, top).map(lambda n: float(n * s))
    half = st.integers(0, top - 1).map(lambda n: float((n + Decimal("0.5")) * s))
    ulp = st.tuples(multiple, st.sampled_from((math.inf, -math.inf))).map(lambda t: math.nextafter(*t))
    short = st.builds(lambda m, e: float(f"{m}e{e}"), st.integers(1, 99999), st.integers(-9, 4))
    return st.one_of(
        st.floats(1e-9, 1e9, allow_nan=False, allow_infinity=False),
        short,
        st.sampled_from(NAMED_VALUES).map(float),
        multiple,
        half,
        ulp,
    ).filter(_in_range)


@st.composite
def inputs(draw: st.DrawFn, case: Case, steps: tuple[float, ...]) -> Input:
    adapter = case.adapter
    step = draw(st.sampled_from(steps))
    value = draw(magnitudes(step))
    if adapter.negatives and draw(st.integers(0, 9)) == 0:  # about one value in ten
        value = -value
    if adapter.bounds is None:
        return Input(value, step)
    lo, hi = draw(st.sampled_from((WIDE, NO_LIMIT)))
    if draw(st.integers(0, 2)) == 0:  # a third of the inputs have real bounds
        lo, hi = draw(magnitudes(step)), draw(magnitudes(step))
        if value < 0 and draw(st.booleans()):
            lo, hi = -hi, -lo
        # if/elif clamps need lo <= hi; max(lo, min(x, hi)) is also tried crossed
        if adapter.bounds == "if_elif" or draw(st.integers(0, 3)):
            lo, hi = min(lo, hi), max(lo, hi)
    return Input(value, step, lo, hi)


# -- counts ------------------------------------------------------------------------


@dataclass
class Counts:
    by_case: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, key: str, name: str) -> None:
        self.by_case.setdefault(key, Counter())[name] += 1

    def table(self) -> str:
        columns = ("equal", *CLASS_ORDER)
        width = max([len(k) for k in self.by_case] + [4])
        lines = [f"{'case':<{width}}  " + "  ".join(f"{c:>11}" for c in columns)]
        for key in sorted(self.by_case):
            row = self.by_case[key]
            lines.append(f"{key:<{width}}  " + "  ".join(f"{row.get(c, 0):>11}" for c in columns))
        return "\n".join(lines)

    def as_json(self) -> dict[str, dict[str, int]]:
        return {k: dict(sorted(v.items())) for k, v in sorted(self.by_case.items())}
