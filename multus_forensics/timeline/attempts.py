"""Sandbox attempts of one pod: clustering, outcome, error chain, duration and gap.

Clock skew between sources (a few seconds) must neither split nor misorder attempts, so raw
time is the last resort. Records are first grouped by the strongest key they carry: the sandbox
ID, then the netns path of a Multus ADD (one netns per sandbox attempt). Interface adds that
carry neither (describe ``AddedInterface`` rows, old Multus lines) form groups by the repeat rule
— within one attempt a (interface, network) pair is added once, so its repetition starts the next
attempt — and join a keyed group through a shared (interface, IP). Only then are the remaining
records attached by time, with ``skew`` tolerance: a start marker to the next group that begins
after it, anything else to the group whose span contains it. This module sees the structured
records only (``_records.split``); plain log lines are placed afterwards by the spans it
built (:mod:`.placement`), so they never change which records form an attempt.

Repeated events (``(x12 over 2m)`` rows) stand for several failures at once; they never anchor
a group and instead mark otherwise unexplained attempts as failed (``outcome_inferred``).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Final

from multus_forensics.chain import ErrorChain, same_failure
from multus_forensics.timeline._records import (
    ADD_KINDS,
    RANK,
    READY_KINDS,
    REQUEST_KIND,
    START_KINDS,
    STATUS_KIND,
    TEARDOWN_KINDS,
    Rec,
    sort_key,
)
from multus_forensics.timeline.identity import PodKey

if TYPE_CHECKING:
    import polars as pl

#: longest plausible time between a start marker and the attempt's first keyed record
MAX_START_LEAD: Final = timedelta(minutes=5)
#: facts about the pod rather than one attempt (``event:other``: Scheduled, Pulling, ...)
POD_LEVEL_KINDS: Final = frozenset({REQUEST_KIND, STATUS_KIND, "pod:info", "event:other"})


def completeness(chain: ErrorChain) -> tuple[bool, int, int]:
    """Rank of a report of one failure: untruncated first, then the most layers from the
    runtime inward, then the fewest kubelet wrappers (the runtime's own words over a re-quote)."""
    outer = sum(1 for layer in chain.layers if layer.kind in ("kubelet", "cri"))
    return (not chain.truncated, len(chain.layers) - outer, -outer)


@dataclass
class Failure:
    """One distinct failure of an attempt and every record that reported it."""

    chain: ErrorChain
    reports: list[Rec]


@dataclass(frozen=True)
class PlainPart:
    """The plain records an attempt holds (``_records.split``): counted and spanned by a
    group-by, never made objects. ``key`` is the earliest one's (time µs, file, line).

    Their row numbers are ``count`` values of a column shared by every attempt from
    ``offset``: cut out only when asked (:attr:`eids`), since a node has thousands of
    attempts and most are only counted."""

    column: pl.Series
    offset: int
    count: int
    first: datetime | None
    last: datetime | None
    nodes: frozenset[str]
    key: tuple[int, str, int] | None

    @property
    def eids(self) -> pl.Series:
        return self.column.slice(self.offset, self.count)


@dataclass
class Attempt:
    """One sandbox attempt (see the module docstring for how records are grouped).

    ``recs`` are its structured records (those that decide grouping, outcome, errors and
    adds); ``plain`` its plain log lines, which count in ``start``, ``end``, ``nodes``,
    ``events`` and ``eids``.
    """

    key: PodKey
    recs: list[Rec] = field(default_factory=list)
    index: int = 0
    outcome: str = "unknown"
    outcome_inferred: bool = False
    failures: list[Failure] = field(default_factory=list)
    plain: PlainPart | None = None

    @property
    def sandbox_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for rec in self.recs:
            if rec.sandbox_id and rec.count == 1:
                seen.setdefault(rec.sandbox_id)
        return list(seen)

    @property
    def netns(self) -> list[str]:
        return list(dict.fromkeys(r.netns for r in self.recs if r.netns))

    @property
    def times(self) -> list[datetime]:
        own = [r.time for r in self.recs if r.time is not None]
        if self.plain is not None:
            own.extend(t for t in (self.plain.first, self.plain.last) if t is not None)
        return own

    @cached_property
    def span(self) -> tuple[datetime | None, datetime | None]:
        """First and last timed record, from one list of times (kept once computed: an
        attempt is complete when it is made; every frame row asks for both)."""
        times = self.times
        return (min(times), max(times)) if times else (None, None)

    @property
    def start(self) -> datetime | None:
        return self.span[0]

    @property
    def end(self) -> datetime | None:
        return self.span[1]

    @property
    def nodes(self) -> list[str]:
        plain = self.plain.nodes if self.plain is not None else frozenset()
        return sorted({r.node for r in self.recs if r.node} | plain)

    @property
    def events(self) -> int:
        """Records in the attempt, structured and plain."""
        return len(self.recs) + (self.plain.count if self.plain is not None else 0)

    @property
    def eids(self) -> list[int]:
        """Row numbers (in the input frame) of every record in the attempt."""
        own = [r.eid for r in self.recs]
        return own + self.plain.eids.to_list() if self.plain is not None else own

    def row_facts(self) -> tuple[list[str], list[str], list[str]]:
        """:attr:`sandbox_ids`, :attr:`netns` and :attr:`nodes` from one pass over the records
        (a frame row reads all three of each of a node's thousands of attempts)."""
        sandboxes: dict[str, None] = {}
        netns: dict[str, None] = {}
        nodes = set(self.plain.nodes) if self.plain is not None else set()
        for rec in self.recs:
            if rec.sandbox_id and rec.count == 1:
                sandboxes[rec.sandbox_id] = None
            if rec.netns:
                netns[rec.netns] = None
            if rec.node:
                nodes.add(rec.node)
        return list(sandboxes), list(netns), sorted(nodes)

    @property
    def error(self) -> ErrorChain | None:
        """The most complete chain among the attempt's failures (untruncated, most layers)."""
        if not self.failures:
            return None
        return max((f.chain for f in self.failures), key=completeness)


class Piece:
    """Records grouped so far, with their time span kept up to date as records are added."""

    def __init__(self, recs: list[Rec] | None = None, *, keyed: bool = False) -> None:
        self.recs: list[Rec] = []
        self.keyed = keyed
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.node: str | None = None
        self.extend(recs or [])

    def append(self, rec: Rec) -> None:
        self.recs.append(rec)
        if self.node is None and rec.node:
            self.node = rec.node
        if rec.time is not None:
            self.first = rec.time if self.first is None else min(self.first, rec.time)
            self.last = rec.time if self.last is None else max(self.last, rec.time)

    def extend(self, recs: list[Rec]) -> None:
        for rec in recs:
            self.append(rec)

    def span_us(self) -> tuple[int | None, int | None]:
        """First and last record time in microseconds (``None`` when no record is timed)."""
        times = [r.us for r in self.recs if r.us is not None]
        return (min(times), max(times)) if times else (None, None)

    def add_keys(self) -> set[tuple[str, str]]:
        return {
            (r.interface, ip)
            for r in self.recs
            if r.kind in ADD_KINDS and r.interface and r.ips
            for ip in r.ips.split(",")
        }


def _keyed_pieces(recs: list[Rec]) -> tuple[list[Piece], list[Rec]]:
    """Pieces by sandbox ID, then by netns; returns the pieces and the records left over."""
    by_sandbox: dict[str, Piece] = {}
    by_netns: dict[str, Piece] = {}
    pieces: list[Piece] = []
    rest: list[Rec] = []
    for rec in recs:
        if rec.sandbox_id and rec.count == 1:
            piece = by_sandbox.get(rec.sandbox_id)
            if piece is None and rec.netns:
                piece = by_netns.get(rec.netns)
            if piece is None:
                piece = Piece(keyed=True)
                pieces.append(piece)
            by_sandbox[rec.sandbox_id] = piece
            if rec.netns:
                by_netns.setdefault(rec.netns, piece)
            piece.append(rec)
    for rec in recs:
        if rec.sandbox_id and rec.count == 1:
            continue
        if rec.container_id in by_sandbox:  # PLEG Data naming a sandbox seen elsewhere
            by_sandbox[rec.container_id].append(rec)
        elif rec.netns:
            piece = by_netns.get(rec.netns)
            if piece is None:
                piece = by_netns[rec.netns] = Piece(keyed=True)
                pieces.append(piece)
            piece.append(rec)
        else:
            rest.append(rec)
    return pieces, rest


def _add_groups(adds: list[Rec], skew: timedelta) -> list[Piece]:
    """Consecutive adds of one file, split where a (interface, network) pair repeats."""
    groups: list[Piece] = []
    by_file: dict[str, list[Rec]] = {}
    for rec in adds:
        by_file.setdefault(rec.file, []).append(rec)
    for file_recs in by_file.values():
        current: Piece | None = None
        seen: set[tuple[str | None, str | None]] = set()
        for rec in sorted(file_recs, key=lambda r: r.line):
            pair = (rec.interface, rec.network)
            last = current.recs[-1].time if current else None
            gap = rec.time is not None and last is not None and abs(rec.time - last) > skew
            if current is None or pair in seen or gap:
                current = Piece()
                groups.append(current)
                seen = set()
            seen.add(pair)
            current.append(rec)
    return groups


def _near(piece: Piece, when: datetime, node: str | None, skew: timedelta) -> bool:
    first, last = piece.first, piece.last
    if first is None or last is None:
        return False
    if node and piece.node and node != piece.node:
        return False
    return first - skew <= when <= last + skew


def _has_sandbox(piece: Piece) -> bool:
    return any(r.sandbox_id and r.count == 1 for r in piece.recs)


def _closest(candidates: list[Piece], when: datetime) -> Piece | None:
    """The candidate whose start is nearest ``when``; None when two are equally near."""
    if not candidates:
        return None
    ranked = sorted(candidates, key=lambda p: abs((p.first or when) - when))
    if len(ranked) > 1 and abs((ranked[0].first or when) - when) == abs(
        (ranked[1].first or when) - when
    ):
        return None
    return ranked[0]


def _merge_netns_only(pieces: list[Piece], skew: timedelta) -> list[Piece]:
    """Join netns-keyed pieces (thin Multus lines) to the sandbox piece they overlap in time."""
    sandboxed = [p for p in pieces if _has_sandbox(p)]
    out = list(sandboxed)
    for piece in pieces:
        if _has_sandbox(piece):
            continue
        when = piece.first
        near = [p for p in sandboxed if when is not None and _near(p, when, piece.node, skew)]
        target = _closest(near, when) if when is not None else None
        if target is None:
            out.append(piece)
        else:
            target.extend(piece.recs)
    return out


def _merge_groups(pieces: list[Piece], groups: list[Piece], skew: timedelta) -> None:
    """Join loose add groups to keyed pieces by a shared (interface, IP), else by time."""
    owners: dict[tuple[str, str], list[Piece]] = {}
    for piece in pieces:
        for key in piece.add_keys():
            owners.setdefault(key, []).append(piece)
    for group in groups:
        hits = {
            id(p): p for k in group.add_keys() for p in owners.get(k, []) if len(owners[k]) == 1
        }
        target = next(iter(hits.values())) if len(hits) == 1 else None
        when = group.first
        if target is None and when is not None:
            near = [p for p in pieces if p.keyed and _near(p, when, group.node, skew)]
            target = _closest(near, when)
        if target is None:
            pieces.append(group)
        else:
            target.extend(group.recs)


class _StartOrder:
    """The pieces in (first time, position) order, with those already holding a start marker
    of one kind, kept up to date as markers are attached: a pod's markers are placed in one
    pass instead of sorting every piece and scanning its records once per marker."""

    def __init__(self, pieces: list[Piece], kind: str) -> None:
        self.pieces = pieces
        self.pos = {id(p): i for i, p in enumerate(pieces)}
        self.keys = sorted((p.first, i) for i, p in enumerate(pieces) if p.first is not None)
        self.marked = {i for i, p in enumerate(pieces) if any(r.kind == kind for r in p.recs)}

    def target(self, rec: Rec, next_marker: datetime | None, skew: timedelta) -> Piece | None:
        """The first piece that begins at or after the start marker ``rec`` (± skew), provided
        no later marker of the same kind comes first and it has no marker of that kind yet."""
        when = rec.time
        if when is None:
            return None
        lo = bisect.bisect_left(self.keys, (when - skew, -1))
        for first, i in itertools.islice(self.keys, lo, None):
            if i in self.marked:
                continue
            too_late = first - when > MAX_START_LEAD
            if too_late or (next_marker is not None and first > next_marker + skew):
                return None
            return self.pieces[i]
        return None

    def attach(self, piece: Piece | None, rec: Rec) -> None:
        """``rec`` into ``piece`` (a new piece for None), its place in the order updated."""
        if piece is None:
            piece = Piece()
            self.pos[id(piece)] = len(self.pieces)
            self.pieces.append(piece)
        i = self.pos[id(piece)]
        before = piece.first
        piece.append(rec)
        if piece.first is not None and piece.first != before:
            if before is not None:
                del self.keys[bisect.bisect_left(self.keys, (before, i))]
            bisect.insort(self.keys, (piece.first, i))
        self.marked.add(i)  # the piece now holds a marker of this kind


def _attach_starts(pieces: list[Piece], starts: list[Rec], skew: timedelta) -> None:
    """Start markers go to the attempt they start; a marker with none starts its own."""
    for kind in sorted({r.kind for r in starts}):
        markers = sorted((r for r in starts if r.kind == kind), key=RANK)
        order = _StartOrder(pieces, kind)
        for i, rec in enumerate(markers):
            nxt = markers[i + 1].time if i + 1 < len(markers) else None
            order.attach(order.target(rec, nxt, skew), rec)


def _attach_rest(pieces: list[Piece], rest: list[Rec], skew: timedelta) -> list[Rec]:
    """Attach by time; returns records that belong to the pod but to no attempt."""
    pod_level: list[Rec] = []
    for rec in rest:
        if rec.kind in POD_LEVEL_KINDS or rec.count > 1 or rec.time is None:
            pod_level.append(rec)
            continue
        target = _closest([p for p in pieces if _near(p, rec.time, rec.node, skew)], rec.time)
        if target is not None:
            target.append(rec)
        elif rec.is_add_failure:
            pieces.append(Piece([rec]))
        else:
            pod_level.append(rec)
    return pod_level


def _failures(recs: list[Rec]) -> list[Failure]:
    """Distinct failures of an attempt, each with every record that reported it."""
    out: list[Failure] = []
    for rec in recs:
        if rec.chain is None or not rec.is_add_failure:
            continue
        for failure in out:
            if rec.chain is failure.chain or same_failure(rec.chain, failure.chain):
                if completeness(rec.chain) > completeness(failure.chain):
                    failure.chain = rec.chain
                failure.reports.append(rec)
                break
        else:
            out.append(Failure(rec.chain, [rec]))
    return out


def _outcome(attempt: Attempt) -> str:
    kinds = {r.kind for r in attempt.recs}
    if attempt.failures or any(r.is_add_failure for r in attempt.recs):
        return "failed"
    ready = bool(kinds & READY_KINDS) or any(
        r.container_started or r.add_succeeded for r in attempt.recs
    )
    down = bool(kinds & TEARDOWN_KINDS)
    if ready:
        return "torn-down" if down else "ready"
    return "torn-down" if down else "unknown"


def _infer(attempts: list[Attempt], pod_level: list[Rec]) -> None:
    """Attempts with no outcome of their own: failed when the pod reports repeated failures."""
    summary = [r for r in pod_level if r.is_add_failure and r.chain is not None]
    for i, attempt in enumerate(attempts):
        if attempt.outcome != "unknown":
            continue
        later = i + 1 < len(attempts)
        if summary or (later and any(a.outcome == "failed" for a in attempts)):
            attempt.outcome = "failed"
            attempt.outcome_inferred = True
            if summary:
                attempt.failures = _failures(summary)


def draft_attempts(recs: list[Rec], skew: timedelta) -> tuple[list[Piece], list[Rec]]:
    """The attempts of one pod from its structured records, not yet ordered: pieces, and the
    pod-level records (requests, summaries). Plain records are placed afterwards
    (:mod:`.placement`) by the pieces' spans."""
    recs = sorted(recs, key=RANK)
    pieces, rest = _keyed_pieces(recs)
    pieces = _merge_netns_only(pieces, skew)
    loose_adds = [r for r in rest if r.kind in ADD_KINDS]
    starts = [r for r in rest if r.kind in START_KINDS]
    others = [r for r in rest if r.kind not in ADD_KINDS and r.kind not in START_KINDS]
    _merge_groups(pieces, _add_groups(loose_adds, skew), skew)
    _attach_starts(pieces, starts, skew)
    pod_level = _attach_rest(pieces, others, skew)
    if not pieces:
        # untimed failure reports (a pasted line) with no sandbox ID: at least one attempt failed
        pasted = [r for r in pod_level if r.time is None and r.count == 1 and r.is_add_failure]
        if pasted:
            pieces.append(Piece(pasted))
            pod_level = [r for r in pod_level if r not in pasted]
    return pieces, pod_level


def finish_attempts(
    key: PodKey,
    pieces: list[Piece],
    plain: Sequence[PlainPart | None],
    pod_level: list[Rec],
) -> tuple[list[Attempt], list[int]]:
    """Attempts in start order (plain records included) with failures and outcomes, and the
    attempt index of each piece; ``plain[i]`` is what placement gave ``pieces[i]``."""

    ranked = [sorted(piece.recs, key=RANK) for piece in pieces]

    def first_key(i: int) -> tuple[int, int, str, int]:
        own = sort_key(ranked[i][0])
        part = plain[i]
        if part is None or part.key is None:
            return own
        return min(own, (0, *part.key))

    order = sorted(range(len(pieces)), key=first_key)
    attempts = []
    index_of = [0] * len(pieces)
    for n, i in enumerate(order, start=1):
        attempt = Attempt(key, ranked[i], index=n, plain=plain[i])
        attempt.failures = _failures(attempt.recs)
        attempt.outcome = _outcome(attempt)
        attempts.append(attempt)
        index_of[i] = n
    _infer(attempts, pod_level)
    return attempts, index_of
