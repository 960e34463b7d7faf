"""Calls of the standard logging level methods, their level, and whether the message is built eagerly.

A call counts when it is ``<receiver>.<method>(...)`` with a level method
(``debug``, ``info``, ``warning``/``warn``, ``error``, ``exception``,
``critical``/``fatal``, ``log``) and the receiver is a logger:

- the ``logging`` module itself (``logging.info(...)``);
- a call that returns one: ``logging.getLogger(...)``, ``getLogger(...)``,
  ``structlog.get_logger()``, ``get_logger(...)``, ``logging.LoggerAdapter(...)``,
  ``<logger>.getChild(...)``;
- a name or attribute whose last part (``logger``, ``self.log``,
  ``cls._logger``, ``LOGGER``, ``auditLogger``) has a word, split at
  underscores and case changes, equal to ``log``, ``logger`` or ``logging``
  or ending in ``logger`` (``applogger``). Words that merely contain "log"
  (``dialog``, ``catalog``, ``backlog``, ``blog``, ``changelog``, ``login``,
  ``logic``, ``logo``) and the plural ``logs`` (usually a list of records:
  ``self.logs.info`` is not a logger) do not count;
- a name or attribute assigned anywhere in the module from one of the calls
  above (``audit = logging.getLogger("audit")`` makes ``audit.info`` count).

``math.log(x)`` and ``np.log(x)`` are never calls of a level method on a
logger. Other logging libraries' methods (structlog's ``msg``, loguru's
``success``) are not counted.

The level is the method's (``warn`` -> ``warning``, ``fatal`` -> ``critical``);
for ``log(level, msg)`` it is read from ``logging.X``, a bare ``X`` or a
standard numeric level, else it is ``"other"``.

The message (first positional argument, the second for ``log``; or ``msg=``)
is built eagerly when it is an f-string with a placeholder, ``"..." % args``
with a string literal on the left, ``"...".format(...)``, or a ``+``
concatenation of a string literal and a non-literal (``"id " + str(n)``;
``a + b`` alone may not be text and is not reported). ``logger.info("x %s", y)`` is lazy.

It reads the standard library's syntax tree, not libcst's: a scan calls it on
every file, and `ast` gives line numbers without a metadata pass.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any
from codemods.analysis.syntax import parse_quietly


@dataclass(frozen=True)
class LogCall:
    """One call of a level method on a logger."""

    line: int
    level: str  # "debug" | "info" | "warning" | "error" | "exception" | "critical" | "other" (log with a non-literal level)
    eager: str | None  # None, or how the message is built before the call: "f-string", "%-format", ".format()", "concatenation"


_METHODS = {
    "debug": "debug", "info": "info", "warning": "warning", "warn": "warning", "error": "error",
    "exception": "exception", "critical": "critical", "fatal": "critical", "log": "log",
}
_LEVEL_NAMES = {
    "DEBUG": "debug", "INFO": "info", "WARNING": "warning", "WARN": "warning", "ERROR": "error",
    "CRITICAL": "critical", "FATAL": "critical",
}
_LEVEL_NUMBERS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
_FACTORIES = frozenset({"getLogger", "get_logger", "LoggerAdapter", "getChild", "get_task_logger"})
_LOGGER_WORDS = frozenset({"log", "logger", "logging"})
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def find_log_calls(module: ast.Module | Any) -> list[LogCall]:
    """The log calls of ``module`` in source order. Never raises: a failure yields nothing.

    ``module`` is an ``ast.Module``; a libcst Module is accepted too (its code is parsed).
    """
    try:
        if not isinstance(module, ast.Module):
            module = parse_quietly(module.code)
        finder = _Finder()
        finder.visit(module)
        return sorted(finder.found(), key=lambda call: call.line)
    except (SyntaxError, ValueError, RecursionError, MemoryError, AttributeError):
        return []


def is_logger_name(name: str) -> bool:
    """Whether an identifier reads as a logger (see the module docstring)."""
    for part in name.split("_"):
        for word in _WORDS.findall(part):
            lowered = word.lower()
            if lowered in _LOGGER_WORDS or lowered.endswith("logger"):
                return True
    return False


def _last_name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_factory_call(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Call) and _last_name(node.func) in _FACTORIES


class _Finder(ast.NodeVisitor):
    """One pass: level-method calls (receiver judged afterwards) and names assigned a logger."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, ast.expr, str, str | None]] = []
        self.loggers: set[str] = set()  # last parts of names and attributes assigned a logger

    def found(self) -> list[LogCall]:
        return [LogCall(line, level, eager) for line, receiver, level, eager in self.calls if self._is_logger(receiver)]

    def visit_Assign(self, node: ast.Assign) -> None:
        if _is_factory_call(node.value):
            for target in node.targets:
                self._assigned(target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None and _is_factory_call(node.value):
            self._assigned(node.target)
        self.generic_visit(node)

    def _assigned(self, target: ast.AST) -> None:
        name = _last_name(target)
        if name is not None:
            self.loggers.add(name)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in _METHODS:
            self.generic_visit(node)
            return
        method = _METHODS[func.attr]
        positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
        if method == "log":
            level_node = positional[0] if positional else keywords.get("level")
            level = _level_of(level_node) if level_node is not None else "other"
            message = positional[1] if len(positional) > 1 else keywords.get("msg")
        else:
            level = method
            message = positional[0] if positional else keywords.get("msg")
        self.calls.append((node.lineno, func.value, level, _eager(message) if message is not None else None))
        self.generic_visit(node)  # after: an outer call comes before the calls in its arguments

    def _is_logger(self, receiver: ast.expr) -> bool:
        if _is_factory_call(receiver):
            return True
        name = _last_name(receiver)
        if name is None:
            return False
        return name == "logging" or name in self.loggers or is_logger_name(name)


def _level_of(node: ast.expr) -> str:
    name = _last_name(node)
    if name in _LEVEL_NAMES:
        return _LEVEL_NAMES[name]
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return _LEVEL_NUMBERS.get(node.value, "other")
    return "other"


def _is_string(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _has_placeholder(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) and any(isinstance(part, ast.FormattedValue) for part in node.values)


def _is_literal(node: ast.expr) -> bool:
    return _is_string(node) and not _has_placeholder(node)


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


def _eager(message: ast.expr) -> str | None:
    if _has_placeholder(message):
        return "f-string"
    if isinstance(message, ast.BinOp):
        if isinstance(message.op, ast.Mod) and _is_string(message.left):
            return "%-format"
        if isinstance(message.op, ast.Add):
            operands = _operands(message)
            if any(_is_string(o) for o in operands) and not all(_is_literal(o) for o in operands):
                return "concatenation"
    if (
        isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute)
        and message.func.attr == "format" and _is_string(message.func.value)
    ):
        return ".format()"
    return None
