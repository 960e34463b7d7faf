"""Adding and removing imports without a full libcst pass."""

from __future__ import annotations

import libcst as cst
import pytest

from codemods.imports import insert_import, remove_top_level_imports


@pytest.mark.parametrize(
    "before, after",
    [
        ("import os\n\nx = 1\n", "import os\n\nfrom app.t import now\n\nx = 1\n"),
        ("import os\nimport app.x\n\nx = 1\n", "import os\nimport app.x\nfrom app.t import now\n\nx = 1\n"),
        ("import app.x\nimport os\n", "import app.x\nfrom app.t import now\nimport os\n"),
        ('"""Doc."""\nx = 1\n', '"""Doc."""\nfrom app.t import now\n\nx = 1\n'),
        ("x = 1\n", "from app.t import now\n\nx = 1\n"),
        # Imports after sys.path set-up depend on it: the new one goes after them too.
        (
            "import os, sys\nsys.path.insert(0, 'lib')\nimport app.x\n\ndef f():\n    pass\n",
            "import os, sys\nsys.path.insert(0, 'lib')\nimport app.x\nfrom app.t import now\n\ndef f():\n    pass\n",
        ),
        # A late import below a def is deliberate: neither merged into nor followed.
        ("import os\n\ndef f():\n    pass\n\nfrom app.t import a\n", "import os\n\nfrom app.t import now\n\ndef f():\n    pass\n\nfrom app.t import a\n"),
        ("from app.t import a\n", "from app.t import a, now\n"),
        ("from app.t import a, z\n", "from app.t import a, now, z\n"),
        ("from app.t import z, a\n", "from app.t import z, a, now\n"),
        ("from app.t import (\n    a,\n)\n", "from app.t import (\n    a,\n    now,\n)\n"),
        ("from app.t import now\n", "from app.t import now\n"),
        ("from __future__ import annotations\nimport os\n", "from __future__ import annotations\nimport os\n\nfrom app.t import now\n"),
    ],
)
def test_insert_import(before: str, after: str) -> None:
    assert insert_import(cst.parse_module(before), "app.t", "now").code == after


def test_insert_import_before_the_first_use_at_import_time() -> None:
    module = cst.parse_module("import os\nSTART = now()\nfrom app.t import a\n")
    code = insert_import(module, "app.t", "now").code
    assert code == "import os\n\nfrom app.t import now\nSTART = now()\nfrom app.t import a\n"


def test_insert_import_with_alias() -> None:
    code = insert_import(cst.parse_module("import os\n"), "app.t", "now", "now_ms").code
    assert code == "import os\n\nfrom app.t import now as now_ms\n"


def _orphan(module: cst.Module, statement: int, name: str) -> tuple[cst.CSTNode, str]:
    return module.body[statement].body[0], name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "before, statement, name, after",
    [
        ("import os\nimport time\nx = 1\n", 1, "time", "import os\nx = 1\n"),
        ("import os, time\n", 0, "time", "import os\n"),
        ("import time, os\n", 0, "time", "import os\n"),
        ("from datetime import datetime, timezone\n", 0, "timezone", "from datetime import datetime\n"),
        ("from datetime import (\n    datetime,\n    timezone,\n)\n", 0, "timezone", "from datetime import (\n    datetime,\n)\n"),
        ("import os\n# the clock\nimport time\nx = 1\n", 1, "time", "import os\n# the clock\nx = 1\n"),
        ("import time as t; import os\n", 0, "t", "import os\n"),
    ],
)
def test_remove_top_level_imports(before: str, statement: int, name: str, after: str) -> None:
    module = cst.parse_module(before)
    if ";" in before:
        node = module.body[0].body[0]  # type: ignore[attr-defined]
        orphans = [(node, name)]
    else:
        orphans = [_orphan(module, statement, name)]
    new, rest, filled = remove_top_level_imports(module, module, orphans)
    assert not filled
    assert rest == []
    assert new.code == after


def test_nested_imports_are_left_to_the_caller() -> None:
    module = cst.parse_module("def f():\n    import time\n    return 1\n")
    inner = module.body[0].body.body[0].body[0]  # type: ignore[attr-defined]
    new, rest, _ = remove_top_level_imports(module, module, [(inner, "time")])
    assert new.code == module.code
    assert rest == [(inner, "time")]
