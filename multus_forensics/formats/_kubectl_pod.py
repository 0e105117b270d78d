"""Pod facts shared by ``kubectl describe pod`` and ``kubectl get pod -o json|yaml``.

The Multus annotations (FORMATS.md §6.4) become their own events: the requested networks
(``k8s.v1.cni.cncf.io/networks``, a ``[ns/]name[@ifname]`` list or a JSON list) as one
``pod:networks`` event, and each ``k8s.v1.cni.cncf.io/network-status`` entry (written at the end
of a *successful* ADD) as one ``pod:network-status`` event with its order in ``fields.index``.
They restate lines owned by the ``pod:info`` record, so they carry ``nlines=0``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
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


def _derived(info: Event, line: int, raw: str, **kw: Any) -> Event:
    return dataclasses.replace(info, line=line, nlines=0, raw=raw, **kw)


def annotation_events(
    src: TextSource, fmt: str, annotations: Sequence[tuple[int, str, str]], info: Event
) -> tuple[list[Event], list[ParseIssue]]:
    """Events for the Multus annotations among ``(line, key, value)``; bad JSON is an issue."""
    events: list[Event] = []
    issues: list[ParseIssue] = []
    for line, key, value in annotations:
        if key != NETWORKS and key not in STATUS_KEYS:
            continue
        try:
            if key == NETWORKS:
                requests = network_requests(value)
                events.append(
                    _derived(
                        info, line, value, kind="pod:networks", message=value.strip(),
                        fields={"requests": requests, "annotation": key},
                    )
                )  # fmt: skip
                continue
            entries = json.loads(value)
            if not isinstance(entries, list):
                raise ValueError("network-status is not a JSON list")
        except ValueError as exc:
            why = f"{key} annotation is not readable ({exc}); kubectl shortens lines over 140 chars"
            issues.append(
                ParseIssue(src.file, src.member, line, why, excerpt(value), "warning", fmt)
            )
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            ips = entry.get("ips") or []
            ips = [str(ip) for ip in ips] if isinstance(ips, list) else [str(ips)]
            name, ifname = entry.get("name"), entry.get("interface")
            extra = {k: v for k, v in entry.items() if k not in ("name", "interface", "ips")}
            events.append(
                _derived(
                    info, line, value, kind="pod:network-status",
                    network=None if name is None else str(name),
                    interface=None if ifname is None else str(ifname),
                    ips=",".join(ips) or None,
                    message=f"{ifname} {ips} from {name}",
                    fields={"index": index, **extra},
                )
            )  # fmt: skip
    return events, issues
