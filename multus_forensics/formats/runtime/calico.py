"""Calico CNI plugin log (``/var/log/calico/cni/cni.log``), also its stderr under a runtime.

Calico's plugin writes ``<date> <time.ms> [LEVEL][pid] <file> <line>: <msg>`` with the node's
local time and no zone (FORMATS.md §4.4), and key=value context after the message. When Multus
delegates to calico the same lines reach Multus' stderr and the runtime's log (k3s
``containerd.log``), which is why the ``calico`` payload parser exists::

    2026-03-11 13:02:05.883 [INFO][6153] plugin.go 326: Calico CNI found existing endpoint … ContainerID="2ac6…" Namespace="lab" Pod="probe-…"
    2026-03-11 13:02:06.101 [WARNING][6153] k8s.go 603: … WorkloadEndpoint="edge--node--2-k8s-probe…-eth0"
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
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
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \[(?P<lvl>[A-Z]+)\]\[(?P<pid>\d+)\] "
    r"(?P<file>\S+) (?P<lineno>\d+): (?P<msg>.*)$"
)
_KV_RE: Final = lazy(r'(?P<key>ContainerID|Namespace|Pod|IfName|WorkloadEndpoint)="(?P<val>[^"]*)"')
_LEVELS: Final = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error",
                  "FATAL": "fatal", "PANIC": "fatal"}  # fmt: skip
_COLUMNS: Final = {"ContainerID": "sandbox_id", "Namespace": "namespace", "Pod": "pod",
                   "IfName": "interface"}  # fmt: skip


def _values(m: re.Match[str], tz: tzinfo | None) -> dict[str, Any]:
    level = _LEVELS.get(m["lvl"], "info")
    msg = m["msg"]
    out: dict[str, Any] = {"level": level, "message": msg, "kind": "log", "source": "cni-plugin"}
    with contextlib.suppress(ValueError):
        out["time"] = datetime.fromisoformat(m["ts"]).replace(tzinfo=tz or UTC).astimezone(UTC)
    fields: dict[str, Any] = {"plugin": "calico", "caller": f"{m['file']}:{m['lineno']}"}
    for kv in _KV_RE.finditer(msg):
        column = _COLUMNS.get(kv["key"])
        if column and kv["val"]:
            out[column] = kv["val"]
        elif kv["val"]:
            fields[kv["key"]] = kv["val"]
    if level in ("error", "fatal"):
        out["error"] = msg
    out["fields"] = fields
    return out


def parse_calico_payload(payload: str) -> dict[str, Any] | None:
    """Payload parser for calico plugin lines; the zone-less stamp is read as UTC."""
    m = _LINE_RE.match(payload)
    return _values(m, None) if m else None


class CalicoFormat(LogFormat):
    name: ClassVar[str] = "calico"
    aliases: ClassVar[tuple[str, ...]] = ("calico_plugin_log", "calico-cni")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["calico"]
    description: ClassVar[str] = "Calico CNI plugin log (date time [LEVEL][pid] file line: msg)"

    def sniff(self, head: Sequence[str]) -> float:
        return any_share_score(head, lambda line: _LINE_RE.match(line) is not None)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        events: list[Event] = []
        issues: list[ParseIssue] = []
        blanks = 0
        for number, line in enumerate(src.lines, start=1):
            m = _LINE_RE.match(line)
            if m is None:
                if line.strip():
                    issues.append(ParseIssue(src.file, src.member, number,
                        "not a calico log line", excerpt(line), format=self.name))  # fmt: skip
                else:
                    blanks += 1
                continue
            events.append(Event(**_values(m, ctx.tz), format=self.name, file=src.file,
                                member=src.member, line=number, raw=line,
                                node=src.node_hint))  # fmt: skip
        return ParseOutput(events_to_frame(events), issues, blanks)
