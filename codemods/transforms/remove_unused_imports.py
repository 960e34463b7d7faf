"""The ``remove-unused-imports`` codemod: delete imports nothing uses (F401), opt-in."""

from __future__ import annotations

from typing import Any, Union

import libcst as cst

from codemods.analysis.imported_names import ImportedNames, imported_names
from codemods.analysis.syntax import try_parse
from codemods.analysis.unused_imports import UnusedImportSite, may_have_unused_imports, unused_import_sites
from codemods.base import SOURCE_KEY, Example, Plan, Project, PythonCodemod, Unchanged
from codemods.imports import remove_top_level_imports

Body = Union[cst.Module, cst.IndentedBlock]


class RemoveUnusedImports(PythonCodemod):
    """
    ## What it does
    Removes imported names that nothing in the module uses, as pyflakes and ruff
    (F401) find them: the whole statement when all its names are unused, else just
    the unused names of `from x import a, b`. A block left empty gets `pass`.

    ## Why
    Unused imports slow down start-up, hide real dependencies and make readers
    look for uses that do not exist.

    ## Safety
    Removing an import of a module drops its import-time side effects (plugin
    registration, monkey-patching, `sys.modules` entries other code reaches by
    name). Like ruff, this codemod treats the removal as safe outside
    `__init__.py`; it is off by default (select it with `--only`). Left alone and
    reported: imports in `__init__.py` (possible re-exports: add them to
    `__all__`), imports inside `try: ... except ImportError:` (availability
    checks), names bound again in the same scope, imports on one line with their
    block header, names another file of the checkout takes from this module
    (`from this.module import name`, `module.name`, a star import), and lines
    marked `# codemods: skip`. Never reported nor
    removed: `__future__` imports, star imports, explicit re-exports
    (`import x as x`, `from y import x as x`), names listed in `__all__`, and
    statements with `# noqa` or `# noqa: F401`.
    """

    NAME = "remove-unused-imports"
    SUMMARY = "delete unused imports (F401); off by default"
    COMMIT_SUBJECT = "style: remove unused imports"
    DEFAULT = False
    TRIGGERS = ("import",)

    EXAMPLES = [
        Example(
            before="import os\nimport sys\n\nprint(sys.argv)\n",
            after="import sys\n\nprint(sys.argv)\n",
        ),
        Example(
            before="from typing import Dict, List, Optional  # typing\n\nx: List[int] = []\n",
            after="from typing import List  # typing\n\nx: List[int] = []\n",
        ),
        Example(
            before=(
                "from app.models import (\n"
                "    Order,\n"
                "    Trade,\n"
                "    User,\n"
                ")\n"
                "\n"
                "\n"
                "def load() -> Order:\n"
                "    return Order()\n"
            ),
            after=(
                "from app.models import (\n"
                "    Order,\n"
                ")\n"
                "\n"
                "\n"
                "def load() -> Order:\n"
                "    return Order()\n"
            ),
        ),
        Example(
            before=(
                "def handler(event):\n"
                "    import json\n"
                "    return event\n"
                "\n"
                "\n"
                "if DEBUG:\n"
                "    # for the console\n"
                "    import pprint\n"
            ),
            after=(
                "def handler(event):\n"
                "    return event\n"
                "\n"
                "\n"
                "if DEBUG:\n"
                "    # for the console\n"
                "    pass\n"
            ),
        ),
        Example(
            before="# Settings.\nimport os\nimport re\n\nTIMEOUT = 3\n",
            after="# Settings.\nTIMEOUT = 3\n",
        ),
        Unchanged("import os\n\nprint(os.sep)\n"),
        Unchanged("from .models import User\n", path="app/__init__.py"),
        Unchanged("try:\n    import ujson\n    FAST = True\nexcept ImportError:\n    FAST = False\n"),
        Unchanged("from __future__ import annotations\nimport os  # noqa: F401\nimport re as re\n"),
        Unchanged("from app.models import User\n\n__all__ = ['User']\n"),
        Unchanged("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from app.models import User\n\n\ndef name(user: 'User') -> str:\n    return ''\n"),
        Unchanged("import os  # codemods: skip\n"),
    ]

    @classmethod
    def plan(cls, project: Project, options: Any) -> Plan:
        """What other files of the checkout import from each module: those names stay."""
        modules = {module for module in project.modules.values() if module}
        files = (
            (path, module, text)
            for path, module in project.modules.items()
            if path.endswith((".py", ".pyi")) and (text := project.read(path)) is not None
        )
        return Plan(options=imported_names(files, modules))

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        """Only files where some imported name is not plainly read: libcst's scope
        analysis costs far more than the standard library's parse, and most files
        use every import (a file `ast` cannot parse goes on, to be reported)."""
        if not super().wants(path, text, options):
            return False
        tree = try_parse(text)
        return tree is None or may_have_unused_imports(tree)

    def visit_Module(self, node: cst.Module) -> None:
        source = self.context.scratch.get(SOURCE_KEY)
        sites = unused_import_sites(node, self.file.path, source if isinstance(source, str) else None)
        self._sites: dict[int, UnusedImportSite] = {}  # id(ImportAlias) -> site to remove
        self._pending: dict[int, list[tuple[cst.CSTNode, str]]] = {}  # id(Import) -> (node, bound name)
        elsewhere = self.options if isinstance(self.options, ImportedNames) else ImportedNames()
        for site in sites:
            reason = _why_kept(site)
            importer = elsewhere.importer(self.file.module, site.bound) if reason is None else None
            if importer is not None:
                reason = f"unused import `{site.finding.name}`: {importer} imports `{site.bound}` from this module (not removed)"
            if reason is None:
                self._sites[id(site.alias)] = site
            else:
                self.report(site.statement, reason)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        site = self._sites.get(id(node))
        if site is None:
            return
        if self.opted_out(node):
            self.report(site.statement, f"unused import `{site.finding.name}` left alone: `# codemods: skip`")
            return
        self._pending.setdefault(id(site.statement), []).append((site.statement, site.bound))

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return self._remove(original, updated)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return self._remove(original, updated)

    def _remove(self, original: Body, updated: Body) -> Body:
        """Drop the pending imports that are statements of this body."""
        orphans = [
            orphan
            for statement in original.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            for orphan in self._pending.pop(id(small), ())
        ]
        if not orphans:
            return updated
        # remove_top_level_imports works on any statement list: give it the block's as a module.
        new, left, _ = remove_top_level_imports(
            cst.Module(body=original.body), cst.Module(body=updated.body), orphans
        )
        if left:
            for statement, _bound in left:
                self.report(statement, "unused import not removed: the block changed around it")
            return updated
        self.changes += len(orphans)
        body = list(new.body)
        if not body:
            # The block held only imports: keep it valid, and keep its comments.
            comments = [
                line for statement in original.body for line in statement.leading_lines if line.comment is not None
            ]
            if isinstance(updated, cst.Module):
                return updated.with_changes(body=[], footer=[*comments, *updated.footer])
            body = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=comments)]
        return updated.with_changes(body=body)


def _why_kept(site: UnusedImportSite) -> str | None:
    """Why an unused import must stay, as the report says it; None when it can go."""
    name = site.finding.name
    if site.finding.in_init:
        return f"unused import `{name}` in __init__.py: a re-export? add it to __all__ (not removed)"
    if site.finding.guarded:
        return f"unused import `{name}` inside try/except ImportError (an availability check): not removed"
    if site.rebound:
        return f"unused import `{name}`: the name is bound more than once in this scope, not removed"
    if site.in_suite:
        return f"unused import `{name}` on one line with its block header: not removed"
    return None
