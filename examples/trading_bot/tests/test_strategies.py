import asyncio
import time
from datetime import datetime, timedelta, timezone

from src.exchange.fake_client import FakeExchangeClient
from src.strategies.rule_based_signal_generator import (
    Candle,
    RuleBasedSignalGenerator,
    candles_from_klines,
    rsi,
    sma,
)

START = datetime(2024, 3, 1, tzinfo=timezone.utc)


def make_candles(closes):
    return [Candle(START + timedelta(minutes=i), c, c, c, c, 1.0) for i, c in enumerate(closes)]


def small_generator(**kwargs):
    params = dict(fast_period=3, slow_period=5, rsi_period=5, rsi_overbought=80)
    params.update(kwargs)
    return RuleBasedSignalGenerator(**params)


def test_indicators():
    assert sma([1, 2, 3, 4], 2) == 3.5
    assert sma([1], 3) is None
    assert rsi([1, 2, 3, 4, 5, 6], 5) == 100.0
    assert rsi([5, 5, 5, 5, 5, 5], 5) == 50.0
    assert rsi([1, 2], 5) is None


def test_bullish_and_bearish_crossovers():
    gen = small_generator()
    buy = gen.generate("BTCUSDT", make_candles([10, 11, 10, 9, 8, 7, 7.5, 12]))
    assert buy.side == "BUY" and buy.strength > 0
    assert buy.candle_time_ms == int((START + timedelta(minutes=7)).timestamp() * 1000)
    assert abs(buy.generated_at - time.time() * 1000) < 2000
    sell = gen.generate("BTCUSDT", make_candles([10, 9, 10, 11, 12, 13, 12.5, 8]))
    assert sell.side == "SELL"
    blocked = small_generator(rsi_overbought=60).generate("BTCUSDT", make_candles([10, 11, 10, 9, 8, 7, 7.5, 12]))
    assert blocked.side == "HOLD" and "overbought" in blocked.reason


def test_hold_on_flat_or_short_history():
    gen = small_generator()
    assert gen.generate("ETHUSDT", make_candles([10] * 8)).side == "HOLD"
    short = gen.generate("ETHUSDT", make_candles([10, 11, 12]))
    assert short.side == "HOLD" and "insufficient" in short.reason
    rows = asyncio.run(FakeExchangeClient().klines("ETHUSDT", "1m", 10))
    candles = candles_from_klines(rows)
    assert candles[0].open_time == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert candles[1].open_time - candles[0].open_time == timedelta(minutes=1)
