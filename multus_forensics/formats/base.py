"""The contract every log format implements, and the inputs it receives.

A format is a small class with a declared identity (``name``, ``aliases``, ``filename_globs``), a
content sniffer returning a 0..1 score, and ``parse`` turning one decoded :class:`TextSource` into
an event frame plus issues. Formats never touch the file system: ingestion hands them text with
provenance, and a :class:`ParseContext` carrying the year/zone policy.

Wrapper formats (journald, CRI container logs) hand each record's payload to a *payload parser*
(see :data:`multus_forensics.registry.PAYLOAD_PARSERS`): a function ``(payload) -> dict | None``
returning event column values, or ``None`` when the payload is not of that shape.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from multus_forensics.mapping import Data, count
from multus_forensics.model import ParseIssue
from multus_forensics.timeutil import YearAnchor

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.rowcut import RowCut


@dataclass(frozen=True, init=False, eq=False)
class TextSource:
    """One decoded input stream with its provenance.

    ``text`` has CR-LF folded to LF and NUL bytes removed by ingestion (which reported them).
    ``mtime`` is the best modification time known for the stream (archive member, gzip header,
    file), in UTC, with ``mtime_origin`` naming which.

    Built from ``text``, or from ``data`` alone (bytes ingestion found to be clean UTF-8): then
    ``text`` is decoded on first access, so a parser that reads the bytes (the vectorised
    journald path) never holds a second copy of a large file. Sources compare by identity.
    """

    file: str
    member: str | None = None
    mtime: datetime | None = None
    mtime_origin: str | None = None
    node_hint: str | None = None
    #: the UTF-8 bytes of ``text`` when ingestion had nothing to change (optional), read into
    #: memory or mapped (:mod:`~multus_forensics.mapping`): vectorised parsers read
    #: them without a copy; everything else keeps using ``text``/``lines``
    data: Data | None = None

    def __init__(
        self,
        file: str,
        text: str | None = None,
        member: str | None = None,
        mtime: datetime | None = None,
        mtime_origin: str | None = None,
        node_hint: str | None = None,
        data: Data | None = None,
    ) -> None:
        if text is None and data is None:
            raise ValueError("TextSource needs text or data")
        # frozen: the fields go straight into the instance dict (one update, not six setattrs)
        self.__dict__.update(
            file=file, member=member, mtime=mtime, mtime_origin=mtime_origin,
            node_hint=node_hint, data=data,
        )  # fmt: skip
        if text is not None:
            self.__dict__["text"] = text  # what the cached property would compute

    @cached_property
    def text(self) -> str:
        """The decoded text (from ``data`` on first access when built from bytes)."""
        assert self.data is not None  # __init__ requires one of the two
        data = self.data
        return str(data if isinstance(data, bytes | mmap.mmap) else bytes(data), "utf-8")

    def _decoded(self) -> bool:
        return "text" in self.__dict__

    @property
    def line_count(self) -> int:
        """``len(self.lines)`` without building the list (large files); counted once, kept
        without ``cached_property``'s lock (read for every one of thousands of small files)."""
        have: int | None = self.__dict__.get("_line_count")
        if have is not None:
            return have
        if self.data is not None and not self._decoded():
            data = self.data
            n = count(data, b"\n") + (1 if len(data) and data[-1:] != b"\n" else 0)
        else:
            text = self.text
            n = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
        self.__dict__["_line_count"] = n
        return n

    @cached_property
    def lines(self) -> list[str]:
        """Physical lines without terminators; a final newline does not add an empty line."""
        if not self.text:
            return []
        lines = self.text.split("\n")
        if lines[-1] == "":
            lines.pop()
        return lines

    def head(self, n: int = 50) -> list[str]:
        """The first ``n`` non-blank lines, for sniffing.

        Read once per source: paste detection, format detection and the format itself all
        ask, and for a small file those reads cost more than its parse.
        """
        have: tuple[int, list[str]] | None = self.__dict__.get("_head")
        if have is not None and (have[0] >= n or len(have[1]) < have[0]):
            return have[1][:n]
        out = self._read_head(n)
        self.__dict__["_head"] = (n, out)
        return out[:]

    def _read_head(self, n: int) -> list[str]:
        data = self.data
        if data is None or self._decoded():
            return _head(self.text, n)
        # decode a growing prefix cut at a newline (a character boundary in UTF-8)
        size = 1 << 16
        while True:
            cut = len(data) if size >= len(data) else data.rfind(b"\n", 0, size) + 1
            if cut == len(data) or cut:
                out = _head(data[:cut].decode("utf-8"), n)
                if len(out) >= n or cut == len(data):
                    return out
            size *= 4


#: texts up to this long are split whole (one C call); longer ones are walked line by line
_SPLIT_WHOLE = 1 << 17


def _head(text: str, n: int) -> list[str]:
    if len(text) <= _SPLIT_WHOLE:
        return [line for line in text.split("\n") if line.strip()][:n]
    out: list[str] = []
    start = 0
    while len(out) < n and start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        line = text[start:end]
        if line.strip():
            out.append(line)
        start = end + 1
    return out


@dataclass(frozen=True)
class ParseContext:
    """Time policy for one source: explicit year, zone of zone-less stamps, year anchor, now;
    and the rows a parser whose chunks it can cut may drop (``cut``: :mod:`multus_forensics.rowcut`)."""

    year_anchor: YearAnchor = field(default_factory=YearAnchor)
    tz: tzinfo | None = None
    now: datetime | None = None
    cut: RowCut | None = None


@dataclass
class ParseOutput:
    """A parser's result: a schema-conforming event frame and the issues it found.

    ``blank_lines`` counts whitespace-only lines the parser skipped outside any record, and
    ``header_lines`` the file header lines it read as facts about the file (a journald
    ``-- Logs begin at`` line, a glog preamble) rather than as events; with them the line
    accounting is lines = event lines + issue lines + blank lines + header lines.
    """

    events: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)
    blank_lines: int = 0
    header_lines: int = 0
    #: ``events["nlines"].sum()`` when the parser already knows it (a batch counts every
    #: file's at once); None: counted from the frame
    event_lines: int | None = None
    #: one-line events the parser dropped under ``ParseContext.cut`` (counted, not returned)
    cut_rows: int = 0
    #: why the cut rows are needed after all (see :class:`multus_forensics.rowcut.CutState`)
    cut_whole: str | None = None


class BatchRows(ParseOutput):
    """One source's output of :meth:`LogFormat.parse_batch` whose events are the rows
    ``start .. start + height`` of a frame every output of the batch shares.

    ``events`` is cut from that frame when first read; a caller that keeps the rows where they
    are (``parse`` hands the shared frame on whole) pays no slice per source, which for a
    10-line file cost more than parsing its lines.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        start: int,
        height: int,
        issues: list[ParseIssue],
        blank_lines: int,
        header_lines: int,
        event_lines: int,
    ) -> None:
        self.shared, self.start, self.height = frame, start, height
        self._events: pl.DataFrame | None = None
        self.issues, self.blank_lines, self.header_lines = issues, blank_lines, header_lines
        self.event_lines = event_lines

    @property
    def events(self) -> pl.DataFrame:
        if self._events is None:
            self._events = self.shared.slice(self.start, self.height)
        return self._events

    @events.setter
    def events(self, frame: pl.DataFrame) -> None:  # the new frame is then all the rows
        self.shared, self.start, self.height, self._events = frame, 0, frame.height, frame


class LogFormat:
    """Base class of the registered formats (one subclass per module under ``formats/``)."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    filename_globs: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def sniff(self, head: Sequence[str]) -> float:
        """Score in 0..1 for how well the first non-blank lines fit this format."""
        raise NotImplementedError

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        """Turn the whole source into events; every line must be in an event or an issue."""
        raise NotImplementedError

    def batchable(self, src: TextSource, ctx: ParseContext) -> bool:
        """Whether ``src`` may be parsed with others of this format by :meth:`parse_batch`
        (a format whose per-file setup outweighs a small file's lines says yes to those)."""
        return False

    def admit_many(self, datas: Sequence[bytes]) -> list[int | None]:
        """For texts whose names only this format's globs match, whether each certainly passes
        decoding unchanged, needs no paste stripping, is detected as this format and is
        :meth:`batchable` in a ``parse`` call: decided for many small files at once, where
        asking each costs more than parsing its lines. An admitted text's answer is its
        :attr:`TextSource.line_count` (the decision counted its lines: not counted again);
        None means "ask one by one"."""
        return [None] * len(datas)

    def admit_table(self, datas: Sequence[bytes]) -> tuple[list[int | None], object | None]:
        """:meth:`admit_many`, and what deciding built over the texts that :meth:`parse_batch`
        reads again for a run of them (the format's own, e.g. one line table; None: nothing)."""
        return self.admit_many(datas), None

    def parse_batch(
        self,
        srcs: Sequence[TextSource],
        ctxs: Sequence[ParseContext],
        shared: tuple[object, int] | None = None,
    ) -> list[ParseOutput]:
        """One output per source, each what :meth:`parse` gives that source alone.

        ``shared``: what :meth:`admit_table` built, and the place of ``srcs[0]`` among its
        texts, when the sources are those texts in their order."""
        return [self.parse(src, ctx) for src, ctx in zip(srcs, ctxs, strict=True)]


PayloadParser = Callable[[str], "dict[str, Any] | None"]


def fraction(head: Sequence[str], predicate: Callable[[str], bool]) -> float:
    """Share of ``head`` lines for which ``predicate`` holds: the usual sniff score."""
    if not head:
        return 0.0
    return sum(1 for line in head if predicate(line)) / len(head)


def any_share_score(head: Sequence[str], predicate: Callable[[str], bool]) -> float:
    """0 when no line fits, else 0.5 plus half the share that fits.

    For formats whose lines are unmistakable when present but mixed with other output (plugin
    stderr between CRI records, shell noise around crictl): one matching line already means a lot.
    """
    share = fraction(head, predicate)
    return 0.0 if share == 0.0 else 0.5 + 0.5 * share
