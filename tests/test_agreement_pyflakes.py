"""Our unused-import detector against pyflakes on real code.

Runs both over this repository's ``codemods/`` and ``tests/`` and over the
installed sources of a few dependencies (found through importlib, so any venv
works). Each (path, line, name) flagged by one and not the other must be a
justified difference: either one of the rules below, where we follow ruff's F401
on purpose, or an entry of KNOWN. A new disagreement fails the test.

Run as a script to print the figures: ``python tests/test_agreement_pyflakes.py``.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
import pytest
from pyflakes import checker, messages

from codemods.analysis.unused_imports import UnusedImport, find_unused_imports, may_have_unused_imports

REPO_ROOT = Path(__file__).resolve().parent.parent
# Third-party packages read from the venv. CODEMODS_AGREEMENT_FULL=1 adds the
# large ones (about a minute more).
PACKAGES = ("click", "git", "packaging", "tomlkit")
LARGE_PACKAGES = ("hypothesis", "libcst")

Key = tuple[str, int, str]  # (path, line, what pyflakes prints: "numpy as np", "typing.List")

# Disagreements that no rule below explains, each with its reason. Empty: keep it so.
KNOWN: dict[Key, str] = {}

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)


def pyflakes_display(found: UnusedImport) -> str:
    """How pyflakes names an unused import: ``numpy as np``, ``os.path``, ``typing.List``."""
    if found.name == found.qualified or found.qualified.rsplit(".", 1)[-1] == found.name:
        return found.qualified
    return f"{found.qualified} as {found.name}"


def ours(path: str, text: str) -> set[Key]:
    module = cst.parse_module(text)
    real_path = path.removesuffix(":stripped")  # __init__.py stays __init__.py
    return {(path, f.line, pyflakes_display(f)) for f in find_unused_imports(module, real_path)}


def theirs(path: str, text: str) -> set[Key]:
    tree = ast.parse(text, filename=path)
    result = checker.Checker(tree, filename=path)
    return {
        (path, m.lineno, m.message_args[0]) for m in result.messages if isinstance(m, messages.UnusedImport)
    }


# -- where we differ from pyflakes on purpose (ruff's F401 rules) ------------------


def _statement_of(tree: ast.Module, line: int) -> ast.Import | ast.ImportFrom | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno == line:
            return node
    return None


def justified_pyflakes_only(key: Key, text: str, tree: ast.Module) -> str | None:
    """Why pyflakes flags ``key`` and we do not, if it is one of ruff's rules."""
    _, line, display = key
    statement = _statement_of(tree, line)
    if statement is None:
        return None
    lines = text.splitlines()[statement.lineno - 1 : (statement.end_lineno or statement.lineno)]
    for source_line in lines:
        match = _NOQA.search(source_line)
        if match and (match.group("codes") is None or "F401" in match.group("codes").upper()):
            return "noqa"  # pyflakes reads no comments; flake8 and ruff honour them
    if display.endswith(".*") or display.startswith("from "):
        return "star import"  # ruff: F403/F405, not F401
    for alias in statement.names:
        if alias.asname is not None and alias.asname == alias.name:
            bound = display.rsplit(".", 1)[-1] if isinstance(statement, ast.ImportFrom) else display
            if bound == alias.name:
                return "explicit re-export"  # `import x as x`: ruff never reports it
    name = display.split(" as ")[-1] if " as " in display else display.split(".")[0]
    if isinstance(statement, ast.ImportFrom):
        name = display.split(" as ")[-1] if " as " in display else display.rsplit(".", 1)[-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Global) and name in node.names:
            # `global x` in a function that then reads x: pyflakes resolves the read
            # to the global statement, not the import; removing it would break the code.
            return "read through `global`"
        if isinstance(node, ast.Delete) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            # pyflakes ignores a `del` in a conditional branch; removing the import
            # would make that `del` raise NameError.
            return "deleted with `del`"
    return None


@dataclass
class Comparison:
    files: int = 0
    both: set[Key] = field(default_factory=set)
    pyflakes_only: set[Key] = field(default_factory=set)
    ours_only: set[Key] = field(default_factory=set)
    justified: dict[Key, str] = field(default_factory=dict)
    seconds_ours: float = 0.0
    seconds_pyflakes: float = 0.0
    # Files where we find unused imports but the scan's cheap prefilter says there are none.
    hidden_by_prefilter: list[str] = field(default_factory=list)
    passed_by_prefilter: int = 0

    @property
    def unexplained(self) -> list[tuple[str, Key]]:
        left = [("pyflakes only", k) for k in sorted(self.pyflakes_only) if k not in self.justified]
        left += [("ours only", k) for k in sorted(self.ours_only) if k not in self.justified]
        return [(side, key) for side, key in left if key not in KNOWN]

    def figures(self) -> str:
        reasons: dict[str, int] = {}
        for reason in self.justified.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        detail = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))

        def unmodified(keys: set[Key]) -> int:
            return sum(1 for path, _, _ in keys if not path.endswith(":stripped"))

        return (
            f"{self.files} files (with stripped variants): flagged by both {len(self.both)} "
            f"({unmodified(self.both)} in unmodified files), pyflakes only {len(self.pyflakes_only)} "
            f"({unmodified(self.pyflakes_only)}), ours only {len(self.ours_only)} ({unmodified(self.ours_only)}); "
            f"justified: {detail or 'none'}; "
            f"ours {self.seconds_ours:.1f} s, pyflakes {self.seconds_pyflakes:.1f} s"
        )


def corpus() -> list[tuple[str, Path]]:
    """(label path, file) of every Python file compared."""
    found: list[tuple[str, Path]] = []
    for folder in ("codemods", "tests"):
        for file in sorted((REPO_ROOT / folder).rglob("*.py")):
            found.append((file.relative_to(REPO_ROOT).as_posix(), file))
    full = os.environ.get("CODEMODS_AGREEMENT_FULL") == "1"
    for package in (*PACKAGES, *(LARGE_PACKAGES if full else ())):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        root = Path(spec.origin).parent
        for file in sorted(root.rglob("*.py")):
            found.append((f"{package}/{file.relative_to(root).as_posix()}", file))
    return found


class _StripBodies(ast.NodeTransformer):
    """Every function body becomes `...`: imports used only in bodies turn unused."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.body = [ast.Expr(ast.Constant(...))]
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]


def stripped(text: str) -> str | None:
    """``text`` with its function bodies emptied (real import structure, many unused imports)."""
    try:
        return ast.unparse(_StripBodies().visit(ast.parse(text)))
    except (SyntaxError, ValueError, RecursionError):
        return None


def texts(files: list[tuple[str, Path]]) -> list[tuple[str, str]]:
    """(label, source) of each file, and of its stripped variant (label suffixed `:stripped`)."""
    found: list[tuple[str, str]] = []
    for path, file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found.append((path, text))
        if path.startswith("tests/"):
            continue  # test modules are many and long; their stripped form adds time, not cases
        variant = stripped(text)
        if variant is not None:
            found.append((f"{path}:stripped", variant))
    return found


def compare(files: list[tuple[str, Path]]) -> Comparison:
    result = Comparison()
    for path, text in texts(files):
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError):
            continue
        result.files += 1
        started = time.perf_counter()
        mine = ours(path, text)
        result.seconds_ours += time.perf_counter() - started
        started = time.perf_counter()
        other = theirs(path, text)
        result.seconds_pyflakes += time.perf_counter() - started
        result.both |= mine & other
        if may_have_unused_imports(tree):
            result.passed_by_prefilter += 1
        elif mine:
            result.hidden_by_prefilter.append(path)
        for key in other - mine:
            result.pyflakes_only.add(key)
            reason = justified_pyflakes_only(key, text, tree)
            if reason is not None:
                result.justified[key] = reason
        result.ours_only |= mine - other
    return result


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(corpus())


def test_no_new_disagreement(comparison: Comparison) -> None:
    print(comparison.figures())
    problems = "\n".join(f"{side}: {key}" for side, key in comparison.unexplained)
    assert not problems, f"new disagreements with pyflakes:\n{problems}\n{comparison.figures()}"


def test_corpus_is_real(comparison: Comparison) -> None:
    assert comparison.files > 200, comparison.figures()
    assert len(comparison.both) > 20, comparison.figures()


def test_scan_prefilter_hides_nothing(comparison: Comparison) -> None:
    """`codemods scan` runs the scope analysis only where `may_have_unused_imports` says so."""
    assert comparison.hidden_by_prefilter == [], comparison.hidden_by_prefilter
    # and it is a filter: most real files have every import read
    assert comparison.passed_by_prefilter < comparison.files * 0.8, (comparison.passed_by_prefilter, comparison.files)


def test_known_differences_still_occur(comparison: Comparison) -> None:
    """A KNOWN entry that no longer disagrees is stale: remove it."""
    disagreements = comparison.pyflakes_only | comparison.ours_only
    stale = [key for key in KNOWN if key not in disagreements]
    assert not stale, stale


if __name__ == "__main__":
    outcome = compare(corpus())
    print(outcome.figures())
    for side, key in outcome.unexplained:
        print(side, key)
    for key, reason in sorted(outcome.justified.items()):
        print("justified", reason, key)
    sys.exit(1 if outcome.unexplained else 0)
