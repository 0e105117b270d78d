"""CRI container log files: ``/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log``.

The kubelet's log format for every container (FORMATS.md §6.5). In thick deployments the Multus
daemon's and whereabouts' logs live here (``kube-system_kube-multus-ds-…/kube-multus/0.log``)::

    2026-03-11T13:02:06.120934511Z stderr F 2026-03-11T13:02:06Z [verbose] ADD starting CNI request ContainerID:"2ac6…" …
    2026-03-11T13:02:06.511208374Z stderr P 2026-03-11T13:02:06Z [verbose] ADD finished CNI request ContainerID:"2ac6…" … result: "{\\"cniVersion\\"
    2026-03-11T13:02:06.511208374Z stderr F :\\"0.3.1\\", …}", err: <nil>

``P`` marks a partial line that the runtime split (16 KiB chunks); it is joined with the
following lines of the same stream up to the ``F`` (a partial interrupted by the other
stream is kept as is, with a warning: an event is a run of contiguous lines). A line no
payload parser understands, right after a Multus record on the same stream, continues that
record (a ``%v`` with newlines, a panic stack trace), as in a Multus log file. Each joined payload goes through the
registry's payload parsers (``multus`` first for Multus / whereabouts containers), falling back to
a ``log`` event. The event time is the CRI stamp. The directory names the pod that *wrote* the
log (``fields.log_pod``), which is not the pod a record is about, so it never fills the
namespace/pod columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    any_share_score,
)
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, ParseIssue, events_to_frame, excerpt
from multus_forensics.registry import FORMAT_GLOBS

_LINE_RE: Final = lazy(
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<stream>stdout|stderr) (?P<tag>[PF])(?::\S*)?(?: (?P<payload>.*))?$"
)
_POD_DIR_RE: Final = lazy(
    r"(?:^|/)(?P<ns>[^/_]+)_(?P<pod>[^/_]+)_(?P<uid>[0-9a-f-]{36})/(?P<container>[^/]+)/[^/]+$"
)
_CONTAINERS_RE: Final = lazy(
    r"(?:^|/)(?P<pod>[^/_]+)_(?P<ns>[^/_]+)_(?P<container>[^/]+)-(?P<cid>[0-9a-f]{64})\.log$"
)
_COLUMNS: Final = frozenset(Event.__dataclass_fields__) - {
    "file",
    "member",
    "line",
    "nlines",
    "raw",
}


def log_owner(path: str) -> dict[str, str]:
    """``log_pod`` / ``log_pod_uid`` / ``log_container`` from a pod-log or containers path."""
    if m := _POD_DIR_RE.search(path):
        return {
            "log_pod": f"{m['ns']}/{m['pod']}",
            "log_pod_uid": m["uid"],
            "log_container": m["container"],
        }
    if m := _CONTAINERS_RE.search(path):
        return {"log_pod": f"{m['ns']}/{m['pod']}", "log_container": m["container"]}
    return {}


def _parse_time(ts: str) -> datetime | None:
    try:
        return datetime.fromisoformat(ts).astimezone(UTC)
    except ValueError:
        return None


class _Record:
    __slots__ = ("first", "lines", "parts", "stream", "ts")

    def __init__(self, first: int, ts: str, stream: str) -> None:
        self.first, self.ts, self.stream = first, ts, stream
        self.lines: list[str] = []
        self.parts: list[str] = []


class CriFormat(LogFormat):
    name: ClassVar[str] = "cri"
    aliases: ClassVar[tuple[str, ...]] = ("cri-log", "container-log", "container_stdout")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["cri"]
    description: ClassVar[str] = "CRI container log (RFC3339Nano stdout|stderr P|F payload)"

    def sniff(self, head: Sequence[str]) -> float:
        return any_share_score(head, lambda line: _LINE_RE.match(line) is not None)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        from multus_forensics.registry import payload_parsers

        del ctx  # CRI stamps carry their zone and year
        owner = log_owner(src.member or src.file)
        who = (owner.get("log_pod", "") + "/" + owner.get("log_container", "")).lower()
        multus_log = "multus" in who or "whereabouts" in who
        parsers = payload_parsers()
        if multus_log:
            parsers.sort(key=lambda p: p[0] not in ("multus", "multus-entrypoint"))
        events: list[Event] = []
        issues: list[ParseIssue] = []
        blanks = 0

        # stream -> index in events of its last record, when that was a Multus record: an
        # unparsable line right after it (next physical line, same stream) continues it (%v
        # with newlines, panic stack traces), as in a Multus log file
        continues: dict[str, int] = {}

        def emit(rec: _Record) -> None:
            payload = "".join(rec.parts)
            found: dict[str, Any] = {}
            for name, parser in parsers:
                if (hit := parser(payload)) is not None:
                    found = hit
                    found["fields"] = {**found.get("fields", {}), "parser": name}
                    break
            i = continues.get(rec.stream, -1)
            if not found and i >= 0 and events[i].line + events[i].nlines == rec.first:
                ev = events[i]
                events[i] = dataclasses.replace(
                    ev,
                    message=ev.message + "\n" + payload,
                    error=ev.error + "\n" + payload if ev.error is not None else None,
                    nlines=ev.nlines + len(rec.lines),
                    raw=ev.raw + "\n" + "\n".join(rec.lines),
                )
                return
            continues.pop(rec.stream, None)
            if found.get("fields", {}).get("parser") == "multus":
                continues[rec.stream] = len(events)
            fields = {**found.pop("fields", {}), **owner, "stream": rec.stream}
            if len(rec.lines) > 1:
                fields["partials"] = len(rec.lines)
            source = found.pop("source", None)
            if fields.get("parser") == "klog":
                source = None  # klog's "kubelet" is a journald guess; here the container wrote it
            if source == "multus" and "whereabouts" in who:
                source = "whereabouts"  # same pkg/logging header, different writer
            elif source == "multus" and "multus" in who:
                source = "multus-daemon"
            values = {k: v for k, v in found.items() if k in _COLUMNS}
            values.update(
                time=_parse_time(rec.ts),
                source=source or ("multus-daemon" if "multus" in who else "unknown"),
                message=found.get("message", payload),
            )
            values.setdefault("kind", "log")
            values.setdefault("level", "info")  # stderr is where every multus line goes: no signal
            events.append(
                Event(
                    **values,
                    format=self.name,
                    fields=fields,
                    file=src.file,
                    member=src.member,
                    line=rec.first,
                    nlines=len(rec.lines),
                    raw="\n".join(rec.lines),
                    node=src.node_hint,
                )
            )

        # records are contiguous lines (event spans never overlap): a partial is joined with
        # the next line only when that line continues it on the same stream
        pending: _Record | None = None

        def flush_partial() -> None:
            nonlocal pending
            if pending is not None:
                issues.append(ParseIssue(src.file, src.member, pending.first,
                    "partial (P) line not completed by an F line right after it; kept as is",
                    excerpt(pending.lines[0]), severity="warning", format=self.name))  # fmt: skip
                emit(pending)
                pending = None

        for number, line in enumerate(src.lines, start=1):
            m = _LINE_RE.match(line)
            if m is None:
                flush_partial()
                if line.strip():
                    issues.append(ParseIssue(src.file, src.member, number,
                        "not a CRI log line (<time> <stream> <P|F> <payload>)", excerpt(line),
                        format=self.name))  # fmt: skip
                else:
                    blanks += 1
                continue
            if pending is not None and pending.stream != m["stream"]:
                flush_partial()
            rec = pending or _Record(number, m["ts"], m["stream"])
            pending = None
            rec.lines.append(line)
            rec.parts.append(m["payload"] or "")
            if m["tag"] == "P":
                pending = rec
            else:
                emit(rec)
        flush_partial()
        events.sort(key=lambda e: e.line)
        return ParseOutput(events_to_frame(events), issues, blanks)
