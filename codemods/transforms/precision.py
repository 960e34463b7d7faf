"""The ``precision`` codemod: duplicated step-size rounding -> one exact helper."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import libcst as cst
from libcst.metadata import ScopeProvider

from codemods.analysis.rounding_segments import names_read
from codemods.analysis.step_rounding import CLASS_NOTES, Evaluator
from codemods.base import SOURCE_KEY, Plan, Project, PythonCodemod
from codemods.imports import exported_names, import_spelling, orphaned_imports, swap_imports
from codemods.models import Finding, Kind
from codemods.transforms.precision_examples import EXAMPLES
from codemods.transforms.precision_helper import (
    DEFAULT_FUNCTIONS,
    DEFAULT_NAME,
    TRIGGERS,
    Helper,
    Resolved,
    helper_spec,
    resolve,
)
from codemods.transforms.precision_rewrite import UNTYPED, apply, plan_function

# Short labels of the difference classes, as each rewritten function reports them.
LABELS = {
    "float": "float artefacts",
    "places": "steps the original's decimal places miss",
    "raises": "steps whose text has no '.'",
    "toward-zero": "negative values",
}


# A module that sets the decimal context: its Decimal roundings depend on the settings.
_CONTEXT_CHANGE = re.compile(r"\b(?:getcontext|setcontext|localcontext)\s*\(")


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
    (float artefacts, steps the original's decimal places miss, steps whose
    text has no '.' where the original raised, negative values where the
    original truncated toward zero), and each rewrite says which apply, in the summary, `--json` and the PR
    body. A clamp is folded into the helper only when it clamps the way the helper
    does (`max(lo, min(x, hi))`); an `if/elif` clamp, or one that logs, stays as
    written. Left alone and reported with the reason: a value kept as a Decimal
    or as text, a precision read after the rounding, a `quantize` whose rounding
    comes from the decimal context, and arithmetic with nothing saying it is a
    float (a `float` annotation, a `float(...)` conversion, a true division):
    an int or a Decimal would come back from the helper as a float. The helper
    assumes Decimal arithmetic at the default 28 digits or more.
    """

    NAME = "precision"
    SUMMARY = "hand-written step-size rounding -> adjust_to_step_size(value, step, rounding=...)"
    COMMIT_SUBJECT = "refactor: round to exchange step sizes with adjust_to_step_size()"
    TRIGGERS = TRIGGERS
    OPTIONS = PrecisionOptions
    EXAMPLES = EXAMPLES

    def __init__(self, context: Any, options: Any = None, file: Any = None) -> None:
        super().__init__(context, options, file)
        if isinstance(self.options, PrecisionOptions):  # run without the planning step
            self.options = Resolved(functions=frozenset(self.options.functions), reason="no helper planned")
        self._stack: list[tuple[str, bool]] = []  # (name, is a function)
        self._changes_before: list[int] = []
        self._replaced: list[cst.CSTNode] = []
        self._kept_names: set[str] = set()  # names the helper calls read (never orphaned)
        self._local_name: str | None = None
        self.usable = True
        self.helper: Helper | None = None
        self._context_changed = False

    @classmethod
    def wants(cls, path: str, text: str, options: Any) -> bool:
        """Only files holding a target: a configured name or a duplicate the plan found."""
        if not cls.handles(path) or not any(t in text for t in cls.TRIGGERS):
            return False
        if isinstance(options, Resolved):
            if any(member_path == path for member_path, _ in options.duplicates):
                return True
            return any(re.search(rf"\bdef\s+{re.escape(name)}\b", text) for name in options.functions)
        return "def " in text

    def visit_Module(self, node: cst.Module) -> None:
        source = self.context.scratch.get(SOURCE_KEY)
        self._context_changed = _CONTEXT_CHANGE.search(source if isinstance(source, str) else node.code) is not None
        resolved: Resolved = self.options
        self.helper = resolved.helper_for(self.file.path)
        self.usable = self.helper is not None and not self._own_module()

    # -- where we are ------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._stack.append((node.name.value, False))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._stack.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._stack.append((node.name.value, True))
        self._changes_before.append(self.changes)
        # Only targets and functions holding a target are worth a visit: a full
        # pass over a 10,000-line client costs seconds.
        resolved: Resolved = self.options
        if node.name.value in resolved.functions:
            return True
        qualified = self._qualified()
        return any(
            path == self.file.path and (name == qualified or name.startswith(qualified + "."))
            for path, name in resolved.duplicates
        )

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
        resolved: Resolved = self.options
        name = original.name.value
        named = name in resolved.functions
        if not named and (self.file.path, qualified) not in resolved.duplicates:
            return updated
        # Segments are found in the original tree, whose nodes scope analysis knows
        # (to drop the imports they leave unused); a nested function already
        # rewritten makes the updated tree the one to edit.
        source = updated if nested_changed else original
        called = names_read(source.body)
        helper_name = self.helper.name if self.helper else DEFAULT_NAME
        if helper_name in called or (self._local_name and self._local_name in called):
            return updated  # already calls the helper: a second run changes nothing
        plan = plan_function(source, Evaluator(self.qualified_names), self._context_changed)
        if not plan.found:
            if named or plan.reasons:
                reason = plan.reasons[0] if plan.reasons else "no step rounding of a recognised shape"
                # A near-duplicate found by similarity alone is reported only when it
                # visibly rounds something: other look-alikes are not ours to explain.
                if named or reason != UNTYPED:
                    self.report(original, f"{name} not rewritten: {reason}")
            return updated
        if not self.usable:
            self.report(original, f"{name} not rewritten: {self._unusable_reason()}")
            return updated
        if self.opted_out(original):
            self.report(original, f"{name} left alone: `# codemods: skip`")
            return updated
        calls = [found.call(self.local_name, self.quote) for found in plan.found]
        for found in plan.found:
            self._replaced.extend(found.removed)
        for call in calls:
            self._kept_names |= names_read(call)
        self.changes += len(plan.found)
        classes = sorted({c for found in plan.found for c in found.segment.rounded.classes})
        if classes:
            labels = ", ".join(LABELS[c] for c in classes)
            self.report(original, f"{name}: behaviour change ({labels})", Kind.BEHAVIOUR)
        twin = resolved.duplicates.get((self.file.path, qualified))
        if twin and not named:
            self.report(original, f"{name} rewritten as a near-duplicate of {twin}", Kind.NOTE)
        return updated.with_changes(body=apply(plan, calls))

    def _own_module(self) -> bool:
        helper = self.helper
        return helper is not None and (helper.path == self.file.path or helper.module == self.file.module)

    def _unusable_reason(self) -> str:
        resolved: Resolved = self.options
        if self.helper is None:
            if resolved.helpers:
                places = ", ".join(f"{h.within or '.'}/" for h in resolved.helpers)
                return f"the helper is importable only under {places}: set [tool.codemods.precision] helper"
            return resolved.reason or "no helper (see the warning)"
        return "this is the helper's own module"

    @property
    def local_name(self) -> str:
        if self._local_name is None:
            helper = self.helper
            assert helper is not None
            self._local_name = self.free_name(f"{helper.module}.{helper.name}", helper.name)
        return self._local_name

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changes:
            return updated
        helper = self.helper
        assert helper is not None
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
        resolved, creates, scopes, problem = resolve(project, options.helper, functions, options.duplicates)
        if problem:
            return Plan(options=resolved, findings=(Finding(cls.NAME, "", 0, problem, Kind.WARNING),))
        return Plan(options=resolved, creates=creates, scopes=scopes)

    @classmethod
    def behaviour_notes(cls, findings: Sequence[Finding]) -> tuple[str, ...]:
        seen = [label for f in findings if f.kind is Kind.BEHAVIOUR for label in LABELS.values() if label in f.message]
        return tuple(CLASS_NOTES[key] for key, label in LABELS.items() if label in seen)
