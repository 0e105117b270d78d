"""Expand inputs into raw byte streams, and decode them into :class:`TextSource`."""

from __future__ import annotations

import glob
import gzip
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from multus_forensics.formats.base import TextSource
from multus_forensics.model import ParseIssue, excerpt


@dataclass(frozen=True)
class Limits:
    """Safety bounds for ingestion."""

    max_member_bytes: int = 2 * 1024**3  # decompressed size cap per stream
    max_depth: int = 3  # nested archives followed this deep


@dataclass(frozen=True)
class RawStream:
    """Bytes of one file or archive member, already decompressed, with provenance."""

    file: str
    data: bytes
    member: str | None = None
    mtime: datetime | None = None
    mtime_origin: str | None = None


def _expand(paths: Sequence[str]) -> Iterator[str | ParseIssue]:
    for p in paths:
        if p == "-":
            yield p
        elif os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        elif os.path.exists(p):
            yield p
        elif glob.has_magic(p):
            hits = sorted(glob.glob(p, recursive=True))
            if not hits:
                yield ParseIssue(p, None, None, "glob pattern matched no file")
            yield from _expand(hits)
        else:
            yield ParseIssue(p, None, None, "no such file or directory")


def iter_streams(
    paths: Sequence[str], limits: Limits | None = None
) -> Iterator[RawStream | ParseIssue]:
    """Yield one :class:`RawStream` per readable input, or a file-level issue per problem."""
    limits = limits or Limits()
    for item in _expand(paths):
        if isinstance(item, ParseIssue):
            yield item
            continue
        if item == "-":
            yield RawStream("<stdin>", sys.stdin.buffer.read())
            continue
        try:
            with open(item, "rb") as fh:
                data = fh.read()
            mtime = datetime.fromtimestamp(os.stat(item).st_mtime, UTC)
        except OSError as exc:
            yield ParseIssue(item, None, None, f"cannot read: {exc.strerror or exc}")
            continue
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                yield ParseIssue(item, None, None, f"gzip stream is damaged: {exc}")
                continue
        yield RawStream(item, data, None, mtime, "file-mtime")


def decode(stream: RawStream, node_hint: str | None = None) -> tuple[TextSource, list[ParseIssue]]:
    """UTF-8 decode with damage reported: invalid bytes replaced, NULs removed, CRLF folded."""
    issues: list[ParseIssue] = []
    data = stream.data
    if b"\x00" in data:
        issues.append(
            ParseIssue(stream.file, stream.member, None, "NUL bytes removed", severity="warning")
        )
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        line = data.count(b"\n", 0, exc.start) + 1
        issues.append(
            ParseIssue(
                stream.file,
                stream.member,
                line,
                "invalid UTF-8 replaced with U+FFFD (first occurrence)",
                excerpt(text.split("\n", line)[line - 1] if line else ""),
                severity="warning",
            )
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    src = TextSource(stream.file, text, stream.member, stream.mtime, stream.mtime_origin, node_hint)
    return src, issues
