"""``multus-forensics diagnose``: JSON contract, text output, --rules, --fail-on and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multus_forensics.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "sample_logs" / "seed"
HEALTHY = ROOT / "sample_logs" / "kubectl" / "describe_healthy.txt"

USER_RULE = """
[[rule]]
id = "SITE-GREMLIN"
title = "Site-specific gremlin"
root_cause = "cni_plugin_not_installed"
severity = "critical"
patterns = ['gremlin ate plugin (?P<plugin>\\w+)']
confidence = 0.9
explanation = "A gremlin removed the plugin binary."
remediation = ["Feed the gremlin."]
examples = ['gremlin ate plugin macvlan']
"""


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["diagnose", "--json", "--year", "2026", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_json_output_is_one_object_with_findings_best_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = run_json(capsys, str(SEED))
    assert code == 0
    assert set(doc) == {"findings", "unclassified", "stats", "exhausted_rules"}
    findings = doc["findings"]
    assert isinstance(findings, list)
    assert findings
    assert findings[0]["root_cause"] == "multus_self_delegation"
    confs = [f["confidence"] for f in findings]
    assert confs == sorted(confs, reverse=True)
    for f in findings:
        assert f["evidence"]
        assert all({"file", "line", "text"} <= set(e) for e in f["evidence"])
    stats = doc["stats"]
    assert isinstance(stats, dict)
    seed_files = [p for p in SEED.iterdir() if p.is_file()]  # robust to new seed samples
    assert stats["files"] == len(seed_files)
    assert stats["lines"] == sum(len(p.read_text().splitlines()) for p in seed_files)
    assert stats["unparsed_lines"] == 0
    assert stats["events"] > 0


def test_healthy_sample_gives_no_finding_and_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run_json(capsys, "--fail-on", "info", str(HEALTHY))
    assert code == 0
    assert doc["findings"] == []


def test_fail_on_severity_exits_three(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_json(capsys, "--fail-on", "error", str(SEED))
    assert code == 3


def test_fail_on_above_every_finding_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "paste.txt"
    log.write_text(
        'SetNetworkStatus: failed to query the pod web-1 in out of cluster comm: pods "web-1" not found\n'
    )
    code, doc = run_json(capsys, "--fail-on", "critical", str(log))
    assert [f["root_cause"] for f in doc["findings"]] == ["pod_not_in_api"]
    assert code == 0


def test_user_rules_file_adds_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text(USER_RULE)
    log = tmp_path / "paste.txt"
    log.write_text("error: gremlin ate plugin macvlan\n")
    code, doc = run_json(capsys, "--rules", str(rules), str(log))
    assert code == 0
    assert [f["rule"] for f in doc["findings"]] == ["SITE-GREMLIN"]


def test_bad_rules_file_is_an_input_error_naming_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "site.toml"
    rules.write_text(USER_RULE.replace("severity", "sevurity"))
    code = main(["diagnose", "--rules", str(rules), str(HEALTHY)])
    err = capsys.readouterr().err
    assert code == 1
    assert "site.toml: rule SITE-GREMLIN: unknown key 'sevurity'" in err


def test_missing_input_is_exit_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diagnose", str(tmp_path / "nope.log")])
    assert code == 1
    assert "nope.log" in capsys.readouterr().err


def test_usage_errors_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose"]) == 2
    assert main(["diagnose", "--fail-on", "dire", str(HEALTHY)]) == 2
    capsys.readouterr()


def test_text_output_lists_hypotheses_remediation_and_evidence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["diagnose", "--year", "2026", str(SEED)])
    out = capsys.readouterr().out
    assert code == 0
    assert "1. multus_self_delegation" in out
    assert "(best hypothesis)" in out
    assert "(alternative)" in out
    assert "remediation:" in out
    assert "evidence:" in out
    assert "describe.txt:" in out
