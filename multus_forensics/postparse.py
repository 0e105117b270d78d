"""The frame-level passes after the formats, run once over many streams instead of once each.

A format parses one stream; what follows needs only frames: pod references read from the text
(row by row, :func:`~multus_forensics.formats._podrefs.fill_pod_refs`), the year a stream's own
dated records vote for (per stream, :func:`~multus_forensics.ingest.content_years.year_from_content`),
the rotation order and the years of a bundle (per bundle,
:func:`~multus_forensics.ingest.years.reanchor_bundle`) and the concatenation. Each is a few polars
operations whose fixed cost, paid per stream, is most of the cost of a 100-line file; a
must-gather has thousands of them. So streams read into memory are collected, and each pass runs
once over all of them with the same result per stream and per bundle as running it on each alone:

* pod references are a row-wise fill: one pass over the concatenated frames;
* a stream's content vote changes nothing unless a dated row of it has a full date in its text
  (:func:`~multus_forensics.ingest.content_years.streams_with_dates`, one pass): only those
  streams are voted on, each alone;
* a bundle's reanchor changes nothing unless it has both movable and explicit (or evidence)
  rows (:func:`~multus_forensics.ingest.years.year_flags`, one group-by): only those bundles
  are reanchored, each alone.

A large stream (more than :data:`DEFER_MAX_ROWS` events, or read from a mapped file, whose
pages are dropped step by step) takes both stream passes at once, as before; it still joins
its bundle here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from multus_forensics.formats._podrefs import IDENTITY, fill_pod_refs
from multus_forensics.ingest.content_years import streams_with_dates, year_from_content
from multus_forensics.ingest.layout import RotationRank, rotation_key, rotation_keys
from multus_forensics.ingest.years import reanchor_bundle, year_flags
from multus_forensics.model import ParseIssue, empty_frame, shrink_constants

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.formats.base import ParseOutput
    from multus_forensics.ingest import RawStream


#: streams of at most this many events wait for the batched passes
DEFER_MAX_ROWS: Final = 65_536


@dataclass(slots=True)  # one per stream: slots fill faster than an instance dict
class _Stream:
    """One stream's frame, where it goes, and the list its year notes go to."""

    bundle: int
    key: tuple[int, RotationRank, int]
    frame: pl.DataFrame
    file: str
    member: str | None
    deferred: bool
    notes: list[ParseIssue]
    #: rows of the stream
    height: int = 0
    #: where they start in ``frame`` (until the stream passes)
    offset: int = 0
    #: where its rows are in the concatenated deferred frames (``frame`` then holds no rows);
    #: -1: in ``frame`` (read alone, or re-dated by its records)
    start: int = -1
    #: rows of it were cut (:mod:`multus_forensics.rowcut`)
    cut: bool = False


@dataclass
class StreamFrames:
    """Parsed streams of one ``parse`` call, in the order read, finished by :meth:`finish`."""

    streams: list[_Stream] = field(default_factory=list)
    _bundle_name: str | None = None
    _bundles: int = 0
    _first_seen: dict[str, int] = field(default_factory=dict)
    _in_bundle: int = 0
    #: the stream number (among deferred streams) of each row of the concatenated frames
    _numbers: pl.Series | None = None
    #: a bundle holding a cut stream had its years moved (that reads every row's stamp)
    cut_reanchored: bool = False

    def add(
        self,
        raw: RawStream,
        frame: pl.DataFrame,
        release: Callable[[], None] | None,
        notes: list[ParseIssue],
        start: int = 0,
        height: int | None = None,
        *,
        cut: bool = False,
    ) -> bool:
        """Take one stream's frame (pod references not yet filled); its year notes go to
        ``notes``, now (True) or when :meth:`finish` runs (False).

        ``frame`` is taken over (:func:`align_chunks` rewrites its columns in place).

        ``start``, ``height``: the stream's events are those rows of ``frame`` (a batch of small
        files shares one frame; neighbouring streams' rows are joined as one run, uncut).

        ``release`` (a mapped stream's page dropper) makes the stream passes run now, in steps,
        and so does a stream of more than :data:`DEFER_MAX_ROWS` events (its passes' fixed cost
        is paid back; joined with the others, its columns would be copied once more).
        """
        key = self._key(raw, rotation_key(_logical(raw)))
        height = frame.height if height is None else height
        deferred = release is None and height <= DEFER_MAX_ROWS
        if not deferred and (start or height != frame.height):
            frame, start = frame.slice(start, height), 0
        if not deferred:
            frame = fill_pod_refs(frame, release)
            align_chunks(frame, IDENTITY)
            frame, now = year_from_content(frame, raw.file, raw.member, release)
            notes.extend(now)
        self.streams.append(
            _Stream(
                self._bundles, key, frame, raw.file, raw.member, deferred, notes, height,
                offset=start, cut=cut,
            )
        )  # fmt: skip
        return not deferred

    def _key(
        self, raw: RawStream, rotation: tuple[str, RotationRank]
    ) -> tuple[int, RotationRank, int]:
        """The next stream's place in its bundle: (its rotation set's first stream, its rank
        in the set, its own number); a stream of another bundle than the last starts one.
        ``rotation``: its :func:`rotation_key`."""
        if not self.streams or raw.bundle != self._bundle_name:
            self._bundles += 1
            self._bundle_name = raw.bundle
            self._first_seen = {}
            self._in_bundle = 0
        set_id, rank = rotation
        seq = self._in_bundle
        self._in_bundle += 1
        return self._first_seen.setdefault(set_id, seq), rank, seq

    def add_outputs(
        self, raws: list[RawStream], outs: list[ParseOutput], notes: list[list[ParseIssue]]
    ) -> None:
        """:meth:`add` of each stream read into memory, with its format's output (a batch's
        rows stay where they are), in one loop: a batch of small files holds thousands.

        A batch's frame is made one chunk here, once: its careful rows were put among the
        scanned ones as slices (tens of chunks per batch), and every pass after the formats
        pays per chunk and column; copied now, the copy reuses the memory the previous
        batch's pieces were freed from (one copy of all the batches at the end is fresh
        memory, a page fault every 4 KiB)."""
        from multus_forensics.formats.base import BatchRows

        streams, key, limit = self.streams, self._key, DEFER_MAX_ROWS
        rotations = rotation_keys([_logical(raw) for raw in raws])
        whole: dict[int, pl.DataFrame] = {}  # each batch's frame, as one chunk
        for raw, out, own, rotation in zip(raws, outs, notes, rotations, strict=True):
            if type(out) is BatchRows:
                frame = whole.get(id(out.shared))
                if frame is None:
                    frame = whole[id(out.shared)] = out.shared.rechunk()
                start, height = out.start, out.height
            else:
                frame, start, height = out.events, 0, out.events.height
            if height > limit:  # its passes now (see add)
                self.add(raw, frame, None, own, start, height)
                continue
            place = key(raw, rotation)  # first: it may start the stream's bundle
            streams.append(
                _Stream(
                    self._bundles, place, frame, raw.file, raw.member, True, own, height,
                    offset=start,
                )
            )  # fmt: skip

    def finish(self) -> pl.DataFrame:
        """Every stream's events: pod references, content years, bundle order and years."""
        import polars as pl

        if not self.streams:
            return empty_frame()
        joined = self._stream_passes()
        flags = self._flags(joined)
        seq: list[_Stream | pl.DataFrame] = []  # in order: streams, and reanchored bundles
        by_bundle: dict[int, list[_Stream]] = {}
        for s in self.streams:
            by_bundle.setdefault(s.bundle, []).append(s)
        for bundle, members in by_bundle.items():
            ordered = sorted(members, key=lambda s: s.key)
            movable, anchored = flags.get(bundle, (False, False))
            if movable and anchored:
                self.cut_reanchored = self.cut_reanchored or any(s.cut for s in members)
                frames = [_rows(s, joined) for s in ordered]
                seq.append(reanchor_bundle(pl.concat(frames, how="vertical")))
            else:
                seq.extend(ordered)
        out = _runs(seq, joined)  # runs of joined rows across bundles as one slice each
        frame = shrink_constants(out[0] if len(out) == 1 else pl.concat(out, how="vertical"))
        # every column cut where `line` is: the constant columns are rewritten in one chunk,
        # and a frame whose columns are chunked differently can block polars' serializer (a
        # batch worker pickling its result hung on one); zero-copy slices, copying only those
        align_chunks(frame, tuple(frame.columns))
        return frame

    def _stream_passes(self) -> pl.DataFrame | None:
        """The deferred streams' frames concatenated, their pod references filled; each stream
        is then a run of its rows (``start``), or, re-dated by its own records, a frame again."""
        import polars as pl

        deferred = [s for s in self.streams if s.deferred]
        if not deferred:
            return None
        heights = [s.height for s in deferred]
        # the rows stay where the formats put them (a batch's in one chunk: add_outputs), not
        # copied again into one chunk: each piece's columns are cut into its rows' chunks, so
        # the joined frame's are aligned and polars has none to copy later
        pieces = _pieces(deferred)
        for piece in pieces:
            align_chunks(piece, tuple(piece.columns))
        joined = pieces[0] if len(pieces) == 1 else pl.concat(pieces, how="vertical", rechunk=False)
        joined = fill_pod_refs(joined)
        align_chunks(joined, IDENTITY)
        # stream number of each row (numpy's repeat would cost its import on every parse)
        ends = pl.Series(list(itertools.accumulate(heights)), dtype=pl.Int64)
        rows = pl.int_range(0, int(ends[-1]), eager=True, dtype=pl.Int64)
        self._numbers = ends.search_sorted(rows, side="right").cast(pl.UInt32)
        dated = streams_with_dates(joined, self._numbers)
        start = 0
        nothing = empty_frame()
        for k, s in enumerate(deferred):
            s.start, s.frame = start, nothing
            start += s.height
            if k in dated:
                own = joined.slice(s.start, s.height)
                redated, notes = year_from_content(own, s.file, s.member)
                s.notes.extend(notes)
                if redated is not own:
                    s.start, s.frame = -1, redated
        return joined

    def _flags(self, joined: pl.DataFrame | None) -> dict[int, tuple[bool, bool]]:
        """Per bundle: whether it has movable rows, and explicit or evidence rows (the two
        things :func:`reanchor_bundle` needs to change anything)."""
        import polars as pl

        per_stream: list[tuple[int, tuple[bool, bool]]] = []
        if joined is not None and self._numbers is not None:
            # each row's bundle (0, never a bundle's number, for a stream re-dated since):
            # one group per bundle, not one per stream
            bundles = [s.bundle if s.start >= 0 else 0 for s in self.streams if s.deferred]
            of_row = pl.Series(bundles, dtype=pl.UInt32).gather(self._numbers)
            found = year_flags(joined, of_row)
            per_stream += [(b, f) for b, f in found.items() if b]
        for s in self.streams:
            if s.start < 0:  # read alone, or re-dated since
                zero = pl.Series([0], dtype=pl.UInt32).new_from_index(0, s.frame.height)
                one = year_flags(s.frame, zero)
                per_stream.append((s.bundle, one.get(0, (False, False))))
        flags: dict[int, tuple[bool, bool]] = {}
        for bundle, (movable, anchored) in per_stream:
            m, a = flags.get(bundle, (False, False))
            flags[bundle] = (m or movable, a or anchored)
        return flags


def _logical(raw: RawStream) -> str:
    """The stream's path, its members as folders (what :func:`rotation_key` reads)."""
    return "/".join([raw.file, *raw.member.split("!")]) if raw.member else raw.file


def align_chunks(df: pl.DataFrame, columns: tuple[str, ...]) -> None:
    """Cut ``columns`` of ``df``, in place, into the chunks of its other columns (``line``'s).

    A fast path's frame has one chunk per scanned block; the pod-reference pass rewrites its
    identity columns whole, in one chunk. polars would align the frame at its next operation
    by copying every other column's views into one chunk (a transient of half the file's size
    on a busy journal, freed in pieces the allocator keeps). Zero-copy slices of the rewritten
    columns align them instead (a column chunked otherwise is first made one chunk: only it is
    copied).
    """
    import polars as pl

    lengths = df.get_column("line").chunk_lengths()
    for name in columns:
        col = df.get_column(name)
        if col.chunk_lengths() == lengths:
            continue
        col = col.rechunk()
        if len(lengths) > 1:
            parts, start = [], 0
            for n in lengths:
                parts.append(col.slice(start, n))
                start += n
            col = pl.concat(parts, rechunk=False)
        df.replace_column(df.get_column_index(name), col)


def _pieces(streams: list[_Stream]) -> list[pl.DataFrame]:
    """The streams' rows as frames to concatenate: neighbouring rows of one frame (a batch
    of small files) as one slice."""
    out: list[pl.DataFrame] = []
    frame, lo, hi = None, 0, 0
    for s in streams:
        if s.frame is frame and s.offset == hi:
            hi += s.height
            continue
        if frame is not None:
            out.append(frame if lo == 0 and hi == frame.height else frame.slice(lo, hi - lo))
        frame, lo, hi = s.frame, s.offset, s.offset + s.height
    if frame is not None:
        out.append(frame if lo == 0 and hi == frame.height else frame.slice(lo, hi - lo))
    return out


def _rows(s: _Stream, joined: pl.DataFrame | None) -> pl.DataFrame:
    """The stream's events, wherever they are."""
    return s.frame if s.start < 0 or joined is None else joined.slice(s.start, s.height)


def _runs(ordered: list[_Stream | pl.DataFrame], joined: pl.DataFrame | None) -> list[pl.DataFrame]:
    """The streams' frames (and frames) in order, neighbouring runs of ``joined`` as one slice."""
    out: list[pl.DataFrame] = []
    run_start = run_end = -1
    for s in ordered:
        if not isinstance(s, _Stream):
            if run_start >= 0 and joined is not None:
                out.append(joined.slice(run_start, run_end - run_start))
                run_start = run_end = -1
            out.append(s)
            continue
        if s.start >= 0 and s.start == run_end:
            run_end += s.height
            continue
        if run_start >= 0 and joined is not None:
            out.append(joined.slice(run_start, run_end - run_start))
            run_start = run_end = -1
        if s.start >= 0:
            run_start, run_end = s.start, s.start + s.height
        else:
            out.append(s.frame)
    if run_start >= 0 and joined is not None:
        out.append(joined.slice(run_start, run_end - run_start))
    return out
