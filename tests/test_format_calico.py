"""Calico plugin log: zone-less stamps in the context zone, identities from key=value context."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import SAMPLES
from runtime_accounting import check_accounting

from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.runtime.calico import CalicoFormat, parse_calico_payload
from multus_forensics.model import frame_to_events

SB = "b7a6958473625140f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a3928"
LINE = (
    f'2026-03-11 13:30:01.412 [INFO][20431] plugin.go 326: Calico CNI found existing endpoint ContainerID="{SB}" '
    'IfName="eth0" Namespace="iot" Pod="edge-agent-0" WorkloadEndpoint="edge--node--2-k8s-edge--agent--0-eth0"'
)


def test_payload_names_sandbox_pod_and_interface() -> None:
    found = parse_calico_payload(LINE)
    assert found is not None
    assert (found["sandbox_id"], found["namespace"], found["pod"], found["interface"]) == (
        SB,
        "iot",
        "edge-agent-0",
        "eth0",
    )
    assert found["time"] == datetime(2026, 3, 11, 13, 30, 1, 412000, UTC)
    assert found["fields"]["caller"] == "plugin.go:326"


def test_file_parse_levels_errors_and_accounting() -> None:
    text = (
        LINE
        + "\n\n2026-03-11 13:30:02.001 [ERROR][20431] plugin.go 580: Final result of CNI ADD was an error.\nstray\n"
    )
    out = CalicoFormat().parse(TextSource("cni.log", text), ParseContext())
    events = frame_to_events(out.events)
    assert [(e.line, e.level) for e in events] == [(1, "info"), (3, "error")]
    assert events[1].error == "Final result of CNI ADD was an error."
    assert [(i.line, i.severity) for i in out.issues] == [(4, "error")]
    assert out.blank_lines == 1


def test_sniff_accepts_calico_and_rejects_multus_header() -> None:
    fmt = CalicoFormat()
    assert fmt.sniff([LINE]) == 1.0
    assert fmt.sniff(["2026-03-11T13:00:00Z [verbose] Add: a:b:c:d(e):eth0 {}"]) == 0.0


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("calico", SAMPLES / "runtime/k3s/containerd.log")
