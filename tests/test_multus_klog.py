"""client-go klog lines inside a thick Multus daemon's log: records of their own, read as the
kubelet's klog parser reads them, dated by the Multus records around them.

The two excerpts under tests/data/real/ are real daemon logs (README.md there names them); the
expected values below were read off them by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.multus.multus_log import MultusLogFormat
from multus_forensics.model import frame_to_events
from multus_forensics.timeutil import YearAnchor

REAL = Path(__file__).resolve().parent / "data" / "real"
NETOBSERV = REAL / "netobserv_secondary_network_multus.log"
WRAPPED = REAL / "dlbewley_udn_multus_wrapped.log"
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
EVENT = (
    'I0419 19:19:59.545551    7342 event.go:364] Event(v1.ObjectReference{Kind:"Pod", '
    f'Namespace:"lab", Name:"probe", UID:"{UID}", APIVersion:"v1", ResourceVersion:"48371528", '
    "FieldPath:\"\"}): type: 'Normal' reason: 'AddedInterface' Add net1 [192.0.2.40/24] from lab/macvlan"
)


def _parse(text: str) -> tuple[list[mf.Event], list[mf.ParseIssue], int]:
    out = MultusLogFormat().parse(TextSource("multus.log", text), ParseContext())
    return frame_to_events(out.events), out.issues, out.blank_lines


def _accounted(log: mf.EventLog) -> None:
    """Every line in exactly one event (the excerpts have no blank or lost line)."""
    df = log.to_polars()
    covered = [n for a, k in zip(df["line"], df["nlines"], strict=True) for n in range(a, a + k)]
    [fs] = log.stats.files
    assert covered == list(range(1, fs.lines + 1))
    assert (fs.event_lines, fs.issue_lines, fs.blank_lines) == (fs.lines, 0, 0)


def test_netobserv_excerpt_event_line_is_an_added_interface_of_its_own() -> None:
    log = mf.parse(str(NETOBSERV))
    df = log.to_polars()
    assert df["kind"].to_list() == [
        "event:AddedInterface", "multus:request", "multus:request", "multus:del", "multus:request",
    ]  # fmt: skip
    [event] = frame_to_events(df.head(1))
    assert (event.namespace, event.pod, event.pod_uid) == (
        "mesh-arena", "ball-base-fd48b79db-v854q", "deabe709-54df-48d1-9f5b-58cb62532de6",
    )  # fmt: skip
    assert (event.interface, event.ips, event.network) == ("net1", None, "mesh-arena/l2-network")
    assert event.message == "Add net1 [] from mesh-arena/l2-network"
    assert event.fields == {"reason": "AddedInterface", "type": "Normal", "object": "Pod"}
    assert (event.source, event.level, event.format) == ("multus", "info", "multus-log")
    # written before any Multus record: dated by the first one (2026-03-05T09:06:30Z)
    assert event.time == datetime(2026, 3, 5, 9, 6, 30, 774963, tzinfo=UTC)
    assert event.year_source == "content"
    assert log.issues == []
    _accounted(log)


def test_netobserv_excerpt_add_order_comes_from_the_event_alone() -> None:
    rows = mf.build_timelines(mf.parse(str(NETOBSERV))).interfaces()
    assert rows.select("pod", "interface", "network", "source").rows() == [
        ("ball-base-fd48b79db-v854q", "net1", "mesh-arena/l2-network", "event:AddedInterface")
    ]


def test_wrapped_paste_keeps_records_whole_and_a_glued_klog_line_in_its_record() -> None:
    log = mf.parse(str(WRAPPED))
    df = log.to_polars()
    # every record of the paste was wrapped by the terminal onto a second line
    assert df.select("line", "nlines", "kind").rows() == [
        (1, 2, "multus:request"),
        (3, 2, "multus:add"),
        (5, 2, "event:AddedInterface"),
        (7, 2, "multus:add"),
    ]
    event = frame_to_events(df)[2]
    assert event.interface == "eth0"
    assert event.ips == "10.128.0.186/23,192.168.222.3/24"
    assert event.network is None  # "f\nrom ovn-kubernetes": the wrap cut the word
    assert event.time == datetime(2025, 4, 19, 19, 19, 59, 545551, tzinfo=UTC)
    # the second event was pasted at the end of line 8, after the Add: record's padding: text
    # inside a record, not a record of its own
    assert "I0419 19:20:00.352145" in df["raw"][3]
    assert df["time"].is_sorted()
    _accounted(log)
    rows = mf.build_timelines(log).interfaces()
    assert rows["interface"].to_list() == ["eth0", "podc00fa7e7651"]


def test_an_event_line_reads_the_same_in_a_multus_log_and_a_kubelet_log(tmp_path: Path) -> None:
    multus = tmp_path / "multus.log"
    multus.write_text(f"2026-04-19T19:19:58Z [verbose] x\n{EVENT}\n")
    kubelet = tmp_path / "kubelet.log"
    kubelet.write_text(EVENT + "\n")
    same = ["time", "kind", "level", "message", "namespace", "pod", "pod_uid", "interface",
            "ips", "network", "fields", "raw", "nlines"]  # fmt: skip
    a = mf.parse(str(multus)).to_polars().filter(pl.col("line") == 2)
    b = mf.parse(str(kubelet), year=2026).to_polars()
    assert b["format"].to_list() == ["klog"]
    assert a.select(same).rows() == b.select(same).rows()
    assert a["kind"].to_list() == ["event:AddedInterface"]
    assert (a["source"][0], b["source"][0]) == ("multus", "kubelet")


def test_year_and_zone_come_from_the_multus_record_before() -> None:
    text = (
        "2025-12-31T23:59:59+01:00 [verbose] last record of the year\n"
        "I0101 00:00:00.500000       1 event.go:364] after midnight, local time\n"
        "2026-01-01T00:00:01+01:00 [verbose] next\n"
    )
    events, issues, _ = _parse(text)
    assert issues == []
    # 00:00:00.5 on 1 January at +01:00, the year after the record before it
    assert events[1].time == datetime(2025, 12, 31, 23, 0, 0, 500000, tzinfo=UTC)
    assert events[1].source == "multus"


def test_a_year_given_by_the_user_dates_klog_lines_in_the_zone_of_the_record_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "multus.log"
    path.write_text(f"2026-04-19T21:19:58+02:00 [verbose] x\n{EVENT}\n")
    df = mf.parse(str(path), year=2027).to_polars()
    assert df["year_source"].to_list() == [None, "argument"]
    assert df["time"][1] == datetime(2027, 4, 19, 17, 19, 59, 545551, tzinfo=UTC)


def test_a_multi_line_klog_record_ends_at_the_next_header() -> None:
    text = (
        "2026-04-19T19:19:58Z [verbose] before\n"
        'E0419 19:19:59.000001    7342 reflector.go:147] "Failed to watch" err=<\n'
        "\tfailed to list *v1.Pod: Unauthorized\n"
        " >\n"
        "W0419 19:19:59.000002    7342 reflector.go:539] watch of *v1.Pod ended\n"
        "2026-04-19T19:20:00Z [verbose] after\n"
    )
    events, issues, blanks = _parse(text)
    assert [(e.line, e.nlines, e.level) for e in events] == [
        (1, 1, "info"), (2, 3, "error"), (5, 1, "warning"), (6, 1, "info"),
    ]  # fmt: skip
    assert events[1].error == "failed to list *v1.Pod: Unauthorized"
    assert events[1].message == "Failed to watch"
    assert events[2].message == "watch of *v1.Pod ended"
    assert (issues, blanks) == ([], 0)


def test_klog_text_inside_a_continuation_line_stays_in_its_record() -> None:
    text = (
        "2026-04-19T19:19:58Z [verbose] Add: lab:probe:u:lab/m(m):net1 {\n"
        '  "note": "I0419 19:19:59.545551    7342 event.go:364] not a record",\n'
        '  "ips": [{"address": "192.0.2.4/24"}]\n'
        "}\n"
        "2026-04-19T19:19:59Z [verbose] next\n"
    )
    events, issues, _ = _parse(text)
    assert [(e.line, e.nlines, e.kind) for e in events] == [(1, 4, "multus:add"), (5, 1, "log")]
    assert events[0].ips == "192.0.2.4/24"
    assert issues == []


def test_klog_lines_with_no_multus_record_to_date_them_are_kept_undated() -> None:
    events, issues, _ = _parse(EVENT + "\n")
    [event] = events
    assert (event.kind, event.interface, event.time) == ("event:AddedInterface", "net1", None)
    assert [(i.line, i.severity) for i in issues] == [(1, "warning")]
    assert "year" in issues[0].reason


@pytest.mark.parametrize("year", [2024, 2025])
def test_february_29_is_read_in_the_year_of_the_record_beside_it(year: int) -> None:
    events, issues, _ = _parse(
        f"{year}-03-01T00:00:00Z [verbose] x\nI0229 23:59:59.000000 1 a.go:1] y\n"
    )
    if year == 2024:
        assert events[1].time == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
        assert issues == []
    else:  # no 29 February in 2025: kept undated with a warning, never moved to 2024
        assert events[1].time is None
        assert [(i.line, i.reason) for i in issues] == [(2, "impossible date in klog header")]


def _added(sev: str, stamp: str, ns: str, name: str, kind: str, tail: str, kind_type: str) -> str:
    return (
        f'{sev}{stamp}    7342 event.go:364] Event(v1.ObjectReference{{Kind:"{kind}", '
        f'Namespace:"{ns}", Name:"{name}", UID:"{UID}", APIVersion:"v1", ResourceVersion:"9", '
        f"FieldPath:\"\"}}): type: '{kind_type}' reason: 'AddedInterface' {tail}"
    )


#: Multus stamps around the klog lines: zones, New Year, a leap year, an impossible stamp
_REFS = [
    "2025-12-31T23:59:59Z", "2026-01-01T00:00:01+01:00", "2024-03-01T00:00:00-05:30",
    "2025-03-01T00:00:00Z", "2026-07-02T12:00:00Z", "2026-02-30T00:00:00Z", "2026-03-11T13:02:06+0100",
]  # fmt: skip
#: klog stamps: either side of New Year, 29 February, days and times that do not exist
_STAMPS = [
    "1231 23:59:59.999999", "0101 00:00:00.000001", "0229 12:00:00.5", "0229 12:00:00.500000",
    "0230 01:00:00.000000", "1301 01:00:00.000000", "0000 01:00:00.000000", "0311 24:00:00.000000",
    "0311 13:60:00.000000", "0311 13:02:60.000000", "0101 12:00:00.000000", "0702 00:00:00.000000",
]  # fmt: skip
_TAILS = [
    "Add eth0 [10.128.0.5/23] from ovn-kubernetes", "Add net1 [] from lab/macvlan",
    "Add net1 [192.0.2.4/24 fd00::4/64]", "Add net1 [a  b] from x", "Add net1 [a] from x trailing",
    "Add [x] from y", "Add n[1] [a] from y", "Add net1 [a] from ", "Add net1 [a]from x",
    "Ädd net1 [a] from x", "Add nét1 [ä] from lab/ñ", "no Add at all", "Add n1 [a] from x\"y'z]",
]  # fmt: skip


def test_added_interface_lines_read_by_columns_equal_the_klog_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The column reading of :data:`_multus_klog._ADDED_LINE` against the kubelet parser's,
    row by row, on lines at and past the edges of what the columns read."""
    from multus_forensics.formats.multus import _multus_klog

    lines: list[str] = []
    for n, ref in enumerate(_REFS):
        lines.append(f"{ref} [verbose] x")
        for k, stamp in enumerate(_STAMPS):
            tail = _TAILS[(n + k) % len(_TAILS)]
            sev = "IWEF"[(n + k) % 4]
            ns, name = [("lab", "p-1"), ("", "p-2"), ('la\\"b', "p"), ("ns", "")][k % 4]
            kind = "Pod" if k % 5 else "Node"
            lines.append(_added(sev, stamp, ns, name, kind, tail, "Normal" if k % 3 else "Warning"))
    quoted_caller = _added("I", _STAMPS[-1], "lab", "p-1", "Pod", _TAILS[0], "Normal")
    lines.append(quoted_caller.replace("event.go", 'ev"ent.go'))
    lines.append("W0311 13:02:07.000001    7342 event.go:364] wrapped event, next line")
    text = "\n".join(lines) + "\n"
    for ctx in (ParseContext(), ParseContext(YearAnchor(year=2031, source="argument"))):
        with monkeypatch.context() as patch:
            out = MultusLogFormat().parse(TextSource("multus.log", text), ctx)
            assert (out.events["kind"] == "event:AddedInterface").sum() > 20  # columns read many
            never = "^\x00" + _multus_klog._ADDED_LINE[1:]  # the same groups, no line matches
            patch.setattr(_multus_klog, "_ADDED_LINE", never)
            careful = MultusLogFormat().parse(TextSource("multus.log", text), ctx)
        assert out.events.equals(careful.events)
        assert out.issues == careful.issues


@pytest.mark.parametrize("journal", [False, True], ids=["klog-file", "journald"])
def test_kubelet_event_lines_read_the_same_by_both_kubelet_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal: bool
) -> None:
    """The kubelet's own event recorder lines go from its compiled scanner to the klog parser."""
    from multus_forensics.formats.kubelet import journald, klog

    body = [
        'I0419 19:19:58.000001    2231 util.go:30] "No sandbox for pod can be found. Need to '
        'start a new one" pod="lab/probe"',
        EVENT,
        EVENT.replace("'Normal' reason: 'AddedInterface' Add net1 [192.0.2.40/24] from lab/macvlan",
                      "'Warning' reason: 'FailedCreatePodSandBox' Failed to create pod sandbox: boom"),
    ] * 8  # fmt: skip
    if journal:
        body = [f"Apr 19 19:19:59 node-1 kubelet[2231]: {line}" for line in body]
    path = tmp_path / ("kubelet.journal" if journal else "kubelet.log")
    path.write_text("\n".join(body) + "\n")
    module = journald if journal else klog
    monkeypatch.setattr(module, "VECTOR_MIN_LINES", 10**9)
    careful = mf.parse(str(path), year=2026).to_polars()
    monkeypatch.setattr(module, "VECTOR_MIN_LINES", 1)
    fast = mf.parse(str(path), year=2026).to_polars()
    assert fast.equals(careful)
    kinds = careful["kind"].to_list()[:3]
    assert kinds == [
        "kubelet:sandbox:start",
        "event:AddedInterface",
        "event:FailedCreatePodSandBox",
    ]
    assert careful["error"][2] == "boom"
    assert careful["interface"][1] == "net1"


def test_a_head_full_of_client_go_retries_is_still_a_multus_log(tmp_path: Path) -> None:
    """A reflector retrying every second can fill the part of the file formats are told by."""
    retry = "W0419 19:{:02d}:{:02d}.000001    7342 reflector.go:539] failed to list *v1.Pod: Unauthorized"
    lines = [retry.format(k // 60, k % 60) for k in range(190)]
    for k in range(0, 190, 19):  # one Multus record in twenty lines
        lines.insert(k, f"2026-04-19T19:{k // 60:02d}:{k % 60:02d}Z [error] error getting pod")
    path = tmp_path / "kube-multus-ds.txt"
    path.write_text("\n".join(lines) + "\n")
    log = mf.parse(str(path))
    assert log.stats.files[0].format == "multus-log"
    assert (log.to_polars()["level"] == "warning").sum() == 190
    stray = tmp_path / "kubelet.txt"  # a klog file with one stray Multus line stays klog
    kubelet = [line for line in lines if not line.startswith("2026")]
    stray.write_text("\n".join([*kubelet[:100], lines[0], *kubelet[100:]]) + "\n")
    assert mf.parse(str(stray), year=2026).stats.files[0].format == "klog"
