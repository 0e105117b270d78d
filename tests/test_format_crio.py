"""CRI-O logrus logs: both timestamp shapes, ocicni namespace-first names, sandbox names."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLES, check_golden
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.runtime._logrus import parse_logrus_payload
from multus_forensics.formats.runtime.crio import CrioFormat
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats

POD = "probe-5c7d8e9f6-r2s4t"
UID = "e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b"
SB = "31d2c4b5a6978e0f1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0"


@pytest.mark.parametrize(
    ("sample", "golden"),
    [("crio-old.log", "runtime_crio-old"), ("crio-new.log", "runtime_crio-new")],
)
def test_samples_match_golden_and_sniff_as_crio(
    sample: str, golden: str, regen_golden: bool
) -> None:
    path = SAMPLES / "runtime" / sample
    log = mf.parse(str(path), year=2026)
    assert log.issues == []
    assert log.stats.files[0].format == "crio"
    head = TextSource(str(path), path.read_text()).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert max(scores, key=lambda n: scores[n]) == "crio"
    check_golden(golden, log.to_polars(), regen_golden)


def test_old_space_stamp_and_new_rfc3339_offset_stamp_are_utc() -> None:
    old = frame_to_events(mf.parse(str(SAMPLES / "runtime/crio-old.log")).to_polars())
    new = frame_to_events(mf.parse(str(SAMPLES / "runtime/crio-new.log")).to_polars())
    assert old[4].time == datetime(2023, 2, 27, 12, 49, 27, 161112, UTC)
    assert new[2].time == datetime(2025, 8, 5, 7, 42, 48, 48930, UTC)


def test_zoneless_stamp_is_read_in_context_zone() -> None:
    text = 'time="2023-02-27 12:49:27.161112967" level=info msg="Found CNI network x (type=multus) at /etc/cni/net.d/00-multus.conf"\n'
    out = CrioFormat().parse(
        TextSource("crio.log", text), ParseContext(tz=ZoneInfo("Europe/Berlin"))
    )
    assert frame_to_events(out.events)[0].time == datetime(2023, 2, 27, 11, 49, 27, 161112, UTC)


def test_ocicni_pod_name_is_namespace_first() -> None:
    found = parse_logrus_payload(
        f'time="2023-02-27 12:49:27.161240118Z" level=info msg="Adding pod lab_{POD} to CNI network \\"multus-cni-network\\" (type=multus)"'
    )
    assert found is not None
    assert (found["kind"], found["namespace"], found["pod"], found["network"]) == (
        "runtime:cni:add",
        "lab",
        POD,
        "multus-cni-network",
    )
    assert found["fields"]["cni_type"] == "multus"


def test_ocicni_check_names_its_pod_and_unquoted_network() -> None:
    """ocicni v0.5 logs ``Checking pod %s for CNI network %s (type=%v)``: the name unquoted."""
    found = parse_logrus_payload(
        f'time="2023-02-27 12:49:27.413436668Z" level=info msg="Checking pod lab_{POD} for CNI network multus-cni-network (type=multus)"'
    )
    assert found is not None
    assert (found["kind"], found["namespace"], found["pod"], found["network"]) == (
        "log",
        "lab",
        POD,
        "multus-cni-network",
    )
    assert found["fields"]["cni_type"] == "multus"


def test_got_pod_network_names_every_identity() -> None:
    found = parse_logrus_payload(
        f'time="2025-08-05T15:42:48.04893036+08:00" level=info msg="Got pod network &{{Name:{POD} Namespace:lab ID:{SB} UID:{UID} NetNS:/var/run/netns/x Networks:[]}}"'
    )
    assert found is not None
    assert (found["namespace"], found["pod"], found["pod_uid"], found["sandbox_id"]) == (
        "lab",
        POD,
        UID,
        SB,
    )
    assert found["fields"]["netns"] == "/var/run/netns/x"


def test_sandbox_name_in_error_gives_pod_uid_attempt_and_sandbox() -> None:
    err = f"failed to create pod network sandbox k8s_{POD}_lab_{UID}_3({SB}): error adding pod lab_{POD} to CNI network"
    found = parse_logrus_payload(
        f'time="2025-08-05T15:42:48Z" level=error msg="sandbox failed" error="{err}"'
    )
    assert found is not None
    assert (found["kind"], found["pod"], found["pod_uid"], found["sandbox_id"]) == (
        "runtime:sandbox:failed",
        POD,
        UID,
        SB,
    )
    assert found["fields"]["attempt"] == 3


def test_request_scoped_fields_are_kept() -> None:
    events = frame_to_events(mf.parse(str(SAMPLES / "runtime/crio-new.log")).to_polars())
    assert events[1].fields["name"] == "/runtime.v1.RuntimeService/RunPodSandbox"
    assert events[1].kind == "runtime:sandbox:start"
    assert events[4].kind == "runtime:sandbox:ready"
    assert events[4].sandbox_id == SB


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("crio", SAMPLES / "runtime/crio-new.log")
