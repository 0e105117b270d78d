"""The vectorised journald path for large English ``-o short`` / ``short-precise`` files.

The file's bytes become one polars string column without copying (Arrow string views into
the source buffer), processed in row chunks so intermediate columns stay bounded. Each chunk splits the
syslog prefix by fixed offsets and ``str.find``, parses klog payloads with :mod:`._klogvec`, and
routes every row it cannot finish exactly (markers, blocks, continuations, pager cuts, other
payload shapes, non-ASCII) to :func:`._journalrec.parse_lines`, together with the record before
a continuation line. Years come from one pass over all stamps, so both paths agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from multus_forensics.formats import _journalrec
from multus_forensics.formats._klogvec import QUOTED_KEYS, kv_stages, level_expr, message_stages
from multus_forensics.formats._syslogstamp import EN_MONTHS, SHORT_RE
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.model import conform, empty_frame
from multus_forensics.timeutil import rollover_offsets

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

CHUNK_ROWS: Final = 65_536


def _zone_name(ctx: ParseContext) -> str | None:
    if ctx.tz is None:
        return "UTC"
    return ctx.tz.key if isinstance(ctx.tz, ZoneInfo) else None


def applies(src: TextSource, ctx: ParseContext, min_lines: int) -> bool:
    """Large files whose head is English ``short``/``short-precise`` journald text."""
    if src.line_count < min_lines or _zone_name(ctx) is None:
        return False
    head = src.head(20)
    hits = 0
    for line in head:
        m = SHORT_RE.match(line)
        hits += bool(m and m["mon"] in EN_MONTHS)
    return hits * 2 > len(head)


def line_series(src: TextSource) -> pl.Series:
    """All physical lines as one string column over the source bytes (the data is not copied).

    Newline positions come from numpy in 16 MiB steps; each line becomes an Arrow string-view
    (length, 4-byte prefix, offset into the one data buffer; lines of 12 bytes or less are
    stored inline), which polars adopts as is. Only the 16-byte views are new memory.
    """
    import numpy as np
    import polars as pl
    import pyarrow as pa

    data = src.data if src.data is not None else src.text.encode("utf-8")
    if len(data) >= 1 << 32:  # view offsets are 32-bit: fall back to a copying column
        return pl.Series("raw", src.lines, dtype=pl.String)
    arr = np.frombuffer(data, dtype=np.uint8)
    ends_parts = []
    step = 1 << 24
    for start in range(0, len(arr), step):
        ends_parts.append(np.flatnonzero(arr[start : start + step] == 10).astype(np.int64) + start)
    ends = np.concatenate(ends_parts) if ends_parts else np.zeros(0, dtype=np.int64)
    if len(data) and data[-1:] != b"\n":  # the last line has no terminator
        ends = np.append(ends, len(data))
    n = len(ends)
    starts = np.empty(n, dtype=np.int64)
    if n:
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    lens = (ends - starts).astype(np.uint32)
    last = max(len(arr) - 1, 0)
    views = np.zeros((n, 4), dtype=np.uint32)
    views[:, 0] = lens
    as_bytes = views.view(np.uint8).reshape(n, 16)
    if len(arr):
        for k in range(4):  # the 4-byte prefix of long lines (and the start of short ones)
            as_bytes[:, 4 + k] = arr[np.minimum(starts + k, last)]
        short = np.flatnonzero(lens <= 12)
        if len(short):  # lines of up to 12 bytes live inline in the view, zero padded
            at = np.minimum(starts[short, None] + np.arange(12), last)
            inline = arr[at]
            inline[np.arange(12) >= lens[short, None]] = 0
            as_bytes[short, 4:16] = inline
    long = lens > 12
    views[long, 3] = starts[long].astype(np.uint32)  # buffer 0, offset of the line
    arrow = pa.Array.from_buffers(
        pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(data)]
    )
    return pl.Series("raw", arrow)


def _years(raw: pl.Series, ctx: ParseContext) -> np.ndarray:
    """Year of every line with an English stamp (0 elsewhere), rollover aware, whole file."""
    import numpy as np
    import polars as pl

    month = (
        raw.str.slice(0, 3)
        .replace_strict(EN_MONTHS, default=None, return_dtype=pl.Int32)
        .to_numpy()
    )
    valid = ~np.isnan(month) if month.dtype.kind == "f" else np.ones(len(month), dtype=bool)
    idx = np.flatnonzero(valid)
    years = np.zeros(len(raw), dtype=np.int32)
    if not len(idx):
        return years
    seq = pl.Series(month[idx].astype(np.int32))
    offsets = pl.select(rollover_offsets(pl.lit(seq))).to_series().to_numpy()
    first = ctx.year_anchor.first_year(int(offsets[-1]), int(seq[0]), int(seq[-1]))
    years[idx] = first + offsets
    return years


_MONTHS_RE: Final = "(?:" + "|".join(EN_MONTHS) + ")"
#: a journald line whose payload is a klog record (the shape the fast path finishes)
KLOG_LINE: Final = (
    rf"^{_MONTHS_RE} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{{6}})? [A-Za-z0-9][\w.-]* [^\s\[\]:]+\[\d+\]: "
    r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+\] "
)
#: the start of any syslog-style record (a line that is not one continues the previous record)
RECORD_START: Final = r"^\S+ +\d{1,2} \d\d:\d\d:\d\d"


def _prefix_stages() -> list[list[pl.Expr]]:
    """Stages splitting the syslog prefix and the klog header by offsets (see KLOG_LINE)."""
    import polars as pl

    c = pl.col
    raw = c("raw")
    host_at = pl.when(raw.str.slice(15, 1) == ".").then(23).otherwise(16)
    return [
        [
            raw.str.contains(KLOG_LINE).alias("_jok"),
            raw.str.contains(RECORD_START).alias("_jrec"),
            (raw.str.len_bytes() == raw.str.len_chars()).alias("_jascii"),
            raw.str.slice(host_at).alias("_jrest"),
            raw.str.find("[", literal=True).alias("_jlb"),
            raw.str.find("]: ", literal=True).alias("_jrb"),
            raw.str.find("] ", literal=True).alias("_jbody"),
        ],
        [
            c("_jrest").str.slice(0, c("_jrest").str.find(" ", literal=True)).alias("host"),
            raw.str.slice(c("_jlb") + 1, c("_jrb") - c("_jlb") - 1).alias("pid"),
            raw.str.slice(c("_jrb") + 3, 24).alias("_jhdr"),
            raw.str.slice(c("_jbody") + 2).alias("_jmsg"),
        ],
    ]


def _time_expr(zone: str) -> pl.Expr:
    """klog month/day/time completed with the journald year (Dec/Jan aware), in ``zone``."""
    import polars as pl

    c = pl.col
    hdr = c("_jhdr")
    kmonth = hdr.str.slice(1, 2).cast(pl.Int32, strict=False)
    jmonth = c("jmonth")
    shift = (
        pl.when((kmonth == 12) & (jmonth == 1))
        .then(-1)
        .when((kmonth == 1) & (jmonth == 12))
        .then(1)
        .otherwise(0)
    )
    stamp = pl.concat_str(
        (c("year") + shift).cast(pl.String),
        pl.lit("-"),
        hdr.str.slice(1, 2),
        pl.lit("-"),
        hdr.str.slice(3, 2),
        pl.lit(" "),
        hdr.str.slice(6, 8),
    )
    micros = hdr.str.slice(15, 6).cast(pl.Int64, strict=False)
    local = stamp.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    local = local + pl.duration(microseconds=micros)
    if zone == "UTC":
        return local.dt.replace_time_zone("UTC")
    return local.dt.replace_time_zone(
        zone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


_OUT: Final = (
    "idx", "raw", "host", "level", "time", "_jbase", "_jrec", "message", "error", "kind",
    "namespace", "pod", "pod_uid", "sandbox_id", "container_id", "fields", "simple",
)  # fmt: skip


def _chunk(df: pl.DataFrame, zone: str) -> pl.DataFrame:
    """Parse one chunk of lines; ``fast`` marks the rows finished here, ``_jrec`` record starts.

    Rows are split by shape (escapes or not, all-quoted pairs or not) so that each group only
    pays for the passes it needs; only the output columns are gathered back together.
    """
    import polars as pl

    c = pl.col
    for stage in _prefix_stages():
        df = df.with_columns(stage)
    base = (
        c("_jok")
        & c("_jascii")
        & (c("year") > 0)
        & ~c("raw").str.ends_with(">")
        & ~c("raw").str.ends_with("=<")
    )
    df = df.with_columns(
        level_expr(c("_jhdr").str.slice(0, 1)).alias("level"),
        _time_expr(zone).alias("time"),
        base.fill_null(False).alias("_jbase"),
        (~c("_jmsg").str.contains("\\", literal=True)).fill_null(True).alias("_jplain"),
    ).select("idx", "raw", "host", "pid", "_jmsg", "level", "time", "_jbase", "_jrec", "_jplain")
    parts = []
    for escapes, rows in ((False, df.filter(c("_jplain"))), (True, df.filter(~c("_jplain")))):
        for stage in message_stages("_jmsg", escapes):
            rows = rows.with_columns(stage)
        quoted = rows["_kquoted"].fill_null(False)
        for is_quoted, sub in ((True, rows.filter(quoted)), (False, rows.filter(~quoted))):
            present = None
            if is_quoted:
                kv = sub["_kkv"]
                present = {k for k in QUOTED_KEYS if kv.str.contains(f" {k}=", literal=True).any()}
            for stage in kv_stages("_jmsg", "pid", is_quoted, present):
                sub = sub.with_columns(stage)
            parts.append(sub.select(_OUT))
    df = pl.concat(parts).sort("idx")
    fast = c("_jbase") & c("simple") & c("time").is_not_null()
    return df.with_columns(fast=fast.fill_null(False))


def parse_vectorised(src: TextSource, ctx: ParseContext, fmt: str) -> ParseOutput:
    """Parse a large journald file column-wise; hand the remaining rows to the careful path."""
    import numpy as np
    import polars as pl

    zone = _zone_name(ctx) or "UTC"
    lines = line_series(src)
    years = pl.Series("year", _years(lines, ctx))
    keep_cols = [
        pl.col("time"),
        pl.lit(ctx.year_anchor.source).alias("year_source"),
        pl.col("host").alias("node"),
        pl.lit("kubelet").alias("source"),
        pl.lit(fmt).alias("format"),
        *(pl.col(c) for c in ("kind", "level", "namespace", "pod", "pod_uid", "sandbox_id")),
        *(pl.col(c) for c in ("container_id", "message", "error", "fields")),
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, dtype=pl.String).alias("member"),
        (pl.col("idx").cast(pl.Int64) + 1).alias("line"),
        pl.lit(1, dtype=pl.Int64).alias("nlines"),
        pl.col("raw"),
    ]
    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    last_fast = False
    for start in range(0, len(lines), CHUNK_ROWS):
        chunk = pl.DataFrame(
            {"raw": lines.slice(start, CHUNK_ROWS), "year": years.slice(start, CHUNK_ROWS)}
        ).with_row_index("idx", offset=start)
        chunk = chunk.with_columns(
            jmonth=pl.col("raw")
            .str.slice(0, 3)
            .replace_strict(EN_MONTHS, default=None, return_dtype=pl.Int32)
        )
        out = _chunk(chunk, zone)
        # a line that is not a record continues the one before it: both take the careful path
        fast = out["fast"] & ~(~out["_jrec"]).shift(-1, fill_value=False)
        if last_fast and not out["_jrec"][0]:
            frames[-1] = frames[-1].head(-1)
            slow.append(np.array([start - 1]))
        last_fast = bool(fast[-1])
        frames.append(out.filter(fast).select(keep_cols))
        slow.append(out.filter(~fast)["idx"].to_numpy())
    slow_idx = np.concatenate(slow) if slow else np.zeros(0, dtype=np.int64)
    slow_idx.sort()
    items = zip(slow_idx.tolist(), lines.gather(slow_idx).to_list(), strict=True)
    year_of = years.gather(slow_idx).to_list()
    year_map = {int(i): y for i, y in zip(slow_idx.tolist(), year_of, strict=True) if y}
    careful = _journalrec.parse_lines(src, ctx, fmt, items, year_map)
    parts = [conform(f) for f in frames if f.height]
    if careful.events.height:
        parts.append(careful.events)
    events = pl.concat(parts).sort("line") if parts else empty_frame()
    return ParseOutput(events, careful.issues, careful.blank_lines)
