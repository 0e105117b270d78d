"""Docker json-file container logs: ``/var/lib/docker/containers/<id>/<id>-json.log``.

Written by dockerd's default ``json-file`` log driver, one JSON object per line, on nodes of
clusters from before containerd/CRI-O (dockershim); sosreports of such nodes keep them under
``/var/lib/docker/containers/`` and ``/var/log/containers/*.log`` links to them::

    {"log":"I0718 06:07:40.000153       1 main.go:41] Starting kube-flannel\n","stream":"stderr","time":"2019-07-18T06:07:40.000168371Z"}
    {"log":"2019-07-18T06:07:41Z [verbose] Add: lab:probe:...:macvlan-conf(macvlan):net1 {...}\n","stream":"stdout","time":"2019-07-18T06:07:41.512Z"}
    {"log":"first 16 KiB of a long line without its newline","stream":"stdout","time":"..."}

``log`` ends with ``\\n`` when the container wrote a whole line; without it the line was split
(16 KiB chunks) and continues in the next object of the same stream, like a CRI ``P`` partial.
So each object is read as the CRI line ``<time> <stream> <F|P> <log>`` and parsed by
:class:`~multus_forensics.formats.runtime.cri.CriFormat`: same joining, same payload parsers, same
owner fields; only ``format`` and ``raw`` (the physical JSON lines) differ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    TextSource,
    fraction,
)
from multus_forensics.model import ParseIssue, excerpt
from multus_forensics.registry import FORMAT_GLOBS

#: a placeholder CRI line for an object that is not a docker log entry (becomes an issue)
_NOT_AN_ENTRY: Final = "-"
_KEYS: Final = ("log", "stream", "time")


def _entry(line: str) -> dict[str, Any] | None:
    """The decoded object when ``line`` is a json-file entry, else None."""
    text = line.strip()
    if not (text.startswith("{") and '"log"' in text):
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        return None
    if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) for k in _KEYS):
        return None
    return obj


def to_cri_line(line: str) -> str | None:
    """The CRI log line carrying the same entry, None when ``line`` is not an entry."""
    obj = _entry(line)
    if obj is None:
        return None
    log: str = obj["log"]
    whole = log.endswith("\n")
    payload = log[:-1] if whole else log
    # one physical line stays one line: a newline inside the text stays escaped
    payload = payload.replace("\r\n", "\n").replace("\n", "\\n")
    return f"{obj['time']} {obj['stream']} {'F' if whole else 'P'} {payload}"


class DockerJsonFormat(LogFormat):
    """Docker json-file logs (see the module docstring)."""

    name: ClassVar[str] = "docker-json"
    aliases: ClassVar[tuple[str, ...]] = ("docker", "json-file")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["docker-json"]
    description: ClassVar[str] = 'Docker json-file log ({"log": ..., "stream": ..., "time": ...})'

    def sniff(self, head: Sequence[str]) -> float:
        return fraction(head, lambda line: _entry(line) is not None)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        import polars as pl

        from multus_forensics.formats.runtime.cri import CriFormat

        lines = src.lines
        cri: list[str] = []
        for line in lines:
            converted = to_cri_line(line) if line.strip() else line
            cri.append(_NOT_AN_ENTRY if converted is None else converted)
        inner = TextSource(
            src.file,
            "\n".join(cri) + "\n",  # one line per physical line, a last blank one included
            member=src.member,
            mtime=src.mtime,
            mtime_origin=src.mtime_origin,
            node_hint=src.node_hint,
        )
        out = CriFormat().parse(inner, ctx)
        issues = []
        for issue in out.issues:
            if issue.line is not None and cri[issue.line - 1] == _NOT_AN_ENTRY:
                issue = ParseIssue(
                    src.file, src.member, issue.line,
                    'not a Docker json-file entry ({"log", "stream", "time"})',
                    excerpt(lines[issue.line - 1]), format=self.name,
                )  # fmt: skip
            elif issue.format is not None:
                issue = ParseIssue(
                    issue.file, issue.member, issue.line, issue.reason,
                    excerpt(lines[issue.line - 1]) if issue.line else issue.excerpt,
                    issue.severity, self.name,
                )  # fmt: skip
            issues.append(issue)
        events = out.events
        raw = [
            "\n".join(lines[start - 1 : start - 1 + n])
            for start, n in zip(events["line"], events["nlines"], strict=True)
        ]
        events = events.with_columns(
            pl.lit(self.name).alias("format"), pl.Series("raw", raw, dtype=pl.String)
        )
        return ParseOutput(events, issues, out.blank_lines, out.header_lines)
