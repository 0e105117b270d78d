"""Short reprs and notebook HTML of the public result objects: what they say, escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from types import SimpleNamespace

import pytest

import multus_forensics as mf
from multus_forensics.classify import Diagnosis
from multus_forensics.display import finding_html

SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"
POD = "lab/probe-6d8f9c7b54-qwz4n"


@pytest.fixture(scope="module")
def seed() -> tuple[mf.EventLog, mf.Timelines, Diagnosis]:
    log = mf.parse(str(SEED), year=2026)
    return log, mf.build_timelines(log), mf.diagnose(log)


def test_the_event_log_repr_names_counts_formats_span_and_issues(
    seed: tuple[mf.EventLog, mf.Timelines, Diagnosis],
) -> None:
    log = seed[0]
    text = repr(log)
    assert text.startswith(f"<EventLog {log.stats.events} events from 4 files")
    assert "journald 1" in text
    assert "multus-log 1" in text
    assert "2026-03-11 13:01:40 .. 13:02:58 UTC" in text
    assert text.endswith("0 issues (0 errors)>")
    assert "\n" not in text
    html = log._repr_html_()
    assert html.count("<tr>") == 5  # header + one row per format


def test_the_timelines_html_is_a_pods_by_attempts_table(
    seed: tuple[mf.EventLog, mf.Timelines, Diagnosis],
) -> None:
    tl = seed[1]
    assert repr(tl) == "<Timelines 2 pods, 4 sandbox attempts (3 failed)>"
    html = tl._repr_html_()
    assert "<th>#1</th><th>#2</th><th>#3</th></tr>" in html
    probe = re.search(rf"<tr><td>{POD}</td>.*?</tr>", html)
    assert probe is not None
    assert probe.group(0).count('class="failed"') == 3
    assert 'title="interface name net1 already exists"' in probe.group(0)


def test_the_diagnosis_ranks_findings_and_greys_the_alternatives(
    seed: tuple[mf.EventLog, mf.Timelines, Diagnosis],
) -> None:
    diag = seed[2]
    assert repr(diag).startswith(
        "<Diagnosis 2 findings, best multus_self_delegation (0.95, 1 pods)"
    )
    html = diag._repr_html_()
    rows = re.findall(r"<tr( class=\"alt\")?><td>(\d)</td>", html)
    assert rows == [("", "1"), (' class="alt"', "2")]
    assert "best hypothesis" in html
    assert "alternative" in html
    assert "base 0.55" in html  # the why
    assert "Delete the generated /etc/cni/net.d/00-multus.conf" in html  # remediation


def test_a_finding_shows_why_pods_remediation_and_evidence(
    seed: tuple[mf.EventLog, mf.Timelines, Diagnosis],
) -> None:
    top = seed[2][0]
    assert repr(top) == (
        f"<Finding multus_self_delegation confidence 0.95 [error] 1 pods, seen {top.count}x>"
    )
    html = top._repr_html_()
    for needle in ("<i>why:</i>", f"<i>pods:</i> {POD}", "<i>remediation:</i>", "evidence"):
        assert needle in html
    assert f"… {len(top.evidence) - 5} more" in html


def test_an_error_chain_is_an_indented_list_outermost_first() -> None:
    chain = mf.unwrap_error(
        'plugin type="multus" name="multus-cni-network" failed (add): [lab/p/<UID>:net-a]: '
        'error adding container to network "net-a": failed to find host device: <b>x</b> now'
    )
    text = repr(chain)
    assert text.startswith(f"<ErrorChain {len(chain.layers)} layers: libcni > multus")
    html = chain._repr_html_()
    kinds = re.findall(r"<ul><li><b>([\w-]+)</b>", html)
    assert kinds == [layer.kind for layer in chain.layers]
    assert html.count("<ul>") == len(chain.layers)  # each layer nested in the previous one
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # log text is escaped
    assert "<b>x</b>" not in html


def test_an_empty_diagnosis_says_so() -> None:
    empty = Diagnosis()
    assert repr(empty) == "<Diagnosis no finding; 0 unclassified error templates>"
    assert "No finding" in empty._repr_html_()


def test_discriminators_read_as_the_check_and_its_outcomes(
    seed: tuple[mf.EventLog, mf.Timelines, Diagnosis],
) -> None:
    @dataclass(frozen=True)
    class Check:
        against: str
        check: str
        outcomes: tuple[tuple[str, str], ...]

    top = seed[2][0]
    with_check = SimpleNamespace(**{**vars_of(top), "discriminators": (
        Check("duplicate_ifname_in_request", "ls /etc/cni/net.d", (("a 00-multus.conf", "self"),)),
    )})  # fmt: skip
    html = finding_html(with_check)  # type: ignore[arg-type]
    assert (
        "<i>discriminators:</i> vs duplicate_ifname_in_request: ls /etc/cni/net.d "
        "(if a 00-multus.conf: self)" in html
    )


def vars_of(finding: object) -> dict[str, object]:
    return {f.name: getattr(finding, f.name) for f in fields(finding)}  # type: ignore[arg-type]
