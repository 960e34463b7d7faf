"""Building the helper call that replaces a recognised retry loop."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from codemods.analysis.retry_loops import RetryLoop, names_bound, names_in

# Keyword names the helper takes itself: a call passing one of these through
# **kwargs would collide, so such an operation becomes a nested function.
HELPER_PARAMS = frozenset(
    {"func", "max_attempts", "base_delay", "max_delay", "backoff", "retry_on", "circuit_breaker", "operation_name",
     "breaker_max_delay", "on_failure"}
)


@dataclass(frozen=True)
class Names:
    """How the helper's names are spelled in this file."""

    helper: str  # retry_with_backoff or retry_with_backoff_sync (or an alias)
    exhausted: str  # RetryExhausted
    attempt: str  # the nested operation's name, free in the function


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


def operation_name(loop: RetryLoop, function: str) -> str:
    """The loop's own words for the operation: its log text up to "failed", else the function's name."""
    text = re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[^}]*\}", "", loop.log_text or "")  # placeholders
    text = re.sub(r"\s+", " ", text)
    match = re.match(r"\s*([A-Za-z][\w .\-/]*?)\s+(?:failed|error|attempt|retry|timed out)", text, re.IGNORECASE)
    if match:
        return match.group(1)
    return function.strip("_").replace("_", " ")


def operation_body(loop: RetryLoop) -> tuple[list[cst.AssignTarget] | None, list[cst.BaseStatement]]:
    """(targets the call site assigns, the statements of one attempt, ending in `return value` when it has one).

    Logs naming the attempt number go (the helper logs attempts itself). A loop
    that leaves with ``break`` after ``x = op()`` hands ``x`` out as the helper's
    result, so nothing has to be shared with the nested function.
    """
    body = [s for s in loop.body if loop.counter not in names_in(s)]
    if loop.success == "break" and body:
        last = body[-1]
        small = last.body[0] if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 else None
        if isinstance(small, cst.Assign):
            targets = list(small.targets)
            if not set().union(*(names_in(t.target) for t in targets)) & names_bound(body[:-1]):
                return targets, [*body[:-1], last.with_changes(body=[cst.Return(value=small.value)])]
    return None, body


def direct_call(loop: RetryLoop, body: list[cst.BaseStatement]) -> tuple[cst.BaseExpression, list[cst.Arg]] | None:
    """`return await client.ping(x)` with simple arguments and nothing else: (callable, args)."""
    if len(body) != 1:
        return None
    small = body[0].body[0] if isinstance(body[0], cst.SimpleStatementLine) and len(body[0].body) == 1 else None
    if not isinstance(small, (cst.Return, cst.Expr)) or small.value is None:
        return None
    value = small.value
    if not loop.sync:
        if not isinstance(value, cst.Await):
            return None
        value = value.expression
    if not isinstance(value, cst.Call):
        return None
    for arg in value.args:
        if arg.star or (arg.keyword is not None and arg.keyword.value in HELPER_PARAMS):
            return None
        if not _simple(arg.value, attributes=False):
            return None  # evaluated once instead of once per attempt: only names and literals (a property may change)
    if not _simple(value.func):
        return None
    return value.func, list(value.args)


def _simple(node: cst.BaseExpression, attributes: bool = True) -> bool:
    """A name or literal (or, for the callable, an attribute chain): cheap and the same when read once."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(node, cst.Attribute) and attributes:
        return _simple(node.value)
    return False


def nested_operation(
    loop: RetryLoop, body: list[cst.BaseStatement], names: Names, is_async: bool, shared: list[str]
) -> cst.FunctionDef:
    """`async def _attempt(): <tried block>`.

    ``shared`` are the function's own variables the attempt assigns: declared
    ``nonlocal`` so they stay one variable, as they were in the loop.
    """
    if shared:
        body = [cst.SimpleStatementLine([cst.Nonlocal([cst.NameItem(cst.Name(n)) for n in shared])]), *body]
    return cst.FunctionDef(
        name=cst.Name(names.attempt),
        params=cst.Parameters(),
        body=cst.IndentedBlock(body=body),
        asynchronous=cst.Asynchronous() if is_async else None,
    )


def failure_callback(loop: RetryLoop) -> str:
    """`lambda error: breaker.record_failure()`: the handler's one per-failure call, run by the helper."""
    call = loop.on_failure[0].body[0].value  # type: ignore[attr-defined]
    if isinstance(call, cst.Await):
        call = call.expression  # the helper awaits what the callback returns
    used = names_in(call)
    name = loop.error_name if loop.error_name in used else next(
        n for n in ("error", "_error", "_failure", "_exc") if n not in used
    )
    return f"lambda {name}: {_code(call)}"


def helper_call(
    loop: RetryLoop, names: Names, function: str, quote: str, operation: cst.BaseExpression, args: list[cst.Arg],
    indent: str = "", step: str = "    ", lead: str = "",
) -> cst.BaseExpression:
    """The helper's call (awaited for async code), one argument per line when the
    statement (``indent``, then ``lead`` such as ``result = ``) would pass 99 columns."""
    parts = [_code(operation), *(_code(a).rstrip(",") for a in args)]
    parts.append(f"max_attempts={_code(loop.attempts)}")
    parts.append(f"base_delay={_code(loop.base)}")
    if loop.factor is not None and _code(loop.factor) not in ("2", "2.0"):
        parts.append(f"backoff={_code(loop.factor)}")
    cap = _code(loop.cap) if loop.cap is not None else 'float("inf")'.replace('"', quote)
    parts.append(f"max_delay={cap}")
    if loop.errors is not None:
        parts.append(f"retry_on={_code(loop.errors)}")
    if loop.breaker is not None:
        parts.append(f"circuit_breaker={_code(loop.breaker)}")
        breaker_cap = _code(loop.breaker_cap) if loop.breaker_cap is not None else None
        if breaker_cap is not None and breaker_cap != cap:
            parts.append(f"breaker_max_delay={breaker_cap}")
    if loop.on_failure:
        parts.append(f"on_failure={failure_callback(loop)}")
    text = operation_name(loop, function).replace("\\", "\\\\").replace(quote, "\\" + quote)
    parts.append(f"operation_name={quote}{text}{quote}")
    call = f"{names.helper}({', '.join(parts)})"
    prefix = ("return " if loop.success == "return" else lead) + ("" if loop.sync else "await ")
    if len(indent) + len(prefix) + len(call) > 99:
        # One argument per line, as black lays out a call that does not fit; the
        # lines inside the parentheses are relative to the statement's indentation.
        inner = "".join(f"\n{step}{part}," for part in parts)
        call = f"{names.helper}({inner}\n)"
    return cst.parse_expression(call if loop.sync else f"await {call}")
