"""The command-line contract, exercised through the installed console script."""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from conftest import (
    assert_one_line_error,
    APP_PYPROJECT,
    CODEMODS,
    CLOCK_SOURCE,
    ORDERS_AFTER,
    ORDERS_SOURCE,
    SLEEPY_SOURCE,
    assert_plain_patch,
    make_app,
    patch_files,
    run,
    run_cli,
    run_parallel,
    snapshot,
    snapshot_stat,
    write_tree,
)


# -- list, --version, python -m ---------------------------------------------------

def test_list_shows_timestamp(tmp_path: Path) -> None:
    result = run_cli("list", cwd=tmp_path)
    assert result.code == 0, result
    names = [line.split()[0] for line in result.text.splitlines() if line.strip()]
    assert "timestamp" in names, result


def test_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert result.code == 0, result
    assert version("codemods") in result.text, result
    assert "codemods" in result.text


def test_python_dash_m_list(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "codemods", "list"], cwd=tmp_path)
    assert result.code == 0, result
    assert re.search(r"^timestamp\b", result.text, re.MULTILINE), result


# -- diff / apply / --check ----------------------------------------------------------

def test_diff_prints_patch_and_writes_nothing(app: Path) -> None:
    before = snapshot_stat(app)
    result = run_cli("diff", cwd=app)
    assert result.code == 0, result
    assert_plain_patch(result.out)
    assert patch_files(result.out) == ["app/orders.py"], result
    assert b"-    return 'bot-' + str(int(time.time() * 1000))\n" in result.out
    assert b"+    return 'bot-' + str(get_timestamp())\n" in result.out
    assert b"+from app.clock import get_timestamp\n" in result.out
    assert result.err.strip(), "no summary on stderr"
    assert "diff --git" not in result.err
    assert snapshot_stat(app) == before, "diff wrote to the project"


def test_apply_writes_then_check_is_clean(app: Path) -> None:
    result = run_cli("apply", cwd=app)
    assert result.code == 0, result
    assert result.out == b"", "apply printed a patch on stdout"
    assert (app / "app/orders.py").read_text() == ORDERS_AFTER
    assert (app / "app/sleepy.py").read_text() == SLEEPY_SOURCE
    assert (app / "app/clock.py").read_text() == CLOCK_SOURCE
    check = run_cli("diff", "--check", cwd=app)
    assert check.code == 0, check
    assert check.out == b"", check


def test_diff_check_exits_1_when_there_are_changes(app: Path) -> None:
    before = snapshot(app)
    result = run_cli("diff", "--check", cwd=app)
    assert result.code == 1, result
    assert "Traceback" not in result.err
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "args, expected_code",
    [(["diff", "--json"], 0), (["diff", "--check", "--json"], 1)],
    ids=["diff", "diff-check"],
)
def test_json_document(app: Path, args: list[str], expected_code: int) -> None:
    result = run_cli(*args, cwd=app)
    assert result.code == expected_code, result
    document = json.loads(result.out)  # the whole of stdout is one JSON document
    for key in ("tool", "summary", "files", "findings", "exit_code"):
        assert key in document, f"missing key {key!r}"
    assert document["tool"] == "codemods"
    assert document["exit_code"] == expected_code
    assert isinstance(document["findings"], list)
    changed = [f for f in document["files"] if f.get("status") in ("changed", "created")]
    assert [f["path"] for f in changed] == ["app/orders.py"], document["files"]
    for entry in changed:
        assert entry["diff"].startswith("diff --git a/"), entry
        assert "+    return 'bot-' + str(get_timestamp())" in entry["diff"]
    assert (app / "app/orders.py").read_text() == ORDERS_SOURCE


def test_only_takes_a_comma_separated_list(app: Path) -> None:
    listed = run_cli("diff", "--json", "--only", "timestamp,retry", cwd=app)
    repeated = run_cli("diff", "--json", "--only", "timestamp", "--only", "retry", cwd=app)
    assert listed.code == repeated.code == 0, (listed, repeated)
    assert json.loads(listed.out)["files"] == json.loads(repeated.out)["files"]
    assert json.loads(listed.out)["summary"]["changes"] == {"timestamp": 1}


# -- usage and configuration errors: exit 2, one line -----------------------------------

@pytest.mark.parametrize(
    "args, needles",
    [
        (["diff", "--only", "nope"], ["nope"]),
        (["diff", "--only", "timestamp,nope"], ["nope"]),
        (["apply", "does/not/exist.py"], ["does/not/exist.py"]),
        (["diff", "--config", "missing.toml"], ["missing.toml"]),
    ],
    ids=["only-unknown", "only-list-unknown", "missing-path", "missing-config"],
)
def test_usage_errors_exit_2_with_one_line(app: Path, args: list[str], needles: list[str]) -> None:
    before = snapshot(app)
    result = run_cli(*args, cwd=app)
    assert_one_line_error(result, *needles)
    assert result.out == b""
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "pyproject, key",
    [
        ('[tool.codemods]\nbogus-key = ["x"]\n', "bogus-key"),
        ('[tool.codemods.timestamp]\nhelper = "app.clock:get_timestamp"\nhelpr = "x"\n', "helpr"),
    ],
    ids=["top-level", "timestamp-table"],
)
def test_unknown_config_key_exit_2_names_key_and_file(tmp_path: Path, pyproject: str, key: str) -> None:
    project = make_app(tmp_path / "proj", pyproject=pyproject)
    before = snapshot(project)
    result = run_cli("apply", cwd=project)
    line = assert_one_line_error(result, key, "pyproject.toml")
    assert f"{key}" in line
    assert snapshot(project) == before


def test_invalid_toml_exit_2(tmp_path: Path) -> None:
    project = make_app(tmp_path / "proj", pyproject='[tool.codemods.timestamp]\nhelper = "app.clock\n')
    before = snapshot(project)
    result = run_cli("apply", cwd=project)
    assert_one_line_error(result, "pyproject.toml")
    assert snapshot(project) == before


def test_config_option_reads_the_given_file(tmp_path: Path) -> None:
    # Nothing but settings/codemods.toml names `now_ms` (and it is not found
    # automatically: the name is not get_timestamp), so a rewrite to it proves
    # the file passed with --config was read.
    project = write_tree(
        tmp_path / "proj",
        {
            "app/__init__.py": "",
            "app/timeutil.py": "import time\n\n\ndef now_ms():\n    return int(time.time() * 1000)\n",
            "app/orders.py": ORDERS_SOURCE,
            "settings/codemods.toml": '[tool.codemods.timestamp]\nhelper = "app.timeutil:now_ms"\n',
        },
    )
    result = run_cli("diff", "--config", "settings/codemods.toml", cwd=project)
    assert result.code == 0, result
    assert b"+from app.timeutil import now_ms\n" in result.out, result
    assert b"+    return 'bot-' + str(now_ms())\n" in result.out, result


# -- files that cannot be processed: exit 3 ------------------------------------------------

BROKEN = "import time\n\nx = = 1\nts = int(time.time() * 1000)\n"


def test_syntax_error_exit_3_and_good_files_still_done(tmp_path: Path) -> None:
    project = make_app(tmp_path / "proj", {"app/broken.py": BROKEN})
    result = run_cli("apply", cwd=project)
    assert result.code == 3, result
    assert "Traceback" not in result.err
    # `path:line: reason`, with the line Python itself reports for `x = = 1`.
    assert re.search(r"^app/broken\.py:3: \S", result.err, re.MULTILINE), result
    assert (project / "app/broken.py").read_text() == BROKEN
    assert (project / "app/orders.py").read_text() == ORDERS_AFTER


# -- selection: --exclude, --skip, --only ------------------------------------------------------

LEGACY = "import time\n\nSTARTED = int(time.time() * 1000)\n"


@pytest.mark.parametrize(
    "how",
    ["--exclude=app/legacy/*.py", "config"],
)
def test_exclude_leaves_matching_file_out(tmp_path: Path, how: str) -> None:
    pyproject = '[tool.codemods]\nexclude = ["legacy/"]\n\n[tool.codemods.timestamp]\nhelper = "app.clock:get_timestamp"\n'
    project = make_app(
        tmp_path / "proj",
        {"app/legacy/__init__.py": "", "app/legacy/old.py": LEGACY},
        pyproject=pyproject if how == "config" else APP_PYPROJECT,
    )
    args = ["apply"] + ([how] if how != "config" else [])
    result = run_cli(*args, cwd=project)
    assert result.code == 0, result
    # LEGACY has the form test_files.py shows being rewritten (REWRITTEN there).
    assert (project / "app/legacy/old.py").read_text() == LEGACY
    assert (project / "app/orders.py").read_text() == ORDERS_AFTER


def test_skip_timestamp_changes_nothing(app: Path) -> None:
    before = snapshot(app)
    result = run_cli("apply", "--skip", "timestamp", cwd=app)
    assert result.code == 0, result
    assert result.out == b""
    assert snapshot(app) == before


# -- parallelism ------------------------------------------------------------------------------

def test_jobs_2_gives_same_patch_as_jobs_1(tmp_path: Path) -> None:
    files = {
        f"app/m{i:02d}.py": (
            f"import time\n\nLABEL = {i}\n\n\ndef stamp_{i}():\n"
            f"    return int(time.time() * 1000) + {i}\n"
        )
        for i in range(40)
    }
    project = make_app(tmp_path / "proj", files)
    serial, parallel = run_parallel(
        ((CODEMODS, "diff", "-j", "1"), project), ((CODEMODS, "diff", "-j", "2"), project)
    )
    assert serial.code == 0, serial
    assert parallel.code == 0, parallel
    expected = sorted([*files, "app/orders.py"])
    assert patch_files(serial.out) == expected, serial
    assert parallel.out == serial.out


# -- colour -------------------------------------------------------------------------------------

@pytest.mark.parametrize("color", ["always", "never"])
def test_color(app: Path, color: str) -> None:
    result = run_cli("diff", f"--color={color}", cwd=app)
    assert result.code == 0, result
    assert b"get_timestamp()" in result.out
    if color == "always":
        assert b"\x1b[" in result.out, result
    else:
        assert_plain_patch(result.out)
