"""klog JSON (``--logging-format=json``): columns, ms timestamps, levels, bad lines, sniffing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.kubelet.klog_json import KlogJson, ms_to_datetime, parse_payload
from multus_forensics.model import frame_to_events

SAMPLE = SAMPLES / "json" / "kubelet-klog.json"
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
SB = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"
POD = {"name": "probe-6d8f9c7b54-qwz4n", "namespace": "lab"}
TS = 1773234127418.552  # 2026-03-11T13:02:07.418552Z


def _parse_text(text: str) -> tuple[list[mf.Event], list[mf.ParseIssue], int]:
    out = KlogJson().parse(TextSource("k.json", text), ParseContext())
    return frame_to_events(out.events), out.issues, out.blank_lines


def _line(**obj: object) -> str:
    return json.dumps(obj)


def test_sample_matches_golden(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLE))
    assert log.issues == []
    assert log.stats.files[0].format == "klog-json"
    check_golden("json_kubelet-klog", log.to_polars(), regen_golden)


def test_sample_sniffs_high_and_is_detected_by_content() -> None:
    head = TextSource(str(SAMPLE), SAMPLE.read_text()).head()
    assert KlogJson().sniff(head) == 1.0
    assert mf.parse(str(SAMPLE)).stats.files[0].format == "klog-json"


@pytest.mark.parametrize("name", ["edge-node-2.journal.json", "kubelet-klogjson.journal.json"])
def test_journal_json_exports_do_not_sniff_as_klog_json(name: str) -> None:
    path = SAMPLES / "json" / name
    assert KlogJson().sniff(TextSource(str(path), path.read_text()).head()) == 0.0


def test_ts_is_epoch_milliseconds_with_microsecond_fraction() -> None:
    assert ms_to_datetime(1773234127418.552) == datetime(2026, 3, 11, 13, 2, 7, 418552, UTC)
    events, _, _ = _parse_text(_line(ts=1773234127418.552, msg="x", v=0) + "\n")
    assert events[0].time == datetime(2026, 3, 11, 13, 2, 7, 418552, UTC)
    assert events[0].year_source is None


def test_level_follows_presence_of_verbosity() -> None:
    text = "\n".join(
        [
            _line(ts=TS, msg="info at v0", v=0),
            _line(ts=TS, msg="an ErrorS entry", err="boom"),
            _line(ts=TS, msg="explicit level", level="warn"),
        ]
    )
    events, _, _ = _parse_text(text)
    assert [e.level for e in events] == ["info", "error", "warning"]


def test_structured_identities_become_columns_and_the_rest_fields() -> None:
    line = _line(
        ts=TS,
        caller="kuberuntime/kuberuntime_manager.go:1216",
        msg="Created PodSandbox for pod",
        v=4,
        pod=POD,
        podUID=UID,
        podSandboxID=SB,
        containerID="containerd://" + "ab" * 32,
    )
    (event,), issues, _ = _parse_text(line)
    assert issues == []
    assert (event.namespace, event.pod, event.pod_uid) == ("lab", POD["name"], UID)
    assert event.sandbox_id == SB
    assert event.container_id == "ab" * 32
    assert event.kind == "kubelet:sandbox:created"
    assert event.source == "kubelet"
    assert dict(event.fields) == {"caller": "kuberuntime/kuberuntime_manager.go:1216", "v": 4}


def test_identities_named_only_in_err_fill_empty_columns() -> None:
    err = (
        f'rpc error: code = Unknown desc = failed to setup network for sandbox "{SB}": '
        f"[lab/probe-6d8f9c7b54-qwz4n/{UID}:macvlan-conf]: error adding container to network "
        '"macvlan-conf": failed to create macvlan: device or resource busy'
    )
    (event,), _, _ = _parse_text(
        _line(ts=TS, msg="RunPodSandbox from runtime service failed", err=err)
    )
    assert event.kind == "kubelet:sandbox:failed"
    assert event.error == err
    assert (event.namespace, event.pod, event.pod_uid) == ("lab", POD["name"], UID)
    assert (event.sandbox_id, event.network) == (SB, "macvlan-conf")


def test_pleg_event_ties_container_to_pod_uid() -> None:
    line = _line(
        ts=TS,
        msg="SyncLoop (PLEG): event for pod",
        v=2,
        pod=POD,
        event={"ID": UID, "Type": "ContainerStarted", "Data": SB},
    )
    (event,), _, _ = _parse_text(line)
    assert (event.kind, event.pod_uid, event.container_id) == ("kubelet:pleg", UID, SB)


def test_bad_lines_are_error_issues_and_the_accounting_balances(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.json"
    path.write_text(
        "\n".join(
            [
                _line(ts=1773234125102.934, msg="first", v=2),
                "Flag --container-runtime has been deprecated, will be removed in 1.27",
                "",
                '{"ts":1773234125102.934,"msg":"cut in the mid',
                json.dumps(["not", "an", "object"]),
                _line(ts="soon", msg="ts is not a number", v=0),
                _line(ts=1773234127000.0, msg="last", v=0),
            ]
        )
        + "\n"
    )
    log = mf.parse(str(path), format="klog-json")
    errors = [i for i in log.issues if i.severity == "error"]
    warnings = [i for i in log.issues if i.severity == "warning"]
    assert [i.line for i in errors] == [2, 4, 5]
    assert "not valid JSON" in errors[0].reason
    assert "ts and msg" in errors[2].reason
    assert [w.line for w in warnings] == [6]
    assert "not a number" in warnings[0].reason
    stats = log.stats.files[0]
    assert (stats.lines, stats.event_lines, stats.issue_lines, stats.blank_lines) == (7, 3, 3, 1)
    df = log.to_polars()
    assert df["time"].null_count() == 1


def test_payload_parser_accepts_only_klog_json_objects() -> None:
    assert parse_payload('I0311 13:02:05.102934    2231 util.go:30] "x"') is None
    assert parse_payload('{"MESSAGE":"x"}') is None
    assert parse_payload("{not json") is None
    got = parse_payload(_line(ts=1773234125102.934, msg="Killing unwanted pod", v=2, podName="p"))
    assert got is not None
    assert got["time"] == datetime(2026, 3, 11, 13, 2, 5, 102934, UTC)
    assert (got["kind"], got["pod"], got["level"]) == ("kubelet:pod:killing", "p", "info")


def test_ts_in_seconds_is_not_guessed_but_flagged() -> None:
    (event,), issues, _ = _parse_text(_line(ts=1773234127.418, msg="x", v=0))
    assert event.time is not None
    assert event.time.year == 1970
    (issue,) = issues
    assert issue.severity == "warning"
    assert "1970-01-21" in issue.reason


@pytest.mark.parametrize("ts", ["NaN", "Infinity", "1e400", "null", "true", '"soon"'])
def test_unusable_ts_keeps_the_event_without_time(ts: str) -> None:
    (event,), issues, _ = _parse_text('{"ts":' + ts + ',"msg":"x","v":0}')
    assert event.time is None
    assert [i.severity for i in issues] == ["warning"]
