"""`codemods apply --branch` and `codemods diff --format patches` end to end.

Real git repositories under tmp_path (copies of examples/trading_bot), the real
console script in a subprocess, real `git am`, a real bare remote and real
signals. Nothing is mocked. What the user's checkout looked like before a run
(files with their mtimes, the index file, HEAD, refs, stash, worktrees) is
recorded and compared after it; the branch's commits are read back with git.

Expected subjects, file lists and counts are written by hand from the bundled
bot, never computed with the tool's own code.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from conftest import (
    BOT_SOURCE,
    BOT_SUITE,
    CODEMODS,
    Result,
    assert_one_line_error,
    clean_env,
    clone,
    commit_all,
    copy_bot,
    git,
    git_status,
    init_repo,
    make_app,
    patch_files,
    run_bot_suite,
    run_cli,
    run_parallel,
    snapshot_stat,
    write_tree,
)

BRANCH = "cleanup/codemods"
ORDER = ["pin-requirements", "precision", "retry", "timestamp"]  # name order
SUBJECTS = {
    "pin-requirements": "build: pin unpinned requirements",
    "precision": "refactor: round to exchange step sizes with adjust_to_step_size()",
    "retry": "refactor: use retry_with_backoff() for hand-written retry loops",
    "timestamp": "refactor: use get_timestamp() for epoch milliseconds",
}
# The files each codemod's commit touches in the bundled bot, sorted.
FILES = {
    "pin-requirements": ["requirements.txt"],
    "precision": ["src/services/trading_service.py", "src/utils/exchange_precision.py"],
    "retry": ["src/main.py", "src/services/trading_service.py", "src/utils/retry_helper.py"],
    "timestamp": [
        "src/core/circuit_breaker.py",
        "src/core/unified_scheduler.py",
        "src/exchange/fake_client.py",
        "src/main.py",
        "src/services/trading_service.py",
        "src/strategies/rule_based_signal_generator.py",
        "src/utils/helpers.py",
    ],
}
TITLE = "Automated cleanup: pin-requirements, precision, retry, timestamp"
PATCH_NAMES = [
    "0001-build-pin-unpinned-requirements.patch",
    "0002-refactor-round-to-exchange-step-sizes-with-adjust_to.patch",
    "0003-refactor-use-retry_with_backoff-for-hand-written-ret.patch",
    "0004-refactor-use-get_timestamp-for-epoch-milliseconds.patch",
]
VERIFY = shlex.join(BOT_SUITE)  # the bot's own test command
GET_TIMESTAMP_MS = b"    return int(datetime.now(timezone.utc).timestamp() * 1000)\n"

# The user's state around the run: an edit that is neither staged nor committed
# (with a site the timestamp codemod would rewrite), a staged new file (ditto)
# and a staged edit, untracked and ignored files, one stash entry.
UNCOMMITTED_EDIT = b"\n\ndef _local_probe():\n    return int(time.time() * 1000)\n"
STAGED_NEW = "import time\n\nSTAGED = int(time.time() * 1000)\n"
STAGED_EDIT = "\nA staged line in the README.\n"
UNTRACKED = {
    "src/scratch.py": "import time\n\nSCRATCH = int(time.time() * 1000)\n",
    "notes.txt": "my notes\n",
    ".env": "API_KEY=not-a-real-key\n",  # ignored by the bot's .gitignore
}

# A test-only plugin codemod that breaks the bot: get_timestamp() returns seconds.
# Its name sorts first, so every built-in codemod runs after its dropped commit.
BREAK_CLOCK = '''\
"""A test-only codemod that breaks the bot's tests."""
from codemods.base import TextCodemod


class BreakClock(TextCodemod):
    """
    ## What it does
    Makes `get_timestamp()` return epoch seconds instead of milliseconds.
    ## Why
    To see `--verify` drop a commit that breaks the project's tests.
    ## Safety
    None: it breaks the tests on purpose.
    """

    NAME = "break-clock"
    SUMMARY = "get_timestamp() in seconds (breaks the tests)"
    FILES = ("helpers.py",)

    def transform_text(self, text: str) -> str:
        old, new = ".timestamp() * 1000)", ".timestamp())"
        self.changes = text.count(old)
        return text.replace(old, new)
'''
BREAKING_TEST = "FAILED tests/test_helpers.py::test_get_timestamp_is_current_utc_millis"


# -- helpers -------------------------------------------------------------------------------

def run_env(args: Sequence[str | os.PathLike[str]], cwd: Path, env: Mapping[str, str], timeout: float = 180) -> Result:
    """Like conftest.run, with an environment of the test's choosing."""
    argv = [str(a) for a in args]
    proc = subprocess.run(
        argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def rev(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", "--verify", ref).strip()


def has_ref(repo: Path, ref: str) -> bool:
    return git_status(repo, "rev-parse", "--verify", "--quiet", ref).returncode == 0


def worktrees(repo: Path) -> list[str]:
    """The paths `git worktree list --porcelain` lists, the main checkout first."""
    out = git(repo, "--no-optional-locks", "worktree", "list", "--porcelain")
    return [line[len("worktree "):] for line in out.splitlines() if line.startswith("worktree ")]


def commits(repo: Path, base: str, branch: str) -> list[str]:
    """base..branch, oldest first; fails unless the history is one straight line from base."""
    lines = git(repo, "rev-list", "--reverse", "--parents", f"{base}..{branch}").split("\n")
    shas: list[str] = []
    parent = base
    for line in filter(None, lines):
        sha, *parents = line.split()
        assert parents == [parent], f"{sha} has parents {parents}, expected [{parent}]"
        shas.append(sha)
        parent = sha
    return shas


def message(repo: Path, sha: str) -> str:
    """The commit message exactly as stored."""
    raw = git(repo, "cat-file", "commit", sha)
    return raw.split("\n\n", 1)[1]


def trailer(repo: Path, sha: str) -> str:
    """The value of the `Codemod:` trailer, as git itself parses trailers."""
    return git(repo, "show", "-s", "--format=%(trailers:key=Codemod,valueonly,separator=|)", sha).strip()


def touched(repo: Path, sha: str) -> list[str]:
    return sorted(git(repo, "diff-tree", "--no-commit-id", "-r", "--name-only", sha).split())


def git_state(repo: Path) -> dict[str, object]:
    """Everything of the checkout's git state a run must leave alone (read without taking locks)."""
    dot_git = repo / ".git"
    index = (dot_git / "index").read_bytes()  # first: nothing below may rewrite it

    def q(*args: str) -> str:
        return git(repo, "--no-optional-locks", *args)

    return {
        "index file": index,
        "HEAD file": (dot_git / "HEAD").read_bytes(),
        "HEAD": q("rev-parse", "HEAD"),
        "ls-files -s": q("ls-files", "-s"),
        "diff --cached": q("diff", "--cached", "--binary"),
        "diff": q("diff", "--binary"),
        "untracked": q("ls-files", "--others", "--exclude-standard"),
        "ignored": q("ls-files", "--others", "--ignored", "--exclude-standard"),
        "stash list": q("stash", "list", "--format=%H %gs"),
        "refs": q("for-each-ref", "--format=%(objectname) %(refname)"),
        "worktrees": q("worktree", "list", "--porcelain"),
    }


def without(state: dict[str, object], *, ref: str | None = None, untracked: str | None = None) -> dict[str, object]:
    """``state`` minus the one ref a run may create and the one file the test asked it to write."""
    out = dict(state)
    if ref is not None:
        out["refs"] = "".join(line for line in str(out["refs"]).splitlines(True) if not line.endswith(f" {ref}\n"))
    if untracked is not None:
        out["untracked"] = "".join(line for line in str(out["untracked"]).splitlines(True) if line != f"{untracked}\n")
    return out


def no_identity_env(home: Path, **extra: str) -> dict[str, str]:
    """clean_env() with no identity anywhere: no GIT_AUTHOR_*/GIT_COMMITTER_*/EMAIL, an empty HOME,
    no system config, the global config /dev/null unless ``extra`` says otherwise."""
    env = clean_env()
    for name in (
        "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
        "GIT_CONFIG_COUNT", "XDG_CONFIG_HOME",
    ):
        env.pop(name, None)
    home.mkdir(parents=True, exist_ok=True)
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull})
    env.update(extra)
    return env


def alive(pid: int) -> bool:
    """Whether ``pid`` is still a running (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def bot_repo(path: Path, extra: Mapping[str, str] | None = None) -> Path:
    """A git repository holding a copy of the bot (plus ``extra``), one commit on main."""
    repo = init_repo(copy_bot(path))
    if extra:
        write_tree(repo, extra)
    commit_all(repo, "the trading bot")
    return repo


@pytest.fixture(scope="module")
def bot_origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean committed copy of the bot; tests that change a repository work on clones of it."""
    return bot_repo(tmp_path_factory.mktemp("origin") / "bot")


# -- 1 and 2: one run of apply --branch in a busy checkout, a plain apply, a patch series --

@dataclass
class BranchRun:
    root: Path
    repo: Path  # the user's checkout (busy: edits, staged changes, untracked files, a stash)
    base: str  # its HEAD commit
    result: Result  # apply --branch cleanup/codemods --pr-body pr.md
    state_before: dict[str, object]
    state_after: dict[str, object]
    files_before: dict[str, tuple[bytes, int, int]]
    files_after: dict[str, tuple[bytes, int, int]]  # minus pr.md
    main_py: bytes  # src/main.py as committed
    plain: Result  # plain `codemods apply` in a clean clone
    plain_tree: str  # its tree after `git add -A`
    suite: Result  # the bot's suite on a checkout of the branch
    patches: Result  # diff --format patches --output DIR in another clean clone
    patch_dir: Path
    am: subprocess.CompletedProcess[bytes]  # git am of every patch, in order, in that clone
    am_tree: str


@dataclass
class Verified:
    repo: Path  # the bot plus a committed plugin codemod that breaks its tests
    base: str
    result: Result  # apply --branch cleanup/verified --verify VERIFY --pr-body pr.md --json
    document: dict | None
    body: str  # pr.md
    worktrees: list[str]
    broken_suite: Result  # the bot's suite on a clean clone with only the plugin's edit made


VERIFIED = "cleanup/verified"


@dataclass
class Runs:
    branch: BranchRun
    verified: Verified


def busy_checkout(repo: Path) -> None:
    """Make ``repo`` look like a checkout in the middle of work (see UNCOMMITTED_EDIT...)."""
    with (repo / "src/config.py").open("ab") as handle:
        handle.write(b"# stashed work\n")
    git(repo, "stash", "push", "-q", "-m", "work in progress")
    (repo / "src/main.py").write_bytes((repo / "src/main.py").read_bytes() + UNCOMMITTED_EDIT)
    write_tree(repo, {"src/staged.py": STAGED_NEW})
    with (repo / "README.md").open("a", encoding="utf-8", newline="") as handle:
        handle.write(STAGED_EDIT)
    git(repo, "add", "src/staged.py", "README.md")
    write_tree(repo, UNTRACKED)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The expensive runs, side by side (they share nothing): `apply --branch` in a busy
    checkout, plain `apply` and `diff --format patches` in clean clones, `apply --branch
    --verify` in the plugin repository, the bot's suite with only the plugin's edit.
    Every outcome is recorded here, nothing asserted; each test checks one claim."""
    root = tmp_path_factory.mktemp("branch")
    repo = bot_repo(root / "repo")
    base = rev(repo, "HEAD")
    plain = clone(repo, root / "plain")
    series_clone = clone(repo, root / "series")
    main_py = (repo / "src/main.py").read_bytes()
    busy_checkout(repo)

    pyproject = (BOT_SOURCE / "pyproject.toml").read_text(encoding="utf-8")
    assert pyproject.count("[tool.codemods.timestamp]") == 1
    pyproject = pyproject.replace(
        "[tool.codemods.timestamp]", '[tool.codemods]\nplugins = ["team_rules.break_clock"]\n\n[tool.codemods.timestamp]'
    )
    plugged = bot_repo(
        root / "plugged",
        {"pyproject.toml": pyproject, "team_rules/__init__.py": "", "team_rules/break_clock.py": BREAK_CLOCK},
    )
    plugged_base = rev(plugged, "HEAD")
    broken = clone(plugged, root / "broken")
    helpers = broken / "src/utils/helpers.py"
    helpers.write_bytes(helpers.read_bytes().replace(b".timestamp() * 1000)", b".timestamp())"))

    state_before = git_state(repo)
    files_before = snapshot_stat(repo)
    patch_dir = root / "patches"
    verify, result, plain_apply, patches, broken_suite = run_parallel(
        ((CODEMODS, "apply", "--branch", VERIFIED, "--verify", VERIFY, "--pr-body", "pr.md", "--json"), plugged),
        ((CODEMODS, "apply", "--branch", BRANCH, "--pr-body", "pr.md"), repo),
        ((CODEMODS, "apply"), plain),
        ((CODEMODS, "diff", "--format", "patches", "--output", patch_dir), series_clone),
        (BOT_SUITE, broken),
    )
    state_after = git_state(repo)
    files_after = {k: v for k, v in snapshot_stat(repo).items() if k != "pr.md"}

    git(plain, "add", "-A")
    plain_tree = git(plain, "write-tree").strip()

    checkout = clone(repo, root / "checkout")
    suite = None
    if has_ref(checkout, f"refs/remotes/origin/{BRANCH}"):
        git(checkout, "checkout", "-q", BRANCH)
        suite = run_bot_suite(checkout)
    names = sorted(p.name for p in patch_dir.glob("*.patch")) if patch_dir.is_dir() else []
    am = git_status(series_clone, "am", "-q", *(str(patch_dir / n) for n in names))
    am_tree = rev(series_clone, "HEAD^{tree}")
    branch = BranchRun(
        root, repo, base, result, state_before, state_after, files_before, files_after, main_py,
        plain_apply, plain_tree, suite, patches, patch_dir, am, am_tree,  # type: ignore[arg-type]
    )

    try:
        document = json.loads(verify.out)
    except ValueError:
        document = None
    body = (plugged / "pr.md").read_text(encoding="utf-8") if (plugged / "pr.md").is_file() else ""
    return Runs(branch, Verified(plugged, plugged_base, verify, document, body, worktrees(plugged), broken_suite))


@pytest.fixture(scope="module")
def branch_run(runs: Runs) -> BranchRun:
    return runs.branch


@pytest.fixture(scope="module")
def verified(runs: Runs) -> Verified:
    return runs.verified


def test_apply_branch_succeeds_quietly(branch_run: BranchRun) -> None:
    result = branch_run.result
    assert result.code == 0, result
    assert "Traceback" not in result.err, result
    assert result.out == b"", "the PR description went to --pr-body, so stdout must be empty"
    assert has_ref(branch_run.repo, f"refs/heads/{BRANCH}"), result


def test_one_commit_per_codemod_in_name_order(branch_run: BranchRun) -> None:
    shas = commits(branch_run.repo, branch_run.base, BRANCH)
    assert [message(branch_run.repo, c).split("\n", 1)[0] for c in shas] == [SUBJECTS[n] for n in ORDER]
    assert [trailer(branch_run.repo, c) for c in shas] == ORDER
    for sha, name in zip(shas, ORDER):
        assert message(branch_run.repo, sha).endswith(f"\n\nCodemod: {name}\n"), message(branch_run.repo, sha)


def test_each_commit_touches_only_its_codemods_files(branch_run: BranchRun) -> None:
    shas = commits(branch_run.repo, branch_run.base, BRANCH)
    assert {name: touched(branch_run.repo, sha) for name, sha in zip(ORDER, shas)} == FILES


def test_commit_messages_list_files_and_notes(branch_run: BranchRun) -> None:
    repo = branch_run.repo
    pin, precision, retry, timestamp = (message(repo, c) for c in commits(repo, branch_run.base, BRANCH))
    assert pin == (
        "build: pin unpinned requirements\n"
        "\n"
        "1 change in 1 file:\n"
        "- requirements.txt: 1 change\n"
        "\n"
        "Codemod: pin-requirements\n"
    )
    assert precision.startswith(
        f"{SUBJECTS['precision']}\n\n2 changes in 2 files:\n"
        "- src/services/trading_service.py: 2 changes\n"
        "- src/utils/exchange_precision.py: created\n"
        "\nBehaviour changes (on purpose):\n- results are exact multiples of the step"
    ), precision
    assert retry == (
        f"{SUBJECTS['retry']}\n\n2 changes in 3 files:\n"
        "- src/main.py: 1 change\n"
        "- src/services/trading_service.py: 1 change\n"
        "- src/utils/retry_helper.py: created\n"
        "\nCodemod: retry\n"
    )
    assert "\n- src/services/trading_service.py: 4 changes\n" in timestamp, timestamp
    assert timestamp.endswith("\n\nLeft alone: 1 site (listed in the PR description).\n\nCodemod: timestamp\n"), timestamp
    author = git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", BRANCH).strip()
    assert author == "codemods tests <tests@example.invalid>|codemods tests <tests@example.invalid>"


def test_user_checkout_untouched(branch_run: BranchRun) -> None:
    before, after = branch_run.state_before, branch_run.state_after
    # The only ref written is the new branch; the only new file is the PR description asked for.
    assert without(after, ref=f"refs/heads/{BRANCH}", untracked="pr.md") == before
    assert after["HEAD file"] == b"ref: refs/heads/main\n"
    assert len(str(after["stash list"]).splitlines()) == 1, after["stash list"]
    assert worktrees(branch_run.repo) == [str(branch_run.repo)]
    assert branch_run.files_after == branch_run.files_before  # bytes, mtimes and modes
    assert (branch_run.repo / "src/main.py").read_bytes() == branch_run.main_py + UNCOMMITTED_EDIT
    assert git(branch_run.repo, "show", ":src/staged.py") == STAGED_NEW


def test_branch_holds_only_committed_files(branch_run: BranchRun) -> None:
    listed = git(branch_run.repo, "ls-tree", "-r", "--name-only", BRANCH).split()
    for name in ("src/staged.py", "pr.md", *UNTRACKED):
        assert name not in listed
    assert b"_local_probe" not in git(branch_run.repo, "show", f"{BRANCH}:src/main.py").encode()
    assert STAGED_EDIT.strip() not in git(branch_run.repo, "show", f"{BRANCH}:README.md")


def test_branch_tree_equals_plain_apply_on_a_clean_clone(branch_run: BranchRun) -> None:
    assert branch_run.plain.code == 0, branch_run.plain
    assert rev(branch_run.repo, f"{BRANCH}^{{tree}}") == branch_run.plain_tree


def test_bot_suite_passes_on_the_branch(branch_run: BranchRun) -> None:
    assert branch_run.suite is not None, "no branch to check out"
    assert branch_run.suite.code == 0, branch_run.suite
    assert re.search(rb"\d+ passed", branch_run.suite.out), branch_run.suite


def test_summary_on_stderr(branch_run: BranchRun) -> None:
    shas = [c[:12] for c in commits(branch_run.repo, branch_run.base, BRANCH)]
    lines = branch_run.result.err.splitlines()
    assert lines[:5] == [
        f"codemods apply --branch {BRANCH}: 4 commits on {BRANCH} (base {branch_run.base[:12]})",
        f"  pin-requirements: 1 change in 1 file: {shas[0]}",
        f"  precision: 2 changes in 2 files: {shas[1]}",
        f"  retry: 2 changes in 3 files: {shas[2]}",
        f"  timestamp: 13 changes in 7 files: {shas[3]}, 1 site left alone",
    ], branch_run.result
    assert lines[-4:] == [
        "PR description: pr.md",
        "next:",
        f"  git push --set-upstream origin {BRANCH}",
        f"  gh pr create --head {BRANCH} --base main --title '{TITLE}' --body-file pr.md",
    ], branch_run.result


def test_pr_description(branch_run: BranchRun) -> None:
    body = (branch_run.repo / "pr.md").read_text(encoding="utf-8")
    shas = [c[:12] for c in commits(branch_run.repo, branch_run.base, BRANCH)]
    assert body.startswith(f"# {TITLE}\n\n"), body[:300]
    assert f"from `main` (`{branch_run.base[:12]}`): branch `{BRANCH}` has one commit per codemod" in body
    table = (
        "| codemod | commit | files | changes | tests pass |\n"
        "|---|---|---:|---:|---|\n"
        f"| `pin-requirements` | `{shas[0]}` | 1 | 1 | not run |\n"
        f"| `precision` | `{shas[1]}` | 2 | 2 | not run |\n"
        f"| `retry` | `{shas[2]}` | 3 | 2 | not run |\n"
        f"| `timestamp` | `{shas[3]}` | 7 | 13 | not run |\n"
    )
    assert table in body, body
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [f"## `{n}`: {SUBJECTS[n].split(': ', 1)[1]}" for n in ORDER] + ["## How to check it locally"]
    sections = body.split("\n## ")[1:]
    for name, section in zip(ORDER, sections):
        for part in ("**What it does.** ", "**Why.** ", "**Safety.** "):
            assert f"\n{part}" in section, f"{part!r} missing from the {name} section:\n{section}"
        for path in FILES[name]:
            assert f"\n- `{path}`: " in section, f"{path} missing from the {name} section:\n{section}"
    assert "**Behaviour changes, on purpose**" in sections[1], sections[1]
    left = sections[3].split("**Left alone** (1 site; the code there is unchanged):\n", 1)
    assert len(left) == 2, sections[3]
    assert left[1].startswith("- `src/main.py:") and "datetime.utcnow().timestamp()" in left[1].split("\n")[0], left[1]
    how = sections[4]
    assert f"git switch {BRANCH}\n" in how
    for name, sha in zip(ORDER, shas):
        assert f"git show {sha}   # {name}\n" in how, how


def test_patch_series_written(branch_run: BranchRun) -> None:
    result = branch_run.patches
    assert result.code == 0, result
    assert sorted(p.name for p in branch_run.patch_dir.iterdir()) == PATCH_NAMES
    for number, (name, file) in enumerate(zip(ORDER, PATCH_NAMES), 1):
        data = (branch_run.patch_dir / file).read_bytes()
        headers = email.message_from_bytes(data, policy=email.policy.default)
        assert headers["Subject"] == f"[PATCH {number}/4] {SUBJECTS[name]}", data[:400]
        assert sorted(patch_files(data)) == FILES[name], file
        assert f"\nCodemod: {name}\n".encode() in data


def test_git_am_of_the_patches_gives_the_branch_tree(branch_run: BranchRun) -> None:
    assert branch_run.am.returncode == 0, branch_run.am.stderr.decode(errors="replace")
    assert branch_run.am_tree == rev(branch_run.repo, f"{BRANCH}^{{tree}}")


# -- 3 and 6: --verify drops the commit of a codemod that breaks the tests; --json ------------

def test_verify_plugin_breaks_the_tests_on_its_own(verified: Verified) -> None:
    """The premise: the plugin's edit alone makes the bot's suite fail."""
    assert verified.broken_suite.code == 1, verified.broken_suite
    assert BREAKING_TEST.encode() in verified.broken_suite.out, verified.broken_suite


def test_verify_drops_the_breaking_commit_and_keeps_the_others(verified: Verified, branch_run: BranchRun) -> None:
    assert verified.result.code == 0, verified.result
    shas = commits(verified.repo, verified.base, VERIFIED)
    assert [trailer(verified.repo, c) for c in shas] == ORDER
    assert [message(verified.repo, c).split("\n", 1)[0] for c in shas] == [SUBJECTS[n] for n in ORDER]
    assert GET_TIMESTAMP_MS in git(verified.repo, "show", f"{VERIFIED}:src/utils/helpers.py").encode()
    # The codemods after the dropped commit ran without it: src/ ends up exactly as
    # on the branch built without the plugin (equal tree ids mean equal bytes).
    assert rev(verified.repo, f"{VERIFIED}:src") == rev(branch_run.repo, f"{BRANCH}:src")
    assert verified.worktrees == [str(verified.repo)]


def test_verify_names_the_dropped_commit_on_stderr(verified: Verified) -> None:
    lines = verified.result.err.splitlines()
    assert lines[0] == f"codemods apply --branch {VERIFIED}: 4 commits on {VERIFIED} (base {verified.base[:12]})", verified.result
    dropped = re.escape(f"  break-clock: dropped: `{VERIFY}` failed after it (")
    assert re.fullmatch(dropped + r"\d+ failed, \d+ passed in [\d.]+s\)", lines[1]), verified.result
    for name, line in zip(ORDER, lines[2:6]):
        assert line.startswith(f"  {name}: ") and ": " in line and ", tests pass" in line, verified.result


def test_verify_names_the_dropped_commit_in_the_pr_body(verified: Verified) -> None:
    body = verified.body
    assert body.startswith(f"# {TITLE}\n"), body[:300]
    shas = [c[:12] for c in commits(verified.repo, verified.base, VERIFIED)]
    table = (
        "| codemod | commit | files | changes | tests pass |\n"
        "|---|---|---:|---:|---|\n"
        "| `break-clock` | dropped | 1 | 1 | **no** |\n"
        f"| `pin-requirements` | `{shas[0]}` | 1 | 1 | yes |\n"
        f"| `precision` | `{shas[1]}` | 2 | 2 | yes |\n"
        f"| `retry` | `{shas[2]}` | 3 | 2 | yes |\n"
        f"| `timestamp` | `{shas[3]}` | 7 | 13 | yes |\n"
    )
    assert table in body, body
    assert f"> **Not on this branch:** the `break-clock` commit made `{VERIFY}` fail" in body, body
    section = body.split("\n## `break-clock`: ", 1)[1].split("\n## ", 1)[0]
    assert "**What it does.** Makes `get_timestamp()` return epoch seconds instead of milliseconds." in section
    assert "- `src/utils/helpers.py`: 1 change" in section
    assert f"**Dropped:** `{VERIFY}` failed after this commit." in section, section
    output = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert BREAKING_TEST in output, section
    assert "# break-clock" not in body.split("## How to check it locally", 1)[1]
    assert f"\n{VERIFY}   # the project's tests\n" in body


def test_json_document_matches_the_branch(verified: Verified) -> None:
    doc = verified.document
    assert doc is not None, verified.result
    assert set(doc) == {"tool", "version", "branch", "base", "head", "pushed", "patches", "steps"}
    assert doc["tool"] == "codemods" and doc["version"] == version("codemods")
    shas = commits(verified.repo, verified.base, VERIFIED)
    assert (doc["branch"], doc["base"], doc["head"], doc["pushed"], doc["patches"]) == (
        VERIFIED, verified.base, shas[-1], False, []
    )
    steps = doc["steps"]
    assert [s["codemod"] for s in steps] == ["break-clock", *ORDER]
    keys = {"codemod", "subject", "commit", "dropped", "tests_passed", "verify_output", "files",
            "behaviour_changes", "findings", "failures"}
    assert all(set(s) == keys for s in steps), steps
    broken, *landed = steps
    assert (broken["commit"], broken["dropped"], broken["tests_passed"]) == (None, True, False)
    assert broken["subject"] == "refactor: apply the break-clock codemod"
    assert broken["files"] == [{"path": "src/utils/helpers.py", "changes": 1, "created": False}]
    assert BREAKING_TEST in broken["verify_output"]
    for step, sha in zip(landed, shas):
        assert step["commit"] == sha, step
        assert (step["dropped"], step["tests_passed"], step["failures"]) == (False, True, []), step
        assert step["subject"] == message(verified.repo, sha).split("\n", 1)[0]
        assert sorted(f["path"] for f in step["files"]) == touched(verified.repo, sha)
        assert re.search(r"\d+ passed", step["verify_output"]) and "failed" not in step["verify_output"], step
    assert landed[0]["files"] == [{"path": "requirements.txt", "changes": 1, "created": False}]
    assert {f["path"]: f["created"] for f in landed[2]["files"]}["src/utils/retry_helper.py"] is True
    assert sum(f["changes"] for f in landed[3]["files"]) == 13
    assert len(landed[1]["behaviour_changes"]) == 2
    assert any(f["path"] == "src/main.py" and "utcnow" in f["message"] for f in landed[3]["findings"]), landed[3]


def test_verify_failing_on_the_base_creates_nothing(tmp_path: Path) -> None:
    repo = init_repo(make_app(tmp_path / "app"))
    commit_all(repo)
    state, files = git_state(repo), snapshot_stat(repo)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    command = f"{shlex.quote(sys.executable)} -c \"print('1 failed'); print('the base is red'); raise SystemExit(1)\""
    result = run_env(
        [CODEMODS, "apply", "--branch", "x", "--verify", command, "--pr-body", tmp_path / "pr.md"],
        repo, clean_env({"TMPDIR": str(scratch)}),
    )
    line = assert_one_line_error(result, "--verify", "already fails", "the base is red")
    assert line.startswith("codemods: error: "), line
    assert not has_ref(repo, "refs/heads/x")
    assert git_state(repo) == state and snapshot_stat(repo) == files
    assert list(scratch.iterdir()) == [], "the temporary worktree folder was left behind"
    assert not (tmp_path / "pr.md").exists()


def test_verify_runs_in_the_matching_subfolder_of_the_worktree(tmp_path: Path) -> None:
    repo = init_repo(make_app(tmp_path / "app"))
    commit_all(repo)
    scratch = (tmp_path / "tmp").resolve()
    scratch.mkdir()
    log = tmp_path / "where.txt"
    result = run_env(
        [CODEMODS, "apply", "--branch", "x", "--verify", f"pwd >> {shlex.quote(str(log))}"],
        repo / "app", clean_env({"TMPDIR": str(scratch)}),
    )
    assert result.code == 0, result
    assert trailer(repo, "x") == "timestamp"
    places = log.read_text().splitlines()
    assert len(places) == 2, places  # once on the base, once after the one commit
    assert places[0] == places[1]
    where = Path(places[0])
    assert where.name == "app" and scratch in where.parents, where
    assert not where.exists() and list(scratch.iterdir()) == []


# -- 4: --push, an existing branch, --force ------------------------------------------------

def test_push_to_a_bare_remote(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    bare = tmp_path / "review.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "review", str(bare))
    files = snapshot_stat(repo)
    result = run_cli(
        "apply", "--branch", "cleanup/pushed", "--only", "pin-requirements", "--push", "review", "--json", cwd=repo
    )
    assert result.code == 0, result
    local = rev(repo, "refs/heads/cleanup/pushed")
    assert rev(bare, "refs/heads/cleanup/pushed") == local
    assert trailer(bare, "cleanup/pushed") == "pin-requirements"
    document = json.loads(result.out)
    assert (document["pushed"], document["head"], document["branch"]) == (True, local, "cleanup/pushed")
    lines = result.err.splitlines()
    assert "pushed to review" in lines, result
    assert "git push" not in result.err, result
    assert lines[-1] == (
        "  gh pr create --head cleanup/pushed --base main --title 'build: pin unpinned requirements' "
        "--body-file pr.md   (save it with --pr-body pr.md)"
    ), result
    assert snapshot_stat(repo) == files and worktrees(repo) == [str(repo)]


def test_push_to_an_unknown_remote_says_why(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    result = run_cli("apply", "--branch", "cleanup/pushed", "--only", "pin-requirements", "--push", "nowhere", cwd=repo)
    assert_one_line_error(result, "--push nowhere", "'nowhere' does not appear to be a git repository")


def test_existing_branch_refused_then_replaced_with_force(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    base = rev(repo, "HEAD")
    git(repo, "checkout", "-q", "-b", BRANCH)
    write_tree(repo, {"OLD.md": "an earlier cleanup\n"})
    commit_all(repo, "an earlier cleanup")
    old = rev(repo, "HEAD")
    git(repo, "checkout", "-q", "main")
    state, files = git_state(repo), snapshot_stat(repo)

    refused = run_cli("apply", "--branch", BRANCH, "--only", "pin-requirements", "--pr-body", tmp_path / "pr.md", cwd=repo)
    assert_one_line_error(refused, f"--branch {BRANCH}", "exists already", "--force")
    assert rev(repo, BRANCH) == old
    assert git_state(repo) == state and snapshot_stat(repo) == files
    assert not (tmp_path / "pr.md").exists()

    forced = run_cli("apply", "--branch", BRANCH, "--only", "pin-requirements", "--force", cwd=repo)
    assert forced.code == 0, forced
    [new] = commits(repo, base, BRANCH)
    assert trailer(repo, new) == "pin-requirements"
    assert git_status(repo, "merge-base", "--is-ancestor", old, BRANCH).returncode == 1
    assert without(git_state(repo), ref=f"refs/heads/{BRANCH}") == without(state, ref=f"refs/heads/{BRANCH}")
    assert snapshot_stat(repo) == files


def test_force_never_moves_the_checked_out_branch(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    state, files = git_state(repo), snapshot_stat(repo)
    result = run_cli("apply", "--branch", "main", "--only", "pin-requirements", "--force", cwd=repo)
    assert_one_line_error(result, "--branch main")
    assert git_state(repo) == state and snapshot_stat(repo) == files


# -- 5: failure modes ----------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["name", "email"])
def test_no_git_identity(bot_origin: Path, tmp_path: Path, missing: str) -> None:
    repo = clone(bot_origin, tmp_path / "repo")  # a clone's config has no user.*
    if missing == "email":
        git(repo, "config", "user.name", "Somebody")
    env = no_identity_env(tmp_path / "home")
    # The premise: git itself finds no user.<missing> anywhere.
    probe = subprocess.run(["git", "config", f"user.{missing}"], cwd=repo, env=env, capture_output=True)
    assert probe.returncode == 1 and probe.stdout == b"", probe
    state, files = git_state(repo), snapshot_stat(repo)
    result = run_env([CODEMODS, "apply", "--branch", BRANCH], repo, env)
    assert_one_line_error(result, "no git identity", f"user.{missing}")
    assert not has_ref(repo, f"refs/heads/{BRANCH}")
    assert git_state(repo) == state and snapshot_stat(repo) == files


def test_identity_from_the_global_config_git_uses(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    config = write_tree(tmp_path, {"gitconfig": "[user]\n\tname = Global File\n\temail = global@example.invalid\n"})
    env = no_identity_env(tmp_path / "home", GIT_CONFIG_GLOBAL=str(config / "gitconfig"))
    probe = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=repo, env=env, capture_output=True, text=True)
    assert probe.stdout.startswith("Global File <global@example.invalid> "), probe
    result = run_env([CODEMODS, "apply", "--branch", BRANCH, "--only", "pin-requirements"], repo, env)
    assert result.code == 0, result
    assert git(repo, "log", "-1", "--format=%an <%ae>", BRANCH).strip() == "Global File <global@example.invalid>"


def test_detached_head(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    write_tree(repo, {"CHANGELOG.md": "later work\n"})
    commit_all(repo, "later work")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    detached = rev(repo, "HEAD")
    state, files = git_state(repo), snapshot_stat(repo)
    result = run_cli("apply", "--branch", "x", "--only", "pin-requirements", cwd=repo)
    assert result.code == 0, result
    [sha] = commits(repo, detached, "x")
    assert trailer(repo, sha) == "pin-requirements"
    assert git_status(repo, "cat-file", "-e", "x:CHANGELOG.md").returncode != 0
    assert git_status(repo, "symbolic-ref", "-q", "HEAD").returncode == 1, "HEAD is no longer detached"
    assert rev(repo, "HEAD") == detached
    assert without(git_state(repo), ref="refs/heads/x") == state and snapshot_stat(repo) == files
    # The PR description (on stdout) and the next command know there is no base branch.
    assert result.text.startswith("# build: pin unpinned requirements\n"), result
    assert f"from a detached HEAD (`{detached[:12]}`)" in result.text, result
    gh = [line for line in result.err.splitlines() if "gh pr create" in line]
    assert len(gh) == 1 and "--base" not in gh[0], result


def test_base_names_the_start_commit(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    start = rev(repo, "HEAD")
    git(repo, "tag", "release")
    write_tree(repo, {"CHANGELOG.md": "later work\n"})
    commit_all(repo, "later work")
    head = rev(repo, "HEAD")
    result = run_cli("apply", "--branch", "x", "--base", "release", "--only", "pin-requirements", cwd=repo)
    assert result.code == 0, result
    [sha] = commits(repo, start, "x")
    assert trailer(repo, sha) == "pin-requirements"
    assert (rev(repo, "HEAD"), git(repo, "symbolic-ref", "HEAD").strip()) == (head, "refs/heads/main")
    assert "--base release " in result.err and "from `release` (" in result.text, result


# name -> (arguments, words the one error line must hold)
USAGE_ERRORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "base-not-found": (("apply", "--branch", "x", "--base", "no-such-ref"), ("--base no-such-ref", "no such commit")),
    "patches-base-not-found": (
        ("diff", "--format", "patches", "--output", "PATCHES", "--base", "no-such-ref"), ("--base no-such-ref",)
    ),
    "invalid-branch-name": (("apply", "--branch", "bad..name"), ("--branch bad..name", "not a valid branch name")),
    "branch-with-a-space": (("apply", "--branch", "has space"), ("not a valid branch name",)),
    "verify-without-branch": (("apply", "--verify", "true"), ("--verify goes with --branch",)),
    "push-without-branch": (("apply", "--push", "origin"), ("--push goes with --branch",)),
    "pr-body-without-branch": (("apply", "--pr-body", "pr.md"), ("--pr-body goes with --branch",)),
    "base-without-branch": (("apply", "--base", "HEAD"), ("--base goes with --branch",)),
    "force-without-branch": (("apply", "--force"), ("--force goes with --branch",)),
    # The worktree exists when this is found: the error path must remove it.
    "uncommitted-path": (("apply", "--branch", "x", "src/scratch.py"), ("src/scratch.py", "commit it first")),
}


@dataclass
class UsageRuns:
    repo: Path
    results: dict[str, Result]
    state_before: dict[str, object]
    state_after: dict[str, object]
    files_before: dict[str, tuple[bytes, int, int]]
    files_after: dict[str, tuple[bytes, int, int]]
    patches: Path


@pytest.fixture(scope="module")
def usage_runs(bot_origin: Path, tmp_path_factory: pytest.TempPathFactory) -> UsageRuns:
    root = tmp_path_factory.mktemp("usage")
    repo = clone(bot_origin, root / "repo")
    write_tree(repo, {"src/scratch.py": UNTRACKED["src/scratch.py"]})
    patches = root / "patches"
    state, files = git_state(repo), snapshot_stat(repo)
    commands = [
        ((CODEMODS, *(str(patches) if a == "PATCHES" else a for a in args)), repo)
        for args, _ in USAGE_ERRORS.values()
    ]
    results = dict(zip(USAGE_ERRORS, run_parallel(*commands)))
    return UsageRuns(repo, results, state, git_state(repo), files, snapshot_stat(repo), patches)


@pytest.mark.parametrize("case", list(USAGE_ERRORS))
def test_usage_error_is_one_line_exit_2(usage_runs: UsageRuns, case: str) -> None:
    line = assert_one_line_error(usage_runs.results[case], *USAGE_ERRORS[case][1])
    assert line.startswith("codemods: error: "), line


def test_usage_errors_change_nothing(usage_runs: UsageRuns) -> None:
    assert usage_runs.state_after == usage_runs.state_before
    assert usage_runs.files_after == usage_runs.files_before
    assert worktrees(usage_runs.repo) == [str(usage_runs.repo)]
    assert not (usage_runs.repo / ".git" / "worktrees").exists() or not any((usage_runs.repo / ".git" / "worktrees").iterdir())
    assert not has_ref(usage_runs.repo, "refs/heads/x")
    assert not usage_runs.patches.exists() or not any(usage_runs.patches.iterdir())


def test_not_a_git_checkout(tmp_path: Path) -> None:
    bot = copy_bot(tmp_path / "bot")
    assert git_status(bot, "rev-parse", "--git-dir").returncode != 0, "tmp_path is inside a git repository"
    files = snapshot_stat(bot)
    branch, patches = run_parallel(
        ((CODEMODS, "apply", "--branch", "x"), bot),
        ((CODEMODS, "diff", "--format", "patches", "--output", tmp_path / "patches"), bot),
    )
    assert_one_line_error(branch, "not a git checkout")
    assert_one_line_error(patches, "not a git checkout")
    assert snapshot_stat(bot) == files
    assert not (tmp_path / "patches").exists() or not any((tmp_path / "patches").iterdir())


def test_patches_output_is_relative_to_the_current_folder(bot_origin: Path, tmp_path: Path) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    result = run_cli("diff", "--format", "patches", "--output", "out", "--only", "timestamp", cwd=repo / "src")
    assert result.code == 0, result
    assert not (repo / "out").exists(), "the patches went to the top of the checkout"
    assert sorted(p.name for p in (repo / "src" / "out").iterdir()) == [PATCH_NAMES[3].replace("0004", "0001")]


# -- 5: interrupts -------------------------------------------------------------------------

# phase "base": the signal arrives while --verify runs on the base (no commit yet);
# phase "commit": after the first commit exists in the worktree, while --verify checks it.
VERIFY_SLEEP = {
    "base": 'echo $$ > "$PIDFILE"; exec sleep 30',
    "commit": 'if [ -e "$PIDFILE.base" ]; then echo $$ > "$PIDFILE"; exec sleep 30; fi; touch "$PIDFILE.base"',
}


@pytest.mark.parametrize(
    "signum, phase",
    [(signal.SIGINT, "base"), (signal.SIGTERM, "base"), (signal.SIGINT, "commit"), (signal.SIGTERM, "commit")],
    ids=["SIGINT-base", "SIGTERM-base", "SIGINT-commit", "SIGTERM-commit"],
)
def test_interrupt_leaves_nothing_behind(bot_origin: Path, tmp_path: Path, signum: signal.Signals, phase: str) -> None:
    repo = clone(bot_origin, tmp_path / "repo")
    write_tree(repo, {"notes.txt": "untracked\n"})
    (repo / "README.md").write_bytes((repo / "README.md").read_bytes() + b"uncommitted\n")
    scratch = (tmp_path / "tmp").resolve()
    scratch.mkdir()
    pidfile = tmp_path / "verify.pid"
    state, files = git_state(repo), snapshot_stat(repo)
    proc = subprocess.Popen(
        [str(CODEMODS), "apply", "--branch", "x", "--only", "pin-requirements", "--verify", VERIFY_SLEEP[phase]],
        cwd=repo, env=clean_env({"TMPDIR": str(scratch), "PIDFILE": str(pidfile)}),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        # As a terminal's Ctrl-C finds it: a test run started in the background inherits
        # SIGINT ignored, and Python (rightly) leaves an ignored SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    sleeper = None
    try:
        temporary = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            listed = worktrees(repo)
            text = pidfile.read_text() if pidfile.exists() else ""
            if len(listed) == 2 and text.endswith("\n"):
                temporary, sleeper = Path(listed[1]), int(text)
                break
            time.sleep(0.05)
        assert temporary is not None, f"no worktree running --verify within 20 s (exit code {proc.poll()})"
        assert scratch in temporary.parents, temporary
        if phase == "commit":
            assert git(temporary, "log", "-1", "--format=%(trailers:key=Codemod,valueonly)").strip() == "pin-requirements"
        started = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
        waited = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if sleeper is not None and alive(sleeper):
            os.kill(sleeper, signal.SIGKILL)
            pytest.fail(f"the --verify command (pid {sleeper}) was still running after the interrupt")
    stderr = err.decode("utf-8", "replace")
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert stderr.splitlines()[-1:] == ["codemods: interrupted"], stderr
    assert "Traceback" not in stderr and out == b"", (out, stderr)
    assert waited < 15, f"took {waited:.1f} s: the tool waited for `sleep 30`"
    assert not has_ref(repo, "refs/heads/x")
    assert worktrees(repo) == [str(repo)]
    assert not temporary.exists() and not temporary.parent.exists()
    assert list(scratch.iterdir()) == [], "the temporary worktree folder was left behind"
    assert git_state(repo) == state and snapshot_stat(repo) == files
