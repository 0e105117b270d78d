"""journald/syslog text: stamps, zones, years, block stitching, dispatch, the fast path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats._assemble import line_views
from multus_forensics.formats.base import ParseContext
from multus_forensics.formats.kubelet import _journalrec, _journalvec, journald
from multus_forensics.formats.kubelet.journald import JournaldFormat
from multus_forensics.ingest.sources import RawStream, decode
from multus_forensics.timeutil import YearAnchor

KUBELET = SAMPLES / "kubelet"
JOURNALS = {
    "seed_kubelet_journal": SAMPLES / "seed" / "kubelet.journal",
    "journald_short_precise_two_nodes": KUBELET / "kubelet_service.log",
    "journald_short_iso": KUBELET / "short-iso.journal",
    "journald_rsyslog_rfc3339": KUBELET / "messages",
    "journald_k3s": KUBELET / "k3s.journal",
    "journald_thick_block": KUBELET / "thick-block.journal",
    "journald_newest_first": KUBELET / "newest-first.journal",
    "journald_localised": KUBELET / "localised.journal",
}
SBX = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"


def parse(path: Path, **kw: object) -> mf.EventLog:
    return mf.parse(str(path), format="journald", year=2026, **kw)  # type: ignore[arg-type]


def write(tmp_path: Path, text: str, name: str = "node.journal") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(JOURNALS))
def test_sample_golden(name: str, regen_golden: bool) -> None:
    log = parse(JOURNALS[name])
    assert not [i for i in log.issues if i.severity == "error"]
    check_golden(name, log.to_polars(), regen_golden)


@pytest.mark.parametrize("name", sorted(JOURNALS))
def test_sample_sniffs_as_journald_and_accounts_every_line(name: str) -> None:
    path = JOURNALS[name]
    head = [line for line in path.read_text().splitlines() if line.strip()][:50]
    assert JournaldFormat().sniff(head) >= 0.9
    log = mf.parse(str(path), year=2026)  # detection by file name or content
    fs = log.stats.files[0]
    assert fs.format == "journald"
    assert fs.lines == fs.event_lines + fs.issue_lines + fs.blank_lines + fs.header_lines
    assert fs.header_lines == path.read_text().startswith(("-- Logs begin", "-- Journal begins"))


def test_seed_journal_has_three_failed_attempts_at_four_call_sites() -> None:
    df = parse(JOURNALS["seed_kubelet_journal"]).to_polars()
    probe = df.filter(pl.col("pod") == "probe-6d8f9c7b54-qwz4n")
    kinds = probe["kind"].value_counts().sort("kind")
    assert dict(kinds.iter_rows()) == {
        "kubelet:pod:sync-error": 3,
        "kubelet:sandbox:failed": 9,  # RunPodSandbox's error names it: [lab/probe-...]
        "kubelet:sandbox:start": 3,
    }
    failed = df.filter(pl.col("kind") == "kubelet:sandbox:failed")
    assert failed.height == 9
    assert failed["sandbox_id"].n_unique() == 3
    web = df.filter(pl.col("pod") == "web-7c9d8b6f5-h2kxm")
    assert "kubelet:sandbox:failed" not in web["kind"].to_list()
    assert web.filter(pl.col("kind") == "kubelet:pleg")["container_id"][0] == "c0ffee00" * 8


def test_block_split_over_records_is_stitched_despite_interleaving() -> None:
    df = parse(JOURNALS["journald_thick_block"]).to_polars()
    first = df.row(0, named=True)
    assert (first["line"], first["nlines"]) == (1, 4)
    assert first["error"].endswith('"type":"multus-shim"}')
    assert "device or resource busy\n': StdinData: {" in first["error"]
    assert first["pod"] == "probe-6d8f9c7b54-qwz4n"
    assert first["raw"].count("\n") == 3
    others = df.filter(pl.col("line").is_in([2, 4]))
    assert others["node"].to_list() == ["edge-node-2", "edge-node-3"]
    assert others["nlines"].to_list() == [1, 1]


def test_newest_first_paste_reassembles_the_reversed_block() -> None:
    log = parse(JOURNALS["journald_newest_first"])
    df = log.to_polars()
    block = df.filter(pl.col("kind") == "kubelet:sandbox:failed").filter(pl.col("nlines") == 4)
    err = block["error"][0]
    assert err.startswith("rpc error:")
    assert err.endswith('"type":"multus-shim"}')
    assert block["pod"][0] == "probe-6d8f9c7b54-qwz4n"
    assert [i.reason for i in log.issues] == ["klog block reassembled from a newest-first paste"]


def test_unfinished_block_is_kept_with_a_warning(tmp_path: Path) -> None:
    text = (
        'Mar 11 14:02:07 n1 kubelet[1]: E0311 14:02:07.000001       1 k.go:1] "Failed" err=<\n'
        "Mar 11 14:02:07 n1 kubelet[1]: \tfirst body line\n"
    )
    log = parse(write(tmp_path, text))
    df = log.to_polars()
    assert (df.height, df["nlines"][0], df["error"][0]) == (1, 2, "first body line")
    assert [i.reason for i in log.issues] == ["klog block not closed at the end of the input"]


def test_year_rolls_over_from_december_to_january(tmp_path: Path) -> None:
    text = (
        'Dec 31 23:59:59 n1 kubelet[7]: I1231 23:59:59.900000       7 a.go:1] "x"\n'
        'Jan 01 00:00:00 n1 kubelet[7]: I1231 23:59:59.999999       7 a.go:1] "y"\n'
        'Jan 01 00:00:02 n1 kubelet[7]: I0101 00:00:02.000001       7 a.go:1] "z"\n'
    )
    df = parse(write(tmp_path, text)).to_polars()
    assert [t.isoformat() for t in df["time"]] == [
        "2026-12-31T23:59:59.900000+00:00",
        "2026-12-31T23:59:59.999999+00:00",  # klog still in December, journald already in January
        "2027-01-01T00:00:02.000001+00:00",
    ]
    anchored = journald.JournaldFormat().parse(
        decode(RawStream(str(tmp_path / "x"), text.encode()))[0],
        ParseContext(YearAnchor(reference=datetime(2027, 1, 3, tzinfo=UTC), source="file-mtime")),
    )
    assert anchored.events["time"].dt.year().to_list() == [2026, 2026, 2027]
    assert set(anchored.events["year_source"]) == {"file-mtime"}


def test_zone_less_stamps_are_read_in_tz_and_iso_offsets_are_honoured(tmp_path: Path) -> None:
    text = 'Mar 11 14:02:05 n1 kubelet[7]: I0311 14:02:05.102934       7 u.go:30] "x"\n'
    df = parse(write(tmp_path, text), tz="Europe/Berlin").to_polars()
    assert df["time"][0].isoformat() == "2026-03-11T13:02:05.102934+00:00"
    iso = parse(JOURNALS["journald_short_iso"]).to_polars()
    kubelet = iso.filter(pl.col("source") == "kubelet")
    assert kubelet["time"][0].isoformat() == "2026-03-11T13:02:07.772001+00:00"
    assert kubelet["year_source"].null_count() == kubelet.height


def test_localised_month_names_come_from_the_table(tmp_path: Path) -> None:
    df = parse(JOURNALS["journald_localised"]).to_polars()
    assert [t.month for t in df["time"]] == [3, 5, 5, 9, 10]
    log = parse(write(tmp_path, "Foo 11 14:02:05 n1 kubelet[7]: hello\n"))
    assert [i.reason for i in log.issues] == ["not a journald record"]


def test_pager_cut_lines_are_events_with_a_warning() -> None:
    log = parse(JOURNALS["journald_short_iso"])
    df = log.to_polars()
    cut = df.filter(pl.col("fields").str.contains('"truncated":true', literal=True))
    assert cut.height == 2
    assert cut["error"][0].endswith("dial unix /run/multus/multus.so")
    assert [i.reason for i in log.issues] == ["truncated by pager"] * 2
    assert all(i.severity == "warning" for i in log.issues)


def test_markers_are_events_not_issues() -> None:
    df = parse(JOURNALS["journald_k3s"]).to_polars()
    marker = df.row(0, named=True)
    assert (marker["kind"], marker["source"]) == ("log", "journald")
    assert json.loads(marker["fields"]) == {
        "marker": "boot",
        "boot_id": "5c1e0f2a9b8d4c7e6f5a4b3c2d1e0f9a",
    }


def test_payloads_are_dispatched_by_shape(tmp_path: Path) -> None:
    df = parse(JOURNALS["journald_k3s"]).to_polars()
    assert df.filter(pl.col("line") == 3)["source"][0] == "containerd"
    assert df.filter(pl.col("line") == 4)["source"][0] == "kubelet"
    text = (
        "Mar 11 14:02:05 n1 systemd[1]: Started kubelet.service.\n"
        "Mar 11 14:02:06 n1 microshift[88]: kubelet E0311 14:02:06.000001      88 k.go:1] "
        '"CreatePodSandbox for pod failed" err="x" pod="a/b"\n'
        "Mar 11 14:02:07 n1 kubelet[7]: plain text\n"
        "                               continued by journalctl\n"
    )
    df = parse(write(tmp_path, text)).to_polars()
    assert df["source"].to_list() == ["systemd", "kubelet", "kubelet"]
    assert df["message"].to_list()[0] == "Started kubelet.service."
    assert df["kind"][1] == "kubelet:sandbox:failed"
    assert json.loads(df["fields"][1])["component"] == "kubelet"
    assert df["message"][2] == "plain text\ncontinued by journalctl"
    assert df["nlines"].to_list() == [1, 1, 2]


def _careful(monkeypatch: pytest.MonkeyPatch, path: Path) -> mf.EventLog:
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 10**12)
    return parse(path)


FAST_SAMPLES = [
    "seed_kubelet_journal",
    "journald_short_precise_two_nodes",
    "journald_k3s",
    "journald_thick_block",
    "journald_newest_first",
]


@pytest.mark.parametrize("name", FAST_SAMPLES)
def test_vectorised_path_equals_careful_path(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the compiled path against the careful one, also in the run with extensions disabled
    monkeypatch.delenv("MULTUS_FORENSICS_NO_EXT", raising=False)
    path = JOURNALS[name]
    src = decode(RawStream(str(path), path.read_bytes()))[0]
    assert _journalvec.applies(src, ParseContext(), 1)
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    fast = parse(path)
    slow = _careful(monkeypatch, path)
    assert fast.to_polars().equals(slow.to_polars())
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]


def test_vectorised_path_finishes_common_lines_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path must not quietly route everything to the careful path."""
    path = JOURNALS["seed_kubelet_journal"]
    calls: list[int] = []
    real = _journalrec.parse_lines

    def spy(*args: object, **kw: object) -> object:
        items = list(args[3])  # type: ignore[call-overload]
        calls.append(len(items))
        return real(args[0], args[1], args[2], items, args[4])  # type: ignore[arg-type]

    monkeypatch.setattr(_journalrec, "parse_lines", spy)
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    monkeypatch.delenv("MULTUS_FORENSICS_NO_EXT", raising=False)  # this checks the C path
    parse(path)
    total = len(path.read_text().splitlines())
    assert calls
    assert calls[0] <= 2
    assert total > 20


def test_bytes_of_the_source_are_used_only_when_exact() -> None:
    clean = decode(RawStream("a", b"Mar 11 14:02:05 n1 k[1]: x\n"))[0]
    assert clean.data == clean.text.encode()
    crlf = decode(RawStream("a", b"Mar 11 14:02:05 n1 k[1]: x\r\n"))[0]
    assert crlf.data is None
    assert crlf.line_count == 1


def test_lines_of_other_formats_do_not_sniff_as_journald() -> None:
    multus = [
        "2026-03-11T13:02:05Z [verbose] Add: lab:probe:uid:cbr0(cbr0):eth0 {}",
        "2026-03-11T13:02:06Z [error] [lab/probe/uid:macvlan-conf]: error adding container",
    ]
    logrus = ['time="2026-03-11T13:30:01.000412118Z" level=info msg="RunPodSandbox for &x"']
    klog = ['E0311 14:02:07.418552    2231 kuberuntime_manager.go:1172] "CreatePodSandbox"']
    for head in (multus, logrus, klog):
        assert JournaldFormat().sniff(head) == 0.0


def test_payload_parser_columns_reach_the_event(tmp_path: Path) -> None:
    text = (
        "Mar 11 13:02:06 n1 containerd[1187]: 2026-03-11T13:02:06Z [verbose] Add: "
        "lab:probe:7ad2f92f-2377-4b79-8201-15fd0290181a:lab/macvlan-conf(macvlan-conf):net1 "
        '{"cniVersion":"0.3.1","interfaces":[{"name":"net1"}],'
        '"ips":[{"version":"4","interface":0,"address":"192.0.2.40/24"}],"dns":{}}\n'
    )
    row = parse(write(tmp_path, text)).to_polars().row(0, named=True)
    assert (row["source"], row["node"]) == ("multus", "n1")
    assert (row["network"], row["interface"], row["ips"]) == (
        "lab/macvlan-conf",
        "net1",
        "192.0.2.40/24",
    )
    assert row["year_source"] is None  # the multus stamp carries its own year


@pytest.mark.parametrize(
    "text",
    [
        "a\nbb\n",
        "",
        "x",
        "short\nlonger than twelve bytes\nlast, no newline",
        "\n\n",
        "héllo wörld, long\n",
        "abcdefghijkl\nabcdefghijklm\nab",
    ],
)
def test_line_column_over_the_bytes_matches_text_lines(text: str) -> None:
    src = decode(RawStream("a", text.encode()))[0]
    assert src.data is not None
    views = line_views(src)
    assert views is not None
    assert views[0].to_list() == src.lines


def test_short_iso_precise_stamp_without_colon_in_the_offset(tmp_path: Path) -> None:
    text = "2026-03-11T14:02:07.418601+0100 n1 crio[9]: plain payload\n"
    row = parse(write(tmp_path, text)).to_polars().row(0, named=True)
    assert row["time"].isoformat() == "2026-03-11T13:02:07.418601+00:00"
    assert (row["source"], row["message"], row["year_source"]) == ("crio", "plain payload", None)


def test_golden_samples_hold_hand_checked_values() -> None:
    """A few values read off the sample files by hand, so a golden rewritten by the code it
    checks cannot carry a wrong value unnoticed."""
    two = parse(JOURNALS["journald_short_precise_two_nodes"]).to_polars()
    first = two.row(0, named=True)
    assert (first["node"], first["source"], first["kind"]) == (
        "master-0", "kubelet", "kubelet:sandbox:start",
    )  # fmt: skip
    assert first["time"] == datetime(2026, 2, 1, 5, 37, 45, 731580, tzinfo=UTC)  # klog's µs
    assert set(two["node"].drop_nulls()) == {"master-0", "master-1"}
    rsyslog = parse(JOURNALS["journald_rsyslog_rfc3339"]).to_polars()
    nm = rsyslog.row(1, named=True)
    assert (nm["source"], nm["kind"], nm["node"]) == ("NetworkManager", "log", "edge-node-5")
    assert nm["time"] == datetime(2026, 3, 11, 13, 2, 5, 310771, tzinfo=UTC)  # +01:00 stamp
    assert nm["message"].startswith("<info>  [1773234125.3105] device (vethc0f1a2b3)")
    k3s = parse(JOURNALS["journald_k3s"]).to_polars()
    stop = k3s.filter(pl.col("line") == 2).row(0, named=True)
    assert (stop["source"], stop["kind"]) == ("containerd", "runtime:sandbox:stop")
    assert stop["sandbox_id"] == "baff3103e4f7bc829737461fff168666d3e3709460a611e875b4fd4bf0fb08c9"
    iso = parse(JOURNALS["journald_short_iso"]).to_polars()
    run = iso.filter(pl.col("line") == 2).row(0, named=True)
    assert (run["node"], run["source"], run["pod"], run["namespace"]) == (
        "edge-node-4", "containerd", "iperf-client", "perf",
    )  # fmt: skip
    localised = parse(JOURNALS["journald_localised"]).to_polars()
    korean = localised.filter(pl.col("line") == 2).row(0, named=True)
    assert (korean["node"], korean["pod"], korean["namespace"]) == ("worker-1", "trainer-0", "ai")
    assert korean["time"] == datetime(2026, 5, 3, 9, 12, 44, 100, tzinfo=UTC)


def test_date_shaped_text_that_is_no_date_does_not_vote_for_a_year(tmp_path: Path) -> None:
    import multus_forensics as mf

    path = tmp_path / "kubelet.journal"
    path.write_text(
        "Mar 11 13:02:05 node-1 kubelet[1]: I0311 13:02:05.000001       1 x.go:1] "
        '"probe" output="checked at 2026-02-30 13:02:05, next 2026-13-01 00:00:00"\n'
        "Mar 11 13:02:06 node-1 kubelet[1]: I0311 13:02:06.000001       1 x.go:1] "
        '"probe" output="dated 2024-03-11 13:02:06"\n',
        encoding="utf-8",
    )
    log = mf.parse(str(path))
    assert log.frame["time"].dt.year().to_list() == [2024, 2024]
    assert set(log.frame["year_source"].to_list()) == {"content"}


SHORT_FULL = (
    "Wed 2026-03-11 14:02:06.114203 CET edge-node-4 containerd[1187]: plain text from the runtime\n"
    "Wed 2026-03-11 14:02:07 CET edge-node-4 kubelet[1190]: E0311 14:02:07.500000    1190 "
    'pod_workers.go:1298] "Error syncing pod, skipping" err="failed to setup network" '
    'pod="perf/iperf-client"\n'
)
# the same two instants in -o short-unix (13:02:06.114203 and 13:02:07 UTC)
SHORT_UNIX = (
    "1773234126.114203 edge-node-4 containerd[1187]: plain text from the runtime\n"
    "1773234127 edge-node-4 kubelet[1190]: E0311 13:02:07.500000    1190 "
    'pod_workers.go:1298] "Error syncing pod, skipping" err="failed to setup network" '
    'pod="perf/iperf-client"\n'
)


def test_short_full_stamps_are_dated_by_their_own_year_in_the_zone_given(tmp_path: Path) -> None:
    """``journalctl -o short-full``: a full date and a zone abbreviation, read in ``tz``."""
    path = write(tmp_path, SHORT_FULL, "node.log")
    paris = mf.parse(str(path), tz="Europe/Paris")
    assert paris.stats.files[0].format == "journald"  # detected by content
    assert paris.frame.get_column("time").to_list() == [
        datetime(2026, 3, 11, 13, 2, 6, 114203, tzinfo=UTC),
        datetime(2026, 3, 11, 13, 2, 7, 500000, tzinfo=UTC),  # the klog payload's own µs
    ]
    assert paris.frame.get_column("year_source").to_list() == [None, None]
    assert paris.frame.get_column("pod").to_list() == [None, "iperf-client"]
    assert paris.issues == []
    # without a zone: read as UTC, and the file says which zone journalctl printed
    bare = mf.parse(str(path))
    assert bare.frame.get_column("time")[0] == datetime(2026, 3, 11, 14, 2, 6, 114203, tzinfo=UTC)
    (note,) = bare.issues
    assert note.severity == "warning"
    assert "CET" in note.reason
    utc = write(tmp_path, SHORT_FULL.replace(" CET ", " UTC "), "utc.log")
    assert mf.parse(str(utc)).issues == []


def test_short_unix_stamps_are_utc_instants(tmp_path: Path) -> None:
    log = mf.parse(str(write(tmp_path, SHORT_UNIX, "node.log")))
    assert log.stats.files[0].format == "journald"
    assert log.frame.get_column("time").to_list() == [
        datetime(2026, 3, 11, 13, 2, 6, 114203, tzinfo=UTC),
        datetime(2026, 3, 11, 13, 2, 7, 500000, tzinfo=UTC),
    ]
    assert log.frame.get_column("source").to_list() == ["containerd", "kubelet"]
    assert log.issues == []
