"""Walk one opened input: decompress by magic, descend into tar/zip members, yield text streams.

Everything is read as a stream: tar through ``tarfile``'s stream mode (``r|``), zip members
through ``ZipFile.open``. Only one decompressed member is held at a time (the text handed to the
parser), and only up to a window (``Limits.window_bytes``): a plain file larger than that is read
by offset when parsed, and a larger decompressed stream or member is written window by window to
an unlinked temporary file and read by offset from there (:mod:`multus_forensics.filebytes`).
Problems become issues next to the data that survived:

* a member that expands past ``Limits.max_member_bytes`` keeps its complete lines up to the cap
  (a cut line would be a fabricated record, so the partial line is dropped);
* a truncated or corrupt compressed stream keeps the prefix decoded before the damage;
* unsafe member names (absolute, ``..``) are reported and parsed under a sanitised name;
* links, devices and encrypted members are skipped with the reason;
* one expansion budget per top-level input (``Limits.max_expanded_bytes``) is charged by every
  decompressor and zip member at every depth, and ``Limits.max_members`` bounds the members
  read: a nested bomb or a million tiny members stop there with one issue;
* a zip whose central directory is gone is read from its local headers (:mod:`.ziplocal`).

A zip needs random access: a zip file on disk (or a zip member of a zip) is read in place; a
zip met inside a stream (a ``.zip.gz``, a zip member of a tar) is buffered in memory up to the
cap first, which is the one place where compressed bytes are held whole.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import IO, Final, Literal, Protocol

from multus_forensics.filebytes import FileBytes
from multus_forensics.ingest.compression import (
    MAGICS,
    SUFFIXES,
    decompressed,
    sniff_compression,
    strip_suffix,
)
from multus_forensics.ingest.layout import node_hint, read_hostname, sosreport_root
from multus_forensics.ingest.model import Budget, Limits, RawStream, Unreadable
from multus_forensics.mapping import Data, map_file
from multus_forensics.model import ParseIssue

_HEAD: Final = 512
#: archives too deep reported one by one per input; the rest are one summary issue
DEEP_SHOWN: Final = 10
_READ_CHUNK: Final = 1024 * 1024

Item = RawStream | ParseIssue | Unreadable
Severity = Literal["error", "warning"]


@dataclass
class WalkContext:
    """What every stream of one top-level input shares, its expansion budget included."""

    file: str
    bundle: str
    limits: Limits
    hostnames: dict[str, str] = field(default_factory=dict)
    size: int = 0  # bytes of the top-level input as given (0: unknown, e.g. stdin)
    members: int = 0  # archive members read so far (Limits.max_members)
    too_deep: int = 0  # archives not followed for max_depth (each past DEEP_SHOWN only counted)

    @cached_property
    def budget(self) -> Budget:
        """Made when a decompressor or archive first charges it (a plain file never does)."""
        ratio = self.limits.max_expansion_ratio * self.size
        return Budget(max(self.limits.max_expanded_bytes, ratio))

    def next_member(self) -> bool:
        """Count one more member to read; ``False`` once :attr:`Limits.max_members` is reached."""
        self.members += 1
        return self.members <= self.limits.max_members


class Problems(Protocol):
    """A reader the current text comes through that may have met damage or a limit."""

    def problems(self) -> list[str]: ...


@dataclass(frozen=True, init=False)
class Where:
    """Position inside the input: member path parts, best mtime, nesting counters."""

    parts: tuple[str, ...]
    mtime: datetime | None
    origin: str | None
    archives: int
    layers: int
    readers: tuple[Problems, ...]  # decompressors the current text comes through

    def __init__(
        self,
        parts: tuple[str, ...] = (),
        mtime: datetime | None = None,
        origin: str | None = None,
        archives: int = 0,
        layers: int = 0,
        readers: tuple[Problems, ...] = (),
    ) -> None:
        # one made per file read: the fields go straight into the instance dict (a frozen
        # dataclass's own __init__ sets each through object.__setattr__)
        self.__dict__.update(
            parts=parts, mtime=mtime, origin=origin, archives=archives, layers=layers,
            readers=readers,
        )  # fmt: skip

    @property
    def member(self) -> str | None:
        return "!".join(self.parts) if self.parts else None

    def inside(self, name: str, mtime: datetime | None, origin: str | None) -> Where:
        """The position of member ``name``; its own mtime wins over the enclosing one."""
        if mtime is None:
            mtime, origin = self.mtime, self.origin
        return Where((*self.parts, name), mtime, origin, self.archives + 1, 0)

    def through(self, reader: Problems) -> Where:
        """The same position, read through one more reader (whose problems go with the text)."""
        return replace(self, readers=(*self.readers, reader))


class _Prefixed(io.RawIOBase):
    """``head`` followed by the rest of ``fh``: lets us sniff bytes without seeking."""

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._fh.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_upto(fh: IO[bytes], n: int, buf: io.BytesIO | None = None) -> bytes:
    """Up to ``n`` bytes (after what ``buf`` holds), read in bounded chunks.

    ``read(n)`` would allocate ``n`` (the cap) at once, and chunks joined at the end cost twice
    their size; a ``BytesIO`` grows one buffer in place and hands it over without a copy.
    """
    buf = buf if buf is not None else io.BytesIO()
    while n > 0:
        data = fh.read(min(n, _READ_CHUNK))
        if not data:
            break
        buf.write(data)
        n -= len(data)
    return buf.getvalue()


class Charged(io.RawIOBase):
    """A member stream that charges what it yields to the input's expansion budget."""

    def __init__(self, fh: IO[bytes], budget: Budget, what: str) -> None:
        super().__init__()
        self._fh = fh
        self._budget = budget
        self._what = what
        self.produced = 0
        self.over_budget = False
        self._reported = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._budget.left)
        if want == 0:
            self.over_budget = self.over_budget or len(buffer) > 0
            return 0
        data = self._fh.read(want)
        buffer[: len(data)] = data
        self.produced += len(data)
        self._budget.charge(len(data))
        return len(data)

    def problems(self) -> list[str]:
        if self._reported or not self.over_budget:
            return []
        self._reported = True
        kept = f"the {self.produced} bytes before it were kept"
        return [self._budget.message(self._what, kept)]


#: the bytes a v7 checksum field may start with and :func:`is_tar` still read it: white space
#: and NUL (stripped or ending it), octal digits and what the refusal below lets through
_CHECKSUM_FIRST: Final = frozenset(bytes([c]) for c in b"01234567_+- \t\n\r\x0b\x0c\x00")


def is_tar(head: bytes) -> bool:
    """ustar/GNU magic, or a v7 header whose checksum is right."""
    if len(head) < _HEAD:
        return False
    if head[257:262] == b"ustar":
        return True
    if head[148:149] not in _CHECKSUM_FIRST:  # a text's head: what the test below refuses
        return False
    field = head[148:156].split(b"\0", 1)[0].strip()
    if field.translate(None, b"01234567_+-"):
        return False  # what int(field, 8) refuses (a text's head): no exception to raise
    try:
        stored = int(field or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(head[:148]) + 256 + sum(head[156:512]) and head[0] != 0


#: magic -> what to tell the user about binary files met in bundles (never parsed as text)
BINARY_MAGICS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"LPKSHHRH", "systemd binary journal (export it: journalctl --file FILE -o json)"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive (unsupported: repack as tar or zip)"),
    (b"Rar!\x1a\x07", "RAR archive (unsupported: repack as tar or zip)"),
    (b"\x7fELF", "ELF executable"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"SQLite format 3\x00", "SQLite database"),
)


def binary_kind(head: bytes) -> str | None:
    """A description of ``head`` when it starts a known binary (non-log) file."""
    for magic, kind in BINARY_MAGICS:
        if head.startswith(magic):
            return kind
    return None


def is_zip(head: bytes) -> bool:
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def sanitise(name: str) -> tuple[str, bool]:
    """(safe relative name, whether the original was unsafe: absolute or with ``..``)."""
    norm = name.replace("\\", "/")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    unsafe = norm.startswith("/") or ".." in parts or (len(norm) > 1 and norm[1] == ":")
    safe = [p for p in parts if p != ".." and not (len(p) == 2 and p[1] == ":")]
    return "/".join(safe) or "unnamed-member", unsafe


def _logical(ctx: WalkContext, where: Where) -> str:
    return "/".join((ctx.file, *where.parts)) if where.parts else ctx.file


def walk(fh: IO[bytes], ctx: WalkContext, where: Where | None = None) -> Iterator[Item]:
    """Yield the text streams and issues found in ``fh`` (a file, member or decompressed stream)."""
    where = where or Where()
    top = where.archives == 0 and where.layers == 0  # the input itself, not a member
    head = _read_upto(fh, _HEAD)
    yield from _dispatch(head, fh, ctx, where)
    if top and ctx.too_deep > DEEP_SHOWN:
        more = ctx.too_deep - DEEP_SHOWN
        reason = (
            f"and {more} more archives nested deeper than max_depth={ctx.limits.max_depth}; "
            "not followed"
        )
        yield Unreadable(_issue(ctx, where, reason))


def _dispatch(head: bytes, fh: IO[bytes], ctx: WalkContext, where: Where) -> Iterator[Item]:
    codec = sniff_compression(head)
    if codec is not None:
        yield from _compressed(codec, head, fh, ctx, where)
    elif is_tar(head) or is_zip(head):
        if where.archives + 1 > ctx.limits.max_depth:
            ctx.too_deep += 1
            if ctx.too_deep <= DEEP_SHOWN:  # a bomb has thousands: the rest are counted
                reason = (
                    f"archive nested deeper than max_depth={ctx.limits.max_depth}; not followed"
                )
                yield Unreadable(_issue(ctx, where, reason))
        elif is_tar(head):
            yield from _tar(io.BufferedReader(_Prefixed(head, fh)), ctx, where)
        else:
            yield from _zip(head, fh, ctx, where)
    elif (kind := binary_kind(head)) is not None:
        yield Unreadable(_issue(ctx, where, f"{kind}; not read", lost=False))  # not a log
    else:
        yield from _text(head, fh, ctx, where)


def _issue(
    ctx: WalkContext, where: Where, reason: str, severity: Severity = "error", *, lost: bool = True
) -> ParseIssue:
    """A file-level issue; an error is an input or member lost or cut unless ``lost=False``."""
    return ParseIssue(
        ctx.file, where.member, None, reason, severity=severity, lost=lost and severity == "error"
    )


def _compressed(
    codec: str, head: bytes, fh: IO[bytes], ctx: WalkContext, where: Where
) -> Iterator[Item]:
    if where.layers >= ctx.limits.max_depth:
        reason = f"more than {ctx.limits.max_depth} nested {codec} layers; not followed"
        yield Unreadable(_issue(ctx, where, reason))
        return
    stream, reader = decompressed(io.BufferedReader(_Prefixed(head, fh)), codec, ctx.budget)
    inner_head = _read_upto(stream, _HEAD)  # codec errors are recorded by the reader
    mtime, origin = where.mtime, where.origin
    if reader.header_mtime is not None:
        mtime, origin = reader.header_mtime, "gzip-mtime"
    readers = (*where.readers, reader)
    inner = Where(where.parts, mtime, origin, where.archives, where.layers + 1, readers)
    yield from _dispatch(inner_head, stream, ctx, inner)
    for problem in reader.problems():  # when the text under it did not report them already
        yield _issue(ctx, where, problem)
    if reader.trailing:
        reason = f"{reader.trailing} bytes of non-{codec} data after the last member ignored"
        yield _issue(ctx, where, reason, "warning")


def _plain_size(head: bytes, fh: IO[bytes], cap: int) -> int | None:
    """The size of ``fh`` when it is a regular file under the cap read only as far as ``head``.

    Such a file is read again from the start with one ``read()``: one buffer of the file's size,
    instead of chunks, their join and the head prepended (three copies of a large log at peak).
    """
    try:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or not fh.seekable() or fh.tell() != len(head):
            return None
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    return info.st_size if len(head) <= info.st_size <= cap else None


def _complete_lines(data: bytes) -> bytes:
    """``data`` up to its last newline: a line cut by damage would be a fabricated record."""
    return data[: data.rfind(b"\n") + 1]


def _read_plain(
    fh: IO[bytes], size: int, ctx: WalkContext, where: Where
) -> tuple[Data, ParseIssue | None]:
    """A regular file under the cap, read whole with one buffer of its size.

    ``FileIO.readall`` sizes its one buffer from fstat (a ``BufferedReader`` would copy it
    again) and stops at the file's end as it is when reached, so a file truncated while it is
    read (``copytruncate`` rotation) gives a short read, reported, where a mapping would die
    of ``SIGBUS``. The descriptor is rewound directly: ``fh``'s buffer may hide its offset.
    """
    least = ctx.limits.map_min_bytes
    if least is not None and size >= least:  # opt-in; see mapping's docstring for the hazard
        mapped = map_file(fh.fileno())
        fh.seek(0, io.SEEK_END)
        return mapped, None
    if size > ctx.limits.window_bytes:  # read by offset when parsed, window by window
        lazy = FileBytes(os.dup(fh.fileno()), size, ctx.file, ctx.limits.window_bytes)
        fh.seek(0, io.SEEK_END)
        return lazy, None
    with io.FileIO(fh.fileno(), closefd=False) as raw:
        raw.seek(0)
        data = raw.readall()
    fh.seek(0, io.SEEK_END)
    if len(data) >= size:
        return data, None
    data = _complete_lines(data)
    return data, _issue(ctx, where, _shrank(size, data.count(b"\n")))


def _read_capped(
    head: bytes, fh: IO[bytes], ctx: WalkContext, where: Where
) -> tuple[Data, ParseIssue | None]:
    """Up to the cap of bytes; past the cap or after a read error, only complete lines."""
    cap = ctx.limits.max_member_bytes
    buf = io.BytesIO()
    buf.write(head)
    try:
        size = _plain_size(head, fh, cap)
        if size is not None:
            return _read_plain(fh, size, ctx, where)
        step = min(cap, ctx.limits.window_bytes)
        data = _read_upto(fh, step + 1 - len(head), buf) if len(head) <= step else head
        if step < cap and len(data) > step:  # more than a window: the rest goes to a spool
            del data
            return _spooled(buf, fh, ctx, where)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as exc:
        data = _complete_lines(buf.getvalue())
        reason = (
            f"read failed after {len(data)} bytes ({type(exc).__name__}: {exc}); "
            "the complete lines before it were kept"
        )
        return data, _issue(ctx, where, reason)
    if len(data) <= cap:
        return data, None
    del data
    buf.truncate(buf.getvalue().rfind(b"\n", 0, cap) + 1)  # in place: no second copy of the cap
    data = buf.getvalue()
    kept = data.count(b"\n")
    reason = (
        f"expands past the cap of {cap} bytes (Limits.max_member_bytes): the {kept} complete "
        "lines before the cap were kept, the cut line and the rest were not read"
    )
    return data, _issue(ctx, where, reason)


def _spooled(
    buf: io.BytesIO, fh: IO[bytes], ctx: WalkContext, where: Where
) -> tuple[Data, ParseIssue | None]:
    """A decompressed stream (or member) larger than a window: what ``buf`` holds and the
    rest of ``fh``, written window by window to an unlinked temporary file and read by offset
    from there (:class:`FileBytes`), up to the cap; only complete lines past the cap or a
    read error, as :func:`_read_capped` keeps them in memory."""
    cap = ctx.limits.max_member_bytes
    spool = tempfile.TemporaryFile(prefix="multus-forensics-")  # noqa: SIM115 - kept by fd
    try:
        spool.write(buf.getbuffer())
        written = len(buf.getbuffer())
        buf.seek(0)
        buf.truncate()
        failed: BaseException | None = None
        try:
            while written <= cap:
                part = fh.read(min(ctx.limits.window_bytes, cap + 1 - written))
                if not part:
                    break
                spool.write(part)
                written += len(part)
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile) as exc:
            failed = exc
        spool.flush()
        data = FileBytes(os.dup(spool.fileno()), written, ctx.file, ctx.limits.window_bytes)
    finally:
        spool.close()
    if failed is None and written <= cap:
        return data, None
    end = min(written, cap) if failed is None else written
    data.size = _complete_end(data, end)
    if failed is not None:
        reason = (
            f"read failed after {data.size} bytes ({type(failed).__name__}: {failed}); "
            "the complete lines before it were kept"
        )
        return data, _issue(ctx, where, reason)
    kept = data.count(b"\n")
    reason = (
        f"expands past the cap of {cap} bytes (Limits.max_member_bytes): the {kept} complete "
        "lines before the cap were kept, the cut line and the rest were not read"
    )
    return data, _issue(ctx, where, reason)


def _complete_end(data: FileBytes, end: int) -> int:
    """The end of the last complete line of ``data`` before ``end`` (0: none)."""
    at = end
    while at > 0:
        lo = max(0, at - data.window)
        hit = data.read(lo, at).rfind(b"\n")
        if hit >= 0:
            return lo + hit + 1
        at = lo
    return 0


def _hostname_file(data: Data, logical: str, ctx: WalkContext) -> str | None:
    """The node named by a sosreport ``hostname`` file (tree metadata, not a log), if ``logical`` is one."""
    if not logical.endswith("hostname") or posixpath.basename(logical) != "hostname":
        return None
    root = posixpath.dirname(logical)
    if root not in ctx.hostnames and sosreport_root(logical) != root:
        return None
    host = read_hostname(bytes(data[:4096]).decode("utf-8", "replace"))
    if host:
        ctx.hostnames[root] = host
    return host


#: the first bytes of every compression, archive and binary magic (one test for most texts)
_MAGIC_FIRST: Final = frozenset(
    m[:1] for m in (*(m for m, _ in MAGICS), *(m for m, _ in BINARY_MAGICS), b"PK")
)
#: regular files up to this size are read with one ``os.read`` of their known size
#: (:func:`walk_small`); the first bytes of a larger one decide how it is read
SMALL_FILE_BYTES: Final = 1 << 20


def walk_small(
    fd: int,
    size: int,
    file: str,
    bundle: str,
    limits: Limits,
    hostnames: dict[str, str],
    mtime: datetime,
    data: bytes | None = None,
) -> Iterable[Item] | None:
    """The streams of the small regular file ``file``, open as ``fd`` at its start, read whole
    with one read of its known ``size`` (``data``: that read, made by the caller); ``None``
    (the descriptor is rewound) when its first bytes are compressed, an archive or binary,
    which :func:`walk` reads.

    A folder of thousands of small logs pays, per file, only this read: no head read through
    a buffer first, no second read from the start, no repeated magic checks, and for a text
    whose name is neither compressed nor a sosreport ``hostname`` (nearly every one) its
    stream made with no walk records around it (:func:`_text_stream` gives it alike).
    """
    if data is None:
        data = os.read(fd, size + 1)  # a regular file reads short only at its end
    if len(data) > size:  # grown since fstat: the rest as it is now, as _read_plain reads
        with io.FileIO(fd, closefd=False) as raw:
            data += raw.readall()
    if not is_text(data):
        os.lseek(fd, 0, os.SEEK_SET)
        return None
    if len(data) >= size and not file.endswith(NAMED_ENDS):
        hint = node_hint(file, hostnames)
        return (RawStream(file, data, None, mtime, "file-mtime", hint, bundle, file),)
    ctx = WalkContext(file, bundle, limits, hostnames, size)
    where = Where(mtime=mtime, origin="file-mtime")
    if len(data) < size:
        data = _complete_lines(data)
        return _text_data(data, _issue(ctx, where, _shrank(size, data.count(b"\n"))), ctx, where)
    return (_text_stream(data, ctx, where),)


def is_text(data: bytes) -> bool:
    """Whether ``data`` (a file's first bytes or more) starts no compression, archive or
    binary :func:`walk` tells apart: its first byte rules out every magic for most texts."""
    head = data[:_HEAD]
    if head[:1] in _MAGIC_FIRST and (sniff_compression(head) or is_zip(head) or binary_kind(head)):
        return False
    return not is_tar(head)


#: name ends :func:`_text_stream` treats apart: a compression suffix, a sosreport ``hostname``
NAMED_ENDS: Final = (*SUFFIXES, "hostname")


def _shrank(size: int, lines: int) -> str:
    return (
        f"file shrank from {size} bytes while it was read (truncated or rotated under us, "
        f"e.g. copytruncate): the {lines} complete lines read were kept"
    )


def _text(head: bytes, fh: IO[bytes], ctx: WalkContext, where: Where) -> Iterator[Item]:
    data, problem = _read_capped(head, fh, ctx, where)
    yield from _text_data(data, problem, ctx, where)


def _text_data(
    data: Data, problem: ParseIssue | None, ctx: WalkContext, where: Where
) -> Iterator[Item]:
    """The stream of a text read whole, after the problem met reading it (if any)."""
    if problem is not None:
        yield problem
    for reader in where.readers:  # the cause first, before the text it damaged
        for reason in reader.problems():
            yield _issue(ctx, where, reason)
    yield _text_stream(data, ctx, where)


def _text_stream(data: Data, ctx: WalkContext, where: Where) -> Item:
    """The stream of a text, or the note that it is a sosreport's ``hostname`` file."""
    logical = _logical(ctx, where)
    host = _hostname_file(data, logical, ctx)
    if host:
        reason = f"sosreport hostname file: node {host!r} used for this tree (not a log)"
        return _issue(ctx, where, reason, "warning")
    name = logical  # the compression suffix off the base name, if it has one
    if logical.endswith(SUFFIXES):
        name = posixpath.join(posixpath.dirname(logical), strip_suffix(posixpath.basename(logical)))
    hint = node_hint(logical, ctx.hostnames)
    return RawStream(
        ctx.file, data, where.member, where.mtime, where.origin, hint, ctx.bundle, name
    )


_SPECIAL: Final = "device/fifo member skipped (no log content)"


def _unsafe_name(ctx: WalkContext, inner: Where, original: str) -> ParseIssue:
    safe = inner.parts[-1]
    reason = (
        f"unsafe member name {original!r} (absolute or '..'); read as {safe!r}, "
        "nothing is extracted"
    )
    return _issue(ctx, inner, reason, "warning")


def _member_mtime(stamp: float) -> datetime | None:
    return datetime.fromtimestamp(stamp, UTC) if stamp > 0 else None


def _out_of_budget(ctx: WalkContext, where: Where, kind: str) -> ParseIssue:
    what = f"this {kind} archive"
    return _issue(ctx, where, ctx.budget.message(what, "the members before it were kept"))


def _too_many(ctx: WalkContext, where: Where, name: str) -> ParseIssue:
    reason = (
        f"more than {ctx.limits.max_members} archive members in this input (Limits.max_members, "
        f"--max-members): member {name!r} and the rest were not read"
    )
    return _issue(ctx, where, reason)


def _tar(stream: IO[bytes], ctx: WalkContext, where: Where) -> Iterator[Item]:
    last = "(start of archive)"
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tf:
            for ti in tf:
                # stream mode lists every member read (typeshed omits the attribute): cleared,
                # the bookkeeping per member stays bounded (200k members were 5 GiB)
                tf.members.clear()  # type: ignore[attr-defined]
                if ctx.budget.left == 0:
                    yield _out_of_budget(ctx, where, "tar")
                    return
                last = ti.name
                name, unsafe = sanitise(ti.name)
                inner = where.inside(name, _member_mtime(ti.mtime), "archive-mtime")
                if unsafe:
                    yield _unsafe_name(ctx, inner, ti.name)
                if ti.isdir():
                    continue
                if ti.issym() or ti.islnk():
                    kind = "symlink" if ti.issym() else "hard link"
                    yield _issue(ctx, inner, f"{kind} member to {ti.linkname!r} skipped", "warning")
                    continue
                if not ti.isfile():
                    yield _issue(ctx, inner, _SPECIAL, "warning")
                    continue
                if not ctx.next_member():
                    yield _too_many(ctx, where, ti.name)
                    return
                member = tf.extractfile(ti)
                if member is not None:
                    yield from walk(member, ctx, inner)
    except (tarfile.TarError, OSError, EOFError) as exc:
        reason = f"tar archive damaged after member {last!r}: {exc}; earlier members were kept"
        yield _issue(ctx, where, reason)


def _seekable(fh: IO[bytes]) -> bool:
    """Whether ``fh`` can seek; a tar stream member raises instead of answering False."""
    try:
        return bool(fh.seekable())
    except (AttributeError, OSError):
        return False


def _zip_local(source: IO[bytes], ctx: WalkContext, where: Where, why: str) -> Iterator[Item]:
    """A zip without a usable central directory, read from its local headers
    (:mod:`multus_forensics.ingest.ziplocal`): intact members are kept."""
    from multus_forensics.ingest.ziplocal import scan

    problems: list[str] = []
    found = 0
    try:
        for member in scan(source, problems):
            found += 1
            if ctx.budget.left == 0:
                yield _out_of_budget(ctx, where, "zip")
                return
            name, unsafe = sanitise(member.name)
            inner = where.inside(name, member.mtime, "archive-mtime")
            if unsafe:
                yield _unsafe_name(ctx, inner, member.name)
            if member.name.endswith("/"):
                continue
            if member.reader is None:
                what = "encrypted member" if member.encrypted else f"method {member.method}"
                yield Unreadable(_issue(ctx, inner, f"{what}; not read"))
                continue
            if not ctx.next_member():
                yield _too_many(ctx, where, member.name)
                return
            charged = Charged(member.reader, ctx.budget, f"zip member {name!r}")
            buffered = io.BufferedReader(charged, _READ_CHUNK)
            yield from walk(buffered, ctx, inner.through(charged))
            for reason in charged.problems():
                yield _issue(ctx, inner, reason)
            if member.damaged:
                yield _issue(
                    ctx, inner, f"zip member damaged ({member.damaged}); its start was kept"
                )
    except (OSError, EOFError, ValueError) as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    if not found:
        yield Unreadable(_issue(ctx, where, f"zip archive unreadable: {why}"))
        return
    reason = (
        f"zip central directory unreadable ({why}): {found} member(s) read from their local "
        "headers" + (f"; {'; '.join(problems)}" if problems else "")
    )
    yield _issue(ctx, where, reason)


def _zip(head: bytes, fh: IO[bytes], ctx: WalkContext, where: Where) -> Iterator[Item]:
    source: IO[bytes]
    if _seekable(fh):
        fh.seek(fh.tell() - len(head))
        source = fh
    else:
        cap = ctx.limits.max_member_bytes
        data = head + _read_upto(fh, cap + 1 - len(head))
        if len(data) > cap:
            reason = f"zip inside a stream larger than the cap of {cap} bytes; not read"
            yield Unreadable(_issue(ctx, where, reason))
            return
        source = io.BytesIO(data)
    start = source.tell()
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        source.seek(start)
        yield from _zip_local(source, ctx, where, f"{exc}")
        return
    with zf:
        for info in zf.infolist():
            if ctx.budget.left == 0:
                yield _out_of_budget(ctx, where, "zip")
                return
            name, unsafe = sanitise(info.filename)
            inner = where.inside(name, datetime(*info.date_time, tzinfo=UTC), "archive-mtime")
            if unsafe:
                yield _unsafe_name(ctx, inner, info.filename)
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            if stat.S_ISLNK(mode):
                yield _issue(ctx, inner, "symlink member skipped", "warning")
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                yield _issue(ctx, inner, _SPECIAL, "warning")
                continue
            if info.flag_bits & 0x1:
                yield Unreadable(_issue(ctx, inner, "encrypted member; not read"))
                continue
            if not ctx.next_member():
                yield _too_many(ctx, where, info.filename)
                return
            try:
                with zf.open(info) as member:
                    charged = Charged(member, ctx.budget, f"zip member {name!r}")
                    buffered = io.BufferedReader(charged, _READ_CHUNK)
                    yield from walk(buffered, ctx, inner.through(charged))
                    for reason in charged.problems():
                        yield _issue(ctx, inner, reason)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                yield Unreadable(_issue(ctx, inner, f"zip member unreadable: {exc}"))
