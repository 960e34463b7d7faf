# codemods: skip-file  (this line is the template's own; it is not written out)
"""Exchange precision helpers (created by `codemods precision`).

One correct implementation of "bring a quantity or price to the exchange's step
size", instead of a copy in every method that needs it.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Union

Number = Union[int, float, str, Decimal]

_MODES = {"floor": ROUND_FLOOR, "round": ROUND_HALF_EVEN, "ceil": ROUND_CEILING, "half_up": ROUND_HALF_UP}


def _decimal(value: Number, name: str) -> Decimal:
    """The exact decimal a person reads in ``value``: floats go through ``str``, so 0.1 is 0.1."""
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")
    return result


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
    quantities have); raises ValueError for a step that is not positive, an
    unknown mode, or a value that is not a finite number.
    """
    if rounding not in _MODES:
        raise ValueError(f"rounding must be one of {', '.join(_MODES)}, got {rounding!r}")
    step = _decimal(step_size, "step_size")
    if step <= 0:
        raise ValueError(f"step_size must be positive, got {step_size!r}")
    exact = _decimal(value, "value")
    result = (exact / step).to_integral_value(rounding=_MODES[rounding]) * step
    if max_value is not None:
        result = min(result, _decimal(max_value, "max_value"))
    if min_value is not None:
        result = max(result, _decimal(min_value, "min_value"))
    return float(result)
