"""journalctl / syslog text: kubelet, runtime and k3s records with a syslog prefix.

Written by ``journalctl`` (``-o short``, ``short-precise``, ``short-iso``, ``short-iso-precise``,
``short-full``, ``short-unix``) and by rsyslog into ``/var/log/messages`` or ``/var/log/syslog``; must-gathers keep it as
``host_service_logs/masters/kubelet_service.log``. Examples::

    -- Logs begin at Mon 2026-03-09 08:00:01 UTC, end at Wed 2026-03-11 14:05:00 UTC. --
    Mar 11 14:02:07 edge-node-2 kubelet[2231]: E0311 14:02:07.418552    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err="..." pod="lab/probe-6d8f9c7b54-qwz4n"
    Apr  8 07:20:41 edge-node-2 kubelet: E0408 07:20:41.772001    1902 remote_runtime.go:116] "RunPodSandbox from runtime service failed" err="rpc error: ... plugi>
    Feb 01 05:37:45.731611 master-0 kubenswrapper[2213]: I0201 05:37:45.731580    2213 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="ns/p"
    2026-03-11T14:02:07+0100 edge-node-2 k3s[1844]: E0311 14:02:07.418552    1844 ...
    2026-03-11T14:02:07.418601+01:00 edge-node-2 containerd[1187]: time="..." level=error msg="..."
    5월 03 09:12:44 worker-1 kubelet[911]: I0503 09:12:44.000100     911 ...
    Wed 2026-03-11 14:02:07.418601 CET edge-node-2 kubelet[2231]: E0311 14:02:07.418552    2231 ...
    1773234127.418601 edge-node-2 kubelet[2231]: E0311 13:02:07.418552    2231 ...

A ``-- Logs begin at ... --`` / ``-- Journal begins at ... --`` first line is the file's header:
counted as a header line (not an event), its dates anchor the year of every year-less record
(its weekday is the locale's). journalctl prints local times: when no zone is given and the
header or a ``short-full`` stamp names one other than UTC, the file gets a warning naming it.
The host field gives ``node`` per line (several nodes may interleave) and the syslog
identifier gives ``source`` (kubelet for kubelet, kubenswrapper and hyperkube; crio, systemd,
NetworkManager, kube-apiserver, bootkube.sh... as written; see :func:`payload_source`).
Payloads are parsed by klog first, then by the registry's other payload parsers in order; a
payload nobody recognises is still an event (``kind=log``). ``err=<`` blocks spanning records
are stitched per writer (host, ident, pid), also when a newest-first paste reverses them.
English ``short`` files of :data:`VECTOR_MIN_LINES` lines or more go through the compiled
scanner of :mod:`._journalvec`, which leaves what it does not read exactly to the careful path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubelet._syslogstamp import (
    FULL_RE,
    ISO_RE,
    MARKER_RE,
    UNIX_RE,
    header_anchor,
    header_zone,
    month_number,
    short_month,
)
from multus_forensics.model import ParseIssue, excerpt
from multus_forensics.registry import FORMAT_GLOBS
from multus_forensics.timeutil import zone_or_utc

#: files at least this large take the compiled scanner; below, its setup (a few polars
#: columns, one merge) costs more than the careful path's per-record work
VECTOR_MIN_LINES = 16


def is_record(line: str) -> bool:
    """A syslog/journalctl record line with a known month name or an ISO stamp."""
    mon = short_month(line)
    if mon is not None:
        return month_number(mon) is not None
    return any(r.match(line) is not None for r in (ISO_RE, FULL_RE, UNIX_RE))


class JournaldFormat(LogFormat):
    """journalctl short* output and syslog files (see the module docstring)."""

    name: ClassVar[str] = "journald"
    aliases: ClassVar[tuple[str, ...]] = ("syslog", "journal")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["journald"]
    description: ClassVar[str] = (
        "journalctl -o short/short-precise/short-iso(-precise), syslog and rsyslog RFC 3339 text"
    )

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        hits = sum(1 for line in head if is_record(line) or MARKER_RE.fullmatch(line))
        return hits / len(head)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        from multus_forensics._native import load
        from multus_forensics.formats.kubelet import _journalrec, _journalvec

        ctx = _own_anchor(src, ctx)
        if _journalvec.applies(src, ctx, VECTOR_MIN_LINES) and load("_kscan") is not None:
            out = _journalvec.parse_vectorised(src, ctx, self.name)
        else:
            out = _journalrec.parse_lines(src, ctx, self.name, enumerate(src.lines), None)
        out.issues.extend(zone_note(src, ctx, self.name))
        return out

    def batchable(self, src: TextSource, ctx: ParseContext) -> bool:
        from multus_forensics.formats.kubelet import _journalbatch

        return _journalbatch.batchable(src, _own_anchor(src, ctx))

    def admit_many(self, datas: Sequence[bytes]) -> list[int | None]:
        return self.admit_table(datas)[0]

    def admit_table(self, datas: Sequence[bytes]) -> tuple[list[int | None], object | None]:
        """Heads read for all at once, over one line table (:func:`._journalbatch.admit_table`)."""
        from multus_forensics.formats.kubelet import _journalbatch, _journalvec
        from multus_forensics.registry import MIN_SNIFF_SCORE

        if not _journalvec.scanner_available():
            return [None] * len(datas), None
        return _journalbatch.admit_table(datas, MIN_SNIFF_SCORE)

    def parse_batch(
        self,
        srcs: Sequence[TextSource],
        ctxs: Sequence[ParseContext],
        shared: tuple[object, int] | None = None,
    ) -> list[ParseOutput]:
        """Small files scanned together (:mod:`._journalbatch`), each read as if alone."""
        from multus_forensics.formats.kubelet import _journalbatch

        table = None
        if shared is not None and isinstance(shared[0], _journalbatch.LineTable):
            table = shared[0].part(shared[1], len(srcs))
        own = [_own_anchor(src, ctx) for src, ctx in zip(srcs, ctxs, strict=True)]

        def notes(f: int) -> list[ParseIssue]:
            return zone_note(srcs[f], own[f], self.name)

        zoned = any(ctx.tz is None for ctx in own)  # a given zone: no note to look for
        return _journalbatch.parse_batch(
            srcs, own, self.name, VECTOR_MIN_LINES, notes if zoned else None, table
        )


def _own_anchor(src: TextSource, ctx: ParseContext) -> ParseContext:
    """``ctx`` with the file's header dates as its year anchor, unless ``year=`` was given."""
    if ctx.year_anchor.source != "argument" and _may_have_header(src):
        anchor = header_anchor(src.head(3), zone_or_utc(ctx.tz))
        ctx = replace(ctx, year_anchor=anchor) if anchor is not None else ctx
    return ctx


def _may_have_header(src: TextSource) -> bool:
    """False when no line of ``src`` can be a ``-- ... --`` header (no ``--`` anywhere):
    one search instead of its head split into lines (thousands of small files ask)."""
    data = src.data
    if data is not None and not src._decoded():
        return len(data) > _HEADER_SEARCH_MAX or data.find(b"--") >= 0
    return len(src.text) > _HEADER_SEARCH_MAX or "--" in src.text


#: larger sources read their head instead (a mapped file is not searched whole)
_HEADER_SEARCH_MAX: Final = 1 << 20


def zone_note(src: TextSource, ctx: ParseContext, fmt: str) -> list[ParseIssue]:
    """A file-level warning when no zone was given and the journalctl header says the times
    are local times of another zone: they are read as UTC, which shifts them against other
    sources (a Multus log in UTC), so the user is told which zone to pass."""
    if ctx.tz is not None:
        return []
    head = src.head(5)
    found = header_zone(head)
    # ``-o short-iso``/``short-unix`` records carry their own offset: only zone-less stamps
    # (``short``, and ``short-full``'s abbreviations) are read as UTC
    if found is None or any(ISO_RE.match(line) or UNIX_RE.match(line) for line in head):
        return []
    zone, line = found
    return [
        ParseIssue(
            src.file,
            src.member,
            None,
            f"journalctl printed these times in {zone}; they are read as UTC: pass the node's "
            "zone (--tz, tz=) to place them against other sources",
            excerpt(line),
            severity="warning",
            format=fmt,
        )
    ]


#: identifiers that are the kubelet: OpenShift's kubenswrapper, old hyperkube
KUBELET_IDENTS: Final = ("kubelet", "kubenswrapper", "hyperkube")
#: one process running kubelet and containerd: records are attributed by payload shape
EMBEDDED_IDENTS: Final = ("k3s", "rke2", "k3s-agent", "rke2-agent", "microshift")


def payload_source(ident: str, parsed: dict[str, Any] | None, shape: str | None) -> str:
    """The writing component: the syslog identifier (kubelet, crio, kube-apiserver, a script).

    klog is written by many components (kube-apiserver, crio's klog lines, bootstrap tools),
    so a klog payload does not make its writer the kubelet. A payload parser that names a
    writer of its own (Multus' stderr in the kubelet's journal) is believed; k3s and rke2 run
    kubelet and containerd in one process, so their records are attributed by payload shape.
    """
    if shape != "klog" and parsed is not None and isinstance(parsed.get("source"), str):
        return str(parsed["source"])
    if ident in KUBELET_IDENTS:
        return "kubelet"
    if ident in EMBEDDED_IDENTS and shape in ("klog", "logrus"):
        return "kubelet" if shape == "klog" else "containerd"
    return ident
