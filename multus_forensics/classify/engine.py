"""``diagnose()``: match the catalog against events in context, score, rank and explain.

Confidence of a hypothesis = the rule's base, plus the ``raise`` conditions that hold, minus the
``lower`` ones, plus corroboration (several sources or files, repetition across attempts), minus
a penalty when the whole input is one pasted line or only raw unparsed lines. Every root cause
with a firing rule yields a finding (from its best-scoring rule), so same-surface look-alikes
appear side by side, best first, instead of one hiding the other.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.chain import prime_shapes, shaped_chains
from multus_forensics.classify.abstain import abstain
from multus_forensics.classify.catalog import Catalog, Rule, load_catalog, start_budget
from multus_forensics.classify.context import Context, EventView, unwrapped_text
from multus_forensics.classify.differential import differentiate
from multus_forensics.classify.evidence import cite
from multus_forensics.classify.fallback import FALLBACK_FORMAT, unrecognised_events
from multus_forensics.classify.findings import Diagnosis, Finding
from multus_forensics.classify.normalise import Skeleton, pattern_skeleton, transit_adjust
from multus_forensics.classify.partial import (
    Matches,
    carried,
    carried_unread,
    install,
    known_hits,
)
from multus_forensics.classify.predicates import (
    NESTED_PATTERN,
    PREDICATES,
    Batch,
    Hit,
    Outcome,
    Rows,
    outcomes,
)
from multus_forensics.gcpause import gc_paused
from multus_forensics.model import Event, events_to_frame

if TYPE_CHECKING:
    import polars as pl
    import regex

    from multus_forensics.eventlog import EventLog
    from multus_forensics.timeline import Timelines

CORROBORATION: Final = 0.05
REPETITION: Final = 0.05
SINGLE_LINE_PENALTY: Final = 0.1
UNRECOGNISED_PENALTY: Final = 0.1
FLOOR, CEILING = 0.05, 0.97


def _log_stats(log: EventLog) -> dict[str, int]:
    s = log.stats
    return {
        "files": len(s.files),
        "lines": s.lines,
        "events": s.events,
        "unparsed_lines": s.unparsed_lines,
        "header_lines": s.header_lines,
    }


def _unreadable(log: EventLog) -> list[tuple[str, str]]:
    return [
        (f.file + (f"!{f.member}" if f.member else ""), f.skipped)
        for f in log.stats.files
        if f.skipped and f.lines == 0 and "empty" not in f.skipped
    ]


def _events(
    inputs: Any, parse_kwargs: dict[str, Any]
) -> tuple[pl.DataFrame, dict[str, int], list[tuple[str, str]]]:
    """The event frame and input statistics from paths, an EventLog, a frame or Event objects."""
    import polars as pl

    from multus_forensics.eventlog import EventLog
    from multus_forensics.model import conform, events_to_frame

    if (paths := _paths(inputs)) is not None:
        from multus_forensics.pipeline import parse

        inputs = parse(paths, **parse_kwargs)
    if isinstance(inputs, EventLog):
        # lines no parser took are re-read from the files the log names (not from stdin)
        # (a bundle's workers read them where they parsed each stream: carried_unread)
        unread = carried_unread(inputs)
        frame = inputs.frame
        if unread is not None:
            if unread.height:
                frame = pl.concat([frame, unread], how="vertical_relaxed")
            return frame, _log_stats(inputs), _unreadable(inputs)
        on_disk = sorted({f.file for f in inputs.stats.files if Path(f.file).is_file()})
        extra = unrecognised_events(on_disk, inputs.stats.files, inputs.issues)
        if extra:
            frame = pl.concat([frame, events_to_frame(extra)], how="vertical_relaxed")
        return frame, _log_stats(inputs), _unreadable(inputs)
    if isinstance(inputs, pl.LazyFrame):  # a scan of events on disk (see scan_events)
        inputs = conform(inputs.collect())
    if isinstance(inputs, pl.DataFrame):
        frame = inputs
    else:
        events = list(inputs)
        if not all(isinstance(e, Event) for e in events):
            raise TypeError(
                "diagnose() takes paths, an EventLog, an event frame or scan, or Event objects"
            )
        frame = events_to_frame(events)
    files = frame.select(pl.struct("file", "member").n_unique()).item() if frame.height else 0
    stats = {
        "files": int(files),
        "lines": int(frame.get_column("nlines").sum() or 0),
        "events": frame.height,
        "unparsed_lines": 0,
    }
    return frame, stats, []


#: a file with more records of a stream rule's kinds than this is joined only in windows around
#: the records that hold the rule's literals (a config dump spans tens of records, not thousands)
STREAM_WHOLE_FILE: Final = 5000
STREAM_WINDOW: Final = (50, 200)


def _stream_groups(rule: Rule, ctx: Context) -> list[list[int]]:
    """Positions of the records each stream match is sought in: per file, in input order."""
    import polars as pl

    from multus_forensics.classify.select import rule_kinds, rule_needles, text_mask

    needles = rule_needles(rule)
    cand: pl.Expr = pl.lit(True) if needles is None else text_mask(needles)
    member = pl.col("member").fill_null("").alias("_m")
    # the files holding a candidate, from the pre-filtered rows when the needles allow it
    if needles is not None and ctx.needles is not None and needles <= ctx.needles:
        seen = ctx.texty.lazy()
        held = ctx.holding(needles)
        if held is not None:  # the rows holding them, as the one fragment pass found them
            cand = pl.col("_pos").is_in(held.implode())
    else:
        seen = ctx.frame.lazy()
    files = seen.filter(rule_kinds(rule) & cand).select("file", member).unique().collect()
    if files.is_empty():
        return []
    base = (
        ctx.frame.lazy()
        .with_row_index("_pos")
        .filter(rule_kinds(rule))
        .with_columns(member)
        .join(files.lazy(), on=["file", "_m"])
        .with_columns(cand.alias("_cand"))
    )
    rows = base.sort("_pos").select("_pos", "file", "_m", "_cand")
    grouped: dict[tuple[str, str], list[tuple[int, bool]]] = {}
    for pos, file, member, flag in rows.collect().iter_rows():
        grouped.setdefault((file, member), []).append((int(pos), bool(flag)))
    out = []
    for items in grouped.values():
        if len(items) <= STREAM_WHOLE_FILE:
            out.append([p for p, _ in items])
            continue
        keep: set[int] = set()
        before, after = STREAM_WINDOW
        for i, (_, flag) in enumerate(items):
            if flag:
                keep.update(range(max(0, i - before), min(len(items), i + after + 1)))
        out.append([items[i][0] for i in sorted(keep)])
    return out


def _stream_hits(rule: Rule, ctx: Context) -> list[Hit]:
    """Matches over each file's records (raw text) joined in order; the hit is the event the match starts in."""
    hits: list[Hit] = []
    for positions in _stream_groups(rule, ctx):
        views = ctx.views_at(positions)
        starts, parts, pos = [], [], 0
        for v in views:
            text = unwrapped_text(v.event.raw or v.event.message)
            starts.append(pos)
            parts.append(text)
            pos += len(text) + 1
        joined = "\n".join(parts)
        m = rule.first_match(joined)
        if m is None:
            continue
        idx = bisect.bisect_right(starts, m.start()) - 1
        hits.append(Hit(rule, views[idx], m))
    return hits


#: candidates of one rule from which their texts' skeletons are tested in one vectorised pass
#: (below, each view's own test costs less than the query)
VECTOR_POOL: Final = 256


def _may_hold(rule: Rule, ctx: Context, views: list[EventView]) -> list[bool]:
    """Per view, :meth:`Texts.may_hold` of the rule's skeletons: for many views in one pass
    over their rows (each view's own test below :data:`VECTOR_POOL`)."""
    skeletons = rule.skeletons
    if skeletons is None or len(views) < VECTOR_POOL:
        return [v.texts.may_hold(skeletons) for v in views]
    for v in views:  # (as the test of each view would: its texts count as read)
        v.texts.started = True
    return _holds_at(ctx, views, skeletons)


def _holds_at(ctx: Context, views: list[EventView], skeletons: Sequence[Skeleton]) -> list[bool]:
    """Per view, whether its texts may hold a match of one of ``skeletons``, as
    :meth:`Texts.may_hold` answers, for all of them in one pass over their rows."""
    import polars as pl

    from multus_forensics.classify.normalise import may_hold_expr

    rows = ctx.frame.select("error", "message", "raw")[pl.Series([v.index for v in views])]
    held = pl.any_horizontal(may_hold_expr(pl.col(c), skeletons) for c in rows.columns)
    return rows.select(held).to_series().to_list()


#: predicates that test a hit's texts against a pattern's skeleton (``Texts.may_hold``), and
#: that pattern: the engine answers the test for many hits at once before scoring them
SKELETON_TESTS: Final = {"nested_multus_delegate": NESTED_PATTERN}


def _prime_holds(rule: Rule, ctx: Context, hits: list[Hit]) -> None:
    """Answer the skeleton test of the one predicate of ``rule`` that makes one (see
    :data:`SKELETON_TESTS`) for every hit at once, from :data:`VECTOR_POOL` hits on."""
    named = {*rule.requires, *rule.forbids, *(a.predicate for a in rule.adjustments)}
    patterns = {SKELETON_TESTS[n] for n in named if n in SKELETON_TESTS}
    if len(hits) < VECTOR_POOL or len(patterns) != 1:
        return
    skeletons = (pattern_skeleton(patterns.pop()),)
    views = list({id(h.view): h.view for h in hits if not h.view.texts.primed(skeletons)}.values())
    if len(views) < VECTOR_POOL:
        return
    for v, held in zip(views, _holds_at(ctx, views, skeletons), strict=True):
        v.texts.prime_hold(skeletons, held)


def matches_key(rule: Rule) -> str:
    """The memo of ``rule``'s per-text matches (:func:`_matcher`): shared by the packaged rules
    of one matching definition, a user rule's own."""
    return f"matches:{rule.id}" if rule.user else f"matches:{rule.matching!r}"


def _matcher(rule: Rule, ctx: Context) -> Callable[[str], regex.Match[str] | None]:
    """``rule.first_match``, each distinct text matched once per diagnosis and matching
    definition: packaged rules that differ only in what a match means (same patterns,
    exclusions and partial fragments, e.g. self-delegation and a duplicate request on one
    "already exists") share their matches; a user rule's own (its searches spend its budget)."""
    key = matches_key(rule)
    matches: dict[str, regex.Match[str] | None] = ctx.memo(key, dict)
    # the fragment pre-test spares the searches of texts that cannot match; once most of a
    # sample of distinct texts matched, it is dropped (it would only add to each search)
    tried: list[int] = ctx.memo(f"tried:{key}", lambda: [0, 0])

    def match(text: str) -> regex.Match[str] | None:
        if text not in matches:
            pretest = rule.user or tried[0] < PRETEST_SAMPLE or tried[1] * 10 < tried[0] * 9
            found = matches[text] = rule.first_match(text, pretest=pretest)
            tried[0] += 1
            tried[1] += found is not None
        return matches[text]

    return match


#: distinct texts a rule matches with its fragment pre-test before its hit rate may drop it
PRETEST_SAMPLE: Final = 256


def _any_layer_hits(rule: Rule, ctx: Context, pool: list[EventView]) -> list[Hit]:
    """Each view's first text matching ``rule``, its texts tried in order: the first (the
    error as logged, where most matches are) of every view, then the others of the views
    whose texts' skeletons can hold a match (tested for all of them at once). When most first
    texts of a sample miss (a rule whose literals many rows hold but whose pattern few match),
    every other view's texts are tested at once before its first text is matched. A user rule
    (no skeletons: every text may match) tries each view's texts in turn."""
    match = _matcher(rule, ctx)
    found: dict[int, regex.Match[str]] = {}
    if rule.user:  # each view's texts in turn: its searches spend the run's budget in order
        for k, v in enumerate(pool):
            if rule.op != "any" and v.op != rule.op:
                continue
            for text in v.texts:
                m = match(text)
                if m is not None:
                    found[k] = m
                    break
        return [Hit(rule, pool[k], found[k]) for k in sorted(found)]
    eligible = [k for k, v in enumerate(pool) if rule.op == "any" or v.op == rule.op]
    # the first texts of a sample first; when most of them miss, the texts of the other views
    # are tested at once, and a view none of whose texts can hold a match is not matched at all
    sample, later = eligible[:VECTOR_POOL], eligible[VECTOR_POOL:]
    rest = _first_texts(pool, sample, match, found)
    if later and len(found) * 2 < len(sample):
        may = _may_hold(rule, ctx, [pool[k] for k in later])
        can = [k for k, yes in zip(later, may, strict=True) if yes]
        missed = _first_texts(pool, can, match, found)  # (their other texts can hold one)
    else:
        rest += _first_texts(pool, later, match, found)
        missed = []
    held = _may_hold(rule, ctx, [pool[k] for k in rest])
    for k in sorted([*missed, *(k for k, yes in zip(rest, held, strict=True) if yes)]):
        for text in pool[k].texts.after_first():
            m = match(text)
            if m is not None:
                found[k] = m
                break
    return [Hit(rule, pool[k], found[k]) for k in sorted(found)]


def _first_texts(
    pool: list[EventView],
    ks: list[int],
    match: Callable[[str], regex.Match[str] | None],
    found: dict[int, regex.Match[str]],
) -> list[int]:
    """Match the first text of each view at ``ks`` into ``found``; the views it missed."""
    missed: list[int] = []
    for k in ks:
        first = pool[k].texts.first()
        if first is None:
            continue
        m = match(first)
        if m is not None:
            found[k] = m
        else:
            missed.append(k)
    return missed


def _layer_texts(rule: Rule, view: EventView) -> Iterable[str]:
    if rule.layer == "leaf":
        return (unwrapped_text(view.leaf),)
    text = view.from_layer(rule.layer)
    return (unwrapped_text(text),) if text else ()


def _domain(rule: Rule, ctx: Context) -> frozenset[int] | None:
    """Positions where every required predicate with a known domain can hold (None: anywhere)."""
    from multus_forensics.classify.predicates import DOMAINS

    found: frozenset[int] | None = None
    for name in rule.requires:
        if name in DOMAINS:
            dom: frozenset[int] = ctx.memo(f"domain:{name}", partial(DOMAINS[name], ctx))
            found = dom if found is None else found & dom
    return found


def _matched(rule: Rule, ctx: Context, within: frozenset[int] | None) -> list[Hit]:
    """A record or error rule's hits before its predicates: each candidate row (among
    ``within`` when given) and the first of its texts the rule matches."""
    pool = ctx.candidates(rule, errors_only=rule.target == "error", within=within)
    if rule.layer == "any":
        return _any_layer_hits(rule, ctx, pool)
    return _layered_hits(rule, ctx, pool)


def row_hits(
    rule: Rule, ctx: Context, pool: list[EventView] | None = None
) -> list[tuple[EventView, str]]:
    """The per-row part of :func:`rule_hits` (a view's hit depends on its row alone): each
    hit's view and the text that matched, among ``pool`` when given (the rule's candidates,
    as :meth:`Context.candidates` would list them). Run where a bundle's stream was parsed
    (:mod:`multus_forensics.classify.partial`)."""
    if pool is None:
        hits = _matched(rule, ctx, None)
    elif rule.layer == "any":
        hits = _any_layer_hits(rule, ctx, pool)
    else:
        hits = _layered_hits(rule, ctx, pool)
    memo: dict[str, regex.Match[str] | None] = ctx.memo(matches_key(rule), dict)
    texts: dict[int, str] = {}

    def text(m: regex.Match[str]) -> str:
        """The text ``m`` was found in (a partial match searches it without its cut mark)."""
        if memo.get(m.string) is m:
            return m.string
        if not texts:
            texts.update((id(v), t) for t, v in memo.items() if v is not None)
        return texts[id(m)]

    return [(h.view, text(h.match)) for h in hits]


def _known(
    rule: Rule,
    ctx: Context,
    known: tuple[list[tuple[int, str]], frozenset[int]],
    within: frozenset[int] | None,
) -> list[Hit]:
    """:func:`_matched` from the hits the workers found (position, matched text), the rows
    they did not see matched here; in input order, as :func:`_matched` returns them."""
    found, rest = known
    match = _matcher(rule, ctx)
    kept = [(p, t) for p, t in found if within is None or p in within]
    hits: list[Hit] = []
    for v, (_, text) in zip(ctx.views_at(p for p, _ in kept), kept, strict=True):
        m = match(text)
        assert m is not None, f"rule {rule.id}: a worker's hit does not match here"
        v.texts.started = True  # (its texts were read: their notes are owed)
        hits.append(Hit(rule, v, m))
    left = rest if within is None else rest & within
    if left:
        hits = sorted([*hits, *_matched(rule, ctx, left)], key=lambda h: h.view.index)
    return hits


def rule_hits(rule: Rule, ctx: Context) -> list[Hit]:
    """Hits of one rule in context, after its requires/forbids predicates."""
    if rule.target == "stream":
        hits = _stream_hits(rule, ctx)
    else:
        within = _domain(rule, ctx)
        known = known_hits(rule, ctx)
        hits = _matched(rule, ctx, within) if known is None else _known(rule, ctx, known, within)
    return [
        h
        for h in hits
        if all(PREDICATES[p](ctx, h) for p in rule.requires)
        and not any(PREDICATES[p](ctx, h) for p in rule.forbids)
    ]


def _layered_hits(rule: Rule, ctx: Context, pool: list[EventView]) -> list[Hit]:
    """Matches of a rule read from one chain layer (or the leaf) of each view."""
    match = _matcher(rule, ctx)
    hits = []
    for v in pool:
        if rule.op != "any" and v.op != rule.op:
            continue
        for text in _layer_texts(rule, v):
            m = match(text)
            if m is not None:
                hits.append(Hit(rule, v, m))
                break
    return hits


#: what a predicate answers when it cites rows (a tuple: ``list | Rows`` made a union per call)
_CITING: Final = (list, Rows)


def _adjusted(hit: Hit, ctx: Context) -> tuple[tuple[bool, ...], list[list[EventView] | Rows]]:
    """Which of the rule's raise then lower conditions hold for the hit, and the lists of
    events the conditions point at (often one list shared by every hit: see :func:`_score`)."""
    rule = hit.rule
    extra: list[list[EventView] | Rows] = []
    for name in rule.requires:  # what a required condition points at is evidence too
        outcome = PREDICATES[name](ctx, hit)
        if isinstance(outcome, _CITING):
            extra.append(outcome)
    held: list[bool] = []
    for adj in rule.adjustments:
        if adj.predicate is not None:
            outcome = PREDICATES[adj.predicate](ctx, hit)
            if isinstance(outcome, _CITING):
                extra.append(outcome)
        else:
            assert adj.pattern is not None
            texts = hit.view.texts
            # (a user rule's every search counts against its budget: none is skipped)
            outcome = (
                rule.user or texts.may_hold((pattern_skeleton(adj.pattern.pattern),))
            ) and any(rule.holds(adj.pattern, t) for t in texts)
        held.append(bool(outcome))
    return tuple(held), extra


def _adjusted_all(
    hits: list[Hit], ctx: Context
) -> Iterable[tuple[tuple[bool, ...], list[list[EventView] | Rows]]]:
    """:func:`_adjusted` of every hit of one packaged rule, in order: each predicate asked for
    all hits at once (:func:`~multus_forensics.classify.predicates.outcomes`). A user rule's
    hits are asked one by one (a pattern condition's searches spend its budget in hit order)."""
    rule = hits[0].rule
    if rule.user:
        yield from (_adjusted(hit, ctx) for hit in hits)
        return
    batch = Batch(ctx, hits)
    columns: dict[str, list[Outcome]] = {}

    def column(name: str) -> list[Outcome]:
        found = columns.get(name)
        if found is None:
            found = columns[name] = outcomes(name, ctx, batch)
        return found

    required = [column(name) for name in rule.requires]
    adjusted = [
        column(adj.predicate) if adj.predicate is not None else None for adj in rule.adjustments
    ]
    patterns = [adj.pattern for adj in rule.adjustments]
    for k, hit in enumerate(hits):
        extra: list[list[EventView] | Rows] = []
        for answers in required:
            outcome = answers[k]
            if isinstance(outcome, _CITING):
                extra.append(outcome)
        held: list[bool] = []
        for col, pattern in zip(adjusted, patterns, strict=True):
            if col is not None:
                outcome = col[k]
                if isinstance(outcome, _CITING):
                    extra.append(outcome)
            else:
                assert pattern is not None
                texts = hit.view.texts
                outcome = texts.may_hold((pattern_skeleton(pattern.pattern),)) and any(
                    rule.holds(pattern, t) for t in texts
                )
            held.append(bool(outcome))
        yield tuple(held), extra


def _confidence(rule: Rule, held: tuple[bool, ...]) -> tuple[float, list[str]]:
    """The rule's base plus the raise and minus the lower conditions that hold (``held``, as
    :func:`_adjusted` gives them), and why: once per distinct combination, not per hit."""
    conf, reasons = rule.confidence, [f"base {rule.confidence:.2f} ({rule.id})"]
    signs = [1] * len(rule.raises) + [-1] * len(rule.lowers)
    for sign, adj, holds in zip(signs, rule.adjustments, held, strict=True):
        if holds:
            conf += sign * adj.by
            reasons.append(f"{'+' if sign > 0 else '-'}{adj.by:.2f} {adj.why}")
    return conf, reasons


def _score(hits: list[Hit], ctx: Context) -> tuple[float, list[str], dict[int, EventView | None]]:
    best: tuple[float, list[str]] | None = None
    #: position -> its view, or None for a row cited by position only (:class:`Rows`)
    extra_all: dict[int, EventView | None] = {}
    #: lists already merged, kept alive so that their ids stay theirs: a predicate whose answer
    #: is the same for every hit returns one list, merged once rather than once per hit
    merged: dict[int, list[EventView] | Rows] = {}
    #: confidence and reasons per combination of conditions held (a few for thousands of hits)
    scored: dict[tuple[bool, ...], tuple[float, list[str]]] = {}
    _prime_holds(hits[0].rule, ctx, hits)
    for hit, (held, extra) in zip(hits, _adjusted_all(hits, ctx), strict=True):
        for part in extra:
            if id(part) in merged:
                continue
            merged[id(part)] = part
            if isinstance(part, Rows):
                for i in part:
                    extra_all.setdefault(i, None)
                continue
            for v in part:  # views are shared: the same context row is listed by many hits
                if extra_all.get(v.index) is None:
                    extra_all[v.index] = v
        found = scored.get(held)
        if found is None:
            found = scored[held] = _confidence(hit.rule, held)
        if best is None or found[0] > best[0]:
            best = found
    assert best is not None
    conf, reasons = best[0], list(best[1])
    sources, attempts, sandboxes, unrecognised = _spread(ctx, hits)
    if sources > 1:
        conf += CORROBORATION
        reasons.append(f"+{CORROBORATION:.2f} seen in {sources} sources")
    if attempts > 2 or len(hits) > 2:
        conf += REPETITION
        # only sandbox IDs tell attempts apart; one request logged at three layers is one attempt
        seen = f"{sandboxes} sandboxes" if sandboxes > 1 else f"{len(hits)} records"
        reasons.append(f"+{REPETITION:.2f} repeated ({seen})")
    if unrecognised:
        conf -= UNRECOGNISED_PENALTY
        reasons.append(f"-{UNRECOGNISED_PENALTY:.2f} input format not recognised (raw lines)")
    conf = transit_adjust(conf, reasons, hits, _noting(ctx, hits))
    if ctx.size == 1 and len(hits) == 1:
        conf -= SINGLE_LINE_PENALTY
        reasons.append(f"-{SINGLE_LINE_PENALTY:.2f} a single pasted line, no context")
    return round(min(CEILING, max(FLOOR, conf)), 2), reasons, extra_all


def _spread(ctx: Context, hits: list[Hit]) -> tuple[int, int, int, bool]:
    """How many sources (file, source, format), attempts (a sandbox ID, else the record) and
    sandboxes the hits span, and whether every hit is a raw line of no known format: read
    from the hits' rows in one pass from :data:`VECTOR_POOL` hits on."""
    import polars as pl

    if len(hits) < VECTOR_POOL:
        events = [h.view.event for h in hits]
        sandboxes = {e.sandbox_id for e in events if e.sandbox_id}
        return (
            len({(e.file, e.source, e.format) for e in events}),
            len(sandboxes) + len({h.view.index for h in hits if not h.view.event.sandbox_id}),
            len(sandboxes),
            all(e.format == FALLBACK_FORMAT for e in events),
        )
    at = pl.Series("_pos", [h.view.index for h in hits])
    rows = ctx.frame.select("file", "source", "format", "sandbox_id")[at].with_columns(at)
    sandbox = pl.col("sandbox_id").fill_null("")
    found = rows.select(
        pl.struct("file", "source", "format").n_unique().alias("sources"),
        sandbox.filter(sandbox != "").n_unique().alias("sandboxes"),
        pl.col("_pos").filter(sandbox == "").n_unique().alias("bare"),
        (pl.col("format").fill_null("") == FALLBACK_FORMAT).all().alias("unrecognised"),
    ).row(0)
    sources, sandboxes, bare, unrecognised = found
    return int(sources), int(sandboxes) + int(bare), int(sandboxes), bool(unrecognised)


def _noting(ctx: Context, hits: list[Hit]) -> dict[str, list[Hit]] | None:
    """Per transit note, the hits whose texts could give it (:func:`normalise.may_note_expr`),
    for many hits in one pass over their rows; None below :data:`VECTOR_POOL` hits."""
    import polars as pl

    from multus_forensics.classify.normalise import NOTES, may_note_expr

    if len(hits) < VECTOR_POOL:
        return None
    notes = sorted(NOTES)
    rows = ctx.frame.select("error", "message", "raw")[pl.Series([h.view.index for h in hits])]
    flags = rows.select(
        pl.any_horizontal(may_note_expr(pl.col(c), note) for c in rows.columns).alias(note)
        for note in notes
    )
    return {
        note: [h for h, flag in zip(hits, flags.get_column(note), strict=True) if flag]
        for note in notes
    }


#: names a summary spells out per kind (pods, networks...); the finding's fields list them all
SUMMARY_NAMES: Final = 5


def _listed(names: Sequence[str]) -> str:
    """``a, b, c`` or, past :data:`SUMMARY_NAMES`, the first ones and how many more: a finding
    over 1,300 pods must still read as a sentence (its ``pods`` field keeps every name)."""
    if len(names) <= SUMMARY_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:SUMMARY_NAMES])} and {len(names) - SUMMARY_NAMES} more"


def _summary(rule: Rule, hits: list[Hit], pods: list[str], nodes: list[str]) -> str:
    first = hits[0]
    values: dict[str, Any] = {k: v for k, v in first.match.groupdict().items() if v}
    nets = sorted({h.view.network for h in hits if h.view.network})
    ifs = sorted({h.view.interface for h in hits if h.view.interface})
    values.setdefault("pod", _listed(pods))
    values.setdefault("network", _listed(nets))
    values.setdefault("interface", _listed(ifs))
    values.setdefault("node", _listed(nodes))
    text = rule.explain(values)
    facts = [
        f"{label} {values[key]}"
        for key, label in (
            ("pod", "Pod"),
            ("network", "network"),
            ("interface", "interface"),
            ("node", "node"),
        )
        if values.get(key)
    ]
    where = ("; ".join(facts) + ".") if facts else "The logs name no pod, network or node."
    return f"{rule.title}. {text} {where}"


def _finding(rule: Rule, hits: list[Hit], ctx: Context) -> Finding:
    conf, reasons, extra = _score(hits, ctx)
    seen: dict[int, tuple[EventView | None, str]] = {}
    for h in hits:
        seen.setdefault(h.view.index, (h.view, "match"))
    for i, v in extra.items():
        seen.setdefault(i, (v, "context"))
    matched = {h.view.index: h.match.group(0) for h in reversed(hits)}
    cited = cite(ctx, seen, matched)
    times: list[datetime] = [h.view.event.time for h in hits if h.view.event.time is not None]
    return Finding(
        root_cause=rule.root_cause,
        rule=rule.id,
        title=rule.title,
        severity=rule.severity,
        confidence=conf,
        summary=_summary(rule, hits, cited.pods, cited.nodes),
        remediation=rule.remediation,
        pods=tuple(cited.pods),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        count=len(hits),
        evidence=cited.evidence,
        reasons=tuple(reasons),
        references=rule.references,
    )


def diagnose_events(events: Sequence[Event], catalog: Catalog, stats: dict[str, int]) -> Diagnosis:
    """Run ``catalog`` over already parsed events."""
    return diagnose_frame(events_to_frame(events), catalog, stats)


@gc_paused()
def diagnose_frame(
    frame: pl.DataFrame,
    catalog: Catalog,
    stats: dict[str, int],
    timelines: Timelines | None = None,
    matches: Matches | None = None,
) -> Diagnosis:
    """Run ``catalog`` over an event frame: rules see only the rows that can match them.

    ``timelines`` is :func:`~multus_forensics.build_timelines` of this same frame when the
    caller has it (a report), so that it is not built twice; ``matches``, the rows of it that
    a bundle's workers matched (:mod:`multus_forensics.classify.partial`).
    """
    with shaped_chains():
        return _diagnose_frame(frame, catalog, stats, timelines, matches)


def _diagnose_frame(
    frame: pl.DataFrame,
    catalog: Catalog,
    stats: dict[str, int],
    timelines: Timelines | None,
    matches: Matches | None,
) -> Diagnosis:
    from multus_forensics.classify.cluster import cluster_unexplained
    from multus_forensics.classify.predicates import MARKERS
    from multus_forensics.classify.select import catalog_needles

    budget = start_budget()  # one regex budget per user rule for this run
    ctx = Context.of_frame(frame, catalog_needles(catalog.rules, MARKERS), timelines)
    matched = install(ctx, matches, catalog)  # every rule's rows matched by the workers
    if not ctx.prime_small(catalog.rules):  # a small frame's candidates, answered at once
        if not matched:
            ctx.prime(catalog.rules)
        # each distinct shape of the error texts peeled once (of the rows holding catalog
        # fragments, which rules read; another text is peeled when asked)
        prime_shapes(ctx.texty.get_column("error").drop_nulls())
    by_cause: dict[str, Finding] = {}
    explained: set[int] = set()
    for rule in catalog.rules:
        hits = rule_hits(rule, ctx)
        if not hits:
            continue
        explained.update(h.view.index for h in hits)
        finding = _finding(rule, hits, ctx)
        best = by_cause.get(rule.root_cause)
        if best is None or finding.confidence > best.confidence:
            by_cause[rule.root_cause] = finding
    findings = sorted(by_cause.values(), key=lambda f: (-f.confidence, f.root_cause))
    unexplained = [v for v in ctx.errors if v.index not in explained]
    diagnosis = Diagnosis(findings, cluster_unexplained(unexplained), stats, [], budget.finish())
    generic = frozenset(r.id for r in catalog.rules if r.generic)
    return differentiate(abstain(diagnosis, ctx, generic), catalog)


def _paths(inputs: Any) -> list[str] | None:
    """``inputs`` as a list of paths, when it names paths (a path, or a sequence of them)."""
    if isinstance(inputs, str | Path):
        return [str(inputs)]
    if isinstance(inputs, Sequence) and inputs and isinstance(inputs[0], str | Path):
        return [str(p) for p in inputs]
    return None


def _parse_paths(paths: list[str], catalog: Catalog, parse_kwargs: dict[str, Any]) -> EventLog:
    """Paths parsed for this diagnosis: rows it does not read cut from large journals
    (:mod:`multus_forensics.rowcut`), unless the whole input is needed."""
    from functools import partial

    from multus_forensics.batch.compact import keep_spec
    from multus_forensics.pipeline import parse
    from multus_forensics.rowcut import parse_for_diagnosis

    read = partial(parse, paths, **parse_kwargs)
    return parse_for_diagnosis(paths, keep_spec(catalog), read)


def diagnose(
    inputs: Any,
    *,
    catalog: Catalog | None = None,
    rules: str | Path | Sequence[str | Path] = (),
    timelines: Timelines | None = None,
    **parse_kwargs: Any,
) -> Diagnosis:
    """Root causes with evidence for log files, an :class:`EventLog`, an event frame or events.

    ``rules`` adds user rule files to the packaged catalog (ignored when ``catalog`` is given);
    ``timelines``, when given, must be ``build_timelines`` of the same EventLog or frame;
    other keywords (``year``, ``tz``, ``format``...) go to :func:`multus_forensics.parse`.
    Returns a :class:`Diagnosis`: findings best first (empty for a healthy log), the templates
    of errors no rule explains, and input statistics.
    """
    if catalog is None:
        catalog = load_catalog(rules)
    paths = _paths(inputs)
    if paths is not None and timelines is None:  # (timelines given are of the whole input)
        inputs = _parse_paths(paths, catalog, parse_kwargs)
    frame, stats, unreadable = _events(inputs, parse_kwargs)
    diagnosis = diagnose_frame(frame, catalog, stats, timelines, carried(inputs))
    diagnosis.unreadable = unreadable
    return diagnosis
