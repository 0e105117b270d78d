"""``kubectl describe pod`` output: the pod header, its annotations and the Events table.

Written by kubectl (pkg/describe/describe.go) into a terminal, then pasted into a report: it is
the most common evidence in Multus bug threads. Shapes read (FORMATS.md §6.1, §6.4)::

    Name:             probe-6d8f9c7b54-qwz4n
    Namespace:        lab
    Node:             edge-node-2/10.0.0.12
    Start Time:       Wed, 11 Mar 2026 13:01:50 +0000
    Annotations:      k8s.v1.cni.cncf.io/networks: macvlan-conf
    Status:           Pending
    Events:
      Type     Reason                  Age                 From     Message
      ----     ------                  ----                ----     -------
      Normal   AddedInterface          2m8s                multus   Add net1 [192.0.2.40/24] from lab/macvlan-conf
      Warning  FailedCreatePodSandBox  4s (x12 over 2m8s)  kubelet  (combined from similar events): Failed to ...

and the tab-separated layout of 2017 (``FirstSeen LastSeen Count From SubObjectPath Type Reason
Message``, ``kubelet, worker-3`` as From). Columns are found from their closed shapes (Type is
``Normal|Warning``, Reason one word, Age an age cell) and tabwriter's 2+-space gaps, so rows
with lost indentation or squeezed padding still parse; rows that keep the heading's alignment
are cut at the heading's From/Message positions (an empty From cell). A line that is not a row continues the
open row (hard wraps: joined without a space when the wrap split a word, with one space when
either side had whitespace). A row whose left columns were cut off in a paste is recovered from
its message shape, with a warning.

Times: ages are relative to the moment kubectl ran. The anchor is ``ctx.now`` when given;
otherwise ``Start Time`` plus the first-seen age of the ``Scheduled`` row (the pod starts within
a second of being scheduled), recorded as ``fields.anchor``; otherwise no time at all (the ages
stay in ``fields``). ``Start Time`` alone is only a lower bound of "now" and is never used so.

Line ownership: the pod header block (through the Events table heading) is split into a
``pod:info`` record (the lines before the Multus annotations), the ``pod:networks`` /
``pod:network-status`` events (their annotation lines; one per network-status entry when the
JSON is printed over several lines, as Multus writes it) and a ``log`` record for the rest.
A table heading with no pod header belongs to the first row after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.kubectl import _kubectl as k
from multus_forensics.formats.kubectl._kubectl_pod import Annotation, block_events, parse_start_time
from multus_forensics.formats.kubectl._kubectl_table import Identity, Row, TableBuilder
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, ParseIssue, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

FORMAT: Final = "kubectl-describe"

ROW: Final = lazy(
    rf"^\s*(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z][\w.-]*)\s+(?P<age>{k.AGE_CELL})"
    rf"(?:\s+(?P<from>{k.FROM}))?(?:\s+(?P<msg>\S.*?))?\s*$"
)
OLD_ROW: Final = lazy(
    rf"^\s*(?P<first>{k.AGE_TOKEN})\s+(?P<last>{k.AGE_TOKEN})\s+(?P<count>\d+)\s+"
    rf"(?P<from>{k.FROM})\s+(?:(?P<sub>\S+)\s+)?(?P<type>Normal|Warning)\s+"
    r"(?P<reason>[A-Za-z][\w.-]*)(?:\s+(?P<msg>\S.*?))?\s*$"
)
TABLE_HEAD: Final = lazy(
    r"^\s*(?:Type\s+Reason\s+Age\s+From\s+Message"
    r"|FirstSeen\s+LastSeen\s+Count\s+From\s+SubObjectPath\s+Type\s+Reason\s+Message)\s*$"
)
DASHES: Final = lazy(r"^\s*-{2,}(?:\s+-{2,})*\s*$")
EVENTS: Final = lazy(r"^Events:\s*(?:<none>)?\s*$")
FIELD: Final = lazy(r"^(?P<key>[A-Z][A-Za-z -]*?):(?:\s+(?P<value>.*?))?\s*$")
#: a row cut on the left: what is left is ``[From  ]Message``
CUT_ROW: Final = lazy(rf"^\s*(?:(?P<from>{k.FROM})\s{{2,}})?(?P<msg>\S.*?)\s*$")


_FROM_CELL = lazy(rf"^{k.FROM}$")
_ANNOTATION_KEY = lazy(r"^[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?:(?:\s|$)")


def _match_row(line: str, layout: _Layout | None) -> tuple[dict[str, Any], str] | None:
    """(cells, first message fragment) when ``line`` starts a row of either layout."""
    m = ROW.match(line)
    if m is not None:
        cells = {"type": m["type"], "reason": m["reason"], "from": m["from"],
                 "age": k.Age.parse(m["age"])}  # fmt: skip
        message = line[m.start("msg") :] if m["msg"] else ""
        return layout.refine(line, m, cells, message) if layout else (cells, message)
    m = OLD_ROW.match(line)
    if m is None:
        return None
    cells = {"type": m["type"], "reason": m["reason"], "from": m["from"],
             "age": k.Age(m["last"], m["first"], int(m["count"]))}  # fmt: skip
    if m["sub"]:
        cells["sub_object"] = m["sub"]
    return cells, line[m.start("msg") :] if m["msg"] else ""


@dataclass(frozen=True)
class _Layout:
    """Column starts read from the table heading (tabwriter aligns every row to them)."""

    type_col: int
    from_col: int
    msg_col: int

    @classmethod
    def of(cls, heading: str) -> _Layout | None:
        if "From" not in heading or "Message" not in heading:
            return None
        return cls(heading.index("Type"), heading.index("From"), heading.index("Message"))

    def refine(
        self, line: str, m: re.Match[str], cells: dict[str, Any], message: str
    ) -> tuple[dict[str, Any], str]:
        """From and Message by position when the row keeps the heading's alignment.

        This reads rows whose From cell is empty (no component and no reporting controller)
        that the gap-based pattern would split inside the message.
        """
        aligned = m.start("type") == self.type_col and len(line) > self.msg_col
        if not aligned or line[self.msg_col - 2 : self.msg_col] != "  ":
            return cells, message
        if line[self.from_col - 1] != " " or line[self.msg_col].isspace():
            return cells, message
        source = line[self.from_col : self.msg_col].strip()
        if source and not _FROM_CELL.match(source):
            return cells, message
        return {**cells, "from": source or None}, line[self.msg_col :]


class _Pod:
    """Header facts of one described pod and the lines its ``pod:info`` record owns."""

    def __init__(self, group: int) -> None:
        self.group = group
        self.values: dict[str, str] = {}
        self.annotations: list[tuple[list[int], list[str]]] = []  # (line indices, lines)
        self.owned: list[int] = []
        self._key = ""

    def add(self, i: int, line: str) -> None:
        self.owned.append(i)
        field = FIELD.match(line)
        if field and not line[0].isspace():
            self._key = field["key"]
            value = field["value"] or ""
            self.values[self._key] = value
            if self._key == "Annotations" and value and value != "<none>":
                self.annotations.append(([i], [value]))
        elif self._key == "Annotations" and line[:1].isspace():
            text = line.strip()
            if _ANNOTATION_KEY.match(text) or not self.annotations:
                self.annotations.append(([i], [text]))
            else:
                self.annotations[-1][0].append(i)
                self.annotations[-1][1].append(text)

    def identity(self) -> Identity:
        node = self.values.get("Node", "").split("/", 1)[0].strip()
        return Identity(
            self.values.get("Namespace") or None,
            self.values.get("Name") or None,
            self.values.get("UID") or None,
            None if not node or node == "<none>" else node,
        )

    def annotation_values(self) -> list[Annotation]:
        out = []
        for lines, parts in self.annotations:
            key, _, first = parts[0].partition(":")
            value_lines = [first.strip(), *parts[1:]]
            out.append(Annotation(key.strip(), "\n".join(value_lines).strip(), lines, value_lines))
        return out


def _scheduled_anchor(pod: _Pod, rows: Sequence[Row]) -> datetime | None:
    """Start Time plus the Scheduled row's age: "now" when kubectl ran, to the age's precision."""
    start = parse_start_time(pod.values.get("Start Time"))
    if start is None:
        return None
    for row in rows:
        if row.group == pod.group and row.reason == "Scheduled" and row.cells.get("age"):
            first = k.age_seconds(row.cells["age"].first)
            if first is not None:
                return start + timedelta(seconds=first)
    return None


class KubectlDescribe(LogFormat):
    """``kubectl describe pod`` output (header, annotations, Events table)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("kubectl_describe_events", "kubectl-describe-pod")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = "kubectl describe pod: header, annotations, Events table"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        rows = sum(1 for line in head if ROW.match(line) or OLD_ROW.match(line))
        marks = sum(1 for line in head if TABLE_HEAD.match(line) or EVENTS.match(line))
        header = head[0].startswith("Name:") and any(h.startswith("Namespace:") for h in head)
        if header or marks:
            return 0.95
        if rows:
            return max(0.7, rows / len(head))
        cut = CUT_ROW.match(head[0])
        if cut and k.reason_from_message(cut["msg"]):
            return 0.34  # a lone event message: weaker than any real row or header
        return 0.0

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        table = TableBuilder(src, FORMAT, single_pod=True)
        pods: list[_Pod] = []
        in_header = heading_to_pod = False
        layout: _Layout | None = None
        for i, line in enumerate(src.lines):
            if not line.strip():
                table.blank(i)
                continue
            if line.startswith("Name:"):
                table.finish()
                pods.append(_Pod(len(pods) + 1))
                table.group, table.identity = len(pods), Identity()
                in_header = True
            if in_header:
                pods[-1].add(i, line)
                if EVENTS.match(line):
                    in_header, heading_to_pod = False, True
                    table.identity = pods[-1].identity()
                continue
            if TABLE_HEAD.match(line) or DASHES.match(line) or EVENTS.match(line):
                if TABLE_HEAD.match(line):
                    layout = _Layout.of(line)
                if heading_to_pod:
                    pods[-1].owned.append(i)
                else:
                    table.heading(i)
                continue
            heading_to_pod = False
            row = _match_row(line, layout)
            if row is not None:
                table.open(i, *row)
            elif not table.extend(i, line):
                cut = CUT_ROW.match(line)
                assert cut is not None  # blank lines were handled above
                reason = k.reason_from_message(cut["msg"])
                source = cut["from"] if reason else None
                table.orphan(i, reason, source, cut["msg"] if reason else line)
        table.finish()

        anchors: dict[int, tuple[datetime, str]] = {}
        for group in range(len(pods) + 1):
            if ctx.now is not None:
                anchors[group] = (ctx.now, "now")
            elif group:
                scheduled = _scheduled_anchor(pods[group - 1], table.rows)
                if scheduled is not None:
                    anchors[group] = (scheduled, "start-time+scheduled-age")
        events = table.events(anchors)
        issues = list(table.issues)
        for pod in pods:
            ev, iss = self._pod_events(src, pod)
            events.extend(ev)
            issues.extend(iss)
        events.sort(key=lambda e: (e.line, e.nlines == 0))
        return ParseOutput(events_to_frame(events), issues, table.blank_lines)

    def _pod_events(self, src: TextSource, pod: _Pod) -> tuple[list[Event], list[ParseIssue]]:
        lines = src.lines
        values = pod.values
        ident = pod.identity()
        fields: dict[str, Any] = {
            key.lower().replace(" ", "_"): value
            for key, value in values.items()
            if key in ("Status", "IP", "Controlled By", "Start Time", "Priority", "UID") and value
        }
        info = Event(
            time=parse_start_time(values.get("Start Time")),
            node=ident.node,
            source="kubectl",
            format=FORMAT,
            kind="pod:info",
            namespace=ident.namespace,
            pod=ident.pod,
            pod_uid=ident.pod_uid,
            message=f"pod {ident.namespace}/{ident.pod} on {ident.node or '<none>'}: "
            f"{values.get('Status') or '?'}",
            fields=fields,
            file=src.file,
            member=src.member,
            line=pod.owned[0] + 1,
            nlines=len(pod.owned),
            raw="\n".join(lines[i] for i in pod.owned),
        )
        return block_events(src, FORMAT, info, pod.owned, pod.annotation_values())
