"""One bundle analysed stream by stream: its members parsed on every worker, merged in order.

:func:`run_batch` spreads *inputs* over workers, so one 8-node must-gather runs on one worker.
:func:`parse_streams` spreads the *streams* of the inputs (files and archive members, as
:mod:`multus_forensics.ingest` walks them): this process walks and decompresses the inputs one
member at a time and hands each stream to a worker, which decodes, parses and dates it
(:func:`multus_forensics.pipeline.parse_stream`), cuts it to the rows an analysis can read
(:mod:`.compact`) and sends back lz4 Arrow IPC, its coverage row, its issues and the few year
facts the bundle's re-anchoring needs (:class:`~multus_forensics.ingest.years.YearFacts`).
Results are merged in walk order exactly as :func:`multus_forensics.parse` merges them (rotated
sets oldest first, years re-anchored per bundle), so with ``keep=None`` the log equals
``parse()``'s and with a :class:`~.compact.KeepSpec` its timelines, findings and reports do.
With ``match`` a worker also matches the packaged rules over the stream's kept rows and reads
its unparsed lines (:mod:`multus_forensics.classify.partial`), so the diagnosis of the merged
log neither matches those rows again nor decompresses the bundle a second time.

Workers of the local pool read each stream from a spool file this process writes (a member is
never held here longer than it takes to write it); Dask workers receive its bytes. At most
``2 * workers`` streams are in flight, so memory follows the largest stream: the parent holds
one member being written plus the kept rows of the streams done.
"""

from __future__ import annotations

import io
import os
import resource
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.batch.runner import (
    Mode,
    ParseOptions,
    _dask_client,
    _mp_context,
    _worker_count,
    _worker_init,
    active_dask_client,
)
from multus_forensics.errors import MultusForensicsError, ParseError
from multus_forensics.eventlog import EventLog, ParseStats
from multus_forensics.filebytes import FileBytes
from multus_forensics.model import FileStats, ParseIssue

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.batch.compact import KeepSpec
    from multus_forensics.classify.partial import Matches, StreamMatches
    from multus_forensics.ingest import RawStream
    from multus_forensics.ingest.years import YearFacts


#: inputs smaller than this on disk are parsed in this process unless ``workers`` is given: a
#: pool costs a second or more to start (an interpreter and polars per worker), more than
#: parsing a few MiB takes
POOL_MIN_BYTES: Final = 16 * 1024**2


def input_bytes(paths: Sequence[str]) -> int:
    """Bytes the inputs take on disk (directories walked; stdin and globs count as nothing)."""
    total = 0
    for path in paths:
        try:
            if os.path.isfile(path):
                total += os.path.getsize(path)
            elif os.path.isdir(path):
                for root, _, files in os.walk(path):
                    total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        except OSError:
            continue  # the parse reports what cannot be read
    return total


@dataclass(frozen=True)
class StreamTask:
    """One stream to parse: its provenance, and its bytes inline or in a spool file."""

    raw: RawStream
    spool: str | None = None
    #: with a row cut: where the stream's kept rows are written, read back only when the
    #: diagnosis needs every row after all (an interface add in some stream)
    spill: str | None = None


@dataclass
class StreamResult:
    """What a worker sends back for one stream (events as lz4 Arrow IPC, never objects)."""

    file: str
    member: str | None
    bundle: str | None
    stats: FileStats
    issues: list[ParseIssue]
    events_ipc: bytes = b""
    years: YearFacts | None = None
    #: the packaged rules' hits on the kept rows, when asked (``match``)
    matches: StreamMatches | None = None
    #: with ``match``: the events of lines no format took, as the diagnosis would read them
    #: again from the file (:func:`~multus_forensics.classify.fallback.stream_unrecognised`),
    #: lz4 Arrow IPC; ``None`` when not read here (ingestion limits other than the defaults,
    #: which the diagnosis' reading does not apply)
    unread_ipc: bytes | None = None
    rows: int = 0  # events parsed
    kept: int = 0  # events sent back
    #: with a row cut (``task.spill``): the file holding the ``kept`` rows, while
    #: ``events_ipc`` holds only those a diagnosis reads when no stream has an interface add
    spill: str | None = None
    #: with a row cut: why the diagnosis needs every kept row of the input (an interface add)
    whole: str | None = None
    seconds: float = 0.0
    pid: int = 0
    peak_rss_kb: int = 0

    def frame(self) -> pl.DataFrame | None:
        import polars as pl

        return pl.read_ipc(io.BytesIO(self.events_ipc)) if self.events_ipc else None


def parse_stream_task(
    task: StreamTask,
    options: ParseOptions,
    keep: KeepSpec | None = None,
    match: bool = False,
    cut: bool = False,
) -> StreamResult:
    """Parse one stream (runs in a worker): the picklable unit of work of :func:`parse_streams`;
    with ``match``, the packaged rules are matched over its kept rows here too
    (:func:`multus_forensics.classify.partial.match_stream`); with ``cut`` (and ``keep`` and
    ``task.spill``), only the rows a diagnosis reads are sent back and the kept rows are
    spilled (:func:`_cut`)."""
    from zoneinfo import ZoneInfo

    from multus_forensics.batch.compact import compact
    from multus_forensics.ingest.years import year_facts
    from multus_forensics.pipeline import parse_stream

    start = time.perf_counter()
    raw = task.raw
    if task.spool is not None:
        with open(task.spool, "rb") as fh:
            raw = replace(raw, data=fh.read())
        os.unlink(task.spool)
    zone = ZoneInfo(options.tz) if options.tz else None
    fs, frame, issues = parse_stream(
        raw, format=options.format, year=options.year, zone=zone, now=options.now
    )
    result = StreamResult(raw.file, raw.member, raw.bundle, fs, issues)
    kept: pl.DataFrame | None = None
    if frame is not None:
        result.years = year_facts(frame)
        kept = compact(frame, keep)
        result.rows, result.kept = frame.height, kept.height
        sent = kept
        if cut and keep is not None and task.spill is not None:
            sent = _cut(frame, kept, keep, task.spill, result)
        del frame  # (the stream's other rows are not read again)
        buf = io.BytesIO()
        sent.write_ipc(buf, compression="lz4")
        result.events_ipc = buf.getvalue()
        del sent
    if match:
        from multus_forensics.classify.partial import match_stream

        unread = _unread(raw, result, options)
        rows = kept if unread is None else unread if kept is None else _with(kept, unread)
        if rows is not None:
            result.matches = match_stream(rows, raw.file, raw.member)
    result.seconds = time.perf_counter() - start
    result.pid = os.getpid()
    result.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def _cut(
    frame: pl.DataFrame, kept: pl.DataFrame, spec: KeepSpec, spill: str, result: StreamResult
) -> pl.DataFrame:
    """The rows of ``frame`` a diagnosis reads when the input has no interface add
    (:func:`~multus_forensics.batch.compact.diagnosis_mask`, over the whole stream, whose year
    facts are already taken), with ``kept`` written to ``spill`` for the case it has one.

    A stream with an add says so (``result.whole``) and sends every kept row: the add order
    reads the rows of its pods in every stream. What else a cut would change for one file
    (:mod:`multus_forensics.rowcut`) is whole here by construction: a stream a rule matched
    across records may match is kept whole by :func:`~.compact.compact` (``kept is frame``), and
    the year checks and bundle re-anchoring read the whole stream in this worker."""
    from multus_forensics.batch.compact import diagnosis_mask
    from multus_forensics.rowcut import ADDS_NEED_ROWS, has_adds

    if has_adds(frame):
        result.whole = ADDS_NEED_ROWS
        return kept
    if kept is frame and not spec.keeps_everything and _stream_rule(frame, spec):
        return kept
    rows = frame.filter(diagnosis_mask(spec))
    if rows.height >= kept.height:
        return kept
    kept.write_ipc(spill, compression="lz4")
    result.spill = spill
    return rows


def _stream_rule(frame: pl.DataFrame, spec: KeepSpec) -> bool:
    from multus_forensics.batch.compact import _whole_stream

    return bool(frame.height) and _whole_stream(frame, spec)


def _unread(raw: RawStream, result: StreamResult, options: ParseOptions) -> pl.DataFrame | None:
    """The stream's unread lines as events (see :attr:`StreamResult.unread_ipc`), and set it."""
    from multus_forensics.classify.fallback import stream_unrecognised
    from multus_forensics.model import events_to_frame

    if options.limits is not None:
        return None
    events = stream_unrecognised(raw, result.stats, result.issues)
    unread = events_to_frame(events)
    buf = io.BytesIO()
    unread.write_ipc(buf, compression="lz4")
    result.unread_ipc = buf.getvalue()
    return unread if unread.height else None


def _with(kept: pl.DataFrame, unread: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return pl.concat([kept, unread], how="vertical_relaxed")


@dataclass
class StreamedLog:
    """The merged :class:`EventLog` of :func:`parse_streams`, and how it was made.

    ``log.stats`` and ``log.issues`` are the whole parse's; ``log.frame`` holds the ``kept`` of
    the ``rows`` events parsed (all of them without a :class:`~.compact.KeepSpec`).
    """

    log: EventLog
    mode: Mode
    workers: int
    rows: int = 0
    kept: int = 0
    streams: int = 0
    seconds: float = 0.0
    #: the largest peak resident set of the processes that parsed and merged (kB, ``getrusage``)
    peak_rss_kb: int = 0
    #: the processes that parsed the streams
    pids: set[int] = field(default_factory=set)


# --- in-order submission -------------------------------------------------------------------

Item = Any  # RawStream | Unreadable | ParseIssue, as ingest walks them


class _Ready:
    """An item that needs no worker (an issue, an unreadable input), in a future's clothes."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


Submit = Callable[["RawStream"], Any]


def _in_order(items: Iterator[Item], submit: Submit, window: int) -> Iterator[Any]:
    """Submit streams at most ``window`` ahead; yield results and other items in walk order."""
    from concurrent.futures.process import BrokenProcessPool

    from multus_forensics.ingest import RawStream

    pending: deque[tuple[str, Any, bool]] = deque()
    in_flight = 0
    for item in items:
        stream = isinstance(item, RawStream)
        pending.append((item.label, submit(item), True) if stream else ("", _Ready(item), False))
        in_flight += stream
        del item  # the member's bytes are not held here once handed over
        while pending and (in_flight >= window or not pending[0][2]):
            label, future, counted = pending.popleft()
            in_flight -= counted
            yield _result(label, future, BrokenProcessPool)
    while pending:
        label, future, _ = pending.popleft()
        yield _result(label, future, BrokenProcessPool)


def _result(label: str, future: Any, broken: type[Exception]) -> Any:
    try:
        return future.result()
    except broken as exc:
        raise MultusForensicsError(
            f"a worker process died while parsing {label} (killed, or out of memory?); "
            "try fewer workers (--workers 1)"
        ) from exc


def _walk(paths: Sequence[str], options: ParseOptions) -> Iterator[Item]:
    from multus_forensics.ingest import iter_inputs

    for _, item in iter_inputs(paths, options.limits):
        yield item


#: :func:`parse_stream_task` with its ``keep`` and ``match`` bound (picklable)
Job = Callable[[StreamTask, ParseOptions], StreamResult]


def _results(
    paths: Sequence[str],
    options: ParseOptions,
    keep: KeepSpec | None,
    match: bool,
    workers: int | None,
    scheduler: Any,
    spills: str | None = None,
) -> tuple[Mode, int, Iterator[Any]]:
    """(mode, workers, results and issues in walk order). Streams parsed in this process are
    not matched per stream: the diagnosis matches the merged log at less cost (each distinct
    text once, one query per rule for all streams), and there is no other worker to share.
    With ``spills`` (a directory), streams parsed here or on the local pool are cut to the
    rows a diagnosis reads, their kept rows spilled there (:func:`_cut`); Dask workers, whose
    disks this process cannot read, send every kept row."""
    job = partial(parse_stream_task, keep=keep, match=match, cut=spills is not None)
    if scheduler is None:
        scheduler = active_dask_client()
    if scheduler is not None:
        return "dask", 0, _on_dask(paths, options, job, scheduler)
    n = _worker_count(workers, os.cpu_count() or 1)
    if workers is None and input_bytes(paths) < POOL_MIN_BYTES:
        n = 1
    spill = _spill_names(spills)
    if n <= 1:
        job = partial(parse_stream_task, keep=keep, cut=spills is not None)

        def here(raw: RawStream) -> _Ready:
            return _Ready(job(StreamTask(raw, spill=spill()), options))

        return "sequential", 1, _in_order(_walk(paths, options), here, 1)
    return "processes", n, _on_pool(paths, options, job, n, spill)


def _spill_names(spills: str | None) -> Callable[[], str | None]:
    """A new spill file name in ``spills`` per call (None without a directory)."""
    count = 0

    def name() -> str | None:
        nonlocal count
        count += 1
        return None if spills is None else os.path.join(spills, f"{count:06d}.arrow")

    return name


def _on_pool(
    paths: Sequence[str],
    options: ParseOptions,
    job: Job,
    n: int,
    spill: Callable[[], str | None] = lambda: None,
) -> Iterator[Any]:
    from concurrent.futures import ProcessPoolExecutor

    spool = tempfile.mkdtemp(prefix="multus-forensics-streams-")
    count = 0

    def submit(raw: RawStream) -> Any:
        nonlocal count
        count += 1
        path = os.path.join(spool, f"{count:06d}")
        with open(path, "wb") as fh:
            if isinstance(raw.data, FileBytes):  # a large file read by offset: window by window
                fh.writelines(window for _, window in raw.data.windows())
            else:
                fh.write(raw.data)
        task = StreamTask(replace(raw, data=b""), path, spill())
        return pool.submit(job, task, options)

    try:
        with ProcessPoolExecutor(
            max_workers=n, mp_context=_mp_context(), initializer=_worker_init
        ) as pool:
            yield from _in_order(_walk(paths, options), submit, 2 * n)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _on_dask(
    paths: Sequence[str], options: ParseOptions, job: Job, scheduler: Any
) -> Iterator[Any]:
    client, owned = _dask_client(scheduler)
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(raw: RawStream) -> Any:
            if not isinstance(raw.data, bytes):  # a mapped file travels as its bytes
                raw = replace(raw, data=raw.data[:])
            # scattered, not embedded: a member's bytes would bloat the task graph
            task = client.scatter(StreamTask(raw), hash=False)
            return client.submit(job, task, options, pure=False)

        yield from _in_order(_walk(paths, options), submit, n + 1)
    finally:
        if owned:
            client.close()


# --- merge ---------------------------------------------------------------------------------


@dataclass
class _Bundle:
    """Kept frames and year facts of one top-level input, ordered as ``parse()`` orders them."""

    name: str | None = None
    frames: list[tuple[tuple[int, Any, int], pl.DataFrame]] = field(default_factory=list)
    facts: list[YearFacts] = field(default_factory=list)
    first_seen: dict[str, int] = field(default_factory=dict)

    def add(self, result: StreamResult, frame: pl.DataFrame) -> None:
        from multus_forensics.ingest.layout import rotation_key

        logical = "/".join([result.file, *(result.member.split("!") if result.member else [])])
        set_id, rank = rotation_key(logical)
        seq = len(self.frames)
        first = self.first_seen.setdefault(set_id, seq)
        self.frames.append(((first, rank, seq), frame))
        if result.years is not None:
            self.facts.append(result.years)

    def finish(self) -> pl.DataFrame | None:
        import polars as pl

        from multus_forensics.ingest.years import apply_shifts, bundle_shifts

        if not self.frames:
            return None
        ordered = [f for _, f in sorted(self.frames, key=lambda kf: kf[0])]
        return apply_shifts(pl.concat(ordered, how="vertical"), bundle_shifts(self.facts))


def _restore(
    cut: list[tuple[StreamResult, pl.DataFrame | None] | None],
    place: Callable[[StreamResult, pl.DataFrame | None], None],
) -> str | None:
    """Place each stream's cut rows, or, when a stream has an interface add, every stream's
    kept rows read back from its spill (the add order reads its pods' rows in every stream);
    the reason when it did so."""
    import polars as pl

    from multus_forensics.rowcut import ADDS_NEED_ROWS, has_adds

    whole = next((e[0].whole for e in cut if e is not None and e[0].whole), None)
    if whole is None and any(e is not None and e[1] is not None and has_adds(e[1]) for e in cut):
        whole = ADDS_NEED_ROWS  # (an add among lines a worker read again: not in its frame)
    for i, entry in enumerate(cut):
        assert entry is not None
        cut[i] = None  # a stream's cut rows are dropped once placed or replaced
        result, frame = entry
        if whole is not None and result.spill is not None:
            frame = pl.read_ipc(result.spill)
            os.unlink(result.spill)
        place(result, frame)
    return whole


def _add_matches(matches: Matches, result: StreamResult, unread: list[pl.DataFrame | None]) -> None:
    """Keep a stream's matches, and its unread lines' events when the diagnosis would read them
    again (from a file on disk, as :func:`~multus_forensics.classify.engine.diagnose` does);
    ``None`` in ``unread`` when a worker did not read them."""
    import polars as pl

    if result.matches is not None:
        matches.add(result.matches)
    if result.unread_ipc is None:
        unread.append(None)
    elif Path(result.file).is_file():
        unread.append(pl.read_ipc(io.BytesIO(result.unread_ipc)))


def parse_streams(
    paths: Sequence[str],
    options: ParseOptions | None = None,
    *,
    keep: KeepSpec | None = None,
    match: bool = False,
    cut: bool = False,
    workers: int | None = None,
    scheduler: Any = None,
) -> StreamedLog:
    """Parse ``paths`` with their streams spread over workers; merged as :func:`parse` merges.

    ``keep`` (:func:`~.compact.keep_spec` of the catalog the analysis will use) cuts each
    stream to the rows that analysis can read; ``None`` keeps every row. ``match`` also
    matches the packaged rules over each stream's kept rows on the worker that parsed it (not
    when every stream is parsed here): the log is then a
    :class:`~multus_forensics.classify.partial.MatchedLog`, whose diagnosis takes those hits
    instead of matching every row in this process. ``workers`` and
    ``scheduler`` are as in :func:`~multus_forensics.batch.run_batch` (``workers=1``: this
    process only; by default, inputs under :data:`POOL_MIN_BYTES` are parsed here too).
    ``options.on_error`` applies as in :func:`parse`.

    ``cut`` (with ``keep``; for a diagnosis, not a report) keeps only the rows a diagnosis reads
    when no stream has an interface add (:mod:`multus_forensics.rowcut`): each stream's other
    kept rows wait in a spill file and are read back, for every stream, only if one has an
    add. The log then weighs what the diagnosis reads, not what the bundle holds, and its
    diagnosis is the one of the whole kept log.
    """
    options = options or ParseOptions()
    start = time.perf_counter()
    spills = tempfile.mkdtemp(prefix="multus-forensics-spill-") if cut and keep else None
    try:
        return _parse_streams(paths, options, keep, match, workers, scheduler, spills, start)
    finally:
        if spills is not None:
            shutil.rmtree(spills, ignore_errors=True)


def _parse_streams(
    paths: Sequence[str],
    options: ParseOptions,
    keep: KeepSpec | None,
    match: bool,
    workers: int | None,
    scheduler: Any,
    spills: str | None,
    start: float,
) -> StreamedLog:
    import warnings

    import polars as pl

    from multus_forensics.classify.partial import MatchedLog, Matches
    from multus_forensics.model import empty_frame
    from multus_forensics.pipeline import not_a_stream

    mode, n, results = _results(list(paths), options, keep, match, workers, scheduler, spills)
    matches = Matches() if match and mode != "sequential" else None
    unread: list[pl.DataFrame | None] = []
    frames: list[pl.DataFrame] = []
    issues: list[ParseIssue] = []
    stats = ParseStats()
    bundle = _Bundle()
    out = StreamedLog(EventLog(empty_frame()), mode, n)

    def report(new: list[ParseIssue]) -> None:
        for issue in new:
            if options.on_error == "raise" and issue.severity == "error":
                raise ParseError(issue)
            if options.on_error == "warn":
                warnings.warn(str(issue), UserWarning, stacklevel=3)
        issues.extend(new)

    def flush() -> None:
        frame = bundle.finish()
        if frame is not None:
            frames.append(frame)

    def place(result: StreamResult, frame: pl.DataFrame | None) -> None:
        nonlocal bundle
        if result.bundle != bundle.name:
            flush()
            bundle = _Bundle(result.bundle)
        if frame is not None:
            bundle.add(result, frame)

    #: with spills: each stream's cut rows, placed once it is known whether any has an add
    cut: list[tuple[StreamResult, pl.DataFrame | None] | None] = []
    for item in results:
        if not_a_stream(item, stats, report):
            continue
        assert isinstance(item, StreamResult)
        result: StreamResult = item
        stats.files.append(result.stats)
        report(result.issues)
        out.streams += 1
        out.rows += result.rows
        out.kept += result.kept
        out.peak_rss_kb = max(out.peak_rss_kb, result.peak_rss_kb)
        out.pids.add(result.pid)
        if matches is not None:
            _add_matches(matches, result, unread)
        frame = result.frame()
        result.events_ipc = b""
        if spills is None:
            place(result, frame)
        else:
            cut.append((result, frame))
    whole = _restore(cut, place) if spills is not None else None
    flush()
    frame = pl.concat(frames, how="vertical") if frames else empty_frame()
    if matches is not None and all(f is not None for f in unread):
        known = [f for f in unread if f is not None and f.height]
        matches.unread = pl.concat(known, how="vertical_relaxed") if known else empty_frame()
    out.log = (
        EventLog(frame, issues, stats)
        if matches is None
        else MatchedLog(frame, issues, stats, matches=matches)
    )
    if spills is not None and whole is None and frame.height < out.kept:
        from multus_forensics.rowcut import CutState

        out.log.cut = CutState(rows=out.kept - frame.height)
        out.kept = frame.height
    out.peak_rss_kb = max(out.peak_rss_kb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    out.seconds = time.perf_counter() - start
    return out
