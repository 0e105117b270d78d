"""Assemble kubectl event-table rows from physical lines, and turn them into events.

Shared by the ``describe`` Events table and the ``get events`` table. A row starts on a line
the format's row pattern matches; the following lines that match nothing continue it (terminal
and paste hard wraps); a blank line closes it. Lines are owned by exactly one record, so the
line accounting holds: heading lines with no pod header belong to the next row, a line that
continues no row becomes a record of its own (``error:line`` when it reads as an error).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from multus_forensics.formats.base import TextSource
from multus_forensics.formats.kubectl import _kubectl as k
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, ParseIssue, excerpt

_ERRORISH = lazy(r"(?i)\b(?:error|failed|fail|unable|cannot|denied|refused)\b")
CUT_REASON: Final = "event row cut on the left in the paste: reason recovered from the message"


@dataclass
class Identity:
    """Pod identity and node every row of one table is about (describe header)."""

    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    node: str | None = None


@dataclass
class Row:
    """One table row: its cells, message fragments and the line indices it owns."""

    owned: list[int]
    cells: dict[str, Any]
    parts: list[str]
    identity: Identity
    group: int
    inferred: bool = False

    @property
    def reason(self) -> str | None:
        return self.cells.get("reason")

    def message(self) -> str:
        """Fragments joined: direct when a wrap split a word, one space when it split at space."""
        acc = self.parts[0] if self.parts else ""
        for part in self.parts[1:]:
            if acc[-1:].isspace() or part[:1].isspace():
                acc = acc.rstrip() + " " + part.strip()
            else:
                acc += part
        return acc.strip()


@dataclass
class TableBuilder:
    """Collects rows line by line; see the module docstring for the ownership rules."""

    src: TextSource
    format: str
    identity: Identity = field(default_factory=Identity)
    group: int = 0
    rows: list[Row] = field(default_factory=list)
    leftover: list[list[int]] = field(default_factory=list)  # headings that got no row
    issues: list[ParseIssue] = field(default_factory=list)
    blank_lines: int = 0
    #: every row is about one pod (a describe table): a pod named by some rows names them all
    single_pod: bool = False
    _open: Row | None = None
    _pending: list[int] = field(default_factory=list)

    def blank(self, i: int) -> None:
        self.blank_lines += 1
        self.close()

    def heading(self, i: int) -> None:
        self.close()
        self._pending.append(i)

    def open(
        self, i: int, cells: dict[str, Any], message_part: str, inferred: bool = False
    ) -> None:
        self.close()
        owned = [*self._pending, i]
        self._pending = []
        self._open = Row(owned, cells, [message_part], self.identity, self.group, inferred)
        self.rows.append(self._open)
        if inferred:
            line = self.src.lines[i]
            self.issues.append(
                ParseIssue(
                    self.src.file,
                    self.src.member,
                    i + 1,
                    CUT_REASON,
                    excerpt(line),
                    severity="warning",
                    format=self.format,
                )
            )

    def extend(self, i: int, line: str) -> bool:
        """Append a continuation line to the open row; False when no row is open."""
        if self._open is None:
            return False
        self._open.owned.append(i)
        self._open.parts.append(line)
        return True

    def orphan(self, i: int, reason: str | None, source: str | None, message: str) -> None:
        """A line continuing nothing: a cut row when its message has a known shape."""
        cells: dict[str, Any] = {"reason": reason, "from": source, "type": None, "age": None}
        self.open(i, cells, message, inferred=reason is not None)

    def close(self) -> None:
        self._open = None

    def finish(self) -> None:
        self.close()
        if self._pending:
            self.leftover.append(self._pending)
            self._pending = []

    def events(self, anchors: dict[int, tuple[datetime, str]]) -> list[Event]:
        out = [self._row_event(n, row, anchors.get(row.group)) for n, row in enumerate(self.rows)]
        # a pod uid named by one row's error text (kubelet format.Pod, multus [ns/name/uid])
        # belongs to every row about the same pod in the same table
        if self.single_pod:
            out = self._fill_single_pod(out)
        out = self._fill_namespaces(out)
        uids: dict[tuple[int, str | None, str | None], set[str]] = {}
        for row, ev in zip(self.rows, out, strict=True):
            if ev.pod_uid and ev.pod:
                uids.setdefault((row.group, ev.namespace, ev.pod), set()).add(ev.pod_uid)
        for n, (row, ev) in enumerate(zip(self.rows, out, strict=True)):
            known = uids.get((row.group, ev.namespace, ev.pod), set())
            if ev.pod and not ev.pod_uid and len(known) == 1:
                out[n] = dataclasses.replace(ev, pod_uid=next(iter(known)))
        lines = self.src.lines
        for owned in self.leftover:
            out.append(
                Event(
                    source="kubectl", format=self.format, kind="log",
                    message=" ".join(lines[i].strip() for i in owned),
                    fields={"table": "heading without rows"},
                    file=self.src.file, member=self.src.member, line=owned[0] + 1,
                    nlines=len(owned), raw="\n".join(lines[i] for i in owned),
                )
            )  # fmt: skip
        return out

    @staticmethod
    def _fill_namespaces(out: list[Event]) -> list[Event]:
        """A table without a NAMESPACE column: a pod's namespace named by one row's text."""
        known: dict[str, set[str]] = {}
        for ev in out:
            if ev.pod and ev.namespace:
                known.setdefault(ev.pod, set()).add(ev.namespace)
        for n, ev in enumerate(out):
            found = known.get(ev.pod or "", set())
            if ev.pod and ev.namespace is None and len(found) == 1:
                out[n] = dataclasses.replace(ev, namespace=next(iter(found)))
        return out

    def _fill_single_pod(self, out: list[Event]) -> list[Event]:
        for group in {row.group for row in self.rows}:
            members = [n for n, row in enumerate(self.rows) if row.group == group]
            named = {(out[n].namespace, out[n].pod) for n in members if out[n].pod}
            if len(named) != 1:
                continue
            ns, pod = next(iter(named))
            for n in members:
                if out[n].pod is None and self.rows[n].reason is not None:
                    out[n] = dataclasses.replace(out[n], namespace=ns, pod=pod)
        return out

    def _row_event(self, n: int, row: Row, anchor: tuple[datetime, str] | None) -> Event:
        lines = self.src.lines
        message = row.message()
        reason = row.reason
        ident = row.identity
        cols: dict[str, Any] = {
            "namespace": ident.namespace,
            "pod": ident.pod,
            "pod_uid": ident.pod_uid,
            "node": ident.node,
        }
        fields: dict[str, Any] = {"row": n}
        if k.looks_truncated(message):
            fields["truncated"] = True
        time = None
        relative = False
        if reason is None:
            # text that continues no row: the tail of a row cut before the excerpt, or a note
            kind = "error:line" if _ERRORISH.search(message) else "log"
            cols["error"] = message if kind == "error:line" else None
            level = "error" if kind == "error:line" else "info"
            fields["outside_row"] = True
        else:
            found = k.interpret(reason, message)
            kind = found.pop("kind")
            for key, value in found.items():
                if cols.get(key) is None:
                    cols[key] = value
            level = k.level_of(row.cells.get("type"), reason)
            fields["reason"] = reason
            component, host = k.split_source(row.cells.get("from"))
            if component:
                fields["from"] = component
            if host:
                cols["node"] = host
            for key in ("type", "sub_object", "object", "note", "seconds_after_deletion"):
                if row.cells.get(key):
                    fields[key] = row.cells[key]
            if row.inferred:
                fields["reason_inferred"] = True
            age: k.Age | None = row.cells.get("age")
            if age is not None:
                fields.update(age.fields())
                if anchor is not None:
                    last, first = age.times(anchor[0])
                    time, relative = last, last is not None
                    if first is not None:
                        fields["first_time"] = first.isoformat()
                    fields["anchor"] = anchor[1]
            for key in ("last_time", "first_time", "count"):
                if row.cells.get(key) is not None:
                    fields[key] = row.cells[key]
            if row.cells.get("time") is not None:
                time = row.cells["time"]
                cols["year_source"] = row.cells.get("year_source")
        return Event(
            time=time,
            time_relative=relative,
            source="kubectl",
            format=self.format,
            kind=kind,
            level=level,
            message=message,
            fields=fields,
            file=self.src.file,
            member=self.src.member,
            line=row.owned[0] + 1,
            nlines=len(row.owned),
            raw="\n".join(lines[i] for i in row.owned),
            **cols,
        )
