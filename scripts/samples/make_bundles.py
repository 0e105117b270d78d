"""Generate the compressed and archived sample bundles (run from anywhere; output beside this file).

    python scripts/samples/make_bundles.py

Everything is made up for this project and follows the seed case of ``sample_logs/README.md``
(pod ``lab/probe-6d8f9c7b54-qwz4n`` failing three times with ``validateIfName: interface name
net1 already exists``, healthy pod ``lab/web-7c9d8b6f5-h2kxm``). Outputs are deterministic
(fixed gzip header and tar member mtimes, owner and order) so that re-running the script changes
nothing; tests compare the committed files with :data:`ROTATED`, :data:`MUST_GATHER` and
:data:`SOSREPORT` member by member.

* ``rotated/``: a node's ``/var/log`` with rotated sets: klog ``kubelet.log``, ``.1``, ``.2.gz``
  (numbered), Multus ``multus.log`` with a lumberjack backup, containerd with a logrotate
  ``-YYYYMMDD`` backup. The kubelet lines have no year; the Multus/containerd ones do.
* ``must-gather.tar.gz``: an ``oc adm must-gather``-like tree: ``kubelet_service.log`` that
  interleaves two nodes, a Multus pod's ``current.log`` (``oc logs --timestamps`` lines), and a
  gzipped kubelet log under ``nodes/<node>/``.
* ``sosreport-edge-node-2-2026-03-11-xkqpwz.tar.xz``: a ``sos report``-like tree with its
  ``hostname`` file, the journal, ``/var/log/messages`` and a CRI container log.
"""

from __future__ import annotations

import gzip
import io
import lzma
import tarfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent.parent / "sample_logs" / "bundles"
STAMP = int(datetime(2026, 3, 11, 14, 0, tzinfo=UTC).timestamp())

NS, POD, UID = "lab", "probe-6d8f9c7b54-qwz4n", "7ad2f92f-2377-4b79-8201-15fd0290181a"
WEB, WEB_UID = "web-7c9d8b6f5-h2kxm", "3f2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
WEB_SANDBOX = "c0ffee00" * 8
ATTEMPTS = [  # (second of 13:02, sandbox id, eth0 address)
    (5, "2ac6ef42aca501bb0e450866ad8eb29184026696b4efad83edf9f455811473b7", "10.244.3.41/24"),
    (19, "5b1f0c3e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c", "10.244.3.42/24"),
    (41, "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d", "10.244.3.43/24"),
]
LEAF = (
    f"[{NS}/{POD}/{UID}:macvlan-conf]: error adding container to network "
    '"macvlan-conf": DelegateAdd: cannot set "macvlan" interface name to "net1": '
    "validateIfName: interface name net1 already exists"
)


def _q(text: str) -> str:
    """Go %q of a string without newlines (what klog does to err= values)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def klog_attempt(sec: int, sandbox: str, pid: int = 2231) -> list[str]:
    err = (
        f'rpc error: code = Unknown desc = failed to setup network for sandbox "{sandbox}": '
        f'plugin type="multus" name="multus-cni-network" failed (add): {LEAF}'
    )
    start = f"0311 13:02:{sec:02d}"
    fail = f"0311 13:02:{sec + 2:02d}"
    return [
        f'I{start}.102934    {pid} util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="{NS}/{POD}"',
        f'E{fail}.418552    {pid} remote_runtime.go:193] "RunPodSandbox from runtime service failed" err={_q(err)}',
        f'E{fail}.418601    {pid} kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err={_q(err)} pod="{NS}/{POD}"',
    ]


def klog_healthy(pid: int = 2231) -> list[str]:
    event = f'{{"ID":"{WEB_UID}","Type":"ContainerStarted","Data":"{WEB_SANDBOX}"}}'
    return [
        f'I0311 13:01:50.102934    {pid} util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="{NS}/{WEB}"',
        f'I0311 13:01:52.210007    {pid} kubelet.go:2421] "SyncLoop (PLEG): event for pod" pod="{NS}/{WEB}" event={event}',
    ]


def _add(net: str, conf: str, ifname: str, addr: str, uid: str = UID, pod: str = POD) -> str:
    result = f'{{"cniVersion":"0.3.1","interfaces":[{{"name":"{ifname}"}}],"ips":[{{"version":"4","address":"{addr}"}}],"dns":{{}}}}'
    return f"Add: {NS}:{pod}:{uid}:{net}({conf}):{ifname} {result}"


def multus_attempt(sec: int, addr: str) -> list[str]:
    t = f"2026-03-11T13:02:{sec + 1:02d}Z"
    return [
        f"{t} [verbose] {_add('cbr0', 'cbr0', 'eth0', addr)}",
        f"{t} [verbose] {_add('lab/macvlan-conf', 'macvlan-conf', 'net1', '192.0.2.40/24')}",
        f"{t} [verbose] {_add('multus-cni-network', 'multus-cni-network', 'eth0', addr)}",
        f"{t} [error] {LEAF}",
    ]


def containerd_attempt(sec: int, sandbox: str) -> list[str]:
    meta = f"&PodSandboxMetadata{{Name:{POD},Uid:{UID},Namespace:{NS},Attempt:0,}}"
    err = f'failed to setup network for sandbox \\"{sandbox}\\": plugin type=\\"multus\\" name=\\"multus-cni-network\\" failed (add): {LEAF.replace(chr(34), chr(92) + chr(34))}'
    return [
        f'time="2026-03-11T13:02:{sec:02d}.118204331Z" level=info msg="RunPodSandbox for {meta}"',
        f'time="2026-03-11T13:02:{sec + 2:02d}.417118093Z" level=error msg="RunPodSandbox for {meta} failed" error="{err}"',
    ]


def _lines(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=STAMP)


(s1, id1, a1), (s2, id2, a2), (s3, id3, a3) = ATTEMPTS

#: rotated/<name> -> bytes as written (".gz" names are gzipped with a fixed header mtime)
ROTATED: dict[str, bytes] = {
    "kubelet.log.2.gz": _lines(klog_healthy()),
    "kubelet.log.1": _lines(klog_attempt(s1, id1)),
    "kubelet.log": _lines(klog_attempt(s2, id2) + klog_attempt(s3, id3)),
    "multus-2026-03-11T13-02-10.000.log.gz": _lines(
        [
            f"2026-03-11T13:01:51Z [verbose] {_add('cbr0', 'cbr0', 'eth0', '10.244.3.40/24', WEB_UID, WEB)}",
            *multus_attempt(s1, a1),
        ]
    ),
    "multus.log": _lines(multus_attempt(s2, a2) + multus_attempt(s3, a3)),
    "containerd.log-20260311.gz": _lines(containerd_attempt(s1, id1)),
    "containerd.log": _lines(containerd_attempt(s2, id2) + containerd_attempt(s3, id3)),
}

MG = "must-gather.local.5550123/quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-9a8b7c6d"


def _journal(host: str, ident: str, pid: int, klog: list[str]) -> list[str]:
    return [f"Mar 11 {line[6:14]} {host} {ident}[{pid}]: {line}" for line in klog]


MASTER0 = [
    f'I0311 13:02:04.871120    1877 kubelet.go:2421] "SyncLoop (PLEG): event for pod" pod="{NS}/{WEB}" event={{"ID":"{WEB_UID}","Type":"ContainerStarted","Data":"{WEB_SANDBOX}"}}',
    'I0311 13:02:06.001122    1877 kubelet_pods.go:1090] "Clean up pod workers for terminated pods"',
    'I0311 13:02:09.310045    1877 kubelet_getters.go:187] "Pod status updated" pod="openshift-etcd/etcd-master-0" status="Running"',
]

#: member name -> text (``.gz`` members are gzipped inside the tar)
MUST_GATHER: dict[str, bytes] = {
    f"{MG}/host_service_logs/masters/kubelet_service.log": _lines(
        sorted(
            _journal("master-1", "kubenswrapper", 2231, klog_attempt(s1, id1))
            + _journal("master-0", "kubenswrapper", 1877, MASTER0),
            key=lambda line: line[:15],
        )
    ),
    f"{MG}/namespaces/openshift-multus/pods/multus-x7k2p/kube-multus/kube-multus/logs/current.log": _lines(
        [
            f"2026-03-11T13:02:{s1 + 1:02d}.{i:09d}Z {line}"
            for i, line in enumerate(multus_attempt(s1, a1))
        ]
    ),
    f"{MG}/nodes/worker-3/kubelet.log.gz": _lines(klog_attempt(s2, id2, 4410)),
}

SOS = "sosreport-edge-node-2-2026-03-11-xkqpwz"
MULTUS_POD_DIR = "kube-system_kube-multus-ds-9qv2c_0d4c1b2a-3e5f-4a6b-9c8d-7e6f5a4b3c2d"

SOSREPORT: dict[str, bytes] = {
    f"{SOS}/hostname": b"edge-node-2\n",
    f"{SOS}/sos_commands/logs/journalctl_--no-pager": _lines(
        _journal("edge-node-2", "kubelet", 2231, klog_attempt(s3, id3))
    ),
    f"{SOS}/var/log/messages": _lines(_journal("edge-node-2", "kubelet", 2231, klog_healthy())),
    f"{SOS}/var/log/pods/{MULTUS_POD_DIR}/kube-multus/0.log": _lines(
        [
            f"2026-03-11T13:02:{s3 + 1:02d}.{i:09d}Z stderr F {line}"
            for i, line in enumerate(multus_attempt(s3, a3))
        ]
    ),
}


def _tar(members: dict[str, bytes], compress: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data in members.items():
            body = _gz(data) if name.endswith(".gz") else data
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(body), STAMP, 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            tf.addfile(ti, io.BytesIO(body))
    raw = buf.getvalue()
    return _gz(raw) if compress == "gz" else lzma.compress(raw, preset=6)


def main() -> None:
    rotated = HERE / "rotated"
    rotated.mkdir(exist_ok=True)
    for name, data in ROTATED.items():
        (rotated / name).write_bytes(_gz(data) if name.endswith(".gz") else data)
    (HERE / "must-gather.tar.gz").write_bytes(_tar(MUST_GATHER, "gz"))
    (HERE / f"{SOS}.tar.xz").write_bytes(_tar(SOSREPORT, "xz"))


if __name__ == "__main__":
    main()
