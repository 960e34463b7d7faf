import asyncio
import time

from src.core.unified_scheduler import UnifiedScheduler


def test_due_task_runs_once_per_interval():
    sched = UnifiedScheduler()
    calls = []
    sched.add_task("sync_job", 3600, lambda: calls.append("sync"))

    async def async_job():
        calls.append("async")

    sched.add_task("async_job", 3600, async_job)
    sched.add_task("later", 3600, lambda: calls.append("later"), run_immediately=False)
    assert asyncio.run(sched.run_pending()) == ["sync_job", "async_job"]
    assert asyncio.run(sched.run_pending()) == []
    assert calls == ["sync", "async"]
    last_run = sched.status()["sync_job"]["last_run_ms"]
    assert abs(last_run - time.time() * 1000) < 2000
    assert sched.remove_task("later") and not sched.remove_task("later")


def test_failing_task_is_counted_and_others_still_run():
    sched = UnifiedScheduler()
    ran = []

    def boom():
        raise RuntimeError("exchange down")

    sched.add_task("boom", 0, boom)
    sched.add_task("ok", 0, lambda: ran.append(1))
    asyncio.run(sched.run_pending())
    asyncio.run(sched.run_pending())
    status = sched.status()
    assert status["boom"]["errors"] == 2 and status["boom"]["last_error"] == "exchange down"
    assert status["ok"]["runs"] == 2 and ran == [1, 1]


def test_run_loop_stops_on_event():
    sched = UnifiedScheduler()
    counter = {"n": 0}

    async def main():
        stop = asyncio.Event()

        def job():
            counter["n"] += 1
            if counter["n"] >= 3:
                stop.set()

        sched.add_task("job", 0, job)
        await asyncio.wait_for(sched.run(stop, tick=0.001), timeout=2)

    asyncio.run(main())
    assert counter["n"] == 3
