"""Year inference ladder for year-less stamps: argument > (file header) > bundle > mtimes.

The toy format's ``TOY mm-dd`` lines are year-less and take their year from the anchor the
pipeline builds; ``TOYFULL`` lines carry a full timestamp and define a bundle's span.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.ingest.years import reanchor_bundle
from multus_forensics.model import Event, events_to_frame
from multus_forensics.pipeline import parse

pytestmark = pytest.mark.usefixtures("toy_registry")

YEARLESS = "TOY 03-11 13:02:05 kubelet\nTOY 03-11 13:02:07 kubelet\n"
FULL = "TOYFULL 2026-03-11T13:02:06Z multus\n"


def _stamp(year: int, month: int = 7, day: int = 1) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


def _write(path: Path, text: str, mtime: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def _yearless(log_frame: pl.DataFrame) -> list[tuple[int, str]]:
    rows = log_frame.filter(pl.col("message") == "kubelet")
    return [(t.year, s) for t, s in zip(rows["time"], rows["year_source"], strict=True)]


def test_file_mtime_is_the_last_rung(tmp_path: Path) -> None:
    path = _write(tmp_path / "k.toy", YEARLESS, _stamp(2024))
    assert _yearless(parse(str(path)).frame) == [(2024, "file-mtime")] * 2


def test_gzip_header_mtime_beats_the_file_mtime(tmp_path: Path) -> None:
    path = tmp_path / "k.toy.gz"
    path.write_bytes(gzip.compress(YEARLESS.encode(), mtime=int(_stamp(2023))))
    os.utime(path, (_stamp(2024), _stamp(2024)))
    assert _yearless(parse(str(path)).frame) == [(2023, "gzip-mtime")] * 2


def test_archive_member_mtime_beats_the_archive_file_mtime(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo("k.toy")
        ti.size = len(YEARLESS)
        ti.mtime = int(_stamp(2022))
        tf.addfile(ti, io.BytesIO(YEARLESS.encode()))
    path = tmp_path / "b.tar"
    path.write_bytes(buf.getvalue())
    os.utime(path, (_stamp(2024), _stamp(2024)))
    assert _yearless(parse(str(path)).frame) == [(2022, "archive-mtime")] * 2


def test_bundle_timestamps_beat_mtimes(tmp_path: Path) -> None:
    _write(tmp_path / "bundle" / "kubelet.toy", YEARLESS, _stamp(2030))  # copied much later
    _write(tmp_path / "bundle" / "multus.toy", FULL, _stamp(2030))
    log = parse(str(tmp_path / "bundle"))
    assert _yearless(log.frame) == [(2026, "bundle")] * 2
    times = log.frame.filter(pl.col("message") == "kubelet")["time"].to_list()
    assert times[0] == datetime(2026, 3, 11, 13, 2, 5, tzinfo=UTC)


def test_bundle_inside_an_archive_reanchors_its_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, text in [("kubelet.toy", YEARLESS), ("multus.toy", FULL)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(text)
            ti.mtime = int(_stamp(2029))
            tf.addfile(ti, io.BytesIO(text.encode()))
    (tmp_path / "b.tgz").write_bytes(buf.getvalue())
    assert _yearless(parse(str(tmp_path / "b.tgz")).frame) == [(2026, "bundle")] * 2


def test_an_explicit_year_argument_beats_the_bundle(tmp_path: Path) -> None:
    _write(tmp_path / "bundle" / "kubelet.toy", YEARLESS, _stamp(2030))
    _write(tmp_path / "bundle" / "multus.toy", FULL, _stamp(2030))
    log = parse(str(tmp_path / "bundle"), year=2019)
    assert _yearless(log.frame) == [(2019, "argument")] * 2


def test_separate_arguments_are_separate_bundles(tmp_path: Path) -> None:
    k = _write(tmp_path / "kubelet.toy", YEARLESS, _stamp(2030))
    m = _write(tmp_path / "multus.toy", FULL, _stamp(2030))
    assert _yearless(parse([str(k), str(m)]).frame) == [(2030, "file-mtime")] * 2


def test_december_to_january_rollover_is_kept_when_reanchored(tmp_path: Path) -> None:
    yearless = "TOY 12-31 23:59:30 kubelet\nTOY 01-01 00:00:30 kubelet\n"
    full = "TOYFULL 2025-12-31T23:59:00Z multus\nTOYFULL 2026-01-01T00:01:00Z multus\n"
    _write(tmp_path / "b" / "kubelet.toy", yearless, _stamp(2027, 7))
    _write(tmp_path / "b" / "multus.toy", full, _stamp(2027, 7))
    frame = parse(str(tmp_path / "b")).frame.filter(pl.col("message") == "kubelet")
    assert frame["time"].to_list() == [
        datetime(2025, 12, 31, 23, 59, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC),
    ]
    assert frame["year_source"].to_list() == ["bundle", "bundle"]


def test_december_to_january_rollover_from_a_file_mtime(tmp_path: Path) -> None:
    yearless = "TOY 12-31 23:59:30 kubelet\nTOY 01-01 00:00:30 kubelet\n"
    path = _write(tmp_path / "kubelet.toy", yearless, _stamp(2026, 1, 2))
    assert _yearless(parse(str(path)).frame) == [(2025, "file-mtime"), (2026, "file-mtime")]


def _event(file: str, time: datetime, year_source: str | None, line: int = 1) -> Event:
    return Event(time=time, year_source=year_source, file=file, line=line)


def test_reanchor_leaves_streams_far_from_the_span_and_stronger_rungs_alone() -> None:
    span = [_event("m", datetime(2026, 3, 11, 13, tzinfo=UTC), None)]
    near = [_event("near", datetime(2031, 3, 12, tzinfo=UTC), "file-mtime")]
    far = [_event("far", datetime(2031, 8, 1, tzinfo=UTC), "file-mtime")]
    header = [_event("hdr", datetime(2031, 3, 11, tzinfo=UTC), "file-header")]
    out = reanchor_bundle(events_to_frame(span + near + far + header))
    got = {f: (t.year, s) for f, t, s in out.select("file", "time", "year_source").iter_rows()}
    assert got == {
        "m": (2026, None),
        "near": (2026, "bundle"),
        "far": (2031, "file-mtime"),
        "hdr": (2031, "file-header"),
    }


def test_reanchor_moves_a_whole_stream_by_its_best_shift() -> None:
    span = [_event("m", datetime(2026, 3, d, tzinfo=UTC), None) for d in (10, 20)]
    stream = [
        _event("k", datetime(2028, 3, 11, tzinfo=UTC), "gzip-mtime", 1),
        _event("k", datetime(2028, 3, 12, tzinfo=UTC), "gzip-mtime", 2),
        _event("k", datetime(2028, 9, 30, tzinfo=UTC), "gzip-mtime", 3),  # outside the span
    ]
    out = reanchor_bundle(events_to_frame(span + stream)).filter(pl.col("file") == "k")
    assert [t.year for t in out["time"]] == [2026, 2026, 2026]
    assert out["line"].to_list() == [1, 2, 3]  # row order preserved


def test_reanchor_without_explicit_events_changes_nothing() -> None:
    frame = events_to_frame([_event("k", datetime(2028, 3, 11, tzinfo=UTC), "file-mtime")])
    assert reanchor_bundle(frame).equals(frame)
