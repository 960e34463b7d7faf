"""The retry helper that the `retry` codemod writes into projects, under fault schedules."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from codemods.templates import retry_helper
from codemods.templates.retry_helper import RetryExhausted, retry_with_backoff, retry_with_backoff_sync


class Flaky:
    """Fails ``failures`` times with ``error``, then returns ``result``; counts calls."""

    def __init__(self, failures: int, error: BaseException = ConnectionError("down"), result: Any = "ok") -> None:
        self.failures, self.error, self.result, self.calls = failures, error, result, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.args = (args, kwargs)
        if self.calls <= self.failures:
            raise self.error
        return self.result


class Breaker:
    """Refuses the first ``blocked`` checks, then allows; retry-after is fixed."""

    def __init__(self, blocked: int, retry_after: float = 5.0) -> None:
        self.blocked, self.retry_after, self.checks = blocked, retry_after, 0

    def can_proceed(self) -> tuple[bool, str]:
        self.checks += 1
        return (self.checks > self.blocked, "open")

    def get_retry_after(self) -> float:
        return self.retry_after


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Both sleeps record their delay instead of waiting (looked up on the modules at call time)."""
    recorded: list[float] = []

    async def fake_async_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(asyncio, "sleep", fake_async_sleep)
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


def run_both(call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[tuple[str, Any]]:
    """(outcome, value) of the async helper and of the sync twin on fresh copies of the fault schedule."""
    outcomes = []
    for helper in ("async", "sync"):
        func = call()
        try:
            if helper == "async":
                value = asyncio.run(retry_with_backoff(func, *args, **kwargs))
            else:
                value = retry_with_backoff_sync(func, *args, **kwargs)
            outcomes.append(("returned", value, func.calls))
        except BaseException as error:  # noqa: BLE001 - the outcome under test
            outcomes.append(("raised", type(error).__name__, func.calls))
    return outcomes  # type: ignore[return-value]


def test_success_at_once_never_sleeps(sleeps: list[float]) -> None:
    assert run_both(lambda: Flaky(0), 1, key="v") == [("returned", "ok", 1)] * 2
    assert sleeps == []


def test_fails_then_succeeds_with_exponential_delays(sleeps: list[float]) -> None:
    assert run_both(lambda: Flaky(2), max_attempts=4, base_delay=0.5) == [("returned", "ok", 3)] * 2
    assert sleeps == [0.5, 1.0] * 2


def test_always_failing_raises_the_last_error_without_a_final_sleep(sleeps: list[float]) -> None:
    assert run_both(lambda: Flaky(10), max_attempts=3, base_delay=1) == [("raised", "ConnectionError", 3)] * 2
    assert sleeps == [1, 2] * 2


def test_delays_are_capped_and_follow_the_factor(sleeps: list[float]) -> None:
    run_both(lambda: Flaky(10), max_attempts=5, base_delay=1, backoff=3, max_delay=10)
    assert sleeps == [1, 3, 9, 10] * 2


def test_an_error_outside_retry_on_propagates_at_once(sleeps: list[float]) -> None:
    outcome = run_both(lambda: Flaky(1, error=KeyError("x")), retry_on=(ConnectionError,))
    assert outcome == [("raised", "KeyError", 1)] * 2
    assert sleeps == []


def test_circuit_breaker_refusals_count_as_attempts(sleeps: list[float]) -> None:
    results = []
    for helper in (retry_with_backoff, retry_with_backoff_sync):
        func, breaker = Flaky(0), Breaker(blocked=2, retry_after=100)
        outcome = helper(func, max_attempts=3, circuit_breaker=breaker, max_delay=60)
        results.append((asyncio.run(outcome) if helper is retry_with_backoff else outcome, func.calls))
    assert results == [("ok", 1), ("ok", 1)]
    assert sleeps == [60, 60] * 2  # min(retry_after + 1, max_delay)


def test_circuit_breaker_refusing_every_attempt(sleeps: list[float]) -> None:
    with pytest.raises(RetryExhausted):
        asyncio.run(retry_with_backoff(Flaky(0), max_attempts=2, circuit_breaker=Breaker(blocked=5, retry_after=1)))
    assert sleeps == [2, 2]


def test_blocked_attempt_shifts_the_backoff_exponent(sleeps: list[float]) -> None:
    # attempt 0 blocked, attempt 1 fails (waits base * 2**1), attempt 2 succeeds
    value = asyncio.run(
        retry_with_backoff(Flaky(1), max_attempts=3, base_delay=1, circuit_breaker=Breaker(blocked=1, retry_after=0))
    )
    assert value == "ok" and sleeps == [1, 2]


def test_async_helper_accepts_plain_callables_and_coroutine_functions(sleeps: list[float]) -> None:
    async def ping(value: int) -> int:
        return value * 2

    assert asyncio.run(retry_with_backoff(ping, 21)) == 42
    assert asyncio.run(retry_with_backoff(lambda: "plain")) == "plain"


def test_sleep_is_looked_up_at_call_time() -> None:
    source = Path(retry_helper.__file__).read_text(encoding="utf-8")
    assert "from asyncio import sleep" not in source and "from time import sleep" not in source
    assert "await asyncio.sleep(" in source and "time.sleep(" in source


class RefuseFrom(Breaker):
    """Allows the first ``allowed`` checks, then refuses."""

    def __init__(self, allowed: int) -> None:
        super().__init__(blocked=0, retry_after=0)
        self.allowed = allowed

    def can_proceed(self) -> tuple[bool, str]:
        self.checks += 1
        return (self.checks <= self.allowed, "open")


def test_a_refused_last_attempt_raises_retry_exhausted_from_the_last_failure(sleeps: list[float]) -> None:
    # attempt 0 fails, attempt 1 is refused: nothing failed last, so the caller can tell
    # "the breaker stopped us" from "the last call failed"
    for helper in (retry_with_backoff, retry_with_backoff_sync):
        func = Flaky(5)
        with pytest.raises(RetryExhausted) as caught:
            outcome = helper(func, max_attempts=2, base_delay=1, circuit_breaker=RefuseFrom(1))
            if helper is retry_with_backoff:
                asyncio.run(outcome)
        assert isinstance(caught.value.last_error, ConnectionError)
        assert caught.value.__cause__ is caught.value.last_error and func.calls == 1
    assert sleeps == [1, 1] * 2  # the backoff after the failure, then min(0 + 1, 60) for the refusal


def test_a_failed_last_attempt_raises_that_failure_even_with_a_breaker(sleeps: list[float]) -> None:
    for helper in (retry_with_backoff, retry_with_backoff_sync):
        func = Flaky(5)
        with pytest.raises(ConnectionError):
            outcome = helper(func, max_attempts=2, circuit_breaker=Breaker(blocked=1, retry_after=0))
            if helper is retry_with_backoff:
                asyncio.run(outcome)
        assert func.calls == 1  # attempt 0 refused, attempt 1 failed: its error, not RetryExhausted


def test_no_attempt_at_all_is_retry_exhausted() -> None:
    with pytest.raises(RetryExhausted, match="no attempt made"):
        retry_with_backoff_sync(Flaky(0), max_attempts=0)


def test_on_failure_runs_before_each_wait_and_what_it_raises_is_not_retried(sleeps: list[float]) -> None:
    for helper in (retry_with_backoff, retry_with_backoff_sync):
        seen: list[Any] = []
        func = Flaky(1)
        outcome = helper(func, max_attempts=3, base_delay=1, on_failure=lambda error: seen.append((error, len(sleeps))))
        assert (asyncio.run(outcome) if helper is retry_with_backoff else outcome) == "ok"
        assert [(type(e), waited) for e, waited in seen] == [(ConnectionError, len(sleeps) - 1)]  # before its wait

        def fail_hard(error: BaseException) -> None:
            raise ConnectionError("bookkeeping failed")  # a retry_on type, raised by the callback

        func = Flaky(5)
        with pytest.raises(ConnectionError, match="bookkeeping failed"):
            outcome = helper(func, max_attempts=3, on_failure=fail_hard)
            if helper is retry_with_backoff:
                asyncio.run(outcome)
        assert func.calls == 1  # propagated at once, as from the loop's `except` block


def test_async_on_failure_is_awaited(sleeps: list[float]) -> None:
    seen: list[str] = []

    async def reconnect() -> None:
        seen.append("reconnected")

    assert asyncio.run(retry_with_backoff(Flaky(2), max_attempts=3, on_failure=lambda error: reconnect())) == "ok"
    assert seen == ["reconnected"] * 2
