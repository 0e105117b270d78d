"""The bundle part of ``bench_pipeline.py``: one 8-node must-gather on 1 worker and on 2.

Each run is a fresh child process; its peak RSS is the largest of its own and of every process
it started (the pool's workers and their forkserver), sampled from ``/proc/PID/status``
(``VmHWM``, each process's own high-water mark) while it runs, and from ``wait4``. ``cpu s``
is the child's CPU time (with the children it waited for), ``sub cpu s`` that of the processes
it started as last sampled (the workers, which the forkserver, not the child, waits for).

* ``parse``: the streams parsed on the workers and cut to the rows the analysis reads
  (``multus_forensics.batch.streams.parse_streams``), with the rows kept;
* ``diagnose``: ``multus-forensics diagnose BUNDLE --json -j N`` (on 2 workers the packaged
  rules are matched on the workers, :mod:`multus_forensics.classify.partial`);
* ``report``: ``multus-forensics report BUNDLE -o DIR -j N``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
#: the floors (issue "Analysis at archive scale")
BUNDLE_SPEEDUP = 1.6
RSS_OVER_STREAM = 2.0

_STREAMS = """
import json, sys
from multus_forensics.batch import ParseOptions
from multus_forensics.batch.compact import keep_spec
from multus_forensics.batch.streams import parse_streams
if __name__ == "__main__":
    s = parse_streams([sys.argv[1]], ParseOptions(year=2026), keep=keep_spec(), workers=int(sys.argv[2]))
    print(json.dumps({"rows": s.rows, "kept": s.kept, "streams": s.streams, "pids": len(s.pids)}))
"""


@dataclass
class TreeRun:
    wall: float
    cpu: float  # user + system seconds of the child and the children it waited for
    sub_cpu: float  # of the processes it started, as last sampled (the pool's workers)
    rss: int  # bytes: the largest peak of one process in the tree
    ok: bool
    out: str


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(name))
    return tree


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system seconds of ``pid`` so far (``/proc/PID/stat``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_tree(argv: list[str]) -> TreeRun:
    """Run ``argv``; wall and CPU time, and the largest peak RSS of any process of its tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}  # last seen CPU seconds of each descendant
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            tree, todo = _children(), [proc.pid]
            while todo:
                pid = todo.pop()
                peaks[pid] = max(peaks.get(pid, 0), _hwm_kb(pid))
                if pid != proc.pid:
                    cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
                todo.extend(tree.get(pid, []))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    ok = os.waitstatus_to_exitcode(status) in (0, 3)
    if not ok:
        print(f"    child failed ({status}): {' '.join(argv[-4:])}: {err.strip()[-300:]}")
    rss_kb = max([usage.ru_maxrss, *peaks.values()])
    own = usage.ru_utime + usage.ru_stime
    return TreeRun(wall, own, sum(cpu.values()), rss_kb * 1024, ok, out)


def bundle_part(
    name: str,
    path: Path,
    lines: int,
    largest: int,
    out_dir: Path,
    check: Callable[[bool, str], None],
    fixed: dict[str, int] | None = None,
) -> None:
    """Print the bundle's table (1 and 2 workers), the speed-ups and the floor verdicts.

    ``fixed`` is each stage's peak RSS on a 5-line input, judged apart from what the bundle adds."""
    base = fixed or {}
    py = sys.executable
    cli = [py, "-m", "multus_forensics"]
    runs: dict[tuple[str, int], TreeRun] = {}
    for workers in (1, 2):
        j = ["-j", str(workers)]
        runs["parse", workers] = run_tree([py, "-c", _STREAMS, str(path), str(workers)])
        runs["diagnose", workers] = run_tree(
            [*cli, "diagnose", str(path), "--json", "--year", "2026", "-q", *j]
        )
        report_dir = out_dir / f"report-w{workers}"
        runs["report", workers] = run_tree(
            [*cli, "report", str(path), "-o", str(report_dir), "--year", "2026", "-q", *j]
        )
    print(
        f"\n{name}: {path.stat().st_size / MIB:.0f} MiB compressed, {lines:,} lines, "
        f"largest decompressed stream {largest / MIB:.0f} MiB"
    )
    print(
        f"{'stage':<10} {'workers':>7} {'wall s':>8} {'cpu s':>8} {'sub cpu s':>9} "
        f"{'lines/s':>11} {'peak MiB':>9} {'RSS/stream':>10}"
    )
    for (stage, workers), run in runs.items():
        print(
            f"{stage:<10} {workers:>7} {run.wall:>8.2f} {run.cpu:>8.2f} {run.sub_cpu:>9.2f} "
            f"{lines / run.wall:>11,.0f} {run.rss / MIB:>9.0f} {run.rss / largest:>10.2f}"
            + ("" if run.ok else "  (failed)")
        )
        if not run.ok:
            check(False, f"{name}: {stage} on {workers} worker(s) did not complete")
    try:
        kept = json.loads(runs["parse", 2].out.strip().splitlines()[-1])
        print(
            f"rows kept across streams: {kept['kept']:,} of {kept['rows']:,} "
            f"({kept['kept'] / max(1, kept['rows']):.0%}) from {kept['streams']} streams "
            f"on {kept['pids']} worker processes"
        )
    except (ValueError, IndexError, KeyError):
        print("rows kept across streams: not reported")
    for stage in ("parse", "diagnose", "report"):
        one, two = runs[stage, 1], runs[stage, 2]
        speedup = one.wall / two.wall  # parallelism is judged on wall time only
        print(f"{stage}: 1 worker {one.wall:.1f} s, 2 workers {two.wall:.1f} s, x{speedup:.2f}")
    for stage in ("diagnose", "report"):
        # the streamed parse is the part that runs on the workers; the rest runs here
        share = runs["parse", 1].cpu / runs[stage, 1].cpu if runs[stage, 1].cpu else 0.0
        bound = 1 / (1 - share / 2) if share < 1 else 2.0
        print(
            f"{stage}: the parse is {share:.0%} of its CPU time on 1 worker, so 2 workers can "
            f"speed it up at most x{bound:.2f} while the analysis after the parse runs in one "
            "process (on 2 workers the rules are matched there too: 'sub cpu s' against "
            "'cpu s' shows how the work was shared)"
        )
    for stage in ("diagnose", "report"):
        speedup = runs[stage, 1].wall / runs[stage, 2].wall
        check(
            speedup >= BUNDLE_SPEEDUP,
            f"{name}: {stage} on 2 workers vs 1 speed-up {speedup:.2f} >= {BUNDLE_SPEEDUP}",
        )
        for workers in (1, 2):
            over = (runs[stage, workers].rss - base.get(stage, 0)) / largest
            check(
                over <= RSS_OVER_STREAM,
                f"{name}: {stage} on {workers} worker(s) peak RSS over its fixed "
                f"{base.get(stage, 0) / MIB:.0f} MiB {over:.2f}x the largest "
                f"stream <= {RSS_OVER_STREAM}",
            )
