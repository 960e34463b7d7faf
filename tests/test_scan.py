"""`codemods scan` end to end: the real console script in subprocesses, real trees under tmp_path.

The bundled trading bot is scanned the way the seed report (shared/seed/cleanup-report.en.md)
was written, and its fixable counts are cross-checked against `codemods diff --json` on the same
copy. Small trees show each category found and not found, `--fail-on`, failures (exit 3),
usage errors (exit 2) and determinism (two runs, `-j 1` against `-j 2` past the pool threshold).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from codemods.findings import CATEGORIES, SCHEMA_VERSION, ScanReport
from codemods.scan_formats import json_text
from conftest import (
    CODEMODS,
    REPO_ROOT,
    Result,
    assert_one_line_error,
    commit_all,
    copy_bot,
    init_repo,
    run_cli,
    run_parallel,
    snapshot,
    snapshot_stat,
    write_tree,
)

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_SCHEMA = REPO_ROOT / "codemods" / "schemas" / "scan-report.schema.json"
SARIF_SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"
# The categories a codemod fixes, and the codemod (as `diff --json` names it in its summary).
CODEMOD_OF = {"timestamp": "timestamp", "precision": "precision", "retry-loop": "retry",
              "unpinned-requirement": "pin-requirements"}


def scan(*args: str | Path) -> tuple[str | Path, ...]:
    return (CODEMODS, "scan", *args)


def report_of(result: Result) -> dict[str, Any]:
    data = json.loads(result.text)
    errors = sorted(report_validator().iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return data


def found(data: dict[str, Any], category: str, path: str | None = None) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["category"] == category and (path is None or f["path"] == path)]


def without_elapsed(text: str) -> dict[str, Any]:
    data = json.loads(text)
    data.pop("elapsed_seconds")
    return data


@lru_cache(maxsize=None)
def report_validator() -> Any:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@lru_cache(maxsize=None)
def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # draft-04, as the schema's $schema says
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def markdown_table(document: str, heading_line: str) -> list[list[str]]:
    """The rows (cells stripped) of the first GFM table whose header line starts with ``heading_line``."""
    lines = document.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading_line))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def section(document: str, title: str) -> str:
    """The text of the `## title` section, up to the next `## `."""
    head = f"\n## {title}\n"
    assert head in document, f"no section {title!r}"
    return document.split(head, 1)[1].split("\n## ", 1)[0]


def hunks(diff: str) -> list[tuple[int, int]]:
    """The old-file line ranges (first, last) of a unified diff's hunks."""
    ranges = []
    for match in re.finditer(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", diff, re.MULTILINE):
        first, count = int(match.group(1)), int(match.group(2) or 1)
        ranges.append((first, first + max(count, 1) - 1))
    return ranges


# --- 1. the bundled trading bot -----------------------------------------------------------------


@dataclass
class BotScan:
    path: Path
    markdown: Result
    markdown_again: Result
    json: Result
    sarif: Result
    diff: Result
    before: dict[str, tuple[bytes, int, int]]
    after: dict[str, tuple[bytes, int, int]]


@pytest.fixture(scope="module")
def bot_scan(tmp_path_factory: pytest.TempPathFactory) -> BotScan:
    """A copy of the bot in a fresh git repository, scanned in every format (twice for two of
    them) and diffed with --json, all at once; the tree is snapshotted around the runs."""
    bot = copy_bot(tmp_path_factory.mktemp("scanbot") / "trading_bot")
    init_repo(bot)
    commit_all(bot)
    before = snapshot_stat(bot)
    results = run_parallel(
        (scan("--format", "markdown"), bot),
        (scan("--format", "json"), bot),
        (scan("--format", "sarif"), bot),
        ((CODEMODS, "diff", "--json"), bot),
        (scan("--format", "markdown", "-j", "1"), bot),
    )
    after = snapshot_stat(bot)
    md, js, sarif, diff, md2 = results
    return BotScan(bot, md, md2, js, sarif, diff, before, after)


def test_bot_scan_exits_0_and_writes_nothing(bot_scan: BotScan) -> None:
    for result in (bot_scan.markdown, bot_scan.markdown_again, bot_scan.json, bot_scan.sarif):
        assert result.code == 0, result
        assert "Traceback" not in result.err, result
    assert bot_scan.diff.code == 0, bot_scan.diff
    assert bot_scan.after == bot_scan.before


def test_bot_markdown_has_the_seed_report_sections(bot_scan: BotScan) -> None:
    document = bot_scan.markdown.text
    assert document.startswith(f"# Cleanup scan of `{bot_scan.path}`\n")
    overview = {row[0]: row[1:] for row in markdown_table(document, "| category | found | fixable | priority |")}
    assert overview["Commented-out code"] == ["0", "0", "-"]
    assert overview["Unused imports"] == ["0", "0", "-"]
    assert overview["Hand-written epoch milliseconds"] == ["14", "13", "medium"]  # 13 sites + the naive utcnow()
    assert overview["Duplicated precision logic"] == ["2", "2", "medium"]
    assert overview["Hand-written retry loops"] == ["2", "2", "medium"]
    assert overview["Unpinned requirements"] == ["1", "1", "high"]
    assert overview["Duplicated functions"][2] == "medium" and int(overview["Duplicated functions"][1]) >= 1
    assert overview["Logging"][0].endswith("calls (0 eager)") and overview["Logging"][1:] == ["0", "-"]
    # Every section of the seed report, in its order, then the plan.
    titles = [line[3:] for line in document.splitlines() if line.startswith("## ")]
    assert titles == [c.title for c in CATEGORIES.values()] + ["Plan"]
    assert section(document, "Commented-out code").strip() == "0 found."
    assert section(document, "Unused imports").strip() == "0 found."


def test_bot_markdown_duplicates_requirements_and_plan(bot_scan: BotScan) -> None:
    document = bot_scan.markdown.text
    duplicates = section(document, "Duplicated functions")
    pair = [line for line in duplicates.splitlines() if "`TradingService._round_price`" in line and "`TradingService._round_quantity`" in line]
    assert len(pair) == 1, duplicates
    # Both line ranges, and fixable by the precision codemod.
    assert re.search(r"`src/services/trading_service\.py:\d+-\d+` \| `src/services/trading_service\.py:\d+-\d+`",
                     pair[0]), pair[0]
    assert pair[0].endswith("| `precision` |")
    requirements = section(document, "Unpinned requirements")
    rows = markdown_table(requirements, "| place |")
    assert len(rows) == 1 and rows[0][0].startswith("`requirements.txt:")
    assert rows[0][1] == "high" and "websockets" in rows[0][2] and rows[0][3] == "`pin-requirements`"
    plan = section(document, "Plan")
    assert "### High priority" in plan and "### Medium priority" in plan and "### Low priority" in plan
    high = plan.split("### High priority", 1)[1].split("###", 1)[0]
    assert "`codemods apply --only pin-requirements`: 1 finding in 1 file" in high
    assert "src/main.py" in plan.split("### Medium priority", 1)[1] and "utcnow" in plan  # the refused site, by hand


def test_bot_markdown_logging_counts_match_the_json(bot_scan: BotScan) -> None:
    data = report_of(bot_scan.json)
    levels = data["logging_levels"]
    document = bot_scan.markdown.text
    logging = section(document, "Logging")
    header = next(line for line in logging.splitlines() if line.startswith("| file |"))
    names = [c.strip() for c in header.strip("|").split("|")][1:-1]
    rows = {row[0]: row[1:] for row in markdown_table(logging, "| file |")}
    assert set(rows) == {f"`{p}`" for p in levels} | {"**all files**"}
    for path, counts in levels.items():
        assert rows[f"`{path}`"] == [str(counts.get(n, 0)) for n in names] + [str(sum(counts.values()))]
    totals = {n: sum(c.get(n, 0) for c in levels.values()) for n in names}
    assert rows["**all files**"] == [f"**{totals[n]}**" for n in names] + [f"**{sum(totals.values())}**"]
    # The seed report's levels are all in use.
    assert all(totals[n] > 0 for n in ("debug", "info", "warning", "error"))
    assert f"{sum(totals.values())} log calls in {len(levels)} files; none formats its message eagerly." in logging


def test_bot_exact_codemod_counts(bot_scan: BotScan) -> None:
    data = report_of(bot_scan.json)
    fixable = {c: [f for f in found(data, c) if f["fix"]] for c in CODEMOD_OF}
    assert {c: len(v) for c, v in fixable.items()} == {
        "timestamp": 13, "precision": 2, "retry-loop": 2, "unpinned-requirement": 1,
    }
    assert all(f["fix"] == CODEMOD_OF[f["category"]] for v in fixable.values() for f in v)
    refused = [f for f in found(data, "timestamp") if not f["fix"]]
    assert len(refused) == 1, refused
    assert refused[0]["path"] == "src/main.py" and "utcnow()" in refused[0]["message"]
    assert refused[0]["details"]["refused"] is True and refused[0]["priority"] == "medium"
    assert all(not found(data, c) for c in ("commented-code", "unused-import", "redundant-file"))
    (websockets,) = found(data, "unpinned-requirement")
    assert websockets["path"] == "requirements.txt" and websockets["priority"] == "high"
    assert "websockets" in (REPO_ROOT / "examples/trading_bot/requirements.txt").read_text().splitlines()[
        websockets["line"] - 1]
    # The _round_quantity ~ _round_price pair, fixable by precision, with both ranges inside the file.
    (pair,) = [f for f in found(data, "duplicate-function")
               if {f["details"]["function"], f["details"]["other_function"]}
               == {"TradingService._round_price", "TradingService._round_quantity"}]
    assert pair["fix"] == "precision" and pair["path"] == "src/services/trading_service.py"
    assert pair["line"] < pair["end_line"]
    other = re.fullmatch(r"src/services/trading_service\.py:(\d+)-(\d+)", pair["details"]["other"])
    assert other and int(other.group(1)) < int(other.group(2)) < pair["line"]
    # The precision sites lie inside the two functions.
    for site in fixable["precision"]:
        assert site["path"] == pair["path"]
        assert int(other.group(1)) <= site["line"] <= int(other.group(2)) or pair["line"] <= site["line"] <= pair["end_line"]


def test_bot_fixable_counts_equal_diff_json(bot_scan: BotScan) -> None:
    data = report_of(bot_scan.json)
    assert_fixes_agree(data, bot_scan.diff)
    assert json.loads(bot_scan.diff.text)["summary"]["changes"] == {
        "pin-requirements": 1, "precision": 2, "retry": 2, "timestamp": 13,
    }


def test_bot_json_validates_and_round_trips(bot_scan: BotScan) -> None:
    data = report_of(bot_scan.json)
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert data["root"] == str(bot_scan.path) and data["failures"] == []
    report = ScanReport.from_dict(data)
    assert ScanReport.from_dict(json.loads(json_text(report))) == report
    assert json_text(report) == bot_scan.json.text  # the same bytes, elapsed_seconds included
    assert report.to_dict() == data


def test_bot_sarif_validates(bot_scan: BotScan) -> None:
    assert_sarif(bot_scan.sarif, report_of(bot_scan.json))


def test_bot_scan_is_deterministic(bot_scan: BotScan) -> None:
    """Two runs (one with -j 1, below the pool threshold anyway) give the same bytes."""
    assert bot_scan.markdown.out == bot_scan.markdown_again.out


# --- 3. each category, found and not found --------------------------------------------------------

DUPLICATE = '''\
def {name}(rows, key, limit=10):
    """Total the values of ``key`` over rows, skipping blanks."""
    total = 0
    seen = []
    for row in rows:
        value = row.get(key)
        if value is None or value == "":
            continue
        if len(seen) >= limit:
            break
        seen.append(value)
        total += float(value) * 2 + 1
    return {{"total": total, "count": len(seen), "key": key}}


def get_{name}(obj):
    return obj.{name}
'''
ORDERS = "import time\n\n\ndef order_id():\n    return 'bot-' + str(int(time.time() * 1000))\n"

CATEGORY_TREE: dict[str, str | bytes] = {
    "pyproject.toml": (
        '[tool.codemods.timestamp]\nhelper = "app.clock:get_timestamp"\n\n'
        '[tool.codemods.pin-requirements]\npins = { requests = "2.31.0" }\n'
    ),
    "requirements.txt": "requests\nflask==2.0.1\n",
    "requirements-dev.txt": "pytest\n",  # no version source: refused
    "main.py": (
        "import app.orders\nimport app.commented\nimport app.imports\nimport app.dup_a\nimport app.dup_b\n"
        "import app.logs\nimport app.retrying\nimport app.naive\nimport app.rounding\n\n\n"
        "def run():\n    return app.orders.order_id()\n\n\n"
        'if __name__ == "__main__":\n    run()\n'
    ),
    "app/__init__.py": "import json\n",
    "app/clock.py": "import time\n\n\ndef get_timestamp() -> int:\n    return int(time.time() * 1000)\n",
    "app/orders.py": ORDERS,
    "app/orders_copy.py": ORDERS,
    "app/orders.py.bak": "old orders module, kept by an editor\n",
    "app/orphan.py": "def unused_helper():\n    return 42\n",
    "app/naive.py": "import datetime\n\n\ndef stamp():\n    return int(datetime.datetime.utcnow().timestamp() * 1000)\n",
    "app/commented.py": (
        "# Copyright (c) 2024 Example Corp.\n"
        "# Licensed under the MIT licence.\n"
        "\n"
        "import os\n"
        "\n"
        "\n"
        "def home():\n"
        "    # Look the folder up once: the environment does not change while we run.\n"
        "    folder = os.environ.get('HOME', '/')\n"
        "    # old = os.getcwd()\n"
        "    # if old != folder:\n"
        "    #     print(old, folder)\n"
        "    return folder  # noqa: E501\n"
        "\n"
        "\n"
        "def cwd():\n"
        "    return os.getcwd()  # noqa\n"
    ),
    "app/imports.py": (
        "from __future__ import annotations\n"
        "\n"
        "import os\n"
        "import sys\n"
        "import json  # noqa: F401\n"
        "import re as re\n"
        "from typing import TYPE_CHECKING\n"
        "from collections import OrderedDict\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    from decimal import Decimal\n"
        "\n"
        '__all__ = ["OrderedDict", "price"]\n'
        "\n"
        "\n"
        "def price(value: Decimal) -> str:\n"
        "    return str(value) + sys.platform\n"
    ),
    "app/dup_a.py": DUPLICATE.format(name="sum_prices"),
    "app/dup_b.py": DUPLICATE.format(name="sum_volumes"),
    "app/logs.py": (
        "import logging\n"
        "\n"
        "logger = logging.getLogger(__name__)\n"
        "\n"
        "\n"
        "def report(user, count):\n"
        '    logger.info("user %s logged in", user)\n'
        '    logger.info(f"user {user} has {count} orders")\n'
        '    logger.debug("count %d", count)\n'
        '    logger.warning("slow")\n'
        '    logger.error("failed for %s", user)\n'
        '    logger.error("again %s", user)\n'
    ),
    "app/retrying.py": (
        "import asyncio\n"
        "\n"
        "\n"
        "async def fetch_balance(client, retries=4):\n"
        "    for attempt in range(retries):\n"
        "        try:\n"
        "            return await client.get_balance()\n"
        "        except (ConnectionError, TimeoutError):\n"
        "            if attempt < retries - 1:\n"
        "                await asyncio.sleep(0.5 * 2 ** attempt)\n"
        "            else:\n"
        "                raise\n"
    ),
    "app/rounding.py": (
        "from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal\n"
        "\n"
        "\n"
        "def _round_quantity(quantity, step_size):\n"
        "    return float(Decimal(str(quantity)).quantize(Decimal(str(step_size)), rounding=ROUND_DOWN))\n"
        "\n"
        "\n"
        "def _round_price(price, tick_size):\n"
        "    rounded = Decimal(str(price)).quantize(Decimal(str(tick_size)), rounding=ROUND_HALF_UP)\n"
        "    return float(rounded)\n"
    ),
    "tests/test_orders.py": (
        "from app.orders import order_id\n\n\ndef test_order_id():\n    assert order_id().startswith('bot-')\n"
    ),
}


FIXES = ("timestamp", "precision", "retry", "pin-requirements", "remove-commented-code", "remove-unused-imports")


@dataclass
class TreeScan:
    path: Path
    json: Result
    data: dict[str, Any]
    sarif: Result
    diff: Result
    before: dict[str, bytes]
    after: dict[str, bytes]


@pytest.fixture(scope="module")
def categories(tmp_path_factory: pytest.TempPathFactory) -> TreeScan:
    """The category tree scanned as JSON and SARIF, and diffed with every codemod (opt-in ones included)."""
    root = write_tree(tmp_path_factory.mktemp("categories") / "proj", CATEGORY_TREE)
    before = snapshot(root)
    only = [arg for name in FIXES for arg in ("--only", name)]
    result, sarif, diff = run_parallel(
        (scan("--format", "json"), root),
        (scan("--format", "sarif"), root),
        ((CODEMODS, "diff", "--json", *only), root),
    )
    assert result.code == 0, result
    return TreeScan(root, result, report_of(result), sarif, diff, before, snapshot(root))


def assert_sarif(result: Result, data: dict[str, Any]) -> None:
    """Valid SARIF 2.1.0; one result per finding, each with a known ruleId and, with a region, a startLine >= 1."""
    assert result.code == 0, result
    log = json.loads(result.text)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    (run,) = log["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    assert set(rules) == {f["category"] for f in data["findings"]}
    assert len(run["results"]) == len(data["findings"])
    regions = 0
    for item in run["results"]:
        assert item["ruleId"] in rules
        for location in item.get("locations", []):
            region = location.get("physicalLocation", {}).get("region")
            if region is not None:
                regions += 1
                assert region["startLine"] >= 1
    assert regions == sum(1 for f in data["findings"] if f["line"] >= 1)


def assert_fixes_agree(data: dict[str, Any], diff_result: Result) -> None:
    """The fixable sites of a scan are what `diff --json` changes: equal counts per codemod, each site in a hunk."""
    assert diff_result.code == 0, diff_result
    diff = json.loads(diff_result.text)
    sites = [f for f in data["findings"] if f["fix"] and f["category"] != "duplicate-function"]
    counts: dict[str, int] = {}
    for f in sites:
        counts[f["fix"]] = counts.get(f["fix"], 0) + 1
    assert diff["summary"]["changes"] == counts
    diffs = {entry["path"]: entry.get("diff") or "" for entry in diff["files"]}
    for f in sites:
        ranges = hunks(diffs.get(f["path"], ""))
        assert any(first <= f["line"] <= last for first, last in ranges), (f, ranges)


def test_categories_scan_writes_nothing(categories: TreeScan) -> None:
    assert categories.after == categories.before
    assert categories.data["failures"] == [] and categories.json.err == ""


def test_categories_sarif_and_fixes(categories: TreeScan) -> None:
    """Whole-file findings (redundant files, line 0) carry no region; opt-in fixes agree with `diff --only`."""
    assert_sarif(categories.sarif, categories.data)
    assert_fixes_agree(categories.data, categories.diff)


def test_commented_code_found_and_not(categories: TreeScan) -> None:
    (block,) = found(categories.data, "commented-code")
    assert (block["path"], block["line"], block["end_line"]) == ("app/commented.py", 10, 12)
    assert block["fix"] == "remove-commented-code" and block["priority"] == "low"
    assert block["message"] == "3 lines of commented-out code"


def test_unused_imports_found_and_not(categories: TreeScan) -> None:
    imports = {(f["path"], f["details"]["name"]): f for f in found(categories.data, "unused-import")}
    # `json  # noqa: F401`, `re as re`, `OrderedDict` in __all__ and the TYPE_CHECKING-only Decimal are not reported.
    assert set(imports) == {("app/imports.py", "os"), ("app/__init__.py", "json")}
    assert imports["app/imports.py", "os"]["line"] == 3
    assert imports["app/imports.py", "os"]["fix"] == "remove-unused-imports"
    assert imports["app/__init__.py", "json"]["fix"] is None  # maybe a re-export


def test_duplicate_functions_found_and_not(categories: TreeScan) -> None:
    (pair,) = found(categories.data, "duplicate-function")
    assert pair["path"] == "app/dup_b.py" and pair["details"]["function"] == "sum_volumes"
    assert pair["details"]["other_function"] == "sum_prices" and pair["details"]["other"] == "app/dup_a.py:1-13"
    assert (pair["line"], pair["end_line"]) == (1, 13)
    assert 0.9 <= pair["details"]["similarity"] <= 1.0 and pair["priority"] == "medium"
    # the one-line getters (and the small rounding helpers) are below the size threshold
    assert "get_" not in json.dumps(found(categories.data, "duplicate-function"))


def test_codemod_sites_fixable_and_refused(categories: TreeScan) -> None:
    data = categories.data
    sites = {(f["category"], f["path"], f["line"]): f for f in data["findings"] if f["category"] in CODEMOD_OF}
    fixable = {key for key, f in sites.items() if f["fix"]}
    assert fixable == {
        ("timestamp", "app/orders.py", 5), ("timestamp", "app/orders_copy.py", 5),
        ("precision", "app/rounding.py", 5), ("precision", "app/rounding.py", 9),
        ("retry-loop", "app/retrying.py", 5), ("unpinned-requirement", "requirements.txt", 1),
    }
    for key in fixable:
        assert sites[key]["fix"] == CODEMOD_OF[key[0]] and sites[key]["details"]["codemod"] == sites[key]["fix"]
    assert sites["retry-loop", "app/retrying.py", 5]["end_line"] == 12
    assert sites["unpinned-requirement", "requirements.txt", 1]["priority"] == "high"
    refused = {key: f for key, f in sites.items() if not f["fix"]}
    assert set(refused) == {("timestamp", "app/naive.py", 5), ("unpinned-requirement", "requirements-dev.txt", 1)}
    for f in refused.values():
        assert f["details"]["refused"] is True and f["fix"] is None
    assert "utcnow" in refused["timestamp", "app/naive.py", 5]["message"]
    assert "pytest" in refused["unpinned-requirement", "requirements-dev.txt", 1]["message"]
    assert "no version source" in refused["unpinned-requirement", "requirements-dev.txt", 1]["message"]


def test_unpinned_requirement_message_names_the_requirement(categories: TreeScan) -> None:
    """The site's message is the codemod's own note on it, not pin-requirements' summary (which names websockets)."""
    (site,) = found(categories.data, "unpinned-requirement", "requirements.txt")
    assert "requests" in site["message"] and "2.31.0" in site["message"] and "websockets" not in site["message"]
    # One pin-requirements refuses is as unpinned as one it fixes.
    (refused,) = found(categories.data, "unpinned-requirement", "requirements-dev.txt")
    assert refused["priority"] == "high"


def test_redundant_files_found_and_not(categories: TreeScan) -> None:
    redundant = {f["path"]: f for f in found(categories.data, "redundant-file")}
    assert set(redundant) == {"app/orders.py.bak", "app/orders_copy.py", "app/orphan.py"}
    assert redundant["app/orders.py.bak"]["details"]["kind"] == "leftover"
    assert redundant["app/orders_copy.py"]["details"] == {"kind": "duplicate", "other": "app/orders.py",
                                                         "size": len(ORDERS)}
    assert redundant["app/orphan.py"]["details"]["kind"] == "unimported"
    assert redundant["app/orphan.py"]["priority"] == "low"
    for f in redundant.values():
        assert f["line"] == 0 and f["fix"] is None
    # main.py (a __main__ guard), tests, __init__.py and the configured helper module are not reported.


def test_logging_levels_and_eager_messages(categories: TreeScan) -> None:
    assert categories.data["logging_levels"] == {"app/logs.py": {"debug": 1, "info": 2, "warning": 1, "error": 2}}
    (eager,) = found(categories.data, "logging")
    assert (eager["path"], eager["line"], eager["priority"], eager["fix"]) == ("app/logs.py", 8, "low", None)
    assert eager["details"] == {"eager": "f-string", "level": "info"}


# --- 2. output files ----------------------------------------------------------------------------


def test_output_file_relative_missing_folder_and_errors(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {"app/__init__.py": "", "app/mod.py": "import os\n"})
    here = tmp_path / "here"
    here.mkdir()
    (tmp_path / "a_file").write_text("x")
    md, js, missing, into_dir, under_file, plain = run_parallel(
        (scan(root, "--format", "markdown", "--output", "report.md"), here),
        (scan(root, "--format", "json", "-o", tmp_path / "abs.json"), here),
        (scan(root, "--format", "json", "--output", "new/deeper/r.json"), here),
        (scan(root, "--output", root), here),
        (scan(root, "--output", tmp_path / "a_file" / "r.md"), here),
        (scan(root, "--format", "markdown"), here),
    )
    for result in (md, js, missing):
        assert result.code == 0 and result.out == b"", result
        assert "report written to" in result.err
    assert (here / "report.md").read_bytes() == plain.out  # relative to the current folder
    assert not (root / "report.md").exists()
    assert report_of(Result(js.args, 0, (tmp_path / "abs.json").read_bytes(), ""))["findings"]
    # A missing folder is created (like `git format-patch -o`), not an error.
    assert json.loads((here / "new/deeper/r.json").read_text())["schema_version"] == 1
    assert_one_line_error(into_dir, "--output", "is a directory")
    assert_one_line_error(under_file, "cannot write the report")


# --- 4. --fail-on -------------------------------------------------------------------------------


def test_fail_on(tmp_path: Path) -> None:
    pinned_config = '[tool.codemods.pin-requirements]\npins = { requests = "2.31.0" }\n'
    unpinned = write_tree(tmp_path / "unpinned", {"pyproject.toml": pinned_config, "requirements.txt": "requests\n",
                                                  "mod.py": "import os\n"})
    pinned = write_tree(tmp_path / "pinned", {"pyproject.toml": pinned_config, "requirements.txt": "requests==2.31.0\n",
                                              "mod.py": "import os\n"})
    low_only = write_tree(tmp_path / "low", {"mod.py": "import os\n"})
    clean = write_tree(tmp_path / "clean", {"mod.py": "import os\n\nprint(os.sep)\n"})
    results = run_parallel(
        (scan("--fail-on", "high"), unpinned),
        (scan("--fail-on", "high"), pinned),
        (scan("--fail-on", "low"), low_only),
        (scan("--fail-on", "medium"), low_only),
        (scan(), unpinned),
        (scan("--fail-on", "low", "--format", "json"), clean),
    )
    high_unpinned, high_pinned, low_low, medium_low, none_unpinned, low_clean = results
    assert high_unpinned.code == 1, high_unpinned
    assert high_unpinned.err_lines == ["codemods: findings of priority high (--fail-on high)"]
    assert high_pinned.code == 0, high_pinned
    assert "Unused imports" in high_pinned.text  # found, but below the bar
    assert low_low.code == 1 and "(--fail-on low)" in low_low.err, low_low
    assert medium_low.code == 0, medium_low
    assert none_unpinned.code == 0 and "requirements.txt:1" in none_unpinned.text, none_unpinned
    assert low_clean.code == 0 and report_of(low_clean)["findings"] == [], low_clean


def test_fail_on_high_with_an_unpinnable_requirement(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {"requirements.txt": "requests\n"})
    result = run_cli("scan", "--fail-on", "high", cwd=root)
    assert result.code == 1, result
    assert "requirements.txt:1: requests" in result.text


# --- 5. failures and opt-outs -------------------------------------------------------------------


def test_bad_files_never_stop_the_run(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {
        "app/__init__.py": "",
        "app/good.py": "import os\n",
        "app/also_good.py": "import logging\n\nlogging.getLogger(__name__).info('ok')\n",
        "app/broken.py": "import time\n\ndef f(:\n    return 1\n",
        "app/binary.py": b'import sys\nx = "caf\xe9\xff\xfe"\n',
        "app/skipped.py": "# codemods: skip-file\nimport os\n",
        "app/gen.py": "# @generated by protoc\nimport os\n",
    })
    before = snapshot_stat(root)
    default, generated, markdown = run_parallel(
        (scan("--format", "json"), root),
        (scan("--format", "json", "--include-generated"), root),
        (scan("--format", "markdown"), root),
    )
    assert snapshot_stat(root) == before
    for result in (default, generated, markdown):
        assert result.code == 3, result
        assert "Traceback" not in result.err
        lines = result.err_lines
        assert any(line.startswith("app/broken.py:3: ") and "syntax" in line for line in lines), result
        assert any(line.startswith("app/binary.py: ") and "decode" in line for line in lines), result
        assert not any("good" in line for line in lines)
    data = report_of(default)
    assert [f["path"] for f in data["failures"]] == ["app/binary.py", "app/broken.py"]
    imports = {f["path"] for f in found(data, "unused-import")}
    assert imports == {"app/good.py"}  # not skipped.py, not gen.py
    assert data["logging_levels"] == {"app/also_good.py": {"info": 1}}
    assert {f["path"] for f in found(report_of(generated), "unused-import")} == {"app/good.py", "app/gen.py"}
    assert "## Failures" in markdown.text and "`app/broken.py`" in section(markdown.text, "Failures")


# --- 6. usage errors ----------------------------------------------------------------------------


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    good = write_tree(tmp_path / "good", {"mod.py": "import os\n"})
    bad_config = write_tree(tmp_path / "bad", {"mod.py": "import os\n",
                                               "pyproject.toml": "[tool.codemods]\nbogus = 1\n"})
    bad_codemod = write_tree(tmp_path / "bad2", {"mod.py": "import os\n",
                                                 "pyproject.toml": "[tool.codemods.timestamp]\nhelpr = 'a:b'\n"})
    results = run_parallel(
        (scan("--format", "yaml"), good),
        (scan("does/not/exist"), good),
        (scan(), bad_config),
        (scan(), bad_codemod),
        (scan("--config", "missing.toml"), good),
        (scan("--fail-on", "urgent"), good),
        (scan("-j", "0"), good),
    )
    fmt, path, config, codemod, missing, fail_on, jobs = results
    assert_one_line_error(fmt, "--format", "yaml")
    assert_one_line_error(path, "does/not/exist", "no such file or directory")
    assert_one_line_error(config, "pyproject.toml", "bogus")
    assert_one_line_error(codemod, "pyproject.toml", "helpr")
    assert_one_line_error(missing, "missing.toml")
    assert_one_line_error(fail_on, "--fail-on")
    assert_one_line_error(jobs, "--jobs")
    for result in results:
        assert result.out == b""


# --- 7. determinism -----------------------------------------------------------------------------


def many_modules(count: int) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "pyproject.toml": '[tool.codemods.timestamp]\nhelper = "pkg.clock:get_timestamp"\n',
        "pkg/__init__.py": "",
        "pkg/clock.py": "import time\n\n\ndef get_timestamp() -> int:\n    return int(time.time() * 1000)\n",
    }
    for i in range(count):
        body = ["import logging", "import time"]
        if i % 3 == 0:
            body.append("import json")
        body += ["", f"from pkg import mod{(i + 1) % count:02d}" if i % 4 == 0 else "", "",
                 "logger = logging.getLogger(__name__)", "", "",
                 f"def stamp_{i}():"]
        body.append(f'    logger.info(f"stamp {{{i}}}")' if i % 2 else f'    logger.debug("stamp %s", {i})')
        if i % 5 == 0:
            body += ["    # value = stamp_0()", "    # print(value)"]
        body += ["    return int(time.time() * 1000)", "", ""]
        if i % 7 == 0:
            body.append(DUPLICATE.format(name=f"total_{i}"))
        files[f"pkg/mod{i:02d}.py"] = "\n".join(body) + "\n"
    return files


def test_two_runs_and_jobs_give_the_same_report(tmp_path: Path) -> None:
    files = many_modules(44)
    files["pkg/broken.py"] = "def f(:\n    pass\n"  # a failure reported from a worker process
    root = write_tree(tmp_path / "many", files)
    results = run_parallel(
        (scan("--format", "json", "-j", "1"), root),
        (scan("--format", "json", "-j", "2"), root),
        (scan("--format", "markdown", "-j", "1"), root),
        (scan("--format", "markdown", "-j", "2"), root),
    )
    for result in results:
        assert result.code == 3, result
        assert result.err_lines == ["pkg/broken.py:1: syntax error: invalid syntax"], result
    one, two, md, md_again = results
    data = report_of(one)
    assert data["files_scanned"] == 48
    assert data["failures"] == [{"path": "pkg/broken.py", "reason": "1: syntax error: invalid syntax"}]
    assert len(found(data, "timestamp")) == 44 and len(found(data, "logging")) == 22
    assert len(found(data, "duplicate-function")) >= 6 and len(found(data, "commented-code")) == 9
    assert without_elapsed(one.text) == without_elapsed(two.text)
    assert md.out == md_again.out


# --- scanning part of a checkout ----------------------------------------------------------------


def test_scanning_a_subfolder_does_not_call_used_modules_unimported(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {
        "app/__init__.py": "",
        "app/core.py": "from app import helpers\n\n\ndef run():\n    return helpers.VALUE\n",
        "app/helpers.py": "VALUE = 1\n",
        "main.py": 'from app.core import run\n\nif __name__ == "__main__":\n    run()\n',
    })
    init_repo(root)
    commit_all(root)
    whole, part = run_parallel((scan("--format", "json"), root), (scan("app", "--format", "json"), root))
    assert found(report_of(whole), "redundant-file") == []
    assert found(report_of(part), "redundant-file") == []


def test_exclude_leaves_files_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "proj", {"keep.py": "import os\n", "gen/skip_me.py": "import sys\n"})
    result = run_cli("scan", "--format", "json", "--exclude", "gen/*", cwd=root)
    assert result.code == 0, result
    assert {f["path"] for f in found(report_of(result), "unused-import")} == {"keep.py"}
