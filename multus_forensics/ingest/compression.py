"""Streamed decompression chosen by magic bytes: gzip, bzip2, xz, zstd.

Names lie (a ``.log`` that is gzipped, a ``.gz`` that is plain text after a manual gunzip), so the
format is read from the first bytes. Every codec is driven incrementally through one small
adapter so that a truncated stream keeps the prefix it decoded, multi-member/multi-frame files
are read whole, and no call ever produces an unbounded amount of output at once.
"""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from multus_forensics.ingest.model import Budget

#: magic prefix -> codec name, checked in order
MAGICS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)

#: file suffixes that only say "compressed"; stripped to get the logical name of a stream
SUFFIXES: Final = (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zstd")

_CHUNK: Final = 64 * 1024
#: zstd has no ``max_length``: input is fed in pieces sized so that one call yields about
#: :data:`_ZSTD_OUT` bytes (a 4-byte RLE block expands to 128 KiB, so a fixed 8 KiB piece of a
#: bomb would yield 256 MiB at once); the piece shrinks and grows with the observed ratio
_ZSTD_OUT: Final = 1 << 20
_ZSTD_FEED_MIN: Final = 16
_ZSTD_FEED_MAX: Final = 64 * 1024


def sniff_compression(head: bytes) -> str | None:
    """The codec whose magic bytes start ``head``, or ``None`` for uncompressed data."""
    for magic, name in MAGICS:
        if head.startswith(magic):
            return name
    return None


def strip_suffix(name: str) -> str:
    """``kubelet.log.2.gz`` -> ``kubelet.log.2``: the name a format's file globs should see."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


class _Codec(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def feed(self, data: bytes, max_length: int) -> bytes: ...

    def has_pending(self) -> bool: ...


class _Zlib:
    """gzip member through zlib (wbits=31), keeping ``unconsumed_tail`` for the next call."""

    def __init__(self) -> None:
        self._d = zlib.decompressobj(31)
        self._tail = b""
        self._full = False

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    def feed(self, data: bytes, max_length: int) -> bytes:
        out = self._d.decompress(self._tail + data, max_length)
        self._tail = self._d.unconsumed_tail
        self._full = len(out) >= max_length
        return out

    def has_pending(self) -> bool:
        return bool(self._tail) or self._full


class _BzLzma:
    """bzip2 and xz decompressors share the ``max_length`` / ``needs_input`` protocol."""

    def __init__(self, factory: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor]) -> None:
        self._d = factory()

    @property
    def eof(self) -> bool:
        return self._d.eof

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data

    def feed(self, data: bytes, max_length: int) -> bytes:
        return self._d.decompress(data, max_length)

    def has_pending(self) -> bool:
        return not self._d.needs_input and not self._d.eof


class _Zstd:
    """zstd frame, fed in pieces sized from the last call's expansion (bounded output per call).

    Pending input is an offset into the last chunk read, never re-sliced as a whole: each byte
    is copied once, so decoding stays linear in the output.
    """

    def __init__(self) -> None:
        import zstandard

        self._d = zstandard.ZstdDecompressor().decompressobj()
        self._queue = b""
        self._pos = 0
        self._feed = 1024

    @property
    def eof(self) -> bool:
        return bool(self._d.eof)

    @property
    def unused_data(self) -> bytes:
        rest = self._queue[self._pos :] if self._d.eof else b""
        return bytes(self._d.unused_data) + rest

    def feed(self, data: bytes, max_length: int) -> bytes:
        del max_length
        if data:
            self._queue = self._queue[self._pos :] + data
            self._pos = 0
        piece = self._queue[self._pos : self._pos + self._feed]
        self._pos += len(piece)
        out = bytes(self._d.decompress(piece))
        if len(out) > _ZSTD_OUT:
            self._feed = max(_ZSTD_FEED_MIN, self._feed // max(2, len(out) // _ZSTD_OUT))
        elif len(out) < _ZSTD_OUT // 4:
            self._feed = min(_ZSTD_FEED_MAX, self._feed * 2)
        return out

    def has_pending(self) -> bool:
        return self._pos < len(self._queue) and not self._d.eof


def _codec(name: str) -> _Codec:
    if name == "gzip":
        return _Zlib()
    if name == "bzip2":
        return _BzLzma(bz2.BZ2Decompressor)
    if name == "xz":
        return _BzLzma(lzma.LZMADecompressor)
    return _Zstd()


def _codec_errors() -> tuple[type[Exception], ...]:
    import zstandard

    return (zlib.error, OSError, EOFError, lzma.LZMAError, zstandard.ZstdError, ValueError)


class DecompressReader(io.RawIOBase):
    """A read-only stream of the decompressed bytes of ``fh`` (codec ``name``).

    Problems are recorded, not raised, so the caller keeps what was decoded before them:
    ``truncated`` when the input ends inside a member, ``damaged`` (a message) on corrupt data,
    ``trailing`` when bytes that are not another member follow the last one.
    ``header_mtime`` is the gzip header's MTIME (``None`` when zero or not gzip).
    """

    def __init__(self, fh: IO[bytes], name: str, budget: Budget | None = None) -> None:
        super().__init__()
        self._budget = budget
        self.over_budget = False
        self.codec_name = name
        self._fh = fh
        self._codec = _codec(name)
        self._magic = next(m for m, n in MAGICS if n == name)
        self._errors = _codec_errors()
        self._done = False
        self.members = 1
        self.produced = 0
        self.truncated = False
        self.damaged: str | None = None
        self.trailing = 0
        self.header_mtime: datetime | None = None
        self._first = True
        self._pending_input = b""
        self._surplus = memoryview(b"")
        self.reported = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        if self._budget is not None:
            want = min(want, self._budget.left)
            if want == 0 and len(buffer) and not self._done:
                self.over_budget = self._done = True
                return 0
        if not self._surplus:
            self._surplus = memoryview(self._produce(want))
        # zstd may return more than asked: the rest waits as a view (no copy of the remainder)
        n = min(want, len(self._surplus))
        buffer[:n] = self._surplus[:n]
        self._surplus = self._surplus[n:]
        self.produced += n
        if self._budget is not None:
            self._budget.charge(n)
        return n

    def problems(self) -> list[str]:
        """Each problem once (the walker reports them before the text they concern)."""
        if self.reported:
            return []
        self.reported = True
        kept = f"the {self.produced} decompressed bytes before it were kept"
        out = []
        if self.truncated:
            out.append(
                f"{self.codec_name} stream is truncated (ends inside a member); "
                f"{kept}, the last line may be cut"
            )
        if self.damaged:
            out.append(f"{self.codec_name} stream is damaged ({self.damaged}); {kept}")
        if self.over_budget and self._budget is not None:
            out.append(self._budget.message(f"this {self.codec_name} stream", kept))
        return out

    def _read_input(self) -> bytes:
        data = self._fh.read(_CHUNK)
        if self._first and data:
            self._first = False
            if self.codec_name == "gzip" and len(data) >= 8:
                (stamp,) = struct.unpack("<I", data[4:8])
                if stamp:
                    self.header_mtime = datetime.fromtimestamp(stamp, UTC)
        return data

    def _next_member(self) -> bool:
        """After a member ends: start the next one, or note trailing bytes; False at the end."""
        rest = self._codec.unused_data
        while len(rest) < len(self._magic):
            more = self._fh.read(_CHUNK)
            if not more:
                break
            rest += more
        if not rest:
            return False
        if not rest.startswith(self._magic):
            # gzip(1) also ignores zero padding (tape blocks) after the last member
            self.trailing = len(rest.rstrip(b"\0")) + sum(
                len(c.rstrip(b"\0")) for c in iter(lambda: self._fh.read(_CHUNK), b"")
            )
            return False
        self._codec = _codec(self.codec_name)
        self.members += 1
        self._pending_input = rest
        return True

    def _produce(self, want: int) -> bytes:
        if self._done or want <= 0:
            return b""
        try:
            while True:
                codec = self._codec
                if codec.eof:
                    if not self._next_member():
                        self._done = True
                        return b""
                    continue
                if self._pending_input:
                    data, self._pending_input = self._pending_input, b""
                elif codec.has_pending():
                    data = b""
                else:
                    data = self._read_input()
                    if not data:
                        self.truncated = True
                        self._done = True
                        return b""
                out = codec.feed(data, want)
                if out:
                    return out
        except self._errors as exc:
            self.damaged = f"{type(exc).__name__}: {exc}"
            self._done = True
            return b""


def decompressed(
    fh: IO[bytes], name: str, budget: Budget | None = None
) -> tuple[io.BufferedReader, DecompressReader]:
    """A buffered stream over the decompressed bytes, and the reader holding its diagnostics.

    ``budget`` (shared by every stream of one top-level input) ends the stream, with a problem
    noted, once the input as a whole has expanded to its limit.
    """
    raw = DecompressReader(fh, name, budget)
    return io.BufferedReader(raw, buffer_size=_CHUNK), raw
