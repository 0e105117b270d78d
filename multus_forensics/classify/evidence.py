"""Evidence items: which record, where exactly, and the part of it that decided.

A record can be kilobytes long (a kubelet ``err=`` that nests four CNI layers); what shows
*why* is the decisive match, usually in the leaf error near the end. The shown text is a
window around the rule's match, else around the leaf error, and the whole record stays one
click (HTML) or one flag (``--full-evidence``) away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from multus_forensics.classify.context import EventView, error_rows
from multus_forensics.classify.findings import (
    WINDOW_CHARS,
    Evidence,
    EvidenceItems,
    QuietRows,
    anchored,
    window,
)

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.context import Context


def evidence_of(view: EventView, claim: str, matched: str | None) -> Evidence:
    """The evidence item for ``view``; ``matched`` is the rule's match in it (None: context)."""
    event = view.event
    full = event.raw or event.message
    anchors = [matched] if matched else []
    # the leaf (an unwrapped chain) is read only when the match cannot place the window
    if len(full) > WINDOW_CHARS and not anchored(full, anchors) and view.leaf:
        anchors.append(view.leaf)
    return Evidence(event.file, event.line, window(full, anchors), claim, event.member, full)


@dataclass(frozen=True)
class Cited:
    """What a finding cites: its evidence items in input order, and the pods and nodes they
    name (sorted, distinct), as the views of those rows would give them."""

    evidence: Sequence[Evidence]
    pods: list[str]
    nodes: list[str]


def cite(
    ctx: Context,
    seen: Mapping[int, tuple[EventView | None, str]],
    matched: Mapping[int, str],
) -> Cited:
    """Evidence of the rows at ``seen``'s positions (view or None, claim), in position order.

    A row given without a view is read from the frame's columns in one gather when it carries
    no error text: then it has no chain, so its window is the start of its record and its pod
    is the one its columns name, as its view would say. Only the others become views: a
    Multus log's finding cites every add of its attempts, and tens of thousands of views of
    them were most of a diagnosis's time and memory. Those rows' items stay columns
    (:class:`~multus_forensics.classify.findings.EvidenceItems`), objects only when read.
    """
    import polars as pl

    views: dict[int, EventView] = {i: v for i, (v, _) in seen.items() if v is not None}
    #: items made for earlier findings of this diagnosis, by how they were made: rules of one
    #: pattern (a self-delegation and a duplicate request on one "already exists") cite the
    #: same hits, each item the same
    made: dict[tuple[Any, ...], Evidence] = ctx.memo("evidence", dict)
    pods: set[str] = set()
    nodes: set[str] = set()
    quiet: pl.DataFrame | None = None
    bare = sorted(i for i, (v, _) in seen.items() if v is None)
    if bare:
        chained, rows = _split_bare(ctx, bare)
        views.update(zip(chained, ctx.views_at(chained), strict=True))
        if rows.height:
            pods.update(rows.get_column("_pod").drop_nulls().unique().to_list())
            nodes.update(rows.get_column("node").drop_nulls().unique().to_list())
            claims = [seen[i][1] for i in rows.get_column("_pos").to_list()]
            quiet = rows.select(
                "file", "line", "member", pl.col("_full").alias("full"),
                pl.Series("claim", claims, dtype=pl.String),
            )  # fmt: skip
    for v in views.values():
        if v.pod:
            pods.add(v.pod)
        if v.event.node:
            nodes.add(v.event.node)
    slots: list[Evidence | int] = []
    q = 0
    for i in sorted(seen):
        if i not in views:  # a quiet row's: its row in the columns (in position order too)
            slots.append(q)
            q += 1
            continue
        key = ("view", i, seen[i][1], matched.get(i))
        item = made.get(key)
        if item is None:
            item = made[key] = evidence_of(views[i], key[2], key[3])
        slots.append(item)
    if quiet is None:
        return Cited(tuple(cast("list[Evidence]", slots)), sorted(pods), sorted(nodes))
    return Cited(EvidenceItems(slots, QuietRows(quiet)), sorted(pods), sorted(nodes))


def _split_bare(ctx: Context, bare: list[int]) -> tuple[list[int], pl.DataFrame]:
    """The positions among ``bare`` whose rows carry an error text (they need views), and the
    others' ``_pos``, ``file``, ``line``, ``member``, ``_full`` (raw, else message), ``_pod``
    (``ns/pod`` as :attr:`EventView.pod` writes it, null for none) and ``node`` (null for none),
    in position order."""
    import polars as pl

    def named(c: str) -> pl.Expr:
        return pl.col(c).fill_null("") != ""

    rows = ctx.frame.lazy().select(
        pl.col("file", "line", "member", "raw", "message", "node", "namespace", "pod", "kind",
               "level", "error").gather(pl.Series(bare, dtype=pl.Int64)),
        pl.Series("_pos", bare, dtype=pl.Int64),
    ).with_columns(error_rows().alias("_error"))  # fmt: skip
    out = rows.select(
        "_pos", "file", "line", "member", "_error",
        pl.when(named("raw")).then(pl.col("raw")).otherwise(pl.col("message")).alias("_full"),
        pl.when(named("pod") & named("namespace")).then(pl.col("namespace") + "/" + pl.col("pod"))
        .when(named("pod")).then(pl.col("pod")).alias("_pod"),
        pl.when(named("node")).then(pl.col("node")).alias("node"),
    ).collect()  # fmt: skip
    chained = out.filter(pl.col("_error")).get_column("_pos").to_list()
    return chained, out.filter(~pl.col("_error"))
