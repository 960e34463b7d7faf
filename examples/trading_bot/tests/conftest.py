"""Shared fixtures: an offline exchange, a controllable clock and a recording sleep."""

import asyncio

import pytest

from src.config import Settings
from src.core.circuit_breaker import CircuitBreaker
from src.exchange.fake_client import FakeExchangeClient
from src.main import TradingBot
from src.services.trading_service import TradingService


class FakeMonotonic:
    """Stand-in for time.monotonic that only moves when told to."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SleepRecorder:
    """Replacement for asyncio.sleep: records the delays, returns at once.

    When ``clock`` is set, each sleep also advances that fake clock, so code
    waiting for a circuit breaker cooldown sees the time pass.
    """

    def __init__(self):
        self.delays = []
        self.clock = None

    async def __call__(self, delay, result=None):
        self.delays.append(delay)
        if self.clock is not None:
            self.clock.advance(delay)
        return result


@pytest.fixture
def fake_monotonic():
    return FakeMonotonic()


@pytest.fixture
def sleeps(monkeypatch):
    recorder = SleepRecorder()
    monkeypatch.setattr(asyncio, "sleep", recorder)
    return recorder


@pytest.fixture
def client():
    return FakeExchangeClient()


@pytest.fixture
def breaker(fake_monotonic):
    return CircuitBreaker(name="test", failure_threshold=5, recovery_timeout=30.0, clock=fake_monotonic)


@pytest.fixture
def service(client, breaker):
    return TradingService(client, breaker)


@pytest.fixture
def settings():
    return Settings(
        symbols=["BTCUSDT", "ETHUSDT", "DOGEUSDT"],
        kline_interval="1m",
        kline_limit=60,
        order_notional=50.0,
        min_signal_strength=0.05,
        dry_run=False,
        max_retry_attempts=3,
    )


@pytest.fixture
def bot(client, settings, breaker):
    trading_bot = TradingBot(client=client, settings=settings)
    trading_bot.circuit_breaker = breaker
    trading_bot.trading_service.circuit_breaker = breaker
    return trading_bot
