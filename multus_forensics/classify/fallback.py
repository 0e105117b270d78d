"""Raw lines that no parser turned into events, so that diagnosis still sees them.

A ticket paste in a layout no parser knows (a wrapped ``kubectl get events`` row, a prefixed
container log) is reported by :func:`multus_forensics.parse` as a skipped file or as error issues
for its lines; the classifier then reads exactly those lines as plain events of format
:data:`FALLBACK_FORMAT`, and findings resting only on them get a lower confidence (no identities,
times or record boundaries were recovered).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from multus_forensics.lazyre import lazy_regex
from multus_forensics.model import Event, FileStats, ParseIssue

if TYPE_CHECKING:
    from multus_forensics.formats.base import TextSource
    from multus_forensics.ingest.model import RawStream

FALLBACK_FORMAT: Final = "unrecognised"

_ERRORISH: Final = lazy_regex(
    r"(?i)\b(?:error(?:ed|s)?|err|failed|failure|fatal|unable|cannot|can't|denied|refused|"
    r"unauthorized|not found|no such|timed out|exceeded|busy|invalid|missing|does not support|"
    r"unsupported|incompatible)\b|^[EF]\d{4} "
)


def unrecognised_events(
    paths: Sequence[str], files: Sequence[FileStats], issues: Sequence[ParseIssue] = ()
) -> list[Event]:
    """One event per non-blank line of unrecognised inputs and per line reported as unparsed."""
    from multus_forensics.ingest import decode, iter_streams
    from multus_forensics.ingest.model import RawStream

    # read but not parsed (no format recognised, formats tied): every line goes to the classifier,
    # unless the input is not a log at all (source code, a script): its lines never do
    whole = {(f.file, f.member) for f in files if f.skipped and f.lines > 0 and not f.not_log}
    lines: dict[tuple[str, str | None], set[int]] = {}
    for issue in issues:
        if issue.severity == "error" and issue.line is not None:
            lines.setdefault((issue.file, issue.member), set()).add(issue.line)
    wanted = whole | set(lines)
    if not wanted:
        return []
    events: list[Event] = []
    for item in iter_streams(list(paths)):
        if not isinstance(item, RawStream) or (item.file, item.member) not in wanted:
            continue
        src, _ = decode(item)
        only = None if (item.file, item.member) in whole else lines[(item.file, item.member)]
        events.extend(source_events(src, only))
    return events


def stream_unrecognised(
    item: RawStream, stats: FileStats, issues: Sequence[ParseIssue]
) -> list[Event]:
    """:func:`unrecognised_events` of one stream, from its bytes at hand (where a batch worker
    parsed it) rather than read again from the file it came from."""
    from multus_forensics.ingest import decode

    whole = bool(stats.skipped) and stats.lines > 0 and not stats.not_log
    lines = {
        i.line
        for i in issues
        if i.severity == "error"
        and i.line is not None
        and (i.file, i.member) == (item.file, item.member)
    }
    if not whole and not lines:
        return []
    src, _ = decode(item)
    return source_events(src, None if whole else lines)


def source_events(src: TextSource, only: set[int] | None) -> list[Event]:
    """One event per non-blank line of ``src`` (of the lines in ``only`` when given)."""
    events: list[Event] = []
    for n, line in enumerate(src.lines, start=1):
        if not line.strip() or (only is not None and n not in only):
            continue
        error = bool(_ERRORISH.search(line))
        events.append(
            Event(
                format=FALLBACK_FORMAT,
                level="error" if error else "info",
                message=line,
                error=line if error else None,
                file=src.file,
                member=src.member,
                line=n,
                raw=line,
                # a file no format recognised at all, or a line a recognised format left
                fields={"fallback": "line" if only is not None else "file"},
            )
        )
    return events
