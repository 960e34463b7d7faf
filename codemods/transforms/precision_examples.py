"""Before/after examples of the `precision` codemod: its tests and its documentation.

Each shape is also run by tests/test_precision_behaviour.py, which executes the
before and after code on generated inputs and classifies every difference.
"""

from __future__ import annotations

from codemods.base import Example, Unchanged

EXAMPLES: list[Example | Unchanged] = [
    # 1. log10 precision, floor/round to the step, round(result, precision); an if/elif clamp that logs stays
    Example(
        before='''\
import logging
import math

logger = logging.getLogger(__name__)


class Trader:
    def _round_quantity(self, symbol, quantity):
        """Floor to the LOT_SIZE step."""
        lot = self.filters[symbol]["LOT_SIZE"]
        step_size = float(lot["stepSize"])
        min_qty = float(lot["minQty"])
        max_qty = float(lot["maxQty"])

        precision = int(round(-math.log10(step_size)))
        if precision < 0:
            precision = 0

        adjusted = math.floor(quantity / step_size) * step_size
        adjusted = round(adjusted, precision)

        if adjusted < min_qty:
            logger.warning("%s below minQty", adjusted)
            adjusted = min_qty
        elif adjusted > max_qty:
            adjusted = max_qty
        return adjusted

    def _round_price(self, symbol, price):
        tick_size = float(self.filters[symbol]["PRICE_FILTER"]["tickSize"])
        precision = int(round(-math.log10(tick_size)))
        adjusted = round(price / tick_size) * tick_size
        return round(adjusted, precision)
''',
        after='''\
import logging

from bot.utils.exchange_precision import adjust_to_step_size

logger = logging.getLogger(__name__)


class Trader:
    def _round_quantity(self, symbol, quantity):
        """Floor to the LOT_SIZE step."""
        lot = self.filters[symbol]["LOT_SIZE"]
        step_size = float(lot["stepSize"])
        min_qty = float(lot["minQty"])
        max_qty = float(lot["maxQty"])

        adjusted = adjust_to_step_size(quantity, step_size, rounding="floor")

        if adjusted < min_qty:
            logger.warning("%s below minQty", adjusted)
            adjusted = min_qty
        elif adjusted > max_qty:
            adjusted = max_qty
        return adjusted

    def _round_price(self, symbol, price):
        tick_size = float(self.filters[symbol]["PRICE_FILTER"]["tickSize"])
        return adjust_to_step_size(price, tick_size, rounding="round")
''',
        path="bot/trader.py",
    ),
    # 2. precision from the step's text, then formatting to that many decimals (configured function names)
    Example(
        before="""\
def round_qty(quantity, step):
    precision = len(str(step).split('.')[1].rstrip('0'))
    return float('{:.{}f}'.format(quantity, precision))


def round_px(price, tick):
    decimals = len(format(tick, 'f').rstrip('0').split('.')[1])
    return float(f"{price:.{decimals}f}")
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def round_qty(quantity, step):
    return adjust_to_step_size(quantity, step, rounding='round')


def round_px(price, tick):
    return adjust_to_step_size(price, tick, rounding='round')
""",
        path="bot/trader.py",
        options={'functions': ['round_qty', 'round_px']},
    ),
    # 3. Decimal.quantize with ROUND_DOWN / ROUND_HALF_UP
    Example(
        before="""\
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal


def _round_quantity(quantity, step_size):
    return float(Decimal(str(quantity)).quantize(Decimal(str(step_size)), rounding=ROUND_DOWN))


def _round_price(price, tick_size):
    rounded = Decimal(str(price)).quantize(Decimal(str(tick_size)), rounding=ROUND_HALF_UP)
    return float(rounded)
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_quantity(quantity, step_size):
    return adjust_to_step_size(quantity, step_size, rounding="floor")


def _round_price(price, tick_size):
    return adjust_to_step_size(price, tick_size, rounding="half_up")
""",
        path="bot/trader.py",
    ),
    # 4. value - value % step
    Example(
        before='''\
def floor_to_step(value: float, step: float):
    """Largest multiple of step not above value."""
    if step <= 0:
        return value
    adjusted = value - (value % step)
    return adjusted
''',
        after='''\
from bot.utils.exchange_precision import adjust_to_step_size


def floor_to_step(value: float, step: float):
    """Largest multiple of step not above value."""
    if step <= 0:
        return value
    adjusted = adjust_to_step_size(value, step, rounding="floor")
    return adjusted
''',
        path="bot/trader.py",
        options={'functions': ['floor_to_step']},
    ),
    # 5. a clamp written max(lo, min(x, hi)) folds into the helper's bounds
    Example(
        before="""\
import math


def _round_quantity(qty: float, step: float, min_qty, max_qty):
    qty = math.floor(qty / step) * step
    return max(min_qty, min(qty, max_qty))
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_quantity(qty: float, step: float, min_qty, max_qty):
    return adjust_to_step_size(qty, step, min_value=min_qty, max_value=max_qty, rounding="floor")
""",
        path="bot/trader.py",
    ),
    # 6. Decimal / step, to_integral_value(ROUND_DOWN) * step, async
    Example(
        before="""\
from decimal import ROUND_DOWN, Decimal


async def _round_quantity(self, quantity: float, step: Decimal) -> float:
    steps = (Decimal(str(quantity)) / step).to_integral_value(ROUND_DOWN)
    return float(steps * step)
""",
        after="""\
from decimal import Decimal

from bot.utils.exchange_precision import adjust_to_step_size


async def _round_quantity(self, quantity: float, step: Decimal) -> float:
    return adjust_to_step_size(quantity, step, rounding="floor")
""",
        path="bot/trader.py",
    ),
    # 7. ceil(value * 10**places) / 10**places
    Example(
        before="""\
import math


def _round_price(price, tick):
    digits = int(-math.log10(tick))
    factor = 10 ** digits
    return math.ceil(price * factor) / factor
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_price(price, tick):
    return adjust_to_step_size(price, tick, rounding="ceil")
""",
        path="bot/trader.py",
    ),
    # 8. vnpy's round_to: Decimal division, round(), int(), float()
    Example(
        before='''\
from decimal import Decimal


def _round_price(value: float, target: float) -> float:
    """vnpy's round_to: the nearest multiple of target."""
    value = Decimal(str(value))
    target = Decimal(str(target))
    rounded = float(int(round(value / target)) * target)
    return rounded
''',
        after='''\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_price(value: float, target: float) -> float:
    """vnpy's round_to: the nearest multiple of target."""
    rounded = adjust_to_step_size(value, target, rounding="round")
    return rounded
''',
        path="bot/trader.py",
    ),
    # 9. hummingbot's (amount // quantum) * quantum
    Example(
        before="""\
def _round_quantity(self, amount: float, quantum: float):
    return (amount // quantum) * quantum
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_quantity(self, amount: float, quantum: float):
    return adjust_to_step_size(amount, quantum, rounding="floor")
""",
        path="bot/trader.py",
    ),
    # 10. comments of the statements that go stay above the call
    Example(
        before="""\
import math


def _round_quantity(qty: float, step: float) -> float:
    # 0.001 -> 3
    precision = int(round(-math.log10(step)))
    # floor, so we never sell more than the balance
    qty = math.floor(qty / step) * step  # never round up
    qty = round(qty, precision)  # strip float noise
    return qty
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_quantity(qty: float, step: float) -> float:
    # 0.001 -> 3
    # floor, so we never sell more than the balance
    # never round up
    qty = adjust_to_step_size(qty, step, rounding="floor")  # strip float noise
    return qty
""",
        path="bot/trader.py",
    ),
    # 11. a one-line method
    Example(
        before="""\
class Client:
    def _round_quantity(self, qty: float): return (qty // self.step_size) * self.step_size
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


class Client:
    def _round_quantity(self, qty: float): return adjust_to_step_size(qty, self.step_size, rounding="floor")
""",
        path="bot/trader.py",
    ),
    # 12. python-binance's round_step_size: a guard reads the parameter before it is rebound
    Example(
        before="""\
from decimal import Decimal


def _round_quantity(quantity, step_size):
    if step_size == 0:
        return quantity
    quantity = Decimal(str(quantity))
    return float(quantity - quantity % Decimal(str(step_size)))
""",
        after="""\
from bot.utils.exchange_precision import adjust_to_step_size


def _round_quantity(quantity, step_size):
    if step_size == 0:
        return quantity
    return adjust_to_step_size(quantity, step_size, rounding="floor")
""",
        path="bot/trader.py",
    ),
    # nothing says these are floats: ints (or Decimals) would come back as a float
    Unchanged("""\
def _round_quantity(qty, step):
    return (qty // step) * step
""", path="bot/trader.py"),
    # the result stays a Decimal: reported, not rewritten
    Unchanged("""\
from decimal import ROUND_DOWN, Decimal


def _round_quantity(quantity, step):
    return Decimal(str(quantity)).quantize(Decimal(str(step)), rounding=ROUND_DOWN)
""", path="bot/trader.py"),
    # the precision is used after the rounding
    Unchanged("""\
import logging
import math

log = logging.getLogger(__name__)


def _round_price(price, tick):
    precision = int(round(-math.log10(tick)))
    price = round(price, precision)
    log.debug("rounded to %d places", precision)
    return price
""", path="bot/trader.py"),
    # an epsilon before floor: not the helper's floor
    Unchanged("""\
import math


def _round_quantity(quantity, step):
    # the epsilon changes the result near every multiple: not the helper's floor
    return math.floor(quantity / step + 1e-9) * step
""", path="bot/trader.py"),
    # not a target: neither named nor a near-duplicate
    Unchanged("""\
import math


def candles_per_day(interval_minutes):
    return math.floor(1440 / interval_minutes) * interval_minutes
""", path="bot/trader.py"),
    # the precision is read again in the next iteration of the loop
    Unchanged("""\
import math


def _round_price(prices, tick):
    out = []
    for price in prices:
        if out:
            print("previous precision", precision)
        precision = int(round(-math.log10(tick)))
        out.append(round(float(price), precision))
    return out
""", path="bot/trader.py"),
    # the module lowers the decimal precision: the original's Decimal results depend on it
    Unchanged("""\
import decimal
from decimal import ROUND_DOWN, Decimal

decimal.getcontext().prec = 6


def _round_quantity(qty, step):
    return float(Decimal(str(qty)).quantize(Decimal(str(step)), rounding=ROUND_DOWN))
""", path="bot/trader.py"),
    # quantize without rounding=: the decimal context decides, whatever the program set
    Unchanged("""\
from decimal import Decimal


def _round_quantity(qty, step):
    return float(Decimal(str(qty)).quantize(Decimal(str(step))))
""", path="bot/trader.py"),
]
