"""Expand inputs into raw byte streams, and decode them into :class:`TextSource`.

Inputs are files, directories (walked recursively in sorted order), glob patterns and ``-``
(standard input, read as bytes), mixed freely. Each argument is one *bundle*: year inference
pools the explicit timestamps of a bundle (see :mod:`multus_forensics.ingest.years`).
"""

from __future__ import annotations

import codecs
import glob
import mmap
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import IO, Final

from multus_forensics.filebytes import FileBytes, FoldedBytes, FoldMarks, Shrank
from multus_forensics.formats.base import TextSource
from multus_forensics.ingest.archives import (
    NAMED_ENDS,
    SMALL_FILE_BYTES,
    Item,
    WalkContext,
    Where,
    is_text,
    walk,
    walk_small,
)
from multus_forensics.ingest.layout import folder_named, node_hint, read_hostname
from multus_forensics.ingest.model import Limits, RawStream, Unreadable
from multus_forensics.mapping import release, steps
from multus_forensics.model import FileStats, ParseIssue, excerpt

STDIN: Final = "<stdin>"
NL: Final = b"\n"


def _unreadable(path: str, reason: str, *, lost: bool = True) -> Unreadable:
    return Unreadable(ParseIssue(path, None, None, reason, lost=lost))


_SPECIAL: Final = "not a regular file (fifo, socket or device); skipped"


def _excluded(path: str, exclude: Sequence[str]) -> bool:
    """Whether ``path`` is one of the ``exclude`` folders or inside one (compared as real paths)."""
    if not exclude:
        return False
    real = os.path.realpath(path)
    return any(real == ex or real.startswith(ex.rstrip(os.sep) + os.sep) for ex in exclude)


class Listed(str):
    """A path its directory's listing showed as a regular file, not a link: opened without
    asking its type first (:func:`_open_fd` still checks the descriptor it gets)."""

    __slots__ = ()


class _Run(list[str]):
    """Consecutive paths of one folder its listing showed as regular files, not links (each
    one a :class:`Listed`), read in one loop (:func:`_read_run`)."""

    __slots__ = ()


def _walk_dir(
    top: str, hostnames: dict[str, str], exclude: Sequence[str] = ()
) -> Iterator[_Run | str | Unreadable]:
    found = False
    errors: list[OSError] = []
    for root, dirs, entries in _walk(top, errors.append):
        files = {e.name: e for e in entries}
        dirs.sort()
        dirs[:] = [d for d in dirs if not _excluded(os.path.join(root, d), exclude)]
        if "sos_commands" in dirs and "hostname" in files:
            try:
                fh = _open_regular(os.path.join(root, "hostname"))
                if fh is None:
                    raise OSError("not a regular file")
                with fh:
                    host = read_hostname(fh.read(1024).decode("utf-8", "replace"))
                if host:
                    hostnames[root] = host
            except OSError:
                pass  # the file itself is read (and its error reported) below
        prefix = os.path.join(root, "")  # os.path.join(root, name) for every name listed
        run = _Run()
        for name in sorted(files):
            found = True
            path = prefix + name
            entry = files[name]
            if entry.is_file(follow_symlinks=False):  # known from the listing: no stat
                run.append(path)
                continue
            if run:
                yield run
                run = _Run()
            try:  # a link: its target's type
                special = not entry.is_file() and not stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                special = False  # a dangling link: opening it reports the problem
            if special:  # a FIFO would block the walk; sockets and devices hold no log
                yield _unreadable(path, _SPECIAL, lost=False)
            else:
                yield path
        if run:
            yield run
    for exc in errors:
        yield _unreadable(exc.filename or top, f"cannot list directory: {exc.strerror or exc}")
    if not found and not errors:
        yield _unreadable(top, "directory contains no files")


def _walk(
    top: str, onerror: Callable[[OSError], object]
) -> Iterator[tuple[str, list[str], list[os.DirEntry[str]]]]:
    """``os.walk(top, onerror=onerror)`` (top-down, links not followed, ``dirs`` pruned in
    place by the caller) giving the directory entries of the other files, whose type the
    directory listing already tells."""
    dirs: list[str] = []
    others: list[os.DirEntry[str]] = []
    try:
        listing = os.scandir(top)
    except OSError as exc:
        onerror(exc)
        return
    with listing:
        while True:
            try:
                entry = next(listing)
            except StopIteration:
                break
            except OSError as exc:
                onerror(exc)
                return
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                dirs.append(entry.name)
            else:
                others.append(entry)
    yield top, dirs, others
    for name in dirs:
        path = os.path.join(top, name)
        if not os.path.islink(path):
            yield from _walk(path, onerror)


def expand(
    paths: Sequence[str], hostnames: dict[str, str] | None = None, exclude: Sequence[str] = ()
) -> Iterator[tuple[str, str | Unreadable]]:
    """(bundle, path or problem) for every file the inputs name, in a deterministic order.

    Files in the ``exclude`` folders (real paths; a report's own output folder) are skipped.
    """
    for bundle, item in _expanded(paths, hostnames, exclude):
        if isinstance(item, _Run):
            for path in item:
                yield bundle, Listed(path)
        else:
            yield bundle, item


def _expanded(
    paths: Sequence[str], hostnames: dict[str, str] | None, exclude: Sequence[str]
) -> Iterator[tuple[str, _Run | str | Unreadable]]:
    """:func:`expand`, a folder's listed regular files given as runs of paths."""
    hostnames = hostnames if hostnames is not None else {}
    exclude = [os.path.realpath(e) for e in exclude]
    for arg in paths:
        if arg == "-":
            yield arg, arg
        elif _excluded(arg, exclude):
            continue
        elif os.path.isdir(arg):
            for item in _walk_dir(arg, hostnames, exclude):
                yield arg, item
        elif os.path.lexists(arg):
            yield arg, arg
        elif glob.has_magic(arg):
            hits = sorted(glob.glob(arg, recursive=True))
            if not hits:
                yield arg, _unreadable(arg, "glob pattern matched no file")
            for hit in hits:
                if _excluded(hit, exclude):
                    continue
                if os.path.isdir(hit):
                    for item in _walk_dir(hit, hostnames, exclude):
                        yield arg, item
                else:
                    yield arg, hit
        else:
            yield arg, _unreadable(arg, "no such file or directory")


def count_inputs(paths: Sequence[str]) -> int:
    """How many top-level files the inputs expand to (the ``total`` of progress reports)."""
    return sum(1 for _ in expand(paths))


def _read_file(path: str, bundle: str, limits: Limits, hostnames: dict[str, str]) -> Iterable[Item]:
    """The items of one input file: a small regular file's as a tuple, read here with one
    read (no generator frame per file of a folder of thousands), any other's as they are
    walked (:func:`_walked`)."""
    if path == "-":
        return walk(sys.stdin.buffer, WalkContext(STDIN, bundle, limits, hostnames))
    listed, path = type(path) is Listed, str(path)  # a plain string in every record made
    try:
        opened = _open_fd(path, listed=listed)
    except OSError as exc:
        return (_unreadable(path, f"cannot read: {exc.strerror or exc}"),)
    if opened is None:
        return (_unreadable(path, _SPECIAL),)
    fd, info = opened
    return _read_open(fd, info, path, bundle, limits, hostnames)


def _read_open(
    fd: int,
    info: os.stat_result,
    path: str,
    bundle: str,
    limits: Limits,
    hostnames: dict[str, str],
    data: bytes | None = None,
) -> Iterable[Item]:
    """:func:`_read_file` of ``path`` once open as ``fd`` (closed when read), of status
    ``info``; ``data``: what one read of its size gave (a small regular file)."""
    mtime = datetime.fromtimestamp(info.st_mtime, UTC)
    if stat.S_ISREG(info.st_mode) and _small(info.st_size, limits):
        try:  # None: rewound, to be streamed
            read = walk_small(fd, info.st_size, path, bundle, limits, hostnames, mtime, data)
        except OSError as exc:
            os.close(fd)
            return (_unreadable(path, f"cannot read: {exc.strerror or exc}"),)
        if read is not None:
            os.close(fd)
            return read
    ctx = WalkContext(path, bundle, limits, hostnames, info.st_size)
    return _walked(fd, path, ctx, Where(mtime=mtime, origin="file-mtime"))


def _walked(fd: int, path: str, ctx: WalkContext, where: Where) -> Iterator[Item]:
    """The items of the file open as ``fd`` (closed when they are read), walked as a stream."""
    try:
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            yield from walk(fh, ctx, where)
    except IsADirectoryError:
        yield _unreadable(path, "is a directory")
    except OSError as exc:
        yield _unreadable(path, f"cannot read: {exc.strerror or exc}")
    finally:
        if fd >= 0:
            os.close(fd)


def _small(size: int, limits: Limits) -> bool:
    """Whether a regular file of ``size`` bytes is read with one read (not mapped, under the cap)."""
    least = limits.map_min_bytes
    return size <= min(SMALL_FILE_BYTES, limits.max_member_bytes) and (
        least is None or size < least
    )


def _open_fd(path: str, *, listed: bool = False) -> tuple[int, os.stat_result] | None:
    """A descriptor of ``path`` and its status when it is a regular file (or a directory,
    which fails on read), ``None`` for a FIFO, socket or device.

    Checked before opening (opening a FIFO blocks until a writer comes, a tape device may
    rewind), unless the directory listing just said it is a regular file (``listed``), and
    again on the descriptor, opened non-blocking, in case the path was swapped. A small file
    is read from the descriptor itself, with no file object around it.
    """
    if not listed:
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return None
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            os.close(fd)
            return None
        if not stat.S_ISREG(info.st_mode):  # O_NONBLOCK does nothing to a regular file's reads
            os.set_blocking(fd, True)
        return fd, info
    except BaseException:
        os.close(fd)
        raise


def _open_regular(path: str) -> IO[bytes] | None:
    """``path`` opened for reading when it is a regular file (or a directory, which fails on
    read), ``None`` for a FIFO, socket or device (:func:`_open_fd`)."""
    opened = _open_fd(path)
    return None if opened is None else os.fdopen(opened[0], "rb")


def iter_inputs(paths: Sequence[str], limits: Limits | None = None) -> Iterator[tuple[int, Item]]:
    """(index of the top-level file, item) so callers can report progress per input file."""
    limits = limits or Limits()
    hostnames: dict[str, str] = {}
    index = 0
    for bundle, item in _expanded(paths, hostnames, limits.exclude):
        if isinstance(item, _Run):
            yield from _read_run(index, item, bundle, limits, hostnames)
            index += len(item)
            continue
        if isinstance(item, Unreadable):
            yield index, item
        else:
            for sub in _read_file(item, bundle, limits, hostnames):
                yield index, sub
        index += 1


#: how every input file is opened: a FIFO swapped in for a listed file must not block the
#: walk (O_NONBLOCK does nothing to a regular file's reads), and no terminal is taken
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


def _read_run(
    start: int, run: _Run, bundle: str, limits: Limits, hostnames: dict[str, str]
) -> Iterator[tuple[int, Item]]:
    """The items of a folder's listed regular files, numbered from ``start``.

    A folder of thousands of small logs pays per file the open, status, read and close it
    needs and little more: a small plain text (nearly every one) is its stream at once, in
    this one loop, as :func:`_read_file` and :func:`~.archives.walk_small` make it; any other
    file (large, compressed, an archive, a ``hostname`` file, changed while read, gone, not
    regular any more) is read on as :func:`_read_file` reads it alone.
    """
    cap = min(SMALL_FILE_BYTES, limits.max_member_bytes)  # :func:`_small` as one bound
    if limits.map_min_bytes is not None:
        cap = min(cap, limits.map_min_bytes - 1)
    cut = run[0].rfind(os.sep) + 1 if run else 0  # one folder: the names start here
    folder_hint: list[str | None] = []  # node_hint of the run's files named plainly, once
    for k, path in enumerate(run, start):
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as exc:
            yield k, _unreadable(path, f"cannot read: {exc.strerror or exc}")
            continue
        data = info = None
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_size <= cap:
                data = os.read(fd, info.st_size + 1)  # a regular file reads short only at its end
        except OSError:
            pass  # read on below, which reports it
        if info is None or not stat.S_ISREG(info.st_mode):  # as alone: its type told again
            os.close(fd)
            items = _read_file(Listed(path), bundle, limits, hostnames)
        elif (
            data is not None
            and len(data) == info.st_size
            and not path.endswith(NAMED_ENDS)
            and is_text(data)
        ):
            os.close(fd)
            mtime = datetime.fromtimestamp(info.st_mtime, UTC)
            if not folder_named(path[cut:]):
                hint = node_hint(path, hostnames)
            elif folder_hint:
                hint = folder_hint[0]
            else:
                hint = node_hint(path, hostnames)
                folder_hint.append(hint)
            yield k, RawStream(path, data, None, mtime, "file-mtime", hint, bundle, path)
            continue
        else:  # large, compressed, named, or changed since its status: read on from here
            items = _read_open(fd, info, path, bundle, limits, hostnames, data)
        for sub in items:
            yield k, sub


def iter_streams(paths: Sequence[str], limits: Limits | None = None) -> Iterator[Item]:
    """Yield one :class:`RawStream` per readable file or member, and an issue per problem."""
    for _, item in iter_inputs(paths, limits):
        yield item


def clean(stream: RawStream, lines: int | None = None) -> TextSource:
    """What :func:`decode` gives a stream known to need nothing changed or reported (ASCII
    bytes in memory without NUL or CR: ``LogFormat.admit_many`` admits no other), without
    checking it again; ``lines``, when the caller counted them, is its line count."""
    src = TextSource(
        stream.file, None, stream.member, stream.mtime, stream.mtime_origin, stream.node_hint,
        stream.data,
    )  # fmt: skip
    if lines is not None:
        src.__dict__["_line_count"] = lines  # what TextSource.line_count would count
    return src


def decode(stream: RawStream, node_hint: str | None = None) -> tuple[TextSource, list[ParseIssue]]:
    """UTF-8 decode with damage reported: invalid bytes replaced, NULs removed, CRLF folded.

    A UTF-8 byte-order mark is dropped silently (editors on Windows add it). Each kind of
    damage is one warning naming its first line and how often it occurred.
    """
    issues: list[ParseIssue] = []
    if isinstance(stream.data, FileBytes):
        lazy, stream, issues = _decode_lazy(stream, stream.data)
        if lazy is not None:
            return lazy, issues
    if isinstance(stream.data, mmap.mmap):
        if _clean_mapping(stream.data):
            hint = node_hint if node_hint is not None else stream.node_hint
            mapped = TextSource(
                stream.file, None, stream.member, stream.mtime, stream.mtime_origin, hint,
                stream.data,
            )  # fmt: skip
            return mapped, issues
        stream = replace(stream, data=stream.data[:])  # damage to repair: a copy in memory
    data = stream.data
    assert isinstance(data, bytes)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    def warn(reason: str, at: int, text: str) -> None:
        line = text.count("\n", 0, at) + 1
        end = text.find("\n", at)
        start = text.rfind("\n", 0, at) + 1
        snippet = text[start : end if end >= 0 else len(text)]
        issues.append(
            ParseIssue(
                stream.file, stream.member, line, reason, excerpt(snippet), severity="warning"
            )
        )

    if data is stream.data and b"\x00" not in data and b"\r" not in data and _utf8(data):
        # nothing to report or change: the text is decoded only if a parser asks for it
        hint = node_hint if node_hint is not None else stream.node_hint
        clean = TextSource(
            stream.file, None, stream.member, stream.mtime, stream.mtime_origin, hint, data
        )
        return clean, issues
    nuls = data.count(b"\x00")
    if nuls:
        first = data.index(b"\x00")
        head = data[:first].decode("utf-8", "replace")
        data = data.translate(None, b"\x00")  # replace() is per-occurrence: 30x slower
        warn(f"{nuls} NUL byte(s) removed (first on this line)", len(head), _safe(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        at = len(data[: exc.start].decode("utf-8", "replace"))
        bad = text.count("\ufffd") - data.count("\ufffd".encode())
        warn(
            f"invalid UTF-8: {bad} sequence(s) replaced with U+FFFD (first on this line)", at, text
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    hint = node_hint if node_hint is not None else stream.node_hint
    # the bytes are exactly ``text`` when nothing was replaced or folded (vectorised parsers)
    exact = data if not issues and data is stream.data and b"\r" not in data else None
    src = TextSource(
        stream.file, text, stream.member, stream.mtime, stream.mtime_origin, hint, exact
    )
    return src, issues


def _decode_lazy(
    stream: RawStream, data: FileBytes
) -> tuple[TextSource | None, RawStream, list[ParseIssue]]:
    """A file read by offset: its source, still unread, when one pass over its windows finds
    nothing to repair (no BOM, NUL or CR; valid UTF-8), its lines counted on the way; else the
    stream with its bytes read into memory for :func:`decode` to repair (and, when it shrank
    during the pass, the complete lines it still has, with the issue saying so)."""
    lines = 0
    clean, crlf = True, False
    marks = FoldMarks()
    try:
        for base, window in data.windows():
            text = bytes(window)  # one copy: bytes' own searches (memchr), no temporaries
            lines += text.count(b"\n")
            has_cr = b"\r" in text
            marks.add(base, window, has_cr)
            if clean and (b"\x00" in text or not _utf8(text)):
                clean = False
            crlf = crlf or has_cr
            del text
        if data.size and data[data.size - 1 : data.size] != b"\n":
            lines += 1  # a last line without its newline
        if clean and crlf:  # CR-LF folded to LF as it is read: offsets are the folded text's
            data = FoldedBytes(data, marks.finish(data.size))
        del marks
        if clean and data[:3] != b"\xef\xbb\xbf":
            src = TextSource(
                stream.file, None, stream.member, stream.mtime, stream.mtime_origin,
                stream.node_hint, data,
            )  # fmt: skip
            src.__dict__["_line_count"] = lines
            return src, stream, []
        return None, replace(stream, data=bytes(data)), []
    except Shrank as exc:
        try:
            now = data.read(0, exc.now)
        except Shrank:  # shrank again: nothing it holds now is certain
            now = b""
        kept = now[: now.rfind(b"\n") + 1]
        reason = (
            f"file shrank from {exc.size} to {exc.now} bytes while it was read (truncated or "
            f"rotated under us, e.g. copytruncate): the {kept.count(NL)} complete lines it "
            "still held were kept"
        )
        issue = ParseIssue(stream.file, stream.member, None, reason, lost=True)
        return None, replace(stream, data=kept), [issue]


def _clean_mapping(data: mmap.mmap) -> bool:
    """Whether a mapped file needs no repair (no BOM, NUL, CR; valid UTF-8), in steps whose
    pages are released once checked."""
    if data[:3] == b"\xef\xbb\xbf":
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start, end in steps(data):
            part = bytes(view[start:end])
            if b"\x00" in part or b"\r" in part:
                return False
            if not part.isascii() or decoder.getstate()[0]:
                decoder.decode(part)
            release(data, start, end)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        view.release()
    return True


def _utf8(data: bytes | memoryview, step: int = 1 << 24) -> bool:
    """Whether ``data`` is valid UTF-8, checked in bounded steps (no full-size ``str``)."""
    if isinstance(data, bytes) and data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _safe(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def shrank_while_parsed(file: str, member: str | None, fs: FileStats, exc: Shrank) -> ParseIssue:
    """The issue of a file read by offset that shrank between its check and its parse (its
    lines are gone, or are now another file's): none of its lines is in an event, which
    ``fs`` counts, so the accounting still holds and the loss is an error, not a silence."""
    fs.blank_lines, fs.header_lines, fs.event_lines, fs.events = 0, 0, 0, 0
    fs.issue_lines = fs.lines
    fs.skipped = "shrank while it was parsed"
    reason = (
        f"file shrank from {exc.size} to {exc.now} bytes while it was parsed (truncated or "
        f"rotated under us, e.g. copytruncate): its {fs.lines} lines are not in any event; "
        "parse its rotated copy"
    )
    return ParseIssue(file, member, None, reason, lost=True)
