"""Evidence items: which record, where exactly, and the part of it that decided.

A record can be kilobytes long (a kubelet ``err=`` that nests four CNI layers); what shows
*why* is the decisive match, usually in the leaf error near the end. The shown text is a
window around the rule's match, else around the leaf error, and the whole record stays one
click (HTML) or one flag (``--full-evidence``) away.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from multus_forensics.classify.context import EventView, error_rows
from multus_forensics.classify.findings import WINDOW_CHARS, Evidence, anchored, window

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

    evidence: tuple[Evidence, ...]
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
    them were most of a diagnosis's time and memory.
    """
    views: dict[int, EventView] = {i: v for i, (v, _) in seen.items() if v is not None}
    #: items made for earlier findings of this diagnosis, by how they were made: rules of one
    #: pattern (a self-delegation and a duplicate request on one "already exists") cite the
    #: same hits and attempt rows, each item the same
    made: dict[tuple[Any, ...], Evidence] = ctx.memo("evidence", dict)
    pods: set[str] = set()
    nodes: set[str] = set()
    bare = sorted(i for i, (v, _) in seen.items() if v is None)
    if bare:
        chained, quiet = _split_bare(ctx, bare)
        views.update(zip(chained, ctx.views_at(chained), strict=True))
        if quiet.height:
            pods.update(quiet.get_column("_pod").drop_nulls().unique().to_list())
            nodes.update(quiet.get_column("node").drop_nulls().unique().to_list())
            positions = quiet.get_column("_pos").to_list()
            keys = [("quiet", i, seen[i][1]) for i in positions]
            todo = [k for k, key in enumerate(keys) if key not in made]
            if todo:
                rows = quiet if len(todo) == len(keys) else quiet[todo]
                made.update(zip([keys[k] for k in todo], _quiet_evidence(rows, seen), strict=True))
    for v in views.values():
        if v.pod:
            pods.add(v.pod)
        if v.event.node:
            nodes.add(v.event.node)
    evidence = []
    for i in sorted(seen):
        claim = seen[i][1]
        if i not in views:  # a quiet row's
            evidence.append(made[("quiet", i, claim)])
            continue
        key = ("view", i, claim, matched.get(i))
        item = made.get(key)
        if item is None:
            item = made[key] = evidence_of(views[i], claim, key[3])
        evidence.append(item)
    return Cited(tuple(evidence), sorted(pods), sorted(nodes))


def _quiet_evidence(
    quiet: pl.DataFrame, seen: Mapping[int, tuple[EventView | None, str]]
) -> list[Evidence]:
    """The items of rows without an error text (``_split_bare``'s frame), in its order: no
    leaf to centre the window on (see :func:`evidence_of`), so a record longer than the
    window shows its start, and a shorter one is its own text."""
    import polars as pl

    fulls = quiet.get_column("_full").to_list()
    long = quiet.select(pl.arg_where(pl.col("_full").str.len_chars() > WINDOW_CHARS))
    texts = list(fulls)
    for k in long.to_series().to_list():
        texts[k] = window(fulls[k], [])
    claims = [seen[i][1] for i in quiet.get_column("_pos").to_list()]
    files, lines, members = (_shared(quiet.get_column(c)) for c in ("file", "line", "member"))
    return list(
        itertools.starmap(Evidence, zip(files, lines, texts, claims, members, fulls, strict=True))
    )


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


def _shared(column: pl.Series) -> list[Any]:
    """``column.to_list()`` with one object per distinct value (a file's name, held by every
    item citing it, is one string)."""
    import polars as pl

    if column.len() and column.n_unique() == 1:  # one file's name, or no member: one object
        return [column[0]] * column.len()
    values = column.to_list()
    if column.dtype != pl.String:
        return values
    seen: dict[Any, Any] = {}
    return [seen.setdefault(v, v) for v in values]
