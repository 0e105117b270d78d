"""The classifier's add order (``classify.addorder``: each attempt's adds as position tuples)
is the timeline's add order: the same adds, in the same order, from the same records, on every
sample, every labelled excerpt and generated Multus logs (several pods, retries, re-entries)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.classify.addorder import _placed
from multus_forensics.classify.context import Context

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


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_add_order_is_the_timelines_on_every_sample(sample: Path) -> None:
    _orders_agree(mf.parse(str(sample), year=2026))


def test_add_order_is_the_timelines_on_every_corpus_excerpt(tmp_path: Path) -> None:
    compared = 0
    for record in CORPUS:
        path = tmp_path / f"{record['id']}.txt"
        path.write_text(record["log"], encoding="utf-8")
        compared += _orders_agree(mf.parse(str(path), year=2026))
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
            adds = [("cbr0", "eth0", ip)]
            adds += [
                (f"{ns}/nad{k}", f"net{k + 1}", f"192.0.2.{k + 10 * attempt}/24")
                for k in range(draw(st.integers(0, 3)))
            ]
            if draw(st.booleans()):  # the default interface again, through multus
                adds.append(("multus-cni-network", "eth0", ip))
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
