"""Line numbers across codemods that run one after another on the same file.

Every codemod after the first sees the text its predecessors wrote, so its
positions are lines of that text, while the user reads findings against the
file as it is, and wrote `# codemods: skip` on lines of that file. A LineMap
carries the current text's lines back to the original ones.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# A line a codemod may add or drop around its real edit: an import, or blank.
_IMPORT_OR_BLANK = re.compile(
    r"^\s*(?:(?:from\s+\S+\s+)?import\b.*|\w+(?:\s+as\s+\w+)?\s*,|\)|#.*)?\s*$"
)


@dataclass(frozen=True)
class LineMap:
    """``origin[i]`` is the original line of current line ``i + 1``; ``kept`` marks lines that are unchanged."""

    origin: tuple[int, ...]
    kept: tuple[bool, ...]

    @classmethod
    def identity(cls, text: str) -> "LineMap":
        count = text.count("\n") + 1
        return cls(tuple(range(1, count + 1)), (True,) * count)

    def then(self, before: str, after: str) -> "LineMap":
        """This map followed by the edit ``before`` -> ``after`` (``before`` is the current text)."""
        old, new = before.split("\n"), after.split("\n")
        origin: list[int] = []
        kept: list[bool] = []
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                origin.extend(self.original(i + 1) for i in range(i1, i2))
                kept.extend(self.kept[i] if i < len(self.kept) else False for i in range(i1, i2))
            elif tag in ("replace", "insert"):
                # new lines stand where the old chunk started (or just after the insertion point)
                anchor = self.original(min(i1 + 1, len(old)))
                origin.extend([anchor] * (j2 - j1))
                kept.extend([False] * (j2 - j1))
        return LineMap(tuple(origin), tuple(kept))

    def original(self, line: int) -> int:
        """The original line of current ``line`` (0 stays 0: a finding about the whole file)."""
        if line <= 0 or not self.origin:
            return line
        return self.origin[min(line, len(self.origin)) - 1]

    def current(self, lines: frozenset[int]) -> frozenset[int]:
        """The current numbers of the unchanged original ``lines``."""
        if not lines:
            return lines
        return frozenset(i + 1 for i, (line, same) in enumerate(zip(self.origin, self.kept)) if same and line in lines)


def changed_ranges(before: str, after: str) -> list[tuple[int, int]]:
    """The (first, last) lines of ``before`` that an edit to ``after`` touched, one per hunk.

    Hunks that only add or drop imports and blank lines are left out: they are
    the bookkeeping of a rewrite (an import of the helper, an import no longer
    used), not a site of it. A pure insertion counts at the line it precedes.
    """
    old, new = before.split("\n"), after.split("\n")
    ranges: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        code = [i for i in range(i1, i2) if not _IMPORT_OR_BLANK.match(old[i])]
        if not code and all(_IMPORT_OR_BLANK.match(line) for line in new[j1:j2]):
            continue
        if code:
            ranges.append((code[0] + 1, code[-1] + 1))
        else:  # only code added: it stands where the hunk starts
            first = min(i1 + 1, len(old))
            ranges.append((first, first))
    return ranges


def merge_closest(ranges: list[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """Join neighbouring ranges, closest first, until at most ``count`` remain.

    A codemod that rewrote one loop may leave three hunks (unchanged lines in
    between); its own count of sites says how many there really are.
    """
    merged = sorted(ranges)
    while len(merged) > max(count, 1):
        gap, at = min((merged[i + 1][0] - merged[i][1], i) for i in range(len(merged) - 1))
        merged[at : at + 2] = [(merged[at][0], max(merged[at][1], merged[at + 1][1]))]
    return merged
