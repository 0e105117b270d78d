"""Inputs (files, directories, globs, stdin, mixed) and decoding damage, through ``parse()``."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.ingest import (
    Limits,
    RawStream,
    Unreadable,
    decode,
    expand,
    iter_streams,
    sources,
)
from multus_forensics.model import EXCERPT_CHARS
from multus_forensics.pipeline import parse

pytestmark = pytest.mark.usefixtures("toy_registry")


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_directory_is_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ["b/z.toy", "a/y.toy", "a/sub/x.toy", "c.toy"]:
        _write(tmp_path / name, "TOYFULL 2026-03-11T13:02:05Z m\n")
    got = [item for _, item in expand([str(tmp_path)])]
    assert got == [
        str(tmp_path / "c.toy"),
        str(tmp_path / "a/y.toy"),
        str(tmp_path / "a/sub/x.toy"),
        str(tmp_path / "b/z.toy"),
    ]


def test_files_dirs_globs_and_stdin_mix_in_one_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "one.toy", "TOYFULL 2026-03-11T13:02:01Z file\n")
    _write(tmp_path / "dir/two.toy", "TOYFULL 2026-03-11T13:02:02Z dir\n")
    _write(tmp_path / "g/three.toy", "TOYFULL 2026-03-11T13:02:03Z glob\n")
    stdin = io.TextIOWrapper(io.BytesIO(b"TOYFULL 2026-03-11T13:02:04Z stdin\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    log = parse([str(tmp_path / "one.toy"), str(tmp_path / "dir"), str(tmp_path / "g/*.toy"), "-"])
    assert log.frame["message"].to_list() == ["file", "dir", "glob", "stdin"]
    assert log.frame["file"][-1] == "<stdin>"
    assert log.issues == []


def test_stdin_bytes_are_sniffed_for_compression(monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    data = gzip.compress(b"TOYFULL 2026-03-11T13:02:04Z zipped\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    log = parse("-")
    assert log.frame["message"].to_list() == ["zipped"]


@pytest.mark.parametrize(
    ("arg", "reason"),
    [
        ("missing.toy", "no such file or directory"),
        ("nothing-*.toy", "glob pattern matched no file"),
        ("emptydir", "directory contains no files"),
    ],
)
def test_unreadable_inputs_are_one_clear_issue_each(tmp_path: Path, arg: str, reason: str) -> None:
    (tmp_path / "emptydir").mkdir()
    _write(tmp_path / "ok.toy", "TOYFULL 2026-03-11T13:02:05Z kept\n")
    log = parse([str(tmp_path / arg), str(tmp_path / "ok.toy")], on_error="collect")
    assert [(i.file, i.reason) for i in log.issues] == [(str(tmp_path / arg), reason)]
    assert log.frame["message"].to_list() == ["kept"]
    assert log.stats.unreadable == 1
    assert not log.stats.nothing_read


def test_permission_denied_is_reported_and_other_files_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multus_forensics.ingest import sources

    denied = _write(tmp_path / "denied.toy", "TOYFULL 2026-03-11T13:02:05Z secret\n")
    _write(tmp_path / "ok.toy", "TOYFULL 2026-03-11T13:02:05Z kept\n")
    real_open = os.open

    def fake_open(path: str, flags: int, *args: int, **kwargs: object) -> int:
        if path == str(denied):  # tests run as root, where chmod denies nothing
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sources.os, "open", fake_open)
    log = parse(str(tmp_path))
    assert [str(i) for i in log.issues] == [f"{denied}: cannot read: Permission denied"]
    assert log.frame["message"].to_list() == ["kept"]


def test_empty_file_has_zero_lines_and_no_issue(tmp_path: Path) -> None:
    log = parse(str(_write(tmp_path / "empty.log", b"")))
    assert log.issues == []
    [fs] = log.stats.files
    assert (fs.lines, fs.skipped, fs.balanced) == (0, None, True)
    assert not log.stats.nothing_read


def test_whitespace_only_file_counts_blank_lines(tmp_path: Path) -> None:
    log = parse(str(_write(tmp_path / "blank.log", "\n  \n\t\n")))
    [fs] = log.stats.files
    assert (fs.lines, fs.blank_lines, log.issues) == (3, 3, [])


def test_invalid_utf8_is_replaced_and_warned_with_its_line(tmp_path: Path) -> None:
    data = b"TOYFULL 2026-03-11T13:02:05Z ok\nTOYFULL 2026-03-11T13:02:06Z bad \xff\xfe here\n"
    log = parse(str(_write(tmp_path / "u.toy", data)))
    assert log.frame["message"].to_list() == ["ok", "bad \ufffd\ufffd here"]
    [issue] = log.issues
    assert (issue.severity, issue.line) == ("warning", 2)
    assert "invalid UTF-8: 2 sequence(s) replaced" in issue.reason


def test_nul_bytes_are_removed_with_a_warning(tmp_path: Path) -> None:
    data = b"TOYFULL 2026-03-11T13:02:05Z a\x00b\n\x00\x00TOYFULL 2026-03-11T13:02:06Z c\n"
    log = parse(str(_write(tmp_path / "n.toy", data)))
    assert log.frame["message"].to_list() == ["ab", "c"]
    [issue] = log.issues
    assert (issue.severity, issue.line, issue.reason[:24]) == (
        "warning",
        1,
        "3 NUL byte(s) removed (f",
    )


def test_crlf_and_bom_are_folded_silently(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfTOYFULL 2026-03-11T13:02:05Z a\r\nTOYFULL 2026-03-11T13:02:06Z b\r\n"
    log = parse(str(_write(tmp_path / "c.toy", data)))
    assert log.frame["message"].to_list() == ["a", "b"]
    assert log.frame["raw"].to_list()[1] == "TOYFULL 2026-03-11T13:02:06Z b"
    assert log.issues == []


def test_ten_megabyte_line_parses_and_its_excerpt_stays_bounded(tmp_path: Path) -> None:
    long_line = "x" * (10 * 1024 * 1024)
    text = f"TOYFULL 2026-03-11T13:02:05Z before\n{long_line}\nTOY 03-11 13:02:07 after\n"
    log = parse(str(_write(tmp_path / "big.toy", text)), year=2026)
    assert log.frame["message"].to_list() == ["before", "after"]
    [issue] = log.issues
    assert issue.line == 2
    assert len(issue.excerpt) < EXCERPT_CHARS + 50
    assert len(str(issue)) < EXCERPT_CHARS + 200


def test_decode_keeps_provenance_and_node_hint() -> None:
    raw = RawStream("f", b"a\r\nb\n", member="m", node_hint="node-1")
    src, issues = decode(raw)
    assert (src.text, src.member, src.node_hint, issues) == ("a\nb\n", "m", "node-1", [])


def test_iter_streams_is_lazy(tmp_path: Path) -> None:
    for i in range(3):
        _write(tmp_path / f"{i}.toy", f"TOYFULL 2026-03-11T13:02:0{i}Z m\n")
    stream = iter_streams([str(tmp_path)])
    first = next(stream)
    assert isinstance(first, RawStream)
    (tmp_path / "2.toy").unlink()  # not opened yet: its absence is found only when reached
    rest = list(stream)
    assert isinstance(rest[0], RawStream)
    assert isinstance(rest[1], Unreadable)
    assert "No such file" in rest[1].issue.reason


def test_fifo_inside_a_directory_is_skipped_not_opened(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe")
    _write(tmp_path / "ok.toy", "TOYFULL 2026-03-11T13:02:05Z kept\n")
    log = parse(str(tmp_path))  # opening the FIFO would block forever
    assert log.frame["message"].to_list() == ["kept"]
    assert [i.reason for i in log.issues] == [
        "not a regular file (fifo, socket or device); skipped"
    ]


def test_path_objects_are_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.toy", "TOYFULL 2026-03-11T13:02:05Z kept\n")
    assert parse(path).frame["message"].to_list() == ["kept"]
    assert parse([path, str(path)]).frame.height == 2


def test_tar_on_stdin_is_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tf:
        data = b"TOYFULL 2026-03-11T13:02:05Z from a piped tar\n"
        info = tarfile.TarInfo("node/x.toy")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buf.getvalue())))
    log = parse("-")
    assert log.frame.select("file", "member", "message").rows() == [
        ("<stdin>", "node/x.toy", "from a piped tar")
    ]


def _streams(path: Path) -> list[RawStream]:
    items = list(iter_streams([str(path)]))
    assert all(isinstance(i, RawStream) for i in items), items
    return [i for i in items if isinstance(i, RawStream)]


@pytest.mark.parametrize("kind", ["plain", "gzip", "tar", "zip", "elf"], ids=lambda k: f"small-{k}")
def test_a_small_file_read_at_once_gives_what_streaming_it_gives(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small files are read with one read of their size and dispatched on the bytes in
    hand; compressed, archived and binary ones are rewound and streamed: same streams."""
    import gzip
    import tarfile
    import zipfile

    text = b"Mar 11 13:01:40 edge-node-2 kubelet[2231]: hello\n" * 3
    path = tmp_path / f"x.{kind}"
    if kind == "plain":
        path.write_bytes(text)
    elif kind == "gzip":
        path.write_bytes(gzip.compress(text))
    elif kind == "tar":
        with tarfile.open(path, "w") as tf:
            info = tarfile.TarInfo("in/k.journal")
            info.size = len(text)
            tf.addfile(info, io.BytesIO(text))
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("in/k.journal", text)
    else:
        path.write_bytes(b"\x7fELF" + text)
    at_once = list(iter_streams([str(path)]))
    if kind == "elf":
        assert isinstance(at_once[0], Unreadable)
    monkeypatch.setattr(sources, "SMALL_FILE_BYTES", -1)  # every file streamed from its head
    streamed = list(iter_streams([str(path)]))
    assert at_once == streamed
    if kind != "elf":
        assert [bytes(s.data) for s in _streams(path)] == [text]


def test_a_small_file_grown_since_its_size_was_read_is_read_to_its_end(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from multus_forensics.ingest.archives import walk_small

    path = tmp_path / "k.journal"
    path.write_bytes(b"one\ntwo\nthree\n")
    with open(path, "rb") as fh:  # the size as fstat told it, before two lines were appended
        when = datetime.now(UTC)
        items = walk_small(fh.fileno(), 4, str(path), str(path), Limits(), {}, when)
        assert items is not None
        (stream,) = list(items)
    assert isinstance(stream, RawStream)
    assert stream.data == b"one\ntwo\nthree\n"


def test_the_walk_lists_what_os_walk_lists(tmp_path: Path) -> None:
    """Folders walked from their directory entries (no stat per regular file): the same
    folders, sub-folders and files as ``os.walk``, links to folders listed, not followed."""
    for rel in ("a/x.log", "a/b/y.log", "c/z.log", "top.log"):
        _write(tmp_path / rel, "line\n")
    (tmp_path / "a" / "to-c").symlink_to(tmp_path / "c")
    (tmp_path / "a" / "to-top").symlink_to(tmp_path / "top.log")
    (tmp_path / "a" / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "c" / "pipe")
    ours = [
        (root, sorted(dirs), sorted(e.name for e in entries))
        for root, dirs, entries in sources._walk(str(tmp_path), print)
    ]
    theirs = [(root, sorted(dirs), sorted(files)) for root, dirs, files in os.walk(tmp_path)]
    assert sorted(ours) == sorted(theirs)
    assert any("to-c" in dirs for _, dirs, _ in ours)
    listed = [i if isinstance(i, str) else i.issue.file for _, i in expand([str(tmp_path)])]
    assert str(tmp_path / "a" / "to-top") in listed  # a link to a file is read
    assert str(tmp_path / "c" / "pipe") in listed  # a FIFO is listed as skipped


def test_a_listed_file_swapped_for_a_fifo_before_it_is_opened_is_skipped(tmp_path: Path) -> None:
    """A file the listing showed as regular is opened without a stat first; one swapped for a
    FIFO since is opened without blocking and still told apart by its descriptor."""
    import os

    from multus_forensics.ingest.model import Limits
    from multus_forensics.ingest.sources import Listed, _read_file

    path = tmp_path / "k.journal"
    path.write_text("one\n")
    ((_, listed),) = list(expand([str(tmp_path)]))
    assert type(listed) is Listed
    path.unlink()
    os.mkfifo(path)
    (item,) = list(_read_file(listed, str(tmp_path), Limits(), {}))
    assert isinstance(item, Unreadable)
    assert item.issue.reason == "not a regular file (fifo, socket or device); skipped"
    assert type(item.issue.file) is str


def test_node_hints_of_a_folders_files_are_each_files_own(tmp_path: Path) -> None:
    """A folder's files are read as one run, its plainly named files' node hint asked once:
    every stream's hint is still what :func:`node_hint` gives its own path (names a layout
    reads, a sosreport's ``hostname`` file, a backslash in a name among them)."""
    from multus_forensics.ingest.layout import node_hint

    sos = tmp_path / "sosreport-edge-node-2-2026-03-11-abcdef"
    _write(sos / "hostname", "edge-node-2.example\n")
    mg = tmp_path / "must-gather" / "nodes" / "worker-1"
    names = ("a.log", "pods", "sos_commands", "sosreport-x.log", "b\\c.log", "z.log")
    for folder in (sos / "sos_commands" / "logs", mg, tmp_path / "plain"):
        for name in names:
            _write(folder / name, "line\n")
    _write(sos / "a.log", "line\n")
    streams = [s for s in iter_streams([str(tmp_path)]) if isinstance(s, RawStream)]
    assert len(streams) == 3 * len(names) + 1  # the hostname file is no log
    hostnames = {str(sos): "edge-node-2.example"}
    assert [s.node_hint for s in streams] == [node_hint(s.file, hostnames) for s in streams]
    assert {s.node_hint for s in streams} >= {"edge-node-2.example", "worker-1", None}
