"""`codemods scan`: the cleanup report for a checkout, each finding linked to the codemod that fixes it.

Two passes over the files, both in a process pool when there are many:
- the codemods themselves, exactly as `codemods diff` runs them, so that every
  site the report calls fixable is one `apply` would change and every refusal
  carries the codemod's own reason;
- the analyses that only report (commented-out code, unused imports, log
  calls, function fingerprints for duplicates), one parse per Python file.
Then the checkout-wide ones: duplicate functions across files, redundant files.
Never prints; the CLI renders the ScanReport.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from codemods import __version__
from codemods.analysis.syntax import parse_quietly
from codemods.findings import ScanFinding, ScanReport, Priority
from codemods.models import FileResult, Kind, Options, Status

POOL_THRESHOLD = 16

# The codemods' own categories; a plugin's codemod is reported under its name only if listed here.
CODEMOD_CATEGORY = {
    "timestamp": "timestamp",
    "precision": "precision",
    "retry": "retry-loop",
    "pin-requirements": "unpinned-requirement",
}
PRIORITY = {
    "redundant-file": Priority.MEDIUM,
    "commented-code": Priority.LOW,
    "unused-import": Priority.LOW,
    "duplicate-function": Priority.MEDIUM,
    "timestamp": Priority.LOW,
    "precision": Priority.MEDIUM,
    "retry-loop": Priority.MEDIUM,
    # The one finding that changes what gets deployed: each install may differ.
    "unpinned-requirement": Priority.HIGH,
    "logging": Priority.LOW,
}

# A site a codemod found and left alone: a warning is a likely bug (naive utcnow()), a skip a shape it cannot prove.
REFUSALS = {Kind.WARNING: Priority.MEDIUM, Kind.SKIPPED: Priority.LOW}


@dataclass
class FileScan:
    """What the report-only analyses found in one Python file (pickles back from a worker)."""

    path: str
    findings: list[ScanFinding] = field(default_factory=list)
    levels: dict[str, int] = field(default_factory=dict)
    functions: list[Any] = field(default_factory=list)  # (FunctionRef, tokens) for the duplicate detector
    error: str | None = None


def scan(paths: Sequence[Path], options: Options, progress: Callable[[str], None] | None = None) -> ScanReport:
    """Scan ``paths`` (files or folders) with ``options``; returns the whole report, writes nothing."""
    from codemods import api
    from codemods.files import discover

    started = time.perf_counter()
    tell = progress or (lambda step: None)
    tell("running the codemods")
    run = api.run_paths(paths, options)
    findings = list(codemod_findings(run.results))
    failures = [(r.path, r.error or "unknown error") for r in run.results if r.status is Status.ERROR]

    tell("analysing every Python file")
    every = discover(paths, lambda name: True, options.exclude, exclude_root=options.project_root)
    relative = {f: os.path.relpath(f, options.root).replace(os.sep, "/") for f in every}
    python = [(str(f), relative[f], options.include_generated) for f in every if f.suffix in (".py", ".pyi")]
    scans = list(_map(scan_file, python, options.jobs))
    levels: dict[str, dict[str, int]] = {}
    functions = []
    for result in scans:
        findings.extend(result.findings)
        functions.extend(result.functions)
        if result.levels:
            levels[result.path] = result.levels
        if result.error and result.path not in dict(failures):
            failures.append((result.path, result.error))

    tell("looking for duplicates")
    findings.extend(duplicate_findings(functions, run.results))
    # Whether a module is imported is a question about the whole checkout, even
    # when only a folder of it is scanned; only files under the scanned paths are reported.
    checkout = discover([options.root], lambda name: True, options.exclude, exclude_root=options.project_root)
    scanned = set(relative.values())
    every_path = sorted({os.path.relpath(f, options.root).replace(os.sep, "/") for f in checkout} | scanned)
    findings.extend(f for f in redundant_findings(options.root, every_path) if f.path in scanned)

    order = {name: i for i, name in enumerate(PRIORITY)}
    findings.sort(key=lambda f: (order.get(f.category, len(order)), f.path, f.line, f.end_line, f.message))
    return ScanReport(
        root=str(options.root),  # finding paths are relative to it (the git top level when there is one)
        findings=tuple(findings),
        files_scanned=len(every),
        logging_levels=levels,
        failures=tuple(sorted(failures)),
        elapsed=time.perf_counter() - started,
        tool_version=__version__,
    )


def codemod_findings(results: Sequence[FileResult]) -> Iterator[ScanFinding]:
    """Every site a codemod would rewrite (fixable) and every site it found and refused (with why)."""
    from codemods import registry

    for result in results:
        def said(kind: Kind, name: str, first: int, last: int) -> list[str]:
            return [
                f.message for f in result.findings if f.kind is kind and f.codemod == name and first <= f.line <= last
            ]

        for name, first, last in result.sites:
            category = CODEMOD_CATEGORY.get(name)
            if category is None:
                continue
            details: dict[str, Any] = {"codemod": name}
            behaviour = said(Kind.BEHAVIOUR, name, first, last)
            if behaviour:
                details["behaviour_change"] = behaviour
            # The codemod's own note on the line ("websockets pinned to 14.1 (from uv.lock)")
            # says more than its summary.
            message = "; ".join(said(Kind.NOTE, name, first, last)) or registry.get(name).SUMMARY
            yield ScanFinding(category, result.path, first, last, message, PRIORITY[category], name, details)
        for finding in result.findings:
            category = CODEMOD_CATEGORY.get(finding.codemod)
            if category is None or finding.kind not in REFUSALS:
                continue
            # A requirement left unpinned is as unpinned as one the codemod would pin.
            priority = PRIORITY[category] if category == "unpinned-requirement" else REFUSALS[finding.kind]
            yield ScanFinding(
                category, result.path, finding.line, finding.line, finding.message, priority, None,
                {"codemod": finding.codemod, "refused": True},
            )


def scan_file(item: tuple[str, str, bool]) -> FileScan:
    """The report-only analyses of one Python file; never raises."""
    path, rel, include_generated = item
    result = FileScan(rel)
    try:
        _scan_file(Path(path), result, include_generated)
    except Exception as exc:  # a bug in an analysis: keep the rest of the scan
        result.error = f"internal error: {type(exc).__name__}: {exc}"
    return result


def _scan_file(path: Path, result: FileScan, include_generated: bool) -> None:

    from codemods import engine
    from codemods.analysis.commented_code import find_commented_code
    from codemods.analysis.duplicates import functions_of
    from codemods.analysis.logging_calls import find_log_calls
    from codemods.analysis.unused_imports import may_have_unused_imports
    from codemods.files import DecodeError, decode, read_bytes

    try:
        text = decode(read_bytes(path)).text
    except (OSError, DecodeError) as exc:
        result.error = f"cannot read: {exc}"
        return
    header = text[: engine.HEADER_CHARS]
    if engine.SKIP_FILE.search(header) or (not include_generated and engine.GENERATED.search(header)):
        return
    rel = result.path
    for block in find_commented_code(text):
        count = block.end_line - block.start_line + 1
        result.findings.append(ScanFinding(
            "commented-code", rel, block.start_line, block.end_line,
            f"{count} line{'s' if count != 1 else ''} of commented-out code", PRIORITY["commented-code"],
            "remove-commented-code",
        ))
    # The standard library's tree serves every analysis but one: it is an order
    # of magnitude cheaper than libcst's, which only unused imports need, and
    # only where a name an import binds is not plainly read.
    try:
        tree = parse_quietly(text)
    except SyntaxError as exc:
        result.error = f"{exc.lineno or 0}: syntax error: {exc.msg}"
        return
    except (ValueError, RecursionError, MemoryError) as exc:
        result.error = f"0: cannot parse: {exc}"
        return
    result.functions = list(functions_of(rel, tree))
    _logging(find_log_calls(tree), result)
    if may_have_unused_imports(tree):
        import libcst as cst

        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            result.error = engine._syntax_error(text, exc)
            return
        _imports(module, result)


def _imports(module: Any, result: FileScan) -> None:
    from codemods.analysis.unused_imports import find_unused_imports

    for unused in find_unused_imports(module, result.path):
        removable = getattr(unused, "removable", True)
        reason = getattr(unused, "reason", None)
        message = f"`{unused.name}` imported but unused"
        if reason:
            message += f" ({reason})"
        result.findings.append(ScanFinding(
            "unused-import", result.path, unused.line, unused.end_line, message, PRIORITY["unused-import"],
            "remove-unused-imports" if removable else None, {"name": unused.name, "imported": unused.qualified},
        ))


def _logging(calls: Sequence[Any], result: FileScan) -> None:
    for call in calls:
        result.levels[call.level] = result.levels.get(call.level, 0) + 1
        if call.eager:
            result.findings.append(ScanFinding(
                "logging", result.path, call.line, call.line,
                f"{call.level} message built before the call ({call.eager}): pass the values as arguments",
                PRIORITY["logging"], None, {"level": call.level, "eager": call.eager},
            ))


def duplicate_findings(functions: Sequence[Any], results: Sequence[FileResult] = ()) -> list[ScanFinding]:
    """One finding per near-duplicate pair, on the later function, naming the earlier.

    When one codemod rewrites inside both functions (precision does for
    `_round_quantity`/`_round_price`), the pair is fixable by it.
    """
    from codemods.analysis.duplicates import DEFAULT_MIN_TOKENS, DEFAULT_THRESHOLD, pair_up

    sites: dict[str, list[tuple[str, int, int]]] = {}
    for result in results:
        if result.sites:
            sites[result.path] = list(result.sites)

    def rewriters(ref: Any) -> set[str]:
        return {name for name, first, last in sites.get(ref.path, ()) if ref.start <= first and last <= ref.end}

    found = []
    sized = [(ref, tokens) for ref, tokens in functions if ref.size >= DEFAULT_MIN_TOKENS]
    for pair in pair_up(sized, DEFAULT_THRESHOLD):
        first, second = pair.first, pair.second
        fix = min(rewriters(first) & rewriters(second), default=None)
        found.append(ScanFinding(
            "duplicate-function", second.path, second.start, second.end,
            f"`{second.name}` is {pair.score:.0%} the same as `{first.name}` ({first.location()})",
            PRIORITY["duplicate-function"], fix,
            {"similarity": pair.score, "other": first.location(), "function": second.name, "other_function": first.name},
        ))
    return found


def redundant_findings(root: Path, paths: Sequence[str]) -> list[ScanFinding]:
    from codemods.analysis.redundant_files import find_redundant_files

    found = []
    for redundant in find_redundant_files(root, paths):
        priority = Priority.LOW if redundant.kind == "unimported" else PRIORITY["redundant-file"]
        details: dict[str, Any] = {"size": redundant.size, "kind": redundant.kind}
        if redundant.other:
            details["other"] = redundant.other
        found.append(ScanFinding(
            "redundant-file", redundant.path, 0, 0, f"{redundant.reason} ({redundant.size:,} bytes)", priority, None,
            details,
        ))
    return found


def _map(function: Callable[[Any], FileScan], items: list[Any], workers: int) -> Iterator[FileScan]:
    if workers <= 1 or len(items) < POOL_THRESHOLD:
        yield from map(function, items)
        return
    chunksize = max(1, min(32, len(items) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(function, items, chunksize=chunksize)
