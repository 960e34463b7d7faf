"""Our commented-out-code detector against eradicate on real code.

Runs both over this repository's ``codemods/`` and ``tests/`` and over the
installed sources of a few dependencies (found through importlib, so any venv
works), and compares the comment lines each would remove. eradicate is run the
way its command line runs it by default (``filter_commented_out_code``, which is
``--aggressive``).

Every line flagged by one and not the other must be a justified difference:
one of the rules below, each a kind of comment where we are precise on purpose
(a false positive in a scan costs more than a miss), or an entry of KNOWN. A new
disagreement fails the test.

Run as a script to print the figures: ``python tests/test_agreement_eradicate.py``.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import eradicate

from codemods.analysis.commented_code import find_commented_code

REPO_ROOT = Path(__file__).resolve().parent.parent
# Installed packages compared, by import name: together about 850 files and 300
# lines of commented-out code, a few seconds for each tool.
PACKAGES = ("click", "git", "packaging", "tomlkit", "libcst", "hypothesis", "_pytest", "yaml", "setuptools")

Key = tuple[str, int]  # (path relative to the package's parent, 1-based line)

# Disagreements no rule below explains, each with its reason.
KNOWN: dict[Key, str] = {
    ("yaml/scanner.py", 188): (
        "`#if ch == '\\uFEFF':` over `#    return self.fetch_bom()    <-- issue BOMToken`: the body carries "
        "a note that is not Python, so the block does not parse; eradicate flags the header line alone"
    ),
    ("libcst/_batched_visitor.py", 57): (
        "`# for name, __ in methods:` with a `...` body: eradicate's `for` rule wants one loop variable"
    ),
    ("libcst/_batched_visitor.py", 58): "`#     ...`, the body of the loop above",
}

_PRAGMAS_ERADICATE_MISSES = re.compile(r"^(?:skipcq|pyre-|pylama:|pytype:|ruff:|codemods:|flake8|nolint|lgtm)")
_PY2_PRINT = re.compile(r"^print\s+[^\s(=.]")
_BRACKETS = re.compile(r"^[()\[\]{},\s]+$")
_ABBREVIATION = re.compile(r"^(?:e\.\s?g\b|i\.\s?e\b|(?:cf|eg|ie|viz)\.)", re.IGNORECASE)

# The rules, each a kind of comment eradicate flags (or misses) and we do not, on purpose.
PRAGMA = "pragma eradicate does not know (skipcq, pyre-, pylama:)"
PY2_PRINT = "Python 2 print statement (eradicate drops `print` before compiling)"
BRACKETS = "bracket-only line of a value (eradicate flags it alone)"
PARTIAL_DICT = "prose shaped like a dict entry (`'key': words,`)"
FAKE_HEADER = "prose ending in `):` (eradicate --aggressive takes it for a header)"
VALUE = "a value or condition alone (`(a, b)`, `0 <= i < n`), not a statement"
LABEL = "`word: words`, a heading that parses as an annotation"
SPACED_CALL = "a name, a space, then parentheses (`compile ()`)"
ABBREVIATION = "prose opening with e.g./i.e."
DOCTEST = "doctest session or its output"
EXAMPLE = "example indented under, or introduced by, a line of prose"
SENTENCE = "code quoted inside a sentence"
TERMS = "one of a list of terms (`DIRECTIVE(name, value)` among `STREAM-START`...)"
SHARED_BLOCK = "rest of a block both flag (eradicate judges lines one at a time)"


def ours(text: str) -> set[int]:
    return {line for block in find_commented_code(text) for line in range(block.start_line, block.end_line + 1)}


def theirs(text: str) -> set[int]:
    """The lines ``filter_commented_out_code`` drops (checked against its output)."""
    eradicator = eradicate.Eradicator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it compiles comment text, which may warn
        marked = set(eradicator.commented_out_code_line_numbers(text))
        kept = "".join(eradicator.filter_commented_out_code(text))
    lines = text.splitlines(keepends=True)
    # Like the filter: a line after a backslash continuation stays.
    dropped = {n for n in marked if not (n > 1 and lines[n - 2].rstrip().endswith("\\"))}
    assert kept == "".join(line for n, line in enumerate(lines, 1) if n not in dropped)
    return dropped


# -- where we differ from eradicate on purpose --------------------------------------------


def _content(line: str) -> str:
    """A comment's text the way eradicate reads it: without `#`s and outer blanks."""
    return line.lstrip().lstrip(" \t\v\n#").strip()


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _run_around(lines: list[str], index: int) -> tuple[int, int]:
    """0-based bounds (inclusive) of the comment lines around ``index`` that start in its column."""
    column = len(lines[index]) - len(lines[index].lstrip())

    def same(i: int) -> bool:
        stripped = lines[i].lstrip()
        return stripped.startswith("#") and len(lines[i]) - len(stripped) == column

    first, last = index, index
    while first > 0 and same(first - 1):
        first -= 1
    while last + 1 < len(lines) and same(last + 1):
        last += 1
    return first, last


def _depth(comment: str) -> int:
    body = comment.lstrip()[1:].lstrip("#")
    return len(body) - len(body.lstrip())


def _is_term(content: str) -> bool:
    """Parses, but only to expressions that call nothing (`into`, `STREAM-START`)."""
    tree = _parse(content)
    return tree is not None and bool(tree.body) and all(
        isinstance(s, ast.Expr) and not isinstance(s.value, ast.Call) for s in tree.body
    )


def _is_prose(content: str) -> bool:
    if not content:
        return False
    return (_parse(content) is None and _parse(content + "\n    pass") is None) or _is_term(content)


def justified_eradicate_only(lines: list[str], line: int) -> str | None:
    """Why eradicate flags ``line`` and we do not, when it is one of our rules."""
    raw = lines[line - 1]
    content = _content(raw)
    if _PRAGMAS_ERADICATE_MISSES.match(content):
        return PRAGMA
    if _PY2_PRINT.match(content):
        return PY2_PRINT
    if _BRACKETS.match(content):
        return BRACKETS
    if _ABBREVIATION.match(content):
        return ABBREVIATION
    if content.endswith(":") and _parse(content + "\n    pass") is None:
        return FAKE_HEADER
    if eradicate.Eradicator.PARTIAL_DICTIONARY_REGEX.match(content) and _parse(content) is None:
        return PARTIAL_DICT
    tree = _parse(content)
    if tree is not None and len(tree.body) == 1:
        statement = tree.body[0]
        if isinstance(statement, ast.Expr) and not isinstance(statement.value, ast.Call):
            return VALUE
        if isinstance(statement, ast.AnnAssign) and statement.value is None:
            return LABEL
        if any(isinstance(n, ast.Call) for n in ast.walk(statement)) and re.search(r"\w\)?\s+\(", content):
            return SPACED_CALL
    first, last = _run_around(lines, line - 1)
    index = line - 1
    for above in range(index - 1, first - 1, -1):
        text = _content(lines[above])
        if text.startswith(">>>"):
            return DOCTEST
        if text and _depth(lines[above]) < _depth(raw):
            if _is_prose(text) or text.endswith(":"):
                return EXAMPLE
            break
    before = _content(lines[index - 1]) if index > first else ""
    after = _content(lines[index + 1]) if index < last else ""
    if re.search(r"[\w,]$", before) and _is_prose(before) and re.match(r"[a-z]", after) and _is_prose(after):
        return SENTENCE
    if before.endswith(":") and _is_prose(before):
        return EXAMPLE
    if sum(_is_term(_content(lines[i])) for i in range(first, last + 1)) >= 3:
        return TERMS
    return None


def justified_ours_only(lines: list[str], line: int, flagged_by_both: set[int], ours_lines: set[int]) -> str | None:
    """Why we flag ``line`` and eradicate does not, when it is one of our rules."""
    first = last = line
    while first - 1 in ours_lines:
        first -= 1
    while last + 1 in ours_lines:
        last += 1
    if any(n in flagged_by_both for n in range(first, last + 1)):
        # Continuation lines, nested comments, `pass`/`continue`, blank `#` lines,
        # a header ending in a backslash: eradicate cannot judge them alone.
        return SHARED_BLOCK
    return None


# -- the comparison ---------------------------------------------------------------------------


@dataclass
class Comparison:
    files: int = 0
    both: set[Key] = field(default_factory=set)
    eradicate_only: set[Key] = field(default_factory=set)
    ours_only: set[Key] = field(default_factory=set)
    justified: dict[Key, str] = field(default_factory=dict)
    seconds_ours: float = 0.0
    seconds_eradicate: float = 0.0

    @property
    def unexplained(self) -> list[tuple[str, Key]]:
        left = [("eradicate only", k) for k in sorted(self.eradicate_only) if k not in self.justified]
        left += [("ours only", k) for k in sorted(self.ours_only) if k not in self.justified]
        return [(side, key) for side, key in left if key not in KNOWN]

    def figures(self) -> str:
        reasons: dict[str, int] = {}
        for reason in self.justified.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        detail = "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items(), key=lambda item: -item[1]))
        known = len([k for k in self.eradicate_only | self.ours_only if k in KNOWN])
        return (
            f"{self.files} files: lines flagged by both {len(self.both)}, eradicate only {len(self.eradicate_only)}, "
            f"ours only {len(self.ours_only)}; justified by rule: {detail or 'none'}; known: {known}; "
            f"ours {self.seconds_ours:.1f} s, eradicate {self.seconds_eradicate:.1f} s"
        )


def corpus() -> list[tuple[str, Path]]:
    """(label path, file) of every Python file compared."""
    found: list[tuple[str, Path]] = []
    for folder in ("codemods", "tests"):
        for file in sorted((REPO_ROOT / folder).rglob("*.py")):
            found.append((file.relative_to(REPO_ROOT).as_posix(), file))
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None:
            continue
        for location in spec.submodule_search_locations or []:
            root = Path(location)
            for file in sorted(root.rglob("*.py")):
                found.append((f"{package}/{file.relative_to(root).as_posix()}", file))
    return found


def compare(files: list[tuple[str, Path]]) -> Comparison:
    result = Comparison()
    for path, file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        result.files += 1
        started = time.perf_counter()
        mine = ours(text)
        result.seconds_ours += time.perf_counter() - started
        started = time.perf_counter()
        other = theirs(text)
        result.seconds_eradicate += time.perf_counter() - started
        lines = text.splitlines()
        result.both.update((path, n) for n in mine & other)
        for n in sorted(other - mine):
            result.eradicate_only.add((path, n))
            _justify(result, (path, n), justified_eradicate_only(lines, n))
        for n in sorted(mine - other):
            result.ours_only.add((path, n))
            _justify(result, (path, n), justified_ours_only(lines, n, mine & other, mine))
    return result


def _justify(result: Comparison, key: Key, reason: str | None) -> None:
    if reason is not None:
        result.justified[key] = reason


def _show(comparison: Comparison, files: dict[str, Path], select: Callable[[Key], bool]) -> str:
    out = []
    for side, key in comparison.unexplained:
        if select(key):
            text = files[key[0]].read_text(encoding="utf-8").splitlines()[key[1] - 1].strip()
            out.append(f"  {side}: {key[0]}:{key[1]}: {text}")
    return "\n".join(out)


def test_agreement_with_eradicate() -> None:
    files = corpus()
    comparison = compare(files)
    print(comparison.figures())
    assert comparison.files > 500, "the corpus went missing (are the packages installed?)"
    assert len(comparison.both) > 100, comparison.figures()
    unexplained = _show(comparison, dict(files), lambda key: True)
    assert not unexplained, f"new disagreements with eradicate:\n{unexplained}\n{comparison.figures()}"
    stale = [key for key in KNOWN if key not in comparison.eradicate_only | comparison.ours_only]
    installed = {path.split("/")[0] for path, _ in files}
    assert not [k for k in stale if k[0].split("/")[0] in installed], f"KNOWN entries that no longer disagree: {stale}"


def test_our_own_code_has_no_commented_out_code() -> None:
    """The guide says so (habit 8); the detector keeps us honest."""
    found = {
        path: spans
        for path, file in corpus()
        if path.startswith(("codemods/", "tests/"))
        and (spans := [(b.start_line, b.end_line) for b in find_commented_code(file.read_text(encoding="utf-8"))])
    }
    assert not found, found


if __name__ == "__main__":  # pragma: no cover
    all_files = corpus()
    figures = compare(all_files)
    print(figures.figures())
    print(_show(figures, dict(all_files), lambda key: True) or "no unexplained disagreement")
    sys.exit(0)
