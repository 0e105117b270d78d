"""The result of :func:`multus_forensics.parse`: events, issues and per-file coverage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.model import Event, FileStats, ParseIssue, frame_to_events

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from multus_forensics.rowcut import CutState

#: rows turned into :class:`Event` objects at a time when a log is iterated
ITER_ROWS: Final = 4096


@dataclass
class ParseStats:
    """Totals over all inputs plus one :class:`FileStats` per file or archive member."""

    files: list[FileStats] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return sum(f.lines for f in self.files)

    @property
    def events(self) -> int:
        return sum(f.events for f in self.files)

    @property
    def unparsed_lines(self) -> int:
        return sum(f.issue_lines for f in self.files)

    @property
    def header_lines(self) -> int:
        """File header lines read as facts about their file (journal header, glog preamble)."""
        return sum(f.header_lines for f in self.files)

    @property
    def skipped(self) -> list[FileStats]:
        return [f for f in self.files if f.skipped]

    def as_dict(self) -> dict[str, int]:
        """The summary used by the CLI's JSON output."""
        return {
            "files": len(self.files),
            "lines": self.lines,
            "events": self.events,
            "unparsed_lines": self.unparsed_lines,
            "header_lines": self.header_lines,
            "skipped_files": len(self.skipped),
            "unreadable": self.unreadable,
        }

    @property
    def unreadable(self) -> int:
        """Inputs that produced no stream at all (missing, denied, not followed).

        Derived from the rows (skipped with no byte read) so merged stats stay right; a stream
        that was read is never skipped at 0 bytes, since an empty stream is simply empty.
        """
        return sum(1 for f in self.files if f.skipped is not None and f.bytes == 0 and not f.lines)

    @property
    def nothing_read(self) -> bool:
        """True when no input could be read at all (the CLI exits 1)."""
        return len(self.files) == self.unreadable

    def to_polars(self) -> pl.DataFrame:
        """One row per file or member: the parse-coverage table."""
        import polars as pl

        rows = [
            {
                "file": f.file,
                "member": f.member,
                "format": f.format,
                "bytes": f.bytes,
                "lines": f.lines,
                "events": f.events,
                "event_lines": f.event_lines,
                "issue_lines": f.issue_lines,
                "blank_lines": f.blank_lines,
                "header_lines": f.header_lines,
                "skipped": f.skipped,
            }
            for f in self.files
        ]
        schema: dict[str, Any] = {
            "file": pl.String,
            "member": pl.String,
            "format": pl.String,
            "bytes": pl.Int64,
            "lines": pl.Int64,
            "events": pl.Int64,
            "event_lines": pl.Int64,
            "issue_lines": pl.Int64,
            "blank_lines": pl.Int64,
            "header_lines": pl.Int64,
            "skipped": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)


@dataclass
class EventLog:
    """Events from every input in one frame, with the issues and coverage of the parse."""

    frame: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)
    stats: ParseStats = field(default_factory=ParseStats)
    #: set when rows no diagnosis reads were dropped (``parse(cut=...)``): how many, and why
    #: the whole input is needed after all; None: every event is here
    cut: CutState | None = None

    def __len__(self) -> int:
        return self.frame.height

    def __repr__(self) -> str:
        from multus_forensics.display import eventlog_repr

        return eventlog_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (see :mod:`multus_forensics.display`)."""
        from multus_forensics.display import eventlog_html

        return eventlog_html(self)

    def __iter__(self) -> Iterator[Event]:
        """The events as :class:`Event` objects, made a slice at a time: a loop over a large
        log holds one slice of objects, not one per row of the whole log."""
        for start in range(0, self.frame.height, ITER_ROWS):
            yield from frame_to_events(self.frame.slice(start, ITER_ROWS))

    def to_polars(self) -> pl.DataFrame:
        """The events as a polars DataFrame in the :func:`multus_forensics.model.schema`."""
        return self.frame

    def to_pandas(self) -> pd.DataFrame:
        """The same columns as :meth:`to_polars`, Arrow-backed so dtypes match one to one."""
        return self.frame.to_pandas(use_pyarrow_extension_array=True)

    def issues_frame(self) -> pl.DataFrame:
        """The issues as a polars DataFrame (file, member, line, reason, excerpt, severity)."""
        import polars as pl

        return pl.DataFrame(
            [
                {
                    "file": i.file,
                    "member": i.member,
                    "line": i.line,
                    "reason": i.reason,
                    "excerpt": i.excerpt,
                    "severity": i.severity,
                    "format": i.format,
                }
                for i in self.issues
            ],
            schema={
                "file": pl.String,
                "member": pl.String,
                "line": pl.Int64,
                "reason": pl.String,
                "excerpt": pl.String,
                "severity": pl.String,
                "format": pl.String,
            },
        )

    def write(self, path: str) -> None:
        """Write the events to ``.parquet``, ``.csv`` or ``.jsonl`` (by suffix), atomically.

        The parent directory is created; an unknown suffix is an :class:`InputError` raised
        before anything is written. The file is renamed into place when complete
        (:mod:`multus_forensics.atomic`): a symlink at ``path`` is replaced, not followed.
        """
        import os

        from multus_forensics.errors import InputError

        df = self.frame
        if not path.endswith((".parquet", ".csv", ".jsonl", ".ndjson")):
            raise InputError(f"{path}: unknown output type; use .parquet, .csv or .jsonl")
        parent = os.path.dirname(path)
        try:
            if parent:
                os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{path}: cannot create the directory: {exc.strerror or exc}") from exc
        from multus_forensics.atomic import write_atomic

        if path.endswith(".parquet"):
            write_atomic(path, df.write_parquet)
        elif path.endswith(".csv"):
            write_atomic(path, df.write_csv)
        elif path.endswith((".jsonl", ".ndjson")):
            write_atomic(path, df.write_ndjson)
        else:
            raise InputError(f"{path}: unknown output type; use .parquet, .csv or .jsonl")


def scan_events(path: str | Path) -> pl.LazyFrame:
    """Events written to Parquet (``EventLog.write("x.parquet")``, ``parse -o x.parquet``) back
    as a lazy scan: a huge input is parsed once, kept on disk, and queried without loading it.

    ``path`` is a file, a directory of such files or a glob. ``diagnose`` and
    ``build_timelines`` accept the scan (they read the rows they need). A file whose columns
    are not the event schema is an :class:`~multus_forensics.errors.InputError` naming them.
    """
    import polars as pl

    from multus_forensics.errors import InputError
    from multus_forensics.model import schema

    where = Path(path)
    source = str(where / "*.parquet") if where.is_dir() else str(path)
    try:
        scan = pl.scan_parquet(source)
        found = scan.collect_schema()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot read as event Parquet: {exc}") from exc
    want = schema()
    missing = [c for c in want if c not in found]
    extra = [c for c in found if c not in want]
    wrong = [c for c in want if c in found and found[c] != want[c]]
    if missing or extra or wrong:
        parts = [
            f"{label}: {', '.join(cols)}"
            for label, cols in (("missing", missing), ("unknown", extra), ("wrong type", wrong))
            if cols
        ]
        raise InputError(f"{path}: not an event file of this version ({'; '.join(parts)})")
    return scan.select(list(want))
