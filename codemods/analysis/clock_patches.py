"""Test code that patches the clock where rewritten code no longer looks.

After `int(time.time() * 1000)` in `pkg.mod` becomes `get_timestamp()`, a test
doing `patch("pkg.mod.time.time", ...)` no longer controls that value. This is
a text scan (tests are many, rewritten modules few), reported as warnings.
"""

from __future__ import annotations

import re
from typing import Sequence

from codemods.base import Project, ProjectFile
from codemods.models import Finding, Kind

_PATCH_CALL = re.compile(r"\b(?:patch|setattr|patch\.object)\s*\(")


def find_clock_patches(codemod: str, changed: Sequence[ProjectFile], project: Project) -> list[Finding]:
    """Test code that patches the clock through a module whose timestamps were rewritten."""
    modules = {f.module for f in changed if f.module}
    if not modules:
        return []
    strings = []
    attributes = []
    for module in modules:
        for clock in ("time.time", "time.time_ns", "time", "datetime"):
            strings.append(re.escape(f"{module}.{clock}"))
        attributes.append(re.escape(module.rsplit(".", 1)[-1]))
    # Patching the clock itself also stops reaching rewritten code: the helper reads datetime.
    strings.extend([re.escape("time.time"), re.escape("time.time_ns")])
    string_re = re.compile(r"""['"](%s)['"]""" % "|".join(sorted(strings, key=len, reverse=True)))
    # `patch.object(mod.time, "time")`, and pytest's `monkeypatch.setattr(time, "time", ...)`
    # which patches the clock itself.
    attribute_re = re.compile(
        r"(?:\b(?:%s)\.|(?<![\w.]))(?:time|datetime)\s*,\s*['\"](?:time|time_ns|now)['\"]" % "|".join(attributes)
    )
    findings = []
    for file in project.grep("patch", "setattr"):
        if is_test_file(file.path):  # where clocks get patched; elsewhere the text is prose or fixtures
            findings.extend(_patch_findings(codemod, file, string_re, attribute_re))
    return findings


def is_test_file(path: str) -> bool:
    """pytest's and unittest's conventions: test_*.py, *_test.py, conftest.py, or under tests/."""
    parts = path.split("/")
    name = parts[-1]
    return (
        name.startswith("test") or name.endswith("_test.py") or name == "conftest.py"
        or any(part in ("test", "tests", "testing") for part in parts[:-1])
    )


def _patch_findings(codemod: str, file: ProjectFile, string_re: re.Pattern[str], attribute_re: re.Pattern[str]) -> list[Finding]:
    findings = []
    for number, line in enumerate(file.text.splitlines(), 1):
        if not _PATCH_CALL.search(line):
            continue
        match = string_re.search(line) or attribute_re.search(line)
        if match:
            findings.append(
                Finding(
                    codemod,
                    file.path,
                    number,
                    f"patches the clock ({match.group(0).strip()}) that rewritten code no longer "
                    "calls directly: the patch may not reach the timestamp helper any more",
                    Kind.WARNING,
                )
            )
    return findings


# patch("a.b.c"), mocker.patch("a.b.c"), monkeypatch.setattr("a.b.c", ...): a dotted target.
_PATCH_STRING = re.compile(r"""\b(?:patch|setattr)\s*\(\s*['"]([A-Za-z_][\w.]*)['"]""")
# patch.object(svc.time, "time"), monkeypatch.setattr(svc.time, "time", ...): an object path.
_PATCH_OBJECT = re.compile(r"""\b(?:patch\.object|setattr)\s*\(\s*([A-Za-z_][\w.]*)\s*,""")


def patched_targets(project: Project) -> frozenset[str]:
    """Dotted names the checkout's code patches (``pkg.mod.time.time``, ``svc.time``).

    A module whose ``time`` attribute is patched this way must keep ``import
    time`` even when a rewrite leaves it unused: without it the patch raises
    AttributeError instead of merely not reaching the rewritten code.
    """
    found: set[str] = set()
    for file in project.grep("patch", "setattr"):
        for pattern in (_PATCH_STRING, _PATCH_OBJECT):
            for match in pattern.finditer(file.text):
                parts = match.group(1).split(".")
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(found)


def is_patched(module: str | None, name: str, targets: frozenset[str]) -> bool:
    """Whether ``module.name`` is patched: in full, or through an object path ending in it."""
    if not module or not targets:
        return False
    full = f"{module}.{name}"
    parts = full.split(".")
    return any(".".join(parts[i:]) in targets for i in range(len(parts) - 1))

