"""What the analysis holds after the parse: views made from the frame's columns without a
copy of each row's ``fields``, repeated strings held once, pre-selected rows narrowed to the
columns read, the JSON document written an evidence item at a time. Values never change.

Peak memory itself is measured by ``benchmarks/bench_pipeline.py``, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

import multus_forensics as mf
from multus_forensics.classify.context import TEXTY_COLUMNS, Context
from multus_forensics.model import LazyFields, frame_to_events

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


def _multus_log(pods: int, adds: int) -> str:
    """A Multus log whose pods each add ``adds`` interfaces (one pod, many rows)."""
    out = []
    for p in range(pods):
        uid = f"2d1371c1-7149-4439-836b-{p:012d}"
        for a in range(adds):
            result = json.dumps(
                {
                    "cniVersion": "0.3.1",
                    "interfaces": [{"name": f"net{a}", "sandbox": f"/var/run/netns/cni-{uid}"}],
                    "ips": [{"version": "4", "interface": 0, "address": f"10.244.{p}.{a}/24"}],
                }
            )
            out.append(
                f"2026-03-11T13:00:0{a % 10}Z [verbose] Add: ns0:app-{p}:{uid}:"
                f"ns0/macvlan-conf(macvlan-conf):net{a} {result}"
            )
    return "\n".join(out) + "\n"


def test_lazy_fields_read_from_a_column_equal_the_decoded_text() -> None:
    texts = ['{"a": 1, "b": {"c": [2]}}', None, "damaged {", '{"z": "y"}']
    column = pl.Series("fields", texts, dtype=pl.String)
    for pos, text in enumerate(texts):
        lazy = LazyFields(None, column, pos)
        assert dict(lazy) == dict(LazyFields(text))
        assert lazy.get("a") == LazyFields(text).get("a")


def test_views_equal_the_frames_rows_and_share_one_object_per_repeated_identity(
    tmp_path: Path,
) -> None:
    path = tmp_path / "multus.log"
    path.write_text(_multus_log(pods=3, adds=6))
    frame = mf.parse(str(path)).to_polars()
    ctx = Context.of_frame(frame)
    views = ctx.views_at(range(frame.height))
    expected = frame_to_events(ctx.frame.select(frame.columns))
    for view, event in zip(views, expected, strict=True):
        assert view.event.fields == event.fields
        assert [getattr(view.event, c) for c in frame.columns if c != "fields"] == [
            getattr(event, c) for c in frame.columns if c != "fields"
        ]
    same_pod = [v.event for v in views if v.event.pod == views[0].event.pod]
    assert len(same_pod) == 6
    assert all(e.pod is same_pod[0].pod and e.pod_uid is same_pod[0].pod_uid for e in same_pod)
    # each row keeps its own text
    assert len({id(v.event.raw) for v in views}) == len(views)


def test_a_mask_reading_a_column_the_preselection_drops_still_finds_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "multus.log"
    path.write_text(_multus_log(pods=2, adds=3))
    frame = mf.parse(str(path)).to_polars()
    ctx = Context.of_frame(frame, frozenset({"macvlan-conf"}))
    assert "pod" not in TEXTY_COLUMNS
    assert set(ctx.texty.columns) == {"_pos", *TEXTY_COLUMNS}
    mask = pl.col("pod") == "app-1"
    assert ctx.positions(mask, frozenset({"macvlan-conf"})) == [3, 4, 5]
    assert ctx.positions(pl.col("kind") == "multus:add", frozenset({"macvlan-conf"})) == list(
        range(6)
    )


def test_diagnose_json_writes_evidence_a_bounded_chunk_per_piece() -> None:
    from multus_forensics.commands.diagnose import EVIDENCE_CHUNK, json_pieces
    from multus_forensics.visible import json_visible

    diag = mf.diagnose(str(SAMPLES / "multus"), year=2026)
    items = sum(len(f.evidence) for f in diag.findings)
    assert items > 1
    pieces = list(json_pieces(diag))
    assert "".join(pieces) == json_visible(json.dumps(diag.to_dict(), ensure_ascii=False))
    # an item starts with its key (a quote inside a value is escaped): no piece holds more
    # than a chunk of items, so the document is never made whole
    per_piece = [p.count('{"where": ') for p in pieces]
    assert sum(per_piece) == items
    assert max(per_piece) <= EVIDENCE_CHUNK
