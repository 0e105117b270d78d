"""``diagnose --json`` writes a large finding's evidence from each item's fields, a chunk of
items per piece: the document must stay the one ``json.dumps`` of the whole diagnosis gives."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multus_forensics.classify.findings import (
    Diagnosis,
    Evidence,
    EvidenceItems,
    Finding,
    QuietRows,
    claimed,
)
from multus_forensics.commands.diagnose import EVIDENCE_CHUNK, json_pieces
from multus_forensics.visible import json_visible

#: characters JSON escapes, those json_visible escapes (DEL, C1, bidi), and plain text
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\\n\t\r\x00\x1b\x7f\x85\x9b\u202e\u2066\u200f…é/'),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)


def _evidence() -> st.SearchStrategy[Evidence]:
    return st.builds(
        Evidence,
        file=_TEXT,
        line=st.integers(min_value=0, max_value=10**9),
        text=_TEXT,
        claim=st.sampled_from(["match", "context"]),
        member=st.one_of(st.none(), _TEXT),
        full=st.one_of(st.just(""), _TEXT),
    )


def _finding(evidence: Sequence[Evidence]) -> Finding:
    return Finding(
        "multus_self_delegation", "R", "t", "error", 0.5, "s", (), ("ns/p",), None, None,
        len(evidence), evidence,
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_evidence(), max_size=6))
def test_evidence_written_from_fields_is_json_dumps_of_their_dicts(items: list[Evidence]) -> None:
    diag = Diagnosis([_finding(tuple(items))])
    whole = json_visible(json.dumps(diag.to_dict(), ensure_ascii=False))
    assert "".join(json_pieces(diag)) == whole


def test_evidence_over_several_chunks_is_one_array_in_order() -> None:
    items = tuple(
        Evidence("f.log", i, f"t{i}\u009b", "context", None if i % 2 else "m", "full" * (i % 3))
        for i in range(2 * EVIDENCE_CHUNK + 3)
    )
    diag = Diagnosis([_finding(items), _finding(items[:1]), _finding(())])
    pieces = list(json_pieces(diag))
    assert "".join(pieces) == json_visible(json.dumps(diag.to_dict(), ensure_ascii=False))
    # a chunk of items per piece: neither an item per piece nor the whole array in one
    per_piece = [p.count('{"where": ') for p in pieces if '{"where": ' in p]
    assert max(per_piece) == EVIDENCE_CHUNK
    assert sum(per_piece) == len(items) + 1


#: a record: short or past the window, printable ASCII with JSON's escapes, or any text
_RECORD = st.one_of(
    _TEXT,
    st.text(alphabet=st.sampled_from('ab "\\:/{}'), min_size=380, max_size=420),
    st.builds(lambda t, tail: "x" * 395 + t + tail, _TEXT, _TEXT),
)
#: the row's place: a plain path, or any text (a member may be missing)
_PLACE = st.one_of(st.sampled_from(["/var/log/multus.log", 'a "q" \\b', ""]), _TEXT)


@st.composite
def _items(draw: st.DrawFn) -> EvidenceItems:
    """Items of which some are rows kept as columns (quiet) and some objects, interleaved."""
    import polars as pl

    n = draw(st.integers(min_value=0, max_value=8))
    rows = {
        "file": [draw(_PLACE) for _ in range(n)],
        "line": [draw(st.integers(min_value=0, max_value=10**9)) for _ in range(n)],
        "member": [draw(st.one_of(st.none(), _PLACE)) for _ in range(n)],
        "full": [draw(_RECORD) for _ in range(n)],
        "claim": [draw(st.sampled_from(["context", "match", 'a"b'])) for _ in range(n)],
    }
    schema = {"file": pl.String, "line": pl.Int64, "member": pl.String, "full": pl.String,
              "claim": pl.String}  # fmt: skip
    quiet = QuietRows(pl.DataFrame(rows, schema=schema))
    slots: list[Evidence | int] = list(range(n))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(slots)))
        slots.insert(at, draw(_evidence()))
    return EvidenceItems(slots, quiet)


@settings(max_examples=150, deadline=None)
@given(_items())
def test_quiet_rows_written_from_columns_are_json_dumps_of_their_items(
    items: EvidenceItems,
) -> None:
    """Rows kept as columns are written from the columns, never made into objects: the
    document is the one of the same items as objects."""
    as_objects = tuple(items)
    assert items == as_objects
    assert [e.claim for e in claimed(items, "match")] == [
        e.claim for e in as_objects if e.claim == "match"
    ]
    diag = Diagnosis([_finding(items)])
    whole = json_visible(
        json.dumps(Diagnosis([_finding(as_objects)]).to_dict(), ensure_ascii=False)
    )
    assert "".join(json_pieces(diag)) == whole


def test_quiet_rows_over_several_blocks_keep_their_order(monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    from multus_forensics.commands import diagnose

    monkeypatch.setattr(diagnose, "QUIET_BLOCK", 3)
    n = 2 * EVIDENCE_CHUNK + 5
    frame = pl.DataFrame(
        {"file": ["f.log"] * n, "line": list(range(n)), "member": [None] * n,
         "full": [f"add {i} " + "é" * (i % 7 == 0) for i in range(n)], "claim": ["context"] * n},
        schema={"file": pl.String, "line": pl.Int64, "member": pl.String, "full": pl.String,
                "claim": pl.String},
    )  # fmt: skip
    slots: list[Evidence | int] = list(range(n))
    slots.insert(4, Evidence("f.log", 3, "hit", "match", None, "hit"))
    items = EvidenceItems(slots, QuietRows(frame))
    got = json.loads("".join(json_pieces(Diagnosis([_finding(items)]))))
    lines = [e["line"] for e in got["findings"][0]["evidence"]]
    assert lines == [0, 1, 2, 3, 3, *range(4, n)]
    assert got["findings"][0]["evidence"][8]["text"] == "add 7 é"  # (the object is fifth)
