"""Year inference across a bundle: re-anchor year-less streams on the bundle's full timestamps.

A kubelet klog file has no year; its parser took one from an mtime, which is wrong whenever the
file was copied, extracted or touched later. The Multus or containerd log in the same bundle
(one top-level input: an archive or a directory) carries full timestamps. For every year-less
stream whose year came from an mtime, we pick the whole-year shift that puts most of its events
inside the span of the bundle's explicit-year events (± :data:`SLACK`), apply it to every event of
the stream (so a December→January rollover computed by the parser is preserved) and mark those
events ``year_source="bundle"``. Streams with no event near the span keep their mtime year.

Ladder (strongest first): ``argument`` > ``file-header`` > ``content`` > ``bundle`` > ``archive-mtime`` /
``gzip-mtime`` > ``file-mtime``; only the mtime rungs (and ``unknown``) are moved here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    import polars as pl

SLACK: Final = timedelta(days=3)
MOVABLE: Final = ("archive-mtime", "gzip-mtime", "file-mtime", "unknown")
#: year-less streams whose year came from their own evidence: the bundle's evidence when no
#: stream has full timestamps
EVIDENCE: Final = ("file-header", "content")
MAX_SHIFT_CANDIDATES: Final = 64


@dataclass(frozen=True)
class YearFacts:
    """What re-anchoring needs from some streams' events, without the events themselves.

    ``explicit`` and ``evidence`` are the (earliest, latest) dated stamps with a full date and
    with a year of the streams' own evidence; ``movable`` holds each mtime-anchored stamp once
    per stream with its count (``_stream``, ``time``, ``_n``). The facts of a bundle's streams
    taken one by one give the same shifts as the bundle's frame, so streams parsed apart (in
    batch workers) are re-anchored as :func:`reanchor_bundle` would re-anchor them together.
    """

    explicit: tuple[datetime, datetime] | None
    evidence: tuple[datetime, datetime] | None
    movable: pl.DataFrame


def _stream_key() -> pl.Expr:
    import polars as pl

    return pl.concat_str([pl.col("file"), pl.col("member").fill_null("")], separator="\x00")


def _span(times: pl.Series) -> tuple[datetime, datetime] | None:
    if times.is_empty():
        return None
    return cast(datetime, times.min()), cast(datetime, times.max())


def year_facts(df: pl.DataFrame) -> YearFacts:
    """The :class:`YearFacts` of ``df`` (one stream's events, or several)."""
    import polars as pl

    dated = pl.col("time").is_not_null() & ~pl.col("time_relative")
    stamps = df.select("time", "year_source", "time_relative")  # filter 3 columns, not all
    explicit = stamps.filter(pl.col("year_source").is_null() & dated)["time"]
    evidence = stamps.filter(pl.col("year_source").is_in(EVIDENCE) & dated)["time"]
    movable = (
        df.filter(pl.col("year_source").is_in(MOVABLE) & pl.col("time").is_not_null())
        .group_by(_stream_key().alias("_stream"), "time")
        .agg(pl.len().cast(pl.Int64).alias("_n"))
    )
    return YearFacts(_span(explicit), _span(evidence), movable)


def _widest(spans: Sequence[tuple[datetime, datetime] | None]) -> tuple[datetime, datetime] | None:
    given = [s for s in spans if s is not None]
    if not given:
        return None
    return min(lo for lo, _ in given), max(hi for _, hi in given)


def bundle_shifts(facts: Sequence[YearFacts], slack: timedelta = SLACK) -> pl.DataFrame | None:
    """Whole-year shift per mtime-anchored stream (``_stream``, ``_k``) over the facts of a
    bundle's streams; ``None`` when nothing moves."""
    import polars as pl

    span = _widest([f.explicit for f in facts])
    if span is None:  # no full stamps: the streams that read their year themselves
        span = _widest([f.evidence for f in facts])
    moving = [f.movable for f in facts if f.movable.height]
    if span is None or not moving:
        return None
    cand = pl.concat(moving, how="vertical")
    lo, hi = span[0] - slack, span[1] + slack
    years = cand["time"].dt.year()
    first_k = lo.year - cast(int, years.max())
    last_k = hi.year - cast(int, years.min())
    shifts = range(first_k, min(last_k, first_k + MAX_SHIFT_CANDIDATES) + 1)
    scored = pl.concat(
        [
            cand.select(
                "_stream",
                pl.lit(k, pl.Int64).alias("_k"),
                (pl.col("time").dt.offset_by(f"{k}y").is_between(lo, hi) * pl.col("_n")).alias(
                    "_hit"
                ),
            )
            for k in shifts
        ]
    )
    best = (
        scored.group_by("_stream", "_k")
        .agg(pl.col("_hit").sum().alias("_hits"))
        .filter(pl.col("_hits") > 0)
        .sort(["_hits", pl.col("_k").abs(), "_k"], descending=[True, False, False])
        .unique(subset="_stream", keep="first", maintain_order=True)
        .select("_stream", "_k")
    )
    return None if best.is_empty() else best


def apply_shifts(df: pl.DataFrame, best: pl.DataFrame | None) -> pl.DataFrame:
    """``df`` with the mtime-anchored events of each stream in ``best`` moved by its shift."""
    import polars as pl

    if best is None:
        return df
    movable = pl.col("year_source").is_in(MOVABLE) & pl.col("time").is_not_null()
    moved = movable & pl.col("_k").is_not_null()
    return (
        df.with_columns(_stream_key().alias("_stream"))
        .join(best, on="_stream", how="left", maintain_order="left")
        .with_columns(
            pl.when(moved)
            .then(pl.col("time").dt.offset_by(pl.format("{}y", pl.col("_k"))))
            .otherwise(pl.col("time"))
            .alias("time"),
            pl.when(moved)
            .then(pl.lit("bundle"))
            .otherwise(pl.col("year_source"))
            .alias("year_source"),
        )
        .drop("_stream", "_k")
    )


def reanchor_bundle(df: pl.DataFrame, slack: timedelta = SLACK) -> pl.DataFrame:
    """``df`` (the events of one bundle) with mtime-anchored years moved onto the bundle's span."""
    return apply_shifts(df, bundle_shifts([year_facts(df)], slack))


def year_flags(df: pl.DataFrame, streams: pl.Series) -> dict[int, tuple[bool, bool]]:
    """Per stream number (``streams``, one per row of ``df``): whether it has rows whose year
    :func:`reanchor_bundle` may move, and rows it anchors on (explicit or evidence years).

    A bundle lacking either is left as it is, so a batch of bundles is checked in one pass.
    """
    import polars as pl

    dated = pl.col("time").is_not_null() & ~pl.col("time_relative")
    source = pl.col("year_source")
    found = (
        df.select("time", "time_relative", "year_source")
        .with_columns(streams.alias("_stream"))
        .group_by("_stream")
        .agg(
            (source.is_in(MOVABLE) & pl.col("time").is_not_null()).any().alias("movable"),
            ((source.is_null() | source.is_in(EVIDENCE)) & dated).any().alias("anchored"),
        )
    )
    return {
        int(k): (bool(m), bool(a))
        for k, m, a in zip(found["_stream"], found["movable"], found["anchored"], strict=True)
    }
