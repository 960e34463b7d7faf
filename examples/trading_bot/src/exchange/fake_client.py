"""Offline, deterministic stand-in for the Binance USDT-M futures client.

It mimics the parts of the REST API the bot uses (exchangeInfo, ping, klines,
orders, positions) closely enough for development and tests, including the
string-typed filter values Binance returns. ``fail_next`` injects transport
errors so the retry paths can be exercised.
"""

import logging
import math
from datetime import datetime, timedelta, timezone
from time import time
from typing import Any, Dict, List, Optional, Tuple, Type, Union

logger = logging.getLogger(__name__)

# symbol -> (stepSize, minQty, maxQty, tickSize, minPrice, maxPrice, base price)
_SYMBOL_SPECS: Dict[str, Tuple[str, str, str, str, str, str, float]] = {
    "BTCUSDT": ("0.001", "0.001", "1000", "0.10", "556.80", "4529764", 43000.0),
    "ETHUSDT": ("0.01", "0.01", "10000", "0.01", "39.86", "306177", 2300.0),
    "DOGEUSDT": ("1", "1", "50000000", "0.00001", "0.00244", "30", 0.08),
}

# phase of the synthetic price wave, so the symbols don't all move in lockstep
_WAVE_PHASE = {"BTCUSDT": 6, "ETHUSDT": 0, "DOGEUSDT": 22}

_KLINE_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
_INTERVALS = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240}


class ExchangeError(Exception):
    """Error answered by the exchange (as opposed to a transport failure)."""

    def __init__(self, code: int, message: str):
        super().__init__(f"APIError(code={code}): {message}")
        self.code = code
        self.message = message


class FakeExchangeClient:
    """In-memory futures exchange."""

    def __init__(self, prices: Optional[Dict[str, float]] = None):
        self.prices: Dict[str, float] = {s: spec[6] for s, spec in _SYMBOL_SPECS.items()}
        if prices:
            self.prices.update(prices)
        self.positions: Dict[str, float] = {}
        self.orders: List[Dict[str, Any]] = []
        self.requests: List[Tuple[str, Dict[str, Any]]] = []
        self.calls: Dict[str, int] = {}
        self._next_order_id = 1000
        self._failures_left = 0
        self._failure: Union[Type[BaseException], BaseException] = ConnectionError

    # -- fault injection -------------------------------------------------------
    def fail_next(self, n: int = 1, exc: Union[Type[BaseException], BaseException] = ConnectionError) -> None:
        """Make the next ``n`` API calls raise ``exc`` (a class or an instance)."""
        self._failures_left = n
        self._failure = exc

    def _call(self, endpoint: str, params: Optional[Dict[str, Any]] = None) -> None:
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        self.requests.append((endpoint, dict(params or {})))
        if self._failures_left > 0:
            self._failures_left -= 1
            exc = self._failure
            if isinstance(exc, type):
                exc = exc(f"injected failure on {endpoint}")
            logger.debug("Injecting failure on %s: %r", endpoint, exc)
            raise exc

    # -- market data -----------------------------------------------------------
    def exchange_info(self) -> Dict[str, Any]:
        """GET /fapi/v1/exchangeInfo (served from the local snapshot)."""
        self._call("exchangeInfo")
        symbols = []
        for symbol, (step, min_qty, max_qty, tick, min_price, max_price, _) in _SYMBOL_SPECS.items():
            symbols.append(
                {
                    "symbol": symbol,
                    "status": "TRADING",
                    "contractType": "PERPETUAL",
                    "quoteAsset": "USDT",
                    "filters": [
                        {"filterType": "PRICE_FILTER", "tickSize": tick, "minPrice": min_price, "maxPrice": max_price},
                        {"filterType": "LOT_SIZE", "stepSize": step, "minQty": min_qty, "maxQty": max_qty},
                        {"filterType": "MIN_NOTIONAL", "notional": "5"},
                    ],
                }
            )
        return {"timezone": "UTC", "serverTime": int(time() * 1000), "symbols": symbols}

    async def ping(self) -> Dict[str, Any]:
        """GET /fapi/v1/ping"""
        self._call("ping")
        return {}

    async def server_time(self) -> Dict[str, int]:
        """GET /fapi/v1/time"""
        self._call("time")
        return {"serverTime": int(time() * 1000)}

    async def ticker_price(self, symbol: str) -> Dict[str, str]:
        self._call("ticker/price", {"symbol": symbol})
        if symbol not in self.prices:
            raise ExchangeError(-1121, "Invalid symbol.")
        return {"symbol": symbol, "price": str(self.prices[symbol])}

    async def klines(self, symbol: str, interval: str = "1m", limit: int = 60) -> List[list]:
        """GET /fapi/v1/klines: deterministic candles oscillating around the base price."""
        self._call("klines", {"symbol": symbol, "interval": interval, "limit": limit})
        if symbol not in self.prices:
            raise ExchangeError(-1121, "Invalid symbol.")
        minutes = _INTERVALS.get(interval, 1)
        base = self.prices[symbol]
        phase = _WAVE_PHASE.get(symbol, 0)
        rows = []
        prev_close = base
        for i in range(limit):
            open_time = _KLINE_EPOCH + timedelta(minutes=i * minutes)
            x = i + phase
            close = base * (1 + 0.01 * math.sin(x / 5.0) + 0.004 * math.sin(x * 1.7))
            high = max(prev_close, close) * 1.001
            low = min(prev_close, close) * 0.999
            open_ms = int(open_time.timestamp() * 1000)
            rows.append(
                [
                    open_ms,
                    f"{prev_close:.8f}",
                    f"{high:.8f}",
                    f"{low:.8f}",
                    f"{close:.8f}",
                    f"{100 + 10 * (i % 7):.3f}",
                    open_ms + minutes * 60_000 - 1,
                ]
            )
            prev_close = close
        return rows

    # -- trading ---------------------------------------------------------------
    async def place_order(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: float,
        price: Optional[float] = None,
        newClientOrderId: Optional[str] = None,
        reduceOnly: bool = False,
        **params: Any,
    ) -> Dict[str, Any]:
        """POST /fapi/v1/order. MARKET orders fill immediately at the current price."""
        request = {
            "symbol": symbol,
            "side": side,
            "type": type,
            "quantity": quantity,
            "price": price,
            "newClientOrderId": newClientOrderId,
            "reduceOnly": reduceOnly,
            **params,
        }
        self._call("order", request)
        if symbol not in self.prices:
            raise ExchangeError(-1121, "Invalid symbol.")
        if side not in ("BUY", "SELL"):
            raise ExchangeError(-1117, "Invalid side.")
        if quantity <= 0:
            raise ExchangeError(-4003, "Quantity less than or equal to zero.")
        if type == "LIMIT" and price is None:
            raise ExchangeError(-1102, "Mandatory parameter 'price' was not sent.")

        signed_qty = quantity if side == "BUY" else -quantity
        current = self.positions.get(symbol, 0.0)
        if reduceOnly and (current == 0 or (current > 0) == (signed_qty > 0)):
            raise ExchangeError(-2022, "ReduceOnly Order is rejected.")

        filled = type == "MARKET"
        if filled:
            new_amount = round(current + signed_qty, 8)
            if new_amount:
                self.positions[symbol] = new_amount
            else:
                self.positions.pop(symbol, None)

        self._next_order_id += 1
        order = {
            "orderId": self._next_order_id,
            "clientOrderId": newClientOrderId or f"fake-{self._next_order_id}",
            "symbol": symbol,
            "side": side,
            "type": type,
            "origQty": str(quantity),
            "executedQty": str(quantity) if filled else "0",
            "price": str(price) if price is not None else "0",
            "avgPrice": str(self.prices[symbol]) if filled else "0",
            "reduceOnly": reduceOnly,
            "status": "FILLED" if filled else "NEW",
            "updateTime": int(time() * 1000),
        }
        self.orders.append(order)
        return order

    async def get_position(self, symbol: str) -> Dict[str, str]:
        """GET /fapi/v2/positionRisk for one symbol."""
        self._call("positionRisk", {"symbol": symbol})
        return {
            "symbol": symbol,
            "positionAmt": str(self.positions.get(symbol, 0.0)),
            "markPrice": str(self.prices.get(symbol, 0.0)),
        }

    async def close_position(self, symbol: str, newClientOrderId: Optional[str] = None) -> Dict[str, Any]:
        """Close the whole position with a reduce-only MARKET order."""
        amount = self.positions.get(symbol, 0.0)
        side = "SELL" if amount > 0 else "BUY"
        return await self.place_order(
            symbol=symbol,
            side=side,
            type="MARKET",
            quantity=abs(amount),
            newClientOrderId=newClientOrderId,
            reduceOnly=True,
        )
