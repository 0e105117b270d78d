"""Large plain files as read-only memory maps instead of heap copies.

Why: the fast parsers keep every line (``raw``) and most values as string views into the
file's bytes. Read into the heap, those bytes are a private copy as large as the file for as
long as the events live; mapped, they are the kernel's page cache, shared, dropped under
memory pressure and read back on use. Pages are released (``MADV_DONTNEED``) once a pass
over them is done, so a parse of a file larger than RAM does not hold it resident.

The hazard of every mapping: a file truncated while mapped (``copytruncate`` log rotation on
a live node) makes reads past its new end fail with ``SIGBUS``, which kills the process with
everything read. Mapping is therefore opt-in: only with
:attr:`~multus_forensics.ingest.model.Limits.map_min_bytes` set (for a file nothing rotates,
``parse(..., limits=Limits(map_min_bytes=64 * 1024**2))``) are files that large mapped; by
default every file is read, and a truncation under the reader is a short read, reported.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import Final

from multus_forensics.filebytes import FileBytes

#: bytes in memory or mapped: what a buffer-reading pass (numpy, a view) can take whole
Buffer = bytes | mmap.mmap
#: the bytes of a stream: read into memory, mapped, or read by offset when asked
Data = bytes | mmap.mmap | FileBytes

#: bytes checked (and then released) per step of a pass over a mapping
STEP: Final = 1 << 24


def map_file(fd: int) -> mmap.mmap:
    """A read-only shared mapping of the whole file open as ``fd`` (which may then close)."""
    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)


def release(data: Data, start: int = 0, end: int | None = None) -> None:
    """Drop the resident pages of ``data[start:end]`` when it is a mapping (no-op otherwise).

    Only whole pages inside the range are released; reading them again costs a page-cache
    lookup, not a disk read, while the file stays cached.
    """
    if not isinstance(data, mmap.mmap) or data.closed:
        return
    end = len(data) if end is None else min(end, len(data))
    first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
    last = end if end == len(data) else end // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first:
        data.madvise(mmap.MADV_DONTNEED, first, last - first)


def steps(data: Data) -> Iterator[tuple[int, int]]:
    """``(start, end)`` ranges of at most :data:`STEP` bytes covering ``data``."""
    for start in range(0, len(data), STEP):
        yield start, min(start + STEP, len(data))


def count(data: Data, needle: bytes) -> int:
    """``data.count(needle)`` for one-byte needles, in bounded steps (mappings have no count)."""
    if isinstance(data, bytes | FileBytes):
        return data.count(needle)
    view = memoryview(data)
    total = 0
    for start, end in steps(data):
        total += bytes(view[start:end]).count(needle)
        release(data, start, end)
    view.release()
    return total
