"""CRI container logs: P/F joining per stream, payload dispatch, log owner kept out of identities."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import SAMPLES, check_golden
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.runtime.cri import CriFormat, log_owner
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats

POD_DIR = "kube-system_kube-multus-ds-x7k2p_0d4c1b2a-3e5f-4a6b-9c8d-7e6f5a4b3c2d"
SAMPLE = SAMPLES / "multus/var/log/pods" / POD_DIR / "kube-multus/0.log"
SB = "4d3c2b1a0f9e8d7c6b5a49382716050f4e3d2c1b0a99887766554433221100ff"


def _events(
    text: str, path: str = f"/var/log/pods/{POD_DIR}/kube-multus/0.log"
) -> tuple[list[mf.Event], list[mf.ParseIssue], int]:
    out = CriFormat().parse(TextSource(path, text), ParseContext())
    return frame_to_events(out.events), out.issues, out.blank_lines


def test_sample_matches_golden_and_sniffs_as_cri(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLE), year=2026)
    assert log.issues == []
    assert log.stats.files[0].format == "cri"
    head = TextSource(str(SAMPLE), SAMPLE.read_text()).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert max(scores, key=lambda n: scores[n]) == "cri"
    check_golden("multus_cri_kube-multus", log.to_polars(), regen_golden)


def test_partials_join_with_their_final_line_and_payload_is_parsed() -> None:
    events = frame_to_events(mf.parse(str(SAMPLE)).to_polars())
    finished = next(
        e for e in events if e.kind == "multus:request" and e.fields.get("phase") == "finished"
    )
    assert finished.nlines == 5
    assert finished.fields["partials"] == 5
    assert finished.sandbox_id == SB
    assert finished.ips == "10.244.5.17/24"
    assert finished.fields["result"]["ips"][0]["address"] == "10.244.5.17/24"
    assert finished.time == datetime(2026, 3, 11, 13, 10, 12, 931770, UTC)
    config = next(e for e in events if e.kind == "multus:config")
    assert config.nlines == 3
    assert config.fields["config"]["type"] == "multus-shim"
    assert "self_delegating" not in config.fields


def test_log_owner_goes_to_fields_not_identity_columns() -> None:
    events = frame_to_events(mf.parse(str(SAMPLE)).to_polars())
    assert all(e.fields["log_pod"] == "kube-system/kube-multus-ds-x7k2p" for e in events)
    assert {e.namespace for e in events} <= {None, "lab"}
    assert {e.source for e in events} == {"multus-daemon", "whereabouts"}


def test_partials_join_only_contiguous_lines_of_the_same_stream() -> None:
    text = (
        "2026-03-11T13:00:00.000000001Z stdout P hello \n"
        "2026-03-11T13:00:00.000000001Z stdout F world\n"
        "2026-03-11T13:00:00.000000002Z stdout P cut by \n"
        "2026-03-11T13:00:00.000000003Z stderr F 2026-03-11T13:00:00Z [verbose] multus-daemon started\n"
        "2026-03-11T13:00:00.000000004Z stdout F the other stream\n"
    )
    events, issues, _ = _events(text)
    assert [(e.line, e.nlines, e.message) for e in events] == [
        (1, 2, "hello world"),
        (3, 1, "cut by "),
        (4, 1, "multus-daemon started"),
        (5, 1, "the other stream"),
    ]
    assert [(i.line, i.severity) for i in issues] == [(3, "warning")]
    assert events[2].kind == "multus:daemon:start"


def test_unterminated_partial_is_kept_with_a_warning_and_bad_lines_reported() -> None:
    text = "not a cri line\n\n2026-03-11T13:00:00Z stdout P cut off\n"
    events, issues, blanks = _events(text)
    assert [(e.line, e.message) for e in events] == [(3, "cut off")]
    assert sorted((i.line, i.severity) for i in issues) == [(1, "error"), (3, "warning")]
    assert blanks == 1


def test_unknown_payload_falls_back_to_log_event() -> None:
    events, _, _ = _events(
        "2026-03-11T13:00:00Z stdout F plain text\n",
        path="/var/log/pods/app_web-1_3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d/web/0.log",
    )
    assert [(e.kind, e.source, e.message) for e in events] == [("log", "unknown", "plain text")]
    assert events[0].fields["log_container"] == "web"


def test_log_owner_reads_pods_and_containers_paths() -> None:
    assert (
        log_owner(f"/var/log/pods/{POD_DIR}/kube-multus/0.log")["log_pod_uid"]
        == "0d4c1b2a-3e5f-4a6b-9c8d-7e6f5a4b3c2d"
    )
    sid = "a" * 64
    owner = log_owner(f"/var/log/containers/kube-multus-ds-x7k2p_kube-system_kube-multus-{sid}.log")
    assert owner == {"log_pod": "kube-system/kube-multus-ds-x7k2p", "log_container": "kube-multus"}


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("cri", SAMPLE)


def test_whereabouts_container_lines_are_from_whereabouts() -> None:
    text = "2026-03-11T13:11:40.1Z stderr F 2026-03-11T13:11:40Z [debug] Beginning IPAM\n"
    events, _, _ = _events(
        text,
        path="/var/log/pods/kube-system_whereabouts-x2k9p_3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d/whereabouts/0.log",
    )
    assert [e.source for e in events] == ["whereabouts"]


def test_unparsed_lines_after_a_multus_record_continue_it() -> None:
    text = (
        "2026-03-11T13:00:00.1Z stderr F 2026-03-11T13:00:00Z [panic] failed to start the CNI server\n"
        "2026-03-11T13:00:00.2Z stderr F ========= Stack trace output ========\n"
        "2026-03-11T13:00:00.2Z stderr F goroutine 1 [running]:\n"
        "2026-03-11T13:00:00.2Z stdout F unrelated stdout text\n"
        "2026-03-11T13:00:00.3Z stderr F not continued: another line came between\n"
        "2026-03-11T13:00:01Z stderr F 2026-03-11T13:00:01Z [verbose] multus-daemon started\n"
        "2026-03-11T13:00:01.1Z stderr F after a non-error record this is continued too\n"
    )
    events, issues, _ = _events(text)
    assert issues == []
    assert [(e.line, e.nlines, e.kind) for e in events] == [
        (1, 3, "multus:error"),
        (4, 1, "log"),
        (5, 1, "log"),
        (6, 2, "multus:daemon:start"),
    ]
    assert events[0].message.endswith(
        "\n========= Stack trace output ========\ngoroutine 1 [running]:"
    )
    assert events[0].error is not None
    assert events[0].error.endswith("goroutine 1 [running]:")
