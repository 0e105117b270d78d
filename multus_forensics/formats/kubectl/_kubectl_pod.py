"""Pod facts shared by ``kubectl describe pod`` and ``kubectl get pod -o json|yaml``.

The Multus annotations (FORMATS.md §6.4) become their own events: the requested networks
(``k8s.v1.cni.cncf.io/networks``, a ``[ns/]name[@ifname]`` list or a JSON list) as one
``pod:networks`` event, and each ``k8s.v1.cni.cncf.io/network-status`` entry (written at the end
of a *successful* ADD) as one ``pod:network-status`` event with its order in ``fields.index``.
Each owns the physical lines its annotation was printed on (see :func:`block_events`).
"""

from __future__ import annotations

import bisect
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from multus_forensics.formats.base import TextSource
from multus_forensics.model import Event, ParseIssue, excerpt

NETWORKS: Final = "k8s.v1.cni.cncf.io/networks"
#: ``networks-status`` is the pre-v3.5 spelling of the same annotation
STATUS_KEYS: Final = ("k8s.v1.cni.cncf.io/network-status", "k8s.v1.cni.cncf.io/networks-status")


def parse_start_time(value: str | None) -> datetime | None:
    """describe's ``Start Time`` (RFC 1123 with numeric zone) in UTC, ``None`` when absent."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%a, %d %b %Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def parse_rfc3339(value: Any) -> datetime | None:
    """A Kubernetes API timestamp (``2026-03-11T13:02:05Z``, MicroTime with fraction).

    YAML loaders turn unquoted timestamps into ``datetime`` already; naive ones are UTC.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def network_requests(value: str) -> list[dict[str, Any]]:
    """The networks annotation as request dicts (``name``, ``namespace``, ``interface``...)."""
    text = value.strip()
    if text.startswith("["):
        loaded = json.loads(text)
        if not isinstance(loaded, list):
            raise ValueError("networks annotation JSON is not a list")
        return [dict(item) if isinstance(item, dict) else {"name": str(item)} for item in loaded]
    out: list[dict[str, Any]] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        ref, _, ifname = item.partition("@")
        ns, _, name = ref.rpartition("/")
        entry: dict[str, Any] = {"name": name}
        if ns:
            entry["namespace"] = ns
        if ifname:
            entry["interface"] = ifname
        out.append(entry)
    return out


@dataclass
class Annotation:
    """One annotation as printed: its key, value, and the physical lines (0-based) holding it.

    ``value_lines`` is the value text of each of those lines when the value is printed
    verbatim over several lines (describe's pretty-printed JSON), so that entries can be
    matched to the lines they were printed on.
    """

    key: str
    value: str
    lines: list[int]
    value_lines: list[str] | None = None


@dataclass
class _Piece:
    lines: list[int]
    kind: str
    columns: dict[str, Any]


def _status_columns(entry: dict[str, Any], index: int) -> dict[str, Any]:
    ips = entry.get("ips") or []
    ips = [str(ip) for ip in ips] if isinstance(ips, list) else [str(ips)]
    name, ifname = entry.get("name"), entry.get("interface")
    extra = {k: v for k, v in entry.items() if k not in ("name", "interface", "ips")}
    return {
        "network": None if name is None else str(name),
        "interface": None if ifname is None else str(ifname),
        "ips": ",".join(ips) or None,
        "message": f"{ifname} [{' '.join(ips)}] from {name}",  # AddedInterface's shape
        "fields": {"index": index, **extra},
    }


def _entry_lines(ann: Annotation, count: int) -> list[int] | None:
    """Index into ``ann.lines`` of the line where each of ``count`` entries ends, if printed so."""
    if ann.value_lines is None or len(ann.lines) < 2:
        return None
    text = "\n".join(ann.value_lines)
    starts = [0]
    for line in ann.value_lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    dec = json.JSONDecoder()
    pos = text.find("[") + 1
    ends: list[int] = []
    for _ in range(count):
        while pos < len(text) and text[pos] in " \t\n,":
            pos += 1
        try:
            _, pos = dec.raw_decode(text, pos)
        except ValueError:
            return None
        ends.append(bisect.bisect_right(starts, pos - 1) - 1)
    return ends


def _status_pieces(ann: Annotation, entries: list[Any]) -> list[_Piece]:
    """One piece per entry on its own lines; entries sharing a line share one event."""
    good = [(i, e) for i, e in enumerate(entries) if isinstance(e, dict)]
    ends = _entry_lines(ann, len(entries)) if len(good) == len(entries) else None
    if ends is None:
        ends = [len(ann.lines) - 1] * len(entries)
    if ends:
        ends[-1] = len(ann.lines) - 1
    pieces: list[_Piece] = []
    taken = -1
    for (index, entry), end in zip(good, [ends[i] for i, _ in good], strict=True):
        if end <= taken and pieces:  # printed on a line an earlier entry already owns
            pieces[-1].columns["fields"].setdefault("entries_on_line", []).append(entry)
            continue
        lines = ann.lines[taken + 1 : end + 1]
        pieces.append(_Piece(lines, "pod:network-status", _status_columns(entry, index)))
        taken = end
    return pieces


def block_events(
    src: TextSource, fmt: str, info: Event, owned: Sequence[int], annotations: list[Annotation]
) -> tuple[list[Event], list[ParseIssue]]:
    """Split one pod block into ``pod:info`` and its Multus annotation events.

    Every event owns its own lines (records never share a line): ``pod:info`` the lines before
    the first Multus annotation, each annotation event its key and value lines (and any other
    annotation lines printed before the next one), and a ``log`` record the rest of the block.
    Unreadable annotations (kubectl shortens lines over 140 chars) are warnings.
    """
    pieces: list[_Piece] = []
    issues: list[ParseIssue] = []
    for ann in annotations:
        if ann.key != NETWORKS and ann.key not in STATUS_KEYS:
            continue
        try:
            if ann.key == NETWORKS:
                requests = network_requests(ann.value)
                pieces.append(_Piece(ann.lines, "pod:networks", {
                    "message": ann.value.strip(),
                    "fields": {"requests": requests, "annotation": ann.key},
                }))  # fmt: skip
                continue
            entries = json.loads(ann.value)
            if not isinstance(entries, list):
                raise ValueError("network-status is not a JSON list")
        except ValueError as exc:
            why = f"{ann.key} annotation is not readable ({exc}); kubectl shortens long lines"
            issues.append(ParseIssue(src.file, src.member, ann.lines[0] + 1, why,
                                     excerpt(ann.value), "warning", fmt))  # fmt: skip
            continue
        pieces.extend(_status_pieces(ann, entries))
    pieces = [p for p in pieces if p.lines]
    pieces.sort(key=lambda p: p.lines[0])
    order = list(owned)
    if not pieces or order[0] >= pieces[0].lines[0]:
        return [_span(src, info, order)], issues
    events = [_span(src, info, [i for i in order if i < pieces[0].lines[0]])]
    for n, piece in enumerate(pieces):
        stop = pieces[n + 1].lines[0] if n + 1 < len(pieces) else piece.lines[-1] + 1
        mine = [i for i in order if piece.lines[0] <= i < stop]
        events.append(_span(src, info, mine, kind=piece.kind, **piece.columns))
    rest = [i for i in order if i > pieces[-1].lines[-1]]
    if rest:
        events.append(_span(src, info, rest, kind="log", message="rest of the pod header",
                            fields={"section": "pod header"}))  # fmt: skip
    return events, issues


def _span(src: TextSource, info: Event, lines: list[int], **kw: Any) -> Event:
    return dataclasses.replace(
        info, line=lines[0] + 1, nlines=len(lines),
        raw="\n".join(src.lines[i] for i in lines), **kw,
    )  # fmt: skip
