"""Redundant files for `codemods scan`: duplicates, leftovers and modules nothing imports, on small real trees."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from codemods.analysis.redundant_files import RedundantFile, find_redundant_files, leftover_reason

NOT_IMPORTED = "no module imports it and it is not an entry point"
BODY = "def helper(value):\n    return value * 2  # long enough to be compared for duplicates\n"


def write(root: Path, files: Mapping[str, str | bytes]) -> list[str]:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return sorted(files)


def found(root: Path, files: Mapping[str, str | bytes], entry_points: tuple[str, ...] = ()) -> dict[str, tuple[str, str]]:
    paths = write(root, files)
    return {r.path: (r.kind, r.reason) for r in find_redundant_files(root, paths, entry_points)}


def unimported(result: Mapping[str, tuple[str, str]]) -> list[str]:
    return sorted(path for path, (kind, _) in result.items() if kind == "unimported")


PACKAGE = {
    "pyproject.toml": (
        '[project]\nname = "app"\n'
        '[project.scripts]\napp = "app.cli:main"\n'
        '[project.gui-scripts]\napp-gui = "app.gui:run"\n'
        '[project.entry-points."app.plugins"]\nx = "app.plugin_x:Plugin"\n'
        '[tool.myapp]\nplugins = ["app.extra"]\n'
        '[tool.setuptools.package-data]\napp = ["templates/*.py"]\n'
    ),
    "app/__init__.py": "",
    "app/__main__.py": "from app.cli import main\nmain()\n",
    "app/cli.py": "from . import service, registry\ndef main(): ...\n",
    "app/gui.py": "def run(): ...\n",
    "app/plugin_x.py": "class Plugin: ...\n",
    "app/extra.py": "X = 1\n",
    "app/templates/tpl.py": "TEMPLATE = 1\n",
    "app/service.py": "from .core import work\nfrom .helpers import strings\nimport app.sub.deep\nfrom app.sub import mod\n",
    "app/core.py": "import importlib\nimportlib.import_module('app.dyn.a')\n__import__('app.lazy')\nfrom .legacy_old import x\n",
    "app/legacy_old.py": "x = 1\n",  # a leftover name, but imported: in use
    "app/helpers/__init__.py": "",
    "app/helpers/strings.py": BODY,
    "strings.py": BODY,
    "zz/strings.py": BODY,
    "app/dyn/__init__.py": "",
    "app/dyn/a.py": "A = 1\n",
    "app/lazy.py": "L = 1\n",
    "app/sub/__init__.py": "",
    "app/sub/deep.py": "D = 1\n",
    "app/sub/mod.py": "M = 1\n",
    "app/plugins/__init__.py": "import pkgutil, importlib\nfor info in pkgutil.iter_modules(__path__):\n    pass\n",
    "app/plugins/p1.py": "P = 1\n",
    "app/registry.py": (
        "import importlib, pkgutil\nfrom app import transforms\n"
        "def load():\n    for info in pkgutil.iter_modules(transforms.__path__):\n"
        "        importlib.import_module(f'app.transforms.{info.name}')\n"
    ),
    "app/transforms/__init__.py": "",
    "app/transforms/t1.py": "T = 1\n",
    "app/mocked.py": "def func(): ...\n",
    "app/datafile.py": "READ_AS_TEXT = 1\n",
    "app/worker.py": "W = 1\n",
    "app/orphan.py": "ORPHAN = 1\n",
    "app/unparsable.py": "def broken(:\n",
    "app/script.py": "#!/usr/bin/env python\nprint('hi')\n",
    "app/runme.py": "def go(): ...\n\nif __name__ == '__main__':\n    go()\n",
    "app/migrations/0001_initial.py": "OPS = []\n",
    "tests/test_core.py": "from unittest.mock import patch\npatch('app.mocked.func')\nopen('datafile.py')\n",
    "tests/helpers.py": "H = 1\n",
    "check_test.py": "C = 1\n",
    "conftest.py": "",
    "setup.py": "from setuptools import setup\nsetup()\n",
    "noxfile.py": "N = 1\n",
    "fabfile.py": "F = 1\n",
    "manage.py": "M = 1\n",
    "docs/conf.py": "project = 'app'\n",
    "docs/gen.py": "G = 1\n",
    "scripts/tool.py": "T = 1\n",
    "examples/demo.py": "D = 1\n",
    "bin/run.py": "R = 1\n",
    "benchmarks/bench.py": "B = 1\n",
    "Dockerfile": 'CMD ["python", "-m", "app.worker"]\n',
}


def test_package_layout_reports_only_the_orphan_module(tmp_path: Path) -> None:
    result = found(tmp_path, PACKAGE)
    assert unimported(result) == ["app/orphan.py", "app/unparsable.py"]
    assert result["app/orphan.py"] == ("unimported", NOT_IMPORTED)


def test_duplicates_keep_the_imported_copy_and_report_the_others(tmp_path: Path) -> None:
    paths = write(tmp_path, PACKAGE)
    duplicates = [r for r in find_redundant_files(tmp_path, paths) if r.kind == "duplicate"]
    size = len(BODY.encode())
    assert duplicates == [
        RedundantFile("strings.py", size, "duplicate", "identical to app/helpers/strings.py", "app/helpers/strings.py"),
        RedundantFile("zz/strings.py", size, "duplicate", "identical to app/helpers/strings.py", "app/helpers/strings.py"),
    ]


def test_duplicates_without_importers_keep_the_shortest_then_the_first_path(tmp_path: Path) -> None:
    data = "x" * 100
    result = find_redundant_files(tmp_path, write(tmp_path, {
        "data/y.json": data, "data/long/x.json": data, "data/x.json": data, "other.json": "y" * 100,
    }))
    assert [(r.path, r.other) for r in result] == [("data/long/x.json", "data/x.json"), ("data/y.json", "data/x.json")]


def test_a_leftover_copy_is_never_the_kept_one(tmp_path: Path) -> None:
    result = find_redundant_files(tmp_path, write(tmp_path, {"a.py.bak": BODY, "abc_long_name.py": BODY}))
    assert [(r.path, r.kind, r.other) for r in result] == [("a.py.bak", "duplicate", "abc_long_name.py")]


def test_small_marker_and_licence_files_are_not_duplicates(tmp_path: Path) -> None:
    licence = "Permission is hereby granted, free of charge, to any person obtaining a copy " * 3
    init = "from .impl import *  # noqa: F401,F403  re-exported for the public API of the package\n"
    files = {
        "a/empty.txt": "", "b/empty.txt": "",
        "a/tiny.cfg": "[x]\ny = 1\n", "b/tiny.cfg": "[x]\ny = 1\n",
        "a/__init__.py": init, "b/__init__.py": init,
        "a/py.typed": "partial\n" * 10, "b/py.typed": "partial\n" * 10,
        "LICENSE": licence, "vendor/lib/LICENSE.txt": licence, "vendor/lib/COPYING": licence,
    }
    assert find_redundant_files(tmp_path, write(tmp_path, files)) == []


def test_every_leftover_pattern(tmp_path: Path) -> None:
    files = {
        "app/core.py.bak": "1", "app/conflict.py.orig": "2", "app/patch.py.rej": "3", "notes.txt~": "4",
        "app/.core.py.swp": "5", "app/.#core.py": "6", "app/#core.py#": "7", "app/core.py.old": "8",
        "app/core_old.py": "9", "app/core_backup.py": "10", "app/service copy.py": "11",
        "app/service copy 2.py": "12", "app/service - Copy.py": "13",
        # Names that only look alike.
        "app/threshold.py": "X = 1\n", "app/copy.py": "Y = 1\n", "app/backup.py": "Z = 1\n", "app/bold.py": "W = 1\n",
    }
    result = found(tmp_path, files)
    assert {path: reason for path, (kind, reason) in result.items() if kind == "leftover"} == {
        "app/core.py.bak": "editor backup (*.bak)",
        "app/conflict.py.orig": "merge leftover (*.orig)",
        "app/patch.py.rej": "rejected patch hunk (*.rej)",
        "notes.txt~": "editor backup (*~)",
        "app/.core.py.swp": "vim swap file (*.swp)",
        "app/.#core.py": "Emacs lock file (.#*)",
        "app/#core.py#": "Emacs auto-save file (#*#)",
        "app/core.py.old": "old copy (*.py.old)",
        "app/core_old.py": "old copy (*_old.py)",
        "app/core_backup.py": "backup copy (*_backup.py)",
        "app/service copy.py": "file manager copy (* copy)",
        "app/service copy 2.py": "file manager copy (* copy N)",
        "app/service - Copy.py": "file manager copy (* - Copy)",
    }
    assert leftover_reason("app/threshold.py") is None and leftover_reason("app/copy.py") is None


def test_src_layout_with_config_and_caller_entry_points(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.poetry.scripts]\nmy = "mylib.cli:run"\nother = { callable = "mylib.other:go" }\n',
        "setup.cfg": "[options.entry_points]\nconsole_scripts =\n    tool = mylib.tool:main\n",
        "src/mylib/__init__.py": "",
        "src/mylib/a.py": "from mylib.b import x\n",
        "src/mylib/b.py": "x = 1\n",
        "src/mylib/c.py": "C = 1\n",
        "src/mylib/d.py": "D = 1\n",
        "src/mylib/cli.py": "def run(): ...\n",
        "src/mylib/other.py": "def go(): ...\n",
        "src/mylib/tool.py": "def main(): ...\n",
        "src/mylib/entry.py": "E = 1\n",
        "src/mylib/byhand.py": "H = 1\n",
        "tests/test_a.py": "from mylib import a\nfrom src.mylib import d\n",
    }
    result = found(tmp_path, files, entry_points=("mylib.entry:main", "src/mylib/byhand.py"))
    assert result == {"src/mylib/c.py": ("unimported", NOT_IMPORTED)}


def test_namespace_packages_and_path_tails_resolve(tmp_path: Path) -> None:
    files = {
        "ns/pkg/mod.py": "M = 1\n", "ns/pkg/used.py": "U = 1\n", "ns/pkg/lonely.py": "L = 1\n",
        "main.py": "import ns.pkg.mod\nimport pkg.used\nif __name__ == '__main__':\n    pass\n",
    }
    assert unimported(found(tmp_path, files)) == ["ns/pkg/lonely.py"]


def test_a_flat_folder_of_scripts_reports_no_unimported_module(tmp_path: Path) -> None:
    files = {"a.py": "import os\n", "b.py": "import json\n", "c.py": "print(1)\n", "c.py.bak": "print(0)\n"}
    assert found(tmp_path, files) == {"c.py.bak": ("leftover", "editor backup (*.bak)")}


def test_nested_project_is_judged_on_its_own(tmp_path: Path) -> None:
    # The outer project imports its own modules; the nested one is a folder of scripts.
    files = {
        "pkg/__init__.py": "", "pkg/a.py": "from pkg import b\n", "pkg/b.py": "", "pkg/c.py": "", "pkg/__main__.py": "import pkg.a\n",
        "examples/bot/pyproject.toml": "[project]\nname = 'bot'\n",
        "examples/bot/run.py": "print(1)\n", "examples/bot/other.py": "print(2)\n",
    }
    assert unimported(found(tmp_path, files)) == ["pkg/c.py"]


def test_django_autodiscovered_modules_are_entry_points(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "", "shop/views.py": "from django.http import HttpResponse\nfrom .forms import F\n",
        "shop/forms.py": "F = 1\n", "shop/admin.py": "", "shop/apps.py": "", "shop/models.py": "",
        "shop/management/commands/sync.py": "", "shop/stale.py": "",
        "site/settings.py": "ROOT_URLCONF = 'site.urls'\n", "site/urls.py": "from shop import views\n",
    }
    assert unimported(found(tmp_path, files)) == ["shop/stale.py", "site/settings.py"]


def test_missing_unreadable_and_binary_files_never_raise(tmp_path: Path) -> None:
    paths = write(tmp_path, {"pkg/__init__.py": "", "pkg/__main__.py": "from pkg import a\n", "pkg/a.py": "from pkg import b\n", "pkg/b.py": "",
                             "pkg/bad.py": b"\xff\xfe\x00garbage\x00", "blob.bin": bytes(range(256))})
    (tmp_path / "link.py").symlink_to(tmp_path / "pkg" / "a.py")
    result = find_redundant_files(tmp_path, [*paths, "gone.py", "link.py", "pkg"])
    assert [(r.path, r.kind) for r in result] == [("pkg/bad.py", "unimported")]


def test_results_are_sorted_and_sizes_are_bytes(tmp_path: Path) -> None:
    result = find_redundant_files(tmp_path, write(tmp_path, {"z.bak": "12345", "a~": "1", "m.orig": "123"}))
    assert [(r.path, r.size) for r in result] == [("a~", 1), ("m.orig", 3), ("z.bak", 5)]
