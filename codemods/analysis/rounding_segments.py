"""Finding the step-rounding segment of a block of statements.

A segment is a run of statements that together compute one value rounded to an
exchange step: `precision = ...`, `if precision < 0: precision = 0`,
`adjusted = math.floor(q / step) * step`, `adjusted = round(adjusted, precision)`,
optionally a clamp. It ends either in an assignment of the rounded float or in a
statement that uses it (`return float(...)`). Statements in between that neither
read nor feed the segment (say `min_qty = float(f["minQty"])`) stay, moved
before the helper call. Everything is decided on what the statements compute
(see ``step_rounding``), never on names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from codemods.analysis.step_rounding import Env, Evaluator, Input, Places, Rounded, Value, clamp

_ABSTRACT = (Places, Rounded)


@dataclass
class Segment:
    """Statements ``start..end`` of a block compute ``rounded``."""

    start: int
    end: int
    rounded: Rounded
    target: str | None  # the name the last statement assigns; None when it uses the value
    use: cst.BaseExpression | None  # in the last statement, the expression to replace
    bound: set[str]  # names the segment assigns
    neutral: list[int] = field(default_factory=list)  # statements kept, moved before the call


@dataclass
class Miss:
    """A rounding that was recognised but cannot be rewritten, and why."""

    node: cst.CSTNode
    reason: str


def _single(statement: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def _assigned_name(small: cst.BaseSmallStatement | None) -> tuple[str, cst.BaseExpression] | None:
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return small.target.value, small.value
    return None


def names_read(node: cst.CSTNode) -> set[str]:
    """Plain names a node mentions (attribute names and keyword names excluded)."""
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> bool:
            attribute.value.visit(self)
            return False

        def visit_Arg(self, arg: cst.Arg) -> bool:
            arg.value.visit(self)
            return False

        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Collect())
    return found


def _assigned_names(statement: cst.BaseStatement) -> set[str] | None:
    """Names a simple statement binds; None if it is not a plain simple statement."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    bound: set[str] = set()
    for small in statement.body:
        if isinstance(small, (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Global, cst.Nonlocal)):
            return None
        if isinstance(small, cst.Assign):
            for target in small.targets:
                bound |= names_read(target.target)
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            bound |= names_read(small.target)
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            return None
    return bound


class SegmentFinder:
    """Finds every segment in one block; ``misses`` collects recognised roundings left alone."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.misses: list[Miss] = []

    def uses(self, statement: cst.BaseStatement, env: Env) -> tuple[cst.BaseExpression, Rounded] | None:
        """The one expression in ``statement`` that evaluates to a rounded value (not a bare name).

        Only simple statements: a compound one holds blocks of its own, searched separately.
        """
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        found: list[tuple[cst.BaseExpression, Rounded]] = []
        evaluator = self.evaluator

        class Visit(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    return False
                if isinstance(node, cst.BaseExpression) and not isinstance(node, cst.Name):
                    value = evaluator.eval(node, env)
                    if isinstance(value, Rounded):
                        found.append((node, value))
                        return False
                return True

        statement.visit(Visit())
        return found[0] if len(found) == 1 else None

    def step(self, statement: cst.BaseStatement, env: Env) -> tuple[str, str | None, Value] | None:
        """How ``statement`` extends the segment: ("bind", name, value) or ("clamp", name, value)."""
        small = _single(statement)
        assigned = _assigned_name(small)
        if assigned is not None:
            name, expression = assigned
            value = self.evaluator.eval(expression, env)
            if isinstance(value, _ABSTRACT) or (value is not None and not isinstance(value, Input)):
                return ("bind", name, value)
            return None
        if isinstance(statement, cst.If) and statement.orelse is None:
            return self._if_clamp(statement, env)
        return None

    def _if_clamp(self, statement: cst.If, env: Env) -> tuple[str, str | None, Value] | None:
        """`if x < lo: x = lo` / `if x > hi: x = hi` / `if precision < 0: precision = 0`."""
        test = statement.test
        body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or len(body) != 1:
            return None
        assigned = _assigned_name(_single(body[0]))
        if assigned is None:
            return None
        name, value_node = assigned
        left, right = test.left, test.comparisons[0].comparator
        operator = test.comparisons[0].operator
        if isinstance(right, cst.Name) and right.value == name:  # `lo > x` -> `x < lo`
            left, right = right, left
            flipped = {cst.GreaterThan: cst.LessThan, cst.LessThan: cst.GreaterThan,
                       cst.GreaterThanEqual: cst.LessThanEqual, cst.LessThanEqual: cst.GreaterThanEqual}
            kind = flipped.get(type(operator))
        else:
            kind = type(operator)
        if not (isinstance(left, cst.Name) and left.value == name) or name not in env:
            return None
        if _code(right) != _code(value_node):
            return None
        current = env[name]
        bound = self.evaluator.eval(right, env)
        if isinstance(current, Places):
            # precision = max(precision, 0), spelled as an if
            if kind in (cst.LessThan, cst.LessThanEqual) and isinstance(right, cst.Integer) and right.value == "0":
                return ("clamp", name, current)
            return None
        if kind in (cst.LessThan, cst.LessThanEqual):
            folded = clamp("max", current, bound)
        elif kind in (cst.GreaterThan, cst.GreaterThanEqual):
            folded = clamp("min", current, bound)
        else:
            return None
        return ("clamp", name, folded) if folded is not None else None

    def find(self, block: Sequence[cst.BaseStatement]) -> list[Segment]:
        segments: list[Segment] = []
        index = 0
        while index < len(block):
            segment = self._from(block, index)
            if segment is None:
                index += 1
                continue
            segments.append(segment)
            index = segment.end + 1
        return segments

    def _from(self, block: Sequence[cst.BaseStatement], start: int) -> Segment | None:
        env: Env = {}
        read: set[str] = set()  # names the segment's statements read so far
        neutral: list[int] = []
        best: Segment | None = None
        for index in range(start, len(block)):
            statement = block[index]
            extension = self.step(statement, env)
            if extension is not None and (index > start or extension[0] == "bind"):
                _, name, value = extension
                if name is None:
                    break
                read |= names_read(statement)
                env = {**env, name: value}
                if isinstance(value, Rounded):
                    if value.decimal or value.text:
                        continue
                    best = Segment(start, index, value, name, None, set(env), list(neutral))
                continue
            use = self.uses(statement, env) if (index > start and env) or index == start else None
            if use is not None:
                expression, value = use
                if not value.decimal and not value.text:
                    best = Segment(start, index, value, None, expression, set(env), list(neutral))
                elif index == start or env:
                    self._miss(statement, value)
                break
            if index == start:
                return None
            bound = _assigned_names(statement)
            if bound is None or bound & (read | set(env)) or names_read(statement) & set(env):
                break
            neutral.append(index)
        if best is None:
            last = list(env.values())[-1] if env else None
            if isinstance(last, Rounded):
                self._miss(block[start], last)
        return best

    def _miss(self, node: cst.CSTNode, value: Rounded) -> None:
        if value.text:
            reason = "the rounded value is kept as text; the helper returns a float"
        else:
            reason = "the rounded value is kept as a Decimal; the helper returns a float"
        self.misses.append(Miss(node, reason))


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
