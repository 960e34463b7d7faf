"""Before/after examples of the `retry` codemod: its tests and its documentation."""

from __future__ import annotations

from codemods.base import Example, Unchanged

EXAMPLES: list[Example | Unchanged] = [
    # 1. for attempt in range(n), `else: raise` in the handler, one plain call: the call itself is the operation
    Example(
        before="""\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except (ConnectionError, TimeoutError):
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
""",
        after="""\
from bot.utils.retry_helper import retry_with_backoff


async def fetch_balance(client, retries=4):
    return await retry_with_backoff(
        client.get_balance,
        max_attempts=retries,
        base_delay=0.5,
        max_delay=float("inf"),
        retry_on=(ConnectionError, TimeoutError),
        operation_name="fetch balance",
    )
""",
        path="bot/net.py",
    ),
    # 2. a delay kept in a variable (`delay *= 3`), `if attempt == n - 1: raise`, logging dropped (the helper logs)
    Example(
        before="""\
import asyncio
import logging

log = logging.getLogger(__name__)


async def place(api, order, max_delay=30):
    delay = 1.0
    for attempt in range(5):
        try:
            response = await api.post("/order", json=order)
            return response.json()
        except ConnectionError as error:
            log.warning("order post failed: %s", error)
            if attempt == 4:
                raise
            await asyncio.sleep(delay)
            delay *= 3
""",
        after="""\
import logging

from bot.utils.retry_helper import retry_with_backoff

log = logging.getLogger(__name__)


async def place(api, order, max_delay=30):
    async def _attempt():
        response = await api.post("/order", json=order)
        return response.json()

    return await retry_with_backoff(
        _attempt,
        max_attempts=5,
        base_delay=1.0,
        backoff=3,
        max_delay=float("inf"),
        retry_on=ConnectionError,
        operation_name="order post",
    )
""",
        path="bot/net.py",
    ),
    # 3 and 4. while retries < max_retries with a counter, sync time.sleep, a cap, exhaustion returns None
    Example(
        before="""\
import time


def download(session, url, max_retries=3):
    retries = 0
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            retries += 1
            if retries < max_retries:
                time.sleep(min(2 * 2 ** retries, 60))
    return None
""",
        after="""\
from bot.utils.retry_helper import RetryExhausted, retry_with_backoff_sync


def download(session, url, max_retries=3):
    def _attempt():
        return session.get(url, timeout=10).content

    try:
        return retry_with_backoff_sync(
            _attempt,
            max_attempts=max_retries,
            base_delay=2 * 2,
            max_delay=60,
            retry_on=OSError,
            operation_name="download",
        )
    except (OSError, RetryExhausted):
        return None
""",
        path="bot/net.py",
    ),
    # 5 and 6. a circuit-breaker check that waits and continues, a call per failure (the helper makes it), exhaustion returns False
    Example(
        before="""\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            breaker_ok, why = self.breaker.can_proceed()
            if not breaker_ok:
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                self.breaker.record_failure()
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
""",
        after="""\
from bot.utils.retry_helper import RetryExhausted, retry_with_backoff


class Feed:
    async def connect(self, attempts=3):
        try:
            return await retry_with_backoff(
                self.ws.connect,
                max_attempts=attempts,
                base_delay=1,
                max_delay=30,
                retry_on=OSError,
                circuit_breaker=self.breaker,
                on_failure=lambda error: self.breaker.record_failure(),
                operation_name="connect",
            )
        except (OSError, RetryExhausted):
            return False
""",
        path="bot/net.py",
    ),
    # 7. `break` on success with the result kept in a variable; exhaustion falls through to the code after
    Example(
        before="""\
import asyncio
import logging

logger = logging.getLogger(__name__)


class Poller:
    async def poll(self, tries=3):
        data = None
        for attempt in range(tries):
            try:
                data = await self.client.poll()
                break
            except TimeoutError as exc:
                logger.warning(f"poll timed out ({attempt + 1}/{tries}): {exc}")
                if attempt < tries - 1:
                    await asyncio.sleep(2 * 2 ** attempt)
        return data
""",
        after="""\
import logging

from bot.utils.retry_helper import RetryExhausted, retry_with_backoff

logger = logging.getLogger(__name__)


class Poller:
    async def poll(self, tries=3):
        data = None
        try:
            data = await retry_with_backoff(
                self.client.poll,
                max_attempts=tries,
                base_delay=2,
                max_delay=float("inf"),
                retry_on=TimeoutError,
                operation_name="poll",
            )
        except (TimeoutError, RetryExhausted):
            pass
        return data
""",
        path="bot/net.py",
    ),
    # 7 (sync). `break` after a call whose result is unused, `import time as t`, raise on the last attempt
    Example(
        before="""\
import time as t


def send_all(sock, payload, retries=3):
    for i in range(retries):
        try:
            sock.sendall(payload)
            break
        except OSError:
            if i == retries - 1:
                raise
            t.sleep(0.1 * (2 ** i))
    sock.close()
""",
        after="""\
from bot.utils.retry_helper import retry_with_backoff_sync


def send_all(sock, payload, retries=3):
    retry_with_backoff_sync(
        sock.sendall,
        payload,
        max_attempts=retries,
        base_delay=0.1,
        max_delay=float("inf"),
        retry_on=OSError,
        operation_name="send all",
    )
    sock.close()
""",
        path="bot/net.py",
    ),
    # `break` with two results: the last one comes back from the helper, the other stays
    # the function's own variable through `nonlocal` (a half-done attempt leaves it set, as before)
    Example(
        before="""\
import time


def fetch_pair(api, retries=3):
    bid = ask = None
    for attempt in range(retries):
        try:
            bid = api.best_bid()
            ask = api.best_ask()
            break
        except OSError:
            if attempt < retries - 1:
                time.sleep(1 * 2 ** attempt)
    return bid, ask
""",
        after="""\
from bot.utils.retry_helper import RetryExhausted, retry_with_backoff_sync


def fetch_pair(api, retries=3):
    bid = ask = None

    def _attempt():
        nonlocal bid
        bid = api.best_bid()
        return api.best_ask()

    try:
        ask = retry_with_backoff_sync(
            _attempt,
            max_attempts=retries,
            base_delay=1,
            max_delay=float("inf"),
            retry_on=OSError,
            operation_name="fetch pair",
        )
    except (OSError, RetryExhausted):
        pass
    return bid, ask
""",
        path="bot/net.py",
    ),
    # 3. a counter, `except Exception`, `from time import sleep`, the last failure kept for the final raise
    Example(
        before="""\
from time import sleep


def wait_ready(probe, attempts=5):
    last_error = None
    tries = 0
    while tries < attempts:
        try:
            return probe.check()
        except Exception as error:
            last_error = error
            tries += 1
            if tries < attempts:
                sleep(0.25 * 2 ** tries)
    raise RuntimeError(f"probe never became ready: {last_error}")
""",
        after="""\
from bot.utils.retry_helper import retry_with_backoff_sync


def wait_ready(probe, attempts=5):
    try:
        return retry_with_backoff_sync(
            probe.check,
            max_attempts=attempts,
            base_delay=0.25 * 2,
            max_delay=float("inf"),
            operation_name="wait ready",
        )
    except Exception as last_error:
        raise RuntimeError(f"probe never became ready: {last_error}")
""",
        path="bot/net.py",
    ),
    # 5. a circuit breaker and `else: raise`: a failed last attempt raises as before; a refused
    # one fell through to `return None`, which the call site keeps for RetryExhausted
    Example(
        before="""\
import asyncio


class Broker:
    async def submit(self, order, attempts=4):
        for attempt in range(attempts):
            allowed, why = self.cb.can_proceed()
            if not allowed:
                await asyncio.sleep(min(self.cb.get_retry_after() + 1, 60))
                continue
            try:
                return await self.api.submit(order)
            except ConnectionError:
                self.cb.record_failure()
                if attempt < attempts - 1:
                    await asyncio.sleep(min(0.5 * 2 ** attempt, 60))
                else:
                    raise
        return None
""",
        after="""\
from bot.utils.retry_helper import RetryExhausted, retry_with_backoff


class Broker:
    async def submit(self, order, attempts=4):
        try:
            return await retry_with_backoff(
                self.api.submit,
                order,
                max_attempts=attempts,
                base_delay=0.5,
                max_delay=60,
                retry_on=ConnectionError,
                circuit_breaker=self.cb,
                on_failure=lambda error: self.cb.record_failure(),
                operation_name="submit",
            )
        except RetryExhausted:
            return None
""",
        path="bot/net.py",
    ),
    # 2 and 3. a capped delay variable with a counter: `min(delay, max_delay)` then `delay *= 2`
    Example(
        before="""\
import asyncio


async def fetch_klines(exchange, symbol, max_retries=5, max_delay=8.0):
    delay = 1.0
    retries = 0
    while retries < max_retries:
        try:
            return await exchange.fetch_ohlcv(symbol, "1m")
        except (asyncio.TimeoutError, ConnectionError) as exc:
            retries += 1
            if retries >= max_retries:
                raise
            await asyncio.sleep(min(delay, max_delay))
            delay *= 2
""",
        after="""\
import asyncio

from bot.utils.retry_helper import retry_with_backoff


async def fetch_klines(exchange, symbol, max_retries=5, max_delay=8.0):
    return await retry_with_backoff(
        exchange.fetch_ohlcv,
        symbol,
        "1m",
        max_attempts=max_retries,
        base_delay=1.0,
        max_delay=max_delay,
        retry_on=(asyncio.TimeoutError, ConnectionError),
        operation_name="fetch klines",
    )
""",
        path="bot/net.py",
    ),
    # 2. the cap applied when the delay grows: `delay = min(delay * 2, 10)` (the first wait is within it)
    Example(
        before="""\
import time


def get_json(session, url, attempts=4):
    delay = 0.5
    for attempt in range(attempts):
        try:
            response = session.get(url)
            response.raise_for_status()
            return response.json()
        except IOError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10)
""",
        after="""\
from bot.utils.retry_helper import retry_with_backoff_sync


def get_json(session, url, attempts=4):
    def _attempt():
        response = session.get(url)
        response.raise_for_status()
        return response.json()

    return retry_with_backoff_sync(
        _attempt,
        max_attempts=attempts,
        base_delay=0.5,
        max_delay=10,
        retry_on=IOError,
        operation_name="get json",
    )
""",
        path="bot/net.py",
    ),
    # jitter: not a fixed backoff
    Unchanged("""\
import asyncio
import random


async def poll(client):
    for attempt in range(5):
        try:
            return await client.poll()
        except ConnectionError:
            await asyncio.sleep(random.uniform(0, 2 ** attempt))
""", path="bot/net.py"),
    # while True: a reconnect loop, not a retry
    Unchanged("""\
import asyncio


async def run_forever(client):
    while True:
        try:
            await client.stream()
        except ConnectionError:
            await asyncio.sleep(5)
""", path="bot/net.py"),
    # the tried block uses the attempt number
    Unchanged("""\
import time


def fetch(client, n=3):
    for attempt in range(n):
        try:
            return client.get(page=attempt)
        except OSError:
            if attempt < n - 1:
                time.sleep(2 ** attempt)
    return None
""", path="bot/net.py"),
    # two except branches with different waits (and a break)
    Unchanged("""\
import asyncio


async def send(client, message):
    for attempt in range(3):
        try:
            await client.send(message)
            break
        except TimeoutError:
            if attempt < 2:
                await asyncio.sleep(1 * 2 ** attempt)
        except ConnectionError:
            await asyncio.sleep(10)
""", path="bot/net.py"),
]
