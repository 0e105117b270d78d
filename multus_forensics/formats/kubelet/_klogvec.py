"""The fast path for large bare klog files (``/var/log/kubelet.log``, glog ``kubelet.INFO``).

The compiled scanner of :mod:`._journalvec` reads each one-line record (a klog header line
followed by another header line) in bare mode: no syslog prefix, node and source are the
file's. Everything else goes to :func:`._klogfile.parse_klog_lines` as it would for the whole
file: the preamble, text before the first record, records with continuation lines, ``key=<``
blocks (every line from the opening ``=<`` to the closing `` >``), blank lines, non-ASCII
lines. Years come from one pass over every record's month (rollover aware) and the anchor of
the head's preamble, so both paths agree on them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Final

from multus_forensics.filebytes import FileBytes, read_lines
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.fast._bytevec import rollover_offsets
from multus_forensics.formats.fast._vecmerge import merge_chunks
from multus_forensics.formats.fast._windows import line_index
from multus_forensics.formats.kubelet import _journalvec
from multus_forensics.formats.kubelet._klogfile import (
    file_anchor,
    parse_klog_file,
    parse_klog_lines,
)
from multus_forensics.formats.kubelet.klog import HEADER_RE, PREAMBLE_RE, preamble_time
from multus_forensics.mapping import release
from multus_forensics.rowcut import chunk_cuts, has_adds
from multus_forensics.timeutil import zone_or_utc

if TYPE_CHECKING:
    import numpy as np

    from multus_forensics.mapping import Buffer, Data

#: the bare scan leaves these columns empty; they are file constants here
_BARE_DROPPED: Final = ("node", "source", "year_source")
_ROW_COLUMNS: Final = tuple(c for c in _journalvec.ROW_COLUMNS if c not in _BARE_DROPPED)


def applies(src: TextSource, ctx: ParseContext, min_lines: int) -> bool:
    """Large files in a zone polars knows (the head may be a long preamble or shell trace:
    lines the scanner cannot read cost one look and go to the careful path)."""
    return (
        src.line_count >= min_lines
        and _journalvec.zone_name(ctx) is not None
        and _journalvec.scanner_available()
    )


def _line_flags(data: Data, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, ...]:
    """(header state 0/1/2 per line, ends with ``=<``, starts with `` >``, the two month
    digits' values) from the bytes: in one go, or window by window from a file."""
    import numpy as np

    if not isinstance(data, FileBytes):
        return _window_flags(data, starts, lens)
    parts: list[tuple[np.ndarray, ...]] = []
    at = 0
    for base, window in data.windows():
        k = int(np.searchsorted(starts, base + len(window), "left"))  # lines starting in it
        parts.append(_window_flags(window, starts[at:k] - base, lens[at:k]))
        at = k
    if not parts:
        return _window_flags(b"", starts, lens)
    return tuple(np.concatenate([p[j] for p in parts]) for j in range(len(parts[0])))


def _window_flags(
    data: Buffer | memoryview, starts: np.ndarray, lens: np.ndarray
) -> tuple[np.ndarray, ...]:
    """:func:`_line_flags` of lines all inside ``data``."""
    import numpy as np

    from multus_forensics._native import require

    _kscan = require("_kscan")

    state = np.frombuffer(_kscan.klog_headers(data, starts, lens), dtype=np.uint8)
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = starts + lens
    long2 = lens >= 2
    opens = long2 & (buf[np.maximum(ends - 2, 0)] == ord("="))
    opens &= buf[np.maximum(ends - 1, 0)] == ord("<")
    first = buf[np.minimum(starts, len(buf) - 1)] if len(buf) else np.zeros(0, np.uint8)
    second = buf[np.minimum(starts + 1, len(buf) - 1)] if len(buf) else np.zeros(0, np.uint8)
    third = buf[np.minimum(starts + 2, len(buf) - 1)] if len(buf) else np.zeros(0, np.uint8)
    closes = long2 & (first == ord(" ")) & (second == ord(">"))
    # a header's month (read at its records only: a header line has both digits)
    month = (second.astype(np.int64) - 48) * 10 + (third.astype(np.int64) - 48)
    return state, opens, closes, month


def _preamble_values(
    data: Data, starts: np.ndarray, in_block: np.ndarray, key: bytes
) -> list[tuple[int, bytes]]:
    """(line index, value) of every line outside blocks that starts with ``key`` (a bytes
    find per hit: preambles are a few lines per restart)."""
    import numpy as np

    out, pos = [], 0
    while (at := data.find(key, pos)) >= 0:
        pos = at + len(key)
        if at and data[at - 1 : at] != b"\n":
            continue
        i = int(np.searchsorted(starts, at, "right")) - 1
        if not in_block[i]:
            end = data.find(b"\n", pos)
            out.append((i, bytes(data[pos : end if end >= 0 else len(data)])))
    return out


def _one_preamble_reading(data: Data, starts: np.ndarray, in_block: np.ndarray, first: int) -> bool:
    """Whether the file's anchor and node are the same however its later preambles are read
    (as continuation lines, or as a restart's header lines): the first creation stamp is the
    head's only one, and one machine name throughout. Otherwise the careful path reads the
    whole file."""
    created = _preamble_values(data, starts, in_block, b"Log file created at: ")
    machines = _preamble_values(data, starts, in_block, b"Running on machine: ")
    if created and sum(1 for i, _ in created if i < first) != 1:
        return False
    return not machines or (machines[0][0] < first and len({v.strip() for _, v in machines}) == 1)


def parse_vectorised(src: TextSource, ctx: ParseContext, fmt: str) -> ParseOutput:
    """Parse a large bare klog file with the scanner; hand the remaining lines to the careful
    path."""
    import numpy as np
    import polars as pl

    from multus_forensics._native import require

    _kscan = require("_kscan")
    data = src.data if src.data is not None else src.text.encode("utf-8")
    starts, lens, _ = line_index(data)
    n = len(starts)
    state, opens, closes, all_months = _line_flags(data, starts, lens)
    state = state.copy()  # (the scanner's bytes are read-only)
    unsure = np.flatnonzero(state == 2)
    odd = read_lines(data, starts[unsure].tolist(), lens[unsure].tolist())
    for i, line in zip(unsure.tolist(), odd, strict=True):  # bytes beyond ASCII where a
        state[i] = 1 if HEADER_RE.match(line.decode("utf-8", "replace")) else 0  # digit is due
    header = state == 1
    heads = np.flatnonzero(header)
    first = int(heads[0]) if len(heads) else n
    # key=< blocks: from the opening line to the closing ` >` line, all continuation
    in_block = np.zeros(n, dtype=bool)
    close_at = np.flatnonzero(closes & ~opens)
    j = first
    for i in np.flatnonzero(opens[first:]).tolist():
        i += first
        if i < j:
            continue
        k = int(np.searchsorted(close_at, i, "right"))
        j = int(close_at[k]) + 1 if k < len(close_at) else n
        in_block[i + 1 : j] = True  # the opening line itself is a record when a header
    record = header & ~in_block
    if not _one_preamble_reading(data, starts, in_block, first):
        return parse_klog_file(src, ctx, fmt)
    # the anchor and node of the head's preamble (the careful path reads it the same way)
    created, node = None, src.node_hint
    head = read_lines(data, starts[:first].tolist(), lens[:first].tolist())
    for line in head:
        m = PREAMBLE_RE.match(line.decode("utf-8", errors="replace"))
        if m is None:
            continue
        if m["key"] == "Log file created at":
            created = preamble_time(m["value"])
        elif m["key"] == "Running on machine":
            node = m["value"].strip() or node
    zone = zone_or_utc(ctx.tz)
    anchor = file_anchor(ctx, created, zone)
    years = np.zeros(n, dtype=np.int64)
    rec_idx = np.flatnonzero(record)
    if len(rec_idx):
        months = all_months[rec_idx]
        offsets = rollover_offsets(months)
        base = anchor.first_year(int(offsets[-1]), int(months[0]), int(months[-1]))
        years[rec_idx] = base + offsets
    fast_years = np.where(record, years, 0)  # 0: the scanner leaves the line to the careful path
    release(data)
    lines = _journalvec.ScanLines(data, starts, lens, fast_years)
    consts: dict[str, object] = {
        "time_relative": False, "year_source": anchor.source, "source": "kubelet", "node": node,
        "format": fmt, "file": src.file, "member": src.member, "nlines": 1,
        "network": None, "interface": None, "ips": None,
    }  # fmt: skip
    cuts = chunk_cuts(ctx, consts, n > _journalvec.CHUNK_ROWS, anchor.source)
    frames: list[pl.DataFrame] = []
    slow: list[np.ndarray] = []
    slow_texts: list[str] = []
    zone_key = _journalvec.zone_name(ctx) or "UTC"
    for frame, slow_idx, _, texts in _journalvec.scan_chunks(lines, n, zone_key, None):
        bare = frame.drop(_BARE_DROPPED, strict=False)
        frames.append(bare if cuts is None else cuts.take(bare))
        slow.append(slow_idx)
        slow_texts += texts
    slow_idx = np.concatenate(slow) if slow else np.zeros(0, dtype=np.int64)
    items = list(zip(slow_idx.tolist(), slow_texts, strict=True))
    del slow_texts
    years_at = {i: int(years[i]) for i in slow_idx.tolist() if record[i]}
    careful = parse_klog_lines(src, ctx, fmt, items, years_at)
    if cuts is not None and has_adds(careful.events):
        # an event recorder's AddedInterface lines: the add order reads their pods' rows
        frames.clear()
        return parse_vectorised(src, replace(ctx, cut=None), fmt)
    events = merge_chunks(frames, careful.events, consts, _journalvec.CHUNK_ROWS, _ROW_COLUMNS)
    out = ParseOutput(events, careful.issues, careful.blank_lines, careful.header_lines)
    return out if cuts is None else cuts.finish(out)
