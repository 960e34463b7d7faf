"""Run every codemod over a tree with the real console script and check what it did.

The protocol (``run_corpus``) on a clean git checkout:

1. snapshot the tree (path -> bytes);
2. ``codemods diff --json`` with the selection: what it announces;
3. snapshot again: a dry run writes nothing;
4. ``codemods apply --json`` with the same selection, then snapshot;
5. ``codemods diff --json`` again: a second run changes nothing;
6. the patch of step 2, ``git apply -R`` on the result and ``git apply`` again:
   the patch shown is exactly what apply wrote.

The comparison is a ``CorpusReport``; ``check(report)`` lists the properties it
violates (empty when all hold). Nothing here asserts or prints: the tests do.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from conftest import clean_env

CODEMODS = Path(sys.executable).parent / "codemods"
IGNORED_DIRS = frozenset({".git", ".codemods_cache", "__pycache__"})  # the tool's own cache is no change
# `path:line: reason` errors that are the input's fault (a file the tool cannot
# parse), not the tool's: listed in the report, never a violation.
INPUT_ERROR = re.compile(r"^\d+: (syntax error|libcst cannot parse|cannot parse)")
REFUSAL_KINDS = ("skipped", "warning")  # findings that leave a site alone, with the reason


@dataclass(frozen=True)
class CliRun:
    """One invocation of the console script: exit code, parsed JSON (None if stdout was not JSON), stderr."""

    argv: tuple[str, ...]
    code: int
    document: Mapping[str, Any] | None
    stderr: str

    def files(self) -> list[Mapping[str, Any]]:
        return list(self.document["files"]) if self.document else []

    def findings(self) -> list[Mapping[str, Any]]:
        """Every finding: those of the files and the run's own."""
        if not self.document:
            return []
        return [f for entry in self.files() for f in entry["findings"]] + list(self.document["findings"])

    def changes(self) -> dict[str, int]:
        return dict(self.document["summary"]["changes"]) if self.document else {}

    def changed_paths(self) -> set[str]:
        """Files the run shows a diff for (changed or created)."""
        return {entry["path"] for entry in self.files() if entry["diff"]}


@dataclass(frozen=True)
class Refusal:
    """A site a codemod found and left alone, and why."""

    codemod: str
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class CorpusReport:
    """What one run of the protocol found; paths are relative to the tree's root."""

    codemods: tuple[str, ...]
    files: int  # files in the tree before
    changed: list[str]  # bytes differ after apply (created and deleted files included)
    created: list[str]
    announced: list[str]  # files the first `diff --json` shows a diff for
    sites: dict[str, int]  # codemod -> sites changed, from the first diff
    applied_sites: dict[str, int]  # the same from `apply --json`
    files_per_codemod: dict[str, int]
    refusals: dict[str, list[Refusal]]
    input_errors: list[str]  # `path: reason` of files the tool could not read or parse
    crashes: list[str] = field(default_factory=list)  # the tool's own failures
    diff_wrote: list[str] = field(default_factory=list)  # files the dry run modified
    unparsable: list[str] = field(default_factory=list)  # `path: error`, parsed before, not after apply
    unannounced: list[str] = field(default_factory=list)  # changed, but diff showed no change
    unapplied: list[str] = field(default_factory=list)  # diff showed a change, apply made none
    newline_changed: list[str] = field(default_factory=list)  # a changed file's line-ending style changed
    second_run: list[str] = field(default_factory=list)  # what the diff after apply would still do
    patch_mismatch: list[str] = field(default_factory=list)  # the shown patch is not what apply wrote
    elapsed: dict[str, float] = field(default_factory=dict)  # seconds per step, as the tool reported


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except git's and the tool's cache: relative posix path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not IGNORED_DIRS & set(path.relative_to(root).parts)
    }


def run_json(root: Path, *args: str, timeout: float = 900) -> CliRun:
    """Run the installed console script in ``root``; stdout is expected to be one JSON document."""
    argv = (str(CODEMODS), *args)
    proc = subprocess.run(
        argv, cwd=root, env=clean_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
    )
    try:
        document = json.loads(proc.stdout.decode("utf-8"))
    except ValueError:
        document = None
    return CliRun(argv, proc.returncode, document, proc.stderr.decode("utf-8", "replace"))


def every_codemod(root: Path) -> tuple[str, ...]:
    """Every codemod `codemods list` shows in ``root``: built-in, opt-in and the project's plugins."""
    proc = subprocess.run(
        [str(CODEMODS), "list"], cwd=root, env=clean_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, check=True,
    )
    return tuple(line.split()[0] for line in proc.stdout.decode().splitlines() if line.strip())


def parse_error(path: str, data: bytes) -> str | None:
    """Why a Python file does not compile (decoded as Python decodes it), or None."""
    if not path.endswith((".py", ".pyi")):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like are not errors
        try:
            compile(data, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"{getattr(exc, 'lineno', 0) or 0}: {getattr(exc, 'msg', None) or exc}"
    return None


def newline_style(data: bytes) -> frozenset[bytes]:
    """The line terminators a file uses."""
    crlf = data.count(b"\r\n")
    counts = {b"\r\n": crlf, b"\n": data.count(b"\n") - crlf, b"\r": data.count(b"\r") - crlf}
    return frozenset(ending for ending, count in counts.items() if count)


def run_corpus(root: Path, codemods: Sequence[str], *extra: str) -> CorpusReport:
    """The whole protocol on ``root`` (a clean git checkout: apply writes to it)."""
    selection = [arg for name in codemods for arg in ("--only", name)] + list(extra)
    before = snapshot(root)
    diff = run_json(root, "diff", "--json", *selection)
    after_diff = snapshot(root)
    apply = run_json(root, "apply", "--json", *selection)
    after = snapshot(root)
    second = run_json(root, "diff", "--json", *selection)

    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    announced = diff.changed_paths()
    per_codemod: Counter[str] = Counter(name for entry in diff.files() for name in entry["changes"])
    refusals: dict[str, list[Refusal]] = {name: [] for name in codemods}
    for finding in diff.findings():
        if finding["kind"] in REFUSAL_KINDS:
            refusals.setdefault(finding["codemod"], []).append(
                Refusal(finding["codemod"], finding["path"], finding["line"], finding["message"])
            )
    report = CorpusReport(
        codemods=tuple(codemods),
        files=len(before),
        changed=changed,
        created=sorted(after.keys() - before.keys()),
        announced=sorted(announced),
        sites=diff.changes(),
        applied_sites=apply.changes(),
        files_per_codemod=dict(per_codemod),
        refusals=refusals,
        input_errors=[f"{e['path']}: {e['error']}" for e in diff.files() if _input_error(e)],
        elapsed={
            name: run.document["summary"]["elapsed_seconds"]
            for name, run in (("diff", diff), ("apply", apply), ("second diff", second))
            if run.document
        },
    )
    for name, run in (("diff", diff), ("apply", apply), ("second diff", second)):
        report.crashes.extend(f"{name}: {problem}" for problem in _crashes(run))
    report.diff_wrote = sorted(p for p in before.keys() | after_diff.keys() if before.get(p) != after_diff.get(p))
    report.unannounced = sorted(set(changed) - announced)
    report.unapplied = sorted(announced - set(changed))
    for path in changed:
        old, new = before.get(path), after.get(path)
        if new is None:
            continue
        error = parse_error(path, new)
        if error and (old is None or parse_error(path, old) is None):
            report.unparsable.append(f"{path}:{error}")
        if old is not None and len(newline_style(old)) == 1 and newline_style(new) - newline_style(old):
            report.newline_changed.append(path)
    failed_before = {e["path"] for e in diff.files() if e["status"] == "error"}
    for entry in second.files():
        if entry["diff"]:
            report.second_run.append(f"{entry['path']}: would change again ({', '.join(entry['changes']) or '?'})")
        elif entry["status"] == "error" and entry["path"] not in failed_before:
            report.second_run.append(f"{entry['path']}: cannot be processed after apply: {entry['error']}")
    if second.changes():
        report.second_run.append(f"sites changed by the second run: {second.changes()}")
    report.patch_mismatch = _patch_round_trip(root, diff, announced, before, after)
    return report


def _input_error(entry: Mapping[str, Any]) -> bool:
    return entry["status"] == "error" and bool(INPUT_ERROR.match(entry["error"] or ""))


def _crashes(run: CliRun) -> list[str]:
    """The tool's own failures in one run: bad exit code, traceback, no JSON, codemod crashes, bugs it caught."""
    problems = []
    if run.document is None:
        problems.append(f"exit code {run.code}, stdout is not a JSON document: {run.stderr.strip()[-2000:]}")
        return problems
    if "Traceback (most recent call last)" in run.stderr:
        problems.append(f"traceback on stderr: {run.stderr.strip()[-2000:]}")
    errors = [e for e in run.files() if e["status"] == "error"]
    problems.extend(f"{e['path']}: {e['error']}" for e in errors if not _input_error(e))
    problems.extend(
        f"{f['path']}:{f['line']}: {f['codemod']}: {f['message']}" for f in run.findings() if f["kind"] == "bug"
    )
    if run.code not in (0, 3) or (run.code == 3) != bool(errors):
        problems.append(f"exit code {run.code} with {len(errors)} failed files")
    return problems


def _patch_round_trip(
    root: Path, diff: CliRun, announced: set[str], before: dict[str, bytes], after: dict[str, bytes]
) -> list[str]:
    """Reverse the first diff's patch on the applied tree (must give the original files), then apply it again."""
    patch = b"".join(entry["diff"].encode("utf-8", "surrogateescape") for entry in diff.files() if entry["diff"])
    if not patch:
        return []
    patch_file = root / ".git" / "corpus-harness.patch"
    patch_file.write_bytes(patch)
    problems = []
    for flags, expected, what in ((["-R"], before, "reversed"), ([], after, "re-applied")):
        proc = subprocess.run(
            ["git", "-c", "core.autocrlf=false", "apply", "--whitespace=nowarn", *flags, str(patch_file)],
            cwd=root, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        if proc.returncode != 0:
            problems.append(f"the diff does not apply {what}: {proc.stderr.decode(errors='replace').strip()}")
            break
        now = snapshot(root)
        problems.extend(
            f"{path}: the diff {what} on apply's result differs from the tree {'before' if flags else 'after'} apply"
            for path in sorted(announced)
            if now.get(path) != expected.get(path)
        )
    return problems


def check(report: CorpusReport) -> list[str]:
    """The violated properties, one line each; empty when every property holds."""
    groups = (
        ("crash", report.crashes),
        ("the dry run wrote", report.diff_wrote),
        ("does not parse after apply", report.unparsable),
        ("changed but not announced by diff", report.unannounced),
        ("announced by diff but not changed", report.unapplied),
        ("line endings changed", report.newline_changed),
        ("second run not empty", report.second_run),
        ("patch differs from apply", report.patch_mismatch),
    )
    problems = [f"{title}: {item}" for title, items in groups for item in items]
    if report.sites != report.applied_sites:
        problems.append(f"apply changed other sites than diff announced: {report.applied_sites} != {report.sites}")
    return problems


def table(report: CorpusReport) -> str:
    """Per codemod: files changed, sites changed, refusals (as a fixed-width table)."""
    rows = [("codemod", "files", "sites", "refusals")]
    for name in report.codemods:
        rows.append(
            (name, str(report.files_per_codemod.get(name, 0)), str(report.sites.get(name, 0)),
             str(len(report.refusals.get(name, ()))))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.append(
        f"{report.files} files, {len(report.changed)} changed ({len(report.created)} created), "
        f"{len(report.input_errors)} the tool cannot parse; seconds: "
        + ", ".join(f"{step} {seconds:.1f}" for step, seconds in report.elapsed.items())
    )
    for name in report.codemods:
        lines.extend(f"  refused ({name}): {refusal}" for refusal in report.refusals.get(name, ()))
    return "\n".join(lines)
