"""Generators of node logs shaped like the ones real nodes write (for benchmarks and tests).

A real node journal is not one kubelet writing rising stamps: kubelet (or OpenShift's
kubenswrapper), crio, containerd, systemd, NetworkManager, the kernel, ovs and bootstrap scripts
interleave; several writers' ``err=<`` / ``output=<`` blocks cross; kubelet restarts with a new
pid and a startup banner; must-gathers concatenate nodes; ``journalctl -o short`` pads the day
with a zero (``Mar 01``) and rsyslog with a space (``Mar  1``). :func:`node_journal` writes such
a stream, :func:`klog_file` a bare kubelet log with glog preambles and restarts. Both take a
:class:`Shape` so a test can vary one dimension at a time; the content (pods, ids) is made up
with a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: (identifier, has a pid, share of the records) of a busy OpenShift worker's journal
IDENTS: tuple[tuple[str, bool, float], ...] = (
    ("kubenswrapper", True, 0.40),
    ("crio", True, 0.20),
    ("systemd", True, 0.08),
    ("NetworkManager", True, 0.07),
    ("kernel", False, 0.06),
    ("ovs-vswitchd", True, 0.05),
    ("conmon", True, 0.04),
    ("bootkube.sh", True, 0.03),
    ("podman", True, 0.03),
    ("kube-apiserver", True, 0.02),
    ("multus", True, 0.02),
)


@dataclass(frozen=True)
class Shape:
    """What varies in a generated journal (every default is a realistic middle)."""

    hosts: tuple[str, ...] = ("master-0.ocp.example.com",)
    idents: tuple[tuple[str, bool, float], ...] = IDENTS
    day_pad: str = "0"  # "0": journalctl (Mar 01); " ": rsyslog (Mar  1)
    precise: bool = False  # short-precise stamps (Mar 01 05:37:45.731611)
    start: datetime = field(default_factory=lambda: datetime(2026, 2, 27, 22, 0, tzinfo=UTC))
    step_s: float = 0.02  # mean gap between records
    blocks: float = 0.004  # share of records that open an err=< / output=< block
    restarts: int = 2  # kubelet restarts (new pid, banner) over the stream
    crossed_blocks: bool = True  # other writers' records inside a block
    #: the writer's own next record inside its block (a damaged stream: the block is cut)
    own_records_in_block: bool = False
    #: how block body lines are indented: klog's TAB, or the spaces a viewer expanded it to
    body_indent: str = "\t"


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _uid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Pods:
    def __init__(self, rng: random.Random, n: int = 60) -> None:
        ns = ("openshift-multus", "lab", "telco-cnf", "openshift-ovn-kubernetes", "monitoring")
        self.pods = [
            (ns[i % len(ns)], f"app{i}-{_hex(rng, 10)}-{_hex(rng, 5)}", _uid(rng), _hex(rng, 64))
            for i in range(n)
        ]
        self.rng = rng

    def pick(self) -> tuple[str, str, str, str]:
        return self.rng.choice(self.pods)


def _chain(ns: str, name: str, uid: str, sandbox: str, rng: random.Random) -> str:
    net = rng.choice(("macvlan-conf", "sriov-net-a", "vlan100"))
    return (
        f"rpc error: code = Unknown desc = failed to create pod network sandbox k8s_{name}_{ns}_"
        f'{uid}_0({sandbox}): error adding pod {ns}_{name} to CNI network "multus-cni-network": '
        f'plugin type="multus" name="multus-cni-network" failed (add): [{ns}/{name}/{uid}:{net}]: '
        f'error adding container to network "{net}": failed to create macvlan: device or resource busy'
    )


def _klog(rng: random.Random, pods: _Pods, when: datetime, pid: int) -> str:
    ns, name, uid, sandbox = pods.pick()
    ref = f'pod="{ns}/{name}"'
    head = f"{when:%m%d %H:%M:%S}.{when.microsecond:06d} {pid:>7}"
    r = rng.random()
    if r < 0.03:
        err = _chain(ns, name, uid, sandbox, rng)
        return f'E{head} pod_workers.go:1301] "Error syncing pod, skipping" err={_q(err)} {ref} podUID="{uid}"'
    if r < 0.06:
        err = _chain(ns, name, uid, sandbox, rng)
        return f'E{head} kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err={_q(err)} {ref}'
    if r < 0.25:
        return f'I{head} prober.go:107] "Probe failed" probeType="Readiness" {ref} podUID="{uid}" containerName="app" probeResult="failure" output="HTTP probe failed with statuscode: 503"'
    if r < 0.35:
        return f'I{head} kubelet.go:2453] "SyncLoop (PLEG): event for pod" {ref} event={{"ID":"{uid}","Type":"ContainerStarted","Data":"{sandbox}"}}'
    if r < 0.42:
        return (
            f'I{head} util.go:30] "No sandbox for pod can be found. Need to start a new one" {ref}'
        )
    if r < 0.55:
        vol = f"kube-api-access-{_hex(rng, 5)}"
        text = f'operationExecutor.MountVolume started for volume "{vol}" (UniqueName: "kubernetes.io/projected/{uid}-{vol}") pod "{name}" (UID: "{uid}") '
        return f"I{head} reconciler_common.go:231] {_q(text)} {ref}"
    if r < 0.65:
        return f'I{head} kubelet.go:2424] "SyncLoop UPDATE" source="api" pods=["{ns}/{name}"]'
    if r < 0.72:
        return f'W{head} reflector.go:539] k8s.io/client-go/informers/factory.go:159: watch of *v1.Pod ended with: an error on the server ("unable to decode an event from the watch stream: http2: client connection lost") has prevented the request from succeeding'
    if r < 0.80:
        return f'I{head} scope.go:117] "RemoveContainer" containerID="{_hex(rng, 64)}"'
    if r < 0.90:
        return f'I{head} kubelet_getters.go:187] "Pod status updated" pod="{ns}/{name}" status="Running"'
    return f'I{head} kubelet_volumes.go:163] "Cleaned up orphaned pod volumes dir" podUID="{uid}" path="/var/lib/kubelet/pods/{uid}/volumes"'


def _other(ident: str, rng: random.Random, pods: _Pods, when: datetime) -> str:
    ns, name, uid, sandbox = pods.pick()
    if ident == "crio":
        stamp = f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond:06d}{rng.randrange(1000):03d}Z"
        what = rng.choice(
            (
                f'msg="Running pod sandbox: {ns}/{name}/POD" id={_hex(rng, 36)} name=/runtime.v1.RuntimeService/RunPodSandbox',
                f'msg="Got pod network &{{Name:{name} Namespace:{ns} ID:{sandbox} UID:{uid}}}"',
                f'msg="Checking image status: quay.io/openshift/app@sha256:{_hex(rng, 64)}" id={_hex(rng, 36)}',
            )
        )
        return f'time="{stamp}" level=info {what}'
    if ident == "systemd":
        return rng.choice(
            (
                f"Started crio-conmon-{sandbox}.scope.",
                f"crio-{sandbox}.scope: Deactivated successfully.",
                "Started libcontainer container " + sandbox + ".",
                f"var-lib-containers-storage-overlay-{_hex(rng, 64)}-merged.mount: Deactivated successfully.",
            )
        )
    if ident == "NetworkManager":
        return (
            f"<info>  [{when.timestamp():.4f}] device (veth{_hex(rng, 7)}): carrier: link connected"
        )
    if ident == "kernel":
        return rng.choice(
            (
                f"IPv6: ADDRCONF(NETDEV_CHANGE): {sandbox[:15]}: link becomes ready",
                f"device {sandbox[:15]} entered promiscuous mode",
                f"br-ex: port 3({sandbox[:15]}) entered forwarding state",
            )
        )
    if ident == "ovs-vswitchd":
        return f"ovs|{rng.randrange(99999):05d}|bridge|INFO|bridge br-int: added interface {sandbox[:15]} on port {rng.randrange(300)}"
    if ident == "conmon":
        return f"conmon {sandbox[:20]} <ninfo>: container PID: {rng.randrange(2000, 90000)}"
    if ident == "bootkube.sh":
        return rng.choice(
            (
                "Waiting for etcd cluster...",
                "Rendering Kubernetes API server core manifests...",
                "Skipping cluster-bootstrap: Sending bootstrap-success event.",
            )
        )
    if ident == "podman":
        return f"{when:%Y-%m-%d %H:%M:%S}.{when.microsecond:06d} +0000 UTC m=+{rng.random() * 99:.6f} container died {sandbox} (image=quay.io/openshift/release, name={name})"
    if ident == "kube-apiserver":
        head = f"{when:%m%d %H:%M:%S}.{when.microsecond:06d} {rng.randrange(100, 999):>7}"
        return f'I{head} cacher.go:460] "Terminating all watchers from cacher" resource="pods"'
    if ident == "multus":
        stamp = f"{when:%Y-%m-%dT%H:%M:%S}Z"
        return f'{stamp} [verbose] Add: {ns}:{name}:{uid}:{ns}/macvlan-conf(macvlan-conf):net1 {{"cniVersion":"0.3.1"}}'
    return "unit message"


def _prefix(shape: Shape, when: datetime, host: str, ident: str, pid: int | None) -> str:
    day = f"{when.day:>2}".replace(" ", shape.day_pad) if shape.day_pad != " " else f"{when.day:>2}"
    clock = f"{when:%H:%M:%S}" + (f".{when.microsecond:06d}" if shape.precise else "")
    tag = ident if pid is None else f"{ident}[{pid}]"
    return f"{MONTHS[when.month - 1]} {day} {clock} {host} {tag}: "


def node_journal(n_lines: int, rng: random.Random, shape: Shape = Shape()) -> Iterator[str]:
    """Lines (without newlines) of a journal shaped as ``shape`` says, at least ``n_lines``."""
    pods = _Pods(rng)
    names = [i[0] for i in shape.idents]
    weights = [i[2] for i in shape.idents]
    has_pid = {i[0]: i[1] for i in shape.idents}
    pids = {(h, ident): rng.randrange(800, 9000) for h in shape.hosts for ident in names}
    when = shape.start
    restart_every = n_lines // (shape.restarts + 1) if shape.restarts else n_lines + 1
    written = 0
    open_blocks: dict[str, list[str]] = {}  # the tail of each writer's open block
    while written < n_lines:
        when += timedelta(seconds=rng.expovariate(1 / shape.step_s))
        host = rng.choice(shape.hosts)
        if shape.restarts and written and written % restart_every == 0:
            for h in shape.hosts:
                pids[(h, "kubenswrapper")] = rng.randrange(800, 9000)
                yield _prefix(shape, when, h, "systemd", 1) + "Stopped Kubernetes Kubelet."
                yield _prefix(shape, when, h, "systemd", 1) + "Starting Kubernetes Kubelet..."
                pid = pids[(h, "kubenswrapper")]
                pre = _prefix(shape, when, h, "kubenswrapper", pid)
                yield pre + "Flag --container-runtime has been deprecated, will be removed in 1.27"
                head = f"{when:%m%d %H:%M:%S}.{when.microsecond:06d} {pid:>7}"
                yield (
                    pre
                    + f'I{head} server.go:467] "Kubelet version" kubeletVersion="v1.27.6+f67aeb3"'
                )
                written += 4
        ident = rng.choices(names, weights)[0]
        pid = pids[(host, ident)] if has_pid[ident] else None
        pre = _prefix(shape, when, host, ident, pid)
        own_tail = (
            open_blocks.pop(f"{host} {ident}", None) if not shape.own_records_in_block else None
        )
        if own_tail is not None:  # a writer's block lines come before its next record
            yield from own_tail
            written += len(own_tail)
        if open_blocks and rng.random() < 0.5:
            tail = open_blocks.pop(next(iter(open_blocks)))
            yield from tail
            written += len(tail)
        if ident in ("kubenswrapper", "kubelet") and rng.random() < shape.blocks:
            ns, name, uid, sandbox = pods.pick()
            head = f"{when:%m%d %H:%M:%S}.{when.microsecond:06d} {pid:>7}"
            key = rng.choice(("err", "output"))
            yield (
                pre
                + f'E{head} kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" {key}=<'
            )
            yield pre + shape.body_indent + _chain(ns, name, uid, sandbox, rng)
            tail = [
                pre + shape.body_indent + '\': StdinData: {"cniVersion":"0.3.1"}',
                pre[:-1] + f'  > pod="{ns}/{name}"',
            ]
            written += 2
            if shape.crossed_blocks:
                open_blocks[f"{host} {ident}"] = tail
            else:
                yield from tail
                written += 2
            continue
        if ident in ("kubenswrapper", "kubelet"):
            yield pre + _klog(rng, pods, when, pid or 0)
        else:
            yield pre + _other(ident, rng, pods, when)
        written += 1
    for tail in open_blocks.values():
        yield from tail


def klog_file(
    n_lines: int, rng: random.Random, restarts: int = 2, glog: bool = True
) -> Iterator[str]:
    """A bare kubelet log (``/var/log/kubelet.log`` or glog's ``kubelet.INFO``) with restarts.

    Each restart starts a new pid; with ``glog`` each start writes the four-line preamble.
    """
    pods = _Pods(rng)
    when = datetime(2026, 2, 27, 22, 0, tzinfo=UTC)
    per_run = n_lines // (restarts + 1) + 1
    written = 0
    while written < n_lines:
        pid = rng.randrange(800, 9000)
        if glog:
            yield f"Log file created at: {when:%Y/%m/%d %H:%M:%S}"
            yield "Running on machine: win-node-1"
            yield "Binary: Built with gc go1.20.10 for windows/amd64"
            yield "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg"
            written += 4
        for _ in range(per_run):
            when += timedelta(seconds=rng.expovariate(50))
            yield _klog(rng, pods, when, pid)
            written += 1
            if written >= n_lines:
                break
