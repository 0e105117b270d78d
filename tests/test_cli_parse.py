"""``multus-forensics parse``: outputs, one stderr line per error, exit codes, light imports."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from test_ingest_toyformat import toy_registry  # noqa: F401 - fixture

from multus_forensics.cli import main
from multus_forensics.commands._common import MAX_NOTE_LINES
from multus_forensics.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
GOOD = "TOYFULL 2026-03-11T13:02:05Z a\nTOYFULL 2026-03-11T13:02:06Z b\n"


@pytest.mark.usefixtures("toy_registry")
def test_parse_writes_events_and_creates_the_output_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.toy").write_text(GOOD)
    out = tmp_path / "results" / "run1" / "events.parquet"
    assert main(["parse", str(tmp_path / "x.toy"), "-o", str(out)]) == 0
    assert pl.read_parquet(out)["message"].to_list() == ["a", "b"]
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "1 files, 2 lines, 2 events, 0 unparsed lines, 0 header lines, 0 skipped files"
    )
    assert captured.err == ""


@pytest.mark.usefixtures("toy_registry")
def test_each_error_is_one_stderr_line_lost_inputs_first_and_a_lost_input_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.toy").write_text(GOOD + "junk\n")
    code = main(["parse", str(tmp_path / "x.toy"), str(tmp_path / "missing.toy")])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        f"multus-forensics: {tmp_path / 'missing.toy'}: no such file or directory",
        f"multus-forensics: {tmp_path / 'x.toy'}:3: not a toy line: 'junk'",
    ]


@pytest.mark.usefixtures("toy_registry")
def test_a_line_no_parser_took_is_reported_and_the_exit_is_still_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.toy").write_text(GOOD + "junk\n")
    assert main(["parse", str(tmp_path / "x.toy")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"multus-forensics: {tmp_path / 'x.toy'}:3: not a toy line: 'junk'"
    ]


@pytest.mark.usefixtures("toy_registry")
def test_error_lines_are_capped_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 25 lost lines apart from each other: 20 printed, the other 5 counted
    (tmp_path / "x.toy").write_text("".join(f"junk {i}\n" + GOOD for i in range(25)))
    assert main(["parse", str(tmp_path / "x.toy")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 21
    assert err[0] == f"multus-forensics: {tmp_path / 'x.toy'}:1: not a toy line: 'junk 0'"
    assert err[-1].startswith("multus-forensics: ... and 5 more errors")


@pytest.mark.usefixtures("toy_registry")
def test_consecutive_lines_lost_for_one_reason_are_one_stderr_line_with_their_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a preamble of 30 lost lines, a record, 2 more lost lines, then 25 lines apart: the runs
    # count as one line each against the cap, and the count after it is in lines
    body = "".join(f"junk {i}\n" for i in range(30)) + GOOD + "more 1\nmore 2\n" + GOOD
    body += "".join(f"late {i}\n" + GOOD for i in range(25))
    (tmp_path / "x.toy").write_text(body)
    assert main(["parse", str(tmp_path / "x.toy")]) == 0
    err = capsys.readouterr().err.splitlines()
    where = f"multus-forensics: {tmp_path / 'x.toy'}"
    assert err[0] == f"{where}:1-30: not a toy line (30 lines); the first: 'junk 0'"
    assert err[1] == f"{where}:33-34: not a toy line (2 lines); the first: 'more 1'"
    assert err[2] == f"{where}:37: not a toy line: 'late 0'"
    assert len(err) == 21
    assert err[-1].startswith("multus-forensics: ... and 7 more errors")


@pytest.mark.usefixtures("toy_registry")
def test_issues_flag_lists_warnings_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.toy").write_bytes(b"TOYFULL 2026-03-11T13:02:05Z \xff\n")
    assert main(["parse", "--issues", str(tmp_path / "x.toy")]) == 0
    assert "invalid UTF-8" in capsys.readouterr().err


def test_nothing_readable_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(tmp_path / "a"), str(tmp_path / "b*")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"multus-forensics: {tmp_path / 'a'}: no such file or directory",
        f"multus-forensics: {tmp_path / 'b*'}: glob pattern matched no file",
        "multus-forensics: error: nothing could be read",
    ]


@pytest.mark.usefixtures("toy_registry")
def test_cap_option_reaches_ingestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.toy.gz").write_bytes(gzip.compress(GOOD.encode() * 10))
    # the lines before the cap are kept; the exit says the member was cut, as in every command
    assert main(["parse", "--max-member-bytes", "40", str(tmp_path / "x.toy.gz")]) == 1
    assert "cap of 40 bytes" in capsys.readouterr().err


def test_errors_have_no_traceback_unless_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.log").write_text(GOOD)
    assert main(["parse", "--tz", "Mars/Base", str(tmp_path / "x.log")]) == 1
    err = capsys.readouterr().err
    assert err == "multus-forensics: error: unknown time zone 'Mars/Base'\n"
    with pytest.raises(InputError):
        main(["--debug", "parse", "--tz", "Mars/Base", str(tmp_path / "x.log")])


def test_bad_limits_are_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.log").write_text(GOOD)
    assert main(["parse", "--max-depth", "0", str(tmp_path / "x.log")]) == 1
    assert "max_depth must be positive" in capsys.readouterr().err


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "multus_forensics", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_real_subprocess_exit_codes_and_output(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    out = tmp_path / "o" / "events.jsonl"
    ok = _run("parse", str(tmp_path / "notes.txt"), "-o", str(out))
    assert ok.returncode == 1  # read, but no event: not a clean bill of health
    assert "1 files, 2 lines, 0 events, 2 unparsed lines" in ok.stdout
    assert "no input yielded any event" in ok.stderr
    assert out.exists()
    assert "Traceback" not in ok.stderr
    missing = _run("parse", str(tmp_path / "missing.log"))
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        f"multus-forensics: {tmp_path / 'missing.log'}: no such file or directory",
        "multus-forensics: error: nothing could be read",
    ]


HEAVY = ("pandas", "matplotlib", "dask", "distributed", "nbclient", "tqdm")


@pytest.mark.parametrize(
    "code",
    ["import multus_forensics", "from multus_forensics.cli import build_parser; build_parser()"],
)
def test_import_and_cli_setup_do_not_load_heavy_libraries(code: str) -> None:
    probe = (
        f"{code}; import sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []


def test_an_internal_error_is_one_line_without_a_traceback_unless_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from multus_forensics.commands import formats

    def broken(args: object) -> int:
        raise KeyError("boom\nsecond line")

    monkeypatch.setattr(formats, "run", broken)
    assert main(["formats"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("multus-forensics: internal error: KeyError: ")
    assert "Traceback" not in err
    with pytest.raises(KeyError):
        main(["--debug", "formats"])


def test_error_runs_break_at_a_gap_another_reason_member_or_file_and_keep_every_issue() -> None:
    from multus_forensics.commands._common import error_runs
    from multus_forensics.model import ParseIssue

    issues = [
        ParseIssue("a.log", None, 1, "r"),
        ParseIssue("a.log", None, 2, "r"),
        ParseIssue("a.log", None, 3, "s"),  # another reason
        ParseIssue("a.log", None, 5, "s"),  # a gap
        ParseIssue("a.log", "m", 6, "s"),  # another member
        ParseIssue("b.log", "m", 7, "s"),  # another file
        ParseIssue("b.log", None, None, "unreadable"),
        ParseIssue("b.log", None, None, "unreadable"),  # no line: never joined
    ]
    runs = error_runs(issues)
    assert [(first.line, count, last) for first, count, last in runs] == [
        (1, 2, 2),
        (3, 1, 3),
        (5, 1, 5),
        (6, 1, 6),
        (7, 1, 7),
        (None, 1, None),
        (None, 1, None),
    ]
    assert sum(count for _, count, _ in runs) == len(issues)


def test_a_note_about_a_whole_file_is_shown_on_stderr_and_gone_with_a_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zone journalctl printed a journal's times in changes every time read from it."""
    journal = tmp_path / "node.journal"
    journal.write_text(
        "-- Logs begin at mer. 2018-09-19 08:42:51 CEST. --\n"
        "sept. 20 16:41:05 erebos kubelet[8665]: I0920 16:41:05.744437    8665 kubelet.go:1] hello\n",
        encoding="utf-8",
    )
    assert main(["parse", str(journal), "-o", str(tmp_path / "a.jsonl")]) == 0
    (note,) = capsys.readouterr().err.splitlines()
    assert note.startswith(
        f"multus-forensics: note: {journal}: journalctl printed these times in CEST"
    )
    assert (
        main(["parse", str(journal), "--tz", "Europe/Paris", "-o", str(tmp_path / "b.jsonl")]) == 0
    )
    assert capsys.readouterr().err == ""


def test_notes_past_the_cap_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(MAX_NOTE_LINES + 2):
        (tmp_path / f"node{n}.journal").write_text(
            "-- Logs begin at Wed 2026-03-11 08:42:51 CET. --\n"
            f"Mar 11 16:41:0{n} node{n} kubelet[8665]: I0311 16:41:0{n}.744437    8665 kubelet.go:1] hi\n",
            encoding="utf-8",
        )
    assert main(["parse", str(tmp_path), "-o", str(tmp_path / "a.jsonl")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == MAX_NOTE_LINES + 1
    assert (
        err[-1]
        == "multus-forensics: ... and 2 more notes (multus-forensics parse --issues lists every issue)"
    )
