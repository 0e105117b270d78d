"""One followed input turned into event frames, batch by batch, with the batch run's parsers.

Bytes are cut into complete lines; the format is chosen once, by :func:`registry.detect` on the
first lines (as a batch run does on a file's head), waiting for more lines while no format is
recognised yet. Each batch of lines is decoded by :func:`ingest.decode` and parsed by the
format's own ``parse``; line numbers are shifted to the line's place in the file, so evidence
points at the real line.

A record may span lines (a ``err=<`` block, a describe section, even across other writers'
lines in a journal), and a writer may be in the middle of it: while the input is still moving,
the lines that arrived in the last ``settle`` seconds (at most :data:`MAX_HELD_LINES`) are held
back, and so is any record that reaches into them; they are parsed again with the next lines.
Once the input has been quiet for ``settle`` seconds (or has ended) everything is parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from multus_forensics.errors import MultusForensicsError
from multus_forensics.formats._podrefs import fill_pod_refs
from multus_forensics.formats.base import ParseContext, TextSource
from multus_forensics.ingest import RawStream, decode
from multus_forensics.model import ParseIssue
from multus_forensics.registry import detect
from multus_forensics.timeutil import YearAnchor
from multus_forensics.watch.follow import Follower, Restart

if TYPE_CHECKING:
    from datetime import tzinfo

    import polars as pl

    from multus_forensics.formats.base import LogFormat

#: non-blank lines after which an unrecognised input is given up on (batch runs sniff 50)
DETECT_LINES: Final = 50
#: recent lines held back for completion at most (a flood would otherwise be parsed twice)
MAX_HELD_LINES: Final = 256
#: formats whose rows are read by their columns' header, and a word of that header: each
#: batch after the first is parsed with the header line in front (``kubectl get events -w``)
TABLE_HEADERS: Final = {"kubectl-events": b"REASON"}
#: a line without its newline is cut here, so one endless line cannot exhaust memory
MAX_LINE_BYTES: Final = 8 << 20


@dataclass
class Batch:
    """Events parsed from one stretch of an input; ``generation`` counts its restarts."""

    label: str
    generation: int
    frame: pl.DataFrame | None
    issues: list[ParseIssue]


@dataclass
class StreamStats:
    lines: int = 0
    events: int = 0
    unparsed_lines: int = 0
    blank_lines: int = 0


@dataclass
class LiveStream:
    """Lines of one follower, parsed in batches (see the module docstring)."""

    follower: Follower
    format_name: str | None = None
    year: int | None = None
    tz: tzinfo | None = None
    settle: float = 0.2
    fmt: LogFormat | None = None
    generation: int = 0
    stats: StreamStats = field(default_factory=StreamStats)
    #: what happened to the input, for the person watching (format chosen, rotations)
    notices: list[str] = field(default_factory=list)
    _partial: bytes = b""
    _lines: list[bytes] = field(default_factory=list)  # complete lines, as read (no copies)
    _base: int = 0  # lines of this generation already parsed
    _last_data: float = 0.0
    #: (lines buffered, arrival time) after each read: how recent the buffered lines are
    _arrivals: list[tuple[int, float]] = field(default_factory=list)
    _buffered: int = 0  # complete lines in _lines
    _given_up: str | None = None
    _header: bytes = b""  # a table's column header, put before each later batch
    _ready: list[Batch] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.follower.label

    @property
    def ended(self) -> bool:
        return self.follower.ended

    def pump(self, now: float) -> int:
        """Read what the follower has; returns the number of bytes received."""
        got = 0
        for chunk in self.follower.read():
            if isinstance(chunk, Restart):
                self._restart(chunk.reason, now)
            else:
                got += len(chunk)
                self._feed(chunk)
                self._arrivals.append((self._buffered, now))
        if got:
            self._last_data = now
        if self.follower.ended and self._partial:
            self._lines.append(self._partial + b"\n")  # the writer's last line had no newline
            self._buffered += 1
            self._partial = b""
        return got

    def _feed(self, data: bytes) -> None:
        cut = data.rfind(b"\n") + 1
        if cut:
            if self._partial:
                self._lines.append(self._partial)
            self._lines.append(data if cut == len(data) else data[:cut])
            self._buffered += data.count(b"\n", 0, cut)
            self._partial = data[cut:]
        else:
            self._partial += data
        if len(self._partial) > MAX_LINE_BYTES:
            self._lines.append(self._partial + b"\n")
            self._buffered += 1
            self._partial = b""
            self.notices.append(
                f"{self.label}: a line over {MAX_LINE_BYTES} bytes without newline was cut"
            )

    def _restart(self, reason: str, now: float) -> None:
        if self._partial:
            self._lines.append(self._partial + b"\n")
            self._buffered += 1
            self._partial = b""
        self._parse(hold=None, final=True)
        self.generation += 1
        self._base = 0
        self.notices.append(
            {
                "rotated": f"{self.label}: rotated (a new file at the path); reading it from the start",
                "truncated": f"{self.label}: truncated in place (copytruncate); reading from the start",
                "appeared": f"{self.label}: appeared; reading it from the start",
            }[reason]
        )

    def take(self, now: float, *, final: bool = False) -> list[Batch]:
        """Batches parsed since the last call (recent lines held while the input moves,
        unless ``final``: the watch stops)."""
        quiet = final or self.follower.ended or now - self._last_data >= self.settle
        settled = 0  # buffered lines that arrived at least ``settle`` seconds ago
        for lines, when in self._arrivals:
            if now - when >= self.settle:
                settled = lines
        self._parse(hold=None if quiet else settled, final=final or self.follower.ended)
        out, self._ready = self._ready, []
        return out

    @property
    def waiting(self) -> bool:
        """Lines are buffered (held back, or waiting for the format to be recognised)."""
        return bool(self._lines)

    def _context(self) -> ParseContext:
        if self.year is not None:
            return ParseContext(YearAnchor(year=self.year, source="argument"), self.tz)
        mtime: datetime | None = self.follower.mtime
        if mtime is not None:
            return ParseContext(YearAnchor(reference=mtime, source="file-mtime"), self.tz)
        return ParseContext(YearAnchor(), self.tz)  # the clock: a pipe is being written now

    def _detect(self, data: bytes, final: bool) -> bool:
        head = TextSource(self.label, data[: 1 << 18].decode("utf-8", "replace")).head(DETECT_LINES)
        reason = ""
        try:
            fmt, why = detect(self.label, head, self.format_name)
        except MultusForensicsError as exc:
            fmt, reason = None, str(exc)
        if fmt is not None:
            self.fmt = fmt
            first = next((ln for ln in data.split(b"\n", 64) if ln.strip()), b"")
            if fmt.name in TABLE_HEADERS and TABLE_HEADERS[fmt.name] in first:
                self._header = first + b"\n"
            self.notices.append(f"{self.label}: format {fmt.name} ({why})")
            return True
        if len(head) >= DETECT_LINES or final:
            self._given_up = reason or why
            self.notices.append(
                f"{self.label}: not parsed: {self._given_up}; its lines are counted as unparsed"
            )
        return False

    def _parse(self, *, hold: int | None, final: bool = False) -> None:
        """Parse the buffered lines; with ``hold``, only the first ``hold`` lines (fewer if a
        record reaches past them) and at least all but :data:`MAX_HELD_LINES`."""
        if not self._lines:
            return
        data = b"".join(self._lines)
        undetected = self._given_up is None and self.fmt is None
        if undetected and not self._detect(data, final) and self._given_up is None:
            return  # wait for more lines before choosing a format
        n_lines = data.count(b"\n")
        if self.fmt is None:
            self._unparsed(data, n_lines)
            return
        if self._header and not self._base and data == self._header and not final:
            return  # a table's header alone: it is read with its first row, as a batch run does
        header = self._header if self._base else b""  # the table's header, read long ago
        raw = RawStream(self.label, header + data, mtime=self.follower.mtime, name=self.label)
        src, issues = decode(raw)
        out = self.fmt.parse(src, self._context())
        frame = fill_pod_refs(out.events)  # as a batch run does after every parser
        if header:
            frame, issues, out.issues = (
                _drop_header(frame),
                _after_header(issues),
                _after_header(out.issues),
            )
        keep = n_lines if hold is None else _complete_lines(frame, n_lines, hold)
        if keep == 0:
            return  # every line is recent, or in a record still being written
        if keep < n_lines:
            frame = frame.filter(frame["line"] <= keep)
            held = _line_offset(data, keep, n_lines)
            self._lines = [data[held:]]
        else:
            self._lines = []
        self._buffered = n_lines - keep
        issues = [i for i in [*issues, *out.issues] if i.line is None or i.line <= keep]
        self._account(frame, issues, keep, out.blank_lines if keep == n_lines else None)
        self._ready.append(
            Batch(
                self.label,
                self.generation,
                _shift(frame, self._base),
                _shift_issues(issues, self._base),
            )
        )
        self._base += keep
        self._arrivals = [(lines - keep, when) for lines, when in self._arrivals if lines > keep]

    def _account(
        self, frame: pl.DataFrame, issues: list[ParseIssue], lines: int, blank: int | None
    ) -> None:
        event_lines = int(frame["nlines"].sum()) if frame.height else 0
        issue_lines = sum(1 for i in issues if i.severity == "error" and i.line is not None)
        if blank is None:  # held back a record: the lines before it are events, issues, blank
            blank = lines - event_lines - issue_lines
        s = self.stats
        s.lines += lines
        s.events += frame.height
        s.unparsed_lines += issue_lines
        s.blank_lines += blank
        if event_lines + issue_lines + blank != lines:
            issues.append(
                ParseIssue(
                    self.label,
                    None,
                    None,
                    f"line accounting broken in format {self.fmt.name if self.fmt else '?'}: "
                    f"{lines} lines read, {event_lines} in events, {issue_lines} reported, "
                    f"{blank} blank (a bug: please report it)",
                )
            )

    def _unparsed(self, data: bytes, n_lines: int) -> None:
        blank = sum(1 for line in data.split(b"\n")[:n_lines] if not line.strip())
        self.stats.lines += n_lines
        self.stats.unparsed_lines += n_lines - blank
        self.stats.blank_lines += blank
        self._base += n_lines
        self._lines = []
        self._buffered = 0
        self._arrivals = []


def _complete_lines(frame: pl.DataFrame, n_lines: int, settled: int) -> int:
    """Lines that can be parsed for good: the settled ones (at least all but the last
    :data:`MAX_HELD_LINES`), minus any record that reaches past them."""
    import polars as pl

    cut = max(settled, n_lines - MAX_HELD_LINES)
    if cut >= n_lines or frame.height == 0:
        return cut
    last = pl.col("line") + pl.col("nlines") - 1
    stitched = frame["fields"].str.contains('"lines"', literal=True)
    spans = frame.select("line", last.alias("last"))
    if stitched.any():  # a record stitched across other writers' lines ends at its last line
        ends = [max(json.loads(f)["lines"]) for f in frame.filter(stitched)["fields"]]
        spans = pl.concat(
            [spans, frame.filter(stitched).select("line", pl.Series("last", ends, pl.Int64))]
        )
    across = spans.filter((pl.col("line") <= cut) & (pl.col("last") > cut))
    if across.height:
        cut = int(across["line"].min()) - 1  # type: ignore[arg-type]
    return cut


def _line_offset(data: bytes, lines: int, total: int) -> int:
    """Byte offset where line ``lines + 1`` starts (``data`` ends with a newline; the lines
    held back are few, so they are counted from the end)."""
    pos = len(data) - 1
    for _ in range(total - lines):
        pos = data.rfind(b"\n", 0, pos)
    return pos + 1


def _drop_header(frame: pl.DataFrame) -> pl.DataFrame:
    """Events of ``header + batch`` as events of the batch: line 1 (the header) removed."""
    import polars as pl

    first = pl.col("line") == 1
    frame = frame.with_columns(
        pl.when(first).then(pl.col("nlines") - 1).otherwise(pl.col("nlines")).alias("nlines"),
        pl.when(first)
        .then(pl.col("raw").str.splitn("\n", 2).struct.field("field_1"))
        .otherwise(pl.col("raw"))
        .alias("raw"),
        (pl.when(first).then(2).otherwise(pl.col("line")) - 1).alias("line"),
    )
    return frame.filter(pl.col("nlines") > 0)


def _after_header(issues: list[ParseIssue]) -> list[ParseIssue]:
    from dataclasses import replace

    return [
        i if i.line is None else replace(i, line=i.line - 1)
        for i in issues
        if i.line is None or i.line > 1
    ]


def _shift(frame: pl.DataFrame, base: int) -> pl.DataFrame | None:
    """Line numbers of a batch moved to their place in the file (``fields.lines`` too)."""
    import polars as pl

    if frame.height == 0:
        return None
    if base == 0:
        return frame
    frame = frame.with_columns(pl.col("line") + base)
    listed = frame["fields"].str.contains('"lines"', literal=True)
    if listed.any():
        frame = frame.with_columns(
            pl.when(listed)
            .then(pl.col("fields").map_elements(lambda f: _shift_fields(f, base), pl.String))
            .otherwise(pl.col("fields"))
            .alias("fields")
        )
    return frame


def _shift_fields(text: str, base: int) -> str:
    fields = json.loads(text)
    lines = fields.get("lines")
    if isinstance(lines, list):
        fields["lines"] = [n + base if isinstance(n, int) else n for n in lines]
    return json.dumps(fields, sort_keys=True)


def _shift_issues(issues: list[ParseIssue], base: int) -> list[ParseIssue]:
    if not base:
        return issues
    from dataclasses import replace

    return [i if i.line is None else replace(i, line=i.line + base) for i in issues]
