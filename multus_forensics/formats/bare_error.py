"""Bare error lines: an error pasted from a ticket, chat or ``kubectl describe`` with no log header.

Often all a user has is the message text itself::

    Multus: [lab/probe-6d8f9c7b54-qwz4n/7ad2f92f-2377-4b79-8201-15fd0290181a]: error getting pod: Unauthorized
    failed to find plugin "macvlan" in path [/opt/cni/bin]
    failed to "CreatePodSandbox" for "probe-6d8f9c7b54-qwz4n_lab(7ad2…)" with CreatePodSandboxError: "Failed to create sandbox for pod \\"…\\": rpc error: …"

This is the fallback format: it sniffs low whenever a line carries a real log header (a time
stamp, a klog letter, ``time=``, JSON, a kubectl table row) so that any real format wins, and
decently for Go error chains (``: `` separated, error words). Each non-blank line is one event
(``time=None``, kind ``error:line``); a line that holds no error word is kept as a ``log`` event.
A thick-plugin body split by its embedded newline (a line starting with ``'``) continues the
line above. Quoting is undone level by level (``\\\\\\"`` -> ``\\"`` -> ``"``); the source is
``multus`` only when the text starts with Multus' own prefix, and identities only when named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from multus_forensics.formats._identity import MULTUS_POD, identities_from_text
from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

#: the start of a line written by a real log format (any of them wins over a bare line)
HEADERISH: Final = lazy(
    r"""^\s*(?:
        [IWEF]\d{4}\ \d\d:\d\d:\d\d                  # klog
      | .{0,24}\b\d\d:\d\d:\d\d\b                     # any clock near the start (syslog, ISO, CRI)
      | \d{4}[-/]\d\d[-/]\d\d                          # a date
      | (?:time|level|ts)=                             # logrus / logfmt
      | [A-Z]{4}\[\d+\]                                # crictl / logrus CLI (FATA[0000])
      | [{]                                            # JSON
      | \S+(?:\ \S+)?\s{2,}\S                           # table columns (kubectl describe, get events)
      | (?:ns|namespace)/\S+\ (?:pod|node)/\S+          # OpenShift e2e event monitor
      | --\ (?:Logs\ begin|Boot|No\ entries|Reboot)    # journalctl markers
    )""",
    re.VERBOSE,
)
ERROR_WORDS: Final = lazy(
    r"(?i)\b(?:error|errored|err|fail(?:ed|ure|s)?|unable|cannot|can't|could(?:n't| not)"
    r"|no such|not found|refused|denied|timed out|timeout|unauthorized|forbidden|already exists"
    r"|busy|invalid|missing|unreachable|panic|not ready|exhausted|no route"
    r"|does not support|not supported|unsupported|incompatible)\b"
)
MULTUS_PREFIX: Final = lazy(rf"\s*(?:Multus: |{MULTUS_POD.pattern}: )")
#: the closing part of a thick-plugin HTTP body that carried a newline (``…busy\n': StdinData``)
CONTINUATION: Final = lazy(r"'(?::|\s*$)")
_ESCAPE: Final = lazy(r"\\([\"\\])")
_MAX_QUOTE_LEVELS: Final = 4


def line_score(line: str) -> float:
    """How much a header-less line looks like a Go error chain (0, 0.4, 0.75 or 1)."""
    if not ERROR_WORDS.search(line):
        return 0.0
    if line.count(": ") >= 2 or MULTUS_PREFIX.match(line) or "rpc error: code =" in line:
        return 1.0
    if ": " in line or '"' in line or "[" in line:
        return 0.75
    return 0.4


def unquote(text: str) -> str:
    """Undo Go ``%q`` quoting level by level (``\\"`` -> ``"``, ``\\\\`` -> ``\\``)."""
    if len(text) >= 2 and text[0] == text[-1] == '"' and '\\"' in text:
        text = text[1:-1]
    for _ in range(_MAX_QUOTE_LEVELS):
        if '\\"' not in text:
            break
        text = _ESCAPE.sub(r"\1", text)
    return text


class BareError(LogFormat):
    """Header-less pasted error lines (the fallback for ticket pastes)."""

    name: ClassVar[str] = "bare-error"
    aliases: ClassVar[tuple[str, ...]] = ("error-line", "bare", "paste")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["bare-error"]
    description: ClassVar[str] = "pasted error lines without a log header (no time)"

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if not CONTINUATION.match(line)]
        if not lines:
            return 0.0
        score = 0.7 * sum(line_score(line) for line in lines) / len(lines)
        if any(HEADERISH.match(line) for line in lines):
            return min(score, 0.2)
        return score

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        groups: list[tuple[int, list[str]]] = []
        blank = 0
        for lineno, line in enumerate(src.lines, 1):
            if not line.strip():
                blank += 1
            elif (
                groups and CONTINUATION.match(line) and groups[-1][0] + len(groups[-1][1]) == lineno
            ):
                groups[-1][1].append(line)
            else:
                groups.append((lineno, [line]))
        events = [self._event(src, lineno, lines) for lineno, lines in groups]
        return ParseOutput(events_to_frame(events), [], blank)

    def _event(self, src: TextSource, lineno: int, lines: list[str]) -> Event:
        raw = "\n".join(lines)
        text = raw.strip()
        is_error = ERROR_WORDS.search(text) is not None
        error = unquote(text)
        ids: dict[str, Any] = identities_from_text(error)
        return Event(
            time=None,
            node=src.node_hint,
            source="multus" if MULTUS_PREFIX.match(text) else "unknown",
            format=self.name,
            kind="error:line" if is_error else "log",
            level="error" if is_error else "info",
            message=text,
            error=error if is_error else None,
            **ids,
            file=src.file,
            member=src.member,
            line=lineno,
            nlines=len(lines),
            raw=raw,
        )
