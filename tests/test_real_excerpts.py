"""Real logs nobody here wrote (tests/data/real/README.md names each source): the expected
values were read off the excerpts by hand."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.formats.kubelet import journald

REAL = Path(__file__).resolve().parent / "data" / "real"
#: a modification time far from every excerpt's own year: it must never win
MTIME = datetime(2026, 6, 1, tzinfo=UTC).timestamp()


@pytest.fixture
def real(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A copy of an excerpt with a misleading modification time (as after a download)."""

    def copy(name: str) -> Path:
        path = tmp_path / name
        path.write_bytes((REAL / name).read_bytes())
        os.utime(path, (MTIME, MTIME))
        return path

    return copy


def test_plaso_googlelog_gives_four_events_and_five_header_lines(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("plaso_googlelog_test.INFO")))
    df = log.to_polars()
    assert df["message"].to_list() == [
        "This line is VLOG level 0",
        "This line is log level 0",
        "Interesting Stuff\n    that spans two lines",
        "This line is a fatal log",
    ]
    assert df["level"].to_list() == ["info", "info", "info", "fatal"]
    assert set(df["node"]) == {"plasotest1"}
    assert df["time"][0] == datetime(2019, 12, 31, 23, 59, 59, 1, tzinfo=UTC)
    assert set(df["year_source"]) == {"file-header"}
    [fs] = log.stats.files
    assert (fs.lines, fs.header_lines, fs.event_lines, fs.issue_lines) == (10, 5, 5, 0)
    assert log.issues == []


def test_journal_header_gives_the_year_and_is_not_an_event(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("coreos_bugs_1847_flanneld.journal")))
    df = log.to_polars()
    assert df.height == 10
    assert not df["message"].str.starts_with("-- Logs begin").any()
    assert df["time"][0] == datetime(2017, 3, 7, 17, 55, 58, tzinfo=UTC)
    assert set(df["year_source"]) == {"file-header"}
    assert log.stats.files[0].header_lines == 1


def test_journal_header_end_stamp_dates_records_of_the_end_year(real) -> None:  # type: ignore[no-untyped-def]
    # begins 2018-12-03, ends 2019-08-18: the August records are of 2019
    df = mf.parse(str(real("minikube_5127_kubelet.journal"))).to_polars()
    assert {t.year for t in df["time"]} == {2019}
    assert df.height == 4


def test_both_journald_paths_read_the_header(real, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = real("minikube_5127_kubelet.journal")
    careful = mf.parse(str(path))
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    fast = mf.parse(str(path))
    assert fast.to_polars().equals(careful.to_polars())
    assert fast.stats.files[0].header_lines == careful.stats.files[0].header_lines == 1


def test_full_dates_in_messages_give_the_year(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("vijayrod_aks_liveness.journal")))
    df = log.to_polars()
    assert {t.year for t in df["time"]} == {2025}
    assert set(df["year_source"]) == {"content"}
    assert df["time"][0] == datetime(2025, 5, 16, 18, 34, 4, 558677, tzinfo=UTC)


def test_a_year_argument_contradicted_by_the_content_is_reported(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("vijayrod_aks_liveness.journal")), year=2024)
    assert {t.year for t in log.to_polars()["time"]} == {2024}  # the argument wins
    notes = [i for i in log.issues if "disagrees" in i.reason]
    assert [(n.line, n.severity) for n in notes] == [(3, "warning")]
    assert "argument (2024)" in notes[0].reason
    assert "(2025)" in notes[0].reason


def test_probe_blocks_without_body_stay_three_records(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("vijayrod_aks_liveness.journal")))
    probes = log.to_polars().filter(pl.col("message") == "Probe failed")
    assert probes["line"].to_list() == [4, 5, 6]
    assert probes["nlines"].to_list() == [1, 1, 1]
    assert not [i for i in log.issues if "newest-first" in i.reason]


def test_restart_banner_lines_are_events_of_their_own(real) -> None:  # type: ignore[no-untyped-def]
    path = real("kubernetes_77174_kubelet.log")
    twice = path.read_text() * 2  # the same kubelet restarted: its banner after its records
    path.write_text(twice)
    log = mf.parse(str(path))
    df = log.to_polars()
    banners = df.filter(pl.col("message").str.starts_with("Flag --"))
    assert banners["line"].to_list() == [1, 2, 9, 10]
    assert set(banners["level"]) == {"warning"}
    assert [json.loads(f)["banner"] for f in banners["fields"]] == ["deprecated-flag"] * 4
    klog = df.filter(~pl.col("message").str.starts_with("Flag --"))
    assert klog["nlines"].to_list() == [1] * 12  # no record absorbed a banner line
    assert log.issues == []


def test_older_pod_reference_form_resolves_with_its_uid(real) -> None:  # type: ignore[no-untyped-def]
    df = mf.parse(str(real("kubernetes_54760_kubelet.journal"))).to_polars()
    refs = df.select("namespace", "pod", "pod_uid").rows()
    pod = ("default", "alpine-368057524-bgt0m", "cc89ef7c-bc47-11e7-85ce-901b0edee6b6")
    assert refs == [(None, None, None), pod, pod]


def test_a_certificate_expiry_date_does_not_vote_for_the_year(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.journal"
    path.write_text(
        "May 16 18:34:04 node-1 kubelet[4052]: I0516 18:34:04.000001    4052 "
        "certificate_manager.go:270] Certificate expiration is 2027-05-16 18:34:04 +0000 UTC, "
        "rotation deadline is 2027-02-01 04:10:44 +0000 UTC\n"
    )
    os.utime(path, (MTIME, MTIME))
    df = mf.parse(str(path)).to_polars()
    assert df.select("year_source").item() == "file-mtime"
    assert df["time"][0].year == 2026


def test_a_block_body_indented_by_spaces_joins_its_probe_record(real) -> None:  # type: ignore[no-untyped-def]
    log = mf.parse(str(real("openshift_bootstrap_kubelet_sh.journal")), year=2025)
    events = log.to_polars()
    probe = events.filter(pl.col("message") == "Probe failed").row(0, named=True)
    assert (probe["line"], probe["nlines"]) == (7, 3)  # the opener, the body, the closing ` >`
    assert "/bin/bash: line 3: kill:" in probe["raw"]
    assert probe["source"] == "kubelet.sh"
    assert not log.issues
    assert events.height == 9  # 11 lines, two of them inside the block


@pytest.mark.parametrize(
    ("name", "fmt", "year", "preamble"),
    [
        ("rke-kubelet.log", "klog", 2021, 25),  # the entrypoint's shell trace (``+ exec kubelet``)
        ("openshift-bootstrap-kubelet.journal", "journald", 2025, 0),
        ("windows-kubelet.log", "klog", 2019, 0),
    ],
)
def test_the_benchmarks_public_logs_are_read_whole(
    name: str, fmt: str, year: int, preamble: int
) -> None:
    """Each is recognised by its content (whatever its name), every line accounted, and only a
    container's shell trace before the first klog record is reported."""
    path = REAL.parent.parent.parent / "benchmarks" / "data" / name
    log = mf.parse(str(path), year=year)
    (stats,) = log.stats.files
    assert stats.format == fmt
    assert stats.lines == path.read_bytes().count(b"\n")
    assert (
        stats.event_lines + stats.header_lines + stats.blank_lines + stats.issue_lines
        == stats.lines
    )
    assert [i.line for i in log.issues] == list(range(1, preamble + 1))
    assert all(i.reason == "text before the first klog record" for i in log.issues)


def test_macvtap_given_no_device_is_a_device_not_allocated(real) -> None:  # type: ignore[no-untyped-def]
    """KubeVirt's VEP 106 quotes this event for a pod that requested no macvtap device."""
    found = mf.diagnose(str(real("kubevirt_macvtap_no_device.txt")), year=2025)
    assert found.top == "sriov_device_not_allocated"
    assert "kubevirt-test-default1/virt-launcher-testvmi-vnmz7-rdm9r" in found[0].pods


def test_empty_cni_result_cache_is_teardown_state_even_without_multus(real) -> None:  # type: ignore[no-untyped-def]
    """A Talos/flannel node's StopPodSandbox fails on a 0-byte /var/lib/cni/results file: libcni
    writes this text with or without Multus, so the cause is not capped as Multus-only."""
    found = mf.diagnose(str(real("averagemarcus_stoppodsandbox_empty_cache.txt")), year=2025)
    top = found[0]
    assert top.root_cause == "teardown_state_missing"
    assert top.rule == "TEARDOWN-RESULT-CACHE-UNREADABLE"
    assert top.confidence >= 0.7
    assert not any("no sign of Multus" in r for r in top.reasons)
    assert top.count == 2


@pytest.mark.parametrize(
    ("name", "pod"),
    [
        ("containerd_7689_crictl_runp_crio.txt", "nginx"),
        ("containerd_cri_520_crictl_runs.txt", "nginx-sandbox"),
    ],
)
def test_sandbox_run_by_hand_for_a_pod_the_api_lacks_is_pod_not_in_api(  # type: ignore[no-untyped-def]
    real, name: str, pod: str
) -> None:
    """crictl sandboxes with made-up metadata: the CNI plugin's pod lookup gets a NotFound."""
    found = mf.diagnose(str(real(name)), year=2022)
    top = found[0]
    assert (top.root_cause, top.rule) == ("pod_not_in_api", "POD-NOT-FOUND-CNI")
    assert any("crictl ran the sandbox by hand" in r for r in top.reasons)
    assert not any("no sign of Multus" in r for r in top.reasons)
    assert f'pods "{pod}" not found' in top.evidence[0].text


def test_localised_journal_header_gives_the_year_and_names_its_zone(real) -> None:  # type: ignore[no-untyped-def]
    """journalctl prints the header's weekday in the locale (``mer.``) and the times in local
    time: the year comes from the header, and a run without a zone is told which one to pass."""
    path = real("kubernetes_68885_fr_kubelet.journal")
    log = mf.parse(str(path))
    first = log.frame.row(0, named=True)
    assert (first["time"], first["year_source"]) == (
        datetime(2018, 9, 20, 16, 41, 5, 744437, tzinfo=UTC),
        "file-header",
    )
    (note,) = [i for i in log.issues if i.severity == "warning"]
    assert "CEST" in note.reason
    assert "--tz" in note.reason
    assert note.line is None
    assert log.stats.files[0].header_lines == 1

    paris = mf.parse(str(path), tz="Europe/Paris")
    assert paris.frame.row(0, named=True)["time"] == datetime(
        2018, 9, 20, 14, 41, 5, 744437, tzinfo=UTC
    )
    assert [i for i in paris.issues if i.severity == "warning"] == []


def test_small_journals_parsed_together_each_name_their_zone(tmp_path: Path) -> None:
    """Small files of one format are scanned as a batch: each still gets its own zone note."""
    text = (REAL / "kubernetes_68885_fr_kubelet.journal").read_text(encoding="utf-8")
    for name in ("node-a.journal", "node-b.journal"):
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "node-c.journal").write_text(
        text.replace("CEST", "UTC").replace("mer.", "Wed"), encoding="utf-8"
    )
    log = mf.parse(str(tmp_path))
    noted = sorted(Path(i.file).name for i in log.issues if "--tz" in i.reason)
    assert noted == ["node-a.journal", "node-b.journal"]
    assert log.frame.get_column("year_source").unique().to_list() == ["file-header"]


def test_journal_records_with_their_own_offset_get_no_zone_note(tmp_path: Path) -> None:
    path = tmp_path / "iso.journal"
    path.write_text(
        "-- Journal begins at Mon 2026-03-09 09:00:01 CET, ends at Wed 2026-03-11 14:05:00 CET. --\n"
        "2026-03-11T14:02:06+0100 edge-node-4 kubelet[1187]: I0311 14:02:06.114203    1187 "
        'kubelet.go:2039] "SyncLoop ADD" source="api" pods=["perf/iperf-client"]\n',
        encoding="utf-8",
    )
    log = mf.parse(str(path))
    assert log.issues == []
    assert log.frame.row(0, named=True)["time"] == datetime(
        2026, 3, 11, 13, 2, 6, 114203, tzinfo=UTC
    )


#: line number → the namespace, pod, UID and container OpenShift's own collector tests expect
OPENSHIFT_LOCATORS = {
    1: ("openshift-monitoring", "prometheus-k8s-0", "a1947638-25c2-4fd8-b3c8-4dbaa666bc61", None),
    7: (
        "openshift-authentication",
        "oauth-openshift-77f7b95df5-r4xf7",
        "1af660b3-ac3a-4182-86eb-2f74725d8415",
        "oauth-openshift",
    ),
    8: (
        "openshift-marketplace",
        "redhat-operators-4jpg4",
        "0bac4741-a3bd-483c-b119-e97663d64024",
        "registry-server",
    ),
    9: ("openshift-e2e-loki", "loki-promtail-plm74", "59b26cbf-3421-407c-98ee-986b5a091ef4", None),
}
OPENSHIFT_LINES = (REAL / "openshift_origin_kubeletlogcollector_lines.txt").read_text().splitlines()


@pytest.mark.parametrize("number", range(1, len(OPENSHIFT_LINES) + 1))
def test_openshift_ci_journal_lines_are_one_event_each_with_the_identities_openshift_reads(
    tmp_path: Path, number: int
) -> None:
    path = tmp_path / "node.journal"
    path.write_text(OPENSHIFT_LINES[number - 1] + "\n", encoding="utf-8")
    log = mf.parse(str(path), year=2023)
    assert log.issues == []
    (row,) = log.frame.to_dicts()
    ident = OPENSHIFT_LINES[number - 1].split(" ")[4].split("[")[0]
    assert row["source"] == ("kubelet" if ident in ("kubenswrapper", "hyperkube") else ident)
    assert row["time"].year == 2023
    if number in OPENSHIFT_LOCATORS:
        namespace, pod, uid, container = OPENSHIFT_LOCATORS[number]
        assert (row["namespace"], row["pod"], row["pod_uid"]) == (namespace, pod, uid)
        assert json.loads(row["fields"]).get("containerName") == container
