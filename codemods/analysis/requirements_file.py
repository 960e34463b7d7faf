"""pip requirements files read the way pip reads them, with every character's place kept.

pip joins lines ending in a backslash, drops comments (a ``#`` at the start or
after whitespace), then splits what is left into the requirement and its
per-requirement options (the first token starting with ``-``). This module does
the same but remembers where each character of a logical line came from, so an
edit (inserting ``==14.1`` after a name) lands on exactly the bytes it means and
every other byte stays as it was: comments, spacing, continuations, CRLF.
"""

from __future__ import annotations

import enum
import re
import shlex
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

# pip's own comment rule (pip._internal.req.req_file.COMMENT_RE).
COMMENT = re.compile(r"(^|\s+)#.*$")
# PEP 508 name, then optional extras: where a version specifier would begin.
NAME = re.compile(r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?P<extras>\[[^\]]*\])?")
ARCHIVE = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".tar.lz")
INCLUDE_OPTIONS = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}


class LineKind(str, enum.Enum):
    REQUIREMENT = "requirement"  # a named requirement from an index: the only kind ever edited
    OPTION = "option"  # -r, -c, --index-url, -e ... (never edited)
    DIRECT = "direct"  # a URL, VCS link or local path (never edited)
    INVALID = "invalid"  # not a requirement packaging can read


@dataclass(frozen=True)
class Line:
    """One logical line: what pip sees after joining continuations and dropping comments."""

    number: int  # first physical line, 1-based
    last: int  # last physical line
    text: str  # the logical text, comment removed, not stripped
    offsets: tuple[int, ...]  # offset in the file of each character of ``text``
    kind: LineKind
    requirement: Requirement | None = None
    options: tuple[str, ...] = ()  # the tokens of an options line, or a requirement's own options
    error: str = ""  # why packaging could not read it (INVALID)

    @property
    def requirement_text(self) -> str:
        """The requirement part: everything before its per-requirement options."""
        return self.text[: _options_start(self.text)].strip()

    def name_end(self) -> int:
        """Offset in ``text`` just past the name and extras (where a specifier goes)."""
        match = NAME.match(self.text)
        assert match is not None  # REQUIREMENT lines start with a name
        return match.end("extras") if match.group("extras") else match.end("name")

    def specifier_span(self) -> tuple[int, int]:
        """Offsets in ``text`` of the written specifier, stripped (empty when unversioned)."""
        start = self.name_end()
        end = len(self.text[: _options_start(self.text)].rstrip())
        marker = self.text.find(";", start, end)
        if marker != -1:
            end = marker
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return start, end

    @property
    def has_hash(self) -> bool:
        return any(o.startswith("--hash") for o in self.options)


@dataclass(frozen=True)
class Include:
    """A ``-r``/``-c`` option: another requirements or constraints file."""

    line: int
    option: str  # "-r" or "-c"
    target: str  # as written


def parse(text: str) -> list[Line]:
    """The logical lines of a requirements file, blank and comment-only lines left out."""
    lines: list[Line] = []
    for number, last, chars, offsets in _logical_lines(text):
        comment = COMMENT.search(chars)
        if comment is not None:
            chars, offsets = chars[: comment.start()], offsets[: comment.start()]
        if not chars.strip():
            continue
        lines.append(_classify(number, last, chars, tuple(offsets)))
    return lines


def includes(lines: list[Line]) -> list[Include]:
    found = []
    for line in lines:
        if line.kind is not LineKind.OPTION:
            continue
        tokens = list(line.options)
        for index, token in enumerate(tokens):
            option, _, value = token.partition("=")
            if option in INCLUDE_OPTIONS:
                target = value or (tokens[index + 1] if index + 1 < len(tokens) else "")
            elif token[:2] in ("-r", "-c") and len(token) > 2:
                option, target = token[:2], token[2:]
            else:
                continue
            if target:
                found.append(Include(line.number, INCLUDE_OPTIONS[option], target))
    return found


def _logical_lines(text: str) -> list[tuple[int, int, str, list[int]]]:
    """pip's join_lines with offsets: (first line, last line, text, offsets)."""
    result: list[tuple[int, int, str, list[int]]] = []
    pending: tuple[int, list[str], list[int]] | None = None
    position = 0
    for number, physical in enumerate(text.splitlines(keepends=True), 1):
        body = _without_break(physical)
        start = position
        position += len(physical)
        offsets = list(range(start, start + len(body)))
        if not body.endswith("\\") or COMMENT.match(body):
            if pending is not None:
                first, chars, where = pending
                # pip puts a space before a comment line that ends a continuation.
                prefix = " " if COMMENT.match(body) else ""
                result.append((first, number, "".join(chars) + prefix + body, where + [-1] * len(prefix) + offsets))
                pending = None
            else:
                result.append((number, number, body, offsets))
            continue
        # pip strips backslashes from both ends of a continued line.
        left = len(body) - len(body.lstrip("\\"))
        right = len(body.rstrip("\\"))
        piece, where = body[left:right], offsets[left:right]
        if pending is None:
            pending = (number, [piece], where)
        else:
            pending[1].append(piece)
            pending[2].extend(where)
    if pending is not None:
        first, chars, where = pending
        result.append((first, first + len(chars) - 1, "".join(chars), where))
    return result


def _without_break(physical: str) -> str:
    """A physical line without its line break (any that str.splitlines splits on)."""
    if physical.endswith("\r\n"):
        return physical[:-2]
    if physical and physical[-1] in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
        return physical[:-1]
    return physical


def _options_start(text: str) -> int:
    """Where pip's break_args_options would start the options: the first token with a dash."""
    for match in re.finditer(r"\S+", text):
        if match.group(0).startswith("-"):
            return match.start()
    return len(text)


def _classify(number: int, last: int, text: str, offsets: tuple[int, ...]) -> Line:
    split = _options_start(text)
    head, tail = text[:split].strip(), text[split:]
    try:
        options = tuple(shlex.split(tail)) if tail.strip() else ()
    except ValueError:
        options = tuple(tail.split())
    if not head:
        return Line(number, last, text, offsets, LineKind.OPTION, options=options)
    if _is_direct(head):
        return Line(number, last, text, offsets, LineKind.DIRECT, options=options)
    try:
        requirement = Requirement(head)
    except InvalidRequirement as exc:
        return Line(number, last, text, offsets, LineKind.INVALID, options=options, error=str(exc).splitlines()[0])
    if requirement.url is not None:
        return Line(number, last, text, offsets, LineKind.DIRECT, requirement, options)
    return Line(number, last, text, offsets, LineKind.REQUIREMENT, requirement, options)


def _is_direct(head: str) -> bool:
    """A URL, a VCS link or a local path or archive, the way pip tells them from names."""
    match = NAME.match(head)
    word = head.split(";", 1)[0].strip() if match is None else head[: match.end()].strip()
    return (
        match is None
        or "://" in head.split(";", 1)[0]
        or head.startswith((".", "/", "~", "\\"))
        or "/" in word
        or "\\" in word
        or word.lower().endswith(ARCHIVE)
        or re.match(r"[A-Za-z]:[\\/]", head) is not None
    )
