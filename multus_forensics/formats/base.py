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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from multus_forensics.model import ParseIssue
from multus_forensics.timeutil import YearAnchor

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class TextSource:
    """One decoded input stream with its provenance.

    ``text`` has CR-LF folded to LF and NUL bytes removed by ingestion (which reported them).
    ``mtime`` is the best modification time known for the stream (archive member, gzip header,
    file), in UTC, with ``mtime_origin`` naming which.
    """

    file: str
    text: str
    member: str | None = None
    mtime: datetime | None = None
    mtime_origin: str | None = None
    node_hint: str | None = None
    #: the UTF-8 bytes of ``text`` when ingestion had nothing to change (optional): vectorised
    #: parsers read them without a copy; everything else keeps using ``text``/``lines``
    data: bytes | None = None

    @cached_property
    def line_count(self) -> int:
        """``len(self.lines)`` without building the list (large files)."""
        text = self.text
        return text.count("\n") + (1 if text and not text.endswith("\n") else 0)

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
        """The first ``n`` non-blank lines, for sniffing."""
        out: list[str] = []
        start = 0
        text = self.text
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
    """Time policy for one source: explicit year, zone of zone-less stamps, year anchor, now."""

    year_anchor: YearAnchor = field(default_factory=YearAnchor)
    tz: tzinfo | None = None
    now: datetime | None = None


@dataclass
class ParseOutput:
    """A parser's result: a schema-conforming event frame and the issues it found.

    ``blank_lines`` counts whitespace-only lines the parser skipped outside any record; they are
    the third term of the line accounting (lines = event lines + issue lines + blank lines).
    """

    events: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)
    blank_lines: int = 0


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


PayloadParser = Callable[[str], "dict[str, Any] | None"]


def fraction(head: Sequence[str], predicate: Callable[[str], bool]) -> float:
    """Share of ``head`` lines for which ``predicate`` holds: the usual sniff score."""
    if not head:
        return 0.0
    return sum(1 for line in head if predicate(line)) / len(head)
