"""Output files written atomically, and one run at a time per output folder.

A report folder is often shared (a ticket attachment, a CI artifact directory) and its files
are read while a run replaces them. Each file is written to a temporary file in its own folder
and renamed over the target (:func:`os.replace`), so a reader sees the old file or the new one,
never half of one; the rename replaces a symlink planted at the target instead of writing
through it, so nothing outside the output folder is changed. A crash leaves no partial target,
and the temporary file is removed. :func:`output_lock` makes a second run into the same folder
fail with a clear message instead of interleaving files with the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from multus_forensics.errors import InputError

#: the lock file a run holds in its output folder (``flock``: released when the process ends)
LOCK_NAME: Final = ".multus-forensics.lock"


def write_atomic(target: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)`` for a temporary file beside ``target``, then rename it over
    ``target``; on any failure the temporary file is removed and ``target`` is untouched."""
    target = Path(target)
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        _remove(tmp)
        raise


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """``text`` as UTF-8 into ``target``, atomically (see :func:`write_atomic`)."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    write_atomic(target, write)


def safe_folder(folder: str | os.PathLike[str], *, named: bool = False) -> Path:
    """``folder`` created if missing. A sub-folder the tool makes inside the output must not be
    a symlink (one planted there would send writes elsewhere): an :class:`InputError`; the
    folder the user ``named`` on the command line may be one (a link to a larger disk)."""
    path = Path(folder)
    if not named and path.is_symlink():
        raise InputError(f"{path} is a symlink; refusing to write through it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory {path}: {exc.strerror or exc}") from exc
    return path


@contextlib.contextmanager
def output_lock(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; :class:`InputError` when another run holds it."""
    path = Path(folder) / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            raise InputError(f"cannot lock {path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise InputError(
                f"another run is writing into {folder} (it holds {path}); "
                "wait for it or choose another output folder"
            ) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except OSError:
            same = False
        if same:  # not unlinked by a run that finished between our open and our flock
            break
        os.close(fd)
    try:
        yield
    finally:
        _remove(str(path))
        os.close(fd)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
