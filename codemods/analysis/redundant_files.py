"""Files a checkout could lose: byte-identical copies, editor leftovers, modules nothing imports.

Three kinds, each path reported once (the first kind that applies, in this order):

``duplicate``
    Byte-identical to another file of the checkout (grouped by size, then by
    BLAKE2 hash). One copy of each group is kept: one that some module imports,
    else one that is not a leftover, else the shortest path, else the first in
    sorted order. Never compared: empty files and files under 64 bytes (a
    one-line ``__version__``, a blank config), ``__init__.py`` and ``py.typed``
    (markers that every package needs its own copy of), ``.gitkeep``/``.keep``,
    and licence files (``LICENSE*``, ``COPYING*``, ``NOTICE*``, ``AUTHORS*``:
    vendored and sub-packaged code must ship its own copy).
``leftover``
    Named like an editor, merge or file-manager leftover: ``*.bak``, ``*.orig``,
    ``*.rej``, ``*~``, ``*.swp``/``*.swo``, ``.#*``, ``#*#``, ``*.old`` (so
    ``*.py.old``), ``*_old.py``, ``*_backup.py``, ``* copy.*``, ``* copy N.*``,
    ``* - Copy.*``. A ``.py`` leftover that some module imports is in use and
    is not reported.
``unimported``
    A ``.py`` module no other module of the checkout imports and that is not an
    entry point. Imports are read with ``ast`` (unreadable or unparsable files
    are skipped, never raised on): ``import a.b.c`` imports ``a``, ``a.b`` and
    ``a.b.c``; ``from pkg import mod`` imports ``pkg.mod`` when that is a
    module; relative imports resolve against the importing file's folder;
    ``importlib.import_module``/``__import__`` count with a literal name, and
    with a literal prefix (``import_module(f"pkg.plugins.{name}")``) they
    import every module under ``pkg.plugins``; ``pkgutil.iter_modules`` or
    ``walk_packages`` over a package's ``__path__`` (or ``__file__``'s folder)
    imports every module in that package.

    An absolute name is looked up as the module's package name (from the
    ``__init__.py`` files above it), as its path from the project folder (the
    nearest folder with a ``pyproject.toml``, ``setup.py`` or ``setup.cfg``,
    else the root), and with a leading ``src.`` dropped; a dotted name that
    matches none of these matches any module whose path ends with it
    (namespace packages, ``sys.path`` tweaks). Looser matching only hides
    findings; a wrong finding would invite deleting a used file.

    Entry points (never reported): ``__main__.py``, ``__init__.py``,
    ``conftest.py``, ``setup.py``, ``noxfile.py``, ``fabfile.py``,
    ``manage.py``, ``tasks.py``, ``wsgi.py``, ``asgi.py``, ``gunicorn.conf.py``
    and ``conf.py`` (Sphinx's lives in any folder); tests (as
    :func:`codemods.analysis.clock_patches.is_test_file` says); files with a
    shebang or an ``if __name__ == "__main__":`` guard; files under a
    ``migrations``/``alembic`` folder or, relative to their project folder,
    under ``examples``/``example``/``scripts``/``bin``/``benchmarks``/
    ``benchmark``/``docs``/``doc`` (those folders hold code that is run, not
    imported); Django's autodiscovered ``admin.py``/``apps.py``/``models.py``,
    ``management/commands/`` and ``templatetags/`` when any module imports
    django; and modules named by configuration or by the caller: targets of
    ``[project.scripts]``, ``[project.gui-scripts]``,
    ``[project.entry-points.*]``, any string of any ``[tool.*]`` table that
    spells a module (``plugins = ["mod"]``, ``"pkg.cli:main"``) or a ``.py``
    path or glob (``templates/*.py``), ``module:attr`` targets in ``setup.cfg``
    and ``setup.py``, ``.py`` paths and ``python -m`` modules named in
    scripts, CI and container files and docs (``Makefile``, ``Dockerfile``,
    ``*.sh``, ``*.yml``, ``*.md`` ...), quoted strings in Python files that
    spell a dotted module (``patch("pkg.mod.func")``, Django settings) or a
    ``.py`` file name (templates read as data; a glob such as ``"*.py"`` in
    code is a search and names nothing), and ``entry_points`` given by
    the caller (module names, ``module:attr``, or paths relative to root).

    A project folder where no module imports another module of the checkout
    (a folder of scripts) reports no unimported modules: it would be all of them.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import os
import re
import stat
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Collection, Iterable, Iterator, Sequence

from codemods.analysis.clock_patches import is_test_file
from codemods.analysis.syntax import try_parse

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class RedundantFile:
    """A file the checkout could do without, and why."""

    path: str  # relative to root, posix
    size: int  # bytes
    kind: str  # "duplicate" | "leftover" | "unimported"
    reason: str
    other: str | None = None  # for duplicates: the kept copy


MIN_DUPLICATE_SIZE = 64
_NEVER_COMPARED = frozenset({"__init__.py", "py.typed", ".gitkeep", ".keep"})
_LICENCE = re.compile(r"^(?:LICEN[CS]E|COPYING|NOTICE|AUTHORS)(?:[._-].*)?$", re.IGNORECASE)

_LEFTOVERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), reason)
    for pattern, reason in (
        (r".+\.bak", "editor backup (*.bak)"),
        (r".+\.orig", "merge leftover (*.orig)"),
        (r".+\.rej", "rejected patch hunk (*.rej)"),
        (r".+~", "editor backup (*~)"),
        (r".*\.sw[po]", "vim swap file (*.swp)"),
        (r"\.#.+", "Emacs lock file (.#*)"),
        (r"#.+#", "Emacs auto-save file (#*#)"),
        (r".+\.py\.old", "old copy (*.py.old)"),
        (r".+\.old", "old copy (*.old)"),
        (r".+_old\.py", "old copy (*_old.py)"),
        (r".+_backup\.py", "backup copy (*_backup.py)"),
        (r".+ copy \d+(?:\.[^.]+)?", "file manager copy (* copy N)"),
        (r".+ copy(?:\.[^.]+)?", "file manager copy (* copy)"),
        (r".+ - Copy(?: \(\d+\))?(?:\.[^.]+)?", "file manager copy (* - Copy)"),
    )
)

_ENTRY_NAMES = frozenset(
    {
        "__main__.py", "__init__.py", "conftest.py", "setup.py", "noxfile.py", "fabfile.py", "manage.py",
        "tasks.py", "wsgi.py", "asgi.py", "gunicorn.conf.py", "conf.py",
    }
)
_RUN_DIRS = frozenset({"examples", "example", "scripts", "bin", "benchmarks", "benchmark", "docs", "doc"})
_MIGRATION_DIRS = frozenset({"migrations", "alembic"})
_PROJECT_FILES = frozenset({"pyproject.toml", "setup.py", "setup.cfg"})
_MAIN_GUARD = re.compile(
    r"^[ \t]*if[ \t(]+(?:__name__[ \t]*==[ \t]*['\"]__main__['\"]|['\"]__main__['\"][ \t]*==[ \t]*__name__)",
    re.MULTILINE,
)
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_][\w.]*)?")
# Text files that run or name Python files: scripts, CI, containers, task runners, docs.
_TEXT_SUFFIXES = frozenset(
    {".sh", ".bash", ".zsh", ".bat", ".cmd", ".ps1", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".json",
     ".md", ".rst", ".txt", ".mk", ".service", ".conf", ".in"}
)
_TEXT_NAMES = frozenset({"makefile", "procfile", "justfile", "dockerfile", "containerfile", "tox.ini"})
_MAX_TEXT = 1 << 20
_PY_PATH = re.compile(r"[\w./-]*\w\.py\b")
_DASH_M = re.compile(r"-m[\"', \t]+([A-Za-z_][\w.]*)")  # also CMD ["python", "-m", "app.worker"]
_QUOTED = re.compile(r"""["']([\w./][\w.:/-]{0,200}?)["']""")  # a string that could name a module or a .py file
_DYNAMIC = re.compile(r"\b(?:import_module|__import__|iter_modules|walk_packages)\b")
_CONFIG_TARGET = re.compile(r"=[ \t]*([A-Za-z_][\w.]*)[ \t]*:[ \t]*[A-Za-z_]\w*")


def find_redundant_files(root: Path, paths: Sequence[str], entry_points: Collection[str] = ()) -> list[RedundantFile]:
    """The redundant files among ``paths`` (relative to ``root``), sorted by path. Never raises on a bad file."""
    files = sorted({_posix(p) for p in paths if p})
    sizes = _sizes(root, files)
    graph = _Graph(root, [p for p in files if p.endswith(".py") and p in sizes], files)
    graph.scan_configs([p for p in files if p in sizes])
    graph.add_caller_entry_points(entry_points)

    found: dict[str, RedundantFile] = {}
    for path, kept in _duplicates(root, sizes, graph.imported).items():
        found[path] = RedundantFile(path, sizes[path], "duplicate", f"identical to {kept}", kept)
    for path in files:
        if path in sizes and path not in found:
            reason = leftover_reason(path)
            if reason and path not in graph.imported:
                found[path] = RedundantFile(path, sizes[path], "leftover", reason)
    for path in graph.unimported():
        if path not in found:
            found[path] = RedundantFile(
                path, sizes[path], "unimported", "no module imports it and it is not an entry point"
            )
    return sorted(found.values(), key=lambda r: r.path)


def leftover_reason(path: str) -> str | None:
    """Why the file's name marks an editor, merge or file-manager leftover, or None."""
    name = PurePosixPath(path).name
    for pattern, reason in _LEFTOVERS:
        if pattern.fullmatch(name):
            return reason
    return None


def _posix(path: str) -> str:
    text = path.replace(os.sep, "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def _sizes(root: Path, files: Iterable[str]) -> dict[str, int]:
    """Sizes of the regular files (symlinks, folders and vanished paths are left out)."""
    sizes = {}
    for path in files:
        try:
            info = os.lstat(root / path)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(info.st_mode):
            sizes[path] = info.st_size
    return sizes


def _read(root: Path, path: str, limit: int | None = None) -> bytes | None:
    try:
        with open(root / path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except (OSError, ValueError):
        return None


def _duplicates(root: Path, sizes: dict[str, int], imported: set[str]) -> dict[str, str]:
    """Each redundant copy -> the copy kept."""
    by_size: dict[int, list[str]] = defaultdict(list)
    for path, size in sizes.items():
        name = PurePosixPath(path).name
        if size >= MIN_DUPLICATE_SIZE and name not in _NEVER_COMPARED and not _LICENCE.match(name):
            by_size[size].append(path)
    redundant = {}
    for group in by_size.values():
        if len(group) < 2:
            continue
        by_hash: dict[bytes, list[str]] = defaultdict(list)
        for path in group:
            digest = _hash(root / path)
            if digest is not None:
                by_hash[digest].append(path)
        for same in by_hash.values():
            if len(same) < 2:
                continue
            kept = min(same, key=lambda p: (p not in imported, leftover_reason(p) is not None, len(p), p))
            redundant.update((p, kept) for p in same if p != kept)
    return redundant


def _hash(path: Path) -> bytes | None:
    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    return digest.digest()


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


class _Graph:
    """Which .py files of the checkout something imports or names."""

    def __init__(self, root: Path, python: list[str], files: list[str]) -> None:
        self.root = root
        self.python = python
        self.modules = set(python)
        self.packages = {_parent(p) for p in python if p.endswith("/__init__.py") or p == "__init__.py"}
        self.projects = sorted({_parent(p) for p in files if PurePosixPath(p).name in _PROJECT_FILES}, key=len)
        self.by_name: dict[str, set[str]] = defaultdict(set)  # package, project and src-less names
        self.by_suffix: dict[str, set[str]] = defaultdict(set)  # every dotted tail of two parts or more
        self.by_basename: dict[str, set[str]] = defaultdict(set)
        for path in python:
            self._index(path)
        self.imported: set[str] = set()  # imported by another module
        self.referenced: set[str] = set()  # named by configuration, strings, the caller
        self.importing_projects: set[str] = set()
        self.scripts: set[str] = set()  # a shebang or a __main__ guard
        self.uses_django = False
        for path in python:
            self._scan_module(path)

    # -- names -----------------------------------------------------------------
    def project_of(self, path: str) -> str:
        for project in reversed(self.projects):
            if not project or path.startswith(project + "/"):
                return project
        return ""

    def _index(self, path: str) -> None:
        self.by_basename[PurePosixPath(path).name].add(path)
        for name in self._names(path):
            self.by_name[name].add(path)
        parts = self._dotted(path).split(".")
        for start in range(len(parts) - 1):
            self.by_suffix[".".join(parts[start:])].add(path)

    @staticmethod
    def _dotted(path: str) -> str:
        stem = path[: -len("/__init__.py")] if path.endswith("/__init__.py") else path[:-3]
        return stem.replace("/", ".")

    def _names(self, path: str) -> set[str]:
        if PurePosixPath(path).name == "__init__.py":
            directory = _parent(path)
            parts = [PurePosixPath(directory).name] if directory else []
            directory = _parent(directory)
        else:
            parts, directory = [PurePosixPath(path).stem], _parent(path)
        while directory and directory in self.packages:
            parts.insert(0, PurePosixPath(directory).name)
            directory = _parent(directory)
        names = {".".join(parts)} if parts else set()
        project = self.project_of(path)
        relative = path[len(project) + 1:] if project else path
        own = self._dotted(relative)
        if own and own != "__init__":
            names.add(own)
            if own.startswith("src."):
                names.add(own[4:])
        return names

    def resolve(self, name: str) -> set[str]:
        """Modules of the checkout an absolute dotted name can mean."""
        found = self.by_name.get(name)
        if found:
            return found
        return self.by_suffix.get(name, set()) if "." in name else set()

    def _prefixed(self, prefix: str) -> set[str]:
        """Modules whose name starts with ``prefix`` (``pkg.plugins.``)."""
        found: set[str] = set()
        for name, paths in self.by_name.items():
            if name.startswith(prefix):
                found |= paths
        for name, paths in self.by_suffix.items():
            if name.startswith(prefix):
                found |= paths
        return found

    def _with_parents(self, name: str) -> set[str]:
        parts = name.split(".")
        found: set[str] = set()
        for end in range(1, len(parts) + 1):
            found |= self.resolve(".".join(parts[:end]))
        return found

    def _relative(self, path: str, level: int, module: str | None) -> str:
        base = _parent(path)
        for _ in range(level - 1):
            base = _parent(base)
        tail = (module or "").replace(".", "/")
        return "/".join(part for part in (base, tail) if part)

    def _file_at(self, stem: str) -> set[str]:
        return {f for f in (f"{stem}.py", f"{stem}/__init__.py" if stem else "__init__.py") if f in self.modules}

    def _under(self, folder: str) -> set[str]:
        return {p for p in self.python if not folder or p.startswith(folder + "/")}

    # -- Python modules --------------------------------------------------------
    def _scan_module(self, path: str) -> None:
        data = _read(self.root, path)
        if data is None:
            return
        text = data.decode("utf-8", "replace")
        if text.startswith("#!") or _MAIN_GUARD.search(text):
            self.scripts.add(path)
        # Strings are found in the text, not the tree: a regex is ten times faster than ast.walk.
        for match in _QUOTED.finditer(text):
            self._string(match.group(1), config=False)
        tree = try_parse(data)
        if tree is None:
            return
        imported: set[str] = set()
        aliases: dict[str, str] = {}  # local name -> the module it is bound to
        for node in _statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    self.uses_django |= top == "django"
                    imported |= self._with_parents(alias.name)
                    aliases[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(node, ast.ImportFrom):
                imported |= self._import_from(path, node, aliases)
        if _DYNAMIC.search(text):  # after the imports: the calls look their names up
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    imported |= self._dynamic(path, node, aliases)
        imported.discard(path)
        if imported:
            self.imported |= imported
            self.importing_projects.update(self.project_of(p) for p in imported)

    def _import_from(self, path: str, node: ast.ImportFrom, aliases: dict[str, str]) -> set[str]:
        names = [a.name for a in node.names if a.name != "*"]
        if node.level:
            stem = self._relative(path, node.level, node.module)
            found = self._file_at(stem)
            for name in names:
                found |= self._file_at(f"{stem}/{name}" if stem else name)
            return found
        module = node.module or ""
        self.uses_django |= module.split(".")[0] == "django"
        found = self._with_parents(module)
        for alias in node.names:
            if alias.name != "*":
                found |= self.resolve(f"{module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        return found

    def _dynamic(self, path: str, call: ast.Call, aliases: dict[str, str]) -> set[str]:
        function = call.func
        name = function.id if isinstance(function, ast.Name) else function.attr if isinstance(function, ast.Attribute) else ""
        if name in ("import_module", "__import__") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                target = first.value
                if target.startswith("."):
                    level = len(target) - len(target.lstrip("."))
                    package = self._package_argument(call)
                    if package:
                        return self._with_parents(f"{package}.{target[level:]}".rstrip("."))
                    return self._file_at(self._relative(path, level, target[level:] or None))
                return self._with_parents(target)
            prefix = _literal_prefix(first)
            if prefix and "." in prefix:
                return self._prefixed(prefix[: prefix.rindex(".") + 1])
        if name in ("iter_modules", "walk_packages") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Attribute) and first.attr == "__path__" and isinstance(first.value, ast.Name):
                found: set[str] = set()
                for package in self.resolve(aliases.get(first.value.id, first.value.id)):
                    if package.endswith("__init__.py"):
                        found |= self._under(_parent(package))
                return found
            if any(isinstance(n, ast.Name) and n.id in ("__path__", "__file__") for n in ast.walk(first)):
                return self._under(_parent(path))
        return set()

    @staticmethod
    def _package_argument(call: ast.Call) -> str | None:
        values = call.args[1:2] + [k.value for k in call.keywords if k.arg == "package"]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
        return None

    def _string(self, text: str, config: bool, base: str = "") -> None:
        """A string that names a module (``pkg.mod``, ``pkg.mod:attr``) or a ``.py`` file (in config: a glob)."""
        globbed = any(c in text for c in "*?[")
        if text.endswith(".py") or (config and globbed and ".py" in text):
            if config or not globbed:  # a glob in code is a search, not a reference
                self._path_reference(text, base)
        elif _DOTTED.fullmatch(text) and (config or "." in text.partition(":")[0]):
            self.referenced |= self._with_parents(text.partition(":")[0])

    def _path_reference(self, text: str, base: str = "") -> None:
        pattern = _posix(text.strip())
        if any(c in pattern for c in "*?["):
            for path in self.python:
                if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}"):
                    self.referenced.add(path)
            return
        for path in self.by_basename.get(PurePosixPath(pattern).name, ()):
            if "/" not in pattern or path == pattern or path.endswith("/" + pattern) or path == f"{base}/{pattern}":
                self.referenced.add(path)

    # -- configuration and other files -----------------------------------------
    def scan_configs(self, files: list[str]) -> None:
        for path in files:
            name = PurePosixPath(path).name
            if name == "pyproject.toml":
                self._pyproject(path)
            lowered = name.lower()
            if name.endswith(".py"):
                if name == "setup.py":
                    self._config_targets(self._text(path))
                continue
            if lowered in _TEXT_NAMES or lowered.startswith("dockerfile") or PurePosixPath(lowered).suffix in _TEXT_SUFFIXES:
                text = self._text(path)
                if name == "setup.cfg":
                    self._config_targets(text)
                for match in _PY_PATH.finditer(text):
                    self._path_reference(match.group(), _parent(path))
                for match in _DASH_M.finditer(text):
                    self.referenced |= self._with_parents(match.group(1))

    def _text(self, path: str) -> str:
        data = _read(self.root, path, _MAX_TEXT)
        return "" if data is None else data.decode("utf-8", "replace")

    def _config_targets(self, text: str) -> None:
        for match in _CONFIG_TARGET.finditer(text):
            self.referenced |= self._with_parents(match.group(1))

    def _pyproject(self, path: str) -> None:
        try:
            document = tomllib.loads(self._text(path))
        except (tomllib.TOMLDecodeError, ValueError):
            return
        project = document.get("project") if isinstance(document.get("project"), dict) else {}
        tables = [project.get("scripts"), project.get("gui-scripts"), project.get("entry-points"), document.get("tool")]
        for value in _strings(tables):
            self._string(value.strip(), config=True, base=_parent(path))

    def add_caller_entry_points(self, entry_points: Collection[str]) -> None:
        for entry in entry_points:
            if entry.endswith(".py") or "/" in entry or os.sep in entry:
                self._path_reference(entry)
            else:
                self.referenced |= self.resolve(entry.partition(":")[0])

    # -- the verdict -----------------------------------------------------------
    def is_entry_point(self, path: str) -> bool:
        name = PurePosixPath(path).name
        if name in _ENTRY_NAMES or is_test_file(path) or path in self.referenced:
            return True
        project = self.project_of(path)
        folders = (path[len(project) + 1:] if project else path).split("/")[:-1]
        if _RUN_DIRS.intersection(folders) or _MIGRATION_DIRS.intersection(path.split("/")[:-1]):
            return True
        if self.uses_django and (
            name in ("admin.py", "apps.py", "models.py") or "/management/commands/" in f"/{path}"
            or "/templatetags/" in f"/{path}"
        ):
            return True
        return path in self.scripts

    def unimported(self) -> Iterator[str]:
        for path in self.python:
            if path in self.imported or self.project_of(path) not in self.importing_projects:
                continue
            if not self.is_entry_point(path):
                yield path


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included (imports are statements: expressions need no visit)."""
    for statement in body:
        yield statement
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _literal_prefix(node: ast.expr) -> str | None:
    """The literal start of a string built at run time: f"pkg.{x}", "pkg." + x, "pkg.%s" % x, "pkg.{}".format(x)."""
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
        if isinstance(node.op, ast.Add):
            return node.left.value
        if isinstance(node.op, ast.Mod):
            return node.left.value.partition("%")[0]
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
    ):
        return node.func.value.value.partition("{")[0]
    return None


def _strings(value: Any) -> Iterator[str]:
    """Every string inside nested TOML tables and arrays (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
