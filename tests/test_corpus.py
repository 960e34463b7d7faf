"""Every codemod over real third-party source, and the harness that checks it.

The corpus is the installed source of pinned pure-Python packages (the
project's own dependencies plus python-binance and ccxt, which hold real
hand-written timestamps), committed to a fresh git repository: `codemods diff`
and `apply` run on it with every codemod, opt-in ones included, and
``corpus_harness.check`` lists any property that does not hold (no crash,
changed files parse, a second run changes nothing, unchanged files
byte-identical, the patch is what apply writes).

The harness's own tests at the end seed bugs into a plugin codemod and show
that ``check`` names each one; they need no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import PathDistribution
from pathlib import Path

import pytest

from conftest import BOT_SOURCE, CLOCK_SOURCE, ORDERS_SOURCE, clean_env, commit_all, init_repo, write_tree
from corpus_harness import CorpusReport, check, every_codemod, parse_error, run_corpus, table

# Pinned so the corpus, and the counts asserted below, stay the same.
PACKAGES = (
    "python-binance==1.0.37",
    "ccxt==4.5.90",
    "click==8.5.1",
    "GitPython==3.2.1",
    "packaging==26.4",
    "tomlkit==0.15.3",
)
BUILT_IN = ("pin-requirements", "precision", "remove-commented-code", "remove-unused-imports", "retry", "timestamp")
CORPUS_PYPROJECT = """\
[tool.codemods.timestamp]
helper = "corpus_support.clock:get_timestamp"

[tool.codemods.precision]
functions = ["round_step_size"]  # python-binance's hand-written step rounding

[tool.codemods.pin-requirements]
pins = { requests = "2.32.5", six = "1.17.0" }
"""
# What the codemods do on this corpus, read and checked by hand (see the module docstring of
# each codemod for why): a change here needs a look at the new diff, not just a new number.
TIMESTAMP_SITES = {
    "binance/async_client.py": 3,  # int(time.time() * 1000), twice in comparisons, once as endTime=
    "binance/client.py": 2,
    "ccxt/base/exchange.py": 1,  # Exchange.milliseconds(): time.time_ns() // 1_000_000
    "ccxt/base/order_router.py": 1,
    "ccxt/test/tests_init.py": 1,  # under a function-local `import time`
}
TIMESTAMP_REFUSALS = {"binance/base_client.py:408", "binance/base_client.py:519"}  # + self.timestamp_offset
RETRY_REFUSALS = {"git/util.py:1306"}  # a lock-polling `while True`, not a retry


def _install(target: Path) -> None:
    """pip-install the corpus into ``target``; skip without the package index (fail on CI)."""
    argv = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
        "--disable-pip-version-check", "--target", str(target), *PACKAGES,
    ]
    try:
        proc = subprocess.run(argv, env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
        problem = proc.stderr.decode("utf-8", "replace").strip()[-1500:] if proc.returncode else ""
    except subprocess.TimeoutExpired:
        problem = "pip timed out after 600 s"
    if problem:
        reason = f"cannot install the corpus ({' '.join(PACKAGES)}); is the package index reachable? {problem}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _requirements(site: Path) -> str:
    """A requirements file of what the installed packages declare (extras left out), as each declares it."""
    lines = []
    for info in sorted(site.glob("*.dist-info")):
        dist = PathDistribution(info)
        lines.append(f"# {dist.metadata['Name']} {dist.version}")
        lines.extend(req for req in dist.requires or () if "extra ==" not in req)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git checkout of the corpus packages' sources (no dist-info, no bin), committed and clean."""
    site = tmp_path_factory.mktemp("site")
    _install(site)
    root = init_repo(tmp_path_factory.mktemp("corpus") / "repo")
    for entry in sorted(site.iterdir()):
        if entry.is_dir() and not entry.name.endswith(".dist-info") and entry.name not in {"bin", "__pycache__"}:
            shutil.copytree(entry, root / entry.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    write_tree(
        root,
        {
            "pyproject.toml": CORPUS_PYPROJECT,
            "requirements.txt": _requirements(site),
            "corpus_support/__init__.py": "",
            "corpus_support/clock.py": CLOCK_SOURCE,
        },
    )
    commit_all(root, "corpus")
    return root


@pytest.fixture(scope="session")
def corpus_report(corpus: Path) -> CorpusReport:
    return run_corpus(corpus, every_codemod(corpus))


@pytest.mark.corpus
@pytest.mark.slow
def test_every_property_holds_on_the_corpus(corpus_report: CorpusReport, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():  # the per-codemod table, shown even without -s
        print(f"\ncorpus: {' '.join(PACKAGES)}\n{table(corpus_report)}")
    assert check(corpus_report) == []
    assert corpus_report.input_errors == []  # every file of the corpus parses


@pytest.mark.corpus
@pytest.mark.slow
def test_every_codemod_ran_and_had_work(corpus_report: CorpusReport) -> None:
    assert set(corpus_report.codemods) == set(BUILT_IN)
    idle = [name for name in BUILT_IN if not corpus_report.sites.get(name) and not corpus_report.refusals[name]]
    assert idle == [], "a codemod neither changed nor refused anything on the corpus"
    assert corpus_report.files > 800 and len(corpus_report.changed) >= 20


@pytest.mark.corpus
@pytest.mark.slow
def test_timestamp_on_binance_and_ccxt(corpus: Path, corpus_report: CorpusReport) -> None:
    changed = {path for path in corpus_report.changed if path.startswith(("binance/", "ccxt/"))}
    assert corpus_report.sites["timestamp"] == sum(TIMESTAMP_SITES.values())
    assert corpus_report.files_per_codemod["timestamp"] == len(TIMESTAMP_SITES)
    assert set(TIMESTAMP_SITES) <= changed
    assert {f"{r.path}:{r.line}" for r in corpus_report.refusals["timestamp"]} == TIMESTAMP_REFUSALS
    assert all("offset" in r.reason for r in corpus_report.refusals["timestamp"])
    # The applied code calls the helper and no longer computes milliseconds by hand.
    for path in TIMESTAMP_SITES:
        text = (corpus / path).read_text(encoding="utf-8")
        assert "from corpus_support.clock import get_timestamp" in text, path
        assert "int(time.time() * 1000)\n" not in text, path


@pytest.mark.corpus
@pytest.mark.slow
def test_other_codemods_on_the_corpus(corpus: Path, corpus_report: CorpusReport) -> None:
    assert {f"{r.path}:{r.line}" for r in corpus_report.refusals["retry"]} == RETRY_REFUSALS
    assert corpus_report.sites.get("precision") == 1  # binance.helpers.round_step_size
    assert "binance/utils/exchange_precision.py" in corpus_report.created
    assert corpus_report.sites.get("pin-requirements") == 2  # requests and six, from the pins
    pinned = (corpus / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "requests==2.32.5" in pinned and "six==1.17.0" in pinned
    refused = {r.reason.split()[0] for r in corpus_report.refusals["pin-requirements"]}
    assert refused == {"dateparser", "aiohttp", "websockets", "pycryptodome"}


# --- the harness itself: seeded bugs it must name ------------------------------------------------

SEEDED = '''\
"""Codemods with one deliberate bug each, to prove the corpus harness catches it."""
from pathlib import Path

import libcst as cst

from codemods.base import PythonCodemod, TextCodemod

DOC = """
## What it does
A seeded bug for the harness tests.
## Why
The harness must fail on it.
## Safety
None: it is broken on purpose.
"""


class DropComma(TextCodemod):
    __doc__ = DOC
    NAME = "drop-comma"
    SUMMARY = "loses the comma of a call (output does not parse)"
    FILES = ("*.py",)

    def transform_text(self, text):
        self.changes = text.count("total(1, 2)")
        return text.replace("total(1, 2)", "total(1 2)")


class RawNewline(PythonCodemod):
    __doc__ = DOC
    NAME = "raw-newline"
    SUMMARY = "puts an unescaped newline in a string literal (the engine re-parses and drops it)"
    TRIGGERS = ("seeded",)

    def leave_SimpleString(self, original, updated):
        if updated.value != '"seeded"':
            return updated
        return self.replace(original, updated, updated.with_changes(value='"seed\\ned"'))


class StampEachRun(TextCodemod):
    __doc__ = DOC
    NAME = "stamp-each-run"
    SUMMARY = "appends a comment on every run (not idempotent)"
    FILES = ("*.py",)

    def transform_text(self, text):
        if "def total" not in text:
            return text
        self.changes = 1
        return text + "# stamped\\n"


class CrlfToLf(TextCodemod):
    __doc__ = DOC
    NAME = "crlf-to-lf"
    SUMMARY = "rewrites CRLF line endings to LF in files it has nothing to do in"
    FILES = ("*.py",)

    def transform_text(self, text):
        return text.replace("\\r\\n", "\\n")


class SideEffect(TextCodemod):
    __doc__ = DOC
    NAME = "side-effect"
    SUMMARY = "writes a neighbour file behind the engine's back, also in a dry run"
    FILES = ("*.py",)

    def transform_text(self, text):
        if self.file.path.endswith("orders.py"):
            neighbour = Path(self.file.path).parent / "crlf.py"
            neighbour.write_bytes(neighbour.read_bytes().replace(b"\\r\\n", b"\\n"))
        return text


class ShoutTodo(TextCodemod):
    __doc__ = DOC
    NAME = "shout-todo"
    SUMMARY = "a correct plugin: todo: -> TODO:"
    FILES = ("*.py",)

    def transform_text(self, text):
        marker = "# " + "todo:"
        self.changes = text.count(marker)
        return text.replace(marker, marker.upper())
'''
SMALL_PYPROJECT = """\
[tool.codemods]
plugins = ["seeded.bugs"]
exclude = ["seeded/**"]

[tool.codemods.timestamp]
helper = "app.clock:get_timestamp"
"""
CALLS_SOURCE = (
    'LABEL = "seeded"\n'
    "\n"
    "\n"
    "def total(a, b):\n"
    "    return a + b\n"
    "\n"
    "\n"
    "print(total(1, 2))  # todo: name it\n"
)
CRLF_SOURCE = b"import os\r\n\r\n\r\ndef home():\r\n    return os.getcwd()\r\n"


def small_corpus(root: Path) -> Path:
    """A few files written here plus one real module (the bundled bot's circuit breaker), committed."""
    write_tree(
        init_repo(root),
        {
            "pyproject.toml": SMALL_PYPROJECT,
            "seeded/__init__.py": "",
            "seeded/bugs.py": SEEDED,
            "app/__init__.py": "",
            "app/clock.py": CLOCK_SOURCE,
            "app/orders.py": ORDERS_SOURCE,
            "app/calls.py": CALLS_SOURCE,
            "app/crlf.py": CRLF_SOURCE,
            "app/circuit_breaker.py": (BOT_SOURCE / "src/core/circuit_breaker.py").read_bytes(),
        },
    )
    commit_all(root)
    return root


def titles(problems: list[str]) -> set[str]:
    return {problem.split(": ", 1)[0] for problem in problems}


def test_control_a_correct_plugin_passes(tmp_path: Path) -> None:
    root = small_corpus(tmp_path / "small")
    names = every_codemod(root)
    assert {"drop-comma", "shout-todo", *BUILT_IN} <= set(names)
    report = run_corpus(root, (*BUILT_IN, "shout-todo"))
    assert check(report) == []
    assert report.sites == {"shout-todo": 1, "timestamp": 2}
    assert report.changed == ["app/calls.py", "app/circuit_breaker.py", "app/orders.py"]
    assert b"get_timestamp()" in (root / "app/circuit_breaker.py").read_bytes()


def test_seeded_comma_drop_is_caught(tmp_path: Path) -> None:
    # The engine re-parses a text codemod's Python output too: the comma-less
    # call is dropped, the file stays as it was, and the harness fails on the
    # engine's own report of the bug.
    root = small_corpus(tmp_path / "small")
    report = run_corpus(root, (*BUILT_IN, "drop-comma"))
    problems = check(report)
    assert titles(problems) == {"crash"}, problems
    assert any("app/calls.py:0: drop-comma: output did not parse" in p for p in problems), problems
    assert b"total(1, 2)" in (root / "app/calls.py").read_bytes()


def test_the_harness_parse_check_itself() -> None:
    # Behind the engine's check, the harness compiles every changed file again:
    # a file that parsed and no longer does is named with its line.
    assert parse_error("app/calls.py", b"print(total(1, 2))\n") is None
    error = parse_error("app/calls.py", b"x = 1\nprint(total(1 2))\n")
    assert error is not None and error.startswith("2: ")
    report = CorpusReport(
        codemods=("drop-comma",), files=1, changed=["app/calls.py"], created=[], announced=["app/calls.py"],
        sites={}, applied_sites={}, files_per_codemod={}, refusals={}, input_errors=[],
        unparsable=[f"app/calls.py:{error}"],
    )
    assert check(report) == [f"does not parse after apply: app/calls.py:{error}"]


def test_seeded_bug_the_engine_drops_is_still_reported(tmp_path: Path) -> None:
    # The engine re-parses a Python codemod's output and drops what does not parse:
    # the tree stays as it was, and the harness fails through the engine's own report.
    root = small_corpus(tmp_path / "small")
    report = run_corpus(root, (*BUILT_IN, "raw-newline"))
    problems = check(report)
    assert titles(problems) == {"crash"}, problems
    assert "app/calls.py" not in report.changed
    for step in ("diff", "apply", "second diff"):
        assert any(p.startswith(f"crash: {step}: app/calls.py:0: raw-newline: output did not parse") for p in problems), problems


def test_seeded_non_idempotent_codemod_is_caught(tmp_path: Path) -> None:
    root = small_corpus(tmp_path / "small")
    report = run_corpus(root, (*BUILT_IN, "stamp-each-run"))
    assert check(report) == ["second run not empty: app/calls.py: would change again (stamp-each-run)",
                             "second run not empty: sites changed by the second run: {'stamp-each-run': 1}"]


def test_seeded_line_ending_rewrite_is_caught(tmp_path: Path) -> None:
    root = small_corpus(tmp_path / "small")
    report = run_corpus(root, (*BUILT_IN, "crlf-to-lf"))
    assert check(report) == ["line endings changed: app/crlf.py"]
    assert (root / "app/crlf.py").read_bytes() == CRLF_SOURCE.replace(b"\r\n", b"\n")


def test_seeded_unannounced_write_is_caught(tmp_path: Path) -> None:
    root = small_corpus(tmp_path / "small")
    report = run_corpus(root, (*BUILT_IN, "side-effect"))
    assert check(report) == [
        "the dry run wrote: app/crlf.py",
        "changed but not announced by diff: app/crlf.py",
        "line endings changed: app/crlf.py",
    ]
