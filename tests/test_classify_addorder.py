"""The classifier's add order (``classify.addorder``: each attempt's adds as position tuples)
is the timeline's add order: the same adds, in the same order, from the same records, on every
sample, every labelled excerpt and generated Multus logs (several pods, retries, re-entries).

A netns-keyed input's attempts are drafted from its columns without a timeline
(``classify._order_frames``): where that path answers, every attempt (pod, index, adds,
members, re-entry) is the one the timeline gives, as it gives it to the classifier."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.chain import prime_shapes, shaped_chains
from multus_forensics.classify._order_frames import attempts_of
from multus_forensics.classify.addorder import _orders, _placed, _with_adds, _with_unnamed
from multus_forensics.classify.context import Context
from multus_forensics.timeline import build_timelines

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_logs").iterdir() if p.is_dir())
CORPUS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "corpus_dev.jsonl").read_text().splitlines()
    if line
]


def _orders_agree(log: mf.EventLog) -> int:
    """Assert that every attempt's add order equals the timeline's; returns the adds compared."""
    import polars as pl

    ctx = Context.of_frame(log.frame)
    order = ctx.order
    refs = ctx.frame.select(
        pl.col("file")
        + pl.when(pl.col("member").fill_null("") != "")
        .then(pl.lit("!") + pl.col("member"))
        .otherwise(pl.lit(""))
        + pl.lit(":")
        + pl.col("line").cast(pl.String)
    ).to_series()
    times = ctx.frame.get_column("time")
    mine: Counter[tuple[Any, ...]] = Counter()
    for a in order.attempts:
        if a.rows:
            mine[tuple((refs[r.position], r.interface, r.network, r.ips) for r in a.rows)] += 1
            assert all(times[r.position] == r.time for r in a.rows)
            assert {r.position for r in a.rows} <= a.members
    timeline = mf.build_timelines(_placed(ctx).drop("_row")).interfaces()
    theirs: Counter[tuple[Any, ...]] = Counter()
    for _, group in timeline.sort("position").group_by(
        "namespace", "pod", "pod_uid", "attempt", maintain_order=True
    ):
        theirs[tuple(group.select("ref", "interface", "network", "ips").iter_rows())] += 1
    assert mine == theirs
    return sum(len(a.rows) for a in order.attempts)


def _drafted_agrees(log: mf.EventLog) -> bool:
    """Assert that the drafted attempts, where that path answers, are the timeline's attempts
    as ``add_order`` reads them; returns whether it answered. Run as a diagnosis runs it: the
    error texts' shapes primed, so chains are read from their shapes' facts."""
    import polars as pl

    ctx = Context.of_frame(log.frame)
    subset = _with_adds(_placed(ctx))
    if subset.height == 0:
        return False
    with shaped_chains():
        prime_shapes(ctx.frame.get_column("error").drop_nulls().cast(pl.String))
        drafted = attempts_of(subset)
    if drafted is None:
        return False
    timelines = build_timelines(subset.drop("_pos", "_row", strict=False))
    timeline = _orders(timelines, subset.get_column("_pos").to_list()).attempts
    assert _with_unnamed(drafted).attempts == timeline
    return True


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_add_order_is_the_timelines_on_every_sample(sample: Path) -> None:
    log = mf.parse(str(sample), year=2026)
    _orders_agree(log)
    _drafted_agrees(log)


def test_add_order_is_the_timelines_on_every_corpus_excerpt(tmp_path: Path) -> None:
    compared = 0
    for record in CORPUS:
        path = tmp_path / f"{record['id']}.txt"
        path.write_text(record["log"], encoding="utf-8")
        log = mf.parse(str(path), year=2026)
        compared += _orders_agree(log)
        _drafted_agrees(log)
    assert compared > 0


def _add(
    second: int, ns: str, pod: str, uid: str, netns: str, net: str, ifname: str, ip: str
) -> str:
    result = json.dumps(
        {
            "cniVersion": "0.3.1",
            "interfaces": [{"name": ifname, "sandbox": f"/var/run/netns/cni-{netns}"}],
            "ips": [{"version": "4", "interface": 0, "address": ip}],
        }
    )
    stamp = f"2026-03-11T13:{second // 60:02d}:{second % 60:02d}Z"
    return f"{stamp} [verbose] Add: {ns}:{pod}:{uid}:{net}({net.split('/')[-1]}):{ifname} {result}"


def _attempt_adds(draw: st.DrawFn, ns: str, attempt: int, ip: str) -> list[tuple[str, str, str]]:
    """One attempt's adds (network, interface, address): the default network, up to three
    secondaries, and sometimes the default interface again through multus (a re-entry)."""
    adds = [("cbr0", "eth0", ip)]
    adds += [
        (f"{ns}/nad{k}", f"net{k + 1}", f"192.0.2.{k + 10 * attempt}/24")
        for k in range(draw(st.integers(0, 3)))
    ]
    if draw(st.booleans()):  # the default interface again, through multus
        adds.append(("multus-cni-network", "eth0", ip))
    return adds


@st.composite
def _multus_logs(draw: st.DrawFn) -> str:
    """Pods with retries (a new netns each), secondaries, re-entries through the multus config
    and collisions, interleaved in time."""
    lines: list[tuple[int, str]] = []
    for p in range(draw(st.integers(1, 4))):
        ns, pod, uid = f"ns{p % 2}", f"app-{p}", f"2d1371c1-7149-4439-836b-{p:012d}"
        second = draw(st.integers(0, 30))
        for attempt in range(draw(st.integers(1, 3))):
            netns = f"{uid[:-4]}{attempt:04d}"
            ip = f"10.244.{p}.{attempt + 2}/24"
            adds = _attempt_adds(draw, ns, attempt, ip)
            for net, ifname, address in adds:
                second += draw(st.integers(0, 2))
                lines.append((second, _add(second, ns, pod, uid, netns, net, ifname, address)))
            if draw(st.booleans()):
                stamp = f"2026-03-11T13:{second // 60:02d}:{second % 60:02d}Z"
                error = (
                    f"{stamp} [error] [{ns}/{pod}/{uid}:nad0]: error adding container to network "
                    '"nad0": DelegateAdd: cannot set "macvlan" interface name to "net1": '
                    "validateIfName: interface name net1 already exists"
                )
                lines.append((second, error))
            second += draw(st.integers(10, 90))
    lines.sort(key=lambda x: x[0])
    return "\n".join(text for _, text in lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(_multus_logs())
def test_add_order_is_the_timelines_on_generated_multus_logs(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "multus.log"
        path.write_text(text, encoding="utf-8")
        assert _orders_agree(mf.parse(str(path), year=2026)) > 0


_NESTED_ERROR = (
    '[{ns}/{pod}{uid}:multus-cni-network]: error adding container to network "multus-cni-network"'
    ': [{ns}/{pod}{uid}:nad0]: error adding container to network "nad0": DelegateAdd: cannot set'
    ' "macvlan" interface name to "net1": validateIfName: interface name net1 already exists'
)
_COLLISION = (
    '[{ns}/{pod}{uid}:nad0]: error adding container to network "nad0": DelegateAdd: cannot set '
    '"macvlan" interface name to "net1": validateIfName: interface name net1 already exists'
)
_DELETE = (
    "[{ns}/{pod}{uid}:nad0]: error in DEL: Multus: [{ns}/{pod}{uid}:nad0]: error "
    'getting pod: pods "{pod}" not found'
)


def _stamp(second: int) -> str:
    return f"2026-03-11T13:{second // 60:02d}:{second % 60:02d}Z"


@st.composite
def _netns_multus_logs(draw: st.DrawFn) -> str:
    """Multus logs whose adds all carry a netns: pods with retries (a netns each), re-entries,
    a pod recreated under its name, adds naming no UID or no pod, errors (with and without a
    UID, nested, on DEL) near an attempt or far from any, and lines of no pod."""
    lines: list[tuple[int, str]] = []
    for p in range(draw(st.integers(1, 4))):
        ns = f"ns{p % 2}"
        pod = f"app-{draw(st.integers(0, 2))}" if draw(st.booleans()) else f"app-{p}"
        uid = f"2d1371c1-7149-4439-836b-{p:012d}"
        named_uid = draw(st.sampled_from(["uid", "uid", "unknown", "podless"]))
        second = draw(st.integers(0, 40))
        for attempt in range(draw(st.integers(1, 3))):
            netns = f"{uid[:-4]}{attempt:04d}"
            ip = f"10.244.{p}.{attempt + 2}/24"
            adds = _attempt_adds(draw, ns, attempt, ip)
            for net, ifname, address in adds:
                second += draw(st.integers(0, 3))
                line = _add(second, ns, pod, uid, netns, net, ifname, address)
                if named_uid == "unknown":
                    line = line.replace(f":{uid}:", ":unknownUID:")
                elif named_uid == "podless":
                    line = line.replace(f"{ns}:{pod}:{uid}:", ":::")
                lines.append((second, line))
            for _ in range(draw(st.integers(0, 2))):
                late = second + draw(st.sampled_from([0, 2, 5, 6, 30]))
                text = draw(st.sampled_from([_COLLISION, _NESTED_ERROR, _DELETE]))
                with_uid = "/" + uid if draw(st.booleans()) else ""
                error = text.format(ns=ns, pod=pod, uid=with_uid)
                lines.append((late, f"{_stamp(late)} [error] {error}"))
            if draw(st.booleans()):
                lines.append((second, f"{_stamp(second)} [verbose] Readiness Indicator file check"))
            second += draw(st.integers(3, 90))
    lines.sort(key=lambda x: x[0])
    return "\n".join(text for _, text in lines) + "\n"


@settings(max_examples=40, deadline=None)
@given(_netns_multus_logs())
def test_drafted_add_order_is_the_timelines_on_generated_netns_logs(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "multus.log"
        path.write_text(text, encoding="utf-8")
        log = mf.parse(str(path), year=2026)
        assert _drafted_agrees(log)
        _orders_agree(log)


def test_drafted_add_order_gives_way_to_the_timeline_where_a_row_carries_a_sandbox_id(
    tmp_path: Path,
) -> None:
    sandbox = "bdb2e1142a21c402364f9572b85a8e48f687ab165c58ac5831be38cb8cb4ba2e"
    lines = [
        _add(1, "ns0", "web", "2d1371c1-7149-4439-836b-000000000001", "n1", "cbr0", "eth0", "10.0.0.2/24"),
        f'{_stamp(2)} [error] [ns0/web:nad0]: error adding container to network "nad0": '
        f'failed to setup network for sandbox "{sandbox}": boom',
    ]  # fmt: skip
    path = tmp_path / "multus.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = mf.parse(str(path), year=2026)
    assert not _drafted_agrees(log)  # the chain names a sandbox: the timeline answers
    _orders_agree(log)


@pytest.mark.parametrize("empty", [False, True])
def test_drafted_add_order_gives_way_to_the_timeline_where_an_add_has_no_netns(
    tmp_path: Path, empty: bool
) -> None:
    uid = "2d1371c1-7149-4439-836b-000000000001"
    second = _add(2, "ns0", "web", uid, "n1", "ns0/nad0", "net1", "10.0.0.3/24")
    # an empty sandbox path, or no CNI result at all
    blank = second.replace("/var/run/netns/cni-n1", "")
    second = blank if empty else second.split(" {")[0] + " {}"
    lines = [_add(1, "ns0", "web", uid, "n1", "cbr0", "eth0", "10.0.0.2/24"), second]
    path = tmp_path / "multus.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = mf.parse(str(path), year=2026)
    assert not _drafted_agrees(log)  # the second add joins by the repeat rule: the timeline's
    assert _orders_agree(log) == 2


#: Multus' own example of its verbose log (upstream, not written here), from
#: https://github.com/k8snetworkplumbingwg/multus-cni/pull/275 (old ``ns:pod:network:ifname``
#: adds without a UID, a CNI result of three interfaces, and a DEL)
_UPSTREAM_VERBOSE = (
    '2019-02-28T07:08:21Z [verbose] Add: default:pod-case-01:default-cni-network:eth0 {"cniVersion":"0.3.1","interfaces":[{"name":"cni0","mac":"0a:58:0a:f4:02:01"},{"name":"veth49cb42db","mac":"32:2c:67:42:ea:10"},{"name":"eth0","mac":"0a:58:0a:f4:02:03","sandbox":"/proc/23187/ns/net"}],"ips":[{"version":"4","interface":2,"address":"10.244.2.3/24","gateway":"10.244.2.1"}],"routes":[{"dst":"10.244.0.0/16"},{"dst":"0.0.0.0/0","gw":"10.244.2.1"}],"dns":{}}',
    '2019-02-28T07:08:22Z [verbose] Add: default:pod-case-01:vlan-conf-1-1:net1 {"cniVersion":"0.3.0","interfaces":[{"name":"net1","mac":"52:54:00:12:5b:4e","sandbox":"/proc/23187/ns/net"}],"ips":[{"version":"4","interface":0,"address":"172.16.1.101/24"}],"dns":{}}',
    '2019-02-28T07:09:50Z [verbose] Del: default:pod-case-01:vlan-conf-1-1:net1 {"cniVersion":"0.3.0","ipam":{"addresses":[{"address":"172.16.1.101/24"}],"type":"static"},"master":"eth1","name":"vlan-conf-1-1","type":"vlan","vlanid":1}',
)


def test_drafted_add_order_is_the_timelines_on_multus_upstream_verbose_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "multus.log"
    path.write_text("\n".join(_UPSTREAM_VERBOSE) + "\n", encoding="utf-8")
    log = mf.parse(str(path), year=2026)
    assert _drafted_agrees(log)
    assert _orders_agree(log) == 2
