"""klog JSON: kubelet (and other k8s components) run with ``--logging-format=json``.

Written by component-base ``logs/json`` (a zap encoder) to the kubelet's stderr, so it lands in
``/var/log/kubelet.log`` (file-logging setups), in a CRI container log for containerised
kubelets, or — most often — inside the journal (``kubelet[2231]: {"ts":...}``), where the
journald wrappers hand the payload to :func:`parse_payload`. One object per line::

    {"ts":1773234127418.552,"caller":"kuberuntime/kuberuntime_manager.go:1172","msg":"CreatePodSandbox for pod failed","pod":{"name":"probe-6d8f9c7b54-qwz4n","namespace":"lab"},"err":"rpc error: ..."}
    {"ts":1773234125102.93,"caller":"util/util.go:30","msg":"No sandbox for pod can be found. Need to start a new one","v":2,"pod":{"name":"probe-6d8f9c7b54-qwz4n","namespace":"lab"}}

``ts`` is epoch **milliseconds** as a float (``epochMillisTimeEncoder``), not seconds. There is
no level key: ``InfoS`` entries carry the verbosity ``v`` (0 included), ``ErrorS`` entries have
no ``v`` (and usually ``err``). ``pod`` is an object ``{name, namespace}`` (klog ``KObj``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Final

from multus_forensics.formats._identity import identities_from_text
from multus_forensics.formats._rows import CHUNK_ROWS, concat_frames, rows_to_frame
from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    fraction,
)
from multus_forensics.formats.kubelet.klog import STRUCTURED_KINDS
from multus_forensics.model import ParseIssue, excerpt
from multus_forensics.registry import FORMAT_GLOBS

if TYPE_CHECKING:
    import polars as pl

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: epoch ms of 1973-03-03: a smaller ts is almost surely seconds (1.7e9) read as milliseconds
PLAUSIBLE_MS: Final = 1e11

#: keys that become event columns rather than ``fields``
_CONSUMED: Final = frozenset({"ts", "msg", "err", "podUID", "podSandboxID", "containerID"})

#: zap level names some emitters add (``level``/``severity``), mapped to the model's levels
_LEVELS: Final = {
    "debug": "debug",
    "info": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "dpanic": "fatal",
    "panic": "fatal",
    "fatal": "fatal",
}


def ms_to_datetime(ts: float) -> datetime:
    """Epoch milliseconds (float, µs in the fraction) to an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=round(ts * 1000))


def _strip_runtime(cid: str) -> str:
    """``containerd://<id>`` / ``cri-o://<id>`` -> ``<id>``."""
    return cid.split("://", 1)[1] if "://" in cid else cid


def _level(obj: dict[str, Any]) -> str:
    named = obj.get("level", obj.get("severity"))
    if isinstance(named, str) and named.lower() in _LEVELS:
        return _LEVELS[named.lower()]
    return "info" if "v" in obj else "error"


def _identities(obj: dict[str, Any], out: dict[str, Any], fields: dict[str, Any]) -> None:
    pod = obj.get("pod")
    if isinstance(pod, dict) and isinstance(pod.get("name"), str):
        out["pod"] = pod["name"]
        if isinstance(pod.get("namespace"), str) and pod["namespace"]:
            out["namespace"] = pod["namespace"]
    elif isinstance(pod, str) and pod:
        ns, sep, name = pod.partition("/")
        out.update({"namespace": ns, "pod": name} if sep else {"pod": pod})
    elif pod is not None:
        fields["pod"] = pod
    if "pod" not in out and isinstance(obj.get("podName"), str):
        out["pod"] = obj["podName"]
    for key, column in (("podUID", "pod_uid"), ("podSandboxID", "sandbox_id")):
        value = obj.get(key)
        if isinstance(value, str) and value:
            out[column] = value
        elif value is not None:
            fields[key] = value
    cid = obj.get("containerID")
    if isinstance(cid, dict):
        cid = cid.get("ID")
    if isinstance(cid, str) and cid:
        out["container_id"] = _strip_runtime(cid)
    elif obj.get("containerID") is not None:
        fields["containerID"] = obj["containerID"]
    event = obj.get("event")  # PLEG: {"ID": <pod uid>, "Type": ..., "Data": <container id>}
    if isinstance(event, dict):
        if isinstance(event.get("ID"), str):
            out.setdefault("pod_uid", event["ID"])
        if isinstance(event.get("Data"), str):
            out.setdefault("container_id", event["Data"])


def record_columns(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Event column values of one klog JSON object, and damage notes (for warning issues).

    The caller has checked that ``obj`` has ``ts`` and ``msg``. Identities named only in the
    error text fill columns the structured keys left empty.
    """
    notes: list[str] = []
    out: dict[str, Any] = {"source": "kubelet"}
    ts = obj["ts"]
    if isinstance(ts, str):
        with contextlib.suppress(ValueError):
            ts = float(ts)
    if isinstance(ts, int | float) and not isinstance(ts, bool):
        try:
            out["time"] = ms_to_datetime(ts)
            if abs(ts) < PLAUSIBLE_MS:
                notes.append(
                    f"ts {ts!r} read as epoch milliseconds is {out['time']:%Y-%m-%d}; "
                    "an emitter writing seconds would need converting"
                )
        except (OverflowError, ValueError):  # inf, nan, beyond year 9999
            notes.append(f"ts {ts!r} is not a usable epoch-milliseconds value; time left empty")
    else:
        notes.append(f"ts {ts!r} is not a number of epoch milliseconds; time left empty")
    msg = obj["msg"]
    out["message"] = msg if isinstance(msg, str) else json.dumps(msg)
    err = obj.get("err")
    if err is not None:
        out["error"] = err if isinstance(err, str) else json.dumps(err)
    out["level"] = _level(obj)
    # JSON logging implies structured call sites: the klog text table is the whole vocabulary
    out["kind"] = STRUCTURED_KINDS.get(out["message"], "log")
    fields = {k: v for k, v in obj.items() if k not in _CONSUMED and k != "pod"}
    _identities(obj, out, fields)
    for column, value in identities_from_text(out.get("error") or "").items():
        out.setdefault(column, value)
    out["fields"] = fields
    return out, notes


def _is_record(obj: object) -> bool:
    return isinstance(obj, dict) and "ts" in obj and "msg" in obj


def parse_payload(payload: str) -> dict[str, Any] | None:
    """Payload parser for klog JSON inside a wrapper (journald ``kubelet[pid]: {...}``).

    Returns event column values (``time`` aware UTC, ``message``, ``error``, ``level``, ``kind``,
    ``source``, identities, ``fields``); damage notes, if any, are in ``fields["_notes"]``.
    ``None`` when the payload is not a JSON object with ``ts`` and ``msg``.
    """
    text = payload.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not _is_record(obj):
        return None
    out, notes = record_columns(obj)
    if notes:
        out["fields"]["_notes"] = notes
    return out


def _sniff_line(line: str) -> bool:
    text = line.strip()
    if not (text.startswith("{") and '"ts"' in text and '"msg"' in text):
        return False
    try:
        return _is_record(json.loads(text))
    except ValueError:
        return False


class KlogJson(LogFormat):
    """kubelet ``--logging-format=json`` output, one object per line."""

    name: ClassVar[str] = "klog-json"
    aliases: ClassVar[tuple[str, ...]] = ("kubelet-json", "klog_json")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["klog-json"]
    description: ClassVar[str] = "kubelet --logging-format=json (ts in epoch milliseconds)"

    def sniff(self, head: Sequence[str]) -> float:
        return fraction(head, _sniff_line)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        rows: list[dict[str, Any]] = []
        frames: list[pl.DataFrame] = []
        issues: list[ParseIssue] = []
        blank = 0

        def issue(lineno: int, reason: str, line: str, severity: str = "error") -> None:
            issues.append(
                ParseIssue(
                    src.file,
                    src.member,
                    lineno,
                    reason,
                    excerpt(line),
                    "error" if severity == "error" else "warning",
                    self.name,
                )
            )

        for lineno, line in enumerate(src.lines, 1):
            if not line.strip():
                blank += 1
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                issue(lineno, f"not valid JSON, not a klog JSON record ({exc})", line)
                continue
            if not _is_record(obj):
                issue(lineno, "JSON value without the klog keys ts and msg", line)
                continue
            row, notes = record_columns(obj)
            for note in notes:
                issue(lineno, note, line, "warning")
            # rows straight to the frame: Event objects cost more than the JSON decoding
            row["fields"] = json.dumps(row["fields"], sort_keys=True, default=str)
            row.update(
                node=src.node_hint,
                format=self.name,
                file=src.file,
                member=src.member,
                line=lineno,
                raw=line,
            )
            rows.append(row)
            if len(rows) >= CHUNK_ROWS:  # bounded: dict rows cost far more than frame rows
                frames.append(rows_to_frame(rows))
                rows = []
        frames.append(rows_to_frame(rows))
        return ParseOutput(concat_frames(frames), issues, blank)
