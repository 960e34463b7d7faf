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
    # 5 and 6. a circuit-breaker check that waits and continues, state kept per failure, exhaustion returns False
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
        async def _attempt():
            try:
                return await self.ws.connect()
            except OSError:
                self.breaker.record_failure()
                raise

        try:
            return await retry_with_backoff(
                _attempt,
                max_attempts=attempts,
                base_delay=1,
                max_delay=30,
                retry_on=OSError,
                circuit_breaker=self.breaker,
                operation_name="connect",
            )
        except (OSError, RetryExhausted):
            return False
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
