"""Rule matching of a bundle done stream by stream, where each stream was parsed.

Whether a row hits a rule (its kinds, the fragments it holds, its operation, the first of its
texts a pattern matches) depends on that row alone; what a diagnosis does with the hits
(predicates over the whole input, scoring, abstention, clustering, ordering) does not. So a
worker that parsed a stream also matches the packaged rules over the stream's kept rows
(:func:`match_stream`) and sends back, per rule, the lines it hit and the text that matched;
the diagnosis of the merged log (:func:`~multus_forensics.classify.engine.diagnose_frame`)
takes those hits (:func:`known_hits`) instead of matching again, and matches only the rows no
worker saw (lines no format took, read again by :mod:`.fallback`) and the rules no worker ran
(user rules, whose regex budget is the run's; rules over whole streams). The result is the
one-process result: a rule's hits are the union of per-row answers, in input order.

A row is named by ``(file, member, line)``, which is unique in a bundle (no line is in two
events of a stream). When it is not (an archive holding one member name twice), or the rules
differ from the ones the workers matched, the diagnosis matches everything itself and
:attr:`Matches.why_not` says why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.eventlog import EventLog

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.classify.catalog import Catalog, Rule
    from multus_forensics.classify.context import Context, EventView

#: the context's cache key of what :func:`install` resolved
_KEY: Final = "partial:matches"


def fingerprint(rule: Rule) -> str:
    """What decides a rule's per-row hits (its patterns, kinds, target, layer, operation), so
    hits found with one catalog are used only for the same rule in another."""
    parts = (
        rule.id,
        rule.target,
        rule.layer,
        rule.op,
        *rule.kinds,
        "\x00",
        *rule.pattern_texts,
        "\x00",
        *rule.exclude_texts,
        "\x00",
        *rule.partial_texts,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def splits(rule: Rule) -> bool:
    """Whether a worker matches ``rule`` per row: not a user rule (its regex budget is the
    run's, spent in input order), not a rule matched across the records of a stream, not a
    rule whose candidates a whole-input question narrows first (a required predicate with a
    domain, such as the re-entry adds of the add order: matched here among those few rows)."""
    from multus_forensics.classify.predicates import DOMAINS

    return (
        not rule.user
        and rule.target != "stream"
        and not any(name in DOMAINS for name in rule.requires)
    )


@dataclass
class StreamMatches:
    """One stream's hits: per rule fingerprint, the hit lines and the index of the text that
    matched in :attr:`texts` (each distinct text once)."""

    file: str
    member: str | None
    hits: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    #: the fingerprints of the rules matched (those this worker's catalog splits)
    rules: frozenset[str] = frozenset()
    #: why this stream's rows cannot be named by line (then the whole bundle is matched again)
    why_not: str | None = None


@dataclass
class Matches:
    """Every stream's :class:`StreamMatches`, as the merge received them."""

    streams: list[StreamMatches] = field(default_factory=list)
    why_not: str | None = None
    #: the events of every line no format took, read (and matched) where the streams were
    #: parsed, as the diagnosis would read them again from the files; ``None``: not read there
    unread: pl.DataFrame | None = None

    def add(self, part: StreamMatches) -> None:
        if part.why_not and self.why_not is None:
            self.why_not = part.why_not
        self.streams.append(part)


@dataclass(repr=False)  # (the log's own one-line repr)
class MatchedLog(EventLog):
    """An :class:`EventLog` of a bundle whose streams' rows were matched where they were parsed."""

    matches: Matches | None = None


def carried(inputs: object) -> Matches | None:
    """The matches a :class:`MatchedLog` carries (``None`` for any other input)."""
    return inputs.matches if isinstance(inputs, MatchedLog) else None


def carried_unread(inputs: object) -> pl.DataFrame | None:
    """The unread lines' events the workers read (:attr:`Matches.unread`), so the diagnosis
    need not decompress the bundle again to find them; ``None`` when they were not read."""
    matches = carried(inputs)
    return None if matches is None else matches.unread


_PACKAGED: dict[str, Catalog] = {}
#: per rule fingerprint, each distinct text's match, shared by the streams one worker process
#: matches (a text repeats on every node); dropped past :data:`MEMO_TEXTS` texts
_MEMO: dict[str, dict[str, Any]] = {}
MEMO_TEXTS: Final = 50_000


def _packaged() -> Catalog:
    """The packaged catalog, loaded once per worker process."""
    from multus_forensics.classify.catalog import load_catalog

    if "catalog" not in _PACKAGED:
        _PACKAGED["catalog"] = load_catalog(plugins=False)
    return _PACKAGED["catalog"]


def _shared_memo(rule: Rule) -> dict[str, Any]:
    if sum(len(m) for m in _MEMO.values()) > MEMO_TEXTS:
        _MEMO.clear()
    return _MEMO.setdefault(fingerprint(rule), {})


def match_stream(frame: pl.DataFrame, file: str, member: str | None) -> StreamMatches:
    """The packaged rules' per-row hits over one stream's rows (runs where it was parsed).

    Only rows holding a catalog fragment can be candidates of a rule whose patterns name one
    (every packaged rule's do), so the context is made of those rows alone."""
    from multus_forensics.chain import prime_shapes, shaped_chains
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.engine import matches_key, row_hits
    from multus_forensics.classify.predicates import MARKERS
    from multus_forensics.classify.select import catalog_needles, rule_needles, text_mask
    from multus_forensics.gcpause import gc_paused

    out = StreamMatches(file, member)
    if not frame.height:
        return out
    lines = frame.get_column("line")
    if lines.null_count() or lines.is_duplicated().any():
        out.why_not = f"{file}{'!' + member if member else ''}: rows not named by their line"
        return out
    catalog = _packaged()
    rules = [r for r in catalog.rules if splits(r)]
    needles = catalog_needles(catalog.rules, MARKERS)
    if all(rule_needles(r) is not None for r in rules):
        frame = frame.filter(text_mask(needles))
    text_ids: dict[str, int] = {}
    with shaped_chains(), gc_paused():
        ctx = Context.of_frame(frame, needles)
        small = ctx.prime_small(catalog.rules)
        if not small:
            ctx.prime(catalog.rules)
            prime_shapes(ctx.texty.get_column("error").drop_nulls())
        views = ctx.views_at(range(ctx.size))  # at once: one gather, not one per rule
        for rule in rules:
            ctx.cache[matches_key(rule)] = _shared_memo(rule)
            found = row_hits(rule, ctx, None if small else _pool(rule, ctx, views))
            if not found:
                continue
            hit_lines = [v.event.line for v, _ in found]
            ids = [text_ids.setdefault(t, len(text_ids)) for _, t in found]
            out.hits[fingerprint(rule)] = (hit_lines, ids)
    out.texts = list(text_ids)
    out.rules = frozenset(fingerprint(r) for r in rules)
    return out


def _pool(rule: Rule, ctx: Context, views: list[EventView]) -> list[EventView] | None:
    """``ctx.candidates(rule, errors_only=...)`` read from the rows :meth:`Context.prime`
    marked, tested here rather than by a query per rule (each cost more than the stream's
    rows: three milliseconds, twice per rule). An error rule's rows are those with an error
    text (which every row of ``error_rows()`` it keeps has). ``None`` when not primed."""
    marked = ctx.marked_rows(rule)
    if marked is None:
        return None
    kinds = frozenset(rule.kinds)
    pool = [views[i] for i in marked if not kinds or views[i].event.kind in kinds]
    return [v for v in pool if v.error_text] if rule.target == "error" else pool


@dataclass
class _Resolved:
    """The matches mapped to the context's positions."""

    #: rule fingerprint -> [(position, text)] in input order
    by_rule: dict[str, list[tuple[int, str]]]
    #: the fingerprints every stream was matched with
    matched: frozenset[str]
    #: positions no worker matched (rows read again from unrecognised lines)
    rest: frozenset[int]


def install(ctx: Context, matches: Matches | None, catalog: Catalog) -> bool:
    """Map ``matches`` onto ``ctx``'s rows; whether every rule a worker can match was matched
    (then the context need not find every rule's candidates). Leaves nothing installed when the
    matches cannot be used (rows not named uniquely by line), and says why in
    :attr:`Matches.why_not`."""
    import polars as pl

    from multus_forensics.classify.fallback import FALLBACK_FORMAT

    if matches is None or matches.why_not is not None:
        return False
    rules = [r for r in catalog.rules if splits(r)]
    seen = [s.rules for s in matches.streams if s.hits or s.rules]
    if not rules or not seen:
        return False
    packaged = frozenset.intersection(*seen)
    places = [(s.file, s.member or "") for s in matches.streams if s.hits or s.rules]
    if len(set(places)) != len(places):
        twice = next(p for p in places if places.count(p) > 1)
        matches.why_not = (
            f"{twice[0]}!{twice[1]} is in the archive twice: its rows are not named by line"
        )
        return False
    keys = pl.col("file"), pl.col("member").fill_null("").alias("_m"), pl.col("line")
    rows = ctx.frame.select(*keys).with_row_index("_pos")
    place = pl.concat_str(pl.col("file"), pl.lit("\x00"), pl.col("_m"))
    seen_places = pl.Series([f"{f}\x00{m}" for f, m in places], dtype=pl.String)
    rest = (
        rows.with_columns(ctx.frame.get_column("format"))
        .filter(
            ~place.is_in(seen_places.implode())
            | ((pl.col("format") == FALLBACK_FORMAT) & (matches.unread is None))
        )
        .get_column("_pos")
    )
    hit_rows: list[tuple[str, str, int, str, int]] = []
    for s in matches.streams:
        for fp, (lines, ids) in s.hits.items():
            hit_rows.extend(
                (s.file, s.member or "", line, fp, i) for line, i in zip(lines, ids, strict=True)
            )
    by_rule: dict[str, list[tuple[int, str]]] = {}
    if hit_rows:
        texts = [s.texts for s in matches.streams]
        stream_of: dict[tuple[str, str], int] = {
            (s.file, s.member or ""): k for k, s in enumerate(matches.streams)
        }
        hits = pl.DataFrame(
            hit_rows,
            schema={
                "file": pl.String,
                "_m": pl.String,
                "line": pl.Int64,
                "fp": pl.String,
                "text": pl.Int64,
            },
            orient="row",
        )
        placed = hits.join(rows, on=["file", "_m", "line"], how="left")
        if placed.height != hits.height or placed.get_column("_pos").null_count():
            matches.why_not = "a row a worker matched is not in the merged log once"
            return False
        for file, member, fp, text, pos in placed.select(
            "file", "_m", "fp", "text", "_pos"
        ).iter_rows():
            by_rule.setdefault(fp, []).append((int(pos), texts[stream_of[(file, member)]][text]))
        for found in by_rule.values():
            found.sort()
    ctx.cache[_KEY] = _Resolved(by_rule, packaged, frozenset(rest.to_list()))
    return all(fingerprint(r) in packaged for r in rules)


def known_hits(rule: Rule, ctx: Context) -> tuple[list[tuple[int, str]], frozenset[int]] | None:
    """``rule``'s hits found by the workers (position, matched text), and the positions they
    did not see; ``None`` when the workers did not match this rule."""
    resolved: _Resolved | None = ctx.cache.get(_KEY)
    if resolved is None or not splits(rule):
        return None
    fp = fingerprint(rule)
    if fp not in resolved.matched:
        return None
    return resolved.by_rule.get(fp, []), resolved.rest
