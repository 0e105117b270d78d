"""What a report says, independent of how it is rendered (HTML, Markdown, JSON).

:func:`build_report_data` turns an :class:`~multus_forensics.eventlog.EventLog` into a
:class:`ReportData`: the diagnosis (``diagnose --json`` schema), per-pod timelines, parse coverage
and issues, plus PNG plots for HTML. The analysis stages (timeline, classify, plots) are separate
packages; a stage that is not installed in this tree leaves a note in the report instead of
failing it, so a partial installation still gives coverage and per-pod events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.report.analysis import diagnosis_dict, plots_for, timelines_for

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.eventlog import EventLog

#: rows of per-pod events shown in HTML/Markdown (JSON keeps the timeline tables whole)
POD_EVENT_ROWS: Final = 200
#: pods given their own section; the rest are listed in the pod table only
POD_SECTIONS: Final = 50
#: parse issues listed in HTML/Markdown (JSON keeps all)
ISSUE_ROWS: Final = 200


@dataclass
class Plot:
    """One embedded figure: a title and PNG bytes (HTML only)."""

    title: str
    png: bytes
    pod: str | None = None


@dataclass
class PodSection:
    """One pod's story: identity, the nodes it ran on, its events (capped) and timeline tables."""

    pod: str  # "namespace/name"
    nodes: list[str]
    events: list[dict[str, Any]]
    total_events: int
    errors: int
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class ReportData:
    """Everything a renderer needs; :meth:`to_json` is the machine-readable form."""

    title: str
    diagnosis: dict[str, Any]
    coverage: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    pods: list[PodSection]
    timelines: dict[str, list[dict[str, Any]]]
    affected_pods: list[str]
    affected_nodes: list[str]
    notes: list[str] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """``diagnose --json`` keys (findings, unclassified, stats) plus timelines and coverage."""
        doc: dict[str, Any] = _jsonable(
            {
                "title": self.title,
                **self.diagnosis,
                "affected": {"pods": self.affected_pods, "nodes": self.affected_nodes},
                "timelines": self.timelines,
                "coverage": self.coverage,
                "issues": self.issues,
                "inputs": self.inputs,
                "notes": self.notes,
            }
        )
        return doc


def when(value: object) -> str:
    """A timestamp as ISO 8601 with ``Z`` for UTC (every event time is UTC); ``""`` for none."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return text.replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _pod_key(frame: pl.DataFrame) -> pl.Expr:
    import polars as pl

    return pl.concat_str([pl.col("namespace").fill_null(""), pl.col("pod")], separator="/")


def coverage_rows(log: EventLog) -> list[dict[str, Any]]:
    """One row per file or archive member: lines, events, unparsed lines, why skipped."""
    return [
        {
            "file": f.file,
            "member": f.member,
            "format": f.format,
            "lines": f.lines,
            "events": f.events,
            "issue_lines": f.issue_lines,
            "blank_lines": f.blank_lines,
            "skipped": f.skipped,
        }
        for f in log.stats.files
    ]


def _pod_sections(frame: pl.DataFrame, order: list[str]) -> list[PodSection]:
    import polars as pl

    with_pod = frame.filter(pl.col("pod").is_not_null()).with_columns(_pod_key(frame).alias("_pod"))
    if not with_pod.height:
        return []
    summary = (
        with_pod.group_by("_pod")
        .agg(
            pl.len().alias("n"),
            pl.col("level").is_in(["error", "fatal"]).sum().alias("errors"),
            pl.col("node").drop_nulls().unique().sort().alias("nodes"),
            pl.col("time").min().alias("first"),
        )
        .sort(["errors", "n", "_pod"], descending=[True, True, False])
    )
    rank = {p: i for i, p in enumerate(order)}
    rows = sorted(summary.iter_rows(named=True), key=lambda r: rank.get(r["_pod"], len(rank)))
    sections = []
    for row in rows[:POD_SECTIONS]:
        events = (
            with_pod.filter(pl.col("_pod") == row["_pod"])
            .sort(["time", "file", "line"], nulls_last=True)
            .head(POD_EVENT_ROWS)
            .select("time", "node", "source", "kind", "level", "message", "error", "file", "line")
        )
        sections.append(
            PodSection(
                pod=row["_pod"],
                nodes=list(row["nodes"]),
                events=events.to_dicts(),
                total_events=int(row["n"]),
                errors=int(row["errors"]),
            )
        )
    return sections


def _affected(diagnosis: dict[str, Any], frame: pl.DataFrame) -> tuple[list[str], list[str]]:
    """Pods named by findings (ranked order) and the nodes their events came from."""
    import polars as pl

    pods: list[str] = []
    for finding in diagnosis.get("findings", []):
        for pod in finding.get("pods") or []:
            if pod not in pods:
                pods.append(str(pod))
    if not pods or not frame.height:
        return pods, []
    nodes = (
        frame.filter(pl.col("pod").is_not_null())
        .with_columns(_pod_key(frame).alias("_pod"))
        .filter(pl.col("_pod").is_in(pods) | pl.col("pod").is_in(pods))
        .get_column("node")
        .drop_nulls()
        .unique()
        .sort()
        .to_list()
    )
    return pods, nodes


def build_report_data(
    log: EventLog, *, title: str = "Multus forensics report", plots: bool = True
) -> ReportData:
    """Analyse one event log (one input, or several merged) into :class:`ReportData`."""
    notes: list[str] = []
    diagnosis = diagnosis_dict(log, notes)
    timelines = timelines_for(log.frame, notes)
    affected_pods, affected_nodes = _affected(diagnosis, log.frame)
    sections = _pod_sections(log.frame, affected_pods)
    for section in sections:
        for name, rows in timelines.items():
            mine = [r for r in rows if _row_pod(r) == section.pod]
            if mine:
                section.tables[name] = mine
    issues = [
        {
            "file": i.file,
            "member": i.member,
            "line": i.line,
            "severity": i.severity,
            "reason": i.reason,
            "excerpt": i.excerpt,
        }
        for i in log.issues
    ]
    data = ReportData(
        title=title,
        diagnosis=diagnosis,
        coverage=coverage_rows(log),
        issues=issues,
        pods=sections,
        timelines=timelines,
        affected_pods=affected_pods,
        affected_nodes=affected_nodes,
        notes=notes,
    )
    if plots:
        data.plots = plots_for(log.frame, timelines, sections, notes)
    return data


def _row_pod(row: dict[str, Any]) -> str | None:
    pod = row.get("pod")
    if pod is None:
        return None
    ns = row.get("namespace")
    return f"{ns or ''}/{pod}" if "/" not in str(pod) else str(pod)
