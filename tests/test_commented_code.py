"""Commented-out code: what the detector finds, what it must never find, that it
never raises, and the opt-in ``remove-commented-code`` codemod end to end
through the installed console script."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemods import api
from codemods.analysis.commented_code import CommentedCode, find_commented_code
from conftest import assert_plain_patch, clean_env, patch_files, run_cli, snapshot, snapshot_stat, write_tree


def spans(source: str) -> list[tuple[int, int]]:
    return [(block.start_line, block.end_line) for block in find_commented_code(source)]


# -- what is found ---------------------------------------------------------------------

FOUND = {
    "statements": ("x = 1\n# y = 2\n# z = compute(y)\nprint(x)\n", [(2, 3)]),
    "def with body": ("# def area(r):\n#     return 3.14 * r * r\n\nx = 1\n", [(1, 2)]),
    "class with blank line": (
        "# class Point:\n#     x: int\n#\n#     def norm(self):\n#         return abs(self.x)\n",
        [(1, 5)],
    ),
    "if/else": ("# if retries > 3:\n#     give_up()\n# else:\n#     retry()\n", [(1, 4)]),
    "assignment": ("# total = price * quantity\n", [(1, 1)]),
    "augmented assignment": ("# counter += 1\n", [(1, 1)]),
    "call": ("# logger.debug('state %s', state)\n", [(1, 1)]),
    "call over lines": ("# send(\n#     payload,\n#     timeout=5,\n# )\n", [(1, 4)]),
    "imports": ("# import pdb; pdb.set_trace()\n# from os import path\n", [(1, 2)]),
    "typed assignment": ("# retries: int = 3\n# name: str\n", [(1, 2)]),
    "return and raise": ("def f():\n    # return cached\n    # raise ValueError(x)\n    pass\n", [(2, 3)]),
    "inside a function": (
        "def run(jobs):\n    for job in jobs:\n"
        "        # job.prepare()\n        # job.start(now=True)\n        job.run()\n",
        [(3, 4)],
    ),
    "indented under column-0 hashes": ("def f():\n#    if x:\n#        y()\n    return 1\n", [(2, 3)]),
    "else clause alone with body": ("if a:\n    b()\n# else:\n#     c()\n", [(3, 4)]),
    "except clause": ("try:\n    a()\n# except KeyError as e:\n#     log(e)\nexcept Exception:\n    pass\n", [(3, 4)]),
    "header whose body stayed live": ("def f(x):\n    # if x is not None:\n    return x\n", [(2, 2)]),
    "decorated def": ("# @cache\n# def load(p):\n#     return read(p)\n", [(1, 3)]),
    "prose then code": ("# Older, slower version\n# result = [f(x) for x in xs]\n# return result\n", [(2, 3)]),
    "code then prose": ("# cleanup(tmp)\n# Kept for reference only.\n", [(1, 1)]),
    "nested comment inside a block": ("# for item in items:\n#     # skip the header\n#     handle(item)\n", [(1, 3)]),
    "two blocks in one run": ("# a = 1\n# Prose in between here.\n# b = call()\n", [(1, 1), (3, 3)]),
    "with statement": ("# with open(p) as handle:\n#     data = handle.read()\n", [(1, 2)]),
    "url inside a string": ("# fetch('https://example.com/api', retries=2)\n", [(1, 1)]),
    "double hash": ("## x = compute()\n", [(1, 1)]),
    "no space after hash": ("#x = compute()\n#print(x)\n", [(1, 2)]),
    "after the licence header": (
        "# Copyright 2020 Example\n# SPDX-License-Identifier: MIT\n\nimport os\n# os.remove(p)\n",
        [(5, 5)],
    ),
}


@pytest.mark.parametrize("source, expected", FOUND.values(), ids=FOUND.keys())
def test_found(source: str, expected: list[tuple[int, int]]) -> None:
    assert spans(source) == expected


def test_block_lines_are_the_comment_lines_as_written() -> None:
    source = "def f():\n\t# x = 1  \r\n\t# y = x\r\n\treturn 1\r\n"
    assert find_commented_code(source) == [CommentedCode(2, 3, ("\t# x = 1  ", "\t# y = x"))]


# -- what must not be found ----------------------------------------------------------

NOT_FOUND = {
    "single words": "# TODO\n# Returns\n# pass\n# return\n# Deprecated\n",
    "e.g. and i.e.": "# e.g. foo\n# e.g. value = Decimal('-sNaN')\n# i.e. x = 1\n",
    "headings": "# Examples:\n# Returns:\n# Note: see below\n# Default: 10\n# case: unbounded\n",
    "label with a value": "# Example: x = 1\n",
    "notes": "# TODO: x = 1\n# FIXME: remove(x)\n# XXX cleanup()\n# HACK: y = 2\n",
    "pragmas": (
        "# noqa\n# noqa: E501\n# type: ignore\n# type: List[int]\n# pragma: no cover\n# pylint: disable=foo\n"
        "# fmt: off\n# fmt: on\n# isort: skip_file\n# mypy: ignore-errors\n# pyright: basic\n# ruff: noqa\n"
        "# codemods: skip\n# nosec\n# pyre-ignore[7]\n"
    ),
    "shebang and cookie": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nx = 1\n",
    "plain cookie": "# coding: utf-8\nx = 1\n",
    "vim modeline": "# vim: set ts=4 sw=4:\n# vim: ts=4\nx = 1\n",
    "licence header": (
        "# Copyright (c) 2021 Example Corp.\n#\n# Licensed under the Apache License, Version 2.0\n"
        "# x = 1\n\n\"\"\"Docstring.\"\"\"\n"
    ),
    "spdx header": "# SPDX-License-Identifier: Apache-2.0\n# license = 'MIT'\nimport os\n",
    "doctest": "# >>> x = parse('1')\n# >>> x\n# Node(value=1)\n# ... more\n",
    "notebook output": "# In [1]: compute()\n# Out[1]: Result(ok=True)\n# Out: Result(ok=True)\n# Result(ok=False)\n",
    "example under a heading": "# Usage:\n#     client = Client()\n#     client.run()\n",
    "example under a sentence": "# Call it like this\n#\n#   client = Client()\n#   client.run()\n",
    "rst literal block": "# Do this::\n#\n#     x = compute()\n",
    "fenced block": "# ```\n# x = compute()\n# ```\n",
    "url": "# https://example.com/a?b=c\n# see http://example.com/x(1)\n",
    "trailing comments": "x = 1  # y = 2\nfoo()  # bar()\n",
    "values and conditions": "# {'a': 1}\n# 0 <= i < n\n# [1, 2, 3]\n# (epoch, release)\n# not used\n# -1\n",
    "spaced calls": "# compile ()\n# (package) (rest)\n# attr=value (nvpair)\n",
    "yield in prose": "# yield expression\n# yield from expression\n",
    "global in prose": "# global helpers\n",
    "code quoted in a sentence": "# The value of\n# x = a / b\n# is then clipped.\n",
    "list of terms": "# Tokens:\n# STREAM-START\n# DIRECTIVE(name, value)\n# DOCUMENT-START\n# BLOCK-END\n",
    "header without condition": "# if needed:\n# else:\n# try:\n",
    "header with an unparsable body": "# if ch == 'x':\n#     return self.fetch_bom()  -> see issue 12\n",
    "script metadata": "# /// script\n# dependencies = [\n#   'requests',\n# ]\n# ///\nimport requests\n",
    "strings": "x = '# y = 2'\ns = '''\n# z = 3\n'''\n",
    "comment after a backslash": "x = 1 + \\\n    2\n",
    "empty comments": "#\n#\n#\n",
}


@pytest.mark.parametrize("source", NOT_FOUND.values(), ids=NOT_FOUND.keys())
def test_not_found(source: str) -> None:
    assert spans(source) == []


# -- robustness ------------------------------------------------------------------------

ODD_INPUTS = {
    "syntax error before": ("def f(:\n# x = compute()\n", [(2, 2)]),
    "unterminated string": ("# x = compute()\ns = '''never closed\n", [(1, 1)]),
    "unclosed bracket": ("# x = compute()\ny = (1,\n", [(1, 1)]),
    "bad dedent": ("if x:\n        a = 1\n    b = 2\n# c = compute()\n", []),
    "crlf": ("x = 1\r\n# y = compute()\r\n# z = y\r\nw = 2\r\n", [(2, 3)]),
    "lone cr": ("x = 1\r# y = compute()\rw = 2\r", [(2, 2)]),
    "tabs": ("def f():\n\t# y = compute()\n\t#\tif y:\n\treturn 1\n", [(2, 2)]),
    "form feed": ("x = 1\n\x0c\n\x0c# y = compute()\n", [(3, 3)]),
    "null byte": ("# x = compute()\x00\nx = 1\n", None),
    "surrogates": ("# x = '\udcff'\n# y = compute()\n", None),
    "latin-1 mojibake": ("# caf\xc3\xa9 = compute()\n# print(caf\xc3\xa9)\n", None),
    "only a hash": ("#", []),
    "empty": ("", []),
    "no final newline": ("x = 1\n# y = compute()", [(2, 2)]),
    "deep nesting": ("# x = " + "(" * 500 + ")" * 500 + "\n", None),
    "long run of prose": (("# " + "word " * 20 + "(\n") * 300, []),
}


@pytest.mark.parametrize("source, expected", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_odd_inputs_never_raise(source: str, expected: list[tuple[int, int]] | None) -> None:
    found = spans(source)
    if expected is not None:
        assert found == expected


PIECES = [*"#x=( )\n\r\t:'\"\\\x0c+1,[]", "def ", "if ", "else", "\udcff", "\x00"]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_never_raises_on_any_text(source: str) -> None:
    for block in find_commented_code(source):
        assert 1 <= block.start_line <= block.end_line
        assert all(line.lstrip(" \t\x0c").startswith("#") for line in block.lines)


# -- removing what was found keeps programs valid ---------------------------------------

STATEMENTS = [
    "x = 1", "y = compute(x)", "print(x, y)", "import os", "items.append(3)",
    "if x:\n    y = 2", "for i in range(3):\n    total += i", "def f(a):\n    return a",
]
PROSE = ["Explain the next step.", "TODO", "Note: see below", "e.g. x = 1", "noqa", "(a, b)", "Returns:"]


@st.composite
def programs(draw: st.DrawFn) -> str:
    """Small modules mixing live statements, commented-out statements and prose comments."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["code", "commented", "prose", "blank", "block"]))
        indent = draw(st.sampled_from(["", "    "])) if kind != "code" else ""
        statement = draw(st.sampled_from(STATEMENTS))
        if kind == "code":
            lines.extend(statement.split("\n"))
        elif kind == "commented":
            lines.extend(f"{indent}# {part}" for part in statement.split("\n"))
        elif kind == "prose":
            lines.append(f"{indent}# {draw(st.sampled_from(PROSE))}")
        elif kind == "blank":
            lines.append("")
        else:
            lines.extend(["def g():", "    value = 1"])
            lines.extend(f"    # {part}" for part in statement.split("\n"))
            lines.append("    return value")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from([newline, ""]))


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_removing_detected_lines_keeps_programs_parseable(source: str) -> None:
    ast.parse(source)
    found = find_commented_code(source)
    lines = source.splitlines(keepends=True)
    removed = {n for block in found for n in range(block.start_line, block.end_line + 1)}
    after = "".join(line for number, line in enumerate(lines, 1) if number not in removed)
    ast.parse(after)
    assert len(after.splitlines()) == len(lines) - len(removed)
    for block in found:
        assert tuple(line.rstrip("\r\n") for line in lines[block.start_line - 1 : block.end_line]) == block.lines


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_codemod_output_parses_and_is_stable(source: str) -> None:
    first = api.run_source(source, "mod.py", codemods=["remove-commented-code"])
    assert first.error is None, first.error
    after = first.after.decode("utf-8") if first.after is not None else source
    ast.parse(after)
    if "\r\n" in source:
        assert after.count("\n") == after.count("\r\n"), "line endings changed"
    second = api.run_source(after, "mod.py", codemods=["remove-commented-code"])
    assert second.after is None, "a second run changed the output"


# -- the codemod, through the console script -----------------------------------------------

TREE = {
    "pkg/__init__.py": "",
    "pkg/jobs.py": (
        "import os\n"
        "\n"
        "\n"
        "def run(jobs):\n"
        "    # Start each job once.\n"
        "    for job in jobs:\n"
        "        # job.prepare()\n"
        "        # if job.slow:\n"
        "        #     job.warn()\n"
        "        job.start()  # job.start(now=True)\n"
        "    # return len(jobs)\n"
        "\n"
        "\n"
        "# print(run([]))\n"
    ),
    "pkg/crlf.py": b"def f():\r\n\t# x = compute()\r\n\treturn 1\r\n# f()",
    "pkg/prose.py": (
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# Copyright 2024 Example\n# x = 1\n\n"
        "# TODO: x = 1\n# Usage:\n#     run(jobs)\n# >>> run([])\n# 0\nx = 1  # y = 2\n"
    ),
    "pkg/skipped.py": "# codemods: skip\n# x = compute()\n\n# y = compute()  # codemods: skip\nz = 1\n",
    "pkg/broken.py": "def f(:\n# x = compute()\n",
}
JOBS_AFTER = (
    "import os\n"
    "\n"
    "\n"
    "def run(jobs):\n"
    "    # Start each job once.\n"
    "    for job in jobs:\n"
    "        job.start()  # job.start(now=True)\n"
    "\n"
    "\n"
)
CRLF_AFTER = b"def f():\r\n\treturn 1\r\n"


def test_codemod_end_to_end(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", TREE)
    before = snapshot_stat(project)

    default = run_cli("diff", "pkg", cwd=project)
    assert default.code == 0, default
    assert default.out == b"", "the opt-in codemod ran without --only"

    diff = run_cli("diff", "--only", "remove-commented-code", "pkg", cwd=project)
    assert diff.code == 0, diff
    assert_plain_patch(diff.out)
    assert patch_files(diff.out) == ["pkg/crlf.py", "pkg/jobs.py"], diff
    assert snapshot_stat(project) == before, "diff wrote to the project"
    assert "remove-commented-code: 5 changes" in diff.err, diff  # one per block

    # The patch applies to a pristine copy and gives what `apply` writes.
    copy = tmp_path / "copy"
    shutil.copytree(project, copy)
    subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"], input=diff.out, cwd=copy, env=clean_env(), check=True
    )

    applied = run_cli("apply", "--only", "remove-commented-code", "pkg", cwd=project)
    assert applied.code == 0, applied
    after = snapshot(project)
    assert after["pkg/jobs.py"] == JOBS_AFTER.encode()
    assert after["pkg/crlf.py"] == CRLF_AFTER
    for untouched in ("pkg/__init__.py", "pkg/prose.py", "pkg/skipped.py", "pkg/broken.py"):
        assert after[untouched] == before[untouched][0], untouched
    assert snapshot(copy) == after
    ast.parse(after["pkg/jobs.py"])

    again = run_cli("diff", "--check", "--only", "remove-commented-code", "pkg", cwd=project)
    assert again.code == 0, again
    assert again.out == b"", "a second run changed something"


def test_codemod_reports_opt_outs_and_unparsable_files(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", {k: v for k, v in TREE.items() if k.endswith(("skipped.py", "broken.py"))})
    before = snapshot(project)
    result = run_cli("diff", "--only", "remove-commented-code", "--json", "pkg", cwd=project)
    assert result.code == 0, result
    report = json.loads(result.out)
    findings = {(f["path"], f["line"], f["kind"], f["message"]) for file in report["files"] for f in file["findings"]}
    assert findings == {
        ("pkg/skipped.py", 2, "skipped", "left alone: `# codemods: skip`"),
        ("pkg/broken.py", 0, "skipped", "file left alone: does not parse (line 1: invalid syntax)"),
    }, result
    assert all(file["diff"] == "" for file in report["files"]), result
    assert snapshot(project) == before
