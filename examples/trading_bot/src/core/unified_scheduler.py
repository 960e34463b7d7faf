"""One scheduler for all periodic jobs (market scan, heartbeat, reports).

Jobs are plain callables or coroutine functions. Due times use the monotonic
clock; the wall-clock time of the last run is kept in epoch milliseconds for
the status page.
"""

import asyncio
import inspect
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

logger = logging.getLogger(__name__)

JobFunc = Callable[[], Union[Any, Awaitable[Any]]]


@dataclass
class ScheduledTask:
    """A job and its bookkeeping."""

    name: str
    interval: float
    func: JobFunc
    next_run: float = 0.0
    run_count: int = 0
    error_count: int = 0
    last_run_ms: Optional[int] = None
    last_duration: Optional[float] = None
    last_error: Optional[str] = None
    enabled: bool = True
    tags: List[str] = field(default_factory=list)


class UnifiedScheduler:
    """Runs registered tasks whenever their interval has elapsed."""

    def __init__(self, slow_task_warning: float = 5.0):
        self.tasks: Dict[str, ScheduledTask] = {}
        self.slow_task_warning = slow_task_warning
        self._running = False

    def add_task(self, name: str, interval: float, func: JobFunc, run_immediately: bool = True) -> ScheduledTask:
        """Register ``func`` to run every ``interval`` seconds."""
        if interval < 0:
            raise ValueError("interval must be >= 0")
        if name in self.tasks:
            logger.warning("Task %s already registered, replacing it", name)
        first_run = time.monotonic() if run_immediately else time.monotonic() + interval
        task = ScheduledTask(name=name, interval=interval, func=func, next_run=first_run)
        self.tasks[name] = task
        logger.debug("Scheduled task %s every %.1fs", name, interval)
        return task

    def remove_task(self, name: str) -> bool:
        """Unregister a task; returns False if it was unknown."""
        return self.tasks.pop(name, None) is not None

    def due_tasks(self) -> List[ScheduledTask]:
        now = time.monotonic()
        return [t for t in self.tasks.values() if t.enabled and t.next_run <= now]

    async def _run_task(self, task: ScheduledTask) -> None:
        started = time.perf_counter()
        try:
            result = task.func()
            if inspect.isawaitable(result):
                await result
            task.last_error = None
        except Exception as e:
            task.error_count += 1
            task.last_error = str(e)
            logger.exception("Task %s failed: %s", task.name, e)
        finally:
            task.run_count += 1
            task.last_duration = time.perf_counter() - started
            task.last_run_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
            task.next_run = time.monotonic() + task.interval
            if task.last_duration > self.slow_task_warning:
                logger.warning("Task %s took %.2fs", task.name, task.last_duration)

    async def run_pending(self) -> List[str]:
        """Run every due task once, in registration order. Returns their names."""
        ran = []
        for task in self.due_tasks():
            await self._run_task(task)
            ran.append(task.name)
        return ran

    async def run(self, stop_event: asyncio.Event, tick: float = 1.0) -> None:
        """Loop until ``stop_event`` is set, checking for due tasks every ``tick`` seconds."""
        self._running = True
        logger.info("Scheduler started with %d tasks", len(self.tasks))
        try:
            while not stop_event.is_set():
                await self.run_pending()
                if stop_event.is_set():
                    break
                await asyncio.sleep(tick)
        finally:
            self._running = False
            logger.info("Scheduler stopped")

    def status(self) -> Dict[str, dict]:
        return {
            name: {
                "interval": t.interval,
                "runs": t.run_count,
                "errors": t.error_count,
                "last_run_ms": t.last_run_ms,
                "last_error": t.last_error,
            }
            for name, t in self.tasks.items()
        }
