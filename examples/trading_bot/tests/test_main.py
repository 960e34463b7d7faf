import asyncio
import time

from src import config
from src.core.circuit_breaker import CircuitState
from src.main import TradingBot


class FixedWallClock:
    def time(self) -> float:
        return 1_700_000_000.0


def test_connection_ok_first_try(bot, client, sleeps):
    assert asyncio.run(bot._test_connection_with_retry()) is True
    assert client.calls["ping"] == 1
    assert sleeps.delays == []


def test_connection_succeeds_after_failures_with_backoff(bot, client, sleeps, monkeypatch):
    monkeypatch.setattr(config, "RETRY_BASE_DELAY", 0.25)
    client.fail_next(2)
    assert asyncio.run(bot._test_connection_with_retry(max_attempts=3)) is True
    assert client.calls["ping"] == 3
    assert sleeps.delays == [0.25, 0.5]


def test_connection_gives_up_after_max_attempts(bot, client, sleeps):
    base = config.RETRY_BASE_DELAY
    client.fail_next(10)
    assert asyncio.run(bot._test_connection_with_retry(max_attempts=3)) is False
    assert client.calls["ping"] == 3
    assert sleeps.delays == [base, 2 * base]
    assert bot.circuit_breaker.failure_count == 3


def test_connection_blocked_by_open_circuit(bot, client, sleeps):
    for _ in range(5):
        bot.circuit_breaker.record_failure()
    assert asyncio.run(bot._test_connection_with_retry(max_attempts=3)) is False
    assert "ping" not in client.calls
    assert sleeps.delays == [31.0, 31.0, 31.0]


def test_connection_recovers_once_circuit_half_opens(bot, client, sleeps, fake_monotonic):
    for _ in range(5):
        bot.circuit_breaker.record_failure()
    fake_monotonic.advance(20)
    sleeps.clock = fake_monotonic
    assert asyncio.run(bot._test_connection_with_retry(max_attempts=3)) is True
    assert sleeps.delays == [11.0]
    assert client.calls["ping"] == 1
    assert bot.circuit_breaker.state == CircuitState.CLOSED


def test_run_once_generates_signals_and_orders(bot, client):
    result = asyncio.run(bot.run_once())
    assert abs(result["tick_ms"] - time.time() * 1000) < 2000
    assert set(result["signals"]) == {"BTCUSDT", "ETHUSDT", "DOGEUSDT"}
    sides = {s: sig.side for s, sig in result["signals"].items()}
    assert sides == {"BTCUSDT": "BUY", "ETHUSDT": "HOLD", "DOGEUSDT": "SELL"}
    assert [o["symbol"] for o in result["orders"]] == ["BTCUSDT", "DOGEUSDT"]
    assert client.positions == {"BTCUSDT": 0.001, "DOGEUSDT": -629.0}
    assert asyncio.run(bot.close_all_positions()) == []
    assert client.positions == {}


def test_status_and_heartbeat(client, settings):
    bot = TradingBot(client=client, settings=settings, clock=FixedWallClock())
    asyncio.run(bot.heartbeat())
    assert abs(bot.last_heartbeat_ms - time.time() * 1000) < 2000
    latency = asyncio.run(bot.measure_latency())
    assert isinstance(latency, float) and latency >= 0
    status = bot.status()
    assert status["clock_ms"] == 1_700_000_000_000
    assert status["uptime_s"] >= 0
    assert status["circuit_breaker"]["state"] == "closed"
    assert "report_generated_at" in status


def test_start_refuses_when_exchange_unreachable(bot, client, sleeps):
    client.fail_next(100)
    assert asyncio.run(bot.start()) is False
    assert client.calls["ping"] == bot.settings.max_retry_attempts
