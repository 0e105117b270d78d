"""Benchmark: a batch of generated node archives, process pool vs one process.

Each archive is a ``tar.gz`` the way a node support bundle looks: the kubelet + containerd
journal exported with ``journalctl -o json`` and Multus' own ``multus.log``. Most pods start
cleanly; some retry sandbox creation with a Multus error, as on a node with a broken NAD. The
content is generated (made-up nodes, pods, IDs) with a fixed seed, so runs are comparable.

Prints: sequential and pooled wall time and the speedup; each worker's peak RSS for a batch of
half the archives and of all of them (it must not grow with the number of archives, because each
worker holds one archive at a time and the parent bounds the units in flight).

    .venv/bin/python benchmarks/bench_batch.py                  # 16 archives, 2 workers
    .venv/bin/python benchmarks/bench_batch.py --pods 500           # smaller

The speedup floor scales with the workers that have a core (:func:`speedup_floor`); the run
prints PASS/FAIL per check and exits 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from multus_forensics.batch import BatchResult, run_batch

T0 = 1773234000.0  # 2026-03-11T13:00:00Z


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


class Node:
    """Accumulates one node's journal records and multus.log lines."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.name = name
        self.rng = rng
        self.journal: list[tuple[float, str]] = []
        self.multus: list[tuple[float, str]] = []
        self.seq = 0

    def record(self, t: float, ident: str, pid: int, message: str, priority: int = 6) -> None:
        self.seq += 1
        us = int(t * 1_000_000)
        cursor = f"s={self.name}0000;i={self.seq:x};b=boot;m={us:x};t={us:x};x={self.seq:016x}"
        rec = {
            "__CURSOR": cursor,
            "__REALTIME_TIMESTAMP": str(us),
            "__MONOTONIC_TIMESTAMP": str(us - int(T0 * 1e6) + 84_000_000_000),
            "_BOOT_ID": "9b2e4f61c0d84a7f8e3b5a1c2d4e6f70",
            "PRIORITY": str(priority),
            "_HOSTNAME": self.name,
            "SYSLOG_IDENTIFIER": ident,
            "_PID": str(pid),
            "_COMM": ident,
            "_SYSTEMD_UNIT": f"{ident}.service",
            "MESSAGE": message,
        }
        self.journal.append((t, json.dumps(rec)))

    def klog(self, t: float, sev: str, src: str, text: str) -> None:
        stamp = time.strftime("%m%d %H:%M:%S", time.gmtime(t)) + f".{int(t * 1e6) % 1_000_000:06d}"
        self.record(
            t, "kubelet", 2231, f"{sev}{stamp}    2231 {src}] {text}", 3 if sev == "E" else 6
        )

    def containerd(self, t: float, level: str, msg: str, error: str | None = None) -> None:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1e9) % 10**9:09d}Z"
        text = f'time="{ts}" level={level} msg={json.dumps(msg)}'
        if error:
            text += f" error={json.dumps(error)}"
        self.record(t, "containerd", 1187, text, 3 if level == "error" else 6)

    def mlog(self, t: float, level: str, text: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        self.multus.append((t, f"{stamp} [{level}] {text}"))


def _add_line(ns: str, pod: str, uid: str, net: str, conf: str, ifname: str, ip: str) -> str:
    result = {
        "cniVersion": "0.3.1",
        "interfaces": [
            {"name": ifname, "mac": "be:01:7e:22:90:1c", "sandbox": "/var/run/netns/cni-x"}
        ],
        "ips": [{"version": "4", "interface": 0, "address": ip}],
        "dns": {},
    }
    return (
        f"Add: {ns}:{pod}:{uid}:{net}({conf}):{ifname} {json.dumps(result, separators=(',', ':'))}"
    )


def _pod(node: Node, t: float, index: int, failing: bool) -> None:
    rng = node.rng
    ns = rng.choice(["lab", "edge", "telco", "default"])
    pod = f"app{index % 37}-{_hex(rng, 10)}-{_hex(rng, 5)}"
    uid = _uid(rng)
    ref = f'pod="{ns}/{pod}"'
    for attempt in range(rng.randint(4, 12) if failing else 1):
        ta = t + attempt * 20.0
        sandbox = _hex(rng, 64)
        meta = f"&PodSandboxMetadata{{Name:{pod},Uid:{uid},Namespace:{ns},Attempt:{attempt},}}"
        node.klog(
            ta,
            "I",
            "util.go:30",
            f'"No sandbox for pod can be found. Need to start a new one" {ref}',
        )
        node.containerd(ta + 0.01, "info", f"RunPodSandbox for {meta}")
        ip = f"10.244.{index % 250}.{attempt % 250 + 2}/24"
        node.mlog(ta + 0.5, "verbose", _add_line(ns, pod, uid, "cbr0", "cbr0", "eth0", ip))
        if not failing:
            node.containerd(
                ta + 0.9,
                "info",
                f"RunPodSandbox for {meta} returns sandbox id {json.dumps(sandbox)}",
            )
            node.klog(
                ta + 1.0,
                "I",
                "kuberuntime_manager.go:1033",
                f'"Created PodSandbox for pod" {ref} podSandboxID="{sandbox}"',
            )
            continue
        leaf = (
            f'[{ns}/{pod}/{uid}:macvlan-conf]: error adding container to network "macvlan-conf": '
            'DelegateAdd: cannot set "macvlan" interface name to "net1": validateIfName: '
            "interface name net1 already exists"
        )
        node.mlog(ta + 0.6, "error", leaf)
        err = (
            f'failed to setup network for sandbox "{sandbox}": plugin type="multus" '
            f'name="multus-cni-network" failed (add): {leaf}'
        )
        node.containerd(ta + 0.7, "error", f"RunPodSandbox for {meta} failed", err)
        quoted = json.dumps("rpc error: code = Unknown desc = " + err)
        node.klog(
            ta + 0.8, "E", "log.go:32", f'"RunPodSandbox from runtime service failed" err={quoted}'
        )
        node.klog(
            ta + 0.8,
            "E",
            "kuberuntime_sandbox.go:72",
            f'"Failed to create sandbox for pod" err={quoted} {ref}',
        )
        node.klog(
            ta + 0.8,
            "E",
            "kuberuntime_manager.go:1172",
            f'"CreatePodSandbox for pod failed" err={quoted} {ref}',
        )


def make_archive(directory: Path, index: int, pods: int, seed: int) -> Path:
    """One node archive with ``pods`` pods (one in eight failing with retries)."""
    rng = random.Random(seed * 1000 + index)
    node = Node(f"worker-{index:02d}", rng)
    for p in range(pods):
        _pod(node, T0 + p * 3.0 + rng.random(), p, failing=p % 8 == 3)
    path = directory / f"{node.name}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, rows in (
            (f"{node.name}/journal/kubelet-containerd.journal.json", node.journal),
            (f"{node.name}/var/log/multus.log", node.multus),
        ):
            data = ("\n".join(line for _, line in sorted(rows, key=lambda r: r[0])) + "\n").encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(T0 + pods * 3.0 + 600)
            tar.addfile(info, io.BytesIO(data))
    return path


def worker_peaks(result: BatchResult) -> dict[int, int]:
    """Peak RSS (KiB) per worker process over the units it ran."""
    peaks: dict[int, int] = defaultdict(int)
    for unit in result.units:
        peaks[unit.pid] = max(peaks[unit.pid], unit.peak_rss_kb)
    return dict(peaks)


def speedup_floor(workers: int) -> float:
    """The pool's speedup floor: 0.7 more per worker that has a core of its own.

    Two workers on two cores must reach 1.7x; one worker (or one core) only 1.0x, as there
    is nothing to run in parallel; workers beyond the cores add nothing.
    """
    usable = max(1, min(workers, os.cpu_count() or 1))
    return 1.0 + 0.7 * (usable - 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--archives", type=int, default=16)
    ap.add_argument("--pods", type=int, default=2000, help="pods per node archive")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    floor = speedup_floor(args.workers)

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        paths = [
            str(make_archive(Path(tmp), i, args.pods, args.seed)) for i in range(args.archives)
        ]
        size = sum(os.path.getsize(p) for p in paths)
        half = paths[: max(1, args.archives // 2)]
        print(f"{len(paths)} archives, {size / 1e6:.1f} MB compressed, {args.pods} pods each")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

        pooled = run_batch(paths, workers=args.workers, progress=False)
        sequential = run_batch(paths, workers=1, progress=False)
        log = sequential.log()
        same = log.frame.equals(pooled.log().frame) and log.issues == pooled.log().issues
        print(
            f"events {log.frame.height}, lines {log.stats.lines}, unparsed {log.stats.unparsed_lines}"
        )
        print(f"sequential (1 process):  {sequential.seconds:7.2f} s")
        print(f"pool ({pooled.workers} workers):       {pooled.seconds:7.2f} s")
        speedup = sequential.seconds / pooled.seconds
        busy = sum(u.seconds for u in pooled.units)
        cpu = sum(u.cpu_seconds for u in pooled.units)
        print(f"pool worker busy time:   {busy:7.2f} s ({busy / pooled.seconds:.2f} cores in use)")
        print(f"pool worker CPU time:    {cpu:7.2f} s (busy/CPU {busy / cpu:.2f}: >1 means the")
        print("                         workers waited for a core another process held)")
        print(f"speedup:                 {speedup:7.2f}x   identical results: {same}")
        parent_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"parent peak RSS (incl. the sequential run): {parent_kb / 1024:.0f} MiB")

        small = worker_peaks(run_batch(half, workers=args.workers, progress=False))
        large = worker_peaks(pooled)
        fmt = ", ".join
        print(
            f"worker peak RSS, {len(half)} archives:  {fmt(f'{v / 1024:.0f} MiB' for v in small.values())}"
        )
        print(
            f"worker peak RSS, {len(paths)} archives: {fmt(f'{v / 1024:.0f} MiB' for v in large.values())}"
        )
        growth = max(large.values()) / max(small.values())
        print(f"RSS growth from {len(half)} to {len(paths)} archives: {growth:.2f}x")
        print(f"load average after: {os.getloadavg()[0]:.2f}")

    checks = {
        f"speedup {speedup:.2f}x >= {floor:.2f}x ({args.workers} workers, {os.cpu_count()} cores)": (
            speedup >= floor
        ),
        f"worker RSS growth {growth:.2f}x <= 1.15x": growth <= 1.15,
        "pooled and sequential results identical": same,
    }
    for text, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}: {text}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
