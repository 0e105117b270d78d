"""The result of :func:`multus_forensics.parse`: events, issues and per-file coverage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from multus_forensics.model import Event, FileStats, ParseIssue, frame_to_events

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl


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
    def skipped(self) -> list[FileStats]:
        return [f for f in self.files if f.skipped]

    def as_dict(self) -> dict[str, int]:
        """The summary used by the CLI's JSON output."""
        return {
            "files": len(self.files),
            "lines": self.lines,
            "events": self.events,
            "unparsed_lines": self.unparsed_lines,
            "skipped_files": len(self.skipped),
        }

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
            "skipped": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)


@dataclass
class EventLog:
    """Events from every input in one frame, with the issues and coverage of the parse."""

    frame: pl.DataFrame
    issues: list[ParseIssue] = field(default_factory=list)
    stats: ParseStats = field(default_factory=ParseStats)

    def __len__(self) -> int:
        return self.frame.height

    def __iter__(self) -> Iterator[Event]:
        return iter(frame_to_events(self.frame))

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
        """Write the events to ``.parquet``, ``.csv`` or ``.jsonl`` (by suffix)."""
        from multus_forensics.errors import InputError

        df = self.frame
        if path.endswith(".parquet"):
            df.write_parquet(path)
        elif path.endswith(".csv"):
            df.write_csv(path)
        elif path.endswith((".jsonl", ".ndjson")):
            df.write_ndjson(path)
        else:
            raise InputError(f"{path}: unknown output type; use .parquet, .csv or .jsonl")
