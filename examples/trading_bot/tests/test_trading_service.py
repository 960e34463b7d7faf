import asyncio
import time

from hypothesis import given, settings as hyp_settings, strategies as st

from src import config
from src.core.circuit_breaker import CircuitState
from src.exchange.fake_client import FakeExchangeClient
from src.services.trading_service import TradingService


def now_ms() -> float:
    return time.time() * 1000


# --- precision -----------------------------------------------------------------

def test_round_quantity_floors_to_lot_step(service):
    assert service._round_quantity("BTCUSDT", 0.0123456) == 0.012
    assert service._round_quantity("BTCUSDT", 1.2345) == 1.234
    assert service._round_quantity("BTCUSDT", 0.0019) == 0.001
    assert service._round_quantity("BTCUSDT", 0.5) == 0.5
    assert service._round_quantity("ETHUSDT", 1.239) == 1.23
    assert service._round_quantity("ETHUSDT", 0.3) == 0.3
    assert service._round_quantity("DOGEUSDT", 629.9) == 629.0


def test_round_quantity_clamps_to_min_and_max(service):
    assert service._round_quantity("BTCUSDT", 0.0004) == 0.001
    assert service._round_quantity("BTCUSDT", 2500) == 1000.0
    assert service._round_quantity("ETHUSDT", 0.005) == 0.01
    assert service._round_quantity("DOGEUSDT", 0.4) == 1.0
    assert service._round_quantity("DOGEUSDT", 1e9) == 50_000_000.0


def test_round_price_rounds_to_nearest_tick(service):
    assert service._round_price("BTCUSDT", 43123.456) == 43123.5
    assert service._round_price("BTCUSDT", 43123.44) == 43123.4
    assert service._round_price("ETHUSDT", 2300.126) == 2300.13
    assert service._round_price("ETHUSDT", 2300.124) == 2300.12
    assert service._round_price("DOGEUSDT", 0.081237) == 0.08124
    assert service._round_price("DOGEUSDT", 0.081234) == 0.08123


def test_round_price_clamps_to_min_and_max(service):
    assert service._round_price("BTCUSDT", 100) == 556.8
    assert service._round_price("BTCUSDT", 5e6) == 4529764.0
    assert service._round_price("DOGEUSDT", 0.001) == 0.00244


def test_rounding_falls_back_to_input(service, client):
    assert service._round_quantity("XRPUSDT", 1.23) == 1.23
    assert service._round_price("XRPUSDT", 0.5123) == 0.5123
    client.fail_next(2)
    assert service._round_quantity("BTCUSDT", 0.0123456) == 0.0123456
    assert service._round_price("BTCUSDT", 43123.456) == 43123.456


@hyp_settings(max_examples=150, deadline=None, database=None)
@given(st.floats(min_value=0.001, max_value=1000.0, allow_nan=False))
def test_round_quantity_never_rounds_up(quantity):
    svc = TradingService(FakeExchangeClient())
    result = svc._round_quantity("BTCUSDT", quantity)
    assert result <= quantity + 1e-9
    assert result >= quantity - 0.001 - 1e-9
    assert abs(result * 1000 - round(result * 1000)) < 1e-6


# --- orders ----------------------------------------------------------------------

def test_place_order_sends_signed_params_with_current_timestamp(service, client):
    order = asyncio.run(service.place_order("BTCUSDT", "buy", 0.0123456))
    assert order["status"] == "FILLED"
    endpoint, params = client.requests[-1]
    assert endpoint == "order"
    assert params["quantity"] == 0.012
    assert params["side"] == "BUY"
    assert abs(params["timestamp"] - now_ms()) < 2000
    assert params["recvWindow"] == config.RECV_WINDOW
    assert len(params["signature"]) == 64
    assert client.positions["BTCUSDT"] == 0.012


def test_client_order_id_carries_current_millis(service):
    order = asyncio.run(service.place_order("ETHUSDT", "SELL", 0.5))
    prefix, _, ts = order["clientOrderId"].partition("-")
    assert prefix == "bot"
    assert abs(int(ts) - now_ms()) < 2000


def test_limit_order_price_is_rounded_and_recent_orders_window(service, client):
    order = asyncio.run(service.place_order("BTCUSDT", "BUY", 0.01, order_type="LIMIT", price=43123.456))
    assert client.requests[-1][1]["price"] == 43123.5
    assert order["status"] == "NEW"
    service.order_history.append({"orderId": 1, "updateTime": int(now_ms()) - 120_000})
    recent = service.get_recent_orders()
    assert [o["orderId"] for o in recent] == [order["orderId"]]


# --- emergency close (retry loop) --------------------------------------------

def open_position(client, symbol="BTCUSDT", qty=0.5):
    asyncio.run(client.place_order(symbol=symbol, side="BUY", type="MARKET", quantity=qty))


def test_emergency_close_first_try(service, client, sleeps):
    open_position(client)
    order = asyncio.run(service._emergency_close_position("BTCUSDT", reason="stop hit"))
    assert order["side"] == "SELL" and order["reduceOnly"] is True
    assert "BTCUSDT" not in client.positions
    assert sleeps.delays == []
    assert order["clientOrderId"].startswith("emg-BTCUSDT-")
    assert abs(int(order["clientOrderId"].rsplit("-", 1)[1]) - now_ms()) < 2000


def test_emergency_close_succeeds_after_failures(service, client, sleeps):
    base = config.RETRY_BASE_DELAY
    open_position(client)
    client.fail_next(2)
    order = asyncio.run(service._emergency_close_position("BTCUSDT"))
    assert order is not None and order["status"] == "FILLED"
    assert sleeps.delays == [base, 2 * base]
    assert service.circuit_breaker.failure_count == 0


def test_emergency_close_gives_up_and_returns_none(service, client, sleeps, monkeypatch):
    monkeypatch.setattr(config, "RETRY_BASE_DELAY", 0.5)
    open_position(client)
    client.fail_next(10, exc=TimeoutError)
    result = asyncio.run(service._emergency_close_position("BTCUSDT", max_attempts=4))
    assert result is None
    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert client.calls["order"] == 1 + 4
    assert client.positions["BTCUSDT"] == 0.5


def test_emergency_close_waits_for_open_circuit(service, client, sleeps, fake_monotonic):
    open_position(client)
    for _ in range(5):
        service.circuit_breaker.record_failure()
    assert service.circuit_breaker.state == CircuitState.OPEN
    sleeps.clock = fake_monotonic
    order = asyncio.run(service._emergency_close_position("BTCUSDT", max_attempts=3))
    assert order is not None
    assert sleeps.delays == [31.0]
    assert service.circuit_breaker.state == CircuitState.CLOSED
