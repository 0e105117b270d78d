"""Pod identity resolution: which pod (namespace, name, UID) each event belongs to.

Sources name pods differently (FORMATS.md §2.7): kubelet lines name ``ns/name`` and rarely the
UID, KillPodSandbox names only the UID, runtime failures only the sandbox ID, describe output
only the name. A pod key is ``(namespace, name, uid)``; the joins are, in order of strength:
the event's own UID, the sandbox (or container) ID → UID map built from any event naming both,
and finally ``ns/name`` → UID. A name reused by a new pod (StatefulSet, same name, new UID) is
resolved by time: each UID has the span of times it was seen in, and a name-only event goes to
the UID whose span is nearest (same node preferred). An untimed name-only event goes to the most
recent UID, since a pasted describe output is about the pod as it is now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from multus_forensics.timeline._records import Rec

PodKey = tuple[str | None, str | None, str | None]


@dataclass
class _Span:
    first: datetime | None = None
    last: datetime | None = None
    nodes: set[str] = field(default_factory=set)

    def add(self, when: datetime | None, node: str | None) -> None:
        if node:
            self.nodes.add(node)
        if when is None:
            return
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def distance(self, when: datetime) -> timedelta:
        if self.first is None or self.last is None:
            return timedelta.max
        if when < self.first:
            return self.first - when
        if when > self.last:
            return when - self.last
        return timedelta(0)


@dataclass
class _Index:
    uid_name: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    id_uid: dict[str, str] = field(default_factory=dict)
    id_name: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    spans: dict[tuple[str | None, str], dict[str, _Span]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    by_name: dict[str, set[str | None]] = field(default_factory=lambda: defaultdict(set))


def _ids(rec: Rec) -> list[str]:
    return [i for i in (rec.sandbox_id, rec.container_id) if i]


def _build(recs: Iterable[Rec]) -> _Index:
    idx = _Index()
    recs = list(recs)
    for rec in recs:
        if rec.pod_uid and rec.pod:
            idx.uid_name.setdefault(rec.pod_uid, (rec.namespace, rec.pod))
        for ident in _ids(rec):
            if rec.pod_uid:
                idx.id_uid.setdefault(ident, rec.pod_uid)
            if rec.pod:
                idx.id_name.setdefault(ident, (rec.namespace, rec.pod))
        if rec.pod:
            idx.by_name[rec.pod].add(rec.namespace)
    for rec in recs:
        uid = _uid_of(rec, idx)
        if uid is None:
            continue
        name = idx.uid_name.get(uid)
        if name is None:
            name = next((idx.id_name[i] for i in _ids(rec) if i in idx.id_name), None)
        if name is not None:
            idx.spans[name].setdefault(uid, _Span()).add(rec.time, rec.node)
    return idx


def _uid_of(rec: Rec, idx: _Index) -> str | None:
    if rec.pod_uid:
        return rec.pod_uid
    return next((idx.id_uid[i] for i in _ids(rec) if i in idx.id_uid), None)


def _pick_uid(spans: dict[str, _Span], when: datetime | None, node: str | None) -> str | None:
    if not spans:
        return None
    items = list(spans.items())
    if node and any(node in s.nodes for _, s in items):
        items = [(u, s) for u, s in items if node in s.nodes or not s.nodes]
    if len(items) == 1:
        return items[0][0]
    if when is None:
        return max(items, key=lambda it: it[1].last.timestamp() if it[1].last else float("-inf"))[0]
    return min(items, key=lambda it: it[1].distance(when))[0]


def _namespace_for(name: str, namespace: str | None, idx: _Index) -> str | None:
    if namespace is not None:
        return namespace
    known = {ns for ns in idx.by_name.get(name, set()) if ns is not None}
    return next(iter(known)) if len(known) == 1 else None


def resolve(recs: list[Rec]) -> dict[int, PodKey]:
    """Pod key of every record that belongs to a pod (``eid`` → key); node-level ones are absent."""
    idx = _build(recs)
    out: dict[int, PodKey] = {}
    for rec in recs:
        uid = _uid_of(rec, idx)
        if uid is not None:
            ns, name = idx.uid_name.get(uid) or (rec.namespace, rec.pod)
            if name is None:
                ns, name = next(
                    (idx.id_name[i] for i in _ids(rec) if i in idx.id_name), (None, None)
                )
            out[rec.eid] = (ns, name, uid)
            continue
        name_ref = next((idx.id_name[i] for i in _ids(rec) if i in idx.id_name), None)
        if name_ref is None and rec.pod:
            name_ref = (_namespace_for(rec.pod, rec.namespace, idx), rec.pod)
        if name_ref is None:
            continue
        uid = _pick_uid(idx.spans.get(name_ref, {}), rec.time, rec.node)
        out[rec.eid] = (name_ref[0], name_ref[1], uid)
    return out


def key_label(key: PodKey) -> str:
    """``ns/name`` for display (``?`` for an unknown namespace)."""
    return f"{key[0] or '?'}/{key[1] or '?'}"
