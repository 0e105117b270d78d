"""A packaged rule's hits are scored by predicate columns (``predicates.Batch``,
``predicates.outcomes``): every batched predicate answers each hit as asking it hit by hit
does, with the same shared objects where the per-hit answer shares one (the score merges
each cited list once), on every sample and on generated Multus logs with re-entries and
collisions."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from test_classify_addorder import SAMPLES, _multus_logs

import multus_forensics as mf
from multus_forensics.chain import prime_shapes, shaped_chains
from multus_forensics.classify.catalog import load_catalog
from multus_forensics.classify.context import Context
from multus_forensics.classify.engine import rule_hits
from multus_forensics.classify.predicates import (
    BATCHED,
    MARKERS,
    PREDICATES,
    Batch,
    Hit,
    Outcome,
    Rows,
    outcomes,
)
from multus_forensics.classify.select import catalog_needles


def _context(log: mf.EventLog) -> Context:
    """A context primed as a diagnosis primes it."""
    catalog = load_catalog(())
    ctx = Context.of_frame(log.frame, catalog_needles(catalog.rules, MARKERS))
    if not ctx.prime_small(catalog.rules):
        ctx.prime(catalog.rules)
        prime_shapes(ctx.texty.get_column("error").drop_nulls())
    return ctx


def _hits(ctx: Context) -> list[list[Hit]]:
    """Every packaged rule's hits in ``ctx`` that some batched predicate is asked about."""
    found = []
    for rule in load_catalog(()).rules:
        named = {*rule.requires, *(a.predicate for a in rule.adjustments)}
        if named & BATCHED.keys():
            hits = rule_hits(rule, ctx)
            if hits:
                found.append(hits)
    return found


def _plain(outcome: Outcome) -> Any:
    """An outcome as a value: positions for cited rows, a truth value otherwise."""
    if isinstance(outcome, Rows):
        return ("rows", tuple(outcome))
    if isinstance(outcome, list):
        return ("views", tuple(v.index for v in outcome))
    return bool(outcome)


def _sharing(outcomes: list[Outcome]) -> list[int]:
    """For each answer, the first hit whose answer is the same object (a cited list or rows)."""
    first: dict[int, int] = {}
    return [
        first.setdefault(id(o), k) if isinstance(o, list | Rows) else -1
        for k, o in enumerate(outcomes)
    ]


def _batched_agrees(log: mf.EventLog) -> int:
    """Assert that each batched predicate's column equals the per-hit answers (compared in two
    contexts, so that neither reads the other's memos); returns the hits compared."""
    compared = 0
    with shaped_chains():
        by_hit, by_column = _context(log), _context(log)
        for one, other in zip(_hits(by_hit), _hits(by_column), strict=True):
            assert [h.view.index for h in one] == [h.view.index for h in other]
            batch = Batch(by_column, other)
            for name in sorted(BATCHED):
                each = [PREDICATES[name](by_hit, h) for h in one]
                column = outcomes(name, by_column, batch)
                assert [_plain(o) for o in column] == [_plain(o) for o in each], name
                assert _sharing(column) == _sharing(each), name
            compared += len(one)
    return compared


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_batched_predicates_answer_as_per_hit_on_every_sample(sample: Path) -> None:
    _batched_agrees(mf.parse(str(sample), year=2026))


@settings(max_examples=20, deadline=None)
@given(_multus_logs())
def test_batched_predicates_answer_as_per_hit_on_generated_multus_logs(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "multus.log"
        path.write_text(text, encoding="utf-8")
        log = mf.parse(str(path), year=2026)
        if "already exists" in text:
            assert _batched_agrees(log) > 0
