"""Undo the decoration a log picks up when it is pasted into an issue, a chat or a ticket.

Real reports rarely carry the file as written: GitHub quoting adds ``> `` (nested ``> > ``),
editors and ``grep -n`` / ``cat -n`` add line numbers (``  12 | ``, ``12:``, ``    12<TAB>``),
terminal UIs such as k9s frame every line in box-drawing characters (``│ ... │``), Markdown
adds code fences (```` ``` ````) and wraps lines in ``**``/`` ` `` emphasis. Formats
should see the log itself, so this step runs on every decoded source before sniffing.

A decoration is stripped only when it is *consistent*: most non-blank lines of the sample carry
it (and line numbers must count up). Content that merely contains the same character (a klog
``err=<`` block closed by `` >``, a time like ``13:02:05``) is left alone. Stripping works per
line and never removes or merges lines, so line numbers and the line accounting still hold.
Each decoration stripped is reported once, as a file-level warning.

Damage that cannot be undone per line (hard wraps, lines cut at the right edge, newest-first
order) is left to the formats, which know their own record shapes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Final

from multus_forensics.formats.base import TextSource
from multus_forensics.lazyre import lazy
from multus_forensics.model import ParseIssue

#: lines looked at to decide whether a decoration is consistent
SAMPLE_LINES: Final = 400
#: share of non-blank sample lines that must carry a quote prefix or a line number
MOST: Final = 0.8
#: share for box frames: a selection often starts or ends inside the box, so the bar is lower
MOST_BOX: Final = 0.6

_QUOTE = lazy(r"^(?:>[ \t]?)+")
_NUMBER = lazy(r"^[ \t]*(\d{1,7})(?:[ \t]*[|│][ \t]?|:[ \t]?|\t)")
_BOX_CHARS = "│┃║"
_BOX_LEFT = lazy(rf"^[ \t]*[{_BOX_CHARS}][ \t]?")
_BOX_RIGHT = lazy(rf"[ \t]?[{_BOX_CHARS}][ \t]*$")
#: a frame border (``┌────┐``, ``├──┤``, ``╰──╯``) carries no content at all
_BORDER = lazy(r"^[ \t]*[─━═┌┐└┘├┤┬┴┼╭╮╰╯│┃║][─━═┌┐└┘├┤┬┴┼╭╮╰╯│┃║ \t]*$")


def _quote_depth(line: str) -> int:
    m = _QUOTE.match(line)
    return m.group(0).count(">") if m else 0


def _strip_quote(lines: list[str], sample: list[str]) -> tuple[list[str], str | None]:
    if not sample:
        return lines, None
    depths = [_quote_depth(line) for line in sample]
    if sum(1 for d in depths if d) < MOST * len(sample):
        return lines, None
    # the shallowest depth of a line with content is the decoration (a bare ">" is a quoted
    # blank line); deeper ">" may belong to the content
    with_text = [d for d, line in zip(depths, sample, strict=True) if d and _QUOTE.sub("", line)]
    depth = min(with_text or [d for d in depths if d])
    prefix = re.compile(rf"^(?:>[ \t]?){{1,{depth}}}")
    out = [prefix.sub("", line, count=1) for line in lines]
    label = "quote prefix " + repr("> " * depth)
    return out, label


def _strip_numbers(lines: list[str], sample: list[str]) -> tuple[list[str], str | None]:
    if not sample:
        return lines, None
    numbers = [m and int(m.group(1)) for m in map(_NUMBER.match, sample)]
    hits = [n for n in numbers if n is not None]
    if len(hits) < MOST * len(sample) or len(hits) < 2:
        return lines, None
    # numbers must count up line by line (blank lines of the paste are numbered too)
    steps = sum(1 for a, b in itertools.pairwise(hits) if b == a + 1)
    if steps < MOST * (len(hits) - 1):
        return lines, None
    out = [_NUMBER.sub("", line, count=1) for line in lines]
    return out, "leading line numbers"


def _strip_box(lines: list[str], sample: list[str]) -> tuple[list[str], str | None]:
    if not sample:
        return lines, None
    framed = sum(
        1
        for line in sample
        if _BORDER.match(line) or _BOX_LEFT.match(line) or _BOX_RIGHT.search(line)
    )
    if framed < MOST_BOX * len(sample):
        return lines, None
    out = []
    for line in lines:
        if _BORDER.match(line):
            out.append("")
            continue
        out.append(_BOX_RIGHT.sub("", _BOX_LEFT.sub("", line, count=1), count=1))
    return out, "terminal UI box frame '│ … │'"


_FENCE = lazy(r"^[ \t]*(?:```|~~~)[\w+-]{0,20}[ \t]*$")
_EMPHASIS = lazy(r"^([ \t]*)(\*\*|`)(?=\S)(.*\S)\2[ \t]*$")


def _strip_markdown(lines: list[str], sample: list[str]) -> tuple[list[str], str | None]:
    """Code-fence lines become blank; ``**line**`` / `` `line` `` lose their wrapper when most
    lines carry one (a fence is unmistakable on its own, emphasis only when consistent)."""
    if not sample:
        return lines, None
    fences = sum(1 for line in sample if _FENCE.match(line))
    body = [line for line in sample if not _FENCE.match(line)]
    wrapped = sum(1 for line in body if _EMPHASIS.match(line))
    emphasis = bool(body) and wrapped >= MOST * len(body)
    if not fences and not emphasis:
        return lines, None
    out = []
    for line in lines:
        if _FENCE.match(line):
            out.append("")
        elif emphasis:
            out.append(_EMPHASIS.sub(r"\1\3", line))
        else:
            out.append(line)
    parts = [
        p for p, on in (("Markdown code fences", fences), ("Markdown emphasis", emphasis)) if on
    ]
    return out, " and ".join(parts)


Stripper = Callable[[list[str], list[str]], tuple[list[str], "str | None"]]
_STRIPPERS: Final[tuple[Stripper, ...]] = (
    _strip_markdown,
    _strip_quote,
    _strip_numbers,
    _strip_box,
)


def _sample(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line.strip():
            out.append(line)
            if len(out) >= SAMPLE_LINES:
                break
    return out


def _could_be_decorated(head: list[str]) -> bool:
    """Cheap pre-check so that clean multi-megabyte logs skip the per-line work.

    ``head``: the first non-blank lines (already the sample :func:`_sample` would take).
    """
    firsts = {line.lstrip(" \t")[:1] for line in head[:SAMPLE_LINES]}
    return any(ch in ">`*~│┃║" or ch.isdigit() for ch in firsts) or any(
        line.rstrip()[-1:] in ("│", "┃", "║") for line in head[:50]
    )


def strip_paste_decoration(src: TextSource) -> tuple[TextSource, list[ParseIssue]]:
    """The source with consistent paste decoration removed, and one warning per decoration."""
    # the pre-check and the decision read the head only, so clean large logs (timestamps start
    # with digits) never split into a line list
    head = src.head(max(SAMPLE_LINES, 50))
    if not head or not _could_be_decorated(head):  # no head: empty or blank text
        return src, []
    probe = head
    for strip in _STRIPPERS:
        probe, label = strip(probe, _sample(probe))
        if label:
            break
    else:
        return src, []
    lines = src.lines
    stripped: list[str] = []
    for strip in _STRIPPERS:
        sample = _sample(lines)
        if not sample:
            break
        lines, label = strip(lines, sample)
        if label:
            stripped.append(label)
    if not stripped:
        return src, []
    text = "\n".join(lines) + ("\n" if src.text.endswith("\n") else "")
    issue = ParseIssue(
        src.file,
        src.member,
        None,
        "pasted text: stripped " + ", ".join(stripped) + " from every line carrying it",
        severity="warning",
    )
    cleaned = TextSource(src.file, text, src.member, src.mtime, src.mtime_origin, src.node_hint)
    return cleaned, [issue]
