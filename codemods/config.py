"""``[tool.codemods]`` loading and validation.

Errors are one line: ``path:line: what is wrong (how to fix it)``; the CLI
prints that and exits 2.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from codemods import registry
from codemods.base import OptionError

TOP_LEVEL_KEYS = ("exclude", "only", "skip", "include-generated", "plugins")


class ConfigError(ValueError):
    """Bad configuration; the message is the whole one-line report."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    exclude: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    include_generated: bool = False
    plugins: tuple[str, ...] = ()  # the project's own codemod modules, importable from the config's folder
    codemods: dict[str, Any] = field(default_factory=dict)  # NAME -> OPTIONS instance


def find(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.codemods] table.

    The search stops at the repository root so a checkout never picks up
    configuration from whatever happens to sit above it.
    """
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_table(pyproject):
            return pyproject
        if (candidate / ".git").exists():
            return None
    return None


def _has_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    # Any header mentioning tool.codemods, even a broken one: loading then says what is wrong.
    return re.search(r"^\s*\[+\s*tool\s*\.\s*codemods\b", text, re.MULTILINE) is not None


def toml_error(label: str, text: str, exc: ValueError) -> str:
    """``label:line: invalid TOML: reason`` for a tomllib error (its line, or the last one at end of file)."""
    line = re.search(r"line (\d+)", str(exc))
    if line is None and "end of document" in str(exc):
        where = f"{label}:{text.count(chr(10)) + (0 if text.endswith(chr(10)) else 1)}"
    else:
        where = f"{label}:{line.group(1)}" if line else label
    return f"{where}: invalid TOML: {str(exc).split(' (at')[0]}"


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 (TOML files must be UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_error(str(path), text, exc)) from None
    table = data.get("tool", {}).get("codemods", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}:{_line(text, 'codemods')}: tool.codemods must be a table")
    return _validate(path, text, table)


def _validate(path: Path, text: str, table: dict[str, Any]) -> Config:
    plugins = table.get("plugins", [])
    if "plugins" in table:  # first: their codemods may have tables of their own below
        where = f"{path}:{_line(text, 'plugins')}"
        if not (isinstance(plugins, list) and all(isinstance(v, str) for v in plugins)):
            raise ConfigError(f"{where}: plugins must be a list of module names (\"tools.codemods.my_rule\")")
        try:
            registry.load_plugins(plugins, str(path.parent))
        except registry.PluginError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    known = registry.all_codemods()
    values: dict[str, Any] = {}
    codemods: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{path}:{_line(text, key)}"
        if key in known:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [tool.codemods.{key}] must be a table")
            try:
                codemods[key] = registry.build_options(known[key], value)
            except KeyError as exc:
                bad = exc.args[0]
                allowed = ", ".join(_option_names(known[key])) or "none"
                raise ConfigError(
                    f"{path}:{_line(text, bad, after=f'tool.codemods.{key}')}: unknown key {bad!r} "
                    f"in [tool.codemods.{key}] (allowed: {allowed})"
                ) from None
            except OptionError as exc:
                line = _line(text, exc.key.replace("_", "-"), after=f"tool.codemods.{key}")
                raise ConfigError(f"{path}:{line}: [tool.codemods.{key}] {exc}") from None
            continue
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r} in [tool.codemods] "
                f"(allowed: {', '.join(TOP_LEVEL_KEYS)}, or a table named after a codemod: {', '.join(known)})"
            )
        if key == "include-generated":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: include-generated must be true or false")
        elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        values[key.replace("-", "_")] = tuple(value) if isinstance(value, list) else value
    for name in (*values.get("only", ()), *values.get("skip", ())):
        if name not in known:
            raise ConfigError(f"{path}:{_line(text, name)}: unknown codemod {name!r} (known: {', '.join(known)})")
    return Config(path=path, codemods=codemods, **values)


def _option_names(cls: type) -> list[str]:
    import dataclasses

    return [f.name.replace("_", "-") for f in dataclasses.fields(cls.OPTIONS)]


def _line(text: str, key: str, after: str | None = None) -> int:
    """Best-effort line of ``key`` (after the header of table ``after``, if given)."""
    start = 0
    if after is not None:
        header = re.search(r"^\s*\[\s*" + re.escape(after).replace(r"\.", r"\s*\.\s*") + r"\s*\]", text, re.MULTILINE)
        if header:
            start = header.end()
    match = re.search(r"^\s*[\"']?" + re.escape(key) + r"\b", text[start:], re.MULTILINE)
    if match is None:
        match = re.search(re.escape(key), text[start:])
    if match is None:
        return 1
    return text.count("\n", 0, start + match.start() + len(match.group(0)) - len(match.group(0).lstrip())) + 1
