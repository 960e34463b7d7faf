"""What `codemods scan` reports: findings by category, with a priority and the codemod that fixes them.

Plain frozen dataclasses (they pickle across the process pool and render
without libcst). The categories, their titles and recommendations live here so
that every format (text, markdown, JSON, SARIF) says the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

# Bumped when a field of the JSON form changes meaning or disappears (adding one does not).
SCHEMA_VERSION = 1


class Priority(str, enum.Enum):
    """How soon a finding deserves attention; `--fail-on` compares by rank."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]


@dataclass(frozen=True)
class Category:
    """A kind of finding, as the report presents it."""

    name: str  # stable identifier: JSON `category`, SARIF rule id
    title: str  # section heading in the report
    recommendation: str  # what to do about it, one or two sentences
    help: str  # one line: what the finding means (SARIF rule description)


# In report order: the order of the seed report, then the codemod sites.
CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            "redundant-file", "Redundant files",
            "Delete them after checking nothing outside the repository uses them (deployment scripts, notebooks).",
            "A duplicate file, an editor or backup leftover, or a module nothing imports.",
        ),
        Category(
            "commented-code", "Commented-out code",
            "Delete it: version control keeps the history. `codemods apply --only remove-commented-code` does it.",
            "Comment lines that parse as Python statements.",
        ),
        Category(
            "unused-import", "Unused imports",
            "Remove them (`codemods apply --only remove-unused-imports`); re-export on purpose with `__all__` "
            "or `import x as x`.",
            "An import whose name is never used in the module.",
        ),
        Category(
            "duplicate-function", "Duplicated functions",
            "Consolidate each pair into one shared function; the precision codemod does it for rounding helpers.",
            "Two functions or methods whose bodies are nearly the same.",
        ),
        Category(
            "timestamp", "Hand-written epoch milliseconds",
            "Use the project's timestamp helper everywhere: `codemods apply --only timestamp`.",
            "An expression computing UTC epoch milliseconds by hand.",
        ),
        Category(
            "precision", "Duplicated precision logic",
            "Route the rounding through one exchange-precision helper: `codemods apply --only precision`.",
            "Rounding to an exchange step size written out by hand.",
        ),
        Category(
            "retry-loop", "Hand-written retry loops",
            "Replace them with one retry_with_backoff helper: `codemods apply --only retry`.",
            "A loop retrying an operation with exponential backoff.",
        ),
        Category(
            "unpinned-requirement", "Unpinned requirements",
            "Pin every requirement to the version that is tested: `codemods apply --only pin-requirements`.",
            "A requirement with no exact version.",
        ),
        Category(
            "logging", "Logging",
            "Keep levels as they are unless a file is dominated by one level; pass arguments to the logger "
            "instead of formatting the message before the call.",
            "A log call that formats its message eagerly.",
        ),
    )
}


@dataclass(frozen=True)
class ScanFinding:
    """One place in the checkout and what is wrong with it."""

    category: str  # a key of CATEGORIES
    path: str  # relative to the scanned root, posix separators
    line: int  # first line, 1-based; 0 when the finding is about the whole file
    end_line: int  # last line (== line for one line)
    message: str
    priority: Priority
    fix: str | None = None  # the codemod that fixes it; None when nothing does (or it refused)
    # JSON types only (lists, not tuples), so the JSON form round-trips; documented in the report schema.
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def location(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}" if self.end_line <= self.line else f"{self.path}:{self.line}-{self.end_line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "message": self.message,
            "priority": self.priority.value,
            "fix": self.fix,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScanFinding":
        return cls(
            category=data["category"], path=data["path"], line=data["line"], end_line=data["end_line"],
            message=data["message"], priority=Priority(data["priority"]), fix=data["fix"],
            details=dict(data.get("details", {})),
        )


@dataclass(frozen=True)
class ScanReport:
    """Everything one scan found, in a stable order (category order, then path, then line)."""

    root: str  # the folder scanned, as given
    findings: tuple[ScanFinding, ...]
    files_scanned: int
    # path -> level -> calls; only files with at least one log call.
    logging_levels: Mapping[str, Mapping[str, int]] = field(default_factory=dict, hash=False)
    failures: tuple[tuple[str, str], ...] = ()  # (path, reason): files that could not be read or parsed
    elapsed: float = field(default=0.0, compare=False)  # rounded in JSON; not part of what was found
    tool_version: str = ""

    def in_category(self, name: str) -> list[ScanFinding]:
        return [f for f in self.findings if f.category == name]

    def worst(self) -> Priority | None:
        return max((f.priority for f in self.findings), key=lambda p: p.rank, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "codemods", "version": self.tool_version},
            "root": self.root,
            "files_scanned": self.files_scanned,
            "elapsed_seconds": round(self.elapsed, 3),
            "findings": [f.to_dict() for f in self.findings],
            "logging_levels": {path: dict(levels) for path, levels in sorted(self.logging_levels.items())},
            "failures": [{"path": path, "reason": reason} for path, reason in self.failures],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScanReport":
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"schema_version {data.get('schema_version')!r}: this codemods reads {SCHEMA_VERSION}")
        return cls(
            root=data["root"],
            findings=tuple(ScanFinding.from_dict(f) for f in data["findings"]),
            files_scanned=data["files_scanned"],
            logging_levels={path: dict(levels) for path, levels in data["logging_levels"].items()},
            failures=tuple((f["path"], f["reason"]) for f in data["failures"]),
            elapsed=data["elapsed_seconds"],
            tool_version=data["tool"]["version"],
        )
