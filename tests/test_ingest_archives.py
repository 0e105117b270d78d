"""Tar and zip read member by member as streams: nesting, depth limit, unsafe names, links."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.ingest import Limits, RawStream, Unreadable, iter_streams
from multus_forensics.ingest.archives import is_tar, sanitise
from multus_forensics.model import ParseIssue
from multus_forensics.pipeline import parse

pytestmark = pytest.mark.usefixtures("toy_registry")

MTIME = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)


def _line(msg: str) -> bytes:
    return f"TOYFULL 2026-03-11T13:02:05Z {msg}\n".encode()


def make_tar(members: list[tuple[str, bytes]], mode: str = "w", **links: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = int(MTIME.timestamp())
            tf.addfile(ti, io.BytesIO(data))
        for name, target in links.items():
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.SYMTYPE
            ti.linkname = target
            tf.addfile(ti)
    return buf.getvalue()


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 11, 14, 0, 0)), data)
    return buf.getvalue()


def _streams(path: Path, limits: Limits | None = None) -> list[RawStream | ParseIssue | Unreadable]:
    return list(iter_streams([str(path)], limits))


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_members_are_streams_with_archive_mtime(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "bundle.tar.whatever"
    path.write_bytes(make_tar([("logs/a.toy", _line("a")), ("logs/b.toy", _line("b"))], mode))
    items = _streams(path)
    assert [(s.member, s.data, s.mtime, s.mtime_origin) for s in items] == [  # type: ignore[union-attr]
        ("logs/a.toy", _line("a"), MTIME, "archive-mtime"),
        ("logs/b.toy", _line("b"), MTIME, "archive-mtime"),
    ]


def test_zstd_compressed_tar_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bundle.tar.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(make_tar([("a.toy", _line("z"))])))
    assert parse(str(path)).frame["message"].to_list() == ["z"]


def test_zip_members_are_parsed_in_archive_order(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(make_zip([("b.toy", _line("first")), ("a.toy", _line("second"))]))
    log = parse(str(path))
    assert log.frame["message"].to_list() == ["first", "second"]
    assert log.frame["member"].to_list() == ["b.toy", "a.toy"]


def test_nested_archives_join_member_names_with_bang(tmp_path: Path) -> None:
    inner_gz = gzip.compress(_line("gz in tar"), mtime=int(MTIME.timestamp()) + 60)
    tar_gz = gzip.compress(make_tar([("node/kubelet.toy.gz", inner_gz)]), mtime=0)
    inner_zip = make_zip([("deep.toy", _line("zip in tar"))])
    outer = make_zip(
        [("must-gather.tar.gz", tar_gz), ("more.tar", make_tar([("x.zip", inner_zip)]))]
    )
    path = tmp_path / "outer.zip"
    path.write_bytes(outer)
    items = _streams(path)
    streams = [s for s in items if isinstance(s, RawStream)]
    assert [(s.member, s.mtime_origin) for s in streams] == [
        ("must-gather.tar.gz!node/kubelet.toy.gz", "gzip-mtime"),
        ("more.tar!x.zip!deep.toy", "archive-mtime"),
    ]
    assert streams[0].mtime == datetime.fromtimestamp(MTIME.timestamp() + 60, UTC)
    assert [s.data for s in streams] == [_line("gz in tar"), _line("zip in tar")]
    assert len(items) == len(streams)


def test_archives_deeper_than_max_depth_are_reported_not_followed(tmp_path: Path) -> None:
    level3 = make_tar([("deepest.toy", _line("deep"))])
    level2 = make_tar([("l3.tar", level3), ("ok.toy", _line("level 2"))])
    path = tmp_path / "l1.tar"
    path.write_bytes(make_tar([("l2.tar", level2)]))
    items = _streams(path, Limits(max_depth=2))
    [skipped] = [i for i in items if isinstance(i, Unreadable)]
    assert skipped.issue.member == "l2.tar!l3.tar"
    assert "deeper than max_depth=2" in skipped.issue.reason
    assert [s.member for s in items if isinstance(s, RawStream)] == ["l2.tar!ok.toy"]


def test_unsafe_member_names_are_warned_and_parsed_under_a_safe_name(tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    path = tmp_path / "evil.tar"
    path.write_bytes(make_tar([("../../etc/x.toy", _line("dots")), ("/abs/y.toy", _line("abs"))]))
    log = parse(str(path))
    assert log.frame["member"].to_list() == ["etc/x.toy", "abs/y.toy"]
    assert log.frame["message"].to_list() == ["dots", "abs"]
    reasons = [(i.severity, i.member, i.reason.split(";")[0]) for i in log.issues]
    assert reasons == [
        ("warning", "etc/x.toy", "unsafe member name '../../etc/x.toy' (absolute or '..')"),
        ("warning", "abs/y.toy", "unsafe member name '/abs/y.toy' (absolute or '..')"),
    ]
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before  # nothing extracted
    assert [p.name for p in tmp_path.iterdir()] == ["evil.tar"]


def test_links_and_devices_are_skipped_with_a_reason(tmp_path: Path) -> None:
    buf = io.BytesIO(make_tar([("a.toy", _line("a"))], link="/etc/passwd"))
    with tarfile.open(fileobj=buf, mode="a") as tf:
        dev = tarfile.TarInfo("dev/null")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
    path = tmp_path / "links.tar"
    path.write_bytes(buf.getvalue())
    log = parse(str(path))
    assert log.frame["message"].to_list() == ["a"]
    assert [(i.member, i.reason) for i in log.issues] == [
        ("link", "symlink member to '/etc/passwd' skipped"),
        ("dev/null", "device/fifo member skipped (no log content)"),
    ]


def test_truncated_tar_keeps_earlier_members(tmp_path: Path) -> None:
    data = make_tar([("a.toy", _line("a")), ("b.toy", _line("b") * 2000)])
    path = tmp_path / "cut.tar"
    path.write_bytes(data[:3000])
    log = parse(str(path))
    assert log.frame["message"][0] == "a"
    assert any("tar archive damaged" in i.reason or "read failed" in i.reason for i in log.issues)


def test_member_over_the_cap_keeps_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "big.tar"
    path.write_bytes(make_tar([("big.toy", _line("x") * 100), ("next.toy", _line("next"))]))
    log = parse(str(path), limits=Limits(max_member_bytes=len(_line("x")) * 3 + 5))
    assert log.frame["message"].to_list() == ["x", "x", "x", "next"]
    [issue] = log.issues
    assert issue.member == "big.toy"
    assert "the 3 complete lines before the cap were kept" in issue.reason


def test_damaged_zip_member_is_reported_and_others_read(tmp_path: Path) -> None:
    data = bytearray(make_zip([("a.toy", _line("a") * 50), ("b.toy", _line("b"))]))
    offset = data.index(b"a.toy") + len("a.toy") + 5  # inside a.toy's compressed data
    data[offset] ^= 0xFF
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(data))
    log = parse(str(path))
    assert "b" in log.frame["message"].to_list()
    assert [i.member for i in log.issues if i.severity == "error"][:1] == ["a.toy"]


def test_zip_inside_a_gzip_stream_is_buffered_up_to_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "odd.zip.gz"
    path.write_bytes(gzip.compress(make_zip([("a.toy", _line("a"))])))
    assert parse(str(path)).frame["message"].to_list() == ["a"]
    small = Limits(max_member_bytes=50)
    [item] = _streams(path, small)
    assert isinstance(item, Unreadable)
    assert "larger than the cap of 50 bytes" in item.issue.reason


@pytest.mark.parametrize(
    ("name", "safe", "unsafe"),
    [
        ("a/b.log", "a/b.log", False),
        ("./a//b.log", "a/b.log", False),
        ("../../etc/passwd", "etc/passwd", True),
        ("/var/log/x", "var/log/x", True),
        ("C:\\win\\x.log", "win/x.log", True),
        ("..", "unnamed-member", True),
    ],
)
def test_sanitise_member_names(name: str, safe: str, unsafe: bool) -> None:
    assert sanitise(name) == (safe, unsafe)


def test_is_tar_accepts_v7_headers_by_checksum() -> None:
    ustar = make_tar([("a", b"x")])
    v7 = bytearray(ustar[:512])
    v7[257:265] = b"\0" * 8
    v7[148:156] = b"        "
    v7[148:156] = f"{sum(v7):06o}\0 ".encode()
    assert is_tar(ustar[:512])
    assert is_tar(bytes(v7))
    assert not is_tar(b"I0311 " + b"x" * 506)


def test_known_binary_files_are_named_and_not_parsed_as_text(tmp_path: Path) -> None:
    (tmp_path / "system.journal").write_bytes(b"LPKSHHRH" + b"\0\1\2" * 100)
    (tmp_path / "ok.toy").write_bytes(_line("kept"))
    log = parse(str(tmp_path))
    assert log.frame["message"].to_list() == ["kept"]
    [issue] = log.issues
    assert issue.reason == (
        "systemd binary journal (export it: journalctl --file FILE -o json); not read"
    )


def _is_tar_by_parse(head: bytes) -> bool:
    """``is_tar`` as it read every head: the checksum field parsed, whatever it holds."""
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    try:
        stored = int(head[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    return stored == sum(head[:148]) + 256 + sum(head[156:512]) and head[0] != 0


def test_is_tar_answers_as_parsing_the_checksum_field_would() -> None:
    """Heads whose checksum field cannot be octal are refused without the parse; v7 headers
    (no ustar magic) with right, wrong, signed and padded checksums are still told apart."""
    rng = random.Random(11)
    seen = set()
    for _ in range(3000):
        head = bytearray(rng.choice((b"a", b"\0", b"7")) * 512)
        body = sum(head[:148]) + 256 + sum(head[156:512])
        field = rng.choice(
            (
                f"{body:06o}\0 ".encode(), f"{body + 1:06o}\0 ".encode(), f" +{body:o}".encode(),
                f"{body:o}_".encode(), b"e6a-bf0d", b"\0" * 8, b"        ", b"-1\0     ",
                bytes(rng.choice(b"01234567 +-_\0x9") for _ in range(8)),
                bytes(rng.choice(b"\t\n\r\x0b\x0c 0127Z:") for _ in range(8)),
            )
        )[:8].ljust(8, b"\0")  # fmt: skip
        head[148:156] = field
        expected = _is_tar_by_parse(bytes(head))
        assert is_tar(bytes(head)) == expected, bytes(head[148:156])
        seen.add(expected)
    assert seen == {True, False}
