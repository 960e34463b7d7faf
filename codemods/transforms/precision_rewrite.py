"""Rewriting one function: its step-rounding segments become helper calls.

``plan_function`` finds the segments and decides which are safe to replace;
``apply`` builds the new body. Kept apart from the codemod class so each step
can be read (and tested) on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from codemods.analysis.rounding_segments import Segment, SegmentFinder, names_read
from codemods.analysis.step_rounding import Evaluator, Input, Rounded

UNTYPED = (
    "cannot tell that the value or the step is a float: an int or a Decimal would come back "
    "from the helper as a float (annotate the parameter `: float` or convert it with float())"
)


@dataclass
class Found:
    """A segment of one block of the function, safe to replace."""

    segment: Segment
    block: tuple[cst.BaseStatement, ...]

    @property
    def removed(self) -> list[cst.CSTNode]:
        """The original nodes that go: the segment's statements (or, in the last
        statement that uses the value, just that expression)."""
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


@dataclass
class FunctionPlan:
    """What can be rewritten in one function, and why the rest cannot."""

    body: cst.IndentedBlock  # the function's body (a one-line body wrapped as a block)
    one_line: bool
    found: list[Found] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why recognised roundings were left


CONTEXT = (
    "this module changes the decimal context (getcontext, setcontext or localcontext), "
    "so the original's Decimal results depend on it; the helper's do not"
)


def plan_function(function: cst.FunctionDef, evaluator: Evaluator, context_changed: bool = False) -> FunctionPlan:
    one_line = isinstance(function.body, cst.SimpleStatementSuite)
    if one_line:
        body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=function.body.body)])  # type: ignore[union-attr]
    else:
        body = function.body  # type: ignore[assignment]
    plan = FunctionPlan(body=body, one_line=one_line)
    finder = SegmentFinder(evaluator)
    collector = _Segments(finder)
    body.visit(collector)
    plan.reasons.extend(miss.reason for miss in finder.misses)
    floats = float_names(function)
    candidates = []
    for found in collector.found:
        if context_changed and found.segment.rounded.via_decimal:
            plan.reasons.append(CONTEXT)
        elif _typed(found.segment.rounded, floats):
            candidates.append(found)
        else:
            plan.reasons.append(UNTYPED)
    reads = _Reads(body, candidates)
    for found in candidates:
        used = reads.used_after(found)
        if used:
            plan.reasons.append(f"`{used}` is still used after the rounding")
        else:
            plan.found.append(found)
    return plan


def apply(plan: FunctionPlan, calls: Sequence[cst.BaseExpression]) -> cst.BaseSuite:
    """The function's new body with each planned segment replaced by its call."""
    body = plan.body.visit(_Apply(plan.found, calls))
    if plan.one_line:
        line = body.body[0]  # type: ignore[attr-defined]
        return cst.SimpleStatementSuite(body=line.body)
    return body  # type: ignore[return-value]


def float_names(function: cst.FunctionDef) -> set[str]:
    """Names that hold a float: parameters annotated `float`, names assigned `float(...)`."""
    found: set[str] = set()
    for param in (*function.params.params, *function.params.kwonly_params, *function.params.posonly_params):
        if param.annotation is not None and _code(param.annotation.annotation).strip() == "float":
            found.add(param.name.value)

    class Collect(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if _is_float_call(node.value):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        found.add(target.target.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name) and (
                _code(node.annotation.annotation).strip() == "float" or (node.value and _is_float_call(node.value))
            ):
                found.add(node.target.value)

    function.body.visit(Collect())
    return found


def _is_float_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "float"


def _typed(rounded: Rounded, floats: set[str]) -> bool:
    """Whether the original result is a float for sure, so the helper's float is no change of type."""
    if rounded.typed:
        return True
    return any(_is_float_input(value, floats) for value in (rounded.value, rounded.step))


def _is_float_input(value: Input, floats: set[str]) -> bool:
    node = value.node
    return (
        isinstance(node, cst.Float)
        or (isinstance(node, cst.Name) and node.value in floats)
        or _is_float_call(node)
    )


class _Segments(cst.CSTVisitor):
    """The segments of every block of one function (nested functions excluded)."""

    def __init__(self, finder: SegmentFinder) -> None:
        self.finder = finder
        self.found: list[Found] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        block = tuple(node.body)
        for segment in self.finder.find(block):
            self.found.append(Found(segment, block))


class _Reads(cst.CSTVisitor):
    """Where names are read in a body, in execution order, and inside which loops.

    A name a segment removes may still be read before the segment (a guard
    on the parameter it rebinds), but not after it, nor anywhere in a loop
    around it (the next iteration reads it after).
    """

    def __init__(self, body: cst.CSTNode, found: Sequence[Found]) -> None:
        self.starts: dict[int, int] = {}
        self.removed: set[int] = {id(node) for item in found for node in item.removed}
        self.reads: list[tuple[str, int, tuple[int, ...]]] = []  # (name, order, enclosing loops)
        self.segment_loops: dict[int, tuple[int, ...]] = {}
        self._order = 0
        self._loops: list[int] = []
        body.visit(self)

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._order += 1
        if id(node) in self.removed:
            self.starts[id(node)] = self._order
            self.segment_loops[id(node)] = tuple(self._loops)
            return False
        if isinstance(node, (cst.For, cst.While)):
            self._loops.append(id(node))
        if isinstance(node, cst.Attribute):
            node.value.visit(self)
            return False
        if isinstance(node, cst.Arg):
            node.value.visit(self)
            return False
        if isinstance(node, cst.Name):
            self.reads.append((node.value, self._order, tuple(self._loops)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, (cst.For, cst.While)) and self._loops and self._loops[-1] == id(original_node):
            self._loops.pop()

    def used_after(self, found: Found) -> str:
        segment = found.segment
        gone = segment.bound - ({segment.target} if segment.target else set())
        first = found.removed[0]
        start = self.starts.get(id(first), 0)
        loops = set(self.segment_loops.get(id(first), ()))
        for name, order, enclosing in self.reads:
            if name in gone and (order > start or loops & set(enclosing)):
                return name
        return ""


class _Apply(cst.CSTTransformer):
    """Replaces each segment by its call (blocks are matched by identity)."""

    def __init__(self, found: Sequence[Found], calls: Sequence[cst.BaseExpression]) -> None:
        self.by_block: dict[int, list[tuple[Found, cst.BaseExpression]]] = {}
        for item, call in zip(found, calls):
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
            if segment.use is not None:
                last = original.body[segment.end].deep_replace(segment.use, call)
                reused = segment.end
            else:
                reused, last = _assignment(original.body, segment, call)
            # Comments of the statements that go move above the call: they are the user's words.
            comments: list[str] = []
            for index in range(segment.start, segment.end + 1):
                statement = original.body[index]
                if index in segment.neutral:
                    continue
                if index == reused:  # its trailing comment stays on the line
                    if index != segment.start:
                        comments.extend(line.comment.value for line in statement.leading_lines if line.comment)
                else:
                    comments.extend(_comments(statement, keep_leading=index != segment.start))
            emitted = [*(body[i] for i in segment.neutral), last]
            lines = [*original.body[segment.start].leading_lines]
            if not segment.neutral:
                lines.extend(cst.EmptyLine(indent=True, comment=cst.Comment(text)) for text in comments)
            emitted[0] = emitted[0].with_changes(leading_lines=lines)  # type: ignore[union-attr]
            if segment.neutral and comments:
                own = [*emitted[-1].leading_lines, *(cst.EmptyLine(indent=True, comment=cst.Comment(t)) for t in comments)]
                emitted[-1] = emitted[-1].with_changes(leading_lines=own)  # type: ignore[union-attr]
            body[segment.start : segment.end + 1] = emitted  # type: ignore[assignment]
        return updated.with_changes(body=body)


def _comments(statement: cst.CSTNode, keep_leading: bool) -> list[str]:
    """Every comment in ``statement``; its own leading comments only if ``keep_leading``."""
    found: list[str] = []
    skip = set()
    if not keep_leading:
        skip = {id(line) for line in getattr(statement, "leading_lines", ())}

    class Collect(cst.CSTVisitor):
        def visit_EmptyLine(self, node: cst.EmptyLine) -> bool:
            return id(node) not in skip

        def visit_Comment(self, node: cst.Comment) -> None:
            found.append(node.value)

    statement.visit(Collect())
    return found


def _assignment(
    block: Sequence[cst.BaseStatement], segment: Segment, call: cst.BaseExpression
) -> tuple[int, cst.BaseStatement]:
    """The segment's last plain assignment of its target, now assigning the call."""
    for index in range(segment.end, segment.start - 1, -1):
        statement = block[index]
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            target = small.targets[0].target if isinstance(small, cst.Assign) else getattr(small, "target", None)
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and target is not None and segment.target in names_read(target):
                return index, statement.with_changes(body=[small.with_changes(value=call)])
    raise AssertionError("a segment always assigns its target")  # pragma: no cover


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
