"""Top-level import reading for the cycle check."""

from __future__ import annotations

from codemods.analysis.import_graph import reachable, top_level_imports


def test_top_level_imports_resolve_relative_and_submodules() -> None:
    text = (
        "import os, json as j\nfrom . import sibling\nfrom ..core import breaker\n"
        "from pkg.sub import (a,\n    b)\n\ndef f():\n    import deferred\n"
    )
    found = top_level_imports(text, "pkg.utils.helpers")
    assert {"os", "json", "pkg.utils", "pkg.utils.sibling", "pkg.core", "pkg.core.breaker", "pkg.sub", "pkg.sub.a"} <= found
    assert "deferred" not in found


def test_reachable_follows_modules_of_the_checkout_only() -> None:
    sources = {"a": ("import b\n", False), "b": ("import c\nimport os\n", False), "c": ("x = 1\n", False)}
    assert reachable("a", sources.get) >= {"b", "c", "os"}
    assert "a" not in reachable("c", sources.get)
