"""Matching survives transit: escaping depth, Markdown, wraps and case are undone before rules run."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.classify.normalise import (
    NOTES,
    TRIGGERS,
    Skeleton,
    casefold_variants,
    holds_in_order,
    may_note,
    normalise,
    skeleton,
)


def test_text_without_triggers_is_returned_unchanged_with_no_notes() -> None:
    text = 'error adding container to network "lan": failed to lookup master "ens3": Link not found'
    assert normalise(text).text == text
    assert normalise(text).notes == ()


def test_two_extra_levels_of_escaping_are_collapsed() -> None:
    text = r'err="plugin type=\\\"multus\\\" name=\\\"multus-cni-network\\\" failed (add)"'
    fixed = normalise(text)
    assert 'plugin type="multus" name="multus-cni-network" failed (add)' in fixed.text
    assert fixed.notes == ("extra escaping removed",)


@pytest.mark.parametrize(
    "text",
    [
        '**failed to lookup master "eth1": Link not found**',
        '`failed to lookup master "eth1": Link not found`',
        '_failed to lookup master "eth1": Link not found_',
    ],
)
def test_markdown_decoration_is_removed(text: str) -> None:
    fixed = normalise(text)
    assert fixed.text == 'failed to lookup master "eth1": Link not found'
    assert fixed.notes == ("Markdown decoration removed",)


def test_underscores_inside_identifiers_are_kept() -> None:
    text = "CNI_COMMAND=DEL failed: open /var/lib/cni/multus/k8s_pod_x: no such file\\n"
    assert "k8s_pod_x" in normalise(text).text
    assert "CNI_COMMAND" in normalise(text).text


def test_terminal_wraps_are_joined() -> None:
    assert (
        normalise('failed to find plu\n    gin "macvlan"').text == 'failed to find plugin "macvlan"'
    )


def test_changed_case_has_an_upstream_case_variant() -> None:
    assert casefold_variants("Error deallocating IP: Did not find reserved IP for container") == (
        "Error deallocating IP: did not find reserved IP for container",
        "error deallocating IP: did not find reserved IP for container",
    )
    assert casefold_variants("FAILED TO LOOKUP MASTER ETH0: LINK NOT FOUND") == (
        "failed to lookup master eth0: link not found",
    )
    assert casefold_variants("failed to lookup master") == ()


@pytest.mark.parametrize(
    ("trigger", "damaged"),
    [("\n", "Link not\n   found"), ("`", "`Link not found`"), ("**", "**Link not found**"),
     ("\\", 'master \\\\"eth0\\\\": Link not found')],
)  # fmt: skip
def test_each_trigger_is_what_lets_normalisation_change_a_text(trigger: str, damaged: str) -> None:
    assert trigger in TRIGGERS
    assert trigger in damaged
    assert normalise(damaged).text != damaged


@pytest.mark.parametrize(
    ("paste", "label"),
    [
        # a k3s journald line whose quotes were escaped twice more
        (
            r'Jul 24 03:21:09 node-3 k3s[1844]: E0724 03:21:09.133421    1844 pod_workers.go:1298] "Error syncing pod" err="failed to \"CreatePodSandbox\" with CreatePodSandboxError: \\\"Failed to create sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \\\\\\\"9c1f\\\\\\\": plugin type=\\\\\\\"multus\\\\\\\" name=\\\\\\\"multus-cni-network\\\\\\\" failed (add): [lab/db-0/7a1e:ipvlan-a]: error adding container to network \\\\\\\"ipvlan-a\\\\\\\": failed to find plugin \\\\\\\"ipvlan\\\\\\\" in path [/opt/cni/bin]\\\"\"',
            "cni_plugin_not_installed",
        ),
        (
            '**Error**: `failed to lookup master "enp7s0": Link not found`',
            "master_interface_missing",
        ),
        (
            "Error deallocating IP: Did not find reserved IP for container 77ab",
            "ipam_pool_exhausted",
        ),
    ],
)
def test_damaged_pastes_are_diagnosed_as_the_clean_text(
    paste: str, label: str, tmp_path: Path
) -> None:
    path = tmp_path / "paste.txt"
    path.write_text(paste + "\n", encoding="utf-8")
    diag = mf.diagnose(str(path), year=2026)
    assert diag.top == label


@pytest.mark.parametrize(
    ("paste", "label"),
    [
        ('Warning FailedCreatePodSandBox kubelet error adding container to network "lan-c": failed to find plugin "macvlan" in pa…', "cni_plugin_not_installed"),
        ("error adding container to network \"vlan-c\": failed to lookup master \"bond0.300\": Li", "master_interface_missing"),
    ],
)  # fmt: skip
def test_a_truncated_excerpt_matches_when_what_survives_is_decisive(
    paste: str, label: str, tmp_path: Path
) -> None:
    path = tmp_path / "paste.txt"
    path.write_text(paste + "\n", encoding="utf-8")
    diag = mf.diagnose(str(path), year=2026)
    assert diag.top == label
    assert any("truncated" in r for r in diag[0].reasons)


def test_a_truncated_excerpt_of_a_non_decisive_start_is_not_matched(tmp_path: Path) -> None:
    # "error getting pod: ..." is decided by what follows (Unauthorized, 503, not found...)
    path = tmp_path / "paste.txt"
    path.write_text(
        'Multus: [lab/api-7]: error getting pod: Get "https://10.96.0.1:443/api/v1/na…\n'
    )
    assert mf.diagnose(str(path), year=2026).top == "unknown"


def test_a_cut_inside_a_generic_wrapper_is_not_read_as_the_pattern_behind_it(
    tmp_path: Path,
) -> None:
    # MASTER-MISSING also matches 'error adding container to network "x": Link not found', but
    # only 'failed to lookup master "' is decisive when the text is cut
    path = tmp_path / "paste.txt"
    path.write_text(
        'failed to setup network for sandbox "05c4": plugin type="multus" name="multus-cni-network" '
        "failed (add): [lab/db-0/ce44c8e8:storage]: error adding container to network…\n"
    )
    assert mf.diagnose(str(path), year=2026).top == "unknown"


def _variants_by_counting(text: str) -> tuple[str, ...]:
    """casefold_variants spelled out word by word: the reference for its shortcuts."""
    words = text.split()
    if len(words) >= 3:
        shouted = sum(1 for w in words if w.isupper() and len(w) > 1)
        titled = sum(1 for w in words if w[:1].isupper() and w[1:].islower())
        if (regex.search(r"[A-Z]{4,}", text) and shouted * 2 > len(words)) or titled * 2 > len(
            words
        ):
            return (text.lower(),)
    inner = regex.sub(r"(: )([A-Z])(?=[a-z])", lambda m: m.group(1) + m.group(2).lower(), text)
    first = inner[:1].lower() + inner[1:] if inner[:2].istitle() else inner
    return tuple(dict.fromkeys(v for v in (inner, first) if v != text))


_WORDS = ["Error", "ERROR", "error", "Did", "not", "IP", "A", "Über", "éclair", "x1", ":",
          "\x1c", "\t", "DelegateAdd:", "NET1", "İstanbul", "ǅemal", "Ab-Cd", "K8s"]  # fmt: skip


@settings(max_examples=500)
@given(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join))
def test_case_variants_equal_the_word_by_word_reference(text: str) -> None:
    assert casefold_variants(text) == _variants_by_counting(text)


def _unescape_everywhere(text: str) -> tuple[str, bool]:
    """The three escaping patterns applied to every text: the reference for their pre-tests."""
    out = regex.sub(r'\\+"', '"', text)
    out = regex.sub(r"\\+n(?=[\s\"]|$)", " ", out)
    out = regex.sub(r"\\{2,}", r"\\", out)
    return out, out != text


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(["\\", '"', "n", " ", "a", "\\n", '\\"', "\\\\"]), max_size=14).map(
        "".join
    )
)
def test_unescaping_equals_the_patterns_applied_everywhere(text: str) -> None:
    from multus_forensics.classify.normalise import _unescape

    assert _unescape(text) == _unescape_everywhere(text)


@settings(max_examples=500)
@given(
    st.lists(
        st.sampled_from(["_", "a", " ", "/", ".", "-", "é", "x_", "_y", "\n", "*"]), max_size=12
    ).map("".join)
)
def test_the_emphasis_pretest_never_skips_an_underscore_the_pattern_would_undo(text: str) -> None:
    from multus_forensics.classify.normalise import _UNDERSCORE, _may_open_emphasis

    if _UNDERSCORE.search(text):
        assert _may_open_emphasis(text)


def _may_hold_by_text(text: str, skeletons: list[Skeleton]) -> bool:
    """One text's :meth:`Texts.may_hold` (skeleton, then each pattern's fragments in order)."""
    if not text:
        return False
    skel = skeleton(text)
    return skel is None or any(holds_in_order(skel, s) for s in skeletons)


def _catalog_skeletons() -> list[list[Skeleton]]:
    from multus_forensics.classify.catalog import load_catalog

    return [list(r.skeletons) for r in load_catalog(()).rules if r.skeletons]


_SKELETONS = _catalog_skeletons()
_PIECES = st.sampled_from(
    [
        "error adding container to network ",
        '"net1": ',
        "[ns/pod:net1]: ",
        "failed to find plugin ",
        "no IP addresses available in range set",
        "interface name net1 already exists",
        "**",
        "_",
        "`",
        "\\",
        '\\"',
        "\\n",
        "\n",
        "|",
        " ",
        "\t",
        "é",
        "Did Not Find",
        "…",
        # fragments cut by what the skeleton deletes, and in other cases
        "error add",
        "ing container",
        "FAILED TO FIND",
        " plu",
        "gin ",
        "Interface Name",
        "\u212a",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_PIECES, max_size=10).map("".join), min_size=1, max_size=8))
def test_the_vectorised_skeleton_test_answers_as_each_text_would(texts: list[str]) -> None:
    import polars as pl

    from multus_forensics.classify.normalise import may_hold_expr

    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    got = frame.select(
        may_hold_expr(pl.col("t"), s).alias(str(i)) for i, s in enumerate(_SKELETONS)
    )
    for i, skeletons in enumerate(_SKELETONS):
        assert got.get_column(str(i)).to_list() == [_may_hold_by_text(t, skeletons) for t in texts]


_DAMAGE = st.sampled_from(
    ["\\", '\\"', "\\n", "\\\\", "\n", " ", "*", "**", "_", "`", "a", "x_y", '"']
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_DAMAGE, max_size=12).map("".join), st.sets(st.sampled_from(sorted(NOTES))))
def test_a_text_said_unable_to_give_a_note_never_gives_it(text: str, missing: set[str]) -> None:
    if set(normalise(text).notes) & missing:
        assert may_note(text, frozenset(missing))


def _casefold_reference(text: str) -> tuple[str, ...]:
    """:func:`casefold_variants` as first written: word by word (the module counts in C)."""
    upper = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    words = text.split()
    n = len(words)
    if n >= 3:
        if (
            regex.search(r"[A-Z]{4,}", text)
            and sum(1 for w in words if w.isupper() and len(w) > 1) * 2 > n
        ):
            return (text.lower(),)
        few = text.isascii() and sum(1 for w in words if w[0] in upper) * 2 <= n
        if not few and sum(1 for w in words if w[:1].isupper() and w[1:].islower()) * 2 > n:
            return (text.lower(),)
    inner = regex.sub(r"(: )([A-Z])(?=[a-z])", lambda m: m.group(1) + m.group(2).lower(), text)
    first = inner[:1].lower() + inner[1:] if inner[:2].istitle() else inner
    return tuple(dict.fromkeys(v for v in (inner, first) if v != text))


_WORDS = st.sampled_from(
    ["Did", "not", "FIND", "IP", ": ", " ", "\t", "\x1c", "\u00a0", "É", "x", "Ab", "\n", "ERROR"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=14).map("".join))
def test_case_variants_counted_in_c_equal_the_word_by_word_count(text: str) -> None:
    assert casefold_variants(text) == _casefold_reference(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_DAMAGE, max_size=10).map("".join), min_size=1, max_size=8))
def test_the_vectorised_note_pretest_answers_as_each_text_would(texts: list[str]) -> None:
    import polars as pl

    from multus_forensics.classify.normalise import may_note_expr

    texts = [*texts, "", "é_x", "/_x", "_", "a\\nb_"]
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    for note in sorted(NOTES):
        got = frame.select(may_note_expr(pl.col("t"), note)).to_series().to_list()
        assert got == [bool(t) and may_note(t, frozenset({note})) for t in texts], note
        # a pre-test: never false where normalising gives the note
        assert all(g for g, t in zip(got, texts, strict=True) if note in normalise(t).notes)


def test_transit_notes_sought_per_note_are_those_sought_hit_by_hit() -> None:
    from multus_forensics.classify import engine
    from multus_forensics.classify.context import Context
    from multus_forensics.classify.normalise import transit_adjust
    from multus_forensics.classify.predicates import Hit

    texts = [
        'failed to lookup master \\"eth1\\": Link not found',
        "**failed to lookup master** eth1: Link not found",
        "failed to lookup master eth1: Link not found",
        "failed to lookup mas\n    ter eth1: Link not found",
    ]
    events = [
        mf.Event(time=None, kind="cni:error", level="error", message=t, error=t, raw=t)
        for t in texts * 80
    ]
    ctx = Context.of(events)
    rule = mf.load_catalog().by_id("MASTER-MISSING")
    match = regex.search("master", "master")
    assert match is not None
    hits = [Hit(rule, v, match) for v in ctx.views]
    for h in hits:
        list(h.view.texts)
    noting = engine._noting(ctx, hits)
    assert noting is not None
    by_hit: list[str] = []
    per_note: list[str] = []
    assert transit_adjust(0.5, by_hit, hits) == transit_adjust(0.5, per_note, hits, noting)
    assert per_note == by_hit
    assert by_hit == [f"text normalised: {n}" for n in sorted(NOTES)]
