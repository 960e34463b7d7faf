"""Line numbers across codemods that run one after another on the same file.

Every codemod after the first sees the text its predecessors wrote, so its
positions are lines of that text, while the user reads findings against the
file as it is, and wrote `# codemods: skip` on lines of that file. A LineMap
carries the current text's lines back to the original ones.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


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
