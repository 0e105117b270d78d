"""klog text: Go unquoting, key/value parsing, legacy identity shapes, bare files."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, check_golden

import multus_forensics as mf
from multus_forensics.formats.kubelet._klogkv import go_unquote_at, parse_kv
from multus_forensics.formats.kubelet.klog import KlogFormat, parse_payload

HDR = "E0311 14:02:07.418552    2231 kuberuntime_manager.go:1172] "
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
SBX = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"


def unquote(literal: str) -> str | None:
    got = go_unquote_at(literal, 0)
    return None if got is None else got[0]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r'"plain"', "plain"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"nested \\\"q\\\" level"', r"nested \"q\" level"),
        (r'"tab\there\nnl"', "tab\there\nnl"),
        (r'"\x41\u00e9\U0001F600"', "A\u00e9\U0001f600"),
        (r'"octal \101"', "octal A"),
        (r'"bad byte \xff end"', "bad byte \ufffd end"),
        ('"wrapped by a ter\nminal"', "wrapped by a terminal"),
    ],
)
def test_go_unquote_undoes_exactly_one_level(literal: str, value: str) -> None:
    assert unquote(literal) == value


def test_go_unquote_reports_unterminated_literal() -> None:
    assert unquote('"never closed') is None
    assert go_unquote_at('x="ab" y', 2) == ("ab", 6)


def test_parse_kv_reads_quoted_bare_json_and_block_values() -> None:
    text = (
        ' err=<\n\tline one\n\t\n\tline "three"\n > pod="lab/p" podUID=59b2 '
        'event={"ID":"u","Type":"ContainerStarted","Data":"d"} pods=["a/b","c/d"] n=3'
    )
    pairs, clean = parse_kv(text, 0)
    assert clean
    assert pairs == {
        "err": 'line one\n\nline "three"',
        "pod": "lab/p",
        "podUID": "59b2",
        "event": {"ID": "u", "Type": "ContainerStarted", "Data": "d"},
        "pods": ["a/b", "c/d"],
        "n": "3",
    }


def test_parse_kv_last_duplicate_wins_and_keeps_unreadable_rest() -> None:
    pairs, clean = parse_kv(' a="1" a="2" then free text', 0)
    assert not clean
    assert pairs["a"] == "2"
    assert pairs["_rest"] == "then free text"


def test_parse_kv_keeps_a_value_cut_short() -> None:
    pairs, clean = parse_kv(' err="rpc error: failed to setup network for sandbox \\"e55', 0)
    assert not clean
    assert pairs["err"] == 'rpc error: failed to setup network for sandbox "e55'


def test_parse_payload_contract_for_wrappers() -> None:
    got = parse_payload(
        HDR + f'"CreatePodSandbox for pod failed" err="boom" pod="lab/probe" podUID="{UID}"'
    )
    assert got is not None
    assert got["local_time"] == (3, 11, 14, 2, 7, 418552)
    assert "time" not in got
    assert (got["level"], got["kind"], got["source"]) == (
        "error",
        "kubelet:sandbox:failed",
        "kubelet",
    )
    assert (got["namespace"], got["pod"], got["pod_uid"], got["error"]) == (
        "lab",
        "probe",
        UID,
        "boom",
    )
    assert got["fields"] == {}
    assert parse_payload('time="2026-03-11T14:02:07Z" level=info msg="x"') is None


def test_structured_identity_keys_become_columns() -> None:
    got = parse_payload(
        'I0311 14:02:07.000001    2231 scope.go:117] "RemoveContainer" '
        'containerID="containerd://f00dbabe" node="worker-1" pod="kube-node-lease"'
    )
    assert got is not None
    assert got["container_id"] == "f00dbabe"
    assert got["pod"] == "kube-node-lease"
    assert "namespace" not in got
    assert got["fields"] == {"node": "worker-1"}


def test_pleg_event_ties_container_to_pod_uid() -> None:
    got = parse_payload(
        f'I0311 14:02:07.000001    2231 kubelet.go:2453] "SyncLoop (PLEG): event for pod" pod="lab/p" '
        f'event={{"ID":"{UID}","Type":"ContainerStarted","Data":"{SBX}"}}'
    )
    assert got is not None
    assert (got["kind"], got["pod_uid"], got["container_id"]) == ("kubelet:pleg", UID, SBX)
    assert got["fields"]["event"]["Type"] == "ContainerStarted"


def test_sync_error_keeps_the_inner_quoting_level_for_the_chain_unwrapper() -> None:
    lines = (SAMPLES / "seed" / "kubelet.journal").read_text().splitlines()
    line = next(x for x in lines if "Error syncing pod" in x)
    got = parse_payload(line.split(": ", 1)[1])
    assert got is not None
    assert got["kind"] == "kubelet:pod:sync-error"
    err = got["error"]
    assert err.startswith(f'failed to "CreatePodSandbox" for "probe-6d8f9c7b54-qwz4n_lab({UID})"')
    assert f'Failed to create sandbox for pod \\"probe-6d8f9c7b54-qwz4n_lab({UID})\\"' in err
    assert got["sandbox_id"] == SBX


LEGACY = [
    (
        f'Error syncing pod {UID} ("probe-6d8f9c7b54-qwz4n_lab({UID})"), skipping: failed to "CreatePodSandbox" for x',
        "kubelet:pod:sync-error",
        ("lab", "probe-6d8f9c7b54-qwz4n", UID, None),
        'failed to "CreatePodSandbox" for x',
    ),
    (
        f'createPodSandbox for pod "probe-6d8f9c7b54-qwz4n_lab({UID})" failed: rpc error: code = Unknown desc = failed to setup network for sandbox "{SBX}": x',
        "kubelet:sandbox:failed",
        ("lab", "probe-6d8f9c7b54-qwz4n", UID, SBX),
        None,
    ),
    (
        f'CreatePodSandbox for pod "probe-6d8f9c7b54-qwz4n_lab({UID})" failed: boom',
        "kubelet:sandbox:failed",
        ("lab", "probe-6d8f9c7b54-qwz4n", UID, None),
        "boom",
    ),
    (
        "RunPodSandbox from runtime service failed: rpc error: code = 2 desc = x",
        "kubelet:sandbox:failed",
        (None, None, None, None),
        "rpc error: code = 2 desc = x",
    ),
    (
        f'StopPodSandbox "{SBX}" from runtime service failed: rpc error: x',
        "kubelet:sandbox:stop-failed",
        (None, None, None, SBX),
        "rpc error: x",
    ),
    (
        f'failed to "KillPodSandbox" for "{UID}" with KillPodSandboxError: "rpc error: x"',
        "kubelet:sandbox:stop-failed",
        (None, None, UID, None),
        None,
    ),
    (
        'Error adding network: Multus: error adding container to network "m": x',
        "kubelet:sandbox:failed",
        (None, None, None, None),
        'Multus: error adding container to network "m": x',
    ),
    (
        f'failed to set up sandbox container "{SBX}" network for pod "p": boom',
        "log",
        (None, None, None, SBX),
        None,
    ),
    (
        'Killing unwanted pod "old-job-5d7f9"',
        "kubelet:pod:killing",
        (None, "old-job-5d7f9", None, None),
        None,
    ),
    (
        f'Created PodSandbox "{SBX}" for pod "probe-6d8f9c7b54-qwz4n_lab({UID})"',
        "kubelet:sandbox:created",
        ("lab", "probe-6d8f9c7b54-qwz4n", UID, SBX),
        None,
    ),
    (
        f'SyncLoop (PLEG): "p_lab({UID})", event: &pleg.PodLifecycleEvent{{ID:"{UID}", Type:"ContainerStarted", Data:"{SBX}"}}',
        "kubelet:pleg",
        ("lab", "p", UID, None),
        None,
    ),
]


@pytest.mark.parametrize(("text", "kind", "identity", "error"), LEGACY)
def test_legacy_texts_give_kind_and_identity(
    text: str, kind: str, identity: tuple[str | None, ...], error: str | None
) -> None:
    got = parse_payload(HDR + text)
    assert got is not None
    assert got["kind"] == kind
    found = tuple(got.get(k) for k in ("namespace", "pod", "pod_uid", "sandbox_id"))
    assert found == identity
    if error is not None:
        assert got["error"] == error


def test_bare_klog_file_golden(regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log"), format="klog")
    check_golden("kubelet_klog", log.to_polars(), regen_golden)


def test_glog_preamble_anchors_year_and_node_across_new_year() -> None:
    df = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log"), format="klog").to_polars()
    assert set(df["node"]) == {"worker-3"}
    records = df.filter(df["year_source"] == "file-header")
    years = [t.year for t in records["time"]]
    assert years[:4] == [2026, 2026, 2026, 2026]
    assert years[-1] == 2027
    assert df.filter(df["line"] <= 4).is_empty()  # the preamble is the file's header
    [fs] = mf.parse(str(SAMPLES / "kubelet" / "kubelet.log"), format="klog").stats.files
    assert fs.header_lines == 4


def test_continuation_lines_join_their_record_and_text_before_a_record_is_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kubelet.log"
    path.write_text(
        "stray text\n"
        'E0311 14:02:07.418552    2231 kubelet.go:1] "Failed" err="line wrapped by a ter\n'
        'minal" pod="lab/p"\n'
        "\n"
        "panic: boom\n"
    )
    log = mf.parse(str(path), format="klog", year=2026)
    df = log.to_polars()
    assert df["nlines"].to_list() == [4]  # the blank line inside the record is part of it
    assert df["error"][0] == "line wrapped by a terminal"
    assert df["pod"][0] == "p"
    assert [(i.line, i.reason) for i in log.issues] == [(1, "text before the first klog record")]
    assert log.stats.files[0].blank_lines == 0


def test_sniff_prefers_klog_for_klog_and_not_for_journals() -> None:
    fmt = KlogFormat()
    klog_head = (SAMPLES / "kubelet" / "kubelet.log").read_text().splitlines()[:20]
    journal_head = (SAMPLES / "seed" / "kubelet.journal").read_text().splitlines()[:20]
    assert fmt.sniff(klog_head) >= 0.9
    assert fmt.sniff(journal_head) == 0.0
