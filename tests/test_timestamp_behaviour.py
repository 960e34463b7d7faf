"""Executed behaviour of the timestamp codemod: modules are rewritten by the
real CLI, then both versions are imported and called."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

from conftest import Result, run_cli, snapshot, write_tree

# name -> (source, the clock expression that must be gone after the rewrite)
REWRITTEN = {
    "import_time": ("import time\n\n\ndef now_ms():\n    return int(time.time() * 1000)\n", "time.time()"),
    "import_time_as": ("import time as t\n\n\ndef now_ms():\n    return int(t.time() * 1000)\n", "t.time()"),
    "from_time": ("from time import time\n\n\ndef now_ms():\n    return int(time() * 1000)\n", "time()"),
    "from_time_as": ("from time import time as now\n\n\ndef now_ms():\n    return int(now() * 1000)\n", "now()"),
    "datetime_module_alias": (
        "import datetime as dt\n\n\ndef now_ms():\n"
        "    return int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)\n",
        ".timestamp()",
    ),
    "datetime_tz_keyword": (
        "from datetime import datetime, timezone\n\n\ndef now_ms():\n"
        "    return int(datetime.now(tz=timezone.utc).timestamp() * 1000)\n",
        ".timestamp()",
    ),
    "time_ns_floordiv": ("import time\n\n\ndef now_ms():\n    return time.time_ns() // 1_000_000\n", "time_ns"),
    "power_of_ten": ("import time\n\n\ndef now_ms():\n    return int(time.time() * 10**3)\n", "time.time()"),
    "float_literal": ("import time\n\n\ndef now_ms():\n    return int(time.time() * 1e3)\n", "time.time()"),
    "factor_first": ("import time\n\n\ndef now_ms():\n    return int(1000 * time.time())\n", "time.time()"),
}

LEFT_ALONE = {
    "float_ms": "import time\n\n\ndef f():\n    return time.time() * 1000\n",
    "whole_seconds": "import time\n\n\ndef f():\n    return int(time.time())\n",
    "seconds_times_1000": "import time\n\n\ndef f():\n    return int(time.time()) * 1000\n",
    "float_offset": "import time\n\n\ndef f(offset):\n    return int(time.time() * 1000 + offset)\n",
    "other_datetime": (
        "from datetime import datetime\n\n\ndef f(dt: datetime) -> int:\n    return int(dt.timestamp() * 1000)\n"
    ),
    "monotonic": "import time\n\n\ndef f():\n    return int(time.monotonic() * 1000)\n",
    "naive_now": "from datetime import datetime\n\n\ndef f():\n    return int(datetime.now().timestamp() * 1000)\n",
    "microseconds": "import time\n\n\ndef f():\n    return int(time.time() * 1_000_000)\n",
}

PARAM_TIME = (
    "import time\n"
    "\n"
    "\n"
    "def now_ms():\n"
    "    return int(time.time() * 1000)\n"
    "\n"
    "\n"
    "def stamp(time):\n"
    "    return int(time.time() * 1000)\n"
)
OWN_GET_TIMESTAMP = (
    "import time\n"
    "\n"
    "\n"
    "def get_timestamp():\n"
    "    return time.strftime('%H:%M', time.gmtime(0))\n"
    "\n"
    "\n"
    "def now_ms():\n"
    "    return int(time.time() * 1000)\n"
)
UTCNOW = "from datetime import datetime\n\n\ndef report():\n    return datetime.utcnow().timestamp()\n"
UTCNOW_LINE = 5
HELPER = (
    "import time\n"
    "\n"
    "\n"
    "def get_timestamp() -> int:\n"
    "    return int(time.time() * 1000)\n"
    "\n"
    "\n"
    "def ms_since(start: int) -> int:\n"
    "    return int(time.time() * 1000) - start\n"
)
HELPER_BODY = "def get_timestamp() -> int:\n    return int(time.time() * 1000)\n"


class FakeClock:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return self.seconds


def now_bounds(call: Callable[[], Any]) -> tuple[int, Any, int]:
    # The helper computes float seconds * 1000 and truncates: at an exact
    # millisecond boundary float rounding can land 1 ms low, hence the -1.
    low = time.time_ns() // 1_000_000 - 1
    value = call()
    high = time.time_ns() // 1_000_000
    return low, value, high


def assert_now_ms(call: Callable[[], Any]) -> None:
    low, value, high = now_bounds(call)
    assert type(value) is int, f"{value!r} is a {type(value).__name__}, not an int"
    assert low <= value <= high, (low, value, high)


class Importer:
    """Imports modules from a directory and forgets them (sys.path, sys.modules) afterwards."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.prefixes: list[str] = []
        self.names: list[str] = []

    def package_module(self, root: Path, dotted: str) -> ModuleType:
        if str(root) not in self.paths:
            self.paths.append(str(root))
            sys.path.insert(0, str(root))
        self.prefixes.append(dotted.split(".")[0])
        return importlib.import_module(dotted)

    def file_module(self, path: Path) -> ModuleType:
        name = f"_codemods_test_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        self.names.append(name)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    def close(self) -> None:
        for path in self.paths:
            while path in sys.path:
                sys.path.remove(path)
        for name in list(sys.modules):
            if name in self.names or any(name == p or name.startswith(p + ".") for p in self.prefixes):
                del sys.modules[name]
        importlib.invalidate_caches()


@pytest.fixture
def importer() -> Iterator[Importer]:
    imp = Importer()
    try:
        yield imp
    finally:
        imp.close()


@dataclass
class Project:
    root: Path  # rewritten by `codemods apply`
    before: Path  # an untouched copy
    package: str  # a unique package name, so imports never collide
    report: dict  # `codemods diff --json`
    diff: Result
    apply: Result

    def source(self, name: str) -> str:
        return (self.root / self.package / f"{name}.py").read_text()

    def original(self, name: str) -> str:
        return (self.before / self.package / f"{name}.py").read_text()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    package = f"tsb_{uuid.uuid4().hex[:10]}"
    base = tmp_path_factory.mktemp("timestamp")
    root = base / "proj"
    files = {
        "pyproject.toml": f'[tool.codemods.timestamp]\nhelper = "{package}.clock:get_timestamp"\n',
        f"{package}/__init__.py": "",
        f"{package}/clock.py": HELPER,
        f"{package}/param_time.py": PARAM_TIME,
        f"{package}/own_get_timestamp.py": OWN_GET_TIMESTAMP,
        f"{package}/utcnow.py": UTCNOW,
        **{f"{package}/{name}.py": source for name, (source, _) in REWRITTEN.items()},
        **{f"{package}/left_{name}.py": source for name, source in LEFT_ALONE.items()},
        "tests/test_clock_patch.py": (
            "from unittest import mock\n"
            "\n"
            f"from {package} import import_time\n"
            "\n"
            "\n"
            "def test_frozen():\n"
            f"    with mock.patch('{package}.import_time.time.time', return_value=1.0):\n"
            "        assert import_time.now_ms() == 1000\n"
        ),
    }
    write_tree(root, files)
    before = base / "before"
    shutil.copytree(root, before)
    diff = run_cli("diff", "--json", cwd=root)
    applied = run_cli("apply", cwd=root)
    try:
        report = json.loads(diff.out)
    except ValueError:
        report = {}
    return Project(root, before, package, report, diff, applied)


def test_run_succeeds(project: Project) -> None:
    assert project.diff.code == 0, project.diff
    assert project.apply.code == 0, project.apply
    assert project.report.get("exit_code") == 0


@pytest.mark.parametrize("name", list(REWRITTEN))
def test_rewritten_returns_current_utc_ms(project: Project, importer: Importer, name: str) -> None:
    source, gone = REWRITTEN[name]
    after = project.source(name)
    assert after != source, "not rewritten"
    assert "get_timestamp()" in after
    assert gone not in after, after
    ast.parse(after)
    assert f"from {project.package}.clock import get_timestamp" in after, after

    original = importer.file_module(project.before / project.package / f"{name}.py")
    assert_now_ms(original.now_ms)
    rewritten = importer.package_module(project.root, f"{project.package}.{name}")
    assert_now_ms(rewritten.now_ms)


@pytest.mark.parametrize("name", list(LEFT_ALONE))
def test_left_alone_is_byte_identical(project: Project, name: str) -> None:
    path = f"{project.package}/left_{name}.py"
    assert (project.root / path).read_bytes() == (project.before / path).read_bytes()
    assert (project.root / path).read_text() == LEFT_ALONE[name]


def test_parameter_named_time_is_left_alone(project: Project, importer: Importer) -> None:
    after = project.source("param_time")
    assert after.endswith("def stamp(time):\n    return int(time.time() * 1000)\n"), after
    assert "def now_ms():\n    return get_timestamp()\n" in after, after
    original = importer.file_module(project.before / project.package / "param_time.py")
    rewritten = importer.package_module(project.root, f"{project.package}.param_time")
    for module in (original, rewritten):
        assert module.stamp(FakeClock(42.0)) == 42_000  # still calls its parameter
        assert module.stamp(FakeClock(1.5)) == 1_500
    assert_now_ms(rewritten.now_ms)


def test_own_get_timestamp_gets_an_alias(project: Project, importer: Importer) -> None:
    after = project.source("own_get_timestamp")
    tree = ast.parse(after)
    imports = [
        node for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == f"{project.package}.clock"
    ]
    assert len(imports) == 1, after
    alias = imports[0].names[0]
    assert alias.name == "get_timestamp" and alias.asname not in (None, "get_timestamp"), after
    assert f"return {alias.asname}()" in after
    assert "def get_timestamp():\n    return time.strftime('%H:%M', time.gmtime(0))\n" in after
    module = importer.package_module(project.root, f"{project.package}.own_get_timestamp")
    assert module.get_timestamp() == "00:00"
    assert_now_ms(module.now_ms)


def test_helper_body_not_rewritten(project: Project, importer: Importer) -> None:
    after = project.source("clock")
    assert after.count(HELPER_BODY) == 1, after
    assert "def ms_since(start: int) -> int:\n    return get_timestamp() - start\n" in after, after
    assert "import get_timestamp" not in after, "the helper module imports itself"
    clock = importer.package_module(project.root, f"{project.package}.clock")
    assert_now_ms(clock.get_timestamp)  # no recursion
    low, value, high = now_bounds(lambda: clock.ms_since(0))
    assert type(value) is int and low <= value <= high


def test_utcnow_is_warned_not_rewritten(project: Project) -> None:
    assert project.source("utcnow") == UTCNOW
    location = f"{project.package}/utcnow.py:{UTCNOW_LINE}"
    warned = [line for line in project.apply.err_lines if location in line]
    assert warned and "utcnow" in warned[0], project.apply
    findings = list(project.report.get("findings", []))
    for entry in project.report.get("files", []):
        findings.extend(entry.get("findings", []))
    matching = [
        f for f in findings
        if f.get("path") == f"{project.package}/utcnow.py" and f.get("line") == UTCNOW_LINE
    ]
    assert matching, json.dumps(project.report, indent=1)[:4000]
    assert matching[0]["kind"] == "warning"
    assert "utcnow" in matching[0]["message"]


def test_mock_patch_of_rewritten_module_is_warned(project: Project) -> None:
    warned = [line for line in project.apply.err_lines if "tests/test_clock_patch.py:7" in line]
    assert warned, project.apply
    assert "patch" in warned[0]


# -- finding the helper when none is configured ------------------------------------------------

def test_helper_is_detected_without_config(tmp_path: Path, importer: Importer) -> None:
    package = f"tsd_{uuid.uuid4().hex[:10]}"
    root = write_tree(
        tmp_path / "proj",
        {
            f"{package}/__init__.py": "",
            f"{package}/util.py": "import time\n\n\ndef get_timestamp():\n    return int(time.time() * 1000)\n",
            f"{package}/orders.py": REWRITTEN["import_time"][0],
        },
    )
    result = run_cli("apply", cwd=root)
    assert result.code == 0, result
    after = (root / package / "orders.py").read_text()
    assert after == f"from {package}.util import get_timestamp\n\n\ndef now_ms():\n    return get_timestamp()\n"
    assert (root / package / "util.py").read_text().endswith("return int(time.time() * 1000)\n")
    module = importer.package_module(root, f"{package}.orders")
    assert_now_ms(module.now_ms)


@pytest.mark.parametrize(
    "helper",
    [
        "from datetime import datetime, timezone\n\n\ndef get_timestamp():\n"
        "    return datetime.now(timezone.utc).isoformat()\n",
        "import time\n\n\ndef get_timestamp():\n    return int(time.time())\n",
    ],
    ids=["iso-string", "seconds"],
)
def test_wrong_helper_is_not_used(tmp_path: Path, helper: str) -> None:
    root = write_tree(
        tmp_path / "proj",
        {
            "app/__init__.py": "",
            "app/util.py": helper,
            "app/orders.py": REWRITTEN["import_time"][0],
        },
    )
    before = snapshot(root)
    result = run_cli("apply", cwd=root)
    assert result.code == 0, result
    assert snapshot(root) == before, "rewritten to a helper that does not return UTC ms"
    notes = [line for line in result.err_lines if "helper" in line and "[tool.codemods.timestamp]" in line]
    assert notes, result
