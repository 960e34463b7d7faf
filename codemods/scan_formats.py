"""`codemods scan` reports as strings: markdown (the layout of the seed report), JSON, SARIF and terminal text.

Pure functions of a ScanReport: no clock, no cwd, no environment, so the same
scan renders the same bytes (the markdown is meant to be committed or posted
in a PR). Only `cli.py` prints them.
"""

from __future__ import annotations

import io
import json
from importlib import resources
import re
from typing import Any, Iterable, Mapping, Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from codemods.findings import CATEGORIES, Priority, ScanFinding, ScanReport
from codemods.render import plural
from codemods.scan_sarif import category_of, highest, sarif

__all__ = ["json_text", "markdown", "report_schema", "sarif", "text"]

MAX_PLACES = 50  # per markdown section; the JSON report always lists everything
MAX_TEXT_PLACES = 40  # per category in the terminal
LOG_LEVELS = ("debug", "info", "warning", "error", "exception", "critical")
PRIORITY_STYLES = {Priority.HIGH: "bold red", Priority.MEDIUM: "yellow", Priority.LOW: "dim"}


# --- JSON ---------------------------------------------------------------------------------------


def json_text(report: ScanReport) -> str:
    """``ScanReport.to_dict()`` as indented JSON; key order fixed so equal reports give equal text."""
    data = report.to_dict()
    for finding in data["findings"]:
        finding["details"] = _sorted_keys(finding["details"])
    data["logging_levels"] = {
        path: {level: levels[level] for level in sorted(levels, key=_level_rank)}
        for path, levels in data["logging_levels"].items()
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # Lone surrogates (undecodable file names) cannot be encoded to UTF-8 output: escape just those.
    return text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n"


def report_schema() -> str:
    """The JSON Schema (draft 2020-12) that ``json_text`` output follows, shipped as package data."""
    return (resources.files("codemods") / "schemas" / "scan-report.schema.json").read_text(encoding="utf-8")


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_sorted_keys(item) for item in value]
    return value


# --- shared facts -------------------------------------------------------------------------------


def category_names(report: ScanReport) -> list[str]:
    """Every category in report order, then any unknown one a finding names."""
    return list(dict.fromkeys([*CATEGORIES, *(f.category for f in report.findings)]))


def level_names(level_maps: Iterable[Mapping[str, int]]) -> list[str]:
    """The usual levels in order of severity, then any other level seen (``fatal``, ``log``), sorted."""
    seen = {level for levels in level_maps for level in levels if level != "total"}
    return [*LOG_LEVELS, *sorted(seen - set(LOG_LEVELS))]


def _level_rank(level: str) -> tuple[int, str]:
    return (LOG_LEVELS.index(level) if level in LOG_LEVELS else len(LOG_LEVELS), level)


def level_totals(report: ScanReport) -> dict[str, int]:
    """Log calls per level over all files, plus ``total``."""
    names = level_names(report.logging_levels.values())
    totals = {name: sum(levels.get(name, 0) for levels in report.logging_levels.values()) for name in names}
    totals["total"] = sum(totals.values())
    return totals


def human_size(size: int) -> str:
    """``512 B``, ``1.5 KB``, ``148 KB``, ``2.3 MB`` (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} B"
    if size < 10 * 1024:
        return f"{size / 1024:.1f} KB"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _size_of(finding: ScanFinding) -> int | None:
    size = finding.details.get("size")
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def _total_size(findings: Sequence[ScanFinding]) -> str:
    sizes = [s for s in map(_size_of, findings) if s is not None]
    return human_size(sum(sizes)) if sizes else ""


def _found(report: ScanReport, name: str, findings: Sequence[ScanFinding]) -> str:
    """The overview's `found` cell: a count, with the size of redundant files and the calls behind logging."""
    if name == "logging" and report.logging_levels:
        return f"{plural(level_totals(report)['total'], 'call')} ({len(findings)} eager)"
    total = _total_size(findings) if name == "redundant-file" else ""
    return f"{len(findings)} ({total})" if total else str(len(findings))


def _headline(report: ScanReport) -> str:
    tool = f"codemods {report.tool_version}" if report.tool_version else "codemods"
    scanned = f"{tool} scanned {plural(report.files_scanned, 'file')}"
    if not report.findings:
        return f"{scanned}: nothing found."
    counts = [(p, sum(f.priority is p for f in report.findings)) for p in Priority]
    split = ", ".join(f"{n} {p.value}" for p, n in counts if n)
    fixable = sum(f.fix is not None for f in report.findings)
    return f"{scanned}: {plural(len(report.findings), 'finding')} ({split}), {fixable} fixable by a codemod."


def _fixes(findings: Iterable[ScanFinding]) -> list[str]:
    return list(dict.fromkeys(f.fix for f in findings if f.fix))


def _urgent_first(findings: Iterable[ScanFinding]) -> list[ScanFinding]:
    return sorted(findings, key=lambda f: -f.priority.rank)


def _apply(fixes: Sequence[str]) -> str:
    return "codemods apply " + " ".join(f"--only {fix}" for fix in fixes)


# --- markdown -----------------------------------------------------------------------------------


def markdown(report: ScanReport) -> str:
    """The report laid out like the seed report: overview table, a section per category, a plan."""
    blocks: list[list[str]] = [[f"# Cleanup scan of {_code(report.root)}"], [_headline(report)], _overview(report)]
    for name in category_names(report):
        blocks.append([f"## {_inline(category_of(name).title)}"])
        blocks.extend(_section(report, name))
    blocks.append(["## Plan"])
    blocks.extend(_plan(report))
    if report.failures:
        blocks.append(["## Failures"])
        blocks.append([f"{plural(len(report.failures), 'file')} could not be scanned:"])
        shown = report.failures[:MAX_PLACES]
        blocks.append([f"- {_code(path)}: {_inline(reason)}" for path, reason in shown] + _more(report.failures, shown))
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def _overview(report: ScanReport) -> list[str]:
    rows = []
    for name in category_names(report):
        findings = report.in_category(name)
        if not findings and name not in CATEGORIES:
            continue
        worst = highest(findings)
        fixable = sum(f.fix is not None for f in findings)
        cells = [category_of(name).title, _found(report, name, findings), str(fixable), worst.value if worst else "-"]
        rows.append(cells)
    return _table(["category", "found", "fixable", "priority"], rows)


def _section(report: ScanReport, name: str) -> list[list[str]]:
    findings = report.in_category(name)
    category = category_of(name)
    if name == "logging" and report.logging_levels:
        eager = _eager(len(findings))
        blocks = [[f"{plural(level_totals(report)['total'], 'log call')} in "
                   f"{plural(len(report.logging_levels), 'file')}; {eager}."], _levels_table(report)]
        if findings:
            blocks.append(_places(findings))
        return blocks + [[f"Recommendation: {_inline(category.recommendation)}"]]
    if not findings:
        return [["0 found."]]
    fixes = _fixes(findings)
    fixable = sum(f.fix is not None for f in findings)
    commands = ", ".join(_code(_apply([fix])) for fix in fixes)
    how = f", {fixable} fixable with {commands}" if fixes else ", none fixable by a codemod"
    if name == "redundant-file":
        total = _total_size(findings)
        head = f"{plural(len(findings), 'file')}{', ' + total if total else ''}{how}."
    else:
        head = f"{len(findings)} found{how}."
    blocks = [[head], _places(findings)]
    if category.recommendation:
        blocks.append([f"Recommendation: {_inline(category.recommendation)}"])
    return blocks


def _eager(count: int) -> str:
    if not count:
        return "none formats its message eagerly"
    return f"{count} {'formats its' if count == 1 else 'format their'} message eagerly"


def _places(findings: Sequence[ScanFinding]) -> list[str]:
    """The findings of one category as a table, capped at MAX_PLACES rows."""
    shown = findings[:MAX_PLACES]
    kind = findings[0].category
    rows: list[list[str]] = []
    for f in shown:
        tail = [f.priority.value, _inline(f.message), _code(f.fix) if f.fix else "-"]
        if kind == "duplicate-function":
            other = f.details.get("other")
            rows.append([_code(f.location()), _code(str(other)) if other else "-", _similarity(f), *tail])
        elif kind == "redundant-file":
            size = _size_of(f)
            rows.append([_code(f.location()), human_size(size) if size is not None else "?", *tail])
        else:
            rows.append([_code(f.location()), *tail])
    header = {
        "duplicate-function": ["function", "duplicate of", "similarity"],
        "redundant-file": ["file", "size"],
    }.get(kind, ["place"])
    more = _more(findings, shown)
    return _table([*header, "priority", "message", "fix"], rows, escape=False) + ([""] + more if more else [])


def _similarity(finding: ScanFinding) -> str:
    value = finding.details.get("similarity")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0%}" if 0 <= value <= 1 else f"{value:g}"
    return "-"


def _levels_table(report: ScanReport) -> list[str]:
    names = level_names(report.logging_levels.values())
    paths = sorted(report.logging_levels)
    shown = paths[:MAX_PLACES]
    rows = []
    for path in shown:
        levels = report.logging_levels[path]
        counts = [levels.get(name, 0) for name in names]
        rows.append([_code(path), *map(str, counts), str(sum(counts))])
    totals = level_totals(report)
    rows.append(["**all files**", *(f"**{totals[name]}**" for name in names), f"**{totals['total']}**"])
    table = _table(["file", *names, "total"], rows, escape=False, right=range(1, len(names) + 2))
    more = _more(paths, shown, "file")
    return table + ([""] + more if more else [])


def _plan(report: ScanReport) -> list[list[str]]:
    if not report.findings:
        return [["Nothing to do."]]
    blocks: list[list[str]] = []
    for priority in Priority:
        group = [f for f in report.findings if f.priority is priority]
        if not group:
            continue
        items = []
        for fix in _fixes(group):
            fixed = [f for f in group if f.fix == fix]
            titles = ", ".join(dict.fromkeys(category_of(f.category).title for f in fixed))
            files = len({f.path for f in fixed})
            items.append(f"- {_code(_apply([fix]))}: {plural(len(fixed), 'finding')} in "
                         f"{plural(files, 'file')} ({_inline(titles)})")
        manual = [f for f in group if not f.fix]
        if manual:
            items.append(f"- By hand: {plural(len(manual), 'finding')}")
            shown = manual[:MAX_PLACES]
            items += [f"  - {_code(f.location())} ({_inline(category_of(f.category).title)}): {_inline(f.message)}"
                      for f in shown]
            items += [f"  - {line}" for line in _more(manual, shown)]
        blocks += [[f"### {priority.value.capitalize()} priority"], items]
    fixes = _fixes(_urgent_first(report.findings))
    if len(fixes) > 1:
        blocks.append([f"Every codemod fix at once: {_code(_apply(fixes))}."])
    idle = [category_of(n).title for n in CATEGORIES if not report.in_category(n)]
    if idle:
        blocks.append([f"Nothing to do: {_inline(', '.join(idle))}."])
    return blocks


def _more(items: Sequence[Any], shown: Sequence[Any], noun: str = "") -> list[str]:
    left = len(items) - len(shown)
    if left <= 0:
        return []
    what = f"{left} more {noun}{'' if left == 1 else 's'}" if noun else f"{left} more"
    return [f"... and {what} (the JSON report lists them all)."]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], escape: bool = True,
           right: Iterable[int] = ()) -> list[str]:
    """A GFM table; cells are escaped here unless the caller already made them markdown."""
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_cell(_inline(c) if escape else c) for c in cells) + " |"

    aligned = set(right)
    rule = "|" + "|".join("---:" if i in aligned else "---" for i in range(len(header))) + "|"
    return [row(header), rule, *(row(r) for r in rows)]


def _cell(markdown_text: str) -> str:
    # GFM splits cells on `|` before anything else, inside code spans too: only `\|` keeps one.
    return markdown_text.replace("|", "\\|")


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def _inline(text: str) -> str:
    """Free text as markdown: one line, its code spans kept, `<`, `*` and word-edge `_` escaped elsewhere."""
    text = " ".join(text.splitlines())
    out, end = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape(text[end:match.start()]))
        out.append(match.group(0))
        end = match.end()
    out.append(_escape(text[end:]))
    return "".join(out)


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("<", "&lt;").replace("*", "\\*")
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


def _code(text: str) -> str:
    """``text`` as one inline code span, whatever backticks it holds."""
    text = " ".join(text.splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# --- terminal -----------------------------------------------------------------------------------


def text(report: ScanReport, color: bool) -> str:
    """A compact terminal report: overview, findings by category (`path:line: message [fix: x]`), logging totals."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, color_system="standard" if color else None, width=100,
        highlight=False, markup=False, emoji=False, legacy_windows=False,
    )
    console.print(Text(_headline(report), style="bold"), soft_wrap=True)
    table = Table(box=box.SIMPLE_HEAD if color else None, show_edge=False, pad_edge=False, header_style="bold")
    for heading, justify in (("category", "left"), ("found", "right"), ("fixable", "right"), ("priority", "left")):
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for name in category_names(report):
        findings = report.in_category(name)
        if not findings and name not in CATEGORIES:
            continue
        worst = highest(findings)
        table.add_row(
            category_of(name).title, _found(report, name, findings), str(sum(f.fix is not None for f in findings)),
            Text(worst.value, style=PRIORITY_STYLES[worst]) if worst else "-",
        )
    console.print(table)
    console.print()
    for name in category_names(report):
        findings = report.in_category(name)
        if name == "logging" and report.logging_levels:
            totals = level_totals(report)
            split = ", ".join(f"{level} {totals[level]}" for level in level_names(report.logging_levels.values()))
            console.print(Text.assemble(
                (category_of(name).title, "bold"), f": {plural(totals['total'], 'call')} in "
                f"{plural(len(report.logging_levels), 'file')} ({split}); {_eager(len(findings))}"), soft_wrap=True)
        elif findings:
            console.print(Text.assemble((category_of(name).title, "bold"), f" ({len(findings)})"))
        for f in findings[:MAX_TEXT_PLACES]:
            where = f"{f.path}:{f.line}" if f.line else f.path
            line = Text.assemble("  ", (where, "cyan"), ": ", f.message)
            if f.fix:
                line.append(f" [fix: {f.fix}]", style="green")
            console.print(line, soft_wrap=True)
        if len(findings) > MAX_TEXT_PLACES:
            console.print(f"  ... and {len(findings) - MAX_TEXT_PLACES} more (see the JSON report)", soft_wrap=True)
    fixes = _fixes(_urgent_first(report.findings))
    if report.failures or fixes:
        console.print()
    if report.failures:
        console.print(Text(f"{plural(len(report.failures), 'file')} could not be scanned:", style="bold red"))
        for path, reason in report.failures[:MAX_TEXT_PLACES]:
            console.print(Text(f"  {path}: {reason}"), soft_wrap=True)
        if len(report.failures) > MAX_TEXT_PLACES:
            console.print(f"  ... and {len(report.failures) - MAX_TEXT_PLACES} more", soft_wrap=True)
    if fixes:
        console.print(Text.assemble("Fix with: ", (_apply(fixes), "green")), soft_wrap=True)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
