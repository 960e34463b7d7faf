"""Project-wide behaviour of the timestamp codemod, through api.run_paths on real folders."""

from __future__ import annotations

import ast
import importlib
import sys
import time
from pathlib import Path

import pytest

from codemods import api
from codemods.models import Kind, Options, Status


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run(root: Path, helper: str | None = None) -> api.Run:
    from codemods.transforms.timestamp import TimestampOptions

    config = {"timestamp": TimestampOptions(helper=helper)} if helper else {}
    options = Options(root=root, project_root=root, only=("timestamp",), jobs=1, codemod_config=config)
    return api.run_paths([root], options)


def by_path(result_run: api.Run) -> dict[str, object]:
    return {r.path: r for r in result_run.results}


def test_a_module_the_helper_imports_is_not_made_to_import_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/clock.py": (
                "from datetime import datetime, timezone\n\nfrom pkg import settings\n\n"
                "def get_timestamp() -> int:\n    return int(datetime.now(timezone.utc).timestamp() * 1000)\n"
            ),
            "pkg/settings.py": "import time\n\nBOOT_MS = int(time.time() * 1000)\n",
            "pkg/orders.py": "import time\n\ndef stamp():\n    return int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path)
    results = by_path(outcome)
    assert results["pkg/settings.py"].after is None  # type: ignore[attr-defined]
    assert any("import cycle" in f.message for f in results["pkg/settings.py"].findings)  # type: ignore[attr-defined]
    assert b"from pkg.clock import get_timestamp" in results["pkg/orders.py"].after  # type: ignore[attr-defined]


def test_configured_module_without_the_function_gets_it_appended(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/util.py": '"""Utilities."""\nimport os\n\n\ndef cwd() -> str:\n    return os.getcwd()\n',
            "app/jobs.py": "import time\n\ndef now():\n    return int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path, helper="app.util:epoch_ms")
    results = by_path(outcome)
    util = results["app/util.py"].after.decode()  # type: ignore[attr-defined]
    ast.parse(util)
    assert "def epoch_ms() -> int:" in util and "from datetime import datetime, timezone" in util
    assert util.startswith('"""Utilities."""\nimport os\n')
    jobs = results["app/jobs.py"].after.decode()  # type: ignore[attr-defined]
    assert "from app.util import epoch_ms" in jobs and "return epoch_ms()" in jobs
    api.write(outcome.modified, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        for name in ("app", "app.util", "app.jobs"):
            sys.modules.pop(name, None)
        jobs_module = importlib.import_module("app.jobs")
        before = int(time.time() * 1000)
        value = jobs_module.now()
        after = int(time.time() * 1000)
        assert isinstance(value, int) and before <= value <= after
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("app", "app.util", "app.jobs"):
            sys.modules.pop(name, None)


def test_a_found_helper_serves_only_its_own_project_folder(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "bot/src/__init__.py": "",
            "bot/src/helpers.py": "import time\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n",
            "bot/src/main.py": "import time\nts = int(time.time() * 1000)\n",
            "tools/report.py": "import time\nts = int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path)
    results = by_path(outcome)
    assert b"from src.helpers import get_timestamp" in results["bot/src/main.py"].after  # type: ignore[attr-defined]
    assert results["tools/report.py"].after is None  # type: ignore[attr-defined]
    assert any(f.kind is Kind.NOTE and "bot/" in f.message for f in outcome.findings)


def test_no_helper_anywhere_changes_nothing_and_says_how(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "a.py": "import time\n\ndef get_timestamp():\n    return time.strftime('%Y-%m-%dT%H:%M:%S')\n",
            "b.py": "import time\nts = int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path)
    assert not outcome.modified
    assert any(f.kind is Kind.NOTE and "helper =" in f.message for f in outcome.findings)
    b = by_path(outcome)["b.py"]
    assert b.status is Status.UNCHANGED and b.findings and b.findings[0].line == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("jobs", [1, 2])
def test_parallel_and_serial_runs_agree(tmp_path: Path, jobs: int) -> None:
    files = {"clock.py": "import time\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n"}
    for i in range(40):
        files[f"m{i}.py"] = f"import time\n\ndef f{i}():\n    return int(time.time() * 1000) + {i}\n"
    write_tree(tmp_path, files)
    options = Options(root=tmp_path, project_root=tmp_path, jobs=jobs)
    outcome = api.run_paths([tmp_path], options)
    assert len(outcome.modified) == 40
    assert all(b"from clock import get_timestamp" in r.after for r in outcome.modified)  # type: ignore[operator]


def test_helper_module_outside_any_package_is_not_made_to_import_itself(tmp_path: Path) -> None:
    # No __init__.py: the dotted name is found by path, and the helper's body stays as it is.
    helper = "import time\n\ndef get_timestamp() -> int:\n    return int(time.time() * 1000)\n\ndef later():\n    return int(time.time() * 1000) + 5\n"
    write_tree(tmp_path, {"app/utils.py": helper, "app/jobs.py": "import time\nts = int(time.time() * 1000)\n"})
    results = by_path(run(tmp_path, helper="app.utils:get_timestamp"))
    utils = results["app/utils.py"].after.decode()  # type: ignore[attr-defined]
    assert "import app.utils" not in utils and "from app.utils" not in utils
    assert "return int(time.time() * 1000)\n" in utils and "return get_timestamp() + 5" in utils


def test_created_module_goes_into_the_package_wherever_it_lives(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "python/ccxt/__init__.py": "",
            "python/ccxt/base/__init__.py": "",
            "python/ccxt/base/exchange.py": "import time\n\ndef ms():\n    return int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path, helper="ccxt.utils.clock:get_timestamp")
    created = {r.path: r for r in outcome.results if r.status is Status.CREATED}
    assert set(created) == {"python/ccxt/utils/__init__.py", "python/ccxt/utils/clock.py"}
    assert b"def get_timestamp() -> int:" in created["python/ccxt/utils/clock.py"].after  # type: ignore[operator]
    assert b"skip-file" not in created["python/ccxt/utils/clock.py"].after  # type: ignore[operator]


def test_appended_helper_does_not_shadow_the_modules_datetime(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/utils.py": "import datetime\n\ndef today():\n    return datetime.date.today()\n",
            "pkg/m.py": "import time\n\ndef f():\n    return int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path, helper="pkg.utils:get_timestamp")
    api.write(outcome.modified, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        for name in ("pkg", "pkg.utils", "pkg.m"):
            sys.modules.pop(name, None)
        utils = importlib.import_module("pkg.utils")
        m = importlib.import_module("pkg.m")
        assert utils.today() == __import__("datetime").date.today()
        before = time.time_ns() // 1_000_000 - 1
        assert before <= m.f() <= time.time_ns() // 1_000_000
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("pkg", "pkg.utils", "pkg.m"):
            sys.modules.pop(name, None)


def test_a_configured_helper_that_is_not_epoch_ms_is_not_used_unless_trusted(tmp_path: Path) -> None:
    from codemods.transforms.timestamp import TimestampOptions

    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/utils.py": "import time\n\ndef get_timestamp():\n    return time.strftime('%H:%M:%S')\n",
            "pkg/m.py": "import time\nts = int(time.time() * 1000)\n",
        },
    )
    outcome = run(tmp_path, helper="pkg.utils:get_timestamp")
    assert not outcome.modified
    assert any(f.kind is Kind.WARNING and "trust-helper" in f.message for f in outcome.findings)
    config = {"timestamp": TimestampOptions(helper="pkg.utils:get_timestamp", trust_helper=True)}
    options = Options(root=tmp_path, project_root=tmp_path, only=("timestamp",), jobs=1, codemod_config=config)
    assert [r.path for r in api.run_paths([tmp_path], options).modified] == ["pkg/m.py"]


def test_reexported_and_still_patched_names(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "clock.py": "import time\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n",
            "m.py": 'import time\n__all__ = ["time", "f"]\n\ndef f():\n    return int(time.time() * 1000)\n',
            "test_m.py": 'import time\nimport m\n\ndef test_f(monkeypatch):\n    monkeypatch.setattr(time, "time", lambda: 1.0)\n    assert m.f() == 1000\n',
        },
    )
    outcome = run(tmp_path)
    m = by_path(outcome)["m.py"].after.decode()  # type: ignore[attr-defined]
    assert m.startswith("import time\n") and "return get_timestamp()" in m  # re-exported: import kept
    warnings = [f for f in outcome.findings if f.kind is Kind.WARNING]
    assert [(f.path, f.line) for f in warnings] == [("test_m.py", 5)]


def test_an_existing_import_of_the_helper_module_is_not_a_new_cycle(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/clock.py": "import time\n\nfrom pkg import client\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n",
            "pkg/client.py": "import time\n\nfrom pkg import clock\n\ndef f():\n    return int(time.time() * 1000)\n",
        },
    )
    client = by_path(run(tmp_path))["pkg/client.py"]
    assert client.after is not None and b"return get_timestamp()" in client.after  # type: ignore[attr-defined]


def test_a_two_step_helper_body_is_recognised(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/clock.py": (
                "from datetime import datetime, timezone\n\n"
                "def get_timestamp() -> int:\n    now = datetime.now(timezone.utc)\n"
                "    return int(now.timestamp() * 1000)\n"
            ),
            "lib/use.py": "import time\nts = int(time.time() * 1000)\n",
        },
    )
    use = by_path(run(tmp_path))["lib/use.py"]
    assert use.after == b"from lib.clock import get_timestamp\nts = get_timestamp()\n"  # type: ignore[attr-defined]


def test_imports_that_must_stay(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "clock.py": HELPER_SRC,
            "noqa.py": "import time  # noqa: F401 (tests patch noqa.time)\n\ndef f():\n    return int(time.time() * 1000)\n",
            "guarded.py": "try:\n    import time\nexcept ImportError:\n    time = None\n\ndef f():\n    return int(time.time() * 1000)\n",
            "svc.py": "import time\n\ndef f():\n    return int(time.time() * 1000)\n",
            "test_svc.py": "from unittest import mock\n\nwith mock.patch('svc.time.time', return_value=1.0):\n    pass\n",
        },
    )
    results = by_path(run(tmp_path))
    noqa = results["noqa.py"].after.decode()  # type: ignore[attr-defined]
    assert noqa.startswith("import time  # noqa") and "return get_timestamp()" in noqa
    assert results["guarded.py"].after is None  # two bindings of `time`: which one runs is not known
    svc = results["svc.py"].after.decode()  # type: ignore[attr-defined]
    assert svc.startswith("import time\n") and "return get_timestamp()" in svc  # mock.patch still finds svc.time


HELPER_SRC = "import time\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n"


def test_sites_the_found_helper_cannot_serve_are_reported(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "bot/src/__init__.py": "",
            "bot/src/helpers.py": HELPER_SRC,
            "other/tool.py": "import time\nts = int(time.time() * 1000)\n",
        },
    )
    tool = by_path(run(tmp_path))["other/tool.py"]
    assert tool.after is None  # type: ignore[attr-defined]
    assert [(f.line, "importable only under bot/" in f.message) for f in tool.findings] == [(2, True)]  # type: ignore[attr-defined]


def test_a_helper_module_that_would_shadow_a_module_is_refused(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"pkg/__init__.py": "", "pkg/utils.py": "def sign():\n    return 1\n", "pkg/a.py": "import time\nx = int(time.time() * 1000)\n"},
    )
    outcome = run(tmp_path, helper="pkg.utils.clock:get_timestamp")
    assert not outcome.modified
    assert any(f.kind is Kind.WARNING and "shadowing" in f.message for f in outcome.findings)
    a = by_path(outcome)["pkg/a.py"]
    assert a.findings and "cannot be created" in a.findings[0].message  # type: ignore[attr-defined]


def test_a_namespace_package_stays_one(tmp_path: Path) -> None:
    write_tree(tmp_path, {"nsp/a.py": "import time\nx = int(time.time() * 1000)\n"})
    outcome = run(tmp_path, helper="nsp.clock:get_timestamp")
    created = sorted(r.path for r in outcome.results if r.status is Status.CREATED)
    assert created == ["nsp/clock.py"]
