"""A scan's two passes over a file, whether its bytes are in memory or read by offset.

The first pass finds every line's bounds (and its syslog month) window by window
(:func:`line_index`): 17 bytes a line, which the whole-file questions (years, blocks, chunk
spans) need. The second hands each chunk of lines to the compiled scanner with its own bytes
(:func:`chunk`): for a :class:`~multus_forensics.filebytes.FileBytes` one read of the chunk's
span (plus the next line, which the scanner looks at), which the chunk's rows view and free
with themselves; for bytes in memory a view, as before. Both give the same rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from multus_forensics.filebytes import FileBytes

if TYPE_CHECKING:
    import numpy as np

    from multus_forensics.mapping import Buffer, Data


def line_index(data: Data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, length, English month 1..12 or 0) of every physical line of ``data``, as
    ``_kscan.lines`` gives them for the whole file, read window by window from a file."""
    import numpy as np

    if not isinstance(data, FileBytes):
        return _lines(data)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for base, window in data.windows():
        starts, lens, months = _lines(window)
        parts.append((starts + base, lens, months))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.uint8)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _lines(data: Buffer | memoryview) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`line_index` of bytes in memory (months 0 without the compiled scanner, whose
    callers then take the careful paths)."""
    import numpy as np

    from multus_forensics._native import load
    from multus_forensics.formats.fast._bytevec import line_bounds

    _kscan = load("_kscan")
    if _kscan is None:
        starts, ends = line_bounds(np.frombuffer(data, dtype=np.uint8))
        return starts, ends - starts, np.zeros(len(starts), dtype=np.uint8)
    starts_b, lens_b, months_b = _kscan.lines(data)
    return (
        np.frombuffer(starts_b, dtype=np.int64),
        np.frombuffer(lens_b, dtype=np.int64),
        np.frombuffer(months_b, dtype=np.uint8),
    )


class Chunk:
    """Lines ``lo..hi`` of a file ready for a scanner: ``data`` holds them (and the line
    after, when there is one), ``starts``/``lens`` index ``data`` for lines ``lo..`` (the
    scanner's ``0..hi - lo``), ``buffer`` is the rows' buffer 0 (from the first line's start
    to the last line's end)."""

    def __init__(self, data: Data, starts: np.ndarray, lens: np.ndarray, lo: int, hi: int) -> None:
        n = len(starts)
        self.lo, self.hi = lo, hi
        upto = min(hi + 1, n)  # the scanner reads the next line's head
        base = int(starts[lo]) if hi > lo else 0
        end = int(starts[hi - 1] + lens[hi - 1]) if hi > lo else base
        stop = int(starts[upto - 1] + lens[upto - 1]) if upto > lo else base
        self.data: Buffer
        if isinstance(data, FileBytes):
            self.data = data.read_buffer(base, stop)
            self.starts = starts[lo:upto] - base
            self.lens = lens[lo:upto]
            self.offset = lo
            self.base = 0
        else:  # in memory already: the whole file's arrays, as the scanner always had them
            self.data, self.starts, self.lens, self.offset, self.base = data, starts, lens, 0, base
        self.end = end - base + self.base

    @property
    def span(self) -> tuple[int, int]:
        """The scanner's ``lo, hi`` over :attr:`starts`."""
        return self.lo - self.offset, self.hi - self.offset

    def buffer(self) -> memoryview:
        """The rows' buffer 0: the chunk's lines (not the next one)."""
        return memoryview(self.data)[self.base : self.end]

    def line(self, i: int) -> bytes:
        """The bytes of file line ``i`` (one of the chunk's)."""
        k = i - self.offset
        a = int(self.starts[k])
        return bytes(self.data[a : a + int(self.lens[k])])
