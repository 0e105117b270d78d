"""diagnose(): context discriminates look-alikes, ranking, confidence, evidence, clustering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from multus_forensics import Event, diagnose
from multus_forensics.classify import Diagnosis, load_catalog

T0 = datetime(2026, 3, 11, 13, 2, 5, tzinfo=UTC)
POD = "[lab/probe-1/7ad2f92f-2377-4b79-8201-15fd0290181a:vlan20]"
SANDBOX = "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7"
ADD_PREFIX = (
    f'failed to setup network for sandbox "{SANDBOX}": plugin type="multus" '
    'name="multus-cni-network" failed (add): '
)
DEL_PREFIX = (
    f'failed to destroy network for sandbox "{SANDBOX}": plugin type="multus" '
    'name="multus-cni-network" failed (delete): '
)
EXISTS = (
    f'{POD}: error adding container to network "vlan20": DelegateAdd: cannot set "macvlan" '
    'interface name to "net1": validateIfName: interface name net1 already exists'
)


def err(
    text: str, line: int, *, file: str = "node.log", source: str = "kubelet", sec: int = 0
) -> Event:
    return Event(
        time=T0 + timedelta(seconds=sec),
        node="edge-node-2",
        source=source,
        format="test",
        kind="kubelet:sandbox:failed",
        level="error",
        namespace="lab",
        pod="probe-1",
        message="Failed to create sandbox",
        error=text,
        file=file,
        line=line,
        raw=text,
    )


def added(msg: str, line: int, sec: int = 0) -> Event:
    return Event(
        time=T0 + timedelta(seconds=sec),
        source="multus",
        format="test",
        kind="event:AddedInterface",
        namespace="lab",
        pod="probe-1",
        message=msg,
        file="describe.txt",
        line=line,
        raw=f"Normal  AddedInterface  5s  multus  {msg}",
    )


def ranked(diag: Diagnosis) -> list[tuple[str, float]]:
    return [(f.root_cause, f.confidence) for f in diag]


def test_already_exists_with_reentry_through_multus_is_self_delegation_first() -> None:
    events = [
        added("Add eth0 [10.244.3.41/24] from cbr0", 1),
        added("Add net1 [192.0.2.40/24] from lab/vlan20", 2),
        added("Add eth0 [10.244.3.41/24] from multus-cni-network", 3),
        err(ADD_PREFIX + EXISTS, 10),
    ]
    diag = diagnose(events)
    causes = [c for c, _ in ranked(diag)]
    assert causes[0] == "multus_self_delegation"
    assert "duplicate_ifname_in_request" in causes[1:]
    best, alt = diag[0], next(f for f in diag if f.root_cause == "duplicate_ifname_in_request")
    assert best.confidence >= 0.8 > alt.confidence
    claims = {(e.file, e.line, e.claim) for e in best.evidence}
    assert ("describe.txt", 3, "context") in claims
    assert ("node.log", 10, "match") in claims


def test_already_exists_without_reentry_ranks_lower_and_keeps_the_alternative() -> None:
    with_context = diagnose(
        [
            added("Add eth0 [10.244.3.41/24] from cbr0", 1),
            added("Add net1 [192.0.2.40/24] from lab/vlan20", 2),
            added("Add eth0 [10.244.3.41/24] from multus-cni-network", 3),
            err(ADD_PREFIX + EXISTS, 10),
        ]
    )
    alone = diagnose([err(ADD_PREFIX + EXISTS, 10)])
    assert alone.top == "multus_self_delegation"
    assert alone[0].confidence < with_context[0].confidence
    assert alone[0].confidence < 0.8
    assert {f.root_cause for f in alone} == {
        "multus_self_delegation",
        "duplicate_ifname_in_request",
    }


def test_eth0_retries_with_new_addresses_are_churn_not_reentry() -> None:
    events = [added(f"Add eth0 [10.241.0.{n}/24]", n, sec=n) for n in range(1, 5)]
    events.append(err("netplugin failed with no error message", 9))
    diag = diagnose(events)
    assert diag.findings == []
    assert [u.count for u in diag.unclassified] == [1]


def test_a_healthy_log_gives_no_finding() -> None:
    events = [
        added("Add eth0 [10.244.3.50/24] from cbr0", 1),
        added("Add net1 [192.0.2.50/24] from lab/vlan20", 2),
        Event(
            time=T0,
            kind="kubelet:sandbox:created",
            message="Created PodSandbox",
            file="k.log",
            line=3,
        ),
    ]
    diag = diagnose(events)
    assert diag.findings == []
    assert diag.unclassified == []
    assert diag.top == "unknown"


def test_unauthorized_on_setup_is_auth_and_on_teardown_is_stale_config() -> None:
    leaf = "Multus: [lab/probe-1/7ad2f92f-2377-4b79-8201-15fd0290181a]: error getting pod: Unauthorized"
    on_add = diagnose([err(ADD_PREFIX + leaf, 1), err(ADD_PREFIX + leaf, 2)])
    on_del = diagnose([err(DEL_PREFIX + leaf, 1), err(DEL_PREFIX + leaf, 2)])
    assert [c for c, _ in ranked(on_add)][:2] == [
        "kubeconfig_auth_failure",
        "stale_multus_config_after_uninstall",
    ]
    assert on_del.top == "stale_multus_config_after_uninstall"
    assert "kubeconfig_auth_failure" in [c for c, _ in ranked(on_del)][1:]


def test_file_exists_on_a_route_and_on_a_link_are_different_causes() -> None:
    route = diagnose(
        [
            err(
                ADD_PREFIX
                + f'{POD}: error adding container to network "vlan20": failed to add default route: file exists',
                1,
            )
        ]
    )
    link = diagnose(
        [
            err(
                ADD_PREFIX
                + f'{POD}: error adding container to network "vlan20": failed to move link file exists',
                1,
            )
        ]
    )
    assert route.top == "secondary_default_route_conflict"
    assert link.top == "duplicate_ifname_in_request"


def test_no_networks_found_under_host_is_a_multus_bug_with_nad_not_found_as_alternative() -> None:
    base = "CmdAdd (shim): CNI request failed with status 400: 'ERRORED: GetCNIConfig: err in GetCNIConfigFromFile: No networks found in "
    host = diagnose([err(ADD_PREFIX + base + "/host/etc/cni/net.d", 1)])
    plain = diagnose([err(ADD_PREFIX + base + "/etc/cni/multus/net.d", 1)])
    assert [c for c, _ in ranked(host)] == ["multus_bug", "nad_not_found"]
    assert plain.top == "nad_not_found"
    assert "multus_bug" not in [c for c, _ in ranked(plain)]


def test_corroboration_across_sources_and_attempts_raises_confidence() -> None:
    leaf = f'{POD}: error adding container to network "vlan20": failed to find plugin "macvlan" in path [/opt/cni/bin]'
    one = diagnose([err(ADD_PREFIX + leaf, 1)])
    many = diagnose(
        [
            err(ADD_PREFIX + leaf, 1, sec=0),
            err(ADD_PREFIX + leaf, 2, sec=10),
            err(ADD_PREFIX + leaf, 3, file="containerd.log", source="containerd", sec=20),
        ]
    )
    assert one.top == many.top == "cni_plugin_not_installed"
    assert one[0].confidence < many[0].confidence
    assert any("single pasted line" in r for r in one[0].reasons)
    assert many[0].count == 3
    assert many[0].first_seen == T0
    assert many[0].last_seen == T0 + timedelta(seconds=20)


def test_repetition_reason_counts_sandboxes_only_when_they_tell_attempts_apart() -> None:
    leaf = f'{POD}: error adding container to network "vlan20": failed to find plugin "macvlan" in path [/opt/cni/bin]'
    first = replace(err(ADD_PREFIX + leaf, 3), sandbox_id=SANDBOX)
    one_request = diagnose([err(leaf, 1), err(leaf, 2), first])
    (reason,) = [r for r in one_request[0].reasons if "repeated" in r]
    assert reason.endswith("repeated (3 records)")  # one sandbox named, so not "2 attempts"
    second = replace(err(leaf, 2), sandbox_id="5b" * 32)
    retries = diagnose([first, second, err(leaf, 1)])
    (reason,) = [r for r in retries[0].reasons if "repeated" in r]
    assert reason.endswith("repeated (2 sandboxes)")


def test_findings_name_pod_network_interface_and_node() -> None:
    diag = diagnose(
        [
            err(
                ADD_PREFIX
                + f'{POD}: error adding container to network "vlan20": failed to lookup master "eth9": Link not found',
                1,
            )
        ]
    )
    f = diag[0]
    assert f.root_cause == "master_interface_missing"
    assert "lab/probe-1" in f.summary
    assert "vlan20" in f.summary
    assert "edge-node-2" in f.summary
    assert f.pods == ("lab/probe-1",)
    assert f.remediation
    assert f.evidence[0].text.startswith("failed to setup network")


def test_unexplained_errors_cluster_into_one_template_regardless_of_wrapping_depth() -> None:
    leaf = "plugin exploded: code 7 at 0xc000123456"
    events = [
        err(ADD_PREFIX + f'{POD}: error adding container to network "vlan20": {leaf}', 1),
        err(
            f'{POD}: error adding container to network "vlan20": plugin exploded: code 9 at 0xc000654321',
            2,
        ),
        err("plugin exploded: code 11 at 0xc000999999", 3),
        err("something else entirely went sideways", 4),
    ]
    diag = diagnose(events)
    assert diag.findings == []
    counts = sorted(u.count for u in diag.unclassified)
    assert counts == [1, 3]
    assert sum(counts) == len(events)


def test_findings_are_sorted_by_descending_confidence() -> None:
    events = [
        err(
            ADD_PREFIX
            + f'{POD}: error adding container to network "vlan20": failed to find plugin "macvlan" in path [/opt/cni/bin]',
            1,
        ),
        err(
            'SetNetworkStatus: failed to query the pod probe-1 in out of cluster comm: pods "probe-1" not found',
            2,
        ),
    ]
    confs = [f.confidence for f in diagnose(events)]
    assert len(confs) == 2
    assert confs == sorted(confs, reverse=True)


def test_diagnosis_json_shape_follows_the_cli_contract() -> None:
    doc = diagnose([err(ADD_PREFIX + EXISTS, 1)]).to_dict()
    assert set(doc) == {"findings", "unclassified", "stats", "exhausted_rules"}
    finding = doc["findings"][0]
    for key in (
        "root_cause",
        "rule",
        "confidence",
        "summary",
        "remediation",
        "pods",
        "first_seen",
        "last_seen",
        "count",
        "evidence",
    ):
        assert key in finding
    assert set(finding["evidence"][0]) >= {"file", "line", "text"}
    assert set(doc["stats"]) == {"files", "lines", "events", "unparsed_lines"}


def test_rule_layer_restricts_patterns_to_that_part_of_the_chain(tmp_path: Path) -> None:
    rule = r"""
[[rule]]
id = "SITE-LAYER"
title = "Plugin missing as seen by multus"
root_cause = "cni_plugin_not_installed"
severity = "error"
layer = "multus"
patterns = ['^\[[^\]]+\]: error adding container to network "[^"]+": failed to find plugin']
confidence = 0.5
explanation = "x"
"""
    path = tmp_path / "site.toml"
    path.write_text(rule, encoding="utf-8")
    catalog = load_catalog(path, builtin=False)
    via_multus = (
        ADD_PREFIX
        + f'{POD}: error adding container to network "vlan20": failed to find plugin "macvlan" in path [/opt/cni/bin]'
    )
    at_runtime = f'failed to setup network for sandbox "{SANDBOX}": failed to find plugin "multus" in path [/opt/cni/bin]'
    assert [f.rule for f in diagnose([err(via_multus, 1)], catalog=catalog)] == ["SITE-LAYER"]
    assert diagnose([err(at_runtime, 1)], catalog=catalog).findings == []


def test_collision_on_eth0_points_at_a_duplicate_request_not_self_delegation() -> None:
    text = f'{POD}: error adding container to network "vlan20": cannot set "ptp" ifname to "eth0": ifname eth0 is already exist'
    on_eth0 = diagnose([err(ADD_PREFIX + text, 1)])
    on_net1 = diagnose([err(ADD_PREFIX + text.replace("eth0", "net1"), 1)])
    assert on_eth0.top == "duplicate_ifname_in_request"
    assert on_net1.top == "multus_self_delegation"
    assert "multus_self_delegation" in [c for c, _ in ranked(on_eth0)][1:]


def info(text: str, line: int) -> Event:
    return Event(
        source="multus-daemon", format="test", message=text, file="daemon.log", line=line, raw=text
    )


def test_generated_config_split_over_records_is_read_as_one_stream() -> None:
    nested = [
        info("Config file created @ /host/etc/cni/net.d/00-multus.conf", 1),
        info('{ "name": "multus-cni-network", "type": "multus", "delegates": [ { "name":', 2),
        info(
            '"multus-cni-network", "type": "multus", "delegates": [ { "type": "flannel" } ] } ] }',
            3,
        ),
    ]
    healthy = [
        info("Config file created @ /host/etc/cni/net.d/00-multus.conf", 1),
        info('{ "name": "multus-cni-network", "type": "multus", "delegates": [ { "name":', 2),
        info('"cbr0", "plugins": [ { "type": "flannel" } ] } ] }', 3),
    ]
    diag = diagnose(nested)
    assert diag.top == "multus_self_delegation"
    assert diag[0].rule == "SELFDEL-CONFIG"
    assert diag[0].evidence[0].line == 2
    assert diagnose(healthy).findings == []


def test_lines_a_parser_left_are_diagnosed_with_lower_confidence_unrecognised_files_not_at_all(
    tmp_path: Path,
) -> None:
    from multus_forensics.eventlog import EventLog, ParseStats
    from multus_forensics.model import FileStats, ParseIssue, empty_frame

    paste = tmp_path / "ticket.txt"
    paste.write_text(
        "%%% pasted from a chat client %%%\n"
        '>> kubelet says: failed to find plugin "macvlan" in path [/opt/cni/bin] (again)\n',
        encoding="utf-8",
    )
    skipped = EventLog(
        empty_frame(),
        [],
        ParseStats([FileStats(str(paste), lines=2, skipped="no format recognised")]),
    )
    unparsed = EventLog(
        empty_frame(),
        [ParseIssue(str(paste), None, 1, "junk"), ParseIssue(str(paste), None, 2, "junk")],
        ParseStats([FileStats(str(paste), format="bare-error", lines=2, issue_lines=2)]),
    )
    diag = diagnose(unparsed)
    assert diag.top == "cni_plugin_not_installed"
    assert any("not recognised" in r for r in diag[0].reasons)
    assert diag[0].evidence[0].line == 2
    assert diag.unreadable == []
    # a file in which no format recognised anything is not shown to be a log: no claim rests on it
    diag = diagnose(skipped)
    assert list(diag) == []
    assert diag.stats["withdrawn_findings"] == 1


def test_exhaustion_after_failing_deletes_ranks_the_leak_first() -> None:
    exhausted = (
        "failed to allocate for range 0: no IP addresses available in range set: 10.1.0.2-10.1.0.9"
    )
    failed_del = (
        DEL_PREFIX
        + 'DelegateDel: error invoking ConflistDel - "k8s-pod-network": conflistDel: error in getting result from DelNetworkList: plugin type="calico" failed (delete): connection is unauthorized'
    )
    alone = diagnose([err(ADD_PREFIX + exhausted, 1)])
    after_dels = diagnose([err(failed_del, 1), err(ADD_PREFIX + exhausted, 2)])
    assert [c for c, _ in ranked(alone)] == ["ipam_pool_exhausted"]
    assert [c for c, _ in ranked(after_dels)][:2] == ["ipam_leak_on_delete", "ipam_pool_exhausted"]


def test_reentry_alone_is_a_finding_with_the_whole_add_sequence_as_evidence() -> None:
    events = [
        added("Add eth0 [10.244.0.212/24] from cbr0", 1),
        added("Add br0 [169.254.160.99/24] from nad-br0", 2),
        added("Add eth0 [10.244.0.212/24] from multus-cni-network", 3),
    ]
    diag = diagnose(events)
    assert diag.top == "multus_self_delegation"
    assert diag[0].count == 1
    assert [(e.line, e.claim) for e in diag[0].evidence] == [
        (1, "context"),
        (2, "context"),
        (3, "match"),
    ]


def test_a_retry_that_gets_the_same_address_back_is_not_reentry() -> None:
    events = [
        added("Add eth0 [10.244.0.7/24] from cbr0", 1),
        added("Add net1 [192.0.2.7/24] from lab/vlan20", 2),
        added("Add eth0 [10.244.0.7/24] from cbr0", 3, sec=2),
        added("Add net1 [192.0.2.7/24] from lab/vlan20", 4, sec=2),
    ]
    assert diagnose(events).findings == []


def test_a_summary_over_many_pods_names_a_few_and_counts_the_rest() -> None:
    events = [
        replace(
            err(
                ADD_PREFIX.replace(SANDBOX, f"{i:064x}")
                + f'[lab/web-{i:02d}/7ad2f92f-2377-4b79-8201-15fd0290181a:vlan20]: error adding container to network "vlan20": failed to lookup master "eth9": Link not found',
                i + 1,
                sec=i,
            ),
            pod=f"web-{i:02d}",
        )
        for i in range(12)
    ]
    f = diagnose(events)[0]
    assert f.root_cause == "master_interface_missing"
    assert "Pod lab/web-00, lab/web-01, lab/web-02, lab/web-03, lab/web-04 and 7 more;" in f.summary
    assert "lab/web-05" not in f.summary
    assert f.pods == tuple(f"lab/web-{i:02d}" for i in range(12))  # the field keeps every name
