"""A large file read by offset, window by window, parses as the same file read whole.

Real excerpts (``tests/data/real``, their sources in its README) and samples are repeated past
the small-file read (1 MiB), then parsed with a window of a few KiB placed so that its edge
falls inside a line, inside an ``output=<`` block, inside a wrapped multi-line Multus record
and between the CR and LF of a CRLF pair (a CRLF file is folded as it is read), and with chunks of a few hundred lines (each chunk
read alone, with the line after it). Each parse must give the rows, issues and statistics of
the same file read in one piece.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import multus_forensics as mf
from multus_forensics.filebytes import FileBytes, FoldedBytes, read_lines
from multus_forensics.formats.kubelet import _journalvec
from multus_forensics.formats.runtime import _runtimefast
from multus_forensics.ingest import Limits, RawStream, decode, iter_streams

REAL = Path(__file__).parent / "data" / "real"
SAMPLES = Path(__file__).parent.parent / "sample_logs"
#: past SMALL_FILE_BYTES (1 MiB): read by the walk, where a file above the window is lazy
SIZE = (1 << 20) + (300 << 10)
WHOLE = Limits(window_bytes=1 << 40)


def _repeated(src: Path, dst: Path, crlf: bool = False) -> bytes:
    one = src.read_bytes()
    if not one.endswith(b"\n"):
        one += b"\n"
    if crlf:
        one = one.replace(b"\n", b"\r\n")
    data = one * (SIZE // len(one) + 1)
    dst.write_bytes(data)
    return data


def _edge_inside(data: bytes, needle: bytes, into: int) -> int:
    """A window size whose first edge falls ``into`` bytes past the end of ``needle``."""
    at = data.index(needle) + len(needle) + into
    assert 0 < at < len(data)
    assert data[at - 1 : at] != b"\n"
    return at


def _same(path: Path, window: int) -> None:
    whole = mf.parse(str(path), on_error="collect", limits=WHOLE)
    lazy = mf.parse(str(path), on_error="collect", limits=Limits(window_bytes=window))
    assert lazy.frame.height == whole.frame.height > 0
    assert lazy.frame.equals(whole.frame)
    assert [str(i) for i in lazy.issues] == [str(i) for i in whole.issues]
    assert lazy.stats.to_polars().equals(whole.stats.to_polars())


@pytest.fixture(params=[False, True], ids=["chunks-as-shipped", "chunks-of-few-lines"])
def small_chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.param:  # chunk edges everywhere too: each chunk's bytes read alone
        monkeypatch.setattr(_journalvec, "CHUNK_ROWS", 512)
        monkeypatch.setattr(_runtimefast, "SCAN_ROWS", 256)
    return


def test_a_large_file_is_read_by_offset_not_whole(tmp_path: Path) -> None:
    path = tmp_path / "node.journal"
    _repeated(REAL / "vijayrod_aks_liveness.journal", path)
    (stream,) = list(iter_streams([str(path)], Limits(window_bytes=1 << 16)))
    assert isinstance(stream, RawStream)
    assert isinstance(stream.data, FileBytes)
    (read,) = list(iter_streams([str(path)], WHOLE))
    assert isinstance(read, RawStream)
    assert isinstance(read.data, bytes)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize(
    "name", ["vijayrod_aks_liveness.journal", "openshift_bootstrap_kubelet_sh.journal"]
)
def test_window_edge_inside_a_block_gives_the_rows_of_one_window(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = _repeated(REAL / name, path)
    for window in (_edge_inside(data, b"=<\n", 5), 4099):
        _same(path, window)


@pytest.mark.usefixtures("small_chunks")
def test_window_edge_inside_a_line_of_bare_klog_gives_the_rows_of_one_window(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kubelet.log"
    data = _repeated(REAL / "kubernetes_77174_kubelet.log", path)
    for window in (_edge_inside(data, b"] ", 3), 4099, 65_537):
        _same(path, window)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize(
    "name", ["dlbewley_udn_multus_wrapped.log", "netobserv_secondary_network_multus.log"]
)
def test_window_edge_inside_a_multiline_multus_record_gives_the_rows_of_one_window(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "multus.log"
    data = _repeated(REAL / name, path)
    first = data.index(b"\n") + 1  # the second line: a wrapped record's tail, or a record
    for window in (first + 7, 4099):
        _same(path, window)


@pytest.mark.usefixtures("small_chunks")
def test_window_edge_inside_a_logrus_line_gives_the_rows_of_one_window(tmp_path: Path) -> None:
    path = tmp_path / "crio.log"
    _repeated(SAMPLES / "runtime" / "crio-old.log", path)
    _same(path, 4099)


@pytest.mark.usefixtures("small_chunks")
def test_window_edge_on_a_crlf_pair_gives_the_rows_of_one_window(tmp_path: Path) -> None:
    path = tmp_path / "node.journal"
    data = _repeated(REAL / "vijayrod_aks_liveness.journal", path, crlf=True)
    (stream,) = list(iter_streams([str(path)], Limits(window_bytes=1 << 16)))
    assert isinstance(stream, RawStream)
    src, issues = decode(stream)
    assert isinstance(src.data, FoldedBytes)  # folded as read, not read whole to be folded
    assert not issues
    folded = data.replace(b"\r\n", b"\n")
    assert src.data.find(b"=<\n", 5000) == folded.find(b"=<\n", 5000)
    assert src.data[70_000:70_500] == folded[70_000:70_500]
    _same(path, data.index(b"\r\n") + 1)  # the edge between CR and LF
    _same(path, 4099)


def test_windows_cover_the_file_and_end_at_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    data = b"".join(b"%d %s\n" % (i, b"x" * (i % 97)) for i in range(5000)) + b"tail"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    fb = FileBytes(fd, len(data), str(path), window=1000)
    parts = [(base, bytes(w)) for base, w in fb.windows()]  # (each valid until the next)
    assert b"".join(w for _, w in parts) == data
    assert all(w.endswith(b"\n") for _, w in parts[:-1])
    assert [base for base, _ in parts] == [
        sum(len(w) for _, w in parts[:k]) for k in range(len(parts))
    ]
    assert fb.find(b"4999 ") == data.find(b"4999 ")
    assert fb.find(b"\ntail") == data.find(b"\ntail")  # across a window edge
    assert fb.find(b"absent") == -1
    assert fb.count(b"\n") == data.count(b"\n")
    starts = [0, 7, 3000, 9, len(data) - 4]
    assert read_lines(fb, starts, [5] * 4 + [4]) == [data[a : a + 5] for a in starts[:4]] + [
        b"tail"
    ]


def test_a_file_truncated_while_scanned_is_an_issue_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multus_forensics import pipeline

    path = tmp_path / "node.journal"
    _repeated(REAL / "vijayrod_aks_liveness.journal", path)
    size = path.stat().st_size
    choose_before = pipeline._choose

    def truncated_after(*args: Any) -> Any:  # copytruncate after the check, before the scan
        chosen = choose_before(*args)
        os.truncate(path, size // 3)
        return chosen

    monkeypatch.setattr(pipeline, "_choose", truncated_after)
    log = mf.parse(str(path), on_error="collect", limits=Limits(window_bytes=1 << 16))
    (issue,) = [i for i in log.issues if "shrank" in i.reason]
    assert issue.severity == "error"
    assert issue.file == str(path)
    assert f"from {size} to {size // 3} bytes" in issue.reason
    (fs,) = log.stats.files
    assert fs.balanced
    assert fs.issue_lines == fs.lines > 0
    assert issue.lost  # (what makes every command exit 1)


def test_a_file_truncated_while_checked_keeps_the_lines_it_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "node.journal"
    data = _repeated(REAL / "vijayrod_aks_liveness.journal", path)
    windows_before = FileBytes.windows

    def truncating(
        self: FileBytes, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, bytes]]:
        for k, part in enumerate(windows_before(self, start, end)):
            yield part
            if k == 0:
                os.truncate(path, len(data) // 2)

    monkeypatch.setattr(FileBytes, "windows", truncating)
    log = mf.parse(str(path), on_error="collect", limits=Limits(window_bytes=1 << 16))
    (issue,) = [i for i in log.issues if "shrank" in i.reason]
    kept = data[: len(data) // 2]
    kept = kept[: kept.rfind(b"\n") + 1]
    lines = kept.count(b"\n")
    assert f"the {lines} complete lines it still held were kept" in issue.reason
    (fs,) = log.stats.files
    assert fs.lines == lines
    assert fs.balanced
    assert log.frame.height > 0


def test_a_chunk_read_by_offset_holds_the_line_after_it(tmp_path: Path) -> None:
    """The scanners look at the next line's head to know a record has no continuation."""
    from multus_forensics.formats.fast._windows import Chunk, line_index

    path = tmp_path / "x.log"
    data = b"".join(b"line %d\n" % i for i in range(100))
    path.write_bytes(data)
    fb = FileBytes(os.open(path, os.O_RDONLY), len(data), str(path), window=64)
    starts, lens, _ = line_index(fb)
    assert list(lens) == [len(b"line %d" % i) for i in range(100)]
    part = Chunk(fb, starts, lens, 10, 20)
    assert part.span == (0, 10)
    assert len(part.starts) == 11
    assert part.line(20) == b"line 20"  # the next line, read with the chunk
    assert bytes(part.buffer()) == data[starts[10] : starts[19] + lens[19]]
    last = Chunk(fb, starts, lens, 90, 100)
    assert len(last.starts) == 10
    assert last.line(99) == b"line 99"


def _same_limits(path: Path, small: Limits, whole: Limits) -> None:
    lazy_log = mf.parse(str(path), on_error="collect", limits=small)
    whole_log = mf.parse(str(path), on_error="collect", limits=whole)
    assert lazy_log.frame.height == whole_log.frame.height > 0
    assert lazy_log.frame.equals(whole_log.frame)
    assert [str(i) for i in lazy_log.issues] == [str(i) for i in whole_log.issues]
    assert lazy_log.stats.to_polars().equals(whole_log.stats.to_polars())


def test_a_compressed_stream_is_decompressed_window_by_window(tmp_path: Path) -> None:
    import gzip

    plain = tmp_path / "plain.journal"
    data = _repeated(REAL / "vijayrod_aks_liveness.journal", plain)
    path = tmp_path / "node.journal.gz"
    path.write_bytes(gzip.compress(data))
    (stream,) = list(iter_streams([str(path)], Limits(window_bytes=1 << 16)))
    assert isinstance(stream, RawStream)
    assert isinstance(stream.data, FileBytes)  # spooled, read by offset
    assert bytes(stream.data) == data
    _same_limits(path, Limits(window_bytes=4099), WHOLE)


def test_a_damaged_or_capped_compressed_stream_keeps_what_one_read_keeps(tmp_path: Path) -> None:
    import gzip

    plain = tmp_path / "plain.journal"
    data = _repeated(REAL / "vijayrod_aks_liveness.journal", plain)
    packed = gzip.compress(data)
    cut = tmp_path / "cut.journal.gz"
    cut.write_bytes(packed[: len(packed) * 2 // 3])  # the stream ends inside a block
    _same_limits(cut, Limits(window_bytes=4099), WHOLE)
    capped = tmp_path / "capped.journal.gz"
    capped.write_bytes(packed)
    cap = len(data) // 2 + 17  # inside a line
    _same_limits(
        capped,
        Limits(window_bytes=4099, max_member_bytes=cap),
        Limits(window_bytes=1 << 40, max_member_bytes=cap),
    )


def test_find_reads_a_small_step_first_and_finds_across_step_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next line end a few bytes on is found by a small read, not a whole window's (a
    window read per careful line copied a 100 MB journal 1,176 times); a needle across a
    step's edge or far away is still found."""
    from multus_forensics import filebytes

    step = filebytes.FIND_STEP
    data = bytearray(b"x" * (6 * step))
    data[10:11] = b"\n"
    data[step - 1 : step + 1] = b"=<"  # across the first step's edge
    data[5 * step + 7 : 5 * step + 8] = b"!"
    path = tmp_path / "f.log"
    path.write_bytes(bytes(data))
    fb = FileBytes(os.open(path, os.O_RDONLY), len(data), str(path), window=4 * step)
    spans: list[int] = []
    read = FileBytes.read

    def counted(self: FileBytes, start: int, end: int) -> bytes:
        spans.append(end - start)
        return read(self, start, end)

    monkeypatch.setattr(FileBytes, "read", counted)
    try:
        assert fb.find(b"\n", 0) == 10
        assert spans == [step]
        assert fb.find(b"=<", 11) == step - 1
        assert fb.find(b"!") == 5 * step + 7
        assert fb.find(b"?") == -1
        assert max(spans) <= 4 * step
    finally:
        fb.close()
