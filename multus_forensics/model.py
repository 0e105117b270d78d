"""The typed event model shared by every parser, the timelines and the classifier.

One :class:`Event` is one log record (possibly several physical lines) from any source. The
DataFrame schema (:data:`SCHEMA`) is derived from the dataclass fields so that the polars and
pandas views cannot drift from the model. Parsers on the hot path build DataFrames directly and
pass them through :func:`conform`; slow parsers build ``Event`` objects and call
:func:`events_to_frame`.

Event fields
------------
time            UTC timestamp (``datetime`` with tzinfo=UTC), ``None`` when the source has no time
                (a pasted error line, an event whose age is ``<unknown>``).
year_source     ``None`` when the record carried its own year. Otherwise how the year was inferred,
                one of :data:`YEAR_SOURCES` (``argument``, ``file-header``, ``content``, ``bundle``,
                ``archive-mtime``, ``gzip-mtime``, ``file-mtime``, ``unknown``).
time_relative   True when ``time`` was computed from a relative age (``3m25s``) against an anchor.
node            Host name the record was written on (journald host field, describe ``Node:``...).
source          Writing component: ``kubelet``, ``containerd``, ``crio``, ``crictl``, ``multus``,
                ``multus-daemon``, ``whereabouts``, ``kubectl``, ``cni-plugin``, ``unknown``.
format          Registry name of the format that parsed the record.
kind            Namespaced event kind, see :data:`KINDS` (``log`` when nothing more specific).
level           ``debug``, ``info``, ``warning``, ``error`` or ``fatal``.
namespace, pod, pod_uid
                Pod identity as far as the record names it.
sandbox_id      64-hex sandbox (pause container) ID, the join key between kubelet, runtime, Multus.
container_id    Container ID when the record names one that is not the sandbox.
network         Network attachment (NAD ``ns/name`` or CNI config name) the record is about.
interface       Interface name inside the pod (``eth0``, ``net1``).
ips             Comma-separated IPs/CIDRs the record assigns (``10.244.3.41/24,fd00::29/64``).
message         The record's message without header (klog msg, logrus msg, event message).
error           Error text carried by the record (klog ``err=``, logrus ``error=``, or the message
                itself for bare error lines), with transport quoting undone.
fields          JSON object of the remaining structured key/values (``{}`` when none).
file            Path of the file on disk (``<stdin>`` for standard input).
member          Path inside an archive (nested archives joined with ``!``), ``None`` for plain files.
line            1-based number of the record's first physical line in the (decompressed) member.
nlines          Number of physical lines the record consumed (>= 1); used for line accounting.
                They are ``line .. line + nlines - 1`` unless ``fields["lines"]`` lists them (a
                record stitched across lines other writers interleave, e.g. a journal ``err=<``).
raw             The record's physical lines as read (joined with ``\\n``), for evidence.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import polars as pl

Level = Literal["debug", "info", "warning", "error", "fatal"]
LEVELS: Final = ("debug", "info", "warning", "error", "fatal")

YEAR_SOURCES: Final = (
    "argument",
    "file-header",
    "content",
    "bundle",
    "archive-mtime",
    "gzip-mtime",
    "file-mtime",
    "unknown",
)

#: Event kinds the timelines and the classifier rely on. Parsers may emit ``log`` for anything
#: else; new kinds are added here first so that the vocabulary stays documented in one place.
KINDS: Final[Mapping[str, str]] = {
    "log": "any record with no more specific meaning",
    "kubelet:sandbox:start": "kubelet decided to create a sandbox (No sandbox for pod can be found)",
    "kubelet:sandbox:created": "kubelet saw the sandbox created (Created PodSandbox)",
    "kubelet:sandbox:failed": "sandbox creation failed (RunPodSandbox / CreatePodSandbox errors)",
    "kubelet:sandbox:stop-failed": "sandbox teardown failed (StopPodSandbox / KillPodSandbox)",
    "kubelet:pod:sync-error": "Error syncing pod, skipping (err is the sync-result text)",
    "kubelet:pod:killing": "Killing unwanted pod",
    "kubelet:pleg": "PLEG event tying a sandbox/container ID to a pod",
    "kubelet:network:not-ready": "container runtime network not ready",
    "runtime:sandbox:start": "runtime RunPodSandbox request for a pod (attempt N)",
    "runtime:sandbox:ready": "runtime returned a sandbox id (success)",
    "runtime:sandbox:failed": "runtime RunPodSandbox failed",
    "runtime:sandbox:stop": "runtime StopPodSandbox request",
    "runtime:sandbox:stop-failed": "runtime StopPodSandbox failed",
    "runtime:network:teardown": "runtime tore the sandbox network down (DEL ok)",
    "runtime:network:destroy-failed": "runtime failed to destroy the sandbox network",
    "runtime:cni:add": "runtime invokes a CNI network ADD (CRI-O Adding pod ...)",
    "runtime:cni:del": "runtime invokes a CNI network DEL",
    "runtime:cni:config": "runtime (re)loaded CNI config / config problems",
    "multus:add": "Multus delegate ADD result (Add: ns:pod:uid:net(conf):ifname {result})",
    "multus:del": "Multus delegate DEL (Del: ...)",
    "multus:error": "Multus [error] line",
    "multus:request": "thick daemon CNI request start/finish",
    "multus:config": "Multus config generated/created (Config file created @, Generated MultusCNI config)",
    "multus:daemon:start": "Multus daemon / entrypoint start",
    "multus:daemon:stop": "Multus daemon shutdown (caught terminated, Delete old config)",
    "ipam:error": "IPAM plugin (whereabouts ...) error",
    "event:AddedInterface": "Kubernetes event from multus: Add <if> [<ips>] from <net>",
    "event:FailedCreatePodSandBox": "Kubernetes event from kubelet: sandbox creation failed",
    "event:FailedKillPod": "Kubernetes event: pod teardown failed",
    "event:SandboxChanged": "Kubernetes event: sandbox changed, re-created",
    "event:NoNetworkFound": "Kubernetes event from multus: NAD not found",
    "event:other": "any other Kubernetes event (reason in fields.reason)",
    "pod:networks": "requested networks annotation (k8s.v1.cni.cncf.io/networks), JSON in fields",
    "pod:network-status": "one network-status entry (interface, network, ips; order in fields.index)",
    "pod:info": "pod header facts (name, namespace, node, uid, deletion)",
    "error:line": "a bare error line with no header (pasted from a ticket)",
    "config:cni": "a CNI config file (.conf/.conflist, 00-multus.conf): types, delegates in fields",
    "config:nad": "a NetworkAttachmentDefinition with its spec.config flattened in fields",
    "listing:entry": "one entry of an ls -l listing (dir, name, type, size in fields)",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One log record with identities, error text and provenance (see the module docstring)."""

    time: datetime | None = None
    year_source: str | None = None
    time_relative: bool = False
    node: str | None = None
    source: str = "unknown"
    format: str = ""
    kind: str = "log"
    level: str = "info"
    namespace: str | None = None
    pod: str | None = None
    pod_uid: str | None = None
    sandbox_id: str | None = None
    container_id: str | None = None
    network: str | None = None
    interface: str | None = None
    ips: str | None = None
    message: str = ""
    error: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    file: str = ""
    member: str | None = None
    line: int = 0
    nlines: int = 1
    raw: str = ""

    def to_row(self) -> dict[str, Any]:
        """Plain dict in schema order, ``fields`` encoded as JSON."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        row["fields"] = json.dumps(dict(self.fields), sort_keys=True, default=str)
        return row


COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in dataclasses.fields(Event))

_NON_NULL_STR = ("source", "format", "kind", "level", "message", "fields", "file", "raw")


def schema() -> pl.Schema:
    """The polars schema of an event frame, derived from :class:`Event`'s fields."""
    import polars as pl

    types: dict[str, pl.DataType] = {}
    for f in dataclasses.fields(Event):
        if f.name == "time":
            types[f.name] = pl.Datetime("us", "UTC")
        elif f.name == "time_relative":
            types[f.name] = pl.Boolean()
        elif f.name in ("line", "nlines"):
            types[f.name] = pl.Int64()
        else:
            types[f.name] = pl.String()
    return pl.Schema(types)


def empty_frame() -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(schema=schema())


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """Cast ``df`` to the event schema: add missing columns (defaults), order, check types.

    Parsers building frames directly call this so that every frame concatenates cleanly.
    Unknown columns are an error: they would be lost silently otherwise.
    """
    import polars as pl

    sch = schema()
    extra = set(df.columns) - set(sch)
    if extra:
        raise ValueError(f"event frame has columns outside the schema: {sorted(extra)}")
    defaults: dict[str, Any] = {
        "time_relative": False,
        "source": "unknown",
        "format": "",
        "kind": "log",
        "level": "info",
        "message": "",
        "fields": "{}",
        "file": "",
        "line": 0,
        "nlines": 1,
        "raw": "",
    }
    exprs = []
    for name, dtype in sch.items():
        if name in df.columns:
            expr = pl.col(name).cast(dtype)
            if name in defaults:
                expr = expr.fill_null(defaults[name])
        else:
            expr = pl.lit(defaults.get(name), dtype=dtype).alias(name)
        exprs.append(expr)
    return df.select(exprs)


#: frames of fewer rows keep their columns as they are: one column costs them next to nothing,
#: and the check would be a fixed cost on every small parse
SCALAR_MIN_ROWS: Final = 4096


def shrink_constants(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every column that holds one value (or only nulls) as one polars scalar.

    A polars string costs a 16-byte view per row whatever its value, so a column such as
    ``file``, ``format``, ``member`` or ``interface``, the same on every row of a journal,
    costs as much as one that varies. A scalar column holds the value once; polars keeps it
    so through filters, slices, concatenations and expressions, and builds the rows only
    when the column itself is taken as a Series. Values and dtypes are unchanged.
    """
    import polars as pl

    if df.height < SCALAR_MIN_ROWS:
        return df
    same = df.select(
        (
            (pl.col(c).null_count() == pl.len())
            | ((pl.col(c).null_count() == 0) & (pl.col(c) == pl.col(c).first()).all())
        ).alias(c)
        for c in df.columns
    ).row(0)
    constant = [c for c, one in zip(df.columns, same, strict=True) if one]
    if not constant:
        return df
    first = df.select(pl.col(c).first() for c in constant).row(0)
    return df.with_columns(
        pl.lit(value, dtype=df.schema[c]).alias(c) for c, value in zip(constant, first, strict=True)
    )


def events_to_frame(events: Iterable[Event]) -> pl.DataFrame:
    """Build a schema-conforming frame from :class:`Event` objects (the slow-parser path)."""
    import polars as pl

    rows = [e.to_row() for e in events]
    if not rows:
        return empty_frame()
    return pl.DataFrame(rows, schema=schema(), orient="row")


def decode_fields(text: str | None) -> dict[str, Any]:
    """The ``fields`` column's JSON object; ``{}`` for empty, damaged or non-object text."""
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


class LazyFields(Mapping[str, Any]):
    """A row's ``fields`` JSON, decoded on first read: the classifier makes views of thousands
    of rows whose fields no rule or predicate asks for (a Multus log's are whole CNI results).

    Given ``column`` (the frame's ``fields`` Series, shared by every view) it holds only the
    row's position and reads the text on first use: a view of a Multus add then costs a
    reference, not a copy of its CNI result."""

    __slots__ = ("_column", "_data", "_pos", "_text")

    def __init__(self, text: str | None, column: pl.Series | None = None, pos: int = 0) -> None:
        self._text = text
        self._column = column
        self._pos = pos
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            text = self._text if self._column is None else self._column[self._pos]
            self._data = decode_fields(text)
            self._column = None
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def get(self, key: str, default: Any = None) -> Any:
        return self._load().get(key, default)

    def __repr__(self) -> str:
        return repr(self._load())


def frame_to_events(df: pl.DataFrame) -> list[Event]:
    """Turn frame rows back into :class:`Event` objects (``fields`` decoded from JSON)."""
    out = []
    for row in df.iter_rows(named=True):
        row["fields"] = decode_fields(row["fields"])
        out.append(Event(**row))
    return out


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A line (or a file) that could not be turned into an event, or was recovered with damage.

    ``severity="error"`` issues stand for lines that are *not* part of any event: they are the
    other half of the line accounting (lines read = lines in events + error issues with a line).
    ``severity="warning"`` issues describe damage on lines that still became events (invalid
    UTF-8 replaced, a message cut by a pager, a NUL byte removed) and file-level notes.
    """

    file: str
    member: str | None
    line: int | None
    reason: str
    excerpt: str = ""
    severity: Literal["error", "warning"] = "error"
    format: str | None = None
    #: an input or member lost or cut (unreadable, damaged, truncated, over a limit), not a
    #: line or file no parser understood: every command exits 1 on one (see commands._common)
    lost: bool = field(default=False, compare=False, repr=False)

    def __str__(self) -> str:
        where = self.file + (f"!{self.member}" if self.member else "")
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.reason}"
        if self.excerpt:
            text += f": {self.excerpt!r}"
        return text


EXCERPT_CHARS: Final = 200


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A bounded excerpt of an offending line, so a 10 MB line never lands in a report whole."""
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


@dataclass(slots=True)
class FileStats:
    """Coverage of one input file or archive member."""

    file: str
    member: str | None = None
    format: str | None = None
    bytes: int = 0
    lines: int = 0
    event_lines: int = 0
    events: int = 0
    issue_lines: int = 0
    blank_lines: int = 0
    #: file header lines (journald ``-- Logs begin at``, glog preamble): read, not events
    header_lines: int = 0
    skipped: str | None = None  # reason the file was not parsed at all
    #: the input is not a log at all (source code, binary): never handed to the classifier
    not_log: bool = False

    @property
    def balanced(self) -> bool:
        """The accounting invariant: every line read is in an event, an issue, a header or blank.

        A file that was read but not parsed has all its non-blank lines counted as unparsed.
        """
        return self.lines == (
            self.event_lines + self.issue_lines + self.blank_lines + self.header_lines
        )
