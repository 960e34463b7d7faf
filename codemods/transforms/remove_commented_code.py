"""The ``remove-commented-code`` codemod (opt-in): delete blocks of commented-out code."""

from __future__ import annotations

import re

from codemods.analysis.commented_code import CommentedCode, find_commented_code
from codemods.analysis.syntax import parse_quietly
from codemods.base import Example, SkipFile, TextCodemod, Unchanged
from codemods.models import Kind

# Physical lines with their endings, split as find_commented_code splits them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class RemoveCommentedCode(TextCodemod):
    """
    ## What it does
    Deletes blocks of commented-out code: runs of full-line comments whose text
    parses as Python statements (`# x = compute()`, `# if retry:` with its
    commented body, `# import pdb; pdb.set_trace()`), as `codemods scan` finds them.

    ## Why
    Commented-out code rots: nobody runs it, it is not renamed with the code
    around it, and the reader has to work out whether it still matters. Version
    control keeps the old code.

    ## Safety
    Off unless selected with `--only remove-commented-code`. Only whole comment
    lines are removed, every other byte (newlines, CRLF, tabs, a missing final
    newline) stays as it was, and comments never change what a program does.
    Prose is kept even when it happens to parse (`# TODO`, `# Note: see`,
    `# e.g. x = 1`, a value such as `# (a, b)`), and so are pragmas (`# noqa`,
    `# type:`, `# pylint:`...), the shebang and encoding cookie, licence headers,
    doctest sessions and their output, examples indented under a line of prose,
    and comments after code. A block whose removal would leave fragments of the
    same commented-out code behind (deeper-indented or nested-comment lines that
    do not parse on their own) is left alone and reported, and so is a block on
    or under a `# codemods: skip` comment. A file that does not parse is left alone.
    """

    NAME = "remove-commented-code"
    SUMMARY = "delete blocks of commented-out code (opt-in)"
    COMMIT_SUBJECT = "style: remove commented-out code"
    DEFAULT = False
    FILES = ("*.py", "*.pyi")
    TRIGGERS = ("#",)

    EXAMPLES = [
        Example(
            before=(
                "def total(items):\n"
                "    # Sum the prices.\n"
                "    # result = 0\n"
                "    # for item in items:\n"
                "    #     result += item.price\n"
                "    return sum(item.price for item in items)\n"
            ),
            after=(
                "def total(items):\n"
                "    # Sum the prices.\n"
                "    return sum(item.price for item in items)\n"
            ),
        ),
        Example(  # CRLF, no final newline: only the comment lines go
            before="import os\r\n# import pdb; pdb.set_trace()\r\nprint(os.sep)",
            after="import os\r\nprint(os.sep)",
        ),
        Example(  # a header whose body stayed live code, and a call over several lines
            before=(
                "def load(path):\n"
                "    # if not os.path.exists(path):\n"
                "    return open(path).read()\n"
                "\n"
                "# logger.debug(\n"
                "#     'loaded %s', path,\n"
                "# )\n"
            ),
            after="def load(path):\n    return open(path).read()\n\n",
        ),
        Unchanged(  # prose that parses, and values and conditions in prose
            "# TODO\n# Returns\n# Note: see below\n# e.g. x = compute()\n# 0 <= i < n\nx = 1  # y = 2\n"
        ),
        Unchanged(  # pragmas, shebang and cookie
            "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# type: ignore\n# pylint: disable=invalid-name\n"
            "# fmt: off\nx = 1\n"
        ),
        Unchanged(  # a licence header
            "# Copyright 2024 Example Corp.\n# SPDX-License-Identifier: MIT\n# x = 1\n\nimport os\n"
        ),
        Unchanged(  # doctest sessions and their output, examples under a heading
            "# >>> parse('1 + 2')\n# BinOp(left=1, right=2)\n#\n# Usage:\n#     client = Client()\n"
            "#     client.run()\nx = 1\n"
        ),
        Unchanged(  # only part of it parses as code: removing that part would leave fragments
            "x = 1\n# def check(key):\n#     # the old way\n#     try:\n#         verify(key)\n"
            "#     except KeyError:\n#         return False\ny = 2\n"
        ),
        Unchanged("# codemods: skip\n# x = compute()\n# y = x + 1\nz = 2\n"),
        Unchanged("# x = compute()  # codemods: skip\nz = 2\n"),
        Unchanged("z = 2  # codemods: skip\n# x = compute()\n"),  # the line above the block opts out
    ]

    def transform_text(self, text: str) -> str:
        if _parse_error(text) is not None:
            raise SkipFile(f"does not parse ({_parse_error(text)})")
        # Each kept line with its line number in the original text, so that the
        # opt-out lines and reports refer to what the user wrote.
        kept = [(number, line) for number, line in enumerate(_LINE.findall(text), 1)]
        reported: set[int] = set()
        while True:
            current = "".join(line for _, line in kept)
            removed: set[int] = set()
            blocks = find_commented_code(current)
            ragged = _ragged_runs(kept, blocks)
            for block in blocks:
                original = kept[block.start_line - 1][0]
                if self._opted_out(kept, block.start_line, block.end_line):
                    if original not in reported:
                        reported.add(original)
                        self.report(original, "left alone: `# codemods: skip`")
                    continue
                if _run_of(kept, block.start_line - 1) in ragged:
                    if original not in reported:
                        reported.add(original)
                        self.report(original, "commented-out code mixed with lines that are not code on their own: left alone")
                    continue
                removed.update(range(block.start_line - 1, block.end_line))
                self.changes += 1
            if not removed:
                break
            # Removing a block can join the prose around it into a new run: look again.
            kept = [entry for index, entry in enumerate(kept) if index not in removed]
        result = "".join(line for _, line in kept)
        if result != text and _parse_error(result) is not None:  # pragma: no cover - a bug
            self.report(0, f"output did not parse ({_parse_error(result)}); change dropped", Kind.BUG)
            self.changes = 0
            return text
        return result

    def _opted_out(self, kept: list[tuple[int, str]], first: int, last: int) -> bool:
        """A `# codemods: skip` inside the block's run of comments, or on the line above it."""
        skip = self.file.skip_lines
        if not skip:
            return False
        start, end = first - 1, last - 1  # 0-based into kept
        while start > 0 and kept[start - 1][1].lstrip().startswith("#"):
            start -= 1
        while end + 1 < len(kept) and kept[end + 1][1].lstrip().startswith("#"):
            end += 1
        lines = {kept[index][0] for index in range(start, end + 1)}
        if start > 0:
            lines.add(kept[start - 1][0])
        return bool(lines & skip)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _run_of(kept: list[tuple[int, str]], index: int) -> tuple[int, int]:
    """The run of full-line comments at the same indentation around ``index`` (0-based, inclusive)."""
    line = kept[index][1]
    margin = line[: len(line) - len(line.lstrip())]
    same = lambda i: _is_comment(kept[i][1]) and kept[i][1].startswith(margin) and not kept[i][1][len(margin)].isspace()  # noqa: E731
    start = end = index
    while start > 0 and same(start - 1):
        start -= 1
    while end + 1 < len(kept) and same(end + 1):
        end += 1
    return start, end


def _ragged_runs(kept: list[tuple[int, str]], blocks: list[CommentedCode]) -> set[tuple[int, int]]:
    """Runs whose blocks would leave fragments of the same code behind.

    A block is removed only when what stays of its run reads as prose: no line
    indented deeper (inside the comment) than the run's outermost lines and no
    nested comment (`#     # why`), which belong to the code around them.
    Removing `# def f(k):` and `#     return False` while `#     try:` stays
    would leave a worse comment than before.
    """
    ragged = set()
    inside = {index for block in blocks for index in range(block.start_line - 1, block.end_line)}
    for run in {_run_of(kept, block.start_line - 1) for block in blocks}:
        contents = [kept[i][1].lstrip()[1:].rstrip("\r\n") for i in range(run[0], run[1] + 1)]
        depths = [len(c) - len(c.lstrip()) for c in contents if c.strip()]
        base = min(depths, default=0)
        for index, content in zip(range(run[0], run[1] + 1), contents):
            if index in inside or not content.strip():
                continue
            if len(content) - len(content.lstrip()) > base or content.lstrip().startswith("#"):
                ragged.add(run)
                break
    return ragged


def _parse_error(text: str) -> str | None:
    try:
        parse_quietly(text)
    except SyntaxError as error:
        return f"line {error.lineno or 0}: {error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return str(error)
    return None
