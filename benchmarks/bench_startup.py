"""How fast the CLI answers ``--help`` (budget: 0.5 s), and what its imports cost.

    .venv/bin/python benchmarks/bench_startup.py [--runs N]

Each command runs N times in a fresh interpreter; min / median / max wall times are printed,
with the budget verdict on the median. ``python -X importtime`` then lists the slowest
imports of the ``--help`` path, so a regression points at the module that caused it. This is a
measurement script, not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BUDGET_S = 0.5
ROOT = Path(__file__).resolve().parent.parent


def _time(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return times


def _slowest_imports(cmd: list[str], top: int = 8) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, cwd=ROOT
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("multus-forensics")
    cases = {
        "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
        "import multus_forensics": [sys.executable, "-c", "import multus_forensics"],
        "python -m multus_forensics --help": [sys.executable, "-m", "multus_forensics", "--help"],
        "python -m multus_forensics parse --help": [
            sys.executable,
            "-m",
            "multus_forensics",
            "parse",
            "--help",
        ],
    }
    if script.exists() and os.access(script, os.X_OK):
        cases["multus-forensics --help (console script)"] = [str(script), "--help"]
    print(f"{'command':44} {'min':>7} {'median':>7} {'max':>7}  (s, {args.runs} runs)")
    verdict = 0
    for label, cmd in cases.items():
        t = _time(cmd, args.runs)
        med = statistics.median(t)
        flag = ""
        if "--help" in cmd:
            flag = "ok" if med < BUDGET_S else f"OVER {BUDGET_S}s BUDGET"
            verdict |= med >= BUDGET_S
        print(f"{label:44} {min(t):7.3f} {med:7.3f} {max(t):7.3f}  {flag}")
    print("\nslowest imports of `python -m multus_forensics --help` (cumulative µs):")
    for us, name in _slowest_imports(["-m", "multus_forensics", "--help"]):
        print(f"  {us:>9}  {name}")
    return int(verdict)


if __name__ == "__main__":
    sys.exit(main())
