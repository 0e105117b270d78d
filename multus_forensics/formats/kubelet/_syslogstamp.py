"""Syslog / ``journalctl`` text line shapes: stamps, localised month names, markers.

The month table is explicit (English plus the abbreviations seen in localised pastes) so that
an unknown token is a parse issue, never a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Final

from multus_forensics.lazyre import lazy
from multus_forensics.timeutil import YearAnchor

_MONTH_NAMES: Final[dict[int, tuple[str, ...]]] = {
    # en, de, fr, es, it, pt, nl, ru (lower case, trailing dot stripped)
    1: ("jan", "janv", "ene", "gen", "jän", "янв"),
    2: ("feb", "févr", "fev", "fév", "фев"),
    3: ("mar", "mär", "mars", "mrt", "мар"),
    4: ("apr", "avr", "abr", "апр"),
    5: ("may", "mai", "mag", "mei", "мая", "май"),
    6: ("jun", "juin", "giu", "июн"),
    7: ("jul", "juil", "lug", "июл"),
    8: ("aug", "août", "ago", "авг"),
    9: ("sep", "sept", "set", "сен"),
    10: ("oct", "okt", "out", "ott", "окт"),
    11: ("nov", "ноя"),
    12: ("dec", "dez", "déc", "dic", "дек"),
}
MONTHS: Final[dict[str, int]] = {name: num for num, names in _MONTH_NAMES.items() for name in names}
#: English abbreviations as journalctl prints them (the vectorised path's lookup table)
EN_MONTHS: Final[dict[str, int]] = {
    n.capitalize(): i
    for i, n in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_CJK_MONTH: Final = lazy(r"(\d{1,2})[월月]")


@lru_cache(maxsize=512)  # a handful of month names per file, read on every line
def month_number(token: str) -> int | None:
    """Month 1..12 for an English, European (de/fr/es/it/pt/nl/ru) or CJK (``5월``) token."""
    m = _CJK_MONTH.fullmatch(token)
    if m:
        num = int(m[1])
        return num if 1 <= num <= 12 else None
    return MONTHS.get(token.lower().rstrip("."))


_TAIL = r" (?P<host>[A-Za-z0-9][\w.-]*) (?P<ident>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?:(?: (?P<payload>.*)|(?P<empty>$))"
#: ``-o short`` / ``short-precise`` / syslog files: ``Mar 11 14:02:07[.418601] host ident[pid]:``
SHORT_RE: Final = lazy(
    r" ?(?P<mon>[^\s\d]+|\d{1,2}[월月]) {1,2}(?P<d>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<us>\d{1,6}))?" + _TAIL,
    re.S,
)
#: lines at most this long have their month token remembered (:func:`short_month`)
_REMEMBERED_LINE: Final = 2048


def short_month(line: str) -> str | None:
    """The month token of a ``-o short`` record line (:data:`SHORT_RE`), or None.

    Sniffing and the fast path's admission read the same head lines of every file: each
    line is matched once (a folder of thousands of small files reads thousands of heads).
    """
    if len(line) > _REMEMBERED_LINE:
        m = SHORT_RE.match(line)
        return None if m is None else m["mon"]
    return _short_month(line)


@lru_cache(maxsize=128)
def _short_month(line: str) -> str | None:
    m = SHORT_RE.match(line)
    return None if m is None else m["mon"]


#: a syslog line whose message has no ``tag:`` (``Mar 11 14:02:07 host some text``): a record of
#: its own, never the continuation of the line before it
UNTAGGED_RE: Final = lazy(
    r" ?(?P<mon>[^\s\d]+|\d{1,2}[월月]) {1,2}(?P<d>\d{1,2}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<us>\d{1,6}))? (?P<host>[A-Za-z0-9][\w.-]*) (?P<payload>\S.*)",
    re.S,
)
#: ``-o short-iso[-precise]`` (``+0100``) and rsyslog RFC 3339 (``+01:00``, ``Z``)
ISO_RE: Final = lazy(
    r"(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d))" + _TAIL, re.S
)
#: ``-o short-full``: ``Wed 2026-03-11 14:02:06[.114203] CET host ident[pid]:``, a local time whose
#: zone is named by its abbreviation (the weekday is the locale's)
FULL_RE: Final = lazy(
    r"(?P<wd>[^\s\d]\S*) (?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d)"
    r"(?:\.(?P<us>\d{1,6}))? (?P<zone>[A-Za-z][A-Za-z0-9]{1,5}|[+-]\d{2,4})" + _TAIL,
    re.S,
)
#: ``-o short-unix``: ``1773237726.114203 host ident[pid]:``, seconds since the epoch (UTC)
UNIX_RE: Final = lazy(r"(?P<epoch>\d{9,11})(?:\.(?P<us>\d{1,6}))?" + _TAIL, re.S)
#: ``-- Logs begin at ... --``, ``-- Boot 5c1e... --``, ``-- No entries --``, ``-- Reboot --``
MARKER_RE: Final = lazy(r"-- (?P<text>.*?) ?--")
BOOT_RE: Final = lazy(r"Boot (?P<boot>[0-9a-f]{32})")
#: journalctl's first line: ``-- Logs begin at Fri 2017-11-03 10:00:00 UTC, end at Mon ... --``
#: (systemd < 246) or ``-- Journal begins at ..., ends at ... --``; its dates carry the year. The
#: weekday is the locale's (``mer.``, ``Mi``, ``수``), so any token that is not the date
HEADER_RE: Final = lazy(
    r"(?:Logs begin|Journal begins) at (?:[^\s\d]\S* )?"
    r"(?P<begin>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
    r"(?:[^,]*, ends? at (?:[^\s\d]\S* )?(?P<end>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?"
)
#: markers that describe the file rather than record anything: header lines, not events
HEADER_MARKERS: Final = ("logs-begin", "no-entries")
#: a payload cut by the pager ends in ``>`` glued to text (not klog's `` >``, not ``<nil>``)
TRUNCATED_RE: Final = lazy(r"(?<![ >])>$")
_BRACKETED_END: Final = lazy(r"<[^<>\s]*>$")


def pager_truncated(payload: str) -> bool:
    """True when ``payload`` ends the way ``journalctl`` cuts lines at the terminal width."""
    if not payload.endswith(">"):  # both patterns end at a `>`: skip the scan of the text
        return False
    return bool(TRUNCATED_RE.search(payload)) and not _BRACKETED_END.search(payload)


def header_anchor(head: list[str], zone: tzinfo) -> YearAnchor | None:
    """The year anchor a journalctl header line among ``head`` gives, or None.

    The ``end at`` stamp bounds the last record (like an mtime, but written by journalctl);
    without it the ``begin at`` stamp bounds the first.
    """
    for line in head:
        mk = MARKER_RE.fullmatch(line)
        hit = HEADER_RE.match(mk["text"]) if mk is not None else None
        if hit is None:
            continue
        stamp = hit["end"] or hit["begin"]
        try:
            when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
        except ValueError:
            return None
        return YearAnchor(reference=when, source="file-header", at_end=hit["end"] is not None)
    return None


#: the zone journalctl printed after the header's first date (``CEST``, ``UTC``, ``+0900``)
_HEADER_ZONE: Final = lazy(
    r"(?:Logs begin|Journal begins) at (?:[^\s\d]\S* )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
    r"(?P<zone>[A-Za-z][A-Za-z0-9]{1,5}|[+-]\d{2,4})\b"
)
#: zone names that mean the journal's times are already UTC
UTC_NAMES: Final = frozenset({"UTC", "GMT", "Z", "+00", "+0000", "Etc"})


def header_zone(head: list[str]) -> tuple[str, str] | None:
    """(zone name, line) when a journalctl header (or an ``-o short-full`` record) among ``head``
    says its times are in a zone other than UTC: journalctl prints local time, which a reader
    given no zone takes as UTC."""
    for line in head:
        mk = MARKER_RE.fullmatch(line)
        hit = _HEADER_ZONE.match(mk["text"]) if mk is not None else FULL_RE.match(line)
        if hit is not None:
            return None if hit["zone"] in UTC_NAMES else (hit["zone"], line)
    return None


def marker_fields(text: str) -> dict[str, str]:
    """Fields for a journalctl marker line: its kind and, for boot markers, the boot id."""
    boot = BOOT_RE.match(text)
    if boot:
        return {"marker": "boot", "boot_id": boot["boot"]}
    if text.startswith("Reboot"):
        return {"marker": "reboot"}
    if text.startswith("No entries"):
        return {"marker": "no-entries"}
    return {"marker": "logs-begin"}
