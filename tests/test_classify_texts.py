"""An event's texts are made as a reader reaches them, in the order and with the notes of a whole list."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multus_forensics.classify.context import EventView, unwrapped_text
from multus_forensics.classify.normalise import casefold_variants, normalise
from multus_forensics.model import Event


def _all_at_once(fields: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every text and note computed before any is read: the reference."""
    out: list[str] = []
    notes: list[str] = []
    for t in fields:
        if not t:
            continue
        fixed = normalise(t)
        notes.extend(n for n in fixed.notes if n not in notes)
        for v in (t, unwrapped_text(t), fixed.text, *casefold_variants(fixed.text)):
            if v and v not in out and not any(v in o for o in out):
                out.append(v)
    return tuple(out), tuple(notes)


_PIECES = ["Error", "error adding", '\\"', "**x**", "`y`", "\n  ", ": Did not", "net1", " ", "_a_"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)


def _view(error: str, message: str, raw: str) -> EventView:
    return EventView(
        0, Event(datetime(2026, 3, 11, tzinfo=UTC), message=message, error=error, raw=raw)
    )


@settings(max_examples=300)
@given(_TEXT, _TEXT, _TEXT)
def test_texts_read_whole_equal_the_list_built_at_once(error: str, message: str, raw: str) -> None:
    view = _view(error, message, raw + message)
    texts, notes = _all_at_once((error, message, raw + message))
    assert tuple(view.texts) == texts
    assert view.normalised == notes


@settings(max_examples=300)
@given(_TEXT, _TEXT, st.integers(min_value=0, max_value=4))
def test_a_reader_that_stops_early_sees_the_same_first_texts_and_all_notes(
    error: str, message: str, stop: int
) -> None:
    view = _view(error, message, message)
    texts, notes = _all_at_once((error, message, message))
    first = []
    for t in view.texts:
        if len(first) == stop:
            break
        first.append(t)
    assert tuple(first) == texts[:stop]
    assert tuple(view.texts) == texts  # a second reader continues where the first stopped
    assert view.normalised == notes


def test_no_notes_before_the_texts_are_read() -> None:
    view = _view('extra \\\\\\"escaped\\\\\\"', "m", "r")
    assert view.normalised == ()
    next(iter(view.texts))
    assert view.normalised == ("extra escaping removed",)


_ASCII_PIECES = [*_PIECES, "a\\", "\\_n_", "|", "\t", "*", "network", '"x"']


@settings(max_examples=400)
@given(st.lists(st.sampled_from(_ASCII_PIECES), max_size=8).map("".join))
def test_every_variant_of_an_ascii_text_has_its_skeleton(text: str) -> None:
    from multus_forensics.classify.normalise import _DELETABLE, skeleton

    found = skeleton(text)
    if found is None:  # an escaped newline: normalising it inserts a space
        assert "\\n" in text
        return
    fixed = normalise(text).text
    for variant in (text, unwrapped_text(text), fixed, *casefold_variants(fixed)):
        assert variant.lower().encode().translate(None, _DELETABLE) == found


def _damaged(example: str, how: list[str]) -> str:
    """A catalog example as tickets and terminals deliver it."""
    for step in how:
        if step == "escape":
            example = example.replace("\\", "\\\\").replace('"', '\\"')
        elif step == "bold":
            example = f"**{example}**"
        elif step == "wrap" and " " in example:
            cut = example.rindex(" ")
            example = example[:cut] + "\n  " + example[cut + 1 :]
        elif step == "title":
            example = example.title()
        elif step == "shout":
            example = example.upper()
        elif step == "code":
            example = f"`{example}`"
    return example


def _catalog_examples() -> list[tuple[int, str]]:
    from multus_forensics.classify.catalog import load_catalog

    rules = load_catalog().rules
    return [(i, e) for i, r in enumerate(rules) for e in r.examples]


@settings(max_examples=400)
@given(
    st.sampled_from(_catalog_examples()),
    st.lists(st.sampled_from(["escape", "bold", "wrap", "title", "shout", "code"]), max_size=3),
    st.sampled_from(["error", "message", "raw"]),
)
def test_a_rule_skips_an_events_texts_only_when_none_of_them_can_match(
    example: tuple[int, str], how: list[str], column: str
) -> None:
    from multus_forensics.classify.catalog import load_catalog

    rules = load_catalog().rules
    text = _damaged(example[1], how)
    fields = {"error": "", "message": "", "raw": "I0311 something else"} | {column: text}
    for rule in rules:
        view = _view(fields["error"], fields["message"], fields["raw"])
        matched = any(rule.first_match(t) for t in view.texts)
        if matched:
            assert view.texts.may_hold(rule.skeletons), (rule.id, text)
    # and its own rule is not skipped on its own example, as far as the example is matched
    own, view = rules[example[0]], _view(text, "", "")
    if any(own.first_match(t) for t in view.texts):
        assert view.texts.may_hold(own.skeletons)


def test_a_pool_whose_first_texts_mostly_miss_gives_each_views_first_matching_text() -> None:
    """Past a sample whose first texts mostly miss, the views' texts are tested at once: the
    hits are still each view's first matching text (read one view at a time, the reference),
    and every view's texts count as read."""
    from multus_forensics.classify.catalog import load_catalog
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.engine import VECTOR_POOL, _any_layer_hits

    rule = load_catalog().by_id("MASTER-MISSING")
    example = rule.examples[0]
    kinds = [
        ("failed to set up pod: timed out", "I0311 unrelated"),  # no text can match
        ("failed to set up pod: " + "x" * 40, 'err="' + example.replace('"', '\\"') + '"'),
        (example, example),  # the first text matches
        ("failed: " + example.upper(), "I0311 unrelated"),  # texts that may hold, none does
    ]
    layout = [0] * (VECTOR_POOL + 40) + [1, 2, 3, 0] * 60
    events = [
        Event(
            None,
            kind="cni:error",
            level="error",
            message="CreatePodSandbox failed",
            error=kinds[k][0],
            raw=kinds[k][1],
            line=i,
        )
        for i, k in enumerate(layout)
    ]

    def hits() -> tuple[list[tuple[int, str, tuple[int, int]]], list[bool]]:
        ctx = Context.of(events)
        pool = ctx.views
        found = _any_layer_hits(rule, ctx, pool)
        return [(h.view.index, h.match.string, h.match.span()) for h in found], [
            v.texts.started for v in pool
        ]

    got, started = hits()
    want = []
    for i, e in enumerate(events):
        view = _view(e.error or "", e.message, e.raw)
        for text in view.texts:
            m = rule.first_match(text)
            if m is not None:
                want.append((i, m.string, m.span()))
                break
    assert got == want
    # (the reference matches the later texts of the second kind and the first of the third)
    assert sorted({layout[i] for i, _, _ in got}) == [1, 2]
    assert len(got) == 120
    assert all(started)


def test_skeleton_tests_answered_for_many_hits_at_once_are_each_texts_answer() -> None:
    """The engine answers a predicate's skeleton test for a rule's hits in one pass: each
    answer is the texts' own, and the texts do not count as read until a reader asks."""
    import regex

    from multus_forensics.classify.catalog import load_catalog
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.engine import SKELETON_TESTS, VECTOR_POOL, _prime_holds
    from multus_forensics.classify.normalise import pattern_skeleton
    from multus_forensics.classify.predicates import Hit

    rule = load_catalog().by_id("SELFDEL-IFNAME")
    one = 'error adding container to network "a": [ns/p:a]: error adding container to network "b"'
    texts = [
        "validateIfName: interface name net1 already exists",
        one,
        one.replace("error adding", "error\n  adding"),
        one.replace(" ", "_"),
        "é " + one,
        "",
    ]
    events = [
        Event(None, kind="cni:error", level="error", message="m", error=texts[i % len(texts)],
              raw=texts[(i + 1) % len(texts)], line=i)
        for i in range(VECTOR_POOL + 50)
    ]  # fmt: skip
    ctx = Context.of(events)
    match = regex.search("x", "x")
    assert match is not None
    hits = [Hit(rule, v, match) for v in ctx.views]
    skeletons = (pattern_skeleton(SKELETON_TESTS["nested_multus_delegate"]),)
    _prime_holds(rule, ctx, hits)
    assert all(h.view.texts.primed(skeletons) for h in hits)
    assert not any(h.view.texts.started for h in hits)
    got = [h.view.texts.may_hold(skeletons) for h in hits]
    fresh = Context.of(events)
    assert got == [v.texts.may_hold(skeletons) for v in fresh.views]
    assert True in got
    assert False in got


def test_rules_matching_alike_share_their_matches_and_user_rules_keep_their_own() -> None:
    """Packaged rules with one matching definition match each text once between them (the
    second reads the first's matches, and gets what matching itself would give); a user
    rule's searches stay its own, since they spend its budget."""
    from dataclasses import replace

    from multus_forensics.classify.catalog import load_catalog
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.engine import _any_layer_hits, _matcher

    catalog = load_catalog()
    one, other = catalog.by_id("SELFDEL-IFNAME"), catalog.by_id("DUP-IFNAME-VALIDATE")
    assert one.matching == other.matching
    text = one.examples[0]
    events = [Event(None, kind="cni:error", level="error", error=text, raw=text, line=i)
              for i in range(3)]  # fmt: skip
    ctx = Context.of(events)
    first = _any_layer_hits(one, ctx, ctx.views)
    seen = ctx.cache[f"matches:{one.matching!r}"]
    assert set(seen) == {text}
    second = _any_layer_hits(other, ctx, ctx.views)
    assert [h.match for h in second] == [h.match for h in first]
    alone = Context.of(events)
    assert [(h.view.index, h.match.span()) for h in second] == [
        (h.view.index, h.match.span()) for h in _any_layer_hits(other, alone, alone.views)
    ]
    user_one, user_other = replace(one, user=True), replace(other, user=True)
    _matcher(user_one, ctx)(text)
    _matcher(user_other, ctx)(text)
    assert ctx.cache[f"matches:{user_one.id}"] is not ctx.cache[f"matches:{user_other.id}"]


def test_the_fragment_pretest_is_dropped_once_most_of_a_sample_matched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from multus_forensics.classify.catalog import Rule, load_catalog
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.engine import PRETEST_SAMPLE, _matcher

    asked: list[bool] = []
    plain = Rule.first_match

    def first_match(self: Rule, text: str, *, pretest: bool = True) -> object:
        asked.append(pretest)
        return plain(self, text, pretest=pretest)

    monkeypatch.setattr(Rule, "first_match", first_match)
    rule = load_catalog().by_id("SELFDEL-IFNAME")
    match = _matcher(rule, Context.of([]))
    n = PRETEST_SAMPLE + 20
    found = [
        match(f"validateIfName: interface name net{i % 9} already exists ({i})") for i in range(n)
    ]
    assert all(found)
    assert asked == [True] * PRETEST_SAMPLE + [False] * 20
    # a rule whose sample mostly missed keeps it
    asked.clear()
    match = _matcher(load_catalog().by_id("MASTER-MISSING"), Context.of([]))
    assert not any(match(f"unrelated text {i}") for i in range(n))
    assert asked == [True] * n


def test_the_spread_of_many_hits_read_from_their_rows_is_their_views_spread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sources, attempts and sandboxes of a finding's hits, from their rows in one pass (many
    hits), are what their views give one by one (null and empty values, repeated views)."""
    import regex

    from multus_forensics.classify import engine
    from multus_forensics.classify.catalog import load_catalog
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.fallback import FALLBACK_FORMAT
    from multus_forensics.classify.predicates import Hit

    rule = load_catalog().by_id("SELFDEL-IFNAME")
    match = regex.search("x", "x")
    assert match is not None
    spreads = []
    for formats in (["klog", FALLBACK_FORMAT, ""], [FALLBACK_FORMAT]):
        events = [
            Event(None, file=f"f{i % 3}", source=["kubelet", "unknown"][i % 2],
                  format=formats[i % len(formats)], line=i,
                  sandbox_id=[None, "", "s1", "s2", f"s{i % 7}"][i % 5])
            for i in range(engine.VECTOR_POOL + 30)
        ]  # fmt: skip
        ctx = Context.of(events)
        views = ctx.views
        hits = [Hit(rule, v, match) for v in views + views[:40]]
        many = engine._spread(ctx, hits)
        with monkeypatch.context() as m:
            m.setattr(engine, "VECTOR_POOL", len(hits) + 1)  # each view read in turn
            assert engine._spread(ctx, hits) == many
        spreads.append(many)
    # 7 sandbox IDs; 115 of the 286 records have none (null or empty)
    assert spreads == [(6, 7 + 115, 7, False), (6, 7 + 115, 7, True)]


def test_views_sharing_a_text_make_its_variants_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message every row of a rule holds is normalised once, not once per row; each view
    still reads its texts (and notes) as the list built at once gives them."""
    from multus_forensics.classify import context

    made: list[str] = []
    real = context._made.__wrapped__

    def counted(text: str) -> tuple[Any, tuple[str, ...]]:
        made.append(text)
        return real(text)

    monkeypatch.setattr(context, "_made", functools.lru_cache(maxsize=16)(counted))
    message = 'Error syncing pod, skipping: **failed** to \\"set up\\"'
    views = [_view(f"err {i}: Did not find", message, f"raw {i} {message}") for i in range(5)]
    for v in views:
        fields = (v.event.error or "", v.event.message, v.event.raw)
        assert (tuple(v.texts), v.texts.notes()) == _all_at_once(fields)
    assert made.count(message) == 1
    assert len(made) == len(set(made)) == 1 + 2 * len(views)
