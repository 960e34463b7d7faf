# codemods: skip-file  (this line is the template's own; it is not written out)
"""Exchange precision helpers (created by `codemods precision`).

One correct implementation of "bring a quantity or price to the exchange's step
size", instead of a copy in every method that needs it.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Union

Number = Union[int, float, str, Decimal]

_MODES = {"floor": ROUND_FLOOR, "round": ROUND_HALF_EVEN, "ceil": ROUND_CEILING, "half_up": ROUND_HALF_UP}
# Our own context: a program that lowers the global precision (getcontext().prec = 8)
# must not make a floor round up.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


def _decimal(value: Number, name: str) -> Decimal:
    """The exact decimal a person reads in ``value``: floats go through ``str``, so 0.1 is 0.1."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, (int, float, str)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def adjust_to_step_size(
    value: Number,
    step_size: Number,
    min_value: Number | None = None,
    max_value: Number | None = None,
    rounding: str = "round",
) -> float:
    """``value`` brought to a whole multiple of ``step_size``, then clamped to the bounds.

    Exact decimal arithmetic: ``adjust_to_step_size(0.3, 0.1, rounding="floor")``
    is 0.3 (float division would give 0.2), and steps that are not powers of ten
    (0.5, 0.25, 5) work like any other.

    ``rounding`` is ``"floor"`` (towards minus infinity: a quantity never exceeds
    what is available), ``"ceil"``, ``"round"`` (to the nearest multiple, ties
    to even, as Python's ``round`` does) or ``"half_up"`` (ties away from zero,
    as ``decimal.ROUND_HALF_UP``). After rounding the result is clamped as
    ``max(min_value, min(result, max_value))``: when the bounds cross, min_value
    wins. Returns a float (exact for the 15 significant digits prices and
    quantities have). Raises ValueError for a step that is not positive or an
    unknown mode, ZeroDivisionError for a zero step (as dividing by it would),
    TypeError for something that is not a number. A NaN or infinite value comes
    back as it is, as float arithmetic would return it.
    """
    if rounding not in _MODES:
        raise ValueError(f"rounding must be one of {', '.join(_MODES)}, got {rounding!r}")
    step = _decimal(step_size, "step_size")
    if not step.is_finite() or step < 0:
        raise ValueError(f"step_size must be a positive number, got {step_size!r}")
    if step == 0:
        raise ZeroDivisionError("step_size is zero")
    exact = _decimal(value, "value")
    if not exact.is_finite():
        return float(exact)
    with localcontext(_CONTEXT):
        result = (exact / step).to_integral_value(rounding=_MODES[rounding]) * step
        if max_value is not None:
            result = min(result, _decimal(max_value, "max_value"))
        if min_value is not None:
            result = max(result, _decimal(min_value, "min_value"))
    return float(result)
