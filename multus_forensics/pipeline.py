"""``parse()``: inputs to an :class:`EventLog`, with the line accounting checked per stream.

Streams are read one at a time (only one decompressed member is in memory), parsed, and their
frames kept. What follows needs only frames and is done once over all of them
(:mod:`multus_forensics.postparse`, so a thousand small files do not pay it a thousand times):
older pod references read from the text, each stream's one year policy from the full dates in
its own records (:func:`multus_forensics.ingest.content_years.year_from_content`), and per
bundle (one top-level input) rotated sets put oldest-first (``kubelet.log.2.gz``,
``kubelet.log.1``, ``kubelet.log``) and year-less events re-anchored on the bundle's full
timestamps (:func:`multus_forensics.ingest.years.reanchor_bundle`).
"""

from __future__ import annotations

import errno
import mmap
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

from multus_forensics import notlog
from multus_forensics.errors import (
    InputError,
    InputNotFoundError,
    MultusForensicsError,
    ParseError,
)
from multus_forensics.eventlog import EventLog, ParseStats
from multus_forensics.filebytes import Shrank
from multus_forensics.formats._podrefs import fill_pod_refs
from multus_forensics.formats.base import (
    BatchRows,
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
)
from multus_forensics.gcpause import gc_paused
from multus_forensics.ingest import Limits, RawStream, Unreadable, decode, iter_inputs
from multus_forensics.ingest.content_years import year_from_content
from multus_forensics.ingest.paste import strip_paste_decoration
from multus_forensics.ingest.sources import clean, count_inputs, shrank_while_parsed
from multus_forensics.mapping import release
from multus_forensics.model import FileStats, ParseIssue
from multus_forensics.postparse import StreamFrames
from multus_forensics.registry import detect, get_format
from multus_forensics.rowcut import ADDS_NEED_ROWS, CutState, has_adds, whole_reason
from multus_forensics.sniffgroup import GROUP_BYTES, Known, runs
from multus_forensics.timeutil import YearAnchor

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.rowcut import RowCut

OnError = Literal["collect", "warn", "raise"]
Progress = Callable[[int, int], None]


def _anchor(src: TextSource, year: int | None) -> YearAnchor:
    if year is not None:
        return YearAnchor(year=year, source="argument")
    if src.mtime is not None:
        return YearAnchor(reference=src.mtime, source=src.mtime_origin or "file-mtime")
    return YearAnchor()


def parse_source(
    src: TextSource,
    *,
    format: str | None = None,  # noqa: A002 - the public keyword is "format"
    ctx: ParseContext | None = None,
    name: str | None = None,
    fill_refs: bool = True,
) -> tuple[FileStats, pl.DataFrame | None, list[ParseIssue]]:
    """Detect the format of one decoded source, parse it and check its line accounting.

    ``name`` is the logical path matched against file globs (default: file, then member).
    ``fill_refs=False`` leaves the older pod-reference forms to the caller (``parse`` fills
    them once over many streams: :mod:`multus_forensics.postparse`).
    Returns the coverage row, the events (``None`` when nothing was parsed) and the issues. An
    accounting mismatch is a bug in the format and raises :class:`AssertionError`.
    """
    fs, fmt, unparsed = _choose(src, format, name)
    if fmt is None:
        return fs, None, unparsed
    try:
        out = fmt.parse(src, ctx or ParseContext())
    except Shrank as exc:  # a file read by offset, truncated under us
        return fs, None, [shrank_while_parsed(src.file, src.member, fs, exc)]
    return _account(src, fs, fmt, out, fill_refs)


def _choose(
    src: TextSource, forced: str | None, name: str | None
) -> tuple[FileStats, LogFormat | None, list[ParseIssue]]:
    """The source's coverage row and format; without a format, the row is complete and the
    issues say why nothing was parsed."""
    size = len(src.data) if src.data is not None else len(src.text)  # keep the text undecoded
    fs = FileStats(src.file, src.member, bytes=size, lines=src.line_count)
    head = src.head()
    if not head:  # empty or whitespace only: nothing to parse, nothing lost
        fs.blank_lines = src.line_count
        return fs, None, []
    label = src.file + (f"!{src.member}" if src.member else "")
    not_log = notlog.by_name(name or label, head) if forced is None else None
    if not_log is not None:
        return _unparsed(src, fs, f"not a log: {not_log}", not_log=True)
    try:
        fmt, why = detect(name or label, head, forced)
    except MultusForensicsError as exc:
        return _unparsed(src, fs, str(exc))
    if fmt is None:
        if (code := notlog.by_content(head)) is not None:
            return _unparsed(src, fs, f"not a log: {code}", not_log=True)
        fmt = _past_preamble(src, name or label, head)
        if fmt is None:
            return _unparsed(src, fs, f"not parsed: {why}")
    fs.format = fmt.name
    return fs, fmt, []


#: non-blank lines read when a file's head is claimed by no format (:func:`_past_preamble`)
DEEP_HEAD: Final = 400


def _past_preamble(src: TextSource, label: str, head: list[str]) -> LogFormat | None:
    """The format of the lines after an unclaimed head, when they have one.

    A kubelet container's log starts with its entrypoint's shell trace (``+ exec kubelet ...``)
    and a banner of ``Flag --...`` lines; a script may print a page before it starts a daemon.
    The formats are sniffed again on the next lines: the file is then parsed whole by that
    format, which reports the preamble's lines as it reports any line it cannot read.
    """
    rest = src.head(DEEP_HEAD)[len(head) :]
    if not rest:  # the head was the whole file
        return None
    try:
        fmt, _ = detect(label, rest)
    except MultusForensicsError:  # formats tie on the rest too: the head's verdict stands
        return None
    return fmt


def _account(
    src: TextSource, fs: FileStats, fmt: LogFormat, out: ParseOutput, fill_refs: bool
) -> tuple[FileStats, pl.DataFrame, list[ParseIssue]]:
    """``fs`` completed from the format's output, the line accounting checked."""
    # older pod-reference forms, whichever path parsed; text read in steps, pages dropped
    if fill_refs:
        out.events = fill_pod_refs(out.events, _releaser(src))
    _count(src, fs, fmt, out)
    return fs, out.events, out.issues


def _count(src: TextSource, fs: FileStats, fmt: LogFormat, out: ParseOutput) -> None:
    """``fs`` completed from the format's output, the line accounting checked (a batch's
    shared rows are counted where they are)."""
    fs.events = out.height if isinstance(out, BatchRows) else out.events.height
    if out.event_lines is not None:
        fs.event_lines = out.event_lines
    else:
        fs.event_lines = int(out.events["nlines"].sum()) if out.events.height else 0
    fs.events += out.cut_rows  # one-line events a cut dropped: read, counted, not kept
    fs.event_lines += out.cut_rows
    issues = out.issues
    fs.issue_lines = (
        sum(1 for i in issues if i.severity == "error" and i.line is not None) if issues else 0
    )
    fs.blank_lines = out.blank_lines
    fs.header_lines = out.header_lines
    if not fs.balanced:
        label = src.file + (f"!{src.member}" if src.member else "")
        raise AssertionError(
            f"{label}: line accounting broken in format {fmt.name}: {fs.lines} lines read, "
            f"{fs.event_lines} in events, {fs.issue_lines} reported, {fs.blank_lines} blank, "
            f"{fs.header_lines} header"
        )


def parse_stream(
    item: RawStream,
    *,
    format: str | None = None,  # noqa: A002 - the public keyword is "format"
    year: int | None = None,
    zone: tzinfo | None = None,
    now: datetime | None = None,
) -> tuple[FileStats, pl.DataFrame | None, list[ParseIssue]]:
    """One raw stream decoded, parsed and dated from its own records: what :func:`parse` does
    per stream before the bundle's steps, on its own so that batch workers can run it.

    The issues are in the order :func:`parse` reports them (decoding, parsing, years).
    """
    src, issues = decode(item)
    src, paste_issues = strip_paste_decoration(src)
    issues += paste_issues
    ctx = ParseContext(_anchor(src, year), zone, now)
    fs, frame, parse_issues = parse_source(src, format=format, ctx=ctx, name=item.name)
    fs.bytes = len(item.data)
    issues += parse_issues
    if frame is not None:
        frame, year_issues = year_from_content(frame, src.file, src.member, _releaser(src))
        issues += year_issues
    return fs, frame, issues


#: small files parsed together hold at most this many bytes (one joined copy of them): a few
#: thousand files share a batch's setup, and its buffers are reused by the next batch rather
#: than mapped afresh (a folder of 10-line files: 64 MiB batches took ~30% more page faults).
#: An admission group's bytes (:mod:`multus_forensics.sniffgroup`): a group's run of files is
#: one batch, which reads the line table the admission made
SMALL_BATCH_BYTES: Final = GROUP_BYTES


@dataclass
class _SmallFiles:
    """Consecutive small sources of one format, parsed together (``LogFormat.parse_batch``):
    a format's per-file setup is paid once per batch instead of once per file. The sources
    are kept as parallel lists, taken a run at a time (:meth:`add_run`)."""

    fmt: LogFormat | None = None
    streams: list[RawStream] = field(default_factory=list)
    srcs: list[TextSource] = field(default_factory=list)
    ctxs: list[ParseContext] = field(default_factory=list)
    stats: list[FileStats] = field(default_factory=list)
    #: each source's places in the parse's issues: its issues, then its year notes
    issues: list[list[ParseIssue]] = field(default_factory=list)
    notes: list[list[ParseIssue]] = field(default_factory=list)
    size: int = 0
    #: what an admission built over texts the waiting sources are, in order from its text
    #: ``first`` (:attr:`Known.table`); None: they are not, the batch reads them afresh
    table: object | None = None
    first: int = 0

    def add_run(
        self,
        fmt: LogFormat,
        streams: list[RawStream],
        srcs: list[TextSource],
        ctxs: list[ParseContext],
        stats: list[FileStats],
        places: tuple[list[list[ParseIssue]], list[list[ParseIssue]]],
        flush: Callable[[], None],
        table: object | None = None,
        first: int = 0,
    ) -> None:
        """Take consecutive sources of ``fmt``; ``flush`` parses the waiting ones first
        whenever a source cannot join them (another format, or past
        :data:`SMALL_BATCH_BYTES`: a batch takes its first source whatever its size), and
        when they are texts of another admission's ``table`` than these (texts ``first ..``
        of it): a batch then reads one group's table."""
        sizes = [_size(src) for src in srcs]
        at, n = 0, len(srcs)
        if table is not None and self.table is not None and self.table is not table:
            flush()
        while at < n:
            if self.fmt is not None and self.fmt.name != fmt.name:
                flush()
            end, size = at, self.size
            if self.fmt is None:
                end, size = at + 1, size + sizes[at]
            while end < n and size + sizes[end] <= SMALL_BATCH_BYTES:
                end, size = end + 1, size + sizes[end]
            if not self.srcs:
                self.table, self.first = table, first + at
            elif table is not self.table or self.first + len(self.srcs) != first + at:
                self.table = None  # not one table's texts in order: read afresh
            self.fmt, self.size = fmt, size
            self.streams += streams[at:end]
            self.srcs += srcs[at:end]
            self.ctxs += ctxs[at:end]
            self.stats += stats[at:end]
            self.issues += places[0][at:end]
            self.notes += places[1][at:end]
            if end < n:
                flush()
            at = end

    def parse(
        self,
    ) -> tuple[list[RawStream], list[list[ParseIssue]], list[list[ParseIssue]], list[ParseOutput]]:
        """The waiting sources parsed: their streams, issue places and notes places, and
        their outputs (events counted, accounting checked); none wait after."""
        fmt, srcs, ctxs, stats = self.fmt, self.srcs, self.ctxs, self.stats
        taken = (self.streams, self.issues, self.notes)
        shared = None if self.table is None else (self.table, self.first)
        self.fmt, self.size, self.table = None, 0, None
        self.streams, self.srcs, self.ctxs, self.stats = [], [], [], []
        self.issues, self.notes = [], []
        if fmt is None or not srcs:
            return [], [], [], []
        # alone: exactly the per-file path
        if len(srcs) == 1:
            outs = [fmt.parse(srcs[0], ctxs[0])]
        else:
            outs = fmt.parse_batch(srcs, ctxs, shared)
        for src, fs, out in zip(srcs, stats, outs, strict=True):
            _count(src, fs, fmt, out)
        return (*taken, outs)


def _size(src: TextSource) -> int:
    return len(src.data) if src.data is not None else len(src.text)


def not_a_stream(
    item: object, stats: ParseStats, report: Callable[[list[ParseIssue]], None]
) -> bool:
    """Whether ``item`` from the inputs is no stream to parse (an unreadable input, counted as
    a skipped file, or an issue), after reporting it."""
    if isinstance(item, Unreadable):
        stats.files.append(FileStats(item.issue.file, item.issue.member, skipped=item.issue.reason))
        report([item.issue])
        return True
    if isinstance(item, ParseIssue):
        report([item])
        return True
    return False


def _releaser(src: TextSource) -> Callable[[], None] | None:
    """Drops the resident pages of a mapped source (frames may view its bytes), else None."""
    data = src.data
    if not isinstance(data, mmap.mmap):
        return None
    return lambda: release(data)


def _check_exist(inputs: Sequence[str]) -> None:
    """Raise :class:`InputNotFoundError` for the first input path that names nothing."""
    import glob

    for path in inputs:
        if path == "-" or os.path.lexists(path):
            continue
        if glob.has_magic(path):
            if glob.glob(path, recursive=True):
                continue
            raise InputNotFoundError(errno.ENOENT, "glob pattern matched no file", path)
        raise InputNotFoundError(errno.ENOENT, "no such file or directory", path)


def _unparsed(
    src: TextSource, fs: FileStats, reason: str, *, not_log: bool = False
) -> tuple[FileStats, None, list[ParseIssue]]:
    """A stream read but not parsed: every non-blank line counts as unparsed, and says so."""
    blank = sum(1 for line in src.lines if not line.strip())
    fs.skipped, fs.not_log = reason, not_log
    fs.blank_lines, fs.issue_lines = blank, fs.lines - blank
    text = f"{reason}; its {fs.issue_lines} non-blank lines are not in any event"
    return fs, None, [ParseIssue(src.file, src.member, None, text)]


@gc_paused()  # a folder of small files keeps tens of thousands of records alive until the end
def parse(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,  # noqa: A002 - the public keyword is "format"
    year: int | None = None,
    tz: str | None = None,
    now: datetime | None = None,
    on_error: OnError | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
    cut: RowCut | None = None,
) -> EventLog:
    """Parse files, directories, globs, archives or ``-`` (stdin) into one :class:`EventLog`.

    ``format`` forces a format for every input; ``year`` pins the year of year-less timestamps;
    ``tz`` (an IANA zone name) is the zone of zone-less timestamps (default UTC); ``now`` anchors
    relative ages such as ``3m25s`` when the input has no timestamp of its own.

    ``on_error`` decides what an issue does. By default (``None``) issues are collected, but a
    path that does not exist (or a glob matching no file) raises
    :class:`~multus_forensics.errors.InputNotFoundError`, a :class:`FileNotFoundError`: a typo
    must not read as an empty, healthy log. ``collect`` keeps every issue in ``.issues``, a
    missing path included (it is one error issue and one skipped row in ``.stats``);
    ``warn`` keeps them and also emits each as a :class:`UserWarning`; ``raise`` raises
    :class:`ParseError` (carrying the issue) at the first *error* -- a line in no event, an input
    that cannot be read, a damaged or over-cap stream -- while warnings are only collected.

    ``limits`` bounds decompression (:class:`~multus_forensics.ingest.Limits`); ``progress``
    is called as ``progress(done, total)`` with counts of top-level files.

    ``cut`` (for a diagnosis, :mod:`multus_forensics.rowcut`) drops the rows no diagnosis reads
    from large journals while they are parsed; the log's ``cut`` then says how many, and why
    the whole input is needed after all, if it is. Statistics count every row.
    """

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    inputs = [os.fspath(p) for p in paths]
    if on_error not in (None, "collect", "warn", "raise"):
        raise ValueError(f"on_error must be collect, warn or raise, not {on_error!r}")
    if on_error is None:
        _check_exist(inputs)
    if format is not None:
        get_format(format)  # an unknown name fails once, with a suggestion, not per file
    zone: tzinfo | None
    try:
        zone = ZoneInfo(tz) if tz else None
    except (KeyError, ValueError) as exc:
        raise InputError(f"unknown time zone {tz!r}") from exc

    # issues in the order found; a later pass fills the lists it was given in the meantime
    chunks: list[list[ParseIssue]] = []
    late: list[list[ParseIssue]] = []
    stats = ParseStats()
    streams = StreamFrames()
    small = _SmallFiles()
    # with year=, every source has the same (immutable) context: made once
    pinned = (
        None if year is None else ParseContext(YearAnchor(year=year, source="argument"), zone, now)
    )
    total = count_inputs(inputs) if progress else 0
    current = -1
    state = CutState()
    cut_before = 0
    cutting: list[RowCut | None] = [cut]  # None once a cut could only be refused

    def report(new: list[ParseIssue]) -> None:
        for issue in new:
            if on_error == "raise" and issue.severity == "error":
                raise ParseError(issue)
            if on_error == "warn":
                warnings.warn(str(issue), UserWarning, stacklevel=3)
        chunks.append(new)

    def later() -> list[ParseIssue]:
        chunks.append([])  # a small file's place in the issues: filled when its batch is parsed
        return chunks[-1]

    def keep(
        item: RawStream, src: TextSource, parsed: list[pl.DataFrame], cut: bool = False
    ) -> None:
        notes: list[ParseIssue] = []
        if streams.add(item, parsed.pop(), _releaser(src), notes, cut=cut):
            report(notes)
        else:
            chunks.append(notes)
            late.append(notes)

    def flush() -> None:
        raws, issues, notes, outs = small.parse()
        for place, out in zip(issues, outs, strict=True):
            if out.issues:
                place.extend(out.issues)
        streams.add_outputs(raws, outs, notes)
        if cutting[0] is not None:  # a batch's outputs share one frame: each asked once
            seen: set[int] = set()
            for out in outs:
                frame = out.shared if isinstance(out, BatchRows) else out.events
                if id(frame) not in seen:
                    seen.add(id(frame))
                    added(frame)

    def added(frame: pl.DataFrame) -> None:
        """Interface adds in ``frame`` need every row of their pods: no stream is cut after
        them, and one cut before them makes the whole input needed (parsed again whole)."""
        if has_adds(frame):
            cutting[0] = None
            if state.rows:
                state.whole = state.whole or ADDS_NEED_ROWS

    def alone(
        item: RawStream, src: TextSource, ctx: ParseContext, fs: FileStats, fmt: LogFormat
    ) -> None:
        nonlocal cut_before
        flush()
        try:
            out = fmt.parse(src, ctx if cutting[0] is None else replace(ctx, cut=cutting[0]))
        except Shrank as exc:  # a file read by offset, truncated under us
            report([shrank_while_parsed(src.file, src.member, fs, exc)])
            return
        if out.cut_rows:
            state.rows += out.cut_rows
            state.whole = state.whole or out.cut_whole
        _, frame, parse_issues = _account(src, fs, fmt, out, fill_refs=False)
        del out
        if cutting[0] is not None:
            added(frame)
        report(parse_issues)
        parsed = [frame]
        del frame  # handed over: postparse rewrites its columns in place, a column at a time
        keep(item, src, parsed, cut=state.rows > cut_before)
        cut_before = state.rows

    def take(run: Known) -> None:
        """A run of streams the group's admission decided (clean, undecorated, detected and
        batchable): their sources, contexts and coverage rows made for the run at once."""
        fmt, raws, lines = run.fmt, run.streams, run.lines
        srcs = [clean(raw, n) for raw, n in zip(raws, lines, strict=True)]
        if pinned is not None:
            ctxs = [pinned] * len(srcs)
        else:
            ctxs = [ParseContext(_anchor(src, year), zone, now) for src in srcs]
        name = fmt.name
        rows = [
            FileStats(raw.file, raw.member, name, len(raw.data), n)
            for raw, n in zip(raws, lines, strict=True)
        ]
        stats.files += rows
        if not batching:
            for raw, src, ctx, fs in zip(raws, srcs, ctxs, rows, strict=True):
                alone(raw, src, ctx, fs, fmt)
            return
        places: list[list[ParseIssue]] = [[] for _ in range(2 * len(srcs))]
        chunks.extend(places)  # each file's issues, then its notes: filled when parsed
        small.add_run(
            fmt, raws, srcs, ctxs, rows, (places[0::2], places[1::2]), flush, run.table, run.first
        )

    batching = on_error in (None, "collect")
    for entry in runs(iter_inputs(inputs, limits), format):
        if state.whole is not None:
            break  # the caller parses again whole: the rest would be read for nothing
        if isinstance(entry, Known):
            if progress:
                for index in entry.indexes:
                    if index != current:
                        if current >= 0:
                            progress(current + 1, total)
                        current = index
            take(entry)
            continue
        index, item = entry
        if progress and index != current:
            if current >= 0:
                progress(current + 1, total)
            current = index
        if type(item) is not RawStream and not_a_stream(item, stats, report):
            continue
        assert isinstance(item, RawStream)
        src, decode_issues = decode(item)
        src, paste_issues = strip_paste_decoration(src)
        decode_issues += paste_issues
        if decode_issues:
            report(decode_issues)
        ctx = pinned if pinned is not None else ParseContext(_anchor(src, year), zone, now)
        fs, chosen, unparsed = _choose(src, format, item.name)
        fs.bytes = len(item.data)
        stats.files.append(fs)
        if chosen is None:
            report(unparsed)
            continue
        if batching and chosen.batchable(src, ctx):
            small.add_run(chosen, [item], [src], [ctx], [fs], ([later()], [later()]), flush)
            continue
        alone(item, src, ctx, fs, chosen)
    flush()
    frame = streams.finish()
    if on_error == "warn":
        for notes in late:
            for issue in notes:  # year notes are warnings: collected, never raised
                warnings.warn(str(issue), UserWarning, stacklevel=2)
    if progress:
        progress(total, total)
    issues = [issue for chunk in chunks for issue in chunk]
    log = EventLog(frame, issues, stats)
    if cut is not None:
        if streams.cut_reanchored:
            state.whole = state.whole or "a cut stream's years were moved with its bundle's"
        if state.rows and state.whole is None:
            state.whole = whole_reason(log, cut.spec)
        log.cut = state
    return log
