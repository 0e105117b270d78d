"""The careful per-record journald path: record split, block stitching, payload dispatch.

Used for whole small files and, from the vectorised path, for the lines that need it (blocks,
continuations, escapes, other payload shapes). Works on a subset of line indexes so that both
callers share one implementation; ``years`` lets the vectorised caller pass the years it
computed over the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from multus_forensics import registry
from multus_forensics.formats._rows import lines_field
from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubelet._klogfile import (
    LocalTime,
    encode_fields,
    frame_from_rows,
    local_to_utc,
)
from multus_forensics.formats.kubelet._syslogstamp import (
    FULL_RE,
    HEADER_MARKERS,
    ISO_RE,
    MARKER_RE,
    SHORT_RE,
    UNIX_RE,
    UNTAGGED_RE,
    UTC_NAMES,
    marker_fields,
    month_number,
    pager_truncated,
)
from multus_forensics.formats.kubelet.journald import payload_source
from multus_forensics.formats.kubelet.klog import parse_payload as parse_klog
from multus_forensics.lazyre import lazy
from multus_forensics.model import COLUMNS, ParseIssue, excerpt
from multus_forensics.timeutil import years_for_months, zone_or_utc

#: event columns a payload parser may set (provenance and time are the wrapper's)
_PAYLOAD_COLUMNS = frozenset(COLUMNS) - {
    "time", "year_source", "time_relative", "format", "fields", "file", "member", "line",
    "nlines", "raw",
}  # fmt: skip
_COMPONENT_PREFIX = lazy(r"(?P<comp>[a-z][\w-]*) (?=[IWEF]\d{4} )")


@dataclass
class Record:
    """One journald record (plus stitched block lines and continuation lines)."""

    idx: list[int]
    raw: list[str]
    host: str
    ident: str
    pid: str | None
    payload: str
    month: int | None = None  # year-less stamps: month, day, h, m, s, us
    parts: LocalTime = (1, 1, 0, 0, 0, 0)
    aware: datetime | None = None  # ISO and epoch stamps, short-full stamps once zoned
    #: ``-o short-full`` stamps: year, month, day, h, m, s, us in the zone the reader is given
    full: tuple[int, int, int, int, int, int, int] | None = None
    marker: str | None = None
    notes: list[str] = field(default_factory=list)
    indent: int = 0

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.host, self.ident, self.pid)


def _iso(stamp: str) -> datetime | None:
    text = stamp.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    dot = text.find(".")
    if dot > 0:  # Python reads at most 6 fractional digits
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[:dot] + text[dot : min(end, dot + 7)] + text[end:]
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _full(m: re.Match[str]) -> tuple[int, int, int, int, int, int, int] | None:
    """The ``-o short-full`` stamp's fields, None for an impossible date."""
    full = (
        int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]),
        int((m["us"] or "0").ljust(6, "0")),
    )  # fmt: skip
    try:
        datetime(*full)
    except ValueError:
        return None
    return full


def split_record(line: str, i: int) -> Record | None:
    """A :class:`Record` for a syslog/journalctl line, None when the line is not one."""
    m = SHORT_RE.match(line)
    tagged = m is not None
    if m is None:
        m = UNTAGGED_RE.match(line)
    if m is not None and (mon := month_number(m["mon"])) is not None:
        us = int((m["us"] or "0").ljust(6, "0"))
        rec = Record(
            [i],
            [line],
            m["host"],
            m["ident"] if tagged else "",
            m["pid"] if tagged else None,
            m["payload"] or "",
            mon,
            (mon, int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"]), us),
        )
    elif (m := ISO_RE.match(line)) is not None and (aware := _iso(m["iso"])) is not None:
        rec = Record([i], [line], m["host"], m["ident"], m["pid"], m["payload"] or "", aware=aware)
    elif (m := FULL_RE.match(line)) is not None and (full := _full(m)) is not None:
        rec = Record([i], [line], m["host"], m["ident"], m["pid"], m["payload"] or "", full=full)
        rec.parts = full[1:]
        if m["zone"] in UTC_NAMES:
            rec.aware = datetime(*full, tzinfo=UTC)
    elif (m := UNIX_RE.match(line)) is not None:
        us = int((m["us"] or "0").ljust(6, "0"))
        aware = datetime.fromtimestamp(int(m["epoch"]), UTC).replace(microsecond=us)
        rec = Record([i], [line], m["host"], m["ident"], m["pid"], m["payload"] or "", aware=aware)
    else:
        return None
    rec.indent = m.start("payload") if m["payload"] is not None else len(line)
    return rec


#: how a klog block body line starts: a TAB (rsyslog writes it as ``#011``), or the closing
#: `` >`` (which may open the record's next block: ``> output=<``)
BLOCK_STARTS = ("\t", " >", "#011")


def _is_block_line(payload: str) -> bool:
    return payload.startswith(BLOCK_STARTS) or payload == ""


def continues_block(payload: str) -> bool:
    """A line of a writer's open block: a block line, or a body line whose TAB reached us as
    spaces (a viewer or a copy expanded it: ``kubelet.sh[2473]:         /bin/bash: ...``). A
    writer's own records never start with a space, so this is read only while a block is open."""
    return _is_block_line(payload) or payload.startswith(" ")


def _closes(payload: str) -> bool:
    """A closing `` >`` line that does not open the record's next ``key=<`` block."""
    return payload.startswith(" >") and not payload.endswith("=<")


def newest_first(records: list[Record]) -> bool:
    """True unless the records' stamps mostly go forward in time (a file written oldest-first).

    Stamps that never change say nothing: a `` >`` before its opener then reads as a paste.
    """
    back = ahead = 0
    prev: tuple[float, ...] | None = None
    for rec in records:
        if rec.marker is not None:
            continue
        cur = (rec.aware.timestamp(),) if rec.aware is not None else rec.parts
        if prev is not None and len(prev) == len(cur):
            back += cur < prev
            ahead += cur > prev
        prev = cur
    return back >= ahead


def stitch(records: list[Record], reverse: bool | None = None) -> tuple[list[Record], list[Record]]:
    """Join ``key=<`` blocks split over records of one writer; returns (records, orphans).

    Other writers' records may sit between the pieces. A newest-first paste shows the closing
    `` >`` first: such pieces wait per writer until the opening record arrives. In a file
    written oldest-first a body line without its opening record is an orphan: it never joins
    a later record of the same writer.
    """
    if reverse is None:
        reverse = newest_first(records)
    out: list[Record] = []
    open_: dict[tuple[str, str, str | None], Record] = {}
    pending: dict[tuple[str, str, str | None], list[Record]] = {}
    orphans: list[Record] = []
    for rec in records:
        if rec.marker is not None:
            out.append(rec)
            continue
        key = rec.key
        head = open_.get(key)
        if head is not None and continues_block(rec.payload):
            body = rec.payload
            head.payload += "\n" + ("\t" + body[4:] if body.startswith("#011") else body)
            head.idx.extend(rec.idx)
            head.raw.extend(rec.raw)
            if _closes(rec.payload):
                del open_[key]
            continue
        if head is not None:
            head.notes.append("klog block not closed before the writer's next record")
            del open_[key]
        if rec.payload.startswith(BLOCK_STARTS):
            pending.setdefault(key, []).append(rec)
            continue
        out.append(rec)
        if rec.payload.endswith("=<"):
            waiting = pending.pop(key, [])
            if reverse and waiting and waiting[0].payload.startswith(" >"):
                for piece in reversed(waiting):
                    rec.payload += "\n" + piece.payload
                    rec.idx.extend(piece.idx)
                    rec.raw.extend(piece.raw)
                rec.notes.append("klog block reassembled from a newest-first paste")
            else:
                open_[key] = rec
                orphans.extend(waiting)
    for head in open_.values():
        head.notes.append("klog block not closed at the end of the input")
    orphans.extend(r for waiting in pending.values() for r in waiting)
    return out, orphans


def _dispatch(payload: str, ident: str) -> tuple[dict[str, Any] | None, str | None]:
    parsed = parse_klog(payload)
    if parsed is not None:
        return parsed, "klog"
    if ident == "microshift" and (m := _COMPONENT_PREFIX.match(payload)):
        parsed = parse_klog(payload[m.end() :])
        if parsed is not None:
            parsed.setdefault("fields", {})["component"] = m["comp"]
            return parsed, "klog"
    for name, parser in registry.payload_parsers():
        if name == "klog":
            continue
        got = parser(payload)
        if got is not None:
            return got, name
    return None, None


def _klog_time(rec: Record, year: int | None, local: LocalTime, zone: tzinfo) -> datetime | None:
    """klog's µs local time, completed with the journald stamp's year and zone."""
    if rec.aware is not None:
        year, zone = rec.aware.year, rec.aware.tzinfo or UTC
        jmonth = rec.aware.month
    else:
        jmonth = rec.month or local[0]
    if year is None:
        return None
    if local[0] == 12 and jmonth == 1:
        year -= 1
    elif local[0] == 1 and jmonth == 12:
        year += 1
    return local_to_utc(year, local, zone)


def _stamp_time(rec: Record, year: int | None, zone: tzinfo) -> datetime | None:
    if rec.aware is not None:
        return rec.aware.astimezone(UTC)
    if year is None:
        return None
    return local_to_utc(year, rec.parts, zone)


def parse_lines(
    src: TextSource,
    ctx: ParseContext,
    fmt: str,
    items: Iterable[tuple[int, str]],
    years: dict[int, int] | None,
    reverse: bool | None = None,
) -> ParseOutput:
    """Parse ``(index, line)`` pairs (ascending, 0-based) of a journald file (see
    :func:`careful_rows`)."""
    rows, issues, blank, headers = careful_rows(src, ctx, fmt, items, years, reverse)
    return ParseOutput(frame_from_rows(rows), issues, blank, headers)


def careful_rows(
    src: TextSource,
    ctx: ParseContext,
    fmt: str,
    items: Iterable[tuple[int, str]],
    years: dict[int, int] | None,
    reverse: bool | None = None,
) -> tuple[list[dict[str, Any]], list[ParseIssue], int, int]:
    """The event rows (in line order), issues, blank and header line counts of ``(index, line)``
    pairs (ascending, 0-based) of a journald file; a batch of files makes one frame of all
    their rows (:mod:`._journalbatch`).

    ``reverse`` says whether the whole file is newest-first when the caller knows it (the
    pairs may be a subset that cannot tell); otherwise it is judged from the pairs.

    ``years`` maps the index of each year-less record to its year when the caller computed
    them over the whole file; otherwise they are computed here from ``ctx.year_anchor``.
    """
    issues: list[ParseIssue] = []
    records: list[Record] = []
    blank = headers = 0
    for i, line in items:
        if not line.strip():
            blank += 1
            continue
        rec = split_record(line, i)
        if rec is not None:
            records.append(rec)
            continue
        mk = MARKER_RE.fullmatch(line)
        if mk is not None and marker_fields(mk["text"])["marker"] in HEADER_MARKERS:
            headers += 1  # about the file, not a record (its year was read by the caller)
        elif mk is not None:
            records.append(
                Record([i], [line], "", "journalctl", None, mk["text"], marker=mk["text"])
            )
        elif records and records[-1].marker is None:  # journalctl-indented or wrapped line
            prev = records[-1]
            body = line[prev.indent :] if line[: prev.indent].isspace() else line
            prev.payload += "\n" + body
            prev.idx.append(i)
            prev.raw.append(line)
        else:
            issues.append(
                ParseIssue(
                    src.file, src.member, i + 1, "not a journald record", excerpt(line), format=fmt
                )
            )
    records, orphans = stitch(records, reverse)
    for o in orphans:
        o.notes.append("klog block line without its opening record")
    records = sorted(records + orphans, key=lambda r: r.idx[0])
    # years the caller could not compute (a localised month the fast path does not read)
    known = years or {}
    dated = [r for r in records if r.month is not None and r.idx[0] not in known]
    got = years_for_months([r.month or 1 for r in dated], ctx.year_anchor)
    years = {**known, **{r.idx[0]: y for r, y in zip(dated, got, strict=True)}}
    zone = zone_or_utc(ctx.tz)
    for r in records:  # a short-full stamp names its zone by an abbreviation: read in the given one
        if r.full is not None and r.aware is None:
            r.aware = datetime(*r.full, tzinfo=zone)  # in its zone: a klog payload is read there
    rows = [_row(r, years.get(r.idx[0]), zone, ctx, src, fmt, issues) for r in records]
    rows.sort(key=lambda r: r["line"])
    return rows, issues, blank, headers


def _row(
    rec: Record,
    year: int | None,
    zone: tzinfo,
    ctx: ParseContext,
    src: TextSource,
    fmt: str,
    issues: list[ParseIssue],
) -> dict[str, Any]:
    # a stitched err=< block can skip other writers' lines, and a newest-first paste reverses it
    lines = sorted(i + 1 for i in rec.idx)
    first = lines[0] - 1
    raw = "\n".join(rec.raw)
    row: dict[str, Any] = {
        "node": rec.host or None,
        "format": fmt,
        "file": src.file,
        "member": src.member,
        "line": first + 1,
        "nlines": len(rec.idx),
        "raw": raw,
        "year_source": None if rec.aware is not None or rec.marker else ctx.year_anchor.source,
    }

    def warn(reason: str) -> None:
        """Damage on this record's first line: the record stays an event, the note an issue."""
        issues.append(
            ParseIssue(
                src.file, src.member, first + 1, reason, excerpt(rec.raw[0]),
                severity="warning", format=fmt,
            )
        )  # fmt: skip

    for note in rec.notes:
        warn(note)
    if rec.marker is not None:
        row.update(
            source="journald",
            message=f"-- {rec.marker} --",
            fields=encode_fields(marker_fields(rec.marker)),
            year_source=None,
            node=None,
        )
        return row
    payload = rec.payload
    truncated = pager_truncated(payload)
    if truncated:
        payload = payload[:-1]
        warn("truncated by pager")
    parsed, shape = _dispatch(payload, rec.ident)
    fields: dict[str, Any] = {}
    if parsed is None:
        row.update(message=payload, level="info", kind="log")
        row["time"] = _stamp_time(rec, year, zone)
    else:
        row.update({k: v for k, v in parsed.items() if k in _PAYLOAD_COLUMNS and v is not None})
        fields = dict(parsed.get("fields") or {})
        when = parsed.get("time")
        if isinstance(when, datetime):
            row["time"] = when.astimezone(UTC)
            row["year_source"] = None
        elif "local_time" in parsed:
            row["time"] = _klog_time(rec, year, parsed["local_time"], zone)
        else:
            row["time"] = _stamp_time(rec, year, zone)
    row["source"] = payload_source(rec.ident, parsed, shape) or "unknown"  # untagged
    if rec.pid is not None:  # a new pid for the same ident marks a restart
        fields = {"pid": rec.pid, **fields}
    if truncated:
        fields["truncated"] = True
    if (listed := lines_field(lines)) is not None:
        fields["lines"] = listed
    row["fields"] = encode_fields(fields)
    if row["time"] is None and rec.month is not None:
        warn("impossible date in stamp")
    return row
