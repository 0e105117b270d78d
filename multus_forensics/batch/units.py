"""How inputs become batch units: one per bundle, and all loose files together.

A bundle (a directory, or a tar/zip archive, compressed or not) is self-contained: one node's or
one incident's logs, so it is parsed and analysed on its own and gets its own sub-report. A
directory holding nothing but archives is a collection of bundles (``incident-42/node-*.tgz``).
Loose log files given next to each other (``kubelet.log multus.log``) are usually pieces of the
same story and must be analysed together, so they form a single unit.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """The paths parsed together by one worker, with a label for reports and progress."""

    paths: tuple[str, ...]

    @property
    def label(self) -> str:
        if len(self.paths) == 1:
            return self.paths[0]
        names = ", ".join(os.path.basename(p) for p in self.paths[:3])
        more = f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else ""
        return f"{len(self.paths)} files: {names}{more}"


def is_bundle(path: str) -> bool:
    """A directory, or a file whose (decompressed) first block is a tar or zip header."""
    from multus_forensics.ingest.archives import is_tar, is_zip
    from multus_forensics.ingest.compression import decompressed, sniff_compression

    if os.path.isdir(path):
        return True
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # opening a FIFO would block; the parse reports what it is
        with open(path, "rb") as fh:
            head = fh.read(512)
            codec = sniff_compression(head)
            if codec is not None:
                fh.seek(0)
                stream, _ = decompressed(fh, codec)
                head = stream.read(512)
    except (OSError, EOFError, ValueError):
        return False  # unreadable or damaged: the parse reports it
    return is_zip(head) or is_tar(head)


def archive_collection(path: str) -> list[str] | None:
    """The archives in ``path`` when it is a directory holding two or more archives and nothing
    else (a folder of node bundles), sorted by name; ``None`` otherwise."""
    if not os.path.isdir(path):
        return None
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    entries = [os.path.join(path, n) for n in names if not n.startswith(".")]
    if len(entries) < 2 or not all(os.path.isfile(e) and is_bundle(e) for e in entries):
        return None
    return entries


def group_units(paths: Sequence[str]) -> list[Unit]:
    """Bundles one unit each, in order; loose files one unit at the first loose file's place.

    A directory that holds only archives is a collection: each archive is a unit of its own.
    """
    units: list[Unit | None] = []
    loose: list[str] = []
    for path in paths:
        collection = archive_collection(path) if path != "-" else None
        if collection is not None:
            units.extend(Unit((p,)) for p in collection)
        elif path != "-" and is_bundle(path):
            units.append(Unit((path,)))
        else:
            if not loose:
                units.append(None)  # placeholder keeps the loose files' position
            loose.append(path)
    return [u if u is not None else Unit(tuple(loose)) for u in units]
