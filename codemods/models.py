"""Plain data passed between the engine, the API and the CLI.

Everything here is a frozen dataclass or an enum of primitives so that results
pickle across the process pool and render without knowing about libcst.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping


class Status(str, enum.Enum):
    """What happened to one file."""

    UNCHANGED = "unchanged"  # parsed (or read), no codemod changed it
    FILTERED = "filtered"  # no selected codemod could match: never parsed
    CHANGED = "changed"
    CREATED = "created"  # a codemod created this file (a helper module)
    SKIPPED = "skipped"  # opted out (skip-file, @generated) or undecodable
    ERROR = "error"  # could not be processed: syntax error, codemod crash


class Kind(str, enum.Enum):
    """What a finding is about."""

    SKIPPED = "skipped"  # a matching site left alone on purpose
    WARNING = "warning"  # a likely problem the user should look at
    NOTE = "note"  # information, e.g. how to configure a codemod
    BEHAVIOUR = "behaviour"  # a rewrite that deliberately changes some results (a bug fix)
    BUG = "bug"  # a codemod produced output that does not parse


@dataclass(frozen=True)
class Finding:
    """One message tied to a place: `path:line: codemod: message`."""

    codemod: str
    path: str
    line: int
    message: str
    kind: Kind = Kind.SKIPPED

    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "codemod": self.codemod,
            "path": self.path,
            "line": self.line,
            "kind": self.kind.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class Options:
    """Everything a run needs, resolved from the command line and configuration."""

    root: Path  # diff paths are relative to this (the git top level, else cwd)
    project_root: Path  # where the configuration lives; helper modules are created here
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    jobs: int = 1
    include_generated: bool = False
    config_path: Path | None = None
    plugins: tuple[str, ...] = ()  # [tool.codemods] plugins, importable from the config's folder
    # Raw per-codemod tables from [tool.codemods.<name>], validated by the registry.
    codemod_config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cache: bool = False  # reuse and record results in .codemods_cache/ (the CLI turns it on)
    shard: tuple[int, int] | None = None  # (K, N): only the files of shard K of N, 1-based


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file. Exactly one per file; never raises."""

    path: str  # relative to Options.root, posix separators
    status: Status
    before: bytes | None = None  # None for a created file
    after: bytes | None = None  # set when the status is CHANGED or CREATED
    changes: Mapping[str, int] = field(default_factory=dict)  # codemod -> sites rewritten
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # `line: reason` or `reason` when status is ERROR or SKIPPED
    parsed: bool = False
    # (codemod, first line, last line) of each rewritten site, in the original's lines (for `scan`).
    sites: tuple[tuple[str, int, int], ...] = ()
    # Seconds this file spent in each engine phase (PHASES); not part of the result's value.
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)
    cached: bool = field(default=False, compare=False)  # reused from .codemods_cache, not recomputed

    @property
    def modified(self) -> bool:
        """True when there are bytes to write (a failed codemod may still leave others' changes)."""
        return self.after is not None


# Per-file engine phases, in the order they happen. "prefilter" covers decoding and
# the opt-out/generated checks; "metadata" is libcst metadata resolution; "transform"
# the codemods' own work without it; "verify" re-parsing what changed.
PHASES = ("read", "prefilter", "parse", "metadata", "transform", "verify")


@dataclass
class Summary:
    """Counts folded over all results of one run; rendered by the CLI."""

    considered: int = 0
    parsed: int = 0
    changed: int = 0
    created: int = 0
    skipped: int = 0
    errors: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    elapsed: float = 0.0
    cached: int = 0  # files whose result came from .codemods_cache
    # Seconds per phase: the run's own (discovery, plan, files, finish: wall time) and
    # the per-file PHASES summed over every worker (CPU time).
    timings: dict[str, float] = field(default_factory=dict)

    def add(self, result: FileResult) -> None:
        if result.status is not Status.CREATED:
            self.considered += 1
        self.parsed += result.parsed and not result.cached
        self.cached += result.cached
        for phase, seconds in result.timings.items():
            self.timings[phase] = self.timings.get(phase, 0.0) + seconds
        self.changed += result.status is Status.CHANGED
        self.created += result.status is Status.CREATED
        self.skipped += result.status is Status.SKIPPED
        if result.status is Status.ERROR:
            self.errors += 1
            self.failures.append((result.path, result.error or "unknown error"))
        for name, count in result.changes.items():
            self.changes[name] = self.changes.get(name, 0) + count
        self.findings.extend(result.findings)

    @property
    def skipped_sites(self) -> int:
        return sum(1 for f in self.findings if f.kind is Kind.SKIPPED)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_considered": self.considered,
            "files_parsed": self.parsed,
            "files_changed": self.changed,
            "files_created": self.created,
            "files_skipped": self.skipped,
            "files_failed": self.errors,
            "changes": dict(sorted(self.changes.items())),
            "sites_skipped": self.skipped_sites,
            "files_cached": self.cached,
            "elapsed_seconds": round(self.elapsed, 3),
            "timings": {phase: round(seconds, 4) for phase, seconds in self.timings.items()},
        }
