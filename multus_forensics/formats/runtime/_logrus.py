"""logrus text records and the runtime (containerd, CRI-O) messages that matter for CNI.

containerd, CRI-O and crictl all log through logrus' TextFormatter (FORMATS.md §4):
``time="…" level=<lvl> msg="…" key=value…``, values quoted with Go ``%q`` rules only when they
need it. This module holds what the three formats and the journald payload parser share: the
tokenizer, Go unquoting, the level map and :func:`classify_runtime`, which turns a runtime
message (plus its ``error=``) into a kind and the identities it names. One classifier for every
wrapper means a containerd line gets the same kind from a file, a journal or a k3s log.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

from multus_forensics.formats._identity import identities_from_text
from multus_forensics.lazyre import lazy

#: logrus text line; the msg value is quoted or bare (logrus quotes only when needed)
LOGRUS_LINE: Final = (
    r'^time="(?P<ts>[^"]*)" level=(?P<level>[a-z]+) '
    r'msg=(?P<msg>"(?:[^"\\]|\\.)*"|\S*)(?P<rest>.*)$'
)
_LOGRUS_RE: Final = lazy(LOGRUS_LINE)
#: a key starts the text or follows whitespace (else a long run of key characters without "="
#: would be retried from every position: quadratic)
_KV_RE: Final = lazy(r'(?:^|(?<=\s))(?P<key>[\w.\-/]+)=(?P<val>"(?:[^"\\]|\\.)*"|\S*)')
_ESCAPE_RE: Final = lazy(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")
_SIMPLE_ESCAPES: Final = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
    "\\": "\\", '"': '"', "'": "'",
}  # fmt: skip

#: logrus level names -> event levels
LEVELS: Final[dict[str, str]] = {
    "trace": "debug",
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "fatal": "fatal",
    "panic": "fatal",
}


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] in "xuU" and len(esc) > 1:
        code = int(esc[1:], 16)
        # a \xNN above 0x7f is one byte of invalid UTF-8 in Go's %q output
        return "\ufffd" if esc[0] == "x" and code > 0x7F else chr(code)
    if len(esc) == 3 and esc.isdigit():
        code = int(esc, 8)
        return "\ufffd" if code > 0x7F else chr(code)
    return _SIMPLE_ESCAPES.get(esc, "\\" + esc)


def go_unquote(value: str) -> str:
    """Undo Go ``strconv.Quote`` on a value; bare (unquoted) values come back unchanged."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            return _ESCAPE_RE.sub(_unescape, value)
    return value


def parse_kv(rest: str) -> dict[str, str]:
    """The ``key=value`` pairs after ``msg=``, unquoted, in file order; a repeated key keeps
    its first value (logrus never repeats keys; the vectorised path also reads the first)."""
    out: dict[str, str] = {}
    for m in _KV_RE.finditer(rest):
        out.setdefault(m["key"], go_unquote(m["val"]))
    return out


def parse_time(ts: str, tz: tzinfo | None) -> datetime | None:
    """A logrus timestamp (RFC 3339 nano, or CRI-O's older space-separated shape) in UTC."""
    try:
        value = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or UTC)
    return value.astimezone(UTC)


# --- runtime messages (ctrd: sandbox_run.go, sandbox_stop.go; crio: sandbox_network.go) -------

_HEX64 = r"[0-9a-f]{64}"
# The next patterns are valid for polars' Rust engine and ``re`` alike: containerd's vectorised
# path (:func:`.containerd.sandbox_columns`) and :func:`classify_runtime` share them.
META: Final = (
    r"&PodSandboxMetadata\{Name:(?P<pod>[^,]*),Uid:(?P<uid>[^,]*),"
    r"Namespace:(?P<ns>[^,]*),Attempt:(?P<attempt>\d+),?\}"
)
RUN: Final = (
    rf"^RunPodSandbox for &PodSandboxMetadata\{{[^}}]*\}}"
    rf'(?:(?P<failed> failed, error)| returns sandbox id "(?P<id>{_HEX64})")?'
)
STOP: Final = r'^StopPodSandbox for "(?P<id>[0-9a-f]+)"(?P<suffix> failed| returns successfully)?'
SANDBOX_REF: Final = rf'(?:network for sandbox|sandbox id|sandbox container) \\?"(?P<id>{_HEX64})'
#: the containerd sandbox shapes the vectorised path handles when a record has no extra fields
SANDBOX_SHAPES: Final = (
    r'^(?:RunPodSandbox for &PodSandboxMetadata\{|StopPodSandbox for "'
    r'|TearDown network for sandbox "|Failed to destroy network for sandbox ")'
)
_META_RE: Final = lazy(META)
_RUN_RE: Final = lazy(RUN)
_STOP_RE: Final = lazy(STOP)
_SANDBOX_REF_RE: Final = lazy(SANDBOX_REF)
_CRIO_NAME_RE: Final = lazy(
    rf"k8s_(?P<pod>[^_\s]+)_(?P<ns>[^_\s]+)_(?P<uid>[0-9a-f-]{{36}})_(?P<attempt>\d+)"
    rf"\((?P<id>{_HEX64})\)"
)
#: ocicni (CRI-O): ``Adding pod ns_name to CNI network "net" (type=t)``, ``Deleting ... from``,
#: and ``Checking pod ns_name for CNI network net (type=t)`` (its network name unquoted)
_OCICNI_RE: Final = lazy(
    r"^(?P<verb>Adding|Deleting|Checking) pod (?P<ns>[^_\s]+)_(?P<pod>\S+) "
    r'(?:to|from|for) CNI network (?:"(?P<net>[^"]*)"|(?P<bare>[^\s"]+))(?: \(type=(?P<type>[^)]*)\))?'
)
_GOT_NET_RE: Final = lazy(
    r"^Got pod network &\{Name:(?P<pod>\S+) Namespace:(?P<ns>\S+) ID:(?P<id>[0-9a-f]+) "
    r"UID:(?P<uid>\S+)(?: NetNS:(?P<netns>\S*))?"
)
_CRIO_RUN_RE: Final = lazy(
    rf"^(?:Running pod sandbox: (?P<ns>[^/\s]+)/(?P<pod>[^/\s]+)/POD"
    rf"|Ran pod sandbox (?P<id>{_HEX64}) with infra container: (?P<ns2>[^/\s]+)/(?P<pod2>[^/\s]+)/POD)"
)
_CRIO_STOP_RE: Final = lazy(rf"^(?P<verb>Stopping|Stopped) pod sandbox: (?P<id>{_HEX64})")
_CNI_CONFIG_RE: Final = lazy(
    r"^(?:Found CNI network (?P<net>\S+) \(type=(?P<type>[^)]*)\) at (?P<path>\S+)"
    r"|Updated default CNI network name to (?P<net2>\S+)"
    r"|CNI monitoring event (?P<event>.*)"
    r"|Error (?:loading|validating) CNI config (?:list )?file (?P<path2>[^:\s]+)"
    r"|failed to load cni (?:during init|configuration)|cni config load failed)"
)

#: cheap test that a runtime message may be about CNI or sandboxes (skips the regex ladder)
RUNTIME_TRIGGER: Final = r"PodSandbox|pod sandbox|[Ss]andbox|CNI|[Cc]ni|pod network|k8s_"


def _sandbox_from(text: str | None) -> str | None:
    if not text:
        return None
    m = _SANDBOX_REF_RE.search(text)
    return m["id"] if m else None


def classify_runtime(msg: str, error: str | None) -> dict[str, Any]:
    """Kind, identities and extra fields named by a containerd / CRI-O message (may be empty).

    Keys are event columns plus ``fields`` (a dict); only what the text names is returned.
    """
    out: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    if m := _META_RE.search(msg):
        out.update(namespace=m["ns"], pod=m["pod"], pod_uid=m["uid"])
        fields["attempt"] = int(m["attempt"])
    if m := _RUN_RE.match(msg):
        if m["failed"]:
            out["kind"] = "runtime:sandbox:failed"
        elif m["id"]:
            out.update(kind="runtime:sandbox:ready", sandbox_id=m["id"])
        else:
            out["kind"] = "runtime:sandbox:start"
    elif m := _STOP_RE.match(msg):
        out["sandbox_id"] = m["id"]
        suffix = m["suffix"]
        out["kind"] = (
            "runtime:sandbox:stop-failed" if suffix == " failed" else "runtime:sandbox:stop"
        )
        fields["phase"] = "request" if suffix is None else "returned"
    elif msg.startswith("TearDown network for sandbox"):
        out["kind"] = "runtime:network:teardown"
    elif msg.startswith(
        ("Failed to destroy network for sandbox", "failed to destroy network for pod sandbox")
    ):
        out["kind"] = "runtime:network:destroy-failed"
    elif m := _OCICNI_RE.match(msg):
        out.update(namespace=m["ns"], pod=m["pod"], network=m["net"] or m["bare"])
        verb = m["verb"]
        out["kind"] = {"Adding": "runtime:cni:add", "Deleting": "runtime:cni:del"}.get(verb, "log")
        if m["type"]:
            fields["cni_type"] = m["type"]
    elif m := _GOT_NET_RE.match(msg):
        out.update(namespace=m["ns"], pod=m["pod"], pod_uid=m["uid"], sandbox_id=m["id"])
        if m["netns"]:
            fields["netns"] = m["netns"]
    elif m := _CRIO_RUN_RE.match(msg):
        if m["id"]:
            out.update(kind="runtime:sandbox:ready", sandbox_id=m["id"])
            out.update(namespace=m["ns2"], pod=m["pod2"])
        else:
            out.update(kind="runtime:sandbox:start", namespace=m["ns"], pod=m["pod"])
    elif m := _CRIO_STOP_RE.match(msg):
        out.update(kind="runtime:sandbox:stop", sandbox_id=m["id"])
        fields["phase"] = "request" if m["verb"] == "Stopping" else "returned"
    elif m := _CNI_CONFIG_RE.match(msg):
        out["kind"] = "runtime:cni:config"
        if net := m["net"] or m["net2"]:
            out["network"] = net
        if m["type"]:
            fields["cni_type"] = m["type"]
        if path := m["path"] or m["path2"]:
            fields["path"] = path
        if m["event"]:
            fields["event"] = m["event"]
    for text in (msg, error):
        if text and (m := _CRIO_NAME_RE.search(text)):
            out.setdefault("namespace", m["ns"])
            out.setdefault("pod", m["pod"])
            out.setdefault("pod_uid", m["uid"])
            out.setdefault("sandbox_id", m["id"])
            fields.setdefault("attempt", int(m["attempt"]))
            break
    if error:  # the error text names the pod and the failing delegate network (multus prefix)
        for key, value in identities_from_text(error).items():
            out.setdefault(key, value)
    if "kind" not in out and error and "failed to create pod network sandbox" in error:
        out["kind"] = "runtime:sandbox:failed"
    if "sandbox_id" not in out and (sid := _sandbox_from(msg) or _sandbox_from(error)):
        out["sandbox_id"] = sid
    if fields:
        out["fields"] = fields
    return out


def parse_logrus_payload(payload: str) -> dict[str, Any] | None:
    """Payload parser for logrus text (``containerd[pid]:`` / ``crio[pid]:`` journal records)."""
    m = _LOGRUS_RE.match(payload)
    if m is None:
        return None
    msg = go_unquote(m["msg"])
    kv = parse_kv(m["rest"])
    error = kv.pop("error", None) or None  # an empty error= names no error
    out: dict[str, Any] = {
        "message": msg,
        "level": LEVELS.get(m["level"], "info"),
        "error": error,
        "kind": "log",
    }
    if (when := parse_time(m["ts"], None)) is not None:
        out["time"] = when
    found = classify_runtime(msg, error)
    fields = dict(kv)
    fields.update(found.pop("fields", {}))
    out.update(found)
    out["fields"] = fields
    return out
