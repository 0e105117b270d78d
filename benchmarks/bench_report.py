"""Report benchmark: what ``multus-forensics report`` adds to ``diagnose``, part by part.

Generates busy-node kubelet journals (``bench_pipeline.gen_busy_journal``: 4,000 pods, ~5 %
long nested CNI error chains) or takes ``--input`` files, then runs, each in a fresh child
process:

* ``diagnose``: ``multus-forensics diagnose PATH --json`` (the baseline of the same run);
* ``report``: ``multus-forensics report PATH -o DIR`` (HTML with its figures);
* the same report once more with a CPU clock around each part: parse, timelines, diagnosis,
  the timeline frames, the per-pod sections, the failure table, every figure (named by what
  it draws; the first one also imports matplotlib) and the rendering.

It prints CPU seconds per part and as a share of ``diagnose``, and judges the issue's floor,
``report`` at most 1.3x ``diagnose`` in CPU seconds (the machine is shared, so wall time
says little; ``--repeat N`` keeps each command's least CPU of N interleaved runs, as load
inflates CPU time too); exit 1 on FAIL. The parts show where a failure comes from.

    .venv/bin/python benchmarks/bench_report.py                  # a 32 MiB journal
    .venv/bin/python benchmarks/bench_report.py --sizes 8        # a quick look
    .venv/bin/python benchmarks/bench_report.py --repeat 3       # on a busy machine
    .venv/bin/python benchmarks/bench_report.py --sizes= --input sample_logs/seed
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import MIB, gen_busy_journal

FLOOR = 1.3

#: the report command, in process, with a CPU clock around each named part (module, function,
#: label); figures are labelled by what they draw. Prints one JSON object of part -> seconds.
_PARTS = r"""
import functools, json, sys, time
from multus_forensics.report import data, figures, writer
from multus_forensics.timeline import frames

clock = time.process_time
spent = {}

def timed(module, name, label):
    real = getattr(module, name)
    @functools.wraps(real)
    def run(*args, **kwargs):
        start = clock()
        try:
            return real(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + clock() - start
    setattr(module, name, run)

for module, name, label in [
    (writer, "_single_unit_log", "parse"),
    (data, "timelines_for", "timelines"),
    (data, "diagnose_log", "diagnosis"),
    (frames.Timelines, "_once", "timeline frames"),
    (data, "_sections_from_timelines", "pod sections"),
    (figures, "failure_rows", "failure table"),
    (writer, "render", "render"),
]:
    timed(module, name, label)

real_png = figures.png
def png(draw, size):
    start = clock()
    try:
        return real_png(draw, size)
    finally:
        name = getattr(draw, "func", draw).__name__ + " " + str(draw.keywords.get("pod", ""))
        first = " (+ matplotlib import)" if not any(k.startswith("figure") for k in spent) else ""
        spent["figure " + name.strip() + first] = clock() - start

figures.png = png
start = clock()
from multus_forensics.cli import main
main(["report", sys.argv[1], "-o", sys.argv[2], "--year", "2026", "--quiet"])
spent["total (in process)"] = clock() - start
print(json.dumps(spent))
"""


def _cpu(argv: list[str]) -> tuple[float, str]:
    """(CPU seconds of the child and its threads, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise SystemExit(
            f"{' '.join(argv[2:5])} failed: {done.stderr.decode(errors='replace')[-500:]}"
        )
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return cpu, done.stdout.decode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="32", help="journal MiB list")
    ap.add_argument("--input", action="append", default=[], help="an existing input (repeatable)")
    ap.add_argument("--workdir", default="/tmp/mf-bench-report", help="inputs are kept here")
    ap.add_argument(
        "--repeat", type=int, default=1, help="run each command N times, keep the least CPU"
    )
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    inputs = [Path(p) for p in args.input]
    for mib in sorted(int(s) for s in args.sizes.split(",") if s):
        path = work / f"kubelet-{mib}MiB.journal"
        if not path.exists():
            with open(path, "w", encoding="utf-8") as fh:
                gen_busy_journal(mib * MIB, random.Random(mib), fh, "edge-node-2")
        inputs.append(path)
    fails: list[str] = []
    cli = [sys.executable, "-m", "multus_forensics"]
    for path in inputs:
        with tempfile.TemporaryDirectory(dir=work) as out:
            diagnose = report = float("inf")
            for _ in range(max(1, args.repeat)):  # interleaved: both see the same machine load
                cpu, _ = _cpu([*cli, "diagnose", str(path), "--json", "--year", "2026"])
                diagnose = min(diagnose, cpu)
                cpu, _ = _cpu([*cli, "report", str(path), "-o", out, "--year", "2026", "--quiet"])
                report = min(report, cpu)
            _, text = _cpu([sys.executable, "-c", _PARTS, str(path), out])
        parts = json.loads(text.strip().splitlines()[-1])
        print(f"{path.name}")
        print(f"  {'diagnose (command)':<56} {diagnose:>7.2f} s CPU")
        print(f"  {'report (command)':<56} {report:>7.2f} s CPU  {report / diagnose:>5.2f}x")
        for part, seconds in parts.items():
            print(f"  {part:<56} {seconds:>7.2f} s CPU  {seconds / diagnose:>5.2f}x diagnose")
        ratio = report / diagnose
        ok = ratio <= FLOOR
        print(f"  {'PASS' if ok else 'FAIL'}  report/diagnose {ratio:.2f} <= {FLOOR}")
        if not ok:
            fails.append(f"{path.name}: report/diagnose {ratio:.2f} > {FLOOR}")
        sys.stdout.flush()
    print(json.dumps({"failed": fails}))
    return 1 if fails else 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s)")
    raise SystemExit(code)
