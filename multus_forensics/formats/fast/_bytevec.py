"""numpy helpers over a file's bytes for the vectorised parsers: lines, fixed-offset fields, times.

Fixed-width parts of a line (a syslog stamp, a klog header) are read by gathering bytes at
``line start + offset`` for every line at once, which costs a few nanoseconds per line where a
polars string pass costs tens to hundreds. Lines become one polars string column of Arrow
string views into the bytes, so the data itself is never copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.mapping import Buffer

_DAYS_IN_MONTH: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def line_bounds(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) byte offsets of every physical line (end excludes the newline).

    One pass of :func:`multus_forensics._kscan.lines` (no temporaries of the file's size);
    numpy's newline search when the extension is off (same bounds, a few file-sized arrays).
    """
    import numpy as np

    from multus_forensics._native import load

    _kscan = load("_kscan")
    if _kscan is None:
        newlines = np.flatnonzero(arr == ord("\n"))
        first = np.concatenate(([0], newlines + 1)).astype(np.int64)
        ends = np.concatenate((newlines, [len(arr)])).astype(np.int64)
        if len(arr) == 0 or arr[-1] == ord("\n"):  # a final newline adds no empty line
            first, ends = first[:-1], ends[:-1]
        return first, ends
    starts, lens, _ = _kscan.lines(arr)
    first = np.frombuffer(starts, dtype=np.int64)
    return first, first + np.frombuffer(lens, dtype=np.int64)


def byte_at(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``arr[pos]`` with positions past the end reading as 0 (short lines, no bounds errors)."""
    import numpy as np

    if not len(arr):
        return np.zeros(len(pos), dtype=np.uint8)
    out: np.ndarray = arr[np.minimum(pos, len(arr) - 1)]
    out[pos >= len(arr)] = 0
    return out


def string_views(
    name: str,
    data: Buffer,
    arr: np.ndarray,
    starts: np.ndarray,
    lens: np.ndarray,
    base: int = 0,
    valid: np.ndarray | None = None,
) -> pl.Series:
    """A string column whose row ``i`` is ``data[starts[i] : starts[i] + lens[i]]``, not copied.

    Each row is an Arrow string view (length, 4-byte prefix, offset into one data buffer;
    values of 12 bytes or less are stored inline), which polars adopts as is: only the 16-byte
    views are new memory. The buffer is ``data[base:]`` up to the last value, so a column over
    one chunk of a large file references that chunk only (polars compacts columns that use a
    small part of a large buffer, copying their strings). The data must be valid UTF-8 at
    these boundaries. Rows where ``valid`` is False are null.
    """
    import numpy as np

    from multus_forensics.formats.fast._arrowview import string_view_series

    n = len(starts)
    lens32 = lens.astype(np.uint32)
    views = np.zeros((n, 2), dtype=np.uint64)
    first, second = word_at(arr, starts), word_at(arr, starts + 8)
    # long values: length and 4-byte prefix; values of up to 12 bytes live inline, zero padded
    short = lens32 <= 12
    keep0 = np.where(
        lens32 >= 8, ~np.uint64(0), (np.uint64(1) << (lens32.astype(np.uint64) * 8)) - 1
    )
    left = np.clip(lens32.astype(np.int64) - 8, 0, 4).astype(np.uint64)
    keep1 = (np.uint64(1) << (left * np.uint64(8))) - np.uint64(1)
    views[:, 0] = lens32.astype(np.uint64) | (
        (first & keep0 & np.uint64(0xFFFFFFFF)) << np.uint64(32)
    )
    views[short, 1] = (first[short] & keep0[short]) >> np.uint64(32) | (
        (second[short] & keep1[short]) << np.uint64(32)
    )
    views32 = views.view(np.uint32).reshape(n, 4)
    long = lens32 > 12
    views32[long, 3] = (starts[long] - base).astype(np.uint32)  # buffer 0, offset of the value
    end = int((starts + lens).max()) if n else base
    buffer = memoryview(data)[base : max(end, base)]
    nulls = None
    if valid is not None and not valid.all():
        nulls = np.packbits(valid, bitorder="little")
        views32[~valid] = 0
    return string_view_series(name, n, views32, nulls, [buffer])


def word_at(arr: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The 8 bytes at ``pos`` of every row as a little-endian ``uint64`` (0 past the end).

    One unaligned 8-byte load per row: reading fixed-width fields this way costs a few
    nanoseconds per row, where gathering single bytes costs several times more.
    """
    import numpy as np

    size = len(arr)
    out = np.zeros(len(pos), dtype=np.uint64)
    if size >= 8:
        words = np.ndarray((size - 7,), dtype="<u8", buffer=arr, strides=(1,))
        out = words[np.minimum(pos, size - 8)]
    for i in np.flatnonzero(pos > size - 8).tolist():  # the file's last few bytes
        tail = bytes(arr[min(int(pos[i]), size) : size])
        out[i] = int.from_bytes(tail.ljust(8, b"\0"), "little")
    return out


def field_bytes(arr: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes at ``pos`` of every row as an ``(n, width)`` array (0 past the end)."""
    import numpy as np

    words = np.stack([word_at(arr, pos + w) for w in range(0, width, 8)], axis=1)
    block: np.ndarray = words.view(np.uint8).reshape(len(pos), -1)[:, :width]
    return block


def numbers(block: np.ndarray, spans: tuple[tuple[int, int], ...]) -> np.ndarray:
    """The decimal numbers at ``(first, width)`` spans of each :func:`field_bytes` row."""
    import numpy as np

    digits = block.astype(np.int32) - 48
    out = np.zeros((len(block), len(spans)), dtype=np.int64)
    for j, (first, width) in enumerate(spans):
        value = digits[:, first]
        for k in range(first + 1, first + width):
            value = value * 10 + digits[:, k]
        out[:, j] = value
    return out


def rollover_offsets(months: np.ndarray) -> np.ndarray:
    """Per-row count of year rollovers since the first row (as :func:`timeutil.rollover_offsets`)."""
    import numpy as np

    step = np.zeros(len(months), dtype=np.int64)
    if len(months) > 1:
        prev, cur = months[:-1], months[1:]
        step[1:] = np.where(cur < prev - 6, 1, np.where(cur > prev + 6, -1, 0))
    return np.cumsum(step)


def epoch_micros(
    year: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    hms: tuple[np.ndarray, np.ndarray, np.ndarray],
    micro: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since 1970 of naive civil times, and which of them are real dates/times.

    Invalid parts (Feb 30, hour 24, second 60) are reported, not normalised, so the caller can
    give those rows to the careful path, which decides what they become.
    """
    import numpy as np

    hour, minute, second = hms
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = np.asarray(_DAYS_IN_MONTH)[np.clip(month, 0, 12)] + ((month == 2) & leap)
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim) & (year >= 1) & (year <= 9999)
    valid &= (hour < 24) & (minute < 60) & (second < 60)
    y = year - (month <= 2)  # days from civil (Howard Hinnant's algorithm)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micro, valid
