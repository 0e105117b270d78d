"""Benchmark: a thick Multus daemon's log with client-go klog lines against the same log without.

A thick daemon (``kubectl logs ds/kube-multus-ds``) writes, next to its own records, one
``event.go`` klog line per delegate it adds (client-go's event recorder: ``AddedInterface``)
and now and then a reflector warning. Those lines are records of their own and take the
careful path (with the Multus record before each), so they cost more than the daemon's own
one-line records. The input is ``bench_runtime``'s generated Multus log (fixed seed) with an
``AddedInterface`` line after every ``Add:`` record and a reflector warning every 500 lines; the
reference is the same generator's log without them, parsed in the same rounds. Both are written
to files and parsed with ``multus_forensics.parse``; prints median CPU microseconds per line,
then PASS/FAIL for "at most 2x the plain log's cost per line" (issue 16's floor for real-shaped
inputs) and exits 1 on a FAIL.

    .venv/bin/python benchmarks/bench_multus_klog.py                 # 50 000 lines each
    .venv/bin/python benchmarks/bench_multus_klog.py --lines 400000 --repeat 3
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_runtime import gen_multus_log

import multus_forensics as mf

#: most a klog-bearing log may cost per line, as a multiple of the plain log's cost
FLOOR = 2.0


def _event(line: str, i: int) -> str:
    """The event recorder's klog line for the ``Add:`` record ``line`` (same pod, same second)."""
    stamp, _, rest = line.partition(" [verbose] Add: ")
    ns, pod, uid, net, ifname = rest.split(" ", 1)[0].split(":")
    net = net.split("(", 1)[0] or "cbr0"
    hms = stamp[11:19]
    return (
        f'I0311 {hms}.{i % 10**6:06d}    7342 event.go:364] Event(v1.ObjectReference{{Kind:"Pod", '
        f'Namespace:"{ns}", Name:"{pod}", UID:"{uid}", APIVersion:"v1", ResourceVersion:"{i}", '
        f"FieldPath:\"\"}}): type: 'Normal' reason: 'AddedInterface' Add {ifname} "
        f"[10.244.{i % 256}.{i % 250 + 2}/24] from {net}"
    )


def thick_log(lines: int, seed: int) -> tuple[str, str]:
    """(plain Multus log, the same with klog lines) of about ``lines`` lines each."""
    buf = io.StringIO()
    gen_multus_log(lines, random.Random(seed), buf)
    plain = buf.getvalue().splitlines()
    out: list[str] = []
    for i, line in enumerate(plain):
        out.append(line)
        if " [verbose] Add: " in line:
            out.append(_event(line, i))
        if i % 500 == 499:
            out.append(
                f"W0311 {line[11:19]}.000001    7342 reflector.go:462] "
                "k8s.io/client-go/informers/factory.go:150: watch of *v1.Pod ended with: "
                "an error on the server has prevented the request from succeeding"
            )
    # the same number of lines in both: the klog variant drops its tail
    return "\n".join(plain) + "\n", "\n".join(out[: len(plain)]) + "\n"


def _cpu_per_line(path: Path, lines: int) -> tuple[float, int]:
    start = time.process_time()
    log = mf.parse(str(path))
    cpu = time.process_time() - start
    assert log.stats.files[0].format == "multus-log", log.stats.files[0]
    return cpu / lines * 1e6, len(log)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    plain, thick = thick_log(args.lines, seed=16)
    klog_lines = sum(1 for line in thick.splitlines() if line[:1] in "IW" and line[1:5].isdigit())
    with tempfile.TemporaryDirectory(prefix="bench_multus_klog") as tmp:
        paths = {"plain": Path(tmp) / "plain-multus.log", "klog": Path(tmp) / "thick-multus.log"}
        paths["plain"].write_text(plain)
        paths["klog"].write_text(thick)
        cost: dict[str, list[float]] = {"plain": [], "klog": []}
        events: dict[str, int] = {}
        for _ in range(args.repeat):  # rounds interleave the inputs (same machine load)
            for name, path in paths.items():
                us, events[name] = _cpu_per_line(path, args.lines)
                cost[name].append(us)
    median = {name: statistics.median(values) for name, values in cost.items()}
    for name, label in (("plain", "Multus log"), ("klog", "Multus log + klog lines")):
        print(
            f"{label:<26} {args.lines:>8} lines {events[name]:>8} events  cpu median "
            f"{median[name]:6.2f} us/line (spread {min(cost[name]):.2f}..{max(cost[name]):.2f}, "
            f"{args.repeat} runs)"
        )
    print(f"klog lines in the thick log: {klog_lines} ({klog_lines / args.lines:.0%})")
    ratio = median["klog"] / median["plain"]
    verdict = "PASS" if ratio <= FLOOR else "FAIL"
    print(f"{verdict}: the log with klog lines costs {ratio:.2f}x the plain log per line "
          f"(must be <= {FLOOR:.2f}x)")  # fmt: skip
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
