"""Candidate selection on small frames: the Python answer against the polars one.

``select.candidates_by_rule`` replaces one polars query per rule on frames of at most
``SMALL_FRAME`` rows. It equals :func:`~multus_forensics.classify.select.text_mask` row for row
on generated texts that vary case (ASCII and not), carry the always-fragments, nulls and
non-ASCII look-alikes; on the samples it loses no candidate of the polars path (which may
select fewer rows) and the diagnosis is the same.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multus_forensics import parse
from multus_forensics.classify import diagnose, load_catalog, select
from multus_forensics.classify.context import Context
from multus_forensics.classify.predicates import MARKERS
from multus_forensics.classify.select import (
    TEXT_COLUMNS,
    candidates_by_rule,
    catalog_needles,
    rule_kinds,
    rule_needles,
    small_text_mask,
    text_mask,
)

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
CATALOG = load_catalog(plugins=False)
RULES = [r for r in CATALOG.rules if rule_needles(r) is not None]
NEEDLES = sorted(catalog_needles(RULES))


def _by_polars(rows: pl.DataFrame, rules: list) -> dict[tuple[str, bool], list[int]]:
    out = {}
    for r in rules:
        hit = rows.filter(rule_kinds(r) & text_mask(rule_needles(r) or ()))
        out[(r.id, False)] = hit.get_column("_pos").to_list()
        out[(r.id, True)] = hit.filter(pl.col("_err")).get_column("_pos").to_list()
    return out


def _candidates(ctx: Context) -> dict[tuple[str, bool], list[int]]:
    return {
        (r.id, errors): [v.index for v in ctx.candidates(r, errors_only=errors)]
        for r in CATALOG.rules
        if r.target != "stream"
        for errors in (False, True)
    }


@pytest.mark.parametrize(
    "sample",
    [
        "kubelet/kubelet.log",
        "kubelet/thick-block.journal",
        "multus/daemon.log",
        "runtime/crio-new.log",
        "paste/bare_ticket.txt",
        "kubectl",
    ],
)
def test_small_frame_candidates_lose_no_candidate_and_change_no_finding(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = parse([str(SAMPLES / sample)], year=2026)
    needles = catalog_needles(CATALOG.rules, MARKERS)
    answers, diagnoses = [], []
    for small in (10**9, -1):  # every frame answered in Python, then none
        monkeypatch.setattr(select, "SMALL_FRAME", small)
        ctx = Context.of_frame(log.frame, needles)
        assert ctx.prime_small(CATALOG.rules) is (small > 0)
        if small < 0:
            ctx.prime(CATALOG.rules)
        answers.append(_candidates(ctx))
        diagnoses.append(diagnose(log, catalog=CATALOG).to_dict())
    python, polars_ = answers
    assert all(set(polars_[key]) <= set(python[key]) for key in polars_)
    assert any(python.values()), "the sample selects no row for any rule"
    assert diagnoses[0] == diagnoses[1]


_LOOKALIKES = ["İ", "ı", "K", "ſ", "É", "ß", "…", "\n", "`", "**", "\\", '"', " "]


@st.composite
def _texts(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            needle = draw(st.sampled_from(NEEDLES))
            flips = draw(st.lists(st.booleans(), min_size=len(needle), max_size=len(needle)))
            parts.append(
                "".join(c.swapcase() if f else c for c, f in zip(needle, flips, strict=True))
            )
        else:
            parts.append(draw(st.sampled_from(_LOOKALIKES)) + draw(st.text(max_size=6)))
    return "".join(parts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(_texts(), _texts(), _texts(), st.booleans(), st.sampled_from(["a", "b"])),
        min_size=1,
        max_size=6,
    ),
    picked=st.lists(st.sampled_from(RULES), min_size=1, max_size=6, unique_by=lambda r: r.id),
)
def test_small_frame_candidates_equal_the_polars_ones_on_generated_texts(
    rows: list[tuple[str | None, str | None, str | None, bool, str]], picked: list
) -> None:
    kinds = {r.kinds[0] for r in picked if r.kinds}
    frame = pl.DataFrame(
        {
            "_pos": list(range(len(rows))),
            **{c: [row[i] for row in rows] for i, c in enumerate(TEXT_COLUMNS)},
            "_err": [row[3] for row in rows],
            # half the rows take a kind some picked rule wants, the others one no rule wants
            "kind": [
                (sorted(kinds)[0] if kinds and k == "a" else "no-such-kind") for *_, k in rows
            ],
        },
        schema_overrides=dict.fromkeys(TEXT_COLUMNS, pl.String),
    )
    assert candidates_by_rule(frame, picked) == _by_polars(frame, picked)


_PIECES = st.sampled_from(
    [
        "a",
        "B",
        "é",
        "É",
        "…",
        "\n",
        "\\",
        ".",
        "*",
        "(",
        "[",
        "$",
        "^",
        "|",
        "{",
        "#",
        " ",
        "-",
        "k",
        "\u212a",
        "ſ",
        "s",
    ]
)


@settings(max_examples=300)
@given(
    st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=6),
    st.lists(st.lists(_PIECES, min_size=1, max_size=3).map("".join), min_size=1, max_size=5),
)
def test_the_fragment_test_is_the_automatons_ascii_case_insensitive_test(
    texts: list[str], needles: list[str]
) -> None:
    frame = pl.DataFrame({"t": [*texts, None]}, schema={"t": pl.String})
    ours = frame.select(select.holds_any(pl.col("t"), needles)).to_series().to_list()
    automaton = frame.select(
        pl.col("t").str.contains_any(needles, ascii_case_insensitive=True).fill_null(False)
    )
    assert ours == automaton.to_series().to_list()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(_texts() | st.none(), _texts() | st.none(), _texts() | st.none()), max_size=6
    ),
    needles=st.lists(st.sampled_from(NEEDLES), max_size=8)
    | st.lists(st.lists(_PIECES, min_size=1, max_size=3).map("".join), max_size=5),
)
def test_a_small_frames_text_mask_in_python_equals_the_polars_one(
    rows: list[tuple[str | None, str | None, str | None]], needles: list[str]
) -> None:
    frame = pl.DataFrame(
        {c: [row[i] for row in rows] for i, c in enumerate(TEXT_COLUMNS)},
        schema=dict.fromkeys(TEXT_COLUMNS, pl.String),
    )
    by_polars = frame.select(text_mask(needles)).to_series().to_list()
    assert small_text_mask(frame, needles).to_list() == by_polars


def test_a_catalog_too_large_for_one_expression_keeps_the_same_fragment_test() -> None:
    needles = [f"fragment-{i:05d}-" + "x" * 40 for i in range(500)]  # 25k characters
    frame = pl.DataFrame({"t": ["a FRAGMENT-00499-" + "X" * 40 + " b", "no fragment", None]})
    got = frame.select(select.holds_any(pl.col("t"), needles)).to_series().to_list()
    assert got == [True, False, False]


def _marked(frame: pl.DataFrame, one_pass: bool) -> dict[str, list[int]]:
    ctx = Context(frame, catalog_needles(CATALOG.rules, MARKERS))
    ctx._one_pass = one_pass
    ctx.prime(CATALOG.rules)
    return ctx._marked_rules


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(_texts(), _texts(), _texts(), st.sampled_from(["end", "same", "apart"])),
        min_size=1,
        max_size=8,
    )
)
def test_one_fragment_pass_marks_the_rows_the_two_passes_mark(
    rows: list[tuple[str | None, str | None, str | None, str]],
) -> None:
    """One case-insensitive pass over both fragment lists (a row's raw record alone where its
    message and error end it) marks every rule's rows as one pass per list over every text."""
    texts = []
    for prefix, message, other, shape in rows:
        raw = (prefix or "") + (message or "") if shape != "apart" else prefix
        error = message if shape == "same" else other
        texts.append((error, message, raw))
    frame = pl.DataFrame(
        {
            **{c: [t[i] for t in texts] for i, c in enumerate(TEXT_COLUMNS)},
            "kind": ["log"] * len(texts),
            "level": ["error"] * len(texts),
            "file": ["f.log"] * len(texts),
            "member": [None] * len(texts),
        },
        schema_overrides=dict.fromkeys((*TEXT_COLUMNS, "member"), pl.String),
    )
    assert _marked(frame, one_pass=True) == _marked(frame, one_pass=False)


@pytest.mark.parametrize(
    "sample", ["multus", "runtime", "kubelet", "kubectl", "paste", "json", "seed"]
)
def test_one_fragment_pass_marks_the_samples_rows_as_two_passes(sample: str) -> None:
    frame = parse([str(SAMPLES / sample)], year=2026).frame
    one, two = _marked(frame, one_pass=True), _marked(frame, one_pass=False)
    assert one == two
    assert any(one.values())


@pytest.mark.parametrize("sample", ["multus", "runtime", "kubelet", "paste", "seed"])
def test_rows_holding_a_pattern_literal_are_found_in_raw_records_alone_where_they_end(
    sample: str,
) -> None:
    """``Context.marked``'s rows: a row whose message and error end its raw record tested in
    that record alone are the rows the text mask over all three texts selects."""
    from multus_forensics.classify.predicates import _DELETION, _NESTED, _RESTART

    frame = parse([str(SAMPLES / sample)], year=2026).frame
    ctx = Context.of_frame(frame, catalog_needles(CATALOG.rules, MARKERS))
    assert ctx.ends_raw.any()
    for pattern in (_DELETION, _RESTART, _NESTED):
        needles = select.pattern_needles((pattern.pattern,))
        assert needles is not None
        assert ctx._holding(needles) == ctx.positions(text_mask(needles), needles)
    every = frozenset(NEEDLES)
    assert ctx._holding(every) == ctx.positions(text_mask(every), every)
    assert ctx._holding(every)


def _holding_agrees(frame: pl.DataFrame) -> int:
    """Assert that, after the one fragment pass, the rows holding each rule's and marker's
    fragments read from the fragments found are the text mask's rows; returns the needle sets
    compared."""
    from multus_forensics.classify.predicates import _DELETION, _NESTED, _RESTART

    ctx = Context(frame, catalog_needles(CATALOG.rules, MARKERS))
    ctx.prime(CATALOG.rules)
    sets = [select.rule_needles(rule) for rule in CATALOG.rules]
    sets += [select.pattern_needles((p.pattern,)) for p in (_DELETION, _RESTART, _NESTED)]
    compared = 0
    for needles in sets:
        if needles is None:
            continue
        held = ctx.holding(needles)
        assert held is not None
        assert held.to_list() == ctx.positions(text_mask(needles), needles)
        compared += 1
    return compared


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_texts(), _texts(), _texts()), min_size=1, max_size=8))
def test_rows_holding_fragments_are_read_from_the_fragment_pass_as_the_mask_selects_them(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    frame = pl.DataFrame(
        {
            **{c: [t[i] for t in rows] for i, c in enumerate(TEXT_COLUMNS)},
            "kind": ["log"] * len(rows),
            "level": ["error"] * len(rows),
            "file": ["f.log"] * len(rows),
            "member": [None] * len(rows),
        },
        schema_overrides=dict.fromkeys((*TEXT_COLUMNS, "member"), pl.String),
    )
    assert _holding_agrees(frame) > 0


@pytest.mark.parametrize("sample", ["multus", "runtime", "kubelet", "paste", "seed"])
def test_rows_holding_fragments_are_read_from_the_fragment_pass_on_the_samples(
    sample: str,
) -> None:
    assert _holding_agrees(parse([str(SAMPLES / sample)], year=2026).frame) > 0
