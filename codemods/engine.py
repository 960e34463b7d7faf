"""The pure core: one file's bytes in, one FileResult out.

Decodes once, prefilters by text, parses once, runs every selected codemod in
order on the same tree (sharing resolved metadata while the tree is
unchanged), re-parses what changed, and never lets an exception escape.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
import tokenize
import traceback
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods.analysis.syntax import parse_quietly, try_parse
from codemods.base import SOURCE_KEY, FileInfo, PythonCodemod, SkipFile, TextCodemod, _CodemodMeta
from codemods.files import DecodeError, decode
from codemods.line_map import LineMap, changed_ranges, merge_closest
from codemods.models import FileResult, Finding, Kind, Status

SKIP_FILE = re.compile(r"^[ \t]*#[ \t]*codemods:[ \t]*skip-file\b", re.MULTILINE)
SKIP_LINE = re.compile(r"#[ \t]*codemods:[ \t]*skip\b(?!-)")
# Generated-file markers in the header: a comment carrying Meta's at-generated
# tag or the do-not-edit warning of protoc and Go-style generators, or the tag opening a
# docstring line. A string constant that merely mentions the tag does not count.
GENERATED = re.compile(
    r"^[ \t]*#[^\n]*(?:@generated\b|\bDO NOT EDIT\b)"
    r"|^[ \t]*(?:[rRuU]?(?:\"\"\"|'''))?[ \t]*@generated\b",
    re.MULTILINE,
)
HEADER_CHARS = 4096  # "near the top": markers are looked for in the first 4 KiB


@dataclass(frozen=True)
class Job:
    """What the engine needs for one file; pickles cheaply for the process pool."""

    path: str  # relative to the run's root
    module: str | None
    codemods: tuple[str, ...]  # NAMEs, resolved through the registry in the worker
    options: Mapping[str, Any]  # NAME -> the codemod's planned OPTIONS
    include_generated: bool = False


class Stopwatch:
    """Seconds per phase of one file's run (see models.PHASES); ``lap`` closes the current phase."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str, minus: float = 0.0) -> None:
        now = time.perf_counter()
        self.spent[phase] = self.spent.get(phase, 0.0) + (now - self._last) - minus
        self._last = now

    def add(self, phase: str, seconds: float) -> None:
        self.spent[phase] = self.spent.get(phase, 0.0) + seconds


def run(job: Job, data: bytes, classes: Sequence[type[_CodemodMeta]]) -> FileResult:
    """Apply ``classes`` to ``data``; returns exactly one result and never raises."""
    clock = Stopwatch()
    try:
        result = _run(job, data, classes, clock)
    except Exception as exc:  # a bug in the engine itself: isolate it to this file
        result = FileResult(job.path, Status.ERROR, before=data, error=f"internal error: {_describe(exc)}")
    if not clock.spent:
        clock.lap("prefilter")  # left before the prefilter: decoding and the opt-out checks
    return replace(result, timings=clock.spent)


def _run(job: Job, data: bytes, classes: Sequence[type[_CodemodMeta]], clock: Stopwatch) -> FileResult:
    try:
        source = decode(data)
    except DecodeError as exc:
        return FileResult(job.path, Status.SKIPPED, before=data, error=str(exc))
    text = source.text
    header = text[:HEADER_CHARS]
    if SKIP_FILE.search(header):
        return FileResult(job.path, Status.SKIPPED, before=data, error="`# codemods: skip-file`")
    if not job.include_generated and GENERATED.search(header):
        return FileResult(job.path, Status.SKIPPED, before=data, error="generated file (marker in its header)")

    wanted = [cls for cls in classes if cls.wants(job.path, text, job.options.get(cls.NAME))]
    clock.lap("prefilter")
    if not wanted:
        return FileResult(job.path, Status.FILTERED, before=data)

    info = FileInfo(job.path, job.module, _skip_lines(text, job.path) if "codemods:" in text else frozenset())
    changes: dict[str, int] = {}
    findings: list[Finding] = []
    errors: list[str] = []
    sites: list[tuple[str, int, int]] = []
    python = [cls for cls in wanted if issubclass(cls, PythonCodemod)]
    parsed = False
    if python:
        try:
            tree = cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            return FileResult(job.path, Status.ERROR, before=data, error=_syntax_error(text, exc))
        clock.lap("parse")
        parsed = True
        text = _run_python(tree, text, python, job, info, changes, findings, errors, sites, clock)
    for cls in wanted:
        if issubclass(cls, TextCodemod):
            text = _run_text(cls, text, job, info, changes, findings, errors, sites)
            clock.lap("transform")

    after = source.encode(text)
    if errors:
        # Keep what succeeded (each codemod's output was verified) but say what failed.
        status = Status.ERROR
    else:
        status = Status.CHANGED if after != data else Status.UNCHANGED
    return FileResult(
        path=job.path,
        status=status,
        before=data,
        after=after if after != data else None,
        changes={k: v for k, v in changes.items() if v},
        findings=tuple(findings),
        error="; ".join(errors) or None,
        parsed=parsed,
        sites=tuple(sites) if after != data else (),
    )


def _run_python(
    tree: cst.Module,
    text: str,
    classes: Sequence[type[PythonCodemod]],
    job: Job,
    info: FileInfo,
    changes: dict[str, int],
    findings: list[Finding],
    errors: list[str],
    sites: list[tuple[str, int, int]],
    clock: Stopwatch,
) -> str:
    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)  # fresh parse: nothing shared
    lines: LineMap | None = None  # set once a codemod changed the text: later positions are of that text
    for cls in classes:
        context = CodemodContext(
            filename=job.path,
            full_module_name=job.module,
            wrapper=wrapper,
            scratch={SOURCE_KEY: text},  # the text of wrapper.module, for cheap text-level analyses
        )
        here = info if lines is None else replace(info, skip_lines=lines.current(info.skip_lines))
        codemod = cls(context, job.options.get(cls.NAME), here)
        try:
            new_tree = codemod.transform_module(wrapper.module)
        except SkipFile as exc:
            findings.append(Finding(cls.NAME, job.path, 0, f"file left alone: {exc}"))
            continue
        except Exception as exc:
            errors.append(f"codemod {cls.NAME} failed: {_describe(exc)}")
            continue
        finally:
            clock.add("metadata", codemod.metadata_seconds)
            clock.lap("transform", minus=codemod.metadata_seconds)
        if lines is None:
            findings.extend(codemod.findings)
        else:
            findings.extend(replace(f, line=lines.original(f.line)) for f in codemod.findings)
        new_text = new_tree.code
        if new_text != text:
            # libcst does not round-trip every file tail (blank lines before an indented
            # last comment, the newline after a comment ending in a backslash): compare
            # with its re-render of the input, and give the input's own tail back.
            rendered = wrapper.module.code
            if rendered != text:
                new_text = text if new_text == rendered else _restore_tail(text, rendered, new_text)
        if new_text == text:
            clock.lap("transform")
            continue
        try:
            reparsed = cst.parse_module(new_text)
        except cst.ParserSyntaxError as exc:
            clock.lap("verify")
            findings.append(
                Finding(cls.NAME, job.path, 0, f"output did not parse ({exc.message}); change dropped", Kind.BUG)
            )
            errors.append(f"codemod {cls.NAME} produced code that does not parse; change dropped")
            continue
        clock.lap("verify")
        changes[cls.NAME] = changes.get(cls.NAME, 0) + max(codemod.changes, 1)
        original = lines.original if lines is not None else (lambda line: line)
        ranges = merge_closest(changed_ranges(text, new_text), codemod.changes)
        sites.extend((cls.NAME, original(a), original(b)) for a, b in ranges)
        if len(classes) > 1:
            lines = (lines or LineMap.identity(text)).then(text, new_text)
        text = new_text
        wrapper = MetadataWrapper(reparsed, unsafe_skip_copy=True)
    return text


def _run_text(
    cls: type[TextCodemod],
    text: str,
    job: Job,
    info: FileInfo,
    changes: dict[str, int],
    findings: list[Finding],
    errors: list[str],
    sites: list[tuple[str, int, int]],
) -> str:
    codemod = cls(job.options.get(cls.NAME), info)
    try:
        new_text = codemod.transform_text(text)
    except SkipFile as exc:
        findings.append(Finding(cls.NAME, job.path, 0, f"file left alone: {exc}"))
        return text
    except Exception as exc:
        errors.append(f"codemod {cls.NAME} failed: {_describe(exc)}")
        return text
    findings.extend(codemod.findings)
    if new_text != text and job.path.endswith((".py", ".pyi")) and try_parse(new_text) is None and try_parse(text) is not None:
        # The same guarantee as for libcst codemods: a Python file that parsed still parses.
        findings.append(Finding(cls.NAME, job.path, 0, "output did not parse; change dropped", Kind.BUG))
        errors.append(f"codemod {cls.NAME} produced code that does not parse; change dropped")
        return text
    if new_text != text:
        changes[cls.NAME] = changes.get(cls.NAME, 0) + max(codemod.changes, 1)
        sites.extend((cls.NAME, a, b) for a, b in merge_closest(changed_ranges(text, new_text), codemod.changes))
    return new_text


def _restore_tail(text: str, rendered: str, new_text: str) -> str:
    """``new_text`` with the part of ``text`` that libcst's re-render (``rendered``) lost.

    Only when the loss is a tail the codemod left as libcst rendered it; otherwise
    ``new_text`` as it is.
    """
    common = len(os.path.commonprefix([text, rendered]))
    lost, kept = rendered[common:], text[common:]
    if not new_text.endswith(lost) or len(new_text) - len(lost) < common - len(kept):
        return new_text
    return new_text[: len(new_text) - len(lost)] + kept


def _syntax_error(text: str, exc: cst.ParserSyntaxError) -> str:
    """`line: reason`, with the line and wording Python itself gives when it can."""

    try:
        parse_quietly(text)
    except SyntaxError as error:
        return f"{error.lineno or 0}: syntax error: {error.msg}"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"0: cannot parse: {error}"
    # Python accepts it but libcst does not (syntax newer than libcst knows).
    where = re.search(r"error at (\d+):(\d+)", exc.message)
    line = where.group(1) if where else exc.raw_line
    return f"{line}: libcst cannot parse this file (valid for Python {sys.version_info[0]}.{sys.version_info[1]})"


def _skip_lines(text: str, path: str) -> frozenset[int]:
    """Lines whose comment says `# codemods: skip` (real comments only, not strings)."""
    lines: set[int] = set()
    if not path.endswith((".py", ".pyi")):
        return frozenset(i for i, line in enumerate(text.splitlines(), 1) if SKIP_LINE.search(line))
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and SKIP_LINE.search(token.string):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        # Tokenizing failed (the parser will say why); fall back to a plain scan.
        lines = {i for i, line in enumerate(text.splitlines(), 1) if SKIP_LINE.search(line)}
    return frozenset(lines)


def _describe(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"
