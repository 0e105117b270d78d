"""Timelines over the multi-source samples in sample_logs/timeline, through the real parsers.

``two-nodes.journal``: one journal export in which node-a's and node-b's kubelet and containerd
records interleave. node-a: ``shop/cart-7f6d5c4b3-k8m2p`` fails twice (``failed to lookup master
"ens9f1": Link not found``) and is ready on the third attempt. node-b: ``shop/db-0`` (uid 0c1d…)
fails twice with ``Unauthorized``, is killed, and a new ``shop/db-0`` (uid 7e6d…) is ready six
minutes later; kubelet's ``No sandbox for pod`` lines name only ``shop/db-0``.
``node-a.multus.log``: node-a's Multus log file, its clock 3 s behind the journal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.timeline import Timelines, build_timelines

DIR = Path(__file__).resolve().parent.parent / "sample_logs" / "timeline"
JOURNAL = DIR / "two-nodes.journal"
MULTUS = DIR / "node-a.multus.log"
CART = "cart-7f6d5c4b3-k8m2p"
DB_OLD, DB_NEW = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3f2e"


def build(*paths: Path) -> Timelines:
    return build_timelines(mf.parse([str(p) for p in paths]))


def attempts(t: Timelines, pod: str) -> pl.DataFrame:
    return t.attempts().filter(pl.col("pod") == pod).sort("pod_uid", "attempt")


def test_journal_joins_kubelet_and_runtime_records_per_pod() -> None:
    t = build(JOURNAL)
    pods = t.pods().sort("pod", "first_seen")
    assert pods.select("pod", "pod_uid", "nodes").rows() == [
        (CART, "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a", "node-a"),
        ("db-0", DB_OLD, "node-b"),
        ("db-0", DB_NEW, "node-b"),
    ]
    cart = attempts(t, CART)
    assert cart["outcome"].to_list() == ["failed", "failed", "ready"]
    assert cart["failures"].to_list() == [1, 1, 0]
    assert cart["failure_reports"].to_list() == [5, 5, 0]  # 4 kubelet call sites + containerd
    assert cart["error_leaf"].to_list()[:2] == ["Link not found"] * 2
    assert cart["add_order_known"].to_list() == [False] * 3


def test_reused_pod_name_goes_to_the_uid_of_its_time() -> None:
    t = build(JOURNAL)
    db = attempts(t, "db-0")
    assert db.select("pod_uid", "outcome").rows() == [
        (DB_OLD, "failed"),
        (DB_OLD, "failed"),
        (DB_NEW, "ready"),
    ]
    starts_new = t.events(DB_NEW).filter(pl.col("kind") == "kubelet:sandbox:start")
    assert starts_new["time"].to_list() == [datetime(2026, 5, 4, 9, 36, 0, 203100, tzinfo=UTC)]
    starts_old = t.events(DB_OLD).filter(pl.col("kind") == "kubelet:sandbox:start")
    assert starts_old.height == 2
    assert starts_old["attempt"].to_list() == [1, 2]


def test_interleaved_nodes_give_the_timelines_of_each_node_alone(tmp_path: Path) -> None:
    lines = JOURNAL.read_text(encoding="utf-8").splitlines(keepends=True)
    header, records = lines[0], lines[1:]
    for node in ("node-a", "node-b"):
        (tmp_path / f"{node}.journal").write_text(
            header + "".join(r for r in records if f" {node} " in r), encoding="utf-8"
        )
    together = build(JOURNAL).attempts().drop("events")
    apart = (
        build(tmp_path / "node-a.journal", tmp_path / "node-b.journal").attempts().drop("events")
    )
    order = ["pod", "pod_uid", "attempt"]
    assert together.sort(order).equals(apart.sort(order))


def test_multus_clock_three_seconds_behind_still_lands_in_the_right_attempts() -> None:
    t = build(JOURNAL, MULTUS)
    cart = attempts(t, CART)
    assert cart.height == 3
    assert cart["add_order"].to_list() == [
        "eth0(k8s-pod-network)",
        "eth0(k8s-pod-network)",
        "eth0(k8s-pod-network) → net1(shop/ipvlan-a)",
    ]
    assert cart["failure_reports"].to_list() == [6, 6, 0]  # Multus' own line joins the failure
    assert cart["failures"].to_list() == [1, 1, 0]
    events = t.events(f"shop/{CART}")
    first_multus = events.filter(pl.col("source") == "multus")["attempt"].to_list()
    assert first_multus == [1, 1, 2, 2, 3, 3]
    churn = t.anomalies().filter(pl.col("anomaly") == "eth0_ip_churn")
    assert churn["attempt"].to_list() == [2, 3]


@pytest.mark.parametrize("skew", [0.5, 1.0])
def test_a_tolerance_below_the_real_skew_keeps_multus_adds_apart(skew: float) -> None:
    from datetime import timedelta

    t = build_timelines(mf.parse([str(JOURNAL), str(MULTUS)]), skew=timedelta(seconds=skew))
    cart = attempts(t, CART)
    assert cart.height > 3  # the netns groups could not be placed, so they stand alone
    assert cart.filter(pl.col("sandbox_id").is_null())["add_order_known"].all()
