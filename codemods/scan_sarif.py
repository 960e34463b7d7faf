"""`codemods scan` as SARIF 2.1.0, the format GitHub code scanning uploads.

Kept apart from the other scan formats because SARIF has rules of its own:
GitHub wants a region's startLine >= 1 (so whole-file findings carry no region),
fingerprints that survive edits above a finding (so they hash the category,
path and message, never the line), and relative URIs resolved through
``%SRCROOT%``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable
from urllib.parse import quote

from codemods import __version__
from codemods.findings import CATEGORIES, Category, Priority, ScanFinding, ScanReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# Bump the suffix if what the fingerprint hashes changes: GitHub would see every alert as new.
FINGERPRINT_KEY = "codemodsFinding/v1"
LEVELS = {Priority.HIGH: "error", Priority.MEDIUM: "warning", Priority.LOW: "note"}


def category_of(name: str) -> Category:
    """The category called ``name``; an unknown one (a newer scanner's) is shown under its own name."""
    return CATEGORIES.get(name) or Category(name, name, "", name)


def highest(findings: Iterable[ScanFinding]) -> Priority | None:
    """The most urgent priority among ``findings``, None when there are none."""
    return max((f.priority for f in findings), key=lambda p: p.rank, default=None)


def sarif(report: ScanReport) -> str:
    """The report as a SARIF 2.1.0 log with one run: one rule per category present, one result per finding."""
    present = list(dict.fromkeys([*(n for n in CATEGORIES), *(f.category for f in report.findings)]))
    names = [n for n in present if report.in_category(n)]
    rule_index = {name: i for i, name in enumerate(names)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "codemods",
                "version": report.tool_version or __version__,
                "rules": [_rule(category_of(n), report.in_category(n)) for n in names],
            }
        },
        "originalUriBaseIds": {SRCROOT: _root_location(report.root)},
        "invocations": [_invocation(report)],
        "results": _results(report.findings, rule_index),
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8") + "\n"


def _rule(category: Category, findings: list[ScanFinding]) -> dict[str, Any]:
    worst = highest(findings) or Priority.LOW
    rule: dict[str, Any] = {
        "id": category.name,
        "shortDescription": {"text": category.title},
        "fullDescription": {"text": category.help},
        "defaultConfiguration": {"level": LEVELS[worst]},
        "properties": {"tags": ["maintainability"], "priority": worst.value},
    }
    if category.recommendation:
        rule["help"] = {"text": category.recommendation, "markdown": category.recommendation}
    return rule


def _results(findings: Iterable[ScanFinding], rule_index: dict[str, int]) -> list[dict[str, Any]]:
    results = []
    seen: dict[str, int] = {}
    for finding in findings:
        key = f"{finding.category}\0{finding.path}\0{finding.message}"
        # The same message twice in one file (two eager log calls) must still get two alerts.
        occurrence = seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}\0{occurrence}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
        result: dict[str, Any] = {
            "ruleId": finding.category,
            "ruleIndex": rule_index[finding.category],
            "level": LEVELS[finding.priority],
            "message": {"text": finding.message or category_of(finding.category).help},
            "locations": [_location(finding.path, finding.line, finding.end_line)],
            "partialFingerprints": {FINGERPRINT_KEY: digest},
            "properties": {"priority": finding.priority.value},
        }
        other = finding.details.get("other") if finding.category == "duplicate-function" else None
        related = _parse_range(other) if isinstance(other, str) else None
        if related is not None:
            location = _location(*related)
            location["id"] = 1
            location["message"] = {"text": "the other copy"}
            result["relatedLocations"] = [location]
        if finding.fix:
            result["properties"]["fix"] = finding.fix
        results.append(result)
    return results


def _location(path: str, line: int, end_line: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if line >= 1:  # GitHub rejects a region without a startLine >= 1: a whole-file finding has none
        physical["region"] = {"startLine": line, "endLine": max(line, end_line)}
    return {"physicalLocation": physical}


def _artifact(path: str) -> dict[str, str]:
    if path.startswith("/"):
        return {"uri": "file://" + quote(path, errors="surrogateescape")}
    while path.startswith("./"):
        path = path[2:]
    return {"uri": quote(path, errors="surrogateescape"), "uriBaseId": SRCROOT}


def _root_location(root: str) -> dict[str, Any]:
    """Where %SRCROOT% points: an absolute root as a file URI; a relative one only described (no cwd: reproducible)."""
    if root.startswith("/"):
        return {"uri": "file://" + quote(root.rstrip("/") + "/", errors="surrogateescape")}
    return {"description": {"text": f"The folder scanned: {root}"}}


def _invocation(report: ScanReport) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": True}
    if report.failures:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"could not scan: {reason}"},
                "locations": [_location(path, 0, 0)],
            }
            for path, reason in report.failures
        ]
    return invocation


def _parse_range(text: str) -> tuple[str, int, int] | None:
    """``path:12-30`` or ``path:12`` -> (path, 12, 30); None when it is neither."""
    path, sep, lines = text.rpartition(":")
    if not sep or not path:
        return None
    start, _, end = lines.partition("-")
    if not start.isdigit() or (end and not end.isdigit()):
        return None
    return path, int(start), int(end or start)
