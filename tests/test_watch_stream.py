"""A followed input parsed batch by batch gives the batch run's events: same lines, same records.

The sample logs are fed to :class:`LiveStream` in chunks cut anywhere (mid-line, mid-record),
as a writer flushing at random would, and the events are compared with ``multus_forensics.parse``
of the whole file.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.watch.follow import Chunk, Restart
from multus_forensics.watch.stream import LiveStream

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
COMPARED = ["line", "nlines", "kind", "level", "time", "pod", "sandbox_id", "message", "error"]


class ScriptedFollower:
    """Hands out prepared chunks, one list per read, then ends (a pipe) or stays open."""

    def __init__(self, label: str, reads: list[list[Chunk]], *, ends: bool = True) -> None:
        self.label = label
        self._reads = reads
        self._ends = ends
        self.mtime: datetime | None = None
        self.missing = False

    @property
    def ended(self) -> bool:
        return self._ends and not self._reads

    def read(self, limit: int = 0) -> list[Chunk]:
        return self._reads.pop(0) if self._reads else []

    def fileno(self) -> int | None:
        return None

    def close(self) -> None:
        pass


def _cuts(data: bytes, rng: random.Random, pieces: int) -> list[list[Chunk]]:
    points = sorted(rng.sample(range(1, len(data)), min(pieces, len(data) - 1)))
    return [[data[a:b]] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def _stream_events(stream: LiveStream, polls: int) -> pl.DataFrame:
    frames = []
    now = 0.0
    for _ in range(polls + 2):
        stream.pump(now)
        frames += [b.frame for b in stream.take(now) if b.frame is not None]
        now += 0.01  # faster than the settle time: records at a batch end are held back
    frames += [b.frame for b in stream.take(now + 10.0) if b.frame is not None]
    return pl.concat(frames) if frames else pl.DataFrame()


@pytest.mark.parametrize(
    "sample",
    [
        "seed/kubelet.journal",
        "seed/containerd.log",
        "seed/multus.log",
        "kubelet/thick-block.journal",
        "kubelet/kubelet.log",
        "multus/daemon.log",
        "runtime/crio-new.log",
        "kubectl/get_events_wide.txt",
        "kubectl/get_events_all_namespaces.txt",
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chunks_cut_anywhere_give_the_batch_events(sample: str, seed: int) -> None:
    path = SAMPLES / sample
    data = path.read_bytes()
    batch = mf.parse(path, year=2026).to_polars()
    follower = ScriptedFollower(path.name, _cuts(data, random.Random(seed), 7))
    stream = LiveStream(follower, year=2026, settle=0.05)
    live = _stream_events(stream, 8)
    assert live.select(COMPARED).to_dicts() == batch.select(COMPARED).to_dicts()
    assert stream.stats.lines == data.count(b"\n")
    assert stream.stats.events == batch.height


def test_a_restart_numbers_lines_from_one_again_and_keeps_the_last_unterminated_line() -> None:
    lines = (SAMPLES / "seed" / "kubelet.journal").read_text(encoding="utf-8").splitlines()
    first = "\n".join(lines[:10]).encode()  # the 10th line has no newline yet when truncated
    second = ("\n".join(lines[10:14]) + "\n").encode()
    follower = ScriptedFollower(
        "kubelet.journal", [[first], [Restart("truncated"), second]], ends=False
    )
    stream = LiveStream(follower, year=2026, settle=0.05)
    stream.pump(0.0)
    before = stream.take(1.0)
    stream.pump(2.0)
    after = stream.take(3.0)
    # the old file's last line is parsed at the restart, before the new content
    assert [b.generation for b in before + after] == [0, 0, 1]
    frames = [b.frame for b in before + after]
    assert all(f is not None for f in frames)
    # line 1 is the journal's "-- Logs begin at" header: a header line, not an event
    assert [f["line"].to_list() for f in frames if f is not None] == [
        list(range(2, 10)),
        [10],
        [1, 2, 3, 4],
    ]
    assert stream.stats.lines == 14
    assert any("truncated" in n for n in stream.notices)


def test_format_is_chosen_once_enough_lines_came_and_unknown_text_is_counted_unparsed() -> None:
    noise = b"".join(b"%d frobnicated the widget\n" % i for i in range(60))
    follower = ScriptedFollower("noise.txt", [[noise[:40]], [noise[40:]]])
    stream = LiveStream(follower, settle=0.05)
    stream.pump(0.0)
    assert stream.take(0.0) == []
    assert stream.waiting  # too few lines to give up on a format yet
    stream.pump(0.01)
    stream.take(1.0)
    assert stream.fmt is None
    assert stream.stats.lines == 60
    assert stream.stats.unparsed_lines == 60
    assert any("not parsed" in n for n in stream.notices)


def test_table_rows_after_the_first_batch_are_read_with_the_header() -> None:
    """``kubectl get events -w``: the header comes once, rows trickle in later batches."""
    path = SAMPLES / "kubectl" / "get_events_wide.txt"
    data = path.read_bytes()
    batch = mf.parse(path).to_polars()
    reads: list[list[Chunk]] = [[line] for line in data.splitlines(keepends=True)]
    stream = LiveStream(ScriptedFollower(path.name, reads), settle=0.05)
    frames = []
    for step in range(len(reads) + 1):
        stream.pump(step * 1.0)  # each line alone, long after the previous: one batch each
        frames += [b.frame for b in stream.take(step * 1.0 + 0.5) if b.frame is not None]
    live = pl.concat(frames)
    assert len(frames) > 1
    # facts a batch run infers from the whole table (a namespace named by one row, the row's
    # index) are not compared: a live table has no "whole"
    columns = [*COMPARED, "raw"]
    assert live.select(columns).to_dicts() == batch.select(columns).to_dicts()
