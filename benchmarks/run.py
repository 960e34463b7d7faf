"""Time codemods against libcst's own runner and a regex floor, on real third-party code.

    python benchmarks/run.py [--work DIR] [--repeat N] [--skip-libcst]

Builds the corpus (the same pinned packages as tests/test_corpus.py, installed
with `pip install --no-deps --target`, copied into a git repository), then
times, on the same files, each in a fresh process:

  (a) python -m libcst.tool codemod timestamp.Timestamp   (our codemod, run by libcst's runner)
  (b) codemods diff --only timestamp                      (cold: --no-cache; warm: cache filled)
  (c) codemods diff with every codemod, opt-in ones included (cold)
  (d) the floor: one process reading every .py file and running a regular expression

and (b) and (d) again on the files (b) cannot match, and on the corpus doubled
with such files. Neither run has a helper configured, so both find and report
the same sites and rewrite nothing: the same work, and nothing written.
Prints Markdown tables (medians of --repeat runs; libcst's runner once) and the
phase timings of a cold (b) run. Needs the network once, for the packages.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODEMODS = BIN / "codemods"
# The corpus of tests/test_corpus.py: pure-Python packages with real hand-written
# timestamps and retry loops (python-binance, ccxt) and the project's own dependencies.
PACKAGES = ("python-binance==1.0.37", "ccxt==4.5.90", "click==8.5.1", "GitPython==3.2.1", "packaging==26.4", "tomlkit==0.15.3")
PACKAGE_DIRS = ("binance", "ccxt", "click", "git", "packaging", "tomlkit")
FLOOR_PATTERN = r"int\(\s*time\.time\(\)\s*\*\s*1000\s*\)|time_ns\(\)\s*//"
# Runs the command given as arguments and prints its wall time and the peak RSS of
# its largest process (the children's maximum: a pool's biggest worker or the parent).
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "elapsed = time.perf_counter() - started\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)\n"
)
FLOOR = (
    "import pathlib, re, sys\n"
    "pattern = re.compile(sys.argv[2].encode())\n"
    "hits = sum(1 for p in pathlib.Path(sys.argv[1]).rglob('*.py') if pattern.search(p.read_bytes()))\n"
    "print(hits, file=sys.stderr)\n"
)


@dataclass
class Timing:
    label: str
    seconds: float
    peak_mb: float
    stderr: str


def measure(label: str, command: list[str], cwd: Path, repeat: int) -> Timing:
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True)
        seconds, peak_kb, code = done.stdout.split()
        if int(code) not in (0, 1):
            raise SystemExit(f"{label}: exit {code}\n{done.stderr[-2000:]}")
        runs.append(Timing(label, float(seconds), int(peak_kb) / 1024, done.stderr))
    runs.sort(key=lambda t: t.seconds)
    return runs[len(runs) // 2]


def build_corpus(work: Path) -> Path:
    site = work / "site"
    if not site.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), *PACKAGES],
            check=True,
        )
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir()
    for name in PACKAGE_DIRS:
        shutil.copytree(site / name, corpus / name, ignore=shutil.ignore_patterns("__pycache__"))
    _commit(corpus)
    return corpus


def _commit(path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "corpus"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)


def python_files(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*.py") if ".git" not in p.parts)


def size(path: Path) -> tuple[int, int]:
    files = python_files(path)
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def non_matching(corpus: Path, dest: Path, prefix: str) -> None:
    """Copy the files the timestamp codemod's prefilter turns away into ``dest/prefix``."""
    from codemods.transforms.timestamp import Timestamp

    for path in python_files(corpus):
        text = path.read_text("utf-8", "replace")
        if not Timestamp.wants(path.name, text, None):
            target = dest / prefix / path.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def libcst_tool(corpus: Path, work: Path) -> Timing:
    scratch = work / "libcst-tool"
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(corpus, scratch, ignore=shutil.ignore_patterns(".git", ".codemods_cache"))
    (scratch / ".libcst.codemod.yaml").write_text(
        "generated_code_marker: '@generated'\nformatter: []\nblacklist_patterns: []\n"
        "modules:\n- 'codemods.transforms'\nrepo_root: '.'\n"
    )
    return measure(
        "(a) libcst.tool codemod timestamp",
        [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "timestamp.Timestamp", "."],
        scratch, 1,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, help="Folder for the corpus [a temporary one].")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-libcst", action="store_true", help="Leave out (a), which takes minutes.")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="codemods-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(work)
    files, lines = size(corpus)
    timestamp = [str(CODEMODS), "diff", "--only", "timestamp"]
    everything = [str(CODEMODS), "diff", "--no-cache"] + [
        f"--only={name}" for name in _all_codemods()
    ]
    floor_command = [sys.executable, "-c", FLOOR, ".", FLOOR_PATTERN]

    rows: list[tuple[Timing, int, int]] = []
    floor = measure("(d) floor: read + regex", floor_command, corpus, args.repeat)
    cold = measure("(b) codemods diff --only timestamp, cold", [*timestamp, "--no-cache", "--timings"], corpus, args.repeat)
    subprocess.run([*timestamp], cwd=corpus, capture_output=True)  # fill the cache
    warm = measure("(b) codemods diff --only timestamp, warm cache", timestamp, corpus, args.repeat)
    shutil.rmtree(corpus / ".codemods_cache", ignore_errors=True)
    every = measure("(c) codemods diff, every codemod, cold", everything, corpus, args.repeat)
    tool = None if args.skip_libcst else libcst_tool(corpus, work)
    rows += [(t, files, lines) for t in (tool, cold, warm, every, floor) if t is not None]

    # The files (b) cannot match, alone, and added to the corpus (doubling its size).
    quiet = work / "non-matching"
    shutil.rmtree(quiet, ignore_errors=True)
    non_matching(corpus, quiet, "copy")
    _commit(quiet)
    q_files, q_lines = size(quiet)
    q_cold = measure("(b) cold, only files with no match", [*timestamp, "--no-cache"], quiet, args.repeat)
    q_floor = measure("(d) floor, only files with no match", floor_command, quiet, args.repeat)
    doubled = work / "doubled"
    shutil.rmtree(doubled, ignore_errors=True)
    shutil.copytree(corpus, doubled, ignore=shutil.ignore_patterns(".git", ".codemods_cache"))
    non_matching(corpus, doubled, "copy")
    non_matching(corpus, doubled, "copy2")
    _commit(doubled)
    d_files, d_lines = size(doubled)
    d_cold = measure("(b) cold, corpus + non-matching copies", [*timestamp, "--no-cache"], doubled, args.repeat)
    rows += [(q_cold, q_files, q_lines), (q_floor, q_files, q_lines), (d_cold, d_files, d_lines)]

    print(f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"libcst {_version('libcst')}, corpus: {', '.join(PACKAGES)}\n")
    print("| run | files | lines | seconds | files/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for timing, n_files, n_lines in rows:
        print(f"| {timing.label} | {n_files} | {n_lines:,} | {timing.seconds:.2f} | {n_files / timing.seconds:,.0f} | {timing.peak_mb:.0f} |")
    print()
    if tool is not None:
        print(f"- (a)/(b) cold: {tool.seconds / cold.seconds:.1f}x; (a)/(b) warm: {tool.seconds / warm.seconds:.1f}x")
    print(f"- (b) cold/(d) on the whole corpus: {cold.seconds / floor.seconds:.1f}x; "
          f"on the files with no match: {q_cold.seconds / q_floor.seconds:.1f}x")
    print(f"- corpus {files} files -> {d_files} files (+{d_files - files} with no match): "
          f"(b) cold {cold.seconds:.2f}s -> {d_cold.seconds:.2f}s")
    phases = [line for line in cold.stderr.splitlines() if line.startswith(("timings", "per file"))]
    summary = [line for line in cold.stderr.splitlines() if line.startswith("codemods diff:")]
    print("\nWhere a cold (b) run's time goes:\n")
    for line in summary + phases:
        print(f"    {line}")


def _all_codemods() -> list[str]:
    done = subprocess.run([str(CODEMODS), "list"], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


if __name__ == "__main__":
    main()
