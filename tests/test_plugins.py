"""`[tool.codemods] plugins`: a project's own codemods, run by the real console script.

Plugins change the registry of the process that loads them, so every test
here runs `codemods` in a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_one_line_error, init_repo, run_cli, run_parallel, CODEMODS, write_tree

PLUGIN = '''\
"""Upper-cases TODO markers: a stand-in for a team's own rule."""
from codemods.base import TextCodemod


class ShoutTodo(TextCodemod):
    """
    ## What it does
    Writes `todo:` markers as `TODO:`.
    ## Why
    One spelling is easy to grep for.
    ## Safety
    Only comment markers change.
    """

    NAME = "shout-todo"
    SUMMARY = "todo: -> TODO:"
    FILES = ("*.py",)

    def transform_text(self, text: str) -> str:
        marker = "# " + "todo:"  # spelled in two pieces so this file is no match of its own
        self.changes = text.count(marker)
        return text.replace(marker, marker.upper())
'''
PYPROJECT = '[tool.codemods]\nplugins = ["team_rules.shout"]\n'


def project(root: Path, files: int = 1) -> Path:
    tree: dict[str, str | bytes] = {"pyproject.toml": PYPROJECT, "team_rules/__init__.py": "", "team_rules/shout.py": PLUGIN}
    tree.update({f"pkg/m{i}.py": f"x = {i}  # todo: name it\n" for i in range(files)})
    return init_repo(write_tree(root, tree))


def test_list_and_explain_show_the_plugin(tmp_path: Path) -> None:
    root = project(tmp_path / "app")
    listed, explained = run_parallel(((CODEMODS, "list"), root), ((CODEMODS, "explain", "shout-todo"), root))
    assert listed.code == 0 and explained.code == 0, (listed, explained)
    assert any(line.split()[:3] == ["shout-todo", "on", "todo:"] for line in listed.out.decode().splitlines()), listed
    assert "One spelling is easy to grep for." in explained.out.decode()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_plugin_runs_in_process_and_in_workers(tmp_path: Path, jobs: str) -> None:
    # Twelve files: past the pool threshold, so -j 2 runs them in worker processes.
    root = project(tmp_path / "app", files=12)
    result = run_cli("apply", "--only", "shout-todo", "-j", jobs, cwd=root)
    assert result.code == 0, result
    for i in range(12):
        assert (root / f"pkg/m{i}.py").read_bytes() == f"x = {i}  # TODO: name it\n".encode()
    assert "shout-todo: 12 changes" in result.err, result


@pytest.mark.parametrize(
    "module, words",
    [
        ("raise RuntimeError('boom')\n", ["plugin 'team_rules.shout' cannot be imported", "RuntimeError: boom"]),
        ("x = 1\n", ["plugin 'team_rules.shout' defines no codemod"]),
        (PLUGIN.replace('"shout-todo"', '"timestamp"'), ["a codemod named 'timestamp' exists already"]),
    ],
    ids=["import-error", "no-codemod", "name-clash"],
)
def test_bad_plugin_is_one_line_exit_2(tmp_path: Path, module: str, words: list[str]) -> None:
    root = project(tmp_path / "app")
    (root / "team_rules/shout.py").write_text(module, encoding="utf-8")
    before = (root / "pkg/m0.py").read_bytes()
    line = assert_one_line_error(run_cli("diff", cwd=root), *words)
    assert line.startswith(f"codemods: error: {root / 'pyproject.toml'}:2: "), line
    assert (root / "pkg/m0.py").read_bytes() == before


def test_plugins_must_be_a_list_of_names(tmp_path: Path) -> None:
    root = project(tmp_path / "app")
    (root / "pyproject.toml").write_text('[tool.codemods]\nplugins = "team_rules.shout"\n', encoding="utf-8")
    assert_one_line_error(run_cli("list", cwd=root), "plugins must be a list of module names")
