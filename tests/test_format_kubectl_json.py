"""``kubectl get events|pod -o json|yaml``: absolute times, incarnations, pods, damaged documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import SAMPLES

import multus_forensics as mf
from multus_forensics.model import Event, frame_to_events

U1 = "11111111-2222-4333-8444-555555555555"
U2 = "66666666-7777-4888-8999-aaaaaaaaaaaa"


def _events(path: Path | str) -> list[Event]:
    return frame_to_events(mf.parse(str(path)).to_polars())


def test_uid_tells_two_incarnations_of_one_pod_apart() -> None:
    failed = [e for e in _events(SAMPLES / "kubectl/events.json")
              if e.kind == "event:FailedCreatePodSandBox"]  # fmt: skip
    assert [(e.pod, e.pod_uid, e.sandbox_id) for e in failed] == [
        ("db-0", U1, "aa" * 32), ("db-0", U2, "bb" * 32), ("db-0", U2, "bb" * 32),
    ]  # fmt: skip
    assert failed[0].time == datetime(2026, 3, 11, 13, 14, 40, tzinfo=UTC)
    assert failed[0].fields["first_time"] == "2026-03-11T13:10:03+00:00"
    assert failed[0].fields["count"] == 21
    assert failed[0].node == "edge-node-2"
    assert not failed[0].time_relative


def test_series_last_observation_is_the_event_time() -> None:
    series = _events(SAMPLES / "kubectl/events.json")[-1]
    assert series.time == datetime(2026, 3, 11, 13, 21, 40, 112233, tzinfo=UTC)
    assert series.fields["count"] == 4
    assert series.fields["event_time"] == "2026-03-11T13:20:12.481532+00:00"


def test_json_and_yaml_renderings_give_the_same_events() -> None:
    def facts(events: list[Event]) -> list[tuple[object, ...]]:
        return [(e.time, e.kind, e.pod, e.pod_uid, e.message, e.error, e.ips, dict(e.fields))
                for e in events]  # fmt: skip

    for stem in ("events", "pod"):
        # the YAML pod sample spells the networks annotation as a string list
        from_json = [
            e for e in _events(SAMPLES / f"kubectl/{stem}.json") if e.kind != "pod:networks"
        ]
        from_yaml = [
            e for e in _events(SAMPLES / f"kubectl/{stem}.yaml") if e.kind != "pod:networks"
        ]
        assert facts(from_json) == facts(from_yaml)


def test_pod_object_gives_info_networks_and_status_on_their_own_lines() -> None:
    info, status, networks, rest = _events(SAMPLES / "kubectl/pod.json")
    assert (info.kind, info.node, info.pod_uid) == (
        "pod:info", "edge-node-2", "7ad2f92f-2377-4b79-8201-15fd0290181a",
    )  # fmt: skip
    assert info.fields["deletion_timestamp"] == "2026-03-11T13:05:00Z"
    # -o json prints the whole annotation on one line: the entries share that line's event
    assert (status.interface, status.network, status.fields["index"]) == ("eth0", "cbr0", 0)
    assert [e["interface"] for e in status.fields["entries_on_line"]] == ["net1"]
    assert networks.fields["requests"] == [
        {"name": "macvlan-conf", "namespace": "lab", "interface": "net1"}
    ]
    assert [(e.line, e.nlines) for e in (info, status, networks)] == [(1, 5), (6, 1), (7, 1)]
    assert (rest.kind, rest.line + rest.nlines - 1) == ("log", 42)


def test_cut_json_keeps_the_items_before_the_damage(tmp_path: Path) -> None:
    text = (SAMPLES / "kubectl/events.json").read_text()
    cut = text[: text.index('"db-0.17bb0a1c2d3e4f60"')]
    path = tmp_path / "events.json"
    path.write_text(cut)
    log = mf.parse(str(path))
    events = frame_to_events(log.to_polars())
    assert [e.pod_uid for e in events] == [U1, U1]
    errors = [i for i in log.issues if i.severity == "error"]
    assert errors
    assert all(i.reason.startswith("JSON document is cut or damaged") for i in errors)
    assert log.stats.files[0].balanced
    assert sum(e.nlines for e in events) + len(errors) == len(cut.splitlines())


def test_cut_yaml_keeps_the_items_before_the_damage(tmp_path: Path) -> None:
    text = (SAMPLES / "kubectl/events.yaml").read_text()
    cut = text[: text.index("db-0.17bb0a1c2d3e4f61")] + "  namespace: [lab\n"
    path = tmp_path / "events.yaml"
    path.write_text(cut)
    log = mf.parse(str(path))
    assert log.stats.files[0].format == "kubectl-json"
    assert log.stats.files[0].balanced
    events = frame_to_events(log.to_polars())
    assert [e.kind for e in events][:2] == ["event:AddedInterface", "event:FailedCreatePodSandBox"]
    assert any(i.reason.startswith("YAML document is cut or damaged") for i in log.issues)


def test_watch_stream_of_concatenated_objects(tmp_path: Path) -> None:
    doc = json.loads((SAMPLES / "kubectl/events.json").read_text())
    path = tmp_path / "watch.json"
    path.write_text("\n".join(json.dumps(item) for item in doc["items"][:3]) + "\n\n")
    log = mf.parse(str(path))
    events = frame_to_events(log.to_polars())
    assert [e.line for e in events] == [1, 2, 3]
    assert log.stats.files[0].blank_lines == 1


def test_empty_list_is_one_record_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text('{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List"\n}\n')
    log = mf.parse(str(path))
    events = frame_to_events(log.to_polars())
    assert [(e.kind, e.nlines, e.fields) for e in events] == [("log", 5, {"kind": "List"})]
