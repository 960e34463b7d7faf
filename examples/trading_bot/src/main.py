"""Entry point: wires the exchange client, services and scheduler together.

Run with ``python -m src.main`` from the bot folder. Without credentials the
bot talks to the offline :class:`FakeExchangeClient`.
"""

import asyncio
import logging
import time
from datetime import datetime
from signal import SIGINT, SIGTERM
from typing import Any, Dict, List, Optional

from src import config
from src.config import Settings, load_settings
from src.core.circuit_breaker import CircuitBreaker
from src.core.unified_scheduler import UnifiedScheduler
from src.exchange.fake_client import FakeExchangeClient
from src.services.trading_service import TradingService
from src.strategies.rule_based_signal_generator import RuleBasedSignalGenerator, Signal, candles_from_klines
from src.utils.helpers import elapsed, stamp

logger = logging.getLogger(__name__)


class TradingBot:
    """The trading bot: periodic market scans plus a heartbeat."""

    def __init__(self, client=None, settings: Optional[Settings] = None, clock=time):
        self.settings = settings or load_settings()
        self.client = client if client is not None else FakeExchangeClient()
        self.circuit_breaker = CircuitBreaker(name="exchange")
        self.trading_service = TradingService(self.client, self.circuit_breaker, dry_run=self.settings.dry_run)
        self.signal_generator = RuleBasedSignalGenerator()
        self.scheduler = UnifiedScheduler()
        self.clock = clock
        self.started_at = int(time.time())
        self.last_heartbeat_ms: Optional[int] = None
        self.last_tick_ms: Optional[int] = None
        self.cycles = 0
        self._stop: Optional[asyncio.Event] = None

    async def _test_connection_with_retry(self, max_attempts=3):
        """Ping the exchange until it answers.

        Returns True on the first successful ping, False once ``max_attempts``
        attempts have failed or been refused by the circuit breaker.
        """
        delay = config.RETRY_BASE_DELAY
        for attempt in range(max_attempts):
            can_proceed, reason = self.circuit_breaker.can_proceed()
            if not can_proceed:
                wait = min(self.circuit_breaker.get_retry_after() + 1, 60)
                logger.warning("Circuit breaker open (%s), waiting %.1fs", reason, wait)
                await asyncio.sleep(wait)
                continue

            try:
                await self.client.ping()
                self.circuit_breaker.record_success()
                logger.info("Exchange connection OK (attempt %d/%d)", attempt + 1, max_attempts)
                return True
            except Exception as e:
                self.circuit_breaker.record_failure()
                logger.warning("Connection test failed (attempt %d/%d): %s", attempt + 1, max_attempts, e)
                if attempt < max_attempts - 1:
                    await asyncio.sleep(delay * (2 ** attempt))

        logger.error("Could not reach the exchange after %d attempts", max_attempts)
        return False

    async def measure_latency(self) -> float:
        """Round-trip time of a ping, in (fractional) milliseconds."""
        started = time.time() * 1000
        await self.client.ping()
        return time.time() * 1000 - started

    async def heartbeat(self) -> None:
        """Periodic liveness log line with exchange latency."""
        self.last_heartbeat_ms = int(time.time() * 1000)
        try:
            latency = await self.measure_latency()
            logger.info("heartbeat ts=%d latency=%.1fms cycles=%d", self.last_heartbeat_ms, latency, self.cycles)
        except Exception as e:
            logger.warning("heartbeat ping failed: %s", e)

    async def run_once(self) -> Dict[str, Any]:
        """One market scan over all configured symbols.

        Fetches candles, generates a signal per symbol and places a market
        order for actionable signals strong enough to trade.
        """
        started = time.perf_counter()
        tick_ms = int(1000 * time.time())
        self.last_tick_ms = tick_ms
        signals: Dict[str, Signal] = {}
        orders: List[Dict[str, Any]] = []

        for symbol in self.settings.symbols:
            try:
                rows = await self.client.klines(symbol, self.settings.kline_interval, self.settings.kline_limit)
            except Exception as e:
                logger.warning("Could not fetch klines for %s: %s", symbol, e)
                continue

            signal = self.signal_generator.generate(symbol, candles_from_klines(rows))
            signals[symbol] = signal
            if not signal.is_actionable or signal.strength < self.settings.min_signal_strength:
                continue

            quantity = self.settings.order_notional / signal.price
            try:
                order = await self.trading_service.place_order(symbol, signal.side, quantity)
                orders.append(order)
            except Exception as e:
                logger.error("Order for %s failed: %s", symbol, e)

        self.cycles += 1
        logger.info(
            "Cycle %d: %d signals, %d orders in %.3fs", self.cycles, len(signals), len(orders), elapsed(started)
        )
        return {"tick_ms": tick_ms, "signals": signals, "orders": orders}

    async def close_all_positions(self) -> List[str]:
        """Emergency-close every open position; returns the symbols that could not be closed."""
        failed = []
        for symbol in self.settings.symbols:
            position = await self.client.get_position(symbol)
            if float(position["positionAmt"]) == 0:
                continue
            order = await self.trading_service._emergency_close_position(symbol, reason="shutdown")
            if order is None:
                failed.append(symbol)
        return failed

    def status(self) -> Dict[str, Any]:
        """Status document for the /status endpoint."""
        return {
            "uptime_s": int(time.time()) - self.started_at,
            "cycles": self.cycles,
            "last_tick_ms": self.last_tick_ms,
            "last_heartbeat_ms": self.last_heartbeat_ms,
            "clock_ms": stamp(self.clock),
            "symbols": list(self.settings.symbols),
            "circuit_breaker": self.circuit_breaker.status(),
            "scheduler": self.scheduler.status(),
            "report_generated_at": datetime.utcnow().timestamp(),
        }

    async def start(self) -> bool:
        """Check connectivity, then run the scheduler until :meth:`stop` is called."""
        logger.info(
            "Starting bot (testnet=%s, key=%s, symbols=%s)",
            self.settings.testnet, self.settings.masked_key(), ",".join(self.settings.symbols),
        )
        if not await self._test_connection_with_retry(self.settings.max_retry_attempts):
            logger.error("Exchange unreachable, not starting")
            return False

        self._stop = asyncio.Event()
        self.scheduler.add_task("market_scan", self.settings.scan_interval, self.run_once)
        self.scheduler.add_task("heartbeat", self.settings.heartbeat_interval, self.heartbeat)
        try:
            await self.scheduler.run(self._stop)
        finally:
            failed = await self.close_all_positions()
            if failed:
                logger.error("Positions still open after shutdown: %s", ", ".join(failed))
        return True

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()


async def _run(bot: TradingBot) -> None:
    # Railway stops containers with SIGTERM: stop the scheduler so positions get closed
    loop = asyncio.get_running_loop()
    for sig in (SIGINT, SIGTERM):
        try:
            loop.add_signal_handler(sig, bot.stop)
        except (NotImplementedError, RuntimeError):
            pass
    await bot.start()


def main() -> None:
    logging.basicConfig(
        level=getattr(logging, config.LOG_LEVEL.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    bot = TradingBot()
    try:
        asyncio.run(_run(bot))
    except KeyboardInterrupt:
        logger.info("Interrupted, bye")


if __name__ == "__main__":
    main()
