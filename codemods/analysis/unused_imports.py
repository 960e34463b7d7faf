"""Unused imports, as pyflakes and ruff (F401) define them, found with libcst's scope analysis.

An import is unused when no access in any scope refers to the name it binds.
The rules follow pyflakes, which ruff's F401 copies:

- only the last binding of a name in a scope is judged, and it counts as used
  when any earlier binding of that name was (``import os; os.sep; import os``
  reports nothing: the second import is taken for a deliberate re-import);
- imports in class bodies are class attributes, never unused;
- an import bound through ``global``/``nonlocal`` is never unused;
- names listed in the module's ``__all__`` (``=``, ``+=``, ``[...] + [...]``,
  ``.extend([...])``, ``.append("x")``) are used;
- ``import os.path`` binds ``os``: any use of ``os`` uses it;
- uses in annotations count, string annotations included (libcst parses them),
  whether the import sits under ``if TYPE_CHECKING:`` or not.

Never reported, as in ruff: ``__future__`` imports, star imports, explicit
re-exports (``import x as x``, ``from y import x as x``) and imports whose
statement carries ``# noqa`` or ``# noqa: F401``.

Reported but marked as not safely removable (the caller decides how to word it):
``in_init`` for imports in an ``__init__.py`` (ruff reports them; they are often
re-exports that belong in ``__all__``) and ``guarded`` for imports inside
``try: ... except ImportError:`` (availability checks).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Union

import libcst as cst
from libcst.metadata import (
    Assignment,
    ClassScope,
    CodeRange,
    GlobalScope,
    ImportAssignment,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from codemods.imports import exported_names

ImportNode = Union[cst.Import, cst.ImportFrom]

# flake8's and ruff's noqa syntax: bare, or with a list of codes.
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
# Handlers that make a `try:` an availability check. A bare `except:` or
# `except Exception:` guards imports as well as anything else.
_GUARD_EXCEPTIONS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class UnusedImport:
    """One unused name of an import statement.

    ``in_init`` and ``guarded`` say that removing it is not safe; both are still
    F401 findings. A scan reports an ``in_init`` import as "re-export? add it to
    __all__"; ``remove-unused-imports`` leaves both alone.
    """

    line: int  # 1-based line of the import statement
    end_line: int  # its last line (parenthesised imports span several)
    name: str  # as bound in the module: "np", "os.path", "List"
    qualified: str  # what is imported: "numpy", "os.path", "typing.List", ".models.User"
    in_init: bool = False  # in an __init__.py: possibly a re-export
    guarded: bool = False  # inside try/except ImportError: an availability check

    @property
    def removable(self) -> bool:
        """Whether deleting the import is safe by the rules above (opt-out comments aside)."""
        return not (self.in_init or self.guarded)


@dataclass(frozen=True)
class UnusedImportSite:
    """An unused import with the nodes a codemod needs to remove it."""

    finding: UnusedImport
    statement: ImportNode  # the Import/ImportFrom node
    alias: cst.ImportAlias
    bound: str  # the name the statement binds in the scope: "os" for `import os.path`
    rebound: bool  # the scope binds ``bound`` elsewhere too (removing this one may expose another)
    in_suite: bool  # on one line with its block header: `if x: import y`


def find_unused_imports(module: cst.Module, path: str) -> list[UnusedImport]:
    """The unused imports of ``module`` (the file at relative posix ``path``), in source order.

    Never raises: code libcst parsed but cannot analyse yields no findings.
    """
    return [site.finding for site in unused_import_sites(module, path)]


def unused_import_sites(module: cst.Module, path: str, source: str | None = None) -> list[UnusedImportSite]:
    """:func:`find_unused_imports` with the nodes behind each finding.

    ``source`` is ``module.code`` when the caller has it (saves generating it).
    """
    try:
        return _Analysis(module, path, source).sites()
    except Exception:  # libcst's metadata on code it parsed but cannot analyse: report nothing
        return []


def _bound_name(alias: cst.ImportAlias, statement: ImportNode) -> str:
    """The name pyflakes binds: ``os`` for ``import os.path``, the alias, else the name."""
    if alias.asname is not None:
        return alias.evaluated_alias or ""
    name = alias.evaluated_name
    return name.split(".", 1)[0] if isinstance(statement, cst.Import) else name


def _module_of(node: cst.ImportFrom) -> str:
    dotted = cst.helpers.get_full_name_for_node(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (dotted or "")


def _names(alias: cst.ImportAlias, statement: ImportNode) -> tuple[str, str]:
    """(name as bound in the module, what is imported), as pyflakes prints them."""
    real = alias.evaluated_name
    if isinstance(statement, cst.Import):
        return alias.evaluated_alias or real, real
    module = _module_of(statement)
    qualified = module + real if module.endswith(".") else f"{module}.{real}"
    return alias.evaluated_alias or real, qualified


def _is_explicit_reexport(alias: cst.ImportAlias) -> bool:
    return alias.asname is not None and alias.evaluated_alias == alias.evaluated_name


def _suppressed(comments: list[str]) -> bool:
    for comment in comments:
        match = _NOQA.search(comment)
        if match is not None:
            codes = match.group("codes")
            if codes is None or "F401" in re.split(r"[,\s]+", codes.upper()):
                return True
    return False


def _catches_import_error(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    kinds = [element.value for element in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    for node in kinds:
        name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
        if name in _GUARD_EXCEPTIONS:
            return True
    return False


def _strings(node: cst.BaseExpression) -> list[str] | None:
    """The strings of a list/tuple literal, or of ``[...] + (...)`` concatenations."""
    if isinstance(node, (cst.List, cst.Tuple)):
        return [e.value.evaluated_value for e in node.elements if isinstance(e.value, cst.SimpleString)]  # type: ignore[misc]
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _strings(node.left), _strings(node.right)
        return [*(left or []), *(right or [])] if left is not None or right is not None else None
    return None


@dataclass
class _Import:
    statement: ImportNode
    guarded: bool
    in_suite: bool
    comments: list[str]
    index: int  # among the module's import statements, in source order


class _Collector(cst.CSTVisitor):
    """What the scope analysis does not say: guards, noqa comments, `__all__`, non-rebinding stores."""

    def __init__(self) -> None:
        super().__init__()
        self.imports: list[_Import] = []
        self.exported: set[str] = set()
        # Name nodes stored without replacing an existing binding (pyflakes):
        # bare annotations `x: int`, `except E as x` (unbound after the handler), walrus targets.
        self.not_rebinding: set[int] = set()
        self._guards: list[bool] = []
        self._statements: list[cst.SimpleStatementLine | cst.SimpleStatementSuite] = []
        self._current: _Import | None = None
        self._depth = 0  # functions and classes around the node
        self.order: dict[int, int] = {}  # id(node) -> its index in source order
        self.string_loads: list[tuple[cst.CSTNode, set[str]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.order[id(node)] = len(self.order)
        return super().on_visit(node)

    # -- nesting -----------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._depth += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._depth -= 1

    def visit_Try(self, node: cst.Try) -> bool:
        self._visit_try(node)
        return False

    def visit_TryStar(self, node: cst.TryStar) -> bool:
        self._visit_try(node)
        return False

    def _visit_try(self, node: cst.Try | cst.TryStar) -> None:
        guard = any(_catches_import_error(handler) for handler in node.handlers)
        self._guards.append(guard)
        node.body.visit(self)
        for handler in node.handlers:
            handler.visit(self)
        self._guards[-1] = False  # `else:` and `finally:` run whether the imports worked or not
        if node.orelse is not None:
            node.orelse.visit(self)
        if node.finalbody is not None:
            node.finalbody.visit(self)
        self._guards.pop()

    # -- statements and imports ----------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._statements.append(node)

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._statements.pop()

    def visit_Import(self, node: cst.Import) -> None:
        self._enter_import(node)

    def leave_Import(self, original_node: cst.Import) -> None:
        self._current = None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._enter_import(node)

    def leave_ImportFrom(self, original_node: cst.ImportFrom) -> None:
        self._current = None

    def _enter_import(self, node: ImportNode) -> None:
        statement = self._statements[-1] if self._statements else None
        comment = getattr(getattr(statement, "trailing_whitespace", None), "comment", None)
        self._current = _Import(
            statement=node,
            guarded=any(self._guards),
            in_suite=isinstance(statement, cst.SimpleStatementSuite),
            comments=[comment.value] if comment is not None else [],
            index=len(self.imports),
        )
        self.imports.append(self._current)

    def visit_Comment(self, node: cst.Comment) -> None:
        if self._current is not None:  # inside a parenthesised import
            self._current.comments.append(node.value)

    # -- stores that do not replace a binding ----------------------------------------
    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is None and isinstance(node.target, cst.Name):
            self.not_rebinding.add(id(node.target))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.not_rebinding.add(id(node.name.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.not_rebinding.add(id(node.target))

    # -- string annotations libcst leaves unparsed ------------------------------------
    def visit_Subscript(self, node: cst.Subscript) -> None:
        # libcst parses strings in `Optional["X"]` only when the generic is a bare
        # name; pyflakes also does for `typing.Optional["X"]`.
        value = node.value
        if (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value in _TYPING_MODULES
            and value.attr.value != "Literal"
        ):
            names: set[str] = set()
            for element in node.slice:
                element.visit(_StringNames(names))
            if names:
                self.string_loads.append((node, names))

    # -- __all__ beyond what exported_names() reads --------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self._depth == 0 and any(_is_all(t.target) for t in node.targets):
            self.exported.update(_strings(node.value) or ())

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._depth == 0 and _is_all(node.target):
            self.exported.update(_strings(node.value) or ())

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            self._depth == 0
            and isinstance(func, cst.Attribute)
            and _is_all(func.value)
            and func.attr.value in ("extend", "append")
            and len(node.args) == 1
        ):
            value = node.args[0].value
            if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                self.exported.add(value.evaluated_value)
            else:
                self.exported.update(_strings(value) or ())


_TYPING_MODULES = frozenset({"typing", "typing_extensions"})


class _StringNames(cst.CSTVisitor):
    """The names read inside the string literals of a type expression."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return not (isinstance(node.value, (cst.Name, cst.Attribute)) and _last_name(node.value) == "Literal")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if not isinstance(value, str):
            return
        try:
            expression = cst.parse_expression(value.strip())
        except cst.ParserSyntaxError:
            return
        expression.visit(self)

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `a.b` reads a, not b
        return False


def _last_name(node: cst.Name | cst.Attribute) -> str:
    return node.value if isinstance(node, cst.Name) else node.attr.value


def _is_all(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "__all__"


class _Analysis:
    def __init__(self, module: cst.Module, path: str, source: str | None) -> None:
        self.in_init = PurePosixPath(path).name == "__init__.py"
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.collector = _Collector()
        module.visit(self.collector)
        self.lines = _import_lines(source if source is not None else module.code, len(self.collector.imports))
        self.exported = exported_names(module) | self.collector.exported
        self.string_uses: dict[str, list[Scope]] = {}
        for node, names in self.collector.string_loads:
            where = self.scopes.get(node)
            if where is not None:
                for name in names:
                    self.string_uses.setdefault(name, []).append(where)
        self._bindings: dict[int, dict[str, list[tuple[int, Assignment]]]] = {}  # by id(scope)

    def sites(self) -> list[UnusedImportSite]:
        found: list[UnusedImportSite] = []
        for entry in self.collector.imports:
            statement = entry.statement
            if isinstance(statement.names, cst.ImportStar):
                continue
            if isinstance(statement, cst.ImportFrom) and _module_of(statement) == "__future__":
                continue
            if _suppressed(entry.comments):
                continue
            scope = self.scopes.get(statement)
            if scope is None or isinstance(scope, ClassScope):
                continue  # class attributes are public members
            for alias in statement.names:
                site = self._judge(entry, scope, alias)
                if site is not None:
                    found.append(site)
        return found

    def _judge(self, entry: _Import, scope: Scope, alias: cst.ImportAlias) -> UnusedImportSite | None:
        statement = entry.statement
        if _is_explicit_reexport(alias):
            return None
        bindings = self._scope_bindings(scope)
        key = _bound_name(alias, statement)
        target = alias.asname.name if alias.asname is not None else alias.name
        chain = bindings.get(key, [])
        mine = [order for order, a in chain if isinstance(a, ImportAssignment) and a.as_name is target]
        if not mine:
            return None  # bound through `global`/`nonlocal`: pyflakes and ruff never report those
        if max(order for order, _ in chain) != mine[0]:
            return None  # rebound later: pyflakes judges the last binding only
        if any(a.references for _, a in chain) or self._in_strings(scope, key):
            return None
        if isinstance(scope, GlobalScope) and key in self.exported:
            return None
        line, end_line = self._lines(entry)
        name, qualified = _names(alias, statement)
        finding = UnusedImport(
            line=line,
            end_line=end_line,
            name=name,
            qualified=qualified,
            in_init=self.in_init,
            guarded=entry.guarded,
        )
        return UnusedImportSite(
            finding, statement, alias, key, rebound=len({order for order, _ in chain}) > 1, in_suite=entry.in_suite
        )

    def _lines(self, entry: _Import) -> tuple[int, int]:
        if self.lines is not None:
            return self.lines[entry.index]
        position: CodeRange = self.wrapper.resolve(PositionProvider)[entry.statement]
        return position.start.line, position.end.line

    def _in_strings(self, scope: Scope, key: str) -> bool:
        """Whether a string type expression libcst did not parse reads ``key`` in or below ``scope``."""
        for where in self.string_uses.get(key, ()):
            while True:
                if where is scope:
                    return True
                if where.parent is where:
                    break
                where = where.parent
        return False

    def _scope_bindings(self, scope: Scope) -> dict[str, list[tuple[int, Assignment]]]:
        """The scope's bindings by the name pyflakes keys them on, with their source order.

        Left out: stores in other scopes that `global`/`nonlocal` moved here (pyflakes
        binds those in their own scope), and stores that do not replace a binding.
        An import alias is keyed on the name it binds (``os`` for ``import os.path``).
        """
        cached = self._bindings.get(id(scope))
        if cached is not None:
            return cached
        by_key: dict[str, list[tuple[int, Assignment]]] = {}
        for assignment in scope.assignments:
            if not isinstance(assignment, Assignment):
                continue
            node = assignment.node
            if isinstance(assignment, ImportAssignment):
                # `import a.b` records "a.b" and "a": both go under "a", at one position.
                alias = _alias_of(node, assignment.as_name)
                if alias is None:
                    continue
                key = _bound_name(alias, node)  # type: ignore[arg-type]
                where = assignment.as_name
            else:
                if id(node) in self.collector.not_rebinding:
                    continue
                key, where = assignment.name, node
            if self.scopes.get(node) is not scope:
                continue  # a `global`/`nonlocal` store from a nested scope
            by_key.setdefault(key, []).append((self.collector.order.get(id(where), -1), assignment))
        self._bindings[id(scope)] = by_key
        return by_key


def _import_lines(source: str, count: int) -> list[tuple[int, int]] | None:
    """(first, last) line of each import statement in source order, from Python's own parser.

    Much cheaper than libcst's PositionProvider; None when the two parsers do not
    see the same imports (code for another Python version), so positions are used.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = sorted(
        (node.lineno, node.col_offset, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    )
    if len(found) != count:
        return None
    return [(line, end) for line, _, end in found]


def _alias_of(statement: cst.CSTNode, name: cst.CSTNode) -> cst.ImportAlias | None:
    names = getattr(statement, "names", None)
    if names is None or isinstance(names, cst.ImportStar):
        return None
    for alias in names:
        if alias.name is name or (alias.asname is not None and alias.asname.name is name):
            return alias
    return None


def may_have_unused_imports(tree: ast.Module) -> bool:
    """False when every name an import binds is plainly read in its scope: no scope analysis needed.

    The scan runs this over the standard library's tree of every file and pays
    for libcst's scope analysis (most of a scan's time) only where it says True.
    A name counts as read when it appears as an ``ast.Name`` within the module,
    for a module-level import, or within the function, for an import in a
    function. It can hide only an import whose name is read solely where a
    local of the same name shadows it; a test over real code checks that it
    hides nothing there.
    """
    return _unread(tree, tree.body)


def _unread(scope: ast.AST, body: list[ast.stmt]) -> bool:
    bound: set[str] = set()
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    pending = list(body)
    while pending:  # this scope's statements, compound ones opened, functions and classes not
        node = pending.pop()
        if isinstance(node, ast.Import):
            bound.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            bound.update(alias.asname or alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(node)
        elif isinstance(node, ast.ClassDef):  # imports in a class body are attributes; methods are scopes
            pending.extend(n for n in node.body if not isinstance(n, (ast.Import, ast.ImportFrom)))
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                pending.extend(getattr(node, field, None) or [])
    if bound and _names_left(scope, bound):
        return True
    return any(_unread(function, function.body) for function in functions)


def _names_left(scope: ast.AST, bound: set[str]) -> bool:
    # Strings do not count: a name read only in a string annotation or `__all__`
    # goes to the full analysis, which knows where a string is an annotation.
    for node in ast.walk(scope):
        if isinstance(node, ast.Name):
            bound.discard(node.id)
            if not bound:
                return False
    return True


