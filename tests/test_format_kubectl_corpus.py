"""Every real kubectl event excerpt of the labelled corpus parses whole, row by row.

The excerpts are read from ``tests/data/corpus_dev.jsonl`` (real public excerpts, each with its
source link). Per record we pin how many rows of each kind come out, and check generically that each
row's message is the complete tail of its lines (no wrapped fragment lost or duplicated), that
``FailedCreatePodSandBox`` errors lose only kubelet's prefixes and name their sandbox, and that
``AddedInterface`` rows name their interface.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

import multus_forensics as mf
from multus_forensics.model import KINDS, frame_to_events

CORPUS = DATA / "corpus_dev.jsonl"
KUBECTL_FORMATS = {"kubectl_describe_events", "kubectl_get_events", "openshift_e2e_event_monitor"}
#: warnings that describe damage the parsers recovered from (everything else is a defect)
RECOVERED = ("pasted text: stripped", "event row cut on the left")
HEX64 = re.compile(r"[0-9a-f]{64}")

EXPECTED_KINDS: dict[str, dict[str, int] | None] = {
    "harvester-6256-whereabouts-exclude-covers-range": {
        "error:line": 1, "event:AddedInterface": 1, "event:FailedCreatePodSandBox": 1,
    },
    "kubespray-12002-multus-thin-token-not-refreshed": {"event:FailedCreatePodSandBox": 3},
    "kuma-4224-nad-not-created-in-namespace": {"event:NoNetworkFound": 1},
    "multus-1038-macvlan-missing-longhorn": {"event:FailedCreatePodSandBox": 1},
    "multus-1072-thick-chroot-no-networks-found": {"event:FailedCreatePodSandBox": 1},
    "multus-1089-hostdevice-net1-events-loop": {
        "event:AddedInterface": 3, "event:FailedCreatePodSandBox": 1,
    },
    "multus-1089-hostdevice-net1-self-delegation": {
        "event:AddedInterface": 2, "event:FailedCreatePodSandBox": 1,
    },
    "multus-1093-thick-daemon-oom-evicted": {"event:FailedCreatePodSandBox": 1},
    "multus-1094-unauthorized-after-uninstall": {
        "event:FailedCreatePodSandBox": 2, "event:other": 1,
    },
    "multus-1209-microk8s-host-device-eth0-move-file-exists": {"event:FailedCreatePodSandBox": 1},
    "multus-3-flannel-subnet-env-missing-2017": {"event:other": 2},
    "multus-373-ipvlan-single-ip-range-exhausted": {"event:FailedCreatePodSandBox": 2},
    "multus-381-crd-not-served-get-network-resource": {
        "event:FailedCreatePodSandBox": 1, "event:other": 1,
    },
    "multus-419-bridge-l2-no-plugin-name": {"event:FailedCreatePodSandBox": 1},
    "multus-549-k3s-net1-exists-old-format": {
        "event:AddedInterface": 3, "event:FailedCreatePodSandBox": 1, "event:other": 1,
    },
    "multus-564-k3s-unauthorized-k9s-wrapped": {"event:FailedCreatePodSandBox": 1},
    "multus-621-gke-multus-binary-wrong-path": {"event:FailedCreatePodSandBox": 1},
    "multus-702-netplugin-no-error-message-eth0-churn": {
        "event:AddedInterface": 7, "event:FailedCreatePodSandBox": 1, "event:SandboxChanged": 1,
    },
    "multus-715-macvlan-device-busy-example": {"event:FailedCreatePodSandBox": 1},
    "multus-739-kind-macvlan-missing": {
        "error:line": 1, "event:AddedInterface": 1, "event:FailedCreatePodSandBox": 1,
        "event:other": 1,
    },
    # a bare kubelet message with no row at all: whichever format reads it keeps it whole
    "multus-875-k3s-flannel-result-100": None,
    "multus-pr583-pod-deleted-during-add-openshift-ci": {"event:FailedCreatePodSandBox": 1},
    "plugins-1169-macvlan-vlan-altname-master": {"event:FailedCreatePodSandBox": 1},
    "plugins-690-firewall-requires-cni-040": {
        "event:AddedInterface": 1, "event:FailedCreatePodSandBox": 1, "event:other": 1,
    },
    "plugins-934-k3s-reboot-br0-exists-quad": {"event:AddedInterface": 4, "event:other": 1},
    "rke2-4568-multus4-ib0-triplet": {
        "event:AddedInterface": 3, "event:FailedCreatePodSandBox": 1, "event:other": 1,
    },
    "rook-9653-sriov-no-resource-request": {
        "event:AddedInterface": 1, "event:FailedCreatePodSandBox": 1,
    },
    "spiderpool-2182-multus-kubeconfig-expired-get-events": {"event:FailedCreatePodSandBox": 1},
    "sriov-cni-206-mellanox-pf-selected": {"event:FailedCreatePodSandBox": 1},
    "sriov-dp-310-vf-pci-addr-required-events": {
        "event:AddedInterface": 1, "event:FailedCreatePodSandBox": 1, "event:other": 1,
    },
}  # fmt: skip


def _records() -> list[dict[str, Any]]:
    if not CORPUS.exists():
        return []
    records = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    return [r for r in records if KUBECTL_FORMATS & set(r["formats"])]


RECORDS = _records()


def _squash(text: str) -> str:
    return "".join(text.split())


def test_corpus_has_the_kubectl_records_this_module_pins() -> None:
    assert CORPUS.exists(), f"labelled corpus missing at {CORPUS}"
    assert {r["id"] for r in RECORDS} == set(EXPECTED_KINDS)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["id"])
def test_corpus_excerpt_parses_every_row_whole(record: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "excerpt.txt"
    path.write_text(record["log"], encoding="utf-8")
    log = mf.parse(str(path))

    assert [i for i in log.issues if i.severity == "error"] == []
    assert all(i.reason.startswith(RECOVERED) for i in log.issues), log.issues
    events = frame_to_events(log.to_polars())
    expected = EXPECTED_KINDS[record["id"]]
    if expected is None:
        assert _squash("".join(e.raw for e in events)) == _squash(record["log"])
        assert any(e.error for e in events)
        return
    assert dict(Counter(e.kind for e in events)) == expected

    for event in events:
        # the message is the whole tail of the record's lines, wraps included
        assert _squash(event.raw).endswith(_squash(event.message)), event.line
        if not event.kind.startswith("event:"):
            continue
        reason = event.fields["reason"]
        assert event.kind == (f"event:{reason}" if f"event:{reason}" in KINDS else "event:other")
        if event.kind == "event:FailedCreatePodSandBox":
            assert event.error
            assert not event.error.startswith(("Failed", "(combined"))
            assert _squash(event.message).endswith(_squash(event.error))
            named = HEX64.findall(event.message)
            assert event.sandbox_id == (named[0] if named else None)
        if event.kind == "event:AddedInterface":
            assert event.interface
            assert event.message.startswith(f"Add {event.interface} [")
