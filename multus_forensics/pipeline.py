"""``parse()``: inputs to an :class:`EventLog`, with the line accounting checked per file."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from multus_forensics.errors import InputError, MultusForensicsError, ParseError
from multus_forensics.eventlog import EventLog, ParseStats
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.ingest import Limits, decode, iter_streams
from multus_forensics.model import FileStats, ParseIssue, empty_frame
from multus_forensics.registry import detect
from multus_forensics.timeutil import YearAnchor

OnError = Literal["collect", "warn", "raise"]


def _anchor(src: TextSource, year: int | None) -> YearAnchor:
    if year is not None:
        return YearAnchor(year=year, source="argument")
    if src.mtime is not None:
        return YearAnchor(reference=src.mtime, source=src.mtime_origin or "file-mtime")
    return YearAnchor()


def parse(
    paths: str | Sequence[str],
    *,
    format: str | None = None,  # noqa: A002 - the public keyword is "format"
    year: int | None = None,
    tz: str | None = None,
    now: datetime | None = None,
    on_error: OnError = "collect",
    limits: Limits | None = None,
) -> EventLog:
    """Parse files, directories, globs, archives or ``-`` (stdin) into one :class:`EventLog`.

    ``format`` forces a format for every input; ``year`` pins the year of year-less timestamps;
    ``tz`` (an IANA zone name) is the zone of zone-less timestamps (default UTC); ``now`` anchors
    relative ages such as ``3m25s`` when the input has no timestamp of its own. ``on_error``
    decides what an issue does: ``collect`` keeps it in ``.issues``, ``warn`` also emits a Python
    warning, ``raise`` raises :class:`ParseError` on the first line that cannot be parsed.
    """
    import polars as pl

    if isinstance(paths, str):
        paths = [paths]
    if on_error not in ("collect", "warn", "raise"):
        raise ValueError(f"on_error must be collect, warn or raise, not {on_error!r}")
    try:
        zone = ZoneInfo(tz) if tz else None
    except (KeyError, ValueError) as exc:
        raise InputError(f"unknown time zone {tz!r}") from exc

    frames: list[pl.DataFrame] = []
    issues: list[ParseIssue] = []
    stats = ParseStats()

    def report(new: list[ParseIssue]) -> None:
        for issue in new:
            if on_error == "raise" and issue.severity == "error":
                raise ParseError(issue)
            if on_error == "warn":
                warnings.warn(str(issue), stacklevel=3)
        issues.extend(new)

    for item in iter_streams(list(paths), limits):
        if isinstance(item, ParseIssue):
            stats.files.append(FileStats(item.file, item.member, skipped=item.reason))
            report([item])
            continue
        src, decode_issues = decode(item)
        report(decode_issues)
        fs = FileStats(src.file, src.member, bytes=len(item.data), lines=len(src.lines))
        stats.files.append(fs)
        label = src.file + (f"!{src.member}" if src.member else "")
        try:
            fmt, why = detect(src.member or src.file, src.head(), format)
        except MultusForensicsError as exc:
            fs.skipped = str(exc)
            report([ParseIssue(src.file, src.member, None, str(exc))])
            continue
        if fmt is None:
            fs.skipped = why
            report([ParseIssue(src.file, src.member, None, f"skipped: {why}", severity="warning")])
            continue
        fs.format = fmt.name
        out = fmt.parse(src, ParseContext(_anchor(src, year), zone, now))
        fs.events = out.events.height
        fs.event_lines = int(out.events["nlines"].sum()) if out.events.height else 0
        fs.issue_lines = sum(1 for i in out.issues if i.severity == "error" and i.line is not None)
        fs.blank_lines = out.blank_lines
        if not fs.balanced:
            raise AssertionError(
                f"{label}: line accounting broken in format {fmt.name}: {fs.lines} lines read, "
                f"{fs.event_lines} in events, {fs.issue_lines} reported, {fs.blank_lines} blank"
            )
        report(out.issues)
        frames.append(out.events)

    frame = pl.concat(frames, how="vertical") if frames else empty_frame()
    return EventLog(frame, issues, stats)
