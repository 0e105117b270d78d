"""The seed case end to end (sample_logs/seed, facts in sample_logs/README.md): each source alone
and together must give one failed attempt per retry, with the self-delegation add order."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import multus_forensics as mf
from multus_forensics.timeline import Timelines, build_timelines
from multus_forensics.timeline.render import render

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
SEED = SAMPLES / "seed"
#: the seed's kubelet, written with --logging-format=json (same attempts, same pod)
KUBELET = "../json/kubelet-klog.json"
POD = "lab/probe-6d8f9c7b54-qwz4n"
UID = "7ad2f92f-2377-4b79-8201-15fd0290181a"
SANDBOXES = [
    "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7",
    "5b1f0c3e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c",
    "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
]
ORDER = "eth0(cbr0) → net1(lab/macvlan-conf) → eth0(multus-cni-network)"
ALL_FILES = ("multus.log", "describe.txt", "containerd.log", "kubelet.journal")


def seed_files(names: tuple[str, ...]) -> list[str]:
    paths = [SEED / n for n in names]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        pytest.fail(f"seed sample missing: {missing}")
    return [str(p) for p in paths]


def timelines(names: tuple[str, ...]) -> Timelines:
    return build_timelines(mf.parse(seed_files(names), year=2026))


def probe_attempts(t: Timelines) -> pl.DataFrame:
    return t.attempts().filter(pl.col("pod") == POD.split("/")[1])


SOURCE_SETS = [
    ("multus.log",),
    ("describe.txt",),
    ("multus.log", "containerd.log"),
    ("describe.txt", "containerd.log"),
    ("multus.log", "describe.txt", "kubelet.journal"),
    ("multus.log", "describe.txt", KUBELET),
    ALL_FILES,
]


@pytest.mark.parametrize("names", SOURCE_SETS, ids=lambda n: "+".join(n))
def test_seed_has_one_failed_attempt_per_retry_with_the_self_delegation_order(
    names: tuple[str, ...],
) -> None:
    t = timelines(names)
    att = probe_attempts(t)
    assert att["attempt"].to_list() == [1, 2, 3]
    assert att["outcome"].to_list() == ["failed"] * 3
    assert att["pod_uid"].to_list() == [UID] * 3
    assert att["add_order"].to_list() == [ORDER] * 3
    assert att["error_interface"].to_list() == ["net1"] * 3
    assert att["error_interface_added_from"].to_list() == ["lab/macvlan-conf"] * 3
    flagged = t.anomalies().filter(pl.col("anomaly") == "self_delegation_reentry")
    assert flagged["attempt"].to_list() == [1, 2, 3]
    eth0 = t.interfaces().filter((pl.col("position") == 1) & (pl.col("pod") == POD.split("/")[1]))
    assert eth0["ips"].to_list() == ["10.244.3.41/24", "10.244.3.42/24", "10.244.3.43/24"]


def test_seed_sources_with_sandbox_ids_name_each_attempts_sandbox() -> None:
    att = probe_attempts(timelines(ALL_FILES))
    assert att["sandbox_id"].to_list() == SANDBOXES
    assert att["outcome_inferred"].to_list() == [False] * 3
    assert (att["failures"] == 1).all()
    assert (att["failure_reports"] >= 2).all()


@pytest.mark.parametrize("name", ["containerd.log", "kubelet.journal", KUBELET])
def test_runtime_or_kubelet_alone_show_attempts_and_chain_but_not_the_order(name: str) -> None:
    t = timelines((name,))
    att = probe_attempts(t)
    assert att["sandbox_id"].to_list() == SANDBOXES
    assert att["outcome"].to_list() == ["failed"] * 3
    assert att["add_order_known"].to_list() == [False] * 3
    assert att["error_leaf"].to_list() == ["interface name net1 already exists"] * 3
    story = render(t, POD)
    assert story.count("add order: unknown") == 3


@pytest.mark.parametrize(
    ("names", "order"),
    [(("multus.log", "containerd.log"), "eth0(cbr0)"), (("kubelet.journal",), None)],
    ids=["multus+containerd", "kubelet"],
)
def test_healthy_pod_on_the_same_node_is_ready_without_anomalies(
    names: tuple[str, ...], order: str | None
) -> None:
    t = timelines(names)
    web = t.attempts().filter(pl.col("pod") == "web-7c9d8b6f5-h2kxm")
    assert web["outcome"].to_list() == ["ready"]
    assert web["add_order"].to_list() == [order]
    assert t.anomalies().filter(pl.col("pod") == "web-7c9d8b6f5-h2kxm").height == 0


def test_describe_alone_infers_the_failures_from_the_combined_event() -> None:
    att = probe_attempts(timelines(("describe.txt",)))
    assert att["outcome_inferred"].to_list() == [True] * 3
    assert att["error_network"].to_list() == ["macvlan-conf"] * 3


def test_row_order_of_the_input_does_not_change_the_timelines() -> None:
    frame = mf.parse(seed_files(ALL_FILES), year=2026).to_polars()
    expected = build_timelines(frame).attempts()
    for seed in (1, 2, 3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert build_timelines(shuffled).attempts().equals(expected)
