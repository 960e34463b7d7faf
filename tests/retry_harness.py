"""Run a retry loop and its rewrite under the same fault schedule and record what happened.

A ``World`` stands in for everything the function touches: ``Fake`` objects
record every call made on them (an attribute chain ending in a call), one path
is the operation whose calls follow the schedule (fail k times, then succeed;
or raise an exception the loop does not catch), and a ``Breaker`` refuses the
first ``refusals`` checks. ``asyncio.sleep`` and ``time.sleep`` are patched to
record their delays, the way a user's test would patch them. The record of a
run is the ordered list of events plus the outcome; logging is left out, since
the helper logs its own text.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
TEMPLATE = Path(__file__).resolve().parents[1] / "codemods" / "templates" / "retry_helper.py"


class Foreign(BaseException):
    """Outside every `except Exception`: for loops that catch everything."""


@dataclass
class Schedule:
    """What the operation does on each call, and how often the breaker refuses."""

    name: str
    failures: int = 0  # the first `failures` calls raise the retryable error
    foreign_at: int | None = None  # this call (1-based) raises an error outside `retry_on`
    refusals: int = 0  # the first `refusals` breaker checks refuse


@dataclass
class World:
    schedule: Schedule
    retryable: type[BaseException]
    foreign: type[BaseException]
    operation: str  # the path whose calls follow the schedule, e.g. "client.get_balance"
    events: list[tuple[Any, ...]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    calls: int = 0
    checks: int = 0

    def fake(self, path: str) -> "Fake":
        return Fake(self, path)

    def call(self, path: str) -> Any:
        if path.rsplit(".", 1)[-1] in LOG_METHODS:
            return None
        if path != self.operation:
            self.events.append(("call", path))
            return Value(f"{path}()")
        self.calls += 1
        self.events.append(("operation", self.calls))
        if self.schedule.foreign_at == self.calls:
            raise self.foreign(f"foreign #{self.calls}")
        if self.calls <= self.schedule.failures:
            raise self.retryable(f"failure #{self.calls}")
        return Value(f"result #{self.calls}")


class Value:
    """An inert result: attributes, calls and awaits give more tokens, compared by text."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __getattr__(self, name: str) -> "Value":
        if name.startswith("__"):
            raise AttributeError(name)
        return Value(f"{self.token}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> "Value":
        return Value(f"{self.token}()")

    def __await__(self) -> Any:
        return self
        yield  # pragma: no cover - makes this a generator

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __repr__(self) -> str:
        return f"Value({self.token!r})"


class Fake:
    """An object whose attribute chains record the calls made on them."""

    def __init__(self, world: World, path: str) -> None:
        self._world = world
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        path = f"{self._path}.{name}"
        if path in self._world.overrides:
            return self._world.overrides[path]
        return Fake(self._world, path)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._world.call(self._path)


class Breaker:
    """A duck-typed circuit breaker that refuses the first ``refusals`` checks."""

    def __init__(self, world: World) -> None:
        self.world = world

    def can_proceed(self) -> tuple[bool, str]:
        self.world.checks += 1
        allowed = self.world.checks > self.world.schedule.refusals
        self.world.events.append(("can_proceed", allowed))
        return allowed, "" if allowed else "open"

    def get_retry_after(self) -> float:
        self.world.events.append(("get_retry_after",))
        return 7.5

    def record_failure(self) -> None:
        self.world.events.append(("record_failure",))

    def record_success(self) -> None:
        self.world.events.append(("record_success",))


def schedules(attempts: int) -> list[Schedule]:
    """The five fault schedules of the issue, for a loop of ``attempts`` attempts."""
    found = [Schedule("success at once")]
    found += [Schedule(f"fail {k} then succeed", failures=k) for k in range(1, attempts)]
    found.append(Schedule("fail every time", failures=attempts + 1))
    found.append(Schedule("foreign error at once", foreign_at=1))
    if attempts > 1:
        found.append(Schedule("foreign error after a failure", failures=1, foreign_at=2))
    found += [Schedule(f"breaker open {b}, then success", refusals=b) for b in range(1, attempts + 1)]
    found.append(Schedule("breaker open 1, then failures", refusals=1, failures=attempts + 1))
    return found


def install_helper(module: str) -> list[str]:
    """Make ``module`` importable as the generated helper; returns the names added to sys.modules."""
    added = []
    parts = module.split(".")
    for depth in range(1, len(parts)):
        name = ".".join(parts[:depth])
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = []  # type: ignore[attr-defined]
            sys.modules[name] = package
            added.append(name)
    helper = types.ModuleType(module)
    exec(compile(TEMPLATE.read_text(), str(TEMPLATE), "exec"), helper.__dict__)
    sys.modules[module] = helper
    added.append(module)
    return added


def load(source: str, name: str) -> dict[str, Any]:
    """Compile and run a module's source; its namespace."""
    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace


def entry(namespace: dict[str, Any], dotted: str) -> Callable[..., Any]:
    """``function`` or ``Class.method`` (the plain function, called with a fake self)."""
    target: Any = namespace[dotted.split(".")[0]]
    for part in dotted.split(".")[1:]:
        target = target.__dict__[part]
    return target


def run(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], world: World) -> dict[str, Any]:
    """Call ``function`` with sleeps recorded; the events and the outcome."""
    real_async, real_sync = asyncio.sleep, time.sleep

    async def async_sleep(delay: float, *rest: Any) -> None:
        world.events.append(("sleep", delay))

    def sync_sleep(delay: float) -> None:
        world.events.append(("sleep", delay))

    asyncio.sleep, time.sleep = async_sleep, sync_sleep  # type: ignore[assignment]
    # `from time import sleep` bound the real function in the module: patch it there too
    spaces = getattr(function, "__globals__", {})
    bound = {name: value for name, value in spaces.items() if value is real_sync or value is real_async}
    spaces.update({name: sync_sleep if value is real_sync else async_sleep for name, value in bound.items()})
    try:
        try:
            result = function(*args, **kwargs)
            if inspect.isawaitable(result):
                result = asyncio.run(_await(result))
            outcome: tuple[Any, ...] = ("return", result)
        except BaseException as error:  # noqa: BLE001 - the outcome is what we compare
            outcome = ("raise", type(error).__name__, str(error))
    finally:
        asyncio.sleep, time.sleep = real_async, real_sync  # type: ignore[assignment]
        spaces.update(bound)
    return {"events": world.events, "outcome": outcome, "calls": world.calls}


async def _await(awaitable: Any) -> Any:
    return await awaitable


def same_record(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Equal events and outcome; waits equal to within float rounding (1e-12 relative)."""
    if before["outcome"] != after["outcome"] or len(before["events"]) != len(after["events"]):
        return False
    for one, two in zip(before["events"], after["events"]):
        if one[0] == "sleep" and two[0] == "sleep":
            if abs(one[1] - two[1]) > 1e-12 * max(abs(one[1]), abs(two[1]), 1.0):
                return False
        elif one != two:
            return False
    return True
