"""Year inference and zone handling for year-less timestamps (klog, syslog short).

klog (``E0311 14:02:07.418552``) and journald ``-o short`` (``Mar 11 14:02:07``) carry no year.
The year comes, in this order of preference, from an explicit ``year`` argument, a full timestamp
in the same file or bundle, the archive member's or gzip header's mtime, and the file mtime. The
reference point is the *end* of the stream (a file's mtime is when its last line was written), so
records are walked backwards: a month greater than the following record's month means the year
changed between them (December to January rollover).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class YearAnchor:
    """Where a stream's year comes from.

    ``year`` with ``source="argument"`` pins the year of every record. Otherwise ``reference`` is
    a full datetime known to be at or after the stream's last record (an mtime), or inside it (a
    file header or sibling log), and ``source`` names where it came from. A ``file-header``
    reference is the stream's start (a glog creation stamp) unless ``at_end`` says it is its end
    (a journal header's ``end at``).
    """

    year: int | None = None
    reference: datetime | None = None
    source: str = "unknown"
    at_end: bool = False

    def first_year(self, months_forward_offset_last: int, first_month: int, last_month: int) -> int:
        """Year of the stream's first record.

        ``months_forward_offset_last`` is the number of year rollovers between the first and the
        last record. An explicit year pins the first record; a file header (written when the file
        was created) anchors the start; an mtime or a sibling log's time anchors the end, where a
        month later than the reference's month means the previous year.
        """
        if self.year is not None:
            return self.year
        ref = self.reference
        if ref is None:
            ref = datetime.now(UTC)
        if self.source == "file-header" and not self.at_end:
            return ref.year + (1 if first_month < ref.month - 6 else 0)
        last = ref.year - 1 if last_month > ref.month else ref.year
        return last - months_forward_offset_last


def _steps(months: list[int]) -> list[int]:
    steps = [0]
    for prev, cur in itertools.pairwise(months):
        steps.append(1 if cur < prev - 6 else -1 if cur > prev + 6 else 0)
    return steps


def years_for_months(months: list[int], anchor: YearAnchor) -> list[int]:
    """Assign a year to each record given its month, in file order (pure-Python reference).

    A month that drops by more than six from one record to the next is a December to January
    rollover; a jump up by more than six is the same seen in a newest-first paste.
    """
    if not months:
        return []
    offsets: list[int] = []
    acc = 0
    for step in _steps(months):
        acc += step
        offsets.append(acc)
    first = anchor.first_year(offsets[-1], months[0], months[-1])
    return [first + o for o in offsets]


def years_expr(
    month: pl.Expr, anchor: YearAnchor, first_month: int, last_month: int, rollovers: int
) -> pl.Expr:
    """Vectorised :func:`years_for_months`; the caller computes the three scalars once.

    Use :func:`rollover_offsets` for the per-row offsets and their final value.
    """
    import polars as pl

    first = anchor.first_year(rollovers, first_month, last_month)
    return (pl.lit(first) + rollover_offsets(month)).cast(pl.Int32)


def rollover_offsets(month: pl.Expr) -> pl.Expr:
    """Per-row count of year rollovers since the first row (see :func:`years_for_months`)."""
    import polars as pl

    prev = month.shift(1)
    step = pl.when(month < prev - 6).then(1).when(month > prev + 6).then(-1).otherwise(0)
    return step.fill_null(0).cum_sum()


def zone_or_utc(tz: tzinfo | None) -> tzinfo:
    """The zone to read zone-less timestamps in: the ``tz`` argument, else UTC."""
    return tz if tz is not None else UTC
