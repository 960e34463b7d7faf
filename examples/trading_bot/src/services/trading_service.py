"""Order placement, precision handling and emergency position closing."""

import asyncio
import hashlib
import hmac
import logging
import math
import time
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from src import config
from src.core.circuit_breaker import CircuitBreaker

logger = logging.getLogger(__name__)


class OrderRejected(Exception):
    """Raised when an order cannot be sent (bad quantity, unknown symbol...)."""


class TradingService:
    """Wraps the exchange client with the bot's trading rules."""

    def __init__(self, client, circuit_breaker: Optional[CircuitBreaker] = None, dry_run: bool = False):
        self.client = client
        self.circuit_breaker = circuit_breaker or CircuitBreaker(name="trading")
        self.dry_run = dry_run
        self.order_history: List[Dict[str, Any]] = []

    # ------------------------------------------------------------------
    # Request helpers
    # ------------------------------------------------------------------
    def _signed_params(self, **params: Any) -> Dict[str, Any]:
        """Add timestamp, recvWindow and the HMAC-SHA256 signature Binance expects."""
        payload = {k: v for k, v in params.items() if v is not None}
        payload.update({"timestamp": int(time.time() * 1000), "recvWindow": config.RECV_WINDOW})
        query = urlencode(payload)
        payload["signature"] = hmac.new(
            config.BINANCE_API_SECRET.encode(), query.encode(), hashlib.sha256
        ).hexdigest()
        return payload

    def _new_client_order_id(self) -> str:
        return "bot-" + str(int(time.time() * 1000))

    # ------------------------------------------------------------------
    # Precision
    # ------------------------------------------------------------------
    def _round_quantity(self, symbol: str, quantity: float) -> float:
        """Round ``quantity`` down to the symbol's LOT_SIZE step and clamp it to min/max.

        Quantities are always floored: rounding up could exceed the available
        margin. Falls back to the raw quantity when the filter is unavailable.
        """
        try:
            info = self.client.exchange_info()
            symbol_info = None
            for s in info.get("symbols", []):
                if s.get("symbol") == symbol:
                    symbol_info = s
                    break
            if symbol_info is None:
                logger.warning("No exchange info for %s, using raw quantity %s", symbol, quantity)
                return quantity

            lot_filter = next((f for f in symbol_info["filters"] if f["filterType"] == "LOT_SIZE"), None)
            if lot_filter is None:
                logger.warning("No LOT_SIZE filter for %s, using raw quantity %s", symbol, quantity)
                return quantity

            step_size = float(lot_filter["stepSize"])
            min_qty = float(lot_filter["minQty"])
            max_qty = float(lot_filter["maxQty"])

            precision = int(round(-math.log10(step_size)))
            if precision < 0:
                precision = 0

            adjusted = math.floor(quantity / step_size) * step_size
            adjusted = round(adjusted, precision)

            if adjusted < min_qty:
                logger.warning("%s quantity %s below minQty %s, using minQty", symbol, adjusted, min_qty)
                adjusted = min_qty
            elif adjusted > max_qty:
                logger.warning("%s quantity %s above maxQty %s, using maxQty", symbol, adjusted, max_qty)
                adjusted = max_qty

            logger.debug("Rounded %s quantity %s -> %s (step %s)", symbol, quantity, adjusted, step_size)
            return adjusted
        except Exception as e:
            logger.warning("Failed to round quantity for %s: %s", symbol, e)
            return quantity

    def _round_price(self, symbol: str, price: float) -> float:
        """Round ``price`` to the nearest PRICE_FILTER tick and clamp it to min/max.

        Falls back to the raw price when the filter is unavailable.
        """
        try:
            info = self.client.exchange_info()
            symbol_info = None
            for s in info.get("symbols", []):
                if s.get("symbol") == symbol:
                    symbol_info = s
                    break
            if symbol_info is None:
                logger.warning("No exchange info for %s, using raw price %s", symbol, price)
                return price

            price_filter = next((f for f in symbol_info["filters"] if f["filterType"] == "PRICE_FILTER"), None)
            if price_filter is None:
                logger.warning("No PRICE_FILTER for %s, using raw price %s", symbol, price)
                return price

            tick_size = float(price_filter["tickSize"])
            min_price = float(price_filter["minPrice"])
            max_price = float(price_filter["maxPrice"])

            precision = int(round(-math.log10(tick_size)))
            if precision < 0:
                precision = 0

            adjusted = round(price / tick_size) * tick_size
            adjusted = round(adjusted, precision)

            if adjusted < min_price:
                logger.warning("%s price %s below minPrice %s, using minPrice", symbol, adjusted, min_price)
                adjusted = min_price
            elif adjusted > max_price:
                logger.warning("%s price %s above maxPrice %s, using maxPrice", symbol, adjusted, max_price)
                adjusted = max_price

            logger.debug("Rounded %s price %s -> %s (tick %s)", symbol, price, adjusted, tick_size)
            return adjusted
        except Exception as e:
            logger.warning("Failed to round price for %s: %s", symbol, e)
            return price

    # ------------------------------------------------------------------
    # Orders
    # ------------------------------------------------------------------
    async def place_order(
        self,
        symbol: str,
        side: str,
        quantity: float,
        order_type: str = "MARKET",
        price: Optional[float] = None,
    ) -> Optional[Dict[str, Any]]:
        """Round, sign and send an order. Returns the exchange's order dict.

        In dry-run mode nothing is sent and a synthetic order is returned.
        """
        side = side.upper()
        qty = self._round_quantity(symbol, quantity)
        if qty <= 0:
            raise OrderRejected(f"{symbol}: quantity {quantity} rounds to zero")
        if order_type == "LIMIT":
            if price is None:
                raise OrderRejected(f"{symbol}: LIMIT order without price")
            price = self._round_price(symbol, price)

        params = self._signed_params(
            symbol=symbol,
            side=side,
            type=order_type,
            quantity=qty,
            price=price,
            newClientOrderId=self._new_client_order_id(),
        )

        if self.dry_run:
            logger.info("[DRY RUN] %s %s %s @ %s", side, qty, symbol, price or "MKT")
            order = {k: v for k, v in params.items() if k != "signature"}
            order.update(status="DRY_RUN", updateTime=params["timestamp"])
        else:
            order = await self.client.place_order(**params)
            logger.info(
                "Order %s %s %s %s -> %s (id %s)",
                order_type, side, qty, symbol, order.get("status"), order.get("orderId"),
            )
        self.order_history.append(order)
        return order

    def get_recent_orders(self) -> List[Dict[str, Any]]:
        """Orders sent during the last minute (used by the rate guard)."""
        cutoff = int(time.time() * 1000) - 60_000
        return [o for o in self.order_history if o.get("updateTime", 0) >= cutoff]

    async def _emergency_close_position(self, symbol: str, reason: str = "", max_attempts: int = 5) -> Optional[Dict[str, Any]]:
        """Close the whole position on ``symbol`` at market, retrying with backoff.

        Used by the risk manager when a stop is hit or the bot shuts down.
        Returns the closing order, or None when every attempt failed; the
        caller must then alert the operator because the position may still be
        open. Never raises.
        """
        delay = config.RETRY_BASE_DELAY
        logger.warning("EMERGENCY CLOSE %s requested (%s)", symbol, reason or "no reason given")

        for attempt in range(max_attempts):
            can_proceed, cb_reason = self.circuit_breaker.can_proceed()
            if not can_proceed:
                wait = min(self.circuit_breaker.get_retry_after() + 1, 60)
                logger.warning(
                    "Emergency close %s blocked by circuit breaker (%s), waiting %.1fs",
                    symbol, cb_reason, wait,
                )
                await asyncio.sleep(wait)
                continue

            try:
                order = await self.client.close_position(
                    symbol, newClientOrderId=f"emg-{symbol}-{int(time.time() * 1000)}"
                )
                self.circuit_breaker.record_success()
                logger.info(
                    "Emergency close %s done on attempt %d/%d (order %s)",
                    symbol, attempt + 1, max_attempts, order.get("orderId"),
                )
                self.order_history.append(order)
                return order
            except Exception as e:
                self.circuit_breaker.record_failure()
                logger.warning(
                    "Emergency close %s failed (attempt %d/%d): %s",
                    symbol, attempt + 1, max_attempts, e,
                )
                if attempt < max_attempts - 1:
                    await asyncio.sleep(delay * (2 ** attempt))

        logger.error("EMERGENCY CLOSE %s FAILED after %d attempts - manual action required", symbol, max_attempts)
        return None
