"""Vectorised klog payload parsing with polars string kernels (the fast path).

Works on whole columns with few passes. Bodies without a backslash are split by positions
(the closing quote of the message, the ``err="..."`` value) into string views over the file's
bytes (:func:`plain_message_columns`); bodies with escapes are masked with same-length fillers
first, so ``find('"')`` lands on the closing quote, and unquoted. All-quoted pairs become
``fields`` by literal rewrites and identity keys by one capture each; other pairs use one
anchored regex with named groups that validates them and captures the identity keys (a group
in a repetition keeps its last match, which is klog's "last duplicate wins") and one regex
rewrite into the compact JSON :func:`._klogfile.encode_fields` writes. Rows that need more care
(escapes other than ``\\"`` and ``\\\\``, legacy texts, blocks, JSON values other than flat
string objects/arrays, bare identity values, a key named twice) are flagged ``simple=False``
and go through :func:`.klog.parse_payload`; tests check that both paths give identical rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from multus_forensics.formats._bytevec import field_bytes, string_views
from multus_forensics.formats.klog import LEGACY_PREFIX, LEVELS, SANDBOX_RE, STRUCTURED_KINDS

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

_KEY: Final = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_STR: Final = r'"[^"\\\x00-\x1f]*"'  # a quoted value with no escape and no control character
_JV: Final = r'"[^"\\ \x00-\x1f]*"'  # a string inside a flat JSON value
_FLAT: Final = (
    '(?:\\{"\\w+":' + _JV + '(?:,"\\w+":' + _JV + ")*\\}|\\[(?:" + _JV + "(?:," + _JV + ")*)?\\])"
)
_IDS: Final = "(?:err|pod|podUID|podSandboxID|containerID|podName)"


def _cap(key: str, group: str) -> str:
    """`` key="value"`` with the value (no escapes, no control characters) captured."""
    return rf' {key}="(?P<{group}>[^"\\\x00-\x1f]*)"'


_BRANCHES: Final = (
    _cap("err", "err"),
    _cap("pod", "pod"),
    _cap("podUID", "uid"),
    _cap("podSandboxID", "sbx"),
    _cap("containerID", "cid"),
    _cap("podName", "pname"),
    rf' event=\{{"ID":"(?P<evid>[^"\\ ]*)","Type":{_JV},"Data":"(?P<evdata>[^"\\ ]*)"\}}',
    rf' {_IDS}=(?P<bare>[^" ][^ ]*|)',
    rf' {_KEY}=(?:{_STR}|{_FLAT}|[^ "={{\[<\x00-\x1f][^ "\x00-\x1f]*|)',
)
#: validates the pairs after ``err`` and captures the identity keys (last occurrence wins)
KV_RE: Final = "^(?:" + "|".join(_BRANCHES) + ")*(?P<ok>)$"
#: one pair -> ``,"key":"value"`` (flat JSON kept as is); identity pairs become ``,"":""``
_PAIR: Final = rf' (?:{_IDS}="[^"]*"|({_KEY})=(?:"([^"]*)"|({_FLAT})|([^ "]*)))'
_SANDBOX: Final = SANDBOX_RE.pattern
_SCHEME: Final = r"^[a-z][a-z0-9+.-]*://"
_SENTINEL: Final = "\x00"  # ingestion removes NUL bytes, so it cannot occur in a payload
_FILL: Final = "\x00\x00"  # same length as the two-character escapes it masks


def _unquote(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Go-unquote values whose only escapes are ``\\"`` and ``\\\\``: (value, ok)."""
    unesc = raw.str.replace_all("\\\\", _SENTINEL, literal=True)
    ok = ~unesc.str.replace_all('\\"', "", literal=True).str.contains("\\", literal=True)
    value = unesc.str.replace_all('\\"', '"', literal=True).str.replace_all(
        _SENTINEL, "\\", literal=True
    )
    return value, ok.fill_null(True)


def message_stages(body: str, escapes: bool) -> list[list[pl.Expr]]:
    """Stages splitting the klog message ``body`` (text after ``] ``) into message, err, pairs.

    Adds ``_kstruct`` (structured record), ``_kmessage`` (the event message: the
    unquoted text, or the whole body of a legacy text), ``_kerrq``, ``_kkv`` (the pairs after
    ``err``, empty for legacy texts) and the checks ``_kquoteok``/``_kerrshape``. Intermediate
    columns are named so later stages read them instead of re-evaluating shared expressions.
    ``escapes=False`` is for rows with no backslash: masking and unquoting are skipped.
    """
    import polars as pl

    c = pl.col
    b = c(body)
    mask = b
    if escapes:
        mask = mask.str.replace_all("\\\\", _FILL, literal=True)
        mask = mask.str.replace_all('\\"', _FILL, literal=True)
    s1 = [b.str.starts_with('"').alias("_kstruct"), mask.alias("_kmask")]
    s2 = [c("_kmask").str.slice(1).str.find('"', literal=True).alias("_kqend")]
    qe = c("_kqend")
    s3 = [
        *([b.str.slice(1, qe).alias("_kmsgraw")] if escapes else []),
        b.str.slice(qe + 2).alias("_kafter"),
        c("_kmask").str.slice(qe + 8).str.find('"', literal=True).alias("_kerrlen"),
    ]
    after, el, struct = c("_kafter"), c("_kerrlen"), c("_kstruct")
    has_err = after.str.starts_with(' err="') & el.is_not_null()
    # values are zero-copy slices of the body at offsets chosen per row (a numeric when/then);
    # choosing between string columns with when/then would copy every string
    kv_start = pl.when(~struct).then(0).when(has_err).then(qe + el + 9).otherwise(qe + 2)
    s4 = [
        b.str.slice(pl.when(has_err).then(qe + 8), el).alias("_kerrraw"),
        b.str.slice(kv_start, pl.when(~struct).then(0)).alias("_kkv"),
        (qe.is_not_null() & ~(after.str.starts_with(" err=") & ~has_err)).alias("_kerrshape"),
    ]
    if escapes:
        msg, msg_ok = _unquote(c("_kmsgraw"))
        err, err_ok = _unquote(c("_kerrraw"))
        message = pl.when(struct).then(c("_kmsg")).otherwise(b)
    else:
        msg, msg_ok, err, err_ok = None, pl.lit(True), c("_kerrraw"), pl.lit(True)
        first = pl.when(~struct).then(0).when(qe.is_not_null()).then(1)
        message = b.str.slice(first, pl.when(struct).then(qe))
    s5 = [
        *([msg.alias("_kmsg")] if msg is not None else []),
        err.alias("_kerrq"),
        (msg_ok & err_ok).alias("_kquoteok"),
        c("_kkv").str.contains(QUOTED_KV).alias("_kquoted"),
    ]
    s6 = [message.alias("_kmessage")]
    return [s1, s2, s3, s4, s5, s6]


def plain_message_columns(
    body: pl.Series, data: bytes, start: np.ndarray, base: int
) -> list[pl.Series]:
    """:func:`message_stages` for bodies without a backslash, as views into ``data``.

    ``body`` holds the bodies, which are ``data[start[i] : start[i] + len]`` (ASCII), so every
    part (message, err value, pairs) is a string view at an offset computed here: polars
    copies a slice taken at per-row offsets, and these rows are most of a file.
    """
    import numpy as np
    import polars as pl

    arr = np.frombuffer(data, dtype=np.uint8)
    size = body.str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    first = field_bytes(arr, start, 1)[:, 0]
    struct = (size > 0) & (first == ord('"'))

    def view(name: str, at: np.ndarray, length: np.ndarray, ok: np.ndarray) -> pl.Series:
        length = np.where(ok, np.maximum(length, 0), 0)
        return string_views(name, data, arr, np.where(ok, at, base), length, base, ok)

    def find_quote(at: np.ndarray, ok: np.ndarray) -> np.ndarray:
        found = view("_q", start + at, size - at, ok).str.find('"', literal=True)
        return found.fill_null(-1).to_numpy().astype(np.int64)

    everywhere = np.ones(len(size), dtype=bool)
    qe = find_quote(np.ones_like(size), size >= 1)
    q_ok = qe >= 0
    after = qe + 2
    head = field_bytes(arr, start + after, 6)
    err6 = q_ok & (size - after >= 6) & (head == np.frombuffer(b' err="', np.uint8)).all(axis=1)
    err5 = q_ok & (size - after >= 5) & (head[:, :5] == np.frombuffer(b" err=", np.uint8)).all(1)
    el = find_quote(qe + 8, q_ok & (size - qe - 8 >= 0))
    has_err = err6 & (el >= 0)
    kv_at = np.where(~struct, 0, np.where(has_err, qe + el + 9, qe + 2))
    kv_ok = ~struct | q_ok
    return [
        pl.Series("_kstruct", struct),
        view("_kerrraw", start + qe + 8, el, has_err),
        view("_kkv", start + kv_at, np.where(struct, size - kv_at, 0), kv_ok),
        pl.Series("_kerrshape", q_ok & ~(err5 & ~has_err)),
        view("_kerrq", start + qe + 8, el, has_err),
        pl.Series("_kquoteok", everywhere),
        view(
            "_kmessage",
            start + np.where(struct, 1, 0),
            np.where(struct, qe, size),
            kv_ok,
        ),
    ]


#: pairs whose values are all plain quoted strings: the literal (capture-free) rewrite applies
QUOTED_KV: Final = rf'^(?: {_KEY}="[^"\\\x00-\x1f]*")*$'
_ID_JSON: Final = rf',"{_IDS}":"[^"]*"'


def _quoted_value(kv: pl.Expr, key: str) -> pl.Expr:
    """Value of the last `` key="..."`` (a quoted value holds no ``"``; klog's last duplicate
    wins): one greedy capture, which costs less than literal finds and slices."""
    return kv.str.extract(f'^.* {key}="([^"]*)"', 1)


#: a value after ``=`` (quoted, flat JSON object/array, bare), for dropping values cheaply
_VALUE: Final = r'=(?:"[^"]*"|\{[^}]*\}|\[[^\]]*\]|[^ ]*)'


def repeated_keys(kv: pl.Series, quoted: bool) -> pl.Series:
    """``_kdup``: rows naming a key twice, whose ``fields`` only the careful path builds.

    In all-quoted pairs `` key="`` only occurs at a pair's start, so the keys are one list
    extraction. Other rows drop their values (:data:`_VALUE` never runs past a value's end,
    so every key stays a word; leftovers can only add words, sending a row to the careful
    path for nothing); their key sequences have few distinct values in a log (one per call
    site) and are checked once each.
    """
    import numpy as np
    import polars as pl

    if quoted:
        keys = kv.str.extract_all(rf' ({_KEY})="')
        return (keys.list.n_unique() < keys.list.len()).fill_null(False).alias("_kdup")
    seqs = kv.str.replace_all(_VALUE, "")
    repeated = [
        k for k in seqs.unique().drop_nulls().to_list() if len(set(k.split())) < len(k.split())
    ]
    if not repeated:
        return pl.Series("_kdup", np.zeros(len(kv), dtype=bool))
    return seqs.is_in(repeated).fill_null(False).alias("_kdup")


#: identity keys the literal path looks up, with the column each one feeds
QUOTED_KEYS: Final = {
    "err": "_kgerr",
    "pod": "_kgpod",
    "podUID": "_kguid",
    "podSandboxID": "_kgsbx",
    "containerID": "_kgcid",
    "podName": "_kgpname",
}


def kv_stages(
    pid: str | None, quoted: bool, present: set[str] | None = None
) -> list[list[pl.Expr]]:
    """Stages turning ``_kkv`` into ``fields`` and identity columns, then the event columns.

    Reads the columns of :func:`message_stages`, ``_kplain_text`` (:func:`plain_text`) and
    ``_kdup`` (:func:`repeated_keys`).

    ``quoted=True`` rows (see :data:`QUOTED_KV`) are rewritten with literal replaces only: a
    ``" `` can only sit between two pairs when no value contains a quote. Other rows use
    :data:`KV_RE` and :data:`_PAIR`, whose captures cost several times more per byte.
    ``present`` (quoted rows) names the identity keys occurring in the rows at all; the
    others are known to be null without a pass over the column.
    """
    import polars as pl

    c = pl.col
    kv = c("_kkv")
    if quoted:
        pairs = (  # ` a="x" b="y"` -> `,"a":"x","b":"y"` (the first space is the leading one)
            kv.str.replace_all('" ', '","', literal=True)
            .str.replace_all('="', '":"', literal=True)
            .str.replace(" ", ',"', literal=True)
            .str.replace_all(_ID_JSON, "")
        )
        keys = QUOTED_KEYS if present is None else present
        ids = [
            *(
                (_quoted_value(kv, key) if key in keys else pl.lit(None, dtype=pl.String)).alias(
                    col
                )
                for key, col in QUOTED_KEYS.items()
            ),
            pl.lit(None, dtype=pl.String).alias("_kgevid"),
            pl.lit(None, dtype=pl.String).alias("_kgevdata"),
            c("_kquoted").alias("_kgok"),
        ]
    else:
        pairs = (
            kv.str.replace_all(_PAIR, r',"${1}":"${2}${4}"${3}')
            .str.replace_all(',"":""', "", literal=True)
            .str.replace_all(':""{', ":{", literal=True)
            .str.replace_all(':""[', ":[", literal=True)
        )
        g = c("_kgroups").struct
        ids = [
            *(
                g.field(f).alias(f"_kg{f}")
                for f in ("err", "pod", "uid", "sbx", "cid", "pname", "evid", "evdata")
            ),
            (
                g.field("ok").is_not_null()
                & g.field("bare").is_null()
                & ~(kv.str.contains(" event={", literal=True) & g.field("evid").is_null())
            ).alias("_kgok"),
        ]
    s0 = [] if quoted else [kv.str.extract_groups(KV_RE).alias("_kgroups")]
    s1 = [
        *ids,
        (  # with a pid (never null on rows that can be simple) the object starts with it
            pl.concat_str(pl.lit('{"pid":"'), c(pid), pl.lit('"'), pairs, pl.lit("}"))
            if pid is not None
            else pl.concat_str(pl.lit("{"), pairs, pl.lit("}")).str.replace(
                '{,"', '{"', literal=True
            )
        ).alias("fields"),
    ]
    pod_kv = c("_kgpod").replace("", None)
    slash = pod_kv.str.find("/", literal=True)
    structured = c("_kstruct")
    error = pl.coalesce(c("_kerrq"), c("_kgerr"))
    simple = (structured & c("_kerrshape") & c("_kquoteok") & c("_kgok") & ~c("_kdup")) | (
        ~structured & c("_kplain_text")
    )
    final = [
        c("_kmessage").alias("message"),
        pl.when(structured).then(error).alias("error"),
        pl.when(structured)
        .then(c("_kmessage").replace_strict(STRUCTURED_KINDS, default="log"))
        .otherwise(pl.lit("log"))
        .alias("kind"),
        pod_kv.str.slice(0, slash).alias("namespace"),
        pl.coalesce(
            pl.when(slash.is_not_null()).then(pod_kv.str.slice(slash + 1)).otherwise(pod_kv),
            c("_kgpname"),
        ).alias("pod"),
        pl.coalesce(c("_kguid").replace("", None), c("_kgevid")).alias("pod_uid"),
        pl.coalesce(c("_kgsbx").replace("", None), error.str.extract(_SANDBOX, 1)).alias(
            "sandbox_id"
        ),
        pl.coalesce(c("_kgcid").replace("", None).str.replace(_SCHEME, ""), c("_kgevdata")).alias(
            "container_id"
        ),
        simple.fill_null(False).alias("simple"),
    ]
    return [s0, s1, final] if s0 else [s1, final]


def plain_text(body: pl.Series, structured: pl.Series) -> pl.Series:
    """``_kplain_text``: a legacy (unquoted) text that names no known call site or sandbox.

    Only those rows are searched (two regex/literal passes); structured rows get False.
    """
    import numpy as np
    import polars as pl

    out = np.zeros(len(body), dtype=bool)
    rows = np.flatnonzero(~structured.fill_null(True).to_numpy())
    if len(rows):
        text = body.gather(rows)
        hit = text.str.contains(LEGACY_PREFIX) | text.str.contains("sandbox", literal=True)
        out[rows] = ~hit.fill_null(True).to_numpy()
    return pl.Series("_kplain_text", out)


def level_expr(severity: pl.Expr) -> pl.Expr:
    """klog severity letter -> event level."""
    return severity.replace_strict(LEVELS, default="info")
