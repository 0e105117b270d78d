"""Parse many inputs in parallel: local worker processes by default, a Dask cluster on request.

The batch unit is one input as given (a file, an archive, a directory bundle), or a
:class:`~multus_forensics.batch.units.Unit` of paths parsed together. Each unit is parsed by
:func:`multus_forensics.pipeline.parse` in a worker and comes back as lz4 Arrow IPC bytes plus its
issues and coverage, so the parent never holds a worker's intermediate state. Results are yielded
in input order and merged in that order whatever ran them: ``workers=1`` in this process, a
process pool, or a ``distributed`` cluster give equal frames.

Submission is bounded (at most ``2 * workers`` units in flight), so a worker's memory depends on
the largest unit, not on how many there are; :func:`iter_batch` callers that keep only a
summary per unit (the report index does) are bounded in the parent too.

Dask is optional (``pip install multus-forensics[dask]``): it is imported only when a scheduler
address or client is passed, or when a ``distributed`` client is already active in this process
(a notebook that created ``Client()``).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from multus_forensics.batch.units import Unit
from multus_forensics.errors import InputError, MultusForensicsError
from multus_forensics.eventlog import EventLog, ParseStats
from multus_forensics.model import FileStats, ParseIssue

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.ingest import Limits
    from multus_forensics.pipeline import OnError

Mode = Literal["sequential", "processes", "dask"]


@dataclass(frozen=True)
class ParseOptions:
    """The :func:`multus_forensics.parse` keywords applied to every unit (pickled to workers)."""

    format: str | None = None
    year: int | None = None
    tz: str | None = None
    now: datetime | None = None
    on_error: OnError = "collect"
    limits: Limits | None = None

    def parse(self, paths: Sequence[str]) -> EventLog:
        """:func:`multus_forensics.parse` of ``paths`` with these keywords."""
        from multus_forensics.pipeline import parse

        return parse(
            list(paths),
            format=self.format,
            year=self.year,
            tz=self.tz,
            now=self.now,
            on_error=self.on_error,
            limits=self.limits,
        )


@dataclass
class UnitResult:
    """What one worker sends back for one input: events as Arrow IPC, issues, coverage.

    ``pid`` and ``peak_rss_kb`` (the worker's peak resident set, from ``getrusage``) are for
    capacity planning and the benchmark; they are not part of the parse result.
    """

    input: str  # the unit's label: its path, or a summary of its loose files
    events_ipc: bytes
    paths: tuple[str, ...] = ()
    issues: list[ParseIssue] = field(default_factory=list)
    files: list[FileStats] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of the worker on this unit (seconds is wall time)
    pid: int = 0
    peak_rss_kb: int = 0
    extra: Any = None  # what the ``after`` hook returned for this unit

    def frame(self) -> pl.DataFrame:
        import io

        import polars as pl

        if not self.events_ipc:
            raise ValueError(f"{self.input}: events were not sent back (keep_events=False)")
        return pl.read_ipc(io.BytesIO(self.events_ipc))

    def log(self) -> EventLog:
        """This unit's :class:`EventLog`, as ``parse([input])`` returns it."""
        return EventLog(self.frame(), list(self.issues), ParseStats(list(self.files)))


@dataclass
class BatchResult:
    """Every unit's result in input order, and how the batch was run."""

    units: list[UnitResult]
    mode: Mode
    workers: int
    seconds: float = 0.0

    def log(self) -> EventLog:
        """All units merged in input order (each unit parsed on its own, then concatenated)."""
        return merge_logs([u.log() for u in self.units])


def merge_logs(logs: Sequence[EventLog]) -> EventLog:
    """Concatenate event logs in order (frames, issues, per-file stats)."""
    import polars as pl

    from multus_forensics.model import empty_frame

    frames = [lg.frame for lg in logs if lg.frame.height]
    frame = pl.concat(frames, how="vertical") if frames else empty_frame()
    issues = [i for lg in logs for i in lg.issues]
    files = [f for lg in logs for f in lg.stats.files]
    return EventLog(frame, issues, ParseStats(files))


#: per-unit work done in the worker right after parsing (must be picklable: a module-level
#: function or a functools.partial of one); its result travels back as ``UnitResult.extra``
After = Callable[[str, EventLog], Any]


def parse_unit(
    unit: Unit, options: ParseOptions, after: After | None = None, keep_events: bool = True
) -> UnitResult:
    """Parse one unit (runs in a worker): the picklable unit of work of a batch."""
    import io

    start, cpu = time.perf_counter(), time.process_time()
    log = options.parse(unit.paths)
    extra = after(unit.label, log) if after is not None else None
    buf = io.BytesIO()
    if keep_events:
        # lz4 costs little in the worker and shrinks what the parent receives and holds ~4x
        log.frame.write_ipc(buf, compression="lz4")
    return UnitResult(
        input=unit.label,
        events_ipc=buf.getvalue(),
        paths=unit.paths,
        issues=log.issues,
        files=log.stats.files,
        seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu,
        pid=os.getpid(),
        peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        extra=extra,
    )


class _Future(Protocol):
    def result(self) -> Any: ...


class _Done:
    """A result computed in this process, in a future's clothes (see :func:`_here_or`)."""

    def __init__(self, value: UnitResult) -> None:
        self.value = value

    def result(self) -> UnitResult:
        return self.value


def _here_or(remote: Callable[[Unit], _Future], *args: Any) -> Callable[[Unit], _Future]:
    """Units that read standard input (``-``) run here: a worker has no access to our stdin."""

    def submit(unit: Unit) -> _Future:
        if "-" in unit.paths:
            return _Done(parse_unit(unit, *args))
        return remote(unit)

    return submit


Submit = Callable[[Unit], _Future]
Inputs = Sequence["str | Unit"]


def _units(inputs: Inputs) -> list[Unit]:
    """A plain path is a unit of its own; :class:`Unit` groups paths parsed together."""
    return [i if isinstance(i, Unit) else Unit((i,)) for i in inputs]


def _ordered(submit: Submit, units: Sequence[Unit], window: int) -> Iterator[UnitResult]:
    """Submit at most ``window`` units ahead and yield results in input order."""
    from concurrent.futures.process import BrokenProcessPool

    pending: deque[tuple[Unit, _Future]] = deque()
    todo = iter(units)
    for unit in todo:
        pending.append((unit, submit(unit)))
        if len(pending) >= window:
            break
    while pending:
        unit, future = pending.popleft()
        try:
            result: UnitResult = future.result()
        except BrokenProcessPool as exc:
            raise MultusForensicsError(
                f"a worker process died while parsing {unit.label} (killed, or out of memory?); "
                "try fewer workers (--workers 1) or split the input"
            ) from exc
        nxt = next(todo, None)
        if nxt is not None:
            pending.append((nxt, submit(nxt)))
        yield result


def _worker_init() -> None:
    """One polars thread per worker process (unless the user chose): the pool already has a
    process per core, and more threads than cores only adds switching."""
    os.environ.setdefault("POLARS_MAX_THREADS", "1")


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork is unsafe once polars' thread pool exists; forkserver forks from a clean process.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _import_distributed() -> Any:
    # typed as Any: distributed ships partial annotations that strict mypy rejects
    import importlib

    return importlib.import_module("distributed")


def active_dask_client() -> Any | None:
    """The ``distributed`` client active in this process, without importing Dask otherwise."""
    if "distributed" not in sys.modules:
        return None
    distributed = _import_distributed()
    try:
        return distributed.default_client()
    except ValueError:
        return None


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    """(client, owned): connect to an address, or use a given client as is."""
    if not isinstance(scheduler, str):
        return scheduler, False
    from multus_forensics.batch.address import scheduler_address

    scheduler = scheduler_address(scheduler)
    try:
        distributed = _import_distributed()
    except ImportError as exc:
        raise InputError(
            "a Dask scheduler needs Dask: pip install 'multus-forensics[dask]'"
        ) from exc
    try:
        return distributed.Client(scheduler, timeout="10s", set_as_default=False), True
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc


def iter_batch(
    paths: Inputs,
    options: ParseOptions | None = None,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    after: After | None = None,
    keep_events: bool = True,
) -> Iterator[UnitResult]:
    """Yield one :class:`UnitResult` per unit, in input order, as results arrive.

    Each path is a unit of its own; pass a :class:`~multus_forensics.batch.units.Unit` to parse
    several paths together (:func:`~multus_forensics.batch.units.group_units` groups loose files).

    ``after(label, log)`` runs in the worker once a unit is parsed (per-input analysis, a rendered
    sub-report); its return value comes back as :attr:`UnitResult.extra`. With
    ``keep_events=False`` the events stay in the worker (callers that only need ``extra``).

    ``scheduler`` is a Dask scheduler address or a ``distributed.Client``; when it is ``None``, an
    active client in this process is used, else a local process pool of ``workers`` processes
    (default ``os.cpu_count()``). ``workers=1`` without a scheduler parses in this process.
    """
    options = options or ParseOptions()
    units = _units(paths)
    if scheduler is None:
        scheduler = active_dask_client()
    if scheduler is not None:
        client, owned = _dask_client(scheduler)
        try:
            n = max(1, len(client.scheduler_info().get("workers", {})))

            def remote(unit: Unit) -> _Future:
                return client.submit(  # type: ignore[no-any-return]
                    parse_unit, unit, options, after, keep_events, pure=False
                )

            yield from _ordered(_here_or(remote, options, after, keep_events), units, 2 * n)
        finally:
            if owned:
                client.close()
        return
    n = _worker_count(workers, len(units))
    if n <= 1:
        for p in units:
            yield parse_unit(p, options, after, keep_events)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=n, mp_context=_mp_context(), initializer=_worker_init
    ) as pool:
        submit = _here_or(
            lambda u: pool.submit(parse_unit, u, options, after, keep_events),
            options,
            after,
            keep_events,
        )
        yield from _ordered(submit, units, 2 * n)


def _worker_count(workers: int | None, units: int) -> int:
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    return max(1, min(workers or os.cpu_count() or 1, units))


def run_batch(
    paths: Inputs,
    options: ParseOptions | None = None,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    after: After | None = None,
) -> BatchResult:
    """Parse every input (see :func:`iter_batch`) and collect the results in input order.

    ``progress=None`` shows a progress bar only when stderr is a terminal; ``False`` never does.
    Worker processes start with ``forkserver`` (``spawn`` where that is missing), so a script
    that calls this with ``workers > 1`` needs the usual ``if __name__ == "__main__":`` guard;
    notebooks and the CLI need nothing.
    """
    from multus_forensics.batch.progress import progress_bar

    units = _units(paths)
    if scheduler is None:
        scheduler = active_dask_client()
    mode: Mode
    if scheduler is not None:
        mode, n = "dask", 0
    else:
        n = _worker_count(workers, len(units))
        mode = "processes" if n > 1 else "sequential"
    start = time.perf_counter()
    results: list[UnitResult] = []
    with progress_bar(len(units), "parsing", enabled=progress) as bar:
        for result in iter_batch(
            units, options, workers=n or None, scheduler=scheduler, after=after
        ):
            results.append(result)
            bar.advance(os.path.basename(result.input.rstrip("/")))
    return BatchResult(results, mode, n, time.perf_counter() - start)
