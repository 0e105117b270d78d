"""crictl output: logrus CLI lines with relative seconds, and the klog lines crictl embeds.

What an operator pastes after ``crictl runp`` / ``crictl -D …`` (FORMATS.md §4.3). The logrus
CLI formatter prints seconds since crictl started instead of a time, so these events have no
``time`` (the offset is kept in ``fields.elapsed_s``); embedded cri-client klog lines carry a
year-less stamp read with the context's year anchor. Anything else crictl printed (an ID, a
table row) is kept as a ``log`` event::

    DEBU[0000] RunPodSandboxRequest: &RunPodSandboxRequest{Config:&PodSandboxConfig{…}}
    E0719 20:50:53.394867 2319718 remote_runtime.go:201] "RunPodSandbox from runtime service failed" err="rpc error: …"
    FATA[0002] run pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "…": …
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from multus_forensics.formats._identity import identities_from_text
from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    any_share_score,
)
from multus_forensics.formats.runtime._logrus import go_unquote
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

_CLI_RE: Final = lazy(
    r"^(?P<lvl>TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[(?P<secs>\d+)\] ?(?P<msg>.*)$"
)
_KLOG_RE: Final = lazy(
    r"^(?P<sev>[IWEF])(?P<month>\d\d)(?P<day>\d\d) (?P<time>\d\d:\d\d:\d\d\.\d+)\s+\d+ "
    r"(?P<loc>[^\]\s]+)\] (?P<msg>.*)$"
)
_ERR_KV: Final = lazy(r'\berr="(?P<err>(?:[^"\\]|\\.)*)"')
_LEVELS: Final = {
    "TRAC": "debug", "DEBU": "debug", "INFO": "info", "WARN": "warning",
    "ERRO": "error", "FATA": "fatal", "PANI": "fatal",
    "I": "info", "W": "warning", "E": "error", "F": "fatal",
}  # fmt: skip
_SANDBOX_FAILED: Final = (
    "failed to setup network for sandbox",
    "failed to create pod network sandbox",
)


def _kind(msg: str, level: str) -> str:
    if level in ("error", "fatal") and any(s in msg for s in _SANDBOX_FAILED):
        return "runtime:sandbox:failed"
    return "log"


class CrictlFormat(LogFormat):
    name: ClassVar[str] = "crictl"
    aliases: ClassVar[tuple[str, ...]] = ("crictl_logrus",)
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["crictl"]
    description: ClassVar[str] = "crictl output (DEBU[0000] …, FATA[0000] …, embedded klog)"

    def sniff(self, head: Sequence[str]) -> float:
        return any_share_score(head, lambda line: _CLI_RE.match(line) is not None)

    def _values(self, line: str, ctx: ParseContext) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        out: dict[str, Any] = {"time": None, "level": "info", "message": line}
        if m := _CLI_RE.match(line):
            out.update(level=_LEVELS[m["lvl"]], message=m["msg"])
            fields["elapsed_s"] = int(m["secs"])
        elif m := _KLOG_RE.match(line):
            anchor = ctx.year_anchor
            month = int(m["month"])
            year = anchor.first_year(0, month, month)
            stamp = f"{year}-{m['month']}-{m['day']}T{m['time']}"
            try:
                when = datetime.fromisoformat(stamp).replace(tzinfo=ctx.tz or UTC)
                out["time"] = when.astimezone(UTC)
                out["year_source"] = anchor.source
            except ValueError:
                pass
            out.update(level=_LEVELS[m["sev"]], message=m["msg"])
            fields["caller"] = m["loc"]
            if e := _ERR_KV.search(m["msg"]):
                out["error"] = go_unquote(f'"{e["err"]}"')
        msg = out["message"]
        if out["level"] in ("error", "fatal"):
            out.setdefault("error", msg)
        out["kind"] = _kind(msg, out["level"])
        out.update(identities_from_text(msg))
        out["fields"] = fields
        return out

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        events: list[Event] = []
        blanks = 0
        for number, line in enumerate(src.lines, start=1):
            if not line.strip():
                blanks += 1
                continue
            events.append(
                Event(
                    **self._values(line, ctx),
                    source="crictl",
                    format=self.name,
                    file=src.file,
                    member=src.member,
                    line=number,
                    raw=line,
                    node=src.node_hint,
                )
            )
        return ParseOutput(events_to_frame(events), [], blanks)
