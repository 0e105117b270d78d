"""Events kept on disk as Parquet come back as a lazy scan that diagnose and timelines accept."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.errors import InputError

SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"


def test_a_scan_of_written_events_diagnoses_and_builds_timelines_as_the_frame_does(
    tmp_path: Path,
) -> None:
    log = mf.parse(SEED)
    out = tmp_path / "events.parquet"
    log.write(str(out))
    scan = mf.scan_events(out)
    assert isinstance(scan, pl.LazyFrame)
    frame = log.to_polars()
    direct, scanned = mf.diagnose(frame), mf.diagnose(scan)
    assert [f.root_cause for f in scanned.findings] == [f.root_cause for f in direct.findings]
    assert [f.evidence for f in scanned.findings] == [f.evidence for f in direct.findings]
    assert scanned.top == "multus_self_delegation"
    assert mf.build_timelines(scan).attempts().equals(mf.build_timelines(frame).attempts())


def test_a_directory_of_event_files_is_one_scan(tmp_path: Path) -> None:
    log = mf.parse(SEED)
    half = log.frame.height // 2
    log.frame.slice(0, half).write_parquet(tmp_path / "a.parquet")
    log.frame.slice(half).write_parquet(tmp_path / "b.parquet")
    assert mf.scan_events(tmp_path).select(pl.len()).collect().item() == log.frame.height


def test_a_parquet_file_of_other_columns_is_refused_with_the_columns_named(tmp_path: Path) -> None:
    other = tmp_path / "other.parquet"
    pl.DataFrame({"time": [1], "colour": ["red"]}).write_parquet(other)
    with pytest.raises(InputError, match=r"not an event file.*missing: .*message.*unknown: colour"):
        mf.scan_events(other)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read as event Parquet"):
        mf.scan_events(tmp_path / "absent.parquet")


def test_a_parquet_event_file_given_as_a_log_says_how_to_load_it(tmp_path: Path) -> None:
    from multus_forensics.notlog import by_name

    out = tmp_path / "events.parquet"
    mf.parse(SEED).write(str(out))
    why = by_name(str(out), [])
    assert why is not None
    assert why.startswith("Parquet file (.parquet file; ")
    assert "scan_events" in why
