"""Renderers: the patch, the human summary and the JSON document, as values."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from rich.text import Text

from codemods import __version__, diffing
from codemods.models import PHASES, FileResult, Finding, Kind, Status, Summary

if TYPE_CHECKING:
    from codemods.series import Series, Step

MAX_LISTED_FINDINGS = 40
MAX_SKIPPED_PER_REASON = 10


def patch(results: Sequence[FileResult]) -> bytes:
    """The whole run as one patch ``git apply`` accepts."""
    return diffing.patch((r.path, r.before, r.after) for r in results if r.after is not None)


def colorize(data: bytes) -> Text:
    """The patch for a terminal: headers bold, hunks cyan, removals red, additions green."""
    text = Text()
    for raw in diffing.split_lines(data):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith(("diff --git", "--- ", "+++ ", "new file mode", "deleted file mode")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(line + "\n", style=style)
    return text


def summary_text(
    command: str,
    summary: Summary,
    results: Sequence[FileResult],
    behaviour_changes: dict[str, tuple[str, ...]],
) -> str:
    """The short report on stderr after a run."""
    verb = "would change" if command == "diff" else "changed"
    lines = [
        f"codemods {command}: {plural(summary.considered, 'file')} considered, {summary.parsed} parsed, "
        f"{summary.changed} {verb}, {summary.created} created, {summary.skipped} skipped, "
        f"{summary.errors} failed; {plural(summary.skipped_sites, 'site')} left alone; {summary.elapsed:.2f}s"
        + (f" ({summary.cached} from the cache)" if summary.cached else "")
    ]
    for name, count in sorted(summary.changes.items()):
        lines.append(f"  {name}: {plural(count, 'change')}")
    for name, notes in sorted(behaviour_changes.items()):
        for note in notes:
            lines.append(f"  behaviour change ({name}): {note}")
    lines.extend(_skipped_files_block([r for r in results if r.status is Status.SKIPPED]))
    lines.extend(_findings_block(summary.findings))
    return "\n".join(lines) + "\n"


def timings_text(summary: Summary) -> str:
    """`--timings`: the run's own phases (wall clock), then the per-file phases (CPU, all workers)."""
    run_phases = [p for p in ("discovery", "plan", "cache", "files", "finish", "diff") if p in summary.timings]
    file_phases = [p for p in PHASES if p in summary.timings]
    lines = ["timings (wall): " + ", ".join(f"{p} {summary.timings[p]:.3f}s" for p in run_phases)]
    if file_phases:
        lines.append("per file (CPU, summed over workers): " + ", ".join(f"{p} {summary.timings[p]:.3f}s" for p in file_phases))
    return "\n".join(lines) + "\n"


def plural(number: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _skipped_files_block(skipped: Sequence[FileResult]) -> list[str]:
    """Skipped files grouped by reason: a checkout of generated code lists a few, then counts."""
    if not skipped:
        return []
    by_reason: dict[str, list[str]] = {}
    for result in skipped:
        by_reason.setdefault(result.error or "skipped", []).append(result.path)
    lines = ["skipped files:"]
    for reason, paths in by_reason.items():
        shown = paths if len(paths) <= MAX_SKIPPED_PER_REASON else paths[: MAX_SKIPPED_PER_REASON - 1]
        lines.extend(f"  {path}: {reason}" for path in shown)
        if len(shown) < len(paths):
            lines.append(f"  ... and {len(paths) - len(shown)} more: {reason} (see --json)")
    return lines


def _findings_block(findings: Sequence[Finding]) -> list[str]:
    lines: list[str] = []
    titles = {
        Kind.BUG: "codemod bugs (output dropped):",
        Kind.WARNING: "warnings:",
        Kind.BEHAVIOUR: "behaviour changes (results differ on purpose):",
        Kind.SKIPPED: "skipped sites:",
        Kind.NOTE: "notes:",
    }
    for kind, title in titles.items():
        group = [f for f in findings if f.kind is kind]
        if not group:
            continue
        lines.append(title)
        for finding in group[:MAX_LISTED_FINDINGS]:
            where = f"{finding.location()}: " if finding.path else ""
            lines.append(f"  {where}{finding.codemod}: {finding.message}")
        if len(group) > MAX_LISTED_FINDINGS:
            lines.append(f"  ... and {len(group) - MAX_LISTED_FINDINGS} more (see --json)")
    return lines


def failures_text(failures: Sequence[tuple[str, str]]) -> str:
    """One `path:line: reason` line per file that could not be processed."""
    return "".join(f"{path}:{reason}\n" if reason[:1].isdigit() else f"{path}: {reason}\n" for path, reason in failures)


def json_document(
    command: str,
    root: str,
    summary: Summary,
    results: Sequence[FileResult],
    behaviour_changes: dict[str, tuple[str, ...]],
    exit_code: int,
) -> str:
    files: list[dict[str, Any]] = []
    for result in results:
        if result.status in (Status.UNCHANGED, Status.FILTERED) and not result.findings:
            continue
        diff = diffing.unified_diff(result.path, result.before, result.after) if result.after is not None else b""
        files.append(
            {
                "path": result.path,
                "status": result.status.value,
                "changes": dict(sorted(result.changes.items())),
                "findings": [f.to_dict() for f in result.findings],
                "error": result.error,
                # Lossless: bytes that are not UTF-8 (a latin-1 file) become \udcXX
                # escapes, which json.loads + encode("utf-8", "surrogateescape") restore.
                "diff": diff.decode("utf-8", "surrogateescape"),
            }
        )
    in_files = {id(f) for r in results for f in r.findings}
    document = {
        "tool": "codemods",
        "version": __version__,
        "command": command,
        "root": root,
        "exit_code": exit_code,
        "summary": summary.to_dict(),
        "behaviour_changes": {k: list(v) for k, v in sorted(behaviour_changes.items())},
        "files": files,
        "findings": [f.to_dict() for f in summary.findings if id(f) not in in_files],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False)
    # Lone surrogates cannot be encoded to UTF-8 output: escape just those.
    return text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n"


def series_text(
    series: Series,
    branch: str | None,
    patches: Sequence[Path],
    pr_body: Path | None,
    pushed_to: str | None,
    base_branch: str | None,
    title: str,
) -> str:
    """The short report on stderr after `apply --branch` or `diff --format patches`."""
    landed = series.landed
    if branch is not None:
        what = f"codemods apply --branch {branch}"
        head = (f"{plural(len(landed), 'commit')} on {branch}" if landed else "nothing to commit; no branch created")
    else:
        what = "codemods diff --format patches"
        head = f"{plural(len(patches), 'patch file')} written" if landed else "nothing to change; no patch written"
    lines = [f"{what}: {head} (base {series.base[:12]})"]
    lines += [f"  {step.codemod}: {_step_line(step)}" for step in series.steps]
    for step in series.steps:
        lines += [f"  behaviour change ({step.codemod}): {note}" for note in step.behaviour if step.commit]
    if not landed:
        return "\n".join(lines) + "\n"
    if branch is None:
        lines.append("patches:")
        lines += [f"  {path}" for path in patches]
        if patches:
            lines.append(f"next: git am {shlex.quote(str(patches[0].parent))}/*.patch   (on a clean checkout of the base)")
        return "\n".join(lines) + "\n"
    lines.append(f"PR description: {pr_body if pr_body is not None else 'on stdout'}")
    quoted = shlex.quote(branch or "")
    steps = [] if pushed_to else [f"git push --set-upstream origin {quoted}"]
    body = shlex.quote(str(pr_body)) if pr_body is not None else "pr.md   (save it with --pr-body pr.md)"
    on = f" --base {shlex.quote(base_branch)}" if base_branch else ""
    steps.append(f"gh pr create --head {quoted}{on} --title {shlex.quote(title)} --body-file {body}")
    if pushed_to:
        lines.append(f"pushed to {pushed_to}")
    lines.append("next:")
    lines += [f"  {line}" for line in steps]
    return "\n".join(lines) + "\n"


def _step_line(step: Step) -> str:
    if step.dropped and step.verification is not None:
        last = (step.verification.tail.strip().splitlines() or ["no output"])[-1].strip()
        return f"dropped: `{step.verification.command}` failed after it ({last})"
    left = f", {plural(len(step.left_alone), 'site')} left alone" if step.left_alone else ""
    if step.commit is None:
        failed = f", {plural(len(step.failures), 'file')} failed" if step.failures else ""
        why = f" (`codemods diff --only {step.codemod}` says why)" if left or failed else ""
        return f"nothing to change{left}{failed}{why}"
    tested = "" if step.verification is None else ", tests pass"
    return f"{plural(step.changes, 'change')} in {plural(len(step.files), 'file')}: {step.commit[:12]}{tested}{left}"


def series_json(series: Series, branch: str | None, patches: Sequence[Path], pushed: bool) -> str:
    document = {
        "tool": "codemods",
        "version": __version__,
        "branch": branch if series.landed else None,
        "base": series.base,
        "head": series.head,
        "pushed": pushed,
        "patches": [str(p) for p in patches],
        "steps": [
            {
                "codemod": step.codemod,
                "subject": step.subject,
                "commit": step.commit,
                "dropped": step.dropped,
                "tests_passed": None if step.verification is None else step.verification.passed,
                "verify_output": None if step.verification is None else step.verification.tail,
                "files": [{"path": f.path, "changes": f.changes, "created": f.created} for f in step.files],
                "behaviour_changes": list(step.behaviour),
                "findings": [f.to_dict() for f in step.findings],
                "failures": [{"path": p, "error": e} for p, e in step.failures],
            }
            for step in series.steps
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
