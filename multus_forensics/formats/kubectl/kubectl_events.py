"""``kubectl get events`` text tables (FORMATS.md §6.2).

Printed by kubectl's table printer; pasted from a terminal, often wrapped. Shapes read::

    LAST SEEN   TYPE      REASON                   OBJECT              MESSAGE
    0s          Warning   FailedCreatePodSandBox   pod/probe-6d8f9c7b54-qwz4n   Failed to create pod sandbox: ...
    114s (x4219 over 149m)   Warning   FailedKillPod   Pod/web-7c9d8b6f5-h2kxm   error killing pod: ...

with a leading ``NAMESPACE`` column under ``-A``, ``pod/x`` (newer kubectl) or ``Pod/x``, and the
pre-1.14 layout ``LASTSEEN FIRSTSEEN COUNT NAME KIND SUBOBJECT TYPE REASON SOURCE MESSAGE``
(NAME is the event name ``<pod>.<hash>``). Wrapped message lines continue the row above them
(see :mod:`multus_forensics.formats.kubectl._kubectl_table`). Ages are turned into times only against
``ctx.now``: the table carries no timestamp of its own, so without ``now`` the ages stay in
``fields`` and ``time`` is ``None``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubectl import _kubectl as k
from multus_forensics.formats.kubectl._kubectl_table import Identity, TableBuilder
from multus_forensics.lazyre import lazy
from multus_forensics.model import events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

FORMAT: Final = "kubectl-events"

_NS = r"[a-z0-9][-a-z0-9]*"
ROW: Final = lazy(
    rf"^\s*(?:(?P<ns>{_NS})\s+)?(?P<age>{k.AGE_CELL})\s+(?P<type>Normal|Warning)\s+"
    r"(?P<reason>[A-Za-z][\w.-]*)\s+(?P<object>[A-Za-z][\w.-]*/\S+)(?:\s+(?P<msg>\S.*?))?\s*$"
)
OLD_ROW: Final = lazy(
    rf"^\s*(?:(?P<ns>{_NS})\s+)?(?P<last>{k.AGE_TOKEN})\s+(?P<first>{k.AGE_TOKEN})\s+"
    r"(?P<count>\d+)\s+(?P<name>\S+)\s+(?P<kind>[A-Z][A-Za-z]*)\s+(?:(?P<sub>\S+)\s+)?"
    rf"(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z][\w.-]*)\s+(?P<from>{k.FROM})"
    r"(?:\s+(?P<msg>\S.*?))?\s*$"
)
HEAD: Final = lazy(
    r"^\s*(?:NAMESPACE\s+)?(?:LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+.*MESSAGE"
    r"|LASTSEEN\s+FIRSTSEEN\s+COUNT\s+NAME\s+KIND\s+SUBOBJECT\s+TYPE\s+REASON\s+SOURCE\s+MESSAGE)"
    r".*$"
)


def _cells(m: re.Match[str], old: bool) -> tuple[dict[str, Any], Identity]:
    if old:
        age = k.Age(m["last"], m["first"], int(m["count"]))
        kind, name = m["kind"], m["name"].rsplit(".", 1)[0]
        cells: dict[str, Any] = {"from": m["from"], "sub_object": m["sub"]}
    else:
        age = k.Age.parse(m["age"])
        kind, _, name = m["object"].partition("/")
        cells = {"object": m["object"]}
    cells.update(type=m["type"], reason=m["reason"], age=age)
    is_pod = kind.lower() == "pod"
    return cells, Identity(m["ns"], name if is_pod else None)


_WIDE_COLUMNS: Final = ("SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN", "COUNT", "NAME")
_AGE_ONLY = lazy(rf"^{k.AGE_TOKEN}$")


def _wide_columns(heading: str) -> list[int] | None:
    """Column starts of ``-o wide`` (message in the middle), ``None`` for other headings."""
    if not heading.rstrip().endswith("NAME") or "FIRST SEEN" not in heading:
        return None
    cols = [heading.find(name) for name in _WIDE_COLUMNS]
    return cols if all(c > 0 for c in cols) and cols == sorted(cols) else None


def _wide_cells(
    line: str, cols: list[int], cells: dict[str, Any]
) -> tuple[dict[str, Any], str] | None:
    """Split the tail of an ``-o wide`` row by the heading's column starts.

    kubectl prints ``LAST SEEN`` alone there and the first-seen age and count in their own
    columns; ``None`` when the row does not keep the heading's alignment.
    """
    parts = [line[a:b].strip() for a, b in itertools.pairwise([*cols, len(line)])]
    if len(line) <= cols[5] or not _AGE_ONLY.match(parts[3]) or not parts[4].isdigit():
        return None
    last = cells["age"].last
    out = {**cells, "sub_object": parts[0] or None, "from": parts[1] or None,
           "age": k.Age(last, parts[3], int(parts[4]))}  # fmt: skip
    return out, line[cols[2] : cols[3]]


class KubectlEvents(LogFormat):
    """``kubectl get events`` table (with or without NAMESPACE, old 1.13 layout)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("kubectl_get_events", "get-events")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = "kubectl get events table (LAST SEEN TYPE REASON OBJECT MESSAGE)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        if any(HEAD.match(line) for line in head[:3]):
            return 0.95
        rows = sum(1 for line in head if ROW.match(line) or OLD_ROW.match(line))
        return max(0.7, rows / len(head)) if rows else 0.0

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        table = TableBuilder(src, FORMAT)
        wide: list[int] | None = None
        for i, line in enumerate(src.lines):
            if not line.strip():
                table.blank(i)
                continue
            if HEAD.match(line):
                table.heading(i)
                wide = _wide_columns(line)
                continue
            m = ROW.match(line)
            old = False
            if not m:
                m = OLD_ROW.match(line)
                old = m is not None
            if m:
                cells, table.identity = _cells(m, old)
                message = line[m.start("msg") :] if m["msg"] else ""
                split = _wide_cells(line, wide, cells) if wide and not old else None
                if split is not None:
                    cells, message = split
                table.open(i, cells, message)
            elif not table.extend(i, line):
                table.orphan(i, k.reason_from_message(line.strip()), None, line)
        table.finish()
        anchors: dict[int, tuple[datetime, str]] = {0: (ctx.now, "now")} if ctx.now else {}
        events = table.events(anchors)
        return ParseOutput(events_to_frame(events), list(table.issues), table.blank_lines)
