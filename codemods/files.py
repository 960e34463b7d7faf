"""File discovery and faithful byte-level reading and writing.

Reading keeps what the bytes were (encoding cookie, UTF-8 BOM, line endings) so
writing can give back exactly the same bytes for unchanged text; writing is
atomic and keeps the file mode.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import pathspec

# Directories never worth walking outside git (black and ruff skip the same).
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "__pycache__", ".venv", "venv", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".codemods_cache", "node_modules",
        "_build", "buck-out", ".eggs", ".direnv",
    }
)
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff")


class DecodeError(ValueError):
    """The file's bytes cannot be read as text faithfully; the message says why."""


@dataclass(frozen=True)
class Source:
    """Decoded text plus what is needed to encode it back to the same bytes."""

    text: str  # without the BOM; line endings untouched
    encoding: str
    bom: bool = False

    def encode(self, text: str) -> bytes:
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode(self.encoding)


def decode(data: bytes) -> Source:
    """Decode like Python does (PEP 263 cookie, UTF-8 BOM), keeping the line endings."""
    if data.startswith(_UTF16_32_BOMS):
        raise DecodeError("UTF-16/UTF-32 encoded file: not supported, left alone")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # a bad cookie, or bytes that are not UTF-8 without one
        raise DecodeError(f"cannot decode: {str(exc).split(' (', 1)[0]}") from None
    bom = encoding == "utf-8-sig"
    if bom:
        encoding, data = "utf-8", data[3:]
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {encoding}: {exc.reason if isinstance(exc, UnicodeDecodeError) else exc}") from None
    if text.encode(encoding) != data:  # e.g. a codec that normalises on the way
        raise DecodeError(f"{encoding} does not round-trip these bytes")
    return Source(text=text, encoding=encoding, bom=bom)


def read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode; create it if new."""
    target = Path(os.path.realpath(path))  # write through a symlink, do not replace it
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".codemods-tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@lru_cache(maxsize=4096)
def _is_package(directory: Path) -> bool:
    return (directory / "__init__.py").is_file()


def module_name(path: Path) -> str | None:
    """Dotted module name from the enclosing packages (``__init__.py`` files)."""
    if path.suffix not in (".py", ".pyi"):
        return None
    parts = [] if path.stem == "__init__" else [path.stem]
    directory = path.parent
    while _is_package(directory) and directory != directory.parent:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts) or None


def find_git_root(path: Path) -> Path | None:
    for directory in (path, *path.parents):
        if (directory / ".git").exists():
            return directory
    return None


def discover(
    paths: Sequence[Path],
    handles: Callable[[str], bool],
    exclude: Sequence[str] = (),
    exclude_root: Path | None = None,
) -> list[Path]:
    """Files under ``paths`` that some codemod handles, sorted and without duplicates.

    Inside a git checkout: tracked files plus untracked ones git does not ignore.
    Elsewhere: a walk that honours ``.gitignore`` files. Explicit files are always
    taken; ``exclude`` (gitignore-style globs, relative to ``exclude_root``) applies
    to files found under directories.
    """
    excluded = gitignore_spec(exclude) if exclude else None
    found: dict[Path, None] = {}
    for given in paths:
        given = given.resolve()
        if given.is_file():
            found[given] = None
            continue
        for path in _list_directory(given):
            if not handles(path.name):
                continue
            if excluded is not None and _matches(excluded, path, exclude_root or given):
                continue
            found[path] = None
    return sorted(found)


def _matches(spec: pathspec.PathSpec, path: Path, base: Path) -> bool:
    try:
        relative = path.relative_to(base).as_posix()
    except ValueError:
        relative = path.as_posix()
    return spec.match_file(relative)


def _list_directory(directory: Path) -> Iterator[Path]:
    git_root = find_git_root(directory)
    if git_root is not None:
        listed = _git_files(git_root, directory)
        if listed is not None:
            yield from listed
            return
    yield from _walk(directory)


def _git_files(git_root: Path, directory: Path) -> list[Path] | None:
    """Tracked + untracked-not-ignored files, or None when git cannot tell (then we walk)."""
    import git  # gitpython; imported here so the CLI starts fast

    try:
        repo = git.Repo(git_root)
        relative = directory.relative_to(git_root).as_posix() or "."
        if relative != "." and _git_ignored(repo, relative):
            return None  # the user named an ignored directory explicitly: walk it
        out = repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard", "--", relative)
    except (git.exc.GitError, ValueError, OSError):
        return None
    files = []
    for name in dict.fromkeys(out.split("\0")):
        if name:
            path = git_root / name
            if path.is_file() and not path.is_symlink():
                files.append(path)
    return files


def _git_ignored(repo: object, relative: str) -> bool:
    import git

    try:
        repo.git.check_ignore("-q", relative)  # type: ignore[attr-defined]
    except git.exc.GitCommandError:
        return False
    return True


def _walk(top: Path) -> Iterator[Path]:
    # Outside git, .gitignore files from the walked directory down still say
    # what is not source (black does the same).
    yield from _walk_dir(top, [])


def _walk_dir(directory: Path, specs: list[tuple[Path, pathspec.PathSpec]]) -> Iterator[Path]:
    own = _gitignore(directory)
    if own is not None and (not specs or specs[-1][0] != directory):
        specs = [*specs, (directory, own)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            if entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info"):
                continue
            if not _ignored(specs, path, is_dir=True):
                yield from _walk_dir(path, specs)
        elif entry.is_file(follow_symlinks=False) and not _ignored(specs, path, is_dir=False):
            yield path


def _ignored(specs: Iterable[tuple[Path, pathspec.PathSpec]], path: Path, is_dir: bool) -> bool:
    for base, spec in specs:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False


def _gitignore(directory: Path) -> pathspec.PathSpec | None:
    ignore = directory / ".gitignore"
    if not ignore.is_file():
        return None
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return gitignore_spec(lines)


def gitignore_spec(lines: Iterable[str]) -> pathspec.PathSpec:
    """Patterns with gitignore's meaning (pathspec 1.x renamed the factory; 0.12 has only the old name)."""
    try:
        return pathspec.PathSpec.from_lines("gitignore", lines)
    except KeyError:  # pragma: no cover - pathspec < 1.0
        return pathspec.PathSpec.from_lines("gitwildmatch", lines)
