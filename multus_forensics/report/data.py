"""What a report says, independent of how it is rendered (HTML, Markdown, JSON).

:func:`build_report_data` turns an :class:`~multus_forensics.eventlog.EventLog` into a
:class:`ReportData`: the diagnosis (``diagnose --json`` schema), per-pod timelines, parse coverage
and issues, plus PNG plots for HTML. The analysis stages (timeline, classify, plots) are separate
packages; a stage that is not installed in this tree leaves a note in the report instead of
failing it, so a partial installation still gives coverage and per-pod events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, overload

from multus_forensics.chain import shared_chains
from multus_forensics.gcpause import gc_paused
from multus_forensics.report.analysis import diagnose_log, figures_for, timelines_for

if TYPE_CHECKING:
    import polars as pl

    from multus_forensics.eventlog import EventLog
    from multus_forensics.model import ParseIssue

#: rows of per-pod events shown in HTML/Markdown (JSON keeps the timeline tables whole)
POD_EVENT_ROWS: Final = 200
#: pods given their own section; the rest are listed in the pod table only
POD_SECTIONS: Final = 50
#: parse issues listed in HTML/Markdown (JSON keeps all)
ISSUE_ROWS: Final = 200
#: notes about a whole file shown in a report's summary (all stay in its issue table)
FILE_NOTES: Final = 5
#: evidence lines and pod names shown per finding in HTML/Markdown (JSON keeps all)
EVIDENCE_ROWS: Final = 12
FINDING_PODS: Final = 20


def shown(items: list[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


@dataclass
class Plot:
    """One embedded figure: a title and PNG bytes (HTML only)."""

    title: str
    png: bytes
    pod: str | None = None
    input: str | None = None  # the bundle it was drawn for, in an index over several


@dataclass
class PodSection:
    """One pod's story: identity, the nodes it ran on, its events (capped) and timeline tables."""

    pod: str  # "namespace/name"
    nodes: list[str]
    events: list[dict[str, Any]]
    total_events: int
    errors: int
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    input: str | None = None  # the bundle it comes from, in an index over several


class TableRows(Mapping[str, list[dict[str, Any]]]):
    """Timeline tables as rows, each converted from its frame on first read.

    Only the JSON report and an index over several inputs read every row of every table; the
    HTML and Markdown pages show the rows of a few pods (:class:`PodSection`), so for them the
    whole node's tables stay frames (a dict per row cost as much as building the frames), and
    a table given as a function (a node's interfaces and anomalies) is not even built."""

    def __init__(self, frames: Mapping[str, pl.DataFrame | Callable[[], pl.DataFrame]]) -> None:
        self._frames = dict(frames)
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        if name not in self._rows:
            frame = self._frames[name]
            self._rows[name] = (frame() if callable(frame) else frame).to_dicts()
        return self._rows[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def converted(self) -> list[str]:
        """The tables read as rows so far."""
        return list(self._rows)


class FrameRows(Sequence[dict[str, Any]]):
    """A frame's rows as dicts, converted on first read.

    The failure table has a row per failed attempt (thousands on a busy node): the JSON report
    and an index over several inputs read them as rows, a page only draws its figures from the
    frame itself, which then makes no dicts and no second frame from them."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._rows: list[dict[str, Any]] | None = None

    def _all(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = self.frame.to_dicts()
        return self._rows

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._all()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._all())

    def __len__(self) -> int:
        return self.frame.height

    def __eq__(self, other: object) -> bool:  # as the list of rows it stands for
        if isinstance(other, FrameRows | list | tuple):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # rows are not hashable, as a list

    def converted(self) -> bool:
        """Whether the rows were read as dicts."""
        return self._rows is not None


@dataclass
class ReportData:
    """Everything a renderer needs; :meth:`to_json` is the machine-readable form."""

    title: str
    diagnosis: dict[str, Any]
    coverage: list[dict[str, Any]]
    issues: list[dict[str, Any]]
    pods: list[PodSection]
    #: the timeline tables (pods, attempts, interfaces, anomalies) as rows
    timelines: Mapping[str, list[dict[str, Any]]]
    affected_pods: list[str]
    affected_nodes: list[str]
    notes: list[str] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    #: one row per failed sandbox attempt with its root cause (node, pod, attempt, time, ...)
    failures: Sequence[dict[str, Any]] = field(default_factory=list)
    #: every node the events came from (a healthy node is worth a row in the node view)
    nodes: list[str] = field(default_factory=list)
    #: root cause -> nodes its pods ran on
    cause_nodes: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``diagnose --json`` keys (findings, unclassified, stats) plus timelines and coverage."""
        doc: dict[str, Any] = _jsonable(self.json_document())
        return doc

    def json_document(self) -> dict[str, Any]:
        """:meth:`to_json` before its values are made JSON types (mappings, tuples, dates):
        ``report.jsontext.dumps_indented(..., jsonable=True)`` converts them as it writes."""
        return {
            "title": self.title,
            **self.diagnosis,
            "affected": {
                "pods": self.affected_pods,
                "nodes": self.affected_nodes,
                "nodes_by_root_cause": self.cause_nodes,
            },
            "timelines": self.timelines,
            "failures": list(self.failures),
            "coverage": self.coverage,
            "issues": self.issues,
            "inputs": self.inputs,
            "notes": self.notes,
        }


def headline(finding: dict[str, Any], data: ReportData) -> str:
    """One line a person can act on: confidence, reach, and the first remediation step."""
    pods = len(finding.get("pods") or [])
    nodes = len(data.cause_nodes.get(str(finding.get("root_cause")), []))
    steps = finding.get("remediation") or []
    first = steps if isinstance(steps, str) else (steps[0] if steps else "")
    if not pods:  # a node- or config-level cause: no "0 pods on 0 nodes"
        reach = "names no pod"
    elif not nodes:
        reach = f"{pods} pod{'s' * (pods != 1)}, node not named in the logs"
    else:
        reach = f"{pods} pod{'s' * (pods != 1)} on {nodes} node{'s' * (nodes != 1)}"
    text = f"confidence {finding.get('confidence')}, {reach}"
    return f"{text}. {first}" if first else text + "."


def primary_ranks(data: ReportData) -> set[int]:
    """Ranks of the findings shown as best: the top one, or in an index the top finding of
    at least one input. The rest are alternatives, drawn smaller and greyed."""
    findings = data.diagnosis.get("findings", [])
    if not data.inputs:
        return {1} if findings else set()
    tops = {i.get("top_cause") for i in data.inputs if i.get("top_cause")}
    return {n for n, f in enumerate(findings, 1) if f.get("root_cause") in tops}


def when(value: object) -> str:
    """A timestamp as ISO 8601 with ``Z`` for UTC (every event time is UTC); ``""`` for none."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return text.replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
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
            "header_lines": f.header_lines,
            "skipped": f.skipped,
        }
        for f in log.stats.files
    ]


_EVENT_COLUMNS: Final = (
    "time",
    "node",
    "source",
    "kind",
    "level",
    "message",
    "error",
    "file",
    "member",
    "line",
)

#: timeline columns shown per pod in HTML/Markdown (JSON has every column)
POD_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "attempts": (
        "attempt", "start", "duration_s", "outcome", "sandbox_id", "add_order", "error_leaf",
        "anomalies",
    ),
    "interfaces": ("attempt", "position", "interface", "network", "ips", "source"),
    "anomalies": ("attempt", "anomaly", "detail"),
}  # fmt: skip


def _section(pod: str, events: pl.DataFrame, nodes: list[str]) -> PodSection:
    import polars as pl

    errors = events.filter(pl.col("level").is_in(["error", "fatal"])).height
    return PodSection(
        pod=pod,
        nodes=nodes,
        events=events.head(POD_EVENT_ROWS).select(_EVENT_COLUMNS).to_dicts(),
        total_events=events.height,
        errors=errors,
    )


def _ranked(pods: list[tuple[str, int]], first: list[str]) -> list[str]:
    """Pods named by findings first (finding order), then by descending score, then by name."""
    rank = {p: i for i, p in enumerate(first)}
    ordered = sorted(pods, key=lambda p: (rank.get(p[0], len(rank)), -p[1], p[0]))
    return [p for p, _ in ordered]


def _sections_from_frame(frame: pl.DataFrame, first: list[str]) -> list[PodSection]:
    """Per-pod events from the records that name their pod (no timeline stage installed)."""
    import polars as pl

    named = frame.filter(pl.col("pod").is_not_null()).with_columns(_pod_key(frame).alias("_pod"))
    scores = named.group_by("_pod").agg(pl.col("level").is_in(["error", "fatal"]).sum())
    order = _ranked([(p, int(n)) for p, n in scores.iter_rows()], first)[:POD_SECTIONS]
    sections = []
    for pod in order:
        events = named.filter(pl.col("_pod") == pod).sort(["time", "file", "line"], nulls_last=True)
        nodes = events.get_column("node").drop_nulls().unique().sort().to_list()
        sections.append(_section(pod, events, nodes))
    return sections


def _sections_from_timelines(
    timelines: Any, tables: dict[str, pl.DataFrame], first: list[str]
) -> list[PodSection]:
    """Per-pod events joined by the timeline stage (sandbox and container IDs included), the
    events of every section from one gather and each table cut by one join, not a filter per pod."""
    pods = tables["pods"]
    scored = []
    nodes: dict[str, list[str]] = {}
    for row in pods.iter_rows(named=True):
        label = f"{row['namespace'] or '?'}/{row['pod'] or '?'}"  # as timeline.key_label
        scored.append((label, int(row["failed_attempts"] or 0)))
        nodes[label] = sorted(filter(None, (row["nodes"] or "").split(",")))
    labels = _ranked(scored, first)[:POD_SECTIONS]
    wanted = set(labels)
    shown = [t for t in timelines.timelines if t.label in wanted]
    # a node's attempts are in the report already (the failure table); its interfaces and
    # anomalies are built for the pods shown only
    of_shown = {"interfaces": timelines.interfaces_of, "anomalies": timelines.anomalies_of}
    rows = {
        table: _rows_of(
            of_shown[table](shown) if table in of_shown else tables[table], labels, columns
        )
        for table, columns in POD_TABLES.items()
    }
    sections = []
    for i, (label, events) in enumerate(zip(labels, timelines.events_by_pod(labels), strict=True)):
        section = _section(label, events, nodes[label])
        for table in POD_TABLES:
            if rows[table].get(i):
                section.tables[table] = rows[table][i]
        sections.append(section)
    return sections


def _rows_of(
    frame: pl.DataFrame, labels: list[str], columns: tuple[str, ...]
) -> dict[int, list[dict[str, Any]]]:
    """Position in ``labels`` -> the ``columns`` of ``frame``'s rows of that ``ns/name`` (a
    missing namespace or name reads ``?``), in table order."""
    import polars as pl

    wanted = pl.DataFrame(
        {
            "_ns": [label.rpartition("/")[0] for label in labels],
            "_name": [label.rpartition("/")[2] for label in labels],
            "_i": list(range(len(labels))),
        },
        schema={"_ns": pl.String, "_name": pl.String, "_i": pl.Int64},
    )
    mine = frame.with_columns(
        pl.col("namespace").fill_null("?").alias("_ns"), pl.col("pod").fill_null("?").alias("_name")
    ).join(wanted, on=["_ns", "_name"], how="inner", maintain_order="left")
    parts = mine.partition_by("_i", maintain_order=True, as_dict=True)
    return {int(i): part.select(columns).to_dicts() for (i,), part in parts.items()}


def _pod_nodes(frame: pl.DataFrame, pods_table: pl.DataFrame | None) -> dict[str, list[str]]:
    """``ns/name`` -> nodes: from the timeline's pod table (joined identities) when there is
    one, else from the events that name both their pod and their node."""
    import polars as pl

    out: dict[str, set[str]] = {}
    if pods_table is not None:
        for ns, pod, nodes in pods_table.select("namespace", "pod", "nodes").iter_rows():
            label = f"{ns or '?'}/{pod or '?'}"
            out.setdefault(label, set()).update(filter(None, (nodes or "").split(",")))
        return {k: sorted(v) for k, v in out.items()}
    named = frame.filter(pl.col("pod").is_not_null() & pl.col("node").is_not_null())
    for label, node in named.select(_pod_key(frame), pl.col("node")).unique().iter_rows():
        out.setdefault(label, set()).add(node)
    return {k: sorted(v) for k, v in out.items()}


def _affected(
    diagnosis: dict[str, Any], pod_nodes: dict[str, list[str]]
) -> tuple[list[str], dict[str, list[str]]]:
    """Pods named by findings (ranked order), and per root cause the nodes of its pods."""
    pods: dict[str, None] = {}  # ordered, and a membership test that does not scan thousands
    by_cause: dict[str, list[str]] = {}
    for finding in diagnosis.get("findings", []):
        nodes: set[str] = set()
        for pod in finding.get("pods") or []:
            pods.setdefault(str(pod))
            nodes.update(pod_nodes.get(str(pod), []))
        cause = str(finding.get("root_cause"))
        by_cause[cause] = sorted(nodes | set(by_cause.get(cause, [])))
    return list(pods), by_cause


def file_notes(issues: Sequence[ParseIssue]) -> list[str]:
    """Warnings about a whole file (the zone journalctl printed its times in, year evidence
    that disagrees, a paste's stripped prefixes), for the summary: they change how every time
    of that file reads, so they are not left at the foot of the issue table alone."""
    notes = [f"Note: {i}" for i in issues if i.severity == "warning" and i.line is None]
    if len(notes) > FILE_NOTES:
        more = len(notes) - FILE_NOTES
        notes = [*notes[:FILE_NOTES], f"Note: {more} more notes in the parse issues."]
    return notes


@shared_chains()
@gc_paused()
def build_report_data(
    log: EventLog, *, title: str = "Multus forensics report", plots: bool = True
) -> ReportData:
    """Analyse one event log (one input, or several merged) into :class:`ReportData`."""
    notes: list[str] = []
    timeline_notes: list[str] = []  # built first, so the classifier can reuse it
    timelines = timelines_for(log, timeline_notes)
    diagnosis, diagnosed = diagnose_log(log, notes, timelines)
    notes.extend(timeline_notes)
    notes.extend(file_notes(log.issues))
    frames = (
        {"pods": timelines.pods(), "attempts": timelines.attempts(layers=False)}
        if timelines is not None
        else {}
    )
    pod_nodes = _pod_nodes(log.frame, frames.get("pods"))
    affected_pods, cause_nodes = _affected(diagnosis, pod_nodes)
    if timelines is not None:
        sections = _sections_from_timelines(timelines, frames, affected_pods)
    else:
        sections = _sections_from_frame(log.frame, affected_pods)
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
        timelines=TableRows(
            {
                "pods": frames["pods"],
                "attempts": timelines.attempts,
                "interfaces": timelines.interfaces,
                "anomalies": timelines.anomalies,
            }
            if timelines is not None
            else {}
        ),
        affected_pods=affected_pods,
        affected_nodes=sorted({n for nodes in cause_nodes.values() for n in nodes}),
        notes=notes,
        cause_nodes=cause_nodes,
    )
    data.nodes = log.frame.get_column("node").drop_nulls().unique().sort().to_list()
    data.plots, data.failures = figures_for(
        timelines, diagnosed, sections, data.nodes, notes, draw=plots
    )
    return data
