"""The prefix table behind :mod:`multus_forensics.chain` (FORMATS.md §1, §5, §7).

Each rule is one anchored pattern for one wrapper text, with the layer kind and the fields it
names. Only bounded character classes (``[^"]*``, ``[0-9a-f]+``) appear before a literal, so no
pattern can backtrack over the rest of a long line. Order matters only where two texts share a
start; specific texts come before the generic function-prefix rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

from multus_forensics.lazyre import lazy

Post = Callable[[MutableMapping[str, str]], None]

_Q = r'"(?P<{}>[^"]*)"'
_HEX = r"(?P<sandbox_id>[0-9a-f]{12,64})"
_CAMEL = r"[A-Za-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*(?:\(\))?"


@dataclass(frozen=True)
class Rule:
    """``source`` is the pattern's text: the chain matches the rules through alternations built
    from it (one per first character), so a rule's own compiled :attr:`pattern` is made only
    when something asks for it (compiling the whole table cost every start-up ~10 ms)."""

    kind: str
    source: str
    fields: dict[str, str] = field(default_factory=dict)
    post: Post | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source)


def _r(kind: str, pattern: str, post: Post | None = None, **fields: str) -> Rule:
    return Rule(kind, pattern, dict(fields), post)


def _op_from_word(f: MutableMapping[str, str]) -> None:
    word = f.pop("opword", "").lower()
    f["op"] = {"add": "add", "delete": "del", "del": "del", "check": "check"}.get(word, word)


def _add_or_del(*adds: str) -> Post:
    """Post-processor turning the matched ``opword`` into ``op`` (``add`` if in ``adds``)."""

    def post(f: MutableMapping[str, str]) -> None:
        f["op"] = "add" if f.pop("opword", "") in adds else "del"
        if "ref" in f:
            _pod_ref(f)

    return post


def _target(f: MutableMapping[str, str]) -> None:
    f.update(target_fields(f.pop("target", "")))


def _pod_ref(f: MutableMapping[str, str]) -> None:
    """``ns_name`` as printed by ocicni/dockershim (namespace or name first, per ``order``)."""
    ref = f.pop("ref", "")
    first, _, second = ref.partition("_")
    if f.pop("order", "") == "ns":
        f["namespace"], f["pod"] = first, second
    else:
        f["pod"], f["namespace"] = first, second


_TARGET = lazy(r"(?P<pod>[^_()\s]+)_(?P<namespace>[^_()\s]+)\((?P<pod_uid>[^()\s]*)\)$")


def target_fields(target: str) -> dict[str, str]:
    """Kubelet ``format.Pod`` target ``name_ns(uid)``, or a bare pod UID (KillPodSandbox)."""
    match = _TARGET.match(target)
    if match:
        return {k: v for k, v in match.groupdict().items() if v}
    return {"pod_uid": target} if target else {}


ACTION_OPS: Final = {"CreatePodSandbox": "add", "KillPodSandbox": "del", "KillContainer": "del"}

SYNC_RESULT: Final = lazy(r'failed to "(?P<action>\w+)" for "(?P<target>[^"]*)" with \w+: "')
SHIM_STATUS: Final = lazy(r"CNI request failed with status (?P<status>\d+): '")
DAEMON_ARGS: Final = lazy(r"\{?ContainerID:")

_ARG_PATTERNS: Final = {
    "sandbox_id": lazy(r'ContainerID:"?([0-9a-f]{12,64})'),
    "interface": lazy(r'IfName:"?([\w.-]+)'),
    "namespace": lazy(r"K8S_POD_NAMESPACE=([^;\"\s}]+)"),
    "pod": lazy(r"K8S_POD_NAME=([^;\"\s}]+)"),
    "pod_uid": lazy(r"K8S_POD_UID=([^;\"\s}]+)"),
    "netns": lazy(r'Netns:"?([^"\s]+)'),
}


def daemon_fields(head: str) -> dict[str, str]:
    """IDs named in a thick daemon's printed cmdArgs."""
    out = {"op": "add"} if "ERRORED: error configuring pod" in head else {}
    for key, pattern in _ARG_PATTERNS.items():
        match = pattern.search(head)
        if match:
            out[key] = match.group(1)
    return out


_LEAF_FIELDS: Final = (
    ("interface", lazy(r"interface name (\S+) already exists|ifname (\S+) is already exist")),
    ("plugin_type", lazy(r'failed to find plugin "([^"]+)"')),
    ("master", lazy(r'failed to lookup master "([^"]*)"')),
)


def leaf_fields(leaf: str) -> dict[str, str]:
    """What a leaf names by itself (the ifname that exists, the missing plugin binary)."""
    out: dict[str, str] = {}
    for key, pattern in _LEAF_FIELDS:
        match = pattern.search(leaf)
        if match:
            out[key] = next(g for g in match.groups() if g is not None)
    return out


_MULTUS_POD = r"(?P<namespace>[^/\]:\s]*)/(?P<pod>[^/\]:\s]+)(?:/(?P<pod_uid>[^/\]:\s]*))?"

RULES: Final[tuple[Rule, ...]] = (
    # L0 kubelet: events, pod worker, sandbox and runtime-service call sites (old and new texts)
    _r("kubelet", r"\(combined from similar events\): ", combined="true"),
    _r("kubelet", r"Failed (?:to )?create pod sandbox: ", op="add", event="FailedCreatePodSandBox"),
    _r("kubelet", r"error killing pod: ", op="del", event="FailedKillPod"),
    _r(
        "kubelet",
        r'Error syncing pod (?P<pod_uid>[0-9a-f-]+) \("(?P<target>[^"]*)"\), skipping: ',
        _target,
    ),
    _r("kubelet", r'Failed to create sandbox for pod "(?P<target>[^"]*)": ', _target, op="add"),
    _r("kubelet", r'[Cc]reatePodSandbox for pod "(?P<target>[^"]*)" failed: ', _target, op="add"),
    _r("kubelet", r"RunPodSandbox from runtime service failed: ", op="add"),
    _r("kubelet", r'StopPodSandbox (?:"' + _HEX + r'" )?from runtime service failed: ', op="del"),
    _r("kubelet", r"killPodWithSyncResult failed: ", op="del"),
    _r("kubelet", r"network is not ready: "),
    # L1 gRPC status
    _r("cri", r"rpc error:\s{1,8}code = (?P<grpc_code>\w+) desc = "),
    # L2 container runtimes
    _r(
        "runtime",
        r'failed to setup network for sandbox "' + _HEX + r'": ',
        runtime="containerd",
        op="add",
    ),
    _r(
        "runtime",
        r'failed to destroy network for sandbox "' + _HEX + r'": ',
        runtime="containerd",
        op="del",
    ),
    _r(
        "runtime",
        r"failed to (?P<opword>create|destroy) (?:pod )?network (?:for pod )?sandbox "
        r"k8s_(?P<pod>[^_\s]+)_(?P<namespace>[^_\s]+)_(?P<pod_uid>[^_\s]+)_(?P<attempt>\d+)\("
        + _HEX
        + r"\): ",
        _add_or_del("create"),
        runtime="crio",
    ),
    _r(
        "runtime",
        r"error adding pod (?P<ref>\S+) to CNI network " + _Q.format("network") + ": ",
        _pod_ref,
        runtime="crio",
        op="add",
        order="ns",
    ),
    _r(
        "runtime",
        r"error removing pod (?P<ref>\S+) from CNI network " + _Q.format("network") + ": ",
        _pod_ref,
        runtime="crio",
        op="del",
        order="ns",
    ),
    _r(
        "runtime",
        r'failed to (?P<opword>set up|clean up|teardown) sandbox container "(?P<sandbox_id>[0-9a-f]+)" '
        r'network for pod "(?P<pod>[^"]*)": ',
        _add_or_del("set up"),
        runtime="dockershim",
    ),
    _r(
        "runtime",
        r'[Nn]etworkPlugin cni failed to (?P<opword>set up|teardown) pod "(?P<ref>[^"]*)" network: ',
        _add_or_del("set up"),
        runtime="dockershim",
    ),
    _r("runtime", r"Error (?:while )?adding (?:to cni )?network: ", runtime="dockershim", op="add"),
    # L3/L7 libcni wrapper
    _r(
        "libcni",
        r'plugin type="(?P<plugin_type>[^"]*)"(?: name="(?P<plugin_name>[^"]*)")? failed '
        r"\((?P<opword>add|delete|check)\): ",
        _op_from_word,
    ),
    # L4 thick shim / daemon
    _r(
        "multus-shim",
        r"Cmd(?P<opword>Add|Del|Check|GC|Status) \(shim\): ",
        _op_from_word,
        function="shim",
    ),
    _r("multus-shim", r"failed to send CNI request: "),
    _r("multus-shim", r"CheckAPIReadyNow: Daemon not reachable over socketfile: "),
    _r(
        "multus-daemon",
        r"error configuring pod \[(?P<namespace>[^/\]]*)/(?P<pod>[^\]]*)\] networking: ",
        op="add",
    ),
    # L5 multus core (cmdPluginErr, cmdErr, stage messages; v3 texts without uid)
    _r(
        "multus",
        r"\["
        + _MULTUS_POD
        + r":(?P<attachment>[^\]]+)\]: error (?P<opword>adding|deleting) container "
        r"(?:to|from) network " + _Q.format("network") + ": ",
        _add_or_del("adding"),
    ),
    _r("multus", r"Multus: \[" + _MULTUS_POD + r"\]: "),
    _r("multus", r"\[" + _MULTUS_POD + r"\]: "),
    _r(
        "multus",
        r"Multus: (?:Err adding pod to network|error in invoke (?:Delegate|Conflist) add - ) ?"
        + _Q.format("network")
        + ": ",
        op="add",
    ),
    _r("multus", r"error adding container to network " + _Q.format("network") + ": ", op="add"),
    _r("multus", r"Multus: (?=[A-Z]?[a-z])"),
    _r("multus", r"Err [A-Za-z0-9 ]{1,60}: (?=\S)"),
    _r(
        "multus",
        r"(?:Err in loading K8s Delegates k8s args|Err in getting k8s network from pod"
        r"|Err in reading the delegates|error loading k8s delegates k8s args|error getting k8s client"
        r"|error getting pod|error waiting for pod|error setting the networks status"
        r"(?:, pod was already deleted)?|error setting network statuses"
        r"|failed to get clusterNetwork(?:/defaultNetworks)?|[Ff]ailed to get clusterNetwork/defaultNetworks"
        r"|error loading netconf|error saving the delegates|failed to get delegates"
        r"|error reading the delegates|error in getting k8s network for pod): ",
    ),
    # L6 multus function prefixes with their arguments
    _r(
        "multus-func",
        r"(?P<function>[Dd]elegateAdd): cannot set "
        + _Q.format("plugin_type")
        + r" interface name to "
        + _Q.format("interface")
        + ": ",
        op="add",
    ),
    _r(
        "multus-func",
        r"cannot set " + _Q.format("plugin_type") + r" ifname to " + _Q.format("interface") + ": ",
        op="add",
        function="delegateAdd",
    ),
    _r(
        "multus-func",
        r"(?P<function>[Dd]elegate(?:Del|Check)): error invoking (?:Conflist|Delegate)"
        r"(?P<opword>Del|Check) - " + _Q.format("network") + ": ",
        _op_from_word,
    ),
    _r(
        "multus-func",
        r"(?P<function>delegateAdd): error invoking (?:conflistAdd|DelegateAdd) - "
        + _Q.format("network")
        + ": ",
        op="add",
    ),
    _r(
        "multus-func",
        r"(?P<function>conflist(?P<opword>Add|Del|Check)): error in getting result from "
        r"\w+NetworkList: ",
        _op_from_word,
    ),
    _r(
        "multus-func",
        r"error in getting result from (?P<opword>Add|Del|Check)Network: ",
        _op_from_word,
    ),
    _r(
        "multus-func",
        r"(?P<function>" + _CAMEL + r"): (?:[a-z][^:\"\[\]]*: (?=" + _CAMEL + r": ))?",
    ),
    # L8 plugin / IPAM wrappers whose inner text is the cause
    _r("plugin", r'failed to lookup master "(?P<master>[^"]*)": '),
    _r("plugin", r"failed to (?:create|rename) (?P<plugin_type>macvlan|ipvlan|vlan)\b[^:]*: "),
    _r("plugin", r"netplugin failed: "),
    _r("ipam", r"failed to allocate for range (?P<range>\d+): ", plugin_type="host-local"),
    _r("ipam", r"[Ee]rror at storage engine: ", plugin_type="whereabouts"),
)
