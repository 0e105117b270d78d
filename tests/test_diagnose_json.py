"""``diagnose --json`` writes a large finding's evidence from each item's fields, a chunk of
items per piece: the document must stay the one ``json.dumps`` of the whole diagnosis gives."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from multus_forensics.classify.findings import Diagnosis, Evidence, Finding
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


def _finding(evidence: tuple[Evidence, ...]) -> Finding:
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
