"""Unified diffs that ``git apply`` accepts, byte for byte.

Diffs are computed over bytes split on ``\\n`` only, exactly as git splits
lines, so CRLF endings, a lone ``\\r``, a BOM or a legacy encoding survive the
``diff > patch && git apply patch`` round trip unchanged.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable, Iterator

_LINE = re.compile(rb"[^\n]*\n|[^\n]+\Z")
NO_NEWLINE = b"\\ No newline at end of file\n"


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their ``\\n`` kept; the last one may lack it."""
    return _LINE.findall(data)


def _range(start: int, length: int) -> str:
    # Same convention as difflib/GNU diff: an empty range names the line before it.
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _emit(prefix: bytes, line: bytes) -> Iterator[bytes]:
    yield prefix + line
    if not line.endswith(b"\n"):
        yield b"\n" + NO_NEWLINE


def unified_diff(path: str, before: bytes | None, after: bytes | None, context: int = 3) -> bytes:
    """A git-style diff of one file. ``before=None`` is a created file, ``after=None`` a deleted one."""
    old = split_lines(before or b"")
    new = split_lines(after or b"")
    if before == after:
        return b""
    name = path.encode("utf-8", "surrogateescape")
    out = [b"diff --git a/" + name + b" b/" + name + b"\n"]
    if before is None:
        out.append(b"new file mode 100644\n")
    elif after is None:
        out.append(b"deleted file mode 100644\n")
    out.append(b"--- " + (b"/dev/null" if before is None else b"a/" + name) + b"\n")
    out.append(b"+++ " + (b"/dev/null" if after is None else b"b/" + name) + b"\n")
    for group in _grouped_opcodes(old, new, context):
        first, last = group[0], group[-1]
        old_range = _range(first[1], last[2] - first[1])
        new_range = _range(first[3], last[4] - first[3])
        out.append(f"@@ -{old_range} +{new_range} @@\n".encode())
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in old[i1:i2]:
                    out.extend(_emit(b" ", line))
                continue
            for line in old[i1:i2]:
                out.extend(_emit(b"-", line))
            for line in new[j1:j2]:
                out.extend(_emit(b"+", line))
    return b"".join(out)


def _grouped_opcodes(old: list[bytes], new: list[bytes], context: int) -> Iterator[list[tuple[str, int, int, int, int]]]:
    """difflib's hunks, computed only over the middle that differs.

    A codemod changes a few lines of a file that may have tens of thousands;
    SequenceMatcher is quadratic in the worst case, so the common head and tail
    (which git would show as context anyway) are cut off first.
    """
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    keep = max(head - context, 0)  # context lines before the first change stay in view
    matcher = difflib.SequenceMatcher(
        None, old[keep : len(old) - tail + min(tail, context)], new[keep : len(new) - tail + min(tail, context)],
        autojunk=False,
    )
    for group in matcher.get_grouped_opcodes(context):
        yield [(tag, i1 + keep, i2 + keep, j1 + keep, j2 + keep) for tag, i1, i2, j1, j2 in group]


def patch(items: Iterable[tuple[str, bytes | None, bytes | None]]) -> bytes:
    """One patch for many files, in the order given."""
    return b"".join(unified_diff(path, before, after) for path, before, after in items)
