"""Statement lines from `ast`: every answer equals libcst's own positions, and a
statement is skipped only when none of its lines holds one of the words."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.analysis.statement_lines import statement_lines
from codemods.analysis.syntax import try_parse
from codemods.base import SOURCE_KEY, FileInfo, PythonCodemod

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.joinpath("examples/trading_bot").rglob("*.py"), *ROOT.joinpath("codemods").rglob("*.py")])
TRICKY = {
    "leading comments and blank lines": "import time\n\n# why\n\n# more\nx = int(time.time())\n",
    "nested blocks": (
        "import time\n\nclass A:\n    def f(self):\n        if self:\n            for i in range(3):\n"
        "                try:\n                    y = time.time()\n                except ValueError:\n"
        "                    z = time.time()\n                else:\n                    pass\n"
        "                finally:\n                    w = 1\n            else:\n                v = g(1)\n"
        "        elif x:\n            u = h(2)\n        else:\n            t = k(3)\n        while q():\n            r = s()\n"
        "        with open('f') as fh:\n            fh.read()\n"
    ),
    "decorators and semicolons": "@deco(1)\n@other\ndef f():\n    a = g(); b = h(a)\n    return b\n",
    "continuation lines": "x = call(\n    1,\n    inner(2),\n)\ny = [f(i)\n     for i in range(3)]\nz = 1 + \\\n    g(2)\n",
    "non-ascii and tabs": "def f():\n\tname = 'é'; v = g(name)\n\treturn h(v, 'ü')\n",
    "one-line suites": "if x: y = f(1)\nelse: z = g(2)\nfor i in r(3): s(i)\n",
    "async": "async def f():\n    async with a() as b:\n        await c(b)\n    async for i in d():\n        e(i)\n",
    "repeated text": "x = f(1); y = f(1)\nz = [f(1), f(1)]\n",
}


class _Probe(PythonCodemod):
    """Compares the ast-derived position of every call with PositionProvider's."""

    NAME = "probe"
    SUMMARY = "test only"

    def __init__(self, context: CodemodContext, positions: dict, words: re.Pattern[str] | None = None) -> None:
        super().__init__(context, None, FileInfo("probe.py", None))
        self.positions = positions
        self.words = words
        self.answered = 0
        self.visited_calls: list[str] = []

    def visit_words(self) -> re.Pattern[str] | None:
        return self.words

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        self.visited_calls.append(cst.Module([]).code_for_node(original.func))
        located = self._locate(original)
        if located is not None:
            start = self.positions[original].start
            assert located == (start.line, start.column), cst.Module([]).code_for_node(original)
            self.answered += 1
        return updated


def _probe(text: str, words: re.Pattern[str] | None = None) -> _Probe:
    module = cst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    probe = _Probe(CodemodContext(wrapper=wrapper, scratch={SOURCE_KEY: text}), positions, words)
    probe.transform_module(wrapper.module)
    return probe


@pytest.mark.parametrize("name", TRICKY)
def test_positions_agree_with_libcst(name: str) -> None:
    probe = _probe(TRICKY[name])
    if name == "repeated text":
        assert probe.answered == 0  # `f(1)` twice in each statement: unsure, libcst's positions decide
    else:
        assert probe.answered > 0


def test_positions_agree_on_real_files() -> None:
    answered = sum(_probe(path.read_text(encoding="utf-8")).answered for path in SOURCES)
    assert answered > 1000


def test_only_statements_without_the_words_are_skipped() -> None:
    text = TRICKY["nested blocks"]
    probe = _probe(text, re.compile(r"\btime\b"))
    # Calls on lines holding `time`, and their enclosing statements, are visited.
    assert probe.visited_calls.count("time.time") == 2
    # `g(1)`, `h(2)`, `k(3)`, `s()` and `fh.read` sit in statements without the word.
    assert not {"g", "h", "k", "s", "fh.read"} & set(probe.visited_calls)
    everything = _probe(text)
    assert {"g", "h", "k", "s", "fh.read"} <= set(everything.visited_calls)


def test_a_walk_that_does_not_line_up_gives_up() -> None:
    text = "x = f(1)\ny = g(2)\n"
    other = try_parse("x = f(1)\n")  # one statement where libcst has two
    found = statement_lines(cst.parse_module(text), other, text, re.compile("nothing"))  # type: ignore[arg-type]
    assert found.skip == set() and found.first_line == {}
