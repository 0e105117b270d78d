"""Followers: bytes appended to a growing file or arriving on a pipe, with ``tail -F`` semantics.

A :class:`FileFollower` re-checks its path whenever it has read everything: a different inode
at the path means the file was rotated by rename (or replaced): the old file was read to its end,
and the new one is read from its start; a size under the read position means it was truncated in
place (``copytruncate``): reading restarts at offset 0. A path that does not exist yet is waited
for. A :class:`PipeFollower` reads standard input or a FIFO without blocking, until end of file.

Followers hand back plain bytes and :class:`Restart` markers; turning them into lines is the
stream's job (:mod:`multus_forensics.watch.stream`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import stat
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from multus_forensics.errors import InputError

#: bytes read from one input per call, so that one busy input cannot starve the others
READ_BYTES: Final = 16 << 20
STDIN: Final = "<stdin>"
#: bytes per read from which an input counts as having a backlog (a live node writes far less)
BACKLOG_BYTES: Final = 1 << 20
#: seconds a pipe read keeps gathering once data flows (latency traded for batch size)
LINGER: Final = 0.05
#: pipe buffer asked for (Linux caps it at /proc/sys/fs/pipe-max-size): fewer, larger reads
PIPE_BYTES: Final = 1 << 20


@dataclass(frozen=True)
class Restart:
    """The input starts over: a new file at the path, or the same file truncated."""

    reason: Literal["rotated", "truncated", "appeared"]


Chunk = bytes | Restart


class FileFollower:
    """Follow a regular file by path (``tail -F``): rotation, truncation and re-creation."""

    def __init__(self, path: str, *, from_start: bool) -> None:
        self.label = path
        self._path = path
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._pos = 0
        self._closed = False
        self.missing = False  # the path does not exist (yet, or after a rename)
        self.mtime: datetime | None = None  # of the file when opened: anchors year-less stamps
        if not self._open(seek_end=not from_start):
            self.missing = True

    @property
    def ended(self) -> bool:
        return False  # a followed file can always grow again

    def fileno(self) -> int | None:
        return None  # regular files are always "readable": they are polled, not selected

    def _open(self, *, seek_end: bool) -> bool:
        try:
            fd = os.open(self._path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise InputError(f"{self._path}: cannot read: {exc.strerror or exc}") from exc
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            os.close(fd)
            raise InputError(f"{self._path}: is a directory (watch follows files and pipes)")
        self._fd = fd
        self.mtime = datetime.fromtimestamp(st.st_mtime, UTC)
        self._identity = (st.st_dev, st.st_ino)
        self._pos = os.lseek(fd, 0, os.SEEK_END) if seek_end else 0
        return True

    def read(self, limit: int = READ_BYTES) -> list[Chunk]:
        """What was appended since the last call (up to ``limit`` bytes), with restarts."""
        out: list[Chunk] = []
        if self._closed:
            return out
        if self._fd is None:
            if not self._open(seek_end=False):
                return out
            self.missing = False
            out.append(Restart("appeared"))
        assert self._fd is not None
        data = os.pread(self._fd, limit, self._pos)
        if data:
            self._pos += len(data)
            out.append(data)
            return out
        # at the end of what we hold: has the path moved on?
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            self.missing = True  # renamed away, not re-created yet: the old file may still grow
            return out
        self.missing = False
        if (st.st_dev, st.st_ino) != self._identity:
            os.close(self._fd)
            self._fd = None
            if self._open(seek_end=False):
                out.append(Restart("rotated"))
        elif st.st_size < self._pos:
            self._pos = 0
            out.append(Restart("truncated"))
        return out

    def close(self) -> None:
        self._closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class PipeFollower:
    """Read standard input (``-``) or a FIFO without blocking, until its writer closes it."""

    def __init__(self, path: str) -> None:
        self.label = STDIN if path == "-" else path
        self._own = path != "-"
        if self._own:
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        else:
            self._fd = sys.stdin.fileno()
        self._was_blocking = os.get_blocking(self._fd)
        os.set_blocking(self._fd, False)
        setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
        if setpipe is not None:
            # not a pipe (a file redirected to stdin) or over the system limit: keep the default
            with contextlib.suppress(OSError):
                fcntl.fcntl(self._fd, setpipe, PIPE_BYTES)
        self._ended = False
        self._got_data = False
        self.missing = False
        self.mtime: datetime | None = None  # a pipe has none: year-less stamps use the clock

    @property
    def ended(self) -> bool:
        return self._ended

    def fileno(self) -> int | None:
        return None if self._ended else self._fd

    def read(self, limit: int = READ_BYTES) -> list[Chunk]:
        """What the writer sent, gathered for up to :data:`LINGER` seconds once data flows.

        A pipe hands over at most its buffer per read; gathering briefly gives the parsers
        batches large enough for their vectorised paths at a bounded cost in latency.
        """
        if self._ended:
            return []
        parts: list[bytes] = []
        size = 0
        deadline: float | None = None
        while size < limit:
            try:
                data = os.read(self._fd, min(limit - size, 1 << 20))
            except BlockingIOError:
                if not parts:
                    break
                now = time.monotonic()
                deadline = now + LINGER if deadline is None else deadline
                if now >= deadline:
                    break
                select.select([self._fd], [], [], deadline - now)
                continue
            if not data:
                # a FIFO opened before its writer reads as empty: end only after data came
                if not self._own or self._got_data:
                    self._ended = True
                break
            self._got_data = True
            parts.append(data)
            size += len(data)
        return [b"".join(parts)] if parts else []

    def close(self) -> None:
        if self._own:
            os.close(self._fd)
        else:
            with contextlib.suppress(OSError):  # stdin already closed by the caller
                os.set_blocking(self._fd, self._was_blocking)


Follower = FileFollower | PipeFollower


def open_follower(path: str, *, from_start: bool) -> Follower:
    """A follower for ``-``, a FIFO, or a regular file (which may not exist yet)."""
    if path == "-":
        return PipeFollower(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return FileFollower(path, from_start=from_start)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISFIFO(mode):
        return PipeFollower(path)
    if stat.S_ISDIR(mode):
        raise InputError(f"{path}: is a directory (watch follows files and pipes)")
    return FileFollower(path, from_start=from_start)
