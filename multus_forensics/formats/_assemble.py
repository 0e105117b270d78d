"""Merge per-record classification dicts into a vectorised event frame.

The bulk formats split headers, levels and timestamps with polars string ops, then run a Python
classifier only on the records a cheap vectorised trigger selects. This module folds the
classifier's sparse dicts back into frame columns so both halves stay simple.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from multus_forensics.formats.base import TextSource
    from multus_forensics.mapping import Buffer


_NOTHING: Mapping[str, Any] = {}
_In = TypeVar("_In")
_Out = TypeVar("_Out")
#: chunks parsed at the same time (polars and numpy release the GIL)
WORKERS: Final = 2


def fields_json(fields: Mapping[str, Any] | None) -> str:
    """The ``fields`` column value: sorted JSON, ``{}`` when empty."""
    if not fields:
        return "{}"
    return json.dumps(dict(fields), sort_keys=True, ensure_ascii=False, default=str)


def json_str(expr: pl.Expr) -> pl.Expr:
    """Vectorised JSON string literal of a text column.

    Quotes, backslashes, newlines, tabs and carriage returns are escaped; any other control
    character becomes U+FFFD (still valid JSON, one regex pass instead of one per character).
    """
    escaped = (
        expr.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
        .str.replace_all(r"[\x00-\x1f\x7f]", "\ufffd")
    )
    return '"' + escaped + '"'


def apply_found(
    df: pl.DataFrame,
    found: Mapping[int, Mapping[str, Any]],
    extra_fields: Mapping[int, Mapping[str, Any]] | None = None,
) -> pl.DataFrame:
    """Overlay sparse classifier results (row index -> dict) on ``df``; writes ``fields``.

    A key present in a row's dict replaces that row's column value; absent keys keep it.
    ``extra_fields`` are merged under the classifier's own ``fields``. Rows in neither keep
    their ``fields`` value (``{}`` when ``df`` has no such column yet).
    """
    import polars as pl

    if "fields" not in df.columns:
        df = df.with_columns(pl.lit("{}").alias("fields"))
    rows = sorted(set(found) | set(extra_fields or {}))
    if not rows:
        return df
    # rows handed one shared result dict (equal classifier input) and no extra fields share a
    # prototype: Python work is per distinct result, rows get theirs by a gather
    slot: dict[int, int] = {}
    protos: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
    which: list[int] = []
    for i in rows:
        extra = extra_fields.get(i) if extra_fields else None
        result = found.get(i, _NOTHING)
        if extra:
            which.append(len(protos))
            protos.append((result, extra))
        elif (k := slot.get(id(result))) is not None:
            which.append(k)
        else:
            which.append(slot.setdefault(id(result), len(protos)))
            protos.append((result, None))
    columns: dict[str, list[Any]] = {}
    fields_col: list[str] = []
    for n, (result, extra) in enumerate(protos):
        for key, value in result.items():
            if key != "fields" and value is not None:
                if (column := columns.get(key)) is None:  # a list per column, made once
                    column = columns[key] = [None] * len(protos)
                column[n] = value
        fields_col.append(fields_json({**(extra or {}), **(result.get("fields") or {})}))
    take = pl.Series(which, dtype=pl.UInt32)
    index = pl.Series("index", rows, dtype=pl.UInt32)
    updates = [df["fields"].scatter(index, pl.Series(fields_col, dtype=pl.String).gather(take))]
    for name, values in columns.items():
        base = df[name] if name in df.columns else pl.Series(name, [None] * df.height, pl.String)
        new = pl.Series(name, values, dtype=pl.String).gather(take)
        present = new.is_not_null()
        merged_values = new if present.all() else new.zip_with(present, base.gather(index))
        updates.append(base.cast(pl.String).scatter(index, merged_values))
    return df.with_columns(updates)


#: ``raw`` column, the bytes, each line's start offset and byte length
LineViews: TypeAlias = "tuple[pl.Series, Buffer, np.ndarray, np.ndarray]"


def line_views(src: TextSource) -> LineViews | None:
    """``raw``: every physical line as a string view into the source's UTF-8 bytes.

    Also returns the bytes, and each line's start offset and byte length, for parsers that
    read fixed fields by byte gathers. Building the column this way copies no text (a list of
    Python strings turned into a column costs more than most of a parse). None when the data
    is too large for 32-bit view offsets: use ``src.lines`` then.
    """
    import numpy as np

    from multus_forensics.filebytes import FileBytes
    from multus_forensics.formats.fast._bytevec import line_bounds, string_views

    data: Buffer | FileBytes = src.data if src.data is not None else src.text.encode("utf-8")
    if isinstance(data, FileBytes):  # a path that reads the whole file: it is read here
        data = bytes(data)
    if len(data) >= 1 << 32:
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = line_bounds(arr)
    lens = ends - starts
    return string_views("raw", data, arr, starts, lens), data, starts, lens


def settle_polars_numpy() -> None:
    """Resolve polars' stand-in for numpy on this thread before chunks go to threads.

    polars imports numpy on first use through a proxy module whose import copies numpy's names
    over its own, its bookkeeping among them (numpy has a ``_globals`` submodule); a second
    thread entering that import at the same moment then fails ("'module' object does not
    support item assignment"), which two chunk threads did under load."""
    try:
        from polars import _dependencies

        getattr(getattr(_dependencies, "numpy", None), "ndarray", None)
    except Exception:  # a private module of polars: absent or changed is fine
        return


def map_chunks(fn: Callable[[_In], _Out], items: Sequence[_In]) -> Iterator[_Out]:
    """``map(fn, items)`` with :data:`WORKERS` chunks in flight on threads, results in order.

    Only a bounded number of chunk results wait to be consumed, so intermediate columns stay
    bounded too; a single chunk runs inline (no thread start-up for small files).
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    if len(items) <= 1:
        yield from map(fn, items)
        return
    settle_polars_numpy()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending: list[Future[_Out]] = []
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > WORKERS:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
