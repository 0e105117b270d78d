"""Many small journald files through the compiled scanner at once, each read as if alone.

A must-gather or a node's log folder holds thousands of journals of a few dozen lines. The
fast path's setup (a dozen polars columns, their merge, ``conform``) costs more than scanning
100 lines, so alone each such file would pay it, or take the careful path line by line. Here the
files' bytes are joined and scanned in one pass; the scanner is told where each file ends
(``last``), so no line of one file is read as the continuation of another. What depends on
the file stays per file: its lines' years come from its own year anchor (header, ``year=``,
mtime), and the lines the scanner leaves go to the careful path with the file's own lines
(blocks, followers, newest-first order judged from its own rows). Columns are built, the careful
events put in line order and the frame conformed once for the batch, then cut back into one
frame per file: the same rows, row for row, as :mod:`._journalvec` or the careful path gives
each file alone.
"""

from __future__ import annotations

import itertools
import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from multus_forensics.formats.base import BatchRows, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.fast._vecmerge import _interleave
from multus_forensics.formats.kubelet import _journalrec, _journalvec
from multus_forensics.formats.kubelet._journalvec import (
    ScanLines,
    _block_followers,
    _chunk,
    _span,
    applies,
    careful_starts,
    zone_name,
)
from multus_forensics.formats.kubelet._klogfile import frame_from_rows
from multus_forensics.model import ParseIssue, conform, schema

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

#: files at most this long join a batch; a longer one pays its own setup back
MAX_FILE_LINES: Final = 4096
#: the scanned rows' year source until each file's own is put in (rows whose stamp has its year: null)
_THE_FILES: Final = "\x00file"
_FILE: Final = "_batch_file"


#: a line this matches is one :data:`._syslogstamp.SHORT_RE` reads, with an English month: the
#: same shape, each part narrowed to ASCII (Rust's regex engine runs it over many files at once)
EN_SHORT_LINE: Final = (
    r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}[0-9]{1,2} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})? [A-Za-z0-9][A-Za-z0-9_.-]* "
    r"[!-9;-Z\\-~]+(?:\[[0-9]+\])?:(?: |$)"
)
#: the same, on a line that still ends with its newline
_EN_SHORT_LINE_NL: Final = EN_SHORT_LINE.removesuffix("(?: |$)") + "(?: |\n|$)"
#: head lines detection sniffs (``TextSource.head``'s default), and the head lines
#: :func:`._journalvec.applies` reads before the scanner takes a file
SNIFF_HEAD: Final = 50
SCAN_HEAD: Final = 20
#: first bytes a line may start with for its file to be admitted: printable ASCII but white
#: space, digits, the paste marks ``>`*~`` (:mod:`multus_forensics.ingest.paste`), ``#``
#: (a ``#!`` script) and ``-`` (a journal header, which dates the file)
_SAFE_FIRST: Final = bytes(
    c for c in range(0x21, 0x7F) if not chr(c).isdigit() and chr(c) not in ">`*~#-"
)


def admit_heads(datas: Sequence[bytes], min_score: float) -> list[int | None]:
    """:func:`admit_table`'s verdicts alone."""
    return admit_table(datas, min_score)[0]


def admit_table(
    datas: Sequence[bytes], min_score: float
) -> tuple[list[int | None], LineTable | None]:
    """For each text (ASCII, no NUL or CR: as ingestion passes it on unchanged; any other is
    refused), whether it is certainly what detection and :func:`batchable` find one by one
    for a file the journald globs name: no paste decoration to strip, a journald sniff of at
    least ``min_score``, and a head the scanner takes. Decided for all at once (one line table,
    one regex pass over the head lines); an admitted text's answer is its line count, a None
    only means "ask one by one". The line table is returned too (None when some text is not
    plain): :func:`parse_batch` reads any run of admitted texts from it instead of joining
    their bytes and finding their lines again.

    Each test is a sufficient form of the per-file one: a line matching
    :data:`EN_SHORT_LINE` is a record both the sniff and the scanner's admission count, and a
    file whose every line is empty or starts with a :data:`_SAFE_FIRST` byte has no blank line
    but empty ones and no first character paste detection looks for.
    """
    import numpy as np

    from multus_forensics.formats.fast._bytevec import string_views

    if not datas:
        return [], None
    table = _line_table([d if d.endswith(b"\n") else d + b"\n" for d in datas])
    joined, starts, lens, months, owner = (
        table.joined,
        table.starts,
        table.lens,
        table.months,
        table.owner,
    )
    if not _plain(joined):  # some are not: those are asked one by one
        plain = [k for k, d in enumerate(datas) if _plain(d)]
        out: list[int | None] = [None] * len(datas)
        for k, ok in zip(plain, admit_heads([datas[k] for k in plain], min_score), strict=True):
            out[k] = ok
        return out, None
    n = len(datas)
    safe = np.zeros(256, dtype=bool)
    safe[np.frombuffer(_SAFE_FIRST, dtype=np.uint8)] = True
    nonblank = lens > 0
    first = np.frombuffer(joined, dtype=np.uint8)[starts[nonblank]]
    unsafe = np.zeros(len(starts), dtype=bool)
    unsafe[nonblank] = ~safe[first]
    counts = np.diff(table.line_lo)
    # each line's place among its file's non-blank lines
    seen: np.ndarray = np.cumsum(nonblank) - nonblank
    rank: np.ndarray = seen - seen[table.line_lo[owner]]
    head = nonblank & (rank < SNIFF_HEAD)
    hit = np.zeros(len(starts), dtype=bool)
    ask = np.flatnonzero(head & (months > 0))
    if len(ask):  # each line with its newline, a view of the joined bytes, matched in Rust
        arr = np.frombuffer(joined, dtype=np.uint8)
        with_newline = np.diff(np.append(starts, len(joined)))
        asked = string_views("head", joined, arr, starts[ask], with_newline[ask])
        hit[ask] = asked.str.contains(_EN_SHORT_LINE_NL).to_numpy()
    n50 = np.bincount(owner, head, minlength=n)
    h50 = np.bincount(owner, head & hit, minlength=n)
    head20 = nonblank & (rank < SCAN_HEAD)
    n20 = np.bincount(owner, head20, minlength=n)
    h20 = np.bincount(owner, head20 & hit, minlength=n)
    clean = np.bincount(owner, unsafe, minlength=n) == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        sniffed = h50 / n50 >= min_score
    ok = clean & (n50 > 0) & sniffed & (h20 * 2 > n20) & (counts <= MAX_FILE_LINES)
    verdicts = [n if v else None for n, v in zip(counts.tolist(), ok.tolist(), strict=True)]
    return verdicts, table


def _plain(data: bytes) -> bool:
    """ASCII without NUL or CR (tested on all of a group's bytes joined first: one pass each)."""
    return data.isascii() and b"\x00" not in data and b"\r" not in data


def batchable(src: TextSource, ctx: ParseContext) -> bool:
    """A small in-memory file whose head is English ``short`` journald text (the scanner's)."""
    if src.line_count > MAX_FILE_LINES or isinstance(src.data, mmap.mmap):
        return False
    return applies(src, ctx, 1)


def parse_batch(
    srcs: Sequence[TextSource],
    ctxs: Sequence[ParseContext],
    fmt: str,
    min_lines: int,
    head_notes: Callable[[int], list[ParseIssue]] | None = None,
    table: LineTable | None = None,
) -> list[ParseOutput]:
    """One :class:`ParseOutput` per file, what the format gives it alone: a file of
    ``min_lines`` or more as :func:`._journalvec.parse_vectorised` does; a shorter one, which
    alone takes the careful path whole, gets that path whole when a line of it needs the
    careful path at all (only then can the two differ: a block's order is judged from all the
    records the careful path sees).

    ``head_notes(f)``, the file-level notes a file's head may call for (journalctl's zone), is
    asked only of the files whose head has a line that could call for one
    (:func:`zone_suspects`): its notes follow the file's issues.

    ``table``: the sources' line table when the admission built it (:meth:`LineTable.part`:
    the sources are its texts, in order), else it is built here.

    Every ``ctxs`` entry has the same zone (one ``parse`` call); the year anchors may differ.
    """
    import numpy as np
    import polars as pl

    zone = zone_name(ctxs[0]) or "UTC"
    if table is None:
        table = _line_table([_bytes(src) for src in srcs])
    elif len(table.line_lo) != len(srcs) + 1:
        raise ValueError(f"a line table of {len(table.line_lo) - 1} texts for {len(srcs)} sources")
    joined, byte_lo, starts, lens, months, owner = (
        table.joined,
        table.byte_lo,
        table.starts,
        table.lens,
        table.months,
        table.owner,
    )
    line_lo = table.line_lo[:-1]
    counts = np.diff(table.line_lo)
    years = _years_per_file(months, owner, ctxs)
    last = np.zeros(len(starts), dtype=np.uint8)
    last[(line_lo + counts - 1)[counts > 0]] = 1
    lines = ScanLines(joined, starts, lens, years)
    careful = careful_starts()
    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    # the chunk size is read where _span reads it: a copy bound at import could disagree
    for start in range(0, len(starts), _journalvec.CHUNK_ROWS):
        frame, slow_idx, host = _chunk(
            lines, _span(start, len(starts)), zone, careful, _THE_FILES, last
        )
        if host is not None:
            frame = frame.with_columns(pl.lit(host, dtype=pl.String).alias("node"))
        frames.append(frame.select(_ROW_ORDER))
        slow.append(slow_idx)
    fast = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    slow_idx = np.concatenate(slow)
    fast = fast.with_columns(pl.Series(_FILE, owner[fast["line"].to_numpy() - 1], pl.Int64))
    slow_of = _per_file(slow_idx, line_lo, counts)
    drop: list[np.ndarray] = []
    # a short file alone takes the careful path whole, which judges its order from all its
    # records: judged so here, its scanned rows are kept (the careful path gives them alike)
    short_order = {
        f: _whole_order(joined, starts[lo : lo + n], lens[lo : lo + n], months[lo : lo + n])
        for f in slow_of
        if (n := int(counts[f])) < min_lines and (lo := int(line_lo[f])) >= 0
    }
    whole = {f for f, reverse in short_order.items() if reverse is None}
    for f in whole:  # alone, the careful path reads all of it (and judges its order from all)
        lo = int(line_lo[f])
        drop.append(np.arange(lo, lo + counts[f]))
    for f, idx in slow_of.items():  # the careful path must also see its blocks' followers
        if f in whole:
            continue
        lo, hi = int(line_lo[f]), int(line_lo[f] + counts[f])
        # the file's own bytes: a block's followers are sought up to its end, not the next's
        own = ScanLines(joined[byte_lo[f] : byte_lo[f + 1]], starts[lo:hi] - byte_lo[f], lens[lo:hi], years[lo:hi])  # fmt: skip
        followers = np.setdiff1d(_block_followers(own, idx - lo), idx - lo)
        if len(followers):
            drop.append(followers + lo)
            slow_of[f] = np.union1d(idx, followers + lo)
    if drop:
        gone = np.concatenate(drop) + 1
        fast = fast.filter(~np.isin(fast["line"].to_numpy(), gone))
    judged = [f for f in slow_of if f not in short_order]
    order = _order(fast.filter(pl.col(_FILE).is_in(judged))) if judged else {}
    by_file: dict[int, tuple[list[ParseIssue], int, int]] = {}  # the careful path's counts
    rows: list[dict[str, object]] = []  # every file's careful events: one frame for all
    row_files: list[int] = []
    for f, idx in slow_of.items():
        if f in whole:
            own_rows, issues, blank, headers = _journalrec.careful_rows(
                srcs[f], ctxs[f], fmt, enumerate(srcs[f].lines), None
            )
        else:
            lo = int(line_lo[f])
            texts = [joined[starts[i] : starts[i] + lens[i]].decode() for i in idx]
            items = zip((idx - lo).tolist(), texts, strict=True)
            year_map = {int(i) - lo: int(years[i]) for i in idx.tolist() if years[i]}
            back, ahead = order.get(f, (0, 0))
            reverse = short_order.get(f, back >= ahead if back or ahead else None)
            own_rows, issues, blank, headers = _journalrec.careful_rows(
                srcs[f], ctxs[f], fmt, items, year_map, reverse
            )
        by_file[f] = (issues, blank, headers)
        rows += own_rows
        row_files += [f] * len(own_rows)
    by_hand = None
    if rows:
        by_hand = frame_from_rows(rows).with_columns(pl.Series(_FILE, row_files, pl.Int64))
    events = _assemble(fast, by_hand, srcs, ctxs, line_lo, fmt)
    owners = events[_FILE].to_numpy()
    heights = np.bincount(owners, minlength=len(srcs)).tolist()
    nlines = np.bincount(owners, events["nlines"].to_numpy(), minlength=len(srcs))
    # the same columns but the file number, as they are: drop (or select) would first cut
    # every column into the same chunks, copying the whole batch (its constant columns are
    # chunked apart from the scanned ones); the stream passes join the batches' rows once
    events = pl.DataFrame([events.get_column(c) for c in events.columns if c != _FILE])
    firsts = itertools.accumulate(heights, initial=0)  # one more than there are files
    out: list[ParseOutput] = []
    for f, (at, height, n) in enumerate(zip(firsts, heights, nlines.tolist(), strict=False)):
        issues, blank, headers = by_file.get(f) or ([], 0, 0)
        out.append(BatchRows(events, at, height, issues, blank, headers, int(n)))
    if head_notes is not None:
        for f in zone_suspects(joined, starts, lens, months, owner, line_lo):
            out[f].issues.extend(head_notes(f))
    return out


#: non-blank lines of a file's head the zone note reads (:func:`.journald.zone_note`)
ZONE_HEAD: Final = 5
#: a line :func:`._syslogstamp.header_zone` could take: a ``-- ... --`` marker, or a first
#: token and a date (``-o short-full``); looser than both (a token is anything but a space)
_ZONE_LINE: Final = r"^(?:-- |[^ ]+ \d{4}-\d\d-\d\d)"


def zone_suspects(
    joined: bytes,
    starts: np.ndarray,
    lens: np.ndarray,
    months: np.ndarray,
    owner: np.ndarray,
    line_lo: np.ndarray,
) -> list[int]:
    """The files of a line table (:func:`_line_table`) with a line among the first
    :data:`ZONE_HEAD` non-blank ones that :data:`_ZONE_LINE` matches: only these can get
    a zone note (a file of ``Mar 11 ...`` records has none), found for all at once.

    A line counts as non-blank here only when its first byte is printable ASCII (no
    ``strip`` could empty it), so the lines read are the head or more, never fewer. A line
    that starts with a month, a space and, before four digits, an ASCII byte that is no
    digit (``Mar 11 ``, ``Mar  1 ``) is no first token and date: it is not matched."""
    import numpy as np

    from multus_forensics.formats.fast._bytevec import string_views, word_at

    if not len(starts):
        return []
    arr = np.frombuffer(joined, dtype=np.uint8)
    first = arr[np.minimum(starts, len(arr) - 1)]
    sure = (lens > 0) & (first > 0x20) & (first < 0x7F)
    seen = np.cumsum(sure) - sure
    rank = seen - seen[line_lo[owner]]
    ask = np.flatnonzero((lens > 0) & (rank < ZONE_HEAD))
    dated = ask[(months[ask] > 0) & (lens[ask] >= 8)]
    if len(dated):  # bytes 3..7 of each: a space, then where four digits would be
        word = word_at(arr, starts[dated])
        at = (word[:, None] >> (np.arange(3, 8, dtype=np.uint64) * np.uint64(8))) & np.uint64(0xFF)
        digit = (at[:, 1:] >= 0x30) & (at[:, 1:] <= 0x39)
        stop = np.argmax(~digit, axis=1)  # the first of the four that is no digit
        plain = (at[:, 0] == 0x20) & ~digit.all(axis=1)
        plain &= at[:, 1:][np.arange(len(dated)), stop] < 0x80
        ask = np.setdiff1d(ask, dated[plain], assume_unique=True)
    if not len(ask):
        return []
    views = string_views("head", joined, arr, starts[ask], lens[ask])
    hit = views.str.contains(_ZONE_LINE).to_numpy()
    return np.unique(owner[ask[hit]]).tolist()  # type: ignore[no-any-return]


#: the scanned rows' columns in one order (a chunk with one node has it added as a constant)
_ROW_ORDER: Final = (
    "time", "raw", "node", "message", "error", "fields", "namespace", "pod", "pod_uid",
    "sandbox_id", "container_id", "kind", "level", "source", "year_source", "line",
)  # fmt: skip


def _years_per_file(
    months: np.ndarray, owner: np.ndarray, ctxs: Sequence[ParseContext]
) -> np.ndarray:
    """Year of every line with an English stamp (0 elsewhere), each file's rollovers counted
    from its own first stamp and anchored by its own context (:func:`._journalvec._years`
    for each file, in one pass)."""
    import numpy as np

    idx = np.flatnonzero(months)
    years = np.zeros(len(months), dtype=np.int64)
    if not len(idx):
        return years
    seq = months[idx].astype(np.int64)
    whose = owner[idx]
    new_file = np.ones(len(idx), dtype=bool)
    new_file[1:] = whose[1:] != whose[:-1]
    step = np.zeros(len(idx), dtype=np.int64)
    prev, cur = seq[:-1], seq[1:]
    step[1:] = np.where(cur < prev - 6, 1, np.where(cur > prev + 6, -1, 0))
    step[new_file] = 0  # each file's first stamp starts its own count
    total = np.cumsum(step)
    firsts = np.flatnonzero(new_file)
    lasts = np.append(firsts[1:] - 1, len(idx) - 1)
    offsets = total - np.repeat(total[firsts], np.diff(np.append(firsts, len(idx))))
    pinned = {c.year_anchor.year for c in ctxs}
    if len(pinned) == 1 and None not in pinned:  # year= given: every file starts in it
        first_year = np.full(len(firsts), pinned.pop(), dtype=np.int64)
    else:
        first_year = np.array(
            [
                ctxs[f].year_anchor.first_year(int(offsets[b]), int(seq[a]), int(seq[b]))
                for f, a, b in zip(
                    whose[firsts].tolist(), firsts.tolist(), lasts.tolist(), strict=True
                )
            ],
            dtype=np.int64,
        )
    years[idx] = np.repeat(first_year, np.diff(np.append(firsts, len(idx)))) + offsets
    return years


@dataclass(frozen=True, slots=True)
class LineTable:
    """Texts joined and one line table over them (:func:`_line_table`), made once for a
    group's admission and read again by each batch of its texts (:meth:`part`)."""

    #: the texts' bytes, each ending with a newline (a part keeps its whole group's)
    joined: bytes
    #: each text's first byte in ``joined``, then where the last one ends
    byte_lo: np.ndarray
    #: each line's first byte in ``joined``, length (newline excluded) and month code
    starts: np.ndarray
    lens: np.ndarray
    months: np.ndarray
    #: each line's text (its place among the table's texts)
    owner: np.ndarray
    #: each text's first line, then the number of lines
    line_lo: np.ndarray

    def part(self, first: int, n: int) -> LineTable:
        """The table of texts ``first .. first + n`` (views: no byte copied)."""
        lo, hi = int(self.line_lo[first]), int(self.line_lo[first + n])
        return LineTable(
            self.joined, self.byte_lo[first : first + n + 1], self.starts[lo:hi],
            self.lens[lo:hi], self.months[lo:hi], self.owner[lo:hi] - first,
            self.line_lo[first : first + n + 1] - lo,
        )  # fmt: skip


def _line_table(datas: Sequence[bytes]) -> LineTable:
    """The texts' bytes joined and one line table over them; every text ends with a newline."""
    import numpy as np

    from multus_forensics._native import require

    sizes = np.fromiter((len(d) for d in datas), dtype=np.int64, count=len(datas))
    byte_lo = np.zeros(len(datas) + 1, dtype=np.int64)
    np.cumsum(sizes, out=byte_lo[1:])
    joined = b"".join(datas)
    starts_b, lens_b, months_b = require("_kscan").lines(joined)
    starts = np.frombuffer(starts_b, dtype=np.int64)
    lens = np.frombuffer(lens_b, dtype=np.int64)
    months = np.frombuffer(months_b, dtype=np.uint8)
    # every text ends with a newline: its lines are those that start inside it
    line_lo = np.searchsorted(starts, byte_lo, "left")
    owner = np.repeat(np.arange(len(datas), dtype=np.int64), np.diff(line_lo))
    return LineTable(joined, byte_lo, starts, lens, months, owner, line_lo)


def _bytes(src: TextSource) -> bytes:
    """The file's UTF-8 bytes ending with a newline (so the next file starts a line)."""
    data = bytes(src.data) if src.data is not None else src.text.encode("utf-8")
    return data if not data or data.endswith(b"\n") else data + b"\n"


def _whole_order(
    joined: bytes, starts: np.ndarray, lens: np.ndarray, months: np.ndarray
) -> bool | None:
    """Whether the careful path reading these lines (one short file) whole takes them for
    newest-first (:func:`._journalrec.newest_first` of all its records), or None when it
    must read the file whole after all: the records it dates are not the lines whose month
    the scanner read (a localised month, a month-led line that is no record), so the years
    it counts over them could differ."""
    from multus_forensics.formats.kubelet._journalrec import newest_first, split_record

    records = []
    rows = zip(starts.tolist(), lens.tolist(), months.tolist(), strict=True)
    for i, (at, n, month) in enumerate(rows):
        line = joined[at : at + n].decode()
        rec = split_record(line, i) if line.strip() else None
        if (rec is not None and rec.month is not None) != bool(month):
            return None
        if rec is not None:
            records.append(rec)
    return newest_first(records)


def _per_file(idx: np.ndarray, line_lo: np.ndarray, counts: np.ndarray) -> dict[int, np.ndarray]:
    """The sorted line indexes ``idx`` grouped by the file they are in (files with none left out)."""
    import numpy as np

    owner = np.searchsorted(line_lo, idx, "right") - 1
    return {int(f): idx[owner == f] for f in np.unique(owner)}


def _order(fast: pl.DataFrame) -> dict[int, tuple[int, int]]:
    """Per file: how many of its scanned rows step back in time, and how many forward (the
    careful path is told a file is newest-first from these, as for a file alone)."""
    import polars as pl

    step = pl.col("time").diff().dt.total_microseconds().over(_FILE)
    counted = (
        fast.select(_FILE, step.alias("step"))
        .group_by(_FILE)
        .agg((pl.col("step") < 0).sum().alias("back"), (pl.col("step") > 0).sum().alias("ahead"))
    )
    return {
        int(f): (int(b), int(a))
        for f, b, a in zip(counted[_FILE], counted["back"], counted["ahead"], strict=True)
    }


def _assemble(
    fast: pl.DataFrame,
    careful: pl.DataFrame | None,
    srcs: Sequence[TextSource],
    ctxs: Sequence[ParseContext],
    line_lo: np.ndarray,
    fmt: str,
) -> pl.DataFrame:
    """Scanned rows with their files' columns, and the careful events, in file and line order
    (``line`` counts in the batch until both are merged, then in each file)."""
    import polars as pl

    sch = schema()
    which = fast[_FILE]
    files = pl.Series([s.file for s in srcs], dtype=pl.String)
    members = pl.Series([s.member for s in srcs], dtype=pl.String)
    sources = pl.Series([c.year_anchor.source for c in ctxs], dtype=pl.String)
    first = pl.Series(line_lo, dtype=pl.Int64)
    scanned = fast["year_source"]  # a logrus stamp's row has its own year: null
    fast = fast.with_columns(
        files.gather(which).alias("file"),
        members.gather(which).alias("member"),
        sources.gather(which).zip_with(scanned.is_not_null(), scanned).alias("year_source"),
        pl.lit(False).alias("time_relative"),
        pl.lit(fmt).alias("format"),
        pl.lit(1, dtype=pl.Int64).alias("nlines"),
        *(pl.lit(None, dtype=sch[c]).alias(c) for c in ("network", "interface", "ips")),
    )
    names = [*sch.names(), _FILE]
    events = conform(fast.drop(_FILE)).with_columns(which).select(names)
    if careful is not None:  # both in the batch's line order: interleaved by zero-copy slices
        careful = careful.with_columns(careful["line"] + first.gather(careful[_FILE]))
        events = _interleave(events, careful.select(names))
    return events.with_columns(events["line"] - first.gather(events[_FILE]))
