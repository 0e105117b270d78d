"""Line-ordered assembly of vectorised chunk frames with the careful path's events.

Kept apart from the parsers: it decides which columns stay polars scalar columns (file
constants cost no memory per row until read) and interleaves the few careful events by
zero-copy slices, where a sort would copy every column once more.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

from multus_forensics.model import conform, empty_frame, schema

if TYPE_CHECKING:
    import polars as pl

#: careful rows beyond one in this many fast rows are merged by one sort, not by slices (a
#: journal of many writers sends a fifth of its rows there; each slice costs a few µs)
SLICE_SHARE = 64


@cache
def no_events() -> pl.DataFrame:
    """The empty event frame, built once (a careful path that had no line to read)."""
    return empty_frame()


def merge_chunks(
    frames: list[pl.DataFrame],
    careful: pl.DataFrame,
    consts: dict[str, object],
    step: int,
    row_columns: tuple[str, ...],
) -> pl.DataFrame:
    """Fast chunk frames and careful events in line order, without copying the fast rows.

    ``frames[k]`` holds the fast rows of lines ``k * step + 1 ..`` (``row_columns``, minus
    any column in ``consts``: the values every fast row shares).

    A file constant that every careful event shares stays one polars scalar column, so it
    costs no memory per row until someone reads it; the others are materialised.
    """
    import numpy as np
    import polars as pl

    sch = schema()
    if not any(f.height for f in frames):
        return careful
    if not careful.height:  # the scanner read every line: constants and one conform
        events = frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False)
        lits = [pl.lit(v, dtype=sch[k]).alias(k) for k, v in consts.items()]
        return conform(events.with_columns(lits))
    same = {}
    for name, value in consts.items():
        col = careful[name]
        if value is None:
            equal = col.null_count() == col.len()
        else:
            equal = col.null_count() == 0 and bool((col == value).all())
        if equal:
            same[name] = value
    varying = [*(c for c in row_columns if c not in consts), *(n for n in consts if n not in same)]
    lits = [pl.lit(v, dtype=sch[k]).alias(k) for k, v in consts.items() if k not in same]
    bounds = np.searchsorted(careful["line"].to_numpy(), np.arange(len(frames) + 1) * step + 1)
    merged = []
    for k, frame in enumerate(frames):
        part = frame.with_columns(lits).select(varying)
        extra = careful.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
        if extra.height:
            part = _interleave(part, extra.select(varying))
        merged.append(part)
    events = pl.concat(merged, how="vertical", rechunk=False)
    events = events.with_columns(pl.lit(v, dtype=sch[k]).alias(k) for k, v in same.items())
    return conform(events.select(sch.names()))


def _interleave(fast: pl.DataFrame, extra: pl.DataFrame) -> pl.DataFrame:
    """Rows of both frames (each in line order) in line order, from zero-copy slices.

    A sort would gather every column of the chunk into new memory for the few careful
    events it holds; slices around each insertion point cost nothing but more chunks.
    """
    import numpy as np
    import polars as pl

    if extra.height * SLICE_SHARE > fast.height:  # many insertions: one gather beats slices
        return pl.concat([fast, extra], how="vertical").sort("line")
    cuts = np.searchsorted(fast["line"].to_numpy(), extra["line"].to_numpy())
    # careful events between the same two fast rows go in as one slice
    runs = [*np.flatnonzero(np.diff(cuts, prepend=-1)).tolist(), len(cuts)]
    pieces, prev = [], 0
    for j, nxt in pairwise(runs):
        at = int(cuts[j])
        pieces += [fast.slice(prev, at - prev), extra.slice(j, nxt - j)]
        prev = at
    pieces.append(fast.slice(prev))
    return pl.concat([p for p in pieces if p.height], how="vertical", rechunk=False)
