"""containerd logrus text / JSON: sandbox identities, Go unquoting, plugin stderr, accounting."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import polars as pl
import pytest
from conftest import SAMPLES, check_golden
from hypothesis import given, settings
from hypothesis import strategies as st
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats._assemble import line_views
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.runtime._logrus import LOGRUS_LINE, go_unquote, parse_logrus_payload
from multus_forensics.formats.runtime._logrus_vec import logrus_split
from multus_forensics.formats.runtime.containerd import ContainerdFormat
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats
from multus_forensics.timeutil import YearAnchor

UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
POD = "probe-6d8f9c7b54-qwz4n"
SB1 = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"
META = f"&PodSandboxMetadata{{Name:{POD},Uid:{UID},Namespace:lab,Attempt:2,}}"


def _events(text: str) -> tuple[list[mf.Event], list[mf.ParseIssue], int]:
    out = ContainerdFormat().parse(TextSource("containerd.log", text), ParseContext())
    return frame_to_events(out.events), out.issues, out.blank_lines


@pytest.mark.parametrize(
    ("sample", "golden"),
    [
        ("seed/containerd.log", "seed_containerd"),
        ("runtime/containerd-json.log", "runtime_containerd-json"),
        ("runtime/k3s/containerd.log", "runtime_k3s_containerd"),
    ],
)
def test_samples_match_golden_without_issues(sample: str, golden: str, regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLES / sample), year=2026)
    assert log.issues == []
    assert log.stats.files[0].format == "containerd"
    check_golden(golden, log.to_polars(), regen_golden)


def test_seed_attempts_carry_pod_sandbox_and_failing_network() -> None:
    events = frame_to_events(mf.parse(str(SAMPLES / "seed/containerd.log")).to_polars())
    failed = [e for e in events if e.kind == "runtime:sandbox:failed"]
    assert len(failed) == 3
    first = failed[0]
    assert (first.namespace, first.pod, first.pod_uid, first.sandbox_id) == ("lab", POD, UID, SB1)
    assert first.network == "macvlan-conf"
    assert first.fields == {"attempt": 0}
    assert first.error is not None
    assert first.error.startswith(
        f'failed to setup network for sandbox "{SB1}": plugin type="multus"'
    )
    kinds = [e.kind for e in events if e.sandbox_id == SB1]
    assert kinds == [
        "runtime:network:destroy-failed",
        "runtime:sandbox:failed",
        "runtime:sandbox:stop",
        "runtime:network:teardown",
        "runtime:sandbox:stop",
    ]


@pytest.mark.parametrize(
    ("msg", "kind", "sandbox"),
    [
        (f"RunPodSandbox for {META}", "runtime:sandbox:start", None),
        (f'RunPodSandbox for {META} returns sandbox id \\"{SB1}\\"', "runtime:sandbox:ready", SB1),
        (f'StopPodSandbox for \\"{SB1}\\"', "runtime:sandbox:stop", SB1),
        (f'StopPodSandbox for \\"{SB1}\\" failed', "runtime:sandbox:stop-failed", SB1),
        (f'TearDown network for sandbox \\"{SB1}\\" successfully', "runtime:network:teardown", SB1),
        (
            f'Failed to destroy network for sandbox \\"{SB1}\\"',
            "runtime:network:destroy-failed",
            SB1,
        ),
    ],
)
def test_message_shapes_give_kind_and_sandbox(msg: str, kind: str, sandbox: str | None) -> None:
    found = parse_logrus_payload(
        f'time="2026-03-11T14:02:06.114203350+01:00" level=info msg="{msg}"'
    )
    assert found is not None
    assert found["kind"] == kind
    assert found.get("sandbox_id") == sandbox
    assert found["time"] == datetime(2026, 3, 11, 13, 2, 6, 114203, UTC)


def test_metadata_gives_pod_identity_and_attempt() -> None:
    found = parse_logrus_payload(
        f'time="2026-03-11T13:00:00Z" level=info msg="RunPodSandbox for {META}"'
    )
    assert found is not None
    assert (found["namespace"], found["pod"], found["pod_uid"]) == ("lab", POD, UID)
    assert found["fields"]["attempt"] == 2


@pytest.mark.parametrize(
    ("quoted", "plain"),
    [
        ('"a \\"b\\" c"', 'a "b" c'),
        ('"x\\\\n"', "x\\n"),
        ('"line\\nnext\\ttab"', "line\nnext\ttab"),
        ('"caf\\u00e9"', "café"),
        ('"bad \\xff byte"', "bad \ufffd byte"),
        ("bare", "bare"),
    ],
)
def test_go_unquote_follows_strconv_rules(quoted: str, plain: str) -> None:
    assert go_unquote(quoted) == plain


def test_vectorised_and_python_unquoting_agree() -> None:
    values = ['"sandbox \\"x\\""', '"back\\\\slash \\"q\\""', '"nl\\nhere"', "plain"]
    text = "".join(
        f'time="2026-03-11T13:00:00.000000001Z" level=error msg={v} error={v}\n' for v in values
    )
    events, issues, _ = _events(text)
    assert issues == []
    assert [e.message for e in events] == [go_unquote(v) for v in values]
    assert [e.error for e in events] == [go_unquote(v) for v in values]


def test_extra_fields_are_kept_and_levels_mapped() -> None:
    text = 'time="2026-03-11T13:00:00Z" level=warning msg="cleanup warnings" runtime=io.containerd.runc.v2 namespace=k8s.io\n'
    events, _, _ = _events(text)
    assert events[0].level == "warning"
    assert events[0].fields == {"namespace": "k8s.io", "runtime": "io.containerd.runc.v2"}
    assert events[0].namespace is None  # a containerd namespace is not a pod namespace


def test_json_lines_are_parsed_like_text() -> None:
    obj = {
        "error": "boom",
        "level": "error",
        "msg": f'StopPodSandbox for "{SB1}" failed',
        "time": "2026-03-11T14:09:31.550019204+01:00",
    }
    events, issues, _ = _events(json.dumps(obj) + "\n")
    assert issues == []
    assert (events[0].kind, events[0].sandbox_id, events[0].error) == (
        "runtime:sandbox:stop-failed",
        SB1,
        "boom",
    )
    assert events[0].time == datetime(2026, 3, 11, 13, 9, 31, 550019, UTC)


def test_unrecognised_lines_are_reported_not_dropped() -> None:
    text = 'time="2026-03-11T13:00:00Z" level=info msg=ok\nthis is not a record\n\n'
    events, issues, blanks = _events(text)
    assert len(events) == 1
    assert [(i.line, i.severity) for i in issues] == [(2, "error")]
    assert blanks == 1


def test_plugin_stderr_lines_in_k3s_log_keep_their_own_source() -> None:
    events = frame_to_events(mf.parse(str(SAMPLES / "runtime/k3s/containerd.log")).to_polars())
    assert [e.source for e in events] == [
        "containerd",
        "cni-plugin",
        "multus",
        "multus",
        "containerd",
        "containerd",
    ]
    assert events[3].ips == "198.51.100.23/24,2001:db8:23::17/64"


def test_own_samples_sniff_best() -> None:
    for sample in (
        "seed/containerd.log",
        "runtime/containerd-json.log",
        "runtime/k3s/containerd.log",
    ):
        head = TextSource(sample, (SAMPLES / sample).read_text()).head()
        scores = {f.name: f.sniff(head) for f in all_formats()}
        best = max(scores, key=lambda n: scores[n])
        assert best == "containerd", scores


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("containerd", SAMPLES / "runtime/k3s/containerd.log")


def test_vectorised_sandbox_path_agrees_with_payload_parser() -> None:
    ids = [SB1, "5b1f0c3e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"]
    msgs = [
        f"RunPodSandbox for {META}",
        f'RunPodSandbox for {META} returns sandbox id \\"{ids[0]}\\"',
        f"RunPodSandbox for {META} failed, error",
        f'StopPodSandbox for \\"{ids[1]}\\"',
        f'StopPodSandbox for \\"{ids[1]}\\" failed',
        f'StopPodSandbox for \\"{ids[1]}\\" returns successfully',
        f'TearDown network for sandbox \\"{ids[0]}\\" successfully',
        f'Failed to destroy network for sandbox \\"{ids[0]}\\"',
    ]
    lines = [
        f'time="2026-03-11T13:00:00.{i:09d}Z" level=info msg="{m}"' for i, m in enumerate(msgs)
    ]
    events, issues, _ = _events("\n".join(lines) + "\n")
    assert issues == []
    for event, line in zip(events, lines, strict=True):
        found = parse_logrus_payload(line)
        assert found is not None
        for column in ("kind", "namespace", "pod", "pod_uid", "sandbox_id", "network", "error"):
            assert getattr(event, column) == found.get(column), (column, line)
        assert dict(event.fields) == found["fields"]


def _split_with_regex(line: str) -> tuple[str | None, ...]:
    m = re.match(LOGRUS_LINE, line)
    return (m["ts"], m["level"], m["msg"], m["rest"]) if m else (None, None, None, None)


@settings(deadline=None)  # correctness, not speed: a loaded machine must not fail it
@given(
    st.lists(
        st.sampled_from(['"', "\\", " ", "é", "x", "=", "msg=", '\\"', "\\\\", "ü中"]), max_size=12
    ).map("".join)
)
def test_literal_split_matches_the_logrus_regex(body: str) -> None:
    lines = [
        f'time="2026-03-11T13:00:00Z" level=info msg={body}',
        f'time="2026-03-11T13:00:00Z" level=error msg="{body}" error="{body}"',
        f'time="2026-03-11 13:00:00.1Z" level=warning msg="é {body}" k=v',
        body,
    ]
    frame = logrus_split(pl.DataFrame({"raw": lines})).select("ts", "level", "msg", "rest")
    assert frame.rows() == [_split_with_regex(line) for line in lines]
    views = line_views(TextSource("c.log", "\n".join(lines) + "\n"))
    assert views is not None
    df = views[0].to_frame().with_row_index("line", 1).with_columns(pl.col("line").cast(pl.Int64))
    cut = logrus_split(df, views).select("ts", "level", "msg", "rest")
    assert cut.rows() == frame.rows()  # byte cut of quoted messages: the same split


def test_bare_extra_fields_become_the_same_json_as_parse_kv() -> None:
    rest = "namespace=k8s.io pid=20517 runtime=io.containerd.runc.v2 path=/run/x@y+z^1"
    events, _, _ = _events(f'time="2026-03-11T13:00:00Z" level=info msg=done {rest}\n')
    found = parse_logrus_payload(f'time="2026-03-11T13:00:00Z" level=info msg=done {rest}')
    assert found is not None
    assert (
        dict(events[0].fields)
        == found["fields"]
        == {
            "namespace": "k8s.io",
            "pid": "20517",
            "runtime": "io.containerd.runc.v2",
            "path": "/run/x@y+z^1",
        }
    )


@settings(deadline=None)  # correctness, not speed: a loaded machine must not fail it
@given(
    st.lists(
        st.sampled_from(['"', "\\", " ", "é", "x", "=", " error=", '\\"', "\\\\", "k=v"]),
        max_size=12,
    ).map("".join)
)
def test_error_value_split_matches_parse_kv(tail: str) -> None:
    line = f'time="2026-03-11T13:00:00Z" level=error msg=m{tail}'
    events, issues, _ = _events(line + "\n")
    found = parse_logrus_payload(line)
    assert issues == []
    assert found is not None
    assert events[0].error == found["error"]


def test_plugin_klog_lines_get_a_year_and_are_not_kubelet_records() -> None:
    text = (
        'time="2026-03-11T13:00:00Z" level=info msg=ok\n'
        'E0311 13:00:01.000002    4242 sriov.go:99] "SRIOV-CNI failed to load netconf" err="LoadConf(): VF pci addr is required"\n'
    )
    ctx = ParseContext(YearAnchor(year=2026, source="argument"))
    out = ContainerdFormat().parse(TextSource("containerd.log", text), ctx)
    events = frame_to_events(out.events)
    assert out.issues == []
    assert (events[1].source, events[1].level) == ("cni-plugin", "error")
    assert events[1].time == datetime(2026, 3, 11, 13, 0, 1, 2, UTC)
    assert events[1].year_source == "argument"


STAMPS = [
    "2026-03-11T13:02:05Z",
    "2026-03-11T13:02:05.1Z",
    "2026-03-11T13:02:05.118204Z",
    "2026-03-11T13:02:05.118204999Z",
    "2026-03-11T13:02:05.1182049991Z",
    "2026-03-11T14:02:05.5+01:00",
    "2026-03-11T08:32:05-0530",
    "2026-03-11 13:02:05.118204331Z",
    "2026-03-11T13:02:05.118204331",
    "2026-02-30T13:02:05Z",
    "2026-03-11T13:02:60Z",
    "2026-03-11T13:02:05.Z",
    "２026-03-11T13:02:05Z",
    "1969-12-31T23:59:59.9999999Z",
    "",
]


@settings(deadline=None)  # correctness, not speed: a loaded machine must not fail it
@given(st.lists(st.sampled_from(STAMPS), min_size=1, max_size=12))
def test_byte_stamp_reader_gives_the_times_of_the_polars_and_python_readers(
    stamps: list[str],
) -> None:
    """Rows either reader leaves null are read by ``parse_time`` afterwards (zone-less CRI-O
    stamps, and polars' format inferred from a column's first value)."""
    from multus_forensics.formats._assemble import line_views
    from multus_forensics.formats.runtime._logrus import parse_time
    from multus_forensics.formats.runtime.containerd import _careful_stamps, _stamps

    text = "".join(f'time="{ts}" level=info msg=x\n' for ts in stamps)
    views = line_views(TextSource("c.log", text))
    assert views is not None
    df = logrus_split(views[0].to_frame().with_row_index("line", 1))
    df = df.with_columns(pl.col("line").cast(pl.Int64))
    fast = _stamps(df, views)["ts_utc"].to_list()
    careful = df.select(_careful_stamps(pl.col("ts")))["ts_utc"].to_list()

    def final(times: list[datetime | None]) -> list[datetime | None]:
        return [
            t if t is not None else parse_time(ts, None)
            for t, ts in zip(times, stamps, strict=True)
        ]

    assert final(fast) == final(careful)
    expected = {
        STAMPS[3]: datetime(2026, 3, 11, 13, 2, 5, 118204, tzinfo=UTC),
        STAMPS[5]: datetime(2026, 3, 11, 13, 2, 5, 500000, tzinfo=UTC),
    }
    for ts, t in zip(stamps, fast, strict=True):  # plain stamps are read by the byte reader
        if ts in expected:
            assert t == expected[ts]


def test_chunked_parse_gives_the_rows_of_a_single_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    from multus_forensics.formats.runtime import containerd

    text = (
        (SAMPLES / "seed/containerd.log").read_text()
        + "\n  \nnot a record\n"
        + (SAMPLES / "runtime/containerd-json.log").read_text()
    )
    whole = ContainerdFormat().parse(TextSource("containerd.log", text), ParseContext())
    monkeypatch.setattr(containerd, "CHUNK_ROWS", 3)
    chunked = ContainerdFormat().parse(TextSource("containerd.log", text), ParseContext())
    assert whole.events.height > 6
    assert chunked.events.equals(whole.events)
    assert (chunked.issues, chunked.blank_lines) == (whole.issues, whole.blank_lines)
