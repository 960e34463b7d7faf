"""Which names other files of the checkout take from each of its modules.

An import nothing reads in its own file may still be what another module
imports from it (`from pkg.facade import helper`, `facade.helper`, `from
pkg.facade import *`): removing it would break that import. pyflakes judges
one file at a time; a codemod that deletes code must look at the checkout.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from codemods.analysis.syntax import try_parse


@dataclass(frozen=True)
class ImportedNames:
    """module -> {name another file takes from it: the first such file}; modules star-imported."""

    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    star: Mapping[str, str] = field(default_factory=dict)  # module -> a file that star-imports it

    def importer(self, module: str | None, name: str) -> str | None:
        """A file that takes ``name`` from ``module``, if any (a star import counts for public names)."""
        if module is None:
            return None
        found = self.names.get(module, {}).get(name)
        if found is None and not name.startswith("_"):
            found = self.star.get(module)
        return found


def imported_names(files: Iterable[tuple[str, str | None, str]], modules: set[str]) -> ImportedNames:
    """Scan ``files`` (path, module, text) for what they import from ``modules`` (the checkout's)."""
    names: dict[str, dict[str, str]] = {}
    star: dict[str, str] = {}
    for path, module, text in files:
        if "import" not in text:
            continue
        tree = try_parse(text)
        if tree is None:
            continue
        package = _package(path, module)
        aliases: dict[str, tuple[str, ...]] = {}  # name bound to a checkout module -> its dotted parts
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                if source is None:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        if source in modules:
                            star.setdefault(source, path)
                        continue
                    if source in modules and source != module:
                        names.setdefault(source, {}).setdefault(alias.name, path)
                    submodule = f"{source}.{alias.name}" if source else alias.name
                    if submodule in modules:
                        aliases[alias.asname or alias.name] = tuple(submodule.split("."))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = tuple(alias.name.split("."))
                    else:
                        first = alias.name.split(".", 1)[0]
                        aliases[first] = (first,)  # `import a.b.c` binds `a`; chains name the rest
        if aliases:
            _attribute_uses(tree, aliases, modules, module, path, names)
    return ImportedNames({k: dict(v) for k, v in names.items()}, star)


def _attribute_uses(
    tree: ast.Module,
    aliases: dict[str, tuple[str, ...]],
    modules: set[str],
    own: str | None,
    path: str,
    names: dict[str, dict[str, str]],
) -> None:
    """`alias.name` and `a.b.c.name` where the prefix is a checkout module: ``name`` is taken from it."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            chain.append(current.attr)
            current = current.value
        if not isinstance(current, ast.Name) or current.id not in aliases:
            continue
        dotted = [*aliases[current.id], *reversed(chain)]
        # Every split point: `a.b` may be a module whose attribute `c` is read.
        for cut in range(1, len(dotted)):
            prefix = ".".join(dotted[:cut])
            if prefix in modules and prefix != own:
                names.setdefault(prefix, {}).setdefault(dotted[cut], path)


def _package(path: str, module: str | None) -> str | None:
    if module is None:
        return None
    if path.endswith("__init__.py") or path.endswith("__init__.pyi"):
        return module
    return module.rpartition(".")[0]


def _absolute(node: ast.ImportFrom, package: str | None) -> str | None:
    """The absolute module of a `from ... import`, or None when a relative one cannot be placed."""
    if not node.level:
        return node.module or ""
    if package is None:
        return None
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])
