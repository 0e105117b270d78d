"""``Timelines.events``: many pods at once and cited lines give what one query per pod gives.

A report lists the events of 50 pods and looks up the lines its findings cite; both are answered
from one index of the records and one gather of their input rows, and must be exactly what
``events(pod)`` per pod, or ``events()`` filtered afterwards, returns.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from conftest import SAMPLES
from polars.testing import assert_frame_equal

from multus_forensics import parse
from multus_forensics.model import Event, events_to_frame
from multus_forensics.timeline import Timelines, build_timelines

T0 = datetime(2026, 5, 4, 9, 30, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _pod_events(ns: str | None, pod: str, uid: str, base: float, first_line: int) -> list[Event]:
    sandbox = uid[0] * 64
    line = first_line
    out = [
        Event(
            time=_at(base), node="n1", source="kubelet", kind="kubelet:sandbox:start",
            namespace=ns, pod=pod, message="No sandbox for pod can be found. Need to start a new one",
            file="kubelet.log", line=line,
        )
    ]  # fmt: skip
    for i in range(2):  # two failed attempts, each with a probe line placed into it
        t = base + 1 + 30 * i
        out.append(
            Event(
                time=_at(t), node="n1", source="kubelet", kind="kubelet:sandbox:failed",
                level="error", namespace=ns, pod=pod, pod_uid=uid, sandbox_id=sandbox,
                error=f'failed to setup network for sandbox "{sandbox}": plugin type="multus" '
                f"failed (add): boom {i}",
                message="CreatePodSandbox for pod failed", file="kubelet.log", line=line + 1 + 2 * i,
            )
        )  # fmt: skip
        out.append(
            Event(
                time=_at(t + 1), node="n1", source="kubelet", namespace=ns, pod=pod,
                message="SyncLoop (probe)", file="kubelet.log", line=line + 2 + 2 * i,
            )
        )  # fmt: skip
    out.append(  # an untimed pasted line naming the pod: listed last
        Event(
            time=None, source="unknown", namespace=ns, pod=pod, message="pasted",
            file="ticket.txt", line=first_line,
        )
    )  # fmt: skip
    return out


def _timelines() -> Timelines:
    events = [
        *_pod_events("shop", "cart-0", "a1" * 18, 0, 1),
        *_pod_events("shop", "db-0", "b2" * 18, 5, 20),
        *_pod_events(None, "loner", "c3" * 18, 9, 40),  # names no namespace
        *_pod_events("lab", "cart-0", "d4" * 18, 12, 60),  # same name, other namespace
    ]
    events.sort(key=lambda e: (e.time or _at(10**6), e.file, e.line))
    return build_timelines(events_to_frame(events))


QUERIES = [
    "shop/cart-0", "cart-0", "lab/cart-0", "?/loner", "any/loner", "loner", "a1" * 18,
    "shop/db-0", "nope/nothing", "shop/cart-0",
]  # fmt: skip


def test_events_of_many_pods_equal_one_query_per_pod() -> None:
    tl = _timelines()
    many = tl.events_by_pod(QUERIES)
    assert len(many) == len(QUERIES)
    for query, got in zip(QUERIES, many, strict=True):
        assert_frame_equal(got, tl.events(pod=query))
    assert many[0].height == 6
    assert many[1].height == 12  # a bare name matches both namespaces
    assert many[QUERIES.index("nope/nothing")].height == 0
    assert many[QUERIES.index("nope/nothing")].columns == tl.events().columns


def test_a_pod_without_namespace_is_found_by_any_namespace_its_name_and_its_uid() -> None:
    tl = _timelines()
    for query in ("?/loner", "other/loner", "loner", "c3" * 18):
        (found,) = tl.select(query)
        assert found.key == (None, "loner", "c3" * 18)
    assert tl.select("other/cart-0") == []
    assert [t.key[0] for t in tl.select("cart-0")] == ["shop", "lab"]


def test_events_at_cited_lines_are_the_rows_filtering_all_events_keeps() -> None:
    tl = _timelines()
    every = tl.events()
    cited = pl.DataFrame({"file": ["kubelet.log", "kubelet.log", "ticket.txt", "x.log", "ticket.txt"],
                          "line": [2, 22, 40, 1, None]})  # fmt: skip
    got = tl.events(lines=cited)
    expected = every.join(cited, on=["file", "line"], how="semi", maintain_order="left")
    assert_frame_equal(got, expected)
    assert got.height == 3
    only = tl.events("shop/db-0", lines=cited)
    assert only["line"].to_list() == [22]


_AT_COLUMNS = ["eid", "attempt", "file", "line", "namespace", "pod", "pod_uid", "raw"]


def _sorted_at(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(_AT_COLUMNS).sort("eid")


def test_events_at_cited_lines_hold_those_events_columns_without_their_order() -> None:
    tl = _timelines()
    cited = pl.DataFrame({"file": ["kubelet.log", "kubelet.log", "ticket.txt", "x.log", "ticket.txt"],
                          "line": [2, 22, 40, 1, None]})  # fmt: skip
    got = tl.events_at(cited, ["raw"])
    assert got.columns == _AT_COLUMNS
    assert_frame_equal(_sorted_at(got), _sorted_at(tl.events(lines=cited)))
    assert sorted(zip(got["line"], got["attempt"], strict=True)) == [(2, 1), (22, 1), (40, None)]


@pytest.mark.parametrize("sample", ["seed", "timeline", "dupname", "multus", "kubelet"])
def test_events_at_every_line_equal_events_on_the_samples(sample: str) -> None:
    tl = build_timelines(parse([str(SAMPLES / sample)], year=2026))
    every = tl.events()
    lines = every.select("file", "line")
    assert_frame_equal(_sorted_at(tl.events_at(lines, ["raw"])), _sorted_at(every))


def test_timelines_holding_rows_are_the_pods_of_those_rows_in_timeline_order() -> None:
    tl = _timelines()
    events = tl.events()
    rows = events.filter(pl.col("pod").is_in(["db-0", "loner"]) & (pl.col("message") != "pasted"))
    held = tl.holding(rows.get_column("eid"))
    assert [t.label for t in held] == ["shop/db-0", "?/loner"]
    probes = events.filter((pl.col("pod") == "db-0") & (pl.col("message") == "SyncLoop (probe)"))
    assert [t.label for t in tl.holding(probes.get_column("eid"))] == ["shop/db-0"]  # plain rows
    assert tl.holding(pl.Series("eid", [], pl.UInt32)) == []


@pytest.mark.parametrize("built_first", [False, True])
def test_interfaces_and_anomalies_of_some_pods_are_their_rows_of_the_whole_tables(
    built_first: bool,
) -> None:
    whole = build_timelines(parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026))
    interfaces, anomalies = whole.interfaces(), whole.anomalies()
    assert interfaces.height > 0
    assert anomalies.height > 0
    tl = build_timelines(parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026))
    if built_first:  # read from the built tables, else built for the pods alone
        tl.interfaces()
        tl.anomalies()
    picked = [
        tl.timelines[i] for i in range(len(tl.timelines) - 1, -1, -2)
    ]  # reversed, every other
    keys = pl.DataFrame(
        [t.key for t in picked], schema=["namespace", "pod", "pod_uid"], orient="row"
    )

    def own(frame: pl.DataFrame) -> pl.DataFrame:
        on = ["namespace", "pod", "pod_uid"]
        return frame.join(keys, on=on, how="semi", nulls_equal=True, maintain_order="left")

    assert 0 < own(interfaces).height < interfaces.height
    assert_frame_equal(tl.interfaces_of(picked), own(interfaces))
    assert_frame_equal(tl.anomalies_of(picked), own(anomalies))
    assert tl.interfaces_of([]).height == 0


def _seed_and_dupname() -> Timelines:
    return build_timelines(parse([str(SAMPLES / "seed"), str(SAMPLES / "dupname")], year=2026))


def test_attempts_without_layers_then_with_them_are_the_whole_table() -> None:
    whole = _seed_and_dupname().attempts()
    assert whole["error_layers"].drop_nulls().len() > 0
    tl = _seed_and_dupname()
    light = tl.attempts(layers=False)
    assert_frame_equal(light, whole.drop("error_layers"))
    assert_frame_equal(tl.attempts(), whole)  # the layers added to the built rest
    assert_frame_equal(tl.attempts(layers=False), light)


def test_attempts_of_some_pods_are_their_rows_of_the_whole_table() -> None:
    whole = _seed_and_dupname().attempts()
    tl = _seed_and_dupname()
    picked = tl.timelines[::-2]
    keys = pl.DataFrame(
        [t.key for t in picked], schema=["namespace", "pod", "pod_uid"], orient="row"
    )
    on = ["namespace", "pod", "pod_uid"]
    own = whole.join(keys, on=on, how="semi", nulls_equal=True, maintain_order="left")
    assert 0 < own.height < whole.height
    assert_frame_equal(tl.attempts_of(picked), own)  # built for those pods
    tl.attempts()
    assert_frame_equal(tl.attempts_of(picked), own)  # cut from the built table
