"""The columnar timeline path: joins and as-of placement give what the per-record rules give.

Identity resolution and the placement of plain log lines run as polars joins; these tests hold
them to the record-by-record rules they replace (``_reference_keys`` is the former Python
resolver, ``placement._direct`` the placement rule itself) on random inputs with name reuse,
shared IDs, empty strings, overlapping spans, equal starts and several nodes, and check the
rule a plain line is placed by on a built timeline.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from multus_forensics.model import Event, events_to_frame
from multus_forensics.timeline import build_timelines
from multus_forensics.timeline.frames import _datetimes
from multus_forensics.timeline.identity import resolve
from multus_forensics.timeline.placement import Span, _direct, place

T0 = datetime(2026, 5, 4, 9, 30, 0, tzinfo=UTC)
NS, POD, UID = "shop", "cart-7f6d5c4b3-k8m2p", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
SANDBOX = "a" * 64


def _span_distance(span: tuple[int | None, int | None], t: int) -> int:
    first, last = span
    if first is None or last is None:
        return 2**62
    return first - t if t < first else t - last if t > last else 0


def _reference_keys(rows: list[dict[str, Any]]) -> dict[int, tuple[Any, Any, Any]]:
    """The record-by-record resolver (as the timeline had it before the joins)."""

    def ids(r: dict[str, Any]) -> list[str]:
        return [i for i in (r["sandbox_id"], r["container_id"]) if i]

    uid_name: dict[str, tuple[Any, Any]] = {}
    id_uid: dict[str, str] = {}
    id_name: dict[str, tuple[Any, Any]] = {}
    by_name: dict[str, set[Any]] = {}
    for r in rows:
        if r["pod_uid"] and r["pod"]:
            uid_name.setdefault(r["pod_uid"], (r["namespace"], r["pod"]))
        for i in ids(r):
            if r["pod_uid"]:
                id_uid.setdefault(i, r["pod_uid"])
            if r["pod"]:
                id_name.setdefault(i, (r["namespace"], r["pod"]))
        if r["pod"]:
            by_name.setdefault(r["pod"], set()).add(r["namespace"])

    def uid_of(r: dict[str, Any]) -> Any:
        return r["pod_uid"] or next((id_uid[i] for i in ids(r) if i in id_uid), None)

    spans: dict[tuple[Any, Any], dict[str, list[Any]]] = {}
    for r in rows:
        uid = uid_of(r)
        if uid is None:
            continue
        name = uid_name.get(uid) or next((id_name[i] for i in ids(r) if i in id_name), None)
        if name is None:
            continue
        span = spans.setdefault(name, {}).setdefault(uid, [None, None, set()])
        if r["node"]:
            span[2].add(r["node"])
        if r["t"] is not None:
            span[0] = r["t"] if span[0] is None else min(span[0], r["t"])
            span[1] = r["t"] if span[1] is None else max(span[1], r["t"])
    out: dict[int, tuple[Any, Any, Any]] = {}
    for r in rows:
        uid = uid_of(r)
        if uid is not None:
            ns, name = uid_name.get(uid) or (r["namespace"], r["pod"])
            if name is None:
                ns, name = next((id_name[i] for i in ids(r) if i in id_name), (None, None))
            out[r["eid"]] = (ns, name, uid)
            continue
        ref = next((id_name[i] for i in ids(r) if i in id_name), None)
        if ref is None and r["pod"]:
            known = {n for n in by_name.get(r["pod"], set()) if n is not None}
            ns = r["namespace"] if r["namespace"] is not None else None
            if ns is None and len(known) == 1:
                ns = next(iter(known))
            ref = (ns, r["pod"])
        if ref is None:
            continue
        items = list(spans.get(ref, {}).items())
        if r["node"] and any(r["node"] in s[2] for _, s in items):
            items = [(u, s) for u, s in items if r["node"] in s[2] or not s[2]]
        if not items:
            picked = None
        elif r["t"] is None:
            picked = max(items, key=lambda it: it[1][1] if it[1][1] is not None else -(2**62))[0]
        else:
            picked = min(items, key=lambda it: _span_distance((it[1][0], it[1][1]), r["t"]))[0]
        out[r["eid"]] = (ref[0], ref[1], picked)
    return out


def _random_identities(rng: random.Random, n: int) -> list[dict[str, Any]]:
    names = [("a", "web-0"), ("b", "web-0"), ("a", "db-1"), (None, "db-1"), ("a", "")]
    uids = ["u1", "u2", "u3", "u4", ""]
    idents = ["s1", "s2", "c1", "c2", ""]
    rows = []
    for eid in range(n):
        ns, pod = rng.choice(names) if rng.random() < 0.6 else (None, None)
        rows.append(
            {
                "eid": eid,
                "namespace": ns if rng.random() < 0.8 else None,
                "pod": pod,
                "pod_uid": rng.choice(uids) if rng.random() < 0.3 else None,
                "sandbox_id": rng.choice(idents) if rng.random() < 0.3 else None,
                "container_id": rng.choice(idents) if rng.random() < 0.2 else None,
                "t": rng.randrange(0, 100) if rng.random() < 0.9 else None,
                "node": rng.choice(["n1", "n2", "", None]),
            }
        )
    return rows


@pytest.mark.parametrize("seed", range(40))
def test_resolve_joins_give_the_record_by_record_keys(seed: int) -> None:
    rows = _random_identities(random.Random(seed), 60)
    schema = {
        "eid": pl.UInt32, "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String,
        "sandbox_id": pl.String, "container_id": pl.String, "t": pl.Int64, "node": pl.String,
    }  # fmt: skip
    keys = resolve(pl.DataFrame(rows, schema=schema))
    got = {eid: (ns, pod, uid) for eid, ns, pod, uid in keys.iter_rows()}
    assert got == _reference_keys(rows)


def _random_spans(rng: random.Random, pods: int) -> list[Span]:
    spans = []
    for pid in range(pods):
        nodes = rng.choice([["n1"], [None], ["n1", "n2"], ["n1", None]])
        for _ in range(rng.randrange(0, 6)):
            first = rng.randrange(0, 60) if rng.random() < 0.9 else None
            last = None if first is None else first + rng.choice([0, 0, 3, 10, 40])
            spans.append(Span(len(spans), pid, first, last, rng.choice(nodes)))
    return spans


@pytest.mark.parametrize("seed", range(60))
def test_as_of_placement_gives_what_the_direct_rule_gives(seed: int) -> None:
    rng = random.Random(seed)
    spans = _random_spans(rng, 4)
    skew = rng.choice([0, 2, 5])
    plain = pl.DataFrame(
        [
            (eid, rng.randrange(4), rng.randrange(-10, 110) if rng.random() < 0.95 else None,
             rng.choice(["n1", "n2", "", None]))
            for eid in range(200)
        ],
        schema={"eid": pl.UInt32, "pid": pl.Int64, "t": pl.Int64, "node": pl.String},
        orient="row",
    )  # fmt: skip
    got = dict(place(plain, spans, skew).iter_rows())
    expected = {}
    for eid, pid, t, node in plain.iter_rows():
        gid = (
            None
            if t is None
            else _direct(t, node or None, [s for s in spans if s.pid == pid], skew)
        )
        if gid is not None:
            expected[eid] = gid
    assert got == expected


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _failure(t: float, line: int) -> Event:
    return Event(
        time=_at(t), node="n1", source="kubelet", kind="kubelet:sandbox:failed", level="error",
        namespace=NS, pod=POD, pod_uid=UID, sandbox_id=SANDBOX,
        error=f'failed to setup network for sandbox "{SANDBOX}": plugin type="multus" failed (add): boom',
        message="CreatePodSandbox for pod failed", file="kubelet.log", line=line,
    )  # fmt: skip


def _probe(t: float, line: int, node: str = "n1") -> Event:
    return Event(
        time=_at(t), node=node, source="kubelet", namespace=NS, pod=POD,
        message="SyncLoop (probe)", file="kubelet.log", line=line,
    )  # fmt: skip


def test_a_plain_line_is_placed_by_its_own_time_not_by_a_span_other_lines_widened() -> None:
    events = [_failure(10, 1), _failure(12, 2), _probe(16, 3), _probe(20, 4), _probe(3, 5)]
    tl = build_timelines(events_to_frame(events), skew=timedelta(seconds=5))
    by_line = dict(tl.events().select("line", "attempt").iter_rows())
    # 16 s is within 5 s of the failures' span (10-12 s); 20 s is not, though within 5 s of 16
    assert by_line == {5: None, 1: 1, 2: 1, 3: 1, 4: None}
    attempt = tl.attempts().row(0, named=True)
    assert (attempt["start"], attempt["end"], attempt["events"]) == (_at(10), _at(16), 3)
    pod = tl.pods().row(0, named=True)
    assert (pod["first_seen"], pod["last_seen"], pod["events"]) == (_at(3), _at(20), 5)


def test_plain_lines_on_another_node_stay_pod_level_and_count_in_the_pod() -> None:
    events = [_failure(10, 1), _probe(11, 2, node="n2"), _probe(11, 3)]
    tl = build_timelines(events_to_frame(events))
    assert dict(tl.events().select("line", "attempt").iter_rows()) == {1: 1, 2: None, 3: 1}
    assert tl.pods()["nodes"].to_list() == ["n1,n2"]
    assert tl.attempts()["nodes"].to_list() == ["n1"]


def test_attempt_eids_list_its_plain_lines_for_the_classifier() -> None:
    events = [_probe(9, 1), _failure(10, 2), _probe(40, 3)]
    tl = build_timelines(events_to_frame(events))
    (attempt,) = tl.timelines[0].attempts
    assert sorted(attempt.eids) == [0, 1]
    assert [r.eid for r in attempt.recs] == [1]


def test_an_earlier_plain_line_moves_the_attempt_start_and_the_events_order() -> None:
    events = [_failure(10, 1), _probe(7, 2), _probe(2, 3)]
    tl = build_timelines(events_to_frame(events))
    assert tl.attempts()["start"].to_list() == [_at(7)]
    assert tl.events()["line"].to_list() == [3, 2, 1]


def test_a_structured_record_is_not_pulled_in_through_a_plain_line() -> None:
    start = Event(
        time=_at(0), node="n1", source="kubelet", kind="kubelet:sandbox:start", namespace=NS,
        pod=POD, message="No sandbox for pod can be found. Need to start a new one",
        file="kubelet.log", line=1,
    )  # fmt: skip
    started = Event(
        time=_at(8), node="n1", source="kubelet", kind="kubelet:pleg", namespace=NS, pod=POD,
        container_id="f" * 64, fields={"event": {"Type": "ContainerStarted", "Data": "f" * 64}},
        file="kubelet.log", line=3,
    )  # fmt: skip
    tl = build_timelines(events_to_frame([start, _probe(4, 2), started]))
    # the probe at 4 s joins the attempt started at 0 s; the PLEG event 8 s after the start
    # is beyond the 5 s skew of the attempt's own records, so it stays pod-level
    assert dict(tl.events().select("line", "attempt").iter_rows()) == {1: 1, 2: 1, 3: None}
    assert tl.attempts()["outcome"].to_list() == ["unknown"]


#: ``fields`` texts where reading the netns by JSON path could differ from decoding it
_NETNS_FIELDS = [
    None,
    "",
    "{}",
    '{"netns": "/var/run/netns/cni-1"}',
    '{"netns":"/run/netns/a b\\"q\\\\x"}',
    '{"netns": 5}',
    '{"netns": null, "result": {"interfaces": [{"sandbox": "/s"}]}}',
    '{"netns": {"path": "/x"}}',
    '{"a": {"netns": "/nested"}}',
    '{"name": "netns"}',
    '{"netns": "/one", "netns": "/two"}',
    '{"net\\u006es": "/escaped-key"}',
    '{"result": {"cniVersion":"0.3.1","interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/var/run/netns/x"}]}}',
    '{"result": {"interfaces": [{"sandbox": 3}, {"sandbox": "/s"}]}}',
    '{"result": {"interfaces": {"a": {"sandbox": "/dict-not-list"}}}}',
    '{"result": {"interfaces": [{"sandbox": "/first"}]}, "result": 5}',
    '{"sandbox": "/top-level", "result": {"interfaces": []}}',
    '{"result": {"interfaces": [{"sandbox": "/x"}]',
    '{"result": {"interfaces": [{"sandbox": "/nan"}]}, "v": NaN}',
    '[{"netns": "/array"}]',
    "not json",
]
#: a Multus add's fields as Multus logs a one-interface result (read by ``_RESULT_SHAPE``), and
#: near misses of that shape that the JSON path or decoding must settle
_MULTUS_RESULT = (
    '{"conf": "macvlan-conf", "result": {"cniVersion":"0.3.1","interfaces":[{"name":"net1",'
    '"mac":"be:01:7e:22:90:00","sandbox":"/var/run/netns/cni-2d1371c1"}],"ips":[{"version":"4",'
    '"interface":0,"address":"10.244.0.2/24","gateway":"10.244.0.1"}],"dns":{}}}'
)
_NETNS_FIELDS += [
    _MULTUS_RESULT,
    _MULTUS_RESULT.replace(
        '"ips":[{',
        '"ips":[{"version":"6","interface":1,"address":"fd00::2/64","gateway":"fd00::1"},{',
    ),
    _MULTUS_RESULT.replace(
        '"ips":[{"version":"4","interface":0,"address":"10.244.0.2/24","gateway":"10.244.0.1"}]',
        '"ips":[]',
    ),
    _MULTUS_RESULT.replace("/var/run/netns/cni-2d1371c1", r"/var/run/netns/\u0063ni-escaped"),
    _MULTUS_RESULT.replace("/var/run/netns/cni-2d1371c1", r"/var/run/netns/a\\b"),
    _MULTUS_RESULT.replace("/var/run/netns/cni-2d1371c1", r"/var/run/netns/tab\there"),
    _MULTUS_RESULT.replace("/var/run/netns/cni-2d1371c1", "/var/run/netns/raw\ttab"),
    _MULTUS_RESULT.replace('"interface":0', '"interface":01'),
    _MULTUS_RESULT.replace('"dns":{}}}', '"dns":{}}'),
    _MULTUS_RESULT.replace('"dns":{}}}', '"dns":{}}}}'),
    _MULTUS_RESULT.replace('"mac"', '"sandbox":"/first","mac"'),
    _MULTUS_RESULT.replace('"conf": "macvlan-conf"', '"conf": "a"b"'),
    _MULTUS_RESULT.replace("/var/run/netns/cni-2d1371c1", "/var/run/netns/ü-ñ"),
]


@pytest.mark.parametrize("kind", ["multus:add", "runtime:cni:add", "multus:request", "log", None])
def test_netns_read_by_json_path_is_what_decoding_the_fields_gives(kind: str | None) -> None:
    from multus_forensics.timeline._records import Rec, _netns, netns_column

    rows = pl.DataFrame(
        {"kind": [kind] * len(_NETNS_FIELDS), "fields": _NETNS_FIELDS},
        schema={"kind": pl.String, "fields": pl.String},
    )
    known, values = netns_column(rows)
    for text, ok, value in zip(_NETNS_FIELDS, known, values, strict=True):
        if not ok or not (kind or "").startswith(("multus:", "runtime:cni")):
            continue
        rec = Rec(0, None, None, "multus", kind or "log", "info", None, None, None, None, None,
                  None, None, None, "", None, text or "{}", "f", None, 1)  # fmt: skip
        assert value == _netns(rec), text
    # the ordinary shapes are read by path, not left to decoding
    assert known[_NETNS_FIELDS.index('{"netns": "/var/run/netns/cni-1"}')]
    assert known[12]
    if kind == "multus:add":  # Multus' own shape by the regex, the value the path reads
        assert values[_NETNS_FIELDS.index(_MULTUS_RESULT)] == "/var/run/netns/cni-2d1371c1"


def test_multus_result_shape_reads_what_the_json_path_reads() -> None:
    """Every text the shape matches is valid JSON whose path value is the capture."""
    from multus_forensics.timeline._records import _RESULT_SHAPE

    texts = pl.Series([t for t in _NETNS_FIELDS if t is not None])
    frame = pl.DataFrame({"t": texts}).select(
        pl.col("t"),
        pl.col("t").str.extract(_RESULT_SHAPE, 1).alias("q"),
        pl.col("t").str.json_path_match("$.result.interfaces[*].sandbox").alias("p"),
    )
    shaped = frame.filter(pl.col("q").is_not_null())
    assert shaped.height == 4  # the shape, with two IPs, with none, with non-ASCII text
    for text, q, p in shaped.iter_rows():
        assert json.loads(text)["result"]["interfaces"][0]["sandbox"] == q == p


@pytest.mark.parametrize("seed", range(5))
def test_record_ranks_order_records_as_their_sort_keys_do(seed: int) -> None:
    from multus_forensics.timeline._records import RANK, sort_key, split

    rng = random.Random(seed)
    events = [
        Event(
            time=None if rng.random() < 0.2 else T0 + timedelta(seconds=rng.randrange(4)),
            source="kubelet",
            kind=rng.choice(["kubelet:sandbox:start", "multus:add", "log"]),
            namespace=NS,
            pod=POD,
            message="m",
            file=rng.choice(["a.log", "b.log", "ü.log", "Z.log"]),
            member=rng.choice([None, "m1", "m2"]),
            line=rng.randrange(5),
        )
        for _ in range(200)
    ]
    recs, _, _ = split(events_to_frame(events))
    shuffled = rng.sample(recs, len(recs))
    assert sorted(shuffled, key=RANK) == sorted(shuffled, key=sort_key)
    for a in recs[:40]:
        for b in recs:
            assert (a.rank < b.rank, a.rank == b.rank) == (
                sort_key(a) < sort_key(b),
                sort_key(a) == sort_key(b),
            )


def _reference_attach_starts(pieces: list[Any], starts: list[Any], skew: timedelta) -> None:
    """Start markers placed as before the ordered index: every piece sorted per marker."""
    from multus_forensics.timeline._records import sort_key
    from multus_forensics.timeline.attempts import MAX_START_LEAD, Piece

    def target(rec: Any, nxt: datetime | None) -> Any:
        when = rec.time
        if when is None:
            return None
        timed = [(p.first, p) for p in pieces if p.first is not None]
        for first, piece in sorted(timed, key=lambda fp: fp[0]):
            if first < when - skew or any(r.kind == rec.kind for r in piece.recs):
                continue
            if first - when > MAX_START_LEAD or (nxt is not None and first > nxt + skew):
                return None
            return piece
        return None

    for kind in sorted({r.kind for r in starts}):
        markers = sorted((r for r in starts if r.kind == kind), key=sort_key)
        for i, rec in enumerate(markers):
            found = target(rec, markers[i + 1].time if i + 1 < len(markers) else None)
            if found is None:
                found = Piece()
                pieces.append(found)
            found.append(rec)


@pytest.mark.parametrize("seed", range(40))
def test_start_markers_attach_as_the_per_marker_sort_did(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multus_forensics.timeline import attempts

    rng = random.Random(seed)
    events = []
    for n in range(rng.randrange(5, 60)):
        kind = rng.choice(
            ["kubelet:sandbox:start", "runtime:sandbox:start", "runtime:sandbox:ready", "log"]
        )
        sandbox = rng.choice([None, None, "a" * 64, "b" * 64, "c" * 64])
        when = None if rng.random() < 0.1 else T0 + timedelta(seconds=rng.randrange(0, 900, 3))
        events.append(
            Event(
                time=when,
                source="containerd",
                kind=kind,
                namespace=NS,
                pod=POD,
                pod_uid=UID,
                sandbox_id=sandbox if kind != "log" else None,
                message="m",
                file="c.log",
                line=n + 1,
            )
        )
    frame = events_to_frame(events)
    got = build_timelines(frame).attempts()
    monkeypatch.setattr(attempts, "_attach_starts", _reference_attach_starts)
    assert got.equals(build_timelines(frame).attempts())


@pytest.mark.parametrize(
    "values",
    [
        [T0, None, T0 + timedelta(microseconds=7)],
        [datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=ZoneInfo("UTC")), None],
        [datetime(1969, 12, 31, 23, 0, tzinfo=ZoneInfo("Etc/UTC"))],
        [datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))],  # a zone: polars reads
        [datetime(2026, 1, 1, 12, 0)],  # naive
        [T0, datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2)))],  # mixed zones
        [],
        [None, None],
    ],
)
def test_frame_datetimes_read_as_polars_reads_them(values: list[datetime | None]) -> None:
    """A frame's datetime column handed over as microseconds holds what polars itself makes of
    the same Python values (instants, nulls, dtype), whatever their zone."""
    dtype = pl.Datetime("us", "UTC")
    made = _datetimes("t", values, dtype)
    assert made.dtype == dtype
    assert made.equals(pl.Series("t", values, dtype))
