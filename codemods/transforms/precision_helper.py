"""Where the precision helper lives and which functions the codemod rewrites.

Runs once per run in the planning step (``Precision.plan``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from codemods.analysis.duplicates import find_duplicates
from codemods.base import Project
from codemods.helper_modules import Helper, HelperSpec, editable, helper_for, plan_helpers

DEFAULT_NAME = "adjust_to_step_size"
DEFAULT_FUNCTIONS = ("_round_quantity", "_round_price")
# Text a file must contain for the codemod to parse it.
TRIGGERS = ("floor", "ceil", "round", "quantize", "to_integral", "log10", "%", "//")
# Near-duplicates among rounding methods are short: a lookup and three lines of arithmetic.
DUPLICATE_MIN_TOKENS = 20
# Only functions that round something can hold a segment: the rest of a large
# checkout's duplicates are not compared.
ROUNDING_BODY = re.compile(
    r"\b(?:floor|ceil|round|trunc|int)\s*\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*/"  # a division inside a rounding call
    r"|\bquantize\s*\(|\bto_integral|\blog10\s*\("
    r"|[\w)\]]\s*//\s*[\w(]|[\w)\]]\s*%\s*[\w(]"  # floor division, modulo (not '%s' in a string)
)
# A rounding method is a lookup and a few lines of arithmetic; bigger functions
# are not compared (pairwise comparison is what costs on a large checkout).
DUPLICATE_MAX_TOKENS = 400


@dataclass(frozen=True)
class Resolved:
    """What each file needs, resolved once per run."""

    helpers: tuple[Helper, ...] = ()  # empty: no usable helper; sites are reported, not rewritten
    functions: frozenset[str] = frozenset(DEFAULT_FUNCTIONS)
    # (path, qualified name) of each function in a duplicate group -> its closest twin
    # and their similarity, as the report names it: "Exchange.price_for_order at line 14, similarity 0.93"
    duplicates: Mapping[tuple[str, str], str] = field(default_factory=dict)
    reason: str = ""

    def helper_for(self, path: str) -> Helper | None:
        return helper_for(self.helpers, path)


SPEC = HelperSpec(stem="exchange_precision", name=DEFAULT_NAME, template="exchange_precision.py", option="precision")


def helper_spec(value: str) -> tuple[str, str]:
    return SPEC.parse(value)


def duplicate_targets(project: Project, names: frozenset[str]) -> tuple[dict[tuple[str, str], str], list[str]]:
    """Functions in near-duplicate groups, and the files holding them or the named functions."""
    files = [f for f in project.grep(*TRIGGERS) if editable(f.text)]
    sources = [(f.path, f.text) for f in files if ROUNDING_BODY.search(f.text)]
    pairs = find_duplicates(
        sources, min_tokens=DUPLICATE_MIN_TOKENS, max_tokens=DUPLICATE_MAX_TOKENS, body_pattern=ROUNDING_BODY
    )
    members: dict[tuple[str, str], str] = {}
    for pair in pairs:  # best first: each function keeps its closest twin
        for ref, twin in ((pair.first, pair.second), (pair.second, pair.first)):
            where = twin.name if twin.path == ref.path else f"{twin.path}:{twin.name}"
            members.setdefault((ref.path, ref.name), f"{where} at line {twin.start}, similarity {pair.score:.2f}")
    named = re.compile(r"\bdef\s+(%s)\b" % "|".join(map(re.escape, sorted(names)))) if names else None
    paths = sorted({p for p, _ in members} | {f.path for f in files if named and named.search(f.text)})
    return members, paths


def resolve(
    project: Project, helper: str | None, functions: frozenset[str], use_duplicates: bool
) -> tuple[Resolved, tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, ...]], ...], str]:
    """The helpers to use, the files to create (with the files whose change
    each waits for), and a problem (empty when none)."""
    members, paths = duplicate_targets(project, functions)
    if not use_duplicates:
        members = {}
    helpers, creates, scopes, problem = plan_helpers(project, SPEC, helper, paths)
    resolved = Resolved(helpers=helpers, functions=functions, duplicates=members, reason=problem)
    return resolved, creates, scopes, problem
