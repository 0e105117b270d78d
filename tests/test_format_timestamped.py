"""``oc logs --timestamps`` (must-gather ``current.log``): prefix time, payload dispatch, log owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.timestamped import TimestampedFormat, line_score, log_owner
from multus_forensics.model import frame_to_events
from multus_forensics.registry import detect, get_format

SAMPLE_DIR = SAMPLES / "timestamped"
LOGS = SAMPLE_DIR / "namespaces/openshift-multus/pods/multus-q4w7z/kube-multus/kube-multus/logs"
MG_PATH = (
    "mg/namespaces/openshift-multus/pods/multus-x7k2p/kube-multus/kube-multus/logs/current.log"
)
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
ADD = f"2026-03-11T13:02:06Z [verbose] Add: lab:probe-6d8f9c7b54-qwz4n:{UID}:cbr0(cbr0):eth0 {{}}"


def _parse(text: str, path: str = MG_PATH) -> tuple[list[mf.Event], list[mf.ParseIssue]]:
    out = TimestampedFormat().parse(TextSource(path, text), ParseContext())
    return frame_to_events(out.events), out.issues


def test_samples_match_golden_and_previous_instance_comes_first(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLE_DIR))
    assert [f.format for f in log.stats.files] == ["timestamped", "timestamped"]
    assert log.issues == []
    names = [Path(f).name for f in log.frame["file"].unique(maintain_order=True)]
    assert names == ["previous.log", "current.log"]  # the terminated container wrote first
    check_golden("timestamped_kube-multus", log.frame, regen_golden)


@pytest.mark.parametrize("name", ["current.log", "previous.log"])
def test_own_samples_are_recognised_by_content_alone(name: str) -> None:
    head = TextSource("x", (LOGS / name).read_text()).head()
    fmt, how = detect("renamed.txt", head)
    assert fmt is not None
    assert fmt.name == "timestamped"
    assert how.startswith("sniffed")


def test_other_formats_samples_sniff_low() -> None:
    fmt = get_format("timestamped")
    checked = 0
    for path in sorted(SAMPLES.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".py", ".gz", ".xz"):
            continue
        if SAMPLE_DIR in path.parents:
            continue
        head = TextSource(str(path), path.read_bytes().decode("utf-8", "replace")).head()
        assert fmt.sniff(head) < 0.3, path
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("line", "score"),
    [
        (f"2026-03-11T13:02:06.000000001Z {ADD}", 1.0),
        ("2026-03-11T13:02:06.5+01:00 plain text", 0.5),  # older kubectl trimmed zeros
        (ADD, 0.0),  # Multus' own second-precision header
        ("2026-03-11T13:02:06.120934511Z stderr F x", 0.0),  # a CRI file line
        ("2026-03-11T14:02:05.102960+01:00 edge-node-5 kubelet[2231]: I0311 x", 0.0),  # rsyslog
    ],
)
def test_line_score_tells_apart_look_alike_stamps(line: str, score: float) -> None:
    assert line_score(line) == score


def test_time_is_the_prefix_in_utc_and_the_payload_is_parsed() -> None:
    (ev,), issues = _parse(f"2026-03-11T14:02:06.123456789+01:00 {ADD}\n")
    assert issues == []
    assert ev.time == datetime(2026, 3, 11, 13, 2, 6, 123456, tzinfo=UTC)
    assert ev.year_source is None
    assert (ev.kind, ev.namespace, ev.pod, ev.interface) == (
        "multus:add",
        "lab",
        "probe-6d8f9c7b54-qwz4n",
        "eth0",
    )
    assert ev.fields["parser"] == "multus"


def test_log_owner_comes_from_the_pod_directory_never_the_pod_columns() -> None:
    events, _ = _parse("2026-03-11T13:02:06.000000001Z plain words\n")
    (ev,) = events
    assert ev.fields["log_pod"] == "openshift-multus/multus-x7k2p"
    assert ev.fields["log_container"] == "kube-multus"
    assert (ev.namespace, ev.pod) == (None, None)
    assert log_owner("x/namespaces/a/pods/b/c/logs/previous.insecure.log") == {
        "log_pod": "a/b",
        "log_container": "c",
        "log_instance": "previous",
    }
    assert log_owner("/var/log/pods/a_b_c/d/0.log") == {}


def test_unknown_payload_is_a_log_event_with_the_payload_as_message() -> None:
    (ev,), _ = _parse("2026-03-11T13:02:06.000000001Z some tool said hello\n", "other.log")
    assert (ev.kind, ev.level, ev.message, ev.source) == (
        "log",
        "info",
        "some tool said hello",
        "unknown",
    )


def test_klog_payload_is_attributed_to_the_container_not_to_kubelet() -> None:
    line = "2026-03-11T13:00:03.010236118Z I0311 13:00:03.010118      12 shared_informer.go:311] Waiting for caches\n"
    (ev,), _ = _parse(line)
    assert ev.fields["parser"] == "klog"
    assert ev.source == "multus-daemon"
    (ev,), _ = _parse(line, "other.log")
    assert ev.source == "unknown"


def test_lines_in_the_same_burst_continue_a_multus_record() -> None:
    text = (
        "2026-03-11T13:02:06.100000000Z 2026-03-11T13:02:06Z [panic] multus-daemon: boom\n"
        "2026-03-11T13:02:06.100000100Z goroutine 1 [running]:\n"
        "2026-03-11T13:02:06.100000200Z \t/usr/src/multus-cni/cmd/multus-daemon/main.go:103\n"
        "2026-03-11T13:02:09.000000000Z later, unrelated words\n"
    )
    events, issues = _parse(text)
    assert issues == []
    assert [(e.line, e.nlines) for e in events] == [(1, 3), (4, 1)]
    assert events[0].message.splitlines()[1:] == [
        "goroutine 1 [running]:",
        "\t/usr/src/multus-cni/cmd/multus-daemon/main.go:103",
    ]
    assert events[0].raw == text.splitlines()[0] + "\n" + "\n".join(text.splitlines()[1:3])


def test_unparsed_lines_after_other_records_stand_alone() -> None:
    text = (
        "2026-03-11T13:02:06.100000000Z multus-daemon: version:v4.1.0\n"
        "2026-03-11T13:02:06.100000100Z goroutine 1 [running]:\n"
    )
    events, _ = _parse(text)
    assert [(e.line, e.nlines) for e in events] == [(1, 1), (2, 1)]


def test_lines_without_the_prefix_are_reported_and_blank_lines_counted() -> None:
    text = f"2026-03-11T13:02:06.000000001Z {ADD}\n\nwrapped tail of a paste\n"
    out = TimestampedFormat().parse(TextSource(MG_PATH, text), ParseContext())
    assert out.events.height == 1
    assert out.blank_lines == 1
    (issue,) = out.issues
    assert (issue.severity, issue.line) == ("error", 3)
    assert "--timestamps" in issue.reason


def test_impossible_prefix_time_keeps_the_line_with_a_warning() -> None:
    (ev,), issues = _parse("2026-13-11T13:02:06.000000001Z hello\n")
    assert ev.time is None
    (issue,) = issues
    assert issue.severity == "warning"


def test_must_gather_current_log_is_parsed_with_its_owner() -> None:
    log = mf.parse(str(SAMPLES / "bundles" / "must-gather.tar.gz"))
    assert all(f.skipped is None for f in log.stats.files)
    frame = log.frame.filter(format="timestamped")
    assert frame.height == 4
    owners = {json.loads(f)["log_pod"] for f in frame["fields"]}
    assert owners == {"openshift-multus/multus-x7k2p"}
    assert set(frame["pod"]) == {"probe-6d8f9c7b54-qwz4n"}


KLOG_OPEN = (
    "2026-03-11T13:02:07.900200000Z E0311 13:02:07.900120       1 webhook.go:210] "
    '"Failed to validate network-attachment-definition" err=<'
)


def test_klog_block_is_one_record_with_the_whole_error() -> None:
    text = (
        f"{KLOG_OPEN}\n"
        "2026-03-11T13:02:07.900200100Z \tinvalid config: missing network name\n"
        "2026-03-11T13:02:07.900200200Z \tand no type\n"
        '2026-03-11T13:02:07.900200300Z  > nad="lab/vlan20"\n'
        "2026-03-11T13:02:08.000000000Z I0311 13:02:08.000000       1 webhook.go:99] next\n"
    )
    events, issues = _parse(text, "other.log")
    assert issues == []
    assert [(e.line, e.nlines) for e in events] == [(1, 4), (5, 1)]
    assert events[0].error == "invalid config: missing network name\nand no type"
    assert events[0].level == "error"
    assert events[0].raw == "\n".join(text.splitlines()[:4])


@pytest.mark.parametrize(
    ("after", "where"),
    [
        ("2026-03-11T13:02:08.000000000Z plain record\n", "before the next record"),
        ("not prefixed\n", "before a line without a prefix"),
        ("", "at the end of the log"),
    ],
)
def test_unclosed_klog_block_is_kept_with_a_warning(after: str, where: str) -> None:
    text = f"{KLOG_OPEN}\n2026-03-11T13:02:07.900200100Z \tinvalid config\n{after}"
    out = TimestampedFormat().parse(TextSource("other.log", text), ParseContext())
    assert out.events["line"].to_list()[:1] == [1]
    assert out.events["nlines"].to_list()[0] == 2
    warnings = [i for i in out.issues if i.severity == "warning"]
    assert [(i.line, i.reason.endswith(where)) for i in warnings] == [(1, True)]
