"""Multus (and whereabouts) messages: the pkg/logging header and what each message names.

Shared by the Multus log file format, the CRI container-log wrapper (thick daemon logs) and the
``multus`` payload parser used by journald wrappers (multus stderr copied into the runtime's
journal). Header (FORMATS.md §3.1): ``time.RFC3339`` + `` [level] `` — second precision, zone
in the stamp. Levels map panic→fatal, error→error (``[error] warning: …`` → warning),
verbose→info, debug→debug.

:func:`classify` reads one message (possibly multi-line) and returns the kind and identities it
names: ``Add:``/``Del:`` delegate lines, ``[ns/name/uid:net]`` error prefixes, thick-daemon CNI
requests (``%+v`` v4.0 and quoted v4.1+ shapes), ``ERRORED:``, generated configs (with
``self_delegating`` recorded as data), daemon lifecycle and whereabouts IPAM errors.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Final

from multus_forensics.formats._identity import identities_from_text
from multus_forensics.formats.runtime._logrus import go_unquote
from multus_forensics.lazyre import lazy

#: header regex, shared with the vectorised path (Rust regex syntax compatible)
#: the header alone: the vectorised path slices the message off instead of capturing it
HEADER_PREFIX: Final = (
    r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)) "
    r"\[(?P<lvl>panic|error|verbose|debug)\] "
)
HEADER: Final = HEADER_PREFIX + r"(?P<msg>.*)$"
_HEADER_RE: Final = lazy(HEADER, re.DOTALL)

LEVELS: Final[dict[str, str]] = {
    "panic": "fatal",
    "error": "error",
    "verbose": "info",
    "debug": "debug",
}

#: the ``Add:`` shape (v3.4.2+) up to the interface name; valid for polars' Rust engine and
#: ``re`` alike, so the vectorised path (multus_log) and :func:`classify` cannot drift apart
ADD_PREFIX: Final = (
    r"^Add: (?P<a_ns>[^:\s]*):(?P<a_pod>[^:\s]*):(?P<a_uid>[^:\s]*):(?P<a_net>[^:\s(]*)"
    r"\((?P<a_conf>[^)]*)\):(?P<a_if>[^:\s]+)"
)
_ADD_RE: Final = lazy("(?s)" + ADD_PREFIX + r" ?(?P<a_result>.*)$")
#: v3.2..v3.4.1: ``Add: ns:name:conf:ifname result`` (no uid, no delegate name)
_ADD_OLD_RE: Final = lazy(
    r"(?s)^Add: (?P<a_ns>[^:\s]*):(?P<a_pod>[^:\s]*):(?P<a_conf>[^:\s]*):(?P<a_if>[^:\s]+) ?(?P<a_result>.*)$"
)
_DEL_RE: Final = lazy(
    r"^Del: (?P<ns>[^:\s]*):(?P<pod>[^:\s]*):(?P<uid>[^:\s]*):(?P<conf>[^:\s]*)"
    r":(?P<ifname>[^:\s]+) ?(?P<result>.*)$",
    re.DOTALL,
)
_REQUEST_RE: Final = lazy(
    r"^(?P<cmd>ADD|DEL|CHECK|GC|STATUS) (?P<phase>starting|finished) CNI request (?P<args>.*)$",
    re.DOTALL,
)
_FINISHED_RE: Final = lazy(r', result: (?P<result>"(?:[^"\\]|\\.)*"), err: (?P<err>.*)$', re.DOTALL)
_ARG_RES: Final = {
    "container": lazy(r'ContainerID:"?(?P<v>[^"\s}]+)'),
    "netns": lazy(r'Netns:"?(?P<v>[^"\s}]+)'),
    "ifname": lazy(r'IfName:"?(?P<v>[^"\s}]+)'),
    "K8S_POD_NAMESPACE": lazy(r"K8S_POD_NAMESPACE=(?P<v>[^;\"\s}]+)"),
    "K8S_POD_NAME": lazy(r"K8S_POD_NAME=(?P<v>[^;\"\s}]+)"),
    "K8S_POD_INFRA_CONTAINER_ID": lazy(r"K8S_POD_INFRA_CONTAINER_ID=(?P<v>[^;\"\s}]+)"),
    "K8S_POD_UID": lazy(r"K8S_POD_UID=(?P<v>[^;\"\s}]+)"),
}
_IFNAME_RE: Final = lazy(r'interface name (?:to )?"?(?P<if>[A-Za-z0-9_.\-]{1,15})"?')
_STDIN_RE: Final = lazy(r"StdinData:\[(?P<bytes>[0-9 ]+)\]")
_ADDRESS_RE: Final = lazy(r'"address"\s*:\s*"(?P<ip>[^"]+)"')
_CONFIG_RE: Final = lazy(
    r"^(?:Generated MultusCNI config: |Config file created @ (?P<path>\S+)\s*)(?P<json>.*)$",
    re.DOTALL,
)
_DAEMON_START: Final = ("multus-daemon started",)
_DAEMON_STOP: Final = ("caught ", "Delete old config @", "multus daemon is exited")
#: whereabouts error texts (wa: allocate.go, cmd/whereabouts.go, storage/kubernetes, reconciler)
_WHEREABOUTS: Final = (
    "Error at storage engine",
    "error at storage engine",
    "Could not allocate IP in range",
    "OverlappingRangeIPReservation error",
    "failed to retrieve all IP pools",
    "IPAM client initialization error",
    "time limit exceeded while waiting to become leader",
)
_WHEREABOUTS_RE: Final = lazy("|".join(map(re.escape, _WHEREABOUTS)))
#: a log file whose messages mention these (and nothing Multus-specific) was written by whereabouts
WHEREABOUTS_HINT: Final = (
    r"(?i)whereabouts|storage engine|IP pools?\b|ippool|OverlappingRangeIPReservation"
    r"|reconcile ?looper|Beginning IPAM|IPAM configuration"
)
MULTUS_HINT: Final = r"^(?:Add|Del|Check): |CNI request|[Mm]ultus|[Dd]elegate"
_SELF_TYPES: Final = frozenset({"multus", "multus-shim"})

#: vectorised prefilter: messages that may name something beyond the level and text
TRIGGER: Final = (
    r"^(?:Add|Del|Check|Status): |CNI request|ERRORED|MultusCNI config|Config file created"
    r"|^multus-daemon started|^caught |^Delete old config|daemon is exited|StdinData:\[|\[[a-z0-9]"
    r"|storage engine|Could not allocate IP|ContainerID|IP pools|IPAM client|OverlappingRange"
    r"|waiting to become leader"
)
_CONTAINER_ID_RE: Final = lazy(r'ContainerID:?\s*"?(?P<id>[0-9a-f]{64})\b')


def _json_or_text(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def ips_of(result: Any) -> str | None:
    """Comma-joined addresses from a CNI result (dict) or its text."""
    if isinstance(result, dict):
        ips = [ip.get("address") for ip in result.get("ips") or [] if isinstance(ip, dict)]
        found = [ip for ip in ips if isinstance(ip, str)]
    else:
        found = _ADDRESS_RE.findall(str(result or ""))
    return ",".join(found) or None


def self_delegating(config: Any) -> bool:
    """Whether a Multus config lists multus itself among its delegates (data, not a verdict)."""
    if not isinstance(config, dict):
        return False
    delegates = config.get("delegates") or []
    if isinstance(config.get("plugins"), list):
        delegates = [*delegates, *config["plugins"][1:]]
    return any(isinstance(d, dict) and d.get("type") in _SELF_TYPES for d in delegates)


def _decode_stdin(msg: str) -> Any:
    m = _STDIN_RE.search(msg)
    if m is None:
        return None
    try:
        raw = bytes(int(b) for b in m["bytes"].split()).decode("utf-8", errors="replace")
    except ValueError:  # a number over 255: not a byte array after all
        return None
    return _json_or_text(raw)


def _request(msg: str, out: dict[str, Any], fields: dict[str, Any]) -> None:
    args = {key: (m["v"] if (m := rx.search(msg)) else None) for key, rx in _ARG_RES.items()}
    if args["K8S_POD_NAMESPACE"]:
        out["namespace"] = args["K8S_POD_NAMESPACE"]
    if args["K8S_POD_NAME"]:
        out["pod"] = args["K8S_POD_NAME"]
    if args["K8S_POD_UID"]:
        out["pod_uid"] = args["K8S_POD_UID"]
    if sandbox := args["K8S_POD_INFRA_CONTAINER_ID"] or args["container"]:
        out["sandbox_id"] = sandbox
    if args["ifname"]:
        out["interface"] = args["ifname"]
    if args["netns"]:
        fields["netns"] = args["netns"]


def classify(msg: str, level: str) -> dict[str, Any]:
    """Kind, identities, error and fields named by one Multus message (see module docstring)."""
    out: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if m := _ADD_RE.match(msg) or _ADD_OLD_RE.match(msg):
        groups = m.groupdict()
        out.update(kind="multus:add", namespace=m["a_ns"], pod=m["a_pod"], interface=m["a_if"])
        if groups.get("a_uid") and groups["a_uid"] != "unknownUID":
            out["pod_uid"] = groups["a_uid"]
        out["network"] = groups.get("a_net") or m["a_conf"]
        fields["conf"] = m["a_conf"]
        result = _json_or_text(m["a_result"])
        fields["result"] = result
        out["ips"] = ips_of(result)
    elif m := _DEL_RE.match(msg):
        out.update(kind="multus:del", namespace=m["ns"], pod=m["pod"], interface=m["ifname"])
        out["network"] = m["conf"]
        if m["uid"] != "unknownUID":
            out["pod_uid"] = m["uid"]
        fields["conf"] = m["conf"]
        fields["config"] = _json_or_text(m["result"])
    elif m := _REQUEST_RE.match(msg):
        out["kind"] = "multus:request"
        fields.update(command=m["cmd"], phase=m["phase"])
        _request(m["args"], out, fields)
        if fin := _FINISHED_RE.search(m["args"]):
            fields["result"] = _json_or_text(go_unquote(fin["result"]))
            out["ips"] = ips_of(fields["result"])
            if fin["err"].strip() != "<nil>":
                out["error"] = fin["err"].strip()
    elif "ERRORED: " in msg:
        head, _, err = msg.partition("ERRORED: ")
        out.update(kind="multus:error", error=err)
        _request(head, out, fields)
    elif m := _CONFIG_RE.match(msg):
        out["kind"] = "multus:config"
        config = _json_or_text(m["json"])
        fields["config"] = config
        if m["path"]:
            fields["path"] = m["path"]
        if self_delegating(config):
            fields["self_delegating"] = True
    elif msg.startswith(_DAEMON_START):
        out["kind"] = "multus:daemon:start"
    elif msg.startswith(_DAEMON_STOP):
        out["kind"] = "multus:daemon:stop"
    elif _WHEREABOUTS_RE.search(msg):
        out.update(kind="ipam:error", source="whereabouts", error=msg)
    elif level in ("error", "warning", "fatal"):
        out.update(kind="multus:error", error=msg)
    if out.get("kind") in ("multus:error", "ipam:error", None):
        for key, value in identities_from_text(msg).items():
            out.setdefault(key, value)
        if out.get("kind") and (m := _IFNAME_RE.search(msg)):
            out.setdefault("interface", m["if"])
    if "sandbox_id" not in out and (m := _CONTAINER_ID_RE.search(msg)):
        out["sandbox_id"] = m["id"]
    if (stdin := _decode_stdin(msg)) is not None:
        fields["stdin_config"] = stdin
        if self_delegating(stdin):
            fields["self_delegating"] = True
    if fields:
        out["fields"] = fields
    return out


def level_of(header_level: str, msg: str) -> str:
    """Event level for a header level; ``[error] warning: …`` is a warning (Warningf)."""
    if header_level == "error" and msg.startswith("warning: "):
        return "warning"
    return LEVELS[header_level]


def parse_time(ts: str) -> datetime | None:
    """A Multus RFC 3339 stamp (``Z``, ``+01:00`` or the shell entrypoint's ``+0000``)."""
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        return None


def parse_multus_payload(payload: str) -> dict[str, Any] | None:
    """Payload parser for ``RFC3339 [level] msg`` (multus stderr in journals, CRI logs)."""
    m = _HEADER_RE.match(payload)
    if m is None:
        return None
    msg = m["msg"]
    level = level_of(m["lvl"], msg)
    out: dict[str, Any] = {"message": msg, "level": level, "kind": "log", "source": "multus"}
    if (when := parse_time(m["ts"])) is not None:
        out["time"] = when.astimezone(UTC)
    found = classify(msg, level)
    out["fields"] = found.pop("fields", {})
    out.update(found)
    return out
