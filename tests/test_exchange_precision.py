"""The precision helper that the `precision` codemod writes into projects."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codemods.templates.exchange_precision import adjust_to_step_size


@pytest.mark.parametrize(
    "value, step, rounding, expected",
    [
        (0.3, 0.1, "floor", 0.3),  # float division gives 2.9999999999999996 -> floor 2
        (1.23456789, 0.001, "floor", 1.234),
        (1.23456789, 0.001, "ceil", 1.235),
        (1.2345, 0.001, "round", 1.234),  # a tie: to even, as round() does
        (1.2355, 0.001, "round", 1.236),
        (0.00012345, 1e-8, "floor", 0.00012345),
        (12345.678, 1000, "floor", 12000.0),
        (7.3, 0.5, "floor", 7.0),
        (7.3, 0.25, "round", 7.25),
        (7.3, 0.25, "ceil", 7.5),
        (23, 5, "round", 25.0),
        ("0.1", "0.01", "floor", 0.1),
        (Decimal("2.5"), Decimal("1"), "round", 2.0),
    ],
)
def test_known_values(value: object, step: object, rounding: str, expected: float) -> None:
    assert adjust_to_step_size(value, step, rounding=rounding) == expected  # type: ignore[arg-type]


def test_bounds_clamp_after_rounding() -> None:
    assert adjust_to_step_size(0.0004, 0.001, min_value=0.001, rounding="floor") == 0.001
    assert adjust_to_step_size(9999.0, 0.1, max_value=1000, rounding="floor") == 1000.0
    assert adjust_to_step_size(5.0, 0.1, min_value=1, max_value=10) == 5.0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"value": 1, "step_size": 0}, ZeroDivisionError, "step_size is zero"),  # as `1 / 0` would
        ({"value": 1, "step_size": -0.1}, ValueError, "step_size must be a positive number"),
        ({"value": 1, "step_size": float("nan")}, ValueError, "step_size must be a positive number"),
        ({"value": 1, "step_size": 0.1, "rounding": "up"}, ValueError, "rounding must be one of"),
        ({"value": "abc", "step_size": 0.1}, ValueError, "value must be a number"),
        ({"value": None, "step_size": 0.1}, TypeError, "value must be a number, got NoneType"),
    ],
)
def test_bad_input(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        adjust_to_step_size(**kwargs)


def test_non_finite_values_pass_through_as_float_arithmetic_would() -> None:
    assert adjust_to_step_size(float("inf"), 0.1) == float("inf")
    nan = adjust_to_step_size(float("nan"), 0.1, min_value=1)
    assert nan != nan


def test_the_global_decimal_context_does_not_matter() -> None:
    import decimal

    with decimal.localcontext() as context:
        context.prec = 6
        context.rounding = decimal.ROUND_UP
        assert adjust_to_step_size(12345.6789, 0.001, rounding="floor") == 12345.678
        assert adjust_to_step_size(1234567.891, 0.01, rounding="floor") == 1234567.89


STEPS = st.sampled_from(
    [Decimal(f"1e{k}") for k in range(-8, 4)] + [Decimal("0.5"), Decimal("0.25"), Decimal("5"), Decimal("0.05")]
)
# The helper returns a float: exact for values a float holds exactly enough, which
# prices and quantities (at most 15 significant digits) are.
VALUES = st.decimals(min_value=Decimal("1e-9"), max_value=Decimal("1e9"), places=9, allow_nan=False).filter(
    lambda d: len(d.normalize().as_tuple().digits) <= 15
)


@settings(max_examples=500, deadline=None)
@given(value=VALUES, step=STEPS)
def test_results_are_exact_multiples_bracketing_the_value(value: Decimal, step: Decimal) -> None:
    floor = Decimal(str(adjust_to_step_size(value, step, rounding="floor")))
    ceil = Decimal(str(adjust_to_step_size(value, step, rounding="ceil")))
    nearest = Decimal(str(adjust_to_step_size(value, step, rounding="round")))
    for result in (floor, ceil, nearest):
        assert result % step == 0, (value, step, result)
    assert floor <= value <= ceil
    assert ceil - floor in (0, step)
    assert nearest in (floor, ceil)
    assert abs(nearest - value) <= step / 2
