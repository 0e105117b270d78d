"""The vectorised journald path for large English ``-o short`` / ``short-precise`` files.

Memory and passes are what count here. Lines are found with numpy over the file's bytes and
each chunk of them becomes a polars column of Arrow string views into those bytes (nothing
copied); fixed-width parts (stamp, month, klog time and severity) are read by 8-byte loads at
known offsets (:mod:`._bytevec`), variable ones by a few literal ``find`` passes, and the klog
payload is split by :mod:`._klogvec` into views wherever polars would copy. Two chunks are in
flight on two threads. Every row it cannot finish exactly (markers, blocks, continuations,
pager cuts, other payload shapes, non-ASCII, repeated keys, impossible dates) goes to
:func:`._journalrec.parse_lines`, together with the record before a continuation line; years
come from one pass over all stamps, so both paths agree. Results are put in line order by
:func:`._vecmerge.merge_chunks` without copying the fast rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from multus_forensics.formats import _journalrec
from multus_forensics.formats._bytevec import (
    byte_at,
    epoch_micros,
    field_bytes,
    line_bounds,
    month_codes,
    numbers,
    rollover_offsets,
    string_views,
)
from multus_forensics.formats._klogvec import (
    QUOTED_KEYS,
    QUOTED_KV,
    kv_stages,
    message_stages,
    plain_message_columns,
    plain_text,
    repeated_keys,
)
from multus_forensics.formats._syslogstamp import EN_MONTHS, MARKER_RE, SHORT_RE
from multus_forensics.formats._vecmerge import merge_chunks
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.klog import LEVELS

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

CHUNK_ROWS: Final = 32_768
#: chunks parsed at the same time (threads; bounded by the pool, not by results kept)
WORKERS: Final = 2


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
    """All physical lines as one string column over the source bytes (the data is not copied)."""
    import numpy as np
    import polars as pl

    data = src.data if src.data is not None else src.text.encode("utf-8")
    if len(data) >= 1 << 32:  # view offsets are 32-bit: fall back to a copying column
        return pl.Series("raw", src.lines, dtype=pl.String)
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = line_bounds(arr)
    return string_views("raw", data, arr, starts, ends - starts)


def _years(month: np.ndarray, ctx: ParseContext) -> np.ndarray:
    """Year of every line with an English stamp (0 elsewhere), rollover aware, whole file."""
    import numpy as np

    idx = np.flatnonzero(month)
    years = np.zeros(len(month), dtype=np.int64)
    if not len(idx):
        return years
    seq = month[idx]
    offsets = rollover_offsets(seq)
    first = ctx.year_anchor.first_year(int(offsets[-1]), int(seq[0]), int(seq[-1]))
    years[idx] = first + offsets
    return years


_MONTHS_RE: Final = "(?:" + "|".join(EN_MONTHS) + ")"
#: a journald line whose payload is a klog record (the shape the fast path finishes)
KLOG_LINE: Final = (
    rf"^{_MONTHS_RE} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{{6}})? [A-Za-z0-9][\w.-]* [^\s\[\]:]+\[\d+\]: "
    r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+\] "
)


class _Lines:
    """The file's bytes with every line's bounds and the fields read at fixed offsets."""

    def __init__(self, data: bytes, ctx: ParseContext) -> None:
        import numpy as np

        self.data = data
        self.arr = arr = np.frombuffer(data, dtype=np.uint8)
        self.starts, ends = line_bounds(arr)
        self.lens = lens = ends - self.starts
        self.month = month_codes(arr, self.starts, lens, EN_MONTHS)
        self.years = _years(self.month, ctx)
        #: where the host starts: after ``Mar 11 14:02:07 `` or ``Mar 11 14:02:07.418601 ``
        self.host_at = np.where(field_bytes(arr, self.starts + 15, 1)[:, 0] == ord("."), 23, 16)
        last, prev = byte_at(arr, ends - 1), byte_at(arr, ends - 2)
        #: block lines (`` >`` closes, ``=<`` opens) always take the careful path
        self.block = ((lens >= 1) & (last == ord(">"))) | (
            (lens >= 2) & (last == ord("<")) & (prev == ord("="))
        )


def _klog_time(lines: _Lines, sl: slice, hdr: np.ndarray, ok: np.ndarray, zone: str) -> pl.Series:
    """klog month/day/time at byte ``hdr`` of each line, completed with the journald year."""
    import numpy as np
    import polars as pl
    import pyarrow as pa

    # I0311 14:02:07.418552: month, day, hour, minute, second, microsecond
    spans = ((1, 2), (3, 2), (6, 2), (9, 2), (12, 2), (15, 6))
    parts = numbers(field_bytes(lines.arr, lines.starts[sl] + hdr, 21), spans)
    kmonth = parts[:, 0]
    jmonth = lines.month[sl]
    shift = np.where((kmonth == 12) & (jmonth == 1), -1, 0) + np.where(
        (kmonth == 1) & (jmonth == 12), 1, 0
    )
    hms = (parts[:, 2], parts[:, 3], parts[:, 4])
    micros, valid = epoch_micros(lines.years[sl] + shift, kmonth, parts[:, 1], hms, parts[:, 5])
    valid &= ok
    local = pl.Series("time", pa.array(micros, mask=~valid, type=pa.timestamp("us")))
    if zone == "UTC":
        return local.dt.replace_time_zone("UTC")
    return local.dt.replace_time_zone(
        zone, ambiguous="earliest", non_existent="null"
    ).dt.convert_time_zone("UTC")


_OUT: Final = (
    "idx", "raw", "host", "level", "time", "_jbase", "_jrec", "message", "error", "kind",
    "namespace", "pod", "pod_uid", "sandbox_id", "container_id", "fields", "simple",
)  # fmt: skip
_LEVEL_CODES: Final = {ord(k): v for k, v in LEVELS.items()}


def _chunk(lines: _Lines, sl: slice, zone: str) -> pl.DataFrame:
    """Parse one chunk of lines; ``fast`` marks the rows finished here, ``_jrec`` record starts.

    Positions come from a few literal ``find`` passes, fixed-offset fields (time, severity)
    from byte gathers; rows are then split by shape (escapes or not, all-quoted pairs or not)
    so that each group only pays for the passes it needs.
    """
    import numpy as np
    import polars as pl

    c = pl.col
    raw = c("raw")
    starts, lens = lines.starts[sl], lines.lens[sl]
    base = int(starts[0]) if len(starts) else 0
    raw_col = string_views("raw", lines.data, lines.arr, starts, lens, base)
    df = pl.DataFrame({"raw": raw_col, "_jhat": lines.host_at[sl]}).with_row_index(
        "idx", offset=sl.start
    )
    df = df.with_columns(
        raw.str.contains(KLOG_LINE).fill_null(False).alias("_jok"),
        (raw.str.len_bytes() == raw.str.len_chars()).alias("_jascii"),
        raw.str.find("[", literal=True).alias("_jlb"),
        raw.str.find("]: ", literal=True).alias("_jrb"),
        raw.str.find("] ", literal=True).alias("_jbody"),
    )
    ok = df["_jok"].to_numpy()
    rec = ok.copy()
    if not ok.all():  # only lines that are no klog record need the looser record test
        other = np.flatnonzero(~ok)
        # the careful path's own record test, so both paths agree on what continues a record
        rec[other] = [
            _journalrec.split_record(text, 0) is not None or MARKER_RE.fullmatch(text) is not None
            for text in df["raw"].gather(other).to_list()
        ]
    hdr = df["_jrb"].fill_null(0).to_numpy().astype(np.int64) + 3
    sev = pl.Series(byte_at(lines.arr, lines.starts[sl] + hdr))
    ascii_ = df["_jascii"].to_numpy()
    fine = ok & (lines.years[sl] > 0) & ~lines.block[sl] & ascii_
    # the body (after ``file:line] ``) as views into the file; other lines get an empty one
    body_at = df["_jbody"].fill_null(-1).to_numpy().astype(np.int64) + 2
    has_body = (body_at >= 2) & ascii_
    body_start = np.where(has_body, starts + body_at, base)
    body_len = np.where(has_body, lens - body_at, 0)
    lb, hat = c("_jlb"), c("_jhat")
    host = _single_host(lines, sl, ok, df)
    host_len = (
        raw.str.slice(hat, (lb - hat).clip(0)).str.find(" ", literal=True)
        if host is None
        else pl.lit(len(host), dtype=pl.Int64)
    )
    df = df.with_columns(
        host_len.alias("_jhlen"),
        raw.str.slice(lb + 1, (c("_jrb") - lb - 1).clip(0)).alias("pid"),
        string_views("_jmsg", lines.data, lines.arr, body_start, body_len, base),
        pl.Series("_jbs", body_start),
        sev.replace_strict(_LEVEL_CODES, default="info", return_dtype=pl.String).alias("level"),
        _klog_time(lines, sl, hdr, ok, zone),
        pl.Series("_jbase", fine),
        pl.Series("_jrec", rec),
    ).with_columns(
        (raw.str.slice(hat, c("_jhlen")) if host is None else pl.lit(host)).alias("host"),
        (~c("_jmsg").str.contains("\\", literal=True)).fill_null(True).alias("_jplain"),
    )
    df = df.select(
        "idx", "raw", "host", "pid", "_jmsg", "_jbs", "level", "time", "_jbase", "_jrec",
        "_jplain",
    )  # fmt: skip
    parts = []
    for escapes, rows in ((False, df.filter(c("_jplain"))), (True, df.filter(~c("_jplain")))):
        if escapes:
            for stage in message_stages("_jmsg", escapes):
                rows = rows.with_columns(stage)
        else:
            at = rows["_jbs"].to_numpy()
            rows = rows.with_columns(plain_message_columns(rows["_jmsg"], lines.data, at, base))
            rows = rows.with_columns(c("_kkv").str.contains(QUOTED_KV).alias("_kquoted"))
        rows = rows.with_columns(plain_text(rows["_jmsg"], rows["_kstruct"]))
        quoted = rows["_kquoted"].fill_null(False)
        for is_quoted, sub in ((True, rows.filter(quoted)), (False, rows.filter(~quoted))):
            present = None
            if is_quoted:
                kv = sub["_kkv"]
                present = {k for k in QUOTED_KEYS if kv.str.contains(f" {k}=", literal=True).any()}
            sub = sub.with_columns(repeated_keys(sub["_kkv"], is_quoted))
            for stage in kv_stages("pid", is_quoted, present):
                sub = sub.with_columns(stage)
            parts.append(sub.select(_OUT))
    df = pl.concat(parts).sort("idx")
    fast = c("_jbase") & c("simple") & c("time").is_not_null()
    return df.with_columns(fast=fast.fill_null(False))


#: event columns that vary per row on the fast path (the others are constants of the file)
_ROW_COLUMNS: Final = (
    "time", "node", "kind", "level", "namespace", "pod", "pod_uid", "sandbox_id",
    "container_id", "message", "error", "fields", "line", "raw",
)  # fmt: skip


def _single_host(lines: _Lines, sl: slice, ok: np.ndarray, df: pl.DataFrame) -> str | None:
    """The host of every klog record line of the chunk when they all name the same one.

    Journals of one node are the common case: one comparison pass then replaces a search
    and a slice per line.
    """
    import numpy as np
    import polars as pl

    first = np.flatnonzero(ok)
    if not len(first):
        return None
    at = int(lines.starts[sl][first[0]] + lines.host_at[sl][first[0]])
    end = lines.data.find(b" ", at, at + 256)
    if end <= at:
        return None
    host = lines.data[at:end].decode()
    probe = pl.col("raw").str.slice(pl.col("_jhat"), len(host) + 1) == host + " "
    return host if bool(df.select((probe | ~pl.col("_jok")).all()).item()) else None


def _chunks(lines: _Lines, n: int, zone: str) -> Iterator[tuple[int, pl.DataFrame]]:
    """(start, parsed chunk) in order; two chunks are parsed at a time on two threads.

    Each chunk is a chain of polars passes with a few numpy steps between them, so one
    chunk alone leaves a core idle at every step; both release the GIL while they work.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    todo = iter(range(0, n, CHUNK_ROWS))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: deque[tuple[int, Future[pl.DataFrame]]] = deque()
        for start in todo:  # keep WORKERS chunks in flight; results are consumed in order
            pending.append((start, pool.submit(_chunk, lines, _span(start, n), zone)))
            if len(pending) >= WORKERS:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _span(start: int, n: int) -> slice:
    return slice(start, min(start + CHUNK_ROWS, n))


def parse_vectorised(src: TextSource, ctx: ParseContext, fmt: str) -> ParseOutput:
    """Parse a large journald file column-wise; hand the remaining rows to the careful path."""
    import numpy as np
    import polars as pl

    data = src.data if src.data is not None else src.text.encode("utf-8")
    if len(data) >= 1 << 32:  # string-view offsets are 32-bit
        return _journalrec.parse_lines(src, ctx, fmt, enumerate(src.lines), None)
    zone = _zone_name(ctx) or "UTC"
    lines = _Lines(data, ctx)
    n = len(lines.starts)
    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    last_fast = False
    nodes: set[str | None] = set()  # one node for the whole file is a file constant
    for start, out in _chunks(lines, n, zone):
        # a line that is not a record continues the one before it: both take the careful path
        fast = out["fast"] & ~(~out["_jrec"]).shift(-1, fill_value=False)
        if last_fast and not out["_jrec"][0]:
            frames[-1] = frames[-1].head(-1)
            slow.append(np.array([start - 1]))
        last_fast = bool(fast[-1])
        frames.append(
            out.filter(fast).select(
                *(c for c in _ROW_COLUMNS if c not in ("node", "line")),
                pl.col("host").alias("node"),
                (pl.col("idx").cast(pl.Int64) + 1).alias("line"),
            )
        )
        slow.append(out.filter(~fast)["idx"].to_numpy())
        node = frames[-1]["node"]
        if node.len():
            nodes.update([node[0]] if (node == node[0]).all() else [None, "\0"])
    slow_idx = np.concatenate(slow) if slow else np.zeros(0, dtype=np.int64)
    slow_idx.sort()
    texts = [data[lines.starts[i] : lines.starts[i] + lines.lens[i]].decode() for i in slow_idx]
    items = zip(slow_idx.tolist(), texts, strict=True)
    year_map = {int(i): int(lines.years[i]) for i in slow_idx.tolist() if lines.years[i]}
    careful = _journalrec.parse_lines(src, ctx, fmt, items, year_map)
    consts: dict[str, object] = {
        "time_relative": False, "year_source": ctx.year_anchor.source, "source": "kubelet",
        "format": fmt, "file": src.file, "member": src.member, "nlines": 1,
        "network": None, "interface": None, "ips": None,
    }  # fmt: skip
    if len(nodes) == 1 and None not in nodes:
        consts["node"] = nodes.pop()
        frames = [f.drop("node") for f in frames]
    events = merge_chunks(frames, careful.events, consts, CHUNK_ROWS, _ROW_COLUMNS)
    return ParseOutput(events, careful.issues, careful.blank_lines)
