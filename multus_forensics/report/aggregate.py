"""The index over many bundles: per-bundle analyses combined, not the events re-analysed.

Each bundle (one node or one incident) is analysed in a worker, where its sources can be joined
(kubelet, runtime and Multus lines of the same sandbox). The index then combines those results:
findings with the same root cause are merged (pods, evidence and counts added up, the earliest
first and latest last sighting, the most confident rule's wording), unclassified templates are
summed, and timelines, coverage and issues are concatenated with the bundle they came from. The
parent therefore never holds or re-scans every event, so the index costs the same whether there
are 2 bundles or 200.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from multus_forensics.report.data import POD_SECTIONS, ReportData
from multus_forensics.report.figures import PLOT_PODS, fleet_plots


def _merge_findings(groups: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    by_cause: dict[str, dict[str, Any]] = {}
    for findings in groups:
        for f in findings:
            cause = str(f.get("root_cause"))
            if cause not in by_cause:
                by_cause[cause] = {**f, "pods": list(f.get("pods") or []),
                                   "evidence": list(f.get("evidence") or [])}  # fmt: skip
                continue
            m = by_cause[cause]
            pods = m["pods"] + [p for p in f.get("pods") or [] if p not in m["pods"]]
            evidence = m["evidence"] + list(f.get("evidence") or [])
            firsts = [t for t in (m.get("first_seen"), f.get("first_seen")) if t]
            lasts = [t for t in (m.get("last_seen"), f.get("last_seen")) if t]
            count = int(m.get("count") or 0) + int(f.get("count") or 0)
            if (f.get("confidence") or 0) > (m.get("confidence") or 0):
                m.clear()
                m.update(f)
            m.update(
                pods=pods,
                evidence=evidence,
                count=count,
                first_seen=min(firsts, default=None),  # ISO strings in UTC sort as times
                last_seen=max(lasts, default=None),
            )
    return sorted(by_cause.values(), key=lambda f: (-(f.get("confidence") or 0), f["root_cause"]))


def _merge_unclassified(groups: Sequence[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for templates in groups:
        for t in templates:
            key = str(t.get("template"))
            if key in merged:
                merged[key]["count"] = int(merged[key].get("count") or 0) + int(t.get("count") or 0)
            else:
                merged[key] = dict(t)
    return sorted(merged.values(), key=lambda t: (-int(t.get("count") or 0), str(t["template"])))


def _tagged(rows: Sequence[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    return [{"input": label, **r} for r in rows]


def merge_report_data(
    parts: Sequence[tuple[str, ReportData]], title: str, *, plots: bool = True
) -> ReportData:
    """Combine per-bundle :class:`ReportData` (label, data) into the index's data.

    Fleet figures are redrawn from the combined failure table; the first pods' figures are
    reused from their bundles.
    """
    stats: dict[str, int] = {}
    for _, d in parts:
        for key, value in d.diagnosis.get("stats", {}).items():
            stats[key] = stats.get(key, 0) + int(value)
    findings = _merge_findings([d.diagnosis.get("findings", []) for _, d in parts])
    diagnosis: dict[str, Any] = {
        "findings": findings,
        "unclassified": _merge_unclassified(
            [d.diagnosis.get("unclassified", []) for _, d in parts]
        ),
        "stats": stats,
    }
    affected: list[str] = []
    for f in findings:
        affected += [p for p in f["pods"] if p not in affected]
    timelines: dict[str, list[dict[str, Any]]] = {}
    for label, d in parts:
        for name, rows in d.timelines.items():
            timelines.setdefault(name, []).extend(_tagged(rows, label))
    rank = {p: i for i, p in enumerate(affected)}
    sections = sorted(
        (replace(s, input=label) for label, d in parts for s in d.pods),
        key=lambda s: (rank.get(s.pod, len(rank)), -s.errors, s.pod),
    )[:POD_SECTIONS]
    notes: list[str] = []
    for _, d in parts:
        notes += [n for n in d.notes if n not in notes]
    cause_nodes: dict[str, list[str]] = {}
    for _, d in parts:
        for cause, cnodes in d.cause_nodes.items():
            cause_nodes[cause] = sorted(set(cause_nodes.get(cause, [])) | set(cnodes))
    drawn = {(s.pod, s.input) for s in sections[:PLOT_PODS]}
    failures = [f for label, d in parts for f in _tagged(d.failures, label)]
    nodes = sorted({n for _, d in parts for n in d.nodes})
    pod_figures = [
        replace(p, input=label)
        for label, d in parts
        for p in d.plots
        if p.pod is not None and (p.pod, label) in drawn
    ]
    fleet = fleet_plots(failures, nodes) if plots and failures else []
    return ReportData(
        title=title,
        diagnosis=diagnosis,
        coverage=[c for _, d in parts for c in d.coverage],
        issues=[i for _, d in parts for i in d.issues],
        pods=sections,
        timelines=timelines,
        affected_pods=affected,
        affected_nodes=sorted({n for cnodes in cause_nodes.values() for n in cnodes}),
        notes=notes,
        plots=fleet + pod_figures,
        failures=failures,
        nodes=nodes,
        cause_nodes=cause_nodes,
    )
