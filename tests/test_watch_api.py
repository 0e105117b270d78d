"""The Python side of watch: ``mf.watch`` in a loop, ``mf.awatch`` in an event loop, and the
bounded window that still counts every repeat."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import multus_forensics as mf
from multus_forensics.errors import InputError
from multus_forensics.watch import Change, Watcher, WatchOptions

SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"
CAUSE = "multus_self_delegation"


def _seed_copy(tmp: Path) -> list[Path]:
    paths = []
    for name in ("kubelet.journal", "containerd.log", "multus.log"):
        (tmp / name).write_bytes((SEED / name).read_bytes())
        paths.append(tmp / name)
    return paths


def test_watch_in_a_for_loop_yields_the_seed_cause_from_existing_content(tmp_path: Path) -> None:
    paths = _seed_copy(tmp_path)
    seen: list[Change] = []
    for change in mf.watch(paths, since="beginning", year=2026, duration=20):
        seen.append(change)
        if change.finding.root_cause == CAUSE:
            break
    assert [c.finding.root_cause for c in seen] == [CAUSE]
    assert seen[0].reason == "new cause"
    assert seen[0].finding.pods == ("lab/probe-6d8f9c7b54-qwz4n",)
    assert seen[0].stats["lines"] == sum(p.read_text().count("\n") for p in paths)


def test_awatch_leaves_the_event_loop_free(tmp_path: Path) -> None:
    paths = _seed_copy(tmp_path)

    async def main() -> tuple[list[str], int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        causes = []
        async for change in mf.awatch(paths, since="beginning", year=2026, duration=20):
            causes.append(change.finding.root_cause)
            break
        stop.set()
        await task
        return causes, ticks

    causes, ticks = asyncio.run(main())
    assert causes == [CAUSE]
    assert ticks > 5  # the loop kept running while files were parsed and classified


def test_a_pipe_ends_the_watch_and_the_final_counts_equal_batch_diagnose(tmp_path: Path) -> None:
    fifo = tmp_path / "kubelet.fifo"
    os.mkfifo(fifo)
    data = (SEED / "kubelet.journal").read_bytes()

    def write() -> None:
        with open(fifo, "wb") as fh:
            for line in data.splitlines(keepends=True):
                fh.write(line)
                fh.flush()
                time.sleep(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    with Watcher([str(fifo)], WatchOptions(year=2026)) as w:
        deadline = time.monotonic() + 30
        changes = []
        while not w.done and time.monotonic() < deadline:
            changes += w.poll()
            w.wait()
        writer.join()
        assert w.done
        summary = w.summary()
    assert [c.finding.root_cause for c in changes] == [CAUSE]
    batch = mf.diagnose(SEED / "kubelet.journal", year=2026)
    assert {c.root_cause: c.count for c in summary.causes} == {f.root_cause: f.count for f in batch}
    assert summary.stats["lines"] == data.count(b"\n")


def test_a_small_window_stays_bounded_and_still_counts_every_repeat(tmp_path: Path) -> None:
    """The seed journal forty times over, between noise lines: a window of 300 events holds a
    fraction of it, yet each cause is counted as often as batch diagnose counts it."""
    seed = (SEED / "kubelet.journal").read_text(encoding="utf-8").splitlines()[1:]
    noise = (
        "Mar 11 13:02:50 edge-node-2 kubelet[2231]: I0311 13:02:50.100000    2231 "
        'kubelet_volumes.go:163] "Cleaned up orphaned pod volumes dir" podUID="{n:08d}-0000"'
    )
    lines = []
    for rep in range(40):
        lines += seed
        lines += [noise.format(n=rep * 100 + i) for i in range(60)]
    log = tmp_path / "kubelet.journal"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = WatchOptions(since="beginning", year=2026, max_events=300, max_classified=200)
    heights = []
    with Watcher([str(log)], options) as w:
        while w.stats()["lines"] < len(lines):
            w.poll()
            heights.append(w.window.collect().height)
        w.drain()
        summary = w.summary()
    assert max(heights) <= 300
    batch = mf.diagnose(log, year=2026)
    assert {c.root_cause: c.count for c in summary.causes} == {f.root_cause: f.count for f in batch}


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="since"):
        WatchOptions(since="yesterday")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_confidence"):
        WatchOptions(min_confidence=1.5)
    with pytest.raises(InputError, match="directory"):
        Watcher([str(SEED)])
    with pytest.raises(InputError, match="time zone"):
        Watcher(["-"], WatchOptions(tz="Mars/Olympus"))


def test_mf_watch_is_callable_even_after_the_package_was_imported() -> None:
    code = (
        "import multus_forensics.watch, multus_forensics as mf, sys\n"
        "assert callable(mf.watch) and callable(mf.awatch)\n"
        "print(type(mf.watch([], duration=0)).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "generator"


def test_importing_the_package_does_not_load_the_watch_engine() -> None:
    code = "import multus_forensics, sys; print('multus_forensics.watch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"
