"""Recognising hand-written retry loops by their structure.

A retry loop is bounded by an attempt count (``for attempt in range(n)`` or
``while attempt < n`` with a counter), tries an operation in a ``try``, and
sleeps in the handler with a delay that grows per attempt. ``match`` reads one
loop (with the statements of its block around it) into a ``RetryLoop`` the
helper can reproduce, or a ``Refusal`` saying why not. Names never decide:
`asyncio.sleep`, `time.sleep` and `range` are resolved through qualified names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import libcst as cst

from codemods.analysis.rounding_segments import names_read

QNames = Callable[[cst.CSTNode], set[str]]

ASYNC_SLEEP = "asyncio.sleep"
SYNC_SLEEP = "time.sleep"
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


@dataclass(frozen=True)
class Refusal:
    """A retry loop the helper cannot reproduce, and why (the user's next step)."""

    node: cst.CSTNode
    reason: str


@dataclass
class RetryLoop:
    """Everything the rewrite needs from one recognised loop."""

    loop: cst.For | cst.While
    index: int  # of the loop in its block
    counter: str
    attempts: cst.BaseExpression
    sync: bool
    body: list[cst.BaseStatement]  # the tried block, ending in `return value`
    errors: cst.BaseExpression | None  # the caught types; None is `Exception`
    error_name: str | None  # `except E as error`
    on_failure: list[cst.BaseStatement]  # handler statements run per failure (state, not logging)
    base: cst.BaseExpression
    factor: cst.BaseExpression | None  # None: 2
    cap: cst.BaseExpression | None  # None: no cap on the backoff
    breaker: cst.BaseExpression | None = None
    breaker_cap: cst.BaseExpression | None = None
    falls_through: bool = False  # exhaustion runs the code after the loop (else: raises)
    raises: bool = False  # the handler re-raises after the last attempt (the breaker may still fall through)
    success: str = "return"  # how the tried block leaves the loop: `return value` or `break`
    removed_before: list[int] = field(default_factory=list)  # counter/delay set-up lines that go
    log_text: str | None = None
    error_var: str | None = None  # `last_error = error` in the handler: the last failure, read after the loop


Match = Union[RetryLoop, Refusal, None]


@dataclass(frozen=True)
class _Failure:
    """What the handler does per failed attempt."""

    on_failure: list[cst.BaseStatement]
    delay: tuple[cst.BaseExpression, cst.BaseExpression | None, cst.BaseExpression | None]  # base, factor, cap
    sync: bool
    raises: bool
    log_text: str | None
    delay_init: int | None  # index of `delay = ...` before the loop
    error_var: str | None


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


def names_in(node: cst.CSTNode) -> set[str]:
    """Plain names a node mentions (attribute and keyword names excluded)."""
    return names_read(node)


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def names_bound(nodes: Sequence[cst.CSTNode], skip: cst.CSTNode | None = None) -> set[str]:
    """Names the statements bind in their own scope (not in nested functions,
    classes or comprehensions, whose own names count), ``skip`` and below left out."""
    found: set[str] = set()

    def targets(node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                targets(element.value)
        elif isinstance(node, cst.StarredElement):
            targets(node.value)

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if node is skip:
                return False
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                found.add(node.name.value)
                return False
            if isinstance(node, cst.AssignTarget):
                targets(node.target)
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For)):
                targets(node.target)
            elif isinstance(node, cst.NamedExpr):
                targets(node.target)
            elif isinstance(node, cst.AsName):
                targets(node.name)
            elif isinstance(node, cst.ImportAlias) and node.asname is None:
                found.add(_code(node.name).split(".")[0])
            return not isinstance(node, _SCOPES)

    for node in nodes:
        node.visit(Collect())
    return found


def declared_global(function: cst.FunctionDef) -> set[str]:
    """Names a function declares ``global`` or ``nonlocal`` (not in nested scopes)."""
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.Global, cst.Nonlocal)):
                found.update(n.name.value for n in node.names)
            return node is function or not isinstance(node, _SCOPES)

    function.visit(Collect())
    return found


def _contains(node: cst.CSTNode, kinds: tuple[type, ...], stop: tuple[type, ...] = (cst.FunctionDef, cst.ClassDef, cst.Lambda)) -> bool:
    hit = False

    class Find(cst.CSTVisitor):
        def on_visit(self, child: cst.CSTNode) -> bool:
            nonlocal hit
            if isinstance(child, kinds):
                hit = True
            return not hit and not isinstance(child, stop)

    for child in node.children:
        child.visit(Find())
    return hit


class Matcher:
    def __init__(self, qnames: QNames) -> None:
        self.qnames = qnames

    def sleep_of(self, statement: cst.CSTNode) -> tuple[cst.BaseExpression, bool] | None:
        """(delay, sync) when ``statement`` is `await asyncio.sleep(d)` / `time.sleep(d)`."""
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if not isinstance(small, cst.Expr):
            return None
        value = small.value
        awaited = isinstance(value, cst.Await)
        call = value.expression if awaited else value  # type: ignore[union-attr]
        if not isinstance(call, cst.Call) or len(call.args) != 1 or call.args[0].keyword is not None:
            return None
        names = self.qnames(call.func)
        if awaited and ASYNC_SLEEP in names:
            return call.args[0].value, False
        if not awaited and SYNC_SLEEP in names:
            return call.args[0].value, True
        return None

    def is_log(self, statement: cst.BaseStatement) -> bool:
        """`logger.warning(...)`, `self.log.info(...)`, `logging.error(...)`, `print(...)`."""
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
            return False
        func = small.value.func
        if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS:
            # the owner's own name says logger: `logger`, `self._log`, `logging`, `audit_logger`
            # (not `catalog.error(...)` or `dialog.warning(...)`, which do something)
            owner = func.value.attr.value if isinstance(func.value, cst.Attribute) else _code(func.value)
            owner = owner.lower().strip("_")
            return owner in ("log", "logging", "logs", "lg") or owner.endswith(("logger", "_log"))
        return isinstance(func, cst.Name) and func.value == "print"

    # -- the loop ------------------------------------------------------------------
    def is_retry_loop(self, loop: cst.BaseStatement) -> bool:
        """A loop whose body has a try whose handler sleeps: worth matching (or refusing)."""
        if not isinstance(loop, (cst.For, cst.While)):
            return False
        for statement in loop.body.body:
            if isinstance(statement, cst.Try):
                for handler in statement.handlers:
                    if any(self._sleeps_in(s) for s in handler.body.body):
                        return True
        return False

    def status_retry(self, loop: cst.BaseStatement) -> Refusal | None:
        """A counted loop with no try that sleeps longer per attempt and leaves on a condition:
        it retries on what the operation returned, which the helper does not do."""
        if isinstance(loop, cst.For):
            bound = self._range_bound(loop)
            counter = bound[0] if bound else None
        elif isinstance(loop, cst.While) and isinstance(loop.test, cst.Comparison) and isinstance(loop.test.left, cst.Name):
            counter = loop.test.left.value
        else:
            return None
        statements = list(loop.body.body) if counter else []
        if not statements or any(isinstance(s, cst.Try) for s in statements):
            return None
        delays = [found[0] for s in statements for found in self._sleeps_in(s)]
        if not any(counter in names_in(d) for d in delays):
            return None
        if not any(isinstance(s, cst.If) and _contains(s, (cst.Return, cst.Break)) for s in statements):
            return None
        return Refusal(loop, "the loop retries on a returned value, not an exception: the helper retries only when the call raises")

    def _sleeps_in(self, statement: cst.BaseStatement) -> list[tuple[cst.BaseExpression, bool]]:
        found = self.sleep_of(statement)
        if found is not None:
            return [found]
        if isinstance(statement, cst.If):
            branches = [*statement.body.body, *(statement.orelse.body.body if isinstance(statement.orelse, cst.Else) else [])]
            return [f for s in branches for f in self._sleeps_in(s)]
        return []

    def match(self, block: Sequence[cst.BaseStatement], index: int) -> Match:
        loop = block[index]
        if not self.is_retry_loop(loop):
            return self.status_retry(loop)
        assert isinstance(loop, (cst.For, cst.While))
        refuse = lambda reason: Refusal(loop, reason)  # noqa: E731
        if loop.orelse is not None:
            return refuse("the loop has an `else:` block")
        if isinstance(loop, cst.For):
            bound = self._range_bound(loop)
            if bound is None:
                return refuse("not `for attempt in range(n)`: the number of attempts is not a count")
            counter, attempts = bound
            removed_before: list[int] = []
        else:
            bound_w = self._while_bound(loop, block, index)
            if isinstance(bound_w, str):
                return refuse(bound_w)
            counter, attempts, init = bound_w
            removed_before = [init]
        if _contains(loop, (cst.Yield,)):
            return refuse("`yield` inside the loop")
        statements = list(loop.body.body)
        breaker = breaker_cap = None
        if len(statements) == 3:
            check = self._breaker_check(statements[0], statements[1], counter, isinstance(loop, cst.While))
            if isinstance(check, str):
                return refuse(check)
            breaker, breaker_cap, _ = check
            statements = statements[2:]
        if len(statements) != 1 or not isinstance(statements[0], cst.Try):
            return refuse("the loop does more than one try/except (and a circuit-breaker check)")
        attempt_try = statements[0]
        if attempt_try.orelse is not None or attempt_try.finalbody is not None:
            return refuse("the try has an `else:` or `finally:` block")
        if len(attempt_try.handlers) != 1:
            return refuse("several `except` branches (each may wait differently)")
        handler = attempt_try.handlers[0]
        if handler.type is None:
            return refuse("a bare `except:` also catches KeyboardInterrupt and SystemExit")
        body = list(attempt_try.body.body)
        checked = self._check_body(body, counter)
        if isinstance(checked, str):
            return refuse(checked)
        body, success = checked
        error_name = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
        failure = self._handler(handler, counter, attempts, isinstance(loop, cst.While), error_name, block, index)
        if isinstance(failure, str):
            return refuse(failure)
        on_failure, sync, raises, delay_init, error_var = (
            failure.on_failure, failure.sync, failure.raises, failure.delay_init, failure.error_var
        )
        base, factor, cap = failure.delay
        problem = self._movable(loop, body, on_failure, counter, error_name, sync, delay_init, block, (base, factor, cap, attempts, breaker, breaker_cap))
        if problem:
            return refuse(problem)
        if breaker is not None and delay_init is not None:
            return refuse("the delay doubles per failure while circuit-breaker waits also count as attempts")
        if delay_init is not None:
            removed_before.append(delay_init)
        errors = None if _code(handler.type) == "Exception" else handler.type
        after = block[index + 1 :]
        falls_through = not raises or breaker is not None
        if falls_through and success == "return" and (not after or not _ends(after[-1])):
            return refuse("code after the loop does not end in `return` or `raise`: cannot keep what exhaustion does")
        if falls_through and any(_bare_raise(s) for s in after):
            return refuse("a bare `raise` after the loop (it would re-raise the last failure once moved into an `except`)")
        read_after = set().union(*(names_in(s) for s in after)) if after else set()
        if error_var is not None:
            if error_var in set().union(*(names_in(s) for s in body)) or breaker is not None and error_var in read_after:
                # with a breaker the last attempt may be refused, leaving an older failure in the variable
                return refuse(f"`{error_var}` (the last failure) is read inside the loop or next to a circuit breaker")
            if success == "break" and error_var in read_after:
                return refuse(f"`{error_var}` (the last failure) is read after a loop that leaves with `break`")
        loop_bound = names_bound([loop]) - names_bound(body) - {error_var}
        for name in sorted({counter, *loop_bound, *(_code(block[i].body[0].targets[0].target) for i in removed_before)}):  # type: ignore[attr-defined]
            if name in read_after:
                return refuse(f"`{name}` is read after the loop")
        return RetryLoop(
            loop, index, counter, attempts, sync, body, errors, error_name, on_failure, base, factor, cap,
            breaker=breaker, breaker_cap=breaker_cap, falls_through=falls_through, raises=raises, success=success,
            removed_before=sorted(removed_before), log_text=failure.log_text, error_var=error_var,
        )

    def _movable(
        self, loop: cst.For | cst.While, body: list[cst.BaseStatement], on_failure: list[cst.BaseStatement],
        counter: str, error_name: str | None, sync: bool, delay_init: int | None, block: Sequence[cst.BaseStatement],
        settings: tuple[cst.BaseExpression | None, ...],
    ) -> str:
        """Why the tried block, the handler's calls or the settings cannot move out of the loop ("" when they can)."""
        moved = [*body, *on_failure]
        delay_name = _code(block[delay_init].body[0].targets[0].target) if delay_init is not None else None  # type: ignore[attr-defined]
        if delay_name:
            if delay_name in set().union(*(names_in(s) for s in moved)) if moved else set():
                return f"the attempt or the handler uses `{delay_name}`, the delay, which the helper keeps to itself"
        if sync and any(_contains(s, (cst.Await, cst.Asynchronous)) for s in moved):
            return "the loop waits with `time.sleep` but awaits: the sync helper cannot await (use `asyncio.sleep`)"
        if any(_zero_arg_super(s) for s in moved):
            return "`super()` without arguments cannot move into a nested function"
        inside = names_bound([loop]) | ({error_name} if error_name else set())
        for index, setting in enumerate(settings):
            if setting is None or index == 3 and isinstance(loop, cst.For):
                continue  # range(n) is evaluated once, as the helper reads max_attempts once
            used = sorted(names_in(setting) & (inside - {counter}))
            if used:
                return f"the wait or the attempt count depends on `{used[0]}`, which changes inside the loop"
            if not _stable(setting):
                return "the wait or the attempt count is computed by a call each time (the helper reads it once)"
            if on_failure and index in (0, 1, 2, 5) and _any(setting, lambda n: isinstance(n, cst.Attribute)):
                # `self.base * 2 ** attempt` with `self.slow_down()` in the handler: read at each wait
                return f"the wait reads `{_code(setting)}`, which the handler's call may change (the helper reads it once)"
        return ""

    def _range_bound(self, loop: cst.For) -> tuple[str, cst.BaseExpression] | None:
        if not isinstance(loop.target, cst.Name) or loop.asynchronous is not None:
            return None
        it = loop.iter
        if not isinstance(it, cst.Call) or "builtins.range" not in self.qnames(it.func) or len(it.args) != 1:
            return None
        return loop.target.value, it.args[0].value

    def _while_bound(
        self, loop: cst.While, block: Sequence[cst.BaseStatement], index: int
    ) -> tuple[str, cst.BaseExpression, int] | str:
        test = loop.test
        if not (
            isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.LessThan) and isinstance(test.left, cst.Name)
        ):
            return "not `while attempt < n:`: an unbounded loop (a reconnect or main loop) is not a retry"
        counter = test.left.value
        for back in range(index - 1, -1, -1):
            statement = block[back]
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and _code(small.targets[0].target) == counter:
                if _code(small.value) != "0":
                    return f"`{counter}` does not start at 0"
                return counter, test.comparisons[0].comparator, back
            if counter in names_in(statement):
                break
        return f"cannot see `{counter} = 0` right before the loop"

    def _breaker_check(
        self, first: cst.BaseStatement, second: cst.BaseStatement, counter: str, counted: bool
    ) -> tuple[cst.BaseExpression, cst.BaseExpression, bool] | str:
        """`ok, why = cb.can_proceed()` + `if not ok: [wait = ...] [log] sleep(...) continue`."""
        small = first.body[0] if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 else None
        if not (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "can_proceed"
                and not small.value.args):
            return "the loop does more than try: only a circuit-breaker check may come first"
        target = small.targets[0].target
        if not (isinstance(target, cst.Tuple) and len(target.elements) == 2 and all(isinstance(e.value, cst.Name) for e in target.elements)):
            return "`can_proceed()` is not unpacked as `allowed, reason`"
        allowed = target.elements[0].value.value  # type: ignore[attr-defined]
        breaker = small.value.func.value
        if not isinstance(second, cst.If) or second.orelse is not None or _code(second.test) != f"not {allowed}":
            return f"not `if not {allowed}:` after `can_proceed()`"
        wait_name = None
        cap = None
        body = list(second.body.body)
        if not body or not (isinstance(body[-1], cst.SimpleStatementLine) and isinstance(body[-1].body[0], cst.Continue)):
            return "a circuit-breaker refusal that does not `continue`"
        body = body[:-1]
        counted_here = False
        rest = []
        for statement in body:
            s = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
            if isinstance(s, cst.AugAssign) and _code(s.target) == counter and _code(s.value) == "1":
                counted_here = True
                continue
            rest.append(statement)
        if counted and not counted_here:
            return f"a refused attempt does not count (`{counter} += 1` missing before `continue`)"
        sleeps = [(s, self.sleep_of(s)) for s in rest if self.sleep_of(s) is not None]
        if len(sleeps) != 1:
            return "the circuit-breaker refusal does not sleep exactly once"
        delay = sleeps[0][1][0]  # type: ignore[index]
        for statement in rest:
            s = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
            if isinstance(s, cst.Assign) and len(s.targets) == 1 and isinstance(s.targets[0].target, cst.Name):
                if _code(delay) == s.targets[0].target.value:
                    wait_name = s.targets[0].target.value
                    delay = s.value
                    continue
                return "the circuit-breaker refusal sets state"
            if statement is sleeps[0][0] or self.is_log(statement):
                continue
            return "the circuit-breaker refusal does more than log and wait"
        expected = f"{_code(breaker)}.get_retry_after() + 1"
        if not (isinstance(delay, cst.Call) and "builtins.min" in self.qnames(delay.func) and len(delay.args) == 2):
            return "the circuit-breaker wait is not `min(get_retry_after() + 1, cap)`"
        if _code(delay.args[0].value) != expected:
            return "the circuit-breaker wait is not `min(get_retry_after() + 1, cap)`"
        cap = delay.args[1].value
        del wait_name
        return breaker, cap, counted

    def _check_body(self, body: list[cst.BaseStatement], counter: str) -> tuple[list[cst.BaseStatement], str] | str:
        """(the tried statements, "return" | "break"), or why the tried block is not one operation."""
        if not body:
            return "empty try"
        last = body[-1]
        small = last.body[0] if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 else None
        if isinstance(small, cst.Break):
            success, tried = "break", body[:-1]
            if not tried:
                return "nothing is tried before the `break`"
        elif isinstance(small, cst.Return) and small.value is not None:
            success, tried = "return", body
        else:
            return "the tried block does not end in `return value` or `break`"
        for statement in tried:
            if counter in names_in(statement) and not self.is_log(statement):
                return f"the tried block uses `{counter}`, the attempt number"
            if _contains(statement, (cst.Break, cst.Continue), stop=(cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)):
                return "`break`/`continue` inside the tried block"
            if _contains(statement, (cst.Global, cst.Nonlocal)):
                return "`global`/`nonlocal` inside the tried block"
        for statement in tried[: -1 if success == "return" else None]:
            if _contains(statement, (cst.Return,)):
                return "the tried block returns in more than one place"
        return tried, success

    # -- the handler ------------------------------------------------------------------
    def _handler(
        self, handler: cst.ExceptHandler, counter: str, attempts: cst.BaseExpression, counted: bool,
        error_name: str | None, block: Sequence[cst.BaseStatement], index: int,
    ) -> "_Failure | str":
        n = _code(attempts)
        on_failure: list[cst.BaseStatement] = []
        log_text: str | None = None
        shift = 0
        raises = False
        sleep: tuple[cst.BaseExpression, bool] | None = None
        update: cst.BaseStatement | None = None
        error_var: str | None = None
        for statement in handler.body.body:
            small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
            if self.is_log(statement):
                log_text = log_text or _first_text(statement)
                continue
            if isinstance(small, cst.AugAssign) and _code(small.target) == counter:
                if not counted or _code(small.value) != "1" or not isinstance(small.operator, cst.AddAssign):
                    return f"`{counter}` changes in the handler other than `+= 1`"
                if sleep is not None:
                    return f"`{counter} += 1` after the wait"
                shift = 1
                continue
            if isinstance(statement, cst.If):
                branch = self._sleep_branch(statement, counter, n, shift, error_name)
                if isinstance(branch, str):
                    return branch
                kind, found_sleep, found_update = branch
                if kind == "raise-if-last":
                    raises = True
                    continue
                sleep, update = found_sleep, found_update
                raises = raises or kind == "sleep-else-raise"
                continue
            found = self.sleep_of(statement)
            if found is not None:
                if not raises:
                    return "the handler waits after the last attempt too"
                sleep = found
                continue
            if sleep is not None and update is None and self._delay_update(statement) is not None:
                update = statement
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await)):
                if counter in names_in(statement):
                    return f"the handler uses `{counter}`, the attempt number, beyond logging"
                if on_failure:
                    return "the handler makes more than one call per failure (only one moves into the helper)"
                if sleep is not None or raises:
                    # the helper runs per-failure calls right after the failure, before it decides to wait
                    return "the handler calls something after the wait or the last-attempt check"
                on_failure.append(statement)
                continue
            if isinstance(small, cst.Raise):
                return "the handler raises before waiting"
            if (
                error_name and error_var is None and isinstance(small, cst.Assign) and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name) and _code(small.value) == error_name
            ):
                error_var = small.targets[0].target.value  # the helper re-raises that very exception
                continue
            return "the handler inspects or changes state beyond logging (only calls are moved into the operation)"
        if sleep is None:
            return "no wait between attempts"
        if counted and not shift:
            return f"`{counter} += 1` missing in the handler"
        delay = self._delay(sleep[0], counter, shift, update, block, index)
        if isinstance(delay, str):
            return delay
        *parts, init = delay
        return _Failure(on_failure, tuple(parts), sleep[1], raises, log_text, init, error_var)  # type: ignore[arg-type]

    def _sleep_branch(
        self, statement: cst.If, counter: str, n: str, shift: int, error_name: str | None
    ) -> tuple[str, tuple[cst.BaseExpression, bool] | None, cst.BaseStatement | None] | str:
        test = _code(statement.test)
        # n - 1 as written, or computed when n is a literal: `attempt == 4` for range(5)
        before_last = {f"{n} - 1"} | ({str(int(n, 0) - 1)} if n.isdigit() else set())
        not_last = {
            0: {f"{counter} < {m}" for m in before_last} | {f"{counter} + 1 < {n}"} | {f"{counter} != {m}" for m in before_last},
            1: {f"{counter} < {n}", f"{counter} != {n}"},
        }[shift]
        last = {
            0: {f"{counter} {op} {m}" for m in before_last for op in ("==", ">=")} | {f"{counter} + 1 == {n}", f"{counter} + 1 >= {n}"},
            1: {f"{counter} == {n}", f"{counter} >= {n}"},
        }[shift]
        body = list(statement.body.body)
        if test in last and statement.orelse is None:
            if _reraises(body, error_name, self):
                return ("raise-if-last", None, None)
            return "on the last attempt the handler does something other than re-raise"
        if test not in not_last:
            return "the wait does not depend on `attempt < n - 1` (a fixed backoff over n attempts)"
        found = [self.sleep_of(s) for s in body]
        sleeps = [f for f in found if f is not None]
        if len(sleeps) != 1:
            return "the wait branch does not sleep exactly once"
        update = None
        slept = False
        for s, f in zip(body, found):
            slept = slept or f is not None
            if f is not None or self.is_log(s):
                continue
            if update is None and self._delay_update(s) is not None:
                if not slept:
                    return "the delay grows before the wait (the first wait would already be grown)"
                update = s
                continue
            return "the wait branch does more than log, wait and grow the delay"
        if statement.orelse is None:
            return ("sleep", sleeps[0], update)
        if isinstance(statement.orelse, cst.Else) and _reraises(list(statement.orelse.body.body), error_name, self):
            return ("sleep-else-raise", sleeps[0], update)
        return "the `else:` of the wait does something other than re-raise"

    def _delay(
        self, delay: cst.BaseExpression, counter: str, shift: int, update: cst.BaseStatement | None,
        block: Sequence[cst.BaseStatement], index: int,
    ) -> tuple[cst.BaseExpression, cst.BaseExpression | None, cst.BaseExpression | None, int | None] | str:
        cap = None
        if isinstance(delay, cst.Call) and "builtins.min" in self.qnames(delay.func) and len(delay.args) == 2:
            first, second = delay.args[0].value, delay.args[1].value
            grown_name = (self._delay_update(update) or ("",))[0] if update is not None else ""
            mine = counter in names_in(first) or isinstance(first, cst.Name) and first.value == grown_name
            delay, cap = (first, second) if mine else (second, first)
        if isinstance(delay, cst.Name) and delay.value != counter:
            if update is None:
                return f"the delay `{delay.value}` does not grow per attempt"
            grown = self._delay_update(update)
            if grown is None or grown[0] != delay.value:
                return "the delay grows in a way the helper does not"
            factor, update_cap = grown[1], grown[2]
            init = _initial(block, index, delay.value)
            if init is None:
                return f"cannot see where `{delay.value}` starts"
            position, base = init
            if update_cap is not None:
                if cap is not None:
                    return "the delay is capped twice"
                # `delay = min(delay * f, cap)` caps from the second wait on: the helper's
                # min(base * f ** attempt, cap) only when the first wait is within the cap
                first, limit = _number(base), _number(update_cap)
                if first is None or limit is None or first > limit:
                    return "the delay is capped only after the first wait, and the first wait may exceed the cap"
                cap = update_cap
            return base, factor, cap, position
        if update is not None:
            return "the delay grows twice"
        exponential = _exponential(delay, counter)
        if exponential is None:
            return "the delay is not `base * factor ** attempt` (jitter, Retry-After or fixed waits are not a fixed backoff)"
        base, factor = exponential
        if shift:
            base = cst.parse_expression(f"{_code(base)} * {_code(factor)}")
        return base, factor, cap, None

    def _delay_update(self, statement: cst.BaseStatement) -> tuple[str, cst.BaseExpression, cst.BaseExpression | None] | None:
        """`delay *= f` / `delay = delay * f` -> (name, factor, None); `delay = min(delay * f, cap)` -> (name, factor, cap)."""
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.MultiplyAssign) and isinstance(small.target, cst.Name):
            return small.target.value, small.value, None
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            name = small.targets[0].target.value
            value = small.value
            cap = None
            if (
                isinstance(value, cst.Call) and "builtins.min" in self.qnames(value.func)
                and len(value.args) == 2 and not any(a.keyword or a.star for a in value.args)
            ):
                first, second = value.args[0].value, value.args[1].value
                value, cap = (first, second) if name in names_in(first) else (second, first)
                if name in names_in(cap):
                    return None
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
                for mine, factor in ((value.left, value.right), (value.right, value.left)):
                    if isinstance(mine, cst.Name) and mine.value == name and name not in names_in(factor):
                        return name, factor, cap
        return None


def _stable(node: cst.BaseExpression) -> bool:
    """Literals, names and attribute chains, combined by arithmetic: the same value read once or at each wait."""
    if isinstance(node, (cst.Integer, cst.Float, cst.Name)):
        return True
    if isinstance(node, cst.Attribute):
        return _stable(node.value)
    if isinstance(node, cst.UnaryOperation):
        return _stable(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _stable(node.left) and _stable(node.right)
    return False


def _any(node: cst.CSTNode, test: Callable[[cst.CSTNode], bool]) -> bool:
    """Whether ``test`` holds for ``node`` or a node below it (nested functions left out)."""
    found = False

    class Find(cst.CSTVisitor):
        def on_visit(self, child: cst.CSTNode) -> bool:
            nonlocal found
            found = found or test(child)
            return not found and (child is node or not isinstance(child, (cst.FunctionDef, cst.Lambda)))

    node.visit(Find())
    return found


def _bare_raise(node: cst.CSTNode) -> bool:
    return _any(node, lambda n: isinstance(n, cst.Raise) and n.exc is None)


def _zero_arg_super(node: cst.CSTNode) -> bool:
    return _any(node, lambda n: (
        isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "super" and not n.args
        or isinstance(n, cst.Name) and n.value == "__class__"
    ))


def _first_text(statement: cst.BaseStatement) -> str | None:
    call = statement.body[0].value  # type: ignore[attr-defined]
    for arg in call.args:
        if isinstance(arg.value, cst.SimpleString):
            value = arg.value.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(arg.value, cst.FormattedString):
            return "".join(p.value for p in arg.value.parts if isinstance(p, cst.FormattedStringText))
    return None


def _reraises(body: list[cst.BaseStatement], error_name: str | None, matcher: Matcher) -> bool:
    """Logging, then `raise` / `raise error` of the caught exception."""
    if not body:
        return False
    last = body[-1]
    small = last.body[0] if isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 else None
    if not isinstance(small, cst.Raise) or small.cause is not None:
        return False
    if small.exc is not None and not (error_name and isinstance(small.exc, cst.Name) and small.exc.value == error_name):
        return False
    return all(matcher.is_log(s) for s in body[:-1])


def _number(node: cst.BaseExpression) -> float | None:
    """The value of a plain int or float literal."""
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    return None


def _initial(block: Sequence[cst.BaseStatement], index: int, name: str) -> tuple[int, cst.BaseExpression] | None:
    for back in range(index - 1, -1, -1):
        statement = block[back]
        small = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and _code(small.targets[0].target) == name:
            return back, small.value
        if name in names_in(statement):
            return None
    return None


def _exponential(delay: cst.BaseExpression, counter: str) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """`base * factor ** attempt` in either order, parenthesised or not -> (base, factor); `factor ** attempt` has base 1."""
    if (
        isinstance(delay, cst.BinaryOperation) and isinstance(delay.operator, cst.Power)
        and isinstance(delay.right, cst.Name) and delay.right.value == counter and counter not in names_in(delay.left)
    ):
        return cst.Integer("1"), delay.left.with_changes(lpar=[], rpar=[])
    if not isinstance(delay, cst.BinaryOperation) or not isinstance(delay.operator, cst.Multiply):
        return None
    for base, power in ((delay.left, delay.right), (delay.right, delay.left)):
        if (
            isinstance(power, cst.BinaryOperation) and isinstance(power.operator, cst.Power)
            and isinstance(power.right, cst.Name) and power.right.value == counter
            and counter not in names_in(base) and counter not in names_in(power.left)
        ):
            return base.with_changes(lpar=[], rpar=[]) if isinstance(base, cst.Name) else base, power.left
    return None


def _ends(statement: cst.BaseStatement) -> bool:
    small = statement.body[-1] if isinstance(statement, cst.SimpleStatementLine) else None
    return isinstance(small, (cst.Return, cst.Raise))
