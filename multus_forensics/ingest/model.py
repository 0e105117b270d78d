"""The records ingestion hands to the pipeline: limits, raw streams, unreadable inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from multus_forensics.mapping import Data
from multus_forensics.model import ParseIssue


@dataclass(frozen=True)
class Limits:
    """Safety bounds for ingestion.

    ``max_member_bytes`` caps the decompressed bytes kept for one stream (a file, an archive
    member, a decompressed ``.gz``): a zip bomb costs at most that much memory.
    ``max_depth`` is how many archive levels are followed (a ``.tar.gz`` in a zip is two).
    ``map_min_bytes``: plain files at least this large are memory-mapped instead of read
    (see :mod:`multus_forensics.mapping`); ``None`` reads every file into memory.
    """

    max_member_bytes: int = 2 * 1024**3
    max_depth: int = 3
    map_min_bytes: int | None = 64 * 1024**2

    def __post_init__(self) -> None:
        if self.max_member_bytes < 1 or self.max_depth < 1:
            raise ValueError("Limits: max_member_bytes and max_depth must be positive")
        if self.map_min_bytes is not None and self.map_min_bytes < 1:
            raise ValueError("Limits: map_min_bytes must be positive (or None: never map)")


@dataclass(frozen=True)
class RawStream:
    """Bytes of one file or archive member, already decompressed, with provenance.

    ``bundle`` is the top-level input (the argument) the stream came from: year inference
    pools the explicit timestamps of one bundle. ``name`` is the logical path (file, then member
    path, compression suffix removed) that format detection matches file globs against.
    """

    file: str
    data: Data
    member: str | None = None
    mtime: datetime | None = None
    mtime_origin: str | None = None
    node_hint: str | None = None
    bundle: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.file + (f"!{self.member}" if self.member else "")


@dataclass(frozen=True)
class Unreadable:
    """An input or member that produced no stream at all (missing, denied, not followed)."""

    issue: ParseIssue
