"""The fast journald path for English ``-o short`` / ``short-precise`` journals of any writer.

The scanner finishes three payload shapes itself: klog records (any identifier: kubelet,
kube-apiserver, bootstrap tools), logrus records the careful path reads as plain log lines
(CRI-O, containerd chatter without errors or sandbox/CNI words), and payloads no payload
parser reads (systemd, NetworkManager, kernel, ovs, scripts). ``source`` is the syslog
identifier, as :func:`.journald.payload_source` names it.

Lines are found with numpy over the file's bytes and years come from one pass over all
stamps (rollover aware), so both paths agree on them. Each chunk of lines is then parsed in
one pass by the compiled scanner :mod:`multus_forensics._kscan`, which writes Arrow string
views into the file's bytes (raw line, host, message, identities: not copied) and into a
small buffer of new text (the ``fields`` JSON, unescaped values); polars adopts them as
they are. Two chunks are scanned at a time on two threads (the scanner releases the GIL).
Every line the scanner cannot finish exactly as the careful path would (markers, blocks,
continuations and the record before them, pager cuts, other payload shapes, non-ASCII,
repeated keys, unusual escapes, impossible dates) goes to :func:`._journalrec.parse_lines`.
Results are put in line order by :func:`._vecmerge.merge_chunks` without copying the fast
rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

from multus_forensics.filebytes import read_lines
from multus_forensics.formats._assemble import settle_polars_numpy
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.fast._arrowview import string_view_series
from multus_forensics.formats.fast._vecmerge import merge_chunks, no_events
from multus_forensics.formats.fast._windows import Chunk
from multus_forensics.formats.kubelet import _journalrec
from multus_forensics.formats.kubelet._syslogstamp import EN_MONTHS, short_month
from multus_forensics.formats.kubelet.journald import EMBEDDED_IDENTS, KUBELET_IDENTS
from multus_forensics.formats.kubelet.klog import LEGACY_STARTS, LEVELS, STRUCTURED_KINDS
from multus_forensics.formats.runtime._logrus import LEVELS as LOGRUS_LEVELS
from multus_forensics.mapping import Data, release
from multus_forensics.rowcut import chunk_cuts, has_adds

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

CHUNK_ROWS: Final = 32_768
#: chunks parsed at the same time (threads; bounded by the pool, not by results kept)
WORKERS: Final = 2


def zone_name(ctx: ParseContext) -> str | None:
    if ctx.tz is None:
        return "UTC"
    return ctx.tz.key if isinstance(ctx.tz, ZoneInfo) else None


def scanner_available() -> bool:
    """Whether the compiled scanner can run: it was built, and ``MULTUS_FORENSICS_NO_EXT=1``
    does not ask for the pure path (which then parses every line, with the same results)."""
    from multus_forensics._native import load

    return load("_kscan") is not None


def applies(src: TextSource, ctx: ParseContext, min_lines: int) -> bool:
    """Files of ``min_lines`` or more whose head is English ``short``/``short-precise``
    journald text, when the scanner is available."""
    if src.line_count < min_lines or zone_name(ctx) is None or not scanner_available():
        return False
    head = src.head(20)
    hits = 0
    for line in head:
        mon = short_month(line)
        hits += mon is not None and mon in EN_MONTHS
    return hits * 2 > len(head)


def _years(months: bytes, ctx: ParseContext) -> np.ndarray:
    """Year of every line with an English stamp (0 elsewhere), rollover aware, whole file.

    Two compiled passes over the months (one byte a line), no temporaries: the numpy version
    made a dozen arrays of 8 bytes a line, whose fresh pages (numpy asks huge pages for them)
    cost more system time than the scan of the file (see ``_kscan.c``, years of stamped lines).
    """
    import numpy as np

    from multus_forensics._native import require

    _kscan = require("_kscan")
    span = _kscan.rollovers(months)
    first = 0 if span is None else ctx.year_anchor.first_year(*span)
    return np.frombuffer(_kscan.years(months, first), dtype=np.int64)


class ScanLines:
    """A file's bytes with every line's bounds and the year of its record (0: none, or a line
    the scanner must leave to the careful path)."""

    def __init__(self, data: Data, starts: np.ndarray, lens: np.ndarray, years: np.ndarray):
        self.data, self.starts, self.lens, self.years = data, starts, lens, years


def _journal_lines(data: Data, ctx: ParseContext) -> ScanLines:
    from multus_forensics.formats.fast._windows import line_index

    starts, lens, months = line_index(data)  # a file read by offset: window by window
    years = _years(months.tobytes(), ctx)
    release(data)  # a mapped file's pages: the scan reads them again chunk by chunk
    return ScanLines(data, starts, lens, years)


#: the scanner's columns, in the order it returns them (``host`` becomes ``node``)
_SCAN_COLUMNS: Final = (
    "raw", "node", "message", "error", "fields", "namespace", "pod", "pod_uid",
    "sandbox_id", "container_id", "kind", "level", "source",
)  # fmt: skip
#: the scanner's tables, from the careful path's own (so both read the same messages)
_KINDS: Final = tuple((k.encode(), v.encode()) for k, v in STRUCTURED_KINDS.items())
_LEGACY: Final = tuple(s.encode() for s in LEGACY_STARTS)
_LEVELS: Final = tuple(LEVELS[c].encode() for c in "IWEF")
#: identifiers whose source is not their own name: (ident, source of klog payloads, source of
#: payloads no parser reads (empty: the careful path decides, as for microshift's prefixes),
#: source of logrus payloads), as :func:`.journald.payload_source` names them
_SOURCES: Final = (
    *((i.encode(), b"kubelet", b"kubelet", b"kubelet") for i in KUBELET_IDENTS),
    *(
        (i.encode(), b"kubelet", b"" if i == "microshift" else i.encode(), b"containerd")
        for i in EMBEDDED_IDENTS
    ),
)
#: logrus level names and the event levels the careful path gives them (others: info)
_LOGRUS_LEVELS: Final = tuple((k.encode(), v.encode()) for k, v in LOGRUS_LEVELS.items())
#: the payload parsers the scanner knows apart from klog, with the literal starts of their
#: shapes that the scanner does not tell by their first characters (a digit, ``{``, ``[``,
#: whitespace or a ``pod:container `` prefix all go to the careful path anyway)
OTHER_SHAPES: Final[dict[str, tuple[str, ...]]] = {
    "klog-json": (),
    "multus": (),
    "calico": (),
    "logrus": ('time="',),
    "multus-entrypoint": (
        "Generating Multus configuration file", "multus", "version:", "Config file created @ ",
        "master config changed", "Master plugin @ ", "Attem", "Using MASTER_PLUGIN: ",
        "Original master file moved to ", "Entering ", "kubeconfig ", "master capabilities ",
        "CA (", "ERR:", "WARN:", "cp: cannot create regular file ", "failed to ", "cannot ",
        "Multus cni version is ",
    ),
}  # fmt: skip


def careful_starts() -> tuple[bytes, ...]:
    """Literal starts of the payloads the careful path must read (every registered payload
    parser's); a parser the scanner does not know sends every non-klog payload there."""
    from multus_forensics.registry import PAYLOAD_PARSERS

    unknown = set(PAYLOAD_PARSERS) - {"klog", *OTHER_SHAPES}
    if unknown:
        return (b"",)  # the empty start matches every payload
    return tuple(start.encode() for starts in OTHER_SHAPES.values() for start in starts)


def _chunk(
    lines: ScanLines,
    sl: slice,
    zone: str,
    careful: tuple[bytes, ...],
    year_source: str | None,
    last: np.ndarray | None = None,
    texts: list[str] | None = None,
) -> tuple[pl.DataFrame, np.ndarray, str | None]:
    """(the rows the scanner finished, the line indexes it left to the careful path, the
    node when every row names the same one: the frame then has no ``node`` column).

    ``year_source`` None: a bare klog file (the scanner's bare mode; node, source and year
    source are the file's); else the ``year_source`` of rows whose time came from a year-less
    stamp (logrus stamps carry their year: None there). ``last`` (one byte per line) marks the
    last line of each file when ``lines`` holds several (:mod:`._journalbatch`). ``texts``
    gets the decoded lines left to the careful path, read while the chunk's bytes are here.
    """
    import numpy as np
    import polars as pl

    from multus_forensics._native import require

    _kscan = require("_kscan")

    lo, hi = sl.start, sl.stop
    part = Chunk(lines.data, lines.starts, lines.lens, lo, hi)  # its bytes, from a file: read
    at = slice(part.offset, part.offset + len(part.starts))
    slow, m, micros, views, valid, text, host_same, aware_b = _kscan.scan(
        part.data, part.starts, part.lens, lines.years[at], *part.span, _KINDS, _LEGACY,
        _LEVELS, _SOURCES, careful, _LOGRUS_LEVELS, year_source is None,
        None if last is None else last[at],
    )  # fmt: skip
    is_slow = np.frombuffer(slow, dtype=np.uint8).view(bool)
    if texts is not None:
        texts += [part.line(int(i)).decode() for i in np.flatnonzero(is_slow) + lo]
    base = int(lines.starts[lo]) if hi > lo else 0
    end = int(lines.starts[hi - 1] + lines.lens[hi - 1]) if hi > lo else 0
    release(lines.data, base, end)
    buffers = (part.buffer(), text)
    cols = [
        string_view_series(name, m, view, ok, buffers)
        for name, view, ok in zip(_SCAN_COLUMNS, views, valid, strict=True)
    ]
    epoch = pl.Series("time", np.frombuffer(micros, dtype=np.int64))
    naive = epoch.cast(pl.Datetime("us"))
    if zone == "UTC":  # one cast: the epoch microseconds are UTC already
        time = epoch.cast(pl.Datetime("us", "UTC"))
    else:
        time = naive.dt.replace_time_zone(
            zone, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
    aware = np.frombuffer(aware_b, dtype=np.uint8).view(bool)
    # one value for the chunk: a polars scalar column, not a view per row
    year_sources: pl.Series | pl.Expr = pl.lit(year_source, dtype=pl.String).alias("year_source")
    if aware.any():  # logrus stamps: already UTC, and their year is their own
        utc = naive.dt.replace_time_zone("UTC")
        time = pl.select(pl.when(pl.Series(aware)).then(utc).otherwise(time).alias("time"))["time"]
        year_sources = pl.Series("year_source", [year_source] * m, pl.String).set(
            pl.Series(aware), None
        )
    host = None
    if host_same and m:  # one node: a constant, not a view per row
        host = cols[1][0]
        cols.pop(1)
    fast_idx = np.flatnonzero(~is_slow) + lo
    frame = pl.DataFrame([time, *cols, pl.Series("line", fast_idx + 1, dtype=pl.Int64)])
    frame = frame.with_columns(year_sources)
    slow_idx = np.flatnonzero(is_slow) + lo
    missing = time.is_null().to_numpy()
    if missing.any():  # a local time the zone skips: the careful path decides what it is
        frame = frame.filter(~missing)
        slow_idx = np.sort(np.concatenate([slow_idx, fast_idx[missing]]))
    return frame, slow_idx, host


#: event columns that vary per row on the fast path (the others are constants of the file)
ROW_COLUMNS: Final = ("time", *_SCAN_COLUMNS, "year_source", "line")


def scan_chunks(
    lines: ScanLines, n: int, zone: str, year_source: str | None
) -> Iterator[tuple[pl.DataFrame, np.ndarray, str | None, list[str]]]:
    """Scanned chunks in order, each with the texts of the lines it left to the careful path;
    two are scanned at a time on two threads.

    The scanner releases the GIL, so the second core scans the next chunk while this thread
    wraps the previous one's buffers into columns. A chunk's bytes are read with it (a file
    read by offset), so only the chunks in flight and the rows kept hold the file's bytes.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    careful = careful_starts()

    def scan(start: int) -> tuple[pl.DataFrame, np.ndarray, str | None, list[str]]:
        texts: list[str] = []
        frame, slow, host = _chunk(lines, _span(start, n), zone, careful, year_source, None, texts)
        return frame, slow, host, texts

    if n <= CHUNK_ROWS:  # one chunk: no thread to start
        yield scan(0)
        return
    settle_polars_numpy()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: deque[Future[tuple[pl.DataFrame, np.ndarray, str | None, list[str]]]] = deque()
        for start in range(0, n, CHUNK_ROWS):  # keep WORKERS chunks in flight, yield in order
            pending.append(pool.submit(scan, start))
            if len(pending) >= WORKERS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _span(start: int, n: int) -> slice:
    return slice(start, min(start + CHUNK_ROWS, n))


def _block_followers(lines: ScanLines, slow_idx: np.ndarray) -> list[int]:
    """The first record of each ``key=<`` block's writer after the block opened, unless a
    `` >`` line closed it first: the careful path must see it to close the block as it does
    for a whole file (with its note). Blocks are rare; each search is a bytes find."""
    import numpy as np

    from multus_forensics.formats.kubelet._journalrec import split_record

    data, starts, lens = lines.data, lines.starts, lines.lens

    def record(j: int) -> _journalrec.Record | None:
        return split_record(
            bytes(data[starts[j] : starts[j] + lens[j]]).decode(errors="replace"), j
        )

    out: list[int] = []
    for i in slow_idx.tolist():
        if bytes(data[starts[i] + lens[i] - 2 : starts[i] + lens[i]]) != b"=<":
            continue
        head = record(i)
        if head is None or head.payload.startswith(("\t", " >")):
            continue
        tag = f" {head.host} {head.ident}{'' if head.pid is None else f'[{head.pid}]'}:".encode()
        pos = int(starts[i] + lens[i])
        while (at := data.find(tag, pos)) >= 0:
            j = int(np.searchsorted(starts, at, "right")) - 1
            pos = int(starts[j] + lens[j])
            rec = record(j)
            if rec is None or rec.key != head.key:
                continue
            if rec.payload.startswith(" >"):
                break
            if rec.payload.startswith(" "):  # a body line indented by spaces: the block's too
                out.append(j)
                continue
            if not (rec.payload.startswith("\t") or rec.payload == ""):
                out.append(j)
                break
    return out


def parse_vectorised(src: TextSource, ctx: ParseContext, fmt: str) -> ParseOutput:
    """Parse a large journald file with the scanner; hand the remaining lines to the careful path."""
    import numpy as np
    import polars as pl

    data = src.data if src.data is not None else src.text.encode("utf-8")
    zone = zone_name(ctx) or "UTC"
    lines = _journal_lines(data, ctx)
    n = len(lines.starts)
    consts: dict[str, object] = {
        "time_relative": False,
        "format": fmt, "file": src.file, "member": src.member, "nlines": 1,
        "network": None, "interface": None, "ips": None,
    }  # fmt: skip
    cuts = chunk_cuts(ctx, consts, n > CHUNK_ROWS, ctx.year_anchor.source)
    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    hosts: list[str | None] = []  # one node for the whole file is a file constant
    stamps: list[pl.DataFrame] = []  # with a cut: each chunk's (line, time), for the file's order
    slow_texts: list[str] = []
    for frame, slow_idx, host, texts in scan_chunks(lines, n, zone, ctx.year_anchor.source):
        slow_texts += texts
        hosts.append(host if frame.height else "")
        if cuts is not None:
            stamps.append(frame.select("line", "time"))
            frame = cuts.take(frame, host)
        frames.append(frame)
        slow.append(slow_idx)
    slow_idx = np.concatenate(slow) if slow else np.zeros(0, dtype=np.int64)
    followers = np.setdiff1d(_block_followers(lines, slow_idx), slow_idx)
    text_at = dict(zip(slow_idx.tolist(), slow_texts, strict=True))
    if len(followers):  # fast rows the careful path must take after all
        frames = [f.filter(~np.isin(f["line"].to_numpy(), followers + 1)) for f in frames]
        stamps = [f.filter(~np.isin(f["line"].to_numpy(), followers + 1)) for f in stamps]
        slow_idx = np.union1d(slow_idx, followers)
        got = read_lines(data, lines.starts[followers].tolist(), lines.lens[followers].tolist())
        text_at.update(zip(followers.tolist(), (t.decode() for t in got), strict=True))
    texts = [text_at[i] for i in slow_idx.tolist()]
    del text_at, slow_texts
    items = zip(slow_idx.tolist(), texts, strict=True)
    year_map = {int(i): int(lines.years[i]) for i in slow_idx.tolist() if lines.years[i]}
    back = ahead = 0
    for f in stamps or frames:  # the file's order, from the rows the scanner finished
        step = f["time"].diff().dt.total_microseconds()
        back, ahead = back + int((step < 0).sum()), ahead + int((step > 0).sum())
    del stamps
    reverse = back >= ahead if back or ahead else None
    careful = (
        _journalrec.parse_lines(src, ctx, fmt, items, year_map, reverse)
        if len(slow_idx)
        else ParseOutput(no_events(), [], 0)
    )
    if cuts is not None and has_adds(careful.events):
        # Multus' own ADD lines in the journal (the scanner's rows are never adds): the add
        # order reads every row of their pods, so the file is scanned again, uncut
        frames.clear()
        return parse_vectorised(src, replace(ctx, cut=None), fmt)
    nodes = {h for h in hosts if h != ""}
    if len(nodes) == 1 and None not in nodes:
        consts["node"] = nodes.pop()
    else:  # several nodes: chunks of one node get it as a literal column
        frames = [
            f if h is None else f.with_columns(pl.lit(h, dtype=pl.String).alias("node"))
            for f, h in zip(frames, hosts, strict=True)
        ]
    events = merge_chunks(frames, careful.events, consts, CHUNK_ROWS, ROW_COLUMNS)
    out = ParseOutput(events, careful.issues, careful.blank_lines, careful.header_lines)
    return out if cuts is None else cuts.finish(out, followers + 1)
