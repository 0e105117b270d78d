"""Interface add order per sandbox attempt, as rules consume it: read from the timeline.

The timeline (:mod:`multus_forensics.timeline`) is the one place that joins Multus ``Add:``
lines, describe ``AddedInterface`` rows and the network-status annotation to sandbox attempts
and orders them; the classifier only asks questions of its result (was the default interface
re-added through multus? which attachment produced the colliding name?). An attempt without
rows has an *unknown* order, which must never count as "no re-entry".

Pasted fragments often name no pod on their ``Add`` rows (an Events table without its header).
Those rows are given to the one pod the input names, or to a placeholder pod when it names none
or several, so their order is still read, and a placeholder's attempts stay relevant to every
hit (pod-less evidence cannot be ruled out).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.context import Context
    from multus_forensics.timeline import Timelines
    from multus_forensics.timeline.frames import PodTimeline

#: pod given to pod-less ``Add`` rows when the input does not name exactly one pod
UNNAMED_POD: Final = "(unnamed)"
#: kinds whose rows give interface add order (timeline.interfaces.SOURCE_RANK)
_ADD_KINDS: Final = frozenset({"multus:add", "event:AddedInterface", "pod:network-status"})
#: an unnamed re-add of the default interface is the re-entry only this close to the first add
_REENTRY_WINDOW_S: Final = 5.0


class OrderRow(NamedTuple):
    """One interface add of an attempt, in add order, as predicates read it: a tuple, not the
    timeline's row and record (a Multus log's attempts hold hundreds of thousands of adds,
    whose records would otherwise live as long as the diagnosis)."""

    #: the add's position in the context
    position: int
    interface: str | None
    network: str | None
    ips: str | None
    time: datetime | None


@dataclass(frozen=True)
class AttemptOrder:
    """One sandbox attempt of one pod: its add order and the re-entry seen in it.

    ``members`` and ``reentry`` hold event indexes (positions in the context's views);
    ``reentry`` is (first add of the default interface, the secondaries, its re-add).
    """

    pod: str
    index: int
    rows: tuple[OrderRow, ...]
    members: frozenset[int]
    reentry: tuple[int, ...] = ()

    @property
    def order_known(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True)
class AddOrder:
    """Attempts of every pod in the input, with lookups from an event to its attempts."""

    attempts: tuple[AttemptOrder, ...] = ()

    @cached_property
    def _by_event(self) -> dict[int, tuple[AttemptOrder, ...]]:
        """Event position -> the attempts holding it, in attempt order (by set and dict
        operations per attempt, not a step per member: a Multus log's attempts hold every row)."""
        out: dict[int, tuple[AttemptOrder, ...]] = {}
        for a in self.attempts:
            one = (a,)
            before = {i: out[i] for i in a.members & out.keys()}
            out.update(dict.fromkeys(a.members, one))
            out.update((i, held + one) for i, held in before.items())
        return out

    @cached_property
    def _by_name(self) -> dict[str, list[AttemptOrder]]:
        """Attempts by pod name without namespace (a message may omit it, ``?/`` labels do)."""
        out: dict[str, list[AttemptOrder]] = {}
        for a in self.attempts:
            out.setdefault(a.pod.split("/")[-1], []).append(a)
        return out

    @cached_property
    def _answers(self) -> dict[tuple[bool, str | None], list[AttemptOrder]]:
        """:meth:`of_event`'s answers so far, by (own pod?, pod): every event of a pod asks."""
        return {}

    def of_event(self, index: int, pod: str | None) -> list[AttemptOrder]:
        """Attempts that can explain the event: its own pod's (any attempt, since retries
        repeat one configuration), else those of the pod it names (all for none), plus the
        attempts of pod-less rows. The list is shared by the events asking alike: read only."""
        own = self._by_event.get(index)
        key = (True, own[0].pod) if own else (False, pod)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self._of_pod(*key)
        return found

    def _of_pod(self, placed: bool, pod: str | None) -> list[AttemptOrder]:
        if placed and pod is not None:
            mine = [a for a in self._by_name[pod.split("/")[-1]] if a.pod == pod]
        elif pod is None:
            return list(self.attempts)
        else:
            mine = [a for a in self._by_name.get(pod.split("/")[-1], []) if _same_pod(a.pod, pod)]
        if mine and mine[0].pod == UNNAMED_POD:
            return mine
        return mine + [a for a in self._by_name.get(UNNAMED_POD, []) if a.pod == UNNAMED_POD]

    def own(self, index: int) -> list[AttemptOrder]:
        """The attempt the timeline placed the event in, when its add order is known.

        Only there does the order speak about the failure: a pod-level record (a repeated
        ``(x3 over 2m)`` event) or a partial paste may sit beside adds of another attempt.
        """
        return [a for a in self._by_event.get(index, ()) if a.order_known]


def _same_pod(label: str, pod: str) -> bool:
    """``ns/name`` labels match when equal, or by name where either side lacks the namespace."""
    if label == pod:
        return True
    ns, _, name = label.rpartition("/")
    other_ns, _, other = pod.rpartition("/")
    return name == other and (ns in ("", "?") or other_ns in ("", "?"))


def _named_pods(ctx: Context) -> set[str]:
    """Every pod the input names (``EventView.pod`` over all events), read from the columns where
    the event names its pod and from the error text only where it does not."""
    import polars as pl

    named = ctx.frame.filter(pl.col("pod").fill_null("") != "").select(
        pl.when(pl.col("namespace").fill_null("") != "")
        .then(pl.col("namespace") + "/" + pl.col("pod"))
        .otherwise(pl.col("pod"))
        .unique()
    )
    out = {str(p) for p in named.to_series().to_list()}
    out |= {v.pod for v in ctx.errors if not v.event.pod and v.pod}
    return out


def _placed(ctx: Context) -> pl.DataFrame:
    """The context's frame with pod-less ``Add`` rows placed on the input's only pod, else on
    :data:`UNNAMED_POD`."""
    import polars as pl

    frame = ctx.frame
    no_id = pl.all_horizontal(
        [pl.col(c).fill_null("") == "" for c in ("pod", "pod_uid", "sandbox_id", "container_id")]
    )
    podless = pl.col("kind").is_in(list(_ADD_KINDS)) & no_id
    if not frame.select(podless.any()).item():
        return frame
    pods = _named_pods(ctx)
    sole = next(iter(pods)) if len(pods) == 1 else None
    ns, _, name = (sole or UNNAMED_POD).rpartition("/")
    namespace = pl.col("namespace")
    if ns:
        namespace = (
            pl.when(pl.col("namespace").fill_null("") != "").then(namespace).otherwise(pl.lit(ns))
        )
    else:
        namespace = pl.when(pl.col("namespace").fill_null("") != "").then(namespace)
    return frame.with_columns(
        pl.when(podless).then(namespace).otherwise(pl.col("namespace")).alias("namespace"),
        pl.when(podless).then(pl.lit(name)).otherwise(pl.col("pod")).alias("pod"),
    )


def _with_adds(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of the pods that have interface adds, and rows that name no pod at all.

    Only attempts with adds speak about add order, so other pods need no timeline. A pod's rows
    are found by the closure over the identities the timeline joins on (pod name, UID, sandbox
    and container IDs), so each selected pod's timeline is the one the whole input would give.
    """
    import polars as pl

    ids = ("pod", "pod_uid", "sandbox_id", "container_id")
    frame = frame.with_row_index("_pos")
    # the closure reads only identities and kinds: its filters copy these columns, not the rows
    narrow = frame.select("_pos", "kind", *ids)
    adds = narrow.filter(pl.col("kind").is_in(list(_ADD_KINDS)))
    if adds.height == 0:
        return frame.clear()
    names: set[str] = set()
    uids: set[str] = set()
    keys: set[str] = set()
    selected = adds
    while True:
        before = (len(names), len(uids), len(keys))
        names |= _distinct(selected.get_column("pod"))
        uids |= _distinct(selected.get_column("pod_uid"))
        for c in ("sandbox_id", "container_id"):
            keys |= _distinct(selected.get_column(c))
        if (len(names), len(uids), len(keys)) == before and selected is not adds:
            break
        selected = narrow.filter(
            pl.col("pod").is_in(list(names))
            | pl.col("pod_uid").is_in(list(uids))
            | pl.col("sandbox_id").is_in(list(keys))
            | pl.col("container_id").is_in(list(keys))
        )
    anonymous = pl.all_horizontal([pl.col(c).fill_null("") == "" for c in ids])
    keep = narrow.select(
        pl.col("_pos").is_in(selected.get_column("_pos").implode()) | anonymous
    ).to_series()
    # every row kept (a Multus log: each pod has adds): the frame itself, not a copy of it
    return frame if keep.all() else frame.filter(keep)


def _distinct(column: pl.Series) -> set[str]:
    """The non-empty values of ``column`` (each once: a Multus log's adds name a pod each)."""
    return {x for x in column.unique().to_list() if x}


def _unnamed_reentries(attempts: list[AttemptOrder]) -> dict[int, tuple[int, ...]]:
    """Re-entry through an old multus that names no network, across a timeline split
    (keyed by position in ``attempts``).

    Such a multus writes ``Add eth0 [ip]`` for both the inner and the outer run, so the
    timeline's repeat rule starts a new attempt at the re-add. A real retry gets a fresh
    default address; the *same* address re-added right after the secondaries is the re-entry.
    """
    found: dict[int, tuple[int, ...]] = {}
    for (i, a), (j, b) in itertools.pairwise(enumerate(attempts)):
        if a.pod != b.pod or not a.rows or not b.rows:
            continue
        first, again = a.rows[0], b.rows[0]
        if not (
            first.interface == again.interface
            and first.network is None
            and again.network is None
            and bool(first.ips)
            and first.ips == again.ips
        ):
            continue  # (tested first: the secondaries are a scan of the attempt's adds)
        t1, t2 = first.time, again.time
        close = t1 is None or t2 is None or abs((t2 - t1).total_seconds()) <= _REENTRY_WINDOW_S
        secondaries = [r for r in a.rows[1:] if r.interface != first.interface] if close else []
        if secondaries:
            evidence = tuple(r.position for r in (first, *secondaries, again))
            found[i] = found[j] = evidence
    return found


def add_order(ctx: Context, shared: Timelines | None = None) -> AddOrder:
    """Attempts and add order of the pods with adds in ``ctx``; indexes are context positions.

    ``shared`` is the timeline the caller already built from the same events (a report): it is
    used as it is when no pod-less ``Add`` row needs placing. A timeline failure on odd input
    yields no attempts (order unknown everywhere) rather than failing the diagnosis.
    """
    placed = _placed(ctx)
    subset = _with_adds(placed)
    if subset.height == 0:
        return AddOrder()
    from multus_forensics.timeline import build_timelines

    if shared is not None and placed is ctx.frame and "_row" in ctx.frame.columns:
        # the pods the subset's own timeline would hold, as the whole input orders them: the
        # others have no add to order, and their attempts would only slow every lookup
        rows = ctx.frame.get_column("_row").to_list()
        to_view = [0] * len(rows)
        for position, row in enumerate(rows):
            to_view[row] = position
        return _orders(shared, to_view, shared.holding(subset.get_column("_row")))
    from multus_forensics.classify._order_frames import attempts_of

    drafted = attempts_of(subset)
    if drafted is not None:  # a netns-keyed input: the timeline's answer without a timeline
        return _with_unnamed(drafted)
    positions = subset.get_column("_pos").to_list()
    try:
        timelines = build_timelines(subset.drop("_pos", "_row", strict=False))
    except Exception:  # the timeline is context, not a precondition of diagnosis
        return AddOrder()
    return _orders(timelines, positions)


def _orders(
    timelines: Timelines, to_view: Sequence[int], pods: Sequence[PodTimeline] | None = None
) -> AddOrder:
    """:class:`AddOrder` of ``timelines`` (of its ``pods`` only, when given), whose row numbers
    ``to_view`` maps to positions."""
    attempts: list[AttemptOrder] = []
    for t in timelines.timelines if pods is None else pods:
        label = t.label if t.key[1] != UNNAMED_POD else UNNAMED_POD
        anomalies = {
            x.attempt: tuple(to_view[r.eid] for r in x.evidence)
            for x in t.anomalies
            if x.name == "self_delegation_reentry" and x.attempt is not None
        }
        for a in t.attempts:
            attempts.append(
                AttemptOrder(
                    pod=label,
                    index=a.index,
                    rows=tuple(
                        OrderRow(to_view[r.rec.eid], r.interface, r.network, r.ips, r.rec.time)
                        for r in t.rows.get(a.index, ())
                    ),
                    members=frozenset(to_view[eid] for eid in a.eids),
                    reentry=anomalies.get(a.index, ()),
                )
            )
    return _with_unnamed(attempts)


def _with_unnamed(attempts: list[AttemptOrder]) -> AddOrder:
    """``attempts`` with the re-entries an old multus hides across a timeline split."""
    unnamed = _unnamed_reentries(attempts)
    return AddOrder(
        tuple(
            dataclasses.replace(a, reentry=unnamed[i]) if not a.reentry and i in unnamed else a
            for i, a in enumerate(attempts)
        )
    )


def other_attachment_rows(
    attempt: AttemptOrder, interface: str | None, network: str | None
) -> list[OrderRow]:
    """Earlier adds of ``interface`` in ``attempt`` from a network other than ``network``."""
    if not interface or not network:
        return []
    # here, not at the top: a diagnosis with no add to order never loads the timeline package
    from multus_forensics.timeline.interfaces import bare

    return [
        r
        for r in attempt.rows
        if r.interface == interface and r.network is not None and bare(r.network) != bare(network)
    ]
