"""The add order of a netns-keyed input (a Multus log) drafted from its columns, without a
timeline: the timeline's answer, where it cannot differ.

``build_timelines`` makes a record object of every structured row and groups them per pod in
Python; a Multus log's pods are hundreds of thousands of ``Add`` rows, each carrying its
sandbox's netns, and that drafting was most of a diagnosis's time. When the rows of the pods
with adds are of the shape below, the timeline's attempts reduce to expressions:

* every ``Add`` carries a netns, no row a sandbox or container ID (none from its error chain
  either), no start marker, ``AddedInterface``, network-status, repeat count or thick-daemon
  request, and no plain log line names a pod;

then (``timeline.attempts.draft_attempts``) each pod's netns rows form one piece per netns,
the other rows join the nearest piece by time (a failure near none starts its own), the pieces
are the attempts in order of their first record, each attempt's add order is its adds in file
order and the re-entry anomaly reads that order. Pods are resolved by the timeline's own
``identity.resolve`` (records that each name their pod and one UID are keyed as they name it). Anything else returns ``None`` and the caller builds the timeline:
``tests/test_classify_addorder.py`` holds both equal on samples, corpus and generated logs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.classify.addorder import UNNAMED_POD, AttemptOrder, OrderRow

if TYPE_CHECKING:
    import polars as pl

#: what the records read of a row (``_records._COLUMNS``, with its position)
_COLUMNS: Final = ("_pos", "time", "node", "kind", "namespace", "pod", "pod_uid", "sandbox_id",
                   "container_id", "network", "interface", "ips", "message", "error", "fields",
                   "file", "line")  # fmt: skip
_MULTUS_TYPES: Final = frozenset({"multus", "multus-shim"})


def _truthy(column: str) -> pl.Expr:
    import polars as pl

    return pl.col(column).is_not_null() & (pl.col(column) != "")


def _structured(subset: pl.DataFrame) -> pl.DataFrame | None:
    """The rows ``_records.split`` makes records of; ``None`` when it would keep a plain row
    (one that could name a pod, placed by time: ``timeline.placement``)."""
    from multus_forensics.timeline._records import split_masks

    keep, plainish = split_masks()
    marks = subset.select((keep & plainish).alias("plain"), (keep & ~plainish).alias("rec"))
    if marks.get_column("plain").any():
        return None
    return subset.filter(marks.get_column("rec"))


def _guarded(rows: pl.DataFrame) -> bool:
    """Whether the records are of the shape the module docstring names."""
    import polars as pl

    from multus_forensics.timeline._records import START_KINDS, STATUS_KIND

    kind = pl.col("kind").fill_null("")
    bad = (
        _truthy("sandbox_id")
        | _truthy("container_id")
        | kind.is_in([*START_KINDS, STATUS_KIND, "multus:request", "kubelet:pod:sync-error"])
        | kind.str.starts_with("event:")
        | pl.col("fields").fill_null("").str.contains('"count"', literal=True)
    )
    return not rows.select(bad.any()).item()


def _facts(text: str) -> Any:
    """What answers ``get`` and ``op`` of ``text``'s chain: its shape's facts when the
    diagnosis peeled it (``chain.prime_shapes``), else the chain."""
    from multus_forensics.chain import shaped_facts, unwrap_error

    shaped = shaped_facts(text)
    return shaped if shaped is not None else unwrap_error(text)


def _enriched(rows: pl.DataFrame) -> tuple[pl.DataFrame, set[str]] | None:
    """``rows`` with what ``_records._enrich`` reads from each error chain: the identities it
    fills (UID; namespace and name where the row names no pod) and ``failure``
    (``Rec.is_add_failure``); and the names the Multus config goes by
    (``anomalies.multus_config_names``). ``None`` when a chain names a sandbox ID (the record
    would be keyed by it). Each distinct text is read once."""
    import polars as pl

    from multus_forensics.chain import unwrap_error
    from multus_forensics.model import decode_fields
    from multus_forensics.timeline._records import ADD_FAILURE_KINDS, DEL_FAILURE_KINDS
    from multus_forensics.timeline.anomalies import DEFAULT_MULTUS_NAMES

    failures = pl.col("kind").is_in(list(ADD_FAILURE_KINDS | DEL_FAILURE_KINDS))
    text = (
        pl.when(pl.col("error").is_not_null())
        .then(pl.col("error"))
        .when(failures)
        .then(pl.col("message"))
    )
    rows = rows.with_columns(text.alias("_text"))
    distinct = rows.select(pl.col("_text").filter(_truthy("_text")).unique())
    # a libcni layer names a multus plugin only where the text, unescaped, spells "multus"
    spelled = pl.col("_text").str.contains("multus", literal=True) | pl.col("_text").str.contains(
        "\\", literal=True
    )
    texts = distinct.with_columns(spelled.alias("_spelled"))
    names = set(DEFAULT_MULTUS_NAMES)
    deleting: list[bool] = []
    for t, spells in texts.iter_rows():
        facts = _facts(t)
        if facts.get("sandbox_id"):
            return None
        deleting.append(facts.op == "del")
        if spells:
            for layer in unwrap_error(t).find("libcni"):
                fields = layer.fields
                if fields.get("plugin_type") in _MULTUS_TYPES and "plugin_name" in fields:
                    names.add(fields["plugin_name"])
    for fields in rows.filter(pl.col("kind") == "multus:config").get_column("fields").to_list():
        config = decode_fields(fields).get("config")
        if isinstance(config, dict) and isinstance(config.get("name"), str):
            names.add(config["name"])
    ops = texts.select("_text", pl.Series("_del", deleting, pl.Boolean))
    rows = rows.join(ops, on="_text", how="left", maintain_order="left")
    failure = pl.col("kind").is_in(list(ADD_FAILURE_KINDS)) & (
        (pl.col("kind") != "multus:error") | ~pl.col("_del").fill_null(False)
    )
    rows = rows.with_columns(failure.alias("failure"))
    # identities a chain fills: only where the row lacks them
    lacking = _truthy("_text") & (~_truthy("pod_uid") | pl.col("pod").is_null())
    todo = rows.select(pl.arg_where(lacking)).to_series().to_list()
    if todo:
        picked = rows.select(pl.col("_text", "namespace", "pod", "pod_uid").gather(todo))
        ns, pods, uids = [], [], []
        for t, n, pod, uid in picked.iter_rows():
            facts = _facts(t)
            uids.append(uid or facts.get("pod_uid"))
            if pod is None and facts.get("pod") is not None:
                n, pod = n or facts.get("namespace"), facts.get("pod")
            ns.append(n)
            pods.append(pod)
        rows = rows.with_columns(
            rows.get_column(c).scatter(todo, pl.Series(values, dtype=pl.String))
            for c, values in (("namespace", ns), ("pod", pods), ("pod_uid", uids))
        )
    return rows.drop("_text", "_del"), names


def _identities(rows: pl.DataFrame) -> pl.DataFrame:
    """``eid`` (position) and the identity columns ``identity.resolve`` reads."""
    import polars as pl

    return rows.select(
        pl.col("_pos").alias("eid"),
        "namespace",
        "pod",
        "pod_uid",
        "sandbox_id",
        "container_id",
        pl.col("time").dt.epoch("us").alias("t"),
        "node",
    )


def _own_keys(rows: pl.DataFrame) -> pl.DataFrame | None:
    """``identity.resolve`` of records that each name their pod and UID, one (namespace, name)
    per UID (no sandbox or container ID: guarded): every record's key is its own. ``None``
    for any other input (then resolve answers)."""
    import polars as pl

    named = _truthy("pod") & _truthy("pod_uid")
    if not rows.select(named.all()).item():
        return None
    if rows.select(pl.struct("namespace", "pod").n_unique().over("pod_uid").max()).item() != 1:
        return None
    return rows.select(
        pl.col("_pos").alias("eid"),
        pl.col("namespace").alias("k_ns"),
        pl.col("pod").alias("k_pod"),
        pl.col("pod_uid").alias("k_uid"),
    )


def _netns(rows: pl.DataFrame) -> pl.Series | None:
    """``Rec.netns`` of every record, or ``None`` when one would need its fields decoded.

    A Multus add's fields in the exact shape Multus logs them (``_records._RESULT_SHAPE``) are
    valid JSON whose only sandbox path is the capture; the others are read by
    ``_records.netns_column``, as the timeline reads them."""
    import polars as pl

    from multus_forensics.timeline._records import _RESULT_SHAPE, netns_column

    kind = pl.col("kind")
    has = kind.str.starts_with("multus:") | kind.str.starts_with("runtime:cni")
    quick = rows.select(
        has.alias("has"),
        pl.when(has).then(pl.col("fields").str.extract(_RESULT_SHAPE, 1)).alias("netns"),
    )
    open_ = quick.select(pl.arg_where(pl.col("has") & pl.col("netns").is_null())).to_series()
    netns = quick.get_column("netns")
    if open_.len():
        known, values = netns_column(rows.select("kind", "fields")[open_])
        if not all(known):
            return None
        netns = netns.scatter(open_, pl.Series(values, dtype=pl.String))
    # an empty path keys nothing (``_keyed_pieces`` tests it for truth)
    return pl.select(pl.when(netns != "").then(netns)).to_series().alias("netns")


class _Piece:
    """Records grouped so far (``attempts.Piece``): span in µs and node, kept as records join;
    ``key`` is its first record's ``_records.sort_key``, ``gid`` its netns group (if any)."""

    __slots__ = ("eids", "first", "gid", "key", "last", "node")

    def __init__(
        self,
        first: int | None,
        last: int | None,
        node: str | None,
        eids: list[int],
        key: tuple[int, int, str, int],
        gid: int | None = None,
    ) -> None:
        self.first, self.last, self.node, self.eids, self.key = first, last, node, eids, key
        self.gid = gid

    def add(self, eid: int, us: int, node: str | None, key: tuple[int, int, str, int]) -> None:
        self.eids.append(eid)
        if self.node is None and node:
            self.node = node
        self.first = us if self.first is None else min(self.first, us)
        self.last = us if self.last is None else max(self.last, us)
        self.key = min(self.key, key)


def _first(piece: _Piece, us: int) -> int:
    return us if piece.first is None else piece.first


def _attach(
    pieces: list[_Piece],
    rest: Iterable[tuple[int, str, int | None, str | None, str, int, bool]],
) -> None:
    """``attempts._attach_rest`` over one pod's records without a netns (in record order),
    with the timeline's skew."""
    from datetime import timedelta

    from multus_forensics.timeline.attempts import POD_LEVEL_KINDS
    from multus_forensics.timeline.frames import DEFAULT_SKEW

    skew = DEFAULT_SKEW // timedelta(microseconds=1)

    for eid, kind, us, node, file, line, failure in rest:
        if kind in POD_LEVEL_KINDS or us is None:
            continue
        near = [
            p
            for p in pieces
            if p.first is not None
            and p.last is not None
            and not (node and p.node and node != p.node)
            and p.first - skew <= us <= p.last + skew
        ]
        key = (0, us, file, line)
        target = None
        if near:  # the nearest start; none when two are equally near (``attempts._closest``)
            ranked = sorted(near, key=lambda p: abs(_first(p, us) - us))
            if len(ranked) == 1 or abs(_first(ranked[0], us) - us) != abs(
                _first(ranked[1], us) - us
            ):
                target = ranked[0]
        if target is not None:
            target.add(eid, us, node, key)
        elif failure:
            pieces.append(_Piece(us, us, node or None, [eid], key))


def attempts_of(subset: pl.DataFrame) -> list[AttemptOrder] | None:
    """The attempts ``addorder._orders(build_timelines(subset))`` gives (before the unnamed
    re-entries), or ``None`` when ``subset`` (with ``_pos``) is not of the netns-keyed shape."""
    import polars as pl

    from multus_forensics.timeline.identity import resolve

    # only the columns records read: the rows are filtered once and every column is copied
    found = _structured(subset.select(_COLUMNS))
    if found is None:
        return None
    rows = found.with_columns(
        pl.when(_truthy("kind")).then(pl.col("kind")).otherwise(pl.lit("log")).alias("kind"),
        pl.col("file").fill_null(""),
        pl.col("line").fill_null(0),
        pl.col("message").fill_null(""),
        pl.when(_truthy("fields")).then(pl.col("fields")).otherwise(pl.lit("{}")).alias("fields"),
    )
    if rows.height == 0 or not _guarded(rows):
        return None
    netns = _netns(rows)
    if (
        netns is None
        or rows.select(((pl.col("kind") == "multus:add") & netns.is_null()).any()).item()
    ):
        return None  # (an add without a netns is grouped by the repeat rule and by time)
    got = _enriched(rows)
    if got is None:
        return None
    rows, names = got
    keys = _own_keys(rows)
    if keys is None:
        keys = resolve(_identities(rows))
    pod_keys = (
        keys.group_by("k_ns", "k_pod", "k_uid", maintain_order=True).agg().with_row_index("pid")
    )
    keys = keys.join(pod_keys, on=["k_ns", "k_pod", "k_uid"], how="left", nulls_equal=True)
    # each pod's records in the timeline's record order (time, file, line; then row)
    recs = (
        rows.select(
            pl.col("_pos").alias("eid"),
            pl.col("time").dt.epoch("us").alias("us"),
            "time",
            "kind",
            "node",
            "file",
            "line",
            "interface",
            "network",
            "ips",
            netns.alias("netns"),
            "failure",
        )
        .join(keys.select("eid", "pid"), on="eid", how="inner")
        .sort("pid", pl.col("us").is_null(), pl.col("us").fill_null(0), "file", "line", "eid")
        .with_row_index("r")
    )
    # a netns group is named by its first record's place in that order
    first_r = pl.col("r").min().over("pid", "netns").cast(pl.Int64)
    recs = recs.with_columns(pl.when(pl.col("netns").is_not_null()).then(first_r).alias("gid"))
    pieces = _netns_pieces(recs)
    rest = recs.filter(pl.col("netns").is_null())
    for pid, group in _runs(
        rest.select("pid", "eid", "kind", "us", "node", "file", "line", "failure")
    ):
        _attach(pieces.setdefault(pid, []), group)
    _pasted(pieces, rest)
    rows_of = _add_rows(recs)
    firsts = recs.group_by("pid").agg(pl.col("us").min().alias("first")).join(pod_keys, on="pid")
    out: list[AttemptOrder] = []
    for pid, label, named in _pod_order(firsts):
        own = sorted(pieces.get(pid, []), key=lambda p: p.key)
        if not named and not own:
            continue
        for index, piece in enumerate(own, start=1):
            adds = rows_of.get(piece.gid, ()) if piece.gid is not None else ()
            out.append(
                AttemptOrder(label, index, adds, frozenset(piece.eids), _reentry(adds, names))
            )
    return out


def _pasted(pieces: dict[int, list[_Piece]], rest: pl.DataFrame) -> None:
    """A pod with no piece gets one of its untimed failure reports (a pasted line), as
    ``attempts.draft_attempts`` gives it: at least one attempt failed."""
    import polars as pl

    untimed = rest.filter(pl.col("us").is_null() & pl.col("failure"))
    for pid, group in _runs(untimed.select("pid", "eid", "node", "file", "line")):
        if pieces.get(pid):
            continue
        eids: list[int] = []
        node: str | None = None
        key: tuple[int, int, str, int] | None = None
        for eid, node_, file, line in group:
            eids.append(eid)
            node = node or node_ or None
            key = key or (1, 0, file, line)
        assert key is not None
        pieces[pid] = [_Piece(None, None, node, eids, key)]


def _netns_pieces(recs: pl.DataFrame) -> dict[int, list[_Piece]]:
    """Per pod, a piece per netns in order of its first record (``attempts._keyed_pieces``
    with no sandbox ID): span, first non-empty node, members and first record's sort key."""
    import polars as pl

    keyed = recs.filter(pl.col("gid").is_not_null())
    node = pl.col("node")
    groups = (
        keyed.group_by("gid")
        .agg(
            pl.col("pid").first(),
            pl.col("us").min().alias("first"),
            pl.col("us").max().alias("last"),
            node.filter(node.is_not_null() & (node != "")).first().alias("node"),
            pl.col("eid"),
            pl.col("us").first().alias("us0"),
            pl.col("file").first(),
            pl.col("line").first(),
        )
        .sort("gid")
    )
    out: dict[int, list[_Piece]] = {}
    for gid, pid, first, last, node_, eids, us0, file, line in groups.iter_rows():
        key = (1, 0, file, line) if us0 is None else (0, us0, file, line)
        out.setdefault(pid, []).append(_Piece(first, last, node_, eids, key, gid))
    return out


def _runs(rest: pl.DataFrame) -> Iterator[tuple[int, Iterator[tuple[Any, ...]]]]:
    """``rest``'s rows (sorted by ``pid``, its first column) as (pid, the pod's other columns)."""
    for pid, group in itertools.groupby(rest.iter_rows(), key=lambda row: row[0]):
        yield pid, (row[1:] for row in group)


def _add_rows(recs: pl.DataFrame) -> dict[int, tuple[OrderRow, ...]]:
    """Per netns group, ``interfaces.add_rows`` of its Multus adds: those of the file that holds
    most of them (the first such in record order), in line order."""
    import polars as pl

    adds = recs.filter(pl.col("gid").is_not_null() & (pl.col("kind") == "multus:add"))
    if adds.select(pl.col("file").n_unique()).item() > 1:
        files = (
            adds.group_by("gid", "file")
            .agg(pl.len().alias("n"), pl.col("r").min().alias("r0"))
            .sort("gid", pl.col("n"), pl.col("r0"), descending=[False, True, False])
            .group_by("gid", maintain_order=True)
            .first()
        )
        adds = adds.join(files.select("gid", "file"), on=["gid", "file"], how="semi")
    adds = adds.sort("gid", "line", "r")
    made: list[OrderRow] = list(
        map(
            tuple.__new__,
            itertools.repeat(OrderRow),
            zip(
                adds.get_column("eid").to_list(),
                adds.get_column("interface").to_list(),
                adds.get_column("network").to_list(),
                adds.get_column("ips").to_list(),
                _shared(adds.get_column("time")),
                strict=True,
            ),
        )
    )
    out: dict[int, tuple[OrderRow, ...]] = {}
    start = 0
    runs = adds.group_by("gid", maintain_order=True).agg(pl.len().alias("n"))
    for gid, n in runs.iter_rows():
        out[gid] = tuple(made[start : start + n])
        start += n
    return out


def _shared(column: pl.Series) -> list[Any]:
    """``column.to_list()`` of a time column with one object per distinct time (a Multus
    log is stamped to the second: a datetime costs more to make than to look up)."""
    distinct = column.unique()
    if 2 * distinct.len() > column.len():
        return column.to_list()
    known = dict(zip(distinct.to_physical().to_list(), distinct.to_list(), strict=True))
    return list(map(known.__getitem__, column.to_physical().to_list()))


def _pod_order(firsts: pl.DataFrame) -> list[tuple[int, str, bool]]:
    """(pid, label, named) of every pod in the timeline's order: by its first record's time
    (untimed last), then label, then first appearance (``frames.build_timelines``)."""
    from multus_forensics.timeline.identity import key_label

    ranked = []
    for pid, first, ns, pod, uid in firsts.select(
        "pid", "first", "k_ns", "k_pod", "k_uid"
    ).iter_rows():
        label = key_label((ns, pod, uid))
        when = float("inf") if first is None else float(first)
        ranked.append((when, label, pid, UNNAMED_POD if pod == UNNAMED_POD else label, pod))
    ranked.sort(key=lambda x: (x[0], x[1], x[2]))
    return [(pid, shown, pod is not None) for _, _, pid, shown, pod in ranked]


def _reentry(rows: tuple[OrderRow, ...], names: set[str]) -> tuple[int, ...]:
    """``anomalies.attempt_anomalies``' ``self_delegation_reentry`` evidence, as positions."""
    from multus_forensics.timeline.interfaces import bare

    if not rows:
        return ()
    master = rows[0]
    seen_secondary = False
    for i, row in enumerate(rows[1:], start=1):
        if (
            row.interface == master.interface
            and seen_secondary
            and bare(row.network) in names
            and bare(row.network) != bare(master.network)
        ):
            secondaries = [r for r in rows[1:i] if r.interface != master.interface]
            return (master.position, *(s.position for s in secondaries), row.position)
        seen_secondary = seen_secondary or row.interface != master.interface
    return ()
