"""Benchmark: per-line parse cost of the Multus log and containerd log against the kubelet journal.

The runtime and Multus logs are the bulk line formats next to the kubelet journal, so they must
not cost more per line. Each input is generated with a fixed seed (made-up pods and IDs) in a
realistic mix: for Multus mostly ``Add:`` results with some ``[error]`` and debug lines; for
containerd sandbox start/ready/failed/stop records with ``error=`` values and generic container
records; the reference is a kubelet journal as nodes write it (``journalctl -u kubelet`` of three
nodes interleaved, restarts, ``err=<`` blocks: benchmarks/nodegen.py), not one that takes the
fast path on every line.

The generators have the ``(n_lines, rng, out)`` shape of ``bench_parse.GENERATORS``, so the
child-process measurement there (lines/s, peak RSS) can run them too. Each input is written to
a file and parsed from it with ``multus_forensics.parse`` (reading included, as users run it),
``--repeat`` times in rounds that interleave the formats; prints the median wall and CPU
microseconds per line (and the spread) for each format, then PASS/FAIL per runtime format for
"not slower per line than the kubelet journal" (median CPU time), and exits 1 on a FAIL.

    .venv/bin/python benchmarks/bench_runtime.py                   # 50 000 lines each
    .venv/bin/python benchmarks/bench_runtime.py --lines 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import nodegen

import multus_forensics as mf


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _w(out: IO[str], line: str) -> None:
    out.write(line + "\n")


def _pods(rng: random.Random, n: int) -> list[tuple[str, str, str, str]]:
    return [
        (f"ns{i % 7}", f"app-{_hex(rng, 10)}-{_hex(rng, 5)}", _uid(rng), _hex(rng, 64))
        for i in range(n)
    ]


def gen_multus_log(lines: int, rng: random.Random, out: IO[str]) -> None:
    pods = _pods(rng, 500)
    for i in range(lines):
        ns, pod, uid, _ = pods[i % len(pods)]
        stamp = f"2026-03-11T13:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        r = rng.random()
        if r < 0.6:
            ifname, net = (
                ("eth0", "cbr0(cbr0)") if i % 2 else ("net1", f"{ns}/macvlan-conf(macvlan-conf)")
            )
            result = (
                f'{{"cniVersion":"0.3.1","interfaces":[{{"name":"{ifname}","mac":"be:01:7e:22:90:{i % 256:02x}",'
                f'"sandbox":"/var/run/netns/cni-{uid}"}}],"ips":[{{"version":"4","interface":0,'
                f'"address":"10.244.{i % 256}.{i % 250 + 2}/24","gateway":"10.244.{i % 256}.1"}}],"dns":{{}}}}'
            )
            _w(out, f"{stamp} [verbose] Add: {ns}:{pod}:{uid}:{net}:{ifname} {result}")
        elif r < 0.7:
            _w(
                out,
                f"{stamp} [error] [{ns}/{pod}/{uid}:macvlan-conf]: error adding container to network "
                '"macvlan-conf": DelegateAdd: cannot set "macvlan" interface name to "net1": '
                "validateIfName: interface name net1 already exists",
            )
        elif r < 0.85:
            _w(out, f"{stamp} [debug] getIfname: &{{macvlan-conf {ns}  [] [] [] map[]}}, eth0, 1")
        else:
            _w(out, f"{stamp} [verbose] Readiness Indicator file check")


def gen_containerd(lines: int, rng: random.Random, out: IO[str]) -> None:
    pods = _pods(rng, 500)
    for i in range(lines):
        ns, pod, uid, sid = pods[i % len(pods)]
        stamp = f"2026-03-11T13:{(i // 60) % 60:02d}:{i % 60:02d}.{rng.randrange(10**9):09d}Z"
        meta = f"&PodSandboxMetadata{{Name:{pod},Uid:{uid},Namespace:{ns},Attempt:{i % 3},}}"
        r = rng.random()
        if r < 0.15:
            msg, extra = f"RunPodSandbox for {meta}", ""
        elif r < 0.3:
            msg, extra = f'RunPodSandbox for {meta} returns sandbox id \\"{sid}\\"', ""
        elif r < 0.4:
            msg = f"RunPodSandbox for {meta} failed, error"
            extra = (
                f' error="failed to setup network for sandbox \\"{sid}\\": plugin type=\\"multus\\" '
                f'name=\\"multus-cni-network\\" failed (add): [{ns}/{pod}/{uid}:macvlan-conf]: error adding '
                'container to network \\"macvlan-conf\\": DelegateAdd: cannot set \\"macvlan\\" interface '
                'name to \\"net1\\": validateIfName: interface name net1 already exists"'
            )
        elif r < 0.5:
            msg, extra = f'StopPodSandbox for \\"{sid}\\"', ""
        elif r < 0.6:
            msg, extra = f'TearDown network for sandbox \\"{sid}\\" successfully', ""
        elif r < 0.8:
            msg, extra = f'StartContainer for \\"{_hex(rng, 64)}\\" returns successfully', ""
        else:
            msg, extra = "cleanup warnings", " namespace=k8s.io runtime=io.containerd.runc.v2"
        level = "error" if "failed" in msg else "info"
        _w(out, f'time="{stamp}" level={level} msg="{msg}"{extra}')


def gen_kubelet_journal(lines: int, rng: random.Random, out: IO[str]) -> None:
    pods = _pods(rng, 500)
    for i in range(lines):
        ns, pod, uid, sid = pods[i % len(pods)]
        sec = f"13:{(i // 60) % 60:02d}:{i % 60:02d}"
        us = rng.randrange(10**6)
        head = f"Mar 11 {sec}.{us:06d} edge-node-2 kubelet[1902]:"
        r = rng.random()
        if r < 0.3:
            body = f'I0311 {sec}.{us:06d}    1902 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="{ns}/{pod}"'
        elif r < 0.5:
            body = (
                f'E0311 {sec}.{us:06d}    1902 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" '
                f'err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"{sid}\\": '
                f'plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): [{ns}/{pod}/{uid}:macvlan-conf]: '
                f'error adding container to network \\"macvlan-conf\\": interface name net1 already exists" pod="{ns}/{pod}" podUID="{uid}"'
            )
        elif r < 0.7:
            body = (
                f'I0311 {sec}.{us:06d}    1902 kubelet.go:2453] "SyncLoop (PLEG): event for pod" pod="{ns}/{pod}" '
                f'event={{"ID":"{uid}","Type":"ContainerStarted","Data":"{sid}"}}'
            )
        else:
            body = f'I0311 {sec}.{us:06d}    1902 kubelet_pods.go:1082] "Killing unwanted pod" podName="{pod}"'
        _w(out, f"{head} {body}")


def gen_node_kubelet_journal(lines: int, rng: random.Random, out: IO[str]) -> None:
    """``journalctl -u kubelet`` of three nodes interleaved, with restarts and blocks."""
    shape = nodegen.Shape(
        hosts=("master-0", "worker-1", "worker-2"),
        idents=(("kubenswrapper", True, 1.0),),
        restarts=3,
    )
    for line in nodegen.node_journal(lines, rng, shape):
        _w(out, line)


GENERATORS: dict[str, tuple[str, Callable[[int, random.Random, IO[str]], None]]] = {
    "kubelet journal (journald)": ("journald", gen_node_kubelet_journal),
    "multus log (multus-log)": ("multus-log", gen_multus_log),
    "containerd log (containerd)": ("containerd", gen_containerd),
}


def measure(fmt_name: str, path: Path) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds) of one parse of the file with the named format.

    CPU time (all threads of this process) is the fairer cost on a shared, loaded machine and
    the one compared (a parser on two threads must not look cheaper than it is); wall time is
    what a user waits.
    """
    w0, c0 = time.perf_counter(), time.process_time()
    log = mf.parse(str(path), format=fmt_name, year=2026)
    return log.to_polars().height, time.perf_counter() - w0, time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        return _run(args, Path(tmp))


def _run(args: argparse.Namespace, tmp: Path) -> int:
    paths: dict[str, Path] = {}
    for k, (label, (fmt_name, gen)) in enumerate(GENERATORS.items()):
        paths[label] = tmp / f"{k}.{fmt_name}.log"
        with paths[label].open("w", encoding="utf-8") as fh:
            gen(args.lines, random.Random(args.seed), fh)
        head = tmp / f"{k}.head.log"
        with paths[label].open(encoding="utf-8") as src:
            head.write_text("".join(line for _, line in zip(range(2000), src, strict=False)))
        measure(fmt_name, head)  # warm-up: lazy imports, compiled patterns
    walls: dict[str, list[float]] = {label: [] for label in GENERATORS}
    cpus: dict[str, list[float]] = {label: [] for label in GENERATORS}
    events: dict[str, int] = {}
    # rounds interleave the formats, so every format sees the same spells of machine load
    for _ in range(args.repeat):
        for label, (fmt_name, _) in GENERATORS.items():
            events[label], wall, cpu = measure(fmt_name, paths[label])
            walls[label].append(wall / args.lines * 1e6)
            cpus[label].append(cpu / args.lines * 1e6)
    per_line: dict[str, float] = {}
    for label, (fmt_name, _) in GENERATORS.items():
        us = cpus[label]
        per_line[fmt_name] = statistics.median(us)
        print(
            f"{label:30} {args.lines:8d} lines {events[label]:8d} events  "
            f"wall median {statistics.median(walls[label]):5.2f} us/line  "
            f"cpu median {per_line[fmt_name]:5.2f} us/line "
            f"(spread {min(us):.2f}..{max(us):.2f}, {args.repeat} runs)"
        )
    reference = per_line["journald"]
    slower = [n for n in ("multus-log", "containerd") if per_line[n] > reference]
    for name in ("multus-log", "containerd"):
        verdict = "FAIL" if name in slower else "PASS"
        print(
            f"{verdict}: {name} costs {per_line[name] / reference:.2f}x the kubelet journal's "
            "median CPU time per line (must be <= 1.00x)"
        )
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
