"""Install without a C compiler, then diagnose a large journal: same findings, and how much slower.

1. ``pip install .`` into a fresh virtual environment with ``CC=/bin/false`` (every compile
   fails), and checks that the package installed and reports its fast path off;
2. generates a kubelet journal of ``--mib`` MiB (:func:`bench_parse.gen_journald`);
3. runs ``multus-forensics diagnose --json`` on it with this checkout's compiled build and with
   the compiler-less install (from a neutral directory, so the checkout does not shadow it);
4. prints both wall times and their ratio, and FAILs (exit 1) when the install failed, the
   extension was built anyway, or the findings, unclassified errors or counts differ.

    .venv/bin/python benchmarks/bench_no_compiler.py [--mib 80] [--workdir /tmp/x] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_parse import gen_journald

ROOT = Path(__file__).resolve().parent.parent


def _journal(path: Path, mib: int) -> None:
    """About ``mib`` MiB of kubelet journal: the line count is scaled from a sample's size."""
    import io

    sample = io.StringIO()
    gen_journald(10_000, random.Random(7), sample)
    per_line = len(sample.getvalue().encode()) / 10_000
    with path.open("w", encoding="utf-8") as out:
        gen_journald(int(mib * 2**20 / per_line), random.Random(7), out)


def _diagnose(exe: Path, journal: Path, cwd: Path) -> tuple[dict[str, Any], float]:
    t = time.perf_counter()
    out = subprocess.run(
        [str(exe), "--quiet", "diagnose", str(journal), "--year", "2026", "--json"],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if out.returncode:
        raise RuntimeError(f"{exe} diagnose exited {out.returncode}: {out.stderr[-3000:]}")
    return json.loads(out.stdout), time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=80, help="journal size in MiB (default 80)")
    ap.add_argument("--workdir", type=Path, help="where the venv and journal go (default: temp)")
    ap.add_argument("--keep", action="store_true", help="keep the venv and the journal")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="mf-nocc-"))
    work.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    try:
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        t = time.perf_counter()
        install = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", str(ROOT)],
            env={**os.environ, "CC": "/bin/false", "CXX": "/bin/false"},
            capture_output=True,
            text=True,
        )
        print(
            f"{'install (CC=/bin/false)':>28}: exit {install.returncode}, {time.perf_counter() - t:.0f} s"
        )
        if install.returncode:
            print(install.stderr[-2000:])
            return 1
        state = subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             "import json, multus_forensics._native as n; print(json.dumps(n.status()))"],
            check=True, capture_output=True, text=True, cwd=work,
        ).stdout.strip()  # fmt: skip
        print(f"{'fast paths of that install':>28}: {state}")
        if json.loads(state).get("_kscan") is None:
            failures.append("the extension was built although the compiler fails")
        journal = work / "kubelet.journal"
        _journal(journal, args.mib)
        print(f"{'journal':>28}: {journal.stat().st_size / 2**20:.1f} MiB")
        compiled, t_c = _diagnose(ROOT / ".venv" / "bin" / "multus-forensics", journal, work)
        fallback, t_f = _diagnose(venv / "bin" / "multus-forensics", journal, work)
        print(f"{'diagnose, compiled build':>28}: {t_c:.1f} s")
        print(f"{'diagnose, no compiler':>28}: {t_f:.1f} s ({t_f / t_c:.2f} x the compiled time)")
        causes = [f"{f['root_cause']} x{f['count']}" for f in compiled["findings"]]
        print(f"{'findings (compiled)':>28}: {', '.join(causes) or 'none'}")
        for key in ("findings", "unclassified", "stats"):
            if compiled.get(key) != fallback.get(key):
                failures.append(f"{key} differ between the compiled and the compiler-less build")
        if not compiled["findings"]:
            failures.append("no finding: the comparison would prove nothing")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS: same findings without a compiler" if not failures else "FAIL")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
