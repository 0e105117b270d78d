"""``build_timelines(events)`` and the :class:`Timelines` frames (columns in docs/timelines.md).

Every method returns a polars DataFrame; ``.to_pandas()`` on it gives the same columns in pandas
(``use_pyarrow_extension_array=True`` keeps the Arrow dtypes one to one). Times are UTC;
durations and gaps are float seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from multus_forensics.chain import ErrorChain, chain_json
from multus_forensics.gcpause import gc_paused
from multus_forensics.timeline._records import STATUS_KIND, Rec, records, sort_key
from multus_forensics.timeline.anomalies import (
    Anomaly,
    attempt_anomalies,
    multus_config_names,
    pod_anomalies,
)
from multus_forensics.timeline.attempts import Attempt, build_attempts
from multus_forensics.timeline.identity import PodKey, key_label, resolve
from multus_forensics.timeline.interfaces import AddRow, add_rows, requested_networks

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.eventlog import EventLog

DEFAULT_SKEW = timedelta(seconds=5)


@dataclass
class PodTimeline:
    """Everything known about one pod: its attempts, adds, anomalies and records."""

    key: PodKey
    recs: list[Rec]
    attempts: list[Attempt]
    pod_level: list[Rec]
    rows: dict[int, list[AddRow]] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return key_label(self.key)

    def attempt_of(self) -> dict[int, int]:
        return {r.eid: a.index for a in self.attempts for r in a.recs}

    def event_order(self) -> Callable[[Rec], tuple[bool, float, int, float, str, int]]:
        """Sort key: timed before untimed; an attempt's records together at its start time
        (so skewed clocks cannot interleave two attempts); pod-level records at their own time."""
        attempt_of = self.attempt_of()
        starts = {a.index: a.start.timestamp() for a in self.attempts if a.start is not None}

        def key(rec: Rec) -> tuple[bool, float, int, float, str, int]:
            _, own, file, line = sort_key(rec)
            index = attempt_of.get(rec.eid, 0)
            anchor = starts.get(index, own) if index else own
            return (rec.time is None, anchor, index, own, file, line)

        return key


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


class Timelines:
    """Per-pod timelines built from an event frame; see :func:`build_timelines`."""

    def __init__(self, frame: pl.DataFrame, pods: list[PodTimeline]) -> None:
        self._frame = frame
        self.timelines = pods
        self._memo: dict[str, pl.DataFrame] = {}

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
        """Pods matching ``NS/NAME``, ``NAME`` or a UID (all pods for ``None``)."""
        if pod is None:
            return list(self.timelines)
        return [
            t
            for t in self.timelines
            if pod in (t.label, t.key[1], t.key[2])
            or (t.key[0] is None and pod.endswith("/" + str(t.key[1])))
        ]

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
            times = [r.time for r in t.recs if r.time is not None]
            last = t.attempts[-1].outcome if t.attempts else None
            rows.append(
                {
                    "namespace": t.key[0],
                    "pod": t.key[1],
                    "pod_uid": t.key[2],
                    "nodes": ",".join(sorted({r.node for r in t.recs if r.node})) or None,
                    "first_seen": min(times, default=None),
                    "last_seen": max(times, default=None),
                    "attempts": len(t.attempts),
                    "failed_attempts": sum(a.outcome == "failed" for a in t.attempts),
                    "ready_attempts": sum(a.outcome in ("ready", "torn-down") for a in t.attempts),
                    "last_outcome": last,
                    "requested_networks": ",".join(t.requested) or None,
                    "anomalies": ",".join(sorted({a.name for a in t.anomalies})) or None,
                    "events": len(t.recs),
                    "untimed_events": sum(r.time is None for r in t.recs),
                    "sources": ",".join(sorted({r.source for r in t.recs})),
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

    def attempts(self) -> pl.DataFrame:
        return self._once("attempts", self._attempts)

    def _attempts(self) -> pl.DataFrame:
        import polars as pl

        rows = []
        for t in self.timelines:
            for i, a in enumerate(t.attempts):
                nxt = t.attempts[i + 1].start if i + 1 < len(t.attempts) else None
                end = a.end
                err = a.error
                names = sorted({x.name for x in t.anomalies if x.attempt == a.index})
                adds = t.rows.get(a.index, [])
                failing_if = err.innermost("interface") if err else None
                prior = next((r for r in adds if failing_if and r.interface == failing_if), None)
                rows.append(
                    {
                        "namespace": t.key[0], "pod": t.key[1], "pod_uid": t.key[2],
                        "attempt": a.index,
                        "sandbox_id": ",".join(a.sandbox_ids) or None,
                        "netns": ",".join(a.netns) or None,
                        "nodes": ",".join(a.nodes) or None,
                        "start": a.start, "end": end,
                        "duration_s": _seconds(end - a.start) if end and a.start else None,
                        "gap_to_next_s": _seconds(nxt - end) if nxt and end else None,
                        "outcome": a.outcome, "outcome_inferred": a.outcome_inferred,
                        "error": err.text if err else None,
                        "error_leaf": err.leaf if err else None,
                        "error_signature": err.signature if err else None,
                        "error_network": err.innermost("network") if err else None,
                        "error_interface": failing_if,
                        "error_interface_added_from": prior.network if prior else None,
                        "error_truncated": err.truncated if err else None,
                        "error_layers": chain_json(err) if err else None,
                        "failures": len(a.failures),
                        "failure_reports": sum(len(f.reports) for f in a.failures),
                        "add_order_known": bool(adds),
                        "add_order": " → ".join(f"{r.interface}({r.network or '?'})" for r in adds) or None,
                        "anomalies": ",".join(names) or None,
                        "events": len(a.recs),
                    }
                )  # fmt: skip
        schema = {
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
        return _frame(rows, schema)

    def interfaces(self) -> pl.DataFrame:
        return self._once("interfaces", self._interfaces)

    def _interfaces(self) -> pl.DataFrame:
        import polars as pl

        rows = []
        for t in self.timelines:
            for index, adds in sorted(t.rows.items()):
                for r in adds:
                    rows.append(
                        {
                            "namespace": t.key[0], "pod": t.key[1], "pod_uid": t.key[2],
                            "attempt": index, "position": r.position, "interface": r.interface,
                            "network": r.network, "ips": r.ips, "source": r.source,
                            "ref": r.rec.ref, "corroborated_by": "; ".join(c.ref for c in r.corroborated_by) or None,
                        }
                    )  # fmt: skip
        schema = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "attempt": pl.Int64,
            "position": pl.Int64, "interface": pl.String, "network": pl.String, "ips": pl.String,
            "source": pl.String, "ref": pl.String, "corroborated_by": pl.String,
        }  # fmt: skip
        return _frame(rows, schema)

    def anomalies(self) -> pl.DataFrame:
        return self._once("anomalies", self._anomalies)

    def _anomalies(self) -> pl.DataFrame:
        import polars as pl

        rows = [
            {
                "namespace": t.key[0], "pod": t.key[1], "pod_uid": t.key[2], "attempt": x.attempt,
                "anomaly": x.name, "detail": x.detail, "evidence": "; ".join(r.ref for r in x.evidence),
            }
            for t in self.timelines
            for x in t.anomalies
        ]  # fmt: skip
        schema = {
            "namespace": pl.String, "pod": pl.String, "pod_uid": pl.String, "attempt": pl.Int64,
            "anomaly": pl.String, "detail": pl.String, "evidence": pl.String,
        }  # fmt: skip
        return _frame(rows, schema)

    def events(self, pod: str | None = None) -> pl.DataFrame:
        """The pod's events (all pods for ``None``) in timeline order, untimed ones last.

        Event columns as in :func:`multus_forensics.model.schema`, identity columns filled from
        the join where the record itself did not name them, plus ``attempt`` (null for pod-level
        records), ``untimed`` and ``eid`` (row number in the input frame).
        """
        import polars as pl

        picked = self.select(pod)
        rows = []
        for p_idx, t in enumerate(picked):
            attempt_of = t.attempt_of()
            for order, rec in enumerate(sorted(t.recs, key=t.event_order())):
                rows.append(
                    {
                        "eid": rec.eid, "r_namespace": t.key[0], "r_pod": t.key[1],
                        "r_pod_uid": t.key[2], "r_sandbox_id": rec.sandbox_id,
                        "attempt": attempt_of.get(rec.eid), "untimed": rec.time is None,
                        "p_idx": p_idx, "p_ord": order,
                    }
                )  # fmt: skip
        schema = {
            "eid": pl.UInt32, "r_namespace": pl.String, "r_pod": pl.String, "r_pod_uid": pl.String,
            "r_sandbox_id": pl.String, "attempt": pl.Int64, "untimed": pl.Boolean,
            "p_idx": pl.Int64, "p_ord": pl.Int64,
        }  # fmt: skip
        meta = (
            pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        )
        base = self._frame.with_row_index("eid")
        return (
            meta.join(base, on="eid", how="left")
            .sort("p_idx", "p_ord")
            .with_columns(
                pl.coalesce("namespace", "r_namespace").alias("namespace"),
                pl.coalesce("pod", "r_pod").alias("pod"),
                pl.coalesce("pod_uid", "r_pod_uid").alias("pod_uid"),
                pl.coalesce("sandbox_id", "r_sandbox_id").alias("sandbox_id"),
            )
            .select([*self._frame.columns, "attempt", "untimed", "eid"])
        )


def _as_frame(events: EventLog | pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    import polars as pl

    from multus_forensics.model import conform

    if isinstance(events, pl.LazyFrame):  # a scan of events on disk (see scan_events)
        return conform(events.collect())
    if isinstance(events, pl.DataFrame):
        return conform(events)
    return events.to_polars()


@gc_paused()
def build_timelines(
    events: EventLog | pl.DataFrame | pl.LazyFrame, *, skew: timedelta = DEFAULT_SKEW
) -> Timelines:
    """Per-pod timelines (attempts, add order, anomalies) from events of any mix of sources.

    ``events`` is an :class:`~multus_forensics.eventlog.EventLog` or a frame in the event
    schema. ``skew`` is the clock difference tolerated between sources when records without a
    sandbox ID or netns are placed into attempts.
    """
    frame = _as_frame(events)
    recs = records(frame)
    keys = resolve(recs)
    grouped: dict[PodKey, list[Rec]] = defaultdict(list)
    for rec in recs:
        if rec.eid in keys:
            grouped[keys[rec.eid]].append(rec)
    multus_names = multus_config_names(recs)
    pods = []
    for key, pod_recs in grouped.items():
        attempts, pod_level = build_attempts(pod_recs, key, skew)
        status = [r for r in pod_level if r.kind == STATUS_KIND]
        ready = [a for a in attempts if a.outcome in ("ready", "torn-down")]
        requested = requested_networks([r for r in pod_level if r.kind == "pod:networks"], key[0])
        t = PodTimeline(
            key, sorted(pod_recs, key=sort_key), attempts, pod_level, requested=requested
        )
        for a in attempts:
            t.rows[a.index] = add_rows(a, status if ready and a is ready[-1] else [])
            t.anomalies.extend(attempt_anomalies(a, t.rows[a.index], requested, multus_names))
        t.anomalies.extend(pod_anomalies(attempts, t.rows))
        t.rows = {k: v for k, v in t.rows.items() if v}
        if key[1] is not None or attempts:  # a bare UID with no attempt says nothing here
            pods.append(t)
    pods.sort(
        key=lambda t: (
            min((r.time.timestamp() for r in t.recs if r.time), default=float("inf")),
            t.label,
        )
    )
    return Timelines(frame, pods)
