"""``journalctl -o json``: µs times, MESSAGE shapes, cursor dedup, err=< stitching, payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.base import TextSource
from multus_forensics.formats.kubelet.journal_json import JournalJson, complete_local_time, realtime

JSON_SAMPLES = [
    "edge-node-2.journal.json",
    "worker-3-thick.journal.json",
    "kubelet-klogjson.journal.json",
]
SB = "093676ea90f22370ee97079fb48e7c1fb0fe37bca25a1ac7fee45fe4cb6cf512"
T0 = 1773234127900311  # 2026-03-11T13:02:07.900311Z


def _rec(
    cursor: int,
    message: object,
    *,
    us: int = T0,
    ident: str = "kubelet",
    pid: int = 2231,
    host: str = "edge-node-2",
    **extra: str,
) -> str:
    obj: dict[str, Any] = {
        "__CURSOR": f"s=ab;i={cursor:x}",
        "__REALTIME_TIMESTAMP": str(us),
        "_HOSTNAME": host,
        "SYSLOG_IDENTIFIER": ident,
        "_PID": str(pid),
        "PRIORITY": "6",
        "MESSAGE": message,
        **extra,
    }
    return json.dumps(obj)


def _parse(tmp_path: Path, lines: list[str]) -> mf.EventLog:
    path = tmp_path / "node.journal.json"
    path.write_text("\n".join(lines) + "\n")
    return mf.parse(str(path))


@pytest.mark.parametrize("name", JSON_SAMPLES)
def test_sample_matches_golden(name: str, regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLES / "json" / name))
    assert log.stats.files[0].format == "journal-json"
    assert all(i.severity == "warning" for i in log.issues)
    check_golden(
        "json_" + name.removesuffix(".json").replace(".", "_"), log.to_polars(), regen_golden
    )


@pytest.mark.parametrize("name", JSON_SAMPLES)
def test_sample_sniffs_high(name: str) -> None:
    path = SAMPLES / "json" / name
    assert JournalJson().sniff(TextSource(str(path), path.read_text()).head()) == 1.0


def test_klog_json_file_does_not_sniff_as_journal() -> None:
    path = SAMPLES / "json" / "kubelet-klog.json"
    assert JournalJson().sniff(TextSource(str(path), path.read_text()).head()) == 0.0


def test_realtime_is_epoch_microseconds() -> None:
    assert realtime("1773234127900311") == datetime(2026, 3, 11, 13, 2, 7, 900311, UTC)
    assert realtime("not a number") is None


def test_plain_payload_keeps_journal_time_host_and_ident(tmp_path: Path) -> None:
    log = _parse(tmp_path, [_rec(1, "Started Session 4 of User core.", ident="systemd", pid=1)])
    (event,) = mf.model.frame_to_events(log.to_polars())
    assert event.time == datetime(2026, 3, 11, 13, 2, 7, 900311, UTC)
    assert event.year_source is None
    assert (event.node, event.source, event.kind) == ("edge-node-2", "systemd", "log")
    assert event.message == "Started Session 4 of User core."
    assert event.fields["journal"]["pid"] == "1"


def test_null_message_is_kept_empty_with_a_warning(tmp_path: Path) -> None:
    log = _parse(tmp_path, [_rec(1, None)])
    df = log.to_polars()
    assert df["message"].to_list() == [""]
    (issue,) = log.issues
    assert (issue.severity, issue.line) == ("warning", 1)
    assert "--all" in issue.reason


def test_byte_array_message_is_decoded_with_replacement_and_a_warning(tmp_path: Path) -> None:
    data = list(b"link \xff\xfe gone")
    log = _parse(tmp_path, [_rec(1, data, ident="containerd"), _rec(2, list(b"plain bytes"))])
    assert log.to_polars()["message"].to_list() == ["link \ufffd\ufffd gone", "plain bytes"]
    (issue,) = log.issues
    assert (issue.severity, issue.line) == ("warning", 1)
    assert "not valid UTF-8" in issue.reason


def test_duplicate_cursor_is_kept_once_and_counted(tmp_path: Path) -> None:
    first = _rec(7, "Started Session 4 of User core.", ident="systemd")
    log = _parse(tmp_path, [first, _rec(8, "other", ident="systemd"), first])
    df = log.to_polars()
    assert df["message"].to_list() == ["Started Session 4 of User core.", "other"]
    assert df["nlines"].to_list() == [2, 1]
    assert json.loads(df["fields"][0])["lines"] == [1, 3]
    (issue,) = log.issues
    assert (issue.severity, issue.line) == ("warning", 3)
    assert "line 1" in issue.reason


def test_err_block_is_stitched_by_writer_across_interleaved_records(tmp_path: Path) -> None:
    head = 'E0311 13:02:07.900120    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err=<'
    body = f'\trpc error: code = Unknown desc = failed to setup network for sandbox "{SB}": CmdAdd (shim): boom'
    lines = [
        _rec(1, head),
        _rec(2, body, us=T0 + 10),
        _rec(3, "a kubelet of another node", us=T0 + 11, host="edge-node-3"),
        _rec(4, "\t': StdinData: {}", us=T0 + 20),
        _rec(5, "containerd says hi", us=T0 + 21, ident="containerd", pid=1187),
        _rec(6, ' > pod="lab/probe-6d8f9c7b54-qwz4n"', us=T0 + 30),
    ]
    log = _parse(tmp_path, lines)
    assert log.issues == []
    df = log.to_polars()
    assert df["line"].to_list() == [1, 3, 5]
    assert df["nlines"].to_list() == [4, 1, 1]
    assert json.loads(df["fields"][0])["lines"] == [1, 2, 4, 6]
    assert "lines" not in json.loads(df["fields"][1])
    block = df.row(0, named=True)
    assert block["kind"] == "kubelet:sandbox:failed"
    assert (block["namespace"], block["pod"], block["sandbox_id"]) == (
        "lab",
        "probe-6d8f9c7b54-qwz4n",
        SB,
    )
    assert block["error"].endswith("CmdAdd (shim): boom\n': StdinData: {}")
    assert block["raw"].split("\n") == [lines[0], lines[1], lines[3], lines[5]]


def test_unclosed_block_is_kept_with_a_warning(tmp_path: Path) -> None:
    head = 'E0311 13:02:07.900120    2231 remote_runtime.go:193] "RunPodSandbox from runtime service failed" err=<'
    lines = [
        _rec(1, head),
        _rec(2, "\tfailed: boom"),
        _rec(3, 'I0311 13:02:08.000000    2231 util.go:30] "x"'),
    ]
    log = _parse(tmp_path, lines)
    assert log.to_polars()["nlines"].to_list() == [2, 1]
    (issue,) = log.issues
    assert (issue.severity, issue.line) == ("warning", 1)
    assert "not closed" in issue.reason


def test_klog_payload_time_keeps_microseconds_and_infers_the_writer_zone(tmp_path: Path) -> None:
    # written at 14:02:07.900120 local (+01:00), received by journald 191 µs later
    payload = 'I0311 14:02:07.900120    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/p"'
    log = _parse(tmp_path, [_rec(1, payload)])
    assert log.to_polars()["time"].to_list() == [datetime(2026, 3, 11, 13, 2, 7, 900120, UTC)]


def test_complete_local_time_crosses_new_year_and_rejects_disagreeing_clocks() -> None:
    stamp = (12, 31, 23, 59, 59, 999000)  # local time of the write, no year, no zone
    utc_writer = datetime(2027, 1, 1, 0, 0, 0, 500000, UTC)
    assert complete_local_time(stamp, utc_writer) == datetime(2026, 12, 31, 23, 59, 59, 999000, UTC)
    behind_utc = datetime(2027, 1, 1, 5, 30, 0, 500000, UTC)  # writer at UTC-05:30
    assert complete_local_time(stamp, behind_utc) == datetime(2027, 1, 1, 5, 29, 59, 999000, UTC)
    ahead_of_utc = datetime(2026, 12, 31, 18, 30, 0, 500000, UTC)  # writer at UTC+05:30
    assert complete_local_time(stamp, ahead_of_utc) == datetime(
        2026, 12, 31, 18, 29, 59, 999000, UTC
    )
    assert complete_local_time((1, 1, 0, 0, 30, 0), utc_writer) is None  # 30 s apart
    assert complete_local_time((2, 30, 0, 0, 0, 0), utc_writer) is None  # no such day


def test_klog_json_payload_uses_its_own_millisecond_time(tmp_path: Path) -> None:
    payload = json.dumps(
        {"ts": 1773234127417.661, "msg": "RunPodSandbox from runtime service failed", "err": "x"}
    )
    log = _parse(tmp_path, [_rec(1, payload, ident="k3s")])
    row = log.to_polars().row(0, named=True)
    assert row["time"] == datetime(2026, 3, 11, 13, 2, 7, 417661, UTC)
    assert (row["source"], row["kind"], row["level"]) == (
        "kubelet",
        "kubelet:sandbox:failed",
        "error",
    )


def test_bad_lines_are_error_issues_and_the_accounting_balances(tmp_path: Path) -> None:
    lines = [
        _rec(1, "ok"),
        "",
        "-- No entries --",
        '{"__CURSOR": "s=ab;i=2", "MESS',
        json.dumps([1, 2]),
        _rec(3, "ok too"),
    ]
    log = _parse(tmp_path, lines)
    errors = [i for i in log.issues if i.severity == "error"]
    assert [i.line for i in errors] == [3, 4, 5]
    assert "not valid JSON" in errors[0].reason
    stats = log.stats.files[0]
    assert (stats.lines, stats.event_lines, stats.issue_lines, stats.blank_lines) == (6, 2, 3, 1)


def test_duplicate_of_a_block_line_is_counted_in_the_stitched_event(tmp_path: Path) -> None:
    head = 'E0311 13:02:07.900120    2231 remote_runtime.go:193] "RunPodSandbox from runtime service failed" err=<'
    body = _rec(2, "\tfailed: boom", us=T0 + 5)
    lines = [_rec(1, head), body, _rec(3, " >", us=T0 + 9), body]
    log = _parse(tmp_path, lines)
    df = log.to_polars()
    assert (df.height, df["nlines"][0]) == (1, 4)
    (issue,) = log.issues
    assert (issue.line, issue.severity) == (4, "warning")
    assert "line 1" in issue.reason


def test_shared_process_idents_are_attributed_by_payload(tmp_path: Path) -> None:
    klog = 'E0311 13:02:07.900120    3120 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/p"'
    logrus = (
        'time="2026-03-11T13:02:07.900311Z" level=info msg="StopPodSandbox for \\"' + SB + '\\""'
    )
    lines = [
        _rec(1, "kubelet " + klog, ident="microshift"),
        _rec(2, logrus, ident="k3s"),
        _rec(3, "plain text", ident="k3s"),
    ]
    df = _parse(tmp_path, lines).to_polars()
    assert df["source"].to_list() == ["kubelet", "containerd", "k3s"]
    assert df["kind"][0] == "kubelet:sandbox:start"
    assert json.loads(df["fields"][0])["component"] == "kubelet"


def test_payload_key_named_lines_does_not_pose_as_physical_lines(tmp_path: Path) -> None:
    klog = json.dumps({"ts": 1773234127417.79, "msg": "probe", "v": 0, "lines": [1, 2, 3]})
    log = _parse(tmp_path, [_rec(1, klog), _rec(1, klog)])
    (fields,) = [json.loads(f) for f in log.to_polars()["fields"]]
    assert fields["payload_lines"] == [1, 2, 3]
    assert "lines" not in fields  # the duplicate on line 2 keeps the event one contiguous run
    assert log.to_polars()["nlines"].to_list() == [2]
