"""``build_timelines(events)`` and the :class:`Timelines` frames (columns in docs/timelines.md).

Every method returns a polars DataFrame; ``.to_pandas()`` on it gives the same columns in pandas
(``use_pyarrow_extension_array=True`` keeps the Arrow dtypes one to one). Times are UTC;
durations and gaps are float seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from multus_forensics.chain import ErrorChain, chain_json
from multus_forensics.gcpause import gc_paused
from multus_forensics.timeline._records import STATUS_KIND, Rec, split
from multus_forensics.timeline.anomalies import (
    Anomaly,
    attempt_anomalies,
    multus_config_names,
    pod_anomalies,
)
from multus_forensics.timeline.attempts import Attempt, PlainPart, draft_attempts, finish_attempts
from multus_forensics.timeline.identity import PodKey, key_label, resolve
from multus_forensics.timeline.interfaces import AddRow, add_rows, requested_networks
from multus_forensics.timeline.placement import Span, place

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.eventlog import EventLog

DEFAULT_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class PodSummary:
    """Counts, span, nodes and sources of all of a pod's records, from one group-by."""

    count: int = 0
    untimed: int = 0
    first: datetime | None = None
    last: datetime | None = None
    nodes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class PodTimeline:
    """Everything known about one pod: its attempts, adds, anomalies and records.

    ``recs`` are its structured records; its plain log lines are listed by
    :meth:`Timelines.events`. ``nodes``, ``first_seen``, ``last_seen``, ``events``, ``untimed``
    and ``sources`` count both (``summary``).
    """

    key: PodKey
    recs: list[Rec]
    attempts: list[Attempt]
    pod_level: list[Rec]
    rows: dict[int, list[AddRow]] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    summary: PodSummary = field(default_factory=PodSummary)

    @property
    def label(self) -> str:
        return key_label(self.key)

    @property
    def nodes(self) -> list[str]:
        return list(self.summary.nodes)

    @property
    def sources(self) -> list[str]:
        return list(self.summary.sources)

    @property
    def first_seen(self) -> datetime | None:
        return self.summary.first

    @property
    def last_seen(self) -> datetime | None:
        return self.summary.last

    @property
    def events(self) -> int:
        return self.summary.count

    @property
    def untimed(self) -> int:
        return self.summary.untimed

    def attempt_of(self) -> dict[int, int]:
        """``eid`` → attempt index for every record placed in an attempt."""
        return {eid: a.index for a in self.attempts for eid in a.eids}


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return _columns_frame([[row[name] for row in rows] for name in schema], schema)


def _columns_frame(columns: Sequence[Sequence[Any]], schema: dict[str, Any]) -> pl.DataFrame:
    """A frame of ``columns`` (Python values, in ``schema`` order); a datetime column is
    handed over as integer microseconds (see :func:`_datetimes`)."""
    import polars as pl

    return pl.DataFrame(
        [
            _datetimes(name, values, dtype)
            if isinstance(dtype, pl.Datetime)
            else pl.Series(name, values, dtype)
            for (name, dtype), values in zip(schema.items(), columns, strict=True)
        ]
    )


def _datetimes(name: str, values: Sequence[datetime | None], dtype: pl.DataType) -> pl.Series:
    """``pl.Series(name, values, dtype)`` of aware datetimes through their microseconds since
    the epoch: polars reads each aware datetime through Python's zone machinery, six times the
    cost (a node's attempts frame spent a third of its time there)."""
    import polars as pl

    zones = {v.tzinfo for v in values if v is not None}
    if len(zones) != 1 or str(next(iter(zones))) not in ("UTC", "Etc/UTC"):
        return pl.Series(name, values, dtype)  # naive, mixed or zoned: as polars reads them
    # an epoch in the values' own UTC zone object: subtracting within one zone object is
    # integer arithmetic, across two a call to each one's offset per value
    epoch = _EPOCH.replace(tzinfo=next(iter(zones)))
    micros = [None if v is None else (v - epoch) // _MICROSECOND for v in values]
    return pl.Series(name, micros, pl.Int64).cast(dtype)


def _ref() -> pl.Expr:
    """:attr:`Rec.ref` (``file[!member]:line``) over ``file``, ``member``, ``line`` columns."""
    import polars as pl

    member = pl.col("member")
    at = (
        pl.when(member.is_not_null() & (member != ""))
        .then(pl.lit("!") + member)
        .otherwise(pl.lit(""))
    )
    return (pl.col("file") + at + pl.lit(":") + pl.col("line").cast(pl.String)).alias("ref")


def _of_pods(frame: pl.DataFrame, pods: Sequence[PodTimeline]) -> pl.DataFrame:
    """The rows of a timeline table (``namespace``, ``pod``, ``pod_uid``) of ``pods``, in the
    table's order (the timelines' order, as the table was built)."""
    import polars as pl

    ids = ("namespace", "pod", "pod_uid")
    wanted = pl.DataFrame(
        list(dict.fromkeys(t.key for t in pods)), schema=dict.fromkeys(ids, pl.String), orient="row"
    )
    return frame.join(wanted, on=list(ids), how="semi", nulls_equal=True, maintain_order="left")


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


class Timelines:
    """Per-pod timelines built from an event frame; see :func:`build_timelines`."""

    def __init__(
        self, frame: pl.DataFrame, pods: list[PodTimeline], plain: pl.DataFrame | None = None
    ) -> None:
        self._frame = frame
        self.timelines = pods
        #: plain records: ``eid``, ``p_pos`` (position in ``timelines``), ``attempt``, ``t``
        #: (µs), ``file``, ``line``
        self._plain = plain
        self._plain_index: tuple[pl.DataFrame, dict[int, tuple[int, int]]] | None = None
        self._memo: dict[str, pl.DataFrame] = {}
        self._names: dict[str, list[int]] | None = None  # see select()

    def _once(self, name: str, build: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """Frames are immutable and the timelines do not change: each is built once."""
        if name not in self._memo:
            with gc_paused():
                self._memo[name] = build()
        return self._memo[name]

    def __len__(self) -> int:
        return len(self.timelines)

    def __repr__(self) -> str:
        from multus_forensics.display import timelines_repr

        return timelines_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see :mod:`multus_forensics.display`)."""
        from multus_forensics.display import timelines_html

        return timelines_html(self)

    def select(self, pod: str | None) -> list[PodTimeline]:
        """Pods matching ``NS/NAME``, ``NAME`` or a UID (all pods for ``None``); a pod without
        a namespace also matches ``ANY/NAME``. Looked up in an index built on first use (a
        report selects 50 pods out of thousands)."""
        if pod is None:
            return list(self.timelines)
        if self._names is None:
            self._names = {}
            for i, t in enumerate(self.timelines):
                names = {t.label, t.key[1], t.key[2]}
                if t.key[0] is None:
                    names.add("/" + str(t.key[1]))
                for name in names - {None}:
                    self._names.setdefault(str(name), []).append(i)
        found = set(self._names.get(pod, ()))
        for cut in (i for i, c in enumerate(pod) if c == "/"):  # ANY/NAME of a namespace-less pod
            found.update(self._names.get(pod[cut:], ()))
        return [self.timelines[i] for i in sorted(found)]

    def holding(self, eids: pl.Series) -> list[PodTimeline]:
        """The timelines holding a record at one of the row numbers ``eids``, in timeline
        order: the classifier's pods with adds, out of every pod of a node."""
        import polars as pl

        wanted = set(eids.to_list())
        hit = {i for i, t in enumerate(self.timelines) if any(r.eid in wanted for r in t.recs)}
        if self._plain is not None:
            rows = pl.DataFrame({"eid": eids.cast(pl.UInt32)}).unique()
            at = self._plain.join(rows, on="eid", how="semi").get_column("p_pos")
            hit.update(at.unique().to_list())
        return [self.timelines[i] for i in sorted(hit)]

    def chain(self, pod: str, attempt: int) -> ErrorChain | None:
        """The error chain of one attempt of ``pod`` (``None`` when it did not fail)."""
        for t in self.select(pod):
            for a in t.attempts:
                if a.index == attempt:
                    return a.error
        return None

    def pods(self) -> pl.DataFrame:
        return self._once("pods", self._pods)

    def _pods(self) -> pl.DataFrame:
        import polars as pl

        rows = []
        for t in self.timelines:
            last = t.attempts[-1].outcome if t.attempts else None
            rows.append(
                {
                    "namespace": t.key[0],
                    "pod": t.key[1],
                    "pod_uid": t.key[2],
                    "nodes": ",".join(t.nodes) or None,
                    "first_seen": t.first_seen,
                    "last_seen": t.last_seen,
                    "attempts": len(t.attempts),
                    "failed_attempts": sum(a.outcome == "failed" for a in t.attempts),
                    "ready_attempts": sum(a.outcome in ("ready", "torn-down") for a in t.attempts),
                    "last_outcome": last,
                    "requested_networks": ",".join(t.requested) or None,
                    "anomalies": ",".join(sorted({a.name for a in t.anomalies})) or None,
                    "events": t.events,
                    "untimed_events": t.untimed,
                    "sources": ",".join(t.sources),
                }
            )
        schema = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "nodes": pl.String,
            "first_seen": pl.Datetime("us", "UTC"), "last_seen": pl.Datetime("us", "UTC"),
            "attempts": pl.Int64, "failed_attempts": pl.Int64, "ready_attempts": pl.Int64,
            "last_outcome": pl.String, "requested_networks": pl.String, "anomalies": pl.String,
            "events": pl.Int64, "untimed_events": pl.Int64, "sources": pl.String,
        }  # fmt: skip
        return _frame(rows, schema)

    def attempts(self, *, layers: bool = True) -> pl.DataFrame:
        """One row per sandbox attempt; ``layers=False`` leaves out ``error_layers`` (each
        chain's layers as JSON: much of the table's cost, and a page shows none of it)."""
        if not layers:
            if "attempts" in self._memo:
                return self._memo["attempts"].drop("error_layers")
            return self._once("attempts-", lambda: self._attempts(layers=False))
        if "attempts-" in self._memo:  # the rest is built: the layers column alone
            return self._once("attempts", lambda: self._with_layers(self._memo["attempts-"]))
        return self._once("attempts", self._attempts)

    def attempts_of(self, pods: Sequence[PodTimeline]) -> pl.DataFrame:
        """:meth:`attempts` of ``pods`` alone, in timeline order (see :meth:`interfaces_of`)."""
        pods = self._in_order(pods)
        if "attempts" in self._memo:
            return _of_pods(self._memo["attempts"], pods)
        return self._attempts(pods)

    def _with_layers(self, rest: pl.DataFrame) -> pl.DataFrame:
        """``rest`` (the table without ``error_layers``) with that column, in its place."""
        import polars as pl

        of_chain: dict[int, str] = {}
        values: list[str | None] = []
        for t in self.timelines:
            for a in t.attempts:
                err = a.error
                if err is None:
                    values.append(None)
                    continue
                found = of_chain.get(id(err))
                if found is None:
                    found = of_chain[id(err)] = chain_json(err)
                values.append(found)
        order = [*rest.columns]
        order.insert(order.index("error_truncated") + 1, "error_layers")
        return rest.with_columns(pl.Series("error_layers", values, pl.String)).select(order)

    def _attempts(
        self, pods: Sequence[PodTimeline] | None = None, *, layers: bool = True
    ) -> pl.DataFrame:
        import polars as pl

        schema: dict[str, Any] = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "attempt": pl.Int64,
            "sandbox_id": pl.String, "netns": pl.String, "nodes": pl.String,
            "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"),
            "duration_s": pl.Float64, "gap_to_next_s": pl.Float64, "outcome": pl.String,
            "outcome_inferred": pl.Boolean, "error": pl.String, "error_leaf": pl.String,
            "error_signature": pl.String, "error_network": pl.String, "error_interface": pl.String,
            "error_interface_added_from": pl.String,
            "error_truncated": pl.Boolean, "error_layers": pl.String, "failures": pl.Int64,
            "failure_reports": pl.Int64, "add_order_known": pl.Boolean, "add_order": pl.String,
            "anomalies": pl.String, "events": pl.Int64,
        }  # fmt: skip
        rows: list[tuple[Any, ...]] = []
        # a failure repeated across attempts is one chain object: its columns are made once
        # (and :attr:`ErrorChain.signature` masks each distinct tail once)
        of_chain: dict[int, tuple[Any, ...]] = {}
        none = (None,) * 8
        for t in self.timelines if pods is None else pods:
            n = len(t.attempts)
            for i, a in enumerate(t.attempts):
                nxt = t.attempts[i + 1].start if i + 1 < n else None
                start, end = a.start, a.end
                err = a.error
                names = (
                    ",".join(sorted({x.name for x in t.anomalies if x.attempt == a.index})) or None
                    if t.anomalies
                    else None
                )
                adds = t.rows.get(a.index, [])
                if err is None:
                    facts: tuple[Any, ...] = none
                else:
                    facts = of_chain.get(id(err)) or of_chain.setdefault(
                        id(err),
                        (err.text, err.leaf, err.signature, err.innermost("network"),
                         err.innermost("interface"), err.truncated,
                         chain_json(err) if layers else None, err),
                    )  # fmt: skip
                failing_if = facts[4]
                prior = (
                    next((r for r in adds if r.interface == failing_if), None)
                    if failing_if and adds
                    else None
                )
                sandboxes, netns, nodes = a.row_facts()
                rows.append((
                    t.key[0], t.key[1], t.key[2], a.index,
                    ",".join(sandboxes) or None, ",".join(netns) or None,
                    ",".join(nodes) or None, start, end,
                    _seconds(end - start) if end and start else None,
                    _seconds(nxt - end) if nxt and end else None,
                    a.outcome, a.outcome_inferred, *facts[:4], failing_if,
                    prior.network if prior else None, facts[5], facts[6],
                    len(a.failures), sum(len(f.reports) for f in a.failures), bool(adds),
                    " → ".join(f"{r.interface}({r.network or '?'})" for r in adds) or None,
                    names, a.events,
                ))  # fmt: skip
        # one transpose in C, not an append per cell
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        frame = _columns_frame(columns, schema)
        return frame if layers else frame.drop("error_layers")

    def interfaces(self) -> pl.DataFrame:
        return self._once("interfaces", self._interfaces)

    def interfaces_of(self, pods: Sequence[PodTimeline]) -> pl.DataFrame:
        """:meth:`interfaces` of ``pods`` alone (timelines of this object), in their order: a
        report shows the adds of 50 pods and a figure those of one, out of a node's."""
        pods = self._in_order(pods)
        if "interfaces" in self._memo:
            return _of_pods(self._memo["interfaces"], pods)
        return self._interfaces(pods)

    def _interfaces(self, pods: Sequence[PodTimeline] | None = None) -> pl.DataFrame:
        import polars as pl

        schema = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "attempt": pl.Int64,
            "position": pl.Int64, "interface": pl.String, "network": pl.String, "ips": pl.String,
            "source": pl.String, "ref": pl.String, "corroborated_by": pl.String,
        }  # fmt: skip
        cols: dict[str, list[Any]] = {name: [] for name in schema}
        for t in self.timelines if pods is None else pods:
            for index, adds in sorted(t.rows.items()):
                n = len(adds)
                for c, v in zip(
                    ("namespace", "pod", "pod_uid", "attempt"), (*t.key, index), strict=True
                ):
                    cols[c].extend([v] * n)
                cols["position"].extend([r.position for r in adds])
                cols["interface"].extend([r.interface for r in adds])
                cols["network"].extend([r.network for r in adds])
                cols["ips"].extend([r.ips for r in adds])
                cols["source"].extend([r.source for r in adds])
                cols["ref"].extend([r.rec for r in adds])
                cols["corroborated_by"].extend(
                    ["; ".join(c.ref for c in r.corroborated_by) or None for r in adds]
                )
        recs: list[Rec] = cols.pop("ref")
        where = pl.DataFrame(
            {
                "file": [r.file for r in recs],
                "member": [r.member for r in recs],
                "line": [r.line for r in recs],
            },
            schema={"file": pl.String, "member": pl.String, "line": pl.Int64},
        )
        frame = pl.DataFrame(cols, schema={c: d for c, d in schema.items() if c != "ref"})
        return frame.with_columns(where.select(_ref()).to_series()).select(list(schema))

    def anomalies(self) -> pl.DataFrame:
        return self._once("anomalies", self._anomalies)

    def anomalies_of(self, pods: Sequence[PodTimeline]) -> pl.DataFrame:
        """:meth:`anomalies` of ``pods`` alone, in their order (see :meth:`interfaces_of`)."""
        pods = self._in_order(pods)
        if "anomalies" in self._memo:
            return _of_pods(self._memo["anomalies"], pods)
        return self._anomalies(pods)

    def _in_order(self, pods: Sequence[PodTimeline]) -> list[PodTimeline]:
        """``pods`` once each, in timeline order (as every table lists them)."""
        mine = {id(t) for t in pods}
        return [t for t in self.timelines if id(t) in mine]

    def _anomalies(self, pods: Sequence[PodTimeline] | None = None) -> pl.DataFrame:
        import polars as pl

        rows = [
            {
                "namespace": t.key[0], "pod": t.key[1], "pod_uid": t.key[2], "attempt": x.attempt,
                "anomaly": x.name, "detail": x.detail, "evidence": "; ".join(r.ref for r in x.evidence),
            }
            for t in (self.timelines if pods is None else pods)
            for x in t.anomalies
        ]  # fmt: skip
        schema = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "attempt": pl.Int64,
            "anomaly": pl.String, "detail": pl.String, "evidence": pl.String,
        }  # fmt: skip
        return _frame(rows, schema)

    def events(self, pod: str | None = None, *, lines: pl.DataFrame | None = None) -> pl.DataFrame:
        """The pod's events (all pods for ``None``) in timeline order, untimed ones last.

        Event columns as in :func:`multus_forensics.model.schema`, identity columns filled from
        the join where the record itself did not name them, plus ``attempt`` (null for pod-level
        records), ``untimed`` and ``eid`` (row number in the input frame).

        Order: timed before untimed; an attempt's records together at its start time (so
        skewed clocks cannot interleave two attempts); pod-level records at their own time.

        ``lines`` (a frame with ``file`` and ``line``) keeps only the records at those lines,
        chosen before any input row is read: the rows a finding cites, out of a whole node.
        """
        return self._gather(self._index([self.select(pod)], whole=pod is None, lines=lines))

    def events_by_pod(self, pods: Sequence[str]) -> list[pl.DataFrame]:
        """``[events(p) for p in pods]`` from one index and one gather of the input rows (a
        report shows the events of 50 pods; a query per pod reads the plain index 50 times)."""
        groups = [self.select(p) for p in pods]
        events = self._gather(self._index(groups, whole=False), keep_query=True)
        parts = events.partition_by("_q", maintain_order=True, include_key=False, as_dict=True)
        empty = events.clear().drop("_q")
        return [parts.get((q,), empty) for q in range(len(groups))]

    def _index(
        self,
        groups: Sequence[list[PodTimeline]],
        *,
        whole: bool,
        lines: pl.DataFrame | None = None,
    ) -> pl.DataFrame:
        """One row per record of the timelines in ``groups`` (a group per query, ``_q``), in
        :meth:`events` order: ``eid``, the timeline's identity (``r_*``), ``attempt``,
        ``untimed``, ``file``, ``line``. ``whole``: the groups hold every timeline; ``lines``:
        only the records at these ``file``/``line`` pairs."""
        import polars as pl

        position = {id(t): i for i, t in enumerate(self.timelines)}
        cited = None
        if lines is not None:
            lines = lines.select(pl.col("file").cast(pl.String), pl.col("line").cast(pl.Int64))
            lines = lines.drop_nulls().unique()  # a null never matches, as in a join
            # the structured records at those lines, by a join (a finding may cite 100k lines)
            at_recs = self._rec_index().join(lines, on=["file", "line"], how="semi")
            cited = set(at_recs.get_column("eid").to_list())
            # only the timelines with a record at one of the lines: their anchors, not all
            hit = set(at_recs.get_column("p_pos").to_list())
            if self._plain is not None:
                at = self._plain.join(lines, on=["file", "line"], how="semi")
                hit.update(at.get_column("p_pos").to_list())
            groups = [[t for t in group if position[id(t)] in hit] for group in groups]
        picked = [(q, t) for q, group in enumerate(groups) for t in group]
        rows = []
        starts = []
        for p_idx, (q, t) in enumerate(picked):
            attempt_of = {r.eid: a.index for a in t.attempts for r in a.recs}
            for a in t.attempts:
                start = a.start
                us = _us(start) if start is not None else None
                starts.append((position[id(t)], a.index, p_idx, us))
            for rec in t.recs:
                if cited is not None and rec.eid not in cited:
                    continue
                rows.append(
                    (rec.eid, t.key[0], t.key[1], t.key[2], rec.sandbox_id,
                     attempt_of.get(rec.eid), p_idx, q, rec.us, rec.file, rec.line)
                )  # fmt: skip
        schema = {
            "eid": pl.UInt32, "r_namespace": pl.String, "r_pod": pl.String, "r_pod_uid": pl.String,
            "r_sandbox_id": pl.String, "attempt": pl.Int64, "p_idx": pl.Int64, "_q": pl.Int64,
            "t": pl.Int64, "file": pl.String, "line": pl.Int64,
        }  # fmt: skip
        parts = [pl.DataFrame(rows, schema=schema, orient="row")]
        if self._plain is not None and picked:
            chosen = pl.DataFrame(
                {
                    "p_pos": [position[id(t)] for _, t in picked],
                    "p_idx": list(range(len(picked))),
                    "_q": [q for q, _ in picked],
                    "r_namespace": [t.key[0] for _, t in picked],
                    "r_pod": [t.key[1] for _, t in picked],
                    "r_pod_uid": [t.key[2] for _, t in picked],
                },
                schema={"p_pos": pl.Int64, "p_idx": pl.Int64, "_q": pl.Int64,
                        "r_namespace": pl.String, "r_pod": pl.String, "r_pod_uid": pl.String},
            )  # fmt: skip
            wanted = None if whole else sorted(set(chosen["p_pos"].to_list()))
            plain = self._plain_of(self._plain, wanted)
            if lines is not None:
                plain = plain.join(lines, on=["file", "line"], how="semi", maintain_order="left")
            parts.append(
                plain.join(chosen, on="p_pos", how="inner")
                .with_columns(pl.lit(None, pl.String).alias("r_sandbox_id"))
                .select(pl.col(c).cast(d) for c, d in schema.items())
            )
        meta = pl.concat(parts)
        anchors = pl.DataFrame(
            starts, schema={"p_pos": pl.Int64, "attempt": pl.Int64, "p_idx": pl.Int64, "a_t": pl.Int64},
            orient="row",
        ).drop("p_pos")  # fmt: skip
        own = pl.col("t").fill_null(0)
        meta = meta.join(anchors, on=["p_idx", "attempt"], how="left").with_columns(
            pl.col("t").is_null().alias("untimed"),
            own.alias("_own"),
            pl.coalesce("a_t", own).alias("_anchor"),
            pl.col("attempt").fill_null(0).alias("_index"),
        )
        return meta.sort("p_idx", "untimed", "_anchor", "_index", "_own", "file", "line")

    def _rec_index(self) -> pl.DataFrame:
        """``eid``, ``p_pos`` (position in ``timelines``), ``attempt`` (null for pod-level
        records), ``file`` and ``line`` of every structured record: which timelines and
        attempts a set of cited lines touches, found by a join. Places are read from the input
        frame by row number (as the records were made), not from each record object."""
        import polars as pl

        if "_recs" not in self._memo:
            eids: list[int] = []
            pos: list[int] = []
            in_attempt: list[int] = []
            attempt: list[int] = []
            for i, t in enumerate(self.timelines):
                eids.extend([r.eid for r in t.recs])
                pos.extend([i] * len(t.recs))
                for a in t.attempts:
                    in_attempt.extend([r.eid for r in a.recs])
                    attempt.extend([a.index] * len(a.recs))
            index = pl.DataFrame(
                {"eid": eids, "p_pos": pos}, schema={"eid": pl.Int64, "p_pos": pl.Int64}
            )
            of = pl.DataFrame(
                {"eid": in_attempt, "attempt": attempt},
                schema={"eid": pl.Int64, "attempt": pl.Int64},
            )
            places = self._frame.select(
                pl.col("file").fill_null("").gather(index.get_column("eid")),
                pl.col("line").fill_null(0).cast(pl.Int64).gather(index.get_column("eid")),
            )
            self._memo["_recs"] = pl.concat([index, places], how="horizontal").join(
                of, on="eid", how="left", maintain_order="left"
            )
        return self._memo["_recs"]

    def events_at(self, lines: pl.DataFrame, columns: Sequence[str] = ()) -> pl.DataFrame:
        """The records at ``lines`` (``file``, ``line``) that belong to a pod, in no set order:
        ``eid``, ``attempt`` (null for pod-level records), ``file``, ``line``, ``namespace``,
        ``pod``, ``pod_uid`` (the record's own, else its timeline's, as :meth:`events` fills
        them) and the input ``columns``. What ``events(lines=)`` holds of those rows, without
        its order or every input column (a Multus log's findings cite 100k lines)."""
        import polars as pl

        lines = lines.select(pl.col("file").cast(pl.String), pl.col("line").cast(pl.Int64))
        lines = lines.drop_nulls().unique()  # a null never matches, as in a join
        keys = pl.DataFrame(
            [t.key for t in self.timelines],
            schema={"r_namespace": pl.String, "r_pod": pl.String, "r_pod_uid": pl.String},
            orient="row",
        ).with_row_index("p_pos")
        at = self._rec_index().join(lines, on=["file", "line"], how="semi")
        at = at.select("eid", "p_pos", "attempt", "file", "line")
        if self._plain is not None:
            plain = self._plain.join(lines, on=["file", "line"], how="semi")
            at = pl.concat(
                [at, plain.select(pl.col("eid").cast(pl.Int64), "p_pos", "attempt", "file", "line")]
            )
        at = at.join(keys.with_columns(pl.col("p_pos").cast(pl.Int64)), on="p_pos", how="left")
        own = self._frame.select(
            pl.col("namespace", "pod", "pod_uid", *columns).gather(at.get_column("eid"))
        )
        return pl.concat([at, own], how="horizontal").select(
            pl.col("eid").cast(pl.UInt32), "attempt", "file", "line",
            pl.coalesce("namespace", "r_namespace").alias("namespace"),
            pl.coalesce("pod", "r_pod").alias("pod"),
            pl.coalesce("pod_uid", "r_pod_uid").alias("pod_uid"),
            *columns,
        )  # fmt: skip

    def _gather(self, meta: pl.DataFrame, *, keep_query: bool = False) -> pl.DataFrame:
        """The input rows of :meth:`_index` rows, by position (not a join with the whole
        input), with the timeline's identity where the record named none."""
        import polars as pl

        rows_of = self._frame.select(pl.all().gather(meta.get_column("eid")))
        extra = ["_q"] if keep_query else []
        return (
            pl.concat(
                [rows_of, meta.select("r_namespace", "r_pod", "r_pod_uid", "r_sandbox_id", "attempt", "untimed", "eid", *extra)],
                how="horizontal",
            )
            .with_columns(
                pl.coalesce("namespace", "r_namespace").alias("namespace"),
                pl.coalesce("pod", "r_pod").alias("pod"),
                pl.coalesce("pod_uid", "r_pod_uid").alias("pod_uid"),
                pl.coalesce("sandbox_id", "r_sandbox_id").alias("sandbox_id"),
            )
            .select([*self._frame.columns, "attempt", "untimed", "eid", *extra])
        )  # fmt: skip

    def _plain_of(self, plain: pl.DataFrame, positions: list[int] | None) -> pl.DataFrame:
        """Plain records of the pods at ``positions`` (all for ``None``): slices of the plain
        frame sorted by pod, so a per-pod query reads that pod's rows only."""
        import polars as pl

        if positions is None:
            return plain
        if self._plain_index is None:
            ordered = plain.sort("p_pos", maintain_order=True)
            counts = ordered.group_by("p_pos", maintain_order=True).len()
            offsets: dict[int, tuple[int, int]] = {}
            start = 0
            for pos, n in counts.iter_rows():
                offsets[pos] = (start, n)
                start += n
            self._plain_index = (ordered, offsets)
        ordered, offsets = self._plain_index
        slices = [ordered.slice(*offsets[p]) for p in positions if p in offsets]
        return pl.concat(slices) if slices else ordered.clear()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(when: datetime) -> int:
    """Microseconds since the epoch (exact, unlike a float timestamp)."""
    return (when - _EPOCH) // timedelta(microseconds=1)


def _as_frame(events: EventLog | pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    import polars as pl

    from multus_forensics.model import conform

    if isinstance(events, pl.LazyFrame):  # a scan of events on disk (see scan_events)
        return conform(events.collect())
    if isinstance(events, pl.DataFrame):
        return conform(events)
    return events.to_polars()


def _identity_frame(ident: pl.DataFrame, plain: pl.DataFrame) -> pl.DataFrame:
    """One row per record with the identity columns :func:`.identity.resolve` joins on:
    structured records with what their chains named (``ident``), plain ones as parsed."""
    import polars as pl

    rest = plain.select(
        "eid", "namespace", "pod", "pod_uid",
        pl.lit(None, pl.String).alias("sandbox_id"), "container_id", "t", "node",
    )  # fmt: skip
    return pl.concat([ident, rest]).sort("eid")


def _plain_parts(placed: pl.DataFrame) -> dict[int, PlainPart]:
    """Per attempt (``gid``): the plain records placed in it (a slice of one sorted column,
    not a Python list per attempt), their span, nodes and earliest (time, file, line)."""
    import polars as pl

    ordered = placed.filter(pl.col("gid").is_not_null()).sort("gid", "t", "file", "line")
    eids = ordered.get_column("eid")
    grouped = ordered.group_by("gid", maintain_order=True).agg(
        pl.len().alias("n"),
        pl.col("time").min().alias("first"),
        pl.col("time").max().alias("last"),
        pl.col("node").drop_nulls().filter(pl.col("node").drop_nulls() != "").unique(),
        pl.col("t").first().alias("k_t"),
        pl.col("file").first().alias("k_file"),
        pl.col("line").first().alias("k_line"),
    )
    out: dict[int, PlainPart] = {}
    offset = 0
    for gid, n, first, last, nodes, k_t, k_file, k_line in grouped.iter_rows():
        key = (k_t, k_file or "", k_line or 0) if k_t is not None else None
        out[gid] = PlainPart(eids, offset, n, first, last, frozenset(nodes), key)
        offset += n
    return out


def _pod_summaries(frame: pl.DataFrame, keys: pl.DataFrame) -> dict[int, PodSummary]:
    """Per pod (``pid``): count, untimed count, span, nodes and sources of all its records
    (``keys``: ``eid`` → ``pid``), read from the input frame by row number."""
    import polars as pl

    picked = keys.get_column("eid")
    rows = frame.select(pl.col("time", "node", "source").gather(picked)).with_columns(
        keys.get_column("pid")
    )
    grouped = rows.group_by("pid").agg(
        pl.len().alias("n"),
        pl.col("time").null_count().alias("untimed"),
        pl.col("time").min().alias("first"),
        pl.col("time").max().alias("last"),
        pl.col("node").filter(pl.col("node").is_not_null() & (pl.col("node") != "")).unique().sort(),
        pl.when(pl.col("source") != "").then(pl.col("source")).otherwise(pl.lit("unknown")).unique().sort(),
    )  # fmt: skip
    return {
        pid: PodSummary(n, untimed, first, last, tuple(nodes), tuple(sources))
        for pid, n, untimed, first, last, nodes, sources in grouped.iter_rows()
    }


@gc_paused()
def build_timelines(
    events: EventLog | pl.DataFrame | pl.LazyFrame, *, skew: timedelta = DEFAULT_SKEW
) -> Timelines:
    """Per-pod timelines (attempts, add order, anomalies) from events of any mix of sources.

    ``events`` is an :class:`~multus_forensics.eventlog.EventLog` or a frame in the event
    schema. ``skew`` is the clock difference tolerated between sources when records without a
    sandbox ID or netns are placed into attempts.

    Structured records (``_records.split``) are grouped into attempts in Python; plain ones
    (most rows of a node's journal) are resolved, placed and counted by joins and group-bys.
    """
    frame = _as_frame(events)
    recs, ident, plain = split(frame)
    key_of, by_pod, plain, keys = _by_pod(recs, ident, plain)
    multus_names = multus_config_names(recs)
    drafts = [draft_attempts(pod_recs, skew) for pod_recs in by_pod]
    spans: list[Span] = []
    for pid, (pieces, _) in enumerate(drafts):
        for piece in pieces:
            first, last = piece.span_us()
            spans.append(Span(len(spans), pid, first, last, piece.node))
    placed = plain.join(
        place(plain, spans, skew // timedelta(microseconds=1)), on="eid", how="left"
    )
    parts = _plain_parts(placed)
    summaries = _pod_summaries(frame, keys)
    pods: list[tuple[int, PodTimeline]] = []
    attempt_of_gid: list[int] = []
    for pid, (pieces, pod_level) in enumerate(drafts):
        key = key_of[pid]
        gids = range(len(attempt_of_gid), len(attempt_of_gid) + len(pieces))
        attempts, index_of = finish_attempts(key, pieces, [parts.get(g) for g in gids], pod_level)
        attempt_of_gid.extend(index_of)
        t = PodTimeline(
            key, by_pod[pid], attempts, pod_level,
            summary=summaries.get(pid, PodSummary()),
        )  # fmt: skip
        _add_order_and_anomalies(t, multus_names)
        if key[1] is not None or attempts:  # a bare UID with no attempt says nothing here
            pods.append((pid, t))
    pods.sort(key=lambda pt: (_first_us(pt[1]), pt[1].label))
    return Timelines(frame, [t for _, t in pods], _plain_rows(placed, pods, attempt_of_gid))


def _by_pod(
    recs: list[Rec], ident: pl.DataFrame, plain: pl.DataFrame
) -> tuple[list[PodKey], list[list[Rec]], pl.DataFrame, pl.DataFrame]:
    """Pod keys (``pid`` = position, in order of each pod's first record), the structured
    records of each pod, the plain rows with their ``pid`` and time ``t`` in µs, and ``eid``
    → ``pid`` of every record that belongs to a pod."""
    import polars as pl

    plain = plain.with_columns(pl.col("time").dt.epoch("us").alias("t"))
    keys = resolve(_identity_frame(ident, plain))
    pod_keys = (
        keys.group_by("k_ns", "k_pod", "k_uid", maintain_order=True).agg().with_row_index("pid")
    )
    keys = keys.join(pod_keys, on=["k_ns", "k_pod", "k_uid"], how="left", nulls_equal=True)
    key_of: list[PodKey] = list(pod_keys.select("k_ns", "k_pod", "k_uid").iter_rows())
    by_pod: list[list[Rec]] = [[] for _ in key_of]
    keys = keys.select("eid", pl.col("pid").cast(pl.Int64))
    # ``ident`` has a row per record, in the records' order: each one's pid by one join; the
    # records are dealt out in RANK order, so each pod's list is sorted once, here
    pids = ident.select("eid").join(keys, on="eid", how="left", maintain_order="left")
    pid_list = pids.get_column("pid").to_list()
    for rec, pid in sorted(zip(recs, pid_list, strict=True), key=_rank_of_pair):
        if pid is not None:
            by_pod[pid].append(rec)
    plain = plain.join(keys, on="eid", how="inner")
    return key_of, by_pod, plain, keys


def _rank_of_pair(pair: tuple[Rec, int | None]) -> int:
    return pair[0].rank


def _add_order_and_anomalies(t: PodTimeline, multus_names: set[str]) -> None:
    """Fill ``t.requested``, ``t.rows`` (add order per attempt) and ``t.anomalies``."""
    status = [r for r in t.pod_level if r.kind == STATUS_KIND]
    ready = [a for a in t.attempts if a.outcome in ("ready", "torn-down")]
    t.requested = requested_networks([r for r in t.pod_level if r.kind == "pod:networks"], t.key[0])
    for a in t.attempts:
        t.rows[a.index] = add_rows(a, status if ready and a is ready[-1] else [])
        t.anomalies.extend(attempt_anomalies(a, t.rows[a.index], t.requested, multus_names))
    t.anomalies.extend(pod_anomalies(t.attempts, t.rows))
    t.rows = {k: v for k, v in t.rows.items() if v}


def _plain_rows(
    placed: pl.DataFrame, pods: list[tuple[int, PodTimeline]], attempt_of_gid: list[int]
) -> pl.DataFrame:
    """What :meth:`Timelines.events` needs of the plain rows of the kept pods: ``eid``,
    ``p_pos`` (position in the timelines), ``attempt``, ``t``, ``file``, ``line``."""
    import polars as pl

    gid_attempt = pl.DataFrame(
        {"gid": range(len(attempt_of_gid)), "attempt": attempt_of_gid},
        schema={"gid": pl.Int64, "attempt": pl.Int64},
    )
    pod_pos = pl.DataFrame(
        {"pid": [pid for pid, _ in pods], "p_pos": range(len(pods))},
        schema={"pid": pl.Int64, "p_pos": pl.Int64},
    )
    return (
        placed.join(pod_pos, on="pid", how="inner")
        .join(gid_attempt, on="gid", how="left")
        .select("eid", "p_pos", "attempt", "t", "file", "line")
    )


def _first_us(t: PodTimeline) -> float:
    first = t.first_seen
    return float(_us(first)) if first is not None else float("inf")
