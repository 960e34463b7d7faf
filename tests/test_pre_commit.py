"""The hooks of `.pre-commit-hooks.yaml`, run by real pre-commit in real git repositories.

pre-commit is pointed at a committed copy of this checkout's working tree
(`try-repo` would leave out untracked files and builds a fresh environment on
every call, in a store of its own), so the hooks tested are the ones in the
working tree, and the hooks' virtual environment is built once for the module
in a PRE_COMMIT_HOME under the module's temporary folder. HOME and the XDG
folders point there too: nothing touches the real home. Building that
environment pip-installs this project from the package index.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pytest

from conftest import CLOCK_SOURCE, REPO_ROOT, Result, clean_env, commit_all, git, init_repo, write_tree

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PRE_COMMIT.is_file(),
        reason=f"pre-commit is not installed next to {sys.executable} (pip install -e '.[test]')",
    ),
]

CHECK, SCAN = "codemods-check", "codemods-scan"
# A module with one site the timestamp codemod rewrites to the helper of app/clock.py.
HAND_WRITTEN = "import time\nts = int(time.time() * 1000)\n"
USES_HELPER = "from app.clock import get_timestamp\nts = get_timestamp()\n"
# A version source for pin-requirements: with it, `requests` is a line the codemod would pin.
PINS = '[tool.codemods.pin-requirements]\npins = { requests = "2.32.3" }\n'
CLEAN_PROJECT: dict[str, str] = {
    "app/__init__.py": "",
    "app/clock.py": CLOCK_SOURCE,
    "app/orders.py": USES_HELPER,
    "requirements.txt": "requests==2.32.3\n",
    "README.md": "A project that uses the codemods hooks.\n",
}


@dataclass
class Hooks:
    """The hooks repository (a committed copy of this checkout) and the environment to run pre-commit in."""

    repo: Path
    rev: str
    env: dict[str, str]
    names: dict[str, str]  # hook id -> the name pre-commit prints

    def config(self, *hook_ids: str) -> str:
        hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
        return f"repos:\n  - repo: {self.repo}\n    rev: {self.rev}\n    hooks:\n{hooks}"

    def project(self, root: Path, files: Mapping[str, str]) -> Path:
        """A git repository with ``files`` and a .pre-commit-config.yaml using both hooks, all committed."""
        init_repo(root)
        write_tree(root, {**files, ".pre-commit-config.yaml": self.config(CHECK, SCAN)})
        commit_all(root)
        return root

    def run(self, cwd: Path, *args: str, timeout: float = 300) -> Result:
        argv = [str(PRE_COMMIT), *args]
        proc = subprocess.run(
            argv, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
        )
        return Result(argv, proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))

    def commit(self, cwd: Path, message: str) -> Result:
        """`git commit` in this environment, so the installed hook uses the module's PRE_COMMIT_HOME."""
        argv = ["git", "commit", "-q", "-m", message]
        proc = subprocess.run(
            argv, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
        )
        return Result(argv, proc.returncode, proc.stdout, "")

    def pre_commit(self, cwd: Path, *args: str) -> Result:
        """`pre-commit run ARGS` with plain output."""
        return self.run(cwd, "run", "--color", "never", *args)

    def status(self, result: Result, hook_id: str) -> str:
        """What pre-commit printed for the hook: Passed, Failed or Skipped."""
        assert "Traceback" not in result.text, f"a hook crashed\n{result}"
        pattern = re.compile(rf"^{re.escape(self.names[hook_id])}(?:\.+|\.*\(no files to check\))(Passed|Failed|Skipped)$", re.M)
        found = pattern.findall(result.text)
        assert len(found) == 1, f"no single status line for {hook_id}\n{result}"
        return found[0]


def _copy_working_tree(dest: Path) -> None:
    """Every file git would see in the checkout (tracked or untracked, not ignored), as it is on disk now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, check=True,
    ).stdout.decode("utf-8", "surrogateescape")
    for relative in sorted(set(filter(None, listed.split("\0")))):
        source = REPO_ROOT / relative
        if not (source.is_file() or source.is_symlink()):  # deleted in the working tree
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    import yaml  # a dependency of pre-commit

    base = tmp_path_factory.mktemp("pre-commit")
    repo = init_repo(base / "codemods")
    _copy_working_tree(repo)
    commit_all(repo, "the working tree under test")
    rev = git(repo, "rev-parse", "HEAD").strip()
    names = {hook["id"]: hook["name"] for hook in yaml.safe_load((repo / ".pre-commit-hooks.yaml").read_text())}

    home = base / "home"
    env = clean_env(
        {
            "HOME": str(home),
            "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "PRE_COMMIT_COLOR": "never",
        }
    )
    for name in ("VIRTUAL_ENV", "PIP_USER", "PIP_REQUIRE_VIRTUALENV", "PRE_COMMIT_ALLOW_NO_CONFIG", "SKIP"):
        env.pop(name, None)
    hooks = Hooks(repo, rev, env, names)

    # Build the hooks' environment once, here, so a failure says it is the install that failed.
    warm = hooks.project(base / "warm-up", {"README.md": "warm-up\n"})
    installed = hooks.run(warm, "install-hooks", timeout=600)
    assert installed.code == 0, f"pre-commit could not build the hooks' environment\n{installed}"
    return hooks


def test_manifest_is_valid(hooks: Hooks) -> None:
    result = hooks.run(hooks.repo, "validate-manifest", str(hooks.repo / ".pre-commit-hooks.yaml"))
    assert result.code == 0, result
    assert set(hooks.names) == {CHECK, SCAN}


def test_clean_project_passes_both_hooks(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(tmp_path / "project", CLEAN_PROJECT)
    result = hooks.pre_commit(project, "--all-files")
    assert result.code == 0, result
    # Passed, not "(no files to check)Skipped": the hooks really ran on this project.
    assert hooks.status(result, CHECK) == "Passed", result
    assert hooks.status(result, SCAN) == "Passed", result


def test_check_fails_with_the_diff(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(tmp_path / "project", {**CLEAN_PROJECT, "app/orders.py": HAND_WRITTEN})
    result = hooks.pre_commit(project, CHECK, "--all-files")
    assert result.code == 1, result
    assert hooks.status(result, CHECK) == "Failed", result
    assert "- hook id: codemods-check\n- exit code: 1" in result.text, result
    for line in (
        "--- a/app/orders.py", "+++ b/app/orders.py",
        "-import time", "-ts = int(time.time() * 1000)",
        "+from app.clock import get_timestamp", "+ts = get_timestamp()",
    ):
        assert f"\n{line}\n" in result.text, f"{line!r} missing from the hook's output\n{result}"
    # A check writes nothing, so pre-commit sees no files modified by the hook.
    assert (project / "app" / "orders.py").read_text() == HAND_WRITTEN
    assert "files were modified by this hook" not in result.text, result

    # A timestamp site is a low-priority finding: the scan hook lets it through.
    scanned = hooks.pre_commit(project, SCAN, "--all-files")
    assert scanned.code == 0, scanned
    assert hooks.status(scanned, SCAN) == "Passed", scanned


@pytest.mark.parametrize(
    "version_source",
    [
        pytest.param({}, id="no-version-source"),  # pin-requirements refuses it, still unpinned
        pytest.param({"pyproject.toml": PINS}, id="fixable"),
    ],
)
def test_scan_fails_on_an_unpinned_requirement_until_it_is_pinned(
    hooks: Hooks, tmp_path: Path, version_source: dict[str, str]
) -> None:
    project = hooks.project(tmp_path / "project", {**CLEAN_PROJECT, **version_source, "requirements.txt": "requests\n"})
    result = hooks.pre_commit(project, SCAN, "--all-files")
    assert result.code == 1, result
    assert hooks.status(result, SCAN) == "Failed", result
    assert "- hook id: codemods-scan\n- exit code: 1" in result.text, result
    assert "requirements.txt:1" in result.text, result  # where the unpinned line is

    (project / "requirements.txt").write_text("requests==2.32.3\n")
    commit_all(project, "pin requests")
    pinned = hooks.pre_commit(project, SCAN, "--all-files")
    assert pinned.code == 0, pinned
    assert hooks.status(pinned, SCAN) == "Passed", pinned


def test_hooks_look_at_the_whole_checkout_only_when_relevant_files_change(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(
        tmp_path / "project",
        {**CLEAN_PROJECT, "app/orders.py": HAND_WRITTEN, "requirements.txt": "requests\n", "pyproject.toml": PINS},
    )
    # Only a README changes: neither hook runs.
    docs_only = hooks.pre_commit(project, "--files", "README.md")
    assert docs_only.code == 0, docs_only
    assert hooks.status(docs_only, CHECK) == "Skipped", docs_only
    assert hooks.status(docs_only, SCAN) == "Skipped", docs_only

    # Only the helper module changes: the hooks run on the whole checkout, so both
    # the site in app/orders.py and the line in requirements.txt are found.
    helper_only = hooks.pre_commit(project, "--files", "app/clock.py")
    assert helper_only.code == 1, helper_only
    assert hooks.status(helper_only, CHECK) == "Failed", helper_only
    assert hooks.status(helper_only, SCAN) == "Failed", helper_only
    for changed in ("+++ b/app/orders.py", "+++ b/requirements.txt"):
        assert changed in helper_only.text, helper_only


def test_installed_hook_stops_a_commit(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(tmp_path / "project", CLEAN_PROJECT)
    installed = hooks.run(project, "install")
    assert installed.code == 0, installed
    before = git(project, "rev-parse", "HEAD")

    write_tree(project, {"app/orders.py": HAND_WRITTEN})
    git(project, "add", "app/orders.py")
    refused = hooks.commit(project, "hand-written timestamp")
    assert refused.code != 0, refused
    assert hooks.status(refused, CHECK) == "Failed", refused
    assert "+ts = get_timestamp()" in refused.text, refused
    assert git(project, "rev-parse", "HEAD") == before

    write_tree(project, {"app/orders.py": USES_HELPER + "LABEL = 'bot'\n"})
    git(project, "add", "app/orders.py")
    accepted = hooks.commit(project, "use the helper")
    assert accepted.code == 0, accepted
    assert hooks.status(accepted, CHECK) == "Passed", accepted
    assert git(project, "rev-parse", "HEAD") != before
