"""Multus entrypoint / install output: config JSON joined to its record, self-delegation data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import SAMPLES, check_golden
from runtime_accounting import check_accounting

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.formats.multus.multus_entrypoint import (
    MultusEntrypointFormat,
    parse_entrypoint_payload,
)
from multus_forensics.model import frame_to_events
from multus_forensics.registry import all_formats


def _events(text: str) -> tuple[list[mf.Event], int]:
    out = MultusEntrypointFormat().parse(TextSource("entrypoint.log", text), ParseContext())
    assert out.issues == []
    return frame_to_events(out.events), out.blank_lines


@pytest.mark.parametrize(
    ("sample", "golden"),
    [("entrypoint.log", "multus_entrypoint"), ("install-multus.log", "multus_install-multus")],
)
def test_samples_match_golden_and_sniff_as_entrypoint(
    sample: str, golden: str, regen_golden: bool
) -> None:
    path = SAMPLES / "multus" / sample
    log = mf.parse(str(path), year=2026)
    assert log.issues == []
    assert log.stats.files[0].format == "multus-entrypoint"
    head = TextSource(str(path), path.read_text()).head()
    scores = {f.name: f.sniff(head) for f in all_formats()}
    assert max(scores, key=lambda n: scores[n]) == "multus-entrypoint"
    check_golden(golden, log.to_polars(), regen_golden)


def test_pretty_printed_config_joins_its_record_and_flags_self_delegation() -> None:
    events = frame_to_events(mf.parse(str(SAMPLES / "multus/entrypoint.log")).to_polars())
    config = next(e for e in events if e.kind == "multus:config")
    assert config.nlines == 36
    assert config.fields["path"] == "/host/etc/cni/net.d/00-multus.conf"
    assert config.fields["config"]["delegates"][0]["type"] == "multus"
    assert config.fields["self_delegating"] is True
    assert config.time == datetime(2026, 3, 11, 12, 58, 3, tzinfo=UTC)


def test_single_line_config_on_next_line_and_healthy_config_not_flagged() -> None:
    text = (
        "2026-03-11T12:58:03+0000 Config file created @ /host/etc/cni/net.d/00-multus.conf\n"
        '{ "name": "multus-cni-network", "type": "multus", "delegates": [ { "type": "flannel" } ] }\n'
        "2026-03-11T12:58:03+0000 Entering watch loop...\n"
    )
    events, _ = _events(text)
    assert [(e.line, e.nlines, e.kind) for e in events] == [(1, 2, "multus:config"), (3, 1, "log")]
    assert "self_delegating" not in events[0].fields


def test_unbalanced_json_is_not_swallowed() -> None:
    text = "Config file created @ /etc/cni/net.d/00-multus.conf\n{ broken\nmultus config file is created.\n"
    events, _ = _events(text)
    assert [e.nlines for e in events] == [1, 1, 1]


def test_install_failures_are_errors_and_v4_lines_have_no_time() -> None:
    events, _ = _events(
        "multus-shim copy succeeded!\ncp: cannot create regular file '/host/opt/cni/bin/multus-shim': Text file busy\n\n"
    )
    assert [(e.level, e.time) for e in events] == [("info", None), ("error", None)]
    assert events[1].error is not None
    assert events[1].error.endswith("Text file busy")


def test_payload_parser_only_accepts_known_entrypoint_texts() -> None:
    found = parse_entrypoint_payload(
        "2026-03-11T12:58:02+0000 Generating Multus configuration file using files in /host/etc/cni/net.d..."
    )
    assert found is not None
    assert found["kind"] == "multus:daemon:start"
    assert parse_entrypoint_payload("some unrelated application output") is None


def test_every_line_is_accounted_for_in_mixed_input() -> None:
    check_accounting("multus-entrypoint", SAMPLES / "multus/entrypoint.log")


def test_log_prefixes_go_to_fields_and_wrapped_json_is_glued() -> None:
    text = (
        "kube-multus-ds-q7w2e:kube-multus 2026-03-11T12:58:03+0000 Config file created @ /host/etc/cni/net.d/00-multus.conf\n"
        'kube-multus-ds-q7w2e:kube-multus { "name": "multus-cni-network", "type": "multus", "cniVersion": "0.3.\n'
        '1", "delegates": [ { "type": "multus-shim", "name": "multus-cni-network" } ] }\n'
        "[pod/kube-multus-ds-q7w2e/kube-multus] Entering watch loop...\n"
    )
    events, _ = _events(text)
    assert [(e.line, e.nlines, e.kind) for e in events] == [(1, 3, "multus:config"), (4, 1, "log")]
    assert events[0].fields["config"]["cniVersion"] == "0.3.1"
    assert events[0].fields["self_delegating"] is True
    assert events[0].fields["log_pod"] == "kube-multus-ds-q7w2e"
    assert events[1].fields == {"log_pod": "kube-multus-ds-q7w2e", "log_container": "kube-multus"}
    assert events[1].message == "Entering watch loop..."
