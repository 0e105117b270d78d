"""The index over several bundles combines their analyses without re-reading events."""

from __future__ import annotations

from typing import Any

from multus_forensics.report.aggregate import merge_report_data
from multus_forensics.report.data import PodSection, ReportData


def finding(
    cause: str, confidence: float, pods: list[str], first: str, last: str
) -> dict[str, Any]:
    return {
        "root_cause": cause,
        "rule": f"{cause}-{confidence}",
        "title": f"title {confidence}",
        "confidence": confidence,
        "summary": f"summary {confidence}",
        "remediation": ["fix"],
        "pods": pods,
        "first_seen": first,
        "last_seen": last,
        "count": len(pods),
        "evidence": [{"file": p, "line": 1, "text": cause} for p in pods],
    }


def part(findings: list[dict[str, Any]], templates: list[dict[str, Any]], node: str) -> ReportData:
    pods = [p for f in findings for p in f["pods"]]
    return ReportData(
        title="t",
        diagnosis={
            "findings": findings,
            "unclassified": templates,
            "stats": {"files": 1, "lines": 10, "events": 8, "unparsed_lines": 2},
        },
        coverage=[{"file": node, "lines": 10}],
        issues=[{"file": node, "line": 3, "reason": "r"}],
        pods=[PodSection(p, [node], [], 4, 2) for p in pods]
        + [PodSection("ok/x", [node], [], 9, 0)],
        timelines={"pods": [{"pod": p} for p in pods]},
        affected_pods=pods,
        affected_nodes=[node],
        notes=["Plots are not available."],
        cause_nodes={f["root_cause"]: [node] for f in findings},
    )


def test_same_root_cause_on_two_nodes_is_one_merged_finding() -> None:
    a = part(
        [
            finding(
                "ipam_pool_exhausted",
                0.6,
                ["ns/a1"],
                "2026-03-11T13:00:00+00:00",
                "2026-03-11T13:05:00+00:00",
            )
        ],
        [{"template": "boom <*>", "count": 2, "example": "boom 1"}],
        "node-a",
    )
    b = part(
        [
            finding("ipam_pool_exhausted", 0.9, ["ns/b1", "ns/b2"], "2026-03-11T12:00:00+00:00", "2026-03-11T13:01:00+00:00"),
            finding("nad_not_found", 0.95, ["ns/b3"], "2026-03-11T14:00:00+00:00", "2026-03-11T14:00:00+00:00"),
        ],
        [{"template": "boom <*>", "count": 3, "example": "boom 2"}, {"template": "x", "count": 1, "example": "x"}],
        "node-b",
    )  # fmt: skip
    merged = merge_report_data([("a.tgz", a), ("b.tgz", b)], "index")
    findings = merged.diagnosis["findings"]
    assert [f["root_cause"] for f in findings] == ["nad_not_found", "ipam_pool_exhausted"]
    ipam = findings[1]
    assert ipam["pods"] == ["ns/a1", "ns/b1", "ns/b2"]
    assert ipam["count"] == 3
    assert len(ipam["evidence"]) == 3
    assert ipam["confidence"] == 0.9
    assert ipam["summary"] == "summary 0.9"
    assert ipam["first_seen"] == "2026-03-11T12:00:00+00:00"
    assert ipam["last_seen"] == "2026-03-11T13:05:00+00:00"
    assert merged.diagnosis["unclassified"][0] == {
        "template": "boom <*>",
        "count": 5,
        "example": "boom 1",
    }
    assert merged.diagnosis["stats"] == {"files": 2, "lines": 20, "events": 16, "unparsed_lines": 4}
    assert merged.affected_pods == ["ns/b3", "ns/a1", "ns/b1", "ns/b2"]
    assert merged.affected_nodes == ["node-a", "node-b"]
    assert merged.cause_nodes == {
        "ipam_pool_exhausted": ["node-a", "node-b"],
        "nad_not_found": ["node-b"],
    }
    assert [s.pod for s in merged.pods][:4] == ["ns/b3", "ns/a1", "ns/b1", "ns/b2"]
    assert [s.input for s in merged.pods][:4] == ["b.tgz", "a.tgz", "b.tgz", "b.tgz"]
    assert merged.timelines["pods"][0] == {"input": "a.tgz", "pod": "ns/a1"}
    assert len(merged.coverage) == 2
    assert len(merged.issues) == 2
    assert merged.notes == ["Plots are not available."]
