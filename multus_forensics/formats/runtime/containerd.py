"""containerd's log (logrus text or JSON), also k3s / rke2 ``agent/containerd/containerd.log``.

containerd logs through logrus (FORMATS.md §4.1): RFC 3339 with 9 fractional digits, level,
quoted message, then extra fields sorted by key. ``format = "json"`` in containerd's config gives
one JSON object per line instead. Found in ``journalctl -u containerd`` (the journald formats
unwrap it with the ``logrus`` payload parser), in k3s/rke2 as a plain file, and in must-gathers::

    time="2026-03-11T13:02:05.118204331Z" level=info msg="RunPodSandbox for &PodSandboxMetadata{Name:probe-…,Uid:7ad2…,Namespace:lab,Attempt:0,}"
    time="2026-03-11T13:02:06.702931447Z" level=error msg="RunPodSandbox for &PodSandboxMetadata{…} failed, error" error="failed to setup network for sandbox \\"2ac6…\\": …"
    {"error":"…","level":"error","msg":"StopPodSandbox for \\"e556…\\" failed","time":"2026-03-11T14:09:31.550019204+01:00"}

k3s writes CNI plugins' stderr into the same file (the runtime passes its stderr to libcni), so
Multus ``[level]`` lines and plugin lines appear between logrus records: they are parsed with the
registry's payload parsers, and a line no parser understands is reported, never dropped.
Large files are read by the compiled scanner of :mod:`._runtimefast`; this module's polars path
is the careful path it hands the lines it cannot finish to (JSON records, plugin lines).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from multus_forensics.formats._assemble import LineViews, apply_found, line_views, map_chunks
from multus_forensics.formats.base import (
    LogFormat,
    ParseContext,
    ParseOutput,
    PayloadParser,
    TextSource,
)
from multus_forensics.formats.runtime._logrus import (
    LEVELS,
    RUNTIME_TRIGGER,
    SANDBOX_SHAPES,
    classify_runtime,
    parse_kv,
    parse_time,
)
from multus_forensics.formats.runtime._logrus_vec import (
    BARE_KVS,
    bare_kvs_json,
    logrus_split,
    sandbox_columns,
    take_error,
    unquote,
)
from multus_forensics.lazyre import lazy
from multus_forensics.model import COLUMNS, ParseIssue, conform, empty_frame, excerpt
from multus_forensics.registry import FORMAT_GLOBS

if TYPE_CHECKING:
    import polars as pl

#: containerd ``format = "json"``: logrus JSONFormatter sorts keys (error, level, msg, time)
_JSON_HEAD: Final = lazy(r'^\{(?:"error":.*,)?"level":"[a-z]+","msg":.*"time":"\d{4}-')
#: CNI plugin stderr that k3s writes into the same file: Multus header, calico header
_PLUGIN_HEAD: Final = lazy(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d) \[(?:panic|error|verbose|debug)\] "
    r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[[A-Z]+\]\[\d+\] "
)


def _json_record(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or "msg" not in obj or "level" not in obj:
        return None
    rest = {k: v for k, v in obj.items() if k not in ("msg", "level", "time", "error")}
    msg, error = str(obj["msg"]), obj.get("error")
    out: dict[str, Any] = {
        "message": msg,
        "level": LEVELS.get(str(obj["level"]), "info"),
        "error": str(error) if error not in (None, "") else None,
        "kind": "log",
        "ts": str(obj.get("time", "")),
    }
    found = classify_runtime(msg, out["error"])
    rest.update(found.pop("fields", {}))
    out.update(found)
    out["fields"] = rest
    return out


def _plugin_parsers() -> list[tuple[str, PayloadParser]]:
    """Payload parsers for plugin stderr between logrus records: Multus first, never logrus."""
    from multus_forensics.registry import payload_parsers

    parsers = [p for p in payload_parsers() if p[0] != "logrus"]
    parsers.sort(key=lambda p: p[0] != "multus")
    return parsers


def _other_line(
    line: str, parsers: list[tuple[str, PayloadParser]], ctx: ParseContext
) -> dict[str, Any] | None:
    """A non-logrus line (plugin stderr in k3s logs): the first payload parser that fits.

    klog lines here come from CNI plugins, not the kubelet; their year-less ``local_time``
    is completed with the context's year anchor and zone.
    """
    for name, parser in parsers:
        if (found := parser(line)) is not None:
            if name == "klog":
                found["source"] = "cni-plugin"
            found.setdefault("source", "cni-plugin")
            if (local := found.pop("local_time", None)) is not None:
                found["time"], found["year_source"] = _klog_time(local, ctx)
            return found
    return None


def _klog_time(local: tuple[int, ...], ctx: ParseContext) -> tuple[datetime | None, str | None]:
    """UTC time of a year-less klog stamp ``(month, day, h, m, s, us)`` and the year's origin."""
    anchor = ctx.year_anchor
    year = anchor.first_year(0, local[0], local[0])
    try:
        month, day, hour, minute, second, micro = local
        when = datetime(year, month, day, hour, minute, second, micro, tzinfo=ctx.tz or UTC)
    except ValueError:
        return None, None
    return when.astimezone(UTC), anchor.source


def _zoneless_times(
    frame: pl.DataFrame, stamps: pl.Series, ctx: ParseContext, src: TextSource, fmt_name: str
) -> tuple[pl.DataFrame, list[ParseIssue]]:
    """Read zone-less (or odd) stamps in ``ctx.tz``; a stamp nobody can read is a warning."""
    import polars as pl

    issues: list[ParseIssue] = []
    missing = frame["time"].is_null().arg_true().to_list()
    if not missing:
        return frame, issues
    times = frame["time"].to_list()
    for i in missing:
        times[i] = parse_time(stamps[i], ctx.tz)
        if times[i] is None:
            issues.append(ParseIssue(src.file, src.member, frame["line"][i],
                "invalid timestamp; event kept without time", excerpt(frame["raw"][i]),
                severity="warning", format=fmt_name))  # fmt: skip
    return frame.with_columns(pl.Series("time", times, dtype=pl.Datetime("us", "UTC"))), issues


def _other_records(
    other: pl.DataFrame, ctx: ParseContext, src: TextSource, fmt_name: str, source: str
) -> tuple[list[dict[str, Any]], list[ParseIssue]]:
    """Non-logrus-text lines: JSON records, plugin stderr via payload parsers, else issues."""
    records: list[dict[str, Any]] = []
    issues: list[ParseIssue] = []
    parsers = _plugin_parsers() if other.height else []
    for line, raw in other.select("line", "raw").iter_rows():
        rec = _json_record(raw) if raw.lstrip().startswith("{") else None
        if rec is not None:
            rec["time"] = parse_time(rec.pop("ts"), ctx.tz)
            rec.setdefault("source", source)
        else:
            rec = _other_line(raw, parsers, ctx)
        if rec is None:
            issues.append(ParseIssue(src.file, src.member, line,
                f"not a {fmt_name} logrus record and no payload parser recognised it",
                excerpt(raw), format=fmt_name))  # fmt: skip
            continue
        rec.update(line=line, raw=raw, format=fmt_name)
        rec["fields"] = json.dumps(rec.get("fields") or {}, sort_keys=True, default=str)
        records.append(rec)
    return records, issues


def _classified(rows: pl.DataFrame) -> dict[int, dict[str, Any]]:
    """:func:`classify_runtime` of each ``(i, message, error)`` row, once per distinct pair.

    Retries of one pod repeat the same message and error text; equal rows share one result
    dict (``apply_found`` only reads them).
    """
    import polars as pl

    found: dict[int, dict[str, Any]] = {}
    for msg, error, index in rows.group_by("message", "error").agg(pl.col("i")).iter_rows():
        result = classify_runtime(msg, error)
        for i in index:
            found[i] = result
    return found


def _careful_stamps(ts: pl.Expr) -> pl.Expr:
    """UTC time of logrus stamps by polars' parser; zone-less ones (CRI-O) stay null."""
    import polars as pl

    return (
        pl.when(ts.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$"))
        .then(ts.str.replace(" ", "T").str.to_datetime(time_zone="UTC", strict=False))
        .cast(pl.Datetime("us", "UTC"))
        .alias("ts_utc")
    )


def _stamps(df: pl.DataFrame, views: LineViews | None) -> pl.DataFrame:
    """``df`` with ``ts_utc``: plain RFC 3339 stamps from byte gathers, the rest by polars.

    Zone-less stamps stay null here and are read in ``ctx.tz`` later.
    """
    import numpy as np
    import polars as pl

    from multus_forensics.formats.fast._stampvec import rfc3339_micros

    if views is None:
        return df.with_columns(_careful_stamps(pl.col("ts")))
    _, data, starts, _ = views
    at = starts[df["line"].to_numpy() - 1] + len('time="')
    ts_len = df["ts"].str.len_bytes().to_numpy().astype(np.int64)
    micros, valid = rfc3339_micros(np.frombuffer(data, dtype=np.uint8), at, ts_len)
    time = pl.Series(micros).cast(pl.Datetime("us", "UTC"))
    df = df.with_columns(pl.when(pl.Series(valid)).then(time).alias("ts_utc"))
    odd = np.flatnonzero(~valid)
    if not len(odd):
        return df
    # polars infers the format from the column's first stamp: parse the whole column as
    # before, so the rows taken from it are what the careful path gives
    careful = df.select(_careful_stamps(pl.col("ts")))["ts_utc"]
    index = pl.Series(odd, dtype=pl.UInt32)
    return df.with_columns(df["ts_utc"].scatter(index, careful.gather(index)))


def parse_logrus_source(
    src: TextSource, ctx: ParseContext, fmt_name: str, source: str
) -> ParseOutput:
    """Vectorised parse of a logrus text (or JSON) log; shared by containerd and CRI-O."""
    import polars as pl

    from multus_forensics.formats.runtime import _runtimefast

    if not src.line_count:
        return ParseOutput(empty_frame())
    if (scanner := _runtimefast.scanner(src)) is not None:
        return _runtimefast.parse_logrus(scanner, src, ctx, fmt_name, source)
    views = line_views(src)  # no copy of the text; src.lines for very large inputs
    raw = views[0] if views is not None else pl.Series("raw", src.lines, dtype=pl.String)
    frames: list[pl.DataFrame] = []
    issues: list[ParseIssue] = []
    blanks = 0
    # lines are independent records: chunks bound the intermediate string columns

    def chunk(lo: int) -> ParseOutput:
        part = raw.slice(lo, CHUNK_ROWS).to_frame().with_row_index("line", lo + 1)
        return _parse_chunk(part, views, ctx, src, fmt_name, source)

    for out in map_chunks(chunk, range(0, len(raw), CHUNK_ROWS)):
        frames.append(out.events)
        issues += out.issues
        blanks += out.blank_lines
    events = pl.concat(frames) if len(frames) > 1 else frames[0]
    events = events.with_columns(
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, pl.String).alias("member"),
        pl.lit(src.node_hint, pl.String).alias("node"),
    )
    return ParseOutput(events, issues, blanks)


#: lines per chunk
CHUNK_ROWS: Final = 65_536


def _parse_chunk(
    df: pl.DataFrame,
    views: LineViews | None,
    ctx: ParseContext,
    src: TextSource,
    fmt_name: str,
    source: str,
) -> ParseOutput:
    """Events (schema-conformed, without file columns), issues and blanks of a run of lines."""
    import polars as pl

    df = logrus_split(df.with_columns(pl.col("line").cast(pl.Int64)), views)
    # only lines without a logrus header are stripped (copying every line costs more)
    blank = (pl.when(pl.col("ts").is_null()).then(pl.col("raw")).str.strip_chars() == "").fill_null(
        False
    )
    blanks = df.filter(pl.col("ts").is_null() & blank).height
    other = df.filter(pl.col("ts").is_null() & ~blank)
    df = df.filter(pl.col("ts").is_not_null())
    df = take_error(df)
    df = _stamps(df, views)
    df = unquote(unquote(df, "msg", "message"), "err_raw", "error")
    df = df.with_columns(pl.col("error").replace("", None))  # an empty error= names no error
    vec = (
        pl.col("message").str.contains(SANDBOX_SHAPES)
        & pl.col("err_raw").is_null()
        & (pl.col("rest") == "")
    )
    df = sandbox_columns(df.with_columns(vec.fill_null(False).alias("vec")))
    trig = df.select(
        (pl.col("msg").str.contains(RUNTIME_TRIGGER) | pl.col("err_raw").is_not_null())
        & ~pl.col("vec")
    ).to_series()
    found = _classified(df.select("message", "error").with_row_index("i").filter(trig))
    # bare key=value pairs (logrus quotes nothing else) become JSON vectorised, unless the
    # classifier also writes fields for the row; everything else goes through parse_kv
    rest = pl.col("rest")
    simple = (rest != "") & ~pl.Series(trig)
    df = df.with_columns(
        pl.when(simple).then(rest).str.contains(BARE_KVS).fill_null(False).alias("_simple")
    )
    df = df.with_columns(
        pl.when(pl.col("_simple"))
        .then(
            pl.concat_str(
                pl.lit("{"), bare_kvs_json(pl.when(pl.col("_simple")).then(rest)), pl.lit("}")
            )
        )
        .otherwise(pl.col("fields"))
        .alias("fields"),
    )
    with_rest = ((df["rest"] != "") & ~df["_simple"]).arg_true()
    rests = df["rest"].gather(with_rest).to_list()
    extra = {i: parse_kv(r) for i, r in zip(with_rest.to_list(), rests, strict=True)}
    levels = df["level"].replace_strict(LEVELS, default="info")
    frame = df.select(
        pl.col("ts_utc").alias("time"),
        levels.alias("level"),
        "line",
        "raw",
        "message",
        "error",
        pl.lit(source).alias("source"),
        pl.lit(fmt_name).alias("format"),
        "kind",
        "namespace",
        "pod",
        "pod_uid",
        "sandbox_id",
        "fields",
    )
    frame = apply_found(frame, found, extra)
    frame, issues = _zoneless_times(frame, df["ts"], ctx, src, fmt_name)
    records, other_issues = _other_records(other, ctx, src, fmt_name, source)
    issues += other_issues
    parts = [conform(frame)]
    if records:
        clean = [{k: v for k, v in r.items() if k in COLUMNS} for r in records]
        parts.append(conform(pl.DataFrame(clean, infer_schema_length=None)))
    events = pl.concat(parts).sort("line") if len(parts) > 1 else parts[0]
    return ParseOutput(events, issues, blanks)


class ContainerdFormat(LogFormat):
    name: ClassVar[str] = "containerd"
    aliases: ClassVar[tuple[str, ...]] = ("containerd-log", "k3s-containerd")
    filename_globs: ClassVar[tuple[str, ...]] = FORMAT_GLOBS["containerd"]
    description: ClassVar[str] = "containerd log (logrus text or JSON), k3s/rke2 containerd.log"

    def sniff(self, head: Sequence[str]) -> float:
        from multus_forensics.formats.runtime.crio import crio_markers, logrus_share

        own = logrus_share(head) + sum(1 for line in head if _JSON_HEAD.match(line)) / max(
            len(head), 1
        )
        if own == 0.0:
            return 0.0
        # plugin stderr between records (k3s) is part of this format too
        plugin = sum(1 for line in head if _PLUGIN_HEAD.match(line)) / len(head)
        # any line only CRI-O writes hands the file to the crio format (which then scores >= 0.6)
        weight = 0.5 if crio_markers(head) > 0.0 else 0.9
        return weight * min(1.0, own + plugin)

    def parse(self, src: TextSource, ctx: ParseContext) -> ParseOutput:
        return parse_logrus_source(src, ctx, self.name, "containerd")
