"""Fault injection on the read path: files changing under the reader, bombs, FIFOs, damage.

Each case is a scaled-down version of one in issue 13 (``benchmarks/bench_hostile.py`` runs the
full sizes). Child processes run the real CLI so that exit codes, signals and stderr are the
ones a user sees; their ``timeout`` turns a hang into a failure instead of a stuck suite.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest
from hostile_inputs import (
    cli,
    gzip_then_garbage,
    log_lines,
    nested_zip_bomb,
    tiny_member_tar,
    truncated_tar,
    write_log,
    zip_without_central_directory,
    zstd_zeros,
)

import multus_forensics as mf
from multus_forensics.ingest import Limits, archives, sources

MiB = 1024**2


def one_line_per_problem(stderr: str) -> list[str]:
    """stderr lines, after checking there is no traceback (a problem is one line)."""
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.startswith("multus-forensics: ")]


@pytest.mark.parametrize("read", ["streamed", "one-read"])
def test_a_file_truncated_while_it_is_read_keeps_what_was_read_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read: str
) -> None:
    """Both ways a regular file is read: from its head on (files above
    ``archives.SMALL_FILE_BYTES``), and small files with one read of their known size."""
    path = tmp_path / "kubelet.log"
    path.write_bytes(log_lines(100))

    def truncate() -> None:  # copytruncate rotation lands between stat and read
        with open(path, "r+b") as fh:
            fh.truncate(len(log_lines(40)) + 25)

    if read == "streamed":
        monkeypatch.setattr(sources, "SMALL_FILE_BYTES", -1)
        real = archives._plain_size

        def size_then_truncate(*args: object) -> int | None:
            size = real(*args)  # type: ignore[arg-type]
            truncate()
            return size

        monkeypatch.setattr(archives, "_plain_size", size_then_truncate)
    else:
        real_small = sources.walk_small

        def truncate_then_read(*args: object) -> object:
            truncate()
            return real_small(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(sources, "walk_small", truncate_then_read)
    log = mf.parse(str(path), year=2026)
    assert log.stats.events == 40  # the complete lines; the cut 41st line is not fabricated
    (issue,) = [i for i in log.issues if i.severity == "error"]
    assert "file shrank from" in issue.reason
    assert "40 complete lines" in issue.reason
    assert issue.lost


def test_a_folder_file_truncated_between_its_status_and_its_read_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder's files are read in one loop (``sources._read_run``): one that shrinks after
    its status was taken is still read once, keeps its complete lines and says so."""
    path = tmp_path / "logs" / "kubelet.log"
    path.parent.mkdir()
    path.write_bytes(log_lines(100))
    full, real = path.stat().st_size, os.fstat
    cut: list[int] = []

    def fstat_then_truncate(fd: int) -> os.stat_result:
        info = real(fd)
        if not cut and info.st_size == full:  # copytruncate lands between status and read
            cut.append(fd)
            os.truncate(path, len(log_lines(40)) + 25)
        return info

    monkeypatch.setattr(os, "fstat", fstat_then_truncate)
    log = mf.parse(str(path.parent), year=2026)
    monkeypatch.undo()
    assert cut
    assert log.stats.events == 40
    (issue,) = [i for i in log.issues if i.severity == "error"]
    assert "file shrank from" in issue.reason
    assert "40 complete lines" in issue.reason


def test_copytruncate_during_a_cli_run_never_kills_the_process(tmp_path: Path) -> None:
    path = write_log(tmp_path / "kubelet.log", 24 * MiB)
    out = tmp_path / "o" / "events.parquet"
    timer = threading.Timer(0.8, lambda: os.truncate(path, 0))
    timer.start()
    try:
        run = cli("parse", str(path), "-o", str(out), timeout=120)
    finally:
        timer.cancel()
    assert run.returncode in (0, 1), run.stderr  # never a signal (SIGBUS was -7, exit 135)
    one_line_per_problem(run.stderr)
    assert out.exists()


def test_zstd_frames_decode_whole_and_a_zstd_bomb_stops_at_the_expansion_budget(
    tmp_path: Path,
) -> None:
    import zstandard

    lines = log_lines(3000)
    frames = tmp_path / "kubelet.log.zst"
    frames.write_bytes(b"".join(zstandard.ZstdCompressor().compress(lines[i : i + 50_000])
                                for i in range(0, len(lines), 50_000)))  # fmt: skip
    assert mf.parse(str(frames), year=2026).stats.events == 3000

    bomb = zstd_zeros(tmp_path / "bomb.zst", 1024 * MiB, frame=64 * MiB)
    start = time.monotonic()
    run = cli("parse", str(bomb), "--max-expanded-bytes", str(16 * MiB), timeout=60)
    assert run.returncode == 1
    (line,) = one_line_per_problem(run.stderr)
    assert f"expansion budget of {16 * MiB} bytes" in line
    assert "zstd stream" in line
    assert time.monotonic() - start < 60


def test_a_nested_zip_bomb_stops_at_one_budget_across_members_and_depths(
    tmp_path: Path,
) -> None:
    bomb = nested_zip_bomb(tmp_path / "42.zip", leaf=4 * MiB, fanout=16, levels=3)
    assert bomb.stat().st_size < 64 * 1024  # 4 GiB once expanded
    limits = Limits(max_depth=5, max_expanded_bytes=24 * MiB)
    log = mf.parse(str(bomb), limits=limits)
    budget = [i for i in log.issues if "expansion budget" in i.reason]
    assert budget
    assert all(i.lost for i in budget)
    assert sum(f.bytes for f in log.stats.files) <= 24 * MiB
    assert len(log.issues) < 20  # one stop, not one issue per remaining member


def test_a_fifo_named_or_globbed_is_skipped_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "kubelet.fifo"
    os.mkfifo(fifo)
    good = tmp_path / "kubelet.log"
    good.write_bytes(log_lines(5))
    run = cli("parse", str(fifo), str(tmp_path / "*.fifo"), str(good), timeout=60)
    assert run.returncode == 1  # a named input was not read
    lines = one_line_per_problem(run.stderr)
    assert (
        lines
        == [f"multus-forensics: {fifo}: not a regular file (fifo, socket or device); skipped"] * 2
    )
    assert run.stdout.startswith("3 files, 5 lines, 5 events")


def test_members_past_the_member_cap_are_not_read_and_the_cap_is_reported(
    tmp_path: Path,
) -> None:
    bundle = tiny_member_tar(tmp_path / "pods.tar.gz", 300)
    log = mf.parse(str(bundle), year=2026, limits=Limits(max_members=100))
    assert log.stats.events == 100
    (issue,) = [i for i in log.issues if i.severity == "error"]
    assert "more than 100 archive members" in issue.reason
    assert "p100/" in issue.reason


def test_tar_stream_members_are_not_listed_as_they_are_read(tmp_path: Path) -> None:
    bundle = tiny_member_tar(tmp_path / "pods.tar.gz", 50)
    seen: list[int] = []
    real = tarfile.TarFile.extractfile

    def spy(self: tarfile.TarFile, member: tarfile.TarInfo | str) -> object:
        seen.append(len(self.members))  # type: ignore[attr-defined]
        return real(self, member)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tarfile.TarFile, "extractfile", spy)
        assert mf.parse(str(bundle), year=2026).stats.events == 50
    assert max(seen) <= 1


@pytest.mark.parametrize("command", ["parse", "diagnose", "timeline", "report"])
def test_a_truncated_tar_and_a_damaged_gzip_are_reported_alike_by_every_command(
    tmp_path: Path, command: str
) -> None:
    cut = truncated_tar(tmp_path / "logs.tar")
    bad = gzip_then_garbage(tmp_path / "kubelet.log.gz")
    extra = ["-o", str(tmp_path / "out"), "-q"] if command == "report" else []
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    run = cli(command, str(cut), str(bad), *extra, "--year", "2026", timeout=120)
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.name != "out"} == before
    assert run.returncode == 1
    lines = one_line_per_problem(run.stderr)
    assert any("tar archive damaged after member" in x for x in lines)
    assert any("gzip stream is damaged" in x for x in lines)
    kept = mf.parse(str(cut), year=2026)
    assert kept.stats.events >= 80  # the members before the cut are still analysed


def test_a_zip_without_its_central_directory_keeps_its_intact_members(tmp_path: Path) -> None:
    path = zip_without_central_directory(tmp_path / "logs.zip", members=4)
    log = mf.parse(str(path), year=2026)
    assert [f.member for f in log.stats.files] == [f"logs/kubelet-{i}.log" for i in range(4)]
    assert log.stats.events == 40
    (issue,) = [i for i in log.issues if i.severity == "error"]
    assert "4 member(s) read from their local headers" in issue.reason


def test_a_gzip_of_log_lines_past_the_member_cap_keeps_its_complete_lines(
    tmp_path: Path,
) -> None:
    text = log_lines(400)
    path = tmp_path / "kubelet.log.gz"
    path.write_bytes(gzip.compress(text))
    cap = len(text) // 2
    log = mf.parse(str(path), year=2026, limits=Limits(max_member_bytes=cap))
    assert log.stats.events == text[:cap].count(b"\n")
    assert any("expands past the cap" in i.reason for i in log.issues)


def test_the_expansion_budget_grows_with_the_input_so_a_real_bundle_is_read_whole(
    tmp_path: Path,
) -> None:
    text = os.urandom(3 * MiB).hex().encode()  # 6 MiB of text that compresses about 2x
    path = tmp_path / "bundle.log.gz"
    path.write_bytes(gzip.compress(text, 1))
    log = mf.parse(str(path), limits=Limits(max_expanded_bytes=MiB, max_expansion_ratio=4))
    assert not [i for i in log.issues if "expansion budget" in i.reason]
    small = Limits(max_expanded_bytes=MiB, max_expansion_ratio=1)
    cut = mf.parse(str(path), limits=small)
    assert [i for i in cut.issues if "expansion budget" in i.reason]


def test_a_damaged_member_of_a_zip_without_central_directory_is_named_and_the_rest_kept(
    tmp_path: Path,
) -> None:
    path = zip_without_central_directory(tmp_path / "logs.zip", members=4)
    raw = bytearray(path.read_bytes())
    second = raw.find(b"PK\x03\x04", 10)
    raw[second + 80 : second + 120] = b"\xff" * 40  # inside the second member's deflate data
    path.write_bytes(bytes(raw))
    log = mf.parse(str(path), year=2026)
    assert log.stats.events == 30
    damaged = [i for i in log.issues if "zip member damaged" in i.reason]
    assert [i.member for i in damaged] == ["logs/kubelet-1.log"]


def test_thousands_of_archives_past_max_depth_are_ten_issues_and_a_count(tmp_path: Path) -> None:
    bomb = nested_zip_bomb(tmp_path / "42.zip", leaf=MiB, fanout=16, levels=4)
    log = mf.parse(str(bomb))
    deep = [i for i in log.issues if "nested deeper than max_depth=3" in i.reason]
    assert len(deep) == archives.DEEP_SHOWN + 1
    assert deep[-1].reason.startswith(f"and {16**3 - archives.DEEP_SHOWN} more archives")
    assert all(i.lost for i in deep)
