"""crictl output: relative-second logrus lines without time, embedded klog, other output kept."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import SAMPLES, check_golden
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.runtime.crictl import CrictlFormat
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats
from multus_forensics.timeutil import YearAnchor

SAMPLE = SAMPLES / "runtime" / "crictl-runp.txt"
SB = "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b"


def test_sample_matches_golden_and_sniffs_as_crictl(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLE), year=2026)
    assert log.issues == []
    assert log.stats.files[0].format == "crictl"
    head = TextSource(str(SAMPLE), SAMPLE.read_text()).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert max(scores, key=lambda n: scores[n]) == "crictl"
    check_golden("runtime_crictl-runp", log.to_polars(), regen_golden)


def test_relative_seconds_give_no_time_but_keep_the_offset() -> None:
    events = frame_to_events(mf.parse(str(SAMPLE), year=2026).to_polars())
    fatal = events[3]
    assert (fatal.time, fatal.level, fatal.fields) == (None, "fatal", {"elapsed_s": 2})
    assert fatal.kind == "runtime:sandbox:failed"
    assert fatal.sandbox_id == SB
    assert fatal.error is not None
    assert fatal.error.startswith("run pod sandbox: rpc error")


def test_embedded_klog_line_gets_year_from_anchor_and_unquoted_err() -> None:
    events = frame_to_events(mf.parse(str(SAMPLE), year=2026).to_polars())
    klog = events[2]
    assert klog.time == datetime(2026, 7, 19, 20, 50, 53, 394867, UTC)
    assert klog.year_source == "argument"
    assert klog.error is not None
    assert f'sandbox "{SB}"' in klog.error


def test_other_output_lines_become_log_events_and_blanks_are_counted() -> None:
    text = "POD ID              CREATED\n\nINFO[0000] done\n"
    ctx = ParseContext(YearAnchor(year=2026, source="argument"))
    out = CrictlFormat().parse(TextSource("crictl.txt", text), ctx)
    events = frame_to_events(out.events)
    assert [(e.line, e.kind, e.time) for e in events] == [(1, "log", None), (3, "log", None)]
    assert out.blank_lines == 1
    assert out.issues == []


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("crictl", SAMPLES / "runtime/crictl-runp.txt")
