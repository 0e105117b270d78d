"""client-go's event recorder lines, as any process with an event broadcaster logs them.

``record.EventBroadcaster.StartLogging(klog.Infof)`` (client-go tools/record/event.go) logs
every event it sends as ``Event(%#v): type: '%v' reason: '%v' %v``: the involved object's Go
syntax, then type, reason and message. The kubelet (before structured logging) and the thick
Multus daemon both write them, e.g. (a Multus daemon's log, one line)::

    I0419 19:19:59.545551    7342 event.go:364] Event(v1.ObjectReference{Kind:"Pod", Namespace:"demo", Name:"vm-1", UID:"526e…", APIVersion:"v1", ResourceVersion:"48371528", FieldPath:""}): type: 'Normal' reason: 'AddedInterface' Add eth0 [10.128.0.186/23] from ovn-kubernetes

The reason and message mean what they mean in ``kubectl`` output, so they are read by the same
code (:func:`.kubectl._kubectl.interpret`): an ``AddedInterface`` line becomes an
``event:AddedInterface`` row with its interface, addresses and network, as a describe table's
row would.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from multus_forensics.lazyre import lazy

#: how the text starts (also routes these lines from the compiled scanners to this parser)
EVENT_START: Final = "Event(v1.ObjectReference{"
_EVENT_RE: Final = lazy(
    r"Event\(v1\.ObjectReference\{(?P<ref>(?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*)\}\): "
    r"type: '(?P<type>[^']*)' reason: '(?P<reason>[^']*)' ?(?P<msg>.*)",
    re.DOTALL,
)
#: ``Key:"value"`` pairs of the object reference (%#v quotes strings as Go does)
_REF_FIELD: Final = lazy(r'(?P<key>\w+):"(?P<value>(?:[^"\\]|\\.)*)"')


def _go_string(body: str) -> str:
    """A %#v string's body: Go's quoting is JSON's for what object names hold."""
    if "\\" not in body:
        return body
    try:
        return str(json.loads(f'"{body}"'))
    except ValueError:  # an escape JSON does not know (\x, \a): keep the text as written
        return body


def read_event(text: str) -> dict[str, Any] | None:
    """Event columns of one event-recorder text (the klog message), or None if it is not one.

    ``message`` is the event's own message; ``fields`` hold reason, type and the object's kind.
    Namespace, name and UID become ``namespace``/``pod``/``pod_uid`` only for a Pod.
    """
    from multus_forensics.formats.kubectl._kubectl import interpret

    m = _EVENT_RE.fullmatch(text)
    if m is None:
        return None
    ref = {f["key"]: _go_string(f["value"]) for f in _REF_FIELD.finditer(m["ref"])}
    reason, message = m["reason"], m["msg"]
    out: dict[str, Any] = {"message": message}
    fields: dict[str, Any] = {"reason": reason, "type": m["type"] or None}
    fields["object"] = ref.get("Kind") or None
    if ref.get("Kind") == "Pod":
        out.update(namespace=ref.get("Namespace") or None, pod=ref.get("Name") or None)
        out["pod_uid"] = ref.get("UID") or None
    elif ref.get("Name"):
        fields["name"] = "/".join(v for v in (ref.get("Namespace"), ref["Name"]) if v)
    for key, value in interpret(reason, message).items():
        if key == "node":
            fields["node"] = value
        elif out.get(key) is None:  # the object reference names the pod before the text
            out[key] = value
    out["fields"] = fields
    return out
