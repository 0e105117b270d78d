"""Pod references in every form the kubelet, CRI and Multus have printed, filled in one pass.

Parsers read the structured keys (``pod="ns/name"``, ``podUID``); older call sites and other
writers name the pod inside the text instead::

    pod "kube-flannel-8h8dx_kube-system(cc955a23-1b2c-4d5e-8f90-a1b2c3d4e5f6)"  kubelet format.Pod
    podName="web-0" podNamespace="shop"                                         structured pairs
    [lab/probe-6d8f9c7b54-qwz4n/7ad2f92f-...:macvlan-conf]                      Multus (v3.9+)
    [lab/probe-6d8f9c7b54-qwz4n:macvlan-conf]                                   Multus (v3.4-3.8)

:func:`fill_pod_refs` runs on every parsed stream (whichever path produced it), only on rows
that still have no pod, with polars expressions: the uid is kept in ``pod_uid`` and a Multus
network in ``network`` when the row has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

_NAME: Final = r"[a-z0-9][-a-z0-9.]*"
_UID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: kubelet ``format.Pod``: name_ns(uid); pod names never hold "_", so the first "_" splits
KUBELET_POD: Final = rf"(?:^|[^-a-z0-9._])(?P<name>{_NAME})_(?P<ns>{_NAME})\((?P<uid>{_UID})\)"
#: Multus cmdAdd/cmdDel prefix: [ns/name/uid:net] or [ns/name:net]
MULTUS_POD: Final = (
    rf"\[(?P<ns>{_NAME})/(?P<name>{_NAME})(?:/(?P<uid>{_UID}))?(?::(?P<net>[^\]\s:]+))?\]"
)


#: what a pod reference in text needs around it; one pass per column selects the candidates
_HINT: Final = r"_[-a-z0-9.]+\(|\[[a-z0-9][-a-z0-9.]*/"


def _candidates(df: pl.DataFrame) -> pl.Series:
    """Row numbers of rows whose text may name a pod the row does not have yet."""
    import polars as pl

    hinted = pl.col("pod").is_null() & (
        pl.col("message").str.contains(_HINT) | pl.col("error").str.contains(_HINT).fill_null(False)
    )
    text_rows = df.select(pl.arg_where(hinted).alias("rows"))["rows"]
    named = df.select(
        pl.arg_where(pl.col("namespace").is_null() & pl.col("pod").is_not_null()).alias("rows")
    )["rows"]
    if not named.is_empty():
        keyed = df["fields"][named].str.contains('"podNamespace"', literal=True)
        named = named.filter(keyed)
    return pl.concat([text_rows, named]).unique().sort()


#: the identity columns this pass fills
IDENTITY: Final = ("namespace", "pod", "pod_uid", "network")
#: rows whose text is read at a time: the text may view a mapped file
STEP_ROWS: Final = 65_536


def fill_pod_refs(df: pl.DataFrame, release: Callable[[], None] | None = None) -> pl.DataFrame:
    """``df`` with namespace, pod, pod_uid (and network) read from the text of pod-less rows.

    Candidates are found in steps of :data:`STEP_ROWS` rows, ``release`` called after each: a
    caller whose text columns view a mapped file drops the pages read so far.
    """
    import polars as pl

    if df.is_empty():
        return df
    found, subs = [], []
    for start in range(0, df.height, STEP_ROWS):
        step = df.slice(start, STEP_ROWS)
        rows = _candidates(step)
        # the rows' text is taken while this step's pages are in: a gather over the whole
        # frame would first merge the text columns' chunks, copying the file bytes they view
        subs.append(step.select(*IDENTITY, "message", "error", "fields")[rows])
        found.append(rows.cast(pl.Int64) + start)
        if release is not None:
            release()
    rows = pl.concat(found)
    if rows.is_empty():
        return df
    new = _new_values(pl.concat(subs))
    out = df.with_columns(df[c].cast(pl.String).scatter(rows, new[c]) for c in new.columns)
    if release is not None:
        release()
    return out


def _new_values(sub: pl.DataFrame) -> pl.DataFrame:
    """namespace, pod, pod_uid, network of the candidate rows ``sub`` after reading their text."""
    import polars as pl

    cols = IDENTITY
    text = pl.concat_str([pl.col("message"), pl.col("error").fill_null("")], separator="\n")
    k = text.str.extract_groups(KUBELET_POD)
    m = text.str.extract_groups(MULTUS_POD)
    podless = pl.col("pod").is_null()
    use_k = podless & k.struct.field("name").is_not_null()
    lettered = m.struct.field("ns").str.contains("[a-z]") & m.struct.field("name").str.contains(
        "[a-z]"
    )
    use_m = podless & ~use_k & m.struct.field("name").is_not_null() & lettered
    new = sub.select(
        pl.when(use_k)
        .then(k.struct.field("name"))
        .when(use_m)
        .then(m.struct.field("name"))
        .otherwise(pl.col("pod"))
        .alias("pod"),
        pl.when(use_k)
        .then(k.struct.field("ns"))
        .when(use_m)
        .then(m.struct.field("ns"))
        .otherwise(pl.col("namespace"))
        .alias("namespace"),
        pl.when((use_k | use_m) & pl.col("pod_uid").is_null())
        .then(pl.coalesce(k.struct.field("uid"), m.struct.field("uid")))
        .otherwise(pl.col("pod_uid"))
        .alias("pod_uid"),
        pl.when(use_m & pl.col("network").is_null())
        .then(m.struct.field("net"))
        .otherwise(pl.col("network"))
        .alias("network"),
        pl.col("fields"),
    )
    # podName= was read as the pod by the parsers; its podNamespace= is the namespace
    keyed = pl.col("fields").str.contains('"podNamespace"', literal=True)
    new = new.with_columns(
        pl.when(pl.col("namespace").is_null() & pl.col("pod").is_not_null() & keyed)
        .then(pl.col("fields").str.json_path_match("$.podNamespace"))
        .otherwise(pl.col("namespace"))
        .alias("namespace")
    )
    return new.select(cols)
