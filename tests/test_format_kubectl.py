"""kubectl describe / get events text tables and the OpenShift monitor: rows, ages, wraps, pods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.kubectl._kubectl import Age, age_seconds, interpret
from multus_forensics.formats.kubectl.kubectl_describe import KubectlDescribe
from multus_forensics.formats.kubectl.kubectl_events import KubectlEvents
from multus_forensics.ingest.paste import strip_paste_decoration
from multus_forensics.model import Event, frame_to_events
from multus_forensics.registry import get_format, sniff_scores

MINE = ("kubectl-describe", "kubectl-events", "kubectl-json", "openshift-monitor")
OWN: dict[str, str] = {
    "seed/describe.txt": "kubectl-describe",
    "kubectl/describe_healthy.txt": "kubectl-describe",
    "kubectl/describe_2017_tabs.txt": "kubectl-describe",
    "kubectl/describe_wrapped.txt": "kubectl-describe",
    "kubectl/get_events.txt": "kubectl-events",
    "kubectl/get_events_all_namespaces.txt": "kubectl-events",
    "kubectl/get_events_wide.txt": "kubectl-events",
    "kubectl/openshift_monitor.txt": "openshift-monitor",
    "kubectl/events.json": "kubectl-json",
    "kubectl/events.yaml": "kubectl-json",
    "kubectl/pod.json": "kubectl-json",
    "kubectl/pod.yaml": "kubectl-json",
    "paste/quoted_describe_events.txt": "kubectl-describe",
    "paste/k9s_describe_events.txt": "kubectl-describe",
    "paste/numbered_get_events.txt": "kubectl-events",
}
OTHERS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.is_file()
    and p.suffix not in (".md", ".py")
    and str(p.relative_to(SAMPLES)) not in OWN
    and p.stat().st_size < 5_000_000
)
NOW = datetime(2026, 3, 11, 13, 4, 10, tzinfo=UTC)
SB3 = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
SB1 = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"


def _parse(rel: str, now: datetime | None = None) -> list[Event]:
    log = mf.parse(str(SAMPLES / rel), year=2026, now=now)
    return frame_to_events(log.to_polars())


def _describe(text: str, now: datetime | None = None) -> tuple[list[Event], list[str]]:
    out = KubectlDescribe().parse(TextSource("d.txt", text), ParseContext(now=now))
    return frame_to_events(out.events), [i.reason for i in out.issues]


def _by_kind(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.kind == kind]


@pytest.mark.parametrize("rel", sorted(OWN), ids=str)
def test_sample_matches_golden(rel: str, regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLES / rel), year=2026)
    assert log.stats.files[0].format == OWN[rel]
    assert log.stats.files[0].balanced
    expected = ["pasted text: stripped"] if rel.startswith("paste/") else []
    assert [i.reason[: len("pasted text: stripped")] for i in log.issues] == expected
    name = "kubectl_" + rel.replace("/", "_").replace(".", "_")
    check_golden(name, log.to_polars(), regen_golden)


@pytest.mark.parametrize("rel", sorted(OWN), ids=str)
def test_own_samples_sniff_high_and_best(rel: str) -> None:
    src, _ = strip_paste_decoration(TextSource(rel, (SAMPLES / rel).read_text(encoding="utf-8")))
    scores = sniff_scores(src.head())
    assert scores[0][1] == OWN[rel]
    assert scores[0][0] >= 0.5


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_other_formats_samples_sniff_low(path: Path) -> None:
    head = TextSource(str(path), path.read_bytes().decode("utf-8", errors="replace")).head()
    for name in MINE:
        assert get_format(name).sniff(head) < 0.3, name


@pytest.mark.parametrize(
    ("cell", "last", "count", "first"),
    [
        ("3m25s", "3m25s", 1, "3m25s"),
        ("2m2s (x16 over 3m)", "2m2s", 16, "3m"),
        ("114s   (x4219  over 149m)", "114s", 4219, "149m"),
        ("<invalid> (x17 over 2m31s)", "<invalid>", 17, "2m31s"),
        ("<unknown>", "<unknown>", 1, "<unknown>"),
    ],
)
def test_age_cell_splits_into_last_count_first(
    cell: str, last: str, count: int, first: str
) -> None:
    assert Age.parse(cell) == Age(last, first, count)


@pytest.mark.parametrize(
    ("token", "seconds"),
    [("45s", 45), ("2m10s", 130), ("3h5m", 11100), ("2d3h", 183600), ("3y30d", 97_200_000),
     ("<invalid>", None), ("<unknown>", None)],
)  # fmt: skip
def test_age_tokens_in_seconds(token: str, seconds: int | None) -> None:
    assert age_seconds(token) == seconds


def test_not_an_age_is_rejected_with_its_text() -> None:
    with pytest.raises(ValueError, match="not an event age: 'soon'"):
        Age.parse("soon")


def test_relative_ages_are_resolved_against_now() -> None:
    events = _parse("kubectl/get_events.txt", now=NOW)
    failed = _by_kind(events, "event:FailedCreatePodSandBox")[0]
    assert failed.time == NOW - timedelta(seconds=88)
    assert failed.time_relative
    assert failed.fields["first_time"] == (NOW - timedelta(seconds=125)).isoformat()
    assert failed.fields["anchor"] == "now"
    assert (failed.namespace, failed.pod, failed.pod_uid) == ("lab", "probe-6d8f9c7b54-qwz4n", UID)


def test_get_events_without_now_keeps_ages_and_no_time() -> None:
    events = _parse("kubectl/get_events.txt")
    assert all(e.time is None and not e.time_relative for e in events)
    assert events[-2].fields["count"] == 3
    assert events[-2].fields["last_age"] == "88s"


def test_describe_anchors_on_start_time_plus_scheduled_age() -> None:
    events = _parse("seed/describe.txt")
    start = datetime(2026, 3, 11, 13, 2, 4, tzinfo=UTC)
    scheduled = next(e for e in events if e.fields.get("reason") == "Scheduled")
    assert scheduled.time == start  # "now" = start + 2m7s, scheduled 2m7s before it
    failed = _by_kind(events, "event:FailedCreatePodSandBox")[0]
    assert failed.time == start + timedelta(seconds=127 - 88)
    assert failed.fields["anchor"] == "start-time+scheduled-age"


def test_now_wins_over_the_describe_anchor() -> None:
    failed = _by_kind(_parse("seed/describe.txt", now=NOW), "event:FailedCreatePodSandBox")[0]
    assert failed.time == NOW - timedelta(seconds=88)
    assert failed.fields["anchor"] == "now"


def test_invalid_and_unknown_ages_never_get_a_time() -> None:
    events = _parse("kubectl/describe_wrapped.txt", now=NOW)
    assert [e.time is None for e in events] == [True, True, True, True, True, False]
    assert events[4].fields["first_time"] == (NOW - timedelta(seconds=151)).isoformat()


def test_hard_wrapped_rows_are_joined_whole() -> None:
    events = _parse("kubectl/describe_wrapped.txt")
    failed = _by_kind(events, "event:FailedCreatePodSandBox")[0]
    assert failed.nlines == 6
    assert failed.sandbox_id == SB1
    assert failed.message.endswith("validateIfName: interface name net1 already exists")
    kill = _by_kind(events, "event:FailedKillPod")[0]
    assert "desc = failed to destroy network" in kill.message  # wrap right after a space
    assert kill.node == "edge-node-2"


def test_pasted_decorations_give_the_same_rows_as_the_clean_describe() -> None:
    clean = {e.message: e for e in _parse("seed/describe.txt") if e.kind.startswith("event:")}
    for rel in ("paste/quoted_describe_events.txt", "paste/k9s_describe_events.txt"):
        rows = [e for e in _parse(rel) if e.kind.startswith("event:")]
        assert rows
        for row in rows:
            assert row.message in clean, (rel, row.message)
            assert row.sandbox_id == clean[row.message].sandbox_id


def test_numbered_get_events_parse_like_the_clean_table() -> None:
    clean = _parse("kubectl/get_events_all_namespaces.txt")
    numbered = _parse("paste/numbered_get_events.txt")
    assert [(e.kind, e.pod, e.message) for e in numbered] == [
        (e.kind, e.pod, e.message) for e in clean
    ]


def test_row_cut_on_the_left_recovers_its_reason_with_a_warning() -> None:
    text = 'kubelet  Failed to create pod sandbox: rpc error: code = Unknown desc = boom "x"\n'
    events, issues = _describe(text)
    assert events[0].kind == "event:FailedCreatePodSandBox"
    assert events[0].fields == {"reason": "FailedCreatePodSandBox", "reason_inferred": True,
                                "from": "kubelet", "row": 0}  # fmt: skip
    assert events[0].error == 'rpc error: code = Unknown desc = boom "x"'
    assert issues == ["event row cut on the left in the paste: reason recovered from the message"]


def test_tail_of_a_row_cut_before_the_excerpt_is_kept_as_an_error_line() -> None:
    text = (
        ' error adding container to network "macvlan-conf": boom\n'
        "  Normal   AddedInterface  5s  multus  Add eth0 [10.244.3.41/24] from cbr0\n"
    )
    events, issues = _describe(text)
    assert [e.kind for e in events] == ["error:line", "event:AddedInterface"]
    assert events[0].error == 'error adding container to network "macvlan-conf": boom'
    assert issues == []


@pytest.mark.parametrize(
    ("message", "interface", "ips", "network"),
    [
        ("Add net1 [192.0.2.40/24] from lab/macvlan-conf", "net1", "192.0.2.40/24",
         "lab/macvlan-conf"),
        ("Add eth0 [10.244.3.41/24]", "eth0", "10.244.3.41/24", None),
        ("Add net1 [] from lab/macvlan-conf", "net1", None, "lab/macvlan-conf"),
        ("Add eth0 [10.244.3.41/24 fd00:10:244:3::29/64] from cbr0", "eth0",
         "10.244.3.41/24,fd00:10:244:3::29/64", "cbr0"),
    ],
)  # fmt: skip
def test_added_interface_variants(
    message: str, interface: str, ips: str | None, network: str | None
) -> None:
    found = interpret("AddedInterface", message)
    assert (found.get("interface"), found.get("ips"), found.get("network")) == (
        interface, ips, network,
    )  # fmt: skip


@pytest.mark.parametrize(
    "prefix",
    ["Failed to create pod sandbox: ", "Failed create pod sandbox: ",
     "(combined from similar events): Failed to create pod sandbox: "],
)  # fmt: skip
def test_failed_create_error_loses_only_kubelet_prefixes(prefix: str) -> None:
    inner = f'rpc error: code = Unknown desc = failed to setup network for sandbox "{SB3}": x'
    found = interpret("FailedCreatePodSandBox", prefix + inner)
    assert found["error"] == inner
    assert found["sandbox_id"] == SB3


def test_get_events_namespace_column_and_object_kinds() -> None:
    events = _parse("kubectl/get_events_all_namespaces.txt")
    assert [(e.namespace, e.pod) for e in events] == [
        ("shop", "web-5d9c7f8b6-zq4lm"),
        ("lab", "probe-6d8f9c7b54-qwz4n"),
        ("kube-system", None),
    ]
    assert events[0].fields["count"] == 4219
    assert events[0].fields["first_age"] == "149m"


def test_2017_tab_layout_reads_counts_hosts_and_subobjects() -> None:
    events = _parse("kubectl/describe_2017_tabs.txt")
    sync = next(e for e in events if e.fields.get("reason") == "FailedSync")
    assert (sync.kind, sync.level, sync.node) == ("event:other", "warning", "edge-node-2")
    assert (sync.fields["count"], sync.fields["first_age"], sync.fields["last_age"]) == (
        14, "3m", "12s",
    )  # fmt: skip
    assert sync.error is not None
    assert sync.error.startswith('failed to "CreatePodSandbox"')
    pulled = events[-1]
    assert pulled.fields["sub_object"] == "spec.containers{probe}"


def test_describe_header_annotations_become_pod_events() -> None:
    events = _parse("kubectl/describe_healthy.txt")
    info, status, rest = events
    assert (info.kind, info.node, info.namespace, info.pod) == (
        "pod:info", "edge-node-2", "lab", "web-7c9d8b6f5-h2kxm",
    )  # fmt: skip
    assert (status.kind, status.interface, status.ips, status.network) == (
        "pod:network-status", "eth0", "10.244.3.17", "cbr0",
    )  # fmt: skip
    assert status.fields["index"] == 0
    # every record owns its own lines: header before, annotation lines, the rest
    assert [(e.line, e.nlines) for e in events] == [(1, 6), (7, 14), (21, 14)]
    assert rest.kind == "log"


def test_each_pretty_printed_network_status_entry_owns_its_lines() -> None:
    text = (
        "Name:         p\nNamespace:    lab\n"
        "Annotations:  k8s.v1.cni.cncf.io/network-status:\n"
        '                [{\n                    "name": "cbr0",\n'
        '                    "interface": "eth0",\n                    "ips": ["10.244.3.41"]\n'
        '                },{\n                    "name": "lab/macvlan-conf",\n'
        '                    "interface": "net1",\n                    "ips": ["192.0.2.40"]\n'
        "                }]\n"
        "              k8s.v1.cni.cncf.io/networks: macvlan-conf\n"
        "Status:       Running\nEvents:       <none>\n"
    )
    events, issues = _describe(text)
    assert issues == []
    assert [(e.kind, e.line, e.nlines, e.interface) for e in events] == [
        ("pod:info", 1, 2, None),
        ("pod:network-status", 3, 6, "eth0"),  # the entry ends on the "},{" line
        ("pod:network-status", 9, 4, "net1"),
        ("pod:networks", 13, 1, None),
        ("log", 14, 2, None),
    ]
    assert [e.fields.get("index") for e in events[1:3]] == [0, 1]


def test_unreadable_network_status_is_a_warning_and_the_pod_stays() -> None:
    text = (
        "Name:         p\nNamespace:    lab\nAnnotations:  k8s.v1.cni.cncf.io/network-status:\n"
        '                [{"name": "cbr0", "interface": "eth0", "ips": ["10.244.3.41...\n'
        "Status:       Pending\nEvents:       <none>\n"
    )
    events, issues = _describe(text)
    assert [e.kind for e in events] == ["pod:info"]
    assert events[0].nlines == 6
    assert len(issues) == 1
    assert "network-status annotation is not readable" in issues[0]


def test_two_described_pods_keep_their_own_rows() -> None:
    block = (
        "Name:         {name}\nNamespace:    lab\nNode:         edge-node-2/10.0.0.12\n"
        "Events:\n  Type    Reason          Age  From    Message\n"
        "  ----    ------          ---  ----    -------\n"
        "  Normal  AddedInterface  5s   multus  Add eth0 [{ip}] from cbr0\n"
    )
    text = (
        block.format(name="a", ip="10.0.0.1/24") + "\n" + block.format(name="b", ip="10.0.0.2/24")
    )
    events, issues = _describe(text)
    assert issues == []
    assert [(e.kind, e.pod, e.ips) for e in events] == [
        ("pod:info", "a", None), ("event:AddedInterface", "a", "10.0.0.1/24"),
        ("pod:info", "b", None), ("event:AddedInterface", "b", "10.0.0.2/24"),
    ]  # fmt: skip
    assert sum(e.nlines for e in events) == 14  # + 1 blank line = 15 lines


def test_openshift_monitor_reads_locator_deletion_note_and_time() -> None:
    events = _parse("kubectl/openshift_monitor.txt")
    deleted, failed, added = events
    assert deleted.fields["seconds_after_deletion"] == 3.48
    assert deleted.node == "ci-op-7h2kq-worker-b-lx77w"
    assert deleted.pod_uid == "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
    assert deleted.sandbox_id == "cc" * 32
    assert deleted.time is None
    assert failed.time == datetime(2026, 3, 11, 13, 2, 7, 418000, tzinfo=UTC)
    assert failed.year_source == "argument"
    assert (added.kind, added.interface, added.level) == ("event:AddedInterface", "net1", "info")


def test_events_table_sniffs_above_a_lone_event_message() -> None:
    row = "  Warning  FailedCreatePodSandBox  4s  kubelet  Failed to create pod sandbox: x"
    lone = "Failed to create pod sandbox: x"
    assert KubectlDescribe().sniff([row]) > KubectlDescribe().sniff([lone]) > 0
    assert KubectlEvents().sniff([lone]) == 0.0


def test_heading_positions_read_a_row_with_an_empty_from_cell() -> None:
    text = (
        "Events:\n"
        "  Type    Reason   Age  From     Message\n"
        "  ----    ------   ---  ----     -------\n"
        '  Normal  Pulled   5s            Successfully pulled image "x" in 1.2s\n'
        "  Normal  Started  4s   kubelet  Started container probe\n"
    )
    events, _ = _describe(text)
    assert [(e.fields.get("from"), e.message) for e in events] == [
        (None, 'Successfully pulled image "x" in 1.2s'),
        ("kubelet", "Started container probe"),
    ]


def test_rows_that_lost_their_alignment_still_split_on_gaps() -> None:
    text = (
        "  Type    Reason   Age  From     Message\n"
        "Warning  NoNetworkFound  106s   multus   cannot find a network-attachment-definition"
        " (macvlan-conf) in namespace (lab): not found\n"
    )
    events, _ = _describe(text)
    assert events[0].fields["from"] == "multus"
    assert events[0].network == "lab/macvlan-conf"


def test_message_cut_with_an_ellipsis_is_flagged_truncated() -> None:
    text = (
        "0s  Warning  FailedCreatePodSandBox  pod/p  Failed to create pod sandbox: rpc error...\n"
    )
    out = KubectlEvents().parse(TextSource("e.txt", text), ParseContext())
    event = frame_to_events(out.events)[0]
    assert event.fields["truncated"] is True
    assert event.error == "rpc error..."


def test_wide_get_events_split_message_from_the_trailing_columns() -> None:
    events = _parse("kubectl/get_events_wide.txt")
    failed = _by_kind(events, "event:FailedCreatePodSandBox")[0]
    assert failed.message.endswith("interface name net1 already exists")
    assert (failed.fields["count"], failed.fields["first_age"], failed.fields["last_age"]) == (
        3, "2m5s", "88s",
    )  # fmt: skip
    assert (failed.fields["from"], failed.node) == ("kubelet", "edge-node-2")
    assert events[-1].fields["sub_object"] == "spec.containers{probe}"


def test_table_without_namespace_column_learns_it_from_a_rows_error_text() -> None:
    events = _parse("kubectl/get_events.txt")
    pods = {(e.namespace, e.pod) for e in events if e.pod}
    assert pods == {("lab", "probe-6d8f9c7b54-qwz4n")}
