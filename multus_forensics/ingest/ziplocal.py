"""Members of a zip whose central directory is missing, found from their local headers.

A zip cut short (an interrupted download, a full disk) loses its central directory, which sits
at the end, and ``zipfile`` then refuses the whole archive although every member before the cut
is intact. Each member also starts with a local header (name, method, sizes) followed by its
data, so the members can be read front to back, the way ``unzip -F`` and ``bsdtar`` recover
them. A member whose sizes are only in a trailing data descriptor (flag bit 3) is found by
inflating it to the end of its deflate stream; a stored one of that kind cannot be delimited
and ends the scan. Layout: PKWARE APPNOTE.TXT section 4.3.7 (local file header).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Final

_LOCAL: Final = b"PK\x03\x04"
_HEADER: Final = struct.Struct("<4sHHHHHIIIHH")
_STORED, _DEFLATED = 0, 8
_CHUNK: Final = 64 * 1024


@dataclass
class LocalMember:
    """One member found by its local header; ``reader`` streams its uncompressed bytes."""

    name: str
    mtime: datetime | None
    encrypted: bool
    method: int
    reader: IO[bytes] | None  # None: encrypted or an unsupported method (not read)
    inflate: _Inflate | None = None

    @property
    def damaged(self) -> str | None:
        """Why the member's deflate data could not be read to its end, if it could not."""
        return self.inflate.damaged if self.inflate is not None else None


class _Stored(io.RawIOBase):
    def __init__(self, fh: IO[bytes], start: int, size: int) -> None:
        super().__init__()
        self._fh, self._pos, self._left = fh, start, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        self._fh.seek(self._pos)
        data = self._fh.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._pos += len(data)
        self._left -= len(data)
        return len(data)


class _Inflate(io.RawIOBase):
    """Raw deflate from ``start``; ``end`` is known once the deflate stream has ended."""

    def __init__(self, fh: IO[bytes], start: int) -> None:
        super().__init__()
        self._fh, self._pos = fh, start
        self._d = zlib.decompressobj(-15)
        self._tail = b""
        self.end: int | None = None
        self.damaged: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self.end is None and self.damaged is None:
            if not self._tail:
                self._fh.seek(self._pos)
                self._tail = self._fh.read(_CHUNK)
                self._pos += len(self._tail)
                if not self._tail:
                    self.damaged = "member data cut short"
                    return 0
            try:
                out = self._d.decompress(self._tail, len(buffer))
            except zlib.error as exc:
                self.damaged = f"zlib: {exc}"
                return 0
            self._tail = self._d.unconsumed_tail
            if self._d.eof:
                self.end = self._pos - len(self._tail) - len(self._d.unused_data)
            if out:
                buffer[: len(out)] = out
                return len(out)
        return 0

    def drain(self) -> None:
        """Inflate (and drop) the rest, to find where the member ends."""
        sink = bytearray(_CHUNK)
        while self.readinto(sink):
            pass


def _mtime(time: int, date: int) -> datetime | None:
    try:
        return datetime(
            (date >> 9) + 1980, (date >> 5) & 15, date & 31,
            time >> 11, (time >> 5) & 63, (time & 31) * 2, tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None


def _zip64_sizes(extra: bytes) -> tuple[int, int] | None:
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        if tag == 1 and size >= 16:
            usize, csize = struct.unpack_from("<QQ", extra, pos + 4)
            return csize, usize
        pos += 4 + size
    return None


def scan(fh: IO[bytes], problems: list[str]) -> Iterator[LocalMember]:
    """The members of the zip in ``fh`` (seekable, positioned at its start) in file order.

    Why the scan stopped early, if it did, is appended to ``problems``.
    """
    pos = fh.tell()
    while True:
        fh.seek(pos)
        raw = fh.read(_HEADER.size)
        if len(raw) < _HEADER.size or not raw.startswith(_LOCAL):
            return
        _, _, flags, method, time, date, _, csize, _, nlen, xlen = _HEADER.unpack(raw)
        name = fh.read(nlen).decode("utf-8" if flags & 0x800 else "cp437", "replace")
        extra = fh.read(xlen)
        start = pos + _HEADER.size + nlen + xlen
        if csize == 0xFFFFFFFF and (sizes := _zip64_sizes(extra)):
            csize = sizes[0]
        described = bool(flags & 0x08)
        known = not described or csize > 0
        encrypted = bool(flags & 0x01)
        reader: IO[bytes] | None = None
        inflate: _Inflate | None = None
        if not encrypted and method == _STORED and known:
            reader = io.BufferedReader(_Stored(fh, start, csize), _CHUNK)
        elif not encrypted and method == _DEFLATED:
            inflate = _Inflate(fh, start)
            reader = io.BufferedReader(inflate, _CHUNK)
        yield LocalMember(name, _mtime(time, date), encrypted, method, reader, inflate)
        if known:
            end = start + csize
        elif inflate is not None:
            inflate.drain()
            if inflate.end is None:
                problems.append(f"member {name!r}: {inflate.damaged}; the scan stopped there")
                return
            end = inflate.end
        else:
            problems.append(f"member {name!r} has no recorded size; the scan stopped there")
            return
        fh.seek(end)
        window = fh.read(32)  # a data descriptor (12 to 24 bytes) may come before the next
        ahead = window.find(_LOCAL) if described else (0 if window.startswith(_LOCAL) else -1)
        if ahead < 0:
            return
        pos = end + ahead
