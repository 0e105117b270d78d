"""Record assembly for bare klog files, and the row helpers shared with the journald wrapper.

A klog record is a header line plus the lines that follow it without a header: ``key=<`` block
bodies (TAB-prefixed, closed by `` >``) and terminal-wrapped continuations in pastes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.formats.base import ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubelet.klog import (
    PREAMBLE_RE,
    is_header,
    parse_payload,
    preamble_time,
)
from multus_forensics.lazyre import lazy
from multus_forensics.model import ParseIssue, conform, empty_frame, excerpt, schema
from multus_forensics.timeutil import YearAnchor, years_for_months, zone_or_utc

if TYPE_CHECKING:
    import polars as pl

ROW_KEYS = (
    "message",
    "error",
    "level",
    "kind",
    "source",
    "namespace",
    "pod",
    "pod_uid",
    "sandbox_id",
    "container_id",
    "interface",
    "network",
    "ips",
)


def encode_fields(fields: dict[str, Any]) -> str:
    """Compact JSON in key order of appearance: the vectorised path builds the same text."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), default=str)


#: (month, day, hour, minute, second, microsecond) of a year-less local stamp
LocalTime = tuple[int, int, int, int, int, int]


def local_to_utc(year: int, parts: LocalTime, zone: tzinfo) -> datetime | None:
    """A year-less local time completed with ``year`` and read in ``zone``; None if impossible."""
    try:
        local = datetime(year, *parts, tzinfo=zone)
    except ValueError:  # e.g. Feb 29 in a non-leap year
        return None
    return local.astimezone(UTC)


def frame_from_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    import polars as pl

    if not rows:
        return empty_frame()
    return conform(pl.DataFrame(rows, schema=schema(), orient="row"))


def open_block(line: str) -> bool:
    """True when ``line`` opens a ``key=<`` block (klog writes ``=<`` at the very end)."""
    return line.endswith("=<")


#: lines a restarting kubelet prints on stderr before its first klog record: each is an event
#: of its own, never the continuation of the record before the restart
BANNER_RE: Final = lazy(r"Flag --[\w.-]+ has been deprecated\b")


def _banner_row(
    src: TextSource, fmt_name: str, node: str | None, idx: int, line: str
) -> dict[str, Any]:
    """A restart banner line: kubelet wrote it, without a time (none is printed)."""
    return {
        "node": node,
        "source": "kubelet",
        "format": fmt_name,
        "level": "warning",
        "message": line,
        "fields": encode_fields({"banner": "deprecated-flag"}),
        "file": src.file,
        "member": src.member,
        "line": idx + 1,
        "nlines": 1,
        "raw": line,
    }


def parse_klog_file(src: TextSource, ctx: ParseContext, fmt_name: str) -> ParseOutput:
    """Parse a bare klog file: glog preambles (header lines), banners, records with their
    continuation lines.

    A glog preamble (``Log file created at:`` and the lines after it) is the file's header:
    its lines are counted as header lines, its creation stamp anchors the year and its machine
    names the node. A second preamble (logs of a restart appended to the same file) and a
    restart's ``Flag --... has been deprecated`` lines end the record before them.
    """
    return parse_klog_lines(src, ctx, fmt_name, enumerate(src.lines), None)


def parse_klog_lines(
    src: TextSource,
    ctx: ParseContext,
    fmt_name: str,
    items: Iterable[tuple[int, str]],
    years_at: dict[int, int] | None,
) -> ParseOutput:
    """Parse ``(index, line)`` pairs (ascending, 0-based) of a bare klog file.

    The fast path (:mod:`._klogvec`) passes the lines it leaves here, and ``years_at``: the
    year of each record's first line, computed over all the file's records (rollovers).
    """
    lines = dict(items)
    issues: list[ParseIssue] = []
    rows: list[dict[str, Any]] = []
    blank = 0
    zone = zone_or_utc(ctx.tz)
    node = src.node_hint
    created: datetime | None = None
    records: list[tuple[int, int]] = []  # [start, end) line indexes
    banners: list[int] = []
    headers = 0
    in_block = False
    in_preamble = False
    trailing_blank = 0  # blank lines after the current record, absorbed if it continues
    for i, line in lines.items():
        pre = None if in_block else PREAMBLE_RE.match(line)
        if pre is not None and (in_preamble or pre["key"] == "Log file created at" or not records):
            headers += 1
            in_preamble = True
            trailing_blank = 0
            if pre["key"] == "Log file created at" and created is None:
                created = preamble_time(pre["value"])
            elif pre["key"] == "Running on machine":
                node = pre["value"].strip() or node
            continue
        in_preamble = False
        if not in_block and BANNER_RE.match(line):
            banners.append(i)
            records.append((-1, -1))  # the banner closes the record before it
            trailing_blank = 0
        elif (
            records
            and records[-1][0] >= 0
            and (in_block or not is_header(line))
            and (line.strip() or in_block)
        ):
            start, _ = records[-1]
            records[-1] = (start, i + 1)
            blank -= trailing_blank
            trailing_blank = 0
            in_block = (in_block and not line.startswith(" >")) or open_block(line)
        elif not line.strip():
            blank += 1
            trailing_blank += 1 if records and records[-1][0] >= 0 else 0
        elif is_header(line):
            records.append((i, i + 1))
            trailing_blank = 0
            in_block = open_block(line)
        elif not records:
            issues.append(
                ParseIssue(
                    src.file,
                    src.member,
                    i + 1,
                    "text before the first klog record",
                    excerpt(line),
                    format=fmt_name,
                )
            )
        else:  # after a banner: text that belongs to no record
            issues.append(
                ParseIssue(
                    src.file,
                    src.member,
                    i + 1,
                    "text after a restart banner, before the next klog record",
                    excerpt(line),
                    format=fmt_name,
                )
            )
    records = [r for r in records if r[0] >= 0]
    anchor = file_anchor(ctx, created, zone)
    rows.extend(_banner_row(src, fmt_name, node, idx, lines[idx]) for idx in banners)
    raws = ["\n".join(lines[j] for j in range(a, b)) for a, b in records]
    parsed = [parse_payload(raw) for raw in raws]
    if years_at is None:
        years = years_for_months([p["local_time"][0] if p else 1 for p in parsed], anchor)
    else:
        years = [years_at[a] for a, _ in records]
    for (a, b), p, year, raw in zip(records, parsed, years, raws, strict=True):
        assert p is not None  # records start at a header by construction
        row = record_row(p, year, zone, anchor.source, src, fmt_name, a + 1, b - a, raw)
        row["node"] = node
        if row["time"] is None:
            issues.append(
                ParseIssue(
                    src.file,
                    src.member,
                    a + 1,
                    "impossible date in klog header",
                    excerpt(lines[a]),
                    severity="warning",
                    format=fmt_name,
                )
            )
        rows.append(row)
    rows.sort(key=lambda r: r["line"])
    return ParseOutput(frame_from_rows(rows), issues, blank, headers)


def file_anchor(ctx: ParseContext, created: datetime | None, zone: tzinfo) -> YearAnchor:
    """The year anchor of a klog file: its glog preamble's creation time, unless a year was
    given."""
    if created is not None and ctx.year_anchor.source != "argument":
        return YearAnchor(reference=created.replace(tzinfo=zone), source="file-header")
    return ctx.year_anchor


def record_row(
    p: dict[str, Any],
    year: int,
    zone: tzinfo,
    year_source: str,
    src: TextSource,
    fmt_name: str,
    line: int,
    nlines: int,
    raw: str,
) -> dict[str, Any]:
    """An event row from a :func:`parse_payload` result whose year is known."""
    row = {k: p.get(k) for k in ROW_KEYS}
    row.update(
        time=local_to_utc(year, p["local_time"], zone),
        year_source=year_source,
        format=fmt_name,
        fields=encode_fields(p.get("fields", {})),
        file=src.file,
        member=src.member,
        line=line,
        nlines=nlines,
        raw=raw,
    )
    return row
