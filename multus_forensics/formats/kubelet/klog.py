"""Kubelet klog text (``/var/log/kubelet.log``, ``kubelet.<host>.root.log.INFO.<stamp>``).

Written by kubelet (and crictl, CNI plugins built on klog) with klog's header
``Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg``; no year, no zone. Glog-style files start with a
preamble whose creation stamp anchors the year::

    Log file created at: 2026/03/11 14:02:05
    Running on machine: edge-node-2
    I0311 14:02:05.102934    2231 util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="lab/probe-6d8f9c7b54-qwz4n"
    E0311 14:02:07.418552    2231 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: ..." pod="lab/probe-6d8f9c7b54-qwz4n"
    E0702 06:15:44.900120    2231 kuberuntime_manager.go:1172] "CreatePodSandbox for pod failed" err=<
    \trpc error: code = Unknown desc = ...
     > pod="lab/probe-6d8f9c7b54-qwz4n"
    E0518 09:41:10.000371   17004 pod_workers.go:191] Error syncing pod 7ad2f92f-... ("probe-..._lab(7ad2f92f-...)"), skipping: failed to ...

Structured messages (klog ``printS``) and the pre-structured texts of the same call sites
(FORMATS.md §2.8) are both mapped to event kinds. :func:`parse_payload` is the per-record parser
that wrapper formats (journald, journal JSON, CRI logs) call; journals and bare klog files of
:data:`VECTOR_MIN_LINES` lines or more go through the compiled scanner (:mod:`._journalvec`,
:mod:`._klogvec`), which leaves every record it cannot finish exactly to :func:`parse_payload`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource, fraction
from multus_forensics.formats.kubelet._klogevent import EVENT_START, read_event
from multus_forensics.formats.kubelet._klogkv import go_unquote_at, parse_kv
from multus_forensics.lazyre import lazy
from multus_forensics.registry import FORMAT_GLOBS

HEADER_RE: Final = lazy(
    r"(?P<sev>[IWEF])(?P<mo>\d\d)(?P<d>\d\d) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)\.(?P<us>\d{6})"
    r" +(?P<pid>\d+) (?P<caller>[^ \]]+)\] "
)
LEVELS: Final = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}

#: structured klog message -> event kind (FORMATS.md §2.8)
STRUCTURED_KINDS: Final[dict[str, str]] = {
    "No sandbox for pod can be found. Need to start a new one": "kubelet:sandbox:start",
    "Created PodSandbox for pod": "kubelet:sandbox:created",
    "RunPodSandbox from runtime service failed": "kubelet:sandbox:failed",
    "Failed to create sandbox for pod": "kubelet:sandbox:failed",
    "CreatePodSandbox for pod failed": "kubelet:sandbox:failed",
    "Pod was deleted and sandbox failed to be created": "kubelet:sandbox:failed",
    "Error syncing pod, skipping": "kubelet:pod:sync-error",
    "StopPodSandbox from runtime service failed": "kubelet:sandbox:stop-failed",
    "Failed to stop sandbox": "kubelet:sandbox:stop-failed",
    "Failed to stop sandbox before removing": "kubelet:sandbox:stop-failed",
    "killPodWithSyncResult failed": "kubelet:sandbox:stop-failed",
    "Killing unwanted pod": "kubelet:pod:killing",
    "SyncLoop (PLEG): event for pod": "kubelet:pleg",
    "Container runtime network not ready": "kubelet:network:not-ready",
}

_TARGET = r'"(?P<target>[^"]*)"'
#: pre-structured texts: (pattern, kind); groups err/target/uid/sid/pname feed the columns
LEGACY: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (lazy(p, re.S), k)
    for p, k in (
        (
            r"Error syncing pod (?P<uid>\S+) \(" + _TARGET + r"\), skipping: (?P<err>.*)",
            "kubelet:pod:sync-error",
        ),
        (
            r"[cC]reatePodSandbox for pod " + _TARGET + r" failed: (?P<err>.*)",
            "kubelet:sandbox:failed",
        ),
        (
            r"Failed to create sandbox for pod " + _TARGET + r": (?P<err>.*)",
            "kubelet:sandbox:failed",
        ),
        (r"RunPodSandbox from runtime service failed: (?P<err>.*)", "kubelet:sandbox:failed"),
        (
            r'StopPodSandbox "(?P<sid>[^"]*)" from runtime service failed: (?P<err>.*)',
            "kubelet:sandbox:stop-failed",
        ),
        (
            r'Failed to stop sandbox "(?P<sid>[^"]*)"(?: before removing)?(?:: (?P<err>.*))?',
            "kubelet:sandbox:stop-failed",
        ),
        (r"killPodWithSyncResult failed: (?P<err>.*)", "kubelet:sandbox:stop-failed"),
        (
            r'(?P<err>failed to "KillPodSandbox" for "(?P<uid>[^"]*)" with .*)',
            "kubelet:sandbox:stop-failed",
        ),
        (
            r'(?P<err>failed to "CreatePodSandbox" for ' + _TARGET + r" with .*)",
            "kubelet:sandbox:failed",
        ),
        (r'Killing unwanted pod "(?P<pname>[^"]*)"', "kubelet:pod:killing"),
        (r'Created PodSandbox "(?P<sid>[^"]*)" for pod ' + _TARGET, "kubelet:sandbox:created"),
        (
            r"Error (?:adding network|while adding to cni network): (?P<err>.*)",
            "kubelet:sandbox:failed",
        ),
        (r"Container runtime network not ready: (?P<err>.*)", "kubelet:network:not-ready"),
        (
            r"SyncLoop \(PLEG\): "
            + _TARGET
            + r', event: &pleg\.PodLifecycleEvent\{ID:"(?P<uid>[^"]*)",'
            r' Type:"[^"]*", Data:"(?P<cid>[^"]*)"\}',
            "kubelet:pleg",
        ),
    )
)
#: how every legacy text starts, so the fast path (:mod:`._journalvec`) can route them here
LEGACY_STARTS: Final = (
    "Error syncing pod ", "CreatePodSandbox for pod ", "createPodSandbox for pod ",
    "Failed to create sandbox for pod ", "RunPodSandbox from runtime service failed",
    'StopPodSandbox "', "Failed to stop sandbox ", "killPodWithSyncResult failed",
    'failed to "', "Killing unwanted pod", "Created PodSandbox ", "Error adding network",
    "Error while adding to cni network", "Container runtime network not ready",
    'SyncLoop (PLEG): "', EVENT_START,
)  # fmt: skip
TARGET_RE: Final = lazy(r"(?P<name>[^_]+)_(?P<ns>[^(]+)\((?P<uid>[^)]*)\)")
#: sandbox ids inside error texts: containerd (``network for sandbox "id"``), CRI-O
#: (``pod network sandbox k8s_name_ns_uid_n(id)``), dockershim (``sandbox container "id"``)
SANDBOX_RE: Final = lazy(
    r'(?:(?:network for sandbox|sandbox container) \\*"|pod (?:network )?sandbox k8s_[^(\s]*\()'
    r"([0-9a-f]{64})"
)
_SCHEME_RE: Final = lazy(r"^[a-z][a-z0-9+.-]*://")
#: identity keys that become columns instead of ``fields``
ID_KEYS: Final = ("err", "pod", "podUID", "podSandboxID", "containerID", "podName")


def parse_payload(payload: str) -> dict[str, Any] | None:
    """Parse one klog record (header line plus any continuation lines) into event columns.

    Returns ``None`` when ``payload`` does not start with a klog header. The dict holds
    ``message``, ``level``, ``kind``, ``source`` (``kubelet``), ``fields`` (a dict), and when the
    record names them ``error``, ``namespace``, ``pod``, ``pod_uid``, ``sandbox_id`` and
    ``container_id``. klog has no year and no zone, so instead of ``time`` the dict carries
    ``local_time = (month, day, hour, minute, second, microsecond)``: the caller completes it
    with a year (its own stamp or a :class:`~multus_forensics.timeutil.YearAnchor`) and the zone
    the process logged in, then converts to UTC. ``fields["_rest"]`` keeps any key/value text
    that could not be read, so nothing is dropped.
    """
    m = HEADER_RE.match(payload)
    if m is None:
        return None
    out: dict[str, Any] = {
        "level": LEVELS[m["sev"]],
        "source": "kubelet",
        "local_time": (
            int(m["mo"]),
            int(m["d"]),
            int(m["h"]),
            int(m["mi"]),
            int(m["s"]),
            int(m["us"]),
        ),
    }
    body_start = m.end()
    if payload.startswith('"', body_start):
        _structured(payload, body_start, out)
    else:
        _legacy(payload[body_start:], out)
    if out.get("sandbox_id") is None:
        for text in (out.get("error"), out["message"]):
            hit = SANDBOX_RE.search(text) if text else None
            if hit:
                out["sandbox_id"] = hit[1]
                break
    return out


def _structured(payload: str, start: int, out: dict[str, Any]) -> None:
    got = go_unquote_at(payload, start)
    if got is None:  # unterminated message: keep the text as it is
        out.update(message=payload[start:], kind="log", fields={"_unterminated": True})
        return
    msg, end = got
    pairs, _ = parse_kv(payload, end)
    out["message"] = msg
    out["kind"] = STRUCTURED_KINDS.get(msg, "log")
    if "err" in pairs:
        out["error"] = str(pairs["err"])
    pod = pairs.get("pod")
    if isinstance(pod, str) and pod:
        ns, sep, name = pod.partition("/")
        if sep:
            out["namespace"], out["pod"] = ns, name
        else:
            out["pod"] = pod
    elif isinstance(pairs.get("podName"), str):
        out["pod"] = pairs["podName"]
    for key, col in (("podUID", "pod_uid"), ("podSandboxID", "sandbox_id")):
        value = pairs.get(key)
        if isinstance(value, dict):  # newer kubelets log the CRI id: {"Type":"containerd","ID":..}
            value = value.get("ID")
        if isinstance(value, str) and value:
            out[col] = value
    if isinstance(pairs.get("containerID"), str) and pairs["containerID"]:
        out["container_id"] = _SCHEME_RE.sub("", pairs["containerID"])
    event = pairs.get("event")
    if isinstance(event, dict):
        if isinstance(event.get("ID"), str):
            out.setdefault("pod_uid", event["ID"])
        if isinstance(event.get("Data"), str):
            out.setdefault("container_id", event["Data"])
    out["fields"] = {k: v for k, v in pairs.items() if k not in ID_KEYS}


def _legacy(msg: str, out: dict[str, Any]) -> None:
    if msg.startswith(EVENT_START) and (event := read_event(msg)) is not None:
        out.update(event)  # an event recorder's line (:mod:`._klogevent`)
        return
    out.update(message=msg, kind="log", fields={})
    for pattern, kind in LEGACY:
        m = pattern.match(msg)
        if m is None:
            continue
        groups = m.groupdict()
        out["kind"] = kind
        err = groups.get("err")
        if err is not None:
            out["error"] = err
            if m.start("err") > 0:
                out["message"] = msg[: m.start("err")].rstrip(": ")
        if groups.get("target"):
            t = TARGET_RE.fullmatch(groups["target"])
            if t:
                out.update(pod=t["name"], namespace=t["ns"], pod_uid=t["uid"])
        if groups.get("uid"):
            out["pod_uid"] = groups["uid"]
        if groups.get("sid"):
            out["sandbox_id"] = groups["sid"]
        if groups.get("pname"):
            out["pod"] = groups["pname"]
        if groups.get("cid"):
            out["container_id"] = groups["cid"]
        return


#: files at least this large take the compiled scanner (:mod:`._klogvec`)
VECTOR_MIN_LINES = 16


def is_header(line: str) -> bool:
    return HEADER_RE.match(line) is not None


class KlogFormat(LogFormat):
    """Bare klog text files (see the module docstring)."""

    name = "klog"
    aliases = ("kubelet", "glog")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["klog"]
    description = "kubelet klog text (E0311 14:02:07.418552 2231 file.go:72] msg), glog preamble"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        preamble = sum(1 for line in head if PREAMBLE_RE.match(line))
        score = fraction(head, is_header) + preamble / len(head)
        return min(1.0, score)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        from multus_forensics.formats.kubelet import _klogfile, _klogvec

        if _klogvec.applies(src, ctx, VECTOR_MIN_LINES):
            return _klogvec.parse_vectorised(src, ctx, self.name)
        return _klogfile.parse_klog_file(src, ctx, self.name)


PREAMBLE_RE: Final = lazy(
    r"(?P<key>Log file created at|Running on machine|Binary|Log line format): (?P<value>.*)"
)


def preamble_time(value: str) -> datetime | None:
    """The naive local time of a glog ``Log file created at: 2026/03/11 14:02:05`` line."""
    try:
        return datetime.strptime(value.strip(), "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return None
