"""The ``remove-commented-code`` codemod (opt-in): delete blocks of commented-out code."""

from __future__ import annotations

import re

from codemods.analysis.commented_code import find_commented_code
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
    and comments after code. A block on or under a `# codemods: skip` comment is
    left alone and reported. A file that does not parse is left alone.
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
            for block in find_commented_code(current):
                original = kept[block.start_line - 1][0]
                if self._opted_out(kept, block.start_line, block.end_line):
                    if original not in reported:
                        reported.add(original)
                        self.report(original, "left alone: `# codemods: skip`")
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


def _parse_error(text: str) -> str | None:
    try:
        parse_quietly(text)
    except SyntaxError as error:
        return f"line {error.lineno or 0}: {error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return str(error)
    return None
