"""Multus' own log: the thin plugin's ``logFile``, the thick daemon's log, whereabouts' log.

All three write through the same pkg/logging header (FORMATS.md §3.1, §3.5): RFC 3339 with the
process' zone, second precision, then the level in brackets. Found at the ``logFile`` path of
the Multus config (often ``/var/log/multus.log``, with lumberjack ``.gz`` backups), the daemon
config's ``logFile``, or whereabouts' ``log_file``::

    2026-03-11T13:02:06Z [verbose] Add: lab:probe-…:7ad2…:lab/macvlan-conf(macvlan-conf):net1 {"cniVersion":…}
    2026-03-11T13:02:06Z [error] [lab/probe-…/7ad2…:macvlan-conf]: error adding container to network "macvlan-conf": …
    2026-03-11T14:02:07+01:00 [verbose] ADD starting CNI request ContainerID:"…" Netns:"…" IfName:"eth0" Args:"…"
    2026-03-11T14:02:07+01:00 [panic] …  (followed by a stack trace on the next lines)

A line without the header continues the record above it (a ``%v`` with newlines, a panic stack
trace), so records may span several lines; one that starts with a klog header is client-go
writing in the thick daemon's process and starts a record of its own (:mod:`._multus_klog`). Several records share one second: file order is kept.
Parsing is vectorised: lines are string views into the file's bytes, stamps come from byte
gathers (:mod:`._stampvec`), headers, levels and multi-line grouping are polars string ops, in
chunks that start at a header line; the message classifier (:mod:`._multus_msg`) runs once per
distinct message a vectorised trigger selects. That is the careful path: large files are read
by the compiled scanner of :mod:`._runtimefast` (also ``Del:`` and thick-daemon request lines
classified there), which hands back to it, row for row, every line it cannot finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

from multus_forensics.formats._assemble import apply_found, json_str, line_views, map_chunks
from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.formats.multus._multus_klog import KLOG_HEAD, first_stamp, klog_rows
from multus_forensics.formats.multus._multus_msg import (
    ADD_PREFIX,
    HEADER_PREFIX,
    LEVELS,
    MULTUS_HINT,
    TRIGGER,
    WHEREABOUTS_HINT,
    classify,
)
from multus_forensics.model import ParseIssue, conform, empty_frame, excerpt
from multus_forensics.registry import FORMAT_GLOBS

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.mapping import Buffer


def _records(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Group physical lines into records: (records, orphan lines, blank lines outside records).

    A blank line belongs to a record only when a continuation line follows it inside the same
    record; otherwise it is counted as blank (the accounting's third term).
    """
    import polars as pl

    head = pl.col("ts").is_not_null() | pl.col("klog")
    # only non-header lines are stripped (a copy of every line would cost more than the test)
    blank = (pl.when(~head).then(pl.col("raw")).str.strip_chars() == "").fill_null(False)
    df = df.with_columns(head.alias("head"), blank.alias("blank"), head.cum_sum().alias("rec"))
    next_head = pl.when(~pl.col("blank")).then(pl.col("head")).backward_fill().fill_null(True)
    member = pl.col("head") | ((pl.col("rec") > 0) & (~pl.col("blank") | ~next_head))
    df = df.with_columns(member.alias("member"))
    orphans = df.filter(~pl.col("member") & ~pl.col("blank"))
    blanks = df.filter(~pl.col("member") & pl.col("blank")).height
    members = df.filter(pl.col("member"))
    if members.height == members["head"].sum():
        return members.with_columns(pl.lit(1, pl.Int64).alias("nlines")), orphans, blanks
    text = pl.when(pl.col("head")).then(pl.col("msg")).otherwise(pl.col("raw"))
    records = (
        members.with_columns(text.alias("text"))
        .group_by("rec", maintain_order=True)
        .agg(
            pl.col("line").first(),
            pl.len().cast(pl.Int64).alias("nlines"),
            pl.col("raw").str.join("\n"),
            pl.col("ts").first(),
            pl.col("lvl").first(),
            pl.col("time").first(),
            pl.col("text").str.join("\n").alias("msg"),
            pl.col("klog").first(),
            pl.col("ref").first(),
        )
    )
    return records, orphans, blanks


def _classified(rows: pl.DataFrame) -> dict[int, dict[str, Any]]:
    """:func:`classify` of each ``(i, msg, level)`` row, once per distinct message and level.

    Retries repeat the same error text (same pod, same delegate), so a busy log has far fewer
    distinct triggered messages than triggered rows.
    """
    import polars as pl

    distinct = rows.group_by("msg", "level").agg(pl.col("i"))
    found: dict[int, dict[str, Any]] = {}
    for msg, level, index in distinct.iter_rows():
        result = classify(msg, level)
        for i in index:
            found[i] = result  # apply_found only reads the dicts
    return found


#: an address in a CNI result (the group is the address)
_ADDRESS: Final = r'"address"\s*:\s*"([^"]+)"'


def _add_columns(is_add: pl.Expr) -> list[pl.Expr]:
    """Event columns of ``Add:`` records, vectorised (they are most of a verbose log).

    Same result as :func:`._multus_msg.classify` on these lines, except that a result which is
    valid JSON is embedded in ``fields`` as written instead of re-serialised.
    """
    import polars as pl

    # the stages before this one materialised ``_res`` (stripped result) and ``_valid``
    # (result is JSON); escaping and address extraction only see the rows that need them
    result, valid = pl.col("_res"), pl.col("_valid")
    result_json = (
        pl.when(result == "")
        .then(pl.lit("null"))
        .when(valid)
        .then(result)
        .otherwise(json_str(pl.when(~valid).then(result)))
    )
    addresses = pl.col("a_result").str.count_matches(_ADDRESS)
    ips = (
        pl.when(addresses == 1)
        .then(pl.col("a_result").str.extract(_ADDRESS, 1))
        .when(addresses > 1)  # rare: the list machinery costs more than the regex
        .then(
            pl.when(addresses > 1)
            .then(pl.col("a_result"))
            .str.extract_all(_ADDRESS)
            .list.eval(pl.element().str.extract(r'"([^"]+)"$', 1))
            .list.join(",")
        )
    )
    conf = pl.col("a_conf")
    plain = ~conf.str.contains(r'[\\"\x00-\x1f\x7f]')
    fields = pl.concat_str(
        pl.lit('{"conf": '),
        pl.when(plain).then('"' + conf + '"').otherwise(json_str(pl.when(~plain).then(conf))),
        pl.lit(', "result": '),
        result_json,
        pl.lit("}"),
    )
    uid = pl.col("a_uid")
    return [
        pl.when(is_add).then(pl.lit("multus:add")).otherwise(pl.lit("log")).alias("kind"),
        pl.col("a_ns").alias("namespace"),
        pl.col("a_pod").alias("pod"),
        pl.when(uid != "unknownUID").then(uid).alias("pod_uid"),
        pl.when(pl.col("a_net") != "")
        .then(pl.col("a_net"))
        .otherwise(pl.col("a_conf"))
        .alias("network"),
        pl.col("a_if").alias("interface"),
        ips.alias("ips"),
        pl.when(is_add).then(fields).otherwise(pl.lit("{}")).alias("fields"),
    ]


def parse_multus_lines(
    src: TextSource, fmt_name: str, default_source: str, year: int | None = None
) -> tuple[pl.DataFrame, list[ParseIssue], int]:
    """Vectorised parse of header lines; shared with formats that embed whole Multus logs.

    ``year`` (given by the user) dates klog lines instead of the Multus records around them."""
    import polars as pl

    from multus_forensics.formats.runtime import _runtimefast

    if not src.line_count:
        return empty_frame(), [], 0
    if (scanner := _runtimefast.scanner(src)) is not None:
        return _runtimefast.parse_multus(scanner, src, fmt_name, default_source, year)
    df = _header_columns(src)
    if df is None:  # too large for string views: copied lines, regex header
        raw = pl.DataFrame({"raw": src.lines}, schema={"raw": pl.String})
        df = pl.concat([raw.with_row_index("line", offset=1), _regex_header(raw)], how="horizontal")
        df = df.with_columns(pl.col("line").cast(pl.Int64))
    return parse_line_frame(df, src, fmt_name, default_source, year=year)


#: the stamp of the Multus header before each of some klog lines (1-based line numbers)
StampsBefore: TypeAlias = "Callable[[np.ndarray], pl.Series]"


def parse_line_frame(
    df: pl.DataFrame,
    src: TextSource,
    fmt_name: str,
    default_source: str,
    before: StampsBefore | None = None,
    year: int | None = None,
) -> tuple[pl.DataFrame, list[ParseIssue], int]:
    """Events, issues and blanks of header-split lines (:func:`header_frame`), whole records.

    ``before`` dates klog lines when ``df`` holds only some of the file's lines (the fast
    path's leftovers); otherwise the Multus header before them in ``df`` does."""
    import polars as pl

    frames: list[pl.DataFrame] = []
    issues: list[ParseIssue] = []
    blanks = 0
    df = _with_klog(df, src, before)

    def rows(span: tuple[int, int]) -> tuple[pl.DataFrame, list[ParseIssue], int]:
        part = df.slice(span[0], span[1] - span[0])
        return _parse_rows(part, src, fmt_name, default_source, year)

    spans = _record_chunks((df["ts"].is_not_null() | df["klog"]).to_numpy())
    for frame, chunk_issues, chunk_blanks in map_chunks(rows, spans):
        frames.append(conform(frame))  # chunks differ in the columns the classifier wrote
        issues += chunk_issues
        blanks += chunk_blanks
    frame = pl.concat(frames) if len(frames) > 1 else frames[0] if frames else empty_frame()
    frame = frame.with_columns(
        pl.lit(fmt_name).alias("format"),
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, pl.String).alias("member"),
        pl.lit(src.node_hint, pl.String).alias("node"),
    )
    return frame, issues, blanks


def _with_klog(df: pl.DataFrame, src: TextSource, before: StampsBefore | None) -> pl.DataFrame:
    """``df`` with ``klog`` (a line without a Multus header that starts with a klog header)
    and ``ref`` (on klog lines: the stamp of the Multus header before them, else the file's
    first; null elsewhere). Only lines without a Multus header meet the klog pattern."""
    import polars as pl

    no_head = pl.col("ts").is_null()
    klog = pl.when(no_head).then(pl.col("raw")).str.contains(KLOG_HEAD).fill_null(False)
    df = df.with_columns(klog.alias("klog"))
    if not df["klog"].any():
        return df.with_columns(pl.lit(None, pl.String).alias("ref"))
    if before is not None:
        at = df["klog"].arg_true()
        stamps = before(df["line"].gather(at).to_numpy())
        return df.with_columns(pl.Series("ref", [None] * df.height, pl.String).scatter(at, stamps))
    fill = pl.col("ts").forward_fill().fill_null(pl.lit(first_stamp(src), pl.String))
    return df.with_columns(pl.when(pl.col("klog")).then(fill).alias("ref"))


#: rows per chunk: intermediate string columns stay bounded, whatever the file size
CHUNK_ROWS: Final = 65_536


def _record_chunks(head: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of about :data:`CHUNK_ROWS` lines that each start at a header line (or the
    file's first line), so no record, blank gap or orphan run is split between two chunks."""
    import numpy as np

    heads = np.flatnonzero(head)
    cuts = np.searchsorted(heads, np.arange(CHUNK_ROWS, len(head), CHUNK_ROWS))
    bounds = sorted({0, len(head), *heads[cuts[cuts < len(heads)]].tolist()})
    return list(pairwise(bounds))


def _parse_rows(
    df: pl.DataFrame, src: TextSource, fmt_name: str, default_source: str, year: int | None
) -> tuple[pl.DataFrame, list[ParseIssue], int]:
    """Events, issues and blank count of a run of header-split lines (whole records)."""
    import polars as pl

    records, orphans, blanks = _records(df)
    klogs = records.filter(pl.col("klog"))
    if klogs.height:
        records = records.filter(~pl.col("klog"))
    issues = [
        ParseIssue(src.file, src.member, ln, "line before the first Multus log header",
                   excerpt(raw), format=fmt_name)
        for ln, raw in orphans.select("line", "raw").iter_rows()
    ]  # fmt: skip
    msg = pl.col("msg")
    level = (
        pl.when((pl.col("lvl") == "error") & msg.str.starts_with("warning: "))
        .then(pl.lit("warning"))
        .otherwise(pl.col("lvl").replace_strict(LEVELS, default="info"))
    )
    # independent column work in one call, so polars runs it in parallel
    records = records.with_columns(
        level.alias("level"),
        # only rows that can be Add: lines meet the pattern (a regex skips nulls)
        pl.when(msg.str.starts_with("Add: "))
        .then(msg)
        .str.extract_groups(ADD_PREFIX)
        .alias("_add"),
    ).unnest("_add")
    bad_time = records.filter(pl.col("time").is_null())
    issues += [
        ParseIssue(src.file, src.member, ln, "invalid timestamp; event kept without time",
                   excerpt(raw), severity="warning", format=fmt_name)
        for ln, raw in bad_time.select("line", "raw").iter_rows()
    ]  # fmt: skip
    # "Add: " + the six parts + ":", ":", ":", "(", "):" is 11 characters longer than the parts
    parts = ("a_ns", "a_pod", "a_uid", "a_net", "a_conf", "a_if")
    prefix = pl.sum_horizontal(pl.col(c).str.len_chars() for c in parts) + 11
    is_add = pl.col("a_if").is_not_null()
    records = records.with_columns(pl.when(is_add).then(msg.str.slice(prefix)).alias("a_result"))
    res = pl.col("a_result").str.strip_chars()
    records = records.with_columns(res.alias("_res"))
    records = records.with_columns(
        pl.col("_res").str.json_path_match("$").is_not_null().alias("_valid")
    )
    trig = records.select(
        (msg.str.contains(TRIGGER) & ~is_add) | pl.col("level").is_in(["error", "warning", "fatal"])
    ).to_series()
    found = _classified(records.select("msg", "level").with_row_index("i").filter(trig))
    frame = records.select(
        "time",
        "level",
        "line",
        "nlines",
        "raw",
        msg.alias("message"),
        pl.lit(default_source).alias("source"),
        *_add_columns(is_add),
    )
    frame = apply_found(frame, found)
    if klogs.height:  # client-go's lines in a thick daemon's log (:mod:`._multus_klog`)
        klog_frame, klog_issues = klog_rows(klogs, src, fmt_name, default_source, year)
        issues = sorted(issues + klog_issues, key=lambda issue: issue.line or 0)
        frame = pl.concat([conform(frame), klog_frame]).sort("line")
    return frame, issues, blanks


def _header_columns(src: TextSource) -> pl.DataFrame | None:
    """``line``, ``raw``, ``ts``, ``lvl``, ``msg`` and ``time`` of every line, from the bytes.

    Lines become string views into the source's bytes (nothing is copied); :data:`HEADER_PREFIX`
    finds the headers, the message is a view past the header's bytes, and plain ASCII stamps
    are read from byte gathers (polars' date parser costs more than the rest of the header).
    Any other stamp goes to that parser, so every row is what :func:`_regex_header` gives.
    None when the file is too large for 32-bit view offsets.
    """
    import numpy as np

    views = line_views(src)
    if views is None:
        return None
    raw, data, starts, lens = views
    return header_frame(raw, data, starts, lens, np.arange(1, len(starts) + 1, dtype=np.int64))


def header_frame(
    raw: pl.Series, data: Buffer, starts: np.ndarray, lens: np.ndarray, lines: np.ndarray
) -> pl.DataFrame:
    """:func:`_header_columns` of the lines ``raw`` (views at ``starts``/``lens`` into
    ``data``), numbered ``lines``: all of a file's, or the ones a fast path left."""
    import numpy as np
    import polars as pl

    from multus_forensics.formats.fast._bytevec import string_views
    from multus_forensics.formats.fast._stampvec import rfc3339_micros

    arr = np.frombuffer(data, dtype=np.uint8)
    df = raw.to_frame().with_columns(
        pl.col("raw").str.extract_groups(HEADER_PREFIX).struct.unnest()
    )
    ts_len = df["ts"].str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    lvl_len = df["lvl"].str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    head = ts_len > 0
    head_len = np.where(head, ts_len + lvl_len + 4, 0)
    micros, valid = rfc3339_micros(arr, starts, ts_len)
    valid &= head
    time = pl.Series("time", micros).cast(pl.Datetime("us", "UTC"))
    df = df.with_columns(
        pl.Series("line", lines),
        string_views("msg", data, arr, starts + head_len, lens - head_len, valid=head),
        pl.when(pl.Series(valid)).then(time).alias("time"),
    ).select("line", "raw", "ts", "lvl", "msg", "time")
    odd = np.flatnonzero(head & ~valid)
    if len(odd):  # a stamp the byte reader did not take: polars' parser decides
        df = _patch(df, odd, df["ts"].gather(odd).to_frame().select(_to_time(pl.col("ts"))))
    return df


def _patch(df: pl.DataFrame, rows: np.ndarray, part: pl.DataFrame) -> pl.DataFrame:
    """``df`` with the rows at ``rows`` replaced by ``part``'s columns (same order)."""
    import polars as pl

    index = pl.Series(rows, dtype=pl.UInt32)
    return df.with_columns(df[c].scatter(index, part[c]) for c in part.columns)


def _to_time(ts: pl.Expr) -> pl.Expr:
    return ts.str.to_datetime("%Y-%m-%dT%H:%M:%S%#z", time_zone="UTC", strict=False).alias("time")


def _regex_header(df: pl.DataFrame) -> pl.DataFrame:
    """``ts``, ``lvl``, ``msg`` and ``time`` of ``df["raw"]`` by :data:`HEADER_PREFIX`."""
    import polars as pl

    df = df.with_columns(pl.col("raw").str.extract_groups(HEADER_PREFIX).struct.unnest())
    # "<ts> [<lvl>] " is 4 characters longer than its two parts
    start = pl.col("ts").str.len_chars() + pl.col("lvl").str.len_chars() + 4
    return df.select(
        "ts", "lvl", pl.col("raw").str.slice(start).alias("msg"), _to_time(pl.col("ts"))
    )


#: the least share of Multus headers in a file's head for its klog lines to count as Multus'
KLOG_SHARE: Final = 0.05


class MultusLogFormat(LogFormat):
    name: ClassVar[str] = "multus-log"
    aliases: ClassVar[tuple[str, ...]] = ("multus", "multus_logfile", "whereabouts_logfile")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["multus-log"]
    description: ClassVar[str] = "Multus / whereabouts log file (RFC3339 [level] message)"

    def sniff(self, head: Sequence[str]) -> float:
        import re

        rx = re.compile(HEADER_PREFIX)
        if not head:
            return 0.0
        hits = sum(1 for line in head if rx.match(line))
        if hits == 0:
            return 0.0
        # continuation lines (stack traces, multi-line %v) are part of the format, so a few
        # header lines suffice; runtimes that embed plugin stderr (k3s) outscore this. A thick
        # daemon's client-go klog lines are its own too once its records are more than strays
        # (a reflector retrying each second can fill the head; the klog format would score them)
        if hits >= KLOG_SHARE * len(head):
            klog = re.compile(KLOG_HEAD)
            hits += sum(1 for line in head if klog.match(line))
        return 0.4 + 0.6 * hits / len(head)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        import polars as pl

        # every Multus stamp carries its zone and year; a year given by the user dates klog lines
        anchor = ctx.year_anchor
        year = anchor.year if anchor.source == "argument" else None
        path = (src.member or src.file).rsplit("/", 1)[-1]
        source = "whereabouts" if "whereabouts" in path else "multus"
        events, issues, blanks = parse_multus_lines(src, self.name, source, year)
        if source == "multus" and _written_by_whereabouts(events):
            events = events.with_columns(
                pl.when(pl.col("source") == "multus")
                .then(pl.lit("whereabouts"))
                .otherwise(pl.col("source"))
                .alias("source")
            )
        return ParseOutput(events, issues, blanks)


def _written_by_whereabouts(events: pl.DataFrame) -> bool:
    """Whereabouts shares Multus' header: tell them apart by what the messages talk about."""
    import polars as pl

    if (events["kind"] == "multus:add").any():  # its message starts "Add: ", a Multus hint
        return False
    hints = events.select(
        pl.col("message").str.contains(WHEREABOUTS_HINT).any().alias("wa"),
        pl.col("message").str.contains(MULTUS_HINT).any().alias("multus"),
    ).row(0)
    return bool(hints[0]) and not hints[1]
