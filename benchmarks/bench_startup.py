"""What a user waits for on a small input: ``parse`` and ``diagnose`` of a 5-line file, ``--help``.

    .venv/bin/python benchmarks/bench_startup.py [--runs N]

Each command runs N times in a fresh interpreter (a real CLI call: imports, format detection,
parse, rule catalog, output); min / median / max wall times are printed with the budget
verdict on the median (:data:`BUDGETS`), next to the interpreter alone, ``import polars`` (the
floor every command that reads a log pays) and ``import multus_forensics`` for scale. The
"own" column is a command's median less the ``import polars`` median of the same run: the part
this package controls, and the part a loaded machine inflates least. The commands run in
turns (one run of each, N times), so a burst of load falls on all of them alike. ``python -X
importtime`` then lists the slowest imports of ``diagnose``, so a regression points at the
module that caused it. Exits 1 when a median is over its budget (timings depend on the machine
and its load: the load average is printed); :data:`TARGETS` (the margin an idle machine should
keep, since users run this on loaded nodes) are reported, not judged.

``--instructions`` also counts each command's instructions (all threads) under valgrind's
callgrind, when valgrind is installed: a count the machine's load does not change, printed as a
ratio to ``import polars``, so that two runs on a shared machine can be compared (not judged:
the budgets are in seconds; a run takes about a minute).

The package's bytecode is compiled first, as ``pip install`` does for users: with
``PYTHONDONTWRITEBYTECODE`` set (or a read-only checkout) every run would otherwise compile
each module from source again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: wall-time budget (s) of each judged command's median
BUDGETS = {"parse": 0.5, "diagnose": 0.5, "--help": 0.2}
#: what an idle machine should reach (s), reported next to the verdict
TARGETS = {"parse": 0.35, "diagnose": 0.35}
#: a kubelet journal's failed sandbox, a retry, a runtime line and two other writers' lines
FIVE_LINES = """\
Mar 11 14:02:07 edge-node-2 kubelet[2231]: E0311 14:02:07.418552    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"4d2c5e1a9b0f7c3e8d6a2b1f0e9c8d7a6b5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d\\": plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): [lab/probe-1/8a4f2c1e-3b5d-4e6f-9a7b-1c2d3e4f5a6b:macvlan-conf]: error adding container to network \\"macvlan-conf\\": failed to create macvlan: device or resource busy" pod="lab/probe-1"
Mar 11 14:02:08 edge-node-2 kubelet[2231]: I0311 14:02:08.000101    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/probe-1"
Mar 11 14:02:09 edge-node-2 crio[1187]: time="2026-03-11 14:02:09.418601000Z" level=info msg="Running pod sandbox: lab/probe-1/POD" id=5f1c
Mar 11 14:02:10 edge-node-2 systemd[1]: Started crio-conmon-4d2c5e1a9b0f.scope.
Mar 11 14:02:11 edge-node-2 kernel: IPv6: ADDRCONF(NETDEV_CHANGE): net1: link becomes ready
"""


def _time_once(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode not in (0, 3):  # 3: a finding at or above --fail-on
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-400:]}")
    return took


def _time_in_turns(cmds: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """``runs`` wall times of each command, one run of every command per turn."""
    times: dict[str, list[float]] = {label: [] for label in cmds}
    for _ in range(runs):
        for label, cmd in cmds.items():
            times[label].append(_time_once(cmd))
    return times


def _instructions(cmd: list[str]) -> int | None:
    """Instructions ``cmd`` executes (callgrind's "Collected" count), ``None`` without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    return None


def _slowest_imports(cmd: list[str], top: int = 10) -> list[tuple[int, str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd], capture_output=True, text=True, cwd=ROOT
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions under callgrind"
    )
    args = parser.parse_args(argv)
    cli = [sys.executable, "-m", "multus_forensics"]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "multus_forensics")], check=True
    )
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        small = Path(tmp) / "kubelet.journal"
        small.write_text(FIVE_LINES, encoding="utf-8")
        out = str(Path(tmp) / "events.jsonl")
        cases: dict[str, tuple[str | None, list[str]]] = {
            "python -c pass (interpreter floor)": (None, [sys.executable, "-c", "pass"]),
            "import polars (floor of a log command)": (None, [sys.executable, "-c", "import polars"]),
            "import multus_forensics": (None, [sys.executable, "-c", "import multus_forensics"]),
            "multus-forensics --help": ("--help", [*cli, "--help"]),
            "multus-forensics parse 5 lines -o .jsonl": ("parse", [*cli, "parse", str(small), "-o", out]),
            "multus-forensics diagnose 5 lines": ("diagnose", [*cli, "diagnose", str(small)]),
        }  # fmt: skip
        print(f"load average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(
            f"{'command':44} {'min':>7} {'median':>7} {'max':>7} {'own':>7}  "
            f"(s, {args.runs} runs each, in turns)"
        )
        times = _time_in_turns({label: cmd for label, (_, cmd) in cases.items()}, args.runs)
        floor = statistics.median(times["import polars (floor of a log command)"])
        failed = False
        for label, (judged, _) in cases.items():
            t = times[label]
            med = statistics.median(t)
            flag, own = "", ""
            if judged is not None:
                budget, target = BUDGETS[judged], TARGETS.get(judged)
                ok = med < budget
                flag = f"{'PASS' if ok else 'FAIL'} (budget {budget} s"
                if target is not None:
                    flag += f"; target {target} s {'met' if med <= target else 'missed'}"
                flag += ")"
                failed |= not ok
                own = f"{med - floor:7.3f}" if judged != "--help" else ""
            print(f"{label:44} {min(t):7.3f} {med:7.3f} {max(t):7.3f} {own:>7}  {flag}")
        if args.instructions:
            counts = {label: _instructions(cmd) for label, (_, cmd) in cases.items()}
            base = counts["import polars (floor of a log command)"]
            if base is None:
                print("\ninstructions: valgrind not found")
            else:
                print("\ninstructions (callgrind, all threads; the load does not change them):")
                for label, count in counts.items():
                    print(f"  {label:44} {count or 0:>14,}  {(count or 0) / base:5.2f}x polars")
        print("\nslowest imports of `diagnose` on 5 lines (cumulative µs):")
        for us, name in _slowest_imports(["-m", "multus_forensics", "diagnose", str(small)]):
            print(f"  {us:>9}  {name}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
