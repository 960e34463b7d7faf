"""Recognising clock expressions: "now" in seconds, epoch milliseconds, int-ness.

Names are resolved through a qualified-name lookup supplied by the caller
(libcst's QualifiedNameProvider), never by spelling, so `time` as a parameter
or a local variable is not the module.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

# Spellings of the UTC time zone object.
UTC_NAMES = frozenset(
    {"datetime.timezone.utc", "datetime.UTC", "pytz.utc", "pytz.UTC", "dateutil.tz.UTC", "dateutil.tz.tz.UTC"}
)
# `now(tz).timestamp()` is the same instant for every aware tz, so these calls
# (which return a tzinfo or raise, never None) make an aware "now" too.
# dateutil.tz.gettz is not here: it returns None for an unknown name.
AWARE_TZ_CALLS = frozenset(
    {
        "datetime.timezone", "zoneinfo.ZoneInfo", "pytz.timezone",
        "dateutil.tz.tzutc", "dateutil.tz.tzlocal", "dateutil.tz.tzoffset",
        "dateutil.tz.tz.tzutc", "dateutil.tz.tz.tzlocal", "dateutil.tz.tz.tzoffset",
    }
)
# For positive values (and "now in ms" is positive) these truncate exactly as int() does.
TRUNCATING_CALLS = frozenset({"builtins.int", "math.floor", "math.trunc"})


class ClockMatcher:
    """Recognises clock expressions through a qualified-name lookup (never by spelling)."""

    def __init__(self, qnames: Callable[[cst.CSTNode], set[str]]) -> None:
        self.qnames = qnames

    def is_call(self, node: cst.BaseExpression, names: frozenset[str] | set[str], nargs: int = 0) -> bool:
        return (
            isinstance(node, cst.Call)
            and len(node.args) == nargs
            and bool(self.qnames(node.func) & names)
        )

    def is_utc(self, node: cst.BaseExpression) -> bool:
        return bool(self.qnames(node) & UTC_NAMES)

    def is_aware_tz(self, node: cst.BaseExpression) -> bool:
        if self.is_utc(node):
            return True
        return isinstance(node, cst.Call) and bool(self.qnames(node.func) & AWARE_TZ_CALLS)

    def is_aware_now(self, node: cst.BaseExpression) -> bool:
        """An aware "now": ``datetime.now(tz)`` / ``now(tz=tz)`` for a provably aware tz,
        ``datetime.now().astimezone()``, or ``datetime.utcnow().replace(tzinfo=timezone.utc)``."""
        if not isinstance(node, cst.Call):
            return False
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("astimezone", "replace"):
            return self._is_aware_conversion(node)
        if not self.is_call(node, {"datetime.datetime.now"}, nargs=1):
            return False
        arg = node.args[0]
        if arg.star or (arg.keyword is not None and arg.keyword.value != "tz"):
            return False
        return self.is_aware_tz(arg.value)

    def _is_aware_conversion(self, node: cst.Call) -> bool:
        func = node.func
        assert isinstance(func, cst.Attribute)
        if func.attr.value == "astimezone":
            # Local now made aware (no argument) or converted to another zone: same instant.
            no_arg_or_aware = not node.args or (
                len(node.args) == 1 and not node.args[0].star and self.is_aware_tz(node.args[0].value)
            )
            return no_arg_or_aware and (
                self.is_call(func.value, {"datetime.datetime.now"}) or self.is_aware_now(func.value)
            )
        # utcnow() holds UTC wall time: labelling it UTC (and only UTC) is correct.
        return (
            len(node.args) == 1
            and node.args[0].keyword is not None
            and node.args[0].keyword.value == "tzinfo"
            and self.is_utc(node.args[0].value)
            and self.is_call(func.value, {"datetime.datetime.utcnow"})
        )

    def is_naive_utcnow_timestamp(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "timestamp"
            and self.is_call(node.func.value, {"datetime.datetime.utcnow"})
        )

    def is_now_seconds(self, node: cst.BaseExpression) -> bool:
        """A float of the current UTC epoch seconds: ``time.time()`` or aware ``now().timestamp()``."""
        if self.is_call(node, {"time.time"}):
            return True
        return (
            isinstance(node, cst.Call)
            and not node.args
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "timestamp"
            and self.is_aware_now(node.func.value)
        )

    def is_seconds_times_1000(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.BinaryOperation)
            and isinstance(node.operator, cst.Multiply)
            and (
                (literal_value(node.right) == 1000 and self.is_now_seconds(node.left))
                or (literal_value(node.left) == 1000 and self.is_now_seconds(node.right))
            )
        )

    def is_ns_floordiv(self, node: cst.BaseExpression) -> bool:
        """``time.time_ns() // 1_000_000`` (an int literal; ``/ 1e6`` would give a float)."""
        return (
            isinstance(node, cst.BinaryOperation)
            and isinstance(node.operator, cst.FloorDivide)
            and literal_value(node.right) == 1_000_000
            and isinstance(literal_value(node.right), int)
            and self.is_call(node.left, {"time.time_ns"})
        )

    def int_of(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The argument of a builtin ``int(...)`` call shaped like ms arithmetic, else None.

        The shape (``x * 1000``, ``x // 10**6``, ``x * 1000 +/- y``) is checked on
        the syntax first: resolving names is the expensive part, and most ``int()``
        calls in real code convert something else.
        """
        if not (isinstance(node, cst.Call) and len(node.args) == 1):
            return None
        arg = node.args[0]
        if arg.keyword is not None or arg.star or not _ms_shaped(arg.value):
            return None
        if not self.qnames(node.func) & TRUNCATING_CALLS:
            return None
        return arg.value

    def is_epoch_ms(self, node: cst.BaseExpression) -> bool:
        """An expression equal in value to the helper (used to find the helper itself)."""
        inner = self.int_of(node)
        if inner is not None and (self.is_seconds_times_1000(inner) or self.is_ns_floordiv(inner)):
            return True
        return self.is_ns_floordiv(node)


def _times_1000(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Multiply)
        and 1000 in (literal_value(node.left), literal_value(node.right))
    )


def _ms_shaped(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.BinaryOperation):
        return False
    if isinstance(node.operator, (cst.Add, cst.Subtract)):
        return _times_1000(node.left)
    if isinstance(node.operator, cst.FloorDivide):
        return literal_value(node.right) == 1_000_000
    return _times_1000(node)


def literal_value(node: cst.BaseExpression) -> int | float | None:
    """The value of an int/float literal or of ``10 ** k``; None for anything else."""
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.Float):
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return None
    if (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Power)
        and isinstance(node.left, cst.Integer)
        and isinstance(node.right, cst.Integer)
    ):
        base, exponent = literal_value(node.left), literal_value(node.right)
        if base is not None and exponent is not None and 0 <= exponent <= 64:
            return int(base) ** int(exponent)
    return None


# An offset this small cannot move "now in ms" (about 1.7e12) across zero or a
# power of two before 2039, so int(now_ms + k) == int(now_ms) + k exactly.
MAX_OFFSET = 10**11


def int_literal(node: cst.BaseExpression) -> int | None:
    """The value of an int literal expression (+, -, * of int literals), else None."""
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        value = int_literal(node.expression)
        return None if value is None else (-value if isinstance(node.operator, cst.Minus) else value)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply)):
        left, right = int_literal(node.left), int_literal(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.operator, cst.Add):
            return left + right
        return left - right if isinstance(node.operator, cst.Subtract) else left * right
    return None


def is_safe_offset(
    node: cst.BaseExpression, operator: cst.BaseBinaryOp, qnames: Callable[[cst.CSTNode], set[str]]
) -> bool:
    """Whether ``int(now_ms <operator> node) == int(now_ms) <operator> node`` holds for sure.

    ``int()`` truncates toward zero, so this needs an int offset that keeps the sum
    positive and exact: a small int literal, or ``+ len(...)``. ``- int(x)`` is not
    safe (x may exceed now), nor is ``+ int(x)`` (x may be negative).
    """
    value = int_literal(node)
    if value is not None:
        return abs(value) < MAX_OFFSET
    return (
        isinstance(operator, cst.Add)
        and isinstance(node, cst.Call)
        and "builtins.len" in qnames(node.func)
    )
