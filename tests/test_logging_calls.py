"""Log calls for `codemods scan`: which calls are on a logger, their level, and eagerly built messages."""

from __future__ import annotations

import libcst as cst
import pytest

from codemods.analysis.logging_calls import LogCall, find_log_calls, is_logger_name


def calls(source: str) -> list[tuple[int, str, str | None]]:
    return [(c.line, c.level, c.eager) for c in find_log_calls(cst.parse_module(source))]


def test_receivers_that_are_loggers() -> None:
    source = (
        "import logging\n"
        "logging.info('a')\n"
        "logger.info('a')\n"
        "log.debug('a')\n"
        "self.logger.warning('a')\n"
        "self.log.error('a')\n"
        "cls._logger.critical('a')\n"
        "LOGGER.error('a')\n"
        "logging.getLogger(__name__).info('a')\n"
        "structlog.get_logger().info('a')\n"
        "self.auditLogger.info('a')\n"
        "request_log.info('a')\n"
    )
    assert calls(source) == [(n, level, None) for n, level in [
        (2, "info"), (3, "info"), (4, "debug"), (5, "warning"), (6, "error"), (7, "critical"), (8, "error"),
        (9, "info"), (10, "info"), (11, "info"), (12, "info"),
    ]]


def test_names_assigned_a_logger_count_whatever_they_are_called() -> None:
    source = (
        "import logging\n"
        "audit = logging.getLogger('audit')\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.out: logging.Logger = logging.getLogger('c')\n"
        "    def run(self):\n"
        "        audit.info('x')\n"
        "        self.out.warning('y')\n"
        "        other.info('z')\n"
    )
    assert calls(source) == [(7, "info", None), (8, "warning", None)]


@pytest.mark.parametrize(
    "receiver",
    ["dialog", "catalog", "backlog", "blog", "changelog", "login", "logic", "logo", "self.logs", "math", "np",
     "self.catalog", "results", "logins"],
)
def test_receivers_that_are_not_loggers(receiver: str) -> None:
    assert calls(f"{receiver}.info('a')\n{receiver}.error('b')\n{receiver}.log(x)\n") == []


def test_math_log_and_other_libraries_methods_are_not_log_calls() -> None:
    assert calls("import math\nmath.log(8, 2)\nlog.msg('structlog')\nlogger.success('loguru')\nlogger.setLevel(10)\n") == []


def test_levels_are_normalised() -> None:
    source = (
        "logger.warn('a')\n"
        "logger.fatal('a')\n"
        "logger.exception('a')\n"
        "logger.log(logging.DEBUG, 'a')\n"
        "logger.log(WARNING, 'a')\n"
        "logger.log(40, 'a')\n"
        "logger.log(level, 'a')\n"
        "logger.log(logging.WARN, 'a')\n"
        "logging.log(15, 'a')\n"
        "logger.log(level=logging.INFO, msg='a')\n"
    )
    assert [level for _, level, _ in calls(source)] == [
        "warning", "critical", "exception", "debug", "warning", "error", "other", "warning", "other", "info",
    ]


@pytest.mark.parametrize(
    ("message", "eager"),
    [
        ("f'order {oid} filled'", "f-string"),
        ("'order %s' % oid", "%-format"),
        ("'order %s of %s' % (oid, n)", "%-format"),
        ("'order {}'.format(oid)", ".format()"),
        ("'order ' + oid", "concatenation"),
        ("'order ' + str(oid) + ' filled'", "concatenation"),
        ("prefix + ' filled'", "concatenation"),
        ("'a' f'{b}'", "f-string"),
        ("'order %s', oid", None),
        ("'order filled'", None),
        ("f'no placeholder'", None),
        ("'a' + 'b'", None),
        ("'a' 'b'", None),
        ("message", None),
        ("a + b", None),
        ("fmt % args", None),
        ("str(oid)", None),
    ],
)
def test_eager_messages(message: str, eager: str | None) -> None:
    assert calls(f"logger.info({message})\n") == [(1, "info", eager)]


def test_the_message_of_log_is_its_second_argument_or_msg() -> None:
    source = "logger.log(logging.INFO, f'{x}')\nlogger.log(logging.INFO, 'x %s', y)\nlogger.error(msg=f'{x}')\n"
    assert calls(source) == [(1, "info", "f-string"), (2, "info", None), (3, "error", "f-string")]


def test_lines_are_where_the_call_starts_and_results_are_in_source_order() -> None:
    source = (
        "def f():\n"
        "    logger.info(\n"
        "        f'{x}'\n"
        "    )\n"
        "    logger.debug('a', extra={'k': logger.error('nested')})\n"
    )
    assert find_log_calls(cst.parse_module(source)) == [
        LogCall(2, "info", "f-string"), LogCall(5, "debug", None), LogCall(5, "error", None),
    ]


def test_calls_without_a_message_and_odd_receivers_never_raise() -> None:
    source = "logger.info()\nlogger.log()\nloggers[0].info('a')\n(lambda: 1)().info('a')\nlogger.info(*args)\n"
    assert calls(source) == [(1, "info", None), (2, "other", None), (5, "info", None)]


def test_no_log_calls() -> None:
    assert calls("x = 1\nprint(f'{x}')\n") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("log", True), ("_log", True), ("LOGGER", True), ("audit_logger", True), ("httpLogger", True),
     ("applogger", True), ("logging", True), ("dialog", False), ("logs", False), ("login", False), ("blog", False)],
)
def test_logger_names(name: str, expected: bool) -> None:
    assert is_logger_name(name) is expected
