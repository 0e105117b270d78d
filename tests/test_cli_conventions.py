"""One CLI convention: flag names mean the same in every command, global flags go anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multus_forensics import __version__
from multus_forensics.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sample_logs" / "seed"
SCENARIOS = sorted(p for p in (ROOT / "sample_logs").iterdir() if p.is_dir())[:3]


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"multus-forensics {__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "parse", "--tz", "Mars/Base", str(SEED)],
        ["parse", "--tz", "Mars/Base", str(SEED), "--debug"],
    ],
)
def test_debug_is_accepted_before_or_after_the_command(argv: list[str]) -> None:
    with pytest.raises(Exception, match="Mars/Base"):
        main(argv)


def test_quiet_is_accepted_before_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "report", str(SEED), "-o", str(tmp_path), "-f", "md", "--year", "2026"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["parse", "timeline", "diagnose"])
def test_log_format_forces_the_format_and_format_is_a_deprecated_alias(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    log = str(SEED / "multus.log")
    assert main([command, log, "--year", "2026", "--log-format", "klog"]) in (0, 1)
    new = capsys.readouterr()
    assert "deprecated" not in new.err
    assert main([command, log, "--year", "2026", "--format", "klog"]) in (0, 1)
    old = capsys.readouterr()
    assert "--format is deprecated here; use --log-format" in old.err
    assert old.out == new.out


def test_report_output_format_and_its_deprecated_spelling_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", str(SEED), "--year", "2026", "--no-plots"]
    assert main([*base, "-o", str(tmp_path / "a"), "-f", "json"]) == 0
    assert main([*base, "-o", str(tmp_path / "b"), "--format", "json"]) == 0
    assert "--format is deprecated here; use -f/--output-format" in capsys.readouterr().err
    a = json.loads((tmp_path / "a" / "report.json").read_text())
    b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert a["findings"] == b["findings"]
    assert a["findings"]


@pytest.mark.parametrize(
    "argv",
    [
        ["parse", str(SEED / "multus.log")],
        ["timeline", str(SEED / "multus.log"), "--year", "2026"],
        ["diagnose", str(SEED / "multus.log"), "--year", "2026"],
    ],
)
def test_an_existing_directory_given_as_output_file_is_a_clear_error(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"multus-forensics: error: -o {tmp_path}: is a directory")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["parse", str(SEED), "--year", "2026"], "coverage"),
        (["timeline", str(SEED), "--year", "2026"], "attempts"),
        (["diagnose", str(SEED), "--year", "2026"], "findings"),
        (["formats"], "formats"),
    ],
)
def test_every_command_with_a_result_prints_it_as_json(
    argv: list[str], key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc[key]


def test_report_json_lists_the_files_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", *map(str, SCENARIOS), "-o", str(tmp_path), "--no-plots", "-f", "md"]
    assert main([*argv, "--json", "-j", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["index"] == str(tmp_path / "report.md")
    assert len(doc["inputs"]) == len(SCENARIOS)
    assert all(Path(p).is_file() for p in doc["inputs"])


def test_rewriting_a_report_removes_the_sub_reports_of_the_previous_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", "-o", str(tmp_path), "--no-plots", "-f", "md", "-j", "1", "--json"]
    assert main([*base, *map(str, SCENARIOS)]) == 0
    first = json.loads(capsys.readouterr().out)["inputs"]
    mine = tmp_path / "notes.txt"
    mine.write_text("kept")
    assert main([*base, *map(str, SCENARIOS[:2])]) == 0
    second = json.loads(capsys.readouterr().out)["inputs"]
    left = sorted(str(p) for p in (tmp_path / "inputs").iterdir())
    assert left == sorted(second)
    assert len(first) == 3
    assert mine.read_text() == "kept"
    assert main([*base[:-1], str(SCENARIOS[0])]) == 0  # one unit: no sub-reports at all
    assert not (tmp_path / "inputs").exists()


def test_an_old_report_folder_without_a_manifest_loses_only_its_sub_reports(
    tmp_path: Path,
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "07-old-bundle.md").write_text("stale")
    (inputs / "readme.txt").write_text("not ours")
    argv = ["report", *map(str, SCENARIOS[:2]), "-o", str(tmp_path), "--no-plots", "-f", "md"]
    assert main([*argv, "-j", "1", "-q"]) == 0
    names = sorted(p.name for p in inputs.iterdir())
    assert "07-old-bundle.md" not in names
    assert "readme.txt" in names
    assert len(names) == 3
