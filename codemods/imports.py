"""Adding one ``from module import name`` without another pass over the tree.

libcst's AddImportsVisitor re-walks the whole module with fresh metadata; for
the one import a codemod adds, editing the top-level statement list is enough
and several times cheaper on large files.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

import libcst as cst


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _module_name(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return cst.helpers.get_full_name_for_node(node.module)


def _from_key(node: cst.ImportFrom) -> str:
    """The module as written, relative dots included: ``..utils``, ``pkg.utils``."""
    name = cst.helpers.get_full_name_for_node(node.module) if node.module is not None else ""
    return "." * len(node.relative) + (name or "")


def import_region(body: Sequence[cst.BaseStatement], limit: int | None = None) -> int:
    """How many leading top-level statements an added import may go among.

    The region ends at the first function or class (imports below those are
    deliberate late imports) or at ``limit``, the first statement that uses the
    new name while the module is being imported. Statements such as
    ``sys.path.insert(...)`` do not end it: imports after them depend on them.
    """
    end = len(body) if limit is None else min(limit, len(body))
    for index in range(end):
        if isinstance(body[index], (cst.FunctionDef, cst.ClassDef)):
            return index
    return end


class _UsedAtImportTime(cst.CSTVisitor):
    """Finds a Name load outside function and lambda bodies (code that runs on import)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:  # decorators and defaults do run on import
            decorator.visit(self)
        node.params.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        node.params.visit(self)
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # binds names, does not read them

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.name` reads x, not name
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True


def first_use_at_import_time(body: Sequence[cst.BaseStatement], name: str) -> int | None:
    """Index of the first top-level statement that reads ``name`` while the module imports."""
    for index, statement in enumerate(body):
        visitor = _UsedAtImportTime(name)
        statement.visit(visitor)
        if visitor.found:
            return index
    return None


def import_statement(module: str, name: str, asname: str | None = None) -> cst.SimpleStatementLine:
    """``from module import name [as asname]``; ``module`` may be relative (``..utils``)."""
    dots = len(module) - len(module.lstrip("."))
    dotted = module[dots:]
    return cst.SimpleStatementLine(
        body=[
            cst.ImportFrom(
                module=cst.parse_expression(dotted) if dotted else None,  # type: ignore[arg-type]
                names=[_alias(name, asname)],
                relative=[cst.Dot()] * dots,
            )
        ]
    )


def has_import_from(tree: cst.Module, module: str, name: str) -> bool:
    """Whether the import region already has a ``from module import ...`` to merge into."""
    body = tree.body
    for statement in body[: import_region(body, first_use_at_import_time(body, name))]:
        if _is_import_line(statement):
            for small in statement.body:  # type: ignore[attr-defined]
                if isinstance(small, cst.ImportFrom) and _from_key(small) == module:
                    if not isinstance(small.names, cst.ImportStar):
                        return True
    return False


def insert_import(tree: cst.Module, module: str, name: str, asname: str | None = None) -> cst.Module:
    """``tree`` with ``from module import name [as asname]``.

    Merged into an existing ``from module import ...`` of the import region when
    there is one, else a new line after the region's last import (after the last
    import of the same top-level package, if any). Unchanged if already imported.
    Always above the first statement that reads the name while the module imports.
    """
    body = list(tree.body)
    region = import_region(body, first_use_at_import_time(body, asname or name))
    for index in range(region):
        statement = body[index]
        if not _is_import_line(statement):
            continue
        for small_index, small in enumerate(statement.body):  # type: ignore[attr-defined]
            if not isinstance(small, cst.ImportFrom) or _from_key(small) != module:
                continue
            if isinstance(small.names, cst.ImportStar):
                continue
            for alias in small.names:
                if alias.evaluated_name == name and alias.evaluated_alias == asname:
                    return tree
            merged = small.with_changes(names=_append_alias(small, name, asname))
            smalls = list(statement.body)  # type: ignore[attr-defined]
            smalls[small_index] = merged
            body[index] = statement.with_changes(body=smalls)
            return tree.with_changes(body=body)
    point, new_group = _insertion_point(body[:region], module)
    new = import_statement(module, name, asname).with_changes(leading_lines=[cst.EmptyLine()] if new_group else [])
    if point < len(body) and not _is_import_line(body[point]) and not body[point].leading_lines:
        if point == 0 or is_docstring(body[point - 1]):
            # No import block to join: keep the new import apart from the code after it
            # (two blank lines before a def or class, as black and PEP 8 have them).
            blank = 2 if isinstance(body[point], (cst.FunctionDef, cst.ClassDef)) else 1
            body[point] = body[point].with_changes(leading_lines=[cst.EmptyLine()] * blank)
    body.insert(point, new)
    return tree.with_changes(body=body)


def _alias(name: str, asname: str | None) -> cst.ImportAlias:
    return cst.ImportAlias(
        name=cst.Name(name), asname=cst.AsName(name=cst.Name(asname)) if asname and asname != name else None
    )


def _append_alias(node: cst.ImportFrom, name: str, asname: str | None) -> list[cst.ImportAlias]:
    names = list(node.names)  # type: ignore[arg-type]
    last = names[-1]
    new = _alias(name, asname)
    if isinstance(last.comma, cst.Comma) and node.lpar is not None:
        # One name per line with a trailing comma: the new name takes the last
        # line's comma (which leads to the closing parenthesis) and the old last
        # name takes the separator the others use.
        if len(names) > 1 and isinstance(names[-2].comma, cst.Comma):
            separator = names[-2].comma
        else:
            separator = cst.Comma(whitespace_after=node.lpar.whitespace_after)
        return [*names[:-1], last.with_changes(comma=separator), new.with_changes(comma=last.comma)]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    keys = [_sort_key(alias.evaluated_name) for alias in names]
    if keys == sorted(keys):  # keep a sorted list sorted (isort/ruff order)
        position = sum(1 for key in keys if key < _sort_key(name))
        if position < len(names):
            return [*names[:position], new.with_changes(comma=comma), *names[position:]]
    return [*names[:-1], last.with_changes(comma=comma), new]


def _sort_key(name: str) -> tuple[int, str]:
    """isort's and ruff's default order of imported names: CONSTANTS, Classes, functions."""
    rank = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return rank, name.lower()


def _top_packages(statement: cst.BaseStatement) -> set[str]:
    names: set[str] = set()
    for small in statement.body:  # type: ignore[attr-defined]
        if isinstance(small, cst.Import):
            names.update(a.evaluated_name.split(".", 1)[0] for a in small.names)
        elif isinstance(small, cst.ImportFrom):
            full = _module_name(small)
            names.add(full.split(".", 1)[0] if full else ".")
    return names


def _insertion_point(body: Sequence[cst.BaseStatement], module: str) -> tuple[int, bool]:
    """Where a person would put the import among ``body``, and whether it starts a new group.

    After the last import of the same top-level package if there is one; else
    after the last import, as a group of its own (the isort/ruff layout: the
    helpers inserted are first-party, so they never join a stdlib or
    third-party group); with no import, after the docstring.
    """
    top = "." if module.startswith(".") else module.split(".", 1)[0]
    point, same_package, seen_import = 0, None, False
    for index, statement in enumerate(body):
        if index == 0 and is_docstring(statement):
            point = 1
        elif _is_import_line(statement):
            point = index + 1
            seen_import = True
            if top in _top_packages(statement):
                same_package = index + 1
    if same_package is not None:
        return same_package, False
    new_group = point > 0 and seen_import and top not in sys.stdlib_module_names
    return point, new_group


def _bound_name(alias: cst.ImportAlias, statement: cst.Import | cst.ImportFrom) -> str:
    if alias.evaluated_alias:
        return alias.evaluated_alias
    name = alias.evaluated_name
    return name.split(".", 1)[0] if isinstance(statement, cst.Import) else name


def remove_top_level_imports(
    original: cst.Module,
    updated: cst.Module,
    orphans: list[tuple[cst.CSTNode, str]],
    fill: cst.SimpleStatementLine | None = None,
    fill_before: int | None = None,
) -> tuple[cst.Module, list[tuple[cst.CSTNode, str]], bool]:
    """Drop the named bindings of top-level import statements.

    ``orphans`` are (original Import/ImportFrom node, bound name). The transform
    that produced ``updated`` must not have added or removed top-level statements,
    so indexes match. Returns the new module, the orphans that were not
    top-level (the caller hands those to libcst's RemoveImportsVisitor), and
    whether ``fill`` was used: a statement removed whole that was the last import
    before index ``fill_before`` is replaced by ``fill`` (the import that takes
    its place, e.g. below ``sys.path`` set-up), keeping its leading lines. Otherwise comments above a removed statement move
    to the next statement instead of vanishing.
    """
    where: dict[int, tuple[int, int]] = {}
    for index, statement in enumerate(original.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small_index, small in enumerate(statement.body):
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    where[id(small)] = (index, small_index)
    remove: dict[tuple[int, int], set[str]] = {}
    rest = []
    for node, name in orphans:
        if id(node) in where:
            remove.setdefault(where[id(node)], set()).add(name)
        else:
            rest.append((node, name))
    if not remove or len(original.body) != len(updated.body):
        return updated, (orphans if remove else rest), False
    filled = False
    body: list[cst.BaseStatement | None] = list(updated.body)
    for (index, small_index), names in remove.items():
        statement = body[index]
        assert isinstance(statement, cst.SimpleStatementLine)
        smalls: list[cst.BaseSmallStatement] = list(statement.body)
        small = smalls[small_index]
        assert isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar)
        kept = [alias for alias in small.names if _bound_name(alias, small) not in names]
        if kept:
            last = small.names[-1]
            if isinstance(small, cst.ImportFrom) and small.lpar is not None and isinstance(last.comma, cst.Comma):
                comma: cst.Comma | cst.MaybeSentinel = last.comma  # keep the trailing-comma layout
            else:
                comma = cst.MaybeSentinel.DEFAULT
            kept[-1] = kept[-1].with_changes(comma=comma)
            smalls[small_index] = small.with_changes(names=kept)
        else:
            smalls[small_index] = None  # type: ignore[call-overload]
        remaining = [s for s in smalls if s is not None]
        if remaining:
            remaining[-1] = remaining[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            body[index] = statement.with_changes(body=remaining)
        elif fill is not None and not filled and _last_import_before(body, index, fill_before) and _opens_group(body, index):
            body[index] = fill.with_changes(leading_lines=statement.leading_lines)
            filled = True
        else:
            body[index] = None
            _carry_comments(body, index, statement)
    kept = [s for s in body if s is not None]
    if body and body[0] is None and kept:
        # The first statement went: blank lines that separated it from the next
        # would now open the file.
        lines = list(kept[0].leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        kept[0] = kept[0].with_changes(leading_lines=lines)
    return updated.with_changes(body=kept), rest, filled


def swap_imports(
    original: cst.Module,
    updated: cst.Module,
    orphans: list[tuple[cst.CSTNode, str]],
    module: str,
    name: str,
    asname: str | None,
    needs_import: bool = True,
) -> tuple[cst.Module, list[tuple[cst.CSTNode, str]]]:
    """Drop ``orphans`` (imports a rewrite made unused) and import the helper.

    The helper's import takes the place of an orphaned import line (same spot,
    same blank lines) unless a ``from module import`` exists to join. Returns
    the module and the orphans that are not at module level.
    """
    fill = None
    if needs_import and not has_import_from(updated, module, name):
        fill = import_statement(module, name, asname)
    filled = False
    elsewhere: list[tuple[cst.CSTNode, str]] = []
    if orphans:
        updated, elsewhere, filled = remove_top_level_imports(
            original, updated, orphans, fill, first_use_at_import_time(updated.body, asname or name)
        )
    if needs_import and not filled:
        updated = insert_import(updated, module, name, asname)
    return updated, elsewhere


def _last_import_before(body: Sequence[cst.BaseStatement | None], index: int, limit: int | None) -> bool:
    """Whether ``index`` is before ``limit`` and no import line follows it before a def or class."""
    if limit is not None and index >= limit:
        return False
    for statement in body[index + 1 : limit]:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            break
        if statement is not None and _is_import_line(statement):
            return False
    return True


def _opens_group(body: Sequence[cst.BaseStatement | None], index: int) -> bool:
    """Whether the import line at ``index`` starts its own block (a blank line or
    other code above it): the helper's import can take its place without joining
    another group of imports."""
    statement = body[index]
    if statement is not None and any(line.comment is None for line in statement.leading_lines):
        return True
    previous = next((s for s in reversed(body[:index]) if s is not None), None)
    return previous is None or not _is_import_line(previous)


def _carry_comments(body: list[cst.BaseStatement | None], index: int, removed: cst.SimpleStatementLine) -> None:
    """Give the removed statement's comments (and, if it had none, its blank lines) to the next one."""
    for following in range(index + 1, len(body)):
        statement = body[following]
        if statement is None:
            continue
        if statement.leading_lines:
            carried = [line for line in removed.leading_lines if line.comment]
        else:
            carried = list(removed.leading_lines)
        if carried:
            body[following] = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
        return


def exported_names(module: cst.Module) -> set[str]:
    """Names listed in a module-level ``__all__`` (scope analysis does not count them as uses)."""
    names: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
                targets = [small.target]
            if not any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                continue
            value = small.value
            if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
                for element in value.elements:
                    if isinstance(element.value, cst.SimpleString):
                        names.add(element.value.evaluated_value)  # type: ignore[arg-type]
    return names


def orphaned_imports(
    replaced: Sequence[cst.CSTNode], scopes: Any, keep: set[str] | frozenset[str] = frozenset()
) -> list[tuple[cst.CSTNode, str]]:
    """(import node, bound name) of imports whose every reference was rewritten away.

    Names in ``keep`` (such as those re-exported through ``__all__``) are never orphaned.
    """
    inside: set[int] = set()
    names: list[cst.Name] = []
    for node in replaced:
        for name in _names_in(node):
            inside.add(id(name))
            names.append(name)
    orphans: dict[tuple[int, str], tuple[cst.CSTNode, str]] = {}
    for name in names:
        scope = scopes.get(name)
        if scope is None:
            continue
        for access in scope.accesses[name]:
            for referent in access.referents:
                node = getattr(referent, "node", None)
                if referent.name in keep:
                    continue
                if isinstance(node, (cst.Import, cst.ImportFrom)) and all(
                    id(ref.node) in inside for ref in referent.references
                ):
                    orphans[(id(node), referent.name)] = (node, referent.name)
    return list(orphans.values())


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.append(name)

    node.visit(Collect())
    return found


def import_spelling(tree: cst.Module, helper: str | None, mine: str | None, path: str) -> str | None:
    """The helper's module as the file at ``path`` (module ``mine``) would write it.

    Relative when the file imports from its package relatively (and never
    absolutely), else absolute. Decided per file, from the file's own imports.
    """
    if not helper or not mine or helper.split(".")[0] != mine.split(".")[0]:
        return helper
    top = helper.split(".")[0]
    relative = absolute = False
    for statement in tree.body:
        for small in getattr(statement, "body", ()) if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom):
                if small.relative:
                    relative = True
                elif small.module is not None and cst.helpers.get_full_name_for_node(small.module).split(".")[0] == top:
                    absolute = True
            elif isinstance(small, cst.Import):
                absolute |= any(a.evaluated_name.split(".")[0] == top for a in small.names)
    if not relative or absolute:
        return helper
    package = mine.split(".") if path.endswith("__init__.py") else mine.split(".")[:-1]
    target = helper.split(".")
    common = 0
    while common < min(len(package), len(target) - 1) and package[common] == target[common]:
        common += 1
    if common == 0:
        return helper
    return "." * (len(package) - common + 1) + ".".join(target[common:])
