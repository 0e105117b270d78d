"""RFC 3339 stamps read from byte gathers: the Multus header and logrus ``time="…"`` values.

polars' date parser costs more per line than the rest of a header split; the stamps these logs
write are fixed-layout ASCII (``2026-03-11T13:02:05.118204331Z``, ``…T14:02:07+01:00``), so
their numbers come from a block of bytes per row at once. Rows whose stamp is anything else
(non-ASCII digits, a space for the ``T``, more than 9 fraction digits, a date that does not
exist) are flagged, and the caller hands exactly those to its own careful parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import numpy as np

#: widest stamp read: 19 + "." + 9 digits + "+hh:mm"
_WIDTH: Final = 40


def rfc3339_micros(
    arr: np.ndarray, starts: np.ndarray, ts_len: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds of the stamps at ``arr[starts : starts + ts_len]``, and which were read.

    Shapes: ``YYYY-MM-DDTHH:MM:SS``, an optional ``.`` and 1-9 fraction digits (truncated to
    microseconds), then ``Z``, ``±hh:mm`` or ``±hhmm``. Rows outside them are False.
    """
    import numpy as np

    from multus_forensics.formats.fast._bytevec import epoch_micros, field_bytes

    n = len(starts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    rows = np.arange(n)
    block = field_bytes(arr, starts, _WIDTH)
    digits = block.astype(np.int16) - 48
    is_digit = digits.view(np.uint16) <= 9  # below "0" wraps around
    tl = np.clip(ts_len, 1, _WIDTH)

    def at(pos: np.ndarray) -> np.ndarray:
        return np.asarray(block[rows, np.clip(pos, 0, _WIDTH - 1)])

    def num(*cols: int) -> np.ndarray:
        value = digits[:, cols[0]].astype(np.int64)
        for c in cols[1:]:
            value = value * 10 + digits[:, c]
        return value

    ok = is_digit[:, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]].all(axis=1)
    for col, char in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")):
        ok &= block[:, col] == ord(char)
    utc = at(tl - 1) == ord("Z")
    colon = ~utc & (at(tl - 3) == ord(":"))
    zone_len = np.where(utc, 1, np.where(colon, 6, 5))
    sign_at = tl - zone_len
    sign = at(sign_at)
    ok &= utc | (sign == ord("+")) | (sign == ord("-"))
    zone_digits = np.where(colon[:, None], [1, 2, 4, 5], [1, 2, 3, 4]) + sign_at[:, None]
    zd = digits[rows[:, None], np.clip(zone_digits, 0, _WIDTH - 1)].astype(np.int64)
    ok &= utc | ((zd >= 0) & (zd <= 9)).all(axis=1)
    off_hour = np.where(utc, 0, zd[:, 0] * 10 + zd[:, 1])
    off_min = np.where(utc, 0, zd[:, 2] * 10 + zd[:, 3])
    frac_len = sign_at - 20  # digits between "." and the zone; -1 when there is no fraction
    ok &= (frac_len == -1) | ((frac_len >= 1) & (frac_len <= 9) & (block[:, 19] == ord(".")))
    micro = np.zeros(n, dtype=np.int64)
    for k in range(9):
        inside = k < frac_len
        ok &= ~inside | is_digit[:, 20 + k]
        if k < 6:
            micro = micro * 10 + digits[:, 20 + k] * inside
    ok &= ts_len <= _WIDTH
    hms = (num(11, 12), num(14, 15), num(17, 18))
    micros, valid = epoch_micros(num(0, 1, 2, 3), num(5, 6), num(8, 9), hms, micro)
    offset = (off_hour * 60 + off_min) * 60_000_000
    micros -= np.where(sign == ord("-"), -offset, offset)
    return micros, valid & ok & (off_hour < 24) & (off_min < 60)
