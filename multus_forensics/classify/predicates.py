"""Named context predicates: the logic a rule's data cannot express, referenced by name.

Each predicate answers one question about a hit in its context and returns the events that
prove it (an empty list or ``False`` means "no"); those events join the finding's evidence, so
a context claim ("the default network was re-added through multus") is as traceable as the
matched error line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import regex

if TYPE_CHECKING:
    from multus_forensics.classify.catalog import Rule
    from multus_forensics.classify.context import Context, EventView


@dataclass(frozen=True)
class Hit:
    """One rule pattern matching one event."""

    rule: Rule
    view: EventView
    match: regex.Match[str]


Outcome = bool | list["EventView"]
Predicate = Callable[["Context", Hit], Outcome]

#: CNI config names of the usual cluster-default networks (the primary CNI, not a NAD)
PRIMARY_NETWORKS: Final = frozenset(
    {
        "cbr0",
        "flannel",
        "flannel.1",
        "k8s-pod-network",
        "cilium",
        "cilium-cni",
        "ovn-kubernetes",
        "weave",
        "kindnet",
        "antrea",
        "canal",
        "calico",
        "default-cni-network",
        "kube-ovn",
    }
)
#: the config name multus gives itself; re-entry through it is the self-delegation tell-tale
MULTUS_NETWORKS: Final = frozenset({"multus-cni-network"})

_NESTED: Final = regex.compile(
    r'error adding container to network "[^"]{1,253}": \[[^\]\s]{1,300}:[^\]\s]{1,253}\]: '
    r"error adding container to network"
)
_DELETION: Final = regex.compile(r"\bseconds? after deletion\b|deletionTimestamp|being deleted")
_RESTART: Final = regex.compile(
    r"caught terminated|OOMKilled|Delete old config @|Evicted|multus daemon (?:is )?(?:start|restart)"
)


def _reentries(ctx: Context) -> list[list[EventView]]:
    """Add sequences where the default interface comes back through multus in one attempt.

    Within one pod's ordered ``Add <if> [<ips>] from <net>`` events: an interface added again
    after *another* interface was added in between, where the second add comes from a
    non-namespaced network that differs from the first (``multus-cni-network``), or, for old
    multus that names no network, repeats the very same addresses. Plain retries (eth0 again with a new
    address and nothing in between) are churn, not re-entry. When that finds nothing, the
    timeline's ``self_delegation_reentry`` anomalies (Add rows joined to attempts across
    sources) are used.
    """
    if "reentries" in ctx.cache:
        return list(ctx.cache["reentries"])
    found: list[list[EventView]] = []
    for views in ctx.by_pod(ctx.added).values():
        for j, later in enumerate(views):
            assert later.added is not None
            if_b, ips_b, net_b = later.added
            for i in range(j - 1, -1, -1):
                first = views[i]
                assert first.added is not None
                if_a, ips_a, net_a = first.added
                if if_a != if_b:
                    continue
                between = views[i + 1 : j]
                if not between:
                    break
                t_a, t_b = first.event.time, later.event.time
                if t_a is not None and t_b is not None and abs((t_b - t_a).total_seconds()) > 5:
                    break
                via_multus = (
                    net_b is not None
                    and net_b != net_a
                    and "/" not in net_b
                    and (net_b in MULTUS_NETWORKS or net_a is None or "/" not in net_a)
                )
                # old multus names no network: only the very same addresses betray the re-entry
                same_ips = net_a is None and net_b is None and bool(ips_a) and ips_a == ips_b
                if via_multus or same_ips:
                    found.append([first, *between, later])
                break
    if not found and ctx.added:
        # the timeline joins Add rows to attempts across sources; costly, so only when needed
        found = ctx.anomalies("self_delegation_reentry")
    ctx.cache["reentries"] = found
    return found


def self_delegation_reentry(ctx: Context, hit: Hit) -> Outcome:
    """The pod's default interface was re-added through multus after its secondaries."""
    pod = hit.view.pod
    for seq in _reentries(ctx):
        pods = {v.pod for v in seq}
        if pod is None or None in pods or pod in pods or pod.split("/")[-1] in pods:
            return seq
    return False


def is_reentry_add(ctx: Context, hit: Hit) -> Outcome:
    """This ``Add`` event is the re-entry itself (the default interface coming back via multus)."""
    for seq in _reentries(ctx):
        if seq[-1] is hit.view:
            return seq
    return False


def nested_multus_delegate(ctx: Context, hit: Hit) -> Outcome:
    """One delegate's error wraps another multus per-delegate error: multus ran inside multus."""
    return any(_NESTED.search(t) for t in hit.view.texts)


def failing_ifname_is_default(ctx: Context, hit: Hit) -> Outcome:
    """The name that collides is the default interface (eth0).

    Under self-delegation the inner multus owns eth0 and the outer one collides on the first
    *secondary* name (net1...), so a collision on eth0 points at a duplicate request instead.
    """
    named = hit.match.groupdict().get("interface") if hit.match.re.groupindex else None
    return (named or hit.view.interface) == "eth0"


def teardown(ctx: Context, hit: Hit) -> Outcome:
    """The failing operation is a DEL / sandbox teardown."""
    return hit.view.op == "del"


def setup(ctx: Context, hit: Hit) -> Outcome:
    """The failing operation is an ADD / sandbox creation."""
    return hit.view.op == "add"


def teardown_only(ctx: Context, hit: Hit) -> Outcome:
    """Every error of this signature in the input is on teardown, none on setup."""

    def compute() -> bool:
        same = [v for v in ctx.errors if any(hit.rule.first_match(t) for t in v.texts)]
        return bool(same) and all(v.op == "del" for v in same)

    return bool(ctx.memo(f"teardown_only:{hit.rule.id}", compute))


def teardown_failures(ctx: Context, hit: Hit) -> Outcome:
    """Some DEL / teardown failed in the input (IPs a failed DEL holds are never released)."""
    dels: list[EventView] = ctx.memo(
        "teardown_failures", lambda: [v for v in ctx.errors if v.op == "del"]
    )
    return [v for v in dels if v is not hit.view]


def pod_deleted_before(ctx: Context, hit: Hit) -> Outcome:
    """The pod was being deleted when the error happened."""
    marked: list[EventView] = ctx.memo(
        "deletion", lambda: [v for v in ctx.views if any(_DELETION.search(t) for t in v.texts)]
    )
    killing: list[EventView] = ctx.memo(
        "killing", lambda: [v for v in ctx.views if v.event.kind == "kubelet:pod:killing"]
    )
    return marked + [v for v in killing if v.pod == hit.view.pod]


def default_network_delegate(ctx: Context, hit: Hit) -> Outcome:
    """The failing delegate is the cluster-default network, not a secondary attachment."""
    v = hit.view
    if v.network and (
        v.network in PRIMARY_NETWORKS or v.network.split("/")[-1] in PRIMARY_NETWORKS
    ):
        return True
    defaults: set[str | None] = ctx.memo(
        "default_networks",
        lambda: {a.added[2] for a in ctx.added if a.added and a.added[0] == "eth0"} - {None},
    )
    return bool(v.network) and v.network in defaults - MULTUS_NETWORKS


def secondary_attachment(ctx: Context, hit: Hit) -> Outcome:
    """The failing delegate is a secondary attachment (a NAD, not eth0 of the primary CNI)."""
    v = hit.view
    if not v.network or v.network in MULTUS_NETWORKS:
        return False
    return not default_network_delegate(ctx, hit) and v.interface != "eth0"


def multus_restarted(ctx: Context, hit: Hit) -> Outcome:
    """Multus (daemon or entrypoint) stopped, was evicted or OOM-killed in the input."""
    found: list[EventView] = ctx.memo(
        "multus_restarted",
        lambda: [
            v
            for v in ctx.views
            if v.event.kind in ("multus:daemon:stop", "multus:daemon:start")
            or any(_RESTART.search(t) for t in v.texts)
        ],
    )
    return found


PREDICATES: Final[dict[str, Predicate]] = {
    "self_delegation_reentry": self_delegation_reentry,
    "is_reentry_add": is_reentry_add,
    "nested_multus_delegate": nested_multus_delegate,
    "failing_ifname_is_default": failing_ifname_is_default,
    "teardown": teardown,
    "setup": setup,
    "teardown_only": teardown_only,
    "teardown_failures": teardown_failures,
    "pod_deleted_before": pod_deleted_before,
    "default_network_delegate": default_network_delegate,
    "secondary_attachment": secondary_attachment,
    "multus_restarted": multus_restarted,
}
