"""Recognising "bring a value to a multiple of an exchange step" by what the code computes.

Hand-written step rounding comes in many spellings (`math.floor(q / step) * step`,
`q - q % step`, `Decimal(str(q)).quantize(Decimal(str(step)), ROUND_DOWN)`,
`round(q, precision)` with the precision taken from `log10(step)` or from the
step's text, `float('{:.{}f}'.format(q, precision))`...). Instead of one pattern
per spelling, expressions are evaluated over a small abstract domain: an opaque
input, the decimal places of a step, a ratio value/step, a whole number of steps,
a value rounded to the step with a rounding mode. A spelling is recognised when
its result evaluates to ``Rounded``; how it got there (float division, decimal
places, truncation towards zero) is recorded as the difference classes in which
its results can differ from the exact helper.

Names are resolved through a qualified-name lookup supplied by the caller, never
by spelling: a local variable called `round` is not the builtin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Union

import libcst as cst

# Difference classes: where the exact helper's result may differ from the original's.
FLOAT = "float"  # binary floating point: 0.3 / 0.1 is 2.9999999999999996
PLACES = "places"  # the original rounds to decimal places derived from the step
RAISES = "raises"  # the original raises for steps written in exponent form (str(1e-05))
TOWARD_ZERO = "toward-zero"  # the original truncates toward zero: differs for negative values

CLASS_NOTES = {
    FLOAT: "results are exact multiples of the step: float division no longer lands one step low "
    "(0.3 with step 0.1 floors to 0.3, was 0.2) and float noise is gone",
    PLACES: "every step is honoured: the original rounded to a number of decimal places, which misses "
    "steps other than 1, 0.1, 0.01 ... (0.5, 0.25, 5, 10) and steps finer than those places",
    RAISES: "steps whose text has no '.' (1e-05 and smaller, an int step) now work: the original raised",
    TOWARD_ZERO: "negative values are rounded down (floor) or up (ceil): the original truncated toward zero",
}

# Decimal rounding constants -> (helper mode, extra difference class or None).
DECIMAL_MODES: dict[str, tuple[str, str | None]] = {
    "ROUND_DOWN": ("floor", TOWARD_ZERO),
    "ROUND_FLOOR": ("floor", None),
    "ROUND_CEILING": ("ceil", None),
    "ROUND_UP": ("ceil", TOWARD_ZERO),
    "ROUND_HALF_EVEN": ("round", None),
    "ROUND_HALF_UP": ("half_up", None),
}

QNames = Callable[[cst.CSTNode], set[str]]


@dataclass(frozen=True)
class Input:
    """A pure expression read where the segment starts (a name, attribute, item, literal)."""

    node: cst.BaseExpression = field(compare=False)
    code: str


@dataclass(frozen=True)
class Places:
    """The number of decimal places of a step (from log10, its text, or its exponent).

    ``classes`` are the steps for which that number is wrong or raises.
    """

    step: Input
    how: str  # "log10" | "text" | "exponent"
    classes: frozenset[str] = frozenset({PLACES})


@dataclass(frozen=True)
class Log:
    """``log10(step)``, maybe negated and made an integer: -int(floor(log10(s))), int(round(-log10(s)))."""

    step: Input
    negated: bool = False
    integral: bool = False


@dataclass(frozen=True)
class Text:
    """The text of a step: str(step), format(step, 'f'); ``part`` after split('.')."""

    step: Input
    fixed: bool  # '{:f}' / format(.., 'f'): never exponent notation, but trailing zeros
    stripped: bool
    part: str = ""  # "" whole text, "parts" after split('.'), "fraction" the part after '.'
    last: bool = False  # split('.')[-1]: exponent forms give a wrong count instead of raising


@dataclass(frozen=True)
class Exponent:
    """``Decimal(str(step)).as_tuple().exponent`` (minus the decimal places)."""

    step: Input


@dataclass(frozen=True)
class Power:
    """``10 ** places``."""

    places: Places


@dataclass(frozen=True)
class Exact:
    """``Decimal(str(x))`` / ``Decimal(x)``: a Decimal of an input."""

    of: Input
    # Decimal(x) without str(): a float x becomes its binary expansion, 0.3 is 0.2999...
    binary: bool = False


@dataclass(frozen=True)
class Ratio:
    """``value / step`` (or ``value * 10 ** places`` when ``scaled``)."""

    value: Input
    step: Input
    decimal: bool
    scaled: bool = False
    binary: bool = False  # an operand was Decimal(float) (see Exact.binary)


@dataclass(frozen=True)
class Whole:
    """A ratio brought to an integer with a rounding mode."""

    ratio: Ratio
    mode: str
    classes: frozenset[str]


@dataclass(frozen=True)
class Rounded:
    """``value`` brought to a multiple of ``step``: what the helper computes."""

    value: Input
    step: Input
    mode: str
    classes: frozenset[str]
    decimal: bool  # the result is a Decimal (the helper returns a float)
    text: bool = False  # the result is a formatted string
    # The result is a float whatever the inputs' types (float(), a true division):
    # without that, int or Decimal inputs would come back from the helper as a float.
    typed: bool = False
    via_decimal: bool = False  # computed with Decimal arithmetic (which the decimal context governs)
    lower: Input | None = None
    upper: Input | None = None

    def add(self, *classes: str | None) -> "Rounded":
        return replace(self, classes=self.classes | {c for c in classes if c})


Value = Union[Input, Places, Log, Text, Exponent, Power, Exact, Ratio, Whole, Rounded]
Env = dict[str, Value]

# The last part of every name the evaluator asks about.
_KNOWN_NAMES = frozenset(
    {"floor", "ceil", "round", "int", "trunc", "float", "str", "repr", "len", "format", "abs", "max", "min",
     "log10", "log", "Decimal", *DECIMAL_MODES}
)
_MODE_CALLS = {"math.floor": "floor", "math.ceil": "ceil", "builtins.round": "round"}
_TRUNCATE_CALLS = {"builtins.int", "math.trunc"}
_PURE_CONVERSIONS = {"builtins.float", "builtins.int", "builtins.str"}
_FIXED_FORMAT = re.compile(r"^\{0?:0?\.0?\{1?\}f\}$")  # '{:.{}f}', '{0:.{1}f}', '{:0.0{}f}'


class Evaluator:
    """Evaluates expressions of one block to abstract values."""

    def __init__(self, qnames: QNames) -> None:
        self._qnames = qnames

    def qnames(self, node: cst.CSTNode) -> set[str]:
        """Qualified names, asked only for the names this analysis knows.

        Resolving a name like ``self`` can mean libcst's scope analysis of the
        whole module (seconds on a 10,000-line client); ``self.client.get`` can
        never be ``math.floor``, so its last part decides first.
        """
        tail = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
        if tail not in _KNOWN_NAMES:
            return set()
        return self._qnames(node)

    def is_(self, node: cst.BaseExpression, *names: str) -> bool:
        return bool(self.qnames(node) & set(names))

    def qname_in(self, node: cst.BaseExpression, names: dict[str, object] | set[str]) -> str | None:
        for name in self.qnames(node):
            if name in names:
                return name
        return None

    # -- entry -------------------------------------------------------------------
    def eval(self, node: cst.BaseExpression, env: Env) -> Value | None:
        if isinstance(node, cst.Name):
            if node.value in env:
                return env[node.value]
            if node.value in ("True", "False", "None"):
                return None
            return Input(node, node.value)
        if isinstance(node, (cst.Integer, cst.Float)):
            return Input(node, node.value)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, env)
        if isinstance(node, cst.Attribute):
            if node.attr.value == "exponent":
                owner = self.eval(node.value, env)
                if isinstance(owner, Text) and owner.part == "tuple":
                    return Exponent(owner.step)
            return self._input(node, env)
        if isinstance(node, cst.UnaryOperation):
            return self._unary(node, env)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, env)
        if isinstance(node, cst.Call):
            return self._call(node, env)
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, env)
        return None

    def _subscript(self, node: cst.Subscript, env: Env) -> Value | None:
        owner = self.eval(node.value, env)
        if isinstance(owner, Text) and owner.part == "parts" and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                key = _code(index.value).strip()
                if key in ("1", "-1"):
                    return replace(owner, part="fraction", last=key == "-1")
            return None
        return self._input(node, env)

    def _input(self, node: cst.BaseExpression, env: Env) -> Input | None:
        """Attribute/subscript chains over names not bound in the segment, with constant keys."""
        current: cst.BaseExpression = node
        while True:
            if isinstance(current, cst.Attribute):
                current = current.value
            elif isinstance(current, cst.Subscript):
                if len(current.slice) != 1 or not isinstance(current.slice[0].slice, cst.Index):
                    return None
                key = current.slice[0].slice.value
                if not isinstance(key, (cst.SimpleString, cst.Integer, cst.Name)):
                    return None
                if isinstance(key, cst.Name) and key.value in env:
                    return None
                current = current.value
            else:
                break
        if not isinstance(current, cst.Name) or current.value in env:
            return None
        return Input(node, _code(node))

    # -- operators -----------------------------------------------------------------
    def _unary(self, node: cst.UnaryOperation, env: Env) -> Value | None:
        if isinstance(node.operator, cst.Minus):
            operand = self.eval(node.expression, env)
            if isinstance(operand, Log):
                return _log_places(replace(operand, negated=not operand.negated))
            if isinstance(operand, Exponent):
                return Places(operand.step, "exponent")
            if isinstance(operand, Input) and isinstance(node.expression, (cst.Integer, cst.Float)):
                return Input(node, _code(node))
        return None

    def _step(self, node: cst.BaseExpression, env: Env) -> Input | None:
        value = self.eval(node, env)
        if isinstance(value, Input):
            return value
        if isinstance(value, Exact):
            return value.of
        return None

    def _binary(self, node: cst.BinaryOperation, env: Env) -> Value | None:
        left, right = self.eval(node.left, env), self.eval(node.right, env)
        op = node.operator
        if isinstance(op, cst.Divide):
            # value / step
            if isinstance(left, (Input, Exact)) and isinstance(right, (Input, Exact)):
                decimal = isinstance(left, Exact)
                return Ratio(_input_of(left), _input_of(right), decimal, binary=_binary(left, right))
            # whole(value * 10**p) / 10**p: a true division, so a float
            if isinstance(left, Whole) and left.ratio.scaled and isinstance(right, Power):
                if right.places.step == left.ratio.step:
                    return replace(self._rounded(left, PLACES, *right.places.classes), typed=True)
            return None
        if isinstance(op, cst.Multiply):
            for a, b in ((left, right), (right, left)):
                if isinstance(a, Whole) and not a.ratio.scaled and isinstance(b, (Input, Exact)):
                    if _input_of(b) == a.ratio.step:
                        return self._rounded(a)
                if isinstance(a, (Input, Exact)) and isinstance(b, Power):
                    return Ratio(_input_of(a), b.places.step, isinstance(a, Exact), scaled=True, binary=_binary(a))
            return None
        if isinstance(op, cst.Power):
            if isinstance(left, Input) and left.code == "10" and isinstance(right, Places):
                return Power(right)
            return None
        if isinstance(op, cst.Subtract):
            if isinstance(left, Text) and left.part == "find-one" and _code(node.right).strip() == "1":
                return Places(left.step, "text", frozenset({PLACES}))
            # value - value % step  (float % is a floor; Decimal % truncates toward zero)
            modulo = node.right
            if isinstance(modulo, cst.BinaryOperation) and isinstance(modulo.operator, cst.Modulo):
                base, divisor = self.eval(modulo.left, env), self.eval(modulo.right, env)
                if isinstance(left, (Input, Exact)) and isinstance(base, (Input, Exact)) and isinstance(
                    divisor, (Input, Exact)
                ):
                    if _input_of(left) == _input_of(base):
                        decimal = isinstance(left, Exact) or isinstance(base, Exact)
                        classes = {TOWARD_ZERO} if decimal else {FLOAT}
                        if _binary(left, base, divisor):
                            classes.add(FLOAT)
                        return Rounded(
                            _input_of(left), _input_of(divisor), "floor", frozenset(classes), decimal, via_decimal=decimal
                        )
            return None
        if isinstance(op, cst.FloorDivide):
            if isinstance(left, (Input, Exact)) and isinstance(right, (Input, Exact)):
                decimal = isinstance(left, Exact)
                ratio = Ratio(_input_of(left), _input_of(right), decimal, binary=_binary(left, right))
                return Whole(ratio, "floor", frozenset({TOWARD_ZERO} if decimal else {FLOAT}))
            return None
        return None

    def _rounded(self, whole: Whole, *extra: str) -> Rounded:
        ratio = whole.ratio
        classes = set(whole.classes) | set(extra)
        if not ratio.decimal or ratio.binary:
            classes.add(FLOAT)
        return Rounded(ratio.value, ratio.step, whole.mode, frozenset(classes), ratio.decimal, via_decimal=ratio.decimal)

    def _whole(self, ratio: Ratio, mode: str, *classes: str | None) -> Whole:
        return Whole(ratio, mode, frozenset(c for c in classes if c))

    # -- calls ---------------------------------------------------------------------
    def _call(self, node: cst.Call, env: Env) -> Value | None:
        func = node.func
        args = node.args
        if any(a.star for a in args):
            return None
        positional = [a.value for a in args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
        # Methods on values: .quantize, .to_integral_value, .rstrip, .split, .format
        if isinstance(func, cst.Attribute):
            owner = func.value
            method = func.attr.value
            if isinstance(owner, cst.SimpleString) and method == "format":
                return self._format_method(owner, positional, keywords, env)
            target = self.eval(owner, env)
            if method in ("quantize",) and isinstance(target, Exact):
                return self._quantize(target, positional, keywords, env)
            if method in ("to_integral_value", "to_integral", "to_integral_exact") and isinstance(target, Ratio):
                if target.decimal and not target.scaled:
                    mode = self._decimal_mode(positional[0] if positional else keywords.get("rounding"))
                    if mode is None:
                        return None
                    return self._whole(target, mode[0], mode[1])
                return None
            if method in ("find", "index") and isinstance(target, (Input, Text)) and len(positional) == 1:
                # step.find('1') - 1: the decimal places of a step written '0.00100000'
                if isinstance(positional[0], cst.SimpleString) and positional[0].evaluated_value == "1":
                    step = target if isinstance(target, Input) else target.step
                    if isinstance(target, Input) or target.part == "":
                        return Text(step, fixed=False, stripped=False, part="find-one")
                return None
            if method == "quantize" and isinstance(target, Ratio) and target.decimal and not target.scaled:
                # (value / step).quantize(Decimal('1'), ROUND_DOWN): a whole number of steps
                unit = positional[0] if positional else None
                if isinstance(unit, cst.Call) and _code(unit).replace("'", '"') == 'Decimal("1")':
                    mode = self._decimal_mode(positional[1] if len(positional) > 1 else keywords.get("rounding"))
                    return self._whole(target, mode[0], mode[1]) if mode else None
                return None
            if isinstance(target, Text):
                return self._text_method(target, method, positional)
            if isinstance(target, Exact) and method == "as_tuple" and not args:
                return Text(target.of, fixed=True, stripped=False, part="tuple")
            if isinstance(target, Exact) and method == "normalize" and not args:
                return target
        name = self.qnames(func)
        if not name:
            return None
        if "decimal.Decimal" in name and len(positional) == 1 and not keywords:
            inner = positional[0]
            via_text = isinstance(inner, cst.Call) and self.is_(inner.func, "builtins.str") and len(inner.args) == 1
            value = self.eval(inner.args[0].value if via_text else inner, env)  # type: ignore[union-attr]
            if isinstance(value, Input):
                # Decimal(x) of something that may be a float is its binary expansion
                exact = via_text or isinstance(inner, (cst.SimpleString, cst.Integer))
                return Exact(value, binary=not exact)
            return None
        if "builtins.float" in name and len(positional) == 1 and not keywords:
            value = self.eval(positional[0], env)
            if isinstance(value, Input):
                return Input(node, _code(node))
            if isinstance(value, Rounded):
                return replace(value, decimal=False, text=False, typed=True)
            return None
        if "builtins.len" in name and len(positional) == 1:
            value = self.eval(positional[0], env)
            if isinstance(value, Text) and value.part == "fraction":
                # str(step) never has trailing zeros except "1.0"; '{:f}' does: require rstrip('0')
                if value.fixed and not value.stripped:
                    return None
                # str(1e-05) is '1e-05': [1] raises, [-1] counts the wrong characters;
                # '{:f}' has six decimals, so steps below 1e-06 come out as 0 places.
                wrong = PLACES if value.fixed or value.last else RAISES
                return Places(value.step, "text", frozenset({wrong}))
            return None
        if ("builtins.str" in name or "builtins.repr" in name) and len(positional) == 1 and not keywords:
            value = self.eval(positional[0], env)
            if isinstance(value, Input):
                return Text(value, fixed=False, stripped=False)
            return None
        if "builtins.format" in name and len(positional) == 2:
            value = self.eval(positional[0], env)
            spec = positional[1]
            if isinstance(value, Input) and isinstance(spec, cst.SimpleString) and spec.evaluated_value == "f":
                return Text(value, fixed=True, stripped=False)
            places = self._spec_places(spec, env)
            if places is not None:
                return self._formatted(value, places)
            return None
        if "builtins.abs" in name and len(positional) == 1:
            inner = positional[0]
            value = self.eval(inner, env)
            if isinstance(value, Places):
                return value
            if isinstance(value, Exponent):
                return Places(value.step, "exponent")
            if isinstance(value, Log) and value.integral:
                # abs(int(log10(step))): the same as int(-log10(step)) for steps up to 1
                return Places(value.step, "log10")
            return None
        if ("builtins.max" in name or "builtins.min" in name) and len(positional) == 2 and not keywords:
            return self._min_max("max" if "builtins.max" in name else "min", positional, env)
        if "math.log10" in name and len(positional) == 1 and not keywords:
            step = self._step(positional[0], env)
            return Log(step) if step is not None else None
        if "math.log" in name and len(positional) == 2 and _code(positional[1]).strip() == "10":
            step = self._step(positional[0], env)  # math.log(step, 10): log10 with float error
            return Log(step) if step is not None else None
        mode = self.qname_in(func, _MODE_CALLS)
        truncate = self.qname_in(func, _TRUNCATE_CALLS)
        if (mode or truncate) and positional:
            value = self.eval(positional[0], env)
            if len(positional) == 2 and mode == "builtins.round" and isinstance(value, Log):
                if _code(positional[1]).strip() == "0":  # round(-math.log(step, 10), 0)
                    return _log_places(replace(value, integral=True))
                return None
            if len(positional) == 2 and mode == "builtins.round":
                places = self.eval(positional[1], env)
                if isinstance(places, Places):
                    return self._round_places(value, places)
                digits = positional[1]
                if isinstance(value, Rounded) and isinstance(digits, cst.Integer) and not value.decimal:
                    # round(multiple, 8): float clean-up, wrong only for steps finer than 10**-8
                    if value.lower is None and value.upper is None and not value.text:
                        return value.add(PLACES)
                return None
            if len(positional) != 1 or keywords:
                return None
            if isinstance(value, Log):
                # exact for powers of ten, where log10 is exact: any integral form is the same
                return _log_places(replace(value, integral=True))
            if isinstance(value, Places) and (truncate == "builtins.int" or mode == "builtins.round"):
                return value  # int(round(-log10(step))) and friends
            if isinstance(value, Whole) and truncate == "builtins.int":
                return value  # int(round(q / step)): already whole
            if isinstance(value, Ratio):
                if truncate:
                    return self._whole(value, "floor", TOWARD_ZERO)
                return self._whole(value, _MODE_CALLS[mode or ""])
            return None
        return None

    def _min_max(self, which: str, args: list[cst.BaseExpression], env: Env) -> Value | None:
        a, b = self.eval(args[0], env), self.eval(args[1], env)
        if isinstance(a, Places) or isinstance(b, Places):
            # max(precision, 0): only matters for steps above 1, where it keeps round() from tens
            other = b if isinstance(a, Places) else a
            node = args[1] if isinstance(a, Places) else args[0]
            if which == "max" and isinstance(other, Input) and isinstance(node, cst.Integer) and node.value == "0":
                return a if isinstance(a, Places) else b
            return None
        return clamp(which, a, b)

    def _decimal_mode(self, node: cst.BaseExpression | None) -> tuple[str, str | None] | None:
        if node is None:
            return None  # the decimal context's rounding: whatever the program set it to
        for name in self.qnames(node):
            constant = name.rsplit(".", 1)[-1]
            if name.startswith("decimal.") and constant in DECIMAL_MODES:
                return DECIMAL_MODES[constant]
        return None

    def _quantize(
        self, target: Exact, positional: list[cst.BaseExpression], keywords: dict[str, cst.BaseExpression], env: Env
    ) -> Value | None:
        if not positional or len(positional) > 2:
            return None
        step = self.eval(positional[0], env)
        if not isinstance(step, Exact):
            return None
        rounding = positional[1] if len(positional) == 2 else keywords.get("rounding")
        if set(keywords) - {"rounding"}:
            return None
        mode = self._decimal_mode(rounding)
        if mode is None:
            return None
        # quantize keeps the step's exponent, not the step: Decimal('0.5') rounds to 0.1.
        classes = {c for c in (PLACES, mode[1], FLOAT if target.binary or step.binary else None) if c}
        return Rounded(target.of, step.of, mode[0], frozenset(classes), decimal=True, via_decimal=True)

    def _text_method(self, target: Text, method: str, args: list[cst.BaseExpression]) -> Value | None:
        literal = args[0].evaluated_value if len(args) == 1 and isinstance(args[0], cst.SimpleString) else None
        if method == "rstrip" and literal == "0" and target.part in ("", "fraction"):
            return replace(target, stripped=True)
        if method == "split" and literal == "." and target.part == "":
            return replace(target, part="parts")
        return None

    def _format_method(
        self, template: cst.SimpleString, args: list[cst.BaseExpression], keywords: dict, env: Env
    ) -> Value | None:
        text = template.evaluated_value
        if keywords or len(args) != 2 or not isinstance(text, str) or not _FIXED_FORMAT.match(text):
            return None
        if text.startswith("{") and "{1" not in text and "{0" in text:
            return None
        places = self.eval(args[1], env)
        if not isinstance(places, Places):
            return None
        return self._formatted(self.eval(args[0], env), places)

    def _spec_places(self, spec: cst.BaseExpression, env: Env) -> Places | None:
        """format(x, f'.{p}f') / format(x, '.{}f'.format(p))."""
        if isinstance(spec, cst.FormattedString):
            parts = spec.parts
            if (
                len(parts) == 3
                and isinstance(parts[0], cst.FormattedStringText) and parts[0].value in (".", "0.0", ".0")
                and isinstance(parts[1], cst.FormattedStringExpression) and parts[1].format_spec is None
                and parts[1].conversion is None
                and isinstance(parts[2], cst.FormattedStringText) and parts[2].value == "f"
            ):
                value = self.eval(parts[1].expression, env)
                return value if isinstance(value, Places) else None
        return None

    def _fstring(self, node: cst.FormattedString, env: Env) -> Value | None:
        """f"{value:.{places}f}" as the whole string."""
        if len(node.parts) != 1 or not isinstance(node.parts[0], cst.FormattedStringExpression):
            return None
        part = node.parts[0]
        spec = part.format_spec
        if part.conversion is not None or not spec or part.equal is not None:
            return None
        places = self._spec_places(cst.FormattedString(parts=list(spec)), env)
        if places is None:
            return None
        return self._formatted(self.eval(part.expression, env), places)

    def _formatted(self, value: Value | None, places: Places) -> Value | None:
        rounded = self._round_places(value, places)
        return replace(rounded, text=True) if isinstance(rounded, Rounded) else None

    def _round_places(self, value: Value | None, places: Places) -> Rounded | None:
        """round(x, places) / formatting to places: clean-up of a multiple, or the rounding itself."""
        extra = tuple(places.classes)
        if isinstance(value, Rounded) and not value.decimal and not value.text and value.step == places.step:
            if value.lower is None and value.upper is None:
                return value.add(*extra)
            return None
        if isinstance(value, Input):
            # Rounding to the step's decimal places is rounding to the step only for powers of ten.
            return Rounded(value, places.step, "round", frozenset({FLOAT, PLACES}), False).add(*extra)
        return None


def clamp(which: str, a: Value | None, b: Value | None) -> Value | None:
    """max(rounded, lo) / min(rounded, hi), folded only where the helper does the same.

    The helper applies max_value and then min_value, so min_value wins when the
    bounds cross (Binance reports a maxPrice of 0 for "no limit"). ``max(lo,
    min(x, hi))`` is exactly that; ``min(max(x, lo), hi)`` is not, so it stops
    at the inner call.
    """
    rounded, bound = (a, b) if isinstance(a, Rounded) else (b, a)
    if not isinstance(rounded, Rounded) or not isinstance(bound, Input) or rounded.decimal or rounded.text:
        return None
    if which == "min" and rounded.upper is None and rounded.lower is None:
        return replace(rounded, upper=bound)
    if which == "max" and rounded.lower is None:
        return replace(rounded, lower=bound)
    return None


def _log_places(log: Log) -> Value:
    return Places(log.step, "log10") if log.negated and log.integral else log


def _binary(*values: Value | None) -> bool:
    return any(isinstance(v, Exact) and v.binary for v in values)


def _input_of(value: Value) -> Input:
    return value.of if isinstance(value, Exact) else value  # type: ignore[return-value]


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
