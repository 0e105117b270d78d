"""How the event frame holds its rows: constant columns as one value, string views shared with
the scanners' buffers without pyarrow, events made a slice at a time. Values never change.

Peak memory itself is measured by ``benchmarks/bench_pipeline.py``, not here.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import multus_forensics as mf
from multus_forensics.eventlog import ITER_ROWS
from multus_forensics.formats.fast._arrowview import string_view_series
from multus_forensics.model import SCALAR_MIN_ROWS, frame_to_events, shrink_constants


def _journal(lines: int) -> str:
    out = []
    for i in range(lines):
        stamp = f"Mar 11 14:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:06d}"
        klog = f"0311 14:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:06d}    2231"
        out.append(
            f'{stamp} edge-node-2 kubelet[2231]: I{klog} prober_manager.go:312] "SyncLoop (probe)" '
            f'probe="readiness" status="ready" pod="ns{i % 3}/app-{i % 7}"'
        )
    return "\n".join(out) + "\n"


def _views(values: list[bytes | None], data: bytes) -> tuple[bytes, bytes]:
    """Arrow views and validity of ``values``; long values point into ``data`` (buffer 0)."""
    views, bits = bytearray(), bytearray((len(values) + 7) // 8)
    for i, value in enumerate(values):
        if value is None:
            views += bytes(16)
            continue
        bits[i >> 3] |= 1 << (i & 7)
        if len(value) <= 12:
            views += struct.pack("<I", len(value)) + value.ljust(12, b"\0")
        else:
            views += struct.pack("<I4sII", len(value), value[:4], 0, data.index(value))
    return bytes(views), bytes(bits)


@pytest.mark.parametrize("native", [True, False])
def test_string_views_become_the_same_column_with_or_without_the_compiled_exporter(
    native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not native:
        monkeypatch.setenv("MULTUS_FORENSICS_NO_EXT", "1")  # the pyarrow path
    data = b"a value longer than twelve bytes | another long value here"
    values: list[bytes | None] = [b"short", None, b"a value longer than twelve bytes", b""]
    values += [b"another long value here", None, b"exactly12byt"]
    views, valid = _views(values, data)
    got = string_view_series("col", len(values), views, valid, [data])
    want = [None if v is None else v.decode() for v in values]
    assert got.name == "col"
    assert got.dtype == pl.String
    assert got.to_list() == want
    assert got.null_count() == 2
    every = string_view_series("all", 1, views[:16], None, [data])
    assert every.to_list() == ["short"]


def test_parsing_a_journal_on_the_fast_path_does_not_load_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.journal"
    path.write_text(_journal(200), encoding="utf-8")
    probe = (
        "import sys, json, multus_forensics as mf\n"
        "log = mf.parse(sys.argv[1], year=2026)\n"
        "from multus_forensics.formats.kubelet._journalvec import scanner_available\n"
        "print(json.dumps([len(log), scanner_available(), 'pyarrow' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True
    )
    rows, compiled, pyarrow = json.loads(done.stdout.splitlines()[-1])
    assert rows == 200
    assert pyarrow is not compiled  # the scanners export their columns themselves


def test_constant_and_null_columns_keep_their_values_and_dtypes_as_scalars() -> None:
    n = SCALAR_MIN_ROWS + 5
    df = pl.DataFrame(
        {
            "file": ["/var/log/kubelet.journal"] * n,
            "member": pl.Series([None] * n, dtype=pl.String),
            "nlines": [1] * n,
            "line": list(range(1, n + 1)),
            "level": ["info"] * (n - 1) + ["error"],
            "error": pl.Series([None] * (n - 1) + ["boom"], dtype=pl.String),
        }
    )
    shrunk = shrink_constants(df)
    assert_frame_equal(shrunk, df)
    assert shrunk.schema == df.schema
    # an operation on the shrunk frame gives what it gives on the original
    flt = pl.col("line") % 3 == 0
    assert_frame_equal(shrunk.filter(flt), df.filter(flt))
    assert_frame_equal(pl.concat([shrunk, shrunk]), pl.concat([df, df]))


def test_a_small_frame_is_returned_as_it_is() -> None:
    df = pl.DataFrame({"file": ["f"] * 10, "line": list(range(10))})
    assert shrink_constants(df) is df


def test_a_parsed_journal_equals_its_rows_read_back_whatever_columns_are_scalars(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kubelet.journal"
    path.write_text(_journal(SCALAR_MIN_ROWS + 100), encoding="utf-8")
    frame = mf.parse(str(path), year=2026).to_polars()
    rebuilt = pl.DataFrame(frame.rows(), schema=frame.schema, orient="row")
    assert_frame_equal(frame, rebuilt)
    assert frame["file"].unique().to_list() == [str(path)]
    assert frame["interface"].null_count() == frame.height


def test_iterating_a_log_gives_every_event_in_order_a_slice_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "kubelet.journal"
    path.write_text(_journal(ITER_ROWS + 7), encoding="utf-8")
    log = mf.parse(str(path), year=2026)
    events = iter(log)
    assert next(events) == frame_to_events(log.frame.head(1))[0]
    assert [e.line for e in log] == log.frame["line"].to_list()
    assert list(log) == frame_to_events(log.frame)


def test_diagnose_json_in_pieces_is_the_whole_document_escaped_as_before() -> None:
    from multus_forensics.classify import diagnose
    from multus_forensics.classify.findings import Diagnosis, Unclassified
    from multus_forensics.commands.diagnose import json_pieces
    from multus_forensics.visible import json_visible

    samples = Path(__file__).resolve().parent.parent / "sample_logs" / "kubelet"
    hostile = Diagnosis(
        unclassified=[Unclassified("csi \u009b[31m and \u202eevil", 2, "del \x7f, nel \x85")],
        stats={"files": 1, "lines": 3},
        exhausted_rules=["R1"],
    )
    for diag in (diagnose(str(samples), year=2026), hostile, Diagnosis()):
        whole = json_visible(json.dumps(diag.to_dict(), ensure_ascii=False))
        assert "".join(json_pieces(diag)) == whole
    assert "\\u009b" in "".join(json_pieces(hostile))


def test_rewritten_columns_are_cut_into_the_frames_chunks_without_changing_a_value() -> None:
    from multus_forensics.postparse import align_chunks

    blocks = [
        pl.DataFrame({"line": [1, 2, 3], "pod": ["a", None, "c"], "raw": ["x", "y", "z"]}),
        pl.DataFrame({"line": [4, 5], "pod": [None, "e"], "raw": ["u", "v"]}),
    ]
    df = pl.concat(blocks, rechunk=False)
    rewritten = pl.Series("pod", ["a", "b", "c", "d", "e"])
    df.replace_column(df.get_column_index("pod"), rewritten)
    assert df.get_column("pod").chunk_lengths() == [5]
    align_chunks(df, ("pod",))
    assert df.get_column("pod").chunk_lengths() == [3, 2]
    assert df.get_column("pod").to_list() == ["a", "b", "c", "d", "e"]
    assert df.get_column("raw").chunk_lengths() == [3, 2]
    one = pl.DataFrame({"line": [1, 2], "pod": ["a", "b"]})
    align_chunks(one, ("pod",))  # one chunk already: nothing to cut
    assert one.get_column("pod").to_list() == ["a", "b"]
