"""The ``precision`` codemod: duplicated step-size rounding -> one exact helper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import libcst as cst
from libcst.metadata import ScopeProvider

from codemods.analysis.rounding_segments import Segment, SegmentFinder, names_read
from codemods.analysis.step_rounding import CLASS_NOTES, Evaluator, Rounded
from codemods.base import SOURCE_KEY, Example, Plan, Project, PythonCodemod, Unchanged
from codemods.imports import exported_names, import_spelling, orphaned_imports, swap_imports
from codemods.models import Finding, Kind
from codemods.transforms.precision_examples import EXAMPLES
from codemods.transforms.precision_helper import DEFAULT_FUNCTIONS, TRIGGERS, Resolved, helper_spec, resolve

# Short labels of the difference classes, as each rewritten function reports them.
LABELS = {
    "float": "float artefacts",
    "places": "steps other than 1, 0.1, 0.01 ...",
    "raises": "steps in exponent form",
    "toward-zero": "negative values",
}


@dataclass(frozen=True)
class PrecisionOptions:
    """``[tool.codemods.precision]``."""

    functions: tuple[str, ...] = DEFAULT_FUNCTIONS  # rewritten wherever they are
    helper: str | None = None  # "package.module:adjust_to_step_size"; created when missing
    # Also rewrite functions that are near-duplicates of each other (found by the
    # duplicate detector), whatever their names.
    duplicates: bool = True

    def __post_init__(self) -> None:
        if self.helper is not None:
            helper_spec(self.helper)


class Precision(PythonCodemod):
    """
    ## What it does
    Finds functions that round a value to an exchange step size by hand (a
    precision from `log10(step)` or from the step's text, `math.floor(q / step) * step`,
    `q - q % step`, `Decimal.quantize`, `to_integral_value`, `round(q, precision)`,
    formatting to `precision` decimals) and replaces that segment with one call of
    `adjust_to_step_size(value, step, rounding=...)`, created in the project when
    missing. The rounding mode is the one the code used (`math.floor` and `ROUND_DOWN`
    are "floor", `round` is "round", `ROUND_HALF_UP` is "half_up"...). The lookup
    of the exchange filter, logging, try/except and everything else stays; imports
    left unused (`math`, `decimal`) are removed. Targets are the functions named in
    `functions` (default `_round_quantity`, `_round_price`) and near-duplicate
    functions found across the checkout.

    ## Why
    The same arithmetic copied into every method drifts, and the copies are
    subtly wrong: float division lands just below an integer (`math.floor(0.3 / 0.1)`
    is 2), `log10` precision is wrong for a step of 0.5, `str(1e-05)` breaks
    text-based precision. The helper computes the exact answer in decimal.

    ## Safety
    Only segments whose result is provably "value rounded to the step" are
    rewritten; the helper differs from the original only in documented classes
    (float artefacts, steps that are not powers of ten, exponent-form steps where
    the original raised, negative values where the original truncated toward
    zero), and each rewrite says which apply, in the summary, `--json` and the PR
    body. A clamp is folded into the helper only when it clamps the way the helper
    does (`max(lo, min(x, hi))`); an `if/elif` clamp, or one that logs, stays as
    written. A value kept as a Decimal or as text, a precision used later, or any
    other shape is left alone and reported with its reason.
    """

    NAME = "precision"
    SUMMARY = "hand-written step-size rounding -> adjust_to_step_size(value, step, rounding=...)"
    TRIGGERS = TRIGGERS
    OPTIONS = PrecisionOptions
    EXAMPLES = EXAMPLES

    def __init__(self, context: Any, options: Any = None, file: Any = None) -> None:
        super().__init__(context, options, file)
        if isinstance(self.options, PrecisionOptions):  # run without the planning step
            self.options = Resolved(module=None, functions=frozenset(self.options.functions), reason="no helper planned")
        self._stack: list[tuple[str, bool]] = []  # (name, is a function)
        self._changes_before: list[int] = []
        self._replaced: list[cst.CSTNode] = []
        self._kept_names: set[str] = set()  # names the helper calls read (never orphaned)
        self._local_name: str | None = None
        self.usable = True

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        return cls.handles(path) and "def " in text and any(t in text for t in cls.TRIGGERS)

    def visit_Module(self, node: cst.Module) -> None:
        helper: Resolved = self.options
        self.usable = helper.module is not None and (
            not helper.within or self.file.path.startswith(helper.within + "/")
        )
        if helper.path == self.file.path or (helper.module and helper.module == self.file.module):
            self.usable = False  # the helper's own module

    # -- where we are ------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._stack.append((node.name.value, False))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._stack.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._stack.append((node.name.value, True))
        self._changes_before.append(self.changes)

    def _qualified(self) -> str:
        parts: list[str] = []
        for index, (name, _) in enumerate(self._stack):
            if index and self._stack[index - 1][1]:
                parts.append("<locals>")
            parts.append(name)
        return ".".join(parts)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        qualified = self._qualified()
        self._stack.pop()
        nested_changed = self.changes != self._changes_before.pop()
        # Segments are found in the original tree, whose nodes scope analysis knows
        # (to drop the imports they leave unused); a nested function already
        # rewritten makes the updated tree the one to edit.
        source = updated if nested_changed else original
        helper: Resolved = self.options
        name = original.name.value
        named = name in helper.functions
        if not named and (self.file.path, qualified) not in helper.duplicates:
            return updated
        if not isinstance(source.body, cst.IndentedBlock):
            return updated
        if helper.name in names_read(source.body) or (self._local_name and self._local_name in names_read(source.body)):
            return updated  # already calls the helper: a second run changes nothing
        finder = SegmentFinder(Evaluator(self.qualified_names))
        rewriter = _BlockRewriter(finder)
        source.body.visit(rewriter)
        if not rewriter.segments:
            if named or finder.misses:
                reason = finder.misses[0].reason if finder.misses else "no step rounding of a recognised shape"
                self.report(original, f"{name} not rewritten: {reason}")
            return updated
        if not self.usable:
            self.report(original, f"{name} not rewritten: {self._unusable_reason()}")
            return updated
        if self.opted_out(original):
            self.report(original, f"{name} left alone: `# codemods: skip`")
            return updated
        call_name = self.local_name
        calls: list[cst.BaseExpression] = []
        for applied in rewriter.applied:
            calls.append(applied.call(call_name, self._quote))
        new_body = source.body.visit(_Apply(rewriter.applied, calls))
        problem = _still_used(new_body, rewriter.applied, calls)
        if problem:
            self.report(original, f"{name} not rewritten: {problem}")
            return updated
        for applied in rewriter.applied:
            self._replaced.extend(applied.removed)
        for call in calls:
            self._kept_names |= names_read(call)
        self.changes += len(rewriter.applied)
        classes = sorted({c for a in rewriter.applied for c in a.segment.rounded.classes})
        if classes:
            labels = ", ".join(LABELS[c] for c in classes)
            self.report(original, f"{name}: behaviour change ({labels})", Kind.BEHAVIOUR)
        return updated.with_changes(body=new_body)

    def _unusable_reason(self) -> str:
        helper: Resolved = self.options
        if helper.module is None:
            return helper.reason or "no helper (see the warning)"
        if helper.path == self.file.path or helper.module == self.file.module:
            return "this is the helper's own module"
        return f"the helper {helper.module} is importable only under {helper.within}/: set [tool.codemods.precision] helper"

    @property
    def _quote(self) -> str:
        source = self.context.scratch.get(SOURCE_KEY)
        if isinstance(source, str) and len(re.findall(r"'[^'\n]*'", source)) > 2 * len(re.findall(r'"[^"\n]*"', source)):
            return "'"
        return '"'

    @property
    def local_name(self) -> str:
        if self._local_name is None:
            helper: Resolved = self.options
            self._local_name = self.free_name(f"{helper.module}.{helper.name}", helper.name)
        return self._local_name

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changes:
            return updated
        helper: Resolved = self.options
        module = import_spelling(original, helper.module, self.file.module, self.file.path) or ""
        asname = None if self.local_name == helper.name else self.local_name
        orphans = [
            (node, bound)
            for node, bound in orphaned_imports(self._replaced, self.lazy_metadata(ScopeProvider), exported_names(original))
            if bound not in self._kept_names
        ]
        updated, _ = swap_imports(original, updated, orphans, module, helper.name, asname)
        return updated

    # -- project-wide ----------------------------------------------------------------
    @classmethod
    def plan(cls, project: Project, options: PrecisionOptions) -> Plan:
        functions = frozenset(options.functions)
        resolved, creates, problem = resolve(project, options.helper, functions, options.duplicates)
        if problem:
            warning = Finding(cls.NAME, "", 0, problem, Kind.WARNING)
            return Plan(options=Resolved(module=None, functions=functions, duplicates=resolved.duplicates, reason=problem), findings=(warning,))
        return Plan(options=resolved, creates=creates)

    @classmethod
    def behaviour_notes(cls, findings: Sequence[Finding]) -> tuple[str, ...]:
        seen = [label for f in findings if f.kind is Kind.BEHAVIOUR for label in LABELS.values() if label in f.message]
        return tuple(CLASS_NOTES[key] for key, label in LABELS.items() if label in seen)


@dataclass
class _Applied:
    """A segment found in a block, with what it removes."""

    segment: Segment
    block: tuple[cst.BaseStatement, ...]

    @property
    def removed(self) -> list[cst.CSTNode]:
        segment = self.segment
        nodes: list[cst.CSTNode] = [
            self.block[i] for i in range(segment.start, segment.end + 1) if i not in segment.neutral
        ]
        if segment.use is not None:
            nodes[-1] = segment.use
        return nodes

    def call(self, name: str, quote: str) -> cst.BaseExpression:
        rounded: Rounded = self.segment.rounded
        parts = [_code(rounded.value.node), _code(rounded.step.node)]
        if rounded.lower is not None:
            parts.append(f"min_value={_code(rounded.lower.node)}")
        if rounded.upper is not None:
            parts.append(f"max_value={_code(rounded.upper.node)}")
        parts.append(f"rounding={quote}{rounded.mode}{quote}")
        return cst.parse_expression(f"{name}({', '.join(parts)})")


class _BlockRewriter(cst.CSTVisitor):
    """Collects the segments of every block of one function (nested functions excluded)."""

    def __init__(self, finder: SegmentFinder) -> None:
        self.finder = finder
        self.applied: list[_Applied] = []

    @property
    def segments(self) -> list[_Applied]:
        return self.applied

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        block = tuple(node.body)
        for segment in self.finder.find(block):
            self.applied.append(_Applied(segment, block))


class _Apply(cst.CSTTransformer):
    """Replaces each segment by the helper call (blocks are matched by identity)."""

    def __init__(self, applied: list[_Applied], calls: list[cst.BaseExpression]) -> None:
        self.by_block: dict[int, list[tuple[_Applied, cst.BaseExpression]]] = {}
        for item, call in zip(applied, calls):
            self.by_block.setdefault(id(item.block[0]), []).append((item, call))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if not original.body or id(original.body[0]) not in self.by_block:
            return updated
        body = list(updated.body)
        for item, call in sorted(self.by_block[id(original.body[0])], key=lambda p: -p[0].segment.start):
            segment = item.segment
            first = body[segment.start]
            if segment.use is not None:
                last = original.body[segment.end].deep_replace(segment.use, call)
            else:
                last = _assignment(original.body, segment, call)
            emitted = [*(body[i] for i in segment.neutral), last]
            emitted[0] = emitted[0].with_changes(leading_lines=first.leading_lines)  # type: ignore[union-attr]
            body[segment.start : segment.end + 1] = emitted  # type: ignore[assignment]
        return updated.with_changes(body=body)


def _assignment(block: Sequence[cst.BaseStatement], segment: Segment, call: cst.BaseExpression) -> cst.BaseStatement:
    """The segment's last plain assignment of its target, now assigning the call."""
    for index in range(segment.end, segment.start - 1, -1):
        statement = block[index]
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and segment.target in names_read(
                small.targets[0].target if isinstance(small, cst.Assign) else small.target
            ):
                return statement.with_changes(body=[small.with_changes(value=call)])
    raise AssertionError("a segment always assigns its target")  # pragma: no cover


def _still_used(body: cst.CSTNode, applied: list[_Applied], calls: list[cst.BaseExpression]) -> str:
    """Why the rewrite is unsafe: a name the removed statements assigned is still read."""
    skip = {id(call) for call in calls}
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if id(node) in skip:
                return False
            if isinstance(node, cst.Attribute):
                node.value.visit(self)
                return False
            if isinstance(node, cst.Arg):
                node.value.visit(self)
                return False
            if isinstance(node, cst.Name):
                found.add(node.value)
            return True

    body.visit(Collect())
    for item in applied:
        gone = item.segment.bound - ({item.segment.target} if item.segment.target else set())
        used = sorted(gone & found)
        if used:
            return f"`{used[0]}` is still used after the rounding"
    return ""


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
