"""Compression chosen by magic bytes, multi-member streams, truncation, damage and the size cap."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.errors import ParseError
from multus_forensics.ingest import Limits, RawStream, iter_streams
from multus_forensics.ingest.compression import decompressed, sniff_compression, strip_suffix
from multus_forensics.pipeline import parse

pytestmark = pytest.mark.usefixtures("toy_registry")

LINES = [f"TOYFULL 2026-03-11T13:{i // 60:02d}:{i % 60:02d}Z event {i}" for i in range(3000)]
TEXT = ("\n".join(LINES) + "\n").encode()

CODECS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_codec_is_chosen_by_magic_bytes_not_by_name(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "misleading.log"  # no compression suffix at all
    path.write_bytes(CODECS[codec](TEXT))
    log = parse(str(path), format="toy")
    assert log.frame.height == len(LINES)
    assert log.issues == []


def test_gz_named_file_with_plain_text_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "already-gunzipped.toy.gz"
    path.write_bytes(TEXT)
    assert parse(str(path)).frame.height == len(LINES)


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_multi_member_streams_are_read_whole(tmp_path: Path, codec: str) -> None:
    half = TEXT.index(b"\n", len(TEXT) // 2) + 1
    path = tmp_path / "multi.toy"
    path.write_bytes(CODECS[codec](TEXT[:half]) + CODECS[codec](TEXT[half:]))
    log = parse(str(path))
    assert log.frame["line"].to_list() == list(range(1, len(LINES) + 1))


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_truncated_stream_keeps_the_events_before_the_cut(tmp_path: Path, codec: str) -> None:
    # distinct lines, so that compressed bytes spread evenly over the output (zstd and bzip2
    # emit whole blocks: the cut must fall well after the first one)
    lines = [f"TOYFULL 2026-03-11T13:02:05Z event {i} {i * 7919 % 100003}" for i in range(60000)]
    data = CODECS[codec](("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.toy"
    path.write_bytes(data[: int(len(data) * 0.6)])
    log = parse(str(path))
    kept = log.frame.height
    assert 0 < kept < len(lines)
    assert log.frame["raw"].to_list()[: kept - 1] == lines[: kept - 1]
    cut = [i for i in log.issues if "truncated" in i.reason]
    assert len(cut) == 1
    assert cut[0].severity == "error"
    assert "were kept" in cut[0].reason


def test_truncated_gzip_raises_with_on_error_raise(tmp_path: Path) -> None:
    data = gzip.compress(TEXT)
    path = tmp_path / "cut.toy.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="gzip stream is truncated"):
        parse(str(path), on_error="raise")


def test_corrupt_gzip_is_reported_as_damaged(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(TEXT))
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "bad.toy.gz"
    path.write_bytes(bytes(data))
    log = parse(str(path))
    assert any("gzip stream is damaged" in i.reason for i in log.issues)


def test_trailing_garbage_after_gzip_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "trail.toy.gz"
    path.write_bytes(gzip.compress(TEXT) + b"junk at the end" + b"\0" * 100)
    log = parse(str(path))
    assert log.frame.height == len(LINES)
    [issue] = log.issues
    assert (issue.severity, issue.reason) == (
        "warning",
        "15 bytes of non-gzip data after the last member ignored",
    )


def test_expansion_past_the_cap_keeps_complete_lines_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bomb.toy.gz"
    path.write_bytes(gzip.compress(TEXT))
    cap = 1000
    log = parse(str(path), limits=Limits(max_member_bytes=cap))
    kept = b"".join(line.encode() + b"\n" for line in LINES)[:cap]
    complete = kept.count(b"\n")
    assert log.frame.height == complete
    [issue] = log.issues
    assert issue.file == str(path)
    assert f"cap of {cap} bytes" in issue.reason
    assert f"the {complete} complete lines before the cap were kept" in issue.reason


def test_reader_never_returns_more_than_asked_from_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    stream, reader = decompressed(io.BytesIO(bomb), "gzip")
    assert len(stream.read(4096)) == 4096
    assert reader.produced < 1024 * 1024  # decoded lazily, not the whole 64 MiB


def test_gzip_header_mtime_is_used_when_nonzero(tmp_path: Path) -> None:
    stamp = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    with_mtime = tmp_path / "a.toy.gz"
    with_mtime.write_bytes(gzip.compress(TEXT, mtime=int(stamp.timestamp())))
    without = tmp_path / "b.toy.gz"
    without.write_bytes(gzip.compress(TEXT, mtime=0))
    os.utime(without, (1_700_000_000, 1_700_000_000))
    streams = [s for s in iter_streams([str(with_mtime), str(without)]) if isinstance(s, RawStream)]
    assert [(s.mtime, s.mtime_origin) for s in streams] == [
        (stamp, "gzip-mtime"),
        (datetime.fromtimestamp(1_700_000_000, UTC), "file-mtime"),
    ]


@pytest.mark.parametrize(
    ("name", "logical"),
    [("kubelet.log.2.gz", "kubelet.log.2"), ("x.zst", "x"), (".gz", ".gz"), ("a.log", "a.log")],
)
def test_strip_suffix_gives_the_name_formats_match(name: str, logical: str) -> None:
    assert strip_suffix(name) == logical


def test_sniff_compression_ignores_text() -> None:
    assert sniff_compression(b"I0311 13:02:05.1 kubelet") is None
    assert sniff_compression(b"") is None
