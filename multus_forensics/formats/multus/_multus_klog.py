"""client-go's klog lines inside a thick Multus daemon's log.

The daemon's own records carry an RFC 3339 header; the client-go code in the same process
(event recorder, reflectors, leader election) writes klog lines to the same stream, so
``kubectl logs ds/kube-multus-ds`` interleaves them::

    2024-04-19T19:19:59Z [verbose] Add: ns:pod:uid:ovn-kubernetes(ovn-kubernetes):eth0 {…}
    I0419 19:19:59.545551    7342 event.go:364] Event(v1.ObjectReference{Kind:"Pod", …}): type: 'Normal' reason: 'AddedInterface' Add eth0 [10.128.0.5/23] from ovn-kubernetes
    W0419 19:20:31.101010    7342 reflector.go:462] …: watch of *v1.Pod ended with: …

A klog header at the start of a line starts a record (its ``key=<`` block lines and wrapped
lines follow it as continuations); the record is read by the kubelet's klog parser
(:func:`.kubelet.klog.parse_payload`, :func:`.kubelet._klogfile.record_row`), so it has the same
kind and identities as the same line in a kubelet log, with ``source`` the Multus log's.
klog has no year and no zone: both come from the Multus record before it (the file's first
Multus record for klog lines before any), the year that puts it nearest to that record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.formats.multus._multus_msg import parse_time
from multus_forensics.model import ParseIssue, excerpt

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.formats.base import TextSource

#: a klog header at a line's start (:data:`.kubelet.klog.HEADER_RE`, in polars' syntax)
KLOG_HEAD: Final = r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ \]]+\] "
#: the first Multus header in a file: what dates klog lines written before any Multus record
_FIRST_STAMP: Final = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)) \[(?:panic|error|verbose|debug)\] ",
    re.MULTILINE,
)


def first_stamp(src: TextSource) -> str | None:
    """The stamp of ``src``'s first Multus header line (one regex search, stops there)."""
    if src.data is not None:
        m = re.search(_FIRST_STAMP.pattern.encode(), src.data, re.MULTILINE)
        return m[1].decode() if m else None
    m = _FIRST_STAMP.search(src.text)
    return m[1] if m else None


def _year(ref: datetime, month: int, day: int) -> int:
    """The year that puts ``month``/``day`` nearest to ``ref`` (a log read across New Year).

    The day is capped at 28 for the comparison, so a 29 February beside a common year's record
    stays in that year and is reported as an impossible date, not moved to another year.
    """
    here = ref.replace(tzinfo=None)
    years = (ref.year - 1, ref.year, ref.year + 1)
    return min(years, key=lambda y: abs((datetime(y, month, min(day, 28)) - here).days))


def klog_rows(
    records: pl.DataFrame, src: TextSource, fmt_name: str, default_source: str
) -> tuple[pl.DataFrame, list[ParseIssue]]:
    """Event rows of klog records (columns ``line``, ``nlines``, ``raw``, ``ref``: the stamp of
    the Multus record that dates them) and the issues of those without a usable date."""
    from multus_forensics.formats.kubelet._klogfile import frame_from_rows, record_row
    from multus_forensics.formats.kubelet.klog import parse_payload

    rows: list[dict[str, Any]] = []
    issues: list[ParseIssue] = []
    refs: dict[str | None, datetime | None] = {}
    for line, nlines, raw, ref in records.select("line", "nlines", "raw", "ref").iter_rows():
        parsed = parse_payload(raw)
        assert parsed is not None  # the record starts at a klog header by construction
        if ref not in refs:
            refs[ref] = parse_time(ref) if ref else None
        when = refs[ref]
        if when is None or when.tzinfo is None:
            row = record_row(parsed, 1, UTC, "unknown", src, fmt_name, line, nlines, raw)
            row["time"] = None
            why = "klog record without a dated Multus record to take its year and zone from"
        else:
            year = _year(when, *parsed["local_time"][:2])
            row = record_row(parsed, year, when.tzinfo, "content", src, fmt_name, line, nlines,
                             raw)  # fmt: skip
            why = "impossible date in klog header"
        row["source"] = default_source
        if row["time"] is None:
            issues.append(
                ParseIssue(src.file, src.member, line, why, excerpt(raw.split("\n", 1)[0]),
                           severity="warning", format=fmt_name)
            )  # fmt: skip
        rows.append(row)
    return frame_from_rows(rows), issues

