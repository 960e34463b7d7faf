"""Finds codemods by NAME in ``codemods.transforms`` and selects them."""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import pkgutil
import types
import typing
from functools import lru_cache
from typing import Any, Iterable, Mapping

from codemods import transforms

if typing.TYPE_CHECKING:
    from codemods.base import _CodemodMeta  # noqa: F401 (for the alias below)

CodemodClass = type["_CodemodMeta"]


class UnknownCodemod(ValueError):
    """A name given to --only/--skip or a config table names no codemod."""


class PluginError(ValueError):
    """A plugin module that cannot be imported or clashes with a codemod; one line."""


# Codemods of the project's own, from `[tool.codemods] plugins`: module -> its classes.
_plugins: dict[str, dict[str, CodemodClass]] = {}


@lru_cache(maxsize=1)
def _built_in() -> dict[str, CodemodClass]:
    found: dict[str, CodemodClass] = {}
    for info in pkgutil.iter_modules(transforms.__path__):
        found.update(_defined_in(importlib.import_module(f"{transforms.__name__}.{info.name}")))
    return found


def all_codemods() -> dict[str, CodemodClass]:
    """Every codemod: those of codemods.transforms and of loaded plugins, keyed by NAME, in name order."""
    found = dict(_built_in())
    for classes in _plugins.values():
        found.update(classes)
    return dict(sorted(found.items()))


def load_plugins(modules: Iterable[str], search: str) -> None:
    """Import the project's own codemod modules (``search`` is put on sys.path first).

    Idempotent and cheap once loaded: worker processes call it for every job, so
    a pool started with spawn or forkserver knows the same codemods as the parent.
    """
    import sys

    for name in modules:
        if name in _plugins:
            continue
        if search not in sys.path:
            sys.path.insert(0, search)
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # whatever the project's module raises on import
            raise PluginError(f"plugin {name!r} cannot be imported: {type(exc).__name__}: {exc}") from None
        classes = _defined_in(module)
        if not classes:
            raise PluginError(f"plugin {name!r} defines no codemod (a PythonCodemod or TextCodemod subclass with a NAME)")
        known = all_codemods()
        for codemod in classes:
            if codemod in known:
                raise PluginError(f"plugin {name!r}: a codemod named {codemod!r} exists already")
        _plugins[name] = classes


def _defined_in(module: types.ModuleType) -> dict[str, CodemodClass]:
    from codemods.base import PythonCodemod, TextCodemod  # imports libcst: only when asked

    return {
        value.NAME: value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, (PythonCodemod, TextCodemod))
        and value.__module__ == module.__name__
        and value.NAME
    }


def get(name: str) -> CodemodClass:
    codemods = all_codemods()
    if name not in codemods:
        known = ", ".join(codemods)
        raise UnknownCodemod(f"unknown codemod {name!r} (known: {known})")
    return codemods[name]


def select(only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[CodemodClass]:
    """The codemods to run: ``only`` if given (default-off ones included), else the defaults, minus ``skip``."""
    only, skip = list(only), list(skip)
    for name in (*only, *skip):
        get(name)
    if only:
        chosen = [get(name) for name in dict.fromkeys(only)]
    else:
        chosen = [cls for cls in all_codemods().values() if cls.DEFAULT]
    return [cls for cls in chosen if cls.NAME not in skip]


def build_options(cls: CodemodClass, table: Mapping[str, Any]) -> Any:
    """Typed OPTIONS for ``cls`` from its raw config table.

    Raises KeyError for an unknown key and OptionError (naming the key) for a bad value.
    """
    from codemods.base import OptionError

    fields = {f.name: f for f in dataclasses.fields(cls.OPTIONS)}
    hints = typing.get_type_hints(cls.OPTIONS)
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise KeyError(key)
        if not _matches(value, hints[name]):
            raise OptionError(key, f"{key} must be {_describe(hints[name])}, got {type(value).__name__}")
        values[name] = tuple(value) if isinstance(value, list) else value
    return cls.OPTIONS(**values)


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (tuple, list):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return isinstance(value, (list, tuple)) and all(_matches(v, args[0]) for v in value) if args else True
    if origin in (dict, collections.abc.Mapping):
        key, item = typing.get_args(hint) or (Any, Any)
        return isinstance(value, dict) and all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint) if a is not type(None))
    if origin in (tuple, list):
        return "a list of strings"
    if origin in (dict, collections.abc.Mapping):
        return "a table of strings"
    return {str: "a string", bool: "true or false", int: "an integer", float: "a number"}.get(hint, str(hint))
