"""Where a pinned version can come from: explicit pins, lock files, an environment, the index.

Every reader returns what it knows per PEP 503 normalised name: a ``Found``
version, or an ``Unusable`` entry saying why this source cannot give one (a
package locked from git, two versions locked for different platforms). Readers
raise ``SourceError`` with a one-line ``path:line: reason`` when the source
itself cannot be read.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from codemods.config import toml_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCK_NAMES = ("uv.lock", "poetry.lock", "Pipfile.lock")  # looked for at the project root, in this order
ENVIRONMENT_TIMEOUT = 60  # seconds for the target interpreter to list its distributions
INDEX_TIMEOUT = 15


class SourceError(ValueError):
    """A version source that cannot be read; the message is the whole report."""


@dataclass(frozen=True)
class Found:
    version: str
    source: str  # shown to the user: "uv.lock", ".venv (Python 3.12.1)", "explicit pin"


@dataclass(frozen=True)
class Unusable:
    source: str
    reason: str


Answer = Union[Found, Unusable]
Known = dict[str, Answer]


@dataclass(frozen=True)
class Environment:
    """What one interpreter has installed, and its PEP 508 marker values."""

    label: str
    versions: Mapping[str, str] = field(default_factory=dict)  # normalised name -> version
    markers: Mapping[str, str] = field(default_factory=dict)


def explicit(pins: Mapping[str, str], source: str = "explicit pin") -> Known:
    return {canonicalize_name(name): Found(version, source) for name, version in pins.items()}


def read_lock(path: Path, label: str) -> Known:
    """Versions from a uv, poetry or Pipfile lock, or a `pip freeze` output (told by its name)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"{label}: cannot read lock file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SourceError(f"{label}: lock file is not UTF-8") from None
    if path.name == "Pipfile.lock":
        return _pipfile_lock(text, label)
    if path.name in ("uv.lock", "poetry.lock") or path.suffix == ".lock":
        return _toml_lock(text, label)
    return _freeze(text, label)


def _toml_lock(text: str, label: str) -> Known:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(toml_error(label, text, exc)) from None
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise SourceError(f"{label}: no [[package]] entries")
    seen: dict[str, set[str]] = {}
    known: Known = {}
    for package in packages:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        name = canonicalize_name(package["name"])
        version = package.get("version")
        kind = _toml_source_kind(package.get("source"))
        if kind is not None:
            known.setdefault(name, Unusable(label, f"{label} locks it from a {kind} source, not a package index"))
            continue
        if not isinstance(version, str):
            continue
        seen.setdefault(name, set()).add(version)
        known[name] = Found(version, label)
    for name, versions in seen.items():
        if len(versions) > 1:
            listed = ", ".join(sorted(versions, key=_version_key))
            known[name] = Unusable(label, f"{label} locks several versions ({listed}) for different environments")
    return known


def _toml_source_kind(source: Any) -> str | None:
    """None for an index (uv `registry`, poetry's default or `legacy` index), else the kind."""
    if not isinstance(source, dict):
        return None
    if "registry" in source:  # uv
        return None
    kind = source.get("type")  # poetry: git, directory, file, url, legacy
    if kind is not None:
        return None if kind in ("legacy", "pypi") else str(kind)
    for key in ("git", "path", "directory", "editable", "virtual", "url"):  # uv's other sources
        if key in source:
            return key
    return None


def _pipfile_lock(text: str, label: str) -> Known:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{label}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    known: Known = {}
    for section in ("default", "develop"):  # the runtime section wins over the dev one
        for raw, entry in (data.get(section) or {}).items():
            name = canonicalize_name(raw)
            if name in known or not isinstance(entry, dict):
                continue
            version = entry.get("version")
            if isinstance(version, str) and version.startswith("=="):
                known[name] = Found(version[2:].strip(), label)
            else:
                kind = next((k for k in ("git", "path", "file", "editable") if k in entry), "non-index")
                known[name] = Unusable(label, f"{label} locks it from a {kind} source, not a package index")
    return known


def _freeze(text: str, label: str) -> Known:
    from codemods.analysis.requirements_file import LineKind, parse

    known: Known = {}
    for line in parse(text):
        requirement = line.requirement
        if requirement is None:
            continue
        name = canonicalize_name(requirement.name)
        specs = list(requirement.specifier)
        if line.kind is LineKind.DIRECT:
            known.setdefault(name, Unusable(label, f"{label} has it installed from a URL or path"))
        elif len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            known.setdefault(name, Found(specs[0].version, label))
    return known


# Run in the target interpreter: only the standard library, any Python 3.8+.
_PROBE = r"""
import json, os, platform, sys
import importlib.metadata as md
def full(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    return v if info.releaselevel == "final" else v + info.releaselevel[0] + str(info.serial)
markers = {
    "implementation_name": sys.implementation.name,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
found = []
for dist in md.distributions():  # in sys.path order: the first is the one import finds
    name = dist.metadata["Name"]
    if name:
        found.append([name, dist.version])
print(json.dumps({"markers": markers, "distributions": found}))
"""


def read_environment(python: Path, label: str) -> Environment:
    """Installed versions of ``python``'s environment, from one run of that interpreter."""
    try:
        completed = subprocess.run(
            [str(python), "-I", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=ENVIRONMENT_TIMEOUT,
            check=False,
        )
    except OSError as exc:
        raise SourceError(f"{label}: cannot run {python}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{label}: {python} did not answer within {ENVIRONMENT_TIMEOUT} s") from None
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise SourceError(f"{label}: {python} failed ({last}); is it Python 3.8 or newer?")
    try:
        data = json.loads(completed.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        raise SourceError(f"{label}: {python} printed no distribution list") from None
    versions: dict[str, str] = {}
    for name, version in data["distributions"]:
        versions.setdefault(canonicalize_name(name), version)
    markers = data["markers"]
    return Environment(f"{label} (Python {markers['python_full_version']})", versions, markers)


def find_environment(project_root: Path) -> Path | None:
    """The interpreter of the checkout's own ``.venv`` or ``venv``, when there is one."""
    for folder in (".venv", "venv"):
        for python in (project_root / folder / "bin" / "python", project_root / folder / "Scripts" / "python.exe"):
            if python.is_file():
                return python
    return None


def newest(name: str, specifier: SpecifierSet, index_url: str) -> Answer:
    """The newest release on the index (PyPI's JSON API) that the line's specifier admits.

    Yanked releases and pre-releases are left out unless the specifier names a pre-release.
    """
    url = f"{index_url.rstrip('/')}/{canonicalize_name(name)}/json"
    label = f"the newest release on {index_url.split('/')[2] if '://' in index_url else index_url}"
    try:
        with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT) as response:  # noqa: S310 (https index)
            data = json.load(response)
    except urllib.error.HTTPError as exc:
        reason = "not on the index" if exc.code == 404 else f"HTTP {exc.code}"
        return Unusable(label, f"--latest: {reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Unusable(label, f"--latest: cannot reach {url.split('/')[2]} ({reason})")
    candidates = []
    for raw, files in (data.get("releases") or {}).items():
        if not files or all(f.get("yanked") for f in files):
            continue
        try:
            version = Version(raw)
        except InvalidVersion:
            continue
        if version.is_prerelease and not specifier.prereleases:
            continue
        if specifier.contains(version, prereleases=True):
            candidates.append(version)
    if not candidates:
        return Unusable(label, f"--latest: no release matches {specifier or 'any version'}")
    return Found(str(max(candidates)), label)


def _version_key(value: str) -> Any:
    try:
        return (0, Version(value))
    except InvalidVersion:
        return (1, value)
