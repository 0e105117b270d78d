"""Structured event rows as small mutable records, with the identities their chains name.

Timelines join on IDs that often sit only inside an error string (the sandbox ID of a kubelet
``CreatePodSandbox`` failure, the pod UID of a KillPodSandbox target), so every failure row is
unwrapped once here and the chain's identities fill the row's empty identity columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.chain import ErrorChain, unwrap_error
from multus_forensics.lazyre import lazy
from multus_forensics.model import decode_fields

if TYPE_CHECKING:
    import polars as pl

#: kinds that report a failed sandbox ADD (one sandbox attempt that did not come up)
ADD_FAILURE_KINDS: Final = frozenset(
    {
        "kubelet:sandbox:failed",
        "kubelet:pod:sync-error",
        "runtime:sandbox:failed",
        "multus:error",
        "event:FailedCreatePodSandBox",
        "event:NoNetworkFound",
        "ipam:error",
        "error:line",
    }
)
DEL_FAILURE_KINDS: Final = frozenset(
    {
        "kubelet:sandbox:stop-failed",
        "runtime:sandbox:stop-failed",
        "runtime:network:destroy-failed",
        "event:FailedKillPod",
    }
)
START_KINDS: Final = frozenset({"kubelet:sandbox:start", "runtime:sandbox:start"})
READY_KINDS: Final = frozenset({"runtime:sandbox:ready", "kubelet:sandbox:created"})
TEARDOWN_KINDS: Final = frozenset(
    {
        "runtime:sandbox:stop",
        "runtime:network:teardown",
        "runtime:cni:del",
        "multus:del",
        "kubelet:pod:killing",
        "event:SandboxChanged",
    }
)
ADD_KINDS: Final = frozenset({"multus:add", "event:AddedInterface"})
STATUS_KIND: Final = "pod:network-status"
REQUEST_KIND: Final = "pod:networks"

_ADDED = lazy(r"Add (?P<if>\S+) \[(?P<ips>[^\]]*)\](?: from (?P<net>\S+))?")
_COUNT = lazy(r"\(x(?P<n>\d+) over ")
_COLUMNS: Final = (
    "time",
    "node",
    "source",
    "kind",
    "level",
    "namespace",
    "pod",
    "pod_uid",
    "sandbox_id",
    "container_id",
    "network",
    "interface",
    "ips",
    "message",
    "error",
    "fields",
    "file",
    "member",
    "line",
)


class RowTexts:
    """The long texts of a batch of records (``message``, ``fields``), kept as columns: a
    Multus add's message and CNI result are read only for the few records whose kind needs
    them, so holding a Python string of each per record cost more memory than the frame."""

    __slots__ = ("_fields", "_message")

    def __init__(self, message: pl.Series, fields: pl.Series) -> None:
        self._message = message
        self._fields = fields

    def message(self, pos: int) -> str:
        return str(self._message[pos])

    def fields(self, pos: int) -> str:
        return str(self._fields[pos])


@dataclass(eq=False, slots=True)
class Rec:
    """One event row plus what the timeline derives for it."""

    eid: int
    time: datetime | None
    node: str | None
    source: str
    kind: str
    level: str
    namespace: str | None
    pod: str | None
    pod_uid: str | None
    sandbox_id: str | None
    container_id: str | None
    network: str | None
    interface: str | None
    ips: str | None
    #: ``message`` and ``fields_json`` as given, or None: read from ``_texts`` on first use
    _message: str | None
    error: str | None
    _fields_json: str | None
    file: str
    member: str | None
    line: int
    chain: ErrorChain | None = None
    netns: str | None = None
    count: int = 1
    #: ``time`` in microseconds since the epoch (sorting and spans compare integers)
    us: int | None = None
    _fields: dict[str, Any] | None = field(default=None, repr=False)
    _texts: RowTexts | None = field(default=None, repr=False)
    _pos: int = field(default=0, repr=False)
    #: position of :func:`sort_key` among the records of one ``split`` (equal keys, equal
    #: ranks): sorting by it is sorting by the key, without a tuple per comparison
    rank: int = field(default=0, repr=False)

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = self._texts.message(self._pos) if self._texts is not None else ""
        return self._message

    @property
    def fields_json(self) -> str:
        if self._fields_json is None:
            self._fields_json = self._texts.fields(self._pos) if self._texts is not None else "{}"
        return self._fields_json

    @property
    def fields(self) -> dict[str, Any]:
        if self._fields is None:
            self._fields = decode_fields(self.fields_json)
        return self._fields

    @property
    def ref(self) -> str:
        """``file[!member]:line`` — where the evidence is."""
        where = self.file + (f"!{self.member}" if self.member else "")
        return f"{where}:{self.line}"

    @property
    def is_add_failure(self) -> bool:
        if self.kind == "multus:request":  # thick daemon: ADD finished with an error
            f = self.fields
            return f.get("command") == "ADD" and f.get("phase") == "finished" and bool(self.error)
        if self.kind in ADD_FAILURE_KINDS:
            if self.kind == "multus:error" and self.chain is not None:
                return self.chain.op != "del"
            if self.kind == "kubelet:pod:sync-error" and self.chain is not None:
                return self.chain.op == "add" or self.chain.get("sandbox_id") is not None
            return self.kind != "kubelet:pod:sync-error"
        return False

    @property
    def container_started(self) -> bool:
        """A PLEG ContainerStarted: the pod's sandbox is up (its ID, or an app container's)."""
        event = self.fields.get("event") if self.kind == "kubelet:pleg" else None
        return isinstance(event, dict) and event.get("Type") == "ContainerStarted"

    @property
    def add_succeeded(self) -> bool:
        """A thick daemon ``ADD finished CNI request`` with ``err: <nil>``: the CNI ADD worked."""
        if self.kind != "multus:request" or self.error is not None:
            return False  # before decoding the fields: this is asked of every record
        f = self.fields
        return f.get("command") == "ADD" and f.get("phase") == "finished"

    @property
    def is_del_failure(self) -> bool:
        if self.kind in DEL_FAILURE_KINDS:
            return True
        return self.kind == "multus:error" and self.chain is not None and self.chain.op == "del"


def _netns(rec: Rec) -> str | None:
    fields = rec.fields
    if isinstance(fields.get("netns"), str):
        return str(fields["netns"])
    result = fields.get("result")
    if isinstance(result, dict):
        for iface in result.get("interfaces") or []:
            if isinstance(iface, dict) and isinstance(iface.get("sandbox"), str):
                return str(iface["sandbox"])
    return None


def _has_netns(kind: str) -> bool:
    return kind.startswith(("multus:", "runtime:cni"))


#: a JSON string without escapes or control characters, and a JSON integer
_STR: Final = r'"[^"\\\x00-\x1f]*"'
_INT: Final = r"-?(?:0|[1-9][0-9]*)"
_IP: Final = rf'\{{"version":{_STR},"interface":{_INT},"address":{_STR},"gateway":{_STR}\}}'
#: a Multus add's ``fields`` whole, as Multus logs a one-interface CNI result (the sandbox
#: path captured): nothing in it can be escaped, nested or repeated differently
_RESULT_SHAPE: Final = (
    rf'^\{{"conf": {_STR}, "result": \{{"cniVersion":{_STR},"interfaces":\[\{{"name":{_STR},'
    rf'"mac":{_STR},"sandbox":"([^"\\\x00-\x1f]*)"\}}\],"ips":\[(?:{_IP}(?:,{_IP})*)?\],'
    r'"dns":\{\}\}\}$'
)


def netns_column(rows: pl.DataFrame) -> tuple[list[bool], list[str | None]]:
    """:func:`_netns` of every row of ``rows`` (``kind``, ``fields``) read by JSON path over the
    column, and whether that reading is certain; :func:`_enrich` decodes the others.

    A Multus log's adds carry whole CNI results in ``fields``: decoding each in Python was most
    of a timeline's cost. The path is trusted only where the text leaves no doubt that it gives
    what ``json.loads`` would: the key occurs once, as a key with a string value, on the one
    ``result``/``interfaces`` list, no ``\\u`` escape could spell a key; a text naming neither key
    has no netns. Anything else (damaged JSON, duplicate keys, odd types) is decoded.
    """
    import polars as pl

    text = pl.col("fields").fill_null("")
    text = pl.when(text == "").then(pl.lit("{}")).otherwise(text)
    kind = pl.col("kind").fill_null("")
    frame = rows.select(
        text.alias("t"),
        (kind.str.starts_with("multus:") | kind.str.starts_with("runtime:cni")).alias("w"),
    ).with_row_index("i")
    t = pl.col("t")

    def count(word: str) -> pl.Expr:
        return t.str.count_matches(f'"{word}"', literal=True)

    plain = ~t.str.contains("\\u", literal=True)
    n_netns, n_sandbox = count("netns"), count("sandbox")
    own = plain & (n_netns == 1) & t.str.contains(r'"netns"\s*:\s*"')
    from_result = (
        plain
        & (n_netns == 0)
        & (n_sandbox == 1)
        & (count("result") == 1)
        & (count("interfaces") == 1)
        & t.str.contains(r'"interfaces"\s*:\s*\[')
        & t.str.contains(r'"sandbox"\s*:\s*"')
    )
    marks = frame.filter(pl.col("w")).select(
        "i",
        "t",
        own.alias("own"),
        from_result.alias("res"),
        (plain & (n_netns == 0) & (n_sandbox == 0)).alias("none"),
    )
    # a JSON path only on the rows it can settle (a path query parses the whole text); a Multus
    # add's result in the exact shape Multus logs it is read by one regex that spells that
    # shape whole (so the text is valid JSON and the capture is the path's value)
    res = marks.filter("res").with_columns(t.str.extract(_RESULT_SHAPE, 1).alias("q"))
    read = pl.concat(
        [
            marks.filter("own").select("i", t.str.json_path_match("$.netns").alias("v")),
            res.filter(pl.col("q").is_not_null()).select("i", pl.col("q").alias("v")),
            res.filter(pl.col("q").is_null()).select(
                "i", t.str.json_path_match("$.result.interfaces[*].sandbox").alias("v")
            ),
        ]
    )
    out = frame.select("i", "w").join(
        marks.select("i", "none").join(read, on="i", how="left"), on="i", how="left"
    )
    out = out.sort("i").select(
        (~pl.col("w") | pl.col("none") | pl.col("v").is_not_null()).alias("known"), "v"
    )
    return out.get_column("known").to_list(), out.get_column("v").to_list()


def _enrich(
    rec: Rec,
    chains: dict[str, ErrorChain] | None = None,
    netns: tuple[bool, str | None] = (False, None),
) -> None:
    """Fill identities from the error chain, AddedInterface text, netns and repeat counts.

    ``chains`` holds the chains unwrapped so far in this pass: a text repeated by several
    records (the kubelet logs one failure at up to four call sites) is unwrapped once, however
    small the process-wide cache of :func:`unwrap_error` is. ``netns`` is (known, value) from
    :func:`netns_column`; the fields are decoded only when it is not known."""
    text = rec.error
    if text is None and (rec.kind in ADD_FAILURE_KINDS or rec.kind in DEL_FAILURE_KINDS):
        text = rec.message or None
    if text:
        chain = chains.get(text) if chains is not None else None
        if chain is None:
            chain = unwrap_error(text)
            if chains is not None:
                chains[text] = chain
        rec.chain = chain
        rec.sandbox_id = rec.sandbox_id or chain.get("sandbox_id")
        rec.pod_uid = rec.pod_uid or chain.get("pod_uid")
        if rec.pod is None and chain.get("pod") is not None:
            rec.namespace = rec.namespace or chain.get("namespace")
            rec.pod = chain.get("pod")
    if rec.kind == "event:AddedInterface" and rec.interface is None:
        match = _ADDED.search(rec.message)
        if match:
            rec.interface = match["if"]
            rec.ips = ",".join(match["ips"].split()) or None
            rec.network = rec.network or match["net"]
    if _has_netns(rec.kind):
        rec.netns = netns[1] if netns[0] else _netns(rec)
    count = rec.fields.get("count") if '"count"' in rec.fields_json else None
    if isinstance(count, int) and count > 1:
        rec.count = count
    elif rec.kind.startswith("event:") and (m := _COUNT.search(rec.message)):
        rec.count = int(m["n"])


#: columns of the plain rows kept as a frame (see :func:`split`)
PLAIN_COLUMNS: Final = ("eid", "time", "node", "source", "namespace", "pod", "pod_uid",
                        "container_id", "file", "line")  # fmt: skip


def _or(column: str, default: str | int) -> pl.Expr:
    """``value or default`` of :class:`Rec`'s constructor, over a column."""
    import polars as pl

    col = pl.col(column)
    empty = col.is_null() | (col == default.__class__())
    return pl.when(empty).then(pl.lit(default)).otherwise(col).alias(column)


def _needs_enrich() -> pl.Expr:
    """Rows :func:`_enrich` may change beyond their netns: an error text, a failure kind with
    a message, an unparsed AddedInterface, a repeat count. The rest (most of a Multus log's
    adds) are made as they are, with the netns :func:`netns_column` read."""
    import polars as pl

    kind, error = pl.col("kind"), pl.col("error")
    failure = kind.is_in(list(ADD_FAILURE_KINDS | DEL_FAILURE_KINDS))
    return (
        (error.is_not_null() & (error != ""))
        | (error.is_null() & failure & (pl.col("message") != ""))
        | ((kind == "event:AddedInterface") & pl.col("interface").is_null())
        | kind.str.starts_with("event:")
        | pl.col("fields").str.contains('"count"', literal=True)
    )


#: identity columns of the records (``t``: time in µs), as ``identity.resolve`` reads them
IDENT_COLUMNS: Final = ("eid", "namespace", "pod", "pod_uid", "sandbox_id", "container_id",
                        "t", "node")  # fmt: skip


def _shared(column: pl.Series) -> list[Any]:
    """``column.to_list()`` with one object per distinct value: kinds, sources, pod names,
    error texts and (in logs stamped to the second) times repeat over hundreds of thousands
    of records, and a datetime costs more to make than to look up."""
    import polars as pl

    if column.len() and column.n_unique() == 1:  # a file's name, a journal's node, all null
        return [column[0]] * column.len()
    if column.dtype == pl.Datetime("us", "UTC"):
        distinct = column.unique()
        if 2 * distinct.len() > column.len():
            return column.to_list()
        known = dict(zip(distinct.to_physical().to_list(), distinct.to_list(), strict=True))
        return list(map(known.__getitem__, column.to_physical().to_list()))
    values = column.to_list()
    if column.dtype != pl.String:
        return values
    seen: dict[Any, Any] = {}
    return [seen.setdefault(v, v) for v in values]


def _recs(rows: pl.DataFrame) -> tuple[list[Rec], pl.DataFrame, pl.DataFrame]:
    """Enriched records of ``rows`` (an event frame with ``eid``) and their identity frame
    (:data:`IDENT_COLUMNS`). Records are made from column lists in one ``map`` (defaults
    filled by expressions), and only the rows that need it are enriched in Python, since this
    runs once per structured record; only those rows' identities are read back from objects.
    The third frame holds what :func:`sort_key` reads (``eid``, ``us``, ``file``, ``line``)."""
    from itertools import repeat

    import polars as pl

    known, netns = netns_column(rows)
    us = rows.select(pl.col("time").dt.epoch("us")).to_series().to_list()
    n = len(us)
    ready = rows.select(
        "eid", "time", "node", _or("source", "unknown"), _or("kind", "log"),
        _or("level", "info"), "namespace", "pod", "pod_uid", "sandbox_id", "container_id",
        "network", "interface", "ips", _or("message", ""), "error", _or("fields", "{}"),
        _or("file", ""), "member", _or("line", 0),
    )  # fmt: skip
    texts = RowTexts(ready.get_column("message"), ready.get_column("fields"))
    data = [
        _shared(ready.get_column(c)) if c not in ("message", "fields") else repeat(None, n)
        for c in ready.columns
    ]
    out = list(
        map(Rec, *data, repeat(None, n), netns, repeat(1, n), us, repeat(None, n),
            repeat(texts, n), range(n))
    )  # fmt: skip
    known_s = pl.Series("known", known, pl.Boolean)
    todo = ready.select(pl.arg_where(_needs_enrich().fill_null(False) | ~known_s))
    chains: dict[str, ErrorChain] = {}
    done = todo.to_series().to_list()
    if done:  # the texts enrichment reads, fetched in one gather
        picked = ready.select(pl.col("message", "fields").gather(done))
        messages, fields_json = (picked.get_column(c).to_list() for c in ("message", "fields"))
        for i, message, fields in zip(done, messages, fields_json, strict=True):
            out[i]._message, out[i]._fields_json = message, fields
    for i in done:
        rec = out[i]
        _enrich(rec, chains, (known[i], rec.netns))
    ident = rows.select(
        "eid", "namespace", "pod", "pod_uid", "sandbox_id", "container_id",
        pl.col("time").dt.epoch("us").alias("t"), "node",
    )  # fmt: skip
    if done:  # enrichment fills identities from chains (never a container ID): read back
        ident = ident.with_columns(
            ident.get_column(c).scatter(done, pl.Series([getattr(out[i], c) for i in done], dtype=pl.String))
            for c in ("namespace", "pod", "pod_uid", "sandbox_id")
        )  # fmt: skip
    order = ready.select("eid", pl.Series("us", us, pl.Int64), "file", "line")
    return out, ident, order


def _rank(recs: list[Rec], order: pl.DataFrame) -> None:
    """Set each record's :attr:`Rec.rank` (``order``: the records' sort columns, same order)."""
    import polars as pl

    untimed = pl.col("us").is_null()
    keyed = order.select(
        untimed.alias("u"), pl.when(untimed).then(0).otherwise("us").alias("t"), "file", "line"
    ).with_row_index("pos")
    ranked = keyed.sort("u", "t", "file", "line", maintain_order=True)
    new = pl.any_horizontal(
        pl.col(c).ne_missing(pl.col(c).shift(1)) for c in ("u", "t", "file", "line")
    )
    positions = ranked.select("pos", new.cum_sum().alias("rank")).sort("pos")
    for rec, rank in zip(recs, positions.get_column("rank").to_list(), strict=True):
        rec.rank = rank


def split_masks() -> tuple[pl.Expr, pl.Expr]:
    """(a record: a row naming a pod, sandbox or error, or not a ``log`` row; plain-ish: a
    ``log`` row with no error, sandbox ID or repeat count) as :func:`split` reads them; a
    plain-ish record is plain unless its container ID is some record's sandbox ID."""
    import polars as pl

    ids = ("namespace", "pod", "pod_uid", "sandbox_id", "container_id", "error")
    keep = pl.any_horizontal([pl.col(c).is_not_null() for c in ids]) | (pl.col("kind") != "log")
    plainish = (
        (pl.col("kind").fill_null("log") == "log")
        & pl.col("error").is_null()
        & pl.col("sandbox_id").is_null()
        & ~pl.col("fields").fill_null("").str.contains('"count"', literal=True)
    )
    return keep, plainish


def split(frame: pl.DataFrame) -> tuple[list[Rec], pl.DataFrame, pl.DataFrame]:
    """The records of ``frame`` (rows naming a pod, sandbox or error; ``eid`` = row number):
    the structured ones as enriched :class:`Rec` objects with their identity frame
    (:data:`IDENT_COLUMNS`, ``eid`` order), the plain ones as a frame.

    A plain record is a ``log`` row with no error, sandbox ID, repeat count or container ID
    that is some record's sandbox ID: enrichment leaves it as it is, it cannot anchor, start or
    end an attempt, and it only ever joins one by its time. Those are most rows of a busy
    node's journal, so they stay columnar (:data:`PLAIN_COLUMNS`); ``frame`` is in the event
    schema (:func:`multus_forensics.model.conform`).
    """
    import polars as pl

    keep, plainish = split_masks()
    # one pass for the masks; each side then copies only its own rows and columns
    marks = frame.select(keep.alias("_keep"), plainish.alias("_plainish"), "container_id")
    rows = frame.select(_COLUMNS).with_row_index("eid")
    recs, ident, order = _recs(rows.filter(marks["_keep"] & ~marks["_plainish"]))
    sandboxes = ident.get_column("sandbox_id").filter(ident.get_column("sandbox_id") != "")
    named = marks["container_id"].is_in(sandboxes.unique().implode())
    candidate = marks["_keep"] & marks["_plainish"]
    by_sandbox = candidate & named.fill_null(False)
    if by_sandbox.any():  # PLEG-like log rows naming a sandbox by its container ID
        more, more_ident, more_order = _recs(rows.filter(by_sandbox))
        recs = sorted([*recs, *more], key=lambda r: r.eid)
        ident = pl.concat([ident, more_ident]).sort("eid")
        order = pl.concat([order, more_order]).sort("eid")
    _rank(recs, order)
    plain = rows.select(PLAIN_COLUMNS).filter(candidate & ~by_sandbox)
    return recs, ident, plain


#: sort key of records made by one :func:`split`, equal in order to :func:`sort_key`
RANK: Final = attrgetter("rank")


def sort_key(rec: Rec) -> tuple[int, int, str, int]:
    """Timed records first in time order; untimed after, in file order."""
    if rec.us is None:
        return (1, 0, rec.file, rec.line)
    return (0, rec.us, rec.file, rec.line)
