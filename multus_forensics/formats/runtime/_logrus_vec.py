"""Vectorised logrus text splitting and containerd sandbox classification (polars).

The bulk path of :mod:`.containerd` (and CRI-O): header, message, ``error=`` and extra
fields are split with literal searches and short anchored patterns, never with an
alternation over the whole line; Go unquoting is vectorised for the common ``\\"`` case and
left to :func:`._logrus.go_unquote` for the rest. Each function materialises its stage once
(a struct field reused in several expressions would otherwise be recomputed). Property tests
check these against :data:`._logrus.LOGRUS_LINE`, :func:`._logrus.parse_kv` and
:func:`._logrus.classify_runtime`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from multus_forensics.formats.runtime._logrus import META, SANDBOX_REF, STOP, go_unquote

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.formats._assemble import LineViews


def unquote(df: pl.DataFrame, raw: str, out: str) -> pl.DataFrame:
    """``df`` with ``out``: Go unquote of ``raw`` (bare values as written, as go_unquote does).

    Values without a backslash are the text between the quotes; ``\\"`` is the only escape
    undone vectorised; :func:`._logrus.go_unquote` does the rest. Each stage is materialised
    (reusing an expression would evaluate it again).
    """
    import polars as pl

    c = pl.col(raw)
    quoted = c.str.starts_with('"') & c.str.ends_with('"') & (c.str.len_bytes() >= 2)
    df = df.with_columns(
        pl.when(quoted).then(c.str.strip_prefix('"').str.strip_suffix('"')).alias("_in")
    )
    inner = pl.col("_in")
    df = df.with_columns(inner.str.contains("\\", literal=True).alias("_esc"))
    hard = pl.when(pl.col("_esc")).then(inner)  # only these meet the patterns
    df = df.with_columns(
        pl.when(inner.is_null())
        .then(c)
        .when(~pl.col("_esc"))
        .then(inner)
        .when(hard.str.contains(r'\\[^"]'))
        .then(None)
        .otherwise(hard.str.replace_all('\\"', '"', literal=True))
        .alias(out)
    ).drop("_in", "_esc")
    return unquote_rest(df, raw, out)


#: extra fields that are all bare ``key=value`` (values need no JSON escaping)
BARE_KVS: Final = r"^[\w.\-/]+=[\w.\-/@^+]*(?: [\w.\-/]+=[\w.\-/@^+]*)*$"


def bare_kvs_json(rest: pl.Expr) -> pl.Expr:
    """``a=b c=d`` -> ``"a": "b", "c": "d"`` (only for :data:`BARE_KVS` text)."""
    return rest.str.replace_all(r"([\w.\-/]+)=([\w.\-/@^+]*)", '"$1": "$2"').str.replace_all(
        '" "', '", "', literal=True
    )


#: a Go-quoted value at the start of a text (the quoted branch of :data:`._logrus.LOGRUS_LINE`)
_QUOTED: Final = r'^"(?:[^"\\]|\\.)*"'


def _with_value_end(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """``df`` with ``_end``: length of the logrus value at the start of ``col`` (a Go-quoted
    string or a bare word).

    An unclosed quote is read as a bare word, as :data:`LOGRUS_LINE` does. One anchored
    pattern (the quoted branch), materialised once, beats masking escapes and counting quotes
    by about 2x.
    """
    import polars as pl

    text = pl.col(col)
    df = df.with_columns(text.str.extract(_QUOTED, 0).alias("_end"))
    bare = pl.when(pl.col("_end").is_null()).then(text).str.extract(r"^\S*", 0)
    return df.with_columns(pl.coalesce(pl.col("_end"), bare).str.len_chars().alias("_end"))


def take_error(df: pl.DataFrame) -> pl.DataFrame:
    """Move the first `` error=<value>`` of ``rest`` into ``err_raw`` (still quoted)."""
    import polars as pl

    rest = pl.col("rest")
    # most records carry no error: only the others are split (the split is materialised once)
    with_error = pl.when(rest.str.contains(" error=", literal=True)).then(rest)
    df = df.with_columns(with_error.str.splitn(" error=", 2).alias("_parts"))
    df = df.with_columns(
        pl.col("_parts").struct.field("field_0").alias("_before"),
        pl.col("_parts").struct.field("field_1").alias("_after"),
    )
    df = _with_value_end(df, "_after")
    after = pl.col("_after")
    return df.with_columns(
        after.str.slice(0, pl.col("_end")).replace("", None).alias("err_raw"),
        pl.when(after.is_null())
        .then(rest)
        .otherwise(pl.concat_str(pl.col("_before"), after.str.slice(pl.col("_end"))))
        .str.strip_chars()
        .alias("rest"),
    ).drop("_parts", "_before", "_after", "_end")


def unquote_rest(df: pl.DataFrame, raw: str, out: str) -> pl.DataFrame:
    """Fill ``out`` where the vectorised unquote gave up (escapes other than ``\\"``) in Python."""
    import polars as pl

    rows = (df[out].is_null() & df[raw].is_not_null()).arg_true()
    if rows.len() == 0:
        return df
    values = pl.Series([go_unquote(v) for v in df[raw].gather(rows).to_list()], dtype=pl.String)
    return df.with_columns(df[out].scatter(rows, values))


def logrus_split(df: pl.DataFrame, views: LineViews | None = None) -> pl.DataFrame:
    """Add ``ts``, ``level``, ``msg`` (still quoted) and ``rest`` of logrus lines (null if not).

    Same split as :data:`LOGRUS_LINE`, without its alternation (3x slower on long lines): the
    header is matched, the message length comes from :func:`_with_value_end`. Lengths are counted
    in characters, never bytes. Each stage is materialised once (struct fields reused in
    expressions are otherwise recomputed). With the file's ``views`` (``df`` then has ``line``),
    a quoted message and the rest are cut from the bytes instead (:func:`_quoted_views`).
    """
    import polars as pl

    df = df.with_columns(
        pl.col("raw")
        .str.extract_groups(r'^time="(?P<ts>[^"]*)" level=(?P<level>[a-z]+) msg=')
        .struct.unnest()
    )
    if views is not None:
        return _quoted_views(df, views)
    return _split_message(df)


def _split_message(df: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    start = pl.col("ts").str.len_chars() + pl.col("level").str.len_chars() + 19
    df = df.with_columns(pl.col("raw").str.slice(start).alias("rest"))
    df = _with_value_end(df, "rest")
    return df.with_columns(
        pl.col("rest").str.slice(0, pl.col("_end")).alias("msg"),
        pl.col("rest").str.slice(pl.col("_end")).alias("rest"),
    ).drop("_end")


def _unescaped_quotes(arr: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Offsets of the ``"`` bytes in ``arr[lo:hi]`` not escaped by an odd run of backslashes."""
    import numpy as np

    quotes = np.flatnonzero(arr[lo:hi] == ord('"')) + lo
    run = np.zeros(len(quotes), dtype=np.int64)
    live = np.arange(len(quotes))
    back = 1
    while len(live):  # backslash runs are short: a few passes over fewer and fewer quotes
        pos = quotes[live] - back
        live = live[(pos >= lo) & (arr[np.maximum(pos, 0)] == ord("\\"))]
        run[live] += 1
        back += 1
    out: np.ndarray = quotes[run % 2 == 0]
    return out


def _quoted_views(df: pl.DataFrame, views: LineViews) -> pl.DataFrame:
    """``msg`` and ``rest`` as string views where the message is quoted and closed.

    The closing quote is the first ``"`` after the opening one that no odd run of backslashes
    escapes: what ``"(?:[^"\\]|\\.)*"`` matches. Bare and unclosed messages (rare) take
    :func:`_split_message`.
    """
    import numpy as np
    import polars as pl

    from multus_forensics.formats.fast._bytevec import byte_at, string_views

    _, data, starts, lens = views
    arr = np.frombuffer(data, dtype=np.uint8)
    rows = df["line"].to_numpy() - 1
    first, end = starts[rows], starts[rows] + lens[rows]
    head = df["ts"].is_not_null().to_numpy()
    header = df["ts"].str.len_bytes().fill_null(0) + df["level"].str.len_bytes().fill_null(0)
    at = first + np.where(head, header.to_numpy().astype(np.int64) + len('time="" level= msg='), 0)
    ok = head & (at < end) & (byte_at(arr, at) == ord('"'))
    close = np.zeros(len(rows), dtype=np.int64)
    if ok.any():
        quotes = _unescaped_quotes(arr, int(first.min()), int(end.max()))
        k = np.searchsorted(quotes, at + 1)
        found = k < len(quotes)
        close[found] = quotes[k[found]]
        ok &= found & (close < end)
    msg_at, rest_at = np.where(ok, at, first), np.where(ok, close + 1, first)
    df = df.with_columns(
        string_views("msg", data, arr, msg_at, np.where(ok, close + 1 - at, 0), valid=ok),
        string_views("rest", data, arr, rest_at, np.where(ok, end - close - 1, 0), valid=ok),
    )
    odd = np.flatnonzero(head & ~ok)
    if not len(odd):
        return df
    index = pl.Series(odd, dtype=pl.UInt32)
    part = _split_message(df.select("raw", "ts", "level").gather(index))
    return df.with_columns(df[c].scatter(index, part[c]) for c in ("msg", "rest"))


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
    # int(digits) as Python writes it, for any length (a cast to Int64 fails past 19 digits)
    number = attempt.str.strip_chars_start("0")
    fields = (
        pl.when(is_run & attempt.is_not_null())
        .then(
            pl.concat_str(
                pl.lit('{"attempt": '),
                pl.when(number == "").then(pl.lit("0")).otherwise(number),
                pl.lit("}"),
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
