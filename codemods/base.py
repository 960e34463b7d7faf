"""Base classes every codemod builds on.

A Python codemod is a libcst ``VisitorBasedCodemodCommand``, so it also runs
under ``python -m libcst.tool codemod``. It declares what it needs in class
constants (NAME, SUMMARY, TRIGGERS, OPTIONS, EXAMPLES) and talks to the engine
only through side channels: ``replace()`` to count a rewrite while honouring
opt-out comments, ``report()`` for findings, ``add_import()`` (or libcst's
RemoveImportsVisitor) for imports.
A non-Python codemod implements ``transform_text`` and returns the same result.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Callable, ClassVar, Generator, Sequence, TypeVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst._metadata_dependent import LazyValue
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, QualifiedNameSource, ScopeProvider

from codemods.analysis.names import FastNames
from codemods.analysis.statement_lines import StatementLines, statement_lines
from codemods.imports import insert_import
from codemods.models import Finding, Kind

NodeT = TypeVar("NodeT", bound=cst.CSTNode)
# context.scratch key under which the engine passes the text of the module being
# transformed, so codemods can run cheap text-level analyses without regenerating it.
SOURCE_KEY = "codemods.source"


@dataclass(frozen=True)
class Example:
    """A before/after pair: drives the codemod's tests and its documentation."""

    before: str
    after: str
    path: str = "example.py"  # path of the file relative to the checkout root
    options: dict[str, Any] = field(default_factory=dict)  # overrides of OPTIONS


@dataclass(frozen=True)
class Unchanged:
    """An input the codemod must return byte-identical."""

    source: str
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)


def metadata_get(mapping: Any, node: cst.CSTNode, default: Any = None) -> Any:
    """A node's value from a resolved provider mapping (providers may store lazy values)."""
    value = mapping.get(node, default)
    return value() if isinstance(value, LazyValue) else value


class OptionError(ValueError):
    """A bad value in a codemod's OPTIONS; ``key`` names the configuration key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class SkipFile(Exception):
    """Raised by a codemod to leave the whole file alone, with a reason."""


@dataclass(frozen=True)
class NoOptions:
    """For codemods without configuration."""


@dataclass(frozen=True)
class FileInfo:
    """What a codemod may know about the file it is transforming."""

    path: str  # relative to the run's root, posix separators
    module: str | None  # dotted module name, from __init__.py files; None if unknown
    skip_lines: frozenset[int] = frozenset()  # lines carrying `# codemods: skip`


@dataclass(frozen=True)
class Plan:
    """Project-wide facts a codemod resolved once per run, before any file.

    ``options`` is what each per-file instance receives. ``creates`` holds files
    to create and ``finish`` a function that edits a file's final text; both are
    applied only when the codemod changed at least one site in the run.
    """

    options: Any
    findings: tuple[Finding, ...] = ()
    creates: tuple[tuple[str, str], ...] = ()
    finish: tuple[tuple[str, Callable[[str], str]], ...] = ()
    # (created path, the files that would use it): create it only when the codemod
    # changed one of them (one helper per package, made only where it is needed).
    scopes: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ProjectFile:
    """A file of the checkout as the planning step sees it."""

    path: str  # relative to the run's root
    module: str | None
    text: str


@dataclass
class Project:
    """The checkout as codemods see it before and after the per-file work.

    Reading is lazy: a codemod that needs no project-wide facts costs nothing.
    """

    root: Path  # absolute; FileInfo/ProjectFile paths are relative to it
    project_root: Path  # absolute; where configuration lives and helpers are created
    modules: dict[str, str | None]  # relative path -> dotted module name
    sources: dict[str, str] = field(default_factory=dict)  # in-memory texts (run_source, tests)
    _by_module: dict[str, str] | None = field(default=None, repr=False)
    _grepped: dict[tuple[str, ...], list[ProjectFile]] = field(default_factory=dict, repr=False)

    def read(self, path: str) -> str | None:
        from codemods.files import DecodeError, decode, read_bytes

        if path in self.sources:
            return self.sources[path]
        try:
            return decode(read_bytes(self.root / path)).text
        except (OSError, DecodeError):
            return None

    def grep(self, *needles: str) -> list[ProjectFile]:
        """Python files whose text contains any of ``needles``.

        Remembered per set of needles: the planning step and the after-run step
        ask for the same files (tests that patch), and reading a checkout twice
        is the cost here.
        """
        key = tuple(sorted(needles))
        if key not in self._grepped:
            found = []
            for path, module in self.modules.items():
                if path.endswith(".py"):
                    text = self.read(path)
                    if text is not None and any(needle in text for needle in needles):
                        found.append(ProjectFile(path, module, text))
            self._grepped[key] = found
        return self._grepped[key]

    def path_of_module(self, module: str) -> str | None:
        if self._by_module is None:
            self._by_module = {}
            for path, name in self.modules.items():
                if name is not None:
                    self._by_module.setdefault(name, path)
        return self._by_module.get(module)

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")


class _CodemodMeta:
    """Class constants shared by Python and text codemods."""

    NAME: ClassVar[str] = ""
    SUMMARY: ClassVar[str] = ""
    # The subject of this codemod's commit on a cleanup branch (`apply --branch`).
    COMMIT_SUBJECT: ClassVar[str] = ""
    DEFAULT: ClassVar[bool] = True  # on unless deselected
    TRIGGERS: ClassVar[tuple[str, ...]] = ()  # text prefilter: any of these, or no parse
    FILES: ClassVar[tuple[str, ...]] = ("*.py",)  # basename globs this codemod reads
    OPTIONS: ClassVar[type] = NoOptions
    EXAMPLES: ClassVar[Sequence[Example | Unchanged]] = ()
    # Behaviour changes a user must be told about (summary, --json, PR body).
    BEHAVIOUR_CHANGES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def handles(cls, path: str) -> bool:
        name = PurePosixPath(path).name
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in cls.FILES)

    @classmethod
    def accepts(cls, path: str, options: Any) -> bool:
        """Before reading: may this codemod work on ``path`` at all, given its planned options?

        Discovery goes by file name only; a codemod whose files are decided by
        planning (requirements files and what they include) narrows them here, so
        other files with the same extension are never read.
        """
        return cls.handles(path)

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        """The cheap prefilter: can this file possibly contain a match?"""
        return cls.handles(path) and (not cls.TRIGGERS or any(t in text for t in cls.TRIGGERS))

    @classmethod
    def plan(cls, project: Project, options: Any) -> Plan:
        """Resolve project-wide facts once per run, before any file is transformed."""
        return Plan(options=options)

    @classmethod
    def behaviour_notes(cls, findings: Sequence[Finding]) -> tuple[str, ...]:
        """What a run that changed something changes on purpose (summary, --json, PR body).

        ``findings`` are the codemod's own from the run's files.
        """
        return tuple(cls.BEHAVIOUR_CHANGES)

    @classmethod
    def after_run(cls, changed: Sequence[ProjectFile], project: Project) -> list[Finding]:
        """Findings about the run as a whole (e.g. tests that patch what changed)."""
        return []


class PythonCodemod(_CodemodMeta, VisitorBasedCodemodCommand):
    """A libcst codemod run by the engine once per file on a fresh instance."""

    DESCRIPTION: str = "A codemods codemod."

    def __init__(
        self,
        context: CodemodContext,
        options: Any = None,
        file: FileInfo | None = None,
    ) -> None:
        super().__init__(context)
        self.options = options if options is not None else self.OPTIONS()
        self.file = file or FileInfo(path=context.filename or "<unknown>", module=context.full_module_name)
        self.findings: list[Finding] = []
        self.changes = 0
        self.metadata_seconds = 0.0  # spent resolving libcst metadata (the engine's timings)
        self._statement_starts: list[int] = []
        self._imports: list[tuple[str, str, str | None]] = []
        self._fast_names: FastNames | None = None
        self._statements: StatementLines | None = None  # lines of statements, from `ast` (statement_lines)
        self._untriggered: set[int] = set()  # ids of statements the visit skips (visit_words)
        self._simple: list[cst.BaseStatement] = []  # the statements around the node being visited
        self._source_lines: list[str] | None = None
        # Without matcher decorators the matcher machinery only costs time on every node.
        self._plain = not (self._matchers or self._extra_visit_funcs or self._extra_leave_funcs)

    # -- metadata: reuse the engine's wrapper while the tree is unchanged -------
    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Generator[cst.Module, None, None]:
        wrapper = self.context.wrapper
        if wrapper is None or wrapper.module is not module:
            wrapper = MetadataWrapper(module)
        old = self.context.wrapper
        started = time.perf_counter()
        with self.resolve(wrapper):  # resolves METADATA_DEPENDENCIES
            self.metadata_seconds += time.perf_counter() - started
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=old)

    def visit_words(self) -> re.Pattern[str] | None:
        """Words at least one of which is on a statement's lines wherever this codemod
        can act; statements without any are not visited below themselves (their own
        visit_/leave_ still run). None (the default) visits everything."""
        return None

    def transform_module(self, tree: cst.Module) -> cst.Module:
        words = self.visit_words()
        if words is not None:
            self._untriggered = self._statement_lines(tree, words).skip
        tree = super().transform_module(tree)  # also runs libcst's RemoveImportsVisitor if scheduled
        for module, name, asname in self._imports:
            tree = insert_import(tree, module, name, asname)
        return tree

    def add_import(self, module: str, name: str, asname: str | None = None) -> None:
        """Schedule ``from module import name [as asname]`` (merged into an existing import)."""
        if (module, name, asname) not in self._imports:
            self._imports.append((module, name, asname))

    # -- opt-out comments ------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._simple.append(node)
        if self.file.skip_lines and isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._statement_starts.append(self.line_of(node))
        visit = cst.CSTTransformer.on_visit(self, node) if self._plain else super().on_visit(node)
        return visit and id(node) not in self._untriggered

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if self.file.skip_lines and isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._statement_starts.pop()
        if self._plain:
            result = cst.CSTTransformer.on_leave(self, original_node, updated_node)
        else:
            result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and self._simple:
            self._simple.pop()
        return result

    def _statement_lines(self, module: cst.Module, words: re.Pattern[str] | None = None) -> StatementLines:
        if self._statements is None:
            source = self.context.scratch.get(SOURCE_KEY)
            tree = self.fast_names.tree
            usable = tree is not None and isinstance(source, str)
            self._statements = statement_lines(module, tree, source, words) if usable else StatementLines()  # type: ignore[arg-type]
        return self._statements

    def _locate(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """Where ``node`` starts (line, column), from its statement's line and its text
        in the statement; None when that is not certain (ask PositionProvider)."""
        wrapper = self.context.wrapper
        source = self.context.scratch.get(SOURCE_KEY)
        if not self._simple or wrapper is None or not isinstance(source, str):
            return None
        statement = self._simple[-1]
        first = self._statement_lines(wrapper.module).first_line.get(id(statement))
        if first is None or not _contains(statement, node):
            return None
        code = wrapper.module.code_for_node(statement)
        snippet = wrapper.module.code_for_node(node)
        offset = code.find(snippet)
        if not snippet or snippet[0] in "( \t\n\\" or offset == -1 or code.find(snippet, offset + 1) != -1:
            return None  # parentheses and whitespace the node owns, or text not unique in its statement
        # The statement's code starts with its leading comment and blank lines, one line each.
        line = first - len(statement.leading_lines) + code.count("\n", 0, offset)
        # Indentation comes from the enclosing blocks, which the statement's code lacks:
        # take the column from the source line itself, where the node's first line must be unique.
        if self._source_lines is None:
            self._source_lines = source.splitlines()
        lines = self._source_lines
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        head = snippet.split("\n", 1)[0]
        column = text.find(head)
        if column == -1 or text.find(head, column + 1) != -1:
            return None
        return line, column

    def opted_out(self, node: cst.CSTNode) -> bool:
        """True when `# codemods: skip` sits on the node's lines or its statement's first line."""
        if not self.file.skip_lines:
            return False
        position = self.metadata_value(PositionProvider, node)
        start = self._statement_starts[-1] if self._statement_starts else position.start.line
        return any(start <= line <= position.end.line for line in self.file.skip_lines)

    def lazy_metadata(self, provider: Any) -> Any:
        """Metadata resolved on first use (and cached by the wrapper across codemods).

        Declaring providers in METADATA_DEPENDENCIES resolves them for every file;
        most files a prefilter lets through turn out to have no match, so codemods
        here ask only when they have a candidate.
        """
        wrapper = self.context.wrapper
        if wrapper is None:
            raise RuntimeError("metadata requested outside transform_module()")
        started = time.perf_counter()
        try:
            return wrapper.resolve(provider)
        finally:
            self.metadata_seconds += time.perf_counter() - started

    def metadata_value(self, provider: Any, node: cst.CSTNode, default: Any = None) -> Any:
        """One node's lazily resolved metadata (providers may store lazy values)."""
        return metadata_get(self.lazy_metadata(provider), node, default)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Qualified names of ``node``: from the cheap binding table when that is
        conclusive, else from libcst's QualifiedNameProvider."""
        fast = self.fast_names.qualified(node, self._start)
        if fast is not None:
            return fast
        names = self.metadata_value(QualifiedNameProvider, node, ())
        if any(q.source is QualifiedNameSource.LOCAL for q in names):
            # Also bound by an assignment (say, a fake clock swapped in under a
            # condition): which object it is depends on the run. Match nothing.
            return set()
        return {q.name for q in names}

    @property
    def fast_names(self) -> FastNames:
        """The cheap `ast` binding table of the module being transformed (built once)."""
        if self._fast_names is None:
            source = self.context.scratch.get(SOURCE_KEY)
            module = self.context.wrapper.module if self.context.wrapper is not None else None
            self._fast_names = FastNames(source if isinstance(source, str) else module.code if module else "")
        return self._fast_names

    def _start(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """Where ``node`` starts (line, column); positions cost one pass, scope analysis several."""
        wrapper = self.context.wrapper
        if wrapper is not None and PositionProvider not in wrapper._metadata:
            located = self._locate(node)
            if located is not None:
                return located
        position = self.metadata_value(PositionProvider, node)
        return None if position is None else (position.start.line, position.start.column)

    def free_name(self, target: str, preferred: str, alternatives: Sequence[str] = ()) -> str:
        """A name for the import of ``target`` (a qualified name) in this module.

        The name it is imported as already, else ``preferred`` if nothing in the
        module binds or reads it, else the first free of ``alternatives`` (or
        ``preferred_2``, ``preferred_3``...).
        """
        module = self.context.wrapper.module  # type: ignore[union-attr]
        scope_of = self.lazy_metadata(ScopeProvider)
        scopes = {s for s in scope_of.values() if s is not None}
        taken: set[str] = set()
        for scope in scopes:
            for assignment in scope.assignments:
                if target in {q.name for q in scope.get_qualified_names_for(assignment.name)}:
                    if scope is scope_of.get(module):
                        return assignment.name  # already imported at module level
                taken.add(assignment.name)
            taken.update(access.node.value for access in scope.accesses if isinstance(access.node, cst.Name))
        for candidate in (preferred, *alternatives, *(f"{preferred}_{i}" for i in range(2, 100))):
            if candidate not in taken:
                return candidate
        raise RuntimeError("no free name for the helper")  # pragma: no cover

    @property
    def quote(self) -> str:
        """The quote new string literals use: single when the file clearly prefers it."""
        source = self.context.scratch.get(SOURCE_KEY)
        if isinstance(source, str) and len(re.findall(r"'[^'\n]*'", source)) > 2 * len(re.findall(r'"[^"\n]*"', source)):
            return "'"
        return '"'

    # -- side channels ---------------------------------------------------------
    def line_of(self, node: cst.CSTNode) -> int:
        """The node's first line.

        Positions for the whole module cost seconds on a large file; a report
        needs one line. When the node's text occurs once in the source, its
        offset gives the line exactly; otherwise ask PositionProvider.
        """
        source = self.context.scratch.get(SOURCE_KEY)
        wrapper = self.context.wrapper
        if isinstance(source, str) and wrapper is not None and PositionProvider not in wrapper._metadata:
            snippet = wrapper.module.code_for_node(node).strip()
            if snippet and len(snippet) > 8:
                first = source.find(snippet)
                if first != -1 and source.find(snippet, first + 1) == -1:
                    return source.count("\n", 0, first) + 1
            located = self._locate(node)
            if located is not None:
                return located[0]
        return self.metadata_value(PositionProvider, node).start.line

    def report(self, node: cst.CSTNode | None, message: str, kind: Kind = Kind.SKIPPED) -> None:
        line = self.line_of(node) if node is not None else 0
        self.findings.append(Finding(self.NAME, self.file.path, line, message, kind))
        self.warn(f"{line}: {message}")  # what libcst.tool shows when it runs this codemod

    def replace(self, original: cst.CSTNode, updated: NodeT, new: cst.CSTNode) -> cst.CSTNode:
        """Return ``new`` and count a change, unless the site is opted out."""
        if self.opted_out(original):
            self.report(original, "left alone: `# codemods: skip`")
            return updated
        self.changes += 1
        return new


def _contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
    """Whether ``node`` is ``root`` or one of its descendants (identity, not equality)."""
    pending = [root]
    while pending:
        current = pending.pop()
        if current is node:
            return True
        pending.extend(current.children)
    return False


class TextCodemod(_CodemodMeta):
    """A codemod over a non-Python file (requirements, config): text in, text out."""

    FILES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: Any = None, file: FileInfo | None = None) -> None:
        self.options = options if options is not None else self.OPTIONS()
        self.file = file or FileInfo(path="<unknown>", module=None)
        self.findings: list[Finding] = []
        self.changes = 0

    def report(self, line: int, message: str, kind: Kind = Kind.SKIPPED) -> None:
        self.findings.append(Finding(self.NAME, self.file.path, line, message, kind))

    def transform_text(self, text: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

