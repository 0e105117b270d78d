"""Multi-line records stitched by writer, in either order of their blocks, and the lines that
are records of their own (untagged syslog lines, restart banners, a second glog preamble)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.formats.kubelet import journald

H = "Nov 03 10:00:{s:02d} node-1 kubelet[1077]: "
PROBE = (
    'I1103 10:00:{s:02d}.000001    1077 prober.go:107] "Probe failed" probeType="Readiness" '
    'pod="lab/web-0" podUID="0d4c1b2a-3e5f-4a6b-9c8d-7e6f5a4b3c2d" containerName="web" '
    'probeResult="failure" output=<'
)


def _journal(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "kubelet.journal"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_err_block_then_output_block_stay_one_record(tmp_path: Path) -> None:
    lines = [
        H.format(s=1) + 'E1103 10:00:01.000001    1077 x.go:1] "Sync failed" err=<',
        H.format(s=1) + "\tfirst error line",
        H.format(s=1) + " > output=<",
        H.format(s=1) + "\tprobe output",
        H.format(s=1) + ' > pod="lab/web-0"',
        H.format(s=2) + 'I1103 10:00:02.000001    1077 x.go:1] "next"',
    ]
    df = mf.parse(str(_journal(tmp_path, lines)), year=2017).to_polars()
    first = df.row(0, named=True)
    assert (first["line"], first["nlines"], first["pod"]) == (1, 5, "web-0")
    assert first["error"] == "first error line"
    assert df["message"].to_list() == ["Sync failed", "next"]


@pytest.mark.parametrize("vector", [False, True])
def test_rsyslog_escaped_block_lines_join_their_record(
    tmp_path: Path, vector: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if vector:
        monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    lines = [
        H.format(s=1) + PROBE.format(s=1),
        H.format(s=1) + "#011HTTP probe failed with statuscode: 500",
        H.format(s=1) + " >",
        H.format(s=11) + PROBE.format(s=11),
        H.format(s=11) + "#011HTTP probe failed with statuscode: 503",
        H.format(s=11) + " >",
    ]
    log = mf.parse(str(_journal(tmp_path, lines)), year=2017)
    df = log.to_polars()
    assert df.select("line", "nlines").rows() == [(1, 3), (4, 3)]
    assert [i for i in log.issues if "newest-first" in i.reason] == []


@pytest.mark.parametrize("vector", [False, True])
def test_orphan_closing_line_never_joins_a_later_record_of_an_oldest_first_file(
    tmp_path: Path, vector: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if vector:
        monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    lines = [
        H.format(s=1) + 'I1103 10:00:01.000001    1077 x.go:1] "start"',
        H.format(s=2) + " >",  # its opening record is not in the file
        H.format(s=12) + PROBE.format(s=12),
        H.format(s=12) + "\tHTTP probe failed with statuscode: 500",
        H.format(s=12) + " >",
    ]
    log = mf.parse(str(_journal(tmp_path, lines)), year=2017)
    df = log.to_polars()
    assert df.select("line", "nlines").rows() == [(1, 1), (2, 1), (3, 3)]
    reasons = [i.reason for i in log.issues]
    assert "klog block line without its opening record" in reasons
    assert not [r for r in reasons if "newest-first" in r]


def test_newest_first_paste_is_still_reassembled(tmp_path: Path) -> None:
    lines = [
        H.format(s=12) + " >",
        H.format(s=12) + "\tHTTP probe failed with statuscode: 500",
        H.format(s=12) + PROBE.format(s=12),
        H.format(s=1) + 'I1103 10:00:01.000001    1077 x.go:1] "start"',
    ]
    log = mf.parse(str(_journal(tmp_path, lines)), year=2017)
    assert log.to_polars().select("line", "nlines").rows() == [(1, 3), (4, 1)]
    assert [i.reason for i in log.issues] == ["klog block reassembled from a newest-first paste"]


@pytest.mark.parametrize("vector", [False, True])
def test_untagged_syslog_line_is_its_own_event(
    tmp_path: Path, vector: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if vector:
        monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    lines = [
        H.format(s=1) + 'I1103 10:00:01.000001    1077 x.go:1] "first"',
        "Nov 03 10:00:02 node-1 a message that rsyslog received without a tag",
        H.format(s=3) + 'I1103 10:00:03.000001    1077 x.go:1] "second"',
    ]
    df = mf.parse(str(_journal(tmp_path, lines)), year=2017).to_polars()
    assert df.select("line", "nlines", "source").rows() == [
        (1, 1, "kubelet"),
        (2, 1, "unknown"),
        (3, 1, "kubelet"),
    ]
    assert df["message"][1] == "a message that rsyslog received without a tag"


def test_second_glog_preamble_ends_the_record_before_it(tmp_path: Path) -> None:
    preamble = [
        "Log file created at: 2019/12/30 21:14:02",
        "Running on machine: win-node-1",
        "Binary: Built with gc go1.13.4 for windows/amd64",
        "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg",
    ]
    path = tmp_path / "kubelet.INFO"
    path.write_text(
        "\n".join(
            [
                *preamble,
                "I1230 21:14:02.000153    1902 server.go:440] Version: v1.17.0",
                *preamble,
                "I1231 08:00:00.000001    1902 server.go:440] Version: v1.17.0",
            ]
        )
        + "\n"
    )
    log = mf.parse(str(path))
    df = log.to_polars()
    assert df.select("line", "nlines").rows() == [(5, 1), (10, 1)]
    assert {t.year for t in df["time"]} == {2019}
    assert log.stats.files[0].header_lines == 8


def test_every_pod_reference_form_is_resolved(tmp_path: Path) -> None:
    uid = "7ad2f92f-2377-4b79-8201-15fd0290181a"
    lines = [
        H.format(s=1) + 'I1103 10:00:01.000001    1077 x.go:1] "Status" podName="web-0" '
        'podNamespace="shop"',
        H.format(s=2) + 'E1103 10:00:02.000001    1077 x.go:1] "RunPodSandbox from runtime '
        'service failed" err="failed (add): [lab/probe-6d8f9c7b54-qwz4n/' + uid + ":macvlan-conf]: "
        'error adding container to network \\"macvlan-conf\\""',
        H.format(s=3) + "I1103 10:00:03.000001    1077 x.go:1] Killing container with id "
        'docker://web:Need to kill Pod "kube-flannel-8h8dx_kube-system(' + uid + ')"',
        H.format(s=4) + "I1103 10:00:04.000001    1077 x.go:1] route [10.244.0.5/24] added",
    ]
    df = mf.parse(str(_journal(tmp_path, lines)), year=2017).to_polars()
    assert df.select("namespace", "pod", "pod_uid", "network").rows() == [
        ("shop", "web-0", None, None),
        ("lab", "probe-6d8f9c7b54-qwz4n", uid, "macvlan-conf"),
        ("kube-system", "kube-flannel-8h8dx", uid, None),
        (None, None, None, None),
    ]
    assert df.filter(pl.col("pod").is_not_null()).height == 3
