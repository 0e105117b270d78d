"""CNI network configuration files (``.conf``, ``.conflist``), as found or as pasted.

They live in ``/etc/cni/net.d`` (``/host/etc/cni/net.d`` from inside the multus pod, and in
must-gathers and sosreports under the same path). In a ticket they are pasted after the command
that printed them::

    $ cat /etc/cni/net.d/00-multus.conf
    {"cniVersion":"0.3.1","name":"multus-cni-network","type":"multus",
     "kubeconfig":"/etc/cni/net.d/multus.d/multus.kubeconfig",
     "delegates":[{"cniVersion":"0.3.1","name":"multus-cni-network","type":"multus", ...}]}
    $ cat /etc/cni/net.d/10-flannel.conflist
    {"name": "cbr0", "cniVersion": "0.3.1", "plugins": [{"type": "flannel", ...}, {"type": "portmap", ...}]}

Each JSON object is one ``config:cni`` event owning its lines, with the facts of
:mod:`~multus_forensics.formats.configs._cni` in ``fields`` (types, delegates, cniVersion, master,
kubeconfig, ``self_delegating``) and the path it was printed from (``cat PATH``, ``==> PATH <==``
or the file's own name). Other lines (prompts, comments) are ``log`` events; an object that does
not parse leaves its lines as ``log`` events with the JSON error in ``fields``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.configs._cni import config_fields, describe
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

FORMAT: Final = "cni-config"
#: a line that shows which file is printed next
_PATH_LINE: Final = lazy(
    r"(?:\bcat\s+(?:-\w+\s+)*|==> )(?P<path>/?[\w./@-]{1,400}\.conf(?:list)?)\b"
)
_PROMPT: Final = lazy(r"^\s*(?:[$#>]\s|\S{1,80}[@:]\S{0,200}[$#]\s|==> )")
_KEYS: Final = lazy(r'"(?:cniVersion|plugins|delegates|ipam|kubeconfig)"\s*:')


class CniConfigFormat(LogFormat):
    """CNI ``.conf`` / ``.conflist`` JSON (Multus's generated config included)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("cni-conf", "conflist", "netconf")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = (
        "CNI config files (.conf/.conflist, 00-multus.conf), pasted or found"
    )

    def sniff(self, head: Sequence[str]) -> float:
        body = [line for line in head if not _PROMPT.match(line)]
        if not body or not body[0].lstrip().startswith("{"):
            return 0.0
        text = "\n".join(head)
        if '"kind"' in text and '"apiVersion"' in text:
            return 0.0  # a Kubernetes object, not a CNI config
        if _KEYS.search(text) and '"type"' in text:
            return 0.85
        return 0.4 if '"cniVersion"' in text else 0.0

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        text, lines = src.text, src.lines
        starts = [0] + [m.end() for m in re.finditer("\n", text)]
        dec = json.JSONDecoder()
        events: list[Event] = []
        blank = 0
        path = _own_path(src)
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                blank += 1
                i += 1
                continue
            m = _PATH_LINE.search(line)
            if m:
                path = m.group("path")
            if line.lstrip().startswith("{"):
                offset = starts[i] + (len(line) - len(line.lstrip()))
                try:
                    obj, end = dec.raw_decode(text, offset)
                except ValueError as exc:
                    events.append(self._line(src, i, {"json_error": str(exc)}))
                    i += 1
                    continue
                last = bisect.bisect_right(starts, max(offset, end - 1)) - 1
                events.append(self._config(src, i, last, obj, path))
                i = last + 1
                continue
            events.append(self._line(src, i, {}))
            i += 1
        return ParseOutput(events_to_frame(events), [], blank)

    def _line(self, src: TextSource, i: int, fields: dict[str, Any]) -> Event:
        line = src.lines[i]
        return Event(source="cni-config", format=FORMAT, message=line.strip(), fields=fields,
                     file=src.file, member=src.member, line=i + 1, raw=line, node=src.node_hint)  # fmt: skip

    def _config(self, src: TextSource, first: int, last: int, obj: Any, path: str | None) -> Event:
        raw = "\n".join(src.lines[first : last + 1])
        fields: dict[str, Any] = config_fields(obj) if isinstance(obj, dict) else {}
        fields["path"] = path
        message = describe(fields, what=f"CNI config {path}:" if path else "CNI config")
        return Event(
            source="cni-config", format=FORMAT, kind="config:cni", message=message,
            network=fields.get("name"), fields=fields, file=src.file, member=src.member,
            line=first + 1, nlines=last - first + 1, raw=raw, node=src.node_hint,
        )  # fmt: skip


def _own_path(src: TextSource) -> str | None:
    """The config's path when the input is the file itself (``.../net.d/00-multus.conf``)."""
    name = src.member or src.file
    return name if name.endswith((".conf", ".conflist")) else None
