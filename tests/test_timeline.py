"""Timelines from hand-built event frames: joins, attempts, skew, name reuse, nodes, untimed.

Frames are built with ``Event`` objects following FORMATS.md shapes (made-up pods and IDs), so
each test controls exactly which source names which identity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from multus_forensics.model import Event, events_to_frame
from multus_forensics.timeline import Timelines, build_timelines

NS, POD, UID = "shop", "cart-7f6d5c4b3-k8m2p", "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
UID2 = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
T0 = datetime(2026, 5, 4, 9, 30, 0, tzinfo=UTC)
SANDBOXES = [f"{c}" * 64 for c in "abc"]
NETNS = [f"/var/run/netns/cni-{c}{c}{c}{c}" for c in "123"]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def chain_err(sandbox: str, uid: str = UID) -> str:
    return (
        f'failed to setup network for sandbox "{sandbox}": plugin type="multus" '
        f'name="multus-cni-network" failed (add): [{NS}/{POD}/{uid}:ipvlan-a]: error adding '
        'container to network "ipvlan-a": DelegateAdd: cannot set "ipvlan" interface name to '
        '"net1": validateIfName: interface name net1 already exists'
    )


def kubelet_start(t: float, node: str = "n1", line: int = 1) -> Event:
    return Event(
        time=at(t), node=node, source="kubelet", kind="kubelet:sandbox:start",
        namespace=NS, pod=POD, message="No sandbox for pod can be found. Need to start a new one",
        file="kubelet.log", line=line,
    )  # fmt: skip


def kubelet_fail(t: float, sandbox: str, line: int, uid: str = UID, node: str = "n1") -> Event:
    return Event(
        time=at(t), node=node, source="kubelet", kind="kubelet:sandbox:failed", level="error",
        namespace=NS, pod=POD, error="rpc error: code = Unknown desc = " + chain_err(sandbox, uid),
        message="CreatePodSandbox for pod failed", file="kubelet.log", line=line,
    )  # fmt: skip


def runtime_fail(t: float, sandbox: str, line: int) -> Event:
    return Event(
        time=at(t), node="n1", source="containerd", kind="runtime:sandbox:failed", level="error",
        namespace=NS, pod=POD, pod_uid=UID, error=chain_err(sandbox), file="containerd.log",
        line=line,
    )  # fmt: skip


def multus_add(
    t: float, iface: str, net: str, ip: str, netns: str | None, line: int, uid: str = UID
) -> Event:
    result = {"interfaces": [{"name": iface, "sandbox": netns}]} if netns else {}
    return Event(
        time=at(t), node="n1", source="multus", kind="multus:add", namespace=NS, pod=POD,
        pod_uid=uid, network=net, interface=iface, ips=ip, fields={"result": result},
        file="multus.log", line=line,
    )  # fmt: skip


def self_delegating_attempt(
    n: int, t: float, *, skew: float = 0.0, with_netns: bool = True
) -> list[Event]:
    """Multus lines of one retry of the self-delegation triplet, eth0 IP .10+n."""
    netns = NETNS[n] if with_netns else None
    base = 4 * n + 1
    return [
        multus_add(t + skew, "eth0", "k8s-pod-network", f"10.8.0.{10 + n}/32", netns, base),
        multus_add(t + skew, "net1", f"{NS}/ipvlan-a", "192.168.50.5/24", netns, base + 1),
        multus_add(t + skew, "eth0", "multus-cni-network", f"10.8.0.{10 + n}/32", netns, base + 2),
        Event(
            time=at(t + skew), node="n1", source="multus", kind="multus:error", level="error",
            namespace=NS, pod=POD, pod_uid=UID, error=chain_err(SANDBOXES[n]).split(": ", 2)[2],
            file="multus.log", line=base + 3,
        ),
    ]  # fmt: skip


def runtime_attempts() -> list[Event]:
    out = []
    for n, t in enumerate((0, 15, 37)):
        out.append(kubelet_start(t, line=10 * n + 1))
        out.append(runtime_fail(t + 1.6, SANDBOXES[n], line=n + 1))
        out.append(kubelet_fail(t + 1.7, SANDBOXES[n], line=10 * n + 2))
    return out


def build(events: list[Event]) -> Timelines:
    return build_timelines(events_to_frame(events))


def attempts_of(t: Timelines) -> pl.DataFrame:
    return t.attempts().filter(pl.col("pod") == POD)


def test_join_by_sandbox_uid_and_name_puts_every_source_in_one_pod() -> None:
    events = runtime_attempts() + [
        e for n in range(3) for e in self_delegating_attempt(n, (0, 15, 37)[n] + 1)
    ]
    t = build(events)
    pods = t.pods()
    assert pods.height == 1
    assert pods.row(0, named=True)["pod_uid"] == UID
    assert pods.row(0, named=True)["events"] == len(events)
    att = attempts_of(t)
    assert att["attempt"].to_list() == [1, 2, 3]
    assert att["sandbox_id"].to_list() == SANDBOXES
    assert att["outcome"].to_list() == ["failed"] * 3
    assert att["failures"].to_list() == [1, 1, 1]
    assert att["failure_reports"].to_list() == [3, 3, 3]
    assert (
        att["add_order"].to_list()
        == ["eth0(k8s-pod-network) → net1(shop/ipvlan-a) → eth0(multus-cni-network)"] * 3
    )
    assert att["gap_to_next_s"].to_list()[:2] == pytest.approx([13.3, 20.3])


def test_kubelet_alone_has_attempts_and_chain_but_unknown_order() -> None:
    t = build([e for e in runtime_attempts() if e.source == "kubelet"])
    att = attempts_of(t)
    assert att.height == 3
    assert att["outcome"].to_list() == ["failed"] * 3
    assert att["add_order_known"].to_list() == [False] * 3
    assert att["add_order"].to_list() == [None] * 3
    assert att["error_interface"].to_list() == ["net1"] * 3
    assert att["error_interface_added_from"].to_list() == [None] * 3
    assert t.interfaces().height == 0
    assert t.anomalies().filter(pl.col("anomaly") == "self_delegation_reentry").height == 0


@pytest.mark.parametrize("skew", [-3.0, 3.0])
def test_clock_skew_between_sources_neither_splits_nor_misorders(skew: float) -> None:
    events = runtime_attempts() + [
        e
        for n in range(3)
        for e in self_delegating_attempt(n, (0, 15, 37)[n] + 1, skew=skew, with_netns=False)
    ]
    att = attempts_of(build(events))
    assert att.height == 3
    assert att["sandbox_id"].to_list() == SANDBOXES
    ips = att["add_order"].to_list()
    assert all(o is not None and o.count("→") == 2 for o in ips)
    rows = build(events).interfaces()
    first_ips = rows.filter(pl.col("position") == 1)["ips"].to_list()
    assert first_ips == ["10.8.0.10/32", "10.8.0.11/32", "10.8.0.12/32"]


def test_multus_log_alone_splits_attempts_by_repeat_when_no_netns() -> None:
    events = [
        e for n in range(3) for e in self_delegating_attempt(n, (0, 15, 37)[n], with_netns=False)
    ]
    t = build(events)
    att = attempts_of(t)
    assert att.height == 3
    assert att["outcome"].to_list() == ["failed"] * 3
    names = t.anomalies().group_by("anomaly").len().sort("anomaly")
    assert dict(names.iter_rows()) == {
        "eth0_ip_churn": 2,
        "ifname_added_twice": 3,
        "self_delegation_reentry": 3,
    }


def test_self_delegation_flag_needs_reentry_from_the_multus_config_name() -> None:
    # eth0 twice but the second from the same default network: duplicate, not self-delegation
    events = [
        multus_add(1, "eth0", "k8s-pod-network", "10.8.0.10/32", NETNS[0], 1),
        multus_add(1, "net1", f"{NS}/ipvlan-a", "192.168.50.5/24", NETNS[0], 2),
        multus_add(1, "eth0", "k8s-pod-network-b", "10.8.0.99/32", NETNS[0], 3),
    ]
    names = set(build(events).anomalies()["anomaly"].to_list())
    assert names == {"ifname_added_twice"}
    renamed = [
        multus_add(1, "eth0", "k8s-pod-network", "10.8.0.10/32", NETNS[0], 1),
        multus_add(1, "net1", f"{NS}/ipvlan-a", "192.168.50.5/24", NETNS[0], 2),
        multus_add(1, "eth0", "70-multus", "10.8.0.10/32", NETNS[0], 3),
        Event(
            time=at(0), node="n1", source="multus", kind="multus:config",
            fields={"config": {"name": "70-multus", "type": "multus"}}, file="entry.log", line=1,
        ),
    ]  # fmt: skip
    assert "self_delegation_reentry" in build(renamed).anomalies()["anomaly"].to_list()


def test_pod_name_reused_by_new_uid_is_split_by_time() -> None:
    old = runtime_attempts()[:3]  # one failed attempt of the old pod at T0
    later = 600.0
    new = [
        kubelet_start(later, line=100),
        kubelet_fail(later + 1.5, SANDBOXES[2], line=101, uid=UID2),
        Event(
            time=at(later + 2), node="n1", source="containerd", kind="runtime:sandbox:ready",
            sandbox_id="d" * 64, namespace=NS, pod=POD, pod_uid=UID2, file="containerd.log",
            line=50,
        ),
    ]  # fmt: skip
    t = build(old + new)
    pods = t.pods().sort("first_seen")
    assert pods["pod_uid"].to_list() == [UID, UID2]
    starts = t.events(UID2).filter(pl.col("kind") == "kubelet:sandbox:start")
    assert starts["time"].to_list() == [at(later)]
    assert t.events(UID).filter(pl.col("kind") == "kubelet:sandbox:start").height == 1


def test_interleaved_nodes_give_the_same_timelines_as_each_node_alone() -> None:
    a = runtime_attempts()
    other_pod = "db-0"
    b = [
        Event(
            time=at(t + 0.5), node="n2", source="kubelet", kind=kind, namespace=NS,
            pod=other_pod, pod_uid=UID2 if kind != "kubelet:sandbox:start" else None,
            sandbox_id=sb, file="n2-kubelet.log", line=i + 1,
        )
        for i, (t, kind, sb) in enumerate(
            [(0, "kubelet:sandbox:start", None), (1, "kubelet:sandbox:created", "e" * 64),
             (16, "kubelet:pod:killing", "e" * 64)]
        )
    ]  # fmt: skip
    mixed = sorted(a + b, key=lambda e: e.time or T0)
    together = build(mixed).attempts().drop("events")
    alone = pl.concat([build(a).attempts(), build(b).attempts()]).drop("events")
    assert together.sort("pod", "attempt").equals(alone.sort("pod", "attempt"))
    assert build(mixed).attempts().filter(pl.col("pod") == other_pod)["outcome"].to_list() == [
        "torn-down"
    ]


def test_untimed_pasted_line_is_kept_and_listed_last() -> None:
    pasted = Event(
        time=None, source="unknown", kind="error:line", level="error",
        error="rpc error: code = Unknown desc = " + chain_err(SANDBOXES[1]),
        file="ticket.txt", line=1,
    )  # fmt: skip
    t = build([*runtime_attempts(), pasted])
    events = t.events(f"{NS}/{POD}")
    assert events["untimed"].to_list()[-1] is True
    assert events["untimed"].sum() == 1
    assert events.row(-1, named=True)["attempt"] == 2
    assert events.row(-1, named=True)["pod_uid"] == UID
    assert t.pods()["untimed_events"].to_list() == [1]


def test_describe_like_rows_without_ids_infer_failures_from_the_repeated_event() -> None:
    def added(age: float, iface: str, ip: str, net: str, line: int) -> Event:
        return Event(
            time=at(age), time_relative=True, source="kubectl", kind="event:AddedInterface",
            namespace=NS, pod=POD, message=f"Add {iface} [{ip}] from {net}",
            file="describe.txt", line=line,
        )  # fmt: skip

    rows = []
    for n, t in enumerate((0, 15, 37)):
        rows += [
            added(t, "eth0", f"10.8.0.{10 + n}/32", "k8s-pod-network", 10 + 3 * n),
            added(t, "net1", "192.168.50.5/24", f"{NS}/ipvlan-a", 11 + 3 * n),
            added(t, "eth0", f"10.8.0.{10 + n}/32", "multus-cni-network", 12 + 3 * n),
        ]
    rows.append(
        Event(
            time=at(0), time_relative=True, source="kubectl", kind="event:FailedCreatePodSandBox",
            namespace=NS, pod=POD, level="warning", fields={"count": 3},
            message="Failed to create pod sandbox: rpc error: code = Unknown desc = "
            + chain_err(SANDBOXES[2]), file="describe.txt", line=40,
        )
    )  # fmt: skip
    t = build(rows)
    att = attempts_of(t)
    assert att.height == 3
    assert att["outcome"].to_list() == ["failed"] * 3
    assert att["outcome_inferred"].to_list() == [True] * 3
    assert att["error_interface"].to_list() == ["net1"] * 3
    assert t.anomalies().filter(pl.col("anomaly") == "self_delegation_reentry").height == 3


def test_ready_attempt_missing_a_requested_network_is_flagged() -> None:
    events = [
        Event(
            time=at(0), node="n1", source="kubectl", kind="pod:networks", namespace=NS, pod=POD,
            fields={"networks": '[{"name":"ipvlan-a"},{"name":"sriov-b","namespace":"infra"}]'},
            file="pod.yaml", line=3,
        ),
        multus_add(1, "eth0", "k8s-pod-network", "10.8.0.10/32", NETNS[0], 1),
        multus_add(1, "net1", f"{NS}/ipvlan-a", "192.168.50.5/24", NETNS[0], 2),
        Event(
            time=at(2), node="n1", source="containerd", kind="runtime:sandbox:ready", namespace=NS,
            pod=POD, pod_uid=UID, sandbox_id=SANDBOXES[0], file="containerd.log", line=1,
        ),
    ]  # fmt: skip
    t = build(events)
    assert t.pods()["requested_networks"].to_list() == ["shop/ipvlan-a,infra/sriov-b"]
    missing = t.anomalies().filter(pl.col("anomaly") == "requested_network_missing")
    assert missing["detail"].to_list() == ["requested but not added: infra/sriov-b"]
    assert attempts_of(t)["outcome"].to_list() == ["ready"]


def test_add_then_del_in_two_attempts_is_churn() -> None:
    events = []
    for n in range(2):
        events.append(multus_add(20 * n, "eth0", "k8s-pod-network", f"10.8.0.{n}/32", NETNS[n], n))
        events.append(
            Event(
                time=at(20 * n + 1), node="n1", source="containerd", kind="runtime:network:teardown",
                sandbox_id=SANDBOXES[n], namespace=NS, pod=POD, pod_uid=UID,
                fields={"netns": NETNS[n]}, file="containerd.log", line=n,
            )
        )  # fmt: skip
    churn = build(events).anomalies().filter(pl.col("anomaly") == "add_del_churn")
    assert churn.height == 1
    assert churn["attempt"].to_list() == [None]


def test_frames_convert_to_pandas_with_the_same_columns() -> None:
    t = build(runtime_attempts())
    for name in ("pods", "attempts", "interfaces", "anomalies"):
        polars_frame = getattr(t, name)()
        pandas_frame = polars_frame.to_pandas(use_pyarrow_extension_array=True)
        assert list(pandas_frame.columns) == polars_frame.columns
        assert len(pandas_frame) == polars_frame.height
    assert list(t.events().to_pandas().columns) == t.events().columns


def test_events_of_an_unknown_pod_are_empty_and_chain_lookup() -> None:
    t = build(runtime_attempts())
    assert t.events("nope/nothing").height == 0
    chain = t.chain(f"{NS}/{POD}", 2)
    assert chain is not None
    assert chain.get("sandbox_id") == SANDBOXES[1]
    assert t.chain(f"{NS}/{POD}", 9) is None


def test_untimed_failure_without_sandbox_is_still_one_failed_attempt() -> None:
    pasted = Event(
        time=None, source="unknown", kind="error:line", level="error",
        error=f"Multus: [{NS}/{POD}/{UID}]: error waiting for pod: Unauthorized",
        file="ticket.txt", line=3,
    )  # fmt: skip
    att = attempts_of(build([pasted]))
    assert att["outcome"].to_list() == ["failed"]
    assert att["start"].to_list() == [None]
    assert att["error_leaf"].to_list() == ["Unauthorized"]


def test_a_pager_cut_report_joins_the_full_failure_of_its_sandbox() -> None:
    cut = Event(
        time=at(1.8), node="n1", source="kubelet", kind="kubelet:sandbox:failed", level="error",
        namespace=NS, pod=POD, file="kubelet.log", line=99,
        error="rpc error: code = Unknown desc = " + chain_err(SANDBOXES[0])[:150] + ">",
    )  # fmt: skip
    att = attempts_of(build([*runtime_attempts()[:3], cut]))
    assert att["failures"].to_list() == [1]
    assert att["failure_reports"].to_list() == [3]
    assert att["error_truncated"].to_list() == [False]


def test_network_status_gives_the_order_of_the_last_ready_attempt_only() -> None:
    def status(index: int, iface: str, net: str, ip: str) -> Event:
        return Event(
            time=None, source="kubectl", kind="pod:network-status", namespace=NS, pod=POD,
            interface=iface, network=net, ips=ip, fields={"index": index},
            file="describe.txt", line=20 + index,
        )  # fmt: skip

    events = [
        runtime_fail(1, SANDBOXES[0], line=1),
        Event(
            time=at(20), node="n1", source="containerd", kind="runtime:sandbox:ready",
            namespace=NS, pod=POD, pod_uid=UID, sandbox_id=SANDBOXES[1], file="containerd.log",
            line=2,
        ),
        status(1, "net1", f"{NS}/ipvlan-a", "192.168.50.5/24"),
        status(0, "eth0", "k8s-pod-network", "10.8.0.11/32"),
    ]  # fmt: skip
    t = build(events)
    rows = t.interfaces()
    assert rows["attempt"].to_list() == [2, 2]
    assert rows["interface"].to_list() == ["eth0", "net1"]
    assert set(rows["source"].to_list()) == {"pod:network-status"}
    assert attempts_of(t)["add_order_known"].to_list() == [False, True]


def test_container_id_joins_a_record_that_names_nothing_else() -> None:
    sandbox = "f" * 64
    events = [
        Event(
            time=at(0), node="n1", source="kubelet", kind="kubelet:pleg", namespace=NS, pod=POD,
            pod_uid=UID, container_id=sandbox, file="kubelet.log", line=1,
        ),
        Event(
            time=at(30), node="n1", source="containerd", kind="runtime:sandbox:stop",
            sandbox_id=sandbox, file="containerd.log", line=7,
        ),
    ]  # fmt: skip
    t = build(events)
    assert t.pods()["events"].to_list() == [2]
    att = attempts_of(t)
    assert att["sandbox_id"].to_list() == [sandbox]
    assert att["outcome"].to_list() == ["torn-down"]


@pytest.mark.parametrize(("error", "outcome"), [(None, "ready"), ("some failure", "failed")])
def test_thick_daemon_finished_add_gives_the_outcome(error: str | None, outcome: str) -> None:
    events = [
        Event(
            time=at(0), node="n1", source="multus-daemon", kind="multus:request",
            namespace=NS, pod=POD, pod_uid=UID, sandbox_id=SANDBOXES[0], interface="eth0",
            fields={"command": "ADD", "phase": phase}, error=error if phase == "finished" else None,
            file="daemon.log", line=n,
        )
        for n, phase in enumerate(("starting", "finished"), start=1)
    ]  # fmt: skip
    assert attempts_of(build(events))["outcome"].to_list() == [outcome]


def test_story_lists_pods_without_attempts_in_one_line() -> None:
    from multus_forensics.timeline.render import render

    quiet = Event(
        time=at(3), node="n1", source="kubelet", kind="log", namespace="ops", pod="etcd-0",
        message="Probe succeeded", file="kubelet.log", line=50,
    )  # fmt: skip
    t = build([*runtime_attempts(), quiet])
    story = render(t)
    assert story.rstrip().endswith("1 more pods with records but no sandbox attempt: ops/etcd-0")
    assert story.startswith(f"{NS}/{POD}")
    assert render(t, "ops/etcd-0").startswith("ops/etcd-0  uid unknown")
