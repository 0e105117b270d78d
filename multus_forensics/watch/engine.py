"""The watch loop: follow inputs, parse new lines, classify the window, report what changed.

:class:`Watcher` does one step per :meth:`Watcher.poll` and never blocks longer than a pipe's
short gathering; :func:`watch` (a generator) and :func:`awatch` (an async generator) loop over
it. A finding is reported when its cause first reaches ``min_confidence`` and again when a pod
not reported before is affected; repeats only update counts (see :meth:`Watcher.summary`).

Classification runs the public classifier (:func:`multus_forensics.classify.diagnose`) on the
window (:mod:`multus_forensics.watch.state`): at most every ``min_interval`` seconds while the
inputs are caught up, and with at most an eleventh of the CPU while a backlog is read (see
:class:`_Clock`), so reading keeps up; an error whose template is new is never left
unclassified (too many of them force a classification).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import select
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal
from zoneinfo import ZoneInfo

from multus_forensics.errors import InputError
from multus_forensics.model import COLUMNS
from multus_forensics.registry import all_formats, get_format
from multus_forensics.watch.follow import BACKLOG_BYTES, open_follower
from multus_forensics.watch.state import Key, Tally, Window, rows_by_place
from multus_forensics.watch.stream import Batch, LiveStream

if TYPE_CHECKING:
    from multus_forensics.classify import Catalog, Finding
    from multus_forensics.model import ParseIssue

Since = Literal["end", "beginning"]
SEVERITY_ORDER: Final = ("info", "warning", "error", "critical")
#: modules the first classification would import: loaded when the watch starts, so that the
#: first finding is not late by their import time (missing ones are skipped: a warm-up only)
WARM_UP: Final = (
    "multus_forensics.chain",
    "multus_forensics.eventlog",
    "multus_forensics.timeline",
    "multus_forensics.classify.addorder",
    "multus_forensics.classify.cluster",
    "drain3",
)
#: seconds a caught-up watch waits between classifications at most (after a slow one)
MAX_WAIT: Final = 0.5
#: classification may take at most 1 / (1 + DUTY) of the CPU while a backlog is read
DUTY: Final = 10.0


@dataclass(frozen=True)
class WatchOptions:
    """How inputs are followed and how much is kept (the CLI flags of ``watch``)."""

    since: Since = "end"
    format: str | None = None
    year: int | None = None
    tz: str | None = None
    #: seconds of event time kept as context behind the newest event
    horizon: float = 600.0
    #: events kept in the window at most (open attempts and unclassified events first)
    max_events: int = 10_000
    #: a finding is reported once its confidence reaches this
    min_confidence: float = 0.5
    #: seconds between looks at followed files
    poll: float = 0.1
    #: seconds of quiet after which a record at the end of an input is taken as complete
    settle: float = 0.1
    #: seconds between two classifications at least
    min_interval: float = 0.1
    #: unclassified new error templates that force a classification
    max_pending: int = 2_000
    #: events one classification reads at most (besides the pending ones): the newest of the
    #: pods that got new events
    max_classified: int = 500

    def __post_init__(self) -> None:
        if self.since not in ("end", "beginning"):
            raise ValueError(f"since must be 'end' or 'beginning', not {self.since!r}")
        for name in ("horizon", "poll", "settle", "min_interval"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if min(self.max_events, self.max_pending, self.max_classified) < 1:
            raise ValueError("max_events, max_pending and max_classified must be positive")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be between 0 and 1")


@dataclass(frozen=True)
class Change:
    """A finding that is new (``reason="new cause"``) or affects a new pod (``"new pod ..."``)."""

    reason: str
    finding: Finding
    at: datetime
    stats: dict[str, int]


@dataclass(frozen=True)
class CauseCount:
    root_cause: str
    severity: str
    confidence: float
    count: int
    pods: int
    last_seen: datetime | None
    reported: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "root_cause": self.root_cause,
            "severity": self.severity,
            "confidence": self.confidence,
            "count": self.count,
            "pods": self.pods,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "reported": self.reported,
        }


@dataclass(frozen=True)
class Summary:
    """Counts so far: per cause, and for the inputs (lines, events, unparsed lines)."""

    at: datetime
    stats: dict[str, int]
    causes: tuple[CauseCount, ...]
    window_events: int
    unexplained_templates: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "stats": dict(self.stats),
            "causes": [c.to_dict() for c in self.causes],
            "window_events": self.window_events,
            "unexplained_templates": self.unexplained_templates,
        }


@dataclass
class _Clock:
    """When the next classification may run: by wall time while the inputs are caught up (a
    live node: latency matters, at most half the time goes to classifying), by this process's
    CPU time while they are not (a backlog or a flood: classification gets at most
    1 / (1 + DUTY) of the CPU, whatever the machine's load)."""

    next_wall: float = 0.0
    next_cpu: float = 0.0
    caught_up: bool = True

    def due(self) -> bool:
        if self.caught_up:
            return time.monotonic() >= self.next_wall
        return time.process_time() >= self.next_cpu

    def ran(self, wall: float, cpu: float, min_interval: float) -> None:
        """A classification took ``wall`` seconds and ``cpu`` CPU-seconds, ending now."""
        # at most half the time, but never long: a slow one (a busy machine) must not delay
        self.next_wall = time.monotonic() + min(max(min_interval, wall), MAX_WAIT)
        self.next_cpu = time.process_time() + DUTY * cpu


@dataclass
class Watcher:
    """Follow ``paths`` and classify incrementally; call :meth:`poll` in a loop."""

    paths: Sequence[str]
    options: WatchOptions = field(default_factory=WatchOptions)
    catalog: Catalog | None = None

    def __post_init__(self) -> None:
        from multus_forensics.classify import load_catalog

        if not self.paths:
            raise InputError("watch needs at least one path (or - for standard input)")
        opts = self.options
        if opts.format is not None:
            get_format(opts.format)  # an unknown name fails now, with a suggestion
        zone: tzinfo | None
        try:
            zone = ZoneInfo(opts.tz) if opts.tz else None
        except (KeyError, ValueError) as exc:
            raise InputError(f"unknown time zone {opts.tz!r}") from exc
        if self.catalog is None:
            self.catalog = load_catalog()
        for name in WARM_UP:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        all_formats()  # detection sniffs with every format: load them before the first line
        if sum(1 for p in self.paths if p == "-") > 1:
            raise InputError("standard input (-) can be watched once")
        self.streams: list[LiveStream] = []
        try:
            for path in self.paths:
                follower = open_follower(os.fspath(path), from_start=opts.since == "beginning")
                self.streams.append(LiveStream(follower, opts.format, opts.year, zone, opts.settle))
        except BaseException:
            self.close()
            raise
        self.window = Window(opts.horizon, opts.max_events)
        self.tallies: dict[str, Tally] = {}
        self._generations = {s.label: 0 for s in self.streams}
        self._clock = _Clock()
        self._issues: list[ParseIssue] = []
        self._notices: list[str] = [
            f"{s.label}: does not exist yet; waiting for it"
            for s in self.streams
            if s.follower.missing
        ]
        self._unexplained = 0
        self._final_done = False
        self.classifications = 0

    # -- the loop ---------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """Every input has ended (only pipes end) and the last classification has run."""
        return self._final_done

    def poll(self) -> list[Change]:
        """Read what is new on every input, parse it, classify when due; what changed."""
        now = time.monotonic()
        caught_up = True
        for stream in self.streams:
            caught_up &= stream.pump(now) < BACKLOG_BYTES
            for batch in stream.take(now):
                self._add(batch)
        self._clock.caught_up = caught_up
        self._collect_notices()
        ended = all(s.ended and not s.waiting for s in self.streams)
        due = self.window.unclassified and (
            self._clock.due() or self.window.pending >= self.options.max_pending or ended
        )
        changes = self._classify() if due else []
        if ended and not self.window.unclassified:
            self._final_done = True
        elif not due:
            self.window.trim()
        return changes

    def drain(self) -> list[Change]:
        """Read what the inputs hold now, parse all of it (no record held back) and classify:
        the last step before stopping."""
        now = time.monotonic()
        for stream in self.streams:
            stream.pump(now)
            for batch in stream.take(now, final=True):
                self._add(batch)
        changes = self._classify() if self.window.unclassified else []
        self._collect_notices()
        return changes

    def wait(self, timeout: float | None = None) -> None:
        """Sleep until a pipe has data or ``timeout`` (default: the poll interval) passes."""
        timeout = self.options.poll if timeout is None else timeout
        if self.busy:
            return
        fds = [fd for s in self.streams if (fd := s.follower.fileno()) is not None]
        if fds:  # files, if any, are looked at again after the timeout
            select.select(fds, [], [], timeout)
        else:
            time.sleep(timeout)

    def _add(self, batch: Batch) -> None:
        if batch.generation != self._generations[batch.label]:
            self.window.relabel(batch.label, self._generations[batch.label])
            self._generations[batch.label] = batch.generation
        self._issues.extend(batch.issues)
        if batch.frame is not None:
            self.window.add(batch.frame, self.tallies)

    def _collect_notices(self) -> None:
        for stream in self.streams:
            self._notices.extend(stream.notices)
            stream.notices.clear()

    @property
    def busy(self) -> bool:
        """Work is waiting: unclassified events, or held lines due to be parsed."""
        return bool(self.window.unclassified) and self._clock.due()

    def _classify(self) -> list[Change]:
        from multus_forensics.classify import diagnose

        started, cpu = time.monotonic(), time.process_time()
        focus = self.window.focus(self.options.max_classified)
        diag = diagnose(focus.select(COLUMNS), catalog=self.catalog)
        self.classifications += 1
        self._unexplained = len(diag.unclassified)
        rows = rows_by_place(focus)
        learned: dict[Key, set[str]] = {}
        for f in diag.findings:
            tally = self.tallies.get(f.root_cause)
            if tally is None:
                tally = self.tallies[f.root_cause] = Tally(f.root_cause, f)
            tally.finding = f
            for ev in f.evidence:
                if ev.claim != "match":
                    continue
                row = rows.get((ev.file, ev.line))
                if row is None:
                    continue
                seq, sig, pod = row
                tally.see(seq, None)
                if sig is not None:
                    learned.setdefault((sig, pod), set()).add(f.root_cause)
            tally.pods.update(f.pods)
            for when in (f.first_seen, f.last_seen):
                if when is not None:
                    tally.first_seen = min(tally.first_seen or when, when)
                    tally.last_seen = max(tally.last_seen or when, when)
        self.window.learn(focus, learned, self.tallies)
        self.window.trim()
        alive = set(self.window.frame["_seq"].to_list())
        for tally in self.tallies.values():
            tally.counted &= alive
        changes = self._changes(diag.findings)
        ended = time.monotonic()
        self._clock.ran(ended - started, time.process_time() - cpu, self.options.min_interval)
        return changes

    def _changes(self, findings: Sequence[Finding]) -> list[Change]:
        out: list[Change] = []
        at = datetime.now(UTC)
        stats = self.stats()
        for f in findings:
            if f.confidence < self.options.min_confidence:
                continue
            tally = self.tallies[f.root_cause]
            if not tally.reported:
                reason = "new cause"
            else:
                new = sorted(tally.pods - tally.reported_pods)
                if not new:
                    continue
                reason = "new pod " + ", ".join(new)
            tally.reported = True
            tally.reported_pods = set(tally.pods)
            out.append(Change(reason, tally.current(), at, stats))
        return out

    # -- what the caller shows --------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Input statistics in the shape ``diagnose`` reports them."""
        return {
            "files": len(self.streams),
            "lines": sum(s.stats.lines for s in self.streams),
            "events": sum(s.stats.events for s in self.streams),
            "unparsed_lines": sum(s.stats.unparsed_lines for s in self.streams),
        }

    def summary(self) -> Summary:
        causes = tuple(
            CauseCount(
                t.root_cause,
                t.finding.severity,
                t.finding.confidence,
                t.count,
                len(t.pods),
                t.last_seen,
                t.reported,
            )
            for t in sorted(self.tallies.values(), key=lambda t: (-t.count, t.root_cause))
        )
        return Summary(
            datetime.now(UTC),
            self.stats(),
            causes,
            self.window.collect().height,
            self._unexplained,
        )

    def take_notices(self) -> list[str]:
        """What happened to the inputs since the last call (format chosen, rotations...)."""
        out, self._notices = self._notices, []
        return out

    def take_issues(self) -> list[ParseIssue]:
        """Lines that could not be parsed (and damage repaired) since the last call."""
        out, self._issues = self._issues, []
        return out

    def close(self) -> None:
        for stream in getattr(self, "streams", []):
            stream.follower.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _watcher(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    catalog: Catalog | None,
    rules: str | Path | Sequence[str | Path],
    options: dict[str, Any],
) -> Watcher:
    from multus_forensics.classify import load_catalog

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if catalog is None:
        catalog = load_catalog(rules)
    return Watcher([os.fspath(p) for p in paths], WatchOptions(**options), catalog)


def watch(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    catalog: Catalog | None = None,
    rules: str | Path | Sequence[str | Path] = (),
    duration: float | None = None,
    **options: Any,
) -> Iterator[Change]:
    """Follow files and pipes and yield each :class:`Change` as it happens.

    Runs until every input has ended (pipes), ``duration`` seconds have passed, or the loop
    is left. ``options`` are the fields of :class:`WatchOptions` (``since="beginning"`` reads
    what the files already hold). ``rules`` adds rule files to the packaged catalog.
    """
    w = _watcher(paths, catalog, rules, options)
    stop = None if duration is None else time.monotonic() + duration
    with w:
        while not w.done and (stop is None or time.monotonic() < stop):
            yield from w.poll()
            w.wait(None if stop is None else max(0.0, min(w.options.poll, stop - time.monotonic())))


async def awatch(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    catalog: Catalog | None = None,
    rules: str | Path | Sequence[str | Path] = (),
    duration: float | None = None,
    **options: Any,
) -> AsyncIterator[Change]:
    """:func:`watch` for an event loop: each step runs in a worker thread, the loop stays free."""
    w = await asyncio.to_thread(_watcher, paths, catalog, rules, options)
    stop = None if duration is None else time.monotonic() + duration
    try:
        while not w.done and (stop is None or time.monotonic() < stop):
            for change in await asyncio.to_thread(w.poll):
                yield change
            if not w.busy:
                await asyncio.sleep(w.options.poll)
    finally:
        w.close()
