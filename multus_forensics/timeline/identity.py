"""Pod identity resolution: which pod (namespace, name, UID) each event belongs to.

Sources name pods differently (FORMATS.md §2.7): kubelet lines name ``ns/name`` and rarely the
UID, KillPodSandbox names only the UID, runtime failures only the sandbox ID, describe output
only the name. A pod key is ``(namespace, name, uid)``; the joins are, in order of strength:
the event's own UID, the sandbox (or container) ID → UID map built from any event naming both,
and finally ``ns/name`` → UID. A name reused by a new pod (StatefulSet, same name, new UID) is
resolved by time: each UID has the span of times it was seen in, and a name-only event goes to
the UID whose span is nearest (same node preferred; equally near: the UID seen first). An
untimed name-only event goes to the most recent UID, since a pasted describe output is about the
pod as it is now.

Every step is a join or a group-by over the identity columns of all records, so resolving a
busy node's journal costs a few polars passes, not a Python loop per record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

PodKey = tuple[str | None, str | None, str | None]

#: columns :func:`resolve` reads (``time`` as integer microseconds, nulls allowed)
IDENTITY_COLUMNS = ("eid", "namespace", "pod", "pod_uid", "sandbox_id", "container_id", "t", "node")


def _first_by(ids: pl.DataFrame, value: list[str], need: str) -> pl.DataFrame:
    """``ident`` → first ``value`` columns, over (eid, sandbox before container) order."""
    import polars as pl

    return (
        ids.filter(pl.col(need).is_not_null())
        .group_by("ident", maintain_order=True)
        .agg(pl.col(c).first() for c in value)
    )


def resolve(ident: pl.DataFrame) -> pl.DataFrame:
    """Pod key of every record that belongs to a pod: columns ``eid``, ``k_ns``, ``k_pod``,
    ``k_uid``; node-level records (no UID, no name, no ID of a known pod) are absent.

    ``ident`` has :data:`IDENTITY_COLUMNS`, one row per record, in ``eid`` order.
    """
    import polars as pl

    # an empty UID, ID or node names nothing; an empty pod name is kept but joins nothing
    ident = ident.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c)
        for c in ("node", "pod_uid", "sandbox_id", "container_id")
    ).sort("eid")
    named = pl.col("pod").is_not_null() & (pl.col("pod") != "")
    uid_name = (
        ident.filter(pl.col("pod_uid").is_not_null() & named)
        .group_by("pod_uid", maintain_order=True)
        .agg(pl.col("namespace").first().alias("u_ns"), pl.col("pod").first().alias("u_pod"))
    )
    ids = pl.concat(
        [
            ident.select("eid", pl.lit(i).alias("pos"), pl.col(c).alias("ident"), "pod_uid", "namespace", "pod")
            for i, c in enumerate(("sandbox_id", "container_id"))
        ]
    ).filter(pl.col("ident").is_not_null()).sort("eid", "pos")  # fmt: skip
    id_uid = _first_by(ids, ["pod_uid"], "pod_uid")
    id_name = _first_by(ids.filter(named), ["namespace", "pod"], "pod")

    def by_id(col: str, table: pl.DataFrame, names: dict[str, str]) -> pl.DataFrame:
        renamed = table.rename({"ident": col, **names})
        return renamed.with_columns(pl.lit(True).alias(f"_hit_{col}"))

    out = ident
    for col in ("sandbox_id", "container_id"):
        suffix = "s" if col == "sandbox_id" else "c"
        out = out.join(by_id(col, id_uid, {"pod_uid": f"iu_{suffix}"}), on=col, how="left").drop(
            f"_hit_{col}"
        )
        out = out.join(
            by_id(col, id_name, {"namespace": f"in_ns_{suffix}", "pod": f"in_pod_{suffix}"}),
            on=col,
            how="left",
        ).rename({f"_hit_{col}": f"in_hit_{suffix}"})
    from_s = pl.col("in_hit_s").fill_null(False)
    from_c = pl.col("in_hit_c").fill_null(False)
    out = out.with_columns(
        pl.coalesce("pod_uid", "iu_s", "iu_c").alias("uid_of"),
        pl.when(from_s).then(pl.col("in_ns_s")).when(from_c).then(pl.col("in_ns_c")).alias("id_ns"),
        pl.when(from_s).then(pl.col("in_pod_s")).when(from_c).then(pl.col("in_pod_c")).alias("id_pod"),
        (from_s | from_c).alias("id_hit"),
    )  # fmt: skip
    # the name a UID goes by: its own (ns, name) from any record naming both, else the ID's
    out = out.join(uid_name.rename({"pod_uid": "uid_of"}), on="uid_of", how="left")
    known = pl.col("u_pod").is_not_null()
    with_uid = out.filter(pl.col("uid_of").is_not_null())
    spans = (
        with_uid.with_columns(
            pl.when(known)
            .then(pl.col("u_ns"))
            .when(pl.col("id_hit"))
            .then(pl.col("id_ns"))
            .alias("s_ns"),
            pl.when(known)
            .then(pl.col("u_pod"))
            .when(pl.col("id_hit"))
            .then(pl.col("id_pod"))
            .alias("s_pod"),
        )
        .filter(pl.col("s_pod").is_not_null())
        .group_by("s_ns", "s_pod", "uid_of", maintain_order=True)
        .agg(
            pl.col("t").min().alias("first"),
            pl.col("t").max().alias("last"),
            pl.col("node").drop_nulls().unique().alias("nodes"),
            pl.col("eid").min().alias("order"),
        )
    )
    keyed = with_uid.select(
        "eid",
        pl.when(known)
        .then(pl.col("u_ns"))
        .when(pl.col("pod").is_not_null())
        .then(pl.col("namespace"))
        .otherwise(pl.col("id_ns"))
        .alias("k_ns"),
        pl.when(known)
        .then(pl.col("u_pod"))
        .when(pl.col("pod").is_not_null())
        .then(pl.col("pod"))
        .otherwise(pl.col("id_pod"))
        .alias("k_pod"),
        pl.col("uid_of").alias("k_uid"),
    )
    by_name = _named_only(out.filter(pl.col("uid_of").is_null()), ident, spans)
    return pl.concat([keyed, by_name]).sort("eid")


def _named_only(rows: pl.DataFrame, ident: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """Keys of records without a UID: named through an ID, else by their own ``ns/name``; the
    UID is the one of that name whose seen-span is nearest (see the module docstring)."""
    import polars as pl

    # a name seen under exactly one namespace lends it to the records that omit it
    lone_ns = (
        ident.filter((pl.col("pod") != "") & pl.col("namespace").is_not_null())
        .group_by("pod")
        .agg(pl.col("namespace").unique().alias("_nss"))
        .filter(pl.col("_nss").list.len() == 1)
        .select("pod", pl.col("_nss").list.first().alias("lone_ns"))
    )
    refs = (
        rows.join(lone_ns, on="pod", how="left")
        .with_columns(
            pl.when(pl.col("id_hit"))
            .then(pl.col("id_ns"))
            .otherwise(pl.coalesce("namespace", "lone_ns"))
            .alias("k_ns"),
            pl.when(pl.col("id_hit"))
            .then(pl.col("id_pod"))
            .otherwise(pl.col("pod"))
            .alias("k_pod"),
        )
        .filter(pl.col("id_hit") | (pl.col("pod") != ""))
        .select("eid", "k_ns", "k_pod", "t", "node")
    )
    cand = refs.join(
        spans.rename({"s_ns": "k_ns", "s_pod": "k_pod"}),
        on=["k_ns", "k_pod"],
        how="left",
        nulls_equal=True,
    )
    here = pl.col("node").is_not_null() & pl.col("nodes").list.contains(pl.col("node")).fill_null(
        False
    )
    t, first, last = pl.col("t"), pl.col("first"), pl.col("last")
    distance = (
        pl.when(first.is_null())
        .then(pl.lit(None, dtype=pl.Int64))
        .when(t < first)
        .then(first - t)
        .when(t > last)
        .then(t - last)
        .otherwise(0)
    )
    rank = (
        pl.when(t.is_null())
        .then(-last.fill_null(-(2**62)))
        .otherwise(distance.fill_null(2**62))
        .alias("_rank")
    )
    picked = (
        cand.with_columns(here.alias("_here"))
        .filter(
            ~pl.col("_here").any().over("eid")
            | pl.col("_here")
            | (pl.col("nodes").list.len() == 0).fill_null(True)
        )
        .with_columns(rank)
        .sort("eid", "_rank", "order", nulls_last=True)
        .group_by("eid", maintain_order=True)
        .first()
    )
    return picked.select("eid", "k_ns", "k_pod", pl.col("uid_of").alias("k_uid"))


def key_label(key: PodKey) -> str:
    """``ns/name`` for display (``?`` for an unknown namespace)."""
    return f"{key[0] or '?'}/{key[1] or '?'}"
