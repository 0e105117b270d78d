"""What a Kubernetes event row means, shared by the kubectl text and JSON formats.

Every kubectl rendering of an event (describe table, ``get events`` table, ``-o json``, the
OpenShift e2e monitor) carries the same facts: type, reason, source component, message, and
either absolute timestamps or relative ages. This module turns those facts into event columns:
the kind (``event:<Reason>`` for the reasons in :data:`~multus_forensics.model.KINDS`, else
``event:other``), the interface/IPs/network of ``AddedInterface`` (FORMATS.md §5.10), the error
and sandbox of ``FailedCreatePodSandBox`` (§6.1, §6.3), and times computed from ages.

Ages are kubectl's ``HumanDuration`` (``45s``, ``2m10s``, ``3h5m``, ``2d3h``, ``3y30d``) or the
older ``ShortHumanDuration`` (``1m``, ``58s``); ``<unknown>`` (zero timestamp) and ``<invalid>``
(event in the client's future, clock skew) have no value. An aggregated row reads
``<last> (x<count> over <first>)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from multus_forensics.formats._identity import identities_from_text
from multus_forensics.lazyre import lazy
from multus_forensics.model import KINDS

#: one age: ``45s``, ``2m10s``, ``2d3h``, ``<unknown>``, ``<invalid>``
AGE_TOKEN: Final = r"(?:<unknown>|<invalid>|\d+[ydhms](?:\d+[ydhms])*)"
#: an Age / LAST SEEN cell: ``4s``, ``4s (x12 over 2m8s)``, ``<invalid> (x17 over 2m31s)``
AGE_CELL: Final = rf"{AGE_TOKEN}(?:\s+\(x\d+\s+over\s+{AGE_TOKEN}\))?"
_AGE_SPLIT = lazy(
    rf"^(?P<last>{AGE_TOKEN})(?:\s+\(x(?P<count>\d+)\s+over\s+(?P<first>{AGE_TOKEN})\))?$"
)
_AGE_PART = lazy(r"(\d+)([ydhms])")
_UNIT_SECONDS: Final = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}

#: event source: ``kubelet`` or the pre-1.14 ``component, host`` (``kubelet, worker-3``)
FROM: Final = r"[^\s,]+(?:,[ \t]*[^\s,]+)?"

_PREFIXES = lazy(
    r"^(?:\(combined from similar events\):\s*|Failed (?:to )?create pod sandbox:\s*"
    r"|error killing pod:\s*|Error syncing pod, skipping:\s*)+"
)
_ADDED = lazy(r"^Add (?P<ifname>\S+) \[(?P<ips>[^\]]*)\](?: from (?P<net>\S+))?")
_NO_NAD = lazy(
    r"cannot find a network-attachment-definition \((?P<net>[^)]+)\) in namespace \((?P<ns>[^)]+)\)"
)
#: CRI-O names the sandbox ``k8s_<pod>_<ns>_<uid>_<attempt>(<64hex>)`` (FORMATS.md §2.7)
_CRIO_SANDBOX = lazy(r"k8s_[^\s(]+_(?P<uid>[0-9a-f-]{36})_\d+\((?P<id>[0-9a-f]{64})\)")
_ASSIGNED = lazy(r"^Successfully assigned (?:(?P<ns>[^/\s]+)/)?(?P<pod>\S+) to (?P<node>\S+)")
_ERROR_REASONS: Final = frozenset(
    {"FailedCreatePodSandBox", "FailedKillPod", "FailedSync", "NoNetworkFound"}
)
_WARNING_REASONS: Final = _ERROR_REASONS | {"FailedPodSandBoxStatus"}

#: message shapes written by one reason only (kubelet events.go, multus kubeconfig.go), used to
#: recover the reason of a row whose left columns were cut off in a paste
_MESSAGE_REASONS: Final = (
    (
        lazy(r"^(?:\(combined from similar events\):\s*)?Failed (?:to )?create pod sandbox: "),
        "FailedCreatePodSandBox",
    ),
    (lazy(r"^Add \S+ \[[^\]]*\](?: from \S+)?\s*$"), "AddedInterface"),
    (lazy(r"^Pod sandbox changed, it will be killed and re-created"), "SandboxChanged"),
    (lazy(r"^error killing pod: "), "FailedKillPod"),
    (lazy(r"^cannot find a network-attachment-definition \("), "NoNetworkFound"),
    (lazy(r"^Error syncing pod, skipping: "), "FailedSync"),
    (lazy(r"^Successfully assigned \S+ to \S+"), "Scheduled"),
)


def age_seconds(token: str | None) -> int | None:
    """Seconds of one age token; ``None`` for ``<unknown>``, ``<invalid>`` or no token."""
    if not token or token.startswith("<"):
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in _AGE_PART.findall(token))


@dataclass(frozen=True)
class Age:
    """An Age / LAST SEEN cell split into last-seen age, count and first-seen age."""

    last: str
    first: str
    count: int

    @classmethod
    def parse(cls, cell: str) -> Age:
        m = _AGE_SPLIT.match(" ".join(cell.split()))
        if not m:
            raise ValueError(f"not an event age: {cell!r}")
        count = int(m["count"]) if m["count"] else 1
        return cls(m["last"], m["first"] or m["last"], count)

    def times(self, now: datetime | None) -> tuple[datetime | None, datetime | None]:
        """(last seen, first seen) against ``now``; ``None`` where the age has no value."""
        if now is None:
            return None, None
        last, first = age_seconds(self.last), age_seconds(self.first)
        return (
            None if last is None else now - timedelta(seconds=last),
            None if first is None else now - timedelta(seconds=first),
        )

    def fields(self) -> dict[str, Any]:
        return {"last_age": self.last, "first_age": self.first, "count": self.count}


def looks_truncated(message: str) -> bool:
    """A message ending in ``...``: cut by events.k8s.io's 1024-char note limit or the paster."""
    return message.rstrip().endswith(("...", "…"))


def kind_of(reason: str) -> str:
    kind = f"event:{reason}"
    return kind if kind in KINDS else "event:other"


def level_of(event_type: str | None, reason: str) -> str:
    if event_type == "Warning" or (event_type is None and reason in _WARNING_REASONS):
        return "warning"
    return "info"


def reason_from_message(message: str) -> str | None:
    """The reason a message shape belongs to, for rows whose reason column was cut off."""
    for pattern, reason in _MESSAGE_REASONS:
        if pattern.match(message):
            return reason
    return None


def split_source(source: str | None) -> tuple[str | None, str | None]:
    """``kubelet, worker-3`` -> (``kubelet``, ``worker-3``); a plain component has no host."""
    if not source:
        return None, None
    component, _, host = source.partition(",")
    return component.strip() or None, host.strip() or None


def interpret(reason: str, message: str) -> dict[str, Any]:
    """Event columns a reason/message pair implies (kind, error, sandbox, interface, ...)."""
    out: dict[str, Any] = {"kind": kind_of(reason)}
    if reason == "AddedInterface":
        m = _ADDED.match(message)
        if m:
            out["interface"] = m["ifname"]
            out["ips"] = ",".join(m["ips"].split()) or None
            out["network"] = m["net"]
        return out
    if reason == "Scheduled":
        m = _ASSIGNED.match(message)
        if m:
            out.update(namespace=m["ns"], pod=m["pod"], node=m["node"])
        return out
    if reason in _ERROR_REASONS:
        out["error"] = _PREFIXES.sub("", message) or message
        found = identities_from_text(message)
        for key in ("sandbox_id", "network", "namespace", "pod", "pod_uid"):
            if key in found:
                out[key] = found[key]
        crio = _CRIO_SANDBOX.search(message)
        if crio:
            out.setdefault("sandbox_id", crio["id"])
            out.setdefault("pod_uid", crio["uid"])
        nad = _NO_NAD.search(message)
        if nad:
            out["network"] = f"{nad['ns']}/{nad['net']}"
    return out
