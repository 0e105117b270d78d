"""The compiled fast path of the Multus log and logrus text (containerd, CRI-O) formats.

Large files are read in chunks by :mod:`multus_forensics._rscan`, which writes Arrow string
views into the file's bytes (raw line, message, identities: not copied) and into a small buffer
of new text (unquoted values, the ``fields`` JSON), in one pass per line with the GIL released
(two chunks at a time on two threads). Rows whose message the Python classifier must read are
flagged by the scanner, classified once per distinct text as the careful path does, and their
results written into the scanner's views before polars adopts them (:mod:`._viewpatch`). Lines
the scanner cannot finish exactly as the careful path would (continuation lines and the record
before them, non-ASCII or control characters, unusual escapes, results it cannot check,
foreign lines) are parsed by the careful path itself, and both are put in line order by
:func:`._vecmerge.merge_chunks` without copying the fast rows.

The careful path runs instead when the extension is missing or ``MULTUS_FORENSICS_NO_EXT=1``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from multus_forensics.filebytes import read_lines
from multus_forensics.formats._assemble import map_chunks
from multus_forensics.formats.fast._vecmerge import merge_chunks
from multus_forensics.formats.fast._windows import Chunk
from multus_forensics.mapping import Data, release
from multus_forensics.model import ParseIssue, conform, empty_frame
from multus_forensics.rowcut import chunk_cuts

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource

#: files with fewer lines take the careful path (the set-up is not worth it)
FAST_MIN_LINES: Final = 2000
#: lines per scanned chunk (the per-chunk columns in flight stay a small part of the file);
#: divides the careful logrus path's chunk (``containerd.CHUNK_ROWS``): its stamp reader
#: infers one format per chunk, so a chunk with a stamp the scanner does not take is handed
#: to it whole
SCAN_ROWS: Final = 16_384

_MULTUS_COLUMNS: Final = (
    "raw", "message", "level", "kind", "namespace", "pod", "pod_uid", "network",
    "interface", "ips", "error", "sandbox_id", "fields",
)  # fmt: skip
_LOGRUS_COLUMNS: Final = (
    "raw", "message", "error", "level", "kind", "namespace", "pod", "pod_uid", "sandbox_id",
    "fields", "rest",
)  # fmt: skip
#: columns a fast row may vary in (what the scanner writes and the classifiers may set)
_MULTUS_ROWS: Final = ("time", *_MULTUS_COLUMNS, "line", "source")
_LOGRUS_ROWS: Final = ("time", *_LOGRUS_COLUMNS[:-1], "line", "network")


def scanner(src: TextSource) -> ModuleType | None:
    """The compiled scanner when it applies to ``src`` (large enough, extension present)."""
    from multus_forensics._native import load

    if src.line_count < FAST_MIN_LINES:
        return None
    if src.data is not None and len(src.data) >= 1 << 32:  # as the careful path's line views
        return None
    return load("_rscan")


class _File:
    """The file's bytes (in memory, or read by offset) and every line's bounds."""

    def __init__(self, src: TextSource) -> None:
        from multus_forensics.formats.fast._windows import line_index

        self.data: Data = src.data if src.data is not None else src.text.encode("utf-8")
        self.starts, self.lens, _ = line_index(self.data)  # from a file: window by window
        self.n = len(self.starts)
        release(self.data)  # a mapped file's pages: each chunk is read again in its turn

    def spans(self) -> list[tuple[int, int]]:
        return [(lo, min(lo + SCAN_ROWS, self.n)) for lo in range(0, self.n, SCAN_ROWS)]

    def release(self, lo: int, hi: int) -> None:
        """Drop the resident pages of lines ``lo..hi`` (a mapped file; reading them maps in
        their neighbours too, so sparse reads would otherwise keep most of a chunk)."""
        if hi > lo:
            release(self.data, int(self.starts[lo]), int(self.starts[hi - 1] + self.lens[hi - 1]))

    def compact(
        self, rows: np.ndarray, lines: list[bytes] | None = None
    ) -> tuple[pl.Series, bytes, np.ndarray, np.ndarray]:
        """The lines at ``rows`` copied into one small buffer (they are few): ``raw`` views
        into it, the buffer, and start/length arrays over all lines (valid at ``rows``);
        ``lines``: their bytes when the caller has them (read with their chunk).

        Views over the whole file would have polars read far more of it than these lines.
        """
        import numpy as np

        from multus_forensics.formats.fast._bytevec import string_views

        lens = self.lens[rows]
        if lines is None:
            lines = read_lines(self.data, self.starts[rows].tolist(), lens.tolist())
        buffer = b"\n".join(lines)
        del lines
        starts = np.zeros(self.n, dtype=np.int64)
        starts[rows] = np.concatenate([[0], np.cumsum(lens + 1)[:-1]]) if len(rows) else []
        all_lens = np.zeros(self.n, dtype=np.int64)
        all_lens[rows] = lens
        arr = np.frombuffer(buffer, dtype=np.uint8)
        raw = string_views("raw", buffer, arr, starts[rows], lens)
        return raw, buffer, starts, all_lens


#: reads a scanned column's values at some rows: ``read(column, rows)``
Reader: TypeAlias = Callable[[str, list[int]], list[str | None]]
#: the classifier of flagged rows: ``(read, rows) -> (row -> result, row -> extra fields)``
Classifier: TypeAlias = Callable[
    [Reader, list[int]], tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]
]


def _scan(
    fn: Any,
    file: _File,
    span: tuple[int, int],
    names: tuple[str, ...],
    classifier: Classifier,
    defaults: dict[str, str | None],
    slow_lines: list[bytes],
) -> tuple[pl.DataFrame, np.ndarray, bool]:
    """(fast rows with the classifier's results, line indexes left to the careful path, odd
    stamp). Results land in the scanner's views (:mod:`._viewpatch`); a result column the
    scanner does not write is made from ``defaults`` when some row needs it. ``slow_lines``
    gets the bytes of the lines left to the careful path, read while the chunk's are here."""
    import numpy as np
    import polars as pl

    from multus_forensics.formats.fast._arrowview import string_view_series
    from multus_forensics.formats.fast._viewpatch import patches, write

    lo, hi = span
    part = Chunk(file.data, file.starts, file.lens, lo, hi)  # its bytes, from a file: read
    slow, m, micros, trig, views, valid, text, odd = fn(
        part.data, part.starts, part.lens, *part.span
    )
    is_slow = np.frombuffer(slow, dtype=np.uint8).view(bool)
    slow_lines.extend(part.line(int(i)) for i in np.flatnonzero(is_slow) + lo)
    base = int(file.starts[lo]) if hi > lo else 0
    end = int(file.starts[hi - 1] + file.lens[hi - 1]) if hi > lo else 0
    buffers = [part.buffer(), text]
    column = dict(zip(names, zip(views, valid, strict=True), strict=True))

    def series(name: str, more: list[bytes]) -> pl.Series:
        view, ok = column[name]
        return string_view_series(name, m, view, ok, [*buffers, *more])

    sources = (part.buffer(), memoryview(text))

    def read(name: str, rows: list[int]) -> list[str | None]:
        """The values at ``rows``, decoded from their views (a few rows: plain Python)."""
        view, ok = column[name]
        cells = memoryview(view)
        out: list[str | None] = []
        for r in rows:
            if ok is not None and not ok[r >> 3] >> (r & 7) & 1:
                out.append(None)
                continue
            cell = cells[16 * r : 16 * r + 16]
            n = int.from_bytes(cell[:4], "little")
            if n <= 12:
                out.append(bytes(cell[4 : 4 + n]).decode())
            else:
                at = int.from_bytes(cell[12:16], "little")
                out.append(bytes(sources[cell[8]][at : at + n]).decode())
        return out

    rows = np.flatnonzero(np.frombuffer(trig, dtype=np.uint8)).tolist()
    extra_columns: list[pl.Series] = []
    overlay = bytearray()
    if rows and not odd:
        for name, values in patches(*classifier(read, rows)).items():
            if name in column:
                view, ok = column[name]
                cells = np.frombuffer(view, dtype=np.uint8).reshape(m, 16)
                bits = None if ok is None else np.frombuffer(ok, dtype=np.uint8)
                write(cells, bits, values, overlay, len(buffers))
            else:
                full = [defaults[name]] * m
                for i, value in values.items():
                    full[i] = value
                extra_columns.append(pl.Series(name, full, dtype=pl.String))
    for source in sources:  # a mapping with exported views could not be closed
        source.release()
    more = [bytes(overlay)]
    # "rest" only feeds the classifier: polars never adopts it
    cols = [series(name, more) for name in names if name != "rest"]
    release(file.data, base, end)  # after polars' import, which reads the strings (UTF-8 check)
    time = pl.Series("time", np.frombuffer(micros, dtype=np.int64)).cast(pl.Datetime("us", "UTC"))
    fast_idx = np.flatnonzero(~is_slow) + lo
    line = pl.Series("line", fast_idx + 1, dtype=pl.Int64)
    frame = pl.DataFrame([time, *cols, line, *extra_columns])
    return frame, np.flatnonzero(is_slow) + lo, bool(odd)


def _distinct(rows: list[int], a: list[Any], b: list[Any], fn: Any) -> dict[int, dict[str, Any]]:
    """``fn(a, b)`` once per distinct pair: row -> result (rows with equal input share it).

    The careful paths' ``_classified`` without their polars group-by, which would hash view
    columns by reading far more of the file's pages than the few flagged strings.
    """
    cache: dict[tuple[Any, Any], dict[str, Any]] = {}
    found: dict[int, dict[str, Any]] = {}
    for i, key in zip(rows, zip(a, b, strict=True), strict=True):
        if (result := cache.get(key)) is None:
            result = cache[key] = fn(*key)
        found[i] = result
    return found


def _with_columns(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.DataFrame:
    """``frame``'s ``names`` columns, null string columns for those the classifier did not set."""
    import polars as pl

    missing = [pl.lit(None, pl.String).alias(c) for c in names if c not in frame.columns]
    return frame.with_columns(missing).select(names)


def _merge(
    frames: list[pl.DataFrame],
    careful: pl.DataFrame,
    consts: dict[str, object],
    rows: tuple[str, ...],
) -> pl.DataFrame:
    """Fast chunk frames and the careful path's events (schema-conformed) in line order."""
    return merge_chunks(frames, careful.sort("line"), consts, SCAN_ROWS, rows)


# ---- the Multus log ----------------------------------------------------------------------------


def parse_multus(
    rscan: ModuleType,
    src: TextSource,
    fmt_name: str,
    default_source: str,
    year: int | None = None,
) -> tuple[pl.DataFrame, list[ParseIssue], int]:
    """:func:`.multus_log.parse_multus_lines` by the scanner (same rows, same issues)."""
    import numpy as np
    import polars as pl

    from multus_forensics.formats.multus._multus_klog import first_stamp, stamps_before
    from multus_forensics.formats.multus._multus_msg import classify
    from multus_forensics.formats.multus.multus_log import header_frame, parse_line_frame

    file = _File(src)

    def classifier(read: Reader, rows: list[int]) -> tuple[dict[int, Any], dict[int, Any]]:
        return _distinct(rows, read("message", rows), read("level", rows), classify), {}

    def chunk(span: tuple[int, int]) -> tuple[pl.DataFrame, np.ndarray, list[bytes]]:
        defaults: dict[str, str | None] = {"source": default_source}
        lines: list[bytes] = []
        frame, slow, _ = _scan(
            rscan.multus, file, span, _MULTUS_COLUMNS, classifier, defaults, lines
        )  # fmt: skip
        if "source" not in frame.columns:
            frame = frame.with_columns(pl.lit(default_source).alias("source"))
        file.release(*span)
        return _with_columns(frame, _MULTUS_ROWS), slow, lines

    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    slow_lines: list[bytes] = []
    for frame, slow_idx, lines in map_chunks(chunk, file.spans()):
        frames.append(frame)
        slow.append(slow_idx)
        slow_lines += lines
    left = np.concatenate(slow) if slow else np.zeros(0, dtype=np.int64)
    issues: list[ParseIssue] = []
    blanks = 0
    careful = empty_frame()
    if len(left):  # whole records: a slow run starts at a header line or the file's start
        raw, buffer, starts, lens = file.compact(left, slow_lines)
        del slow_lines
        df = header_frame(raw, buffer, starts[left], lens[left], left + 1)

        head = np.zeros(file.n, dtype=bool)  # lines with a Multus header: dates klog lines
        for frame in frames:
            head[frame["line"].to_numpy() - 1] = True
        head[left[df["ts"].is_not_null().to_numpy()]] = True

        def before(lines: np.ndarray) -> pl.Series:
            return stamps_before(
                file.data, file.starts, file.lens, head, lines, first_stamp(src)
            )  # fmt: skip

        careful, issues, blanks = parse_line_frame(df, src, fmt_name, default_source, before, year)
    consts: dict[str, object] = {
        "time_relative": False, "year_source": None, "node": src.node_hint, "format": fmt_name,
        "file": src.file, "member": src.member, "nlines": 1, "container_id": None,
    }  # fmt: skip
    return _merge(frames, conform(careful), consts, _MULTUS_ROWS), issues, blanks


# ---- logrus text (containerd, CRI-O) -----------------------------------------------------------


def parse_logrus(
    rscan: ModuleType, src: TextSource, ctx: ParseContext, fmt_name: str, source: str
) -> ParseOutput:
    """:func:`.containerd.parse_logrus_source` by the scanner (same rows, same issues)."""
    import numpy as np
    import polars as pl

    from multus_forensics.formats.base import ParseOutput
    from multus_forensics.formats.runtime._logrus import classify_runtime, parse_kv
    from multus_forensics.formats.runtime.containerd import CHUNK_ROWS, _parse_chunk

    file = _File(src)

    def careful(rows: np.ndarray, lines: list[bytes] | None = None) -> ParseOutput:
        raw, buffer, starts, lens = file.compact(rows, lines)
        # the careful path's chunk frame: line, raw
        part = pl.DataFrame([pl.Series("line", rows + 1, dtype=pl.Int64), raw])
        return _parse_chunk(part, (raw, buffer, starts, lens), ctx, src, fmt_name, source)

    def classifier(read: Reader, rows: list[int]) -> tuple[dict[int, Any], dict[int, Any]]:
        found = _distinct(rows, read("message", rows), read("error", rows), classify_runtime)
        rests = read("rest", rows)
        return found, {i: parse_kv(r) for i, r in zip(rows, rests, strict=True) if r is not None}

    def chunk(span: tuple[int, int]) -> tuple[pl.DataFrame, ParseOutput | None]:
        defaults: dict[str, str | None] = {"network": None}
        lines: list[bytes] = []
        frame, slow, odd = _scan(
            rscan.logrus, file, span, _LOGRUS_COLUMNS, classifier, defaults, lines
        )  # fmt: skip
        file.release(*span)
        if odd:  # its whole careful chunk goes to the careful path (below)
            return _with_columns(frame.clear(), _LOGRUS_ROWS), None
        out = careful(slow, lines) if len(slow) else ParseOutput(empty_frame())
        return _with_columns(frame, _LOGRUS_ROWS), out

    consts: dict[str, object] = {
        "time_relative": False, "year_source": None, "node": src.node_hint, "format": fmt_name,
        "file": src.file, "member": src.member, "nlines": 1, "container_id": None,
        "source": source, "interface": None, "ips": None,
    }  # fmt: skip
    spans = file.spans()
    # (logrus stamps carry their year: no year check reads the stream's head)
    cuts = chunk_cuts(ctx, consts, len(spans) > 1, None)
    frames: list[pl.DataFrame] = []
    outs: dict[int, list[ParseOutput | None]] = {}  # per careful chunk, in line order
    for (lo, _), (frame, out) in zip(spans, map_chunks(chunk, spans), strict=True):
        frames.append(frame if cuts is None else cuts.take(frame))
        outs.setdefault(lo // CHUNK_ROWS, []).append(out)
    events: list[pl.DataFrame] = []
    issues: list[ParseIssue] = []
    blanks = 0
    for group, parts in outs.items():
        if any(out is None for out in parts):
            lo = group * CHUNK_ROWS
            first = lo // SCAN_ROWS
            for k in range(first, first + len(parts)):
                frames[k] = frames[k].clear()
                if cuts is not None:  # the careful path reads these lines: none dropped
                    cuts.dropped[k] = cuts.dropped[k][:0]
            parts = [careful(np.arange(lo, min(lo + CHUNK_ROWS, file.n)))]
        for out in parts:
            assert out is not None  # replaced above
            if out.events.height:
                events.append(out.events)
            issues += out.issues
            blanks += out.blank_lines
    rest = pl.concat(events) if events else conform(empty_frame())
    rest = rest.with_columns(
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, pl.String).alias("member"),
        pl.lit(src.node_hint, pl.String).alias("node"),
    )
    merged = _merge(frames, conform(rest), consts, _LOGRUS_ROWS)
    out = ParseOutput(merged, issues, blanks)
    return out if cuts is None else cuts.finish(out)
