"""``ls -l`` listings of the CNI folders: what is really on the node.

``/etc/cni/net.d`` (which configs the runtime loads: a ``00-multus.conf`` left after Multus was
removed, a missing ``multus.d``), ``/opt/cni/bin`` (which plugins exist) and
``/var/lib/cni/multus`` (the delegate cache DEL needs), pasted or found in a must-gather or
sosreport::

    $ ls -l /etc/cni/net.d
    total 8
    -rw-------. 1 root root 1104 Mar  2 10:14 00-multus.conf
    -rw-r--r--. 1 root root  292 Feb 11  2025 10-flannel.conflist
    drwxr-xr-x. 2 root root 4096 Mar  2 10:14 multus.d
    /opt/cni/bin:
    lrwxrwxrwx 1 root root   21 2026-03-02 10:14 multus -> /opt/multus/bin/multus

The folder comes from the command (``ls -l PATH``), a ``PATH:`` header (``ls -l A B``,
``ls -lR``), or a sosreport file name (``ls_-lanR_.etc.cni.net.d``). Each entry is a ``listing:entry`` event (``fields``: ``dir``, ``name``, ``type``
``-``/``d``/``l``, ``size``, ``target`` of a link; ``message`` is the full path); other lines
(prompts, ``total``) are ``log`` events.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.lazyre import lazy
from multus_forensics.model import Event, events_to_frame
from multus_forensics.registry import FORMAT_GLOBS

FORMAT: Final = "cni-listing"
ENTRY: Final = lazy(
    r"""^\s*(?P<type>[-dlcbps])[rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+(?P<size>[\d,.]+[KMGT]?)\s+
    (?:\w{3}\s+\d{1,2}\s+(?:\d{1,2}:\d\d|\d{4})|\d{1,2}\s+\w{3,4}\.?\s+(?:\d{1,2}:\d\d|\d{4})
      |\d{4}-\d\d-\d\d(?:\s\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:\s[+-]\d{4})?)?)
    \s+(?P<name>.+?)(?:\s->\s(?P<target>.+))?\s*$""",
    re.VERBOSE,
)
_TOTAL: Final = lazy(r"^\s*total\s+\d+[KMGT]?\s*$")
_LS: Final = lazy(r"\bls\s+(?:-[\w-]+\s+)*(?P<path>/[^\s;|&]*)")
_HEADER: Final = lazy(r"^(?P<path>/[^\s:]*|\.[^\s:]*):\s*$")
#: folders whose listing is CNI evidence (the sniff prefers them)
CNI_DIRS: Final = lazy(r"/etc/cni/net\.d|/opt/cni/bin|/var/lib/cni|/usr/libexec/cni|cni/bin")


#: sosreport names a listing after its command, with the folder's slashes as dots
#: (``ls_-lanR_.etc.cni.net.d``): the CNI folders whose dotted form is unambiguous
_DOTTED: Final = {
    ".etc.cni.net.d": "/etc/cni/net.d",
    ".opt.cni.bin": "/opt/cni/bin",
    ".var.lib.cni.multus": "/var/lib/cni/multus",
    ".var.lib.cni.networks": "/var/lib/cni/networks",
    ".usr.libexec.cni": "/usr/libexec/cni",
}


def folder_from_name(name: str) -> str | None:
    """The listed folder when a file is named after its ``ls`` command (sosreport)."""
    base = name.rsplit("/", 1)[-1]
    return next((path for dotted, path in _DOTTED.items() if base.endswith(dotted)), None)


def entry_events_dir(
    lines: Sequence[str], folder: str | None = None
) -> list[tuple[int, str | None, re.Match[str] | None]]:
    """(index, folder, entry match) per line: the folder in force and the parsed entry, if any."""
    out = []
    for i, line in enumerate(lines):
        m = _LS.search(line)
        if m and not ENTRY.match(line):
            folder = m.group("path").rstrip("/") or "/"
        h = _HEADER.match(line)
        if h:
            folder = h.group("path").rstrip("/") or "/"
        out.append((i, folder, ENTRY.match(line)))
    return out


class CniListingFormat(LogFormat):
    """``ls -l`` output (of /etc/cni/net.d, /opt/cni/bin, /var/lib/cni/multus, or any folder)."""

    name: ClassVar[str] = FORMAT
    aliases: ClassVar[tuple[str, ...]] = ("ls", "ls-l", "listing")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS[FORMAT]
    description: ClassVar[str] = "ls -l listings of CNI folders (net.d, bin, multus cache)"

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        entries = sum(1 for line in head if ENTRY.match(line))
        if not entries:
            return 0.0
        known = sum(
            1
            for line in head
            if ENTRY.match(line) or _TOTAL.match(line) or _HEADER.match(line) or _LS.search(line)
        )
        share = known / len(head)
        if share < 0.6:
            return 0.0
        cni = any(CNI_DIRS.search(line) or "multus" in line for line in head)
        return min(0.95, 0.5 + 0.4 * share) if cni else 0.35 + 0.3 * share

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        events: list[Event] = []
        blank = 0
        start = folder_from_name(src.member or src.file)
        for i, folder, m in entry_events_dir(src.lines, start):
            line = src.lines[i]
            if not line.strip():
                blank += 1
                continue
            base = Event(source="ls", format=FORMAT, message=line.strip(), file=src.file,
                         member=src.member, line=i + 1, raw=line, node=src.node_hint)  # fmt: skip
            if m is None:
                events.append(base)
                continue
            events.append(_entry(base, folder, m))
        return ParseOutput(events_to_frame(events), [], blank)


def _entry(base: Event, folder: str | None, m: re.Match[str]) -> Event:
    from dataclasses import replace

    name = m.group("name")
    fields: dict[str, Any] = {
        "dir": folder,
        "name": name,
        "type": m.group("type"),
        "size": m.group("size"),
        "target": m.group("target"),
    }
    path = f"{folder}/{name}" if folder else name
    return replace(base, kind="listing:entry", message=path, fields=fields)
