"""Qualified names without libcst's scope analysis, where that is provably the same.

libcst's QualifiedNameProvider needs a full ScopeProvider pass: seconds on a
9,000-line module. Most names a codemod asks about (`time`, `datetime`, `int`)
are bound exactly once in the whole file, by a module-level import, or never
(a builtin). For those the answer needs only the list of bindings, which the
standard library's `ast` collects in a fraction of the time. Anything less
clear-cut (several bindings, a star import, `global`, a relative import, a
parse that `ast` refuses) returns None and the caller falls back to libcst.
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter

import libcst as cst
from codemods.analysis.syntax import try_parse

_BUILTINS = frozenset(dir(builtins))


def _module_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run at module level: the body and the blocks of top-level if/try/with."""
    found: list[ast.stmt] = []
    for statement in body:
        found.append(statement)
        if isinstance(statement, (ast.If, ast.Try, ast.With)) or type(statement).__name__ == "TryStar":
            for field in ("body", "orelse", "finalbody"):
                found.extend(_module_level_statements(getattr(statement, field, []) or []))
            for handler in getattr(statement, "handlers", []) or []:
                found.extend(_module_level_statements(handler.body))
    return found


class FastNames:
    """Binding facts of one module, from one `ast` pass."""

    def __init__(self, text: str) -> None:
        self.usable = True
        self.counts: Counter[str] = Counter()
        self.imports: dict[str, str] = {}  # bound name -> qualified name, module-level imports only
        tree = try_parse(text)
        if tree is None:
            self.usable = False
            return
        self._collect(tree)

    def _collect(self, tree: ast.Module) -> None:
        module_level = {id(node) for node in _module_level_statements(tree.body)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.counts[node.id] += 1
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.counts[node.name] += 1
            elif isinstance(node, ast.arg):
                self.counts[node.arg] += 1
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.counts[node.name] += 1
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.counts.update({name: 2 for name in node.names})  # never "bound once"
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                self.counts[node.name] += 1
            elif isinstance(node, ast.MatchMapping) and node.rest:
                self.counts[node.rest] += 1
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".", 1)[0]
                    self.counts[bound] += 1
                    if id(node) in module_level:
                        self.imports[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        self.usable = False
                        return
                    bound = alias.asname or alias.name
                    self.counts[bound] += 1
                    if id(node) in module_level and not node.level and node.module:
                        self.imports[bound] = f"{node.module}.{alias.name}"
            elif type(node).__name__ in ("TypeAlias", "TypeVar", "ParamSpec", "TypeVarTuple"):
                name = getattr(node, "name", None)
                if isinstance(name, str):
                    self.counts[name] += 1

    def qualified(self, node: cst.CSTNode) -> set[str] | None:
        """``{qualified name}``, ``set()`` for a name bound to nothing importable, or None (ask libcst)."""
        if not self.usable:
            return None
        chain: list[str] = []
        while isinstance(node, cst.Attribute):
            chain.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        root = node.value
        count = self.counts[root]
        if count == 0:
            if chain:
                return None  # libcst names `dict.fromkeys` as `builtins.dict`: keep its answer
            return {f"builtins.{root}"} if root in _BUILTINS else set()
        if count == 1 and root in self.imports:
            return {".".join([self.imports[root], *reversed(chain)])}
        return None
