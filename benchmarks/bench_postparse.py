"""Cost of the passes that run after a stream is parsed: pod references and content years.

``parse()`` fills pod references from the text of pod-less rows
(:func:`multus_forensics.formats._podrefs.fill_pod_refs`) and dates year-less streams from the
full dates in their records (:func:`multus_forensics.ingest.content_years.year_from_content`).
This benchmark generates a kubelet journal (the ``bench_parse`` generator) and parses it in
fresh child processes, alternately with both passes and with both replaced by the identity,
``--rounds`` times each, without ``year=`` (so the content vote runs). It prints the best
wall time and the peak RSS of each, and their ratios: the passes may cost at most
:data:`FLOOR_TIME_RATIO` of the parse time and :data:`FLOOR_RSS_RATIO` of its peak memory
(ratios in the same run, because the machine is shared).

    .venv/bin/python benchmarks/bench_postparse.py --lines 300000 [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile

from bench_parse import GENERATORS

FLOOR_TIME_RATIO = 1.5
FLOOR_RSS_RATIO = 1.35

_CHILD = """
import resource, sys, time
import multus_forensics.pipeline as p
import multus_forensics.postparse as passes
if sys.argv[2] == "without":
    passes.fill_pod_refs = lambda df, release=None: df
    passes.year_from_content = lambda df, file, member, release=None: (df, [])
t = time.perf_counter()
df = p.parse(sys.argv[1]).to_polars()
dt = time.perf_counter() - t
print(df.height, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child(path: str, mode: str) -> tuple[int, float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, path, mode], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    fd, path = tempfile.mkstemp(suffix=".journal")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        GENERATORS["journald"](args.lines, random.Random(args.seed), fh)
    best: dict[str, tuple[float, int]] = {}
    try:
        for _ in range(args.rounds):
            for mode in ("without", "with"):
                _, secs, rss = _child(path, mode)
                old = best.get(mode)
                best[mode] = (
                    min(secs, old[0]) if old else secs,
                    min(rss, old[1]) if old else rss,
                )
    finally:
        os.unlink(path)
    t_ratio = best["with"][0] / best["without"][0]
    m_ratio = best["with"][1] / best["without"][1]
    for mode in ("without", "with"):
        secs, rss = best[mode]
        print(f"{mode:>8} the passes: best {secs:.2f} s, peak RSS {rss / 2**20:.0f} MiB")
    t_ok, m_ok = t_ratio <= FLOOR_TIME_RATIO, m_ratio <= FLOOR_RSS_RATIO
    print(f"time ratio {t_ratio:.2f} (floor {FLOOR_TIME_RATIO}) {'ok' if t_ok else 'FAIL'}")
    print(f"peak RSS ratio {m_ratio:.2f} (floor {FLOOR_RSS_RATIO}) {'ok' if m_ok else 'FAIL'}")
    return 0 if t_ok and m_ok else 1


if __name__ == "__main__":
    sys.exit(main())
