"""The report: content built once, rendered to HTML, Markdown and JSON, log text always escaped."""

from __future__ import annotations

import html
import json
import os
import re
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from multus_forensics.batch import ParseOptions, run_batch
from multus_forensics.cli import main
from multus_forensics.pipeline import parse
from multus_forensics.report import ReportData, build_report_data, render, write_report
from multus_forensics.report.data import TableRows, headline
from multus_forensics.report.markdown import fenced, md
from multus_forensics.report.markup import Markup, h, tag
from multus_forensics.report.writer import unit_report

HOSTILE = "<script>document.body.dataset.pwned=6*7</script> <img src=x onerror=alert(1)> | `x` *y*"


def klog_json_log(path: Path, pod: str, err: str, attempts: int = 3) -> Path:
    """A kubelet log in klog JSON: one start and one failure per sandbox attempt."""
    lines = []
    for i in range(attempts):
        ts = 1773234125102.93 + i * 15000
        ref = {"name": pod, "namespace": "lab"}
        lines.append(
            json.dumps(
                {
                    "ts": ts,
                    "caller": "util/util.go:30",
                    "msg": "No sandbox for pod can be found. Need to start a new one",
                    "v": 2,
                    "pod": ref,
                }
            )
        )
        lines.append(
            json.dumps(
                {
                    "ts": ts + 2300.5,
                    "caller": "kuberuntime/kuberuntime_manager.go:1172",
                    "msg": "CreatePodSandbox for pod failed",
                    "pod": ref,
                    "err": err,
                }
            )
        )
    path.write_text("\n".join(lines) + "\nnot a record " + HOSTILE + "\n", encoding="utf-8")
    return path


class _Elements(HTMLParser):
    """Collects start tags with their attributes (what a browser would build from the markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.tags


@pytest.fixture
def hostile_log(tmp_path: Path) -> Path:
    return klog_json_log(tmp_path / "kubelet.log", "probe-<b>x</b>", "rpc error: " + HOSTILE)


def test_markup_escapes_text_and_attributes_but_not_markup() -> None:
    assert h("<a href='x'>&") == "&lt;a href=&#x27;x&#x27;&gt;&amp;"
    assert h(Markup("<b>ok</b>")) == "<b>ok</b>"
    built = tag("a", "<i>", href='"><script>', class_="c", hidden=True, title=None)
    assert built == '<a href="&quot;&gt;&lt;script&gt;" class="c" hidden>&lt;i&gt;</a>'


def test_html_report_shows_log_text_as_text_only(hostile_log: Path) -> None:
    page = render(build_report_data(parse(str(hostile_log))), "html")
    tags = elements(page)
    assert not [t for t, _ in tags if t == "script"]
    assert not [a for t, a in tags if t == "img" and a.get("src") == "x"]
    assert not [a for t, a in tags if any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;document.body.dataset.pwned=6*7&lt;/script&gt;" in page
    assert "lab/probe-&lt;b&gt;x&lt;/b&gt;" in page


def test_html_report_is_self_contained_with_a_restrictive_csp(hostile_log: Path) -> None:
    page = render(build_report_data(parse(str(hostile_log))), "html")
    csp = [a for t, a in elements(page) if t == "meta" and a.get("http-equiv")]
    assert csp[0]["content"] == "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    assert not re.search(r"""(?:src|href)=["']?(?:https?:|//)""", page)
    assert "<link" not in page
    assert "<style>" in page


def test_html_report_has_coverage_pods_and_issues(hostile_log: Path) -> None:
    data = build_report_data(parse(str(hostile_log)))
    page = render(data, "html")
    assert data.coverage[0]["lines"] == 7
    assert data.coverage[0]["events"] == 6
    assert data.coverage[0]["issue_lines"] == 1
    assert [s.pod for s in data.pods] == ["lab/probe-<b>x</b>"]
    assert data.pods[0].errors == 3
    assert "Parse coverage" in page
    assert "Parse issues (1)" in page
    assert "Per-pod timelines" in page


def test_markdown_escapes_table_cells_and_line_starts() -> None:
    assert md("a|b <c> *d*") == r"a\|b &lt;c&gt; \*d\*"
    assert md("# title", line_start=True) == r"\# title"
    assert md("12. item", line_start=True) == r"12\. item"
    assert md("0.97") == "0.97"
    assert md("two\nlines") == "two lines"


def test_markdown_fence_is_longer_than_any_backtick_run() -> None:
    block = fenced("a ```` b")
    assert block.startswith("`````text\n")
    assert block.endswith("\n`````")


def test_markdown_report_keeps_hostile_text_inert(hostile_log: Path) -> None:
    text = render(build_report_data(parse(str(hostile_log))), "md")
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "| /" in text  # the coverage table row
    # the pipes in the log text add no column: every row has as many cell separators as its header
    tables: list[list[int]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            tables[-1].append(len(re.findall(r"(?<!\\)\|", line)))
        elif tables[-1]:
            tables.append([])
    assert any("rpc error" in line and line.startswith("|") for line in text.splitlines())
    assert all(len(set(widths)) == 1 for widths in tables if widths)


def test_json_report_has_the_diagnose_schema_plus_timelines(hostile_log: Path) -> None:
    doc = json.loads(render(build_report_data(parse(str(hostile_log))), "json"))
    assert {"findings", "unclassified", "stats", "timelines", "coverage", "issues"} <= set(doc)
    assert doc["stats"] == {
        "files": 1,
        "lines": 7,
        "events": 6,
        "unparsed_lines": 1,
        "header_lines": 0,
    }
    assert doc["issues"][0]["line"] == 7
    for finding in doc["findings"]:
        assert {"root_cause", "rule", "confidence", "summary", "remediation", "pods"} <= set(
            finding
        )


def bundle(directory: Path, pod: str, err: str) -> Path:
    """A node bundle directory holding one kubelet log."""
    directory.mkdir(parents=True)
    klog_json_log(directory / "kubelet.log", pod, err)
    return directory


def test_several_bundles_give_an_index_linking_to_each(tmp_path: Path) -> None:
    a = bundle(tmp_path / "node-a", "alpha", "rpc error: a")
    b = bundle(tmp_path / "node b", "beta", "rpc error: b")
    written = write_report([str(a), str(b)], tmp_path / "out", workers=1, progress=False)
    index = written[0]
    assert index.name == "report.html"
    page = index.read_text()
    links = [attrs["href"] for t, attrs in elements(page) if t == "a"]
    assert links == ["inputs/01-node-a.html", "inputs/02-node_b.html"]
    for link in links:
        sub = (index.parent / str(link)).read_text()
        assert '<a href="../report.html">' in sub
    assert "lab/alpha" in page
    assert "lab/beta" in page
    assert "<td><td" not in page
    row = re.search(r"<tr><td><a href=\"inputs/01-node-a.html\">.*?</tr>", page)
    assert row is not None
    # input, top cause, confidence, pods, nodes, events, unparsed, alternatives
    assert row.group(0).count("<td") == 8
    assert page.index("<h2>Inputs (2)</h2>") < page.index("<h2>All inputs merged</h2>")
    assert page.index("All inputs merged") < page.index("Root causes (ranked) across all inputs")


def test_report_command_writes_markdown_quietly(
    hostile_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", str(hostile_log), "-o", str(tmp_path / "md"), "-f", "md", "-q"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.strip() == str(tmp_path / "md" / "report.md")
    # no progress bar; the one line no parser took is reported as every command reports it
    assert err.splitlines() == [
        line for line in err.splitlines() if line.startswith(f"multus-forensics: {hostile_log}:")
    ]
    assert len(err.splitlines()) == 1
    assert (tmp_path / "md" / "report.md").read_text().startswith("# Multus forensics report")


def test_report_command_rejects_an_unknown_format(tmp_path: Path) -> None:
    assert main(["report", "x.log", "-o", str(tmp_path), "--output-format", "pdf"]) == 2


def test_report_command_reports_a_missing_input_as_an_issue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", str(tmp_path / "nope.log"), "-o", str(tmp_path / "o"), "-f", "json"])
    assert code == 1  # the report is still written, and the exit says an input was lost
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert doc["issues"][0]["reason"] == "no such file or directory"
    err = capsys.readouterr().err  # one line per problem: the lost input explains "no events"
    assert err == f"multus-forensics: {tmp_path / 'nope.log'}: no such file or directory\n"


def test_sub_reports_are_rendered_in_the_workers(tmp_path: Path) -> None:
    paths = [
        str(klog_json_log(tmp_path / f"n{i}.log", f"pod-{i}", "rpc error: x", attempts=i + 1))
        for i in range(3)
    ]
    after = partial(unit_report, fmt="json", title="t", plots=False)
    result = run_batch(paths, workers=2, progress=False, after=after)
    assert all(u.pid != os.getpid() for u in result.units)
    for i, unit in enumerate(result.units):
        text, row, data = unit.extra
        assert data.diagnosis["stats"]["events"] == 2 * (i + 1)
        assert json.loads(text)["stats"]["events"] == 2 * (i + 1)
        assert row["input"] == paths[i]
        assert row["events"] == 2 * (i + 1)


def _finding_data(evidence: int, pods: int) -> ReportData:
    finding = {
        "root_cause": "multus_self_delegation",
        "rule": "R1",
        "title": "T <i>",
        "confidence": 0.9,
        "summary": "Pod " + HOSTILE,
        "remediation": ["step one", "step <two>"],
        "pods": [f"lab/p{i}" for i in range(pods)],
        "first_seen": "2026-03-11T13:02:06+00:00",
        "last_seen": None,
        "count": evidence,
        "evidence": [{"file": "k.log", "line": i, "text": HOSTILE} for i in range(evidence)],
    }
    return ReportData(
        title="t",
        diagnosis={"findings": [finding], "unclassified": [], "stats": {}},
        coverage=[],
        issues=[],
        pods=[],
        timelines={},
        affected_pods=finding["pods"],
        affected_nodes=[],
    )


def test_findings_show_bounded_evidence_and_pods_with_the_rest_counted() -> None:
    page = render(_finding_data(evidence=30, pods=25), "html")
    assert page.count("<pre>") == 12
    assert "18 more evidence lines in the JSON report." in page
    assert "lab/p19 and 5 more" in page
    assert "<li>step &lt;two&gt;</li>" in page
    assert "<script>" not in page
    text = render(_finding_data(evidence=30, pods=25), "md")
    assert text.count("```text") == 12
    assert "18 more evidence lines" in text
    doc = json.loads(render(_finding_data(evidence=30, pods=25), "json"))
    assert len(doc["findings"][0]["evidence"]) == 30


def test_loose_files_are_reported_together(tmp_path: Path) -> None:
    a = klog_json_log(tmp_path / "a.log", "alpha", "rpc error: a")
    b = klog_json_log(tmp_path / "b.log", "beta", "rpc error: b")
    written = write_report([str(a), str(b)], tmp_path / "out", fmt="json", progress=False)
    assert written == [tmp_path / "out" / "report.json"]
    doc = json.loads(written[0].read_text())
    assert doc["stats"]["files"] == 2
    assert doc["inputs"] == []


SEED = Path(__file__).resolve().parent.parent / "sample_logs" / "seed"


def test_seed_case_report_names_cause_pod_node_remediation_and_attempts(tmp_path: Path) -> None:
    data = build_report_data(parse(str(SEED), year=2026))
    top = data.diagnosis["findings"][0]
    assert top["root_cause"] == "multus_self_delegation"
    assert data.affected_pods[0] == "lab/probe-6d8f9c7b54-qwz4n"
    assert data.affected_nodes == ["edge-node-2"]
    probe = data.pods[0]
    assert probe.pod == "lab/probe-6d8f9c7b54-qwz4n"
    assert [a["attempt"] for a in probe.tables["attempts"]][:3] == [1, 2, 3]
    assert {r["interface"] for r in probe.tables["interfaces"]} == {"eth0", "net1"}
    page = render(data, "html")
    assert page.index("multus_self_delegation") < page.index("Per-pod timelines")
    assert "<h3>Attempts</h3>" in page
    assert headline(top, data).startswith("confidence ")
    assert "1 pod on 1 node. " + top["remediation"][0] in headline(top, data)
    assert html.escape(headline(top, data)) in page
    assert '<a href="#cause-1">' in page
    assert re.search(r'<span title="[^"]*/seed/([\w.-]+)">\1:\d+</span>', page)  # where
    assert 'id="cause-1"' in page
    assert top["remediation"][0] in page.replace("&#x27;", "'")


def test_seed_case_report_embeds_fleet_and_pod_figures_as_png() -> None:
    data = build_report_data(parse(str(SEED), year=2026))
    titles = [p.title for p in data.plots]
    assert titles[:2] == [
        "Failed sandbox attempts by root cause over time",
        "Failed sandbox attempts by node and root cause",
    ]
    assert "lab/probe-6d8f9c7b54-qwz4n: interface add order per attempt" in titles
    assert all(p.png.startswith(b"\x89PNG\r\n\x1a\n") for p in data.plots)
    assert {f["root_cause"] for f in data.failures} == {"multus_self_delegation"}
    page = render(data, "html")
    images = [a for t, a in elements(page) if t == "img"]
    assert len(images) == len(data.plots)
    assert all(str(a["src"]).startswith("data:image/png;base64,") for a in images)
    no_plots = build_report_data(parse(str(SEED), year=2026), plots=False)
    assert no_plots.plots == []
    assert no_plots.failures == data.failures


def test_missing_analysis_stages_leave_notes_and_frame_based_pod_sections(
    hostile_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "multus_forensics.report.analysis.optional_function", lambda module, name: None
    )
    data = build_report_data(parse(str(hostile_log)))
    assert [n.split(" are ")[0].split(" is ")[0] for n in data.notes] == [
        "Root-cause classification",
        "Sandbox-attempt timelines",
        "Plots",
    ]
    assert data.diagnosis["findings"] == []
    assert data.diagnosis["stats"]["events"] == 6
    assert [(s.pod, s.total_events, s.errors) for s in data.pods] == [("lab/probe-<b>x</b>", 6, 3)]
    assert data.pods[0].tables == {}
    page = render(data, "html")
    assert "Root-cause classification is not available" in page


def test_only_the_html_report_draws_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multus_forensics.report import figures

    drawn: list[tuple[float, float]] = []
    real_png = figures.png

    def counting_png(draw: Any, size: tuple[float, float]) -> bytes:
        drawn.append(size)
        return real_png(draw, size)

    monkeypatch.setattr(figures, "png", counting_png)
    for fmt in ("md", "json"):
        write_report([str(SEED)], tmp_path / fmt, fmt=fmt, options=ParseOptions(year=2026))
    assert drawn == []
    doc = json.loads((tmp_path / "json" / "report.json").read_text())
    assert doc["failures"]  # the failure table is data, kept without figures
    page = write_report([str(SEED)], tmp_path / "html", options=ParseOptions(year=2026))[0]
    assert len(drawn) == page.read_text().count("data:image/png;base64,") > 0


def test_an_unwritable_output_is_one_clear_error(
    hostile_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a directory")
    assert main(["report", str(hostile_log), "-o", str(blocker), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("multus-forensics: error: cannot create output directory")
    assert "Traceback" not in err
    out = tmp_path / "ro"
    out.mkdir()
    (out / "report.html").mkdir()  # the report path is taken by a directory
    assert main(["report", str(hostile_log), "-o", str(out), "-q"]) == 1
    assert "cannot write" in capsys.readouterr().err


def _ranked_data() -> ReportData:
    """Three findings: the best with pods, an alternative with pods, one naming no pod."""

    def finding(cause: str, confidence: float, pods: list[str]) -> dict[str, Any]:
        return {"root_cause": cause, "rule": cause.upper(), "title": cause, "confidence": confidence,
                "summary": cause, "remediation": [], "pods": pods, "count": 1, "evidence": [],
                "reasons": [f"base {confidence:.2f} ({cause.upper()})", "+0.05 seen in 2 sources"]}  # fmt: skip

    findings = [
        finding("multus_self_delegation", 0.95, ["lab/a"]),
        finding("cni_plugin_not_installed", 0.8, []),
        finding("duplicate_ifname_in_request", 0.25, ["lab/a"]),
    ]
    return ReportData(
        title="t",
        diagnosis={"findings": findings, "unclassified": [], "stats": {}},
        coverage=[], issues=[], pods=[], timelines={}, affected_pods=["lab/a"], affected_nodes=[],
    )  # fmt: skip


def test_html_findings_show_why_and_keep_alternatives_and_podless_causes_apart() -> None:
    page = render(_ranked_data(), "html")
    sections = re.findall(r'<section class="([^"]+)" id="cause-(\d)">', page)
    # ranked order among causes with pods, then the one naming no pod, listed apart
    assert sections == [
        ("finding", "1"),
        ("finding alternative", "3"),
        ("finding alternative", "2"),
    ]
    assert (
        page.index("cause-3") < page.index("Causes that name no pod") < page.index('id="cause-2"')
    )
    assert (
        "<td>why</td><td>base 0.95 (MULTUS_SELF_DELEGATION); +0.05 seen in 2 sources</td>" in page
    )
    assert page.count('<span class="badge">alternative</span>') == 2
    headlines = re.findall(r'<li(?: class="(alternative)")? value="(\d)">', page)
    assert headlines == [("", "1"), ("alternative", "3"), ("alternative", "2")]
    assert "confidence 0.8, names no pod." in page
    assert "0 pods" not in page
    assert "confidence 0.95, 1 pod, node not named in the logs." in page


def test_an_index_marks_each_inputs_top_cause_as_primary() -> None:
    data = _ranked_data()
    data.inputs = [
        {"input": "a/", "report": "inputs/01-a.html", "top_cause": "multus_self_delegation",
         "confidence": 0.95, "pods": ["lab/a"], "nodes": ["n1"], "events": 3,
         "unparsed_lines": 0, "root_causes": ["multus_self_delegation"]},
        {"input": "b/", "report": "inputs/02-b.html", "top_cause": "cni_plugin_not_installed",
         "confidence": 0.8, "pods": [], "nodes": [], "events": 2, "unparsed_lines": 0,
         "root_causes": ["cni_plugin_not_installed", "duplicate_ifname_in_request"]},
    ]  # fmt: skip
    page = render(data, "html")
    assert page.index("<h2>Inputs (2)</h2>") < page.index("Root causes (ranked) across all inputs")
    row = re.search(r'<tr><td><a href="inputs/02-b.html">.*?</tr>', page)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0))
    assert cells[1:5] == ['<span class="cause">cni_plugin_not_installed</span>', "0.8", "0", ""]
    assert "duplicate_ifname_in_request" in cells[7]
    sections = re.findall(r'<section class="([^"]+)" id="cause-(\d)">', page)
    assert ("finding", "2") in sections  # top cause of input b, though it names no pod
    assert ("finding alternative", "3") in sections
    text = render(data, "md")
    assert text.index("## Inputs (2)") < text.index("## All inputs merged")
    assert "| [b/](inputs/02-b.html) | cni\\_plugin\\_not\\_installed | 0.8 | 0 |" in text
    assert "### 2. cni\\_plugin\\_not\\_installed:" in text  # an input's top cause
    assert "### 3. (alternative) duplicate\\_ifname\\_in\\_request:" in text
    assert "- **Why:** base 0.80 (CNI\\_PLUGIN\\_NOT\\_INSTALLED); +0.05 seen in 2 sources" in text


def test_timeline_tables_become_rows_only_for_the_outputs_that_list_them() -> None:
    data = build_report_data(parse(str(SEED), year=2026), plots=False)
    assert isinstance(data.timelines, TableRows)
    render(data, "html")
    render(data, "md")
    assert data.timelines.converted() == []  # the pages show a few pods' rows, not the node's
    doc = json.loads(render(data, "json"))
    assert data.timelines.converted() == ["pods", "attempts", "interfaces", "anomalies"]
    assert list(doc["timelines"]) == ["pods", "attempts", "interfaces", "anomalies"]
    pods = {(r["namespace"], r["pod"]) for r in doc["timelines"]["attempts"]}
    assert ("lab", "probe-6d8f9c7b54-qwz4n") in pods
    assert len(doc["timelines"]["attempts"]) == len(data.timelines["attempts"]) > 1


def test_a_note_about_a_whole_file_is_in_the_summary_before_the_causes(tmp_path: Path) -> None:
    """The zone journalctl printed a journal's times in changes every time of its timeline."""
    journal = tmp_path / "node.journal"
    journal.write_text(
        "-- Logs begin at mer. 2018-09-19 08:42:51 CEST. --\n"
        "sept. 20 16:41:05 erebos kubelet[8665]: I0920 16:41:05.744437    8665 kubelet.go:1] hi\n",
        encoding="utf-8",
    )
    data = build_report_data(parse(str(journal)), plots=False)
    (note,) = data.notes
    assert note.startswith(f"Note: {journal}: journalctl printed these times in CEST")
    page = render(data, "html")
    assert page.index("printed these times in CEST") < page.index("Root causes (ranked)")
    assert "printed these times in CEST" in render(data, "md")
    assert build_report_data(parse(str(journal), tz="Europe/Paris"), plots=False).notes == []


def test_file_notes_past_the_cap_are_counted() -> None:
    from multus_forensics.model import ParseIssue
    from multus_forensics.report.data import FILE_NOTES, file_notes

    issues = [ParseIssue(f"f{n}", None, None, "why", severity="warning") for n in range(7)]
    issues.append(ParseIssue("g", None, 3, "a line's damage", severity="warning"))
    notes = file_notes(issues)
    assert notes[:FILE_NOTES] == [f"Note: f{n}: why" for n in range(FILE_NOTES)]
    assert notes[FILE_NOTES:] == ["Note: 2 more notes in the parse issues."]


def test_failure_rows_become_dicts_only_for_the_json_report() -> None:
    from multus_forensics.report.data import FrameRows

    data = build_report_data(parse(str(SEED), year=2026))
    assert isinstance(data.failures, FrameRows)
    render(data, "html")  # its fleet figures drew from the failure table's frame
    render(data, "md")
    assert not data.failures.converted()
    doc = json.loads(render(data, "json"))
    assert data.failures.converted()
    assert len(doc["failures"]) == len(data.failures) == data.failures.frame.height > 0
    assert data.failures == data.failures.frame.to_dicts()
    assert data.failures[0] == data.failures.frame.row(0, named=True)
