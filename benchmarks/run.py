"""Time `codemods diff` on checkouts, several runs each, and print a Markdown table.

    python benchmarks/run.py [PATH ...]        (default: the bundled example and this repository)

Wall time of the real console script in a subprocess (start-up included), with
-j 1 and with the default number of jobs; the median of --repeat runs. Nothing
is written to the measured checkouts (`diff` only).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODEMODS = Path(sys.executable).parent / "codemods"


def measure(path: Path, jobs: list[str], repeat: int) -> tuple[float, str]:
    times = []
    summary = ""
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([str(CODEMODS), "diff", *jobs, str(path)], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        summary = done.stderr.splitlines()[0] if done.stderr else ""
    return statistics.median(times), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "examples" / "trading_bot", ROOT])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| checkout | files considered / parsed / changed | -j 1 (s) | default jobs (s) |")
    print("|---|---|---|---|")
    for path in args.paths:
        serial, summary = measure(path, ["-j", "1"], args.repeat)
        parallel, _ = measure(path, [], args.repeat)
        counts = summary.split(":", 1)[-1].split(";")[0].strip()
        print(f"| {path.name or path} | {counts} | {serial:.2f} | {parallel:.2f} |")


if __name__ == "__main__":
    main()
