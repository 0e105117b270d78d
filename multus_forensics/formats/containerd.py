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
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from multus_forensics.formats._assemble import apply_found
from multus_forensics.formats._logrus import (
    LEVELS,
    META,
    RUNTIME_TRIGGER,
    SANDBOX_REF,
    SANDBOX_SHAPES,
    STOP,
    classify_runtime,
    go_unquote,
    parse_kv,
    parse_time,
)
from multus_forensics.formats.base import LogFormat, ParseContext, ParseOutput, TextSource
from multus_forensics.model import COLUMNS, ParseIssue, conform, empty_frame, excerpt

if TYPE_CHECKING:
    import polars as pl

#: containerd ``format = "json"``: logrus JSONFormatter sorts keys (error, level, msg, time)
_JSON_HEAD: Final = re.compile(r'^\{(?:"error":.*,)?"level":"[a-z]+","msg":.*"time":"\d{4}-')
#: CNI plugin stderr that k3s writes into the same file: Multus header, calico header
_PLUGIN_HEAD: Final = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d) \[(?:panic|error|verbose|debug)\] "
    r"|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[[A-Z]+\]\[\d+\] "
)


def _unquote_expr(col: str) -> pl.Expr:
    """Vectorised Go unquote for the common case (only ``\\"`` escapes); null where harder."""
    import polars as pl

    c = pl.col(col)
    quoted = c.str.starts_with('"') & c.str.ends_with('"') & (c.str.len_chars() >= 2)
    inner = c.str.slice(1, c.str.len_chars() - 2)
    return (
        pl.when(~quoted)
        .then(c)  # bare values are taken as written, as go_unquote does
        .when(inner.str.contains(r'\\[^"]'))
        .then(None)
        .otherwise(inner.str.replace_all('\\"', '"', literal=True))
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


def _other_line(line: str, skip: str) -> dict[str, Any] | None:
    """A non-logrus line (plugin stderr in k3s logs): the first payload parser that fits."""
    from multus_forensics.registry import payload_parsers

    parsers = payload_parsers()
    parsers.sort(key=lambda p: p[0] != "multus")
    for name, parser in parsers:
        if name != skip and (found := parser(line)) is not None:
            found.setdefault("source", "cni-plugin")
            return found
    return None


#: extra fields that are all bare ``key=value`` (values need no JSON escaping)
_BARE_KVS: Final = r"^[\w.\-/]+=[\w.\-/@^+]*(?: [\w.\-/]+=[\w.\-/@^+]*)*$"


def _bare_kvs_json(rest: pl.Expr) -> pl.Expr:
    """``a=b c=d`` -> ``"a": "b", "c": "d"`` (only for :data:`_BARE_KVS` text)."""
    return rest.str.replace_all(r"([\w.\-/]+)=([\w.\-/@^+]*)", '"$1": "$2"').str.replace_all(
        '" "', '", "', literal=True
    )


def _value_end(text: pl.Expr) -> pl.Expr:
    """Length of the logrus value at the start of ``text``: a Go-quoted string or a bare word.

    Escaped quotes and backslashes are masked with same-length placeholders, so the second
    remaining quote closes a quoted value; an unclosed quote is read as a bare word, as
    :data:`LOGRUS_LINE` does.
    """
    import polars as pl

    masked = text.str.replace_all("\\\\", "\x01\x01", literal=True).str.replace_all(
        '\\"', "\x01\x01", literal=True
    )
    closed = masked.str.starts_with('"') & (masked.str.count_matches('"', literal=True) >= 2)
    quoted_len = masked.str.splitn('"', 3).struct.field("field_1").str.len_chars() + 2
    return pl.when(closed).then(quoted_len).otherwise(text.str.extract(r"^\S*", 0).str.len_chars())


def _take_error(df: pl.DataFrame) -> pl.DataFrame:
    """Move the first `` error=<value>`` of ``rest`` into ``err_raw`` (still quoted)."""
    import polars as pl

    parts = pl.col("rest").str.splitn(" error=", 2)
    df = df.with_columns(
        parts.struct.field("field_0").alias("_before"),
        parts.struct.field("field_1").alias("_after"),
    )
    df = df.with_columns(_value_end(pl.col("_after")).alias("_end"))
    return df.with_columns(
        pl.col("_after").str.slice(0, pl.col("_end")).replace("", None).alias("err_raw"),
        pl.concat_str(pl.col("_before"), pl.col("_after").str.slice(pl.col("_end")).fill_null(""))
        .str.strip_chars()
        .alias("rest"),
    ).drop("_before", "_after", "_end")


def _unquote_rest(df: pl.DataFrame, raw: str, out: str) -> pl.DataFrame:
    """Fill ``out`` where the vectorised unquote gave up (escapes other than ``\\"``) in Python."""
    import polars as pl

    rows = (df[out].is_null() & df[raw].is_not_null()).arg_true()
    if rows.len() == 0:
        return df
    values = pl.Series([go_unquote(v) for v in df[raw].gather(rows).to_list()], dtype=pl.String)
    return df.with_columns(df[out].scatter(rows, values))


def logrus_split(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``ts``, ``level``, ``msg`` (still quoted) and ``rest`` of logrus lines (null if not).

    Same split as :data:`LOGRUS_LINE`, without its alternation (3x slower on long lines): the
    header is matched, the message length comes from :func:`_value_end`. Lengths are counted
    in characters, never bytes. Each stage is materialised once (struct fields reused in
    expressions are otherwise recomputed).
    """
    import polars as pl

    df = df.with_columns(
        pl.col("raw")
        .str.extract_groups(r'^time="(?P<ts>[^"]*)" level=(?P<level>[a-z]+) msg=')
        .struct.unnest()
    )
    start = pl.col("ts").str.len_chars() + pl.col("level").str.len_chars() + 19
    df = df.with_columns(pl.col("raw").str.slice(start).alias("rest"))
    df = df.with_columns(_value_end(pl.col("rest")).alias("_end"))
    return df.with_columns(
        pl.col("rest").str.slice(0, pl.col("_end")).alias("msg"),
        pl.col("rest").str.slice(pl.col("_end")).alias("rest"),
    ).drop("_end")


def sandbox_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Kind, identities and fields of containerd's sandbox records, vectorised.

    Sets them on rows where ``vec`` holds (a :data:`SANDBOX_SHAPES` message with no ``error=``
    and no extra fields) and gives the same values as :func:`classify_runtime` there; other
    rows get ``log`` / null / ``{}``.
    """
    import polars as pl

    df = df.with_columns(
        (pl.col("vec") & pl.col("message").str.starts_with("RunPodSandbox")).alias("_is_run"),
        (pl.col("vec") & pl.col("message").str.starts_with("StopPodSandbox")).alias("_is_stop"),
    )
    # each pattern only sees its own rows (regexes skip nulls): this is the hot path
    run_msg = pl.when(pl.col("_is_run")).then(pl.col("message"))
    stop_msg = pl.when(pl.col("_is_stop")).then(pl.col("message"))
    other_msg = pl.when(pl.col("vec") & ~pl.col("_is_run") & ~pl.col("_is_stop"))
    df = df.with_columns(
        run_msg.str.extract_groups(META).alias("_meta"),
        # RUN's two suffixes by literal search (same matches as the RUN pattern, faster)
        pl.struct(
            pl.when(run_msg.str.contains("} failed, error", literal=True))
            .then(pl.lit(" failed, error"))
            .alias("failed"),
            run_msg.str.extract(r'\} returns sandbox id "([0-9a-f]{64})"', 1).alias("id"),
        ).alias("_run"),
        stop_msg.str.extract_groups(STOP).alias("_stop"),
        other_msg.then(pl.col("message")).str.extract(SANDBOX_REF, 1).alias("_ref"),
    )
    vec, is_run, is_stop = pl.col("vec"), pl.col("_is_run"), pl.col("_is_stop")
    run, stop, meta = pl.col("_run").struct, pl.col("_stop").struct, pl.col("_meta").struct
    kind = (
        pl.when(is_run & run.field("failed").is_not_null())
        .then(pl.lit("runtime:sandbox:failed"))
        .when(is_run & run.field("id").is_not_null())
        .then(pl.lit("runtime:sandbox:ready"))
        .when(is_run)
        .then(pl.lit("runtime:sandbox:start"))
        .when(is_stop & (stop.field("suffix") == " failed"))
        .then(pl.lit("runtime:sandbox:stop-failed"))
        .when(is_stop)
        .then(pl.lit("runtime:sandbox:stop"))
        .when(vec & pl.col("message").str.starts_with("TearDown"))
        .then(pl.lit("runtime:network:teardown"))
        .when(vec)
        .then(pl.lit("runtime:network:destroy-failed"))
        .otherwise(pl.lit("log"))
    )
    attempt = meta.field("attempt")
    fields = (
        pl.when(is_run & attempt.is_not_null())
        .then(
            pl.concat_str(
                pl.lit('{"attempt": '), attempt.cast(pl.Int64).cast(pl.String), pl.lit("}")
            )
        )
        .when(is_stop & stop.field("suffix").is_null())
        .then(pl.lit('{"phase": "request"}'))
        .when(is_stop)
        .then(pl.lit('{"phase": "returned"}'))
        .otherwise(pl.lit("{}"))
    )
    return df.with_columns(
        kind.alias("kind"),
        pl.when(is_run).then(meta.field("ns")).alias("namespace"),
        pl.when(is_run).then(meta.field("pod")).alias("pod"),
        pl.when(is_run).then(meta.field("uid")).alias("pod_uid"),
        pl.coalesce(run.field("id"), stop.field("id"), pl.col("_ref")).alias("sandbox_id"),
        fields.alias("fields"),
    ).drop("_meta", "_run", "_stop", "_ref", "_is_run", "_is_stop")


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
    for line, raw in other.select("line", "raw").iter_rows():
        rec = _json_record(raw) if raw.lstrip().startswith("{") else None
        if rec is not None:
            rec["time"] = parse_time(rec.pop("ts"), ctx.tz)
            rec.setdefault("source", source)
        else:
            rec = _other_line(raw, skip="logrus")
        if rec is None:
            issues.append(ParseIssue(src.file, src.member, line,
                f"not a {fmt_name} logrus record and no payload parser recognised it",
                excerpt(raw), format=fmt_name))  # fmt: skip
            continue
        rec.update(line=line, raw=raw, format=fmt_name)
        rec["fields"] = json.dumps(rec.get("fields") or {}, sort_keys=True, default=str)
        records.append(rec)
    return records, issues


def parse_logrus_source(
    src: TextSource, ctx: ParseContext, fmt_name: str, source: str
) -> ParseOutput:
    """Vectorised parse of a logrus text (or JSON) log; shared by containerd and CRI-O."""
    import polars as pl

    if not src.lines:
        return ParseOutput(empty_frame())
    df = pl.DataFrame({"raw": src.lines}, schema={"raw": pl.String}).with_row_index("line", 1)
    df = logrus_split(df.with_columns(pl.col("line").cast(pl.Int64)))
    blank = pl.col("raw").str.strip_chars() == ""
    blanks = df.filter(pl.col("ts").is_null() & blank).height
    other = df.filter(pl.col("ts").is_null() & ~blank)
    df = df.filter(pl.col("ts").is_not_null())
    df = _take_error(df)
    df = df.with_columns(
        # zone-less stamps (CRI-O can omit the zone) stay null here and are read in ctx.tz below
        pl.when(pl.col("ts").str.contains(r"(?:Z|[+-]\d\d:?\d\d)$"))
        .then(pl.col("ts").str.replace(" ", "T").str.to_datetime(time_zone="UTC", strict=False))
        .alias("ts_utc"),
    ).with_columns(
        _unquote_expr("msg").alias("message"),
        _unquote_expr("err_raw").alias("error"),
    )
    df = _unquote_rest(df, "msg", "message")
    df = _unquote_rest(df, "err_raw", "error")
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
    rows = trig.arg_true()
    pairs = zip(
        df["message"].gather(rows).to_list(), df["error"].gather(rows).to_list(), strict=True
    )
    found = {i: classify_runtime(m, e) for i, (m, e) in zip(rows.to_list(), pairs, strict=True)}
    # bare key=value pairs (logrus quotes nothing else) become JSON vectorised, unless the
    # classifier also writes fields for the row; everything else goes through parse_kv
    simple = pl.col("rest").str.contains(_BARE_KVS) & ~pl.Series(trig)
    df = df.with_columns(
        pl.when(simple)
        .then(pl.concat_str(pl.lit("{"), _bare_kvs_json(pl.col("rest")), pl.lit("}")))
        .otherwise(pl.col("fields"))
        .alias("fields"),
        simple.alias("_simple"),
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
    events = events.with_columns(
        pl.lit(src.file).alias("file"),
        pl.lit(src.member, pl.String).alias("member"),
        pl.lit(src.node_hint, pl.String).alias("node"),
    )
    return ParseOutput(events, issues, blanks)


class ContainerdFormat(LogFormat):
    name: ClassVar[str] = "containerd"
    aliases: ClassVar[tuple[str, ...]] = ("containerd-log", "k3s-containerd")
    filename_globs: ClassVar[tuple[str, ...]] = ("containerd.log", "containerd*.log")
    description: ClassVar[str] = "containerd log (logrus text or JSON), k3s/rke2 containerd.log"

    def sniff(self, head: Sequence[str]) -> float:
        from multus_forensics.formats.crio import crio_markers, logrus_share

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
