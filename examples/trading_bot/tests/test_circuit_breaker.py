import time

from src.core.circuit_breaker import CircuitBreaker, CircuitState


def make(clock, threshold=3, timeout=10.0):
    return CircuitBreaker(name="t", failure_threshold=threshold, recovery_timeout=timeout, clock=clock)


def test_opens_after_threshold_failures(fake_monotonic):
    cb = make(fake_monotonic)
    assert cb.can_proceed() == (True, "closed")
    cb.record_failure()
    cb.record_failure()
    assert cb.state == CircuitState.CLOSED
    cb.record_failure()
    assert cb.state == CircuitState.OPEN
    allowed, reason = cb.can_proceed()
    assert not allowed and "open" in reason
    assert cb.get_retry_after() == 10.0
    fake_monotonic.advance(4)
    assert cb.get_retry_after() == 6.0


def test_half_open_after_cooldown_allows_one_trial(fake_monotonic):
    cb = make(fake_monotonic)
    for _ in range(3):
        cb.record_failure()
    fake_monotonic.advance(10)
    assert cb.can_proceed() == (True, "half-open trial call")
    assert cb.state == CircuitState.HALF_OPEN
    allowed, _ = cb.can_proceed()
    assert not allowed
    cb.record_success()
    assert cb.state == CircuitState.CLOSED
    assert cb.failure_count == 0
    assert cb.can_proceed()[0]


def test_failed_trial_reopens_for_full_timeout(fake_monotonic):
    cb = make(fake_monotonic)
    for _ in range(3):
        cb.record_failure()
    fake_monotonic.advance(11)
    assert cb.can_proceed()[0]
    cb.record_failure()
    assert cb.state == CircuitState.OPEN
    assert cb.get_retry_after() == 10.0


def test_success_resets_count_and_failures_are_timestamped(fake_monotonic):
    cb = make(fake_monotonic)
    cb.record_failure()
    cb.record_failure()
    assert abs(cb.last_failure_ms - time.time() * 1000) < 2000
    cb.record_success()
    cb.record_failure()
    cb.record_failure()
    assert cb.state == CircuitState.CLOSED
    status = cb.status()
    assert status["state"] == "closed" and status["failure_count"] == 2
