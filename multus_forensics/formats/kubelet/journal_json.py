"""``journalctl -o json``: one journal record per line, the only export with exact UTC times.

Asked for in support bundles (``journalctl -u kubelet -u containerd -o json > node.json``) and
written by some must-gather variants. Shape (systemd journal export fields)::

    {"__CURSOR":"s=5f1c...;i=2b41","__REALTIME_TIMESTAMP":"1773234127418601","_HOSTNAME":"edge-node-2","SYSLOG_IDENTIFIER":"kubelet","_PID":"2231","PRIORITY":"6","MESSAGE":"E0311 13:02:07.418552    2231 kuberuntime_manager.go:1172] \\"CreatePodSandbox for pod failed\\" err=..."}
    {"__CURSOR":"...","__REALTIME_TIMESTAMP":"...","SYSLOG_IDENTIFIER":"kubelet","MESSAGE":null}
    {"__CURSOR":"...","__REALTIME_TIMESTAMP":"...","SYSLOG_IDENTIFIER":"containerd","MESSAGE":[116,105,109,101,61,255]}

``__REALTIME_TIMESTAMP`` is epoch **microseconds** (a string). ``MESSAGE`` is a string, an array of
byte integers (not valid UTF-8 or not printable), or ``null`` when it is over 4096 bytes and the
export ran without ``--all`` — long thick-Multus errors often are. The payload goes through the
registry's payload parsers (klog text, klog JSON, logrus, multus); klog ``err=<`` blocks arrive
as one record per line and are stitched back by (host, identifier, pid); a repeated ``__CURSOR``
is kept once. Such an event's physical lines need not be one run: ``line`` is the first,
``nlines`` counts them all, and ``fields["lines"]`` lists them when they are not contiguous.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from multus_forensics.formats._rows import (
    CHUNK_ROWS,
    concat_frames,
    lines_field,
    physical_lines,
    rows_to_frame,
)
from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    fraction,
)
from multus_forensics.formats.kubelet.journald import payload_source
from multus_forensics.lazyre import lazy
from multus_forensics.model import COLUMNS, ParseIssue, excerpt
from multus_forensics.registry import FORMAT_GLOBS

if TYPE_CHECKING:
    import polars as pl

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
JSON_THRESHOLD: Final = 4096  # journalctl prints longer fields as null without --all

_PRIORITY_LEVELS: Final = ("fatal", "fatal", "fatal", "error", "warning", "info", "info", "debug")

#: microshift runs every component in one process and names it first: ``kubelet E0206 ...``
_COMPONENT: Final = lazy(r"(?P<comp>[a-z][a-z0-9-]*) (?=\S)")

_BLOCK_START: Final = lazy(r"[A-Za-z0-9_]+=<$")
_BLOCK_END: Final = lazy(r" >(?: |$)")
#: the clocks of a klog stamp (process local) and the journal (UTC) agree to this, modulo zone
_CLOCK_SLACK: Final = timedelta(seconds=2)
_ZONE_STEP: Final = timedelta(minutes=15)
_PROVENANCE: Final = frozenset({"file", "member", "line", "nlines", "raw", "format", "fields"})


@dataclass
class _Record:
    """One journal record (one physical line), or a stitched ``key=<`` block of them."""

    line: int
    raw: list[str]
    obj: dict[str, Any]
    message: str
    lines: list[int]


def realtime(value: object) -> datetime | None:
    """``__REALTIME_TIMESTAMP`` (epoch µs, a string) to aware UTC; ``None`` if unreadable."""
    try:
        return EPOCH + timedelta(microseconds=int(str(value)))
    except (ValueError, OverflowError):
        return None


def complete_local_time(local: Sequence[int], journal_time: datetime) -> datetime | None:
    """UTC time of a year-less, zone-less klog stamp written at ``journal_time``.

    ``local`` is ``(month, day, hour, minute, second, microsecond)`` in the writer's local zone.
    The year is the one putting the stamp closest to the journal time; the zone offset is the
    difference rounded to a quarter hour. ``None`` when the two clocks disagree beyond that
    (then the journal time is the better one).
    """
    if len(local) != 6:
        return None
    month, day, hour, minute, second, micro = (int(v) for v in local)
    ref = journal_time.astimezone(UTC).replace(tzinfo=None)
    best: datetime | None = None
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cand = datetime(year, month, day, hour, minute, second, micro)
        except ValueError:
            continue
        if best is None or abs(cand - ref) < abs(best - ref):
            best = cand
    if best is None:
        return None
    diff = best - ref
    offset = round(diff / _ZONE_STEP) * _ZONE_STEP
    if abs(diff - offset) > _CLOCK_SLACK or abs(offset) > timedelta(hours=14):
        return None
    return (best - offset).replace(tzinfo=UTC)


def _decode_message(value: object) -> tuple[str, str | None]:
    """MESSAGE as text, and a damage note for a warning issue (or ``None``)."""
    if isinstance(value, str):
        return value, None
    if value is None:
        return "", (
            f"MESSAGE is null: journalctl drops fields over {JSON_THRESHOLD} bytes "
            "unless exported with --all; the record is kept with an empty message"
        )
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        data = bytes(value)
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace"), (
                "MESSAGE is a byte array that is not valid UTF-8; decoded with U+FFFD replacement"
            )
    return json.dumps(value), "MESSAGE is neither a string, a byte array nor null; kept as JSON"


def _sniff_line(line: str) -> bool:
    text = line.strip().lstrip("\x1e")
    if not (text.startswith("{") and ('"__REALTIME_TIMESTAMP"' in text or '"__CURSOR"' in text)):
        return False
    try:
        obj = json.loads(text)
    except ValueError:
        return False
    return isinstance(obj, dict) and ("__REALTIME_TIMESTAMP" in obj or "__CURSOR" in obj)


class JournalJson(LogFormat):
    """``journalctl -o json`` (also ``json-seq``) exports, any unit mix, several hosts."""

    name: ClassVar[str] = "journal-json"
    aliases: ClassVar[tuple[str, ...]] = ("journalctl-json", "journald-json")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["journal-json"]
    description: ClassVar[str] = "journalctl -o json export (__REALTIME_TIMESTAMP in epoch µs)"

    def sniff(self, head: Sequence[str]) -> float:
        return fraction(head, _sniff_line)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        return _Parser(self.name, src).run()


class _Parser:
    """One pass over a journal export: dedup, block stitching, payload dispatch."""

    def __init__(self, fmt: str, src: TextSource) -> None:
        from multus_forensics.registry import payload_parsers

        self.fmt = fmt
        self.src = src
        self.parsers = payload_parsers()
        self.rows: list[dict[str, Any]] = []
        self.frames: list[pl.DataFrame] = []
        self.duplicates: dict[int, list[int]] = {}  # event line -> duplicate lines it absorbed
        self.issues: list[ParseIssue] = []
        self.blank = 0

    def issue(self, line: int, reason: str, text: str, severity: str = "error") -> None:
        self.issues.append(
            ParseIssue(
                self.src.file,
                self.src.member,
                line,
                reason,
                excerpt(text),
                "error" if severity == "error" else "warning",
                self.fmt,
            )
        )

    def run(self) -> ParseOutput:
        cursors: dict[str, int] = {}  # cursor -> line of the event that holds the record
        blocks: dict[tuple[str, str, str], _Record] = {}
        for lineno, line in enumerate(self.src.lines, 1):
            text = line.strip().lstrip("\x1e")
            if not text:
                self.blank += 1
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                self.issue(lineno, f"not valid JSON, not a journal record ({exc})", line)
                continue
            if not isinstance(obj, dict) or not (
                "__REALTIME_TIMESTAMP" in obj or "__CURSOR" in obj or "MESSAGE" in obj
            ):
                self.issue(lineno, "JSON value without journal fields (MESSAGE, __CURSOR)", line)
                continue
            cursor = obj.get("__CURSOR")
            if isinstance(cursor, str) and cursor in cursors:
                first = cursors[cursor]
                self.duplicates.setdefault(first, []).append(lineno)
                self.issue(
                    lineno,
                    f"duplicate journal record (same __CURSOR as line {first}); kept once",
                    line,
                    "warning",
                )
                continue
            message, note = _decode_message(obj.get("MESSAGE"))
            if note:
                self.issue(lineno, note, line, "warning")
            rec = _Record(lineno, [line], obj, message, [lineno])
            key = (
                str(obj.get("_HOSTNAME", "")),
                str(obj.get("SYSLOG_IDENTIFIER", obj.get("_COMM", ""))),
                str(obj.get("_PID", "")),
            )
            open_block = blocks.get(key)
            if open_block is not None:
                if message.startswith("\t") or _BLOCK_END.match(message):
                    open_block.raw.append(line)
                    open_block.lines.append(lineno)
                    open_block.message += "\n" + message
                    if isinstance(cursor, str):
                        cursors[cursor] = open_block.line
                    if _BLOCK_END.match(message):
                        self.finish(blocks.pop(key))
                    continue
                self.unterminated(blocks.pop(key))
            if isinstance(cursor, str):
                cursors[cursor] = lineno
            if _BLOCK_START.search(message):
                blocks[key] = rec
            else:
                self.finish(rec)
        for rec in blocks.values():
            self.unterminated(rec)
        return ParseOutput(self.frame(), self.issues, self.blank)

    def frame(self) -> pl.DataFrame:
        """All rows in line order (stitched blocks finish late), duplicates counted in nlines.

        An event whose physical lines are not one contiguous run (a block stitched across other
        writers' records, a duplicate absorbed later) lists them in ``fields["lines"]``.
        """
        import polars as pl

        self.flush()
        frame = concat_frames(self.frames)
        if self.duplicates:
            patched = {}
            for line, nlines, fields in (
                frame.filter(pl.col("line").is_in(list(self.duplicates)))
                .select("line", "nlines", "fields")
                .iter_rows()
            ):
                decoded = json.loads(fields)
                own = physical_lines(line, nlines, decoded)
                listed = lines_field(sorted(own + self.duplicates[line]))
                decoded.pop("lines", None)
                if listed is not None:
                    decoded["lines"] = listed
                patched[line] = json.dumps(decoded, sort_keys=True, default=str)
            extra = {line: len(dups) for line, dups in self.duplicates.items()}
            frame = frame.with_columns(
                pl.col("nlines")
                + pl.col("line").replace_strict(extra, default=0, return_dtype=pl.Int64),
                pl.col("line")
                .replace_strict(patched, default=None, return_dtype=pl.String)
                .fill_null(pl.col("fields"))
                .alias("fields"),
            )
        return frame.sort("line", maintain_order=True)

    def flush(self) -> None:
        if self.rows:
            self.frames.append(rows_to_frame(self.rows))
            self.rows = []

    def unterminated(self, rec: _Record) -> None:
        self.issue(
            rec.line,
            "multi-line `key=<` block not closed by ` >` before the writer's next record",
            rec.raw[0],
            "warning",
        )
        self.finish(rec)

    def finish(self, rec: _Record) -> None:
        self.rows.append(self.row(rec))
        if len(self.rows) >= CHUNK_ROWS:  # bounded: dict rows cost far more than frame rows
            self.flush()

    def dispatch(self, message: str, ident: str) -> tuple[dict[str, Any] | None, str | None]:
        """The first registry payload parser that accepts ``message``, and its name."""
        if not message:
            return None, None
        for name, parse_payload in self.parsers:
            res = parse_payload(message)
            if res is not None:
                return res, name
        if ident == "microshift" and (m := _COMPONENT.match(message)):
            inner, inner_name = self.dispatch(message[m.end() :], "")
            if inner is not None:
                inner.setdefault("fields", {})["component"] = m["comp"]
                return inner, inner_name
        return None, None

    def row(self, rec: _Record) -> dict[str, Any]:
        """The event row of a record: payload columns, journal time/host/ident, provenance."""
        obj = rec.obj
        cols: dict[str, Any] = {}
        fields: dict[str, Any] = {}
        ident = str(obj.get("SYSLOG_IDENTIFIER") or obj.get("_COMM") or "")
        res, parser_name = self.dispatch(rec.message, ident)
        local = None
        if res is None:
            cols["message"] = rec.message
        else:
            for key, value in res.items():
                if key == "fields" and isinstance(value, dict):
                    fields.update(value)
                elif key in COLUMNS and key not in _PROVENANCE:
                    cols[key] = value
                elif key != "local_time":
                    fields[key] = value
            local = res.get("local_time")
        for note in fields.pop("_notes", []):
            self.issue(rec.line, str(note), rec.raw[0], "warning")
        jtime = realtime(obj.get("__REALTIME_TIMESTAMP"))
        ptime = cols.get("time")
        if jtime is not None and (ptime is None or _coarse_within(ptime, jtime)):
            # a whole-second payload stamp (multus) orders worse than the journal's µs time
            cols["time"] = jtime
            if local is not None:
                cols["time"] = complete_local_time(local, jtime) or jtime
        cols.pop("year_source", None)  # the journal time carries the year
        if cols.get("time") is None:
            self.issue(
                rec.line, "record has no readable __REALTIME_TIMESTAMP", rec.raw[0], "warning"
            )
        cols["source"] = payload_source(ident, res, parser_name) or "unknown"
        if not cols.get("level"):
            cols["level"] = _priority_level(obj.get("PRIORITY"))
        cols["node"] = cols.get("node") or obj.get("_HOSTNAME") or self.src.node_hint
        journal = {
            k: obj[j]
            for k, j in (
                ("ident", "SYSLOG_IDENTIFIER"),
                ("pid", "_PID"),
                ("unit", "_SYSTEMD_UNIT"),
                ("priority", "PRIORITY"),
                ("boot_id", "_BOOT_ID"),
                ("monotonic_us", "__MONOTONIC_TIMESTAMP"),
            )
            if j in obj
        }
        if parser_name:
            journal["payload_format"] = parser_name
        fields["journal"] = journal
        if "lines" in fields:  # reserved for the physical lines (accounting reads it)
            fields["payload_lines"] = fields.pop("lines")
        listed = lines_field(rec.lines)
        if listed is not None:
            fields["lines"] = listed
        cols.update(
            format=self.fmt,
            fields=json.dumps(fields, sort_keys=True, default=str),
            file=self.src.file,
            member=self.src.member,
            line=rec.line,
            nlines=len(rec.raw),
            raw="\n".join(rec.raw),
        )
        return cols


def _coarse_within(payload_time: datetime, journal_time: datetime) -> bool:
    """A second-precision payload stamp that the journal time falls inside."""
    if payload_time.microsecond:
        return False
    return timedelta(0) <= journal_time - payload_time < timedelta(seconds=1)


def _priority_level(value: object) -> str:
    try:
        return _PRIORITY_LEVELS[int(str(value))]
    except (ValueError, IndexError):
        return "info"
