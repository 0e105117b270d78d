"""Honest accounting: what was not parsed says so everywhere, and non-log input stays out."""

from __future__ import annotations

from pathlib import Path

import pytest

import multus_forensics as mf
from multus_forensics.cli import main
from multus_forensics.errors import InputNotFoundError

SCRIPT = '''#!/usr/bin/env python3
"""Writes made-up logs."""
import sys


def main() -> None:
    raise ValueError("failed to create sandbox: error adding container to network")


if __name__ == "__main__":
    main()
'''


def test_a_missing_path_raises_file_not_found_by_default(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file or directory") as info:
        mf.parse(str(tmp_path / "kubelet.lgo"))
    assert isinstance(info.value, InputNotFoundError)
    assert info.value.filename == str(tmp_path / "kubelet.lgo")
    with pytest.raises(FileNotFoundError, match="glob pattern matched no file"):
        mf.parse(str(tmp_path / "*.journal"))


def test_collect_keeps_a_missing_path_as_an_issue(tmp_path: Path) -> None:
    log = mf.parse(str(tmp_path / "gone.log"), on_error="collect")
    assert [i.reason for i in log.issues] == ["no such file or directory"]
    assert log.stats.nothing_read


def test_unrecognised_lines_count_as_unparsed(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n\nworld\nagain\n")
    log = mf.parse(str(tmp_path / "notes.txt"))
    [fs] = log.stats.files
    assert (fs.lines, fs.issue_lines, fs.blank_lines, fs.balanced) == (4, 3, 1, True)
    assert log.stats.as_dict()["unparsed_lines"] == 3


@pytest.mark.parametrize(
    ("name", "why"),
    [("make_fleet.py", "Python source (.py file)"), ("generate", "a script (starts with #!)")],
)
def test_a_script_is_not_a_log_and_never_reaches_the_classifier(
    tmp_path: Path, name: str, why: str
) -> None:
    (tmp_path / name).write_text(SCRIPT)
    log = mf.parse(str(tmp_path / name))
    [fs] = log.stats.files
    assert fs.not_log
    assert fs.skipped == f"not a log: {why}"
    assert (fs.lines, fs.issue_lines) == (11, 7)  # its non-blank lines are accounted, as unparsed
    diag = mf.diagnose(log)
    assert (diag.findings, diag.unclassified) == ([], [])


def test_program_text_without_a_telling_name_is_not_a_log(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text(SCRIPT.split("\n", 1)[1])  # no #! line
    log = mf.parse(str(tmp_path / "notes"))
    assert log.stats.files[0].skipped == (
        "not a log: program text (definitions, imports and block lines)"
    )


def test_an_unknown_paste_still_reaches_the_classifier(tmp_path: Path) -> None:
    paste = 'pod stuck\nerror adding container to network "macvlan-conf": failed to find plugin\n'
    (tmp_path / "ticket.txt").write_text(paste)
    diag = mf.diagnose(str(tmp_path / "ticket.txt"))
    assert diag.findings or diag.unclassified


@pytest.mark.parametrize("command", ["parse", "diagnose", "timeline", "report"])
def test_every_command_exits_1_when_no_input_yielded_an_event(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "make_bundles.py").write_text(SCRIPT)
    extra = ["-o", str(tmp_path / "out"), "-q"] if command == "report" else []
    assert main([command, str(tmp_path / "make_bundles.py"), *extra]) == 1
    assert "no input yielded any event" in capsys.readouterr().err


def test_header_lines_are_shown_in_stats_summary_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kubelet.journal"
    path.write_text(
        "-- Logs begin at Tue 2017-03-07 17:55:46 UTC, end at Tue 2017-03-07 18:12:29 UTC. --\n"
        "Mar 07 17:55:58 kub-master kubelet[1390]: I0307 17:55:58.000001    1390 x.go:1] up\n"
    )
    log = mf.parse(str(path))
    assert log.stats.as_dict()["header_lines"] == 1
    assert log.stats.to_polars()["header_lines"].to_list() == [1]
    assert main(["parse", str(path)]) == 0
    assert "1 events, 0 unparsed lines, 1 header lines" in capsys.readouterr().out
    assert main(["diagnose", str(path)]) == 0
    assert "0 unparsed lines, 1 header lines" in capsys.readouterr().out
    assert main(["report", str(path), "-o", str(tmp_path / "r"), "--format", "md", "-q"]) == 0
    assert "1 header lines." in (tmp_path / "r" / "report.md").read_text()
