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
    The expansion budget of one top-level input is ``max_expanded_bytes`` or
    ``max_expansion_ratio`` times the input's own size, whichever is larger: the bytes its
    decompressors and zip members produce, summed over every member and depth. A bomb is small
    and expands far (42.zip: 42 KB to 4.5 PB; 41 MB of gzip to 2 GiB of log lines), so it stops
    at 512 MiB with an issue and what expanded before is analysed; parsed events cost about
    2.6x their text, which keeps it under 2.5 GiB. A real bundle (a 150 MB must-gather that
    expands 7x) is read whole: its memory grows with the size it has on disk, as a plain file's.
    ``map_min_bytes``: plain files at least this large are memory-mapped instead of read
    (see :mod:`multus_forensics.mapping`). Off (``None``) by default: a mapped file truncated
    while it is read (``copytruncate`` log rotation) kills the process with ``SIGBUS``; read
    files report the truncation and keep what was read.
    ``window_bytes``: a plain uncompressed file larger than this is not read whole: it is
    checked, indexed and scanned window by window (:mod:`multus_forensics.filebytes`), so a
    parse holds about one window of its bytes plus the rows kept.
    """

    max_member_bytes: int = 2 * 1024**3
    max_depth: int = 3
    map_min_bytes: int | None = None
    window_bytes: int = 32 << 20
    max_expanded_bytes: int = 512 * 1024**2
    max_expansion_ratio: int = 16
    #: archive members read per top-level input: each costs a parse and a frame (about 4 ms
    #: and 15 KB on an idle machine), so 200k one-line members would take 15 min and 3 GiB
    max_members: int = 10_000
    #: folders never read as input (a report's own output folder, so a rerun with the output
    #: inside an input folder does not read its earlier reports back in)
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "max_member_bytes", "max_depth", "max_expanded_bytes", "max_expansion_ratio",
            "max_members", "window_bytes",
        ):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"Limits: {name} must be positive, not {getattr(self, name)}")
        if self.map_min_bytes is not None and self.map_min_bytes < 1:
            raise ValueError("Limits: map_min_bytes must be positive (or None: never map)")


@dataclass
class Budget:
    """What one top-level input may still expand to (:attr:`Limits.max_expanded_bytes`)."""

    total: int
    used: int = 0

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)

    def charge(self, n: int) -> None:
        self.used += n

    def message(self, what: str, kept: str) -> str:
        return (
            f"expansion budget of {self.total} bytes for this input used up "
            f"(Limits.max_expanded_bytes or max_expansion_ratio x its size, "
            f"--max-expanded-bytes) in {what}; {kept}, "
            "the rest of the input was not read"
        )


@dataclass(frozen=True, init=False)
class RawStream:
    """Bytes of one file or archive member, already decompressed, with provenance.

    ``bundle`` is the top-level input (the argument) the stream came from: year inference
    pools the explicit timestamps of one bundle. ``name`` is the logical path (file, then member
    path, compression suffix removed) that format detection matches file globs against.
    """

    file: str
    data: Data
    member: str | None
    mtime: datetime | None
    mtime_origin: str | None
    node_hint: str | None
    bundle: str | None
    name: str

    def __init__(
        self,
        file: str,
        data: Data,
        member: str | None = None,
        mtime: datetime | None = None,
        mtime_origin: str | None = None,
        node_hint: str | None = None,
        bundle: str | None = None,
        name: str = "",
    ) -> None:
        # one made per file: the fields go straight into the instance dict (a frozen
        # dataclass's own __init__ sets each through object.__setattr__)
        self.__dict__.update(
            file=file, data=data, member=member, mtime=mtime, mtime_origin=mtime_origin,
            node_hint=node_hint, bundle=bundle, name=name,
        )  # fmt: skip

    @property
    def label(self) -> str:
        return self.file + (f"!{self.member}" if self.member else "")


@dataclass(frozen=True)
class Unreadable:
    """An input or member that produced no stream at all (missing, denied, not followed)."""

    issue: ParseIssue
