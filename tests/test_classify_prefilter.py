"""The fragment pre-tests never turn away a text a pattern matches.

Before a search, ``Rule.first_match`` checks that the text holds every fragment the pattern
needs (lower-cased, and the capitalised ones as written); ``Context.prime`` selects candidate
rows the same way. Both are only sound if no text a pattern matches lacks one of those
fragments: checked here on every catalog pattern (and decisive partial fragment) against the
signature inventory's texts, the rules' own examples and the labelled excerpts' lines, each in
the forms rules see them (the event's texts: unescaped, unwrapped, case variants).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from multus_forensics.classify import load_catalog
from multus_forensics.classify.catalog import _may_match
from multus_forensics.classify.context import EventView
from multus_forensics.classify.select import exact_factors, pattern_factors
from multus_forensics.model import Event

ROOT = Path(__file__).resolve().parent.parent


@cache
def _texts() -> tuple[str, ...]:
    raw: list[str] = []
    with (ROOT / "multus_forensics" / "rules" / "signatures.jsonl").open() as fh:
        raw.extend(json.loads(line)["text"] for line in fh if line.strip())
    for rule in load_catalog().rules:
        raw.extend(rule.examples)
        raw.extend(rule.counter_examples)
    with (ROOT / "tests" / "data" / "corpus_dev.jsonl").open() as fh:
        for line in fh:
            raw.extend(json.loads(line)["log"].splitlines())
    out: dict[str, None] = {}
    for text in raw:
        event = Event(datetime(2026, 3, 11, tzinfo=UTC), message=text, error=text, raw=text)
        for variant in (text, *EventView(0, event).texts):
            out.setdefault(variant)
    return tuple(out)


def _patterns() -> list[tuple[str, object]]:
    found = []
    for rule in load_catalog().rules:
        found += [(f"{rule.id}:pattern{i}", p) for i, p in enumerate(rule.patterns)]
        found += [(f"{rule.id}:partial{i}", p) for i, p in enumerate(rule.partial)]
    return found


@pytest.mark.parametrize(("name", "pattern"), _patterns(), ids=[n for n, _ in _patterns()])
def test_no_text_a_pattern_matches_fails_its_fragment_pre_test(name: str, pattern: object) -> None:
    import regex

    assert isinstance(pattern, regex.Pattern)
    turned_away = [
        text
        for text in _texts()
        if pattern.search(text) is not None
        and not _may_match(pattern, text, text.lower() if text.isascii() else None)
    ]
    assert not turned_away, f"{name}: pre-test rejects {turned_away[:3]}"


def test_the_pre_tests_have_fragments_to_test() -> None:
    """The check above is not vacuous: most patterns yield fragments, many with capitals."""
    patterns = [p for _, p in _patterns()]
    with_fragments = sum(1 for p in patterns if pattern_factors(p.pattern))  # type: ignore[attr-defined]
    with_capitals = sum(1 for p in patterns if exact_factors(p.pattern))  # type: ignore[attr-defined]
    assert with_fragments >= 0.9 * len(patterns)
    assert with_capitals >= 20


def test_capitalised_fragments_are_kept_only_for_case_sensitive_patterns() -> None:
    assert exact_factors(r"\bADD\b[^}\n]{0,600}?\seth0") == ("ADD",)
    assert exact_factors(r"(?i)Link not found") == ()
    assert exact_factors(r"(?si:DelegateAdd) x") == ()
    assert exact_factors(r"error adding container") == ()
    assert exact_factors(r"Err adding (?:pod|container) to network") == ("Err adding ",)
