"""End-to-end pipeline benchmark: what a user waits for, stage by stage, at archive sizes.

Generates (fixed seeds, made-up pods) busy-node kubelet journals (4,000 pods, ~5 % long nested
CNI error chains, PLEG, probes, volume and sync lines) of 32, 128, 512 MiB and 2 GiB, a Multus
log and a containerd log of 128 MiB, and a must-gather-shaped ``.tar.gz`` of 8 nodes (a kubelet
journal each, ~1 GiB uncompressed). Then, each measurement in a fresh child process so that its
peak RSS is its own (``os.wait4``):

* ``loop``: a plain Python loop over the file's lines (``line.split(" ", 5)``), the baseline;
* ``parse``: ``mf.parse(path)`` and the event frame;
* ``timelines``: parse, ``mf.build_timelines`` and its attempts frame;
* ``diagnose``: ``multus-forensics diagnose PATH --json`` (the command a user runs);
* ``report``: ``multus-forensics report PATH -o DIR`` (HTML, Markdown, JSON, figures).

It prints wall time, lines/s and peak RSS (and RSS over the file size) per input and stage, the
same stages' peak RSS on a 5-line journal (``fixed``: the interpreter, polars and the package,
which no input size changes), the growth exponent of each stage from the smallest to the largest journal (1.0 = linear), the
bundle's streamed parse, ``diagnose`` and ``report`` on one worker and on two with their peak
RSS over its largest decompressed stream (``bundle_part.py``), and a verdict per floor; it
exits 1 when a floor fails. The memory floor is judged on what an input adds: a stage's peak RSS
less its fixed peak on the 5-line journal, over the file (both figures are printed).

    .venv/bin/python benchmarks/bench_pipeline.py                 # every input (long: GiB files)
    .venv/bin/python benchmarks/bench_pipeline.py --sizes 32,128  # a quick look
    .venv/bin/python benchmarks/bench_pipeline.py --sizes= --no-runtime --bundle-node-mib 32
                                                                  # the bundle only, 8 x 32 MiB
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse import _chain, _hex, _q, _uid
from bench_runtime import gen_containerd, gen_multus_log
from bundle_part import bundle_part

MIB = 1024 * 1024
JOURNAL_SIZES = (32, 128, 512, 2048)
RUNTIME_SIZE = 128
BUNDLE_NODES = 8
BUNDLE_NODE_MIB = 128
BUNDLE = f"bundle {BUNDLE_NODES} nodes"
#: the per-file cap every stage is given: the 2 GiB journal is just over the default (2 GiB)
CAP = 4 << 30

#: the floors (issue "Analysis at archive scale")
DIAGNOSE_OVER_PARSE = 3.0
RSS_OVER_FILE = 2.0
GROWTH = 1.1
RUNTIME_RATE = 0.5
REPORT_OVER_DIAGNOSE = 1.3


def gen_busy_journal(target_bytes: int, rng: random.Random, out: IO[str], host: str) -> int:
    """A busy node's kubelet journal (``journalctl -u kubelet -o short-precise``)."""
    pods = [
        (f"ns{i % 9}", f"app{i}-{_hex(rng, 10)}-{_hex(rng, 5)}", _uid(rng), _hex(rng, 64))
        for i in range(4000)
    ]
    t, pid, written, lines = 1773234000.0, 2231, 0, 0
    while written < target_bytes:
        t += rng.random() * 0.02
        sec = int(t) % 86400
        hh, mm, ss, us = sec // 3600, sec // 60 % 60, sec % 60, int((t % 1) * 1e6)
        day = 11 + int((t - 1773187200) // 86400)
        stamp = f"Mar {day:02d} {hh:02d}:{mm:02d}:{ss:02d}.{us:06d}"
        klog = f"03{day:02d} {hh:02d}:{mm:02d}:{ss:02d}.{us:06d} {pid:>7}"
        ns, name, uid, sandbox = rng.choice(pods)
        ref = f'pod="{ns}/{name}"'
        r = rng.random()
        if r < 0.05:
            err = _chain(ns, name, uid, sandbox, rng)
            if r < 0.025:
                msg = f'E{klog} remote_runtime.go:193] "RunPodSandbox from runtime service failed" err={_q(err)}'
            else:
                msg = f'E{klog} kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err={_q(err)} {ref}'
        elif r < 0.09:
            msg = f'I{klog} util.go:30] "No sandbox for pod can be found. Need to start a new one" {ref}'
        elif r < 0.16:
            msg = (
                f'I{klog} kubelet.go:2453] "SyncLoop (PLEG): event for pod" {ref} '
                f'event={{"ID":"{uid}","Type":"ContainerStarted","Data":"{sandbox}"}}'
            )
        elif r < 0.36:
            msg = f'I{klog} prober_manager.go:312] "SyncLoop (probe)" probe="readiness" status="ready" {ref}'
        elif r < 0.5:
            vol = f"kube-api-access-{_hex(rng, 5)}"
            text = (
                f'operationExecutor.MountVolume started for volume "{vol}" (UniqueName: '
                f'"kubernetes.io/projected/{uid}-{vol}") pod "{name}" (UID: "{uid}") '
            )
            msg = f"I{klog} reconciler_common.go:231] {_q(text)} {ref}"
        elif r < 0.6:
            msg = f'I{klog} kubelet.go:2424] "SyncLoop UPDATE" source="api" pods=["{ns}/{name}"]'
        elif r < 0.7:
            msg = f'I{klog} scope.go:117] "RemoveContainer" containerID="{_hex(rng, 64)}"'
        else:
            msg = (
                f'I{klog} kubelet_volumes.go:163] "Cleaned up orphaned pod volumes dir" '
                f'podUID="{uid}" path="/var/lib/kubelet/pods/{uid}/volumes"'
            )
        line = f"{stamp} {host} kubelet[{pid}]: {msg}\n"
        out.write(line)
        written += len(line)
        lines += 1
    return lines


def _lines_for(gen: Callable[[int, random.Random, IO[str]], None], target: int) -> int:
    """Lines a runtime generator needs for about ``target`` bytes (from a small sample)."""
    buf = io.StringIO()
    gen(2000, random.Random(0), buf)
    return max(1, int(target / (len(buf.getvalue()) / 2000)))


def make_bundle(work: Path, node_mib: int) -> Path:
    """A must-gather-shaped ``.tar.gz``: one busy kubelet journal of ``node_mib`` MiB per node."""
    path = work / f"must-gather-{BUNDLE_NODES}-nodes-{node_mib}MiB.tar.gz"
    if not path.exists():
        part = path.with_suffix(".part")
        with tarfile.open(part, "w:gz", compresslevel=1) as tar:
            for n in range(BUNDLE_NODES):
                member = work / f"node-{n}.journal"
                with open(member, "w", encoding="utf-8") as fh:
                    gen_busy_journal(node_mib * MIB, random.Random(100 + n), fh, f"worker-{n}")
                tar.add(member, arcname=f"must-gather/nodes/worker-{n}/journal/kubelet.log")
                member.unlink()
        part.rename(path)
    return path


def _make_inputs(work: Path, sizes: list[int], runtime: bool, bundle: int) -> dict[str, Path]:
    work.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for mib in sizes:
        path = work / f"kubelet-{mib}MiB.journal"
        if not path.exists():
            with open(path, "w", encoding="utf-8") as fh:
                gen_busy_journal(mib * MIB, random.Random(mib), fh, "edge-node-2")
        out[f"journal {mib} MiB"] = path
    if runtime:
        for name, gen in (("multus", gen_multus_log), ("containerd", gen_containerd)):
            path = work / f"{name}-{RUNTIME_SIZE}MiB.log"
            if not path.exists():
                with open(path, "w", encoding="utf-8") as fh:
                    gen(_lines_for(gen, RUNTIME_SIZE * MIB), random.Random(7), fh)
            out[f"{name} {RUNTIME_SIZE} MiB"] = path
    if bundle:
        out[BUNDLE] = make_bundle(work, bundle)
    return out


_LOOP = """
import sys
n = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as fh:
    for line in fh:
        n += len(line.split(" ", 5)) > 5
print(n)
"""
_PARSE = """
import sys, multus_forensics as mf
log = mf.parse(sys.argv[1], year=2026, limits=mf.Limits(max_member_bytes=CAP))
print(log.frame.height)
"""
_TIMELINES = """
import sys, multus_forensics as mf
log = mf.parse(sys.argv[1], year=2026, limits=mf.Limits(max_member_bytes=CAP))
tl = mf.build_timelines(log)
print(tl.attempts().height)
"""


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the child (all its threads)
    rss: int  # bytes
    ok: bool
    sys: float = 0.0  # system seconds of cpu (page faults, mostly)
    faults: int = 0  # minor page faults: first touches of fresh memory, 4 KiB each

    def cost(self, use_cpu: bool) -> float:
        return self.cpu if use_cpu else self.wall


def _run(argv: list[str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    ok = os.waitstatus_to_exitcode(status) in (0, 3)
    if not ok:
        print(f"    child failed ({status}): {' '.join(argv[-3:])}: {err.strip()[-300:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss * 1024, ok, usage.ru_stime, usage.ru_minflt)


def _report(path: Path, out_dir: Path, workers: int | None = None) -> Run:
    argv = [sys.executable, "-m", "multus_forensics", "report", str(path), "-o", str(out_dir)]
    argv += ["--year", "2026", "--quiet", "--max-member-bytes", str(CAP)]
    return _run(argv + (["--workers", str(workers)] if workers is not None else []))


def _stages(path: Path, out_dir: Path) -> dict[str, Run]:
    py = sys.executable
    cli = [py, "-m", "multus_forensics"]
    return {
        "loop": _run([py, "-c", _LOOP, str(path)]),
        "parse": _run([py, "-c", _PARSE.replace("CAP", str(CAP)), str(path)]),
        "timelines": _run([py, "-c", _TIMELINES.replace("CAP", str(CAP)), str(path)]),
        "diagnose": _run(
            [
                *cli,
                "diagnose",
                str(path),
                "--json",
                "--year",
                "2026",
                "--max-member-bytes",
                str(CAP),
            ]
        ),
        "report": _report(path, out_dir),
    }


def _fixed_rss(work: Path) -> dict[str, int]:
    """Each stage's peak RSS on a 5-line journal: what the process holds whatever the input."""
    tiny = work / "kubelet-5-lines.journal"
    if not tiny.exists():
        buf = io.StringIO()
        gen_busy_journal(2000, random.Random(5), buf, "edge-node-2")
        tiny.write_text("".join(buf.getvalue().splitlines(keepends=True)[:5]), encoding="utf-8")
    runs = _stages(tiny, work / "out" / "fixed")
    for stage, run in runs.items():
        if not run.ok:
            raise SystemExit(f"the 5-line baseline failed at {stage}")
    return {stage: run.rss for stage, run in runs.items()}


def _count_lines(path: Path) -> tuple[int, int]:
    """(lines, largest stream bytes): members of a tar are streams of their own."""
    if path.suffixes[-2:] == [".tar", ".gz"]:
        lines, largest = 0, 0
        with tarfile.open(path, "r:gz") as tar:
            for m in tar:
                fh = tar.extractfile(m)
                if fh is None:
                    continue
                data = fh.read()
                lines += data.count(b"\n")
                largest = max(largest, len(data))
        return lines, largest
    with open(path, "rb") as fh:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
    return lines, path.stat().st_size


def _growth_parts(stage: str, small: Run, large: Run, small_b: int, large_b: int, x: float) -> None:
    """Where a stage's growth comes from: its user and system seconds apart, and the fresh
    memory it touched per byte of input. System time is mostly first-touch page faults, whose
    cost on a virtual machine varies with what the host must back (pages the guest reported
    free, huge pages): a system exponent well above the user one with flat faults per byte is
    the machine, growing faults per byte is the code."""
    if min(small.cpu - small.sys, small.sys, large.cpu - large.sys, large.sys) <= 0:
        return
    user = math.log((large.cpu - large.sys) / (small.cpu - small.sys)) / math.log(x)
    system = math.log(large.sys / small.sys) / math.log(x)
    per = [r.faults * 4096 / b for r, b in ((small, small_b), (large, large_b))]
    print(
        f"        {stage}: user {user:.2f}, system {system:.2f} "
        f"({small.sys:.1f} → {large.sys:.1f} s, {1e6 * large.sys / max(large.faults, 1):.1f} µs "
        f"a fault); fresh memory {per[0]:.2f} → {per[1]:.2f} bytes per input byte"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, JOURNAL_SIZES)), help="journal MiB list")
    ap.add_argument("--no-runtime", action="store_true", help="skip the Multus/containerd logs")
    ap.add_argument("--no-bundle", action="store_true", help="skip the 8-node bundle")
    ap.add_argument(
        "--bundle-node-mib",
        type=int,
        default=BUNDLE_NODE_MIB,
        metavar="N",
        help=f"kubelet journal MiB per node of the bundle (default {BUNDLE_NODE_MIB})",
    )
    ap.add_argument("--workdir", default="/tmp/mf-bench-pipeline", help="inputs are kept here")
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="judge time floors on CPU seconds (a machine shared with other work) instead of wall",
    )
    args = ap.parse_args(argv)
    # bytecode compiled first, as pip install does for users: with PYTHONDONTWRITEBYTECODE set
    # every child would compile the package's sources again, more of them for diagnose/report
    package = Path(__file__).resolve().parent.parent / "multus_forensics"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    work = Path(args.workdir)
    inputs = _make_inputs(
        work, sizes, not args.no_runtime, 0 if args.no_bundle else args.bundle_node_mib
    )
    bundle = inputs.pop(BUNDLE, None)  # measured on 1 and 2 workers below
    fails: list[str] = []
    results: dict[str, tuple[int, int, dict[str, Run]]] = {}
    fixed = _fixed_rss(work)
    print(
        "fixed peak MiB (5-line journal): "
        + ", ".join(f"{stage} {rss / MIB:.0f}" for stage, rss in fixed.items())
    )
    print(
        f"{'input':<20} {'stage':<10} {'wall s':>8} {'cpu s':>8} {'lines/s':>11} "
        f"{'peak MiB':>9} {'RSS/file':>8} {'added/file':>10}"
    )
    for name, path in inputs.items():
        lines, largest = _count_lines(path)
        runs = _stages(path, work / "out" / name.replace(" ", "-"))
        results[name] = (lines, largest, runs)
        for stage, run in runs.items():
            rate = lines / run.wall if run.wall else 0.0
            print(
                f"{name:<20} {stage:<10} {run.wall:>8.2f} {run.cpu:>8.2f} {rate:>11,.0f} "
                f"{run.rss / MIB:>9.0f} {run.rss / largest:>8.2f} "
                f"{(run.rss - fixed[stage]) / largest:>10.2f}" + ("" if run.ok else "  (failed)")
            )
            if not run.ok:
                fails.append(f"{name}: {stage} did not complete")
        sys.stdout.flush()

    c = args.cpu
    print(f"\nfloors (times compared as {'CPU' if c else 'wall'} seconds)")

    def check(ok: bool, text: str) -> None:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
        if not ok:
            fails.append(text)

    for name, (_, largest, runs) in results.items():
        ratio = runs["diagnose"].cost(c) / runs["parse"].cost(c)
        check(
            ratio <= DIAGNOSE_OVER_PARSE,
            f"{name}: diagnose/parse {ratio:.2f} <= {DIAGNOSE_OVER_PARSE}",
        )
        for stage in ("diagnose", "report"):
            over = (runs[stage].rss - fixed[stage]) / largest
            check(
                over <= RSS_OVER_FILE,
                f"{name}: {stage} peak RSS over its fixed {fixed[stage] / MIB:.0f} MiB "
                f"{over:.2f}x the largest stream <= {RSS_OVER_FILE}",
            )
        extra = runs["report"].cost(c) / runs["diagnose"].cost(c)
        check(
            extra <= REPORT_OVER_DIAGNOSE,
            f"{name}: report/diagnose {extra:.2f} <= {REPORT_OVER_DIAGNOSE}",
        )
    journals = [n for n in results if n.startswith("journal")]
    if len(journals) >= 2:
        lo, hi = journals[0], journals[-1]
        (l1, _, r1), (l2, _, r2) = results[lo], results[hi]
        for stage in ("loop", "parse", "timelines", "diagnose", "report"):
            growth = math.log(r2[stage].cost(c) / r1[stage].cost(c)) / math.log(l2 / l1)
            check(
                stage == "loop" or growth <= GROWTH,
                f"growth exponent of {stage} ({lo} → {hi}) {growth:.2f} <= {GROWTH}",
            )
            _growth_parts(stage, r1[stage], r2[stage], results[lo][1], results[hi][1], l2 / l1)
    base = next((results[n] for n in journals if "128" in n), None)
    for fmt in ("multus", "containerd"):
        name = f"{fmt} {RUNTIME_SIZE} MiB"
        if name in results and base is not None:
            lines, size, runs = results[name]
            rate = (lines / runs["parse"].cost(c)) / (base[0] / base[2]["parse"].cost(c))
            check(
                rate >= RUNTIME_RATE,
                f"{name}: parse lines/s {rate:.2f}x the journal's >= {RUNTIME_RATE}",
            )
            over = (runs["parse"].rss - fixed["parse"]) / size
            check(
                over <= RSS_OVER_FILE,
                f"{name}: parse peak RSS over its fixed {fixed['parse'] / MIB:.0f} MiB "
                f"{over:.2f}x the file <= {RSS_OVER_FILE}",
            )
    if bundle is not None:
        lines, largest = _count_lines(bundle)
        bundle_part(BUNDLE, bundle, lines, largest, work / "out" / "bundle", check, fixed)
    summary = {"failed": fails}
    print("\n" + ("all floors met" if not fails else f"{len(fails)} floor(s) FAILED"))
    print(json.dumps(summary)[:2000])
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
