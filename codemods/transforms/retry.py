"""The ``retry`` codemod: hand-written retry loops -> ``retry_with_backoff``."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Sequence

import libcst as cst
from libcst.metadata import ScopeProvider

from codemods.analysis.syntax import try_parse
from codemods.analysis.retry_loops import Matcher, Refusal, RetryLoop, declared_global, names_bound, names_in
from codemods.base import Plan, Project, PythonCodemod
from codemods.helper_modules import Helper, HelperSpec, helper_for, plan_helpers
from codemods.imports import exported_names, import_spelling, insert_import, orphaned_imports, swap_imports
from codemods.models import Finding, Kind
from codemods.transforms.retry_examples import EXAMPLES
from codemods.transforms.retry_rewrite import Names, direct_call, helper_call, nested_operation, operation_body

SPEC = HelperSpec(stem="retry_helper", name="retry_with_backoff", template="retry_helper.py", option="retry")


@dataclass(frozen=True)
class RetryOptions:
    """``[tool.codemods.retry]``."""

    helper: str | None = None  # "package.module:retry_with_backoff"; created when missing

    def __post_init__(self) -> None:
        if self.helper is not None:
            SPEC.parse(self.helper)


@dataclass(frozen=True)
class Resolved:
    helpers: tuple[Helper, ...] = ()
    reason: str = ""

    def helper_for(self, path: str) -> Helper | None:
        return helper_for(self.helpers, path)


class Retry(PythonCodemod):
    """
    ## What it does
    Replaces hand-written retry loops (a loop bounded by an attempt count whose
    body tries an operation, catches exceptions and sleeps with an exponentially
    growing delay, optionally behind a circuit-breaker check) with one call of
    `retry_with_backoff` (`retry_with_backoff_sync` for `time.sleep` code),
    created in the project when missing. The attempts, base delay, factor, cap,
    caught types and circuit breaker become arguments; the tried block becomes
    the operation (the call itself when it is one plain call, else a nested
    `_attempt()`); what the loop did once every attempt failed is kept by
    catching the helper's final exception at the call site.

    ## Why
    Each copy of a retry loop gets the backoff, the last-attempt check or the
    circuit breaker subtly different; one helper gets them right once.

    ## Safety
    Only loops whose every path the helper reproduces are rewritten: same calls,
    same waits in the same order, same result or exception, the same variables
    set afterwards (a `break` on success hands the last assignment out as the
    helper's result; other variables the attempt sets stay the function's own
    through `nonlocal`). Log text changes (the helper logs with the operation's
    name), and a user's patch of `time.sleep` now also reaches code that had
    done `from time import sleep`. An attempt count below 1 raises
    RetryExhausted where the loop did nothing. Left alone and reported: `yield`,
    several `except` branches, a bare `except:`, a handler that changes state
    other than by calls (or by keeping the last error), waits that are not
    `base * factor ** attempt` (jitter, Retry-After), the attempt number used by
    the tried block beyond logging, a counter or loop variable read after the
    loop, loops that retry on a returned value rather than an exception, and
    unbounded `while True` loops. An existing `retry_with_backoff` that is not
    the one codemods writes is never called.
    """

    NAME = "retry"
    SUMMARY = "hand-written retry loops -> retry_with_backoff(...)"
    COMMIT_SUBJECT = "refactor: use retry_with_backoff() for hand-written retry loops"
    DEFAULT = True
    TRIGGERS = ("sleep",)
    OPTIONS = RetryOptions
    EXAMPLES = EXAMPLES

    def __init__(self, context: Any, options: Any = None, file: Any = None) -> None:
        super().__init__(context, options, file)
        if isinstance(self.options, RetryOptions):
            self.options = Resolved(reason="no helper planned")
        self.helper: Helper | None = None
        self.own_module = False
        self._functions: list[cst.FunctionDef] = []
        self._replaced: list[cst.CSTNode] = []
        self._needs: set[str] = set()  # names to import: helper, sync twin, RetryExhausted
        self._kept_names: set[str] = set()
        self._depth = 0  # indented blocks around the current one
        self._module_names: set[str] = set()

    def visit_Module(self, node: cst.Module) -> None:
        resolved: Resolved = self.options
        self.helper = resolved.helper_for(self.file.path)
        # The helper's own module is the one place a retry loop belongs.
        self.own_module = any(h.path == self.file.path or h.module == self.file.module for h in resolved.helpers)
        # names the module binds itself: an import of the helper's names must not be shadowed by them
        ours = {
            a.evaluated_alias or a.evaluated_name
            for s in node.body for small in _small(s) if isinstance(small, cst.ImportFrom)
            and self.helper is not None and small.module is not None and _code(small.module) == self.helper.module
            and not isinstance(small.names, cst.ImportStar) for a in small.names
        }
        self._module_names = names_bound(list(node.body)) - ours

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self._functions.pop()
        return updated

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._depth += 1

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        result = self._rewrite_block(original, updated)
        self._depth -= 1
        return result

    def _rewrite_block(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not self._functions or self.own_module:
            return updated
        function = self._functions[-1]
        matcher = Matcher(self.qualified_names)
        body = list(original.body)
        new_body = list(updated.body)
        changed = False
        for index in range(len(body) - 1, -1, -1):
            match = matcher.match(body, index)
            if match is None:
                continue
            if isinstance(match, Refusal):
                self.report(match.node, f"retry loop not rewritten: {match.reason}")
                continue
            if self.helper is None:
                resolved: Resolved = self.options
                self.report(match.loop, f"retry loop not rewritten: {resolved.reason or 'no helper'}")
                continue
            if not match.sync and function.asynchronous is None:
                self.report(match.loop, "retry loop not rewritten: `await` outside an async function")
                continue
            if self.opted_out(match.loop):
                self.report(match.loop, "retry loop left alone: `# codemods: skip`")
                continue
            replacement = self._replacement(match, function, body)
            if isinstance(replacement, str):
                self.report(match.loop, f"retry loop not rewritten: {replacement}")
                continue
            start = min([index, *match.removed_before])
            # after `return`, what exhaustion runs moves into the call's except; after `break` it stays
            end = len(body) - 1 if match.falls_through and match.success == "return" else index
            kept_at = [i for i in range(start, index) if i not in match.removed_before]
            kept = [new_body[i] for i in kept_at]
            # the loop's comments go with its replacement; those of removed set-up lines with what comes first
            replacement[0] = replacement[0].with_changes(leading_lines=body[index].leading_lines)
            out = [*kept, *replacement]
            if start not in kept_at and start != index:
                out[0] = out[0].with_changes(leading_lines=[*body[start].leading_lines, *out[0].leading_lines])
            nested = len(kept)
            if isinstance(out[nested], cst.FunctionDef) and (start > 0 or kept):
                # one blank line before a nested def that follows other statements, as black writes it
                lines = list(out[nested].leading_lines)
                if not any(line.comment is None for line in lines[:1]):
                    out[nested] = out[nested].with_changes(leading_lines=[cst.EmptyLine(indent=False), *lines])
            new_body[start : end + 1] = out
            self._replaced.extend([body[i] for i in match.removed_before] + body[index : end + 1])
            self.changes += 1
            changed = True
        return updated.with_changes(body=new_body) if changed else updated

    def _replacement(self, loop: RetryLoop, function: cst.FunctionDef, body: list[cst.BaseStatement]) -> list[cst.BaseStatement] | str:
        """The statements that take the loop's place, or why there are none."""
        assert self.helper is not None
        after = body[loop.index + 1 :]
        runs_after = loop.success == "break" or loop.falls_through  # else the code after the loop is dead
        read_after = set().union(*(names_in(s) for s in after)) if after and runs_after else set()
        targets, attempt_body = operation_body(loop)
        if not attempt_body:
            return "nothing but logging is tried"
        bound = names_bound(attempt_body)
        outer = _locals(function, loop.loop)
        unbound = sorted((bound & read_after) - outer)
        if unbound:
            return f"`{unbound[0]}` is set by the tried block and read after the loop, with no value before it"
        shared = sorted(bound & outer)
        # Assigned in the attempt, which becomes a nested function without the declaration:
        # the name would turn local to it (UnboundLocalError on every attempt).
        declared = sorted(bound & declared_global(function))
        if declared:
            return f"`{declared[0]}` is declared `global`/`nonlocal` in the function"
        if any(isinstance(t, cst.AnnAssign) and names_in(t.target) & set(shared) for s in attempt_body for t in _small(s)):
            return "an annotated assignment to a variable the function shares with the attempt"
        base = self.helper.name
        helper_name = f"{base}_sync" if loop.sync else base
        names = Names(helper=helper_name, exhausted="RetryExhausted", attempt=self._free(function, "_attempt"))
        self._needs.add(helper_name)
        statements: list[cst.BaseStatement] = []
        direct = direct_call(loop, attempt_body) if not shared else None
        if direct is not None:
            operation, args = direct
        else:
            statements.append(nested_operation(loop, attempt_body, names, not loop.sync, shared))
            operation, args = cst.Name(names.attempt), []
        # What the call site catches: the final failure when exhaustion falls through,
        # RetryExhausted when a circuit breaker can refuse the last attempt.
        caught: list[cst.BaseExpression] = []
        if not loop.raises:
            if loop.errors is None:
                caught.append(cst.Name("Exception"))
            elif isinstance(loop.errors, cst.Tuple):
                caught.extend(e.value for e in loop.errors.elements)
            else:
                caught.append(loop.errors)
        if loop.breaker is not None or not loop.raises:
            if not (caught and _code(caught[0]) == "Exception"):
                caught.append(cst.Name(names.exhausted))
                self._needs.add(names.exhausted)
        clash = sorted({helper_name, *(names.exhausted for c in caught if _code(c) == names.exhausted)} & self._module_names)
        if clash:
            return f"the module defines its own `{clash[0]}`"
        step = self.context.wrapper.module.default_indent if self.context.wrapper else "    "  # type: ignore[union-attr]
        lead = "".join(_code(t.target) + " = " for t in targets or [])
        call = helper_call(
            loop, names, function.name.value, self.quote, operation, args,
            step * (self._depth + (1 if caught else 0)), step, lead,
        )
        self._kept_names |= names_in(call)
        if loop.success == "return":
            done: cst.BaseSmallStatement = cst.Return(value=call)
        elif targets:
            done = cst.Assign(targets=targets, value=call)
        else:
            done = cst.Expr(value=call)
        if loop.raises and loop.breaker is None and not _positive(loop.attempts):
            self.report(
                loop.loop,
                f"behaviour change: with `{_code(loop.attempts)}` below 1 the loop made no attempt and went on; "
                f"the helper raises RetryExhausted",
                Kind.BEHAVIOUR,
            )
        line = cst.SimpleStatementLine([done])
        gap = [cst.EmptyLine(indent=False)] if statements else []  # a blank line after the nested def
        if not caught:
            statements.append(line.with_changes(leading_lines=gap))
            return statements
        if loop.success == "return":
            handler_body = _without_leading_blank(after)
        else:
            handler_body = [cst.SimpleStatementLine([cst.Pass()])]
        as_name = loop.error_var if loop.error_var in read_after and loop.success == "return" else None
        if as_name is not None:
            self._drop_error_init(loop, function, body, as_name)
        statements.append(
            cst.Try(
                leading_lines=gap,
                body=cst.IndentedBlock(body=[line]),
                handlers=[
                    cst.ExceptHandler(
                        body=cst.IndentedBlock(body=handler_body),
                        type=caught[0] if len(caught) == 1 else cst.Tuple([cst.Element(c) for c in caught]),
                        name=cst.AsName(name=cst.Name(as_name)) if as_name else None,
                    )
                ],
            )
        )
        return statements

    def _drop_error_init(self, loop: RetryLoop, function: cst.FunctionDef, body: list[cst.BaseStatement], name: str) -> None:
        """Drop `last_error = None` before the loop once the call site's `except ... as last_error` binds it,
        when nothing else in the function mentions it."""
        for back in range(loop.index - 1, -1, -1):
            small = _small(body[back])
            if len(small) == 1 and isinstance(small[0], cst.Assign) and _code(small[0]) == f"{name} = None":
                ours = [body[back], *body[loop.index :]]
                if _mentions(function, name) == sum(_mentions(s, name) for s in ours):
                    loop.removed_before.append(back)
                return
            if name in names_in(body[back]):
                return

    def _free(self, function: cst.FunctionDef, name: str) -> str:
        taken = names_in(function)
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name}_{number}", number + 1
        return candidate

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changes or self.helper is None:
            return updated
        module = import_spelling(original, self.helper.module, self.file.module, self.file.path) or ""
        # The tried block moves into `_attempt` rather than going away: an import it
        # still reads is not orphaned, whatever the replaced loop held.
        still_read = _names_read(updated.code)
        orphans = [
            (node, bound)
            for node, bound in orphaned_imports(self._replaced, self.lazy_metadata(ScopeProvider), exported_names(original))
            if bound not in self._kept_names and still_read is not None and bound not in still_read
        ]
        needs = sorted(self._needs, key=lambda n: (n[:1].isupper(), n))  # the function first
        updated, _ = swap_imports(original, updated, orphans, module, needs[0], None)
        for name in needs[1:]:
            updated = insert_import(updated, module, name)
        return updated

    @classmethod
    def behaviour_notes(cls, findings: Sequence[Finding]) -> tuple[str, ...]:
        if any(f.kind is Kind.BEHAVIOUR for f in findings):
            return ("an attempt count below 1 made the loop do nothing; the helper raises RetryExhausted instead",)
        return ()

    @classmethod
    def plan(cls, project: Project, options: RetryOptions) -> Plan:
        found = project.grep("sleep")
        paths = [f.path for f in found if re.search(r"\b(?:for|while)\b", f.text) and "except" in f.text]
        helpers, creates, scopes, problem = plan_helpers(project, SPEC, options.helper, paths)
        created = {path for path, _ in creates}
        for helper in helpers if not problem else ():
            text = project.read(helper.path) if helper.path and helper.path not in created else None
            missing = [part for part in _interface(helper.name) if text is not None and not re.search(rf"\b{part}\b", text)]
            if missing:
                problem = (
                    f"{helper.path} defines {helper.name}() but not {', '.join(missing)}, which the rewritten calls use: "
                    f"point [tool.codemods.retry] helper at a module codemods may create"
                )
        if problem:
            return Plan(options=Resolved(reason=problem), findings=(Finding(cls.NAME, "", 0, problem, Kind.WARNING),))
        return Plan(options=Resolved(helpers=helpers), creates=creates, scopes=scopes)


def _interface(name: str) -> tuple[str, ...]:
    """Text an existing helper module must contain to be the one the rewrites call
    (a project's own `retry_with_backoff` decorator is a different thing)."""
    return (f"{name}_sync", "RetryExhausted", "breaker_max_delay", "on_failure")


def _without_leading_blank(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements, the first without the blank lines that separated it from the loop."""
    if not statements:
        return statements
    first = statements[0]
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return [first.with_changes(leading_lines=lines), *statements[1:]]


def _locals(function: cst.FunctionDef, loop: cst.CSTNode) -> set[str]:
    """The function's parameters and the names it binds outside ``loop``."""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return {p.name.value for p in every} | names_bound(list(function.body.body), skip=loop)


def _positive(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and int(node.evaluated_value) >= 1


def _mentions(node: cst.CSTNode, name: str) -> int:
    """How often ``name`` appears as a plain name (not an attribute) in ``node``."""
    count = 0

    class Count(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal count
            count += node.value == name

    node.visit(Count())
    return count


def _small(statement: cst.BaseStatement) -> list[cst.BaseSmallStatement]:
    return list(statement.body) if isinstance(statement, cst.SimpleStatementLine) else []


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


def _names_read(code: str) -> set[str] | None:
    """Every name the module reads (`ast` Load context); None when it does not parse."""
    tree = try_parse(code)
    if tree is None:
        return None
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
