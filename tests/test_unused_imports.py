"""Unused imports: what the detector finds and must not find, and the opt-in
``remove-unused-imports`` codemod end to end (console script, exact bytes,
idempotence, behaviour kept when the changed modules run)."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from codemods import api
from codemods.analysis.unused_imports import UnusedImport, find_unused_imports, unused_import_sites
from codemods.models import Status
from conftest import run_cli, snapshot, write_tree

NAME = "remove-unused-imports"


def found(source: str, path: str = "pkg/mod.py") -> list[tuple[int, str]]:
    """(line, name) of each unused import of ``source``."""
    module = cst.parse_module(textwrap.dedent(source))
    return [(u.line, u.name) for u in find_unused_imports(module, path)]


def remove(source: str, path: str = "pkg/mod.py") -> tuple[str, dict[str, int], list[str]]:
    """(text after the codemod, changes, finding messages)."""
    result = api.run_source(source, path, codemods=[NAME])
    assert result.status is not Status.ERROR, result.error
    after = result.after.decode("utf-8") if result.after is not None else source
    return after, dict(result.changes), [f"{f.line}: {f.message}" for f in result.findings]


# -- the detector: what is found ---------------------------------------------------


def test_exact_names_lines_and_qualified() -> None:
    source = (
        "import os\n"
        "import numpy as np\n"
        "import os.path\n"
        "from typing import (\n"
        "    Dict,\n"
        "    List,\n"
        ")\n"
        "from .models import User\n"
        "from .. import base as b\n"
        "from . import sibling\n"
    )
    assert find_unused_imports(cst.parse_module(source), "pkg/mod.py") == [
        UnusedImport(2, 2, "np", "numpy"),
        UnusedImport(3, 3, "os.path", "os.path"),
        UnusedImport(4, 7, "Dict", "typing.Dict"),
        UnusedImport(4, 7, "List", "typing.List"),
        UnusedImport(8, 8, "User", ".models.User"),
        UnusedImport(9, 9, "b", "..base"),
        UnusedImport(10, 10, "sibling", ".sibling"),
    ]  # `import os` then `import os.path`: pyflakes judges the last binding of `os` only


@pytest.mark.parametrize(
    "source, expected",
    [
        pytest.param("import os\n", [(1, "os")], id="plain"),
        pytest.param("import os\nimport os\n", [(2, "os")], id="redefinition-reports-the-last"),
        pytest.param("def f():\n    import json\n", [(2, "json")], id="in-function"),
        pytest.param("if X:\n    import json\n", [(2, "json")], id="conditional"),
        pytest.param("import fu\ndef f():\n    global fu\n", [(1, "fu")], id="global-without-use"),
        pytest.param("import os\ndef f():\n    os = 1\n    return os\n", [(1, "os")], id="shadowed-in-function"),
        pytest.param("import os\n[os for os in ()]\n", [(1, "os")], id="comprehension-variable"),
        pytest.param("print(os)\nimport os\n", [(2, "os")], id="used-before-import"),
        pytest.param("import os  # noqa: E501\n", [(1, "os")], id="noqa-for-another-code"),
        pytest.param(
            "try:\n    import numpy\n    HAS = True\nexcept ImportError:\n    HAS = False\n",
            [(2, "numpy")],
            id="availability-check",
        ),
        pytest.param(
            "try:\n    import simplejson as json\nexcept ImportError:\n    import json\n",
            [(4, "json")],
            id="fallback-import",
        ),
        pytest.param("from x import a\n__all__ = ['b']\n", [(1, "a")], id="all-lists-others"),
        pytest.param("def f():\n    from x import a\n    __all__ = ['a']\n", [(2, "a")], id="all-in-function"),
        pytest.param("import a.b as c\n", [(1, "c")], id="dotted-with-alias"),
        pytest.param("import os\nx = 'os'\n", [(1, "os")], id="name-in-plain-string"),
    ],
)
def test_found(source: str, expected: list[tuple[int, str]]) -> None:
    assert found(source) == expected


# -- the detector: what must not be found ----------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("import os\nos.getcwd()\n", id="used"),
        pytest.param("import os.path\nos.getcwd()\n", id="submodule-binds-package"),
        pytest.param("import os.path\nos.path.join('a')\n", id="submodule-attribute"),
        pytest.param("import os\nos.getcwd()\nimport os\n", id="reimport-after-use"),
        pytest.param("import os\nos = 1\n", id="rebound-by-assignment"),
        pytest.param("import os\nfor os in range(3): pass\n", id="rebound-by-loop"),
        pytest.param("if X:\n    import json\nelse:\n    json = None\n", id="conditional-with-fallback"),
        pytest.param("try:\n    import ujson\nexcept ImportError:\n    ujson = None\n", id="try-with-fallback"),
        pytest.param("from __future__ import annotations\n", id="future"),
        pytest.param("from os import *\n", id="star"),
        pytest.param("import x as x\nfrom y import z as z\n", id="explicit-reexport"),
        pytest.param("from x import a, b\n__all__ = ['a']\n__all__ += ['b']\n", id="all-augmented"),
        pytest.param("from x import a, b\n__all__ = ('a',) + ('b',)\n", id="all-concatenated"),
        pytest.param("from x import a, b\n__all__ = ['a']\n__all__.extend(['b'])\n", id="all-extend"),
        pytest.param("from x import a\nif X:\n    __all__ = ['a']\n", id="all-in-if"),
        pytest.param("import os  # noqa\n", id="noqa"),
        pytest.param("import os  # noqa: F401\n", id="noqa-f401"),
        pytest.param("import os  # NOQA:F401,E501\n", id="noqa-codes"),
        pytest.param("from x import (  # noqa: F401\n    a,\n    b,\n)\n", id="noqa-multiline-first"),
        pytest.param("from x import (\n    a,\n    b,  # noqa\n)\n", id="noqa-multiline-inside"),
        pytest.param("import os\ndel os\n", id="del"),
        pytest.param("import fu\ndef f():\n    global fu\n    fu.x()\n", id="read-through-global"),
        pytest.param("def f():\n    global foo\n    import foo\n", id="bound-through-global"),
        pytest.param("import functools\n@functools.wraps\ndef f(): pass\n", id="decorator"),
        pytest.param("import sys\ndef f(x=sys.argv): pass\n", id="default-argument"),
        pytest.param("import os\nprint(f'{os.sep}')\n", id="f-string"),
        pytest.param("import os\nprint(f'{os.sep!r:>{os.sep}}')\n", id="f-string-format-spec"),
        pytest.param("from x import Foo\ndef __getattr__(name):\n    return Foo\n", id="module-getattr"),
        pytest.param("class A:\n    import os\n", id="class-attribute"),
        pytest.param("import os\nclass A:\n    x = os.sep\n", id="used-in-class-body"),
        pytest.param("import os\nlambda: os\n", id="lambda"),
        pytest.param(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x import Bar\ndef f(b: 'Bar') -> None: ...\n",
            id="type-checking-string-annotation",
        ),
        pytest.param(
            "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from x import Bar\ndef f(b: Bar) -> list[Bar]: ...\n",
            id="type-checking-postponed-annotation",
        ),
        pytest.param("from x import Bar\ndef f():\n    y: 'Bar' = 1\n", id="string-variable-annotation"),
        pytest.param("from x import Bar\nfrom typing import List\ny: List['Bar'] = []\n", id="string-in-generic"),
        pytest.param("from x import Bar\nfrom typing import Optional\nY = Optional['Bar']\n", id="string-type-alias"),
        pytest.param("import typing\nfrom x import Bar\nY = typing.Optional['Bar']\n", id="string-dotted-generic"),
        pytest.param("from typing import cast\nfrom x import Bar\ny = cast('Bar', 1)\n", id="string-in-cast"),
        pytest.param("from typing import TypeVar\nfrom x import Bar\nT = TypeVar('T', bound='Bar')\n", id="string-bound"),
        pytest.param("import os\nx: os = 1\n", id="annotation"),
        pytest.param("import os\ndef f():\n    def g():\n        return os\n", id="nested-function"),
        pytest.param("import os\nmatch x:\n    case os.sep: pass\n", id="match-value"),
    ],
)
def test_not_found(source: str) -> None:
    assert found(source) == []


def test_init_imports_are_reported_and_marked() -> None:
    module = cst.parse_module("from .models import User\nimport os\n")
    result = find_unused_imports(module, "app/__init__.py")
    assert [(u.name, u.in_init, u.removable) for u in result] == [("User", True, False), ("os", True, False)]
    assert all(u.in_init is False for u in find_unused_imports(module, "app/models.py"))


def test_guarded_imports_are_marked() -> None:
    module = cst.parse_module(
        "try:\n    import a\nexcept (ValueError, ImportError):\n    import b\nelse:\n    import c\nfinally:\n    import d\n"
    )
    assert [(u.name, u.guarded) for u in find_unused_imports(module, "m.py")] == [
        ("a", True), ("b", True), ("c", False), ("d", False),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "",
        "\n\n",
        "import os; import os\n",
        "if x: import os\n",
        "async def f():\n    import os\n    async with a as os: pass\n",
        "def f[T](x: T) -> T:\n    import os\n    return x\n",
        "type X = int\nimport os\n",
        "x = (y := 1)\nimport y\n",
        "import a, a.b, a.b.c\n",
        "from . import *\n",
        "from .... import x\n",
        "@(lambda f: f)\nclass A: import os\n",
        "'''doc'''\nimport os\n" * 50,
        "exec('import os')\n",
        "x: 'not valid python(' = 1\nimport os\n",
        "def f(x: 'List[') -> None: ...\n",
        "import os\nos: int\n",
    ],
)
def test_never_raises(source: str) -> None:
    module = cst.parse_module(source)
    for site in unused_import_sites(module, "x/__init__.py"):
        assert site.finding.line >= 1
    find_unused_imports(module, "m.py")


# -- the codemod on in-memory sources -----------------------------------------------


def test_keeps_other_names_and_comments() -> None:
    source = (
        "#!/usr/bin/env python\n"
        '"""Docstring."""\n'
        "\n"
        "# Standard library.\n"
        "import os, sys  # both\n"
        "from collections import (  # keep me\n"
        "    OrderedDict,\n"
        "    defaultdict,  # trailing\n"
        "    deque,\n"
        ")\n"
        "\n"
        "print(sys.argv, deque)\n"
    )
    after, changes, _ = remove(source)
    assert after == (
        "#!/usr/bin/env python\n"
        '"""Docstring."""\n'
        "\n"
        "# Standard library.\n"
        "import sys  # both\n"
        "from collections import (  # keep me\n"
        "    deque,\n"
        ")\n"
        "\n"
        "print(sys.argv, deque)\n"
    )
    assert changes == {NAME: 3}


def test_semicolons_and_blocks() -> None:
    source = (
        "import os; x = 1\n"
        "def f():\n"
        "    # only imports here\n"
        "    import json\n"
        "    import re\n"
        "class C:\n"
        "    def m(self):\n"
        "        import json\n"
        "        return 1\n"
    )
    after, changes, _ = remove(source)
    assert after == (
        "x = 1\n"
        "def f():\n"
        "    # only imports here\n"
        "    pass\n"
        "class C:\n"
        "    def m(self):\n"
        "        return 1\n"
    )
    assert changes == {NAME: 4}


def test_module_of_only_imports() -> None:
    after, changes, _ = remove("import os\n# end\n")
    assert after == "# end\n"
    assert changes == {NAME: 1}
    ast.parse(after)


def test_reports_what_it_leaves() -> None:
    source = (
        "try:\n"
        "    import ujson\n"
        "    FAST = True\n"
        "except ImportError:\n"
        "    FAST = False\n"
        "import os\n"
        "import os\n"
        "if X: import re\n"
        "import json  # codemods: skip\n"
        "import shutil\n"
    )
    after, changes, messages = remove(source)
    assert after == source.replace("import shutil\n", "")
    assert changes == {NAME: 1}
    assert messages == [
        "2: unused import `ujson` inside try/except ImportError (an availability check): not removed",
        "7: unused import `os`: the name is bound more than once in this scope, not removed",
        "8: unused import `re` on one line with its block header: not removed",
        "9: unused import `json` left alone: `# codemods: skip`",
    ]


def test_init_is_reported_not_changed() -> None:
    source = "from .models import User\nimport os\n"
    after, changes, messages = remove(source, "app/__init__.py")
    assert after == source and changes == {}
    assert messages == [
        "1: unused import `User` in __init__.py: a re-export? add it to __all__ (not removed)",
        "2: unused import `os` in __init__.py: a re-export? add it to __all__ (not removed)",
    ]


def test_crlf_and_idempotence() -> None:
    source = "import os\r\nimport sys\r\n\r\nprint(sys.argv)\r\n"
    result = api.run_source(source, "m.py", codemods=[NAME])
    assert result.after == b"import sys\r\n\r\nprint(sys.argv)\r\n"
    again = api.run_source(result.after.decode(), "m.py", codemods=[NAME])
    assert again.after is None and again.changes == {}


# -- behaviour: the module computes the same globals before and after -------------------

_MODULES = [
    ("os", "os.sep"),
    ("json", "json.dumps([1])"),
    ("math", "math.pi"),
    ("string", "string.digits"),
    ("os.path", "os.path.join('a', 'b')"),
    ("from collections import OrderedDict", "list(OrderedDict(a=1))"),
    ("from functools import reduce", "reduce(lambda a, b: a + b, [1, 2])"),
    ("from itertools import chain as ch", "list(ch([1], [2]))"),
    ("import textwrap as tw", "tw.dedent(' x')"),
    ("from decimal import Decimal", "str(Decimal('1.5'))"),
]


def _program(rng: random.Random) -> str:
    lines = []
    uses = []
    for index, (spec, use) in enumerate(_MODULES):
        if rng.random() < 0.6:
            statement = spec if spec.startswith(("from ", "import ")) else f"import {spec}"
            place = rng.choice(["top", "top", "function", "if"])
            if place == "top":
                lines.insert(0, statement)
            elif place == "function":
                lines.append(f"def f{index}():\n    {statement}\n    return {use if rng.random() < 0.5 else 1}")
                uses.append(f"r{index} = f{index}()")
                continue
            else:
                lines.append(f"if True:\n    {statement}")
            if rng.random() < 0.5:
                uses.append(f"r{index} = {use}")
    return "\n".join([*lines, *uses]) + "\n"


def _globals(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), namespace)
    return {k: v for k, v in namespace.items() if not callable(v) and not k.startswith("__") and type(v).__name__ != "module"}


@pytest.mark.parametrize("seed", range(40))
def test_removal_keeps_behaviour(seed: int) -> None:
    source = _program(random.Random(seed))
    module = cst.parse_module(source)
    unused = {u.name.split(".")[0] for u in find_unused_imports(module, "generated.py")}
    after, _, messages = remove(source, "generated.py")
    ast.parse(after)
    before_globals, after_globals = _globals(source), _globals(after)
    assert after_globals == before_globals
    names_before = set(_all_names(source)) - unused
    assert names_before <= set(_all_names(after)), "a used name disappeared"
    left = find_unused_imports(cst.parse_module(after), "generated.py")
    assert all(any(f"`{u.name}`" in m for m in messages) for u in left), (left, messages)  # kept and said why
    assert remove(after, "generated.py")[0] == after, "second run changed the output"


def _all_names(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), namespace)
    return namespace


# -- end to end through the console script --------------------------------------------

PROJECT = {
    "app/__init__.py": "from .models import User\n",
    "app/models.py": "class User:\n    pass\n",
    "app/service.py": (
        "import os\n"
        "import sys\n"
        "from typing import Dict, List\n"
        "\n"
        "\n"
        "def names() -> List[str]:\n"
        "    return sys.argv\n"
    ),
    "app/clean.py": "import sys\n\nprint(sys.argv)\n",
    "app/crlf.py": b"import json\r\nimport re\r\n\r\nre.compile('x')\r\n",
}

EXPECTED_PATCH = (
    b"diff --git a/app/crlf.py b/app/crlf.py\n"
    b"--- a/app/crlf.py\n"
    b"+++ b/app/crlf.py\n"
    b"@@ -1,4 +1,3 @@\n"
    b"-import json\r\n"
    b" import re\r\n"
    b" \r\n"
    b" re.compile('x')\r\n"
    b"diff --git a/app/service.py b/app/service.py\n"
    b"--- a/app/service.py\n"
    b"+++ b/app/service.py\n"
    b"@@ -1,6 +1,5 @@\n"
    b"-import os\n"
    b" import sys\n"
    b"-from typing import Dict, List\n"
    b"+from typing import List\n"
    b" \n"
    b" \n"
    b" def names() -> List[str]:\n"
)


def test_cli_diff_apply_and_rerun(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", PROJECT)
    before = snapshot(root)

    default = run_cli("diff", ".", cwd=root)
    assert default.code == 0, default
    assert default.out == b"", "remove-unused-imports ran without --only"

    diff = run_cli("diff", "--only", NAME, ".", cwd=root)
    assert diff.code == 0, diff
    assert diff.out == EXPECTED_PATCH, diff
    assert "app/__init__.py:1" in diff.err and "add it to __all__" in diff.err, diff
    assert snapshot(root) == before, "diff wrote files"

    applied = run_cli("apply", "--only", NAME, ".", cwd=root)
    assert applied.code == 0, applied
    after = snapshot(root)
    assert after["app/service.py"] == (
        b"import sys\nfrom typing import List\n\n\ndef names() -> List[str]:\n    return sys.argv\n"
    )
    assert after["app/crlf.py"] == b"import re\r\n\r\nre.compile('x')\r\n"
    for untouched in ("app/__init__.py", "app/models.py", "app/clean.py"):
        assert after[untouched] == before[untouched], untouched

    again = run_cli("diff", "--only", NAME, ".", cwd=root)
    assert again.code == 0 and again.out == b"", again


def test_cli_list_and_explain(tmp_path: Path) -> None:
    listed = run_cli("list", cwd=tmp_path)
    assert listed.code == 0, listed
    line = next(line for line in listed.text.splitlines() if line.startswith(NAME))
    assert line.split()[1] == "off", line
    explained = run_cli("explain", NAME, cwd=tmp_path)
    assert explained.code == 0, explained
    for section in ("What it does", "Why", "Safety", "side effects", "__init__.py"):
        assert section in explained.text, section


def test_codemod_on_real_code_leaves_nothing_pyflakes_flags() -> None:
    """click with its function bodies emptied: hundreds of real unused imports.

    After the codemod every file parses, a second run changes nothing, and pyflakes
    flags only what the codemod reported keeping (or a rule we follow ruff on).
    """
    from test_agreement_pyflakes import corpus, justified_pyflakes_only, stripped, theirs

    files = [(label, file) for label, file in corpus() if label.startswith("click/")]
    assert files, "click is not installed"
    removed = 0
    for label, file in files:
        text = stripped(file.read_text(encoding="utf-8"))
        assert text is not None
        after, changes, _ = remove(text, label)
        removed += changes.get(NAME, 0)
        tree = ast.parse(after)
        again, _, messages = remove(after, label)
        assert again == after, f"{label}: second run changed the output"
        kept = {int(message.split(":", 1)[0]) for message in messages}
        left = [k for k in theirs(label, after) if k[1] not in kept and not justified_pyflakes_only(k, after, tree)]
        assert not left, left
    assert removed > 100


# -- names other files take from a module ---------------------------------------------

FACADE_USERS = {
    "from-import": "from pkg.facade import helper\nprint(helper())\n",
    "relative": None,  # pkg/user.py below: `from .facade import helper`
    "submodule attribute": "from pkg import facade\nprint(facade.helper())\n",
    "dotted": "import pkg.facade\nprint(pkg.facade.helper())\n",
    "alias": "import pkg.facade as f\nprint(f.helper())\n",
    "star": "from pkg.facade import *\nprint(helper())\n",
}


@pytest.mark.parametrize("spelling", FACADE_USERS)
def test_an_import_other_files_take_from_the_module_stays(tmp_path: Path, spelling: str) -> None:
    # pkg/facade.py re-exports helper without __all__: unused in its own file, but
    # main.py imports it from there. Removing it would break main.py; `os` can go.
    files = {
        "pkg/__init__.py": "",
        "pkg/impl.py": "def helper():\n    return 42\n",
        "pkg/facade.py": "from pkg.impl import helper\nimport os\n",
        "main.py": FACADE_USERS[spelling] or "from pkg.user import run\nrun()\n",
        "pkg/user.py": "from .facade import helper\n\n\ndef run():\n    print(helper())\n",
    }
    root = write_tree(tmp_path / "app", files)
    before = subprocess.run([sys.executable, "main.py"], cwd=root, capture_output=True, text=True)
    assert before.returncode == 0 and before.stdout == "42\n", before
    result = run_cli("apply", "--only", "remove-unused-imports", cwd=root)
    assert result.code == 0, result
    # A star import takes every public name, `os` included.
    kept = files["pkg/facade.py"] if spelling == "star" else "from pkg.impl import helper\n"
    assert (root / "pkg/facade.py").read_text() == kept
    assert "imports `helper` from this module (not removed)" in result.err, result
    after = subprocess.run([sys.executable, "main.py"], cwd=root, capture_output=True, text=True)
    assert (after.returncode, after.stdout) == (0, "42\n"), after
