"""Timeline stage benchmark: what ``build_timelines`` adds to parsing, and how it grows.

Generates busy-node kubelet journals (``bench_pipeline.gen_busy_journal``: 4,000 pods, ~5 %
long nested CNI error chains, PLEG, probes, volume and sync lines) and measures, each in a
fresh child process so that peak RSS is its own:

* ``parse``: ``mf.parse(path)`` and its event frame (the baseline of the same run);
* ``timelines``: the same plus ``build_timelines``, its four frames, ``events()`` and 50
  ``events(pod)`` calls (what a report asks).

It prints CPU and wall seconds, peak RSS, the timeline stage's cost over parsing (``extra``:
(timelines - parse) / parse) and the growth exponent of that extra cost from the smallest to
the largest journal (1.0 = linear). Floors, judged on CPU seconds (the machine is shared):
``extra`` at most ``--max-extra`` for every size, growth at most 1.1. Exit 1 on FAIL. The
default ``--max-extra`` follows from the issue's floors: ``report`` builds the timelines once
and may add at most 30 % to ``diagnose``, which may cost at most 3x ``parse``, so the timeline
stage may add at most 0.3 x 3 = 0.9x ``parse``.

    .venv/bin/python benchmarks/bench_timelines.py                  # 32 and 128 MiB
    .venv/bin/python benchmarks/bench_timelines.py --sizes 8,32     # a quick look
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import MIB, gen_busy_journal

GROWTH = 1.1
MAX_EXTRA = 0.3 * 3.0

_CHILD = """
import sys, multus_forensics as mf
log = mf.parse(sys.argv[1], year=2026)
frame = log.to_polars()
if sys.argv[2] == "timelines":
    tl = mf.build_timelines(frame)
    for name in ("pods", "attempts", "interfaces", "anomalies"):
        getattr(tl, name)()
    tl.events()
    for t in tl.timelines[:50]:
        tl.events(pod=t.label)
print(frame.height)
"""


def _run(path: Path, stage: str) -> tuple[float, float, int]:
    """(wall s, CPU s of the child and its threads, peak RSS bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), stage],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{stage} of {path} failed: {err.strip()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="32,128", help="journal MiB list")
    ap.add_argument("--workdir", default="/tmp/mf-bench-timelines", help="inputs are kept here")
    ap.add_argument("--max-extra", type=float, default=MAX_EXTRA, help="floor on extra/parse")
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    print(f"{'input':<18} {'stage':<10} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    extra: dict[int, tuple[float, int]] = {}
    fails: list[str] = []
    for mib in sizes:
        path = work / f"kubelet-{mib}MiB.journal"
        if not path.exists():
            with open(path, "w", encoding="utf-8") as fh:
                gen_busy_journal(mib * MIB, random.Random(mib), fh, "edge-node-2")
        with open(path, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        costs = {}
        for stage in ("parse", "timelines"):
            wall, cpu, rss = _run(path, stage)
            costs[stage] = cpu
            print(f"{mib:>4} MiB journal  {stage:<10} {wall:>8.2f} {cpu:>8.2f} {rss / MIB:>9.0f}")
        added = costs["timelines"] - costs["parse"]
        extra[mib] = (added, lines)
        ratio = added / costs["parse"]
        ok = ratio <= args.max_extra
        print(f"  timelines add {added:.2f} CPU s = {ratio:.2f}x parse  {'PASS' if ok else 'FAIL'}")
        if not ok:
            fails.append(f"{mib} MiB: extra {ratio:.2f} > {args.max_extra}")
        sys.stdout.flush()
    if len(sizes) >= 2:
        (a, la), (b, lb) = extra[sizes[0]], extra[sizes[-1]]
        growth = math.log(max(b, 1e-9) / max(a, 1e-9)) / math.log(lb / la)
        ok = growth <= GROWTH
        print(
            f"growth exponent of the timeline stage {growth:.2f} <= {GROWTH}  {'PASS' if ok else 'FAIL'}"
        )
        if not ok:
            fails.append(f"growth {growth:.2f} > {GROWTH}")
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
