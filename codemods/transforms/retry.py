"""The ``retry`` codemod: hand-written retry loops -> ``retry_with_backoff``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import ScopeProvider

from codemods.analysis.retry_loops import Matcher, Refusal, RetryLoop, names_in
from codemods.base import Plan, Project, PythonCodemod
from codemods.helper_modules import Helper, HelperSpec, helper_for, plan_helpers
from codemods.imports import exported_names, import_spelling, insert_import, orphaned_imports, swap_imports
from codemods.models import Finding, Kind
from codemods.transforms.retry_examples import EXAMPLES
from codemods.transforms.retry_rewrite import Names, direct_call, helper_call, nested_operation

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
    same waits in the same order, same result or exception. Log text changes
    (the helper logs with the operation's name). Left alone and reported: a
    `break` on success, `yield`, several `except` branches, a bare `except:`,
    a handler that changes state other than by calls, waits that are not
    `base * factor ** attempt` (jitter, Retry-After), the attempt number used by
    the tried block beyond logging, a counter read after the loop, and unbounded
    `while True` loops.
    """

    NAME = "retry"
    SUMMARY = "hand-written retry loops -> retry_with_backoff(...)"
    DEFAULT = False  # until the equivalence harness covers every shape
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

    def visit_Module(self, node: cst.Module) -> None:
        resolved: Resolved = self.options
        self.helper = resolved.helper_for(self.file.path)
        # The helper's own module is the one place a retry loop belongs.
        self.own_module = any(h.path == self.file.path or h.module == self.file.module for h in resolved.helpers)

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
            if replacement is None:
                continue
            start = min([index, *match.removed_before])
            end = len(body) - 1 if match.falls_through else index
            kept = [new_body[i] for i in range(start, index) if i not in match.removed_before]
            first = replacement[0]
            replacement[0] = first.with_changes(leading_lines=body[start].leading_lines)
            new_body[start : end + 1] = [*kept, *replacement]
            self._replaced.extend([body[i] for i in match.removed_before] + body[index : end + 1])
            self.changes += 1
            changed = True
        return updated.with_changes(body=new_body) if changed else updated

    def _replacement(self, loop: RetryLoop, function: cst.FunctionDef, body: list[cst.BaseStatement]) -> list[cst.BaseStatement] | None:
        assert self.helper is not None
        after = body[loop.index + 1 :]
        assigned = set().union(*(names_in(t.target) for s in loop.body for t in _assignments(s))) if loop.body else set()
        if loop.falls_through and assigned & set().union(*(names_in(s) for s in after)):
            self.report(loop.loop, "retry loop not rewritten: the code after the loop reads what the tried block assigned")
            return None
        base = self.helper.name
        helper_name = f"{base}_sync" if loop.sync else base
        names = Names(helper=helper_name, exhausted="RetryExhausted", attempt=self._free(function, "_attempt"))
        self._needs.add(helper_name)
        statements: list[cst.BaseStatement] = []
        direct = direct_call(loop)
        if direct is not None:
            operation, args = direct
        else:
            statements.append(nested_operation(loop, names, not loop.sync))
            operation, args = cst.Name(names.attempt), []
        step = self.context.wrapper.module.default_indent if self.context.wrapper else "    "  # type: ignore[union-attr]
        call = helper_call(
            loop, names, function.name.value, self.quote, operation, args,
            step * (self._depth + (1 if loop.falls_through else 0)), step,
        )
        self._kept_names |= names_in(call)
        returned = cst.SimpleStatementLine([cst.Return(value=call)])
        gap = [cst.EmptyLine(indent=False)] if statements else []  # a blank line after the nested def
        if not loop.falls_through:
            statements.append(returned.with_changes(leading_lines=gap))
            return statements
        self._needs.add(names.exhausted)
        errors = loop.errors if loop.errors is not None else None
        caught: cst.BaseExpression = (
            cst.Name("Exception") if errors is None
            else cst.Tuple([cst.Element(errors), cst.Element(cst.Name(names.exhausted))])
        )
        statements.append(
            cst.Try(
                leading_lines=gap,
                body=cst.IndentedBlock(body=[returned]),
                handlers=[cst.ExceptHandler(body=cst.IndentedBlock(body=_without_leading_blank(body[loop.index + 1 :])), type=caught)],
            )
        )
        return statements

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
        orphans = [
            (node, bound)
            for node, bound in orphaned_imports(self._replaced, self.lazy_metadata(ScopeProvider), exported_names(original))
            if bound not in self._kept_names
        ]
        needs = sorted(self._needs, key=lambda n: (n[:1].isupper(), n))  # the function first
        updated, _ = swap_imports(original, updated, orphans, module, needs[0], None)
        for name in needs[1:]:
            updated = insert_import(updated, module, name)
        return updated

    @classmethod
    def plan(cls, project: Project, options: RetryOptions) -> Plan:
        found = project.grep("sleep")
        paths = [f.path for f in found if re.search(r"\b(?:for|while)\b", f.text) and "except" in f.text]
        helpers, creates, scopes, problem = plan_helpers(project, SPEC, options.helper, paths)
        if problem:
            return Plan(options=Resolved(reason=problem), findings=(Finding(cls.NAME, "", 0, problem, Kind.WARNING),))
        return Plan(options=Resolved(helpers=helpers), creates=creates, scopes=scopes)


def _without_leading_blank(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The statements, the first without the blank lines that separated it from the loop."""
    if not statements:
        return statements
    first = statements[0]
    lines = list(first.leading_lines)
    while lines and lines[0].comment is None:
        lines.pop(0)
    return [first.with_changes(leading_lines=lines), *statements[1:]]


def _assignments(statement: cst.BaseStatement) -> list[Any]:
    found: list[Any] = []

    class Collect(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    statement.visit(Collect())
    return found
