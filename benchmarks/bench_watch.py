"""Watch-throughput benchmark: a generated kubelet journal streamed through a pipe into ``watch``.

Generates a journal of about ``--mib`` MiB (``bench_parse.gen_journald``: ``short`` journald
kubelet lines, ~5 % nested CNI errors over 40 pods), then, in the same run:

* ``batch``: ``multus_forensics.parse(path, year=2026).to_polars()`` in a child process: the
  batch parse rate of the same file (lines/s), the baseline;
* ``watch``: ``multus-forensics watch --json --year 2026 -`` in a child process, the file written
  into its standard input in 1 MiB chunks; lines/s from the first accepted write to the exit
  at end of input, and peak RSS per quarter of the input (``VmRSS`` of the child sampled every
  10 ms, quarters by bytes written).

It checks that ``watch`` saw every line (its final summary) and printed findings, then judges:
watch rate at least :data:`FLOOR_RATIO` x the batch rate (a ratio: the machine is shared), and
the last quarter's peak RSS within :data:`FLOOR_RSS_DRIFT` of the first quarter's. Exit 1 on FAIL.

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
t = time.perf_counter()
df = multus_forensics.parse(sys.argv[1], year=2026).to_polars()
dt = time.perf_counter() - t
print(df.height, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
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


def batch_rate(path: str, lines: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD_BATCH, path], check=True, capture_output=True, text=True
    ).stdout.split()
    return lines / float(out[1]), int(out[2]) * 1024 / 1e6


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
    assert proc.stdin is not None
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            proc.stdin.write(chunk)
            proc.stdin.flush()
            written += len(chunk)
            if first is None:
                first = time.perf_counter()
    proc.stdin.close()
    rc = proc.wait()
    ended = time.perf_counter()
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
        batch, batch_rss = batch_rate(path, lines)
        res = watch_run(path)
    finally:
        if not args.keep:
            os.unlink(path)
    seconds = float(res["seconds"])  # type: ignore[arg-type]
    rate = lines / seconds
    peaks = [p / 1e6 for p in res["peaks"]]  # type: ignore[attr-defined]
    stats = res["summary"].get("stats", {}) if isinstance(res["summary"], dict) else {}
    causes = res["summary"].get("causes", []) if isinstance(res["summary"], dict) else []
    print(
        f"{'file':>28}: {size / 1e6:,.1f} MB, {lines:,} lines" + (f" ({path})" if args.keep else "")
    )
    print(f"{'batch parse':>28}: {batch:,.0f} lines/s (peak RSS {batch_rss:,.0f} MB)")
    print(
        f"{'watch through a pipe':>28}: {rate:,.0f} lines/s ({seconds:.1f} s; "
        f"{float(res['seconds_with_startup']):.1f} s with start-up)"
    )  # type: ignore[arg-type]
    for q, peak in enumerate(peaks, start=1):
        print(f"{f'watch peak RSS quarter {q}':>28}: {peak:,.0f} MB")
    print(
        f"{'watch saw':>28}: {stats.get('lines', 0):,} lines, {stats.get('events', 0):,} events, "
        f"{stats.get('unparsed_lines', 0):,} unparsed; {res['findings_printed']} finding blocks"
    )
    for c in causes:
        print(f"{'':>28}  {c['root_cause']}: {c['count']:,}x on {c['pods']} pods")
    print(f"{'load average (1 min)':>28}: {os.getloadavg()[0]:.2f}")
    ratio = rate / batch
    drift = (peaks[3] - peaks[0]) / peaks[0] if peaks[0] else float("inf")
    checks = [
        (f"watch exit code {res['rc']}", res["rc"] == 0),
        (f"watch saw every line ({stats.get('lines', 0):,} of {lines:,})", stats.get("lines") == lines),
        (f"findings printed ({res['findings_printed']})", bool(res["findings_printed"])),
        (f"rate ratio watch/batch {ratio:.2f} (floor {FLOOR_RATIO:.2f})", ratio >= FLOOR_RATIO),
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
