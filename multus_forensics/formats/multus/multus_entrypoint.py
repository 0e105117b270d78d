"""Multus entrypoint / install output: container stdout without the ``[level]`` header.

``kubectl logs kube-multus-ds-…`` of a thin-plugin deployment (or its init container) shows the
entrypoint's own lines (FORMATS.md §3.4): the v3 shell script prefixes ``date --iso-8601=seconds``
(``+0000`` on older coreutils) and prints the generated config as JSON after ``Config file
created @``; the v4 Go thin entrypoint prints bare sentences; ``install_multus`` and the older
``cp`` init container print copy results::

    2026-03-11T12:58:02+0000 Generating Multus configuration file using files in /host/etc/cni/net.d...
    2026-03-11T12:58:03+0000 Config file created @ /host/etc/cni/net.d/00-multus.conf
    { "cniVersion": "0.3.1", "name": "multus-cni-network", "type": "multus", "delegates": [ … ] }
    multus config file is created.
    cp: cannot create regular file '/host/opt/cni/bin/multus-shim': Text file busy

The JSON after ``Config file created @`` (one line or pretty-printed over several) joins its
record; ``fields.self_delegating`` records a delegate of type multus/multus-shim as data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.multus._multus_msg import self_delegating
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

_DATED_RE: Final = lazy(r"^(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)) (?P<msg>.*)$")
#: ``kubectl logs --prefix`` (``[pod/<pod>/<container>] ``) or stern-style ``<pod>:<container> ``
_PREFIX_RE: Final = lazy(
    r"^(?:\[pod/(?P<pod>[a-z0-9][-a-z0-9.]*)/(?P<ctr>[a-z0-9][-a-z0-9]*)\] "
    r"|(?P<pod2>[a-z0-9][-a-z0-9.]*):(?P<ctr2>[a-z0-9][-a-z0-9]*) )"
)
_CONFIG_RE: Final = lazy(r"^Config file created @ (?P<path>\S+)\s*(?P<json>.*)$")
#: known entrypoint texts: (regex, kind, level); first match wins
_TEXTS: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = tuple(
    (lazy(rx), kind, level)
    for rx, kind, level in (
        (r"^Generating Multus configuration file", "multus:daemon:start", "info"),
        (r"^(?:multus-daemon: )?version:\S+", "multus:daemon:start", "info"),
        (r"^Config file created @ ", "multus:config", "info"),
        (r"^multus config file is created\.", "multus:config", "info"),
        (r"^master config changed - recreating multus config", "multus:config", "info"),
        (r"^Master plugin @ .* (?:has been deleted|was restored)", "log", "warning"),
        (r"^Attem(?:p)?ting to find master plugin configuration", "log", "info"),
        (r"^Using MASTER_PLUGIN: ", "log", "info"),
        (r"^Original master file moved to ", "log", "info"),
        (r"^Entering (?:watch loop|sleep)", "log", "info"),
        (r"^kubeconfig (?:is created in|file is created)", "log", "info"),
        (r"^master capabilities is get from ", "log", "info"),
        (r"^CA \(.*\) or SA token \(.*\) changed", "log", "info"),
        (r"^multus\S* copy succeeded!", "log", "info"),
        (r"^ERR:\s", "log", "error"),
        (r"^WARN:\s", "log", "warning"),
        (r"^cp: cannot create regular file .*", "log", "error"),
        (r"^(?:failed to (?:copy file|create multus config)|cannot (?:find (?:valid )?master CNI config"
         r"|get cniVersion|create kubeconfig)|multus-conf-file is not found"
         r"|Multus cni version is .* while master plugin cni version is)", "log", "error"),
    )
)  # fmt: skip
_MAX_JSON_LINES: Final = 400


def classify_text(msg: str) -> tuple[str, str] | None:
    """(kind, level) for a known entrypoint text, else None."""
    for rx, kind, level in _TEXTS:
        if rx.match(msg):
            return kind, level
    return None


def _split(line: str) -> tuple[dict[str, str], datetime | None, str]:
    """(log-owner fields from a kubectl/stern prefix, time of a dated line, message)."""
    owner: dict[str, str] = {}
    if p := _PREFIX_RE.match(line):
        owner = {"log_pod": p["pod"] or p["pod2"], "log_container": p["ctr"] or p["ctr2"]}
        line = line[p.end() :]
    if m := _DATED_RE.match(line):
        try:
            return owner, datetime.fromisoformat(m["ts"]).astimezone(UTC), m["msg"]
        except ValueError:
            pass
    return owner, None, line


def _values(msg: str, when: datetime | None, config_text: str | None) -> dict[str, Any]:
    kind, level = classify_text(msg) or ("log", "info")
    out: dict[str, Any] = {"time": when, "kind": kind, "level": level, "message": msg}
    fields: dict[str, Any] = {}
    if level in ("error", "warning") and kind == "log":
        out["error"] = re.sub(r"^(?:ERR|WARN):\s+", "", msg)
    if m := _CONFIG_RE.match(msg):
        fields["path"] = m["path"]
        text = config_text if config_text is not None else m["json"]
        if text.strip():
            try:
                fields["config"] = json.loads(text)
            except ValueError:
                fields["config"] = text
        if self_delegating(fields.get("config")):
            fields["self_delegating"] = True
    out["fields"] = fields
    return out


def parse_entrypoint_payload(payload: str) -> dict[str, Any] | None:
    """Payload parser for entrypoint texts (CRI logs of kube-multus); None for other text."""
    _, when, msg = _split(payload)
    if classify_text(msg) is None:
        return None
    out = _values(msg, when, None)
    if out["time"] is None:
        del out["time"]
    out["source"] = "multus"
    return out


def _json_block(lines: Sequence[str], start: int) -> tuple[int, str | None]:
    """(line count, text) of the JSON value starting at ``lines[start]``; (0, None) if none.

    Each line may repeat the log prefix; a terminal paste may wrap the JSON mid-token, so the
    lines are tried joined with newlines and then glued back together.
    """
    if start >= len(lines) or not _split(lines[start])[2].lstrip().startswith("{"):
        return 0, None
    parts: list[str] = []
    for end in range(start, min(len(lines), start + _MAX_JSON_LINES)):
        line = lines[end]
        parts.append(line[p.end() :] if (p := _PREFIX_RE.match(line)) else line)
        for text in ("\n".join(parts), "".join(parts)):
            try:
                json.loads(text)
            except ValueError:
                continue
            return end - start + 1, text
    return 0, None


class MultusEntrypointFormat(LogFormat):
    name: ClassVar[str] = "multus-entrypoint"
    aliases: ClassVar[tuple[str, ...]] = ("multus_daemon_stdout", "multus-stdout", "install-multus")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["multus-entrypoint"]
    description: ClassVar[str] = "Multus entrypoint / install_multus stdout (no [level] header)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        hits = sum(1 for line in head if classify_text(_split(line)[2]) is not None)
        return 0.0 if hits == 0 else min(1.0, 0.55 + 0.45 * hits / len(head))

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        del ctx  # dated lines carry their zone; bare lines have no time
        lines = src.lines
        events: list[Event] = []
        blanks = 0
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                blanks += 1
                i += 1
                continue
            owner, when, msg = _split(line)
            extra = 0
            config_text = None
            if (cm := _CONFIG_RE.match(msg)) and not cm["json"].strip():
                extra, config_text = _json_block(lines, i + 1)
            values = _values(msg, when, config_text)
            values["fields"].update(owner)
            events.append(
                Event(
                    **values,
                    source="multus",
                    format=self.name,
                    file=src.file,
                    member=src.member,
                    line=i + 1,
                    nlines=1 + extra,
                    raw="\n".join(lines[i : i + 1 + extra]),
                    node=src.node_hint,
                )
            )
            i += 1 + extra
        return ParseOutput(events_to_frame(events), [], blanks)
