"""A report over several inputs on a real process pool finishes and equals one process's.

Each input is parsed and analysed on a worker, which sends its log back pickled; a frame polars
could not serialize blocked a worker for good while every unit test passed. This runs the
command users run (the README's demo is the same over every sample folder) with a deadline.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES

INPUTS = [str(SAMPLES / name) for name in ("seed", "kubelet", "bundles", "multus")]


def _report(out: Path, workers: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "multus_forensics", "report", *INPUTS, "-o", str(out)]
    return subprocess.run(
        [*argv, "--quiet", "-j", workers], capture_output=True, text=True, timeout=240
    )


def test_a_report_of_several_inputs_on_two_workers_finishes_like_one(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for out, workers in ((one, "1"), (two, "2")):
        done = _report(out, workers)
        assert done.returncode in (0, 3), done.stderr
    pages = sorted(p.relative_to(one) for p in one.rglob("*.html"))
    assert len(pages) > len(INPUTS)  # the index and a page per input
    for page in pages:
        assert (two / page).read_bytes() == (one / page).read_bytes(), page
