"""``diagnose()``: match the catalog against events in context, score, rank and explain.

Confidence of a hypothesis = the rule's base, plus the ``raise`` conditions that hold, minus the
``lower`` ones, plus corroboration (several sources or files, repetition across attempts), minus
a penalty when the whole input is one pasted line or only raw unparsed lines. Every root cause
with a firing rule yields a finding (from its best-scoring rule), so same-surface look-alikes
appear side by side, best first, instead of one hiding the other.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.classify.catalog import Catalog, Rule, load_catalog
from multus_forensics.classify.context import Context, EventView, unwrapped_text
from multus_forensics.classify.evidence import evidence_of
from multus_forensics.classify.fallback import FALLBACK_FORMAT, unrecognised_events
from multus_forensics.classify.findings import Diagnosis, Finding
from multus_forensics.classify.predicates import PREDICATES, Hit
from multus_forensics.model import Event, frame_to_events

if TYPE_CHECKING:
    from multus_forensics.eventlog import EventLog

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
) -> tuple[list[Event], dict[str, int], list[tuple[str, str]]]:
    """Events and input statistics from paths, an EventLog, an event frame or Event objects."""
    from multus_forensics.eventlog import EventLog

    if isinstance(inputs, str | Path) or (
        isinstance(inputs, Sequence) and inputs and isinstance(inputs[0], str | Path)
    ):
        from multus_forensics.pipeline import parse

        paths = [str(inputs)] if isinstance(inputs, str | Path) else [str(p) for p in inputs]
        inputs = parse(paths, **parse_kwargs)
    if isinstance(inputs, EventLog):
        # lines no parser took are re-read from the files the log names (not from stdin)
        on_disk = sorted({f.file for f in inputs.stats.files if Path(f.file).is_file()})
        extra = unrecognised_events(on_disk, inputs.stats.files, inputs.issues)
        return frame_to_events(inputs.frame) + extra, _log_stats(inputs), _unreadable(inputs)
    if hasattr(inputs, "iter_rows"):
        events = frame_to_events(inputs)
    else:
        events = list(inputs)
        if not all(isinstance(e, Event) for e in events):
            raise TypeError("diagnose() takes paths, an EventLog, an event frame or Event objects")
    stats = {
        "files": len({(e.file, e.member) for e in events}),
        "lines": sum(e.nlines for e in events),
        "events": len(events),
        "unparsed_lines": 0,
    }
    return events, stats, []


def _stream_hits(rule: Rule, ctx: Context) -> list[Hit]:
    """Matches over each file's records (raw text) joined in order; the hit is the event the match starts in."""
    hits: list[Hit] = []
    by_file: dict[tuple[str, str | None], list[EventView]] = {}
    for v in ctx.views:
        if not rule.kinds or v.event.kind in rule.kinds:
            by_file.setdefault((v.event.file, v.event.member), []).append(v)
    for views in by_file.values():
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
        idx = max(i for i, s in enumerate(starts) if s <= m.start())
        hits.append(Hit(rule, views[idx], m))
    return hits


def _layer_texts(rule: Rule, view: EventView) -> tuple[str, ...]:
    if rule.layer == "any":
        return view.texts
    if rule.layer == "leaf":
        return (unwrapped_text(view.leaf),)
    text = view.from_layer(rule.layer)
    return (unwrapped_text(text),) if text else ()


def rule_hits(rule: Rule, ctx: Context) -> list[Hit]:
    """Hits of one rule in context, after its requires/forbids predicates."""
    if rule.target == "stream":
        hits = _stream_hits(rule, ctx)
    else:
        pool = ctx.errors if rule.target == "error" else ctx.views
        hits = []
        for v in pool:
            if rule.kinds and v.event.kind not in rule.kinds:
                continue
            if rule.op != "any" and v.op != rule.op:
                continue
            texts = _layer_texts(rule, v)
            for text in texts:
                m = rule.first_match(text)
                if m is not None:
                    hits.append(Hit(rule, v, m))
                    break
    return [
        h
        for h in hits
        if all(PREDICATES[p](ctx, h) for p in rule.requires)
        and not any(PREDICATES[p](ctx, h) for p in rule.forbids)
    ]


def _adjusted(hit: Hit, ctx: Context) -> tuple[float, list[str], list[EventView]]:
    """Per-hit confidence from the rule's base and its raise/lower conditions."""
    rule = hit.rule
    conf, reasons = rule.confidence, [f"base {rule.confidence:.2f} ({rule.id})"]
    extra: list[EventView] = []
    for name in rule.requires:  # what a required condition points at is evidence too
        outcome = PREDICATES[name](ctx, hit)
        if isinstance(outcome, list):
            extra.extend(outcome)
    for sign, adjusts in ((1, rule.raises), (-1, rule.lowers)):
        for adj in adjusts:
            if adj.predicate is not None:
                outcome = PREDICATES[adj.predicate](ctx, hit)
                if isinstance(outcome, list):
                    extra.extend(outcome)
            else:
                assert adj.pattern is not None
                outcome = any(rule.search(adj.pattern, t) for t in hit.view.texts)
            if outcome:
                conf += sign * adj.by
                reasons.append(f"{'+' if sign > 0 else '-'}{adj.by:.2f} {adj.why}")
    return conf, reasons, extra


def _score(hits: list[Hit], ctx: Context) -> tuple[float, list[str], list[EventView]]:
    best: tuple[float, list[str], list[EventView]] | None = None
    extra_all: dict[int, EventView] = {}
    for hit in hits:
        conf, reasons, extra = _adjusted(hit, ctx)
        extra_all.update((v.index, v) for v in extra)
        if best is None or conf > best[0]:
            best = (conf, reasons, extra)
    assert best is not None
    conf, reasons = best[0], list(best[1])
    sources = {(h.view.event.file, h.view.event.source, h.view.event.format) for h in hits}
    if len(sources) > 1:
        conf += CORROBORATION
        reasons.append(f"+{CORROBORATION:.2f} seen in {len(sources)} sources")
    attempts = {h.view.event.sandbox_id or h.view.index for h in hits}
    if len(attempts) > 2 or len(hits) > 2:
        conf += REPETITION
        # only sandbox IDs tell attempts apart; one request logged at three layers is one attempt
        sandboxes = {h.view.event.sandbox_id for h in hits if h.view.event.sandbox_id}
        seen = f"{len(sandboxes)} sandboxes" if len(sandboxes) > 1 else f"{len(hits)} records"
        reasons.append(f"+{REPETITION:.2f} repeated ({seen})")
    if all(h.view.event.format == FALLBACK_FORMAT for h in hits):
        conf -= UNRECOGNISED_PENALTY
        reasons.append(f"-{UNRECOGNISED_PENALTY:.2f} input format not recognised (raw lines)")
    if len(ctx.views) == 1 and len(hits) == 1:
        conf -= SINGLE_LINE_PENALTY
        reasons.append(f"-{SINGLE_LINE_PENALTY:.2f} a single pasted line, no context")
    return round(min(CEILING, max(FLOOR, conf)), 2), reasons, list(extra_all.values())


class _Fill(string.Formatter):
    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        value = kwargs.get(key) if isinstance(key, str) else None
        return value if value else "(not named in the logs)"


def _summary(rule: Rule, hits: list[Hit], views: list[EventView]) -> str:
    first = hits[0]
    values: dict[str, Any] = {k: v for k, v in first.match.groupdict().items() if v}
    pods = sorted({v.pod for v in views if v.pod})
    nets = sorted({h.view.network for h in hits if h.view.network})
    ifs = sorted({h.view.interface for h in hits if h.view.interface})
    nodes = sorted({v.event.node for v in views if v.event.node})
    values.setdefault("pod", ", ".join(pods))
    values.setdefault("network", ", ".join(nets))
    values.setdefault("interface", ", ".join(ifs))
    values.setdefault("node", ", ".join(nodes))
    text = _Fill().vformat(" ".join(rule.explanation.split()), (), values)
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
    seen: dict[int, tuple[EventView, str]] = {}
    for h in hits:
        seen.setdefault(h.view.index, (h.view, "match"))
    for v in extra:
        seen.setdefault(v.index, (v, "context"))
    views = [v for v, _ in sorted(seen.values(), key=lambda p: p[0].index)]
    matched = {h.view.index: h.match.group(0) for h in reversed(hits)}
    evidence = tuple(
        evidence_of(v, claim, matched.get(v.index))
        for v, claim in sorted(seen.values(), key=lambda p: p[0].index)
    )
    times: list[datetime] = [h.view.event.time for h in hits if h.view.event.time is not None]
    return Finding(
        root_cause=rule.root_cause,
        rule=rule.id,
        title=rule.title,
        severity=rule.severity,
        confidence=conf,
        summary=_summary(rule, hits, views),
        remediation=rule.remediation,
        pods=tuple(sorted({v.pod for v in views if v.pod})),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        count=len(hits),
        evidence=evidence,
        reasons=tuple(reasons),
        references=rule.references,
    )


def diagnose_events(events: Sequence[Event], catalog: Catalog, stats: dict[str, int]) -> Diagnosis:
    """Run ``catalog`` over already parsed events."""
    from multus_forensics.classify.cluster import cluster_unexplained

    ctx = Context.of(events)
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
    return Diagnosis(findings, cluster_unexplained(unexplained), stats)


def diagnose(
    inputs: Any,
    *,
    catalog: Catalog | None = None,
    rules: str | Path | Sequence[str | Path] = (),
    **parse_kwargs: Any,
) -> Diagnosis:
    """Root causes with evidence for log files, an :class:`EventLog`, an event frame or events.

    ``rules`` adds user rule files to the packaged catalog (ignored when ``catalog`` is given);
    other keywords (``year``, ``tz``, ``format``...) go to :func:`multus_forensics.parse`.
    Returns a :class:`Diagnosis`: findings best first (empty for a healthy log), the templates
    of errors no rule explains, and input statistics.
    """
    if catalog is None:
        catalog = load_catalog(rules)
    events, stats, unreadable = _events(inputs, parse_kwargs)
    diagnosis = diagnose_events(events, catalog, stats)
    diagnosis.unreadable = unreadable
    return diagnosis
