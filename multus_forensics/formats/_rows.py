"""Event rows (plain dicts) to a schema-conforming frame, for per-record Python parsers.

Building :class:`~multus_forensics.model.Event` objects first costs more than decoding a JSON
line (dataclass construction plus ``to_row``); parsers that already hold column dicts hand
them here instead. ``fields`` must already be a JSON string; absent columns take the schema
defaults through :func:`~multus_forensics.model.conform`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from multus_forensics.model import conform, empty_frame, schema

if TYPE_CHECKING:
    import polars as pl

#: rows held as dicts before they are turned into a frame (bounds a parser's peak memory)
CHUNK_ROWS: Final = 20_000


def rows_to_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """One frame from column dicts (keys are schema column names; unknown keys are an error)."""
    import polars as pl

    if not rows:
        return empty_frame()
    sch = schema()
    unknown = set().union(*(row.keys() for row in rows)) - set(sch)
    if unknown:
        raise ValueError(f"event rows have keys outside the schema: {sorted(unknown)}")
    return conform(pl.DataFrame(rows, schema=sch))


def concat_frames(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Chunk frames in order as one frame (the empty frame when there is none)."""
    import polars as pl

    frames = [f for f in frames if f.height]
    if not frames:
        return empty_frame()
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")


def physical_lines(line: int, nlines: int, fields: Mapping[str, Any]) -> list[int]:
    """The 1-based physical lines an event covers.

    Most events are one run ``line .. line + nlines - 1``. A record stitched from lines other
    writers interleave (a klog ``err=<`` block in a journal) or one that absorbed a duplicate
    lists its lines in ``fields["lines"]`` instead, so accounting never double-counts a line.
    """
    listed = fields.get("lines")
    if isinstance(listed, list):
        return [int(n) for n in listed]
    return list(range(line, line + nlines))


def lines_field(lines: Sequence[int]) -> list[int] | None:
    """``fields["lines"]`` for an event made of ``lines`` (sorted): ``None`` when contiguous."""
    if not lines or lines[-1] - lines[0] + 1 == len(lines):
        return None
    return list(lines)
