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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


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


def find_log_calls(module: cst.Module) -> list[LogCall]:
    """The log calls of ``module`` in source order. Never raises: a failure yields what was found so far."""
    finder = _Finder()
    try:
        module.visit(finder)
        found = finder.found()
        if not found:
            return []
        # Positions cost a code-generation pass over the module: only for modules that log.
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except Exception:  # libcst metadata on an odd tree: report nothing rather than fail the scan
        return []
    calls = [LogCall(positions[node].start.line, level, eager) for node, level, eager in found if node in positions]
    return sorted(calls, key=lambda call: call.line)


def is_logger_name(name: str) -> bool:
    """Whether an identifier reads as a logger (see the module docstring)."""
    for part in name.split("_"):
        for word in _WORDS.findall(part):
            lowered = word.lower()
            if lowered in _LOGGER_WORDS or lowered.endswith("logger"):
                return True
    return False


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _is_factory_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _last_name(node.func) in _FACTORIES


class _Finder(cst.CSTVisitor):
    """One pass: level-method calls (receiver judged afterwards) and names assigned a logger."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[cst.Call, cst.BaseExpression, str, str | None]] = []
        self.loggers: set[str] = set()  # last parts of names and attributes assigned a logger

    def found(self) -> list[tuple[cst.Call, str, str | None]]:
        return [(node, level, eager) for node, receiver, level, eager in self.calls if self._is_logger(receiver)]

    def visit_Assign(self, node: cst.Assign) -> None:
        if _is_factory_call(node.value):
            for target in node.targets:
                self._assigned(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and _is_factory_call(node.value):
            self._assigned(node.target)

    def _assigned(self, target: cst.BaseExpression) -> None:
        name = _last_name(target)
        if name is not None:
            self.loggers.add(name)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _METHODS:
            return
        method = _METHODS[func.attr.value]
        positional = [arg for arg in node.args if arg.keyword is None and arg.star == ""]
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        if method == "log":
            level_node = positional[0].value if positional else keywords.get("level")
            level = _level_of(level_node) if level_node is not None else "other"
            message = positional[1].value if len(positional) > 1 else keywords.get("msg")
        else:
            level = method
            message = positional[0].value if positional else keywords.get("msg")
        self.calls.append((node, func.value, level, _eager(message) if message is not None else None))

    def _is_logger(self, receiver: cst.BaseExpression) -> bool:
        if _is_factory_call(receiver):
            return True
        name = _last_name(receiver)
        if name is None:
            return False
        return name == "logging" or name in self.loggers or is_logger_name(name)


def _level_of(node: cst.BaseExpression) -> str:
    name = _last_name(node)
    if name in _LEVEL_NAMES:
        return _LEVEL_NAMES[name]
    if isinstance(node, cst.Integer):
        try:
            return _LEVEL_NUMBERS.get(int(node.value, 0), "other")
        except ValueError:
            return "other"
    return "other"


def _is_string(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def _has_placeholder(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringExpression) for part in node.parts)
    if isinstance(node, cst.ConcatenatedString):
        return _has_placeholder(node.left) or _has_placeholder(node.right)
    return False


def _is_literal(node: cst.BaseExpression) -> bool:
    return _is_string(node) and not _has_placeholder(node)


def _operands(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


def _eager(message: cst.BaseExpression) -> str | None:
    if _has_placeholder(message):
        return "f-string"
    if isinstance(message, cst.BinaryOperation):
        if isinstance(message.operator, cst.Modulo) and _is_string(message.left):
            return "%-format"
        if isinstance(message.operator, cst.Add):
            operands = _operands(message)
            if any(_is_string(o) for o in operands) and not all(_is_literal(o) for o in operands):
                return "concatenation"
    if (
        isinstance(message, cst.Call) and isinstance(message.func, cst.Attribute)
        and message.func.attr.value == "format" and _is_string(message.func.value)
    ):
        return ".format()"
    return None
