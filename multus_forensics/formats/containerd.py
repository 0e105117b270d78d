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
    RUN,
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

_ERROR_KV = r' error=("(?:[^"\\]|\\.)*"|\S*)'
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
    inner = pl.when(c.str.starts_with('"')).then(c.str.slice(1, c.str.len_chars() - 2)).otherwise(c)
    return (
        pl.when(inner.str.contains(r'\\[^"]'))
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
        "error": str(error) if error is not None else None,
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


def _logrus_split(raw: pl.Expr) -> list[pl.Expr]:
    """``ts``, ``level``, ``msg`` (still quoted) and ``rest`` of logrus text lines, else null.

    Same split as :data:`LOGRUS_LINE`, without its alternation (3x slower on long lines):
    escaped quotes and backslashes in the tail are masked with same-length placeholders, so
    the first remaining quote closes the message. A message whose quote never closes is read
    as a bare value, as the regex does. Lengths are counted in characters, never bytes.
    """
    import polars as pl

    head = raw.str.extract_groups(r'^time="(?P<ts>[^"]*)" level=(?P<level>[a-z]+) msg=')
    ts, level = head.struct.field("ts"), head.struct.field("level")
    tail = raw.str.slice(ts.str.len_chars() + level.str.len_chars() + 19)
    masked = tail.str.replace_all("\\\\", "\x01\x01", literal=True).str.replace_all(
        '\\"', "\x01\x01", literal=True
    )
    quoted = masked.str.extract(r'^"[^"]*"', 0).str.len_chars()
    end = pl.coalesce(quoted, tail.str.extract(r"^\S*", 0).str.len_chars())
    return [
        ts.alias("ts"),
        level.alias("level"),
        tail.str.slice(0, end).alias("msg"),
        tail.str.slice(end).alias("rest"),
    ]


def sandbox_columns(vec: pl.Expr) -> list[pl.Expr]:
    """Kind, identities and fields of containerd's sandbox records, vectorised.

    Applies to rows where ``vec`` holds (a :data:`SANDBOX_SHAPES` message with no ``error=``
    and no extra fields); gives the same values as :func:`classify_runtime` on them.
    """
    import polars as pl

    msg = pl.col("message")
    meta = msg.str.extract_groups(META)
    run = msg.str.extract_groups(RUN)
    stop = msg.str.extract_groups(STOP)
    ref = msg.str.extract(SANDBOX_REF, 1)
    is_run = vec & msg.str.starts_with("RunPodSandbox")
    is_stop = vec & msg.str.starts_with("StopPodSandbox")
    kind = (
        pl.when(is_run & run.struct.field("failed").is_not_null())
        .then(pl.lit("runtime:sandbox:failed"))
        .when(is_run & run.struct.field("id").is_not_null())
        .then(pl.lit("runtime:sandbox:ready"))
        .when(is_run)
        .then(pl.lit("runtime:sandbox:start"))
        .when(is_stop & (stop.struct.field("suffix") == " failed"))
        .then(pl.lit("runtime:sandbox:stop-failed"))
        .when(is_stop)
        .then(pl.lit("runtime:sandbox:stop"))
        .when(vec & msg.str.starts_with("TearDown"))
        .then(pl.lit("runtime:network:teardown"))
        .when(vec)
        .then(pl.lit("runtime:network:destroy-failed"))
        .otherwise(pl.lit("log"))
    )
    attempt = meta.struct.field("attempt")
    fields = (
        pl.when(is_run & attempt.is_not_null())
        .then(
            pl.concat_str(
                pl.lit('{"attempt": '), attempt.cast(pl.Int64).cast(pl.String), pl.lit("}")
            )
        )
        .when(is_stop & stop.struct.field("suffix").is_null())
        .then(pl.lit('{"phase": "request"}'))
        .when(is_stop)
        .then(pl.lit('{"phase": "returned"}'))
        .otherwise(pl.lit("{}"))
    )
    sandbox = pl.coalesce(run.struct.field("id"), stop.struct.field("id"), ref)
    return [
        kind.alias("kind"),
        pl.when(is_run).then(meta.struct.field("ns")).alias("namespace"),
        pl.when(is_run).then(meta.struct.field("pod")).alias("pod"),
        pl.when(is_run).then(meta.struct.field("uid")).alias("pod_uid"),
        pl.when(vec).then(sandbox).alias("sandbox_id"),
        fields.alias("fields"),
    ]


def parse_logrus_source(
    src: TextSource, ctx: ParseContext, fmt_name: str, source: str
) -> ParseOutput:
    """Vectorised parse of a logrus text (or JSON) log; shared by containerd and CRI-O."""
    import polars as pl

    if not src.lines:
        return ParseOutput(empty_frame())
    df = pl.DataFrame({"raw": src.lines}, schema={"raw": pl.String}).with_row_index("line", 1)
    df = df.with_columns(pl.col("line").cast(pl.Int64), *_logrus_split(pl.col("raw")))
    blank = pl.col("raw").str.strip_chars() == ""
    blanks = df.filter(pl.col("ts").is_null() & blank).height
    other = df.filter(pl.col("ts").is_null() & ~blank)
    df = df.filter(pl.col("ts").is_not_null())
    err_raw = pl.col("rest").str.extract(_ERROR_KV, 1)
    df = df.with_columns(
        err_raw.alias("err_raw"),
        pl.col("rest").str.replace(_ERROR_KV, "").str.strip_chars().alias("rest"),
        # zone-less stamps (CRI-O can omit the zone) stay null here and are read in ctx.tz below
        pl.when(pl.col("ts").str.contains(r"(?:Z|[+-]\d\d:?\d\d)$"))
        .then(pl.col("ts").str.replace(" ", "T").str.to_datetime(time_zone="UTC", strict=False))
        .alias("ts_utc"),
    ).with_columns(_unquote_expr("msg").alias("message"), _unquote_expr("err_raw").alias("error"))
    messages = df["message"].to_list()
    errors = df["error"].to_list()
    for col, values in (("msg", messages), ("err_raw", errors)):
        raw = df[col].to_list()
        for i, value in enumerate(values):  # the vectorised unquote left the hard cases null
            if value is None and raw[i] is not None:
                values[i] = go_unquote(raw[i])
    vec = (
        pl.col("message").str.contains(SANDBOX_SHAPES)
        & pl.col("err_raw").is_null()
        & (pl.col("rest") == "")
    )
    df = df.with_columns(vec.fill_null(False).alias("vec"))
    trig = df.select(
        (pl.col("msg").str.contains(RUNTIME_TRIGGER) | pl.col("err_raw").is_not_null())
        & ~pl.col("vec")
    ).to_series()
    found = {i: classify_runtime(messages[i], errors[i]) for i in trig.arg_true().to_list()}
    extra = {i: parse_kv(rest) for i, rest in enumerate(df["rest"].to_list()) if rest}
    levels = df["level"].replace_strict(LEVELS, default="info")
    frame = df.select(
        pl.col("ts_utc").alias("time"),
        levels.alias("level"),
        "line",
        "raw",
        pl.Series("message", messages, dtype=pl.String),
        pl.Series("error", errors, dtype=pl.String),
        pl.lit(source).alias("source"),
        pl.lit(fmt_name).alias("format"),
        *sandbox_columns(pl.col("vec")),
    )
    frame = apply_found(frame, found, extra)
    issues: list[ParseIssue] = []
    zoneless = [i for i, t in enumerate(frame["time"].to_list()) if t is None]
    if zoneless:  # zone-less or odd stamps: read in ctx.tz
        times = frame["time"].to_list()
        stamps = df["ts"].to_list()
        for i in zoneless:
            times[i] = parse_time(stamps[i], ctx.tz)
            if times[i] is None:
                issues.append(ParseIssue(src.file, src.member, frame["line"][i],
                    "invalid timestamp; event kept without time", excerpt(frame["raw"][i]),
                    severity="warning", format=fmt_name))  # fmt: skip
        frame = frame.with_columns(pl.Series("time", times, dtype=pl.Datetime("us", "UTC")))
    rows: list[dict[str, Any]] = []
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
        rows.append(rec)
    parts = [conform(frame)]
    if rows:
        clean = [{k: v for k, v in r.items() if k in COLUMNS} for r in rows]
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
