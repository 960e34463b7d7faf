"""Results of unchanged files from earlier runs, in ``.codemods_cache/`` at the project root.

The engine is a pure function of (a file's bytes, its Job, the codemods' code),
so a result can be reused when all three are the same. One store per run
configuration (the selected codemods, their planned options, the tool's code):
a mapping from path to (content digest, module, result). A warm run reads and
hashes every file but parses none whose digest matches, and starts no worker
when nothing missed.

The store is a pickle written atomically; a store that cannot be read (another
version, a truncated write) counts as empty and is rewritten. A folder that
cannot be written means no cache, never a failed run.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

from codemods.models import FileResult, Status

DIRECTORY = ".codemods_cache"
FORMAT = 1  # bump when the stored layout changes
_KEEP_OUT = "# Made by codemods: the whole folder is a cache, safe to delete.\n*\n"

Entry = tuple[str, "str | None", FileResult]  # (digest of the bytes, module, result without `before`)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def code_fingerprint(modules: Iterable[str]) -> str:
    """Identity of the code that computes results: this package and the codemods' modules.

    Sizes and modification times rather than the version string, so an edited
    checkout of codemods (or of a project's plugin codemod) never reuses a
    result its old code produced.
    """
    import libcst

    package = Path(__file__).resolve().parent
    files = sorted({*package.rglob("*.py"), *_module_files(modules)})
    parts = [f"format {FORMAT}", sys.version, getattr(libcst, "__version__", "?")]
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        parts.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return digest("\n".join(parts).encode())


def _module_files(modules: Iterable[str]) -> list[Path]:
    found = []
    for name in modules:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file:
            found.append(Path(file).resolve())
    return found


def run_key(fingerprint: str, configuration: Any) -> str | None:
    """The store's name for this run's configuration; None when it has no stable form."""
    text = canonical(configuration)
    if " at 0x" in text:  # an object without a value-based repr: it would never match
        return None
    return digest(f"{fingerprint}\n{text}".encode())


def canonical(value: Any) -> str:
    """A repr that is equal for equal values across processes (sets sorted, dataclasses by field)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(f"{f.name}={canonical(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__qualname__}({fields})"
    if isinstance(value, Mapping):
        items = sorted(f"{canonical(k)}: {canonical(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(canonical(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(canonical(v) for v in value) + "]"
    if isinstance(value, enum.Enum):
        return f"{type(value).__qualname__}.{value.name}"
    if isinstance(value, os.PathLike):
        return repr(os.fspath(value))
    return repr(value)


class Store:
    """One configuration's results, loaded once and saved once per run."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.path = folder / f"{key}.pickle"
        self.entries: dict[str, Entry] = {}
        self.dirty = False
        try:
            with open(self.path, "rb") as handle:
                loaded = pickle.load(handle)
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            self.entries = {}

    def get(self, path: str, module: str | None, data: bytes) -> FileResult | None:
        entry = self.entries.get(path)
        if entry is None or entry[0] != digest(data) or entry[1] != module:
            return None
        return dataclasses.replace(entry[2], before=data, cached=True, timings={})

    def put(self, result: FileResult, module: str | None) -> None:
        if result.before is None or not _reusable(result):
            return
        # `before` is the file itself: kept out of the store, restored from the disk on reuse.
        self.entries[result.path] = (digest(result.before), module, dataclasses.replace(result, before=None, timings={}))
        self.dirty = True

    def prune(self, root: Path) -> None:
        """Forget files that are gone (entries of files outside this run are kept)."""
        gone = [path for path in self.entries if not (root / path).is_file()]
        for path in gone:
            del self.entries[path]
        self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        """Write the store atomically; any failure leaves the run as it is."""
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            keep_out = self.folder / ".gitignore"
            if not keep_out.exists():
                keep_out.write_text(_KEEP_OUT)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                pickle.dump(self.entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except OSError:
            pass


def _reusable(result: FileResult) -> bool:
    """Results that depend only on the bytes: not read errors, not crashes of the engine."""
    if result.status is not Status.ERROR:
        return True
    error = result.error or ""
    return not (error.startswith("cannot read") or error.startswith("internal error"))
