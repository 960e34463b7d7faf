# codemods: skip-file  (this line is the template's own; it is not written out)
"""Retry with exponential backoff (created by `codemods retry`).

One implementation of "try, wait longer after each failure, give up after n
attempts, respect the circuit breaker" instead of a hand-written loop per call.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Any, Awaitable, Callable, Optional, Tuple, Type, TypeVar, Union

logger = logging.getLogger(__name__)

T = TypeVar("T")
Errors = Union[Type[BaseException], Tuple[Type[BaseException], ...]]


class RetryExhausted(Exception):
    """The circuit breaker refused the last attempt (or max_attempts < 1), so no failure came last.

    ``last_error`` is the failure of an earlier attempt (also the ``__cause__``),
    or None when the breaker refused every attempt.
    """

    def __init__(self, message: str, last_error: Optional[BaseException] = None) -> None:
        super().__init__(message)
        self.last_error = last_error


def _exhausted(operation_name: str, max_attempts: int, last_error: Optional[BaseException]) -> RetryExhausted:
    if max_attempts < 1:
        return RetryExhausted(f"{operation_name}: no attempt made (max_attempts={max_attempts})")
    error = RetryExhausted(
        f"{operation_name}: the circuit breaker refused the last of {max_attempts} attempts", last_error
    )
    error.__cause__ = last_error
    return error


def _blocked_wait(circuit_breaker: Any, max_delay: float, operation_name: str) -> Optional[float]:
    """Seconds to wait when the circuit breaker refuses this attempt, else None."""
    if circuit_breaker is None:
        return None
    allowed, reason = circuit_breaker.can_proceed()
    if allowed:
        return None
    wait = min(circuit_breaker.get_retry_after() + 1, max_delay)
    logger.warning("%s: circuit breaker open (%s), waiting %.1fs", operation_name, reason, wait)
    return wait


def _failure_wait(
    error: BaseException, attempt: int, max_attempts: int, base_delay: float, backoff: float, max_delay: float,
    operation_name: str,
) -> Optional[float]:
    """Seconds to wait after a failed attempt, or None after the last one."""
    if attempt >= max_attempts - 1:
        logger.error("%s failed after %d attempts: %s", operation_name, max_attempts, error)
        return None
    wait = min(base_delay * backoff**attempt, max_delay)
    logger.warning(
        "%s failed (attempt %d/%d): %s; retrying in %.1fs", operation_name, attempt + 1, max_attempts, error, wait
    )
    return wait


async def retry_with_backoff(
    func: Callable[..., Union[Awaitable[T], T]],
    *args: Any,
    max_attempts: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    backoff: float = 2.0,
    retry_on: Errors = (Exception,),
    circuit_breaker: Any = None,
    operation_name: str = "operation",
    breaker_max_delay: Optional[float] = None,
    on_failure: Optional[Callable[[BaseException], Any]] = None,
    **kwargs: Any,
) -> T:
    """``await func(*args, **kwargs)``, retried up to ``max_attempts`` times.

    ``on_failure(error)`` runs after each failure with one of ``retry_on``,
    before the wait (awaited when it returns an awaitable); what it raises
    propagates at once, like an error in an ``except`` block.

    Before each attempt a ``circuit_breaker`` (anything with ``can_proceed() ->
    (bool, reason)`` and ``get_retry_after() -> seconds``) may refuse it: the
    attempt then counts, and the wait is ``min(get_retry_after() + 1, max_delay)``
    (``breaker_max_delay`` instead of ``max_delay`` when given).
    A failure with one of ``retry_on`` waits ``min(base_delay * backoff ** attempt,
    max_delay)`` (attempt counted from 0) unless it was the last attempt; any
    other exception propagates at once. When the last attempt failed, that
    failure is raised again; when the breaker refused it, RetryExhausted is
    raised (from the last failure, if any) since nothing failed last.
    Waits go through ``asyncio.sleep``, looked up at each call, so tests that
    patch it keep working. ``func`` may be a coroutine function or a plain one.
    """
    last_error: Optional[BaseException] = None
    for attempt in range(max_attempts):
        wait = _blocked_wait(circuit_breaker, max_delay if breaker_max_delay is None else breaker_max_delay, operation_name)
        if wait is not None:
            await asyncio.sleep(wait)
            continue
        try:
            result = func(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except retry_on as error:
            last_error = error
            if on_failure is not None:
                done = on_failure(error)
                if inspect.isawaitable(done):
                    await done
            wait = _failure_wait(error, attempt, max_attempts, base_delay, backoff, max_delay, operation_name)
            if wait is None:
                raise
            await asyncio.sleep(wait)
            continue
        if attempt:
            logger.info("%s succeeded on attempt %d/%d", operation_name, attempt + 1, max_attempts)
        return result  # type: ignore[return-value]
    raise _exhausted(operation_name, max_attempts, last_error)


def retry_with_backoff_sync(
    func: Callable[..., T],
    *args: Any,
    max_attempts: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    backoff: float = 2.0,
    retry_on: Errors = (Exception,),
    circuit_breaker: Any = None,
    operation_name: str = "operation",
    breaker_max_delay: Optional[float] = None,
    on_failure: Optional[Callable[[BaseException], Any]] = None,
    **kwargs: Any,
) -> T:
    """``func(*args, **kwargs)`` retried as ``retry_with_backoff`` does, waiting with ``time.sleep``."""
    last_error: Optional[BaseException] = None
    for attempt in range(max_attempts):
        wait = _blocked_wait(circuit_breaker, max_delay if breaker_max_delay is None else breaker_max_delay, operation_name)
        if wait is not None:
            time.sleep(wait)
            continue
        try:
            result = func(*args, **kwargs)
        except retry_on as error:
            last_error = error
            if on_failure is not None:
                on_failure(error)
            wait = _failure_wait(error, attempt, max_attempts, base_delay, backoff, max_delay, operation_name)
            if wait is None:
                raise
            time.sleep(wait)
            continue
        if attempt:
            logger.info("%s succeeded on attempt %d/%d", operation_name, attempt + 1, max_attempts)
        return result
    raise _exhausted(operation_name, max_attempts, last_error)
