"""One year policy per stream, from full dates the stream's own records carry in their text.

A year-less stream (klog, syslog ``short``) often names the year inside its messages: a
podman ``2025-05-12 04:54:37``, a logrus ``time="2020-11-19T11:58:33Z"`` relayed by journald,
``Timestamp:2020-11-19 11:58:33``. Such a date is evidence for *its own record* only when it
falls within a day of the record's stamp once the year is set (a certificate's expiry date
elsewhere in a message does not). Each such record votes for a whole-year shift of the stream;
the winning shift moves every mtime-anchored event of the stream (so the parser's December to
January rollovers are kept) and marks them ``year_source="content"``. Votes for another year, or
a file header / ``year=`` argument the content contradicts, are reported as warnings: the
stronger rung keeps its year, and the investigator sees the disagreement.

Ladder (strongest first): ``argument`` > ``file-header`` > ``content`` > ``bundle`` >
``archive-mtime`` / ``gzip-mtime`` > ``file-mtime``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from multus_forensics.ingest.years import MOVABLE
from multus_forensics.model import ParseIssue

if TYPE_CHECKING:
    import polars as pl

#: a full date and time inside a message: 2020-11-19 11:58:33, 2020-11-19T11:58:33Z, 2020/11/19
FULL_DATE: Final = (
    r"(?:^|[^0-9])((?:19|20)\d\d)[-/](0[1-9]|1[0-2])[-/](0[1-9]|[12]\d|3[01])[T ]"
    r"([01]\d|2[0-3]):([0-5]\d)"
)
#: the same shape loosely, without groups or look-behind: a fast first pass over every row
PREFILTER: Final = r"(?:19|20)\d\d[-/][01]\d[-/][0-3]\d[T ]"
#: records whose dates are about another time (a certificate issued now expires in a year, at
#: the same hour): they never vote
NOT_NOW: Final = r"(?i)expir|deadline|not ?after|not ?before|valid until|rotat"
#: content date and record stamp may differ by the zones they were written in
TOLERANCE_HOURS: Final = 26
#: records read for votes (the first ones with a date; enough to decide, bounded for big files)
MAX_CANDIDATES: Final = 4096
#: rows whose text is read at a time (the text may be a view into a mapped file)
STEP_ROWS: Final = 65_536
#: rungs the content may move (mtimes, nothing) and rungs it can only contradict
CHECKED: Final = ("argument", "file-header")


def _votes(
    df: pl.DataFrame, which: pl.Expr, release: Callable[[], None] | None, steps: int | None = None
) -> list[tuple[int, int, int]]:
    """(shift in years, content year, line) for each record whose text dates the record."""
    import polars as pl

    found: list[pl.DataFrame] = []
    have = 0
    ends = df.height if steps is None else min(df.height, steps * STEP_ROWS)
    for start in range(0, ends, STEP_ROWS):  # bounded reads of a possibly mapped text
        step = df.slice(start, STEP_ROWS).filter(which & pl.col("raw").str.contains(PREFILTER))
        found.append(step.head(MAX_CANDIDATES - have))
        have += found[-1].height
        if release is not None:
            release()
        if have >= MAX_CANDIDATES:
            break
    part = pl.concat(found) if found else df.clear()
    part = part.filter(pl.col("raw").str.contains(FULL_DATE) & ~pl.col("raw").str.contains(NOT_NOW))
    if part.is_empty():
        return []
    g = part.select(
        "line",
        pl.col("time").dt.replace_time_zone(None).alias("t"),
        pl.col("raw").str.extract_groups(FULL_DATE).alias("d"),
    ).unnest("d")
    y, mo, d, h, mi = (pl.col(str(n)).cast(pl.Int32) for n in range(1, 6))
    # a date-shaped text need not be a date (Feb 30, month 13): such rows do not vote
    g = g.filter(
        y.is_between(1, 9999) & mo.is_between(1, 12) & d.is_between(1, 31)
        & h.is_between(0, 23) & mi.is_between(0, 59)
    )  # fmt: skip
    g = g.filter(d <= pl.date(y, mo, 1).dt.month_end().dt.day())
    g = g.with_columns((y - pl.col("t").dt.year()).alias("k"), y.alias("y")).with_columns(
        pl.col("t").dt.offset_by(pl.format("{}y", pl.col("k"))).alias("shifted"),
        pl.datetime(y, mo, d, h, mi).alias("content"),
    )
    near = (pl.col("shifted") - pl.col("content")).abs() <= pl.duration(hours=TOLERANCE_HOURS)
    hits = g.filter(near)
    return list(zip(hits["k"].to_list(), hits["y"].to_list(), hits["line"].to_list(), strict=True))


def year_from_content(
    df: pl.DataFrame, file: str, member: str | None, release: Callable[[], None] | None = None
) -> tuple[pl.DataFrame, list[ParseIssue]]:
    """``df`` (one stream's events) with its year set by the dates in its text, and the notes.

    ``release`` is called after each step of rows read (see :func:`_votes`).
    """
    import polars as pl

    if df.is_empty():
        return df, []
    dated = pl.col("time").is_not_null() & ~pl.col("time_relative")
    movable = pl.col("year_source").is_in(MOVABLE) & dated
    checked = pl.col("year_source").is_in(CHECKED) & dated
    issues: list[ParseIssue] = []
    sources = set(df["year_source"].unique().to_list())
    votes = _votes(df, movable, release) if sources & set(MOVABLE) else []
    if votes:
        tally = Counter(k for k, _, _ in votes)
        best, _ = max(tally.items(), key=lambda kv: (kv[1], -abs(kv[0])))
        others = sorted({y for k, y, _ in votes if k != best})
        if others:
            year = next(y for k, y, _ in votes if k == best)
            lines = [n for k, _, n in votes if k != best][:3]
            issues.append(
                ParseIssue(
                    file, member, None,
                    f"year evidence disagrees: most dated records say {year}, "
                    f"others {', '.join(map(str, others))} (lines {', '.join(map(str, lines))})",
                    severity="warning",
                )
            )  # fmt: skip
        df = df.with_columns(
            pl.when(movable)
            .then(pl.col("time").dt.offset_by(f"{best}y"))
            .otherwise(pl.col("time"))
            .alias("time"),
            pl.when(movable)
            .then(pl.lit("content"))
            .otherwise(pl.col("year_source"))
            .alias("year_source"),
        )
        return df, issues
    if not sources & set(CHECKED):
        return df, issues
    # a check, not a decision: the head of the stream is enough to notice a wrong year
    contra = [(k, y, n) for k, y, n in _votes(df, checked, release, steps=1) if k != 0]
    if contra:
        k, y, n = contra[0]
        source = df.filter(checked)["year_source"][0]
        have = y - k
        issues.append(
            ParseIssue(
                file, member, n,
                f"the year from the {source} ({have}) disagrees with a full date in the "
                f"record's text ({y}); kept {have}",
                severity="warning",
            )
        )  # fmt: skip
    return df, issues


def streams_with_dates(df: pl.DataFrame, streams: pl.Series) -> set[int]:
    """Stream numbers (``streams``, one per row of ``df``) :func:`year_from_content` may change
    or note: a dated row whose year it may move or check has a date-shaped text. The others
    it returns as they are, with no note, so a batch of streams is sorted out in one pass.
    """
    import polars as pl

    dated = pl.col("time").is_not_null() & ~pl.col("time_relative")
    which = pl.col("year_source").is_in((*MOVABLE, *CHECKED)) & dated
    hits = (
        df.select("time", "time_relative", "year_source", "raw")
        .with_columns(streams.alias("_stream"))
        .filter(which & pl.col("raw").str.contains(PREFILTER))["_stream"]
    )
    return {int(k) for k in hits.unique()}
