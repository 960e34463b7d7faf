"""Git at the edge: a throwaway worktree, commits, a branch, a push, a patch series.

Everything here goes through gitpython's command wrapper, so git itself decides
what a ref, an identity or a worktree is. Nothing touches the user's working
tree, index, stash or current branch: work happens in a detached worktree under
the system's temporary folder, and the only ref ever written is the branch the
user asked for, once every commit exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import git

TRAILER = "Codemod"


class GitProblem(Exception):
    """Git cannot do what was asked; the message is the whole one-line report."""


@dataclass(frozen=True)
class Identity:
    """Who the commits are by: author and committer, as git would pick them."""

    author_name: str
    author_email: str
    committer_name: str
    committer_email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.author_name,
            "GIT_AUTHOR_EMAIL": self.author_email,
            "GIT_COMMITTER_NAME": self.committer_name,
            "GIT_COMMITTER_EMAIL": self.committer_email,
        }


def open_repo(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        raise GitProblem(f"{path}: not a git checkout (--branch and --format patches need one)") from None


def top_level(repo: git.Repo) -> Path:
    if repo.working_tree_dir is None:
        raise GitProblem(f"{repo.git_dir}: a bare repository has no checkout to clean up")
    return Path(repo.working_tree_dir).resolve()


def identity(repo: git.Repo) -> Identity:
    """The user's identity as git itself would read it, but never guessed from the host name.

    Asked of the git binary (`git config --get`), not of a config parser, so that
    GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM, GIT_CONFIG_COUNT and includes count
    exactly as they do for the user's own commits. The order is git's: the
    GIT_<ROLE>_* variables, then <role>.name/email, then user.name/email, then
    EMAIL for the address.
    """

    def config(key: str) -> str:
        try:
            return repo.git.config("--get", key).strip()
        except git.exc.GitCommandError:  # exit 1: not set anywhere
            return ""

    def pick(role: str, field: str) -> str:
        value = os.environ.get(f"GIT_{role}_{field.upper()}", "").strip()
        value = value or config(f"{role.lower()}.{field}") or config(f"user.{field}")
        if not value and field == "email":
            value = os.environ.get("EMAIL", "").strip()
        if not value:
            raise GitProblem(
                f"no git identity: user.{field} is not set (run `git config --global user.{field} ...`, "
                "or set it in this repository)"
            )
        return value

    return Identity(pick("AUTHOR", "name"), pick("AUTHOR", "email"), pick("COMMITTER", "name"), pick("COMMITTER", "email"))


def resolve_commit(repo: git.Repo, ref: str) -> str:
    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except git.exc.GitCommandError:
        raise GitProblem(f"--base {ref}: no such commit, branch or tag in {top_level(repo)}") from None


def branch_exists(repo: git.Repo, name: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{name}")
    except git.exc.GitCommandError:
        return False
    return True


def check_branch_name(repo: git.Repo, name: str) -> None:
    try:
        repo.git.check_ref_format("--branch", name)
    except git.exc.GitCommandError:
        raise GitProblem(f"--branch {name}: not a valid branch name") from None


def checked_out_at(repo: git.Repo, name: str) -> Path | None:
    """The worktree (the main checkout included) that has branch ``name`` checked out, if any.

    Asked before any work so that `--force` on the branch someone is standing on
    is refused at once, not after every codemod has run.
    """
    listed = repo.git.worktree("list", "--porcelain")
    path = None
    for line in listed.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line == f"branch refs/heads/{name}":
            return path
    return None


@contextlib.contextmanager
def worktree(repo: git.Repo, commit: str) -> Iterator[git.Repo]:
    """A detached worktree at ``commit`` in a temporary folder, removed whatever happens.

    SIGTERM and SIGHUP are turned into KeyboardInterrupt for the duration, so a
    killed run still reaches the clean-up below (Ctrl-C already raises).
    """
    folder = Path(tempfile.mkdtemp(prefix="codemods-worktree-"))
    path = folder / "checkout"
    previous = _interrupt_on((signal.SIGTERM, signal.SIGHUP))
    try:
        repo.git.worktree("add", "--detach", "--quiet", str(path), commit)
        yield git.Repo(path)
    finally:
        try:
            with contextlib.suppress(git.exc.GitCommandError):
                repo.git.worktree("remove", "--force", "--force", str(path))
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(git.exc.GitCommandError):
                repo.git.worktree("prune")
        finally:
            _restore(previous)


def commit(tree: git.Repo, paths: Sequence[str], message: str, who: Identity) -> str:
    """Commit exactly ``paths`` (relative to the worktree) and return the new commit's id."""
    tree.git.add("--all", "--", *paths)
    # --no-verify: the project's hooks judge the user's commits, not this tool's
    # (a formatter hook would rewrite the codemod's output behind its back).
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as handle:
        handle.write(message)
    try:
        tree.git.commit("--no-verify", "--quiet", "--no-gpg-sign", "--cleanup=strip", "-F", handle.name, env=who.env())
    finally:
        os.unlink(handle.name)
    return tree.head.commit.hexsha


def reset(tree: git.Repo, commit: str) -> None:
    """Back to ``commit``, with every file a command may have left behind removed."""
    tree.git.reset("--hard", "--quiet", commit)
    tree.git.clean("-fdxq")


def create_branch(repo: git.Repo, name: str, commit: str, force: bool) -> None:
    try:
        repo.git.branch(*(("--force",) if force else ()), name, commit)
    except git.exc.GitCommandError as exc:
        raise GitProblem(f"--branch {name}: {_git_error(exc)}") from None


def push(repo: git.Repo, remote: str, name: str, force: bool) -> None:
    try:
        repo.git.push(*(("--force",) if force else ()), "--quiet", remote, f"refs/heads/{name}:refs/heads/{name}")
    except git.exc.GitCommandError as exc:
        raise GitProblem(f"--push {remote}: {_git_error(exc)}") from None


def format_patches(repo: git.Repo, base: str, head: str, output: Path) -> list[Path]:
    """``git format-patch`` of base..head into ``output``: one numbered file per commit."""
    # gitpython runs git at the top of the checkout: a relative folder must be
    # made absolute here, against the folder the user typed it in.
    output = output.absolute()
    output.mkdir(parents=True, exist_ok=True)
    listed = repo.git.format_patch("--no-signature", "-o", str(output), f"{base}..{head}")
    return [Path(line) for line in listed.splitlines() if line.strip()]


def current_branch(repo: git.Repo) -> str | None:
    """The branch HEAD is on (a PR's natural base); None when HEAD is detached."""
    try:
        return repo.active_branch.name
    except TypeError:
        return None


def _git_error(exc: git.exc.GitCommandError) -> str:
    """The line of git's stderr that says why: its first fatal/error line, else its first line.

    gitpython wraps stderr as ``\n  stderr: '...'``; git's reason comes first and
    its advice ("Please make sure you have the correct access rights") after.
    """
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc)
    text = text.strip()
    if text.startswith("stderr: '") and text.endswith("'"):
        text = text[len("stderr: '"):-1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reasons = [line for line in lines if line.startswith(("fatal: ", "error: "))]
    chosen = (reasons or lines or ["git failed"])[0]
    return chosen.removeprefix("fatal: ").removeprefix("error: ")


def _interrupt_on(signals: Sequence[signal.Signals]) -> dict[signal.Signals, Any]:
    def interrupt(number: int, frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(number).name)

    previous = {}
    for number in signals:
        try:
            previous[number] = signal.signal(number, interrupt)
        except ValueError:  # not the main thread: leave signals alone
            break
    return previous


def _restore(previous: dict[signal.Signals, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)
