"""Evidence items: which record, where exactly, and the part of it that decided.

A record can be kilobytes long (a kubelet ``err=`` that nests four CNI layers); what shows
*why* is the decisive match, usually in the leaf error near the end. The shown text is a
window around the rule's match, else around the leaf error, and the whole record stays one
click (HTML) or one flag (``--full-evidence``) away.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from multus_forensics.classify.context import EventView, error_rows
from multus_forensics.classify.findings import WINDOW_CHARS, Evidence, anchored, window

if TYPE_CHECKING:
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


#: columns a cited row without a view is read from (besides :func:`error_rows`'s)
_CITED_COLUMNS = ("file", "line", "member", "raw", "message", "node", "namespace", "pod")


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
    import polars as pl

    views: dict[int, EventView] = {i: v for i, (v, _) in seen.items() if v is not None}
    plain: dict[int, Evidence] = {}
    pods: set[str] = set()
    nodes: set[str] = set()
    bare = sorted(i for i, (v, _) in seen.items() if v is None)
    if bare:
        rows = ctx.frame.select(*_CITED_COLUMNS, error_rows().alias("_error"))[
            pl.Series(bare, dtype=pl.Int64)
        ]
        errors = rows.get_column("_error").to_list()
        chained = [p for p, e in zip(bare, errors, strict=True) if e]
        views.update(zip(chained, ctx.views_at(chained), strict=True))
        quiet = rows.filter(~pl.col("_error"))
        columns = [quiet.get_column(c).to_list() for c in _CITED_COLUMNS]
        positions = [p for p, e in zip(bare, errors, strict=True) if not e]
        for i, file, line, member, raw, message, node, ns, pod in zip(
            positions, *columns, strict=True
        ):
            full = raw or message
            # no error text: no leaf to centre the window on (see evidence_of)
            plain[i] = Evidence(file, line, window(full, []), seen[i][1], member, full)
            if pod:
                pods.add(f"{ns}/{pod}" if ns else pod)
            if node:
                nodes.add(node)
    for v in views.values():
        if v.pod:
            pods.add(v.pod)
        if v.event.node:
            nodes.add(v.event.node)
    evidence = tuple(
        plain[i] if i in plain else evidence_of(views[i], seen[i][1], matched.get(i))
        for i in sorted(seen)
    )
    return Cited(evidence, sorted(pods), sorted(nodes))
