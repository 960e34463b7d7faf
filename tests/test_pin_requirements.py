"""pin-requirements end to end: the real console script on real checkouts.

Every test builds a git repository under tmp_path, runs `v/bin/codemods` in a
subprocess and compares files byte for byte. Version sources are real: the lock
files under tests/fixtures/pin_requirements/locks were made by uv, poetry,
pipenv and pip (see the README there), and the environment is a virtual
environment made once for the module with `python -m venv`.

Expected outputs are literal bytes written by hand, never computed with the
tool's own code.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (
    assert_one_line_error,
    CODEMODS,
    Result,
    clean_env,
    clone,
    commit_all,
    git,
    init_repo,
    run_cli,
    run_parallel,
    snapshot,
    snapshot_stat,
    write_tree,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCKS = Path(__file__).resolve().parent / "fixtures" / "pin_requirements" / "locks"
UV_LOCK = LOCKS / "uv" / "uv.lock"
POETRY_LOCK = LOCKS / "poetry" / "poetry.lock"
PIPFILE_LOCK = LOCKS / "pipenv" / "Pipfile.lock"
FREEZE = LOCKS / "freeze" / "freeze.txt"

ONLY = ("--only", "pin-requirements")
APPLY = ("apply", *ONLY)
DIFF = ("diff", *ONLY)
NO_SOURCE = "no version source (use --pin or --python)"
HASH_MODE = (
    "the file is in hash-checking mode (--hash), where a pin needs its hashes too; "
    "regenerate it (pip-compile --generate-hashes)"
)
SIX_HASH = "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"


# -- helpers -------------------------------------------------------------------------------

def repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """A git repository (no commit) holding ``files``."""
    return write_tree(init_repo(path), files)


def pin_findings(result: Result) -> set[str]:
    """Every `path:line: pin-requirements: ...` line of the summary, stripped."""
    return {line.strip() for line in result.err_lines if ": pin-requirements: " in line}


def pinned(path: str, line: int, name: str, version: str, source: str) -> str:
    return f"{path}:{line}: pin-requirements: {name} pinned to {version} (from {source})"


def refused(path: str, line: int, name: str, reason: str) -> str:
    return f"{path}:{line}: pin-requirements: {name} not pinned: {reason}"


def assert_ok(result: Result) -> None:
    assert result.code == 0, result
    assert "Traceback" not in result.err, result


def uv_block(text: str, name: str) -> tuple[int, int]:
    """Start and end offsets of one `[[package]]` table of a uv.lock."""
    start = text.index(f'[[package]]\nname = "{name}"\n')
    end = text.find("[[package]]", start + 1)
    return start, len(text) if end == -1 else end


# -- a real virtual environment -------------------------------------------------------------

@dataclass(frozen=True)
class Venv:
    root: Path
    python: Path  # <venv>/bin/python: python -m venv's symlink to the base interpreter
    copied: Path  # <venv>/bin/python-copied: a copy of the base binary, as `venv --copies` makes
    pip: str  # the version of pip installed in it
    version: str  # its Python version, as the tool's labels show it


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """`python -m venv` (with pip) plus a hand-written websockets 14.1 distribution."""
    root = (tmp_path_factory.mktemp("pin-venv") / "env").resolve()
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(root)], env=clean_env(), capture_output=True, timeout=180
    )
    assert made.returncode == 0, made.stderr.decode(errors="replace")
    python = root / "bin" / "python"

    def ask(interpreter: Path, code: str) -> str:
        done = subprocess.run([str(interpreter), "-c", code], env=clean_env(), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    pip = ask(python, "import importlib.metadata as m; print(m.version('pip'))")
    site = Path(ask(python, "import sysconfig; print(sysconfig.get_paths()['purelib'])"))
    info = site / "websockets-14.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_bytes(b"Metadata-Version: 2.1\nName: websockets\nVersion: 14.1\n")
    copied = root / "bin" / "python-copied"
    shutil.copy2(os.path.realpath(python), copied)
    # Both interpreters are this environment when run by their own path.
    probe = "import sys, importlib.metadata as m; print(sys.prefix, m.version('websockets'))"
    assert ask(python, probe) == f"{root} 14.1"
    assert ask(copied, probe) == f"{root} 14.1"
    assert python.is_symlink()  # the layout python -m venv gives on Linux and macOS
    return Venv(root, python, copied, pip, platform.python_version())


ENV_REQUIREMENTS = 'pip\nwebsockets\nnot-installed-pkg\nwebsockets; python_version < "3.0"\n'


def env_after(venv: Venv) -> bytes:
    return f'pip=={venv.pip}\nwebsockets==14.1\nnot-installed-pkg\nwebsockets; python_version < "3.0"\n'.encode()


def env_findings(venv: Venv, label: str) -> set[str]:
    where = f"{label} (Python {venv.version})"
    return {
        pinned("requirements.txt", 1, "pip", venv.pip, where),
        pinned("requirements.txt", 2, "websockets", "14.1", where),
        refused("requirements.txt", 3, "not-installed-pkg", f"not installed in {where}, and no other source has it"),
        refused(
            "requirements.txt", 4, "websockets",
            f'its marker (python_version < "3.0") is false in {where}, so what is installed there is no answer',
        ),
    }


# == 1. version sources ========================================================================

# -- explicit pins -----------------------------------------------------------------------------

def test_pin_on_the_command_line(tmp_path: Path) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\nsix==1.16.0\n"})
    result = run_cli(*APPLY, "--pin", "websockets==14.1", cwd=root)
    assert_ok(result)
    assert result.out == b""
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nsix==1.16.0\n"
    assert pin_findings(result) == {pinned("requirements.txt", 1, "websockets", "14.1", "explicit pin")}


def test_pins_in_config_and_the_command_line_wins(tmp_path: Path) -> None:
    pyproject = '[tool.codemods.pin-requirements]\npins = { websockets = "14.1", six = "1.15.0" }\n'
    root = repo(tmp_path / "app", {"pyproject.toml": pyproject, "requirements.txt": "websockets\nsix\n"})
    result = run_cli(*APPLY, "--pin", "six==1.16.0", cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nsix==1.16.0\n"
    assert pin_findings(result) == {
        pinned("requirements.txt", 1, "websockets", "14.1", "explicit pin"),
        pinned("requirements.txt", 2, "six", "1.16.0", "explicit pin"),
    }
    assert (root / "pyproject.toml").read_text() == pyproject


@pytest.mark.parametrize(
    "pin", ["websockets", "websockets>=14", "==14.1", "websockets==", "websockets==fourteen"],
)
def test_malformed_pin_is_one_line_exit_2(tmp_path: Path, pin: str) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\n"})
    result = run_cli(*APPLY, "--pin", pin, cwd=root)
    line = assert_one_line_error(result, "--pin")
    assert line.startswith("codemods: error: "), result
    assert result.out == b""
    assert (root / "requirements.txt").read_bytes() == b"websockets\n"


def test_malformed_pin_message(tmp_path: Path) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\n"})
    result = run_cli(*APPLY, "--pin", "websockets", cwd=root)
    assert result.err_lines == [
        "codemods: error: --pin websockets: expected NAME==VERSION, for example --pin websockets==14.1"
    ], result


def test_bad_version_in_config_names_pyproject_and_line(tmp_path: Path) -> None:
    pyproject = '[tool.codemods.pin-requirements]\n# pinned by hand\npins = { websockets = "fourteen" }\n'
    root = repo(tmp_path / "app", {"pyproject.toml": pyproject, "requirements.txt": "websockets\n"})
    result = run_cli(*APPLY, cwd=root)
    line = assert_one_line_error(result)
    config = (root / "pyproject.toml").resolve()
    assert line == (
        f"codemods: error: {config}:3: [tool.codemods.pin-requirements] pins: "
        "websockets = 'fourteen' is not a version (write it as \"1.2.3\")"
    ), result
    assert (root / "requirements.txt").read_bytes() == b"websockets\n"


# -- lock files ----------------------------------------------------------------------------------

LOCK_REQUIREMENTS = "websockets\nFlask_Cors\nsix\npytest\n"


@pytest.mark.parametrize(
    "lock, pytest_line",
    [(UV_LOCK, None), (POETRY_LOCK, None), (PIPFILE_LOCK, "8.3.3")],
    ids=["uv", "poetry", "pipenv"],
)
def test_lock_at_the_git_root(tmp_path: Path, lock: Path, pytest_line: str | None) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": LOCK_REQUIREMENTS})
    shutil.copy(lock, root / lock.name)
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    tail = b"pytest\n" if pytest_line is None else b"pytest==8.3.3\n"
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nFlask_Cors==4.0.1\nsix==1.16.0\n" + tail
    expected = {
        pinned("requirements.txt", 1, "websockets", "14.1", lock.name),
        pinned("requirements.txt", 2, "Flask_Cors", "4.0.1", lock.name),
        pinned("requirements.txt", 3, "six", "1.16.0", lock.name),
    }
    # Pipfile.lock has pytest in its develop section; the others do not have it at all.
    if pytest_line is None:
        expected.add(refused("requirements.txt", 4, "pytest", NO_SOURCE))
    else:
        expected.add(pinned("requirements.txt", 4, "pytest", "8.3.3", lock.name))
    assert pin_findings(result) == expected
    assert (root / lock.name).read_bytes() == lock.read_bytes()


def test_lock_is_read_at_the_project_root_of_the_config(tmp_path: Path) -> None:
    # uv.lock at the git root, poetry.lock next to the pyproject.toml that has [tool.codemods].
    root = repo(
        tmp_path / "mono",
        {
            "svc/pyproject.toml": '[tool.codemods.pin-requirements]\nmode = "bare"\n',
            "svc/requirements.txt": "websockets\n",
        },
    )
    shutil.copy(UV_LOCK, root / "uv.lock")
    shutil.copy(POETRY_LOCK, root / "svc" / "poetry.lock")
    inside, top = run_parallel(((CODEMODS, *DIFF), root / "svc"), ((CODEMODS, *DIFF), root))
    assert_ok(inside)
    assert_ok(top)
    # From svc/ the configuration is svc/pyproject.toml: its folder is the project root.
    assert pin_findings(inside) == {pinned("svc/requirements.txt", 1, "websockets", "14.1", "poetry.lock")}
    # From the top no pyproject.toml with [tool.codemods] is found: the git root is the project root.
    assert pin_findings(top) == {pinned("svc/requirements.txt", 1, "websockets", "14.1", "uv.lock")}
    patch = b"+websockets==14.1\n"
    assert patch in inside.out and patch in top.out
    assert (root / "svc/requirements.txt").read_bytes() == b"websockets\n"


def test_pip_freeze_output_named_in_config(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "app",
        {
            "pyproject.toml": '[tool.codemods.pin-requirements]\nlock = "freeze.txt"\n',
            "requirements.txt": "websockets\nFlask_Cors\nsix\n",
        },
    )
    shutil.copy(FREEZE, root / "freeze.txt")
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nFlask_Cors==4.0.1\nsix==1.16.0\n"
    assert pin_findings(result) == {
        pinned("requirements.txt", 1, "websockets", "14.1", "freeze.txt"),
        pinned("requirements.txt", 2, "Flask_Cors", "4.0.1", "freeze.txt"),
        pinned("requirements.txt", 3, "six", "1.16.0", "freeze.txt"),
    }
    assert (root / "freeze.txt").read_bytes() == FREEZE.read_bytes()


def test_unreadable_lock_files_are_warnings_and_the_run_goes_on(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "app",
        {
            "requirements.txt": "websockets\nsix\n",
            "uv.lock": '[[package]]\nname = "six"\nversion = \n',
            "Pipfile.lock": '{"default": ',
        },
    )
    result = run_cli(*APPLY, "--pin", "websockets==14.1", cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nsix\n"
    warnings = {line.strip() for line in result.err_lines}
    assert "pin-requirements: uv.lock:3: invalid TOML: Invalid value" in warnings, result
    assert "pin-requirements: Pipfile.lock:1: invalid JSON: Expecting value" in warnings, result
    assert pin_findings(result) == {
        pinned("requirements.txt", 1, "websockets", "14.1", "explicit pin"),
        refused("requirements.txt", 2, "six", NO_SOURCE),
    }


def test_uv_lock_entries_that_cannot_pin_are_refused(tmp_path: Path) -> None:
    text = UV_LOCK.read_text(encoding="utf-8")
    # six locked from git (uv writes such a package with a `git` source and no files) ...
    start, end = uv_block(text, "six")
    text = text[:start] + (
        '[[package]]\nname = "six"\nversion = "1.16.0"\n'
        'source = { git = "https://github.com/benjaminp/six?tag=1.16.0#65486e4383f9f411da95937451205d3c7b61b9e1" }\n\n'
    ) + text[end:]
    # ... and a second websockets for other environments.
    text += (
        '\n[[package]]\nname = "websockets"\nversion = "13.1"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
    )
    data = tomllib.loads(text)  # still a lock uv could have written
    versions = sorted((p["name"], p["version"]) for p in data["package"] if p["name"] in ("six", "websockets"))
    assert versions == [("six", "1.16.0"), ("websockets", "13.1"), ("websockets", "14.1")]
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\nsix\nidna\n", "uv.lock": text})
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"websockets\nsix\nidna==3.7\n"
    assert pin_findings(result) == {
        refused(
            "requirements.txt", 1, "websockets",
            "uv.lock locks several versions (13.1, 14.1) for different environments",
        ),
        refused("requirements.txt", 2, "six", "uv.lock locks it from a git source, not a package index"),
        pinned("requirements.txt", 3, "idna", "3.7", "uv.lock"),
    }


# -- an environment -------------------------------------------------------------------------------

def test_python_option_reads_that_environment(tmp_path: Path, venv: Venv) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": ENV_REQUIREMENTS})
    result = run_cli(*APPLY, "--python", venv.python, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == env_after(venv), result
    assert "requirements.txt:2: pin-requirements: websockets pinned to 14.1 (from " in result.err


def test_python_option_with_an_interpreter_that_is_not_a_symlink(tmp_path: Path, venv: Venv) -> None:
    # The same environment through a copied binary (what `python -m venv --copies` makes).
    root = repo(tmp_path / "app", {"requirements.txt": ENV_REQUIREMENTS})
    result = run_cli(*APPLY, "--python", venv.copied, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == env_after(venv)
    assert pin_findings(result) == env_findings(venv, str(venv.copied))


@pytest.mark.parametrize("folder", [".venv", "venv"])
def test_checkout_environment_is_used_without_python_option(tmp_path: Path, venv: Venv, folder: str) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": ENV_REQUIREMENTS, ".gitignore": f"{folder}\n"})
    (root / folder).symlink_to(venv.root, target_is_directory=True)
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == env_after(venv)
    assert pin_findings(result) == env_findings(venv, folder)


def test_cleanup_branch_pins_from_the_checkouts_environment(tmp_path: Path, venv: Venv) -> None:
    # The branch is built in a worktree, which has no untracked .venv: the checkout's is used.
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\n", ".gitignore": ".venv\n"})
    commit_all(root)
    (root / ".venv").symlink_to(venv.root, target_is_directory=True)
    result = run_cli(*APPLY, "--branch", "pins", "--pr-body", tmp_path / "pr.md", cwd=root)
    assert_ok(result)
    assert git(root, "show", "pins:requirements.txt") == "websockets==14.1\n"
    assert (root / "requirements.txt").read_bytes() == b"websockets\n"  # the checkout itself is untouched
    assert "- `requirements.txt`: 1 change\n" in (tmp_path / "pr.md").read_text()


def test_without_any_source_nothing_is_pinned(tmp_path: Path) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\nsix==1.16.0\n"})
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"websockets\nsix==1.16.0\n"
    assert pin_findings(result) == {refused("requirements.txt", 1, "websockets", NO_SOURCE)}
    assert "requirements.txt:1: pin-requirements: websockets not pinned: no version source (use --pin or --python)" in result.err


# -- source order ------------------------------------------------------------------------------------

def test_explicit_pin_beats_lock_beats_environment(tmp_path: Path, venv: Venv) -> None:
    files = {"requirements.txt": "six\nwebsockets\npip\n", ".gitignore": ".venv\n"}
    root = repo(tmp_path / "app", files)
    shutil.copy(UV_LOCK, root / "uv.lock")  # six 1.16.0, websockets 14.1
    (root / ".venv").symlink_to(venv.root, target_is_directory=True)  # websockets 14.1, pip
    lock_over_env, pin_over_env = run_parallel(
        ((CODEMODS, *DIFF, "--pin", "six==1.15.0"), root),
        ((CODEMODS, *DIFF, "--pin", "pip==22.0.4"), root),
    )
    assert_ok(lock_over_env)
    assert_ok(pin_over_env)
    where = f".venv (Python {venv.version})"
    assert pin_findings(lock_over_env) == {
        pinned("requirements.txt", 1, "six", "1.15.0", "explicit pin"),  # over uv.lock's 1.16.0
        pinned("requirements.txt", 2, "websockets", "14.1", "uv.lock"),  # over .venv's
        pinned("requirements.txt", 3, "pip", venv.pip, where),  # only .venv has it
    }
    assert pin_findings(pin_over_env) == {
        pinned("requirements.txt", 1, "six", "1.16.0", "uv.lock"),
        pinned("requirements.txt", 2, "websockets", "14.1", "uv.lock"),
        pinned("requirements.txt", 3, "pip", "22.0.4", "explicit pin"),  # over .venv's
    }
    assert b"+six==1.15.0\n+websockets==14.1\n+pip==" + venv.pip.encode() + b"\n" in lock_over_env.out
    assert b"+six==1.16.0\n+websockets==14.1\n+pip==22.0.4\n" in pin_over_env.out


def test_package_refused_by_the_lock_does_not_depend_on_other_lines(tmp_path: Path, venv: Venv) -> None:
    text = UV_LOCK.read_text(encoding="utf-8")
    start, end = uv_block(text, "websockets")
    text = text[:start] + (
        '[[package]]\nname = "websockets"\nversion = "14.1"\n'
        'source = { git = "https://github.com/python-websockets/websockets?tag=14.1'
        '#0123456789abcdef0123456789abcdef01234567" }\n\n'
    ) + text[end:]
    alone = repo(tmp_path / "alone", {"requirements.txt": "websockets\n", "uv.lock": text, ".gitignore": ".venv\n"})
    mixed = repo(tmp_path / "mixed", {"requirements.txt": "websockets\npip\n", "uv.lock": text, ".gitignore": ".venv\n"})
    for root in (alone, mixed):
        (root / ".venv").symlink_to(venv.root, target_is_directory=True)
    first, second = run_parallel(((CODEMODS, *APPLY), alone), ((CODEMODS, *APPLY), mixed))
    assert_ok(first)
    assert_ok(second)
    refusal = refused("requirements.txt", 1, "websockets", "uv.lock locks it from a git source, not a package index")
    assert (alone / "requirements.txt").read_bytes() == b"websockets\n"
    assert refusal in pin_findings(first)
    # The websockets line must come out the same whatever else the file asks for.
    assert (mixed / "requirements.txt").read_bytes() == f"websockets\npip=={venv.pip}\n".encode(), second
    assert refusal in pin_findings(second)


# == 2. one tricky file, byte for byte ============================================================

TRICKY_BEFORE = (
    b"\xef\xbb\xbf# Runtime requirements\r\n"
    b"--index-url https://pypi.org/simple\r\n"
    b"--extra-index-url https://example.com/simple   # mirror\r\n"
    b"-r base.txt\r\n"
    b"\r\n"
    b"# web\r\n"
    b"websockets    # realtime feed\r\n"
    b"uvicorn[standard]\t#  server\r\n"
    b"Flask_Cors  \r\n"
    b'tomli ; python_version < "3.11"   # backport\r\n'
    b'exceptiongroup;python_version<"3.11"\r\n'
    b"pandas \\\r\n"
    b'    ; python_version >= "3.9"\r\n'
    b"fla\\\r\n"
    b"sk   # a name split by a continuation\r\n"
    b"\r\n"
    b"  # indented comment\r\n"
    b"-e .\r\n"
    b"git+https://github.com/x/y.git@v1.0#egg=y\r\n"
    b"mypkg @ https://example.com/mypkg-1.0.whl\r\n"
    b"./local/pkg\r\n"
    b"requests>=2.28   # a range: kept in bare mode\r\n"
    b"six==1.16.0\r\n"
    b"idna  # last line, no final newline"
)
TRICKY_AFTER = (
    b"\xef\xbb\xbf# Runtime requirements\r\n"
    b"--index-url https://pypi.org/simple\r\n"
    b"--extra-index-url https://example.com/simple   # mirror\r\n"
    b"-r base.txt\r\n"
    b"\r\n"
    b"# web\r\n"
    b"websockets==14.1    # realtime feed\r\n"
    b"uvicorn[standard]==0.30.1\t#  server\r\n"
    b"Flask_Cors==4.0.1  \r\n"
    b'tomli==2.0.1 ; python_version < "3.11"   # backport\r\n'
    b'exceptiongroup==1.2.1;python_version<"3.11"\r\n'
    b"pandas==2.2.2 \\\r\n"
    b'    ; python_version >= "3.9"\r\n'
    b"fla\\\r\n"
    b"sk==3.1.3   # a name split by a continuation\r\n"
    b"\r\n"
    b"  # indented comment\r\n"
    b"-e .\r\n"
    b"git+https://github.com/x/y.git@v1.0#egg=y\r\n"
    b"mypkg @ https://example.com/mypkg-1.0.whl\r\n"
    b"./local/pkg\r\n"
    b"requests>=2.28   # a range: kept in bare mode\r\n"
    b"six==1.16.0\r\n"
    b"idna==3.7  # last line, no final newline"
)
BASE = b"six==1.16.0\n"
HASHED = f"six==1.16.0 \\\n    --hash={SIX_HASH}\nwebsockets\n".encode()
TRICKY_PINS = (
    "--pin", "websockets==14.1", "--pin", "uvicorn==0.30.1", "--pin", "flask-cors==4.0.1",
    "--pin", "tomli==2.0.1", "--pin", "exceptiongroup==1.2.1", "--pin", "pandas==2.2.2",
    "--pin", "flask==3.1.3", "--pin", "idna==3.7",
    # Pins that must not be used: lines that are pinned already, direct references, a range.
    "--pin", "six==1.17.0", "--pin", "y==1.0", "--pin", "mypkg==2.0", "--pin", "pkg==1.0",
    "--pin", "requests==2.31.0",
)


def tricky_repo(path: Path) -> Path:
    return repo(path, {"requirements.txt": TRICKY_BEFORE, "base.txt": BASE, "requirements-hashed.txt": HASHED})


def test_tricky_file_only_versions_change(tmp_path: Path) -> None:
    root = tricky_repo(tmp_path / "app")
    result = run_cli(*APPLY, *TRICKY_PINS, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == TRICKY_AFTER
    assert (root / "base.txt").read_bytes() == BASE
    assert (root / "requirements-hashed.txt").read_bytes() == HASHED
    assert pin_findings(result) == {
        pinned("requirements.txt", 7, "websockets", "14.1", "explicit pin"),
        pinned("requirements.txt", 8, "uvicorn", "0.30.1", "explicit pin"),
        pinned("requirements.txt", 9, "Flask_Cors", "4.0.1", "explicit pin"),
        pinned("requirements.txt", 10, "tomli", "2.0.1", "explicit pin"),
        pinned("requirements.txt", 11, "exceptiongroup", "1.2.1", "explicit pin"),
        pinned("requirements.txt", 12, "pandas", "2.2.2", "explicit pin"),
        pinned("requirements.txt", 14, "flask", "3.1.3", "explicit pin"),
        pinned("requirements.txt", 24, "idna", "3.7", "explicit pin"),
        refused("requirements-hashed.txt", 3, "websockets", HASH_MODE),
    }


# == 3. -r / -c includes ===========================================================================

def test_nested_includes_constraints_outside_and_missing(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"websockets\n")
    root = repo(
        tmp_path / "repo",
        {
            "requirements.txt": "-r requirements/base.txt\n-r ../outside.txt\n-r missing.txt\nwebsockets\n",
            # relative to requirements/, not to the checkout: the decoy extra/common.txt is not read
            "requirements/base.txt": "--requirement=extra/common.txt\n-c ../constraints.txt\nsix\n",
            "requirements/extra/common.txt": "idna  # reached only through -r\n",
            "extra/common.txt": "idna\n",
            "constraints.txt": "Flask-Cors\n",
        },
    )
    before = snapshot(root)
    result = run_cli(*APPLY, "--pin", "websockets==14.1", "--pin", "six==1.16.0", "--pin", "idna==3.7",
                     "--pin", "flask-cors==4.0.1", cwd=root)
    assert_ok(result)
    after = snapshot(root)
    assert after == {
        **before,
        "requirements.txt": b"-r requirements/base.txt\n-r ../outside.txt\n-r missing.txt\nwebsockets==14.1\n",
        "requirements/base.txt": b"--requirement=extra/common.txt\n-c ../constraints.txt\nsix==1.16.0\n",
        "requirements/extra/common.txt": b"idna==3.7  # reached only through -r\n",
        "constraints.txt": b"Flask-Cors==4.0.1\n",
    }
    assert after["extra/common.txt"] == b"idna\n"
    assert (tmp_path / "outside.txt").read_bytes() == b"websockets\n"
    assert pin_findings(result) == {
        pinned("requirements.txt", 4, "websockets", "14.1", "explicit pin"),
        pinned("requirements/base.txt", 3, "six", "1.16.0", "explicit pin"),
        pinned("requirements/extra/common.txt", 1, "idna", "3.7", "explicit pin"),
        pinned("constraints.txt", 1, "Flask-Cors", "4.0.1", "explicit pin"),
        "requirements.txt:2: pin-requirements: included file ../outside.txt is outside the checkout; not followed",
        "requirements.txt:3: pin-requirements: included file missing.txt not found (pip would fail on it)",
    }


def test_include_cycle_terminates(tmp_path: Path) -> None:
    root = repo(
        tmp_path / "app",
        {"requirements.txt": "-r b.txt\nsix\n", "b.txt": "-r requirements.txt\n-rb.txt\nidna\n"},
    )
    result = run_cli(*APPLY, "--pin", "six==1.16.0", "--pin", "idna==3.7", cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"-r b.txt\nsix==1.16.0\n"
    assert (root / "b.txt").read_bytes() == b"-r requirements.txt\n-rb.txt\nidna==3.7\n"


# == 4. refusals ===================================================================================

COMPILED = (
    "#\n"
    "# This file is autogenerated by pip-compile with Python 3.11\n"
    "# by the following command:\n"
    "#\n"
    "#    pip-compile requirements.in\n"
    "#\n"
    "websockets\n"
    "six==1.16.0\n"
    "    # via -r requirements.in\n"
)


def test_refusals_and_their_messages(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "websockets\nidna\nflask  # codemods: skip\nuvicorn \\\n    [standard]  # codemods: skip\n",
        "requirements-hashed.txt": f"six==1.16.0 --hash={SIX_HASH}\nwebsockets\n",
        "requirements-strict.txt": "--require-hashes\nwebsockets\n",
        "requirements-prod.txt": COMPILED,
    }
    root = repo(tmp_path / "app", files)
    result = run_cli(*APPLY, "--pin", "websockets==14.1", "--pin", "flask==3.1.3", "--pin", "uvicorn==0.30.1", cwd=root)
    assert_ok(result)
    assert snapshot(root) == {
        **{k: v.encode() for k, v in files.items()},
        "requirements.txt": b"websockets==14.1\nidna\nflask  # codemods: skip\nuvicorn \\\n    [standard]  # codemods: skip\n",
    }
    assert pin_findings(result) == {
        pinned("requirements.txt", 1, "websockets", "14.1", "explicit pin"),
        refused("requirements.txt", 2, "idna", NO_SOURCE),
        "requirements.txt:3: pin-requirements: flask left alone: `# codemods: skip`",
        "requirements.txt:4: pin-requirements: uvicorn left alone: `# codemods: skip`",
        refused("requirements-hashed.txt", 2, "websockets", HASH_MODE),
        refused("requirements-strict.txt", 2, "websockets", HASH_MODE),
        "requirements-prod.txt: pin-requirements: file left alone: compiled by pip-compile or uv: "
        "pin in its input file and compile again",
    }


# == 5. the pipeline ================================================================================

def test_check_json_apply_and_idempotence(tmp_path: Path) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "websockets\nsix==1.16.0\n"})
    pin = ("--pin", "websockets==14.1")
    check, as_json = run_parallel(
        ((CODEMODS, *DIFF, "--check", *pin), root), ((CODEMODS, *DIFF, "--json", *pin), root)
    )
    assert check.code == 1, check
    assert check.out == (
        b"diff --git a/requirements.txt b/requirements.txt\n--- a/requirements.txt\n+++ b/requirements.txt\n"
        b"@@ -1,2 +1,2 @@\n-websockets\n+websockets==14.1\n six==1.16.0\n"
    ), check
    assert as_json.code == 0, as_json
    document = json.loads(as_json.out)
    assert document["summary"]["changes"] == {"pin-requirements": 1}
    [entry] = document["files"]
    assert entry["path"] == "requirements.txt" and entry["status"] == "changed"
    assert entry["changes"] == {"pin-requirements": 1}
    assert entry["findings"] == [
        {
            "codemod": "pin-requirements", "path": "requirements.txt", "line": 1, "kind": "note",
            "message": "websockets pinned to 14.1 (from explicit pin)",
        }
    ]
    assert entry["diff"].encode() == check.out
    assert (root / "requirements.txt").read_bytes() == b"websockets\nsix==1.16.0\n"  # diff wrote nothing

    applied = run_cli(*APPLY, *pin, cwd=root)
    assert_ok(applied)
    assert (root / "requirements.txt").read_bytes() == b"websockets==14.1\nsix==1.16.0\n"
    clean = run_cli(*DIFF, "--check", *pin, cwd=root)
    assert clean.code == 0 and clean.out == b"", clean
    before = snapshot_stat(root)
    again = run_cli(*APPLY, *pin, cwd=root)
    assert_ok(again)
    assert snapshot_stat(root) == before  # not even rewritten
    assert pin_findings(again) == set()


def test_skip_and_files_that_are_not_requirements(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "websockets\n",
        "notes.txt": "websockets\nsix\n",
        "docs/requirements-notes.md": "websockets\n",
    }
    skipped_root = repo(tmp_path / "skipped", files)
    pinned_root = repo(tmp_path / "pinned", files)
    skipped, applied = run_parallel(
        ((CODEMODS, "apply", "--skip", "pin-requirements", "--pin", "websockets==14.1"), skipped_root),
        ((CODEMODS, *APPLY, "--pin", "websockets==14.1", "--pin", "six==1.16.0"), pinned_root),
    )
    assert_ok(skipped)
    assert_ok(applied)
    assert snapshot(skipped_root) == {k: v.encode() for k, v in files.items()}
    assert snapshot(pinned_root) == {**{k: v.encode() for k, v in files.items()}, "requirements.txt": b"websockets==14.1\n"}


def test_git_apply_of_diff_gives_the_bytes_of_apply(tmp_path: Path) -> None:
    source = tricky_repo(tmp_path / "source")
    write_tree(source, {"requirements/dev.txt": "pytest\n-r ../requirements.txt\n"})
    commit_all(source)
    applied_copy = clone(source, tmp_path / "applied")
    patched_copy = clone(source, tmp_path / "patched")
    assert (patched_copy / "requirements.txt").read_bytes() == TRICKY_BEFORE  # checked out byte for byte
    pins = (*TRICKY_PINS, "--pin", "pytest==8.3.3")
    diff = run_cli(*DIFF, *pins, cwd=patched_copy)
    assert_ok(diff)
    assert diff.out.startswith(b"diff --git a/requirements.txt b/requirements.txt\n"), diff
    patch = tmp_path / "pin.patch"
    patch.write_bytes(diff.out)
    git(patched_copy, "apply", "--whitespace=nowarn", str(patch))
    assert_ok(run_cli(*APPLY, *pins, cwd=applied_copy))
    assert snapshot(patched_copy) == snapshot(applied_copy)
    assert (patched_copy / "requirements.txt").read_bytes() == TRICKY_AFTER
    assert (patched_copy / "requirements/dev.txt").read_bytes() == b"pytest==8.3.3\n-r ../requirements.txt\n"


# == 6. ranges mode ================================================================================

def test_ranges_mode(tmp_path: Path) -> None:
    pyproject = (
        '[tool.codemods.pin-requirements]\nmode = "ranges"\n'
        'pins = { requests = "2.31.0", urllib3 = "2.2.2" }\n'
    )
    requirements = (
        "requests>=2.28  # http\n"
        "requests>=3\n"
        "websockets >= 14, < 15 ; python_version >= '3.8'\n"
        "six<1.16\n"
        "urllib3>=\\\n1.26\n"
        "idna==3.7\n"
        "flask-cors~=4.0.0\n"
    )
    root = repo(tmp_path / "app", {"pyproject.toml": pyproject, "requirements.txt": requirements})
    shutil.copy(UV_LOCK, root / "uv.lock")
    result = run_cli(*APPLY, cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == (
        b"requests==2.31.0  # http\n"
        b"requests>=3\n"
        b"websockets ==14.1 ; python_version >= '3.8'\n"
        b"six<1.16\n"
        b"urllib3>=\\\n1.26\n"
        b"idna==3.7\n"
        b"flask-cors==4.0.1\n"
    )
    assert pin_findings(result) == {
        pinned("requirements.txt", 1, "requests", "2.31.0", "explicit pin"),
        refused("requirements.txt", 2, "requests", "explicit pin has 2.31.0, which does not satisfy >=3"),
        pinned("requirements.txt", 3, "websockets", "14.1", "uv.lock"),
        refused("requirements.txt", 4, "six", "uv.lock has 1.16.0, which does not satisfy <1.16"),
        refused("requirements.txt", 5, "urllib3", "its version range spans a line continuation"),
        pinned("requirements.txt", 8, "flask-cors", "4.0.1", "uv.lock"),
    }


def test_ranges_are_kept_in_the_default_mode(tmp_path: Path) -> None:
    root = repo(tmp_path / "app", {"requirements.txt": "requests>=2.28\nwebsockets\n"})
    result = run_cli(*APPLY, "--pin", "requests==2.31.0", "--pin", "websockets==14.1", cwd=root)
    assert_ok(result)
    assert (root / "requirements.txt").read_bytes() == b"requests>=2.28\nwebsockets==14.1\n"
