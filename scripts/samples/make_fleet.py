"""Generate a made-up fleet: one ``sos report``-like archive per node, many pods, several causes.

    python scripts/samples/make_fleet.py OUT_DIR [--nodes 6] [--pods 14] [--seed 7]

or, from Python (what ``notebooks/03_batch_archive.ipynb`` does in a temp dir)::

    make_fleet = runpy.run_path("scripts/samples/make_fleet.py")["make_fleet"]
    archives = make_fleet(tmp_dir)

Nothing is committed but this script: the archives are deterministic for a given seed. Each
``sosreport-<node>-2026-03-11-<tag>.tar.gz`` holds the ``hostname`` file, the node's containerd
log (logrus text) and the thin Multus plugin's ``logFile`` at verbose level, between 00:00 and
06:00 UTC on 2026-03-11. Nodes have their own trouble, with an onset time:

* ``fleet-worker-1``, ``fleet-worker-2``: healthy (worker-2 also self-delegates from 04:30).
* ``fleet-worker-3``: Multus restarted at 01:40 and regenerated a self-delegating 00-multus.conf:
  every multi-network pod fails with the eth0 → net1 → eth0-from-multus-cni-network triplet.
* ``fleet-worker-4``: the macvlan master ``ens1f0`` does not exist on this node.
* ``fleet-worker-5``: the ``vlan200`` host-local range is exhausted from 03:00.
* ``fleet-worker-6``: Multus' service-account token is rejected (Unauthorized) from 02:15.

Further nodes (``--nodes`` > 6) repeat the pattern. Formats follow FORMATS.md §3.1, §3.3, §4.1.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import tarfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

DAY = datetime(2026, 3, 11, tzinfo=UTC)
HOURS = 6
APPS = ("probe", "cache", "router", "dpdk-gw", "collector", "ingest", "relay", "ntp-edge")
NAMESPACES = ("lab", "edge", "media")
MULTUS_CONF = "multus-cni-network"


@dataclass(frozen=True)
class Trouble:
    """What goes wrong on a node from ``onset`` on (``None``: nothing)."""

    kind: str | None
    onset: timedelta = timedelta(0)


TROUBLES = (
    Trouble(None),
    Trouble("self-delegation", timedelta(hours=4, minutes=30)),
    Trouble("self-delegation", timedelta(hours=1, minutes=40)),
    Trouble("master-missing"),
    Trouble("pool-exhausted", timedelta(hours=3)),
    Trouble("unauthorized", timedelta(hours=2, minutes=15)),
)


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}" + "123Z"


def _q(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class _Node:
    """Writes one node's containerd and Multus lines for the pods scheduled on it."""

    def __init__(self, name: str, trouble: Trouble, rng: random.Random) -> None:
        self.name, self.trouble, self.rng = name, trouble, rng
        self.containerd: list[tuple[datetime, str]] = []
        self.multus: list[tuple[datetime, str]] = []
        self.ip = 10

    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def _result(self, ifname: str, netns: str, address: str) -> str:
        mac = ":".join(
            (self.rng.choice(("0a", "4a", "6e", "be")), *(self._hex(2) for _ in range(5)))
        )
        return (
            f'{{"cniVersion":"0.3.1","interfaces":[{{"name":"{ifname}","mac":"{mac}",'
            f'"sandbox":"{netns}"}}],"ips":[{{"version":"4","interface":0,"address":"{address}"}}],'
            '"dns":{}}'
        )

    def _add(
        self, t: datetime, pod: tuple[str, str, str], net: str, ifname: str, netns: str
    ) -> None:
        ns, name, uid = pod
        conf = net.split("/")[-1]
        if ifname == "eth0":
            self.ip += 1
            address = f"10.244.{7 + len(self.name) % 5}.{self.ip % 250 + 2}/24"
        else:
            address = f"192.0.2.{self.rng.randrange(20, 200)}/24"
        result = self._result(ifname, netns, address)
        self.multus.append(
            (
                t,
                f"{t:%Y-%m-%dT%H:%M:%SZ} [verbose] Add: {ns}:{name}:{uid}:{net}({conf}):{ifname} {result}",
            )
        )

    def pod(self, start: datetime, pod: tuple[str, str, str], secondary: str | None) -> None:
        """One pod: sandbox attempts with back-off until one succeeds or the node gives up."""
        failing = self.trouble.kind is not None and start - DAY >= self.trouble.onset
        if self.trouble.kind == "unauthorized" or secondary is None:
            failing = failing and self.trouble.kind == "unauthorized"
        if self.trouble.kind == "pool-exhausted" and secondary != "lab/vlan200":
            failing = False
        attempts = self.rng.randint(3, 6) if failing else 1
        t = start
        for n in range(attempts):
            self._attempt(t, pod, secondary, n, failing)
            t += timedelta(seconds=min(10 * 2**n, 300) + self.rng.uniform(0.5, 3.0))

    def _attempt(
        self, t: datetime, pod: tuple[str, str, str], secondary: str | None, n: int, failing: bool
    ) -> None:
        ns, name, uid = pod
        sandbox = self._hex(64)
        netns = f"/var/run/netns/cni-{uuid.UUID(int=self.rng.getrandbits(128))}"
        meta = f"&PodSandboxMetadata{{Name:{name},Uid:{uid},Namespace:{ns},Attempt:{n},}}"
        self.containerd.append((t, f'time="{_stamp(t)}" level=info msg="RunPodSandbox for {meta}"'))
        t_add = t + timedelta(seconds=self.rng.uniform(0.8, 2.0))
        kind = self.trouble.kind if failing else None
        if kind != "unauthorized":
            self._add(t_add, pod, "cbr0", "eth0", netns)
        error = None
        conf = secondary.split("/")[-1] if secondary else None
        prefix = f'[{ns}/{name}/{uid}:{conf}]: error adding container to network "{conf}": '
        if kind == "self-delegation":
            self._add(t_add, pod, secondary or "", "net1", netns)
            self._add(t_add, pod, MULTUS_CONF, "eth0", netns)
            error = (
                prefix + 'DelegateAdd: cannot set "macvlan" interface name to "net1": '
                "validateIfName: interface name net1 already exists"
            )
        elif kind == "master-missing":
            error = prefix + 'failed to lookup master "ens1f0": Link not found'
        elif kind == "pool-exhausted":
            error = prefix + (
                "failed to allocate for range 0: no IP addresses available in range set: "
                "192.0.2.10-192.0.2.13"
            )
        elif kind == "unauthorized":
            error = f"Multus: [{ns}/{name}/{uid}]: error waiting for pod: Unauthorized"
        elif secondary:
            self._add(t_add, pod, secondary, "net1", netns)
        t_end = t_add + timedelta(seconds=self.rng.uniform(0.1, 0.6))
        if error is None:
            self.containerd.append(
                (
                    t_end,
                    f'time="{_stamp(t_end)}" level=info msg="RunPodSandbox for {meta} returns sandbox id \\"{sandbox}\\""',
                )
            )
            return
        self.multus.append((t_add, f"{t_add:%Y-%m-%dT%H:%M:%SZ} [error] {error}"))
        full = (
            f'failed to setup network for sandbox "{sandbox}": plugin type="multus" '
            f'name="{MULTUS_CONF}" failed (add): {error}'
        )
        self.containerd.append(
            (
                t_end,
                f'time="{_stamp(t_end)}" level=error msg="RunPodSandbox for {meta} failed, error" error="{_q(full)}"',
            )
        )
        for i, msg in enumerate(
            (
                f'StopPodSandbox for \\"{sandbox}\\"',
                f'TearDown network for sandbox \\"{sandbox}\\" successfully',
                f'StopPodSandbox for \\"{sandbox}\\" returns successfully',
            )
        ):
            ts = t_end + timedelta(milliseconds=200 + 40 * i)
            self.containerd.append((ts, f'time="{_stamp(ts)}" level=info msg="{msg}"'))

    def archive(self, out: Path) -> Path:
        """Write ``sosreport-<node>-2026-03-11-<tag>.tar.gz`` (fixed mtimes: reproducible)."""
        root = f"sosreport-{self.name}-2026-03-11-{self._hex(6)}"
        members = {
            "hostname": self.name + "\n",
            "var/log/containerd.log": "".join(line + "\n" for _, line in sorted(self.containerd)),
            "var/log/multus.log": "".join(line + "\n" for _, line in sorted(self.multus)),
        }
        path = out / f"{root}.tar.gz"
        mtime = int((DAY + timedelta(hours=7)).timestamp())
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=mtime) as gz,
            tarfile.open(fileobj=gz, mode="w") as tar,
        ):
            for rel, text in members.items():
                data = text.encode()
                info = tarfile.TarInfo(f"{root}/{rel}")
                info.size, info.mtime, info.mode = len(data), mtime, 0o644
                tar.addfile(info, io.BytesIO(data))
        return path


def make_fleet(out_dir: str | Path, *, nodes: int = 6, pods: int = 14, seed: int = 7) -> list[Path]:
    """Write one archive per node into ``out_dir``; return their paths in node order."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(nodes):
        node = _Node(f"fleet-worker-{i + 1}", TROUBLES[i % len(TROUBLES)], rng)
        for _ in range(pods):
            app = rng.choice(APPS)
            ns = rng.choice(NAMESPACES)
            suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
            name = f"{app}-{rng.randrange(16**9, 16**10):x}-{suffix}"
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            secondary = rng.choice(
                (None, f"{ns}/macvlan-conf", f"{ns}/macvlan-conf", "lab/vlan200")
            )
            start = DAY + timedelta(seconds=rng.uniform(0, HOURS * 3600 - 900))
            node.pod(start, (ns, name, uid), secondary)
        paths.append(node.archive(out))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--pods", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for path in make_fleet(args.out_dir, nodes=args.nodes, pods=args.pods, seed=args.seed):
        print(path)


if __name__ == "__main__":
    main()
