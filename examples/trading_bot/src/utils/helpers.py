"""Helper functions shared across the bot."""

import logging
import time
from datetime import datetime, timezone
from typing import Iterable, Iterator, List, Optional, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def get_timestamp() -> int:
    """Current UTC time in epoch milliseconds."""
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def ms_since(start_ms: int) -> int:
    """Milliseconds elapsed since ``start_ms`` (an epoch-ms timestamp)."""
    return int(time.time() * 1000) - start_ms


def stamp(time) -> int:
    """Epoch milliseconds read from an injectable clock.

    ``time`` is anything with a ``time()`` method returning epoch seconds: the
    :mod:`time` module in production, a fake clock in replays and tests.
    """
    return int(time.time() * 1000)


def elapsed(start: float) -> float:
    """Seconds since ``start``, a value previously taken from ``time.perf_counter()``."""
    return time.perf_counter() - start


def ms_to_datetime(ms: int) -> datetime:
    """Convert epoch milliseconds (as the exchange sends them) to an aware datetime."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def format_quantity(quantity: float, precision: int = 8) -> str:
    """Format a quantity for the API: fixed point, no trailing zeros."""
    text = f"{quantity:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_price(price: float, precision: int = 8) -> str:
    """Format a price for the API (same rules as quantities)."""
    return format_quantity(price, precision)


def safe_float(value, default: float = 0.0) -> float:
    """Parse ``value`` as float, returning ``default`` for junk (None, '', 'n/a')."""
    try:
        return float(value)
    except (TypeError, ValueError):
        logger.debug("safe_float: could not parse %r, using %s", value, default)
        return default


def chunks(items: Iterable[T], size: int) -> Iterator[List[T]]:
    """Yield lists of at most ``size`` items."""
    if size <= 0:
        raise ValueError("size must be positive")
    batch: List[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def pct_change(old: float, new: float) -> Optional[float]:
    """Percentage change from ``old`` to ``new``; None when ``old`` is zero."""
    if not old:
        return None
    return (new - old) / old * 100.0
