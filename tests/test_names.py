"""The cheap binding table agrees with libcst's QualifiedNameProvider whenever it answers."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, QualifiedNameSource

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


def _compare(text: str, positions: bool = False, walrus: bool = False) -> int:
    """How many calls the table answers; every answer must equal libcst's.

    Known difference (``walrus``): libcst keeps a walrus target inside a
    comprehension in the comprehension's scope, where PEP 572 binds it in the
    enclosing one. There the table says "not the import" (set()), which is
    Python's answer and the safe one for a codemod.
    """
    fast = FastNames(text)
    wrapper = MetadataWrapper(cst.parse_module(text))
    names = wrapper.resolve(QualifiedNameProvider)
    where = wrapper.resolve(PositionProvider)
    start = (lambda node: (where[node].start.line, where[node].start.column)) if positions else None
    answered = 0

    class Visit(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal answered
            got = fast.qualified(node.func, start)
            if got is None:
                return
            answered += 1
            found = metadata_get(names, node.func, ())
            # A name also bound by an assignment counts as no importable name (as PythonCodemod.qualified_names has it).
            expected = set() if any(q.source is QualifiedNameSource.LOCAL for q in found) else {q.name for q in found}
            if walrus and got == set() and expected:
                return
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
    answered = sum(_compare(path.read_text(encoding="utf-8"), positions=True) for path in SOURCES)
    assert answered > 500  # the table is conclusive for most calls, or it is useless


# A module-level import rebound only inside some scope: with the position of the
# name asked about, the table answers outside that scope and stays quiet inside it
# (and wherever the scope's edges make it unsure). Each case counts the calls answered
# (builtins included) without and with positions.
SCOPED = {
    # `time` rebound in one method: the other function's call is the import's.
    "local assignment": ("import time\n\ndef f():\n    time = 3\n    return time\n\ndef g():\n    return time.time()\n", (0, 1)),
    # Parameters bind in the function; the call in the default runs outside but sits in the span: unsure.
    "parameter and default": ("import time\n\ndef f(time=time.time()):\n    return time()\n\nx = time.time()\n", (0, 3)),
    # A walrus in a comprehension binds in the enclosing function, not the comprehension.
    "walrus": ("import time\n\ndef f(xs):\n    ys = [(time := x) for x in xs]\n    return time.time()\n\ny = time.time()\n", (0, 2)),
    # A walrus in a module-level comprehension rebinds the module's name: the table gives up.
    "module walrus": ("import time\n\nys = [(time := x) for x in range(3)]\nz = time.time()\n", (1, 2)),
    # The comprehension's own target shadows only inside it.
    "comprehension target": ("import time\n\nxs = [time for time in range(3)]\ny = time.time()\n", (1, 2)),
    # A class attribute is not seen from the methods, but the table is conservative inside the class.
    "class body": ("import time\n\nclass A:\n    time = 5\n    def m(self):\n        return time.time()\n\nz = time.time()\n", (0, 1)),
    # A closure sees the outer function's binding.
    "closure": ("import time\n\ndef f():\n    time = object()\n    def g():\n        return time.time()\n    return g\n\nz = time.time()\n", (1, 3)),
    # A lambda parameter.
    "lambda": ("import time\n\nf = lambda time: time.time()\nz = time.time()\n", (0, 2)),
    # An except name at module level is a second module binding.
    "except name": ("import time\n\ntry:\n    pass\nexcept Exception as time:\n    pass\nz = time.time()\n", (0, 0)),
    # `global` anywhere: libcst decides.
    "global": ("import time\n\ndef f():\n    global time\n    time = 1\n\nz = time.time()\n", (0, 0)),
    # Non-ASCII text before the name on the same line: columns are characters, not bytes.
    "non-ascii": ("import time\n\ndef f():\n    time = 1\n\nz = ('é', time.time())\n", (0, 1)),
    # A decorator runs in the enclosing scope.
    "decorator": ("import time\n\ndef deco(f):\n    return lambda g: g\n\n@deco(time.time())\ndef f(time):\n    return time\n\nz = time.time()\n", (0, 3)),
}


@pytest.mark.parametrize("name", SCOPED)
def test_scoped_rebinding_is_answered_only_where_it_is_sure(name: str) -> None:
    text, (without, with_positions) = SCOPED[name]
    walrus = ":=" in text
    assert (_compare(text), _compare(text, positions=True, walrus=walrus)) == (without, with_positions)
