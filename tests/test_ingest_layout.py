"""Rotated sets come out oldest first; must-gather and sosreport paths give node hints."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

import pytest
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.ingest import RawStream, iter_streams
from multus_forensics.ingest.layout import bundle_kind, node_hint, rotation_key, rotation_keys
from multus_forensics.pipeline import parse


def _ordered(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: rotation_key(n)[1])


@pytest.mark.parametrize(
    "oldest_first",
    [
        ["d/kubelet.log.2.gz", "d/kubelet.log.1", "d/kubelet.log"],
        ["d/kubelet.log.10", "d/kubelet.log.9", "d/kubelet.log.1", "d/kubelet.log"],
        [
            "d/multus-2026-03-11T12-00-00.000.log.gz",
            "d/multus-2026-03-11T13-00-00.000.log.gz",
            "d/multus.log",
        ],
        ["d/messages-20260301", "d/messages-20260311.gz", "d/messages"],
        ["ns/pods/p/c/c/logs/previous.log", "ns/pods/p/c/c/logs/current.log"],
        ["ns/pods/p/c/c/logs/previous.insecure.log", "ns/pods/p/c/c/logs/current.insecure.log"],
    ],
)
def test_rotation_key_orders_a_set_oldest_first(oldest_first: list[str]) -> None:
    sets = {rotation_key(n)[0] for n in oldest_first}
    assert len(sets) == 1
    assert _ordered(list(reversed(oldest_first))) == oldest_first


def test_rotation_sets_are_told_apart_by_directory_and_name() -> None:
    assert rotation_key("a/kubelet.log.1")[0] != rotation_key("b/kubelet.log.1")[0]
    assert rotation_key("a/kubelet.log.1")[0] != rotation_key("a/containerd.log.1")[0]
    assert rotation_key("a/x.tar.1")[0] == "a/x.tar.1"  # not a rotation of an archive
    assert rotation_key("a/previous.log")[0] == "a/previous.log"  # only under a logs/ directory


@pytest.mark.usefixtures("toy_registry")
def test_rotated_set_events_come_out_chronologically(tmp_path: Path) -> None:
    def lines(hour: int) -> str:
        return "".join(f"TOYFULL 2026-03-11T{hour:02d}:0{m}:00Z h{hour}\n" for m in range(2))

    (tmp_path / "kubelet.toy").write_text(lines(12))
    (tmp_path / "kubelet.toy.1").write_text(lines(11))
    (tmp_path / "kubelet.toy.2.gz").write_bytes(gzip.compress(lines(10).encode()))
    (tmp_path / "other.toy").write_text(lines(9))
    log = parse(str(tmp_path), format="toy")
    # the directory walk lists kubelet.toy, .1, .2.gz, other.toy; the set is put oldest first
    expected = ["h10", "h10", "h11", "h11", "h12", "h12", "h9", "h9"]
    assert log.frame["message"].to_list() == expected


@pytest.mark.usefixtures("toy_registry")
def test_rotated_members_inside_an_archive_are_ordered_too(tmp_path: Path) -> None:
    import io

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, hour in [("log/multus.toy", 13), ("log/multus-2026-03-11T12-00-00.000.toy", 12)]:
            data = f"TOYFULL 2026-03-11T{hour}:00:00Z h{hour}\n".encode()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    (tmp_path / "b.tar.gz").write_bytes(buf.getvalue())
    assert parse(str(tmp_path / "b.tar.gz")).frame["message"].to_list() == ["h12", "h13"]


@pytest.mark.parametrize(
    ("path", "kind", "node"),
    [
        ("mg/quay-io-x/host_service_logs/masters/kubelet_service.log", "must-gather", None),
        (
            "mg/quay-io-x/namespaces/openshift-multus/pods/multus-x7k2p/kube-multus/kube-multus/logs/current.log",
            "must-gather",
            None,
        ),
        ("mg/quay-io-x/nodes/worker-3/journal/kubelet.log", "must-gather", "worker-3"),
        ("sosreport-edge-node-2-2026-03-11-xkqpwz/var/log/messages", "sosreport", "edge-node-2"),
        (
            "x/sosreport-edge-node-2-01234567-2026-03-11-xkqpwz.tar.xz/sosreport-edge-node-2-01234567-2026-03-11-xkqpwz/sos_commands/logs/journalctl_--no-pager",
            "sosreport",
            "edge-node-2",
        ),
        ("tmp/logs/kubelet.log", None, None),
    ],
)
def test_bundle_layouts_and_node_hints(path: str, kind: str | None, node: str | None) -> None:
    assert bundle_kind(path) == kind
    assert node_hint(path) == node


def test_sosreport_hostname_file_wins_over_the_directory_name(tmp_path: Path) -> None:
    root = tmp_path / "sosreport-host-with-dashes-2026-03-11-abc"
    (root / "sos_commands" / "logs").mkdir(parents=True)
    (root / "var" / "log").mkdir(parents=True)
    (root / "hostname").write_text("edge-node-2.lab.example\n")
    (root / "var" / "log" / "messages").write_text("x\n")
    (root / "sos_commands" / "logs" / "journalctl_--no-pager").write_text("y\n")
    streams = [s for s in iter_streams([str(tmp_path)]) if isinstance(s, RawStream)]
    assert {s.node_hint for s in streams} == {"edge-node-2.lab.example"}


@pytest.mark.usefixtures("toy_registry")
def test_node_hint_reaches_the_parser(tmp_path: Path) -> None:
    node_dir = tmp_path / "must-gather" / "nodes" / "worker-3"
    node_dir.mkdir(parents=True)
    (node_dir / "kubelet.toy").write_text("TOYFULL 2026-03-11T13:00:00Z m\n")
    os.utime(node_dir / "kubelet.toy", (0, 0))
    assert parse(str(tmp_path)).frame["node"].to_list() == ["worker-3"]


def test_rotation_keys_of_many_paths_are_each_paths_rotation_key() -> None:
    """The one-loop form gives what :func:`rotation_key` gives each path, whatever its shape."""
    dirs = ["", "/", "//", "a", "a/", "/a/b", "a//b/", "n/logs", "c:\\x", "d/T"]
    names = [
        "messages", "node-3.journal", "kubelet.log", "kubelet.log.1", "kubelet.log.2.gz",
        "kubelet.log-20260311", "multus-2026-03-11T13-00-00.000.log.gz", "previous.log",
        "previous.insecure.log", "current.log", "x.tar.1", "Tx", "syslog.gz", "", "a\\b",
    ]  # fmt: skip
    paths = [f"{d}/{n}" if d else n for d in dirs for n in names] + [d for d in dirs if d]
    assert rotation_keys(paths) == [rotation_key(p) for p in paths]
