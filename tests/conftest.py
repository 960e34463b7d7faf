"""Shared helpers for the end-to-end tests: run the real console script in a
subprocess, build real projects and git repositories under tmp_path, copy the
bundled trading bot.

Nothing here mocks the tool: every helper writes real files and runs real
processes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BOT_SOURCE = REPO_ROOT / "examples" / "trading_bot"
CODEMODS = Path(sys.executable).parent / "codemods"

# A helper module in the form the timestamp codemod recognises and calls.
CLOCK_SOURCE = (
    "import time\n"
    "\n"
    "\n"
    "def get_timestamp() -> int:\n"
    "    return int(time.time() * 1000)\n"
)
# A module with one rewritable site, and what `apply` must turn it into.
ORDERS_SOURCE = (
    "import time\n"
    "\n"
    "\n"
    "def order_id():\n"
    "    return 'bot-' + str(int(time.time() * 1000))\n"
)
ORDERS_AFTER = (
    "from app.clock import get_timestamp\n"
    "\n"
    "\n"
    "def order_id():\n"
    "    return 'bot-' + str(get_timestamp())\n"
)
# A module that imports time but has nothing to rewrite.
SLEEPY_SOURCE = "import time\n\n\ndef nap():\n    time.sleep(0)\n"
APP_PYPROJECT = '[tool.codemods.timestamp]\nhelper = "app.clock:get_timestamp"\n'

PATCH_LINE_PREFIXES = (
    b"diff --git ", b"--- ", b"+++ ", b"@@ ", b" ", b"+", b"-", b"\\ ",
    b"new file mode ", b"deleted file mode ", b"index ",
)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for every subprocess: no user git config, no colour overrides."""
    env = dict(os.environ)
    for name in (
        "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "PYTEST_ADDOPTS",
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PYTHONPATH",
    ):
        env.pop(name, None)
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "codemods tests",
            "GIT_AUTHOR_EMAIL": "tests@example.invalid",
            "GIT_COMMITTER_NAME": "codemods tests",
            "GIT_COMMITTER_EMAIL": "tests@example.invalid",
            "TERM": "xterm-256color",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


@dataclass(repr=False)
class Result:
    """A finished subprocess: exit code, raw stdout bytes, decoded stderr."""

    args: Sequence[str]
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def __repr__(self) -> str:  # shown in assertion messages
        return (
            f"$ {' '.join(map(str, self.args))}\nexit code {self.code}\n"
            f"--- stdout ---\n{self.text[:4000]}\n--- stderr ---\n{self.err[:4000]}"
        )


def run(args: Sequence[str | os.PathLike[str]], cwd: Path, timeout: float = 180) -> Result:
    argv = [str(a) for a in args]
    proc = subprocess.run(
        argv, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def run_parallel(*commands: tuple[Sequence[str | os.PathLike[str]], Path], timeout: float = 180) -> list[Result]:
    """Run independent, read-only commands ``(argv, cwd)`` at the same time (saves wall time)."""
    procs = []
    for args, cwd in commands:
        argv = [str(a) for a in args]
        procs.append((argv, subprocess.Popen(
            argv, cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )))
    results = []
    for argv, proc in procs:
        out, err = proc.communicate(timeout=timeout)
        results.append(Result(argv, proc.returncode, out, err.decode("utf-8", "replace")))
    return results


def run_cli(*args: str | os.PathLike[str], cwd: Path) -> Result:
    """Run the installed `codemods` console script (stdout and stderr are pipes)."""
    return run([CODEMODS, *args], cwd=cwd)


def assert_one_line_error(result: Result, *needles: str) -> str:
    assert result.code == 2, result
    assert "Traceback" not in result.err, result
    lines = result.err_lines
    assert len(lines) == 1, f"expected exactly one line on stderr\n{result}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in the error line\n{result}"
    return lines[0]


def git(cwd: Path, *args: str) -> str:
    """Run git; fail the test with git's output if it fails."""
    proc = subprocess.run(
        ["git", "-c", "core.autocrlf=false", "-c", "core.safecrlf=false", *args],
        cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"git {' '.join(args)} failed ({proc.returncode}) in {cwd}:\n"
            f"{proc.stdout.decode(errors='replace')}\n{proc.stderr.decode(errors='replace')}"
        )
    return proc.stdout.decode("utf-8", "replace")


def git_status(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git and return the process, whatever its exit code."""
    return subprocess.run(
        ["git", "-c", "core.autocrlf=false", *args],
        cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "-c", "init.defaultBranch=main", "init", "-q")
    git(path, "config", "user.name", "codemods tests")
    git(path, "config", "user.email", "tests@example.invalid")
    git(path, "config", "core.autocrlf", "false")
    return path


def commit_all(path: Path, message: str = "initial") -> None:
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", message)


def clone(source: Path, dest: Path) -> Path:
    git(source.parent, "clone", "-q", "--no-hardlinks", str(source), str(dest))
    git(dest, "config", "core.autocrlf", "false")
    return dest


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; text is
    written as UTF-8 with no newline translation."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def make_app(root: Path, files: Mapping[str, str | bytes] | None = None, pyproject: str | None = APP_PYPROJECT) -> Path:
    """A small project: package ``app`` with the helper ``app.clock:get_timestamp``
    configured, ``app/orders.py`` (one rewritable site) and ``app/sleepy.py``
    (nothing to rewrite), plus ``files``."""
    base: dict[str, str | bytes] = {
        "app/__init__.py": "",
        "app/clock.py": CLOCK_SOURCE,
        "app/orders.py": ORDERS_SOURCE,
        "app/sleepy.py": SLEEPY_SOURCE,
    }
    if pyproject is not None:
        base["pyproject.toml"] = pyproject
    base.update(files or {})
    root.mkdir(parents=True, exist_ok=True)
    return write_tree(root, base)


SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".hypothesis", ".codemods_cache"}


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (minus .git and caches): relative path -> bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if SKIP_DIRS & set(relative.parts) or not path.is_file():
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def snapshot_stat(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Like ``snapshot`` plus mtime_ns and mode: detects any rewrite, even of equal bytes."""
    out = {}
    for relative, data in snapshot(root).items():
        st = (root / relative).stat()
        out[relative] = (data, st.st_mtime_ns, st.st_mode)
    return out


def patch_files(patch: bytes) -> list[str]:
    """The paths named by the ``diff --git a/X b/X`` headers of a patch, in order."""
    names = []
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git a/"):
            names.append(line[len(b"diff --git a/"):].split(b" b/", 1)[0].decode("utf-8", "replace"))
    return names


def assert_plain_patch(data: bytes) -> None:
    """Every line of ``data`` is a unified-diff line (no summary, no ANSI escapes)."""
    assert b"\x1b" not in data, "ANSI escapes in a piped patch"
    for line in data.split(b"\n")[:-1]:
        assert line.startswith(PATCH_LINE_PREFIXES) or line == b"", f"not a patch line: {line!r}"
    assert data.endswith(b"\n")


def _ignore_caches(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"__pycache__", ".pytest_cache", ".hypothesis", ".codemods_cache"} or n.endswith(".pyc")}


def copy_bot(dest: Path) -> Path:
    """A fresh copy of examples/trading_bot without caches."""
    shutil.copytree(BOT_SOURCE, dest, ignore=_ignore_caches)
    return dest


BOT_SUITE = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


def run_bot_suite(bot: Path) -> Result:
    """The bot's own test suite, run in ``bot`` with the test interpreter."""
    return run(BOT_SUITE, cwd=bot)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A fresh small project (see ``make_app``) outside any git repository."""
    return make_app(tmp_path / "proj")


@dataclass
class BotPipeline:
    """One run of the whole trading-bot story, step by step (see ``bot_pipeline``)."""

    path: Path
    original: dict[str, bytes]  # the copy as made
    suite_before: Result
    diff: Result
    after_diff: dict[str, tuple[bytes, int, int]]
    before_diff: dict[str, tuple[bytes, int, int]]
    apply: Result
    after_apply: dict[str, bytes]
    after_apply_stat: dict[str, tuple[bytes, int, int]]
    suite_after: Result
    check: Result


@pytest.fixture(scope="session")
def bot_pipeline(tmp_path_factory: pytest.TempPathFactory) -> BotPipeline:
    """Copy the bot, run its suite, `codemods diff`, `codemods apply`, its suite
    again and `codemods diff --check`. Every step's outcome is recorded (nothing
    is asserted here) so each test checks one claim; what the files looked like
    after apply is kept in memory, so later runs on the copy cannot change it."""
    bot = copy_bot(tmp_path_factory.mktemp("bot") / "trading_bot")
    original = snapshot(bot)
    before_diff = snapshot_stat(bot)
    # The suite writes no source file and `diff` writes nothing: run them side by side.
    suite_before, diff = run_parallel((BOT_SUITE, bot), ((CODEMODS, "diff"), bot))
    after_diff = snapshot_stat(bot)
    applied = run_cli("apply", cwd=bot)
    after_apply_stat = snapshot_stat(bot)
    after_apply = {k: v[0] for k, v in after_apply_stat.items()}
    suite_after, check = run_parallel((BOT_SUITE, bot), ((CODEMODS, "diff", "--check"), bot))
    return BotPipeline(
        bot, original, suite_before, diff, after_diff, before_diff, applied, after_apply,
        after_apply_stat, suite_after, check,
    )
