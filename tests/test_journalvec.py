"""The vectorised journald path against the careful one on awkward lines, and its byte helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multus_forensics as mf
from multus_forensics.formats.base import ParseContext
from multus_forensics.formats.fast import _bytevec
from multus_forensics.formats.fast._arrowview import string_view_series
from multus_forensics.formats.kubelet import _journalvec, journald
from multus_forensics.formats.kubelet.klog import ID_KEYS
from multus_forensics.ingest.model import Limits
from multus_forensics.ingest.sources import RawStream, decode, iter_streams
from multus_forensics.model import ParseIssue
from multus_forensics.timeutil import YearAnchor, years_for_months

HEAD = "Mar 11 14:02:07 edge-node-2 kubelet[2231]: "
KLOG = "I0311 14:02:07.418552    2231 x.go:1] "
AWKWARD = [
    KLOG + '"dup" pod="a/b" pod="c/d"',  # klog: the last duplicate wins
    KLOG + '"dup" k="1" k="2" pod="a/b"',  # fields keep one key
    KLOG + '"dup" pods=["a/b"] n=1 pods=["c/d"]',  # also among unquoted values
    KLOG + '"json" event={"ID":"u}","Type":"T","Data":"d"} pod="a/b"',
    KLOG.replace("14:02:07.4", "14:02:60.4") + '"second 60" pod="a/b"',
    KLOG.replace("0311", "0231") + '"February 31" pod="a/b"',
    KLOG + '"esc \\"q\\"" err="x \\\\ y" pod="a/b"',
    KLOG + '"m" err="unterminated',
    KLOG + '"m" err=bare pod="a/b"',
    KLOG + '"m"err="x"',
    KLOG + '""',
    KLOG + "plain text naming a sandbox",
    KLOG + '"h\u00e9llo" pod="a/b"',
    KLOG + '"SyncLoop (probe)" probe="readiness" status="ready" pod="lab/p"',
    KLOG + '"esc" k="tab\\there" b="bell\\a" n="nl\\nx" q="odd\\qx" pod="a\\"b/c"',
    KLOG
    + '"json" podSandboxID={"Type":"containerd","ID":"i"} ids=["a","b"] containerID=docker://x',
]


def _compare(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    fast = mf.parse(str(path), format="journald", year=2026)
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 10**12)
    slow = mf.parse(str(path), format="journald", year=2026)
    assert fast.to_polars().equals(slow.to_polars())
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]


@pytest.mark.parametrize("chunk", [3, 1000])
def test_awkward_klog_lines_parse_as_on_the_careful_path(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [HEAD + payload for payload in AWKWARD * 3]
    lines.insert(5, "  a continuation line")
    lines.insert(9, HEAD.replace("edge-node-2", "other-node") + KLOG + '"x" pod="a/b"')
    path = tmp_path / "awkward.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", chunk)
    _compare(path, monkeypatch)


#: journald-looking lines that are no record: both paths must take them as continuations
NOT_RECORDS = [
    "Mar 11 14:02:07 edge-node-2 proc:name[1]: text",
    "Mar 11 14:02:07 edge-node-2 kubelet[]: text",
    "Mar 11 14:02:07 edge-node-2 kubelet[2231]:text",
    "Mar 11 14:02:07",
    "Mar 11 14:02:07 edge-node-2 pro\tc[1]: text",
    "Mär 11 14:02:07 edge-node-2 kubelet[2231]: text",
    "Mar 11 14:02:07 _host kubelet[2231]: text",
]


@pytest.mark.parametrize("chunk", [2, 1000])
def test_lines_that_only_look_like_records_continue_the_previous_one_on_both_paths(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    for odd in NOT_RECORDS:
        lines += [HEAD + KLOG + '"before" pod="a/b"', odd, HEAD + KLOG + '"after" pod="a/b"']
    path = tmp_path / "odd.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(_journalvec, "CHUNK_ROWS", chunk)
    _compare(path, monkeypatch)


def test_repeated_keys_send_the_row_to_the_careful_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dup.journal"
    path.write_text(HEAD + KLOG + '"dup" k="1" k="2"\n', encoding="utf-8")
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    row = mf.parse(str(path), format="journald", year=2026).to_polars().row(0, named=True)
    assert row["fields"] == '{"pid":"2231","k":"2"}'


def test_string_views_read_the_bytes_without_copying_them() -> None:
    data = b"short\ntwelve bytes\nthirteen bytes\n\nend"  # 12 bytes are inline, 13 are not
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _bytevec.line_bounds(arr)
    valid = np.array([True, True, False, True, True])
    col = _bytevec.string_views("x", data, arr, starts, ends - starts, 0, valid)
    assert col.to_list() == ["short", "twelve bytes", None, "", "end"]


@settings(max_examples=300, deadline=None)
@given(
    months=st.lists(st.integers(0, 12), max_size=60),
    end=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_compiled_years_count_rollovers_as_the_reference_does(
    months: list[int], end: datetime
) -> None:
    """The scanner's years (0: a line without a stamp) are the pure-Python reference's years of
    the stamped lines, anchored by a file mtime at the stream's end (the anchor that reads all
    three of the rollover count, the first and the last month)."""
    ctx = ParseContext(year_anchor=YearAnchor(reference=end.replace(tzinfo=UTC), source="mtime"))
    stamped = [m for m in months if m]
    expected = iter(years_for_months(stamped, ctx.year_anchor))
    got = _journalvec._years(bytes(months), ctx)
    assert got.dtype == np.int64
    assert got.tolist() == [next(expected) if m else 0 for m in months]


def test_a_chunk_writes_each_repeated_fields_text_about_once_among_thousands() -> None:
    """A busy journal repeats a few thousand distinct fields texts (a probe status per pod) on
    most rows of a chunk: the scanner views a text it already wrote instead of writing it again,
    so the chunk's new text follows the distinct texts, not the rows (1,024 slots of the table
    wrote nearly every row of this chunk)."""
    from multus_forensics._native import require

    _kscan = require("_kscan")
    distinct = 3000
    lines = [
        HEAD + KLOG + f'"SyncLoop (probe)" probe="readiness" status="s{j}" pod="lab/p"'
        for _ in range(4)
        for j in range(distinct)
    ]
    data = ("\n".join(lines) + "\n").encode()
    starts_b, lens_b, _ = _kscan.lines(data)
    starts, lens = np.frombuffer(starts_b, np.int64), np.frombuffer(lens_b, np.int64)
    years = np.full(len(starts), 2026, dtype=np.int64)
    _, m, _, views, valid, text, _, _ = _kscan.scan(
        data, starts, lens, years, 0, len(starts), _journalvec._KINDS, _journalvec._LEGACY,
        _journalvec._LEVELS, _journalvec._SOURCES, _journalvec.careful_starts(),
        _journalvec._LOGRUS_LEVELS, False, None,
    )  # fmt: skip
    fields = _journalvec._SCAN_COLUMNS.index("fields")
    assert m == len(lines)
    col = string_view_series("fields", m, views[fields], valid[fields], (data, text))
    assert col[:2].to_list() == [
        '{"pid":"2231","probe":"readiness","status":"s0"}',
        '{"pid":"2231","probe":"readiness","status":"s1"}',
    ]
    assert col.n_unique() == distinct
    offsets = np.frombuffer(views[fields], np.uint8).reshape(-1, 16)[:, 12:16].copy()
    written = len({bytes(o) for o in offsets})
    assert written < 1.5 * distinct


def test_word_loads_past_the_end_read_zero_bytes() -> None:
    arr = np.frombuffer(b"0123456789", dtype=np.uint8)
    block = _bytevec.field_bytes(arr, np.array([0, 6, 20]), 6)
    assert [bytes(row) for row in block] == [b"012345", b"6789\0\0", b"\0" * 6]
    assert _bytevec.numbers(block[:1], ((0, 2), (2, 4))).tolist() == [[1, 2345]]


def test_clean_bytes_are_decoded_only_when_text_is_asked_for() -> None:
    data = b"Mar 11 14:02:05 n1 k[1]: x\n" * 3 + b"h\xc3\xa9\n"
    src, issues = decode(RawStream("a", data))
    assert not issues
    assert src.data is data
    assert "text" not in vars(src)  # not decoded yet
    assert src.line_count == 4
    assert src.head(2) == ["Mar 11 14:02:05 n1 k[1]: x"] * 2
    assert "text" not in vars(src)
    assert src.lines[-1] == "hé"


def test_a_large_plain_file_reaches_the_parser_byte_for_byte(tmp_path: Path) -> None:
    # Past the reader's buffer, so a rewind that trusted the buffered offset would lose bytes.
    body = "".join(f'{HEAD}{KLOG}"line {i}" pod="lab/p{i}"\n' for i in range(3000)).encode()
    path = tmp_path / "journal.log"
    path.write_bytes(body)
    (stream,) = iter_streams([str(path)])
    assert isinstance(stream, RawStream)
    assert stream.data == body


def test_a_plain_file_over_the_cap_keeps_only_its_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    path.write_bytes(b"first line\nsecond line\n")
    items = list(iter_streams([str(path)], Limits(max_member_bytes=15)))
    data = [i.data for i in items if isinstance(i, RawStream)]
    assert data == [b"first line\n"]
    assert any(isinstance(i, ParseIssue) and "cap of 15 bytes" in i.reason for i in items)


SANDBOX = "f" * 64
#: every identity key the careful path reads (the scanner has its own list), and others
_KEYS = (*ID_KEYS, "event", "k", "a.b")
_VALUES = (
    '"lab/web-1"', '"web-1"', '""', '"x \\"q\\" y"', '"a\\\\b"', '"tab\\there"', '"nl\\nx"',
    '"bell\\a"', '"hex\\x41"', '"u\\u00e9"', '"odd\\qx"', "bare", "", "docker://abc",
    '"containerd://' + SANDBOX + '"', '{"ID":"u1","Data":"d1"}', '{"Type":"containerd","ID":"i"}',
    '["a/b","c/d"]', "[]", '{"a":1}', '{"ID":"x","ID":"y"}',
    f'"failed to setup network for sandbox \\"{SANDBOX}\\": boom"',
    f'"pod sandbox k8s_web_lab_u_0({SANDBOX}) gone"', '"unterminated',
)  # fmt: skip
_MESSAGES = (
    '"SyncLoop (probe)"', '"Failed to create sandbox for pod"', '"Error syncing pod, skipping"',
    '"esc \\"m\\""', '"network for sandbox \\"' + SANDBOX + '\\""', '""',
    "Error syncing pod 1 (\"a_b(c)\"), skipping: x", "plain legacy text", '"unclosed',
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from(_MESSAGES),
            st.lists(st.tuples(st.sampled_from(_KEYS), st.sampled_from(_VALUES)), max_size=4),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_scanner_and_the_careful_path_agree_on_generated_records(
    records: list[tuple[str, list[tuple[str, str]]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = [HEAD + KLOG + msg + "".join(f" {k}={v}" for k, v in pairs) for msg, pairs in records]
    path = tmp_path / "generated.journal"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _compare(path, monkeypatch)


def test_the_scanner_finishes_plain_structured_records_itself() -> None:
    from multus_forensics import _kscan

    line = (HEAD + KLOG + '"SyncLoop (probe)" probe="readiness" pod="lab/p"').encode()
    data = line + b"\n" + line + b"\n"
    starts, lens, months = _kscan.lines(data)
    years = np.full(2, 2026, dtype=np.int64)
    starts_a, lens_a = np.frombuffer(starts, np.int64), np.frombuffer(lens, np.int64)
    assert list(np.frombuffer(months, np.uint8)) == [3, 3]
    kinds = tuple((k.encode(), v.encode()) for k, v in _journalvec.STRUCTURED_KINDS.items())
    levels = (b"i", b"w", b"e", b"f")
    out = _kscan.scan(data, starts_a, lens_a, years, 0, 2, kinds, (), levels, (), (), ())
    assert out[0] == b"\x00\x00"
    assert out[1] == 2
    assert b'{"pid":"2231","probe":"readiness"}' in out[5]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_mapped_file_parses_like_one_read_into_memory(
    ending: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [HEAD + payload for payload in AWKWARD * 2]
    path = tmp_path / "mapped.journal"
    path.write_bytes(ending.join(lines).encode() + ending.encode())
    monkeypatch.setattr(journald, "VECTOR_MIN_LINES", 1)
    mapped = mf.parse(str(path), format="journald", year=2026, limits=Limits(map_min_bytes=1))
    read = mf.parse(str(path), format="journald", year=2026, limits=Limits(map_min_bytes=None))
    assert mapped.to_polars().equals(read.to_polars())
    assert [str(i) for i in mapped.issues] == [str(i) for i in read.issues]


def test_large_plain_files_reach_the_parser_as_mappings(tmp_path: Path) -> None:
    import mmap

    path = tmp_path / "big.journal"
    path.write_text(HEAD + KLOG + '"x" pod="a/b"\n', encoding="utf-8")
    (stream,) = iter_streams([str(path)], Limits(map_min_bytes=1))
    assert isinstance(stream, RawStream)
    assert isinstance(stream.data, mmap.mmap)
    src, issues = decode(stream)
    assert isinstance(src.data, mmap.mmap)
    assert not issues
    assert src.lines == [HEAD + KLOG + '"x" pod="a/b"']
