"""OpenShift e2e event-monitor lines (openshift/origin ``monitor`` package, CI artifacts).

The CI monitor prints every cluster event it observes as a locator (``ns/``, ``pod/``,
``node/``, ``uid/`` ... tokens), an optional note, and ``reason/<Reason>`` followed by the
message. Lines come with or without the monitor's own time and level prefix::

    ns/e2e-deployment-9487 pod/web-57656d96fb-4r4l5 node/worker-b-lx77w - 5.31 seconds after deletion - reason/FailedCreatePodSandBox Failed to create pod sandbox: ...
    Mar 11 13:02:07.418 W ns/lab pod/probe-6d8f9c7b54-qwz4n node/edge-node-2 reason/FailedCreatePodSandBox Failed to create pod sandbox: ...

``N seconds after deletion`` (kept in ``fields.seconds_after_deletion``) is evidence that the
pod was deleted while its sandbox was still being set up (TAXONOMY ``pod_not_in_api``). The
time prefix has no year; it comes from ``ctx.year_anchor`` like every year-less stamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubectl._kubectl_table import Identity, TableBuilder
from multus_forensics.lazyre import lazy
from multus_forensics.model import events_to_frame
from multus_forensics.registry import FORMAT_GLOBS
from multus_forensics.timeutil import years_for_months, zone_or_utc

FORMAT: Final = "openshift-monitor"

LINE: Final = lazy(
    r"^\s*(?:(?P<ts>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+"
    r"(?:-\s+\S+\s+)?(?P<level>[IWE])\s+)?"
    r"(?P<locator>(?:[a-z][\w.-]*/\S+\s+)+?)"
    r"(?:-\s+(?P<note>.*?)\s+-\s+)?reason/(?P<reason>[A-Za-z][\w.-]*)(?:\s+(?P<msg>\S.*?))?\s*$"
)
_AFTER_DELETION = lazy(r"(?P<s>\d+(?:\.\d+)?) seconds after deletion")
_TYPES: Final = {"W": "Warning", "E": "Warning", "I": "Normal"}


def _locator(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in text.split():
        key, _, value = token.partition("/")
        out.setdefault(key, value)
    return out


class OpenshiftMonitor(LogFormat):
    """OpenShift e2e event-monitor lines (``ns/x pod/y node/z ... reason/R message``)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("openshift_e2e_event_monitor", "e2e-monitor")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = "OpenShift e2e event monitor (locator, reason/<Reason>, message)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        hits = sum(1 for line in head if LINE.match(line))
        return max(0.6, hits / len(head)) if hits else 0.0

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        table = TableBuilder(src, FORMAT)
        stamps: list[tuple[int, datetime]] = []  # (row index, year-less time)
        for i, line in enumerate(src.lines):
            if not line.strip():
                table.blank(i)
                continue
            m = LINE.match(line)
            if not m:
                if not table.extend(i, line):
                    table.orphan(i, None, None, line)
                continue
            loc = _locator(m["locator"])
            cells: dict[str, Any] = {"reason": m["reason"], "type": _TYPES.get(m["level"] or "")}
            if m["note"]:
                cells["note"] = m["note"]
                after = _AFTER_DELETION.search(m["note"])
                if after:
                    cells["seconds_after_deletion"] = float(after["s"])
            table.identity = Identity(
                loc.get("ns"), loc.get("pod"), loc.get("uid"), loc.get("node")
            )
            table.open(i, cells, line[m.start("msg") :] if m["msg"] else "")
            if m["ts"]:
                fmt = "%Y %b %d %H:%M:%S" + (".%f" if "." in m["ts"] else "")
                stamps.append((len(table.rows) - 1, datetime.strptime("2000 " + m["ts"], fmt)))
        table.finish()
        years = years_for_months([s.month for _, s in stamps], ctx.year_anchor)
        zone = zone_or_utc(ctx.tz)
        for (index, stamp), year in zip(stamps, years, strict=True):
            cells = table.rows[index].cells
            try:
                cells["time"] = stamp.replace(year=year, tzinfo=zone).astimezone(UTC)
            except ValueError:  # 29 February in a year without one: keep the row untimed
                continue
            cells["year_source"] = ctx.year_anchor.source
        events = table.events({})
        return ParseOutput(events_to_frame(events), list(table.issues), table.blank_lines)
