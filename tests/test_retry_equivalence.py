"""The retry codemod keeps what a loop does under every fault.

For every before/after example of the codemod, and for the trading bot's two
retry loops as they are in the repository, the original and the rewritten
function run under the same fault schedules (success at once; k failures then
success; failure every time; an error outside the caught types; the circuit
breaker open for some attempts) and must make the same calls in the same order,
wait the same delays, and return the same value or raise the same exception.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from codemods import api
from codemods.base import Example
from codemods.transforms.retry_examples import EXAMPLES
from tests.retry_harness import Breaker, Foreign, World, entry, install_helper, load, run, same_record, schedules

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "examples" / "trading_bot"


@dataclass(frozen=True)
class Case:
    """How to call one retry function: its entry, arguments, operation and errors."""

    entry: str
    call: Callable[[World, int], tuple[tuple[Any, ...], dict[str, Any]]]
    operation: str
    retryable: type[BaseException]
    foreign: type[BaseException] = ValueError
    attempts: tuple[int, ...] = (1, 2, 3, 4)  # when the function takes the count; else (n,)
    breaker: str | None = None  # the attribute path of the circuit breaker


def _self(world: World, breaker: str | None) -> Any:
    if breaker:
        world.overrides[breaker] = Breaker(world)
    return world.fake("self")


# Every Example of the codemod needs a case here (checked below), so a new shape
# cannot land without running under the fault schedules.
CASES: dict[str, Case] = {
    "fetch_balance": Case(
        "fetch_balance", lambda w, n: ((w.fake("client"),), {"retries": n}), "client.get_balance", ConnectionError
    ),
    "place": Case(
        "place", lambda w, n: ((w.fake("api"), {"qty": 1}), {}), "api.post", ConnectionError, attempts=(5,)
    ),
    "download": Case(
        "download", lambda w, n: ((w.fake("session"), "https://x"), {"max_retries": n}), "session.get", OSError
    ),
    "Feed.connect": Case(
        "Feed.connect", lambda w, n: ((_self(w, "self.breaker"),), {"attempts": n}), "self.ws.connect", OSError,
        breaker="self.breaker",
    ),
    "Poller.poll": Case(
        "Poller.poll", lambda w, n: ((_self(w, None),), {"tries": n}), "self.client.poll", TimeoutError,
    ),
    "wait_ready": Case(
        "wait_ready", lambda w, n: ((w.fake("probe"),), {"attempts": n}), "probe.check", RuntimeError, Foreign,
    ),
    "send_all": Case(
        "send_all", lambda w, n: ((w.fake("sock"), b"x"), {"retries": n}), "sock.sendall", OSError
    ),
    "fetch_pair": Case(
        "fetch_pair", lambda w, n: ((w.fake("api"),), {"retries": n}), "api.best_ask", OSError
    ),
    "fetch_klines": Case(
        "fetch_klines", lambda w, n: ((w.fake("exchange"), "BTCUSDT"), {"max_retries": n}), "exchange.fetch_ohlcv",
        ConnectionError, attempts=(1, 2, 6),  # 6: the waits reach the cap
    ),
    "get_json": Case(
        "get_json", lambda w, n: ((w.fake("session"), "https://x"), {"attempts": n}), "session.get", OSError,
        attempts=(1, 2, 7),  # 7: the waits reach the cap
    ),
    "Broker.submit": Case(
        "Broker.submit", lambda w, n: ((_self(w, "self.cb"), {"qty": 1}), {"attempts": n}), "self.api.submit",
        ConnectionError, breaker="self.cb",
    ),
}

BOT_CASES = {
    "src/main.py": Case(
        "TradingBot._test_connection_with_retry", lambda w, n: ((_self(w, "self.circuit_breaker"), n), {}),
        "self.client.ping", RuntimeError, Foreign, breaker="self.circuit_breaker",
    ),
    "src/services/trading_service.py": Case(
        "TradingService._emergency_close_position",
        lambda w, n: ((_self(w, "self.circuit_breaker"), "BTCUSDT"), {"reason": "stop", "max_attempts": n}),
        "self.client.close_position", RuntimeError, Foreign, breaker="self.circuit_breaker",
    ),
}


def _entry_name(example: Example) -> str:
    namespace: dict[str, Any] = {}
    exec(compile(example.before, "<example>", "exec"), namespace)
    for name, value in namespace.items():
        if name in CASES:
            return name
        for attribute in getattr(value, "__dict__", {}) if isinstance(value, type) else {}:
            if f"{name}.{attribute}" in CASES:
                return f"{name}.{attribute}"
    raise AssertionError(f"no equivalence case for the example starting {example.before[:60]!r}")


EXAMPLE_CASES = [
    pytest.param(example, id=f"example{index}") for index, example in enumerate(EXAMPLES, 1) if isinstance(example, Example)
]


def _compare(before: dict[str, Any], after: dict[str, Any], case: Case, world_args: Callable[[], None] | None = None) -> int:
    """Run both under every schedule and attempt count; the number of runs compared."""
    compared = 0
    for n in case.attempts:
        for schedule in schedules(n):
            records = []
            for namespace in (before, after):
                world = World(schedule, case.retryable, case.foreign, case.operation)
                args, kwargs = case.call(world, n)
                records.append(run(entry(namespace, case.entry), args, kwargs, world))
            first, second = records
            assert same_record(first, second), (
                f"{case.entry}, {n} attempts, {schedule.name}:\noriginal  {first}\nrewritten {second}"
            )
            assert first["calls"] >= 1 or schedule.refusals >= n  # the schedule was exercised
            compared += 1
    return compared


@pytest.mark.parametrize("example", EXAMPLE_CASES)
def test_example_keeps_behaviour_under_every_fault(example: Example) -> None:
    case = CASES[_entry_name(example)]
    added = install_helper("bot.utils.retry_helper")
    try:
        before = load(example.before, "retry_before")
        after = load(example.after, "retry_after")
        assert _compare(before, after, case) >= 5
    finally:
        for name in added:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def rewritten_bot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bot with `codemods apply --only retry` run on it by the real console script."""
    copy = tmp_path_factory.mktemp("bot") / "trading_bot"
    shutil.copytree(BOT, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    done = subprocess.run(
        [sys.executable, "-m", "codemods", "apply", "--only", "retry", "."],
        cwd=copy, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return copy


@pytest.mark.parametrize("path", sorted(BOT_CASES))
def test_bot_retry_loops_keep_behaviour_under_every_fault(rewritten_bot: Path, path: str) -> None:
    case = BOT_CASES[path]
    original = (BOT / path).read_text()
    rewritten = (rewritten_bot / path).read_text()
    assert "retry_with_backoff" in rewritten and original != rewritten
    saved = {name: module for name, module in sys.modules.items() if name == "src" or name.startswith("src.")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(rewritten_bot))  # holds the bot's modules and the created helper
    try:
        before = load(original, "bot_before")
        after = load(rewritten, "bot_after")
        assert _compare(before, after, case) >= 5 * len(case.attempts)
    finally:
        sys.path.remove(str(rewritten_bot))
        for name in [n for n in sys.modules if n == "src" or n.startswith("src.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_every_fault_schedule_is_distinguishable() -> None:
    """The harness can fail: a loop that waits one step less is caught."""
    source = EXAMPLES[0].before  # type: ignore[union-attr]
    broken = source.replace("0.5 * 2 ** attempt", "0.5 * 2 ** (attempt + 1)")
    assert broken != source
    with pytest.raises(AssertionError, match="fail 1 then succeed"):
        _compare(load(source, "a"), load(broken, "b"), CASES["fetch_balance"])


def test_example_rewrites_match_what_the_codemod_writes() -> None:
    """The examples' after text is what the codemod produces (so the harness runs real output)."""
    for example in EXAMPLES:
        if isinstance(example, Example):
            result = api.run_source(example.before, example.path, codemods=["retry"], config={})
            assert result.after is not None and result.after.decode() == example.after


def test_bot_suite_passes_after_retry_apply_and_a_second_apply_changes_nothing(rewritten_bot: Path) -> None:
    from conftest import run_bot_suite, run_cli, snapshot

    suite = run_bot_suite(rewritten_bot)
    assert suite.code == 0 and " passed" in suite.text and "failed" not in suite.text, suite
    created = (rewritten_bot / "src" / "utils" / "retry_helper.py").read_text()
    assert "async def retry_with_backoff(" in created and "codemods: skip-file" not in created
    before = snapshot(rewritten_bot)
    again = run_cli("apply", "--only", "retry", ".", cwd=rewritten_bot)
    assert again.code == 0, again
    assert snapshot(rewritten_bot) == before


def test_a_projects_own_retry_with_backoff_is_never_called(tmp_path: Path) -> None:
    """A decorator that happens to share the name is not the helper: nothing changes, one warning says why."""
    from conftest import run_cli, snapshot, write_tree

    own = "def retry_with_backoff(func):\n    return func\n"
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.codemods]\n",
        "app/__init__.py": "",
        "app/util.py": own,
        "app/net.py": EXAMPLES[0].before,  # type: ignore[union-attr]
    })
    before = snapshot(tmp_path)
    done = run_cli("diff", "--only", "retry", ".", cwd=tmp_path)
    assert done.code == 0 and done.out == b"", done
    assert "app/util.py defines retry_with_backoff() but not retry_with_backoff_sync, RetryExhausted" in done.err, done
    assert snapshot(tmp_path) == before
