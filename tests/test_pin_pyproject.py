"""pin-requirements on pyproject.toml arrays (`pyproject = true`): tomlkit keeps
comments, quoting and layout; only the pinned strings change."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import init_repo, run_cli, write_tree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BEFORE = """\
[project]
name = "demo"
version = "0.1"
dependencies = [
    "websockets",  # realtime feed
    'uvicorn[standard]',
    # a comment line
    "tomli; python_version < '3.11'",
    "requests>=2.28",
    "mypkg @ https://example.com/mypkg-1.0.whl",
    "six==1.16.0",
]

[project.optional-dependencies]
dev = ["pytest", "ruff>=0.5"]  # tools

[dependency-groups]
test = ["hypothesis", {include-group = "lint"}]
lint = [
  "ruff",  # codemods: skip
]

[tool.codemods.pin-requirements]
pyproject = true
pins = { websockets = "14.1", uvicorn = "0.30.1", tomli = "2.0.1", pytest = "8.3.3", hypothesis = "6.100.0", ruff = "0.5.0", mypkg = "1.0" }
"""

AFTER = """\
[project]
name = "demo"
version = "0.1"
dependencies = [
    "websockets==14.1",  # realtime feed
    'uvicorn[standard]==0.30.1',
    # a comment line
    "tomli==2.0.1; python_version < '3.11'",
    "requests>=2.28",
    "mypkg @ https://example.com/mypkg-1.0.whl",
    "six==1.16.0",
]

[project.optional-dependencies]
dev = ["pytest==8.3.3", "ruff>=0.5"]  # tools

[dependency-groups]
test = ["hypothesis==6.100.0", {include-group = "lint"}]
lint = [
  "ruff",  # codemods: skip
]

[tool.codemods.pin-requirements]
pyproject = true
pins = { websockets = "14.1", uvicorn = "0.30.1", tomli = "2.0.1", pytest = "8.3.3", hypothesis = "6.100.0", ruff = "0.5.0", mypkg = "1.0" }
"""


def _project(tmp_path: Path, pyproject: str | bytes) -> Path:
    return init_repo(write_tree(tmp_path / "demo", {"pyproject.toml": pyproject}))


def test_arrays_are_pinned_and_everything_else_kept(tmp_path: Path) -> None:
    root = _project(tmp_path, BEFORE)
    result = run_cli("apply", "--only", "pin-requirements", cwd=root)
    assert result.code == 0, result
    assert (root / "pyproject.toml").read_text() == AFTER
    assert "pyproject.toml:5: pin-requirements: websockets (project.dependencies) pinned to 14.1 (from explicit pin)" in result.err
    assert "pyproject.toml:20: pin-requirements: ruff (dependency-groups.lint) left alone: `# codemods: skip`" in result.err
    # A second run has nothing left to do.
    again = run_cli("diff", "--check", "--only", "pin-requirements", cwd=root)
    assert again.code == 0 and again.out == b"", again


def test_crlf_and_bom_survive(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + BEFORE.replace("\n", "\r\n").encode()
    root = _project(tmp_path, data)
    assert run_cli("apply", "--only", "pin-requirements", cwd=root).code == 0
    assert (root / "pyproject.toml").read_bytes() == b"\xef\xbb\xbf" + AFTER.replace("\n", "\r\n").encode()


def test_off_by_default(tmp_path: Path) -> None:
    root = _project(tmp_path, BEFORE.replace("pyproject = true\n", ""))
    result = run_cli("diff", "--only", "pin-requirements", cwd=root)
    assert result.code == 0 and result.out == b"", result


def test_invalid_toml_elsewhere_is_a_config_error_not_a_crash(tmp_path: Path) -> None:
    root = _project(tmp_path, BEFORE + "\n[broken\n")
    result = run_cli("diff", "--only", "pin-requirements", cwd=root)
    assert result.code == 2, result
    assert "pyproject.toml:" in result.err and "Traceback" not in result.err


def test_output_reads_as_the_same_data_but_the_pins(tmp_path: Path) -> None:
    root = _project(tmp_path, BEFORE)
    run_cli("apply", "--only", "pin-requirements", cwd=root)
    before, after = tomllib.loads(BEFORE), tomllib.loads((root / "pyproject.toml").read_text())
    assert after["project"]["dependencies"][0] == "websockets==14.1"
    after["project"]["dependencies"][0:3] = before["project"]["dependencies"][0:3]
    after["project"]["optional-dependencies"]["dev"][0] = "pytest"
    after["dependency-groups"]["test"][0] = "hypothesis"
    assert after == before
