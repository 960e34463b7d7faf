"""Qualified names without libcst's scope analysis, where that is provably the same.

libcst's QualifiedNameProvider needs a full ScopeProvider pass: seconds on a
9,000-line module. Most names a codemod asks about (`time`, `datetime`, `int`)
are bound exactly once in the whole file, by a module-level import, or never
(a builtin). For those the answer needs only the list of bindings, which the
standard library's `ast` collects in a fraction of the time. Anything less
clear-cut returns None and the caller falls back to libcst.

A name bound once at module level by an import and again only inside
functions, lambdas, comprehensions or class bodies (`time = ...` in one
method of a 9,000-line class) is still answered, given the position of the
name asked about: outside every scope that binds it, it is the import. Any
doubt (the position is on a scope's edge, `global`, a second module-level
binding, a star import, a relative import, a parse that `ast` refuses) means
None.
"""

from __future__ import annotations

import ast
import builtins
from collections import Counter, defaultdict
from typing import Callable, Iterator

import libcst as cst
from codemods.analysis.syntax import try_parse

_BUILTINS = frozenset(dir(builtins))
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
Point = tuple[int, int]  # (line, column in characters), as libcst's PositionProvider gives them
Span = tuple[Point, Point]  # [start, end)
Scope = tuple[Span, str]  # a scope's region and its kind: function, lambda, class, comprehension


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
        self.module_counts: Counter[str] = Counter()  # bindings in the module's own scope
        self.module_imports_only: dict[str, bool] = {}  # name -> every module-level binding is an import
        # name -> {region of a scope binding it: (kind of scope, every binding there is an import)}
        self.local: dict[str, dict[Span, tuple[str, bool]]] = defaultdict(dict)
        self.declared: set[str] = set()  # names in `global`/`nonlocal` statements
        self.deleted: set[str] = set()  # names in `del` or bound by `except ... as`: libcst decides
        self.imported_anywhere: dict[str, set[str]] = {}  # name -> what imports bind to it, in any scope
        self._lines = text.splitlines(keepends=True)
        tree = try_parse(text)
        self.tree = tree  # for other cheap analyses of the same text
        if tree is None:
            self.usable = False
            return
        self._collect(tree)
        if self.usable:
            self._scopes(tree)

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

    def qualified(
        self, node: cst.CSTNode, position: Callable[[cst.Name], Point | None] | None = None
    ) -> set[str] | None:
        """``{qualified name}``, ``set()`` for a name bound to nothing importable, or None (ask libcst).

        ``set()`` is also the answer for a name bound by an assignment, a parameter
        or a definition where it is read: that is what the caller makes of
        libcst's LOCAL names. ``position`` gives where a name node starts; it is
        asked only when the binding counts alone do not decide.
        """
        if not self.usable:
            return None
        outermost = node  # starts where its root name starts, and its text is more often unique
        chain: list[str] = []
        while isinstance(node, cst.Attribute):
            chain.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        root = node.value
        count = self.counts[root]
        if count == 0:
            return self._unbound(root, chain)
        if count == 1 and root in self.imports:
            return {".".join([self.imports[root], *reversed(chain)])}
        if position is None or root in self.declared or root in self.deleted:
            return None
        where = position(outermost)
        if where is None:
            return None
        scopes = [(span, facts) for span, facts in self.local[root].items() if span[0] <= where < span[1]]
        if scopes:
            # Scopes nest, so the one starting last is the innermost: the name resolves there.
            _, (kind, imports_only) = max(scopes, key=lambda item: item[0][0])
            if kind not in ("function", "lambda") or imports_only:
                return None  # class bodies and comprehensions scope subtly; imports need libcst's names
            return set()
        if self.module_counts[root] == 0:
            return self._unbound(root, chain)
        if not self.module_imports_only[root]:
            return set()
        if self.module_counts[root] == 1 and root in self.imports:
            return {".".join([self.imports[root], *reversed(chain)])}
        return None

    @staticmethod
    def _unbound(root: str, chain: list[str]) -> set[str] | None:
        if chain:
            return None  # libcst names `dict.fromkeys` as `builtins.dict`: keep its answer
        return {f"builtins.{root}"} if root in _BUILTINS else set()

    # -- which scopes bind which names ----------------------------------------------
    def _scopes(self, tree: ast.Module) -> None:
        """Attribute every binding to the scope it lands in: the module, or a scope's region.

        A function's region is its body (parameters bind there; decorators,
        defaults and annotations run outside it), a lambda's its expression, a
        class's its body, a comprehension's all of it. A walrus binds in the
        nearest scope that is not a comprehension.
        """
        work: list[tuple[ast.AST, tuple[Scope, ...]]] = [(tree, ())]
        while work:
            node, scopes = work.pop()
            work.extend(self._children(node, scopes))

    def _bind(self, name: str, scopes: tuple[Scope, ...], imported: bool = False) -> None:
        if scopes:
            span, kind = scopes[-1]
            _, imports_only = self.local[name].get(span, (kind, True))
            self.local[name][span] = (kind, imports_only and imported)
        else:
            self.module_counts[name] += 1
            self.module_imports_only[name] = self.module_imports_only.get(name, True) and imported

    def _span(self, first: ast.AST, last: ast.AST) -> Span:
        start = (first.lineno, self._column(first.lineno, first.col_offset))  # type: ignore[attr-defined]
        end_line = last.end_lineno or last.lineno  # type: ignore[attr-defined]
        end = (end_line, self._column(end_line, last.end_col_offset or 0))  # type: ignore[attr-defined]
        return start, end

    def _column(self, line: int, offset: int) -> int:
        """ast's UTF-8 byte offset as a character column."""
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        return offset if text.isascii() else len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

    def _children(self, node: ast.AST, scopes: tuple[Scope, ...]) -> Iterator[tuple[ast.AST, tuple[Scope, ...]]]:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if isinstance(node, ast.Lambda):
                inner = (*scopes, (self._span(node.body, node.body), "lambda"))
                body: list[ast.AST] = [node.body]
            else:
                self._bind(node.name, scopes)
                inner = (*scopes, (self._span(node.body[0], node), "function"))
                body = list(node.body)
                yield from ((d, scopes) for d in node.decorator_list)
                if node.returns is not None:
                    yield node.returns, scopes
            arguments = node.args
            yield from ((d, scopes) for d in [*arguments.defaults, *arguments.kw_defaults] if d is not None)
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]:
                if arg is not None:
                    self._bind(arg.arg, inner)
                    if arg.annotation is not None:
                        yield arg.annotation, scopes
            for name in _type_params(node):
                self._bind(name, inner)
            yield from ((statement, inner) for statement in body)
        elif isinstance(node, ast.ClassDef):
            self._bind(node.name, scopes)
            inner = (*scopes, (self._span(node.body[0], node), "class"))
            yield from ((d, scopes) for d in [*node.decorator_list, *node.bases, *node.keywords])
            for name in _type_params(node):
                self._bind(name, inner)
            yield from ((statement, inner) for statement in node.body)
        elif isinstance(node, _COMPREHENSIONS):
            inner = (*scopes, (self._span(node, node), "comprehension"))
            first, *rest = node.generators
            yield first.iter, scopes  # evaluated before the comprehension's scope exists
            yield first.target, inner
            yield from ((condition, inner) for condition in first.ifs)
            for generator in rest:
                yield from ((part, inner) for part in (generator.target, generator.iter, *generator.ifs))
            elements = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
            yield from ((element, inner) for element in elements)
        elif isinstance(node, ast.NamedExpr):
            target = scopes
            while target and target[-1][1] == "comprehension":
                target = target[:-1]
            self._bind(node.target.id, target)
            yield node.value, scopes
        else:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self._bind(node.id, scopes)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
                self.deleted.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".", 1)[0]
                    self._bind(bound, scopes, imported=True)
                    source = alias.name if isinstance(node, ast.Import) else f"{'.' * node.level}{node.module or ''}.{alias.name}"
                    self.imported_anywhere.setdefault(bound, set()).add(source)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.deleted.add(node.name)  # bound, then deleted when the handler ends
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.declared.update(node.names)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                self._bind(node.name, scopes)
            elif isinstance(node, ast.MatchMapping) and node.rest:
                self._bind(node.rest, scopes)
            elif type(node).__name__ == "TypeAlias":
                name = getattr(node, "name", None)
                if isinstance(name, ast.Name):
                    self._bind(name.id, scopes)
            yield from ((child, scopes) for child in ast.iter_child_nodes(node))


def _type_params(node: ast.AST) -> list[str]:
    """Names of PEP 695 type parameters (Python 3.12+); none before."""
    return [p.name for p in getattr(node, "type_params", None) or [] if isinstance(getattr(p, "name", None), str)]
