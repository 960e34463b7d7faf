"""Rule-based entry signals: SMA crossover filtered by RSI.

BUY  when the fast SMA crosses above the slow SMA and RSI is not overbought.
SELL when the fast SMA crosses below the slow SMA and RSI is not oversold.
HOLD otherwise.
"""

import logging
import time as t
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional, Sequence

logger = logging.getLogger(__name__)


@dataclass
class Candle:
    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass
class Signal:
    symbol: str
    side: str
    strength: float
    reason: str
    price: Optional[float] = None
    candle_time_ms: Optional[int] = None
    generated_at: Optional[int] = None

    @property
    def is_actionable(self) -> bool:
        return self.side in ("BUY", "SELL")


def candles_from_klines(rows: Sequence[Sequence]) -> List[Candle]:
    """Convert raw Binance kline rows into :class:`Candle` objects."""
    candles = []
    for row in rows:
        candles.append(
            Candle(
                open_time=datetime.fromtimestamp(row[0] / 1000, tz=timezone.utc),
                open=float(row[1]),
                high=float(row[2]),
                low=float(row[3]),
                close=float(row[4]),
                volume=float(row[5]),
            )
        )
    return candles


def sma(values: Sequence[float], period: int) -> Optional[float]:
    """Simple moving average of the last ``period`` values."""
    if period <= 0 or len(values) < period:
        return None
    return sum(values[-period:]) / period


def rsi(values: Sequence[float], period: int = 14) -> Optional[float]:
    """Cutler's RSI (simple averages) over the last ``period`` changes."""
    if len(values) < period + 1:
        return None
    gains = 0.0
    losses = 0.0
    for prev, cur in zip(values[-period - 1:-1], values[-period:]):
        change = cur - prev
        if change > 0:
            gains += change
        else:
            losses -= change
    if losses == 0:
        return 100.0 if gains > 0 else 50.0
    rs = gains / losses
    return 100.0 - 100.0 / (1.0 + rs)


class RuleBasedSignalGenerator:
    """Stateless generator; one instance can serve all symbols."""

    def __init__(
        self,
        fast_period: int = 7,
        slow_period: int = 25,
        rsi_period: int = 14,
        rsi_overbought: float = 70.0,
        rsi_oversold: float = 30.0,
    ):
        if fast_period >= slow_period:
            raise ValueError("fast_period must be smaller than slow_period")
        self.fast_period = fast_period
        self.slow_period = slow_period
        self.rsi_period = rsi_period
        self.rsi_overbought = rsi_overbought
        self.rsi_oversold = rsi_oversold

    @property
    def min_candles(self) -> int:
        return max(self.slow_period, self.rsi_period) + 1

    def generate(self, symbol: str, candles: Sequence[Candle]) -> Signal:
        """Evaluate the rules on ``candles`` (oldest first)."""
        generated_at = int(t.time() * 1e3)
        if len(candles) < self.min_candles:
            return Signal(symbol, "HOLD", 0.0, f"insufficient data ({len(candles)}/{self.min_candles})",
                          generated_at=generated_at)

        closes = [c.close for c in candles]
        last = candles[-1]
        candle_time_ms = int(last.open_time.timestamp() * 1000)

        fast_now = sma(closes, self.fast_period)
        slow_now = sma(closes, self.slow_period)
        fast_prev = sma(closes[:-1], self.fast_period)
        slow_prev = sma(closes[:-1], self.slow_period)
        current_rsi = rsi(closes, self.rsi_period)

        strength = min(1.0, abs(fast_now - slow_now) / slow_now * 100) if slow_now else 0.0
        side = "HOLD"
        reason = f"no crossover (fast={fast_now:.4f}, slow={slow_now:.4f}, rsi={current_rsi:.1f})"

        if fast_prev <= slow_prev and fast_now > slow_now:
            if current_rsi < self.rsi_overbought:
                side, reason = "BUY", f"bullish crossover, rsi={current_rsi:.1f}"
            else:
                reason = f"bullish crossover ignored, rsi={current_rsi:.1f} overbought"
        elif fast_prev >= slow_prev and fast_now < slow_now:
            if current_rsi > self.rsi_oversold:
                side, reason = "SELL", f"bearish crossover, rsi={current_rsi:.1f}"
            else:
                reason = f"bearish crossover ignored, rsi={current_rsi:.1f} oversold"

        if side == "HOLD":
            strength = 0.0
        logger.debug("%s signal %s (%.2f): %s", symbol, side, strength, reason)
        return Signal(
            symbol=symbol,
            side=side,
            strength=round(strength, 4),
            reason=reason,
            price=last.close,
            candle_time_ms=candle_time_ms,
            generated_at=generated_at,
        )
