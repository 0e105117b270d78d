"""Journals shaped like real nodes': both journald paths agree row for row, source = identifier.

The fast path is taken here the way users meet it (files above ``VECTOR_MIN_LINES``), on
generated journals that vary one real-world dimension at a time (benchmarks/nodegen.py).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import repo_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.formats.kubelet import _journalvec, journald
from multus_forensics.formats.multus.multus_entrypoint import _TEXTS
from multus_forensics.formats.runtime._logrus import LOGRUS_LINE

ROOT = Path(__file__).resolve().parent.parent


nodegen = repo_module("benchmarks/nodegen.py")


def _both(
    path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int = 700, min_lines: int | None = None
) -> mf.EventLog:
    """Parse on the fast path (the real threshold unless ``min_lines``) and the careful one;
    assert they agree."""
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", chunk)
    if min_lines is not None:
        monkeypatch.setattr(journald, "VECTOR_MIN_LINES", min_lines)
    fast = mf.parse(str(path), format="journald", year=2026)
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 10**12)
    slow = mf.parse(str(path), format="journald", year=2026)
    monkeypatch.undo()
    a, b = fast.to_polars(), slow.to_polars()
    assert a.height == b.height
    for name in a.columns:  # name the first differing column and row when they differ
        diff = np.flatnonzero(~(a[name].eq_missing(b[name])).to_numpy())
        assert not len(diff), (name, a.row(int(diff[0])), b.row(int(diff[0])))
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]
    return fast


SHAPES = {
    "openshift worker": nodegen.Shape(),
    "three nodes interleaved": nodegen.Shape(hosts=("worker-0", "worker-1", "master-2.example")),
    "rsyslog day padding": nodegen.Shape(day_pad=" ", start=datetime(2026, 3, 1, 9, tzinfo=UTC)),
    "short-precise": nodegen.Shape(precise=True),
    "new year inside": nodegen.Shape(start=datetime(2025, 12, 31, 23, 58, tzinfo=UTC)),
    "blocks not crossed": nodegen.Shape(crossed_blocks=False, blocks=0.05),
    "many blocks, many restarts": nodegen.Shape(blocks=0.05, restarts=9),
    "a writer's record inside its own block": nodegen.Shape(blocks=0.05, own_records_in_block=True),
    "block bodies indented by spaces": nodegen.Shape(blocks=0.05, body_indent=" " * 8),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_real_shaped_journals_parse_alike_on_both_paths(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = list(nodegen.node_journal(2500, random.Random(name), SHAPES[name]))
    assert len(lines) >= journald.VECTOR_MIN_LINES
    path = tmp_path / "node.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = _both(path, monkeypatch).to_polars()
    assert events.height > 2000


def _write(tmp_path: Path, records: list[str], pad_to: int = journald.VECTOR_MIN_LINES) -> Path:
    """The records, then plain filler records up to the fast-path threshold."""
    filler = "Mar 11 14:03:00 node-a systemd[1]: Started crio-conmon-abc.scope."
    lines = records + [filler] * max(0, pad_to - len(records))
    path = tmp_path / "records.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


KLOG = 'I0311 14:02:07.418552    2231 cacher.go:460] "Terminating all watchers" resource="pods"'
SOURCES = [
    ("Mar 11 14:02:07 node-a kubenswrapper[2231]: " + KLOG, "kubelet"),
    ("Mar 11 14:02:07 node-a kubelet: " + KLOG, "kubelet"),
    ("Mar 11 14:02:07 node-a kube-apiserver[17]: " + KLOG, "kube-apiserver"),
    ("Mar 11 14:02:07 node-a k3s[9]: " + KLOG, "kubelet"),
    ("Mar 11 14:02:07 node-a crio[5094]: " + KLOG, "crio"),
    (
        'Mar 11 14:02:07 node-a crio[5094]: time="2026-03-11 14:02:07.1Z" level=info msg="x"',
        "crio",
    ),
    (
        'Mar 11 14:02:07 node-a k3s[9]: time="2026-03-11T14:02:07Z" level=info msg="x"',
        "containerd",
    ),
    (
        "Mar 11 14:02:07 node-a NetworkManager[1100]: <info>  [1.2] device (veth1): up",
        "NetworkManager",
    ),
    ("Mar 11 14:02:07 node-a bootkube.sh[2001]: Waiting for etcd cluster...", "bootkube.sh"),
    ("Mar 11 14:02:07 node-a kernel: device veth1 entered promiscuous mode", "kernel"),
    ("Mar 11 14:02:07 node-a kubenswrapper[2231]: Flag --foo has been deprecated", "kubelet"),
    (
        "Mar 11 14:02:07 node-a kubelet[2231]: 2026-03-11T14:02:07Z [error] Multus: boom",
        "multus",
    ),
]


def test_the_source_is_the_syslog_identifier_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, [line for line, _ in SOURCES])
    events = _both(path, monkeypatch).to_polars().head(len(SOURCES))
    assert events["source"].to_list() == [source for _, source in SOURCES]
    # the klog payload of a non-kubelet writer is still parsed
    apiserver = events.row(2, named=True)
    assert apiserver["message"] == "Terminating all watchers"
    assert apiserver["level"] == "info"
    assert apiserver["fields"] == '{"pid":"17","resource":"pods"}'


LOGRUS = [
    'time="2026-03-11 14:02:07.418601234Z" level=info msg="Checking image status: quay.io/x" id=ab1',
    'time="2026-03-11T14:02:07+01:00" level=warn msg=bare k=v other="quoted value"',
    'time="2026-03-11T14:02:07.1-05:30" level=trace msg="" a.b/c=1',
    'time="2026-03-11T14:02:07Z" level=unknown msg="x"',
    'time="2026-03-11T14:02:07Z" level=error msg="failed" error="boom"',
    'time="2026-03-11T14:02:07Z" level=info msg="esc \\"q\\"" k=v',
    'time="2026-03-11T14:02:07Z" level=info msg="Running pod sandbox: lab/p/POD" id=1',
    'time="2026-03-11T14:02:07Z" level=info msg="x" pid=9 k=1',
    'time="2026-03-11T14:02:07Z" level=info msg="x" k=1 k=2',
    'time="2026-03-11T14:02:07Z" level=info msg="x"junk k=1',
    'time="2026-03-11T14:02:07Z" level=info msg="x" rest without pairs',
    'time="2026-02-30T14:02:07Z" level=info msg="impossible date"',
    'time="2026-03-11T14:02:07+0100" level=info msg="offset without colon"',
    'time="yesterday" level=info msg="no stamp"',
    'time="2026-03-11T14:02:07Z" level=info msg="unclosed',
    'time="2026-03-11T14:02:07Z"  level=info msg="two spaces"',
    'time="2026-03-11T14:02:07Z" level=info msg="Running pod sandbox: lab/web-1/POD" id=7',
    'time="2026-03-11T14:02:07Z" level=info msg="Running pod sandbox: lab/web-1/PODX" id=7',
    'time="2026-03-11T14:02:07Z" level=info msg="Running pod sandbox: lab/web/1/POD"',
    'time="2026-03-11T14:02:07Z" level=info msg="Got pod network &{Name:web-1 Namespace:lab '
    'ID:ab12 UID:3f1c NetNS:/var/run/netns/x Networks:[] RuntimeConfig:map[]}"',
    'time="2026-03-11T14:02:07Z" level=info msg="Got pod network &{Name:web-1 Namespace:lab '
    'ID:ab12 UID:3f1c}" netns=kv',
    'time="2026-03-11T14:02:07Z" level=info msg="Got pod network &{Name:web-1 Namespace:lab '
    'ID:ab12 UID:3f1c NetNS: Networks:[]}"',
    'time="2026-03-11T14:02:07Z" level=info msg="Got pod network &{Name:web-1 Namespace:lab '
    'ID:abXY UID:3f1c}"',
    'time="2026-03-11T14:02:07Z" level=info msg="Got pod network &{Name:web-1 Namespace:lab '
    'ID:ab12 UID:3f1c NetNS:/x}" name=k8s_web-1_lab_0',
    'time="2026-03-11T14:02:07Z" level=info msg="Adding pod lab_web-1 to CNI network \\"m\\""',
]


def test_logrus_records_parse_alike_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [f"Mar 11 14:02:07 node-a crio[5094]: {p}" for p in LOGRUS]
    records += [f"Mar 11 14:02:07 node-a k3s: {p}" for p in LOGRUS]
    events = _both(_write(tmp_path, records, pad_to=3), monkeypatch, chunk=5, min_lines=1)
    first = events.to_polars().row(0, named=True)
    assert first["message"] == "Checking image status: quay.io/x"
    assert first["time"] == datetime(2026, 3, 11, 14, 2, 7, 418601, tzinfo=UTC)
    assert first["year_source"] is None  # the stamp has its year
    assert first["fields"] == '{"pid":"5094","id":"ab1"}'
    assert events.to_polars()["source"].to_list()[len(LOGRUS)] == "containerd"
    run = events.to_polars().row(
        LOGRUS.index(next(p for p in LOGRUS if 'web-1/POD" id' in p)), named=True
    )
    assert (run["kind"], run["namespace"], run["pod"]) == ("runtime:sandbox:start", "lab", "web-1")
    got = events.to_polars().row(
        LOGRUS.index(next(p for p in LOGRUS if "NetNS:/var" in p)), named=True
    )
    assert (got["sandbox_id"], got["pod_uid"]) == ("ab12", "3f1c")
    assert got["fields"] == '{"pid":"5094","netns":"/var/run/netns/x"}'


def test_plain_records_of_other_writers_are_finished_by_the_scanner() -> None:
    from multus_forensics import _kscan

    lines = [
        b"Mar 11 14:02:07 node-a NetworkManager[1100]: <info>  [1.2] device (veth1): up",
        b"Mar  1 14:02:07.123456 node-a kernel: device veth1 entered promiscuous mode",
        b'Mar 11 14:02:07 node-a crio[5094]: time="2026-03-11 14:02:07Z" level=info msg="x"',
        b"Mar 11 14:02:07 node-a podman[7]: 2026-03-11 14:02:07 +0000 UTC container died",
        b"Mar 11 14:02:07 node-a kubenswrapper[2231]: ERR: not a plain text (entrypoint)",
    ]
    data = b"\n".join(lines) + b"\n"
    starts, lens, _ = _kscan.lines(data)
    years = np.full(len(lines), 2026, dtype=np.int64)
    slow, m, *_ = _kscan.scan(
        data, np.frombuffer(starts, np.int64), np.frombuffer(lens, np.int64), years,
        0, len(lines), (), (), (b"info", b"warning", b"error", b"fatal"), (),
        _journalvec.careful_starts(), (),
    )  # fmt: skip
    assert list(slow) == [0, 0, 0, 1, 1]
    assert m == 3


#: every shape another payload parser reads, generated from that parser's own pattern
OTHER_SHAPES = st.one_of(
    st.from_regex(LOGRUS_LINE, fullmatch=True, alphabet=st.characters(max_codepoint=126)),
    *(
        st.from_regex(rx.pattern, alphabet=st.characters(min_codepoint=32, max_codepoint=126))
        for rx, _, _ in _TEXTS
    ),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(OTHER_SHAPES, min_size=1, max_size=8))
def test_payloads_of_other_parsers_never_pass_as_plain_text(
    payloads: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        f"Mar 11 14:02:07 node-a multus[4]: {p}" for p in payloads if "\n" not in p and p.strip()
    ]
    _both(_write(tmp_path, records, pad_to=3), monkeypatch, chunk=3, min_lines=1)


def test_a_payload_parser_the_scanner_does_not_know_sends_plain_text_to_the_careful_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from multus_forensics import registry

    monkeypatch.setitem(registry.PAYLOAD_PARSERS, "new-shape", "klog:parse_payload")
    assert _journalvec.careful_starts() == (b"",)


def _both_klog(path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int = 700) -> mf.EventLog:
    """A bare klog file on the fast path (real threshold) and the careful one: they agree."""
    from multus_forensics.formats.kubelet import klog

    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", chunk)
    fast = mf.parse(str(path), format="klog")
    monkeypatch.setattr(klog, "VECTOR_MIN_LINES", 10**12)
    slow = mf.parse(str(path), format="klog")
    monkeypatch.undo()
    a, b = fast.to_polars(), slow.to_polars()
    assert a.height == b.height
    for name in a.columns:
        diff = np.flatnonzero(~(a[name].eq_missing(b[name])).to_numpy())
        assert not len(diff), (name, a.row(int(diff[0])), b.row(int(diff[0])))
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]
    return fast


@pytest.mark.parametrize("glog", [True, False])
def test_bare_klog_files_with_restarts_parse_alike_on_both_paths(
    glog: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = list(nodegen.klog_file(2600, random.Random(5), restarts=3, glog=glog))
    # blocks, a wrapped continuation, blank lines and a header inside a block
    lines[700:700] = [
        'E0228 01:00:00.000001    1234 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err=<',
        "\trpc error: code = Unknown desc = boom",
        "I0228 01:00:00.000002    1234 inside.go:1] a header inside the block",
        '\t\': StdinData: {"cniVersion":"0.3.1"}',
        ' > pod="lab/web-1"',
        "a line wrapped by the terminal",
        "",
        "",
    ]
    path = tmp_path / "kubelet.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = _both_klog(path, monkeypatch).to_polars()
    block = events.filter(events["line"] == 701).row(0, named=True)
    assert block["nlines"] == 6  # the block and the wrapped line
    assert block["error"].startswith("rpc error: code = Unknown desc = boom")
    if glog:  # the preamble names the node and anchors the year
        assert events["node"][0] == "win-node-1"
        assert events["time"].dt.year().min() == 2026


def test_a_bare_klog_file_across_new_year_gets_its_years_from_the_preamble(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = ["Log file created at: 2025/12/31 23:59:00", "Running on machine: n1"]
    body = [
        f'I{m:02d}{d:02d} 23:59:{s:02d}.000000    42 x.go:1] "tick" n="{k}"'
        for k, (m, d, s) in enumerate([(12, 31, 1)] * 1200 + [(1, 1, 2)] * 1200)
    ]
    path = tmp_path / "kubelet.INFO"
    path.write_text("\n".join(head + body) + "\n", encoding="utf-8")
    events = _both_klog(path, monkeypatch).to_polars()
    years = events.filter(events["message"] == "tick")["time"].dt.year().to_list()
    assert years[0] == 2025
    assert years[-1] == 2026


UID = "33319fcc-6995-4593-aacd-f56bf3cdba80"
LEGACY_TEXTS = [
    f'Error syncing pod {UID} ("web-1_lab({UID})"), skipping: failed to "StartContainer" for "web"',
    f'Error syncing pod {UID} ("web-1_lab_x({UID})"), skipping: ',
    f'Error syncing pod {UID} ("no-target"), skipping: network for sandbox "{"a" * 64}" gone',
    f'Error syncing pod {UID}\t("web-1_lab({UID})"), skipping: tab before the target',
    f'Error syncing pod {UID} ("web-1_lab({UID})") skipping: no comma',
    f'SyncLoop (PLEG): "web-1_lab({UID})", event: &pleg.PodLifecycleEvent{{ID:"{UID}", Type:"ContainerStarted", Data:"{"b" * 64}"}}',
    f'SyncLoop (PLEG): "web-1_lab({UID})", event: &pleg.PodLifecycleEvent{{ID:"", Type:"ContainerDied", Data:""}} trailing',
    'SyncLoop (PLEG): "web-1_lab(u)", event: &pleg.PodLifecycleEvent{ID:"u", Type:"x"}',
    "Container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady",
    "Container runtime network not ready: ",
    'Failed to stop sandbox "abc" before removing: boom',
]


@pytest.mark.parametrize("bare", [True, False])
def test_legacy_klog_texts_parse_alike_on_both_paths(
    bare: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = "I0120 11:42:30.430248    4787 kubelet.go:1865] "
    records = [
        ("" if bare else "Jan 20 11:42:30 node-a kubelet[4787]: ") + head + t for t in LEGACY_TEXTS
    ]
    path = _write(tmp_path, records * 3, pad_to=3)
    if bare:
        path.write_text("\n".join(records * 3) + "\n", encoding="utf-8")
        from multus_forensics.formats.kubelet import klog

        monkeypatch.setattr(klog, "VECTOR_MIN_LINES", 1)
        events = _both_klog(path, monkeypatch, chunk=4).to_polars()
    else:
        events = _both(path, monkeypatch, chunk=4, min_lines=1).to_polars()
    sync = events.row(0, named=True)
    assert sync["kind"] == "kubelet:pod:sync-error"
    assert (sync["namespace"], sync["pod"], sync["pod_uid"]) == ("lab", "web-1", UID)
    assert sync["message"] == f'Error syncing pod {UID} ("web-1_lab({UID})"), skipping'
    assert sync["error"] == 'failed to "StartContainer" for "web"'
    pleg = events.row(5, named=True)
    assert (pleg["kind"], pleg["container_id"]) == ("kubelet:pleg", "b" * 64)


@pytest.mark.parametrize("name", ["node.journal", "kubelet.log"])
def test_without_the_extension_the_pure_path_gives_the_same_events(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = (
        nodegen.node_journal(300, random.Random(3))
        if name.endswith("journal")
        else nodegen.klog_file(300, random.Random(3))
    )
    path = tmp_path / name
    path.write_text("\n".join(gen) + "\n", encoding="utf-8")
    assert _journalvec.scanner_available()
    fast = mf.parse(str(path), year=2026)
    monkeypatch.setenv("MULTUS_FORENSICS_NO_EXT", "1")
    assert not _journalvec.scanner_available()
    pure = mf.parse(str(path), year=2026)
    assert fast.to_polars().equals(pure.to_polars())
    assert [str(i) for i in fast.issues] == [str(i) for i in pure.issues]


def test_a_restart_preamble_naming_another_machine_sends_the_file_to_the_careful_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multus_forensics.formats.kubelet import _klogvec

    lines = list(nodegen.klog_file(400, random.Random(9), restarts=1))
    second = [i for i, line in enumerate(lines) if line.startswith("Running on machine")][1]
    lines[second] = "Running on machine: win-node-2"
    path = tmp_path / "kubelet.INFO"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    called: list[int] = []
    monkeypatch.setattr(_klogvec, "parse_klog_file", lambda *a: called.append(1) or _real(*a))
    _both_klog(path, monkeypatch)
    assert called


def _real(*args: object) -> object:
    from multus_forensics.formats.kubelet._klogfile import parse_klog_file

    return parse_klog_file(*args)  # type: ignore[arg-type]
