"""Fault injection through options and rule files: catastrophic user regexes, format-string
tricks in explanations, rule files from devices, bad scheduler addresses, years and limits
that must reach every command (issue 13)."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from hostile_inputs import cli, log_lines, long_lines

from multus_forensics.classify.catalog import MAX_RULE_FILE_BYTES, load_catalog, load_rules_text
from multus_forensics.cli import main
from multus_forensics.errors import RuleError

RULE = """
[[rule]]
id = "USER-SLOW"
title = "A rule with a catastrophic pattern"
root_cause = "multus_bug"
severity = "error"
patterns = ['{pattern}']
confidence = 0.5
explanation = "{explanation}"
"""


def rule_file(tmp_path: Path, pattern: str = "(a|aa)+$", explanation: str = "x") -> Path:
    path = tmp_path / "site.toml"
    path.write_text(RULE.format(pattern=pattern, explanation=explanation))
    return path


def test_a_catastrophic_user_regex_is_cut_by_its_budget_named_and_the_run_finishes(
    tmp_path: Path,
) -> None:
    logs = long_lines(tmp_path / "kubelet.log", lines=200, width=30)  # > 1 s per search
    start = time.monotonic()
    run = cli("diagnose", "--json", "--year", "2026", "--rules", str(rule_file(tmp_path)),
              str(logs), timeout=120)  # fmt: skip
    elapsed = time.monotonic() - start
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["exhausted_rules"] == ["USER-SLOW"]
    assert run.stderr.splitlines() == [
        "multus-forensics: rule USER-SLOW: regex budget used up; its remaining searches were skipped"
    ]
    assert elapsed < 60  # 200 searches at 0.25 s each would be 50 s: the budget stops at ~1 s


def test_the_budget_is_named_in_the_text_output_too(tmp_path: Path) -> None:
    logs = long_lines(tmp_path / "kubelet.log", lines=5, width=30)
    run = cli("diagnose", "--year", "2026", "--rules", str(rule_file(tmp_path)), str(logs))
    assert "Rules stopped by their regex budget" in run.stdout
    assert "USER-SLOW" in run.stdout


@pytest.mark.parametrize(
    "explanation",
    ["{group.__class__.__mro__}", "{pod[0]}", "{pod!r}", "{pod:>999999999}"],
)
def test_explanations_with_more_than_plain_fields_are_refused(explanation: str) -> None:
    text = RULE.format(pattern="boom", explanation=explanation)
    with pytest.raises(RuleError, match="is not a plain name"):
        load_rules_text(text, "site.toml")


def test_plain_fields_are_filled_and_missing_ones_say_so() -> None:
    text = RULE.format(pattern="pod (?P<pod>\\S+) failed", explanation="{pod} on {node}")
    (rule,) = load_rules_text(text, "site.toml")
    assert rule.explain({"pod": "lab/p"}) == "lab/p on (not named in the logs)"


def test_a_rule_file_from_a_device_or_too_large_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="not a regular file"):
        load_catalog(["/dev/zero"])
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_RULE_FILE_BYTES + 1))
    with pytest.raises(RuleError, match="larger than"):
        load_catalog([big])


def test_rules_from_dev_zero_on_the_command_line_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "k.log").write_bytes(log_lines(2))
    run = cli("diagnose", "--rules", "/dev/zero", str(tmp_path / "k.log"), timeout=60)
    assert run.returncode == 1
    assert run.stderr == (
        "multus-forensics: error: /dev/zero: not a regular file (fifo, socket or device); "
        "not read\n"
    )


@pytest.mark.parametrize("address", ["notaurl::", "http://h:1", "tcp://:8786", "h:99999"])
def test_a_malformed_scheduler_address_is_one_clear_line_before_any_work(
    tmp_path: Path, address: str
) -> None:
    (tmp_path / "k.log").write_bytes(log_lines(2))
    run = cli("report", str(tmp_path / "k.log"), "-o", str(tmp_path / "o"), "-q",
              "--scheduler", address, timeout=60)  # fmt: skip
    assert run.returncode == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"multus-forensics: error: scheduler address {address!r}")
    assert "tcp://HOST:PORT" in line
    assert not (tmp_path / "o").exists()


def test_an_unreachable_scheduler_is_not_ignored_with_one_input(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    (tmp_path / "k.log").write_bytes(log_lines(2))
    run = cli("report", str(tmp_path / "k.log"), "-o", str(tmp_path / "o"), "-q",
              "--scheduler", "tcp://127.0.0.1:1", timeout=120)  # fmt: skip
    assert run.returncode == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith("multus-forensics: error: cannot reach the Dask scheduler")


@pytest.mark.parametrize("command", ["parse", "diagnose", "timeline", "report"])
@pytest.mark.parametrize("year", ["0", "99999", "soon"])
def test_a_year_out_of_range_is_a_usage_error_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, year: str
) -> None:
    extra = ["-o", str(tmp_path / "o")] if command == "report" else []
    assert main([command, "--year", year, str(tmp_path / "k.log"), *extra]) == 2
    assert "--year" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["parse", "diagnose", "timeline", "report"])
def test_member_cap_and_depth_reach_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    inner = tmp_path / "kubelet.log.gz"
    inner.write_bytes(gzip.compress(log_lines(50)))
    extra = ["-o", str(tmp_path / "o"), "-q"] if command == "report" else []
    code = main([command, "--year", "2026", "--max-member-bytes", "4000", str(inner), *extra])
    assert code == 1
    assert "cap of 4000 bytes" in capsys.readouterr().err
    nested = tmp_path / "n.gz"
    nested.write_bytes(gzip.compress(gzip.compress(gzip.compress(log_lines(3)))))
    assert main([command, "--year", "2026", "--max-depth", "2", str(nested), *extra]) == 1
    assert "more than 2 nested gzip layers" in capsys.readouterr().err
