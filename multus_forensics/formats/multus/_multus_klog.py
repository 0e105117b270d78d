"""client-go's klog lines inside a thick Multus daemon's log.

The daemon's own records carry an RFC 3339 header; the client-go code in the same process
(event recorder, reflectors, leader election) writes klog lines to the same stream, so
``kubectl logs ds/kube-multus-ds`` interleaves them::

    2024-04-19T19:19:59Z [verbose] Add: ns:pod:uid:ovn-kubernetes(ovn-kubernetes):eth0 {…}
    I0419 19:19:59.545551    7342 event.go:364] Event(v1.ObjectReference{Kind:"Pod", …}): type: 'Normal' reason: 'AddedInterface' Add eth0 [10.128.0.5/23] from ovn-kubernetes
    W0419 19:20:31.101010    7342 reflector.go:462] …: watch of *v1.Pod ended with: …

A klog header at the start of a line starts a record (its ``key=<`` block lines and wrapped
lines follow it as continuations); the record is read by the kubelet's klog parser
(:func:`.kubelet.klog.parse_payload`, :func:`.kubelet._klogfile.record_row`), so it has the same
kind and identities as the same line in a kubelet log, with ``source`` the Multus log's.
klog has no year and no zone: both come from the Multus record before it (the file's first
Multus record for klog lines before any), the year that puts it nearest to that record.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.filebytes import FileBytes, read_lines
from multus_forensics.formats.multus._multus_msg import parse_time
from multus_forensics.lazyre import lazy
from multus_forensics.model import ParseIssue, excerpt

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.formats.base import TextSource
    from multus_forensics.mapping import Data

#: a klog header at a line's start (:data:`.kubelet.klog.HEADER_RE`, in polars' syntax)
KLOG_HEAD: Final = r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+\] "
#: the first Multus header in a file: what dates klog lines written before any Multus record
_FIRST_STAMP: Final = lazy(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)) \[(?:panic|error|verbose|debug)\] ",
    re.MULTILINE,
)


def first_stamp(src: TextSource) -> str | None:
    """The stamp of ``src``'s first Multus header line (one regex search, stops there)."""
    if src.data is not None:
        pattern = re.compile(_FIRST_STAMP.pattern.encode(), re.MULTILINE)
        data = src.data
        # one line's pattern: a file read by offset is searched window by window
        hit = data.search(pattern) if isinstance(data, FileBytes) else pattern.search(data)
        return hit[1].decode() if hit else None
    m = _FIRST_STAMP.search(src.text)
    return m[1] if m else None


def stamps_before(
    data: Data,
    starts: np.ndarray,
    lens: np.ndarray,
    head: np.ndarray,
    lines: np.ndarray,
    first: str | None,
) -> pl.Series:
    """For each of ``lines`` (1-based): the stamp of the nearest Multus header line before it
    in the file (``first`` when there is none), as the careful path's forward fill over all
    the file's lines gives it. ``head`` flags every line of the file that has a Multus header
    (the fast path knows: its own rows, and the careful path's ``ts`` on the rest); the stamps
    are read by the careful path's header pattern from views into the file's bytes."""
    import numpy as np
    import polars as pl

    from multus_forensics.formats.fast._bytevec import string_views
    from multus_forensics.formats.multus._multus_msg import HEADER_PREFIX

    index = np.arange(len(head))
    last = np.maximum.accumulate(np.where(head, index, -1)) if len(head) else index
    k = np.asarray(lines, dtype=np.int64) - 2  # the line before, 0-based
    at = np.where(k >= 0, last[np.maximum(k, 0)], -1)
    found = at >= 0
    rows = at[found]
    if isinstance(data, FileBytes):  # the distinct header lines read, joined in one buffer
        distinct, back = np.unique(rows, return_inverse=True)
        got = b"\n".join(read_lines(data, starts[distinct].tolist(), lens[distinct].tolist()))
        own = lens[distinct]
        at_own = np.concatenate([[0], np.cumsum(own + 1)[:-1]]).astype(np.int64)
        arr = np.frombuffer(got, dtype=np.uint8)
        views = string_views("raw", got, arr, at_own[back], own[back])
    else:
        arr = np.frombuffer(data, dtype=np.uint8)
        views = string_views("raw", data, arr, starts[rows], lens[rows])
    stamps = views.str.extract_groups(HEADER_PREFIX).struct.field("ts")
    out = pl.Series("ref", [first] * len(k), dtype=pl.String)
    return out.scatter(np.flatnonzero(found), stamps)


def _year(ref: datetime, month: int, day: int) -> int:
    """The year that puts ``month``/``day`` nearest to ``ref``'s date (a log read across New
    Year), in whole days; the earliest of equally near years.

    The day is capped at 28 for the comparison, so a 29 February beside a common year's record
    stays in that year and is reported as an impossible date, not moved to another year.
    """
    here = ref.date()
    if not (1 <= month <= 12 and day >= 1):  # no such date in any year: reported by the caller
        return ref.year
    years = (ref.year - 1, ref.year, ref.year + 1)
    return min(years, key=lambda y: abs((date(y, month, min(day, 28)) - here).days))


#: the event recorder's ``AddedInterface`` line as the thick daemon writes it for a pod, with
#: nothing to unescape: read by column expressions (:func:`_added_rows`); any other klog
#: record is read by :func:`.kubelet.klog.parse_payload`, row by row
_ADDED_LINE: Final = (
    r"^(?P<sev>[IWEF])(?P<mo>[0-9]{2})(?P<d>[0-9]{2}) (?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):"
    r"(?P<s>[0-9]{2})\.(?P<us>[0-9]{6}) +[0-9]+ [^ \]\"']+\] "
    r'Event\(v1\.ObjectReference\{Kind:"Pod", Namespace:"(?P<ns>[^"\\]*)", '
    r'Name:"(?P<pod>[^"\\]*)", UID:"(?P<uid>[^"\\]*)", APIVersion:"[^"\\]*", '
    r'ResourceVersion:"[^"\\]*", FieldPath:"[^"\\]*"\}\): '
    r"type: '(?P<type>[A-Za-z]+)' reason: 'AddedInterface' "
    r"(?P<msg>Add (?P<if>[^\s\]\[]+) \[(?P<ips>(?:[^\]\s]+(?: [^\]\s]+)*)?)\]"
    r"(?: from (?P<net>\S+))?)$"
)
_LEVEL_OF: Final = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}


def _added_fields(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` (lines :data:`_ADDED_LINE` matches) with that pattern's groups as columns, read
    without a capturing regex (the costliest part otherwise): the header's fields sit at fixed
    places, the object reference's values between its 14 double quotes (the pattern lets none
    inside, nor in the header), type and message after the single quotes that follow, and
    interface, addresses and network split off the message."""
    import polars as pl

    raw = pl.col("raw")
    places = (("mo", 1, 2), ("d", 3, 2), ("h", 6, 2), ("mi", 9, 2), ("s", 12, 2), ("us", 15, 6))
    quoted = raw.str.splitn('"', 15).struct.rename_fields([f"_q{k}" for k in range(15)])
    df = df.with_columns(
        raw.str.slice(0, 1).alias("sev"),
        *(raw.str.slice(a, n).cast(pl.Int32).alias(name) for name, a, n in places),
        quoted.alias("_q"),
    ).unnest("_q")
    quotes = (
        pl.col("_q14").str.splitn("'", 5).struct.rename_fields(["_t0", "type", "_t2", "_t3", "_t4"])
    )
    df = df.with_columns(quotes.alias("_t")).unnest("_t")
    df = df.with_columns(
        pl.col("_t4").str.slice(1).alias("msg"),  # after "reason: 'AddedInterface' "
        pl.col("_q3").alias("ns"),
        pl.col("_q5").alias("pod"),
        pl.col("_q7").alias("uid"),
    )
    # "Add <if> [<ips>]" and " from <net>" when there is one
    name = pl.col("msg").str.slice(4).str.splitn(" [", 2).struct.rename_fields(["if", "_r"])
    df = df.with_columns(name.alias("_s")).unnest("_s")
    ips = pl.col("_r").str.splitn("]", 2).struct.rename_fields(["ips", "_n"])
    df = df.with_columns(ips.alias("_s")).unnest("_s")
    return df.with_columns(pl.when(pl.col("_n") != "").then(pl.col("_n").str.slice(6)).alias("net"))


def _added_rows(
    records: pl.DataFrame, fmt_name: str, default_source: str, src: TextSource, given: int | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows of the one-line ``AddedInterface`` records :data:`_ADDED_LINE` reads, the other
    records): the same rows :func:`klog_rows` makes one by one, by column expressions (a
    thick daemon writes one such line per delegate it adds, a third of its log)."""
    import polars as pl

    from multus_forensics.model import conform

    refs = records["ref"].unique().drop_nulls().to_list()
    zones: dict[str, tuple[int, datetime]] = {}
    for ref in refs:
        when = parse_time(ref)
        if when is not None and (offset := when.utcoffset()) is not None:
            zones[ref] = (int(offset.total_seconds()), when.replace(tzinfo=None))
    if not zones:
        return records.clear(), records
    table = pl.DataFrame(
        {
            "ref": list(zones),
            "_off": [v[0] for v in zones.values()],
            "_here": [v[1] for v in zones.values()],
        },
        schema={"ref": pl.String, "_off": pl.Int64, "_here": pl.Datetime("us")},
    )
    df = (
        records.select("line", "nlines", "raw", "ref")
        .with_row_index("_i")
        .join(table, on="ref", how="left", maintain_order="left")
    )
    shaped = (pl.col("nlines") == 1) & pl.col("_off").is_not_null()
    df = df.filter(shaped).filter(pl.col("raw").str.contains(_ADDED_LINE))
    df = _added_fields(df)
    ok = (
        pl.col("mo").is_between(1, 12)
        & pl.col("h").is_between(0, 23)
        & pl.col("mi").is_between(0, 59)
        & pl.col("s").is_between(0, 59)
        & (pl.col("d") >= 1)
    )
    df = df.filter(ok)  # every date below exists but perhaps the day of the month
    here = pl.col("_here").dt.date()
    ry = pl.col("_here").dt.year().cast(pl.Int32)
    capped = pl.min_horizontal(pl.col("d"), pl.lit(28, pl.Int32))

    def gap(year: pl.Expr) -> pl.Expr:
        return (pl.date(year, pl.col("mo"), capped) - here).dt.total_days().abs()

    g0, g1, g2 = gap(ry - 1), gap(ry), gap(ry + 1)
    year = pl.when((g0 <= g1) & (g0 <= g2)).then(ry - 1).when(g1 <= g2).then(ry).otherwise(ry + 1)
    if given is not None:
        year = pl.lit(given, pl.Int32)
    df = df.with_columns(year.alias("_y"))
    last_day = pl.date(pl.col("_y"), pl.col("mo"), pl.lit(1, pl.Int32)).dt.month_end().dt.day()
    fast = df.filter(pl.col("d") <= last_day)
    local = pl.datetime(
        pl.col("_y"), pl.col("mo"), pl.col("d"), pl.col("h"), pl.col("mi"), pl.col("s"),
        pl.col("us"), time_unit="us",
    )  # fmt: skip
    utc = (local - pl.duration(seconds=pl.col("_off"))).dt.replace_time_zone("UTC")
    rows = fast.select(
        utc.alias("time"),
        pl.lit("content" if given is None else "argument").alias("year_source"),
        pl.lit(default_source).alias("source"),
        pl.lit(fmt_name).alias("format"),
        pl.lit("event:AddedInterface").alias("kind"),
        pl.col("sev").replace_strict(_LEVEL_OF).alias("level"),
        *(
            pl.when(pl.col(c) != "").then(pl.col(c)).alias(name)
            for c, name in (("ns", "namespace"), ("pod", "pod"), ("uid", "pod_uid"))
        ),
    ).with_columns(
        fast["net"].alias("network"),
        fast["if"].alias("interface"),
        fast.select(
            pl.when(pl.col("ips") != "").then(pl.col("ips").str.replace_all(" ", ",", literal=True))
        )
        .to_series()
        .alias("ips"),
        fast["msg"].alias("message"),
        fast.select('{"reason":"AddedInterface","type":"' + pl.col("type") + '","object":"Pod"}')
        .to_series()
        .alias("fields"),
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, pl.String).alias("member"),
        fast["line"],
        fast["nlines"],
        fast["raw"],
    )
    taken = pl.Series(records.height * [False]).scatter(fast["_i"], True)
    return conform(rows), records.filter(~taken)


def klog_rows(
    records: pl.DataFrame,
    src: TextSource,
    fmt_name: str,
    default_source: str,
    given: int | None = None,
) -> tuple[pl.DataFrame, list[ParseIssue]]:
    """Event rows of klog records (columns ``line``, ``nlines``, ``raw``, ``ref``: the stamp of
    the Multus record that dates them) and the issues of those without a usable date.

    ``given``: the year the user gave, which dates them instead (the zone stays the record's)."""
    import polars as pl

    from multus_forensics.formats.kubelet._klogfile import frame_from_rows, record_row
    from multus_forensics.formats.kubelet.klog import parse_payload

    added, records = _added_rows(records, fmt_name, default_source, src, given)
    rows: list[dict[str, Any]] = []
    issues: list[ParseIssue] = []
    refs: dict[str | None, datetime | None] = {}
    for line, nlines, raw, ref in records.select("line", "nlines", "raw", "ref").iter_rows():
        parsed = parse_payload(raw)
        assert parsed is not None  # the record starts at a klog header by construction
        if ref not in refs:
            refs[ref] = parse_time(ref) if ref else None
        when = refs[ref]
        if when is None or when.tzinfo is None:
            row = record_row(parsed, 1, UTC, "unknown", src, fmt_name, line, nlines, raw)
            row["time"] = None
            why = "klog record without a dated Multus record to take its year and zone from"
        else:
            year = _year(when, *parsed["local_time"][:2]) if given is None else given
            how = "content" if given is None else "argument"
            row = record_row(parsed, year, when.tzinfo, how, src, fmt_name, line, nlines, raw)
            why = "impossible date in klog header"
        row["source"] = default_source
        if row["time"] is None:
            issues.append(
                ParseIssue(src.file, src.member, line, why, excerpt(raw.split("\n", 1)[0]),
                           severity="warning", format=fmt_name)
            )  # fmt: skip
        rows.append(row)
    if not added.height:
        return frame_from_rows(rows), issues
    return pl.concat([added, frame_from_rows(rows)]).sort("line"), issues
