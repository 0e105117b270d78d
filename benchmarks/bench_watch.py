"""Watch-throughput benchmark: a generated kubelet journal streamed through a pipe into ``watch``.

Generates a journal of about ``--mib`` MiB (``bench_parse.gen_journald``: ``short`` journald
kubelet lines, ~5 % nested CNI errors over 40 pods), then, in the same run:

* ``batch``: ``multus_forensics.parse(path, year=2026).to_polars()`` in a child process: the
  batch parse rate of the same file, the baseline;
* ``watch``: ``multus-forensics watch --json --year 2026 -`` in a child process, the file written
  into its standard input in 1 MiB chunks, from the first accepted write to the exit at end of
  input; and peak RSS per quarter of the input (``VmRSS`` of the child sampled every 10 ms,
  quarters by bytes written).

Rates are printed per wall-clock second and per CPU-second (user + system, all threads: the
parse's CPU time in its child; the watch child's from its first chunk to its exit, start-up
excluded). The floor is judged on the CPU rates: on a machine shared with other work, wall time
measures the scheduler as much as the code (both are shown).

It checks that ``watch`` saw every line (its final summary) and printed findings, then judges:
watch rate at least :data:`FLOOR_RATIO` x the batch rate, and the last quarter's peak RSS
within :data:`FLOOR_RSS_DRIFT` of the first quarter's. Exit 1 on FAIL.

    .venv/bin/python benchmarks/bench_watch.py --mib 128 [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_parse import gen_journald

FLOOR_RATIO = 0.5
FLOOR_RSS_DRIFT = 0.20
CHUNK = 1 << 20

_CHILD_BATCH = """
import resource, sys, time
import polars, multus_forensics
t, c = time.perf_counter(), time.process_time()
df = multus_forensics.parse(sys.argv[1], year=2026).to_polars()
dt, dc = time.perf_counter() - t, time.process_time() - c
print(df.height, dt, dc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def generate(path: str, mib: int, seed: int) -> int:
    """Write about ``mib`` MiB of journal; returns the number of lines."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as sample:
        gen_journald(20_000, random.Random(seed), sample)
        per_line = sample.tell() / 20_000
    n_lines = int(mib * (1 << 20) / per_line)
    with open(path, "w", encoding="utf-8") as fh:
        gen_journald(n_lines, random.Random(seed), fh)
    with open(path, "rb") as fh:
        return sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b""))


def batch_run(path: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (all threads) and peak RSS (MB) of the batch parse."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD_BATCH, path], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[1]), float(out[2]), int(out[3]) * 1024 / 1e6


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a running process so far (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def watch_run(path: str) -> dict[str, object]:
    size = os.path.getsize(path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "multus_forensics", "watch", "--json", "--year", "2026", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    written = 0
    peaks = [0, 0, 0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            q = min(3, written * 4 // size)
            peaks[q] = max(peaks[q], _rss(proc.pid))
            time.sleep(0.01)

    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=sample, daemon=True),
    ]
    for t in readers:
        t.start()
    started = time.perf_counter()
    first: float | None = None
    cpu_first = 0.0
    assert proc.stdin is not None
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            proc.stdin.write(chunk)
            proc.stdin.flush()
            written += len(chunk)
            if first is None:
                first = time.perf_counter()
                cpu_first = _cpu(proc.pid)  # start-up (imports) and the first chunk's read
    proc.stdin.close()
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.perf_counter()
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    done.set()
    for t in readers:
        t.join(10)
    records = [json.loads(line) for line in b"".join(out).decode().splitlines() if line]
    summaries = [r["watch"] for r in records if r.get("watch", {}).get("type") == "summary"]
    assert first is not None
    return {
        "rc": rc,
        "stderr": b"".join(err).decode(errors="replace")[-2000:],
        "seconds": ended - first,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_first,
        "seconds_with_startup": ended - started,
        "peaks": peaks,
        "findings_printed": sum(1 for r in records if r.get("findings")),
        "summary": summaries[-1] if summaries else {},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=128, help="size of the generated journal")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    args = ap.parse_args(argv)
    fd, path = tempfile.mkstemp(suffix=".journal")
    os.close(fd)
    try:
        lines = generate(path, args.mib, args.seed)
        size = os.path.getsize(path)
        batch_s, batch_cpu, batch_rss = batch_run(path)
        res = watch_run(path)
    finally:
        if not args.keep:
            os.unlink(path)
    seconds = float(res["seconds"])  # type: ignore[arg-type]
    cpu = float(res["cpu_seconds"])  # type: ignore[arg-type]
    peaks = [p / 1e6 for p in res["peaks"]]  # type: ignore[attr-defined]
    summary = res["summary"] if isinstance(res["summary"], dict) else {}
    stats, causes = summary.get("stats", {}), summary.get("causes", [])
    kept = f" ({path})" if args.keep else ""
    print(f"{'file':>28}: {size / 1e6:,.1f} MB, {lines:,} lines{kept}")
    print(
        f"{'batch parse':>28}: {lines / batch_s:,.0f} lines/s wall, {lines / batch_cpu:,.0f} "
        f"lines/CPU-s ({batch_s:.1f} s, {batch_cpu:.1f} CPU-s; peak RSS {batch_rss:,.0f} MB)"
    )
    print(
        f"{'watch through a pipe':>28}: {lines / seconds:,.0f} lines/s wall, {lines / cpu:,.0f} "
        f"lines/CPU-s ({seconds:.1f} s, {cpu:.1f} CPU-s; "
        f"{float(res['seconds_with_startup']):.1f} s with start-up)"  # type: ignore[arg-type]
    )
    for q, peak in enumerate(peaks, start=1):
        print(f"{f'watch peak RSS quarter {q}':>28}: {peak:,.0f} MB")
    print(
        f"{'watch saw':>28}: {stats.get('lines', 0):,} lines, {stats.get('events', 0):,} events, "
        f"{stats.get('unparsed_lines', 0):,} unparsed; {res['findings_printed']} finding blocks"
    )
    for c in causes:
        print(f"{'':>28}  {c['root_cause']}: {c['count']:,}x on {c['pods']} pods")
    print(f"{'load average (1 min)':>28}: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ratio = batch_cpu / cpu
    wall_ratio = batch_s / seconds
    drift = (peaks[3] - peaks[0]) / peaks[0] if peaks[0] else float("inf")
    checks = [
        (f"watch exit code {res['rc']}", res["rc"] == 0),
        (f"watch saw every line ({stats.get('lines', 0):,} of {lines:,})", stats.get("lines") == lines),
        (f"findings printed ({res['findings_printed']})", bool(res["findings_printed"])),
        (f"rate ratio watch/batch per CPU-second {ratio:.2f} (floor {FLOOR_RATIO:.2f}; "
         f"wall-clock ratio {wall_ratio:.2f}, shown only: it measures the machine's load)",
         ratio >= FLOOR_RATIO),
        (f"peak RSS drift last/first quarter {drift:+.1%} (floor ±{FLOOR_RSS_DRIFT:.0%})",
         abs(drift) <= FLOOR_RSS_DRIFT),
    ]  # fmt: skip
    failed = False
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
        failed |= not ok
    if res["rc"] != 0:
        print(res["stderr"], file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
