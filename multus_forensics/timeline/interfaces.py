"""Interface add order per attempt, and the networks the pod asked for.

Order sources, best first (FORMATS.md §3.3, §5.10, §6.4): Multus ``Add:`` lines (written as each
delegate returns), ``AddedInterface`` events (sent right after each delegate ADD, so their order
within one attempt is the execution order), and the ``network-status`` annotation (written only
after a *successful* ADD, so it describes the last ready attempt, never a failing one). One
source is chosen per attempt; the rows of the other sources that report the same interface and
IPs are listed as corroborating evidence. When no source gives order the attempt has no rows and
``add_order_known`` is False — the order is unknown, not guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final

from multus_forensics.lazyre import lazy
from multus_forensics.timeline._records import STATUS_KIND, Rec
from multus_forensics.timeline.attempts import Attempt

SOURCE_RANK: Final = ("multus:add", "event:AddedInterface", STATUS_KIND)
_ENTRY = lazy(r"^(?:(?P<ns>[^/@\s]+)/)?(?P<name>[^/@\s]+)(?:@(?P<if>\S+))?$")


@dataclass(frozen=True)
class AddRow:
    """One interface added in an attempt, in add order."""

    position: int
    interface: str | None
    network: str | None
    ips: str | None
    source: str
    rec: Rec
    corroborated_by: tuple[Rec, ...] = ()


#: a Multus log's adds in the order it wrote them
_order_key: Final = attrgetter("file", "line")


def add_rows(attempt: Attempt, status: list[Rec]) -> list[AddRow]:
    """Ordered adds of ``attempt`` from its best source; ``status`` = network-status entries."""
    by_source: dict[str, list[Rec]] = {}
    for rec in attempt.recs:
        if rec.kind in SOURCE_RANK[:2]:
            by_source.setdefault(rec.kind, []).append(rec)
    if status:
        by_source[STATUS_KIND] = status
    chosen = next((s for s in SOURCE_RANK if by_source.get(s)), None)
    if chosen is None:
        return []
    recs = by_source[chosen]
    files: dict[str, int] = {}
    for rec in recs:
        files[rec.file] = files.get(rec.file, 0) + 1
    main_file = max(files, key=lambda f: files[f])
    if chosen == STATUS_KIND:
        ordered = sorted(recs, key=lambda r: (_status_index(r), r.line))
    else:
        ordered = sorted((r for r in recs if r.file == main_file), key=_order_key)
    # other sources' rows by interface: an attempt of hundreds of adds is not rescanned per row
    others: dict[str | None, list[Rec]] = {}
    for s, rs in by_source.items():
        if s != chosen:
            for r in rs:
                others.setdefault(r.interface, []).append(r)
    rows = []
    for pos, rec in enumerate(ordered, start=1):
        same = tuple(
            o
            for o in others.get(rec.interface, ())
            if o.ips == rec.ips or same_network(o.network, rec.network)
        )
        rows.append(AddRow(pos, rec.interface, rec.network, rec.ips, chosen, rec, same))
    return rows


def _status_index(rec: Rec) -> int:
    index = rec.fields.get("index")
    return index if isinstance(index, int) else rec.line


def bare(network: str | None) -> str | None:
    """The NAD or config name without its namespace (``lab/macvlan-conf`` → ``macvlan-conf``)."""
    if network is None:
        return None
    return network.rsplit("/", 1)[-1]


def same_network(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and bare(a) == bare(b)


def _entries(value: Any) -> list[tuple[str | None, str, str | None]]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return _entries(json.loads(text))
            except ValueError:
                return []
        out: list[tuple[str | None, str, str | None]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            m = _ENTRY.match(part)
            if m:
                out.append((m["ns"], m["name"], m["if"]))
        return out
    if isinstance(value, list):
        found: list[tuple[str | None, str, str | None]] = []
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                found.append((item.get("namespace"), item["name"], item.get("interface")))
            elif isinstance(item, str):
                found.extend(_entries(item))
        return found
    return []


def requested_networks(recs: list[Rec], namespace: str | None) -> list[str]:
    """``ns/name`` of each requested network (``k8s.v1.cni.cncf.io/networks``), in order."""
    out: dict[str, None] = {}
    for rec in recs:
        f = rec.fields
        value = next((f[k] for k in ("requests", "networks", "value") if k in f), None)
        if value is None:
            value = rec.message.split(":", 1)[-1] if "networks" in rec.message else rec.message
        for ns, name, _ in _entries(value):
            out.setdefault(f"{ns or namespace or '?'}/{name}")
    return list(out)
