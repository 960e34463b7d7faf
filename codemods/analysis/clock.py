"""Recognising clock expressions: "now" in seconds, epoch milliseconds, int-ness.

Names are resolved through a qualified-name lookup supplied by the caller
(libcst's QualifiedNameProvider), never by spelling, so `time` as a parameter
or a local variable is not the module.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

# Any aware "now" has the same timestamp(); these spellings are provably aware UTC.
UTC_NAMES = frozenset(
    {"datetime.timezone.utc", "datetime.UTC", "pytz.utc", "pytz.UTC", "dateutil.tz.UTC", "dateutil.tz.tz.UTC"}
)
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

    def is_aware_now(self, node: cst.BaseExpression) -> bool:
        """``datetime.now(timezone.utc)`` or ``datetime.now(tz=timezone.utc)``."""
        if not self.is_call(node, {"datetime.datetime.now"}, nargs=1):
            return False
        arg = node.args[0]  # type: ignore[attr-defined]
        if arg.star or (arg.keyword is not None and arg.keyword.value != "tz"):
            return False
        return self.is_utc(arg.value)

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
        """The single argument of a builtin ``int(...)`` call whose argument is arithmetic, else None."""
        if not (isinstance(node, cst.Call) and len(node.args) == 1):
            return None
        arg = node.args[0]
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.BinaryOperation):
            return None  # checked first: resolving names is the expensive part
        if "builtins.int" not in self.qnames(node.func):
            return None
        return arg.value

    def is_epoch_ms(self, node: cst.BaseExpression) -> bool:
        """An expression equal in value to the helper (used to find the helper itself)."""
        inner = self.int_of(node)
        if inner is not None and (self.is_seconds_times_1000(inner) or self.is_ns_floordiv(inner)):
            return True
        return self.is_ns_floordiv(node)


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


def is_provably_int(node: cst.BaseExpression, qnames: Callable[[cst.CSTNode], set[str]]) -> bool:
    """Int literals, ``int(...)``/``len(...)`` calls and +,-,* of those."""
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        return is_provably_int(node.expression, qnames)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply)):
        return is_provably_int(node.left, qnames) and is_provably_int(node.right, qnames)
    if isinstance(node, cst.Call):
        return bool(qnames(node.func) & {"builtins.int", "builtins.len"})
    return False
