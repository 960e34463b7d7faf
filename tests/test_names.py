"""The cheap binding table agrees with libcst's QualifiedNameProvider whenever it answers."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

from codemods.analysis.names import FastNames
from codemods.base import metadata_get

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [*ROOT.joinpath("examples/trading_bot").rglob("*.py"), *ROOT.joinpath("codemods").rglob("*.py")]
)
CASES = {
    "shadowed": "import time\n\ndef f(time):\n    return time.time()\n\ndef g():\n    return time.time()\n",
    "aliases": "import datetime as dt\nfrom time import time as now\nx = dt.datetime.now(dt.timezone.utc)\ny = now()\nz = int(y)\n",
    "star": "from time import *\nx = time()\n",
    "conditional": "try:\n    import ujson as json\nexcept ImportError:\n    import json\nx = json.dumps({})\n",
    "global": "import time\n\ndef f():\n    global time\n    time = None\n\nx = time.time()\n",
    "class": "import time\n\nclass A:\n    time = 5\n    def m(self):\n        return time.time()\n",
    "builtin": "x = int('1')\nint = str\n",
}


def _compare(text: str) -> int:
    fast = FastNames(text)
    wrapper = MetadataWrapper(cst.parse_module(text))
    names = wrapper.resolve(QualifiedNameProvider)
    answered = 0

    class Visit(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal answered
            got = fast.qualified(node.func)
            if got is None:
                return
            answered += 1
            expected = {q.name for q in metadata_get(names, node.func, ())}
            assert got == expected, cst.Module([]).code_for_node(node)

    wrapper.module.visit(Visit())
    return answered


# How many calls the table answers itself: only the unambiguous aliases case;
# every other case has a second binding, a star import or `global`, so libcst decides.
ANSWERED = {"shadowed": 0, "aliases": 3, "star": 0, "conditional": 0, "global": 0, "class": 0, "builtin": 0}


@pytest.mark.parametrize("name", CASES)
def test_cases(name: str) -> None:
    assert _compare(CASES[name]) == ANSWERED[name]


def test_real_files_agree_and_most_calls_are_answered() -> None:
    answered = sum(_compare(path.read_text(encoding="utf-8")) for path in SOURCES)
    assert answered > 500  # the table is conclusive for most calls, or it is useless
