"""``oc logs --timestamps`` / ``kubectl logs --timestamps``: a container's lines behind a UTC stamp.

What ``oc adm must-gather`` (``oc adm inspect``) stores for every container under
``namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log`` (and ``previous.log``
for the last terminated instance), and what a user gets from ``kubectl logs --timestamps``. The
kubelet re-reads the CRI log and prints ``RFC3339NanoFixed`` (always nine fraction digits) and
the payload; stream and partial tags are gone::

    2026-03-11T13:05:21.402118733Z 2026-03-11T13:05:21Z [verbose] ADD starting CNI request ContainerID:"7c1d…" Netns:"…" IfName:"eth0" Args:"…" Path:""
    2026-03-11T13:05:21.901215460Z 2026-03-11T13:05:21Z [error] [lab/db-1/4e8b…:macvlan-storage]: error adding container to network "macvlan-storage": failed to lookup master "ens5f1": Link not found
    2026-03-11T13:00:02.118204331Z multus-daemon: version:v4.1.0(clean,released), commit:…

The time is the prefix (exact, with its zone), never the payload's own second-precision stamp.
The payload goes through the registry's payload parsers (multus, klog, logrus, ...), else it is
a ``log`` event. A klog ``key=<`` block (one prefixed line per value line, up to `` >``) is
parsed as one record. A line no parser accepts, written in the same burst right after a
Multus record (a panic's stack trace, a ``%v`` with newlines), continues that record. The pod
directory names the pod that *wrote* the log (``fields.log_pod``, ``log_container``), never
the pod a record is about, so it does not fill the namespace/pod columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from multus_forensics.formats._rows import CHUNK_ROWS, concat_frames, rows_to_frame
from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.lazyre import lazy
from multus_forensics.model import COLUMNS, ParseIssue, excerpt
from multus_forensics.registry import FORMAT_GLOBS

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.formats.base import PayloadParser

_PREFIX: Final = lazy(
    r"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?P<frac>\.\d{1,9})?(?:Z|[+-]\d\d:\d\d))"
    r"(?: (?P<payload>.*))?$"
)
#: a CRI file line (``stdout F ...``) has the same stamp: that is the ``cri`` format's
_CRI_TAG: Final = lazy(r"(?:stdout|stderr) [PF](?::\S*)?(?: |$)")
#: rsyslog RFC 3339 / ``short-iso-precise`` lines: ``<host> <ident>[pid]: `` after the stamp
_SYSLOG_TAIL: Final = lazy(r"[^\s:]+ [^\s:\[]+(?:\[\d+\])?: ")
_OWNER: Final = lazy(
    r"(?:^|/)namespaces/(?P<ns>[^/]+)/pods/(?P<pod>[^/]+)/(?P<container>[^/]+)/"
    r"(?:[^/]+/)?logs/(?P<which>[^/.]+)[^/]*$"
)
#: klog multi-line value: ``err=<`` ends the first line, ``\t``-indented lines, `` >`` closes
_BLOCK_START: Final = lazy(r"[A-Za-z0-9_]+=<$")
_BLOCK_END: Final = lazy(r" >(?: |$)")
#: lines of one write reach the runtime together; a later line is a new record
_BURST: Final = timedelta(milliseconds=100)
#: event columns a payload parser may set (time and provenance are this format's)
_PAYLOAD_COLUMNS: Final = frozenset(COLUMNS) - {
    "time", "year_source", "time_relative", "format", "fields", "file", "member", "line",
    "nlines", "raw", "node",
}  # fmt: skip


@dataclass
class _Block:
    """A klog ``key=<`` block being collected: its first line, time, lines and payloads."""

    first: int
    time: datetime | None
    lines: list[str]
    payloads: list[str]

    def take(self, line: str, payload: str) -> None:
        self.lines.append(line)
        self.payloads.append(payload)


def log_owner(path: str) -> dict[str, str]:
    """``log_pod`` (``ns/pod``), ``log_container`` and ``log_instance`` from a must-gather path."""
    m = _OWNER.search(path.replace("\\", "/"))
    if m is None:
        return {}
    return {
        "log_pod": f"{m['ns']}/{m['pod']}",
        "log_container": m["container"],
        "log_instance": m["which"],  # current or previous (the last terminated container)
    }


def line_score(line: str) -> float:
    """1 for a nine-digit stamp and a payload, 0.5 for a shorter fraction, 0 otherwise.

    A second-precision stamp is Multus' or whereabouts' own header, a stream tag after the
    stamp is a CRI file, and a host and syslog identifier after it is rsyslog or journalctl:
    none of them counts.
    """
    m = _PREFIX.match(line)
    if m is None or not m["frac"]:
        return 0.0
    payload = m["payload"] or ""
    if _CRI_TAG.match(payload) or _SYSLOG_TAIL.match(payload):
        return 0.0
    return 1.0 if len(m["frac"]) == 10 else 0.5


def _time(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return None


class TimestampedFormat(LogFormat):
    """Container logs as fetched with ``--timestamps`` (must-gather ``current.log``)."""

    name: ClassVar[str] = "timestamped"
    aliases: ClassVar[tuple[str, ...]] = ("oc-logs", "kubectl-logs", "must-gather-pod-log")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["timestamped"]
    description: ClassVar[str] = "oc/kubectl logs --timestamps (RFC3339Nano prefix, payload)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        return sum(line_score(line) for line in head) / len(head)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        del ctx  # the prefix carries its year and zone
        return _Parser(self.name, src).run()


class _Parser:
    """One pass: prefix, payload dispatch, Multus continuations, rows in chunks."""

    def __init__(self, fmt: str, src: TextSource) -> None:
        from multus_forensics.registry import payload_parsers

        self.fmt, self.src = fmt, src
        self.owner = log_owner(src.member or src.file)
        who = (self.owner.get("log_pod", "") + "/" + self.owner.get("log_container", "")).lower()
        self.default_source = (
            "whereabouts" if "whereabouts" in who else "multus-daemon" if "multus" in who else None
        )
        self.parsers: list[tuple[str, PayloadParser]] = payload_parsers()
        self.rows: list[dict[str, Any]] = []
        self.frames: list[pl.DataFrame] = []
        self.issues: list[ParseIssue] = []
        self.open: dict[str, Any] | None = None  # last Multus row, while lines may continue it
        self.open_time: datetime | None = None
        self.block: _Block | None = None  # an open klog ``key=<`` block

    def run(self) -> ParseOutput:
        blank = 0
        for lineno, line in enumerate(self.src.lines, 1):
            m = _PREFIX.match(line)
            if m is None:
                self.close()
                self.unclosed("before a line without a prefix")
                if line.strip():
                    self.issues.append(ParseIssue(self.src.file, self.src.member, lineno,
                        "no `<RFC3339Nano> ` prefix (oc logs --timestamps)", excerpt(line),
                        format=self.fmt))  # fmt: skip
                else:
                    blank += 1
                continue
            when = _time(m["ts"])
            payload = m["payload"] or ""
            if when is None:
                self.issues.append(ParseIssue(self.src.file, self.src.member, lineno,
                    f"impossible time {m['ts']!r} in the prefix", excerpt(line),
                    severity="warning", format=self.fmt))  # fmt: skip
            if self.block is not None:
                if payload.startswith("\t") or _BLOCK_END.match(payload):
                    self.block.take(line, payload)
                    if _BLOCK_END.match(payload):
                        self.end_block()
                    continue
                self.unclosed("before the next record")
            # endswith first: a bare search for "word=<$" is quadratic on a long word run
            if payload.endswith("=<") and _BLOCK_START.search(payload[-256:]):
                self.close()
                self.block = _Block(lineno, when, [line], [payload])
                continue
            found, parser = self.dispatch(payload)
            if found is None and self.continues(when):
                assert self.open is not None
                self.open["message"] += "\n" + payload
                if self.open.get("error") is not None:
                    self.open["error"] += "\n" + payload
                self.open["nlines"] += 1
                self.open["raw"] += "\n" + line
                self.open_time = when
                continue
            self.close()
            row = self.row(lineno, [line], when, payload, found or {}, parser)
            if parser == "multus":
                self.open, self.open_time = row, when
            else:
                self.add(row)
        self.unclosed("at the end of the log")
        self.close()
        if self.rows:
            self.frames.append(rows_to_frame(self.rows))
        return ParseOutput(concat_frames(self.frames), self.issues, blank)

    def dispatch(self, payload: str) -> tuple[dict[str, Any] | None, str | None]:
        if payload.strip():
            for name, parse_payload in self.parsers:
                found = parse_payload(payload)
                if found is not None:
                    return found, name
        return None, None

    def unclosed(self, where: str) -> None:
        """An open block cut short: parse what it has, with a warning (its lines stay events)."""
        if self.block is not None:
            self.issues.append(ParseIssue(self.src.file, self.src.member, self.block.first,
                f"klog `key=<` block not closed by ` >` {where}", excerpt(self.block.lines[0]),
                severity="warning", format=self.fmt))  # fmt: skip
            self.end_block()

    def end_block(self) -> None:
        block, self.block = self.block, None
        assert block is not None
        payload = "\n".join(block.payloads)
        found, parser = self.dispatch(payload)
        self.add(self.row(block.first, block.lines, block.time, payload, found or {}, parser))

    def continues(self, when: datetime | None) -> bool:
        """The open Multus record takes this line: written in the same burst."""
        if self.open is None or when is None or self.open_time is None:
            return False
        return timedelta(0) <= when - self.open_time <= _BURST

    def close(self) -> None:
        if self.open is not None:
            self.add(self.open)
            self.open = self.open_time = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK_ROWS:  # bounded: dict rows cost far more than frame rows
            self.frames.append(rows_to_frame(self.rows))
            self.rows = []

    def row(
        self,
        lineno: int,
        lines: list[str],
        when: datetime | None,
        payload: str,
        found: dict[str, Any],
        parser: str | None,
    ) -> dict[str, Any]:
        import json

        row = {k: v for k, v in found.items() if k in _PAYLOAD_COLUMNS and v is not None}
        fields: dict[str, Any] = dict(found.get("fields") or {})
        fields.update(
            (k, v)
            for k, v in found.items()
            if k not in COLUMNS and k not in ("fields", "local_time", "source")
        )
        for note in fields.pop("_notes", []):  # payload damage (klog JSON): the line stays
            self.issues.append(ParseIssue(self.src.file, self.src.member, lineno, str(note),
                excerpt(lines[0]), severity="warning", format=self.fmt))  # fmt: skip
        if parser:
            fields["parser"] = parser
        fields.update(self.owner)
        source = found.get("source")
        if parser == "klog" or source is None:
            source = (
                self.default_source
            )  # klog's "kubelet" is a journald guess; a container wrote it
        elif source == "multus" and self.default_source:
            source = self.default_source  # same pkg/logging header, the pod says which writer
        row.setdefault("message", payload)
        row.setdefault("kind", "log")
        row.setdefault("level", "info")
        row.update(
            time=when if when is not None else found.get("time"),
            source=source or "unknown",
            node=self.src.node_hint,
            format=self.fmt,
            fields=json.dumps(fields, sort_keys=True, default=str),
            file=self.src.file,
            member=self.src.member,
            line=lineno,
            nlines=len(lines),
            raw="\n".join(lines),
        )
        return row
