"""Multus / whereabouts log files: identities per message shape, levels, multi-line records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from conftest import SAMPLES, check_golden
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.multus._multus_msg import parse_multus_payload
from multus_forensics.formats.multus.multus_log import MultusLogFormat
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats

UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
POD = "probe-6d8f9c7b54-qwz4n"
SB1 = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"


def _events(text: str, name: str = "multus.log") -> tuple[list[mf.Event], list[mf.ParseIssue], int]:
    out = MultusLogFormat().parse(TextSource(name, text), ParseContext())
    return frame_to_events(out.events), out.issues, out.blank_lines


@pytest.mark.parametrize(
    ("sample", "golden"),
    [
        ("seed/multus.log", "seed_multus"),
        ("multus/daemon.log", "multus_daemon"),
        ("multus/whereabouts.log", "multus_whereabouts"),
    ],
)
def test_samples_match_golden_without_issues(sample: str, golden: str, regen_golden: bool) -> None:
    log = mf.parse(str(SAMPLES / sample), year=2026)
    assert [i for i in log.issues if i.severity == "error"] == []
    assert log.stats.files[0].format == "multus-log"
    assert log.stats.files[0].balanced
    check_golden(golden, log.to_polars(), regen_golden)


def test_seed_add_order_and_identities() -> None:
    events = mf.parse(str(SAMPLES / "seed/multus.log")).to_polars()
    probe = events.filter(events["pod"] == POD)
    first = frame_to_events(probe.head(4))
    assert [(e.kind, e.network, e.interface) for e in first] == [
        ("multus:add", "cbr0", "eth0"),
        ("multus:add", "lab/macvlan-conf", "net1"),
        ("multus:add", "multus-cni-network", "eth0"),
        ("multus:error", "macvlan-conf", "net1"),
    ]
    assert first[0].ips == "10.244.3.41/24"
    assert first[1].ips == "192.0.2.40/24"
    assert first[1].fields["conf"] == "macvlan-conf"
    assert first[1].fields["result"]["interfaces"][0]["name"] == "net1"
    assert {e.pod_uid for e in first} == {UID}
    assert first[3].error is not None
    assert first[3].error.endswith("interface name net1 already exists")
    assert first[0].time == datetime(2026, 3, 11, 13, 2, 7, tzinfo=UTC)


def test_levels_map_panic_error_verbose_debug_and_error_warning() -> None:
    text = "\n".join(
        [
            "2026-03-11T13:00:00Z [panic] boom",
            "2026-03-11T13:00:00Z [error] plain failure",
            "2026-03-11T13:00:00Z [error] warning: tolerated failure writing network status",
            "2026-03-11T13:00:00Z [verbose] chatter",
            "2026-03-11T13:00:00Z [debug] detail",
        ]
    )
    events, _, _ = _events(text + "\n")
    assert [e.level for e in events] == ["fatal", "error", "warning", "info", "debug"]


def test_zone_offset_is_applied_and_file_order_kept_within_a_second() -> None:
    text = "2026-03-11T14:02:07+01:00 [verbose] a\n2026-03-11T14:02:07+0100 [verbose] b\n"
    events, _, _ = _events(text)
    assert [e.message for e in events] == ["a", "b"]
    assert {e.time for e in events} == {datetime(2026, 3, 11, 13, 2, 7, tzinfo=UTC)}


def test_continuation_lines_join_their_record_and_blank_gaps_are_counted() -> None:
    text = (
        "2026-03-11T13:00:00Z [error] [lab/api/"
        + UID
        + ':cilium]: error adding container to network "cilium": x\n'
        "Is the agent running?\n"
        "\n"
        "2026-03-11T13:00:01Z [panic] bad\n"
        "goroutine 1 [running]:\n"
        "\n"
        "main.main()\n"
        "\n"
    )
    events, issues, blanks = _events(text)
    assert [(e.line, e.nlines) for e in events] == [(1, 2), (4, 4)]
    assert events[0].message.endswith("x\nIs the agent running?")
    assert events[0].network == "cilium"
    assert (
        events[1].raw == "2026-03-11T13:00:01Z [panic] bad\ngoroutine 1 [running]:\n\nmain.main()"
    )
    assert (issues, blanks) == ([], 2)


def test_lines_before_the_first_header_are_reported_with_their_number() -> None:
    events, issues, _ = _events("garbage here\n2026-03-11T13:00:00Z [verbose] ok\n")
    assert len(events) == 1
    assert [(i.line, i.severity) for i in issues] == [(1, "error")]


def test_del_line_names_pod_conf_and_interface() -> None:
    msg = f'Del: lab:{POD}:{UID}:macvlan-conf:net1 {{"cniVersion":"0.3.1","type":"macvlan"}}'
    found = parse_multus_payload("2026-03-11T13:00:00Z [verbose] " + msg)
    assert found is not None
    assert (found["kind"], found["namespace"], found["pod"], found["pod_uid"]) == (
        "multus:del",
        "lab",
        POD,
        UID,
    )
    assert (found["network"], found["interface"]) == ("macvlan-conf", "net1")
    assert found["fields"]["config"]["type"] == "macvlan"


def test_old_add_shape_without_uid_is_read() -> None:
    found = parse_multus_payload(
        '2019-05-02T10:00:00Z [verbose] Add: lab:web:vlan100:net1 {"ips":[{"address":"192.0.2.5/24"}]}'
    )
    assert found is not None
    assert (found["kind"], found["network"], found["interface"], found["ips"]) == (
        "multus:add",
        "vlan100",
        "net1",
        "192.0.2.5/24",
    )
    assert "pod_uid" not in found


def test_thick_request_v40_struct_shape_with_stdin_byte_array() -> None:
    config = {
        "name": "multus-cni-network",
        "type": "multus-shim",
        "delegates": [{"type": "multus-shim"}],
    }
    data = " ".join(str(b) for b in json.dumps(config).encode())
    msg = (
        f"ADD starting CNI request &{{ContainerID:{SB1} Netns:/var/run/netns/cni-1 IfName:eth0 "
        f"Args:IgnoreUnknown=1;K8S_POD_NAMESPACE=lab;K8S_POD_NAME={POD};K8S_POD_INFRA_CONTAINER_ID={SB1};"
        f"K8S_POD_UID={UID} Path:/opt/cni/bin StdinData:[{data}]}}"
    )
    found = parse_multus_payload("2026-03-11T13:00:00Z [verbose] " + msg)
    assert found is not None
    assert (
        found["kind"],
        found["namespace"],
        found["pod"],
        found["pod_uid"],
        found["sandbox_id"],
    ) == (
        "multus:request",
        "lab",
        POD,
        UID,
        SB1,
    )
    assert found["fields"]["stdin_config"] == config
    assert found["fields"]["self_delegating"] is True
    assert found["fields"]["netns"] == "/var/run/netns/cni-1"


def test_errored_line_takes_identities_from_args_and_error_after_marker() -> None:
    msg = (
        f'ContainerID:"{SB1}" Netns:"/var/run/netns/x" IfName:"eth0" Args:"K8S_POD_NAMESPACE=lab;'
        f'K8S_POD_NAME={POD};K8S_POD_INFRA_CONTAINER_ID={SB1};K8S_POD_UID={UID}" Path:"" '
        "ERRORED: error configuring pod [lab/" + POD + "] networking: boom"
    )
    found = parse_multus_payload("2026-03-11T13:00:00Z [error] " + msg)
    assert found is not None
    assert (found["kind"], found["sandbox_id"], found["error"]) == (
        "multus:error",
        SB1,
        "error configuring pod [lab/" + POD + "] networking: boom",
    )


def test_generated_config_records_self_delegation_as_data() -> None:
    conf = {
        "name": "multus-cni-network",
        "type": "multus",
        "delegates": [{"type": "multus", "name": "x"}],
    }
    found = parse_multus_payload(
        "2026-03-11T13:00:00Z [verbose] Generated MultusCNI config: " + json.dumps(conf)
    )
    assert found is not None
    assert found["kind"] == "multus:config"
    assert found["fields"]["config"] == conf
    assert found["fields"]["self_delegating"] is True
    healthy = dict(conf, delegates=[{"type": "flannel"}])
    found = parse_multus_payload(
        "2026-03-11T13:00:00Z [verbose] Generated MultusCNI config: " + json.dumps(healthy)
    )
    assert found is not None
    assert "self_delegating" not in found["fields"]


@pytest.mark.parametrize(
    ("msg", "kind"),
    [
        ("multus-daemon started", "multus:daemon:start"),
        ("caught terminated, stopping...", "multus:daemon:stop"),
        ("Delete old config @ /host/etc/cni/net.d/00-multus.conf", "multus:daemon:stop"),
    ],
)
def test_daemon_lifecycle_kinds(msg: str, kind: str) -> None:
    found = parse_multus_payload("2026-03-11T13:00:00Z [verbose] " + msg)
    assert found is not None
    assert found["kind"] == kind


def test_whereabouts_errors_are_ipam_errors_from_whereabouts() -> None:
    events = frame_to_events(mf.parse(str(SAMPLES / "multus/whereabouts.log")).to_polars())
    errors = [e for e in events if e.kind == "ipam:error"]
    assert len(errors) == 2
    assert {e.source for e in errors} == {"whereabouts"}
    assert events[2].sandbox_id is not None
    assert events[2].sandbox_id.startswith("7f6e5d4c")


def test_payload_parser_rejects_other_shapes() -> None:
    assert parse_multus_payload('time="2026-03-11T13:00:00Z" level=info msg=x') is None
    assert parse_multus_payload("I0311 13:00:00.000000 1 x.go:1] hi") is None


def test_own_samples_sniff_high_and_best() -> None:
    for sample in ("seed/multus.log", "multus/daemon.log", "multus/whereabouts.log"):
        head = TextSource(sample, (SAMPLES / sample).read_text()).head()
        scores = {f.name: f.sniff(head) for f in all_formats()}
        assert scores["multus-log"] >= 0.7
        assert max(scores, key=lambda n: scores[n]) == "multus-log"


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("multus-log", SAMPLES / "seed/multus.log")


def test_vectorised_add_path_agrees_with_payload_parser() -> None:
    lines = (SAMPLES / "seed/multus.log").read_text().splitlines()
    lines.append(
        '2026-03-11T13:00:00Z [verbose] Add: lab:web:unknownUID:cbr0(cbr0):eth0 not-json "address":"10.0.0.9/24"'
    )
    lines.append("2026-03-11T13:00:00Z [verbose] Add: lab:web:unknownUID:(cbr0):eth0 ")
    lines.append(
        '2026-03-11T13:00:00Z [verbose] Add: lab:web:unknownUID:(cbr0):eth0 {"ips":[{"address":'
        '"10.0.0.9/24"},{"address" : "fd00::9/64"}]}'
    )
    events, _, _ = _events("\n".join(lines) + "\n")
    for event, line in zip(events, lines, strict=True):
        found = parse_multus_payload(line)
        assert found is not None
        for column in (
            "kind",
            "namespace",
            "pod",
            "pod_uid",
            "network",
            "interface",
            "ips",
            "error",
        ):
            assert getattr(event, column) == found.get(column), (column, line)
        assert dict(event.fields) == found["fields"]


def test_whereabouts_log_is_recognised_by_content_when_the_name_does_not_say() -> None:
    text = (
        "2026-03-11T13:11:40Z [debug] listing IP pools\n"
        "2026-03-11T13:11:41Z [error] failed to retrieve all IP pools: context deadline exceeded\n"
    )
    events, _, _ = _events(text, name="ipam.log")
    assert [(e.source, e.kind) for e in events] == [
        ("whereabouts", "log"),
        ("whereabouts", "ipam:error"),
    ]
    multus, _, _ = _events(
        text + "2026-03-11T13:11:42Z [verbose] multus-daemon started\n", name="x.log"
    )
    assert [e.source for e in multus] == ["multus", "whereabouts", "multus"]


def test_add_result_that_is_not_json_is_kept_as_text_in_valid_fields() -> None:
    text = '2026-03-11T13:00:00Z [verbose] Add: lab:web:unknownUID:cbr0(cbr0):eth0 {"cut": "by a pager\\\x01\n'
    events, issues, _ = _events(text)
    assert issues == []
    result = events[0].fields["result"]
    assert isinstance(result, str)
    assert result.startswith('{"cut": "by a pager\\')
    assert events[0].kind == "multus:add"


def test_byte_header_reader_agrees_with_the_header_regex_on_odd_stamps() -> None:
    from multus_forensics.formats.multus.multus_log import _header_columns, _regex_header

    lines = [
        "2026-03-11T13:02:06Z [verbose] Add: a:b:c:d(e):eth0 {}",
        "2026-03-11T14:02:07+01:00 [error] x",
        "2026-03-11T14:02:07-0530 [debug] y",
        "2026-02-30T14:02:07Z [panic] no such day",
        "2026-03-11T24:02:07Z [error] no such hour",
        "2026-03-11T14:02:07+25:00 [error] odd zone",
        "２026-03-11T13:02:06Z [verbose] non-ASCII digit",
        "2026-03-11T13:02:06Z [error]",
        "2026-03-11T13:02:06Z [error] ",
        "2026-03-11T13:02:06Z [info] not a Multus level",
        "",
        "  continuation ünïcode",
    ]
    text = "\n".join(lines)
    fast = _header_columns(TextSource("odd.log", text))
    assert fast is not None
    careful = _regex_header(pl.DataFrame({"raw": text.split("\n")}))
    assert fast.drop("line", "raw").to_dicts() == careful.to_dicts()
    assert fast["time"][1] == datetime(2026, 3, 11, 13, 2, 7, tzinfo=UTC)


def test_chunked_parse_gives_the_rows_of_a_single_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    from multus_forensics.formats.multus import multus_log

    text = (SAMPLES / "seed/multus.log").read_text() + (
        "orphan? no: continues the last record\n\n"
        "2026-03-11T13:09:00Z [panic] boom\ngoroutine 1 [running]:\n\n  main.go:12\n\n\n"
        "2026-03-11T13:09:01Z [error] [lab/web/unknownUID:net]: error adding container\n"
    )
    whole = MultusLogFormat().parse(TextSource("multus.log", text), ParseContext())
    monkeypatch.setattr(multus_log, "CHUNK_ROWS", 3)
    assert len(multus_log._record_chunks(whole.events["nlines"].to_numpy() > 0)) > 3
    chunked = MultusLogFormat().parse(TextSource("multus.log", text), ParseContext())
    assert chunked.events.equals(whole.events)
    assert (chunked.issues, chunked.blank_lines) == (whole.issues, whole.blank_lines)
