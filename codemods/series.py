"""One commit per codemod, built in a throwaway worktree: the cleanup branch and its patch series.

Each codemod runs alone on what the commits before it left, so every commit
holds exactly that codemod's edits, the series applies in order, and a commit
dropped by ``--verify`` takes nothing of the others with it. The user's
checkout is only read: its configuration and the paths they named are mapped
into the worktree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import git

from codemods import api, registry, vcs
from codemods.models import Finding, Kind, Options, Status
from codemods.render import plural

OUTPUT_TAIL_LINES = 30  # of a failing --verify run, kept for the summary and the PR body


class SeriesProblem(Exception):
    """The series cannot be built as asked; the message is the whole one-line report."""


@dataclass(frozen=True)
class Verification:
    command: str
    passed: bool
    tail: str  # the last lines of its combined output


@dataclass(frozen=True)
class FileChange:
    path: str
    changes: int  # sites rewritten in this file
    created: bool = False


@dataclass(frozen=True)
class Step:
    """What one codemod did on the branch."""

    codemod: str
    subject: str
    files: tuple[FileChange, ...] = ()
    findings: tuple[Finding, ...] = ()  # what it reported: sites left alone, warnings, notes
    behaviour: tuple[str, ...] = ()  # deliberate behaviour changes, in the codemod's words
    failures: tuple[tuple[str, str], ...] = ()  # files it could not process: (path, reason)
    commit: str | None = None  # None when it changed nothing or its commit was dropped
    verification: Verification | None = None

    @property
    def changes(self) -> int:
        return sum(f.changes for f in self.files)

    @property
    def dropped(self) -> bool:
        return self.verification is not None and not self.verification.passed

    @property
    def left_alone(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind in (Kind.SKIPPED, Kind.WARNING, Kind.BUG))


@dataclass(frozen=True)
class Series:
    base: str  # the commit the series starts from
    head: str  # its last kept commit (the base when nothing landed)
    steps: tuple[Step, ...]
    verify: str | None = None

    @property
    def landed(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.commit is not None)


def subject(cls: type) -> str:
    return getattr(cls, "COMMIT_SUBJECT", "") or f"refactor: apply the {cls.NAME} codemod"


def message(step: Step) -> str:
    """The commit message: subject, what changed where, behaviour notes, the trailer."""
    lines = [step.subject, ""]
    lines.append(f"{plural(step.changes, 'change')} in {plural(len(step.files), 'file')}:")
    for change in step.files:
        lines.append(f"- {change.path}: {'created' if change.created else plural(change.changes, 'change')}")
    if step.behaviour:
        lines += ["", "Behaviour changes (on purpose):"]
        lines += [f"- {note}" for note in step.behaviour]
    skipped = step.left_alone
    if skipped:
        lines += ["", f"Left alone: {plural(len(skipped), 'site')} (listed in the PR description)."]
    lines += ["", f"{vcs.TRAILER}: {step.codemod}"]
    return "\n".join(lines) + "\n"


def build(
    repo: git.Repo,
    base: str,
    paths: Sequence[Path],
    options: Options,
    who: vcs.Identity,
    verify: str | None = None,
    cwd: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Series:
    """Commit each selected codemod's changes on top of ``base`` in a temporary worktree.

    ``paths`` and ``options`` are those of the user's checkout; ``cwd`` (default:
    the current folder) is where ``verify`` runs, mapped into the worktree.
    """
    top = vcs.top_level(repo)
    relative_paths = [_inside(top, p) for p in paths]
    names = [cls.NAME for cls in registry.select(options.only, options.skip)]
    steps: list[Step] = []
    with vcs.worktree(repo, base) as tree:
        root = vcs.top_level(tree)
        mapped = dataclasses.replace(
            options, root=root / _inside(top, options.root), project_root=root / _inside(top, options.project_root)
        )
        targets = [root / p for p in relative_paths]
        for target, path in zip(targets, paths):
            if not target.exists():
                raise SeriesProblem(f"{path}: not in {base[:12]} (the branch is built from committed files; commit it first)")
        where = _mapped(top, root, cwd or Path.cwd())
        if verify is not None:
            if progress:
                progress("verifying the base")
            baseline = run_verify(verify, where)
            vcs.reset(tree, base)
            if not baseline.passed:
                last = baseline.tail.strip().splitlines()[-1:] or ["no output"]
                raise SeriesProblem(
                    f"--verify: `{verify}` already fails on {base[:12]} ({last[0].strip()}); "
                    "fix the tests first or run without --verify"
                )
        head = base
        for name in names:
            if progress:
                progress(name)
            step, head = _step(tree, name, head, targets, mapped, who, verify, where)
            steps.append(step)
    return Series(base, head, tuple(steps), verify)


def run_verify(command: str, cwd: Path) -> Verification:
    """The project's own test command, through the shell, in the worktree."""
    # A session of its own, so an interrupt can stop the whole command (the shell
    # and the test runner under it), not only the shell.
    process = subprocess.Popen(
        command, shell=True, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        data, _ = process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    output = data.decode("utf-8", "replace").rstrip("\n").splitlines()
    return Verification(command, process.returncode == 0, "\n".join(output[-OUTPUT_TAIL_LINES:]))


def _step(
    tree: git.Repo,
    name: str,
    head: str,
    targets: list[Path],
    options: Options,
    who: vcs.Identity,
    verify: str | None,
    where: Path,
) -> tuple[Step, str]:
    cls = registry.get(name)
    run = api.run_paths(targets, dataclasses.replace(options, only=(name,), skip=()))
    failed = api.write(run.modified, options.root)
    run.mark_failed(failed)
    findings = tuple(run.findings) + tuple(f for r in run.results for f in r.findings)
    files = tuple(
        FileChange(r.path, r.changes.get(name, 0), r.status is Status.CREATED)
        for r in run.results
        if r.modified and r.status is not Status.ERROR
    )
    step = Step(
        codemod=name,
        subject=subject(cls),
        files=files,
        findings=findings,
        behaviour=run.behaviour_changes.get(name, ()),
        failures=tuple((r.path, r.error or "") for r in run.results if r.status is Status.ERROR),
    )
    if not files:
        vcs.reset(tree, head)  # a failed write may have left a temporary file
        return step, head
    written = [_inside(vcs.top_level(tree), options.root / f.path).as_posix() for f in files]
    sha = vcs.commit(tree, written, message(step), who)
    if verify is None:
        return dataclasses.replace(step, commit=sha), sha
    verification = run_verify(verify, where)
    if verification.passed:
        vcs.reset(tree, sha)
        return dataclasses.replace(step, commit=sha, verification=verification), sha
    vcs.reset(tree, head)  # the commit is dropped; the next codemod starts without it
    return dataclasses.replace(step, verification=verification), head


def _mapped(top: Path, root: Path, folder: Path) -> Path:
    """``folder`` of the checkout as the same folder of the worktree (its top when there is none)."""
    try:
        mapped = root / folder.resolve().relative_to(top)
    except ValueError:
        return root
    return mapped if mapped.is_dir() else root


def _inside(top: Path, path: Path) -> Path:
    """``path`` relative to the repository's top level; refuses a path outside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(top)
    except ValueError:
        raise SeriesProblem(f"{path}: outside the git checkout {top}") from None
