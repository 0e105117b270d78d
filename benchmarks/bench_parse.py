"""Parse-cost benchmark on inputs shaped like what nodes really write, and one format alone.

Default (the suite): every input below is written to a file of about ``--lines`` lines and
parsed by ``multus_forensics.parse`` in a fresh child process, in one run, so the figures share
the machine's load. Each input's CPU time per line (all threads of the child: the cost, which
other work on a shared machine disturbs less than wall time; wall time is printed too) is
compared with the generated kubelet journal's (one host, one identifier, rising times: the
easiest input there is), and must stay within :data:`FLOOR_VS_GENERATED` of it:

* ``generated kubelet journal``: the reference (:func:`gen_journald`)
* ``OpenShift worker journal``: kubenswrapper, crio, systemd, NetworkManager, kernel, ovs,
  conmon, bootkube.sh, podman, kube-apiserver, multus interleaved; restarts; crossed blocks
* ``three nodes, short-precise``: a must-gather of three nodes' journals interleaved
* ``kubelet-only journal, restarts and blocks``: ``journalctl -u kubelet`` of such a node
* ``bare klog file, glog preambles``: a Windows-style ``kubelet.INFO`` with restarts
* ``real: ...``: public log files (benchmarks/data, sources in its README), each repeated:
  an RKE kubelet container log, an OpenShift bootstrap node's kubelet journal (``kubelet.sh``
  identifier, space-indented block bodies) and a Windows node's kubelet.log (glog preambles)
* small files: the generated journal's lines cut into files of 100 lines (each file one
  argument of the parse call) and of 10 lines (one must-gather-like folder of them), as many
  files as it takes to hold as many lines as the reference: the start-up cost of a parse call
  (importing polars is most of it) is then shared by as many lines in every row

A 5-line parse is timed too: its CPU time is the start-up cost every row pays once; the ``net``
columns take it off (the per-line cost proper), the verdict is on the whole cost. Each input is
parsed ``--repeat`` times in rounds and judged on its median; inputs of many files are printed
beside a plain loop that opens, reads and closes the same files (the least a file can cost).

Prints a table (lines, seconds, µs per line, ratio, verdict) and exits 1 when any input FAILs.

``--format NAME`` instead measures one generated format against a plain Python loop over the
same file (rate ratio and peak RSS net of the interpreter and libraries), as before.

    .venv/bin/python benchmarks/bench_parse.py                      # the suite, 400k lines each
    .venv/bin/python benchmarks/bench_parse.py --lines 50000        # quicker, same floors
    .venv/bin/python benchmarks/bench_parse.py --small-only         # reference and small files
    .venv/bin/python benchmarks/bench_parse.py --format journald --lines 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import nodegen

Generator = Callable[[int, random.Random, IO[str]], None]

#: the performance floor: parse rate / plain-loop rate, and peak RSS / file size
FLOOR_RATIO = 0.25
FLOOR_RSS_OVER_FILE = 2.0
#: the suite's floor: cost per line of each real-shaped input / the generated journal's
FLOOR_VS_GENERATED = 2.0
DATA = Path(__file__).resolve().parent / "data"

NAMESPACES = ("lab", "kube-system", "monitoring", "edge-apps", "telco-cnf")
HOSTS = ("edge-node-2",)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _pods(rng: random.Random, n: int = 40) -> list[tuple[str, str, str, str]]:
    pods = []
    for i in range(n):
        ns = NAMESPACES[i % len(NAMESPACES)]
        name = f"app{i}-{_hex(rng, 10)}-{_hex(rng, 5)}"
        pods.append((ns, name, _uid(rng), _hex(rng, 64)))
    return pods


def _chain(ns: str, name: str, uid: str, sandbox: str, rng: random.Random) -> str:
    """A long nested CNI error as containerd returns it (klog-quoted once by the caller)."""
    net = rng.choice(("macvlan-conf", "sriov-net-a", "vlan100"))
    leaf = rng.choice(
        (
            'DelegateAdd: cannot set "macvlan" interface name to "net1": validateIfName: interface name net1 already exists',
            "failed to create macvlan: device or resource busy",
            'failed to find plugin "sriov" in path [/opt/cni/bin]',
            "no IP addresses available in range set: 192.0.2.10-192.0.2.12",
        )
    )
    return (
        f'rpc error: code = Unknown desc = failed to setup network for sandbox "{sandbox}": '
        f'plugin type="multus" name="multus-cni-network" failed (add): '
        f'[{ns}/{name}/{uid}:{net}]: error adding container to network "{net}": {leaf}'
    )


def _q(text: str) -> str:
    """Go %q of ``text`` (enough for the ASCII texts generated here)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_journald(n_lines: int, rng: random.Random, out: IO[str]) -> None:
    """kubelet journal (``journalctl -u kubelet -o short``), ~5 % long nested CNI errors."""
    pods = _pods(rng)
    pid = 2231
    t = 1773234000.0  # 2026-03-11 13:00 UTC
    month = "Mar"
    written = 0
    while written < n_lines:
        t += rng.random() * 0.05
        sec = int(t) % 86400
        hh, mm, ss = sec // 3600, sec // 60 % 60, sec % 60
        us = int((t % 1) * 1e6)
        day = 11 + int((t - 1773187200) // 86400)
        prefix = f"{month} {day:02d} {hh:02d}:{mm:02d}:{ss:02d} {HOSTS[0]} kubelet[{pid}]: "
        klog_t = f"03{day:02d} {hh:02d}:{mm:02d}:{ss:02d}.{us:06d} {pid:>7}"
        ns, name, uid, sandbox = rng.choice(pods)
        ref = f'pod="{ns}/{name}"'
        r = rng.random()
        if r < 0.05:  # one of the four call sites of a failed sandbox, with the nested chain
            err = _chain(ns, name, uid, sandbox, rng)
            site = rng.randrange(4)
            if site == 0:
                msg = f'remote_runtime.go:193] "RunPodSandbox from runtime service failed" err={_q(err)}'
            elif site == 1:
                msg = f'kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err={_q(err)} {ref}'
            elif site == 2:
                msg = f'kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err={_q(err)} {ref}'
            else:
                target = f"{name}_{ns}({uid})"
                inner = f"Failed to create sandbox for pod {_q(target)}: {err}"
                sync = f'failed to "CreatePodSandbox" for {_q(target)} with CreatePodSandboxError: {_q(inner)}'
                msg = f'pod_workers.go:1301] "Error syncing pod, skipping" err={_q(sync)} {ref} podUID="{uid}"'
            line = f"E{klog_t} {msg}"
        elif r < 0.25:
            line = f'I{klog_t} prober_manager.go:312] "SyncLoop (probe)" probe="readiness" status="ready" {ref}'
        elif r < 0.32:
            line = (
                f'I{klog_t} kubelet.go:2453] "SyncLoop (PLEG): event for pod" {ref} '
                f'event={{"ID":"{uid}","Type":"ContainerStarted","Data":"{sandbox}"}}'
            )
        elif r < 0.36:
            line = f'I{klog_t} util.go:30] "No sandbox for pod can be found. Need to start a new one" {ref}'
        elif r < 0.46:
            vol = f"kube-api-access-{_hex(rng, 5)}"
            text = (
                f'operationExecutor.MountVolume started for volume "{vol}" (UniqueName: '
                f'"kubernetes.io/projected/{uid}-{vol}") pod "{name}" (UID: "{uid}") '
            )
            line = f"I{klog_t} reconciler_common.go:231] {_q(text)} {ref}"
        elif r < 0.56:
            line = f'I{klog_t} kubelet.go:2424] "SyncLoop UPDATE" source="api" pods=["{ns}/{name}"]'
        elif r < 0.62:
            line = (
                f'I{klog_t} prober.go:107] "Probe failed" probeType="Readiness" {ref} '
                f'podUID="{uid}" containerName="app" probeResult="failure" '
                f'output="HTTP probe failed with statuscode: 503"'
            )
        elif r < 0.70:
            line = f'I{klog_t} scope.go:117] "RemoveContainer" containerID="{_hex(rng, 64)}"'
        elif r < 0.78:
            line = (
                f"W{klog_t} reflector.go:539] k8s.io/client-go/informers/factory.go:159: watch of "
                f'*v1.Pod ended with: an error on the server ("unable to decode an event from '
                f'the watch stream: http2: client connection lost") has prevented the request from succeeding'
            )
        elif r < 0.999:
            line = (
                f'I{klog_t} kubelet_volumes.go:163] "Cleaned up orphaned pod volumes dir" '
                f'podUID="{uid}" path="/var/lib/kubelet/pods/{uid}/volumes"'
            )
        else:  # a thick-Multus error with a newline: an err=< block over three records
            err = _chain(ns, name, uid, sandbox, rng)
            out.write(
                f'{prefix}E{klog_t} kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err=<\n'
            )
            out.write(f"{prefix}\t{err}\n")
            out.write(
                f'{prefix}\t\': StdinData: {{"cniVersion":"0.3.1","name":"multus-cni-network"}}\n'
            )
            line = f"{prefix[:-1]}  > {ref}"
            out.write(line + "\n")
            written += 4
            continue
        out.write(prefix + line + "\n")
        written += 1


GENERATORS: dict[str, Generator] = {"journald": gen_journald}

# runtime / Multus formats: generators live beside their in-process benchmark
from bench_runtime import gen_containerd, gen_multus_log  # noqa: E402

GENERATORS.update({"multus-log": gen_multus_log, "containerd": gen_containerd})

_CHILD_PARSE = """
import resource, sys, time
import polars, multus_forensics
t = time.perf_counter()
df = multus_forensics.parse(sys.argv[1], year=2026).to_polars()
dt = time.perf_counter() - t
print(df.height, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
_CHILD_LOOP = """
import resource, sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        parts = line.split(" ", 5)
        n += len(parts) > 5
dt = time.perf_counter() - t
print(n, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
_CHILD_BASE = """
import resource
import numpy, polars, pyarrow, multus_forensics  # what the parse child loads
print(0, 0.0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child(code: str, path: str) -> tuple[int, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", code, path], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) * 1024


def run(fmt: str, lines: int, seed: int, keep: bool) -> dict[str, float]:
    rng = random.Random(seed)
    fd, path = tempfile.mkstemp(suffix=f".{fmt}.log")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        GENERATORS[fmt](lines, rng, fh)
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        n_lines = sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b""))
    try:
        _, _, base_rss = _child(_CHILD_BASE, path)
        events, parse_s, parse_rss = _child(_CHILD_PARSE, path)
        _, loop_s, loop_rss = _child(_CHILD_LOOP, path)
    finally:
        if not keep:
            os.unlink(path)
    result = {
        "format": fmt,
        "lines": n_lines,
        "file_mb": size / 1e6,
        "events": events,
        "parse_s": parse_s,
        "parse_lines_per_s": n_lines / parse_s,
        "loop_lines_per_s": n_lines / loop_s,
        "ratio_parse_to_loop": (n_lines / parse_s) / (n_lines / loop_s),
        "parse_peak_rss_mb": parse_rss / 1e6,
        "baseline_rss_mb": base_rss / 1e6,
        "parse_net_rss_mb": (parse_rss - base_rss) / 1e6,
        "net_rss_over_file": (parse_rss - base_rss) / size,
        "raw_rss_over_file": parse_rss / size,
        "loop_peak_rss_mb": loop_rss / 1e6,
        "loadavg_1m": os.getloadavg()[0],  # other work on the machine skews every rate above
    }
    if keep:
        result["path"] = path  # type: ignore[assignment]
    return result


def verdict(res: dict[str, float]) -> list[str]:
    """Lines stating the floor and whether this run meets it (ratio and memory)."""
    ratio, net, raw = res["ratio_parse_to_loop"], res["net_rss_over_file"], res["raw_rss_over_file"]
    return [
        f"floor: parse >= {FLOOR_RATIO:.2f} x plain loop rate; "
        f"peak RSS <= {FLOOR_RSS_OVER_FILE:.1f} x file size",
        f"ratio:  {ratio:.3f} (floor {FLOOR_RATIO:.2f}) {'PASS' if ratio >= FLOOR_RATIO else 'FAIL'}",
        f"memory: net {net:.2f} x file (floor {FLOOR_RSS_OVER_FILE:.1f}) "
        f"{'PASS' if net <= FLOOR_RSS_OVER_FILE else 'FAIL'}; raw {raw:.2f} x file "
        f"{'PASS' if raw <= FLOOR_RSS_OVER_FILE else 'FAIL'}",
    ]


def _lines(gen: Iterator[str], out: IO[str]) -> None:
    for line in gen:
        out.write(line + "\n")


def _repeat(path: Path, n_lines: int, out: IO[str]) -> None:
    """A real file's lines, repeated until ``n_lines`` (a node that restarts its kubelet)."""
    text = path.read_text(encoding="utf-8")
    per = max(1, text.count("\n"))
    for _ in range(-(-n_lines // per)):
        out.write(text)


#: the suite: label -> (file name, writer of about n lines); the first is the reference
SUITE: dict[str, tuple[str, Callable[[int, random.Random, IO[str]], None]]] = {
    "generated kubelet journal": ("kubelet.journal", gen_journald),
    "OpenShift worker journal": (
        "worker.journal",
        lambda n, rng, out: _lines(nodegen.node_journal(n, rng), out),
    ),
    "three nodes, short-precise": (
        "nodes.journal",
        lambda n, rng, out: _lines(
            nodegen.node_journal(
                n, rng, nodegen.Shape(hosts=("master-0", "worker-1", "worker-2"), precise=True)
            ),
            out,
        ),
    ),
    "kubelet-only journal, restarts, blocks": (
        "kubelet-only.journal",
        lambda n, rng, out: _lines(
            nodegen.node_journal(
                n, rng, nodegen.Shape(idents=(("kubenswrapper", True, 1.0),), restarts=5)
            ),
            out,
        ),
    ),
    "bare klog file, glog preambles": (
        "kubelet.INFO",
        lambda n, rng, out: _lines(nodegen.klog_file(n, rng, restarts=5), out),
    ),
    "real: RKE kubelet.log (repeated)": (
        "kubelet.log",
        lambda n, rng, out: _repeat(DATA / "rke-kubelet.log", n, out),
    ),
    "real: OpenShift bootstrap journal (repeated)": (
        "bootstrap.journal",
        lambda n, rng, out: _repeat(DATA / "openshift-bootstrap-kubelet.journal", n, out),
    ),
    "real: Windows kubelet.log (repeated)": (
        "windows-kubelet.log",
        lambda n, rng, out: _repeat(DATA / "windows-kubelet.log", n, out),
    ),
}
#: small-file inputs: lines per file, and whether the files are one folder argument (a
#: must-gather, 100 files per sub-folder) rather than one argument each
SMALL_INPUTS: dict[str, tuple[int, bool]] = {"journals of 100 lines": (100, False),
                                             "must-gather: files of 10 lines": (10, True)}  # fmt: skip

_CHILD_SUITE = """
import sys, time
import multus_forensics
t, c = time.perf_counter(), time.process_time()
df = multus_forensics.parse(sys.argv[1:], year=2026).to_polars()
print(df.height, time.perf_counter() - t, time.process_time() - c)
"""
#: the least a parse of many files can cost per file: a plain loop that lists the folders and
#: opens, reads and closes every file (what the small-file rows are printed beside)
_CHILD_FLOOR = """
import os, sys, time
t, c = time.perf_counter(), time.process_time()
n = 0
for top in sys.argv[1:]:
    walked = os.walk(top) if os.path.isdir(top) else [(os.path.dirname(top), [], [os.path.basename(top)])]
    for root, dirs, files in walked:
        dirs.sort()
        for name in sorted(files):
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            os.read(fd, os.fstat(fd).st_size + 1)
            os.close(fd)
            n += 1
print(n, time.perf_counter() - t, time.process_time() - c)
"""


def _small_files(directory: Path, n_lines: int, seed: int, per: int, folder: bool) -> list[str]:
    """The generated journal's lines cut into files of ``per`` lines: the files, or their
    folder when ``folder``."""
    big = directory / "all.journal"
    with big.open("w", encoding="utf-8") as fh:
        gen_journald(n_lines, random.Random(seed), fh)
    lines = big.read_text(encoding="utf-8").splitlines(keepends=True)
    big.unlink()
    paths = []
    for k in range(-(-len(lines) // per)):
        sub = directory / f"part-{k // 100:03d}" if folder else directory
        sub.mkdir(exist_ok=True)
        path = sub / f"small-{k:05d}.journal"
        path.write_text("".join(lines[k * per : (k + 1) * per]), encoding="utf-8")
        paths.append(str(path))
    return [str(directory)] if folder else paths


def _count_lines(paths: list[str]) -> tuple[int, int]:
    """(lines, files) under ``paths`` (files or folders)."""
    files = [
        os.path.join(d, f) for p in paths
        for d, _, names in (os.walk(p) if os.path.isdir(p) else [(os.path.dirname(p), [], [os.path.basename(p)])])
        for f in names
    ]  # fmt: skip
    n = 0
    for f in files:
        with open(f, "rb") as fh:
            n += sum(buf.count(b"\n") for buf in iter(lambda: fh.read(1 << 24), b""))
    return n, len(files)


def _run_child(paths: list[str], script: str = _CHILD_SUITE) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds of all threads) of one ``parse`` in a fresh process
    (with :data:`_CHILD_FLOOR`: files read, and the seconds of reading them)."""
    out = subprocess.run(
        [sys.executable, "-c", script, *paths], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def run_suite(
    n_lines: int, seed: int, small_lines: int, small_only: bool = False, repeat: int = 3
) -> tuple[list[dict[str, object]], float]:
    """Each suite input written, parsed in a child process, and judged against the first;
    also the CPU seconds of a 5-line parse (the start-up every row pays once).
    ``small_only``: the reference and the small-file inputs, no other large file.

    Every input is parsed ``repeat`` times, in rounds (each round parses every input once,
    so a burst of other work on a shared machine falls on all of them alike), and judged
    on its median CPU time; inputs of many files also get the plain loop's cost of reading
    them (:data:`_CHILD_FLOOR`, median of as many rounds)."""
    rows: list[dict[str, object]] = []
    suite = list(SUITE.items())[:1] if small_only else list(SUITE.items())
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        inputs: list[tuple[str, list[str]]] = []
        for label, (name, write) in suite:
            sub = Path(tmp) / str(len(inputs))
            sub.mkdir()
            with (sub / name).open("w", encoding="utf-8") as fh:
                write(n_lines, random.Random(seed), fh)
            inputs.append((label, [str(sub / name)]))
        for label, (per, folder) in SMALL_INPUTS.items():
            small = Path(tmp) / f"small-{per}"
            small.mkdir()
            paths = _small_files(small, small_lines, seed, per, folder)
            inputs.append((label, paths))
        five = Path(tmp) / "five.journal"
        with five.open("w", encoding="utf-8") as fh:
            gen_journald(5, random.Random(seed), fh)
        counted = [_count_lines(paths) for _, paths in inputs]
        runs: list[list[tuple[int, float, float]]] = [[] for _ in inputs]
        floors: list[list[float]] = [[] for _ in inputs]
        for _ in range(repeat):
            for k, (_, paths) in enumerate(inputs):
                runs[k].append(_run_child(paths))
                if counted[k][1] > 1:
                    floors[k].append(_run_child(paths, _CHILD_FLOOR)[2])
        for (label, _), (n, files), got, floor in zip(inputs, counted, runs, floors, strict=True):
            events = got[0][0]
            seconds = statistics.median(r[1] for r in got)
            cpu = statistics.median(r[2] for r in got)
            shown = label if files == 1 else f"{files:,} {label}"
            rows.append({"input": shown, "files": files, "lines": n, "events": events,
                         "seconds": seconds, "cpu_s": cpu, "us_per_line": seconds / n * 1e6,
                         "cpu_us_per_line": cpu / n * 1e6,
                         "cpu_s_runs": [r[2] for r in got],
                         "read_floor_us_per_file": statistics.median(floor) / files * 1e6 if floor else None,
                         "cpu_us_per_file": cpu / files * 1e6})  # fmt: skip
        start_cpu = min(_run_child([str(five)])[2] for _ in range(3))
    ref = float(rows[0]["cpu_us_per_line"])  # type: ignore[arg-type]
    ref_net = (float(rows[0]["cpu_s"]) - start_cpu) / float(rows[0]["lines"])  # type: ignore[arg-type]
    for row in rows:
        ratio = float(row["cpu_us_per_line"]) / ref  # type: ignore[arg-type]
        net = (float(row["cpu_s"]) - start_cpu) / float(row["lines"])  # type: ignore[arg-type]
        row["net_cpu_us_per_line"] = net * 1e6
        row["net_vs_generated"] = net / ref_net
        row["vs_generated"] = ratio
        row["verdict"] = "PASS" if ratio <= FLOOR_VS_GENERATED else "FAIL"
    return rows, start_cpu


def print_suite(rows: list[dict[str, object]], start_cpu: float) -> None:
    print(
        f"{'input':44} {'lines':>9} {'events':>9} {'wall s':>7} {'wall us':>8} "
        f"{'cpu us':>7} {'vs gen':>7}      {'net us':>7} {'net vs':>7}"
    )
    for r in rows:
        print(
            f"{r['input']!s:44} {r['lines']:>9,} {r['events']:>9,} {r['seconds']:7.2f} "
            f"{r['us_per_line']:8.2f} {r['cpu_us_per_line']:7.2f} {r['vs_generated']:6.2f}x "
            f"{r['verdict']} {r['net_cpu_us_per_line']:7.2f} {r['net_vs_generated']:6.2f}x"
        )
    ref_line = float(rows[0]["cpu_us_per_line"])  # type: ignore[arg-type]
    for r in rows:
        if r.get("read_floor_us_per_file") is not None:
            lines_per_file = float(r["lines"]) / float(r["files"])  # type: ignore[arg-type]
            more = float(r["cpu_us_per_file"]) - ref_line * lines_per_file  # type: ignore[arg-type]
            print(
                f"{r['input']}: {more:.1f} us CPU per file above the generated journal's cost "
                f"of its lines; a plain loop listing, opening, reading and closing the same "
                f"files: {r['read_floor_us_per_file']:.1f} us per file"
            )
    runs = len(rows[0]["cpu_s_runs"])  # type: ignore[arg-type]
    print(
        f"floor: each input <= {FLOOR_VS_GENERATED:.1f}x the generated journal's CPU time per "
        f"line (all threads, median of {runs} rounds; wall time swings with other work on a "
        "shared machine)"
    )
    print(
        f"start-up: a 5-line parse costs {start_cpu:.2f} s CPU (best of 3), paid once per parse "
        "call; 'net' columns are without it"
    )
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=400_000)
    ap.add_argument(
        "--small-lines", type=int, help="lines over each set of small files (default: --lines)"
    )
    ap.add_argument(
        "--small-only",
        action="store_true",
        help="only the reference journal and the small-file inputs (quicker, same floors)",
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="rounds of the suite, judged on medians (default 3)"
    )
    ap.add_argument("--format", choices=sorted(GENERATORS), help="one format against a loop")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    # bytecode compiled first, as pip install does for users: with PYTHONDONTWRITEBYTECODE set
    # every child would otherwise compile each module it imports from source again
    root = Path(__file__).resolve().parent.parent / "multus_forensics"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root)], check=True)
    if args.format is None:
        rows, start_cpu = run_suite(
            args.lines, args.seed, args.small_lines or args.lines, args.small_only, args.repeat
        )
        if args.json:
            print(json.dumps({"rows": rows, "startup_cpu_s": start_cpu}, indent=2))
        else:
            print_suite(rows, start_cpu)
            print(f"wall: {time.perf_counter() - t:.1f} s")
        return int(any(r["verdict"] == "FAIL" for r in rows))
    res = run(args.format, args.lines, args.seed, args.keep)
    if args.json:
        print(json.dumps({**res, "verdict": verdict(res)}, indent=2))
    else:
        for key, value in res.items():
            shown = f"{value:,.3f}" if isinstance(value, float) else value
            print(f"{key:>22}: {shown}")
        print(f"{'wall_s':>22}: {time.perf_counter() - t:.1f}")
        print("\n".join(verdict(res)))
    return int(any("FAIL" in line for line in verdict(res)))


if __name__ == "__main__":
    raise SystemExit(main())
