"""Differential diagnosis: a finding names the check that separates it from a look-alike found beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_rules_catalog import MINIMAL

import multus_forensics as mf
from multus_forensics.classify.catalog import load_rules_text
from multus_forensics.commands.diagnose import render_text
from multus_forensics.errors import RuleError

UNAUTHORIZED_ON_DEL = (
    'failed to destroy network for sandbox "5e1a": plugin type="multus" name="multus-cni-network" '
    "failed (delete): Multus: [lab/api-7]: error getting pod: Unauthorized\n"
)


@pytest.fixture
def diagnosis(tmp_path: Path) -> mf.Diagnosis:
    path = tmp_path / "paste.txt"
    path.write_text(UNAUTHORIZED_ON_DEL, encoding="utf-8")
    return mf.diagnose(str(path), year=2026)


def test_look_alike_causes_each_name_the_check_that_separates_them(diagnosis: mf.Diagnosis) -> None:
    causes = {f.root_cause: f for f in diagnosis}
    assert {"kubeconfig_auth_failure", "stale_multus_config_after_uninstall"} <= set(causes)
    for cause, other in (
        ("kubeconfig_auth_failure", "stale_multus_config_after_uninstall"),
        ("stale_multus_config_after_uninstall", "kubeconfig_auth_failure"),
    ):
        (d,) = causes[cause].discriminators
        assert d.against == other
        assert d.check.startswith("kubectl -n kube-system get ds -l app=multus")
        assert len(d.outcomes) == 2


def test_discriminators_are_in_the_json_and_the_cli_text(diagnosis: mf.Diagnosis) -> None:
    data = json.loads(json.dumps(diagnosis.to_dict()))
    first = data["findings"][0]["discriminators"][0]
    assert set(first) == {"against", "check", "outcomes"}
    assert set(first["outcomes"][0]) == {"when", "means"}
    text = render_text(diagnosis)
    assert "to tell it from" in text
    assert "run: kubectl -n kube-system get ds -l app=multus" in text


def test_a_finding_without_its_look_alike_lists_no_discriminator(tmp_path: Path) -> None:
    path = tmp_path / "paste.txt"
    path.write_text('failed to lookup master "ens9": Link not found\n', encoding="utf-8")
    assert all(f.discriminators == () for f in mf.diagnose(str(path), year=2026))


RULE = (
    MINIMAL
    + """discriminators = [{ against = "multus_bug", check = "ls -l /etc/cni/multus/net.d", outcomes = OUTCOMES }]
"""
)


def test_discriminator_with_fewer_than_two_outcomes_is_rejected() -> None:
    text = RULE.replace("OUTCOMES", '[{ when = "a", means = "b" }]')
    with pytest.raises(RuleError, match="at least two outcomes"):
        load_rules_text(text, "mine.toml")


def test_discriminator_against_an_unknown_label_is_rejected() -> None:
    text = RULE.replace("OUTCOMES", '[{ when = "a", means = "b" }, { when = "c", means = "d" }]')
    with pytest.raises(RuleError, match=r"discriminators\.against"):
        load_rules_text(text.replace('"multus_bug"', '"gremlins"'), "mine.toml")
    assert load_rules_text(text, "mine.toml")[0].discriminators[0].outcomes[1] == ("c", "d")


def test_html_and_markdown_reports_show_the_check_and_its_outcomes(tmp_path: Path) -> None:
    from multus_forensics.report import build_report_data, render

    path = tmp_path / "paste.txt"
    path.write_text(UNAUTHORIZED_ON_DEL, encoding="utf-8")
    data = build_report_data(mf.parse(str(path), year=2026))
    page = render(data, "html")
    assert 'class="discriminators"' in page
    assert "kubectl -n kube-system get ds -l app=multus" in page
    text = render(data, "md")
    assert "To tell it from" in text
    assert "no multus DaemonSet is listed" in text
