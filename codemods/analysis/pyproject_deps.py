"""The PEP 508 dependency arrays of a pyproject.toml, read and edited with tomlkit.

tomlkit keeps comments, spacing and quoting, so replacing one string of an array
leaves the rest of the file as it was. The arrays are ``[project] dependencies``,
each ``[project.optional-dependencies]`` group and each PEP 735
``[dependency-groups]`` group (their ``{include-group = ...}`` tables are not
requirements and are skipped).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from packaging.requirements import InvalidRequirement, Requirement

from codemods.analysis.requirements_file import NAME

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class PyprojectError(ValueError):
    """The file is not TOML tomlkit and tomllib agree on; left alone."""


@dataclass(frozen=True)
class Entry:
    """One dependency string of one array."""

    table: str  # "project.dependencies", "project.optional-dependencies.dev", "dependency-groups.test"
    index: int  # position in the array
    value: str
    raw: str  # the string as written, quotes included
    line: int  # best-effort line of the string (0 when it cannot be told)
    requirement: Requirement | None  # None: not PEP 508 (reported by the caller when it matters)

    def name_end(self) -> int:
        match = NAME.match(self.value)
        assert match is not None
        return match.end("extras") if match.group("extras") else match.end("name")

    def specifier_span(self) -> tuple[int, int]:
        start = self.name_end()
        marker = self.value.find(";", start)
        end = marker if marker != -1 else len(self.value)
        while start < end and self.value[start].isspace():
            start += 1
        while end > start and self.value[end - 1].isspace():
            end -= 1
        return start, end


def entries(text: str) -> list[Entry]:
    """Every dependency string of the file, in document order of its arrays."""
    document = _parse(text)
    return [entry for _, entry in _walk(document, text)]


def rewrite(text: str, new_value: Callable[[Entry], str | None]) -> tuple[str, list[Entry]]:
    """The file with each entry for which ``new_value`` returns a string replaced by it.

    Returns the new text and the entries replaced. Raises PyprojectError when the
    edit would change anything but those strings (checked by reading both with tomllib).
    """
    import tomlkit
    from tomlkit.items import String

    document = _parse(text)
    changed: list[tuple[Entry, str]] = []
    for array, entry in list(_walk(document, text)):
        value = new_value(entry)
        if value is None or value == entry.value:
            continue
        item = array[entry.index]
        array[entry.index] = String.from_raw(value, type_=item.type)
        changed.append((entry, value))
    if not changed:
        return text, []
    new_text = tomlkit.dumps(document)
    _check(text, new_text, changed)
    return new_text, [entry for entry, _ in changed]


def _parse(text: str) -> Any:
    import tomlkit

    try:
        return tomlkit.parse(text)
    except Exception as exc:  # tomlkit raises its own ParseError subclasses
        raise PyprojectError(f"not valid TOML: {exc}") from None


def _walk(document: Any, text: str) -> Iterator[tuple[Any, Entry]]:
    project = document.get("project")
    arrays: list[tuple[str, str, Any]] = []
    if isinstance(project, dict):
        arrays.append(("project.dependencies", "dependencies", project.get("dependencies")))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            arrays.extend((f"project.optional-dependencies.{k}", k, v) for k, v in optional.items())
    groups = document.get("dependency-groups")
    if isinstance(groups, dict):
        arrays.extend((f"dependency-groups.{k}", k, v) for k, v in groups.items())
    for table, key, array in arrays:
        if not isinstance(array, list):
            continue
        cursor = _array_start(text, key)
        for index, item in enumerate(array):
            if not isinstance(item, str):
                continue  # {include-group = "..."}
            raw = item.as_string()
            found = text.find(raw, cursor) if cursor >= 0 else -1
            line = text.count("\n", 0, found) + 1 if found >= 0 else 0
            if found >= 0:
                cursor = found + len(raw)
            try:
                requirement: Requirement | None = Requirement(str(item))
            except InvalidRequirement:
                requirement = None
            yield array, Entry(table, index, str(item), raw, line, requirement)


def _array_start(text: str, key: str) -> int:
    match = re.search(r"^[ \t]*[\"']?" + re.escape(key) + r"[\"']?[ \t]*=[ \t]*\[", text, re.MULTILINE)
    return match.end() if match else -1


def _check(old: str, new: str, changed: list[tuple[Entry, str]]) -> None:
    """The new text means the old data with exactly the changed strings replaced."""
    before, after = tomllib.loads(old), tomllib.loads(new)
    for entry, value in changed:
        node = before
        parts = entry.table.split(".", 2) if entry.table.startswith("project.optional") else entry.table.split(".", 1)
        for part in parts:
            node = node[part]
        node[entry.index] = value
    if before != after:
        raise PyprojectError("tomlkit would change more than the pinned strings")
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if len(old_lines) != len(new_lines):
        raise PyprojectError("tomlkit would change the layout")
    for old_line, new_line in zip(old_lines, new_lines):
        if old_line != new_line and not any(value in new_line for _, value in changed):
            raise PyprojectError("tomlkit would change the layout")
