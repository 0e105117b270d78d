"""Plain records into attempts by their own time, with as-of joins instead of a loop per record.

A plain record (a pod's log line with only a pod identity, see ``_records.split``) joins the
attempt whose span, widened by ``skew``, holds its time, on the same node (or either unknown);
when several do, the one whose start is nearest, and none when the two nearest are equally
near. Spans are those of the attempt's structured records: a plain record never widens the span
another plain record is placed by, so each placement depends on that record alone.

The nearest holding attempt is either the first to start after the time (within ``skew``, it
holds it by construction) or, among those started by then, the latest-starting one still open.
The second is a function of time that changes only where an attempt starts or closes, so each
pod's attempts are cut once into segments (a sweep over the attempts, not over the records)
and both halves become as-of joins. Pods whose attempts lie on different nodes are placed by
the direct rule (they are rare: one pod runs on one node).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Span:
    """An attempt as placement sees it: pod, start and end in microseconds, node."""

    gid: int
    pid: int
    first: int | None
    last: int | None
    node: str | None


def _segments(spans: list[Span], skew: int) -> list[tuple[int, int, int | None, int | None, bool]]:
    """(pid, from, latest-starting open attempt, its start, tied) for one pod's timed spans."""
    timed = sorted((s for s in spans if s.first is not None), key=lambda s: s.first or 0)
    ends = {s.gid: (s.last or 0) + skew for s in timed}
    bounds = sorted(
        {s.first for s in timed if s.first is not None} | {e + 1 for e in ends.values()}
    )
    out: list[tuple[int, int, int | None, int | None, bool]] = []
    heap: list[tuple[int, int, int]] = []
    i = 0
    for x in bounds:
        while i < len(timed) and (timed[i].first or 0) <= x:
            s = timed[i]
            heapq.heappush(heap, (-(s.first or 0), ends[s.gid], s.gid))
            i += 1
        while heap and heap[0][1] < x:
            heapq.heappop(heap)
        if not heap:
            out.append((timed[0].pid, x, None, None, False))
            continue
        top = heapq.heappop(heap)
        while heap and heap[0][1] < x:
            heapq.heappop(heap)
        tied = bool(heap) and heap[0][0] == top[0]
        heapq.heappush(heap, top)
        out.append((timed[0].pid, x, top[2], -top[0], tied))
    return out


def _direct(t: int, node: str | None, spans: list[Span], skew: int) -> int | None:
    """The rule itself, for one record (pods with attempts on several nodes)."""
    near = [
        s
        for s in spans
        if s.first is not None
        and s.last is not None
        and not (node and s.node and node != s.node)
        and s.first - skew <= t <= s.last + skew
    ]
    ranked = sorted(near, key=lambda s: abs((s.first or 0) - t))
    if not ranked or (
        len(ranked) > 1 and abs((ranked[0].first or 0) - t) == abs((ranked[1].first or 0) - t)
    ):
        return None
    return ranked[0].gid


def place(plain: pl.DataFrame, spans: list[Span], skew: int) -> pl.DataFrame:
    """``eid`` → ``gid`` (the attempt, null: pod-level) for ``plain`` (``eid``, ``pid``, ``t``
    in microseconds, ``node``), given every pod's attempt spans; ``skew`` in microseconds."""
    import polars as pl

    by_pod: dict[int, list[Span]] = {}
    for s in spans:
        by_pod.setdefault(s.pid, []).append(s)
    lane: dict[int, str | None] = {}
    mixed: dict[int, list[Span]] = {}
    for pid, own in by_pod.items():
        nodes = {s.node or None for s in own}
        if len(nodes) == 1:
            lane[pid] = nodes.pop()
        else:
            mixed[pid] = own
    segs = [row for pid in lane for row in _segments(by_pod[pid], skew)]
    seg = pl.DataFrame(
        segs,
        schema={"pid": pl.Int64, "x": pl.Int64, "b_gid": pl.Int64, "b_first": pl.Int64, "b_tied": pl.Boolean},
        orient="row",
    ).sort("x")  # fmt: skip
    starts = pl.DataFrame(
        [(s.pid, s.first, s.gid) for s in spans if s.pid in lane and s.first is not None],
        schema={"pid": pl.Int64, "a_first": pl.Int64, "a_gid": pl.Int64},
        orient="row",
    )
    starts = starts.with_columns((pl.len().over("pid", "a_first") > 1).alias("a_tied")).sort(
        "a_first"
    )
    lanes = pl.DataFrame(
        {"pid": list(lane), "lane": list(lane.values())},
        schema={"pid": pl.Int64, "lane": pl.String},
    )
    node = pl.when(pl.col("node") != "").then(pl.col("node"))
    rows = plain.with_columns(node.alias("node")).join(lanes, on="pid", how="inner")
    fits = pl.col("t").is_not_null() & (
        pl.col("node").is_null() | pl.col("lane").is_null() | (pl.col("node") == pl.col("lane"))
    )
    cand = rows.filter(fits).sort("t")
    cand = cand.join_asof(
        seg,
        left_on="t",
        right_on="x",
        by="pid",
        strategy="backward",
        check_sortedness=False,
    )
    cand = cand.join_asof(
        starts, left_on="t", right_on="a_first", by="pid", strategy="forward",
        allow_exact_matches=False, tolerance=skew, check_sortedness=False,
    )  # fmt: skip
    d_a = pl.col("a_first") - pl.col("t")
    d_b = pl.col("t") - pl.col("b_first")
    a_wins = pl.col("a_gid").is_not_null() & (pl.col("b_gid").is_null() | (d_a < d_b))
    b_wins = pl.col("b_gid").is_not_null() & (pl.col("a_gid").is_null() | (d_b < d_a))
    gid = (
        pl.when(a_wins & ~pl.col("a_tied"))
        .then(pl.col("a_gid"))
        .when(b_wins & ~pl.col("b_tied"))
        .then(pl.col("b_gid"))
        .otherwise(None)
        .alias("gid")
    )
    placed = [cand.select("eid", gid)]
    if mixed:
        odd = plain.filter(pl.col("pid").is_in(list(mixed)) & pl.col("t").is_not_null())
        found = [
            (eid, _direct(t, node or None, mixed[pid], skew))
            for eid, pid, t, node in odd.select("eid", "pid", "t", "node").iter_rows()
        ]
        placed.append(
            pl.DataFrame(found, schema={"eid": plain.schema["eid"], "gid": pl.Int64}, orient="row")
        )
    return pl.concat(placed).filter(pl.col("gid").is_not_null())
