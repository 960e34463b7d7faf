"""Every reason the retry codemod gives for leaving a loop alone has a loop that triggers it.

Each case is a small retry loop the codemod would rewrite but for one feature;
the file must come back byte-identical with exactly one finding
`retry loop not rewritten: <reason>` at the loop's line. A meta-test reads every
reason out of the matcher and the codemod, so a new refusal cannot land without
a loop that shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from codemods import api, engine, registry
from codemods.models import FileResult, Status

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "codemods" / "analysis" / "retry_loops.py", ROOT / "codemods" / "transforms" / "retry.py")
PREFIX = "retry loop not rewritten: "
PATH = "bot/net.py"


@dataclass(frozen=True)
class Case:
    reason: str  # the exact reason, names filled in
    source: str
    planned: bool = True  # False: the engine runs the codemod without its plan step


# Reasons no source can trigger, with why (also where the reason regexes catch a string that is
# no reason). Kept explicit so the meta-test below stays exact.
UNREACHABLE: dict[str, str] = {
    "empty try": "Python's grammar needs a statement in `try:`; libcst does not parse an empty block either",
    "no wait between attempts": (
        "a loop is only matched when its handler sleeps, at the top level or in an `if`/`else` branch, and every "
        "such sleep either sets the wait or is refused with a more specific reason first"
    ),
}

# A supported loop, for reference: rewritten to one `retry_with_backoff` call.
SUPPORTED = """\
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
"""

CASES: dict[str, Case] = {
    # -- the loop ------------------------------------------------------------------------------
    "loop-else": Case("the loop has an `else:` block", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except (ConnectionError, TimeoutError):
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
    else:
        raise RuntimeError("balance unavailable")
"""),
    "for-not-range-count": Case("not `for attempt in range(n)`: the number of attempts is not a count", """\
from time import sleep


def fetch_orders(client, retries=3):
    for attempt in range(1, retries + 1):
        try:
            return client.get_orders()
        except OSError:
            if attempt < retries:
                sleep(2 ** attempt)
            else:
                raise
"""),
    "yield-in-loop": Case("`yield` inside the loop", """\
import time


def pages(client, retries=3):
    for attempt in range(retries):
        try:
            page = client.fetch_page()
            yield page
            return None
        except OSError:
            if attempt < retries - 1:
                time.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "more-than-try": Case("the loop does more than one try/except (and a circuit-breaker check)", """\
import asyncio
import logging

logger = logging.getLogger(__name__)


async def fetch_ticker(client, symbol, retries=3):
    for attempt in range(retries):
        logger.debug("fetching %s", symbol)
        try:
            return await client.get_ticker(symbol)
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "try-else-finally": Case("the try has an `else:` or `finally:` block", """\
import asyncio


async def fetch_depth(client, retries=3):
    for attempt in range(retries):
        try:
            return await client.get_depth()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
        finally:
            client.metrics.count("depth")
"""),
    "several-excepts": Case("several `except` branches (each may wait differently)", """\
import asyncio


async def send(client, message, retries=3):
    for attempt in range(retries):
        try:
            return await client.send(message)
        except TimeoutError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
        except ConnectionError:
            await asyncio.sleep(10)
"""),
    "bare-except": Case("a bare `except:` also catches KeyboardInterrupt and SystemExit", """\
import time as t


def fetch_price(client, retries=3):
    for attempt in range(retries):
        try:
            return client.price()
        except:  # noqa: E722
            if attempt < retries - 1:
                t.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "breaker-and-delay-variable": Case(
        "the delay doubles per failure while circuit-breaker waits also count as attempts", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        delay = 1.0
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        return False
"""),
    "exhaustion-not-kept": Case(
        "code after the loop does not end in `return` or `raise`: cannot keep what exhaustion does", """\
import asyncio
import logging

log = logging.getLogger(__name__)


async def refresh_balance(client, retries=3):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
    log.error("balance refresh gave up")
"""),
    "error-var-next-to-breaker": Case(
        "`last_error` (the last failure) is read inside the loop or next to a circuit breaker", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        last_error = None
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError as error:
                last_error = error
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        raise ConnectionError("feed unavailable") from last_error
"""),
    "error-var-after-break": Case(
        "`last_error` (the last failure) is read after a loop that leaves with `break`", """\
import asyncio
import logging

log = logging.getLogger(__name__)


async def subscribe(ws, channel, attempts=3):
    last_error = None
    for attempt in range(attempts):
        try:
            await ws.subscribe(channel)
            break
        except ConnectionError as error:
            last_error = error
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
    if last_error is not None:
        log.info("subscribed to %s after %r", channel, last_error)
    return channel
"""),
    "counter-read-after": Case("`attempt` is read after the loop", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            balance = await client.get_balance()
            break
        except (ConnectionError, TimeoutError):
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
    client.stats["balance_attempts"] = attempt + 1
    return balance
"""),
    "while-not-bounded": Case("not `while attempt < n:`: an unbounded loop (a reconnect or main loop) is not a retry", """\
import asyncio


async def run_forever(client):
    while True:
        try:
            return await client.stream()
        except ConnectionError:
            await asyncio.sleep(5)
"""),
    "counter-not-from-zero": Case("`retries` does not start at 0", """\
from time import sleep


def download(session, url, max_retries=3):
    retries = 1
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            retries += 1
            if retries < max_retries:
                sleep(min(2 * 2 ** retries, 60))
    return None
"""),
    "counter-start-unseen": Case("cannot see `retries = 0` right before the loop", """\
import time


def download(session, url, max_retries=3, retries=0):
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            retries += 1
            if retries < max_retries:
                time.sleep(min(2 * 2 ** retries, 60))
    return None
"""),
    # -- the circuit-breaker check ---------------------------------------------------------------
    "breaker-not-first": Case("the loop does more than try: only a circuit-breaker check may come first", """\
import asyncio


async def place(api, order, attempts=3):
    for attempt in range(attempts):
        payload = order.to_json()
        api.sign(payload)
        try:
            return await api.post("/order", json=payload)
        except ConnectionError:
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "breaker-not-unpacked": Case("`can_proceed()` is not unpacked as `allowed, reason`", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            state = self.breaker.can_proceed()
            if not state[0]:
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-test": Case("not `if not allowed:` after `can_proceed()`", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed and why != "half-open":
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-no-continue": Case("a circuit-breaker refusal that does not `continue`", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                self.log.warning("breaker open: %s", why)
                return False
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-refusal-uncounted": Case("a refused attempt does not count (`attempt += 1` missing before `continue`)", """\
import time


class Poller:
    def poll(self, tries=3):
        attempt = 0
        while attempt < tries:
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                time.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return self.client.poll()
            except TimeoutError:
                attempt += 1
                if attempt < tries:
                    time.sleep(min(1 * 2 ** attempt, 30))
        return None
"""),
    "breaker-sleep-count": Case("the circuit-breaker refusal does not sleep exactly once", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                self.log.warning("breaker open: %s", why)
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-sets-state": Case("the circuit-breaker refusal sets state", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                blocked_reason = why
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-does-more": Case("the circuit-breaker refusal does more than log and wait", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                self.metrics.increment("breaker_open")
                await asyncio.sleep(min(self.breaker.get_retry_after() + 1, 30))
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    "breaker-wait-shape": Case("the circuit-breaker wait is not `min(get_retry_after() + 1, cap)`", """\
import asyncio


class Feed:
    async def connect(self, attempts=3):
        for attempt in range(attempts):
            allowed, why = self.breaker.can_proceed()
            if not allowed:
                await asyncio.sleep(self.breaker.get_retry_after())
                continue
            try:
                return await self.ws.connect()
            except OSError:
                if attempt < attempts - 1:
                    await asyncio.sleep(min(1 * 2 ** attempt, 30))
        return False
"""),
    # -- the tried block -------------------------------------------------------------------------
    "break-only": Case("nothing is tried before the `break`", """\
import asyncio


async def wait_connected(client, attempts=3):
    for attempt in range(attempts):
        try:
            break
        except ConnectionError:
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
    return client
"""),
    "no-return-value": Case("the tried block does not end in `return value` or `break`", """\
import asyncio


async def cancel(client, order_id, retries=3):
    for attempt in range(retries):
        try:
            await client.cancel(order_id)
            return
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "tried-uses-counter": Case("the tried block uses `attempt`, the attempt number", """\
import time


def fetch(client, n=3):
    for attempt in range(n):
        try:
            return client.get(timeout=5 * (attempt + 1))
        except OSError:
            if attempt < n - 1:
                time.sleep(2 * 2 ** attempt)
            else:
                raise
"""),
    "tried-break-continue": Case("`break`/`continue` inside the tried block", """\
import asyncio


async def fetch_fills(client, retries=3):
    for attempt in range(retries):
        try:
            response = await client.get("/fills")
            if response.status == 204:
                continue
            return response.json()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "tried-global": Case("`global`/`nonlocal` inside the tried block", """\
import asyncio

_markets = None


async def load_markets(client, retries=3):
    for attempt in range(retries):
        try:
            global _markets
            _markets = await client.load_markets()
            return _markets
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "tried-returns-twice": Case("the tried block returns in more than one place", """\
import asyncio


async def fetch_position(client, symbol, retries=3):
    for attempt in range(retries):
        try:
            cached = client.cache.get(symbol)
            if cached is not None:
                return cached
            return await client.get_position(symbol)
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    # -- the handler -----------------------------------------------------------------------------
    "counter-changes": Case("`retries` changes in the handler other than `+= 1`", """\
import time


def download(session, url, max_retries=6):
    retries = 0
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            retries += 2
            if retries < max_retries:
                time.sleep(min(2 * 2 ** retries, 60))
    return None
"""),
    "counter-after-wait": Case("`retries += 1` after the wait", """\
import time


def download(session, url, max_retries=3):
    retries = 0
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            if retries < max_retries - 1:
                time.sleep(min(2 * 2 ** retries, 60))
            retries += 1
    return None
"""),
    "waits-after-last": Case("the handler waits after the last attempt too", """\
import asyncio


async def poll(client, retries=5):
    for attempt in range(retries):
        try:
            return await client.poll()
        except ConnectionError:
            await asyncio.sleep(0.5 * 2 ** attempt)
    return None
"""),
    "handler-uses-counter": Case("the handler uses `attempt`, the attempt number, beyond logging", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except (ConnectionError, TimeoutError):
            client.metrics.retry("balance", attempt)
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "handler-raises-first": Case("the handler raises before waiting", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except (ConnectionError, TimeoutError) as error:
            raise RuntimeError("balance unavailable") from error
            await asyncio.sleep(0.5 * 2 ** attempt)  # retries disabled for now
"""),
    "handler-state": Case(
        "the handler inspects or changes state beyond logging (only calls are moved into the operation)", """\
import asyncio


class Account:
    async def refresh(self, retries=4):
        for attempt in range(retries):
            try:
                return await self.client.get_balance()
            except ConnectionError:
                self.failures += 1
                if attempt < retries - 1:
                    await asyncio.sleep(0.5 * 2 ** attempt)
                else:
                    raise
"""),
    "counter-increment-missing": Case("`retries += 1` missing in the handler", """\
import time


def download(session, url, max_retries=3):
    retries = 0
    while retries < max_retries:
        try:
            return session.get(url, timeout=10).content
        except OSError:
            if retries < max_retries - 1:
                time.sleep(min(2 * 2 ** retries, 60))
    return None
"""),
    "last-attempt-not-reraise": Case("on the last attempt the handler does something other than re-raise", """\
import asyncio
import logging

log = logging.getLogger(__name__)


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt == retries - 1:
                log.error("giving up on the balance")
                return None
            await asyncio.sleep(0.5 * 2 ** attempt)
"""),
    "wait-condition": Case("the wait does not depend on `attempt < n - 1` (a fixed backoff over n attempts)", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "wait-branch-sleeps-twice": Case("the wait branch does not sleep exactly once", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
                await asyncio.sleep(0.1)
            else:
                raise
"""),
    "wait-branch-does-more": Case("the wait branch does more than log, wait and grow the delay", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                await client.reconnect()
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "wait-else-not-reraise": Case("the `else:` of the wait does something other than re-raise", """\
import asyncio


class ExchangeDown(Exception):
    pass


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError as error:
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise ExchangeDown("balance") from error
"""),
    # -- the delay -------------------------------------------------------------------------------
    "delay-fixed-variable": Case("the delay `delay` does not grow per attempt", """\
import asyncio


async def fetch_balance(client, retries=4):
    delay = 2.0
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(delay)
            else:
                raise
"""),
    "delay-grows-before-wait": Case("the delay grows before the wait (the first wait would already be grown)", """\
import asyncio


async def place(api, order):
    delay = 1.0
    for attempt in range(5):
        try:
            return await api.post("/order", json=order)
        except ConnectionError:
            if attempt < 4:
                delay *= 2
                await asyncio.sleep(delay)
            else:
                raise
"""),
    "delay-capped-twice": Case("the delay is capped twice", """\
import asyncio


async def place(api, order):
    delay = 1.0
    for attempt in range(5):
        try:
            return await api.post("/order", json=order)
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(min(delay, 30))
            delay = min(delay * 2, 60)
"""),
    "delay-capped-late": Case(
        "the delay is capped only after the first wait, and the first wait may exceed the cap", """\
import asyncio


class Orders:
    async def place(self, order):
        delay = self.settings.initial_delay
        for attempt in range(5):
            try:
                return await self.api.post("/order", json=order)
            except ConnectionError:
                if attempt == 4:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
"""),
    "delay-grows-differently": Case("the delay grows in a way the helper does not", """\
import asyncio


async def place(api, order):
    delay = 1.0
    timeout = 5.0
    for attempt in range(5):
        try:
            return await api.post("/order", json=order, timeout=timeout)
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(delay)
            timeout *= 2
"""),
    "delay-start-unseen": Case("cannot see where `delay` starts", """\
import asyncio


async def place(api, order, delay=1.0):
    for attempt in range(5):
        try:
            return await api.post("/order", json=order)
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(delay)
            delay *= 3
"""),
    "delay-grows-twice": Case("the delay grows twice", """\
import asyncio


async def place(api, order, base=1.0):
    for attempt in range(5):
        try:
            return await api.post("/order", json=order)
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(base * 2 ** attempt)
            base *= 2
"""),
    "delay-not-exponential": Case(
        "the delay is not `base * factor ** attempt` (jitter, Retry-After or fixed waits are not a fixed backoff)", """\
import asyncio
import random


async def poll(client, retries=5):
    for attempt in range(retries):
        try:
            return await client.poll()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(random.uniform(0, 2 ** attempt))
            else:
                raise
"""),
    # -- the rewrite (codemods/transforms/retry.py) ----------------------------------------------
    "await-outside-async": Case("`await` outside an async function", """\
import asyncio


def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "only-logging-tried": Case("nothing but logging is tried", """\
import asyncio
import logging

log = logging.getLogger(__name__)


async def wait_ready(probe, attempts=3):
    for attempt in range(attempts):
        try:
            log.info("readiness attempt %d of %d", attempt + 1, attempts)
            break
        except RuntimeError:
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
    return probe
"""),
    "tried-binding-read-after": Case(
        "`response` is set by the tried block and read after the loop, with no value before it", """\
import asyncio
import logging

log = logging.getLogger(__name__)


async def fetch_json(session, url, attempts=3):
    for attempt in range(attempts):
        try:
            response = await session.get(url)
            payload = await response.json()
            break
        except ConnectionError:
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
    log.info("%s answered %s", url, response.status)
    return payload
"""),
    "shared-global": Case("`_session` is declared `global`/`nonlocal` in the function", """\
import asyncio

_session = None


async def reconnect(factory, attempts=3):
    global _session
    _session = None
    for attempt in range(attempts):
        try:
            _session = await factory()
            return _session
        except ConnectionError:
            if attempt < attempts - 1:
                await asyncio.sleep(1 * 2 ** attempt)
            else:
                raise
"""),
    "shared-annotated": Case("an annotated assignment to a variable the function shares with the attempt", """\
import asyncio


async def fetch_balance(client, retries=4):
    balance = None
    for attempt in range(retries):
        try:
            balance: float = await client.get_balance()
            break
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
    return balance
"""),
    # -- where the helper is (the plan step) -----------------------------------------------------
    # Problems of the plan itself (a configured module without the function, a root outside the
    # checkout) come from codemods/helper_modules.py and need a real checkout: not covered here.
    "no-helper-planned": Case("no helper planned", SUPPORTED, planned=False),
}


# Loops the codemod rewrites today although the helper cannot keep what they do: each must be
# refused (or rewritten faithfully). Strict xfails: when one passes, move it to CASES with its
# reason (or, for a faithful rewrite, to test_retry_equivalence.py).
WRONGLY_REWRITTEN: dict[str, tuple[str, str]] = {
    "jitter-in-base": ("the random base is drawn once for every wait instead of once per wait", """\
import asyncio
import random


async def poll(client, retries=5):
    for attempt in range(retries):
        try:
            return await client.poll()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(random.uniform(0.5, 1.5) * 2 ** attempt)
            else:
                raise
"""),
    "error-in-base": ("`base_delay=getattr(error, ...)` at the call site: NameError before the first attempt", """\
import asyncio


async def poll(client, retries=5):
    for attempt in range(retries):
        try:
            return await client.poll()
        except ConnectionError as error:
            if attempt < retries - 1:
                await asyncio.sleep(getattr(error, "retry_after", 1) * 2 ** attempt)
            else:
                raise
"""),
    "error-in-cap": ("`max_delay=error.max_wait` at the call site: NameError before the first attempt", """\
import asyncio


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError as error:
            if attempt < retries - 1:
                await asyncio.sleep(min(0.5 * 2 ** attempt, error.max_wait))
            else:
                raise
"""),
    "tried-local-in-base": ("`base_delay=pause`, a local of the nested attempt: NameError", """\
import asyncio


async def fetch(session, url, retries=4):
    for attempt in range(retries):
        try:
            response = await session.get(url)
            pause = response.retry_after
            response.raise_for_status()
            return response.json()
        except ConnectionError:
            if attempt < retries - 1:
                await asyncio.sleep(pause * 2 ** attempt)
            else:
                raise
"""),
    "delay-var-in-handler-call": ("`delay = 1.0` is removed but the moved call still reads it: NameError", """\
import asyncio


class Orders:
    async def place(self, order):
        delay = 1.0
        for attempt in range(5):
            try:
                return await self.api.post("/order", json=order)
            except ConnectionError:
                if attempt == 4:
                    raise
                self.metrics.observe("backoff", delay)
                await asyncio.sleep(delay)
                delay *= 2
"""),
    "delay-var-in-tried-block": ("`delay = 1.0` is removed but the attempt still reads it: NameError", """\
import asyncio


async def place(api, order):
    delay = 1.0
    for attempt in range(5):
        try:
            return await api.post("/order", json=order, timeout=delay * 10)
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(delay)
            delay *= 2
"""),
    "delay-var-set-by-tried-block": ("Retry-After is ignored, and `nonlocal delay` has no binding: SyntaxError", """\
import asyncio


async def place(api, order):
    delay = 1.0
    for attempt in range(5):
        try:
            resp = await api.post("/order", json=order)
            delay = float(resp.headers.get("Retry-After", delay))
            resp.raise_for_status()
            return resp.json()
        except ConnectionError:
            if attempt == 4:
                raise
            await asyncio.sleep(delay)
            delay *= 2
"""),
    "time-sleep-in-async-def": ("a sync `def _attempt(): return await ...`: SyntaxError", """\
import time


async def fetch_balance(client, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except ConnectionError:
            if attempt < retries - 1:
                time.sleep(0.5 * 2 ** attempt)
            else:
                raise
"""),
    "zero-arg-super": ("`super()` moves into a nested function: RuntimeError: super(): no arguments", """\
import asyncio


class RetryingClient(BaseClient):
    async def fetch(self, path, retries=3):
        for attempt in range(retries):
            try:
                return await super().fetch(path)
            except ConnectionError:
                if attempt < retries - 1:
                    await asyncio.sleep(1 * 2 ** attempt)
                else:
                    raise
"""),
    "call-after-last-attempt-check": ("`reconnect()` also runs after the last failure", """\
import asyncio


class Feed:
    async def fetch(self, retries=4):
        for attempt in range(retries):
            try:
                return await self.client.get_balance()
            except ConnectionError:
                if attempt == retries - 1:
                    raise
                await self.reconnect()
                await asyncio.sleep(0.5 * 2 ** attempt)
"""),
    "call-after-wait": ("`reconnect()` moves before the wait and also runs after the last failure", """\
import asyncio


class Feed:
    async def fetch(self, retries=4):
        for attempt in range(retries):
            try:
                return await self.client.get_balance()
            except ConnectionError:
                if attempt < retries - 1:
                    await asyncio.sleep(0.5 * 2 ** attempt)
                else:
                    raise
                await self.reconnect()
"""),
}


def _loop_line(source: str) -> int:
    """The line of the first `for`/`while` statement: every case's retry loop comes first."""
    for number, line in enumerate(source.splitlines(), 1):
        if re.match(r"\s*(?:async\s+)?(?:for|while)\b", line):
            return number
    raise AssertionError("no loop in the case")


def _run(case: Case) -> FileResult:
    if case.planned:
        return api.run_source(case.source, PATH, codemods=["retry"], config={})
    job = engine.Job(PATH, PATH.removesuffix(".py").replace("/", "."), ("retry",), {})
    return engine.run(job, case.source.encode("utf-8"), [registry.get("retry")])


@pytest.fixture(autouse=True)
def _in_empty_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_source plans against the current directory: make it an empty checkout, not this repository."""
    monkeypatch.chdir(tmp_path)


def test_supported_loop_is_rewritten() -> None:
    """The loops below differ from this one by one feature: this one must be rewritten."""
    result = api.run_source(SUPPORTED, PATH, codemods=["retry"], config={})
    assert result.status is Status.CHANGED, (result.status, result.error, result.findings)
    assert b"retry_with_backoff(" in (result.after or b"")


CASES["two-calls-per-failure"] = Case(
    "the handler makes more than one call per failure (only one moves into the helper)", """\
import asyncio


async def fetch_balance(client, breaker, retries=4):
    for attempt in range(retries):
        try:
            return await client.get_balance()
        except (ConnectionError, TimeoutError):
            breaker.record_failure()
            await client.reconnect()
            if attempt < retries - 1:
                await asyncio.sleep(0.5 * 2 ** attempt)
            else:
                raise
""")


CASES["bare-raise-after-loop"] = Case(
    "a bare `raise` after the loop (it would re-raise the last failure once moved into an `except`)", """\
import time


def fetch(client, retries=3):
    for attempt in range(retries):
        try:
            return client.get()
        except OSError:
            if attempt < retries - 1:
                time.sleep(1 * 2 ** attempt)
    raise
""")

CASES["module-defines-retry-exhausted"] = Case("the module defines its own `RetryExhausted`", """\
import time


class RetryExhausted(Exception):
    pass


def fetch(client, retries=3):
    for attempt in range(retries):
        try:
            return client.get()
        except OSError:
            if attempt < retries - 1:
                time.sleep(1 * 2 ** attempt)
    return None
""")


CASES["handler-call-may-change-the-wait"] = Case(
    "the wait reads `self.pause`, which the handler's call may change (the helper reads it once)", """\
import time


class Poller:
    def poll(self, retries=3):
        for attempt in range(retries):
            try:
                return self.client.get()
            except OSError:
                self.slow_down()
                if attempt < retries - 1:
                    time.sleep(self.pause * 2 ** attempt)
        return None
""")


# Loops that were once rewritten although the rewrite changed what they do (found by running
# them, and by a review of real-world shapes); now refused, with these reasons.
NOW_REFUSED: dict[str, str] = {
    "jitter-in-base": "the wait or the attempt count is computed by a call each time (the helper reads it once)",
    "error-in-base": "the wait or the attempt count depends on `error`, which changes inside the loop",
    "error-in-cap": "the wait or the attempt count depends on `error`, which changes inside the loop",
    "tried-local-in-base": "the wait or the attempt count depends on `pause`, which changes inside the loop",
    "delay-var-in-handler-call": "the handler calls something after the wait or the last-attempt check",
    "delay-var-in-tried-block": "the attempt or the handler uses `delay`, the delay, which the helper keeps to itself",
    "delay-var-set-by-tried-block": "the attempt or the handler uses `delay`, the delay, which the helper keeps to itself",
    "time-sleep-in-async-def": "the loop waits with `time.sleep` but awaits: the sync helper cannot await (use `asyncio.sleep`)",
    "zero-arg-super": "`super()` without arguments cannot move into a nested function",
    "call-after-last-attempt-check": "the handler calls something after the wait or the last-attempt check",
    "call-after-wait": "the handler calls something after the wait or the last-attempt check",
}
for _key, _reason in NOW_REFUSED.items():
    CASES[_key] = Case(_reason, WRONGLY_REWRITTEN.pop(_key)[1])


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_refused_loop_is_left_alone(case: Case) -> None:
    result = _run(case)
    assert result.status is not Status.ERROR, result.error
    assert result.status is Status.UNCHANGED, (result.status, result.findings)
    assert result.after is None, "a refused loop must leave the file byte-identical"
    assert result.before == case.source.encode("utf-8")
    refusals = [f for f in result.findings if PREFIX in f.message]
    assert [f.message for f in refusals] == [PREFIX + case.reason], result.findings
    assert refusals[0].line == _loop_line(case.source)


def test_every_loop_once_rewritten_wrongly_is_now_refused() -> None:
    # A loop found rewritten wrongly goes into WRONGLY_REWRITTEN (with why) and,
    # once the matcher refuses it, into NOW_REFUSED with the reason it gives.
    assert WRONGLY_REWRITTEN == {}, f"still rewritten wrongly: {sorted(WRONGLY_REWRITTEN)}"


# -- every reason in the source has a case ---------------------------------------------------------
_TEXT = r'((?:[^"\\\n]|\\.)*)'  # the inside of a one-line "..." literal
_REASON_SITES = (
    re.compile(rf'\brefuse\((f?)"{_TEXT}"\)'),  # refuse("...") in match()
    re.compile(rf'^\s*return (f?)"{_TEXT}"\s*$', re.MULTILINE),  # a helper's `return "why"`
    re.compile(rf'\.report\([^\n]*?(f?)"{re.escape(PREFIX)}{_TEXT}"'),  # report(..., "retry loop not rewritten: ...")
    re.compile(rf'\bResolved\(reason=(f?)"{_TEXT}"\)'),  # the codemod run without a plan
)


def reasons_in_source() -> dict[str, re.Pattern[str]]:
    """Every reason string in the matcher and the codemod -> a pattern its messages match.

    An f-string's `{...}` parts match any text, and the whole reason must match: stricter than
    comparing the text before the first `{`, which is just a backtick for `{counter}` reasons."""
    found: dict[str, re.Pattern[str]] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for site in _REASON_SITES:
            for match in site.finditer(text):
                is_f, literal = match.group(1), match.group(2)
                parts = re.split(r"\{[^{}]*\}", literal) if is_f else [literal]
                if not "".join(parts).strip():
                    continue  # only a placeholder: passes another reason through (`{match.reason}`)
                found[literal] = re.compile(".+".join(re.escape(part) for part in parts))
    return found


def test_reason_extraction_sees_the_known_sites() -> None:
    """Guards the regexes above: a refactor that hides reasons from them must fail here, not pass silently."""
    reasons = reasons_in_source()
    assert "the loop has an `else:` block" in reasons  # refuse("...")
    assert "`{counter}` does not start at 0" in reasons  # return f"..."
    assert "`await` outside an async function" in reasons  # report(..., PREFIX + "...")
    assert "no helper planned" in reasons  # Resolved(reason="...")
    assert len(reasons) >= 40


def test_every_reason_has_a_case() -> None:
    reasons = reasons_in_source()
    covered = [case.reason for case in CASES.values()] + list(UNREACHABLE)
    missing = [literal for literal, pattern in reasons.items() if not any(pattern.fullmatch(r) for r in covered)]
    assert not missing, f"refusal reasons without a case in CASES (or an entry in UNREACHABLE): {missing}"
    stale = [reason for reason in covered if not any(p.fullmatch(reason) for p in reasons.values())]
    assert not stale, f"cases or UNREACHABLE entries for reasons the source no longer has: {stale}"
