"""Circuit breaker guarding calls to the exchange.

CLOSED    -> calls go through; consecutive failures are counted.
OPEN      -> after ``failure_threshold`` failures every call is refused until
             ``recovery_timeout`` seconds have passed.
HALF_OPEN -> one trial call is let through; success closes the circuit,
             failure opens it again for another full timeout.
"""

import logging
import time
from enum import Enum
from typing import Callable, Optional, Tuple

from src import config

logger = logging.getLogger(__name__)


class CircuitState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Consecutive-failure circuit breaker.

    Cooldowns are measured with a monotonic clock so wall-clock jumps (NTP,
    container migration) cannot keep the circuit open forever. ``clock`` can
    be injected for deterministic tests.
    """

    def __init__(
        self,
        name: str = "exchange",
        failure_threshold: Optional[int] = None,
        recovery_timeout: Optional[float] = None,
        half_open_max_calls: int = 1,
        clock: Optional[Callable[[], float]] = None,
    ):
        self.name = name
        self.failure_threshold = (
            failure_threshold if failure_threshold is not None else config.CIRCUIT_BREAKER_FAILURE_THRESHOLD
        )
        self.recovery_timeout = (
            recovery_timeout if recovery_timeout is not None else config.CIRCUIT_BREAKER_RECOVERY_TIMEOUT
        )
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock

        self.state = CircuitState.CLOSED
        self.failure_count = 0
        self.success_count = 0
        self.opened_at: Optional[float] = None
        self.last_failure_ms: Optional[int] = None
        self._half_open_calls = 0

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock()
        return time.monotonic()

    def can_proceed(self) -> Tuple[bool, str]:
        """Return ``(allowed, reason)`` for the next call."""
        if self.state == CircuitState.OPEN:
            elapsed = self._now() - (self.opened_at or 0.0)
            if elapsed < self.recovery_timeout:
                remaining = self.recovery_timeout - elapsed
                return False, f"circuit '{self.name}' is open, retry in {remaining:.1f}s"
            logger.info("Circuit '%s' cooldown over, switching to half-open", self.name)
            self.state = CircuitState.HALF_OPEN
            self._half_open_calls = 0

        if self.state == CircuitState.HALF_OPEN:
            if self._half_open_calls >= self.half_open_max_calls:
                return False, f"circuit '{self.name}' is half-open, trial call in progress"
            self._half_open_calls += 1
            return True, "half-open trial call"

        return True, "closed"

    def get_retry_after(self) -> float:
        """Seconds until the circuit may let a call through again (0 if it already would)."""
        if self.state != CircuitState.OPEN or self.opened_at is None:
            return 0.0
        remaining = self.recovery_timeout - (self._now() - self.opened_at)
        return max(0.0, remaining)

    def record_success(self) -> None:
        """Register a successful call."""
        if self.state == CircuitState.HALF_OPEN:
            logger.info("Circuit '%s' trial call succeeded, closing", self.name)
        self.state = CircuitState.CLOSED
        self.failure_count = 0
        self.success_count += 1
        self.opened_at = None
        self._half_open_calls = 0

    def record_failure(self) -> None:
        """Register a failed call, opening the circuit when the threshold is hit."""
        self.failure_count += 1
        self.last_failure_ms = time.time_ns() // 1_000_000

        if self.state == CircuitState.HALF_OPEN:
            logger.warning("Circuit '%s' trial call failed, opening again", self.name)
            self._open()
        elif self.state == CircuitState.CLOSED and self.failure_count >= self.failure_threshold:
            logger.error(
                "Circuit '%s' opened after %d consecutive failures", self.name, self.failure_count
            )
            self._open()

    def _open(self) -> None:
        self.state = CircuitState.OPEN
        self.opened_at = self._now()
        self._half_open_calls = 0

    def reset(self) -> None:
        """Force the circuit closed (used by the operator command /reset)."""
        self.state = CircuitState.CLOSED
        self.failure_count = 0
        self.opened_at = None
        self._half_open_calls = 0

    def status(self) -> dict:
        """State snapshot for the status endpoint and logs."""
        return {
            "name": self.name,
            "state": self.state.value,
            "failure_count": self.failure_count,
            "success_count": self.success_count,
            "retry_after": round(self.get_retry_after(), 1),
            "last_failure_ms": self.last_failure_ms,
        }
