"""A large regular file's bytes, read by offset when asked instead of held in memory.

Why: the compiled scans keep every row's strings as views into the bytes they scan. Read
whole, a file's bytes stay resident from ingestion to the end of the parse (1x the file on
top of the rows), even when most rows are dropped as they are scanned (``rowcut``). A
:class:`FileBytes` holds an open descriptor and the size the file had when it was checked;
the scans read it in windows of :attr:`FileBytes.window` bytes cut at a newline (the tail
carried into the next window), and each chunk of lines by one ``preadv`` into a buffer of
its own (:meth:`FileBytes.read_buffer`), which lives exactly as long as the rows that view it.
Random reads (a line, a head, a search) read only what they need.

The file is never mapped: a file truncated under us (``copytruncate`` rotation) makes a read
of a mapping die of ``SIGBUS``, while here a read that comes back short raises :class:`Shrank`,
which the pipeline turns into an issue naming the file.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Final

#: bytes read per window of a pass over a file (a line longer than this widens its window)
WINDOW: Final = 32 << 20
#: the first read of :meth:`FileBytes.find` (doubled up to a window while nothing is found)
FIND_STEP: Final = 1 << 16


class Shrank(OSError):
    """A file got shorter than it was when checked, while it was read (truncated under us)."""

    def __init__(self, path: str, size: int, now: int) -> None:
        super().__init__(f"{path}: shrank from {size} to {now} bytes while it was read")
        self.path, self.size, self.now = path, size, now


class FileBytes:
    """The first ``size`` bytes of the file open as ``fd`` (owned: closed with this object),
    read on demand; the subset of ``bytes``' interface the parsers use (``len``, slices,
    ``find``, ``rfind``, ``count``, ``bytes()``)."""

    def __init__(self, fd: int, size: int, path: str, window: int = WINDOW) -> None:
        if window < 1:
            raise ValueError(f"FileBytes: window must be positive, not {window}")
        self._fd: int | None = fd
        self.size, self.path, self.window = size, path, window

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"FileBytes({self.path!r}, {self.size} bytes)"

    def read(self, start: int, end: int) -> bytes:
        """``self[start:end]`` (clamped to the size), in one buffer; :class:`Shrank` when the
        file no longer holds them."""
        start, end = max(0, start), min(end, self.size)
        return self.read_raw(start, end)

    def read_buffer(self, start: int, end: int) -> bytes | mmap.mmap:
        """``self[start:end]`` in a buffer of its own pages (an anonymous mapping), for a chunk
        its rows will view: unmapped whole when the last of them goes. A ``bytes`` of this size
        would come from the heap once glibc raised its mapping threshold to the size freed
        last, and the heap keeps what a freed chunk leaves between live ones."""
        start, end = max(0, start), min(end, self.size)
        if end - start < mmap.PAGESIZE:
            return self.read(start, end)
        buf = mmap.mmap(-1, end - start)
        view = memoryview(buf)
        try:
            self._read_into(view, start)
        finally:
            view.release()
        return buf

    def read_raw(self, start: int, end: int) -> bytes:
        """The file's bytes ``start..end`` (within its checked size)."""
        if end <= start:
            return b""
        if self._fd is None:
            raise ValueError(f"{self.path}: read after close")
        out = os.pread(self._fd, end - start, start)
        while len(out) < end - start:  # a regular file reads short only at its end
            more = os.pread(self._fd, end - start - len(out), start + len(out))
            if not more:
                raise Shrank(self.path, self.size, os.fstat(self._fd).st_size)
            out += more
        return out

    def __getitem__(self, key: slice) -> bytes:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("FileBytes: only contiguous slices are read")
        start, end, _ = key.indices(self.size)
        return self.read(start, end)

    def __bytes__(self) -> bytes:
        return self.read(0, self.size)

    def windows(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, memoryview]]:
        """(offset, bytes) of consecutive windows covering ``start..end``, each cut after its
        last newline (the next window starts there); a window without a newline is widened
        until it has one or reaches ``end``. One buffer is read into again for every window:
        a window is valid until the next one is asked for (copy what must stay)."""
        end = self.size if end is None else min(end, self.size)
        buf = bytearray(min(self.window, max(end - start, 0)))
        at = start
        while at < end:
            n = min(len(buf), end - at)
            view = memoryview(buf)[:n]
            self._read_into(view, at)
            cut = buf.rfind(b"\n", 0, n) + 1 if at + n < end else n
            if cut == 0:  # one line longer than the window: a larger buffer, read again
                view.release()
                buf = bytearray(2 * len(buf))
                continue
            yield at, view[:cut]
            view.release()
            at += cut

    def _read_into(self, view: memoryview, at: int) -> None:
        """Fill ``view`` with the bytes at ``at`` (:class:`Shrank` when the file is short)."""
        if self._fd is None:
            raise ValueError(f"{self.path}: read after close")
        got = 0
        while got < len(view):  # a regular file reads short only at its end
            n = os.preadv(self._fd, [view[got:]], at + got)
            if not n:
                raise Shrank(self.path, self.size, os.fstat(self._fd).st_size)
            got += n

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """``bytes.find`` over the file, read in growing steps (windows overlap by
        ``len(sub) - 1`` bytes, so a match across their edge is found). The first step is
        small: callers look for the next line end or block end a few bytes on, once per line,
        and a whole window read for each would copy the file thousands of times."""
        end = self.size if end is None else min(end, self.size)
        if not sub:
            return start if start <= end else -1
        at = max(0, start)
        step = FIND_STEP
        while at < end:
            stop = min(at + step, end)
            hit = self.read(at, min(stop + len(sub) - 1, end)).find(sub)
            if hit >= 0:
                return at + hit
            at = stop
            step = min(2 * step, self.window)
        return -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        """``bytes.rfind`` of a range (read whole: asked of a file's head only)."""
        end = self.size if end is None else min(end, self.size)
        hit = self.read(start, end).rfind(sub)
        return hit if hit < 0 else start + hit

    def count(self, sub: bytes) -> int:
        """``bytes.count`` of a one-byte needle, window by window."""
        import numpy as np

        if len(sub) != 1:
            raise ValueError("FileBytes.count: one-byte needles only")
        return sum(
            int(np.count_nonzero(np.frombuffer(w, dtype=np.uint8) == sub[0]))
            for _, w in self.windows()
        )

    def search(self, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
        """The first match of a single-line ``pattern`` (one that never spans a newline), in
        window order; its offsets are the window's (see :meth:`windows`)."""
        for _, window in self.windows():
            if (hit := pattern.search(window)) is not None:
                return hit
        return None


#: bytes between the places where a folded file's offsets are known in both coordinates
SEGMENT: Final = 1 << 16


class FoldedBytes(FileBytes):
    """A file with CR-LF line ends, seen with each CR-LF folded to LF (as :func:`decode`
    folds a text in memory): offsets are the folded text's. ``marks`` pairs, at newlines,
    an offset of the file with the folded offset it becomes; a read takes the file's span
    between the marks around it and folds it (no pair crosses a mark)."""

    def __init__(self, raw: FileBytes, marks: list[tuple[int, int]]) -> None:
        fd, raw._fd = raw._fd, None  # the descriptor moves here
        assert fd is not None
        super().__init__(fd, marks[-1][1], raw.path, raw.window)
        self._raw_size = raw.size
        self._at = [m[0] for m in marks]  # file offsets
        self._folded = [m[1] for m in marks]  # their folded offsets

    def read_buffer(self, start: int, end: int) -> bytes | mmap.mmap:
        return self.read(start, end)  # folded: a new text anyway

    def _read_into(self, view: memoryview, at: int) -> None:
        got = self.read(at, at + len(view))
        if len(got) < len(view):
            raise Shrank(self.path, self.size, at + len(got))
        view[:] = got

    def read(self, start: int, end: int) -> bytes:
        from bisect import bisect_left, bisect_right

        start, end = max(0, start), min(end, self.size)
        if end <= start:
            return b""
        i = bisect_right(self._folded, start) - 1
        j = bisect_left(self._folded, end)
        hi = self._at[j] if j < len(self._at) else self._raw_size
        raw = FileBytes.read_raw(self, self._at[i], hi)
        folded = raw.replace(b"\r\n", b"\n")
        return folded[start - self._folded[i] : end - self._folded[i]]


class FoldMarks:
    """:class:`FoldedBytes` marks made during a pass over a file's windows (each cut after a
    newline): a mark at most every :data:`SEGMENT` bytes, the last at the file's end."""

    def __init__(self) -> None:
        self.marks: list[tuple[int, int]] = []
        self.folded = 0

    def add(self, base: int, window: memoryview, crlf: bool) -> None:
        """Marks for the window at ``base``; ``crlf``: whether it holds a CR (else no pair
        to keep whole: a mark every :data:`SEGMENT` bytes, wherever it falls)."""
        if not crlf:
            for at in range(0, len(window), SEGMENT):
                self.marks.append((base + at, self.folded + at))
            self.folded += len(window)
            return
        text = bytes(window)  # (a CR-LF file: marks at newlines, no pair cut)
        at = 0
        while at < len(text):
            self.marks.append((base + at, self.folded))
            nl = text.find(b"\n", at + SEGMENT)
            nxt = len(text) if nl < 0 else nl + 1
            self.folded += nxt - at - text.count(b"\r\n", at, nxt)
            at = nxt

    def finish(self, size: int) -> list[tuple[int, int]]:
        return [*self.marks, (size, self.folded)]


def read_lines(
    data: bytes | mmap.mmap | FileBytes, starts: list[int], lens: list[int]
) -> list[bytes]:
    """The bytes of the lines at ``starts``/``lens`` (in file order), read window by window:
    nearby lines share one read, and no read spans more than about a window."""
    if not isinstance(data, FileBytes):
        return [bytes(data[a : a + n]) for a, n in zip(starts, lens, strict=True)]
    if any(b < a for a, b in pairwise(starts)):  # read in file order
        order = sorted(range(len(starts)), key=starts.__getitem__)
        got = read_lines(data, [starts[k] for k in order], [lens[k] for k in order])
        back: list[bytes] = [b""] * len(order)
        for k, line in zip(order, got, strict=True):
            back[k] = line
        return back
    out: list[bytes] = []
    i, n = 0, len(starts)
    while i < n:
        lo = starts[i]
        j = i + 1
        while j < n and starts[j] + lens[j] - lo <= data.window:
            j += 1
        hi = max(a + m for a, m in zip(starts[i:j], lens[i:j], strict=True))
        buf = data.read(lo, hi)
        out += [buf[a - lo : a - lo + m] for a, m in zip(starts[i:j], lens[i:j], strict=True)]
        i = j
    return out
