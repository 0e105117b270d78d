"""Anomalies in add order and retries, flagged as data with their evidence (FORMATS.md §8, §9).

* ``ifname_added_twice`` — one interface name added twice within one attempt.
* ``self_delegation_reentry`` — the attempt's first (default) interface added again, after a
  secondary, from a network named like the Multus config itself (``multus-cni-network`` or a
  name seen in Multus config / libcni ``type="multus"`` layers): Multus delegating to itself.
* ``requested_network_missing`` — an attempt that did not fail lacks a requested network (the
  silent fallback of a restart window); a failed attempt stops at its failure, so only networks
  other than the failing one and before it can be missing there, and those are not flagged.
* ``eth0_ip_churn`` — the default interface got a different IP than in the previous attempt.
* ``add_del_churn`` — two or more attempts of the pod each saw an ADD and then a DEL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from multus_forensics.timeline._records import TEARDOWN_KINDS, Rec
from multus_forensics.timeline.attempts import Attempt
from multus_forensics.timeline.interfaces import AddRow, bare

if TYPE_CHECKING:
    from multus_forensics.chain import ErrorChain

DEFAULT_MULTUS_NAMES: Final = frozenset({"multus-cni-network"})
_MULTUS_TYPES: Final = frozenset({"multus", "multus-shim"})
ANOMALIES: Final = (
    "ifname_added_twice",
    "self_delegation_reentry",
    "requested_network_missing",
    "eth0_ip_churn",
    "add_del_churn",
)


@dataclass(frozen=True)
class Anomaly:
    """One flagged anomaly: which, where (attempt index or None for the pod), why, evidence."""

    name: str
    attempt: int | None
    detail: str
    evidence: tuple[Rec, ...]


def multus_config_names(recs: Iterable[Rec]) -> set[str]:
    """Names the Multus config goes by in these logs (config events, libcni layers).

    A node's thousands of failing records share a few hundred chain objects (unwrapped once
    per distinct text): each chain's layers are read once, not once per record."""
    names = set(DEFAULT_MULTUS_NAMES)
    chains: dict[int, ErrorChain] = {}
    for rec in recs:
        if rec.kind == "multus:config":
            config = rec.fields.get("config")
            if isinstance(config, dict) and isinstance(config.get("name"), str):
                names.add(config["name"])
        if rec.chain is not None:
            chains[id(rec.chain)] = rec.chain
    for chain in chains.values():
        for layer in chain.find("libcni"):
            if layer.fields.get("plugin_type") in _MULTUS_TYPES and "plugin_name" in layer.fields:
                names.add(layer.fields["plugin_name"])
    return names


def _label(row: AddRow) -> str:
    return f"{row.interface} from {row.network or '?'}"


def attempt_anomalies(
    attempt: Attempt, rows: list[AddRow], requested: list[str], multus_names: set[str]
) -> list[Anomaly]:
    """Anomalies visible inside one attempt's add order."""
    out: list[Anomaly] = []
    seen: dict[str, list[AddRow]] = {}
    for row in rows:
        if row.interface:
            seen.setdefault(row.interface, []).append(row)
    for name, hits in seen.items():
        if len(hits) > 1:
            detail = f"{name} added {len(hits)} times: " + ", ".join(_label(h) for h in hits)
            out.append(
                Anomaly("ifname_added_twice", attempt.index, detail, tuple(h.rec for h in hits))
            )
    if rows:
        master = rows[0]
        seen_secondary = False  # one flag, not a scan of rows[1:i] per row (attempts of 100s)
        for i, row in enumerate(rows[1:], start=1):
            if (
                row.interface == master.interface
                and seen_secondary
                and bare(row.network) in multus_names
                and bare(row.network) != bare(master.network)
            ):
                secondaries = [r for r in rows[1:i] if r.interface != master.interface]
                order = " → ".join(_label(r) for r in rows[: i + 1])
                detail = f"default interface re-added by the multus config: {order}"
                evidence = (master.rec, *(s.rec for s in secondaries), row.rec)
                out.append(Anomaly("self_delegation_reentry", attempt.index, detail, evidence))
                break
            seen_secondary = seen_secondary or row.interface != master.interface
    if rows and requested and attempt.outcome != "failed":
        added = {bare(r.network) for r in rows}
        missing = [n for n in requested if bare(n) not in added]
        if missing:
            detail = "requested but not added: " + ", ".join(missing)
            out.append(Anomaly("requested_network_missing", attempt.index, detail, (rows[0].rec,)))
    return out


def pod_anomalies(attempts: list[Attempt], rows: dict[int, list[AddRow]]) -> list[Anomaly]:
    """Anomalies across the attempts of one pod (IP churn, ADD/DEL churn)."""
    out: list[Anomaly] = []
    previous: AddRow | None = None
    for attempt in attempts:
        first = rows.get(attempt.index, [])
        master = first[0] if first else None
        if master is None or not master.ips:
            continue
        if (
            previous is not None
            and previous.interface == master.interface
            and previous.ips != master.ips
        ):
            detail = f"{master.interface} {previous.ips} → {master.ips}"
            out.append(Anomaly("eth0_ip_churn", attempt.index, detail, (previous.rec, master.rec)))
        previous = master
    cycles = [a for a in attempts if _add_then_del(a.recs)]
    if len(cycles) >= 2:
        detail = f"{len(cycles)} attempts with ADD then DEL: " + ", ".join(
            str(a.index) for a in cycles
        )
        evidence = tuple(next(r for r in a.recs if _is_del(r)) for a in cycles)
        out.append(Anomaly("add_del_churn", None, detail, evidence))
    return out


def _is_add(rec: Rec) -> bool:
    return rec.kind in ("multus:add", "event:AddedInterface", "runtime:cni:add") or (
        rec.kind == "multus:request" and rec.fields.get("command") == "ADD"
    )


def _is_del(rec: Rec) -> bool:
    return (
        rec.kind in TEARDOWN_KINDS
        or rec.is_del_failure
        or (rec.kind == "multus:request" and rec.fields.get("command") == "DEL")
    )


def _add_then_del(recs: list[Rec]) -> bool:
    added = False
    for rec in recs:
        added = added or _is_add(rec)
        if added and _is_del(rec):
            return True
    return False
